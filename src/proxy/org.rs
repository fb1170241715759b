//! User and team routes: `/user/new|info|update|delete|list`,
//! `/team/new|info|update|delete|list|member_add|member_delete|block|unblock`. Master key only.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::admin::{admin_only, bad, body as parse, db_error as internal, error};
use super::keys::{KeyRow, display_name, hash_key, new_key};
use super::owners::{Kind, OwnerRow, OwnerStore};
use super::{ApiError, Caller, ProxyState};
use crate::error::ErrorKind;
use crate::util::now_secs;

type St = State<Arc<ProxyState>>;

const ROLES: &[&str] = &["proxy_admin", "proxy_admin_viewer", "internal_user", "internal_user_viewer"];

fn store(st: &ProxyState, kind: Kind) -> Result<&OwnerStore, ApiError> {
    let s = match kind {
        Kind::User => st.users.as_deref(),
        Kind::Team => st.teams.as_deref(),
        Kind::Customer => st.customers.as_deref(),
    };
    s.ok_or_else(|| bad("users and teams need a master key: set general_settings.master_key (or LITELLM_MASTER_KEY)"))
}

/// The settings of a user or team (`/user/new`, `/team/update`, ...).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Fields {
    #[serde(alias = "user_id", alias = "team_id")]
    id: Option<String>,
    #[serde(alias = "user_alias", alias = "team_alias")]
    alias: Option<String>,
    models: Option<Vec<String>>,
    max_budget: Option<f64>,
    /// Crossing it sends a budget alert.
    soft_budget: Option<f64>,
    budget_duration: Option<String>,
    tpm_limit: Option<i64>,
    rpm_limit: Option<i64>,
    max_parallel_requests: Option<i64>,
    #[schema(value_type = Option<Object>)]
    metadata: Option<Map<String, Value>>,
    blocked: Option<bool>,
    // users
    user_email: Option<String>,
    user_role: Option<String>,
    /// Teams the new user joins.
    teams: Option<Vec<String>>,
    /// `/user/new` makes a key for the user unless this is false.
    auto_create_key: Option<bool>,
    key_alias: Option<String>,
    // teams
    #[schema(value_type = Option<Vec<Object>>)]
    members_with_roles: Option<Vec<Value>>,
}

fn check(f: &Fields, kind: Kind) -> Result<(), ApiError> {
    super::admin::check_settings(
        &[("max_budget", f.max_budget), ("soft_budget", f.soft_budget)],
        &[("tpm_limit", f.tpm_limit), ("rpm_limit", f.rpm_limit), ("max_parallel_requests", f.max_parallel_requests)],
        &[("budget_duration", f.budget_duration.as_ref())],
    )?;
    if let Some(r) = &f.user_role
        && !ROLES.contains(&r.as_str())
    {
        return Err(bad(format!("user_role {r:?}: one of {}", ROLES.join(", "))));
    }
    let user_only = f.user_email.is_some() || f.user_role.is_some() || f.teams.is_some() || f.auto_create_key.is_some();
    if kind == Kind::Team && (user_only || f.key_alias.is_some()) {
        return Err(bad("user_email, user_role, teams, auto_create_key and key_alias are user settings"));
    }
    if kind == Kind::User && f.members_with_roles.is_some() {
        return Err(bad("members_with_roles is a team setting"));
    }
    for m in f.members_with_roles.iter().flatten() {
        if !m.get("user_id").is_some_and(Value::is_string) {
            return Err(bad("each of members_with_roles needs a user_id"));
        }
    }
    Ok(())
}

fn apply(row: &mut OwnerRow, f: &Fields, now: i64) {
    if let Some(v) = &f.alias {
        row.alias = Some(v.clone());
    }
    if let Some(v) = &f.models {
        row.models = v.clone();
    }
    row.set_limits(
        [f.max_budget, f.soft_budget],
        f.budget_duration.as_ref(),
        [f.tpm_limit, f.rpm_limit, f.max_parallel_requests],
        now,
    );
    if let Some(v) = &f.metadata {
        row.metadata = v.clone();
    }
    if let Some(v) = f.blocked {
        row.blocked = v;
    }
    if let Some(v) = &f.user_email {
        row.info.insert("user_email".into(), json!(v));
    }
    if let Some(v) = &f.user_role {
        row.info.insert("user_role".into(), json!(v));
    }
    if let Some(v) = &f.members_with_roles {
        let members: Vec<Value> = v
            .iter()
            .map(|m| json!({"user_id": m["user_id"], "role": m.get("role").cloned().unwrap_or(json!("user"))}))
            .collect();
        row.info.insert("members_with_roles".into(), Value::Array(members));
    }
    row.updated_at = now;
}

async fn create(st: &ProxyState, kind: Kind, f: &Fields) -> Result<OwnerRow, ApiError> {
    check(f, kind)?;
    let now = now_secs() as i64;
    let id = f.id.clone().unwrap_or_else(uuid_like);
    let mut row = OwnerRow { id, created_at: now, ..OwnerRow::default() };
    if kind == Kind::User {
        row.info.insert("user_role".into(), json!("internal_user"));
    } else {
        row.info.insert("members_with_roles".into(), json!([]));
    }
    apply(&mut row, f, now);
    store(st, kind)?
        .insert(row.clone())
        .await
        .map_err(|e| if e.contains("exists already") { bad(e) } else { internal(e) })?;
    Ok(row)
}

/// A random id for a user or team created without one.
fn uuid_like() -> String {
    let mut b = [0u8; 16];
    let _ = getrandom::fill(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

async fn find(st: &ProxyState, kind: Kind, id: &str) -> Result<Arc<super::owners::Owner>, ApiError> {
    store(st, kind)?
        .get(id)
        .await
        .map_err(internal)?
        .ok_or_else(|| error(ErrorKind::NotFound, 404, format!("{} {id:?} not found", kind.name())))
}

async fn update(st: &ProxyState, kind: Kind, f: Fields) -> Result<OwnerRow, ApiError> {
    check(&f, kind)?;
    let id = f.id.clone().ok_or_else(|| bad(format!("`{}` is required", kind.id_field())))?;
    let owner = find(st, kind, &id).await?;
    let mut row = owner.snapshot();
    apply(&mut row, &f, now_secs() as i64);
    store(st, kind)?.save(&owner, row.clone()).await.map_err(internal)?;
    Ok(row)
}

fn keys_json(rows: &[KeyRow]) -> Vec<Value> {
    rows.iter().map(KeyRow::info).collect()
}

// -- users ------------------------------------------------------------------------------------

#[utoipa::path(post, path = "/user/new", tag = "users", request_body = Fields, responses((status = 200, description = "A new user (and a key for it)", body = serde_json::Value), (status = 401, description = "no key, or a key that may not do this (OpenAI error format)")))]
pub async fn user_new(State(st): St, caller: axum::Extension<Caller>, body: Bytes) -> Result<Response, ApiError> {
    admin_only(&caller)?;
    let f: Fields = parse(&body)?;
    for team in f.teams.iter().flatten() {
        find(&st, Kind::Team, team).await?;
    }
    let row = create(&st, Kind::User, &f).await?;
    for team in f.teams.iter().flatten() {
        add_members(&st, team, &[json!({"user_id": row.id, "role": "user"})]).await?;
    }
    let mut out = row.to_json(Kind::User);
    if f.auto_create_key != Some(false) {
        let keys = st.keys.as_deref().ok_or_else(|| bad("no key store"))?;
        let key = new_key().map_err(internal)?;
        let now = now_secs() as i64;
        let key_row = KeyRow {
            token: hash_key(&key),
            key_name: display_name(&key),
            key_alias: f.key_alias.clone(),
            user_id: Some(row.id.clone()),
            models: row.models.clone(),
            created_at: now,
            updated_at: now,
            ..KeyRow::default()
        };
        keys.insert(key_row).await.map_err(|e| if e.contains("exists already") { bad(e) } else { internal(e) })?;
        if let Value::Object(m) = &mut out {
            m.insert("key".into(), Value::String(key));
        }
    }
    Ok(Json(out).into_response())
}

#[derive(Debug, Deserialize)]
pub struct IdQuery {
    user_id: Option<String>,
    team_id: Option<String>,
}

#[utoipa::path(get, path = "/user/info", tag = "users", params(("user_id" = Option<String>, Query, description = "the user (a key may omit it for its own)")), responses((status = 200, description = "A user, its keys and its teams", body = serde_json::Value), (status = 401, description = "no key, or a key that may not do this (OpenAI error format)")))]
pub async fn user_info(
    State(st): St,
    caller: axum::Extension<Caller>,
    Query(q): Query<IdQuery>,
) -> Result<Response, ApiError> {
    let id = match (&*caller, q.user_id) {
        (Caller::Admin | Caller::Viewer, Some(id)) => id,
        (Caller::Key(k), None) => k.snapshot().user_id.ok_or_else(|| bad("this key belongs to no user"))?,
        (Caller::Key(k), Some(id)) if k.snapshot().user_id.as_deref() == Some(id.as_str()) => id,
        (Caller::Admin | Caller::Viewer, None) => return Err(bad("pass ?user_id=")),
        _ => return Err(error(ErrorKind::Authentication, 401, "a key can only read its own user's /user/info")),
    };
    let user = find(&st, Kind::User, &id).await?;
    st.shared_spend("user", &id, &user.account).await;
    let user = user.snapshot();
    let keys = st.keys.as_deref().ok_or_else(|| bad("no key store"))?.list(Some(&id), None).await.map_err(internal)?;
    let mut teams = Vec::new();
    for t in store(&st, Kind::Team)?.list().await.map_err(internal)? {
        if t.members().contains(&id) {
            teams.push(t.to_json(Kind::Team));
        }
    }
    Ok(Json(json!({"user_id": id, "user_info": user.to_json(Kind::User), "keys": keys_json(&keys), "teams": teams}))
        .into_response())
}

#[utoipa::path(post, path = "/user/update", tag = "users", request_body = Fields, responses((status = 200, description = "The user`s new settings", body = serde_json::Value), (status = 401, description = "no key, or a key that may not do this (OpenAI error format)")))]
pub async fn user_update(State(st): St, caller: axum::Extension<Caller>, body: Bytes) -> Result<Response, ApiError> {
    admin_only(&caller)?;
    Ok(Json(update(&st, Kind::User, parse(&body)?).await?.to_json(Kind::User)).into_response())
}

#[derive(Debug, Deserialize)]
struct DeleteUsers {
    user_ids: Vec<String>,
}

#[utoipa::path(post, path = "/user/delete", tag = "users", request_body = serde_json::Value, responses((status = 200, description = "Deleted users (body: {user_ids: [...]}) and their keys", body = serde_json::Value), (status = 401, description = "no key, or a key that may not do this (OpenAI error format)")))]
pub async fn user_delete(State(st): St, caller: axum::Extension<Caller>, body: Bytes) -> Result<Response, ApiError> {
    admin_only(&caller)?;
    let d: DeleteUsers = parse(&body)?;
    let keys = st.keys.as_deref().ok_or_else(|| bad("no key store"))?;
    for id in &d.user_ids {
        let tokens: Vec<String> =
            keys.list(Some(id), None).await.map_err(internal)?.into_iter().map(|r| r.token).collect();
        keys.delete(&tokens).await.map_err(internal)?;
    }
    let deleted = store(&st, Kind::User)?.delete(&d.user_ids).await.map_err(internal)?;
    Ok(Json(json!({"deleted_users": deleted})).into_response())
}

#[utoipa::path(get, path = "/user/list", tag = "users", responses((status = 200, description = "Every user", body = serde_json::Value), (status = 401, description = "no key, or a key that may not do this (OpenAI error format)")))]
pub async fn user_list(State(st): St, caller: axum::Extension<Caller>) -> Result<Response, ApiError> {
    admin_only(&caller)?;
    let users: Vec<Value> =
        store(&st, Kind::User)?.list().await.map_err(internal)?.iter().map(|u| u.to_json(Kind::User)).collect();
    Ok(Json(json!({"users": users, "total": users.len(), "page": 1, "total_pages": 1})).into_response())
}

// -- teams ------------------------------------------------------------------------------------

#[utoipa::path(post, path = "/team/new", tag = "teams", request_body = Fields, responses((status = 200, description = "A new team", body = serde_json::Value), (status = 401, description = "no key, or a key that may not do this (OpenAI error format)")))]
pub async fn team_new(State(st): St, caller: axum::Extension<Caller>, body: Bytes) -> Result<Response, ApiError> {
    admin_only(&caller)?;
    let f: Fields = parse(&body)?;
    Ok(Json(create(&st, Kind::Team, &f).await?.to_json(Kind::Team)).into_response())
}

#[utoipa::path(get, path = "/team/info", tag = "teams", params(("team_id" = Option<String>, Query, description = "the team (a key may omit it for its own)")), responses((status = 200, description = "A team and its keys", body = serde_json::Value), (status = 401, description = "no key, or a key that may not do this (OpenAI error format)")))]
pub async fn team_info(
    State(st): St,
    caller: axum::Extension<Caller>,
    Query(q): Query<IdQuery>,
) -> Result<Response, ApiError> {
    let id = match (&*caller, q.team_id) {
        (Caller::Admin | Caller::Viewer, Some(id)) => id,
        (Caller::Key(k), None) => k.snapshot().team_id.ok_or_else(|| bad("this key belongs to no team"))?,
        (Caller::Key(k), Some(id)) if k.snapshot().team_id.as_deref() == Some(id.as_str()) => id,
        (Caller::Admin | Caller::Viewer, None) => return Err(bad("pass ?team_id=")),
        _ => return Err(error(ErrorKind::Authentication, 401, "a key can only read its own team's /team/info")),
    };
    let team = find(&st, Kind::Team, &id).await?;
    st.shared_spend("team", &id, &team.account).await;
    let team = team.snapshot();
    let keys = st.keys.as_deref().ok_or_else(|| bad("no key store"))?.list(None, Some(&id)).await.map_err(internal)?;
    Ok(Json(json!({"team_id": id, "team_info": team.to_json(Kind::Team), "keys": keys_json(&keys)})).into_response())
}

#[utoipa::path(post, path = "/team/update", tag = "teams", request_body = Fields, responses((status = 200, description = "The team`s new settings", body = serde_json::Value), (status = 401, description = "no key, or a key that may not do this (OpenAI error format)")))]
pub async fn team_update(State(st): St, caller: axum::Extension<Caller>, body: Bytes) -> Result<Response, ApiError> {
    admin_only(&caller)?;
    Ok(Json(update(&st, Kind::Team, parse(&body)?).await?.to_json(Kind::Team)).into_response())
}

#[derive(Debug, Deserialize)]
struct DeleteTeams {
    team_ids: Vec<String>,
}

#[utoipa::path(post, path = "/team/delete", tag = "teams", request_body = serde_json::Value, responses((status = 200, description = "Deleted teams (body: {team_ids: [...]}) and their keys", body = serde_json::Value), (status = 401, description = "no key, or a key that may not do this (OpenAI error format)")))]
pub async fn team_delete(State(st): St, caller: axum::Extension<Caller>, body: Bytes) -> Result<Response, ApiError> {
    admin_only(&caller)?;
    let d: DeleteTeams = parse(&body)?;
    let keys = st.keys.as_deref().ok_or_else(|| bad("no key store"))?;
    let mut deleted_keys = Vec::new();
    for id in &d.team_ids {
        deleted_keys.extend(keys.delete_team_keys(id).await.map_err(internal)?);
    }
    let deleted = store(&st, Kind::Team)?.delete(&d.team_ids).await.map_err(internal)?;
    Ok(Json(json!({"deleted_teams": deleted, "deleted_keys": deleted_keys})).into_response())
}

#[utoipa::path(get, path = "/team/list", tag = "teams", responses((status = 200, description = "Every team", body = serde_json::Value), (status = 401, description = "no key, or a key that may not do this (OpenAI error format)")))]
pub async fn team_list(State(st): St, caller: axum::Extension<Caller>) -> Result<Response, ApiError> {
    admin_only(&caller)?;
    let teams: Vec<Value> =
        store(&st, Kind::Team)?.list().await.map_err(internal)?.iter().map(|t| t.to_json(Kind::Team)).collect();
    Ok(Json(Value::Array(teams)).into_response())
}

async fn add_members(st: &ProxyState, team_id: &str, new: &[Value]) -> Result<OwnerRow, ApiError> {
    let team = find(st, Kind::Team, team_id).await?;
    let mut row = team.snapshot();
    let mut members: Vec<Value> =
        row.info.get("members_with_roles").and_then(Value::as_array).cloned().unwrap_or_default();
    for m in new {
        let Some(user_id) = m.get("user_id").and_then(Value::as_str) else {
            return Err(bad("a member needs a user_id"));
        };
        members.retain(|x| x.get("user_id").and_then(Value::as_str) != Some(user_id));
        members.push(json!({"user_id": user_id, "role": m.get("role").cloned().unwrap_or(json!("user"))}));
    }
    row.info.insert("members_with_roles".into(), Value::Array(members));
    row.updated_at = now_secs() as i64;
    store(st, Kind::Team)?.save(&team, row.clone()).await.map_err(internal)?;
    Ok(row)
}

#[derive(Debug, Deserialize)]
struct MemberAdd {
    team_id: String,
    member: Value,
}

#[utoipa::path(post, path = "/team/member_add", tag = "teams", request_body = serde_json::Value, responses((status = 200, description = "The team with its new members (body: {team_id, member})", body = serde_json::Value), (status = 401, description = "no key, or a key that may not do this (OpenAI error format)")))]
pub async fn team_member_add(
    State(st): St,
    caller: axum::Extension<Caller>,
    body: Bytes,
) -> Result<Response, ApiError> {
    admin_only(&caller)?;
    let m: MemberAdd = parse(&body)?;
    let members = match m.member {
        Value::Array(a) => a,
        one => vec![one],
    };
    Ok(Json(add_members(&st, &m.team_id, &members).await?.to_json(Kind::Team)).into_response())
}

#[derive(Debug, Deserialize)]
struct MemberDelete {
    team_id: String,
    user_id: String,
}

#[utoipa::path(post, path = "/team/member_delete", tag = "teams", request_body = serde_json::Value, responses((status = 200, description = "The team without the member (body: {team_id, user_id})", body = serde_json::Value), (status = 401, description = "no key, or a key that may not do this (OpenAI error format)")))]
pub async fn team_member_delete(
    State(st): St,
    caller: axum::Extension<Caller>,
    body: Bytes,
) -> Result<Response, ApiError> {
    admin_only(&caller)?;
    let m: MemberDelete = parse(&body)?;
    let team = find(&st, Kind::Team, &m.team_id).await?;
    let mut row = team.snapshot();
    let mut members: Vec<Value> =
        row.info.get("members_with_roles").and_then(Value::as_array).cloned().unwrap_or_default();
    let before = members.len();
    members.retain(|x| x.get("user_id").and_then(Value::as_str) != Some(m.user_id.as_str()));
    if members.len() == before {
        return Err(error(
            ErrorKind::NotFound,
            404,
            format!("{:?} is not a member of team {:?}", m.user_id, m.team_id),
        ));
    }
    row.info.insert("members_with_roles".into(), Value::Array(members));
    row.updated_at = now_secs() as i64;
    store(&st, Kind::Team)?.save(&team, row.clone()).await.map_err(internal)?;
    Ok(Json(row.to_json(Kind::Team)).into_response())
}

#[derive(Debug, Deserialize)]
struct TeamOnly {
    team_id: String,
}

async fn set_team_blocked(st: &ProxyState, caller: &Caller, body: &[u8], blocked: bool) -> Result<Response, ApiError> {
    admin_only(caller)?;
    let t: TeamOnly = parse(body)?;
    let team = find(st, Kind::Team, &t.team_id).await?;
    let mut row = team.snapshot();
    row.blocked = blocked;
    row.updated_at = now_secs() as i64;
    store(st, Kind::Team)?.save(&team, row.clone()).await.map_err(internal)?;
    Ok(Json(row.to_json(Kind::Team)).into_response())
}

#[utoipa::path(post, path = "/team/block", tag = "teams", request_body = serde_json::Value, responses((status = 200, description = "The blocked team (body: {team_id})", body = serde_json::Value), (status = 401, description = "no key, or a key that may not do this (OpenAI error format)")))]
pub async fn team_block(State(st): St, caller: axum::Extension<Caller>, body: Bytes) -> Result<Response, ApiError> {
    set_team_blocked(&st, &caller, &body, true).await
}

#[utoipa::path(post, path = "/team/unblock", tag = "teams", request_body = serde_json::Value, responses((status = 200, description = "The unblocked team (body: {team_id})", body = serde_json::Value), (status = 401, description = "no key, or a key that may not do this (OpenAI error format)")))]
pub async fn team_unblock(State(st): St, caller: axum::Extension<Caller>, body: Bytes) -> Result<Response, ApiError> {
    set_team_blocked(&st, &caller, &body, false).await
}

/// A key's team must exist (keys of unknown teams would escape the team's budget).
pub async fn check_team(st: &ProxyState, team_id: &str) -> Result<(), ApiError> {
    find(st, Kind::Team, team_id)
        .await
        .map(|_| ())
        .map_err(|_| bad(format!("team {team_id:?} does not exist: create it with /team/new")))
}
