//! Users and teams: the budget holders above keys. A key of a user (`user_id`) and of a team
//! (`team_id`) is admitted only if the user's and the team's limits and budgets have room too;
//! their accounts are reserved in the same step as the key's.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use serde_json::{Map, Value, json};
use sqlx::Row;

use super::db::Db;
use super::holders::{Holder, HolderCache, Lookup};
use super::keys::iso;
use super::limits::Limits;

/// Users or teams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    User,
    Team,
    /// A customer: litellm's end user, the `user` of a request.
    Customer,
}

impl Kind {
    pub fn table(self) -> &'static str {
        match self {
            Kind::User => "litellm_usertable",
            Kind::Team => "litellm_teamtable",
            Kind::Customer => "litellm_endusertable",
        }
    }

    pub fn id_field(self) -> &'static str {
        match self {
            Kind::User | Kind::Customer => "user_id",
            Kind::Team => "team_id",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::User => "user",
            Kind::Team => "team",
            Kind::Customer => "customer",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct OwnerRow {
    pub id: String,
    pub alias: Option<String>,
    pub models: Vec<String>,
    pub max_budget: Option<f64>,
    /// Crossing it sends a budget alert (it refuses nothing).
    pub soft_budget: Option<f64>,
    pub budget_duration: Option<String>,
    pub budget_reset_at: Option<i64>,
    pub spend: f64,
    pub tpm_limit: Option<i64>,
    pub rpm_limit: Option<i64>,
    pub max_parallel_requests: Option<i64>,
    pub metadata: Map<String, Value>,
    /// A user's `user_email` and `user_role`; a team's `members_with_roles`.
    pub info: Map<String, Value>,
    pub blocked: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

impl OwnerRow {
    pub fn limits(&self) -> Limits {
        Limits {
            max_budget: self.max_budget,
            budget_duration: self.budget_duration.clone(),
            rpm_limit: self.rpm_limit,
            tpm_limit: self.tpm_limit,
            max_parallel_requests: self.max_parallel_requests,
        }
    }

    /// As the API shows it (litellm's field names for the kind).
    pub fn to_json(&self, kind: Kind) -> Value {
        let mut out = json!({
            kind.id_field(): self.id,
            "models": self.models,
            "max_budget": self.max_budget,
            "soft_budget": self.soft_budget,
            "budget_duration": self.budget_duration,
            "budget_reset_at": self.budget_reset_at.map(iso),
            "spend": self.spend,
            "tpm_limit": self.tpm_limit,
            "rpm_limit": self.rpm_limit,
            "max_parallel_requests": self.max_parallel_requests,
            "metadata": self.metadata,
            "blocked": self.blocked,
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
        });
        if let Value::Object(m) = &mut out {
            let alias = match kind {
                Kind::User => "user_alias",
                Kind::Team => "team_alias",
                Kind::Customer => "alias",
            };
            m.insert(alias.into(), json!(self.alias));
            for (k, v) in &self.info {
                m.insert(k.clone(), v.clone());
            }
        }
        out
    }

    /// Takes the limits that are given (the others stay); a new `budget_duration` starts a budget
    /// period now.
    pub fn set_limits(
        &mut self,
        [max_budget, soft_budget]: [Option<f64>; 2],
        budget_duration: Option<&String>,
        limits: [Option<i64>; 3],
        now: i64,
    ) {
        if let Some(v) = max_budget {
            self.max_budget = Some(v);
        }
        if let Some(v) = soft_budget {
            self.soft_budget = Some(v);
        }
        if let Some(v) = budget_duration {
            self.budget_reset_at = super::keys::duration_secs(v).map(|s| now + s);
            self.budget_duration = Some(v.clone());
        }
        let [tpm, rpm, parallel] = limits;
        if let Some(v) = tpm {
            self.tpm_limit = Some(v);
        }
        if let Some(v) = rpm {
            self.rpm_limit = Some(v);
        }
        if let Some(v) = parallel {
            self.max_parallel_requests = Some(v);
        }
    }

    /// A team's members' user ids.
    pub fn members(&self) -> Vec<String> {
        self.info
            .get("members_with_roles")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|m| m.get("user_id").and_then(Value::as_str)).map(str::to_owned).collect())
            .unwrap_or_default()
    }

    /// Whether the holder allows `model` (an empty list allows every model).
    pub fn allows(&self, model: &str) -> bool {
        super::keys::models_allow(&self.models, model)
    }
}

/// A user, team or customer known to this process.
pub type Owner = Holder<OwnerRow>;

super::holders::holder_row!(OwnerRow);

const COLUMNS: &str = "id, alias, models, max_budget, soft_budget, budget_duration, budget_reset_at, spend, tpm_limit, rpm_limit, \
                       max_parallel_requests, metadata, info, blocked, created_at, updated_at";

fn db_err(e: sqlx::Error) -> String {
    format!("database error: {e}")
}

fn row_of(r: &sqlx::any::AnyRow) -> Result<OwnerRow, sqlx::Error> {
    let json = |c: &str| -> Result<Map<String, Value>, sqlx::Error> {
        Ok(serde_json::from_str(&r.try_get::<String, _>(c)?).unwrap_or_default())
    };
    Ok(OwnerRow {
        id: r.try_get("id")?,
        alias: r.try_get("alias")?,
        models: serde_json::from_str(&r.try_get::<String, _>("models")?).unwrap_or_default(),
        max_budget: r.try_get("max_budget")?,
        soft_budget: r.try_get("soft_budget")?,
        budget_duration: r.try_get("budget_duration")?,
        budget_reset_at: r.try_get("budget_reset_at")?,
        spend: r.try_get("spend")?,
        tpm_limit: r.try_get("tpm_limit")?,
        rpm_limit: r.try_get("rpm_limit")?,
        max_parallel_requests: r.try_get("max_parallel_requests")?,
        metadata: json("metadata")?,
        info: json("info")?,
        blocked: r.try_get::<i64, _>("blocked")? != 0,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// Users or teams: the database, and the ones this process has seen.
#[derive(Debug)]
pub struct OwnerStore {
    pub kind: Kind,
    db: Db,
    cache: HolderCache<OwnerRow>,
    /// Ids found in no row, with the generation they were looked up at (requests name customers
    /// the proxy may not know: one lookup each, not one per request).
    missing: RwLock<HashMap<String, u64>>,
}

impl OwnerStore {
    pub fn new(kind: Kind, db: Db) -> Self {
        Self { kind, db, cache: HolderCache::default(), missing: RwLock::new(HashMap::new()) }
    }

    /// Makes every cached user or team be read again from the database on its next use.
    pub fn reload_all(&self) {
        self.cache.reload_all();
    }

    pub async fn get(&self, id: &str) -> Result<Option<Arc<Owner>>, String> {
        let (generation, cached) = match self.cache.lookup(id) {
            Lookup::Fresh(o) => return Ok(Some(o)),
            Lookup::Read(generation, cached) => (generation, cached),
        };
        if cached.is_none()
            && self.missing.read().ok().and_then(|m| m.get(id).copied()).is_some_and(|g| g >= generation)
        {
            return Ok(None);
        }
        let sql = format!("SELECT {COLUMNS} FROM {} WHERE id = ?", self.kind.table());
        let row = sqlx::query(sqlx::AssertSqlSafe(&*self.db.q(&sql)))
            .bind(id.to_owned())
            .fetch_optional(&self.db.pool)
            .await
            .map_err(db_err)?;
        let row = row.as_ref().map(row_of).transpose().map_err(db_err)?;
        if row.is_none()
            && let Ok(mut m) = self.missing.write()
        {
            if m.len() >= 100_000 {
                m.clear();
            }
            m.insert(id.to_owned(), generation);
        }
        self.cache.keep(id, row, cached, generation)
    }

    pub async fn insert(&self, row: OwnerRow) -> Result<Arc<Owner>, String> {
        let sql = format!(
            "INSERT INTO {} ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            self.kind.table()
        );
        sqlx::query(sqlx::AssertSqlSafe(&*self.db.q(&sql)))
            .bind(row.id.clone())
            .bind(row.alias.clone())
            .bind(serde_json::to_string(&row.models).unwrap_or_else(|_| "[]".into()))
            .bind(row.max_budget)
            .bind(row.soft_budget)
            .bind(row.budget_duration.clone())
            .bind(row.budget_reset_at)
            .bind(row.spend)
            .bind(row.tpm_limit)
            .bind(row.rpm_limit)
            .bind(row.max_parallel_requests)
            .bind(Value::Object(row.metadata.clone()).to_string())
            .bind(Value::Object(row.info.clone()).to_string())
            .bind(i64::from(row.blocked))
            .bind(row.created_at)
            .bind(row.updated_at)
            .execute(&self.db.pool)
            .await
            .map_err(|e| match &e {
                sqlx::Error::Database(d) if d.is_unique_violation() => {
                    format!("{} {:?} exists already", self.kind.name(), row.id)
                }
                _ => db_err(e),
            })?;
        if let Ok(mut m) = self.missing.write() {
            m.remove(&row.id);
        }
        Ok(self.cache.insert(row.id.clone(), row))
    }

    /// Writes the settings of `row` (not its spend, which the ledger owns) and updates the cache.
    pub async fn save(&self, owner: &Owner, row: OwnerRow) -> Result<(), String> {
        let sql = format!(
            "UPDATE {} SET alias = ?, models = ?, max_budget = ?, soft_budget = ?, budget_duration = ?, budget_reset_at = ?, \
             tpm_limit = ?, rpm_limit = ?, max_parallel_requests = ?, metadata = ?, info = ?, blocked = ?, \
             updated_at = ? WHERE id = ?",
            self.kind.table()
        );
        sqlx::query(sqlx::AssertSqlSafe(&*self.db.q(&sql)))
            .bind(row.alias.clone())
            .bind(serde_json::to_string(&row.models).unwrap_or_else(|_| "[]".into()))
            .bind(row.max_budget)
            .bind(row.soft_budget)
            .bind(row.budget_duration.clone())
            .bind(row.budget_reset_at)
            .bind(row.tpm_limit)
            .bind(row.rpm_limit)
            .bind(row.max_parallel_requests)
            .bind(Value::Object(row.metadata.clone()).to_string())
            .bind(Value::Object(row.info.clone()).to_string())
            .bind(i64::from(row.blocked))
            .bind(row.updated_at)
            .bind(row.id.clone())
            .execute(&self.db.pool)
            .await
            .map_err(db_err)?;
        if let Ok(mut a) = owner.account.lock() {
            a.reset_at = row.budget_reset_at;
        }
        if let Ok(mut r) = owner.row.write() {
            *r = row;
        }
        Ok(())
    }

    pub async fn delete(&self, ids: &[String]) -> Result<Vec<String>, String> {
        let sql = format!("DELETE FROM {} WHERE id = ?", self.kind.table());
        let mut deleted = Vec::new();
        for id in ids {
            let done = sqlx::query(sqlx::AssertSqlSafe(&*self.db.q(&sql)))
                .bind(id.clone())
                .execute(&self.db.pool)
                .await
                .map_err(db_err)?;
            self.cache.remove(id);
            if done.rows_affected() > 0 {
                deleted.push(id.clone());
            }
        }
        Ok(deleted)
    }

    pub async fn list(&self) -> Result<Vec<OwnerRow>, String> {
        let sql = format!("SELECT {COLUMNS} FROM {} ORDER BY created_at DESC, id", self.kind.table());
        let rows = sqlx::query(sqlx::AssertSqlSafe(&*sql)).fetch_all(&self.db.pool).await.map_err(db_err)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let row = row_of(r).map_err(db_err)?;
            out.push(self.cache.live(&row.id.clone(), row));
        }
        Ok(out)
    }
}
