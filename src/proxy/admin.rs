//! Key management and spend routes: `/key/generate|info|update|delete|list|block|unblock|regenerate`,
//! `/spend/logs`, `/global/spend`. They need the master key (a virtual key may read its own
//! `/key/info`), and a database (the proxy opens one when a master key is set).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use sqlx::Row;

use super::keys::{KeyRow, KeyStore, display_name, duration_secs, hash_key, new_key};
use super::{ApiError, Caller, ProxyState};
use crate::error::{ErrorKind, LlmError};
use crate::util::now_secs;

type St = State<Arc<ProxyState>>;

/// A rejection with this kind and status, in OpenAI's error format.
pub(super) fn error(kind: ErrorKind, status: u16, message: impl Into<String>) -> ApiError {
    let mut e = LlmError::new(kind, message);
    e.status = status;
    ApiError(e)
}

pub(super) fn bad(message: impl Into<String>) -> ApiError {
    error(ErrorKind::BadRequest, 400, message)
}

fn store(st: &ProxyState) -> Result<&KeyStore, ApiError> {
    st.keys
        .as_deref()
        .ok_or_else(|| bad("virtual keys need a master key: set general_settings.master_key (or LITELLM_MASTER_KEY)"))
}

/// Management routes are for the master key.
pub(super) fn admin_only(caller: &Caller) -> Result<(), ApiError> {
    match caller {
        // a viewer's requests reach only the read routes (the auth middleware refuses the rest)
        Caller::Admin | Caller::Viewer => Ok(()),
        _ => Err(error(
            ErrorKind::Authentication,
            401,
            "Authentication Error: this route needs the master key (proxy_admin)",
        )),
    }
}

/// Whose keys a caller may manage: `None` for an admin (every key), the caller's user for a
/// virtual key or a user's JWT whose user role is `internal_user` (the default role), or a
/// refusal. `write: false` is a read (an `internal_user_viewer` may read its own keys too).
/// A key never gets more than its user's: admin powers come from the master key or an admin JWT.
pub(super) async fn own_keys(st: &ProxyState, caller: &Caller, write: bool) -> Result<Option<String>, ApiError> {
    let refused = |why: &str| {
        Err(error(
            ErrorKind::Authentication,
            401,
            format!("Authentication Error: {why} (proxy_admin can manage every key)"),
        ))
    };
    let key = match caller {
        Caller::Admin | Caller::Viewer => return Ok(None),
        Caller::Key(k) => k,
        Caller::Open => return refused("this proxy has no master key, so no virtual keys"),
    };
    let Some(user) = key.row.read().ok().and_then(|r| r.user_id.clone()) else {
        return refused("only a user's keys may manage that user's keys; this key belongs to no user");
    };
    // the user must be one of the proxy's (its role says what it may do)
    let found = match &st.users {
        Some(users) => users.get(&user).await.map_err(db_error)?,
        None => None,
    };
    let Some(found) = found else {
        return refused(&format!("user {user:?} is not a user of this proxy (/user/new)"));
    };
    let role = found.row.read().ok().and_then(|r| r.info.get("user_role")?.as_str().map(str::to_owned));
    match role.as_deref().unwrap_or("internal_user") {
        "internal_user_viewer" if write => refused("an internal_user_viewer may only read its keys"),
        _ => Ok(Some(user)),
    }
}

pub(super) fn db_error(message: String) -> ApiError {
    error(ErrorKind::InternalServer, 500, message)
}

/// The settings `/key/generate` and `/key/update` take.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyFields {
    key: Option<String>,
    key_alias: Option<String>,
    user_id: Option<String>,
    team_id: Option<String>,
    models: Option<Vec<String>>,
    max_budget: Option<f64>,
    soft_budget: Option<f64>,
    budget_duration: Option<String>,
    tpm_limit: Option<i64>,
    rpm_limit: Option<i64>,
    max_parallel_requests: Option<i64>,
    #[schema(value_type = Option<Object>)]
    metadata: Option<Map<String, Value>>,
    /// How long the key lives (`30d`, `1h`, ...); None = forever.
    duration: Option<String>,
    blocked: Option<bool>,
    /// Accepted for litellm compatibility, not used by this proxy.
    #[serde(default, rename = "send_invite_email")]
    #[schema(value_type = Option<bool>)]
    _send_invite_email: Option<Value>,
    #[serde(default)]
    tags: Option<Vec<String>>,
}

/// The checks every holder's settings get (keys, users, teams, customers, budgets): amounts are
/// numbers >= 0, limits >= 0, durations `<n>s|m|h|d|w|mo|y`; a 400 naming the first bad one.
pub(super) fn check_settings(
    amounts: &[(&str, Option<f64>)],
    limits: &[(&str, Option<i64>)],
    durations: &[(&str, Option<&String>)],
) -> Result<(), ApiError> {
    for (name, v) in amounts {
        if v.is_some_and(|v| !v.is_finite() || v < 0.0) {
            return Err(bad(format!("{name} must be a number >= 0")));
        }
    }
    for (name, v) in limits {
        if v.is_some_and(|v| v < 0) {
            return Err(bad(format!("{name} must be >= 0")));
        }
    }
    for (name, v) in durations {
        if let Some(d) = v
            && duration_secs(d).is_none()
        {
            return Err(bad(format!("{name} {d:?}: use a number and s, m, h, d, w, mo or y (e.g. 30d)")));
        }
    }
    Ok(())
}

fn check_fields(f: &KeyFields) -> Result<(), ApiError> {
    check_settings(
        &[("max_budget", f.max_budget), ("soft_budget", f.soft_budget)],
        &[("tpm_limit", f.tpm_limit), ("rpm_limit", f.rpm_limit), ("max_parallel_requests", f.max_parallel_requests)],
        &[("budget_duration", f.budget_duration.as_ref()), ("duration", f.duration.as_ref())],
    )
}

fn apply(row: &mut KeyRow, f: KeyFields, now: i64) {
    if let Some(v) = f.key_alias {
        row.key_alias = Some(v);
    }
    if let Some(v) = f.user_id {
        row.user_id = Some(v);
    }
    if let Some(v) = f.team_id {
        row.team_id = Some(v);
    }
    if let Some(v) = f.models {
        row.models = v;
    }
    if let Some(v) = f.max_budget {
        row.max_budget = Some(v);
    }
    if let Some(v) = f.soft_budget {
        row.soft_budget = Some(v);
    }
    if let Some(v) = f.budget_duration {
        row.budget_reset_at = duration_secs(&v).map(|s| now + s);
        row.budget_duration = Some(v);
    }
    if let Some(v) = f.tpm_limit {
        row.tpm_limit = Some(v);
    }
    if let Some(v) = f.rpm_limit {
        row.rpm_limit = Some(v);
    }
    if let Some(v) = f.max_parallel_requests {
        row.max_parallel_requests = Some(v);
    }
    if let Some(v) = f.metadata {
        row.metadata = v;
    }
    if let Some(tags) = f.tags {
        row.metadata.insert("tags".into(), json!(tags));
    }
    if let Some(v) = f.duration {
        row.expires = duration_secs(&v).map(|s| now + s);
    }
    if let Some(v) = f.blocked {
        row.blocked = v;
    }
    row.updated_at = now;
}

/// A JSON request body (an empty one is `{}`).
pub(super) fn body<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return serde_json::from_str("{}").map_err(|e| bad(e.to_string()));
    }
    serde_json::from_slice(bytes).map_err(|e| bad(format!("invalid request body: {e}")))
}

#[utoipa::path(post, path = "/key/generate", tag = "keys", request_body = KeyFields, responses((status = 200, description = "A new virtual key (shown once) and its settings", body = serde_json::Value), (status = 401, description = "no key, or a key that may not do this (OpenAI error format)"), (status = 400, description = "a setting that is unknown or invalid")))]
pub async fn generate(
    State(st): St,
    caller: axum::Extension<Caller>,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let owner = own_keys(&st, &caller, true).await?;
    let keys = store(&st)?;
    let mut fields: KeyFields = body(&bytes)?;
    check_fields(&fields)?;
    if let Some(user) = &owner {
        // a user's own key: for that user, and for a team only if the user is a member
        if fields.user_id.as_ref().is_some_and(|u| u != user) {
            return Err(error(ErrorKind::PermissionDenied, 403, "a user may only make keys for itself"));
        }
        fields.user_id = Some(user.clone());
        if let Some(team) = &fields.team_id {
            let member = match &st.teams {
                Some(teams) => teams
                    .get(team)
                    .await
                    .map_err(db_error)?
                    .is_some_and(|t| t.row.read().is_ok_and(|r| r.members().contains(user))),
                None => false,
            };
            if !member {
                return Err(error(
                    ErrorKind::PermissionDenied,
                    403,
                    format!("user {user} is not a member of team {team}"),
                ));
            }
        }
    }
    if let Some(team) = &fields.team_id {
        super::org::check_team(&st, team).await?;
    }
    let key = match fields.key.take() {
        Some(k) if k.starts_with("sk-") && k.len() >= 12 => k,
        Some(_) => return Err(bad("a custom key must start with sk- and be at least 12 characters long")),
        None => new_key().map_err(db_error)?,
    };
    let now = now_secs() as i64;
    let mut row = KeyRow { token: hash_key(&key), key_name: display_name(&key), created_at: now, ..KeyRow::default() };
    apply(&mut row, fields, now);
    keys.insert(row.clone()).await.map_err(|e| if e.contains("exists already") { bad(e) } else { db_error(e) })?;
    let mut out = row.info();
    if let Value::Object(m) = &mut out {
        m.insert("key".into(), Value::String(key));
        m.insert("token_id".into(), Value::String(row.token.clone()));
    }
    Ok(Json(out).into_response())
}

#[derive(Debug, Deserialize)]
pub struct KeyQuery {
    key: Option<String>,
}

async fn find(keys: &KeyStore, key: &str) -> Result<Arc<super::keys::KeyState>, ApiError> {
    keys.get(&hash_key(key)).await.map_err(db_error)?.ok_or_else(|| error(ErrorKind::NotFound, 404, "key not found"))
}

#[utoipa::path(get, path = "/key/info", tag = "keys", params(("key" = Option<String>, Query, description = "the key or its hash (a virtual key may omit it for itself)")), responses((status = 200, description = "A key`s settings and spend", body = serde_json::Value), (status = 401, description = "no key, or a key that may not do this (OpenAI error format)")))]
pub async fn info(
    State(st): St,
    caller: axum::Extension<Caller>,
    Query(q): Query<KeyQuery>,
) -> Result<Response, ApiError> {
    let keys = store(&st)?;
    let state = match (&*caller, q.key.as_deref()) {
        (Caller::Admin | Caller::Viewer, Some(k)) => find(keys, k).await?,
        (Caller::Key(own), None) => own.clone(),
        (Caller::Key(own), Some(k)) if hash_key(k) == own.snapshot().token => own.clone(),
        (Caller::Admin | Caller::Viewer, None) => return Err(bad("pass ?key=<key or its hash>")),
        _ => return Err(error(ErrorKind::Authentication, 401, "a virtual key can only read its own /key/info")),
    };
    let token = state.row.read().map(|r| r.token.clone()).unwrap_or_default();
    st.shared_spend("key", &token, &state.account).await;
    let row = state.snapshot();
    Ok(Json(json!({"key": row.token, "info": row.info()})).into_response())
}

#[derive(Debug, Deserialize)]
struct KeyOnly {
    key: String,
}

#[utoipa::path(post, path = "/key/update", tag = "keys", request_body = KeyFields, responses((status = 200, description = "The key`s new settings", body = serde_json::Value), (status = 401, description = "no key, or a key that may not do this (OpenAI error format)")))]
pub async fn update(
    State(st): St,
    caller: axum::Extension<Caller>,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    admin_only(&caller)?;
    let keys = store(&st)?;
    let mut fields: KeyFields = body(&bytes)?;
    check_fields(&fields)?;
    let key = fields.key.take().ok_or_else(|| bad("`key` is required"))?;
    if let Some(team) = &fields.team_id {
        super::org::check_team(&st, team).await?;
    }
    let state = find(keys, &key).await?;
    let mut row = state.snapshot();
    apply(&mut row, fields, now_secs() as i64);
    keys.save(&row).await.map_err(db_error)?;
    if let Ok(mut r) = state.row.write() {
        *r = row.clone();
    }
    if let Ok(mut a) = state.account.lock() {
        a.reset_at = row.budget_reset_at;
    }
    Ok(Json(row.info()).into_response())
}

async fn set_blocked(st: &ProxyState, caller: &Caller, bytes: &[u8], blocked: bool) -> Result<Response, ApiError> {
    admin_only(caller)?;
    let keys = store(st)?;
    let k: KeyOnly = body(bytes)?;
    let state = find(keys, &k.key).await?;
    let mut row = state.snapshot();
    row.blocked = blocked;
    row.updated_at = now_secs() as i64;
    keys.save(&row).await.map_err(db_error)?;
    if let Ok(mut r) = state.row.write() {
        r.blocked = blocked;
    }
    Ok(Json(row.info()).into_response())
}

#[utoipa::path(post, path = "/key/block", tag = "keys", request_body = serde_json::Value, responses((status = 200, description = "The blocked key (body: {key})", body = serde_json::Value), (status = 401, description = "no key, or a key that may not do this (OpenAI error format)")))]
pub async fn block(
    State(st): St,
    caller: axum::Extension<Caller>,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    set_blocked(&st, &caller, &bytes, true).await
}

#[utoipa::path(post, path = "/key/unblock", tag = "keys", request_body = serde_json::Value, responses((status = 200, description = "The unblocked key (body: {key})", body = serde_json::Value), (status = 401, description = "no key, or a key that may not do this (OpenAI error format)")))]
pub async fn unblock(
    State(st): St,
    caller: axum::Extension<Caller>,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    set_blocked(&st, &caller, &bytes, false).await
}

#[derive(Debug, Deserialize)]
struct DeleteBody {
    #[serde(default)]
    keys: Vec<String>,
    #[serde(default)]
    key_aliases: Vec<String>,
}

#[utoipa::path(post, path = "/key/delete", tag = "keys", request_body = serde_json::Value, responses((status = 200, description = "The deleted keys` hashes (body: keys or key_aliases)", body = serde_json::Value), (status = 401, description = "no key, or a key that may not do this (OpenAI error format)")))]
pub async fn delete(
    State(st): St,
    caller: axum::Extension<Caller>,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let owner = own_keys(&st, &caller, true).await?;
    let keys = store(&st)?;
    let b: DeleteBody = body(&bytes)?;
    let mut tokens: Vec<String> = b.keys.iter().map(|k| hash_key(k)).collect();
    if let Some(user) = &owner {
        for t in &tokens {
            if let Some(k) = keys.get(t).await.map_err(db_error)?
                && k.row.read().map(|r| r.user_id.as_deref() != Some(user.as_str())).unwrap_or(true)
            {
                return Err(error(ErrorKind::PermissionDenied, 403, "a user may only delete its own keys"));
            }
        }
    }
    if !b.key_aliases.is_empty() {
        for row in keys.list(owner.as_deref(), None).await.map_err(db_error)? {
            if row.key_alias.as_ref().is_some_and(|a| b.key_aliases.contains(a)) {
                tokens.push(row.token);
            }
        }
    }
    if tokens.is_empty() {
        return Err(bad("pass `keys` (keys or their hashes) or `key_aliases`"));
    }
    let deleted = keys.delete(&tokens).await.map_err(db_error)?;
    if deleted.is_empty() {
        return Err(error(ErrorKind::NotFound, 404, "none of these keys exist"));
    }
    Ok(Json(json!({"deleted_keys": deleted})).into_response())
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    user_id: Option<String>,
    team_id: Option<String>,
    #[serde(default)]
    return_full_object: bool,
}

#[utoipa::path(get, path = "/key/list", tag = "keys", params(("user_id" = Option<String>, Query, description = "only this user`s"), ("team_id" = Option<String>, Query, description = "only this team`s"), ("return_full_object" = Option<bool>, Query, description = "settings instead of hashes")), responses((status = 200, description = "The keys` hashes, or their settings", body = serde_json::Value), (status = 401, description = "no key, or a key that may not do this (OpenAI error format)")))]
pub async fn list(
    State(st): St,
    caller: axum::Extension<Caller>,
    Query(q): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let owner = own_keys(&st, &caller, false).await?;
    if let (Some(user), Some(asked)) = (&owner, &q.user_id)
        && user != asked
    {
        return Err(error(ErrorKind::PermissionDenied, 403, "a user may only list its own keys"));
    }
    let keys = store(&st)?;
    let user = owner.as_deref().or(q.user_id.as_deref());
    let rows = keys.list(user, q.team_id.as_deref()).await.map_err(db_error)?;
    let items: Vec<Value> =
        rows.iter().map(|r| if q.return_full_object { r.info() } else { Value::String(r.token.clone()) }).collect();
    Ok(Json(json!({"keys": items, "total_count": items.len(), "current_page": 1, "total_pages": 1})).into_response())
}

/// A new key for the same settings and spend; the old one stops working at once.
#[utoipa::path(post, path = "/key/regenerate", tag = "keys", request_body = serde_json::Value, responses((status = 200, description = "A new key for the same settings and spend (body: {key}; also POST /key/KEY/regenerate)", body = serde_json::Value), (status = 401, description = "no key, or a key that may not do this (OpenAI error format)")))]
pub async fn regenerate(
    State(st): St,
    caller: axum::Extension<Caller>,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let r = body::<Regenerate>(&bytes)?;
    let old = r.key.ok_or_else(|| bad("`key` is required"))?;
    regenerate_key(&st, &caller, old, r.grace_period).await
}

/// `/key/regenerate`'s body (the key may be in the path instead).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Regenerate {
    key: Option<String>,
    /// How long the old key keeps working (`"24h"`, `"7d"`); none: it stops at once.
    grace_period: Option<String>,
}

/// `POST /key/{key}/regenerate`: the same, with the key in the path.
pub async fn regenerate_path(
    State(st): St,
    caller: axum::Extension<Caller>,
    Path(key): Path<String>,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let r = if bytes.is_empty() { Regenerate::default() } else { body::<Regenerate>(&bytes)? };
    regenerate_key(&st, &caller, key, r.grace_period).await
}

async fn regenerate_key(
    st: &ProxyState,
    caller: &Caller,
    old: String,
    grace_period: Option<String>,
) -> Result<Response, ApiError> {
    admin_only(caller)?;
    let keys = store(st)?;
    let grace =
        match grace_period.as_deref() {
            None => None,
            Some(g) => Some(duration_secs(g).ok_or_else(|| {
                bad(format!("grace_period {g:?}: use a number and s, m, h, d, w, mo or y (e.g. 24h)"))
            })?),
        };
    let state = find(keys, &old).await?;
    let old_token = state.snapshot().token;
    let new = new_key().map_err(db_error)?;
    let new_token = hash_key(&new);
    keys.rehash(&old_token, &new_token, &display_name(&new)).await.map_err(db_error)?;
    let until = grace.map(|g| now_secs() as i64 + g);
    if let Some(until) = until {
        keys.keep_rotated(&old_token, &new_token, until).await.map_err(db_error)?;
    }
    let mut out = state.snapshot().info();
    if let Value::Object(m) = &mut out {
        m.insert("key".into(), Value::String(new));
        m.insert("previous_token".into(), Value::String(old_token));
        m.insert("previous_key_valid_until".into(), json!(until.map(super::keys::iso)));
    }
    Ok(Json(out).into_response())
}

#[derive(Debug, Deserialize)]
pub struct SpendQuery {
    api_key: Option<String>,
    user_id: Option<String>,
    request_id: Option<String>,
    /// `YYYY-MM-DD` (UTC), inclusive.
    start_date: Option<String>,
    end_date: Option<String>,
}

/// Epoch milliseconds of the start of a UTC day `YYYY-MM-DD`.
pub(super) fn day_ms(text: &str) -> Option<i64> {
    let mut it = text.splitn(3, '-');
    let (y, m, d): (i64, i64, i64) =
        (it.next()?.parse().ok()?, it.next()?.parse().ok()?, it.next()?.get(..2)?.parse().ok()?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    // days from civil (Howard Hinnant)
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some((era * 146_097 + doe - 719_468) * 86_400_000)
}

#[utoipa::path(get, path = "/spend/logs", tag = "spend", params(("api_key" = Option<String>, Query, description = "a key or its hash"), ("user_id" = Option<String>, Query, description = "a user"), ("request_id" = Option<String>, Query, description = "one request"), ("start_date" = Option<String>, Query, description = "YYYY-MM-DD (UTC), inclusive"), ("end_date" = Option<String>, Query, description = "YYYY-MM-DD (UTC), inclusive")), responses((status = 200, description = "The spend ledger, newest first", body = serde_json::Value), (status = 401, description = "no key, or a key that may not do this (OpenAI error format)")))]
pub async fn spend_logs(
    State(st): St,
    caller: axum::Extension<Caller>,
    Query(q): Query<SpendQuery>,
) -> Result<Response, ApiError> {
    admin_only(&caller)?;
    let keys = store(&st)?;
    st.flush_spend().await;
    let mut sql = String::from(
        "SELECT request_id, api_key, user_id, team_id, end_user, model, model_group, call_type, spend, \
         prompt_tokens, completion_tokens, total_tokens, start_time, end_time, status, tags FROM litellm_spend_logs \
         WHERE 1 = 1",
    );
    let mut binds: Vec<Value> = Vec::new();
    if let Some(k) = &q.api_key {
        sql.push_str(" AND api_key = ?");
        binds.push(Value::String(hash_key(k)));
    }
    if let Some(u) = &q.user_id {
        sql.push_str(" AND user_id = ?");
        binds.push(Value::String(u.clone()));
    }
    if let Some(r) = &q.request_id {
        sql.push_str(" AND request_id = ?");
        binds.push(Value::String(r.clone()));
    }
    for (date, op, next_day) in [(&q.start_date, ">=", false), (&q.end_date, "<", true)] {
        if let Some(d) = date {
            let ms = day_ms(d).ok_or_else(|| bad(format!("{d:?} is not a date (YYYY-MM-DD)")))?;
            sql.push_str(&format!(" AND start_time {op} ?"));
            binds.push(json!(if next_day { ms + 86_400_000 } else { ms }));
        }
    }
    sql.push_str(" ORDER BY start_time DESC LIMIT 1000");
    let sql = keys.db.q(&sql).into_owned();
    let mut query = sqlx::query(sqlx::AssertSqlSafe(&*sql));
    for b in binds {
        query = match b {
            Value::String(s) => query.bind(s),
            v => query.bind(v.as_i64().unwrap_or(0)),
        };
    }
    let rows = query.fetch_all(&keys.db.pool).await.map_err(|e| db_error(e.to_string()))?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let get_s = |c: &str| r.try_get::<Option<String>, _>(c).ok().flatten();
        let get_i = |c: &str| r.try_get::<i64, _>(c).unwrap_or(0);
        let tags: Value = get_s("tags").and_then(|t| serde_json::from_str(&t).ok()).unwrap_or(json!([]));
        out.push(json!({
            "request_id": get_s("request_id"),
            "api_key": get_s("api_key"),
            "user": get_s("user_id"),
            "team_id": get_s("team_id"),
            "end_user": get_s("end_user"),
            "model": get_s("model"),
            "model_group": get_s("model_group"),
            "call_type": get_s("call_type"),
            "spend": r.try_get::<f64, _>("spend").unwrap_or(0.0),
            "prompt_tokens": get_i("prompt_tokens"),
            "completion_tokens": get_i("completion_tokens"),
            "total_tokens": get_i("total_tokens"),
            "startTime": super::keys::iso(get_i("start_time") / 1000),
            "endTime": super::keys::iso(get_i("end_time") / 1000),
            "status": get_s("status"),
            "request_tags": tags,
        }));
    }
    Ok(Json(Value::Array(out)).into_response())
}

#[utoipa::path(get, path = "/global/spend", tag = "spend", responses((status = 200, description = "The spend of all keys", body = serde_json::Value), (status = 401, description = "no key, or a key that may not do this (OpenAI error format)")))]
pub async fn global_spend(State(st): St, caller: axum::Extension<Caller>) -> Result<Response, ApiError> {
    admin_only(&caller)?;
    let keys = store(&st)?;
    st.flush_spend().await;
    // the daily rollups: kept with disable_spend_logs too
    let total: Option<f64> = sqlx::query_scalar("SELECT SUM(spend) FROM litellm_daily_spend")
        .fetch_one(&keys.db.pool)
        .await
        .map_err(|e| db_error(e.to_string()))?;
    Ok((StatusCode::OK, Json(json!({"spend": total.unwrap_or(0.0), "max_budget": Value::Null}))).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_to_ms() {
        assert_eq!(day_ms("1970-01-01"), Some(0));
        assert_eq!(day_ms("2026-11-26"), Some(1_795_651_200_000));
        assert_eq!(day_ms("2026-13-01"), None);
        assert_eq!(day_ms("nope"), None);
    }
}
