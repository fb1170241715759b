//! Virtual keys: generated from the OS's CSPRNG, stored as their SHA-256 only, cached in memory
//! with their live account (spend, reservations, rate windows), and kept in the database.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sqlx::Row;

use super::db::Db;
use super::holders::{Holder, HolderCache, Lookup};
use super::limits::Limits;
use crate::util::{now_secs, sha256_hex};

/// A key's settings and spend, as stored (never the key itself).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct KeyRow {
    /// SHA-256 (hex) of the key: its id in the database and in spend logs.
    pub token: String,
    pub key_name: String,
    pub key_alias: Option<String>,
    pub user_id: Option<String>,
    pub team_id: Option<String>,
    pub models: Vec<String>,
    pub max_budget: Option<f64>,
    pub soft_budget: Option<f64>,
    pub budget_duration: Option<String>,
    pub budget_reset_at: Option<i64>,
    pub spend: f64,
    pub tpm_limit: Option<i64>,
    pub rpm_limit: Option<i64>,
    pub max_parallel_requests: Option<i64>,
    pub metadata: Map<String, Value>,
    pub expires: Option<i64>,
    pub blocked: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

impl KeyRow {
    /// The key as `/key/info` shows it (litellm's field names; times as ISO 8601).
    pub fn info(&self) -> Value {
        json!({
            "token": self.token,
            "key_name": self.key_name,
            "key_alias": self.key_alias,
            "user_id": self.user_id,
            "team_id": self.team_id,
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
            "expires": self.expires.map(iso),
            "blocked": self.blocked,
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
        })
    }

    pub fn expired(&self, now: i64) -> bool {
        self.expires.is_some_and(|e| e <= now)
    }

    /// Whether the key may call `model` (an empty list allows every model).
    pub fn allows(&self, model: &str) -> bool {
        models_allow(&self.models, model)
    }

    pub fn limits(&self) -> Limits {
        Limits {
            max_budget: self.max_budget,
            budget_duration: self.budget_duration.clone(),
            rpm_limit: self.rpm_limit,
            tpm_limit: self.tpm_limit,
            max_parallel_requests: self.max_parallel_requests,
        }
    }
}

/// Whether a list of allowed models lets `model` through: empty (all), the name, `*` /
/// `all-proxy-models`, or a `prefix/*` pattern.
pub fn models_allow(models: &[String], model: &str) -> bool {
    models.is_empty()
        || models.iter().any(|m| m == model || m == "*" || m == "all-proxy-models")
        || models
            .iter()
            .any(|m| m.strip_suffix("/*").is_some_and(|p| model.starts_with(p) && model[p.len()..].starts_with('/')))
}

/// `2026-11-26T20:00:00Z` for epoch seconds.
pub fn iso(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil(days);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// The UTC day of epoch seconds, `YYYY-MM-DD`.
pub fn day(secs: i64) -> String {
    let (y, m, d) = civil(secs.div_euclid(86_400));
    format!("{y:04}-{m:02}-{d:02}")
}

/// Days since 1970-01-01 as (year, month, day) (Howard Hinnant's civil_from_days).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// A duration as litellm writes them (`30s`, `15m`, `24h`, `7d`, `1mo`) in seconds.
pub fn duration_secs(text: &str) -> Option<i64> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit())?;
    let n: i64 = t[..split].parse().ok()?;
    let unit = match &t[split..] {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        "mo" => 30 * 86_400,
        "y" => 365 * 86_400,
        _ => return None,
    };
    n.checked_mul(unit).filter(|s| *s > 0)
}

/// A new key: `sk-` and 22 characters from the OS's CSPRNG (131 bits).
pub fn new_key() -> Result<String, String> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut bytes = [0u8; 22];
    getrandom::fill(&mut bytes).map_err(|e| format!("no randomness for a key: {e}"))?;
    let mut key = String::with_capacity(25);
    key.push_str("sk-");
    key.extend(bytes.iter().map(|b| ALPHABET[(b & 63) as usize] as char));
    Ok(key)
}

/// How a key is shown after it was created: its start and its last four characters.
pub fn display_name(key: &str) -> String {
    let tail = &key[key.len().saturating_sub(4)..];
    format!("sk-...{tail}")
}

/// The stored id of a presented key (an already hashed id passes through, as in litellm).
pub fn hash_key(key: &str) -> String {
    if key.len() == 64 && key.bytes().all(|b| b.is_ascii_hexdigit()) && !key.starts_with("sk-") {
        key.to_ascii_lowercase()
    } else {
        sha256_hex(key.as_bytes())
    }
}

/// A key known to this process: its settings and its live account.
pub type KeyState = Holder<KeyRow>;

super::holders::holder_row!(KeyRow);

const COLUMNS: &str = "token, key_name, key_alias, user_id, team_id, models, max_budget, soft_budget, budget_duration, \
                       budget_reset_at, spend, tpm_limit, rpm_limit, max_parallel_requests, metadata, expires, blocked, \
                       created_at, updated_at";

/// The keys: the database, and an in-memory map of the keys this process has seen.
#[derive(Debug)]
pub struct KeyStore {
    pub db: Db,
    cache: HolderCache<KeyRow>,
}

fn db_err(e: sqlx::Error) -> String {
    format!("database error: {e}")
}

fn row_of(r: &sqlx::any::AnyRow) -> Result<KeyRow, sqlx::Error> {
    let models: String = r.try_get("models")?;
    let metadata: String = r.try_get("metadata")?;
    Ok(KeyRow {
        token: r.try_get("token")?,
        key_name: r.try_get("key_name")?,
        key_alias: r.try_get("key_alias")?,
        user_id: r.try_get("user_id")?,
        team_id: r.try_get("team_id")?,
        models: serde_json::from_str(&models).unwrap_or_default(),
        max_budget: r.try_get("max_budget")?,
        soft_budget: r.try_get("soft_budget")?,
        budget_duration: r.try_get("budget_duration")?,
        budget_reset_at: r.try_get("budget_reset_at")?,
        spend: r.try_get("spend")?,
        tpm_limit: r.try_get("tpm_limit")?,
        rpm_limit: r.try_get("rpm_limit")?,
        max_parallel_requests: r.try_get("max_parallel_requests")?,
        metadata: serde_json::from_str(&metadata).unwrap_or_default(),
        expires: r.try_get("expires")?,
        blocked: r.try_get::<i64, _>("blocked")? != 0,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

impl KeyStore {
    pub fn new(db: Db) -> Self {
        Self { db, cache: HolderCache::default() }
    }

    /// Makes every cached key be read again from the database on its next use.
    pub fn reload_all(&self) {
        self.cache.reload_all();
    }

    /// The key with this hash: from memory, else from the database (then kept in memory).
    /// A key by its hash — or by the hash of a key it replaced whose grace period still runs.
    pub async fn get(&self, token: &str) -> Result<Option<Arc<KeyState>>, String> {
        if let Some(found) = self.get_direct(token).await? {
            return Ok(Some(found));
        }
        match self.rotated_to(token).await? {
            Some(new) => self.get_direct(&new).await,
            None => Ok(None),
        }
    }

    /// The key that replaced `old` while its grace period runs.
    async fn rotated_to(&self, old: &str) -> Result<Option<String>, String> {
        let now = now_secs() as i64;
        let sql = self.db.q("SELECT new_token, valid_until FROM litellm_rotated_keys WHERE old_token = ?");
        let row = sqlx::query(sqlx::AssertSqlSafe(&*sql))
            .bind(old.to_owned())
            .fetch_optional(&self.db.pool)
            .await
            .map_err(db_err)?;
        Ok(row.and_then(|r| {
            let until: i64 = r.try_get("valid_until").ok()?;
            (now < until).then(|| r.try_get("new_token").ok()).flatten()
        }))
    }

    /// Keeps `old` usable for the key now hashed `new` until `valid_until` (epoch seconds).
    pub async fn keep_rotated(&self, old: &str, new: &str, valid_until: i64) -> Result<(), String> {
        let now = now_secs() as i64;
        let purge = self.db.q("DELETE FROM litellm_rotated_keys WHERE valid_until < ?");
        sqlx::query(sqlx::AssertSqlSafe(&*purge)).bind(now).execute(&self.db.pool).await.map_err(db_err)?;
        // an older key that led to `old` now leads to `new`
        let chain = self.db.q("UPDATE litellm_rotated_keys SET new_token = ? WHERE new_token = ?");
        sqlx::query(sqlx::AssertSqlSafe(&*chain))
            .bind(new.to_owned())
            .bind(old.to_owned())
            .execute(&self.db.pool)
            .await
            .map_err(db_err)?;
        let sql = self.db.q("INSERT INTO litellm_rotated_keys (old_token, new_token, valid_until) VALUES (?, ?, ?) \
             ON CONFLICT (old_token) DO UPDATE SET new_token = excluded.new_token, valid_until = excluded.valid_until");
        sqlx::query(sqlx::AssertSqlSafe(&*sql))
            .bind(old.to_owned())
            .bind(new.to_owned())
            .bind(valid_until)
            .execute(&self.db.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn get_direct(&self, token: &str) -> Result<Option<Arc<KeyState>>, String> {
        let (generation, cached) = match self.cache.lookup(token) {
            Lookup::Fresh(k) => return Ok(Some(k)),
            Lookup::Read(generation, cached) => (generation, cached),
        };
        let sql = format!("SELECT {COLUMNS} FROM litellm_verification_tokens WHERE token = ?");
        let row = sqlx::query(sqlx::AssertSqlSafe(&*self.db.q(&sql)))
            .bind(token)
            .fetch_optional(&self.db.pool)
            .await
            .map_err(db_err)?;
        let row = row.as_ref().map(row_of).transpose().map_err(db_err)?;
        self.cache.keep(token, row, cached, generation)
    }

    /// Stores a new key row (the caller made the key and hashed it).
    pub async fn insert(&self, row: KeyRow) -> Result<Arc<KeyState>, String> {
        let sql = format!(
            "INSERT INTO litellm_verification_tokens ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        );
        sqlx::query(sqlx::AssertSqlSafe(&*self.db.q(&sql)))
            .bind(row.token.clone())
            .bind(row.key_name.clone())
            .bind(row.key_alias.clone())
            .bind(row.user_id.clone())
            .bind(row.team_id.clone())
            .bind(serde_json::to_string(&row.models).unwrap_or_else(|_| "[]".into()))
            .bind(row.max_budget)
            .bind(row.soft_budget)
            .bind(row.budget_duration.clone())
            .bind(row.budget_reset_at)
            .bind(row.spend)
            .bind(row.tpm_limit)
            .bind(row.rpm_limit)
            .bind(row.max_parallel_requests)
            .bind(serde_json::to_string(&row.metadata).unwrap_or_else(|_| "{}".into()))
            .bind(row.expires)
            .bind(i64::from(row.blocked))
            .bind(row.created_at)
            .bind(row.updated_at)
            .execute(&self.db.pool)
            .await
            .map_err(|e| match &e {
                sqlx::Error::Database(d) if d.is_unique_violation() => {
                    format!("a key with alias {:?} exists already", row.key_alias.as_deref().unwrap_or(""))
                }
                _ => db_err(e),
            })?;
        Ok(self.cache.insert(row.token.clone(), row))
    }

    /// Writes a key's settings (not its spend, which the ledger owns).
    pub async fn save(&self, row: &KeyRow) -> Result<(), String> {
        let sql = "UPDATE litellm_verification_tokens SET key_alias = ?, user_id = ?, team_id = ?, models = ?, \
                   max_budget = ?, soft_budget = ?, budget_duration = ?, budget_reset_at = ?, tpm_limit = ?, \
                   rpm_limit = ?, max_parallel_requests = ?, metadata = ?, expires = ?, blocked = ?, updated_at = ? \
                   WHERE token = ?";
        sqlx::query(sqlx::AssertSqlSafe(&*self.db.q(sql)))
            .bind(row.key_alias.clone())
            .bind(row.user_id.clone())
            .bind(row.team_id.clone())
            .bind(serde_json::to_string(&row.models).unwrap_or_else(|_| "[]".into()))
            .bind(row.max_budget)
            .bind(row.soft_budget)
            .bind(row.budget_duration.clone())
            .bind(row.budget_reset_at)
            .bind(row.tpm_limit)
            .bind(row.rpm_limit)
            .bind(row.max_parallel_requests)
            .bind(serde_json::to_string(&row.metadata).unwrap_or_else(|_| "{}".into()))
            .bind(row.expires)
            .bind(i64::from(row.blocked))
            .bind(row.updated_at)
            .bind(row.token.clone())
            .execute(&self.db.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    /// Deletes keys; returns the hashes that existed.
    pub async fn delete(&self, tokens: &[String]) -> Result<Vec<String>, String> {
        let mut deleted = Vec::new();
        for token in tokens {
            let done = sqlx::query(sqlx::AssertSqlSafe(
                &*self.db.q("DELETE FROM litellm_verification_tokens WHERE token = ?"),
            ))
            .bind(token.clone())
            .execute(&self.db.pool)
            .await
            .map_err(db_err)?;
            self.cache.remove(token);
            if done.rows_affected() > 0 {
                deleted.push(token.clone());
            }
        }
        Ok(deleted)
    }

    /// Replaces a key's hash (regeneration): the same settings and spend under a new key.
    pub async fn rehash(&self, old: &str, new_token: &str, key_name: &str) -> Result<(), String> {
        let sql = "UPDATE litellm_verification_tokens SET token = ?, key_name = ?, updated_at = ? WHERE token = ?";
        sqlx::query(sqlx::AssertSqlSafe(&*self.db.q(sql)))
            .bind(new_token.to_owned())
            .bind(key_name.to_owned())
            .bind(now_secs() as i64)
            .bind(old.to_owned())
            .execute(&self.db.pool)
            .await
            .map_err(db_err)?;
        if let Some(state) = self.cache.rename(old, new_token)
            && let Ok(mut r) = state.row.write()
        {
            r.token = new_token.to_owned();
            r.key_name = key_name.to_owned();
        }
        Ok(())
    }

    /// The stored keys (newest first), optionally of one user or team.
    pub async fn list(&self, user_id: Option<&str>, team_id: Option<&str>) -> Result<Vec<KeyRow>, String> {
        let mut sql = format!("SELECT {COLUMNS} FROM litellm_verification_tokens WHERE 1 = 1");
        if user_id.is_some() {
            sql.push_str(" AND user_id = ?");
        }
        if team_id.is_some() {
            sql.push_str(" AND team_id = ?");
        }
        sql.push_str(" ORDER BY created_at DESC, token");
        let sql = self.db.q(&sql).into_owned();
        let mut query = sqlx::query(sqlx::AssertSqlSafe(&*sql));
        if let Some(u) = user_id {
            query = query.bind(u.to_owned());
        }
        if let Some(t) = team_id {
            query = query.bind(t.to_owned());
        }
        let rows = query.fetch_all(&self.db.pool).await.map_err(db_err)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let row = row_of(r).map_err(db_err)?;
            // a key in use here has a newer spend than the last flush
            out.push(self.cache.live(&row.token.clone(), row));
        }
        Ok(out)
    }

    /// Deletes every key of a team (the team is being deleted).
    pub async fn delete_team_keys(&self, team_id: &str) -> Result<Vec<String>, String> {
        let tokens: Vec<String> = self.list(None, Some(team_id)).await?.into_iter().map(|r| r.token).collect();
        self.delete(&tokens).await
    }

    /// The keys held in memory (the ledger settles their spend).
    pub fn cached(&self, token: &str) -> Option<Arc<KeyState>> {
        self.cache.get(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_durations() {
        assert_eq!(iso(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso(1_795_723_200), "2026-11-26T20:00:00Z");
        assert_eq!(day(1_709_164_800), "2024-02-29");
        assert_eq!(duration_secs("30s"), Some(30));
        assert_eq!(duration_secs("24h"), Some(86_400));
        assert_eq!(duration_secs("1mo"), Some(30 * 86_400));
        assert_eq!(duration_secs("7x"), None);
        assert_eq!(duration_secs("0d"), None);
    }

    #[test]
    fn keys_are_random_and_hashed() {
        let a = new_key().unwrap();
        let b = new_key().unwrap();
        assert!(a.starts_with("sk-") && a.len() == 25 && a != b);
        assert_eq!(hash_key(&a).len(), 64);
        assert_eq!(hash_key(&hash_key(&a)), hash_key(&a));
        assert_eq!(display_name("sk-abcdefgh1234"), "sk-...1234");
    }

    #[test]
    fn model_access() {
        let mut row = KeyRow::default();
        assert!(row.allows("gpt-4o"));
        row.models = vec!["gpt-4o".into(), "openai/*".into()];
        assert!(
            row.allows("gpt-4o") && row.allows("openai/gpt-4.1") && !row.allows("claude") && !row.allows("openaix")
        );
    }
}
