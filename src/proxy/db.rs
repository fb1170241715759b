//! The proxy's database: SQLite by default (a file in the working directory), PostgreSQL when
//! `database_url` / `DATABASE_URL` names one. One sqlx `Any` pool; the schema's migrations ship in
//! the binary (`migrations/`) and are applied at start, each once.

use std::borrow::Cow;
use std::time::Duration;

use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;

/// The migrations, in order: (version, SQL). Written to run unchanged on SQLite and PostgreSQL.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../migrations/0001_keys_and_spend.sql")),
    (2, include_str!("../../migrations/0002_users_and_teams.sql")),
    (3, include_str!("../../migrations/0003_customers_and_budgets.sql")),
    (4, include_str!("../../migrations/0004_models.sql")),
    (5, include_str!("../../migrations/0005_audit_log.sql")),
    (6, include_str!("../../migrations/0006_key_rotation.sql")),
    (7, include_str!("../../migrations/0007_daily_rollups_and_soft_budgets.sql")),
];

/// The default database: a SQLite file in the working directory.
pub const DEFAULT_URL: &str = "sqlite://litellm_rs_proxy.db";

#[derive(Clone)]
pub struct Db {
    pub pool: AnyPool,
    postgres: bool,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").field("postgres", &self.postgres).finish_non_exhaustive()
    }
}

/// A database URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}{user}:****{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

impl Db {
    /// Connects and applies the migrations that are not applied yet.
    pub async fn open(url: &str) -> Result<Self, String> {
        sqlx::any::install_default_drivers();
        let postgres = url.starts_with("postgres://") || url.starts_with("postgresql://");
        let memory = url.contains(":memory:") || url.contains("mode=memory");
        if !postgres && !url.starts_with("sqlite:") {
            return Err(format!("database_url {}: use sqlite://<file> or postgresql://...", redact(url)));
        }
        let sep = if url.contains('?') { '&' } else { '?' };
        // a SQLite file is created when missing
        let url = if !postgres && !memory && !url.contains("mode=") {
            format!("{url}{sep}mode=rwc")
        } else if postgres && !url.contains("statement-cache-capacity") {
            // no prepared statements kept across calls: sqlx's Any driver sends a NULL f64 as a
            // float4, and a statement prepared with that NULL then rejects a real f64
            format!("{url}{sep}statement-cache-capacity=0")
        } else {
            url.to_owned()
        };
        let url = url.as_str();
        // an in-memory SQLite database exists per connection: keep one
        let max = if memory {
            1
        } else if postgres {
            10
        } else {
            4
        };
        let pool = AnyPoolOptions::new()
            .max_connections(max)
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if !postgres {
                        // per connection: wait on a busy file instead of failing; in WAL mode,
                        // NORMAL syncs at checkpoints (a crash of the process loses nothing)
                        for pragma in ["PRAGMA busy_timeout=5000", "PRAGMA synchronous=NORMAL"] {
                            sqlx::query(pragma).execute(&mut *conn).await?;
                        }
                    }
                    Ok(())
                })
            })
            .connect(url)
            .await
            .map_err(|e| format!("cannot open the database {}: {e}", redact(url)))?;
        let db = Self { pool, postgres };
        if !postgres && !memory {
            // concurrent readers while the ledger writes (a setting of the database file)
            let _ = sqlx::query("PRAGMA journal_mode=WAL").execute(&db.pool).await;
        }
        db.migrate().await?;
        Ok(db)
    }

    async fn migrate(&self) -> Result<(), String> {
        let err = |e: sqlx::Error| format!("database migration failed: {e}");
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS litellm_rs_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
        )
        .execute(&self.pool)
        .await
        .map_err(err)?;
        for (version, sql) in MIGRATIONS {
            let applied: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(
                &*self.q("SELECT version FROM litellm_rs_migrations WHERE version = ?"),
            ))
            .bind(*version)
            .fetch_optional(&self.pool)
            .await
            .map_err(err)?;
            if applied.is_some() {
                continue;
            }
            let mut tx = self.pool.begin().await.map_err(err)?;
            let sql = strip_comments(sql);
            for statement in sql.split(';').map(str::trim).filter(|s| !s.is_empty()) {
                sqlx::query(sqlx::AssertSqlSafe(statement)).execute(&mut *tx).await.map_err(err)?;
            }
            sqlx::query(sqlx::AssertSqlSafe(
                &*self.q("INSERT INTO litellm_rs_migrations (version, applied_at) VALUES (?, ?)"),
            ))
            .bind(*version)
            .bind(crate::util::now_secs() as i64)
            .execute(&mut *tx)
            .await
            .map_err(err)?;
            tx.commit().await.map_err(err)?;
        }
        Ok(())
    }

    /// `sql` with `?` placeholders in the backend's spelling (`$1, $2, ...` for PostgreSQL).
    pub fn q<'a>(&self, sql: &'a str) -> Cow<'a, str> {
        if !self.postgres {
            return Cow::Borrowed(sql);
        }
        let mut out = String::with_capacity(sql.len() + 8);
        let mut n = 0;
        for c in sql.chars() {
            if c == '?' {
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
            } else {
                out.push(c);
            }
        }
        Cow::Owned(out)
    }

    pub fn is_postgres(&self) -> bool {
        self.postgres
    }
}

fn strip_comments(statement: &str) -> String {
    statement.lines().map(|l| l.split("--").next().unwrap_or("")).collect::<Vec<_>>().join("\n").trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        assert_eq!(redact("postgresql://app:s3cret@db:5432/x"), "postgresql://app:****@db:5432/x");
        assert_eq!(redact("sqlite://file.db"), "sqlite://file.db");
    }

    #[tokio::test]
    async fn migrates_once_and_rewrites_placeholders() {
        let db = Db::open("sqlite::memory:").await.unwrap();
        db.migrate().await.unwrap(); // again: nothing to do
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM litellm_rs_migrations").fetch_one(&db.pool).await.unwrap();
        assert_eq!(n, MIGRATIONS.len() as i64);
        let pg = Db { pool: db.pool.clone(), postgres: true };
        assert_eq!(pg.q("UPDATE t SET a = ? WHERE b = ?"), "UPDATE t SET a = $1 WHERE b = $2");
    }
}
