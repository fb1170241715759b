//! The audit log: every change made through the management routes (`/key/*`, `/user/*`,
//! `/team/*`, `/customer/*`, `/budget/*`, `/model/*` POSTs that succeeded) is a row — when, by
//! whom (the caller's kind and the hash of the credential it presented), which route, which
//! objects, and the request with its secrets hashed or masked — written off the request path.
//! `GET /audit/logs` reads it (admins and viewers).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use sqlx::Row;

use super::admin::{admin_only, bad, db_error as internal};
use super::db::Db;
use super::keys::{hash_key, iso};
use super::{ApiError, Caller, ProxyState};
use crate::router::health::secret;

type St = State<Arc<ProxyState>>;

/// The management routes whose changes are audited.
pub const AUDITED: &[&str] = &["/key/", "/user/", "/team/", "/customer/", "/budget/", "/model/"];

/// A request body as the audit log keeps it: raw keys replaced by their hashes, other secrets
/// masked.
fn redact(v: &Value, field: &str) -> Value {
    match v {
        Value::String(s) if field == "key" || field == "keys" || field == "new_key" => {
            Value::String(format!("hash:{}", hash_key(s)))
        }
        Value::String(s) if secret(field) && !s.starts_with("os.environ/") => Value::String("***".into()),
        Value::Array(a) => Value::Array(a.iter().map(|x| redact(x, field)).collect()),
        Value::Object(m) => Value::Object(m.iter().map(|(k, x)| (k.clone(), redact(x, k))).collect()),
        other => other.clone(),
    }
}

/// The objects a change is about: the ids its request names, or the ones its answer made.
fn objects(request: &Value, answer: &Value) -> Vec<String> {
    const IDS: &[&str] =
        &["token", "key", "keys", "user_id", "user_ids", "team_id", "team_ids", "budget_id", "id", "model_id"];
    let mut out = Vec::new();
    for v in [request, answer] {
        for k in IDS {
            match v.get(*k) {
                Some(Value::String(s)) => out.push(if *k == "key" && v == request { hash_key(s) } else { s.clone() }),
                Some(Value::Array(a)) => out.extend(
                    a.iter().filter_map(Value::as_str).map(|s| if *k == "keys" { hash_key(s) } else { s.to_owned() }),
                ),
                _ => {}
            }
        }
    }
    // a new key's raw value is never kept: only hashes (64 hex) and plain ids
    out.retain(|s| !s.starts_with("sk-"));
    out.dedup();
    out
}

/// One audited change.
pub struct Entry {
    pub route: String,
    pub changed_by: &'static str,
    pub credential: Option<String>,
    pub request: Value,
    pub answer: Value,
    pub status: u16,
}

/// Writes an entry (in the background: an audit write never holds up or fails the change).
pub fn record(db: Db, e: Entry) {
    let Ok(rt) = tokio::runtime::Handle::try_current() else { return };
    rt.spawn(async move {
        let request = redact(&e.request, "");
        let ids = objects(&e.request, &e.answer);
        let table = e.route.trim_start_matches('/').split('/').next().unwrap_or_default().to_owned();
        let sql = db.q(
            "INSERT INTO litellm_auditlog (id, at, changed_by, changed_by_api_key, action, table_name, object_ids, \
             request, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        );
        let done = sqlx::query(sqlx::AssertSqlSafe(&*sql))
            .bind(crate::util::new_id("audit-"))
            .bind(crate::util::now_ms() as i64)
            .bind(e.changed_by.to_owned())
            .bind(e.credential.map(|c| hash_key(&c)))
            .bind(e.route)
            .bind(table)
            .bind(Value::from(ids).to_string())
            .bind(request.to_string())
            .bind(i64::from(e.status))
            .execute(&db.pool)
            .await;
        if let Err(err) = done {
            tracing::warn!(error = %err, "an audit log row could not be written");
        }
    });
}

#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    object_id: Option<String>,
    action: Option<String>,
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/audit/logs", tag = "spend", params(("object_id" = Option<String>, Query, description = "changes of one key hash, user, team, customer, budget or model id"), ("action" = Option<String>, Query, description = "one route, e.g. /key/block"), ("limit" = Option<i64>, Query, description = "at most this many (default 100, at most 1000)")), responses((status = 200, description = "The audit log, newest first", body = serde_json::Value), (status = 401, description = "no key, or a key that may not do this (OpenAI error format)")))]
pub async fn audit_logs(
    State(st): St,
    caller: axum::Extension<Caller>,
    Query(q): Query<AuditQuery>,
) -> Result<Response, ApiError> {
    admin_only(&caller)?;
    let db = st.keys.as_deref().map(|k| &k.db).ok_or_else(|| bad("the audit log needs a master key and a database"))?;
    let mut sql = String::from(
        "SELECT id, at, changed_by, changed_by_api_key, action, table_name, object_ids, request, status \
         FROM litellm_auditlog WHERE 1 = 1",
    );
    if q.action.is_some() {
        sql.push_str(" AND action = ?");
    }
    if q.object_id.is_some() {
        sql.push_str(" AND object_ids LIKE ?");
    }
    sql.push_str(" ORDER BY at DESC, id LIMIT ?");
    let sql = db.q(&sql).into_owned();
    let mut query = sqlx::query(sqlx::AssertSqlSafe(&*sql));
    if let Some(a) = &q.action {
        query = query.bind(a.clone());
    }
    if let Some(o) = &q.object_id {
        // the id as it stands, quoted, in the JSON list (LIKE's `_` and `%` may match more rows,
        // never fewer)
        query = query.bind(format!("%{}%", Value::String(o.clone())));
    }
    query = query.bind(q.limit.unwrap_or(100).clamp(1, 1000));
    let rows = query.fetch_all(&db.pool).await.map_err(|e| internal(e.to_string()))?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let text = |c: &str| r.try_get::<Option<String>, _>(c).ok().flatten();
        let parsed = |c: &str| text(c).and_then(|t| serde_json::from_str::<Value>(&t).ok()).unwrap_or(Value::Null);
        let mut m = Map::new();
        m.insert("id".into(), json!(text("id")));
        m.insert("updated_at".into(), json!(iso(r.try_get::<i64, _>("at").unwrap_or(0) / 1000)));
        m.insert("changed_by".into(), json!(text("changed_by")));
        m.insert("changed_by_api_key".into(), json!(text("changed_by_api_key")));
        m.insert("action".into(), json!(text("action")));
        m.insert("table_name".into(), json!(text("table_name")));
        m.insert("object_ids".into(), parsed("object_ids"));
        m.insert("updated_values".into(), parsed("request"));
        m.insert("status".into(), json!(r.try_get::<i64, _>("status").unwrap_or(0)));
        out.push(Value::Object(m));
    }
    Ok(Json(Value::Array(out)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_hashed_and_secrets_masked() {
        let req = json!({"key": "sk-abc123", "keys": ["sk-x"], "litellm_params": {"api_key": "os.environ/K", "aws_secret_access_key": "plain"}, "max_budget": 5});
        let r = redact(&req, "");
        assert_eq!(r["key"], format!("hash:{}", hash_key("sk-abc123")));
        assert_eq!(r["keys"][0], format!("hash:{}", hash_key("sk-x")));
        assert_eq!(r["litellm_params"]["api_key"], "os.environ/K");
        assert_eq!(r["litellm_params"]["aws_secret_access_key"], "***");
        assert_eq!(r["max_budget"], 5);
        assert!(!r.to_string().contains("sk-abc123"));
        let ids = objects(&req, &json!({"key": "sk-new-raw", "token": "a".repeat(64)}));
        assert!(ids.contains(&hash_key("sk-abc123")) && ids.contains(&"a".repeat(64)));
        assert!(!ids.iter().any(|i| i.starts_with("sk-")));
    }
}
