//! The proxy's routes: OpenAI's endpoints (with and without `/v1`), models, health, and the
//! master-key check in front of everything but the liveness probes, the OpenAPI document and
//! the `/ui` page.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Instant;

use axum::Extension;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Map, Value, json};

use super::keys::hash_key;
use super::ledger::SpendRow;
use super::limits::Ticket;
use super::openapi::{ChatCompletionBody, CompletionBody, EmbeddingBody, TokenCounterBody};
#[allow(unused_imports)] // named by the #[utoipa::path] attributes
use super::owners::{Kind, Owner};
use super::{ApiError, Caller, ProxyState, admin, customers, error_body, org};
use crate::callbacks::{CallLog, Deferred, Ended, StreamLog};
use crate::engine::{self, CallOptions, ChunkStream, Hidden};
use crate::error::{ErrorKind, LlmError};
use crate::router::{CallMaps, Routable};
use crate::types::{ChatRequest, EmbeddingRequest, TextCompletionRequest};

pub(super) type St = State<Arc<ProxyState>>;

/// Body fields that are litellm's call options, not the upstream request.
const CALL_KEYS: &[&str] = &[
    "metadata",
    "tags",
    "mock_response",
    "mock_testing_fallbacks",
    "num_retries",
    "fallbacks",
    "caching",
    "cache",
    "litellm_call_id",
    "litellm_trace_id",
    "litellm_session_id",
    "drop_params",
    "timeout",
    "stream_timeout",
]; // fmt: skip

pub fn app(state: Arc<ProxyState>) -> axum::Router {
    let api = axum::Router::new()
        .route("/v1/chat/completions", post(chat))
        .route("/chat/completions", post(chat))
        .route("/openai/deployments/{model}/chat/completions", post(chat_deployment))
        .route("/v1/completions", post(completions))
        .route("/completions", post(completions))
        .route("/v1/messages", post(super::messages::messages))
        .route("/messages", post(super::messages::messages))
        .route("/v1/embeddings", post(embeddings))
        .route("/embeddings", post(embeddings))
        .route("/v1/models", get(models))
        .route("/models", get(models))
        .route("/v1/models/{id}", get(model))
        .route("/models/{id}", get(model))
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .route("/model/info", get(model_info))
        .route("/model/new", post(super::models::model_new))
        .route("/model/update", post(super::models::model_update))
        .route("/model/delete", post(super::models::model_delete))
        .route("/model_group/info", get(super::models::model_group_info))
        .route("/audit/logs", get(super::audit::audit_logs))
        .route("/v1/model/info", get(model_info))
        .route("/utils/token_counter", post(token_counter))
        .route("/key/generate", post(admin::generate))
        .route("/key/info", get(admin::info))
        .route("/key/update", post(admin::update))
        .route("/key/delete", post(admin::delete))
        .route("/key/list", get(admin::list))
        .route("/key/block", post(admin::block))
        .route("/key/unblock", post(admin::unblock))
        .route("/key/regenerate", post(admin::regenerate))
        .route("/key/{key}/regenerate", post(admin::regenerate_path))
        .route("/spend/logs", get(admin::spend_logs))
        .route("/global/spend", get(admin::global_spend))
        .route("/user/daily/activity", get(super::activity::user_activity))
        .route("/team/daily/activity", get(super::activity::team_activity))
        .route("/tag/daily/activity", get(super::activity::tag_activity))
        .route("/customer/daily/activity", get(super::activity::customer_activity))
        .route("/user/new", post(org::user_new))
        .route("/user/info", get(org::user_info))
        .route("/user/update", post(org::user_update))
        .route("/user/delete", post(org::user_delete))
        .route("/user/list", get(org::user_list))
        .route("/team/new", post(org::team_new))
        .route("/team/info", get(org::team_info))
        .route("/team/update", post(org::team_update))
        .route("/team/delete", post(org::team_delete))
        .route("/team/list", get(org::team_list))
        .route("/team/member_add", post(org::team_member_add))
        .route("/team/member_delete", post(org::team_member_delete))
        .route("/team/block", post(org::team_block))
        .route("/team/unblock", post(org::team_unblock))
        .route("/customer/new", post(customers::customer_new))
        .route("/customer/info", get(customers::customer_info))
        .route("/customer/update", post(customers::customer_update))
        .route("/customer/delete", post(customers::customer_delete))
        .route("/customer/list", get(customers::customer_list))
        .route("/customer/block", post(customers::customer_block))
        .route("/customer/unblock", post(customers::customer_unblock))
        .route("/budget/new", post(customers::budget_new))
        .route("/budget/info", post(customers::budget_info))
        .route("/budget/update", post(customers::budget_update))
        .route("/budget/delete", post(customers::budget_delete))
        .route("/budget/list", get(customers::budget_list))
        .route_layer(middleware::from_fn_with_state(state.clone(), auth));
    axum::Router::new()
        .merge(api)
        .route("/health/liveliness", get(live))
        .route("/health/liveness", get(live))
        .route("/health/readiness", get(ready))
        // the OpenAPI document and Swagger UI: public, like the probes
        .merge(utoipa_swagger_ui::SwaggerUi::new("/docs").url("/openapi.json", super::openapi::document()))
        // the page (static; it holds no data and calls the API above with the key typed into it)
        .merge(super::ui::routes())
        .fallback(not_found)
        .with_state(state)
}

fn bad(msg: impl Into<String>) -> ApiError {
    ApiError(LlmError::bad_request(msg))
}

/// The key a request presents: `Authorization: Bearer`, `x-litellm-api-key`, `api-key` or
/// `x-api-key`.
fn presented_key(headers: &HeaderMap) -> Option<&str> {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    get("authorization")
        .map(|a| a.strip_prefix("Bearer ").or_else(|| a.strip_prefix("bearer ")).unwrap_or(a).trim())
        .or_else(|| get("x-litellm-api-key").map(|a| a.strip_prefix("Bearer ").unwrap_or(a)))
        .or_else(|| get("api-key"))
        // Anthropic's SDKs (for /v1/messages)
        .or_else(|| get("x-api-key"))
        .filter(|k| !k.is_empty())
}

/// Compares without leaking where two keys differ through timing.
fn same_key(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn unauthorized(message: impl Into<String>) -> ApiError {
    let mut e = LlmError::new(ErrorKind::Authentication, message);
    e.status = 401;
    ApiError(e)
}

/// A virtual key: known, not blocked, not expired.
async fn virtual_key(st: &ProxyState, key: &str) -> Result<Caller, ApiError> {
    let Some(store) = &st.keys else { return Err(invalid_key()) };
    let token = hash_key(key);
    let found = store.get(&token).await.map_err(|e| ApiError(LlmError::new(ErrorKind::ServiceUnavailable, e)))?;
    match found.ok_or_else(invalid_key).and_then(usable) {
        // refused on what this instance knows: another instance may have changed it since
        Err(e) if st.reload_if_stale().await => {
            let found =
                store.get(&token).await.map_err(|e| ApiError(LlmError::new(ErrorKind::ServiceUnavailable, e)))?;
            found.ok_or(e).and_then(usable)
        }
        checked => checked,
    }
}

fn invalid_key() -> ApiError {
    unauthorized(
        "Authentication Error, Invalid proxy server token passed. Pass a valid key in the Authorization header: \
         Bearer <key>",
    )
}

/// A known key that is neither blocked nor expired.
fn usable(state: Arc<super::keys::KeyState>) -> Result<Caller, ApiError> {
    {
        let row = state.row.read().map_err(|_| invalid_key())?;
        if row.blocked {
            return Err(unauthorized(
                "Authentication Error - Key is blocked. Update via `/key/unblock` if you're admin.",
            ));
        }
        if row.expired(crate::util::now_secs() as i64) {
            let at = row.expires.map(super::keys::iso).unwrap_or_default();
            return Err(unauthorized(format!("Authentication Error - Expired Key. Key Expiry time {at}")));
        }
    }
    Ok(Caller::Key(state))
}

/// The caller a JWT names (with `enable_jwt_auth`).
async fn jwt_caller(st: &ProxyState, jwt: &super::jwt::JwtAuth, token: &str) -> Result<Caller, ApiError> {
    let who = jwt.verify(token).await.map_err(unauthorized)?;
    Ok(match who.role {
        super::jwt::Role::Admin => Caller::Admin,
        super::jwt::Role::Viewer => Caller::Viewer,
        super::jwt::Role::Member => {
            // a team named by a token must be one the proxy knows (its budget and models apply)
            if let (Some(team), Some(teams)) = (&who.team_id, &st.teams) {
                let found =
                    teams.get(team).await.map_err(|e| ApiError(LlmError::new(ErrorKind::ServiceUnavailable, e)))?;
                if found.is_none() {
                    return Err(unauthorized(format!(
                        "Authentication Error, the JWT's team {team:?} is not a team of this proxy (/team/new)"
                    )));
                }
            }
            Caller::Key(jwt.member(&who))
        }
    })
}

/// Whether a route is one a `proxy_admin_viewer` may use: reads only.
fn viewer_may(method: &axum::http::Method) -> bool {
    method == axum::http::Method::GET || method == axum::http::Method::HEAD
}

async fn auth(State(st): St, mut req: Request, next: Next) -> Response {
    let caller = match &st.master_key {
        None => Caller::Open,
        Some(master) => match presented_key(req.headers()).map(str::to_owned) {
            Some(k) if same_key(&k, master) => Caller::Admin,
            Some(k) if st.jwt.is_some() && super::jwt::JwtAuth::looks_like_jwt(&k) => {
                let Some(jwt) = &st.jwt else { return invalid_key().into_response() };
                match jwt_caller(&st, jwt, &k).await {
                    Ok(c) => c,
                    Err(e) => return e.into_response(),
                }
            }
            Some(k) => match virtual_key(&st, &k).await {
                Ok(c) => c,
                Err(e) => return e.into_response(),
            },
            None => {
                return unauthorized(
                    "Authentication Error, No api key passed in. Pass it in the Authorization header: Bearer <key>",
                )
                .into_response();
            }
        },
    };
    if matches!(caller, Caller::Viewer) && !viewer_may(req.method()) {
        let mut e = LlmError::new(
            ErrorKind::PermissionDenied,
            format!("a proxy_admin_viewer may only read: {} {} is refused", req.method(), req.uri().path()),
        );
        e.status = 403;
        return ApiError(e).into_response();
    }
    // a change to keys, users or teams: other instances read theirs again before admitting
    let changes = st.shared.is_some()
        && req.method() == axum::http::Method::POST
        && ["/key/", "/user/", "/team/", "/customer/", "/budget/"].iter().any(|p| req.uri().path().starts_with(p))
        // (what is new is in no cache yet)
        && !(req.uri().path().ends_with("/generate") || req.uri().path().ends_with("/new"));
    // a change through the management routes goes into the audit log (with a database)
    let audited = match &st.keys {
        Some(keys)
            if req.method() == axum::http::Method::POST
                && super::audit::AUDITED.iter().any(|p| req.uri().path().starts_with(p)) =>
        {
            Some(keys.db.clone())
        }
        _ => None,
    };
    let changed_by = match &caller {
        Caller::Admin => "proxy_admin",
        Caller::Viewer => "proxy_admin_viewer",
        Caller::Key(_) => "virtual_key",
        Caller::Open => "open",
    };
    req.extensions_mut().insert(caller);
    let Some(db) = audited else {
        let response = next.run(req).await;
        if changes
            && response.status().is_success()
            && let Some(shared) = &st.shared
        {
            shared.bump_generation().await;
        }
        return response;
    };
    // management bodies are small: read whole, the request's and the answer's
    let route = req.uri().path().to_owned();
    let credential = presented_key(req.headers()).map(str::to_owned);
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
        return bad("the request body is too large (1 MB at most)").into_response();
    };
    let mut request: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    // `/key/{key}/regenerate` names the key in its path: the log keeps the route and the key's hash
    let route = match route.strip_prefix("/key/").and_then(|r| r.strip_suffix("/regenerate")) {
        Some(key) if !key.is_empty() => {
            let mut m = request.as_object().cloned().unwrap_or_default();
            m.insert("key".into(), Value::String(key.to_owned()));
            request = Value::Object(m);
            "/key/regenerate".to_owned()
        }
        _ => route,
    };
    let response = next.run(Request::from_parts(parts, Body::from(bytes))).await;
    if !response.status().is_success() {
        return response;
    }
    if changes && let Some(shared) = &st.shared {
        shared.bump_generation().await;
    }
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, 16 << 20).await.unwrap_or_default();
    let answer: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let status = parts.status.as_u16();
    super::audit::record(db, super::audit::Entry { route, changed_by, credential, request, answer, status });
    Response::from_parts(parts, Body::from(bytes))
}

/// Admits a virtual key's request: the model is allowed (by the key, its user and its team), and
/// the limits and budgets of the key, its user and its team all have room for it. The request's
/// maximum cost is reserved on all three accounts in one step, under their locks (taken in the
/// order key, user, team), until it ends.
async fn admit(
    st: &ProxyState,
    caller: &Caller,
    m: &Map<String, Value>,
    body_len: usize,
    fallbacks: &[String],
) -> Result<Option<Admission>, ApiError> {
    let mut key = match caller {
        Caller::Key(key) => key.clone(),
        Caller::Admin => {
            // the master key's calls are in the spend ledger too (under its hash), without limits
            // of their own; a customer they name is held to its limits
            let (Some(master), Some(hash)) = (&st.master_state, &st.master_hash) else { return Ok(None) };
            let names_customer = match (m.get("user").and_then(Value::as_str), &st.customers) {
                (Some(u), Some(customers)) if !u.is_empty() => customers
                    .get(u)
                    .await
                    .map_err(|e| ApiError(LlmError::new(ErrorKind::ServiceUnavailable, e)))?
                    .is_some(),
                _ => false,
            };
            if !names_customer {
                return Ok(Some(Admission {
                    ticket: Ticket::new(Vec::new(), 0.0, None),
                    key: None,
                    token: hash.clone(),
                    user_id: None,
                    team_id: None,
                    owners: Vec::new(),
                    labels: Labels::default(),
                    started_ms: crate::util::now_ms() as i64,
                }));
            }
            master.clone()
        }
        _ => return Ok(None),
    };
    for _ in 0..3 {
        let attempt = match admit_key(st, &key, m, body_len, fallbacks).await {
            // refused on what this instance knows (model access, a blocked team): another
            // instance may have changed it since
            Err(e) if e.0.status == 401 && st.reload_if_stale().await => {
                let token = key.row.read().map(|r| r.token.clone()).map_err(|_| invalid_key())?;
                let Some(keys) = &st.keys else { return Err(e) };
                let fresh =
                    keys.get(&token).await.map_err(|e| ApiError(LlmError::new(ErrorKind::ServiceUnavailable, e)))?;
                let Caller::Key(fresh) = fresh.ok_or(e).and_then(usable)? else { return Err(invalid_key()) };
                key = fresh;
                continue;
            }
            other => other?,
        };
        match attempt {
            Ok(admission) => return Ok(Some(admission)),
            Err(generation) => {
                // another instance changed keys, users or teams: read them again before admitting
                st.reload_cached();
                if let Some(shared) = &st.shared {
                    shared.mark_seen(generation);
                }
                // the master key and a JWT's user or team are keys of this process, in no table
                let process_only = key.row.read().is_ok_and(|r| matches!(r.key_name.as_str(), "master" | "jwt"));
                if process_only || st.master_state.as_ref().is_some_and(|m| Arc::ptr_eq(m, &key)) {
                    continue;
                }
                let Some(keys) = &st.keys else { return Err(invalid_key()) };
                let token = key.row.read().map(|r| r.token.clone()).map_err(|_| invalid_key())?;
                let fresh = keys
                    .get(&token)
                    .await
                    .map_err(|e| ApiError(LlmError::new(ErrorKind::ServiceUnavailable, e)))?
                    .ok_or_else(invalid_key)?;
                let Caller::Key(fresh) = usable(fresh)? else { return Err(invalid_key()) };
                key = fresh;
            }
        }
    }
    Err(ApiError(LlmError::new(ErrorKind::ServiceUnavailable, "keys are being changed: try again")))
}

/// One admission attempt: the admission, or (Err) the admin generation when the shared accounts
/// say this instance's keys, users or teams are out of date.
async fn admit_key(
    st: &ProxyState,
    key: &Arc<super::keys::KeyState>,
    m: &Map<String, Value>,
    body_len: usize,
    fallbacks: &[String],
) -> Result<Result<Admission, u64>, ApiError> {
    let model = m.get("model").and_then(Value::as_str).unwrap_or_default();
    // what admission needs of the key (not the whole row: its metadata stays where it is)
    let (token, user_id, team_id, limits, key_alias) = {
        let row = key.row.read().map_err(|_| unauthorized("key unavailable"))?;
        if !row.allows(model) {
            return Err(unauthorized(format!(
                "Authentication Error - key not allowed to access model. This key can only access models={:?}. \
                 Tried to access {model}",
                row.models
            )));
        }
        (row.token.clone(), row.user_id.clone(), row.team_id.clone(), row.limits(), row.key_alias.clone())
    };
    let unavailable = |e: String| ApiError(LlmError::new(ErrorKind::ServiceUnavailable, e));
    let user = match (&user_id, &st.users) {
        (Some(id), Some(users)) => users.get(id).await.map_err(unavailable)?,
        _ => None,
    };
    let team = match (&team_id, &st.teams) {
        (Some(id), Some(teams)) => teams.get(id).await.map_err(unavailable)?,
        _ => None,
    };
    // the request's customer (its `user`), when the proxy knows it: its budget and limits apply too
    let customer = match (m.get("user").and_then(Value::as_str).filter(|u| !u.is_empty()), &st.customers) {
        (Some(id), Some(customers)) => customers.get(id).await.map_err(unavailable)?,
        _ => None,
    };
    let user_row = user.as_ref().map(|u| u.snapshot());
    let team_row = team.as_ref().map(|t| t.snapshot());
    let customer_row = customer.as_ref().map(|c| c.snapshot());
    if let Some(c) = &customer_row
        && c.blocked
    {
        let mut e = LlmError::bad_request(format!(
            "End user {:?} is blocked (a customer of this proxy). Update via /customer/unblock if you're admin.",
            c.id
        ));
        e.status = 400;
        return Err(ApiError(e));
    }
    if let Some(t) = &team_row {
        if t.blocked {
            return Err(unauthorized(format!("Authentication Error - team {} is blocked", t.id)));
        }
        if !t.allows(model) {
            return Err(unauthorized(format!(
                "Authentication Error - team not allowed to access model. Team {} can only access models={:?}. \
                 Tried to access {model}",
                t.id, t.models
            )));
        }
    }
    if let Some(u) = &user_row
        && !u.allows(model)
    {
        return Err(unauthorized(format!(
            "Authentication Error - user not allowed to access model. User {} can only access models={:?}. Tried to \
             access {model}",
            u.id, u.models
        )));
    }
    // the request may end on its group's fallbacks, or on those it names itself
    let (mut input_price, mut output_price, mut max_out) = st.max_prices(model);
    for group in fallbacks {
        let (i, o, limit) = st.max_prices(group);
        input_price = input_price.max(i);
        output_price = output_price.max(o);
        max_out = max_out.max(limit);
    }
    // an upper bound of the request's cost: every byte of the body a prompt token, and the most
    // output tokens it may get (max_tokens, else the model's limit), for each of its n choices
    let n = m.get("n").and_then(Value::as_u64).unwrap_or(1).max(1);
    let out_tokens = if m.contains_key("input") {
        0 // embeddings
    } else {
        m.get("max_completion_tokens")
            .or_else(|| m.get("max_tokens"))
            .and_then(Value::as_u64)
            .or(max_out)
            .unwrap_or(4096)
            * n
    };
    let estimate = input_price * body_len as f64 + output_price * out_tokens as f64;
    let now = crate::util::now_secs() as i64;
    fn locked(a: &super::limits::SharedAccount) -> Result<std::sync::MutexGuard<'_, super::limits::Account>, ApiError> {
        a.lock().map_err(|_| ApiError(LlmError::new(ErrorKind::InternalServer, "account unavailable")))
    }
    let labels = Labels {
        key_alias,
        key_spend: locked(&key.account)?.spend,
        key_max_budget: limits.max_budget,
        team_alias: team_row.as_ref().and_then(|t| t.alias.clone()),
        team_spend: team_row.as_ref().map_or(0.0, |t| t.spend),
        team_max_budget: team_row.as_ref().and_then(|t| t.max_budget),
    };
    let owners: Vec<(Kind, Arc<Owner>)> = [(Kind::User, &user), (Kind::Team, &team), (Kind::Customer, &customer)]
        .into_iter()
        .filter_map(|(kind, o)| o.clone().map(|o| (kind, o)))
        .collect();
    let mut accounts = vec![key.account.clone()];
    accounts.extend(user.iter().map(|u| u.account.clone()));
    accounts.extend(team.iter().map(|t| t.account.clone()));
    accounts.extend(customer.iter().map(|c| c.account.clone()));
    let mut resets: Vec<(&'static str, String, i64)> = Vec::new();
    // with several instances: the accounts in Redis decide, for all of them at once
    let mut held = None;
    if let Some(shared) = &st.shared {
        let mut holders = Vec::with_capacity(3);
        let standing = |a: &super::limits::SharedAccount| locked(a).map(|a| (a.spend, a.reset_at));
        let (spend, reset_at) = standing(&key.account)?;
        holders.push(super::shared::Holder { who: "key", id: &token, limits: limits.clone(), spend, reset_at });
        if let (Some(u), Some(r)) = (&user, &user_row) {
            let (spend, reset_at) = standing(&u.account)?;
            holders.push(super::shared::Holder { who: "user", id: &r.id, limits: r.limits(), spend, reset_at });
        }
        if let (Some(t), Some(r)) = (&team, &team_row) {
            let (spend, reset_at) = standing(&t.account)?;
            holders.push(super::shared::Holder { who: "team", id: &r.id, limits: r.limits(), spend, reset_at });
        }
        if let (Some(c), Some(r)) = (&customer, &customer_row) {
            let (spend, reset_at) = standing(&c.account)?;
            holders.push(super::shared::Holder { who: "customer", id: &r.id, limits: r.limits(), spend, reset_at });
        }
        let (verdict, h) = shared.admit(&holders, &accounts, estimate, now).await;
        held = h;
        match verdict {
            super::shared::Verdict::Refused(e, budget) => {
                // this process learns the spend that refused it (it still knows it if Redis goes away)
                if let Some((i, spend)) = budget
                    && let Some(a) = accounts.get(i)
                {
                    locked(a)?.sync(spend, None);
                }
                return Err(ApiError(e));
            }
            super::shared::Verdict::Stale(generation) => return Ok(Err(generation)),
            super::shared::Verdict::Admitted(standings) => {
                let tables =
                    ["litellm_verification_tokens", "litellm_usertable", "litellm_teamtable", "litellm_endusertable"];
                for (i, (s, a)) in standings.iter().zip(&accounts).enumerate() {
                    let mut a = locked(a)?;
                    a.sync(s.spend, s.reset_at);
                    a.reserve(estimate);
                    if let (Some(at), Some(h)) = (s.reset_to, holders.get(i)) {
                        let table = tables[match h.who {
                            "key" => 0,
                            "user" => 1,
                            "team" => 2,
                            _ => 3,
                        }];
                        resets.push((table, h.id.to_owned(), at));
                    }
                }
                for (table, id, at) in resets {
                    st.record_reset(table, id, at);
                }
                return Ok(Ok(Admission {
                    ticket: Ticket::new(accounts, estimate, held),
                    key: Some(key.clone()),
                    token,
                    user_id,
                    team_id,
                    owners,
                    labels,
                    started_ms: crate::util::now_ms() as i64,
                }));
            }
            super::shared::Verdict::Unavailable => {}
        }
    }
    {
        let mut key_account = locked(&key.account)?;
        let mut user_account = user.as_ref().map(|u| locked(&u.account)).transpose()?;
        let mut team_account = team.as_ref().map(|t| locked(&t.account)).transpose()?;
        let mut customer_account = customer.as_ref().map(|c| locked(&c.account)).transpose()?;
        let checked = key_account.check(&limits, estimate, now, "key")?;
        if let Some(at) = checked.reset_to {
            resets.push(("litellm_verification_tokens", token.clone(), at));
        }
        if let (Some(a), Some(r)) = (user_account.as_mut(), &user_row)
            && let Some(at) = a.check(&r.limits(), estimate, now, "user")?.reset_to
        {
            resets.push(("litellm_usertable", r.id.clone(), at));
        }
        if let (Some(a), Some(r)) = (team_account.as_mut(), &team_row)
            && let Some(at) = a.check(&r.limits(), estimate, now, "team")?.reset_to
        {
            resets.push(("litellm_teamtable", r.id.clone(), at));
        }
        if let (Some(a), Some(r)) = (customer_account.as_mut(), &customer_row)
            && let Some(at) = a.check(&r.limits(), estimate, now, "customer")?.reset_to
        {
            resets.push(("litellm_endusertable", r.id.clone(), at));
        }
        key_account.reserve(estimate);
        for a in user_account.iter_mut().chain(team_account.iter_mut()).chain(customer_account.iter_mut()) {
            a.reserve(estimate);
        }
    }
    for (table, id, at) in resets {
        st.record_reset(table, id, at);
    }
    Ok(Ok(Admission {
        ticket: Ticket::new(accounts, estimate, held),
        key: Some(key.clone()),
        token,
        user_id,
        team_id,
        owners,
        labels,
        started_ms: crate::util::now_ms() as i64,
    }))
}

/// An admitted request of a virtual key, until its spend is recorded.
struct Admission {
    ticket: Ticket,
    /// The key (for its budget alerts); none for the master key's own calls.
    key: Option<Arc<super::keys::KeyState>>,
    token: String,
    user_id: Option<String>,
    team_id: Option<String>,
    /// The key's user and team and the request's customer, when known (for their budget alerts).
    owners: Vec<(Kind, Arc<Owner>)>,
    labels: Labels,
    started_ms: i64,
}

/// What loggers are told of a virtual key's request beyond its ids (litellm's `user_api_key_*`
/// metadata).
#[derive(Default)]
struct Labels {
    key_alias: Option<String>,
    key_spend: f64,
    key_max_budget: Option<f64>,
    team_alias: Option<String>,
    team_spend: f64,
    team_max_budget: Option<f64>,
}

impl Admission {
    /// The call's metadata as loggers see it: the key's identity and budgets (never the key).
    fn tag(&self, maps: &mut CallMaps) {
        let md = maps.call.entry("metadata").or_insert_with(|| Value::Object(Map::new()));
        if !md.is_object() {
            *md = Value::Object(Map::new());
        }
        let Value::Object(md) = md else { return };
        let l = &self.labels;
        let text = |v: &Option<String>| v.clone().map_or(Value::Null, Value::String);
        md.insert("user_api_key_hash".into(), Value::String(self.token.clone()));
        md.insert("user_api_key_alias".into(), text(&l.key_alias));
        md.insert("user_api_key_user_id".into(), text(&self.user_id));
        md.insert("user_api_key_team_id".into(), text(&self.team_id));
        md.insert("user_api_key_team_alias".into(), text(&l.team_alias));
        md.insert("user_api_key_spend".into(), json!(l.key_spend));
        md.insert("user_api_key_max_budget".into(), json!(l.key_max_budget));
        md.insert("user_api_key_team_spend".into(), json!(l.team_spend));
        md.insert("user_api_key_team_max_budget".into(), json!(l.team_max_budget));
    }
}

impl Admission {
    /// Settles the reservation and records the request in the spend ledger.
    fn finish(
        self,
        st: &ProxyState,
        call_type: &str,
        maps: &SpendInfo,
        hidden: &Hidden,
        usage: (i64, i64),
        id: Option<String>,
    ) {
        let cost = hidden.cost().unwrap_or(0.0);
        self.record(st, call_type, maps, hidden, usage, id, cost, "success");
    }

    /// Settles the reservation with `cost` and records the request with `status`.
    #[allow(clippy::too_many_arguments)]
    fn record(
        self,
        st: &ProxyState,
        call_type: &str,
        maps: &SpendInfo,
        hidden: &Hidden,
        usage: (i64, i64),
        id: Option<String>,
        cost: f64,
        status: &str,
    ) {
        self.ticket.settle(cost, usage.0 + usage.1);
        if let Some(key) = &self.key {
            st.alerting.check_key(key);
        }
        for (kind, owner) in &self.owners {
            st.alerting.check_owner(*kind, owner);
        }
        st.record_spend(SpendRow {
            request_id: id.unwrap_or_else(|| crate::util::new_id("req-")),
            api_key: self.token,
            user_id: self.user_id,
            team_id: self.team_id,
            end_user: maps.end_user.clone(),
            model: if hidden.model.is_empty() { maps.model.clone() } else { hidden.model.clone() },
            model_group: hidden.model_group.clone().or_else(|| Some(maps.model.clone())),
            provider: hidden.custom_llm_provider.clone(),
            call_type: call_type.to_owned(),
            spend: cost,
            prompt_tokens: usage.0,
            completion_tokens: usage.1,
            total_tokens: usage.0 + usage.1,
            start_time: self.started_ms,
            end_time: crate::util::now_ms() as i64,
            status: status.to_owned(),
            tags: maps.tags.clone(),
        });
    }
}

/// What the spend ledger keeps of a request besides the response.
struct SpendInfo {
    model: String,
    tags: Vec<String>,
    /// The request's `user` (a customer).
    end_user: Option<String>,
}

impl SpendInfo {
    fn of(m: &Map<String, Value>, maps: &CallMaps) -> Self {
        let tags = maps
            .call
            .get("tags")
            .or_else(|| maps.call.get("metadata").and_then(|md| md.get("tags")))
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default();
        Self {
            model: m.get("model").and_then(Value::as_str).unwrap_or_default().to_owned(),
            tags,
            end_user: m.get("user").and_then(Value::as_str).filter(|u| !u.is_empty()).map(str::to_owned),
        }
    }
}

/// The id and token counts of a response body (read without building the whole value).
#[derive(serde::Deserialize, Default)]
struct Summary {
    id: Option<String>,
    usage: Option<UsageCounts>,
}

#[derive(serde::Deserialize, Default)]
struct UsageCounts {
    #[serde(default)]
    prompt_tokens: i64,
    #[serde(default)]
    completion_tokens: i64,
}

impl Summary {
    fn tokens(&self) -> (i64, i64) {
        self.usage.as_ref().map_or((0, 0), |u| (u.prompt_tokens, u.completion_tokens))
    }
}

/// The usage of a stream chunk that carries one.
fn chunk_usage(chunk: &[u8]) -> Option<(i64, i64)> {
    const NEEDLE: &[u8] = b"\"usage\":{";
    if !chunk.windows(NEEDLE.len()).any(|w| w == NEEDLE) {
        return None;
    }
    serde_json::from_slice::<Summary>(chunk).ok().map(|s| s.tokens())
}

/// Splits a JSON body into the upstream request and the call's litellm options.
fn split(st: &ProxyState, body: &[u8]) -> Result<(Map<String, Value>, CallMaps), ApiError> {
    let v: Value = serde_json::from_slice(body).map_err(|e| bad(format!("the request body is not valid JSON: {e}")))?;
    let Value::Object(mut m) = v else { return Err(bad("the request body must be a JSON object")) };
    let mut call = Map::new();
    for k in CALL_KEYS {
        if let Some(v) = m.remove(*k)
            && !v.is_null()
        {
            call.insert((*k).to_owned(), v);
        }
    }
    if !m.get("model").is_some_and(Value::is_string) {
        return Err(bad("`model` is required (a model name from /v1/models)"));
    }
    Ok((m, CallMaps { call, defaults: st.defaults.clone() }))
}

fn parse<T: serde::de::DeserializeOwned>(m: Map<String, Value>, what: &str) -> Result<T, ApiError> {
    serde_json::from_value(Value::Object(m)).map_err(|e| bad(format!("invalid {what} request: {e}")))
}

fn set(headers: &mut HeaderMap, name: &'static str, value: String) {
    if let Ok(v) = HeaderValue::from_str(&value) {
        headers.insert(name, v);
    }
}

/// litellm's response headers: the deployment, the cost, the call id and the proxy's overhead.
fn litellm_headers(headers: &mut HeaderMap, hidden: &Hidden, call_id: Option<&str>, started: Instant) {
    if let Some(id) = &hidden.model_id {
        set(headers, "x-litellm-model-id", id.clone());
    }
    if let Some(g) = &hidden.model_group {
        set(headers, "x-litellm-model-group", g.clone());
    }
    if let Some(c) = hidden.cost() {
        set(headers, "x-litellm-response-cost", c.to_string());
    }
    if let Some(id) = call_id {
        set(headers, "x-litellm-call-id", id.to_owned());
    }
    let total = started.elapsed().as_secs_f64() * 1000.0;
    set(headers, "x-litellm-overhead-duration-ms", format!("{:.3}", (total - hidden.response_ms).max(0.0)));
    if hidden.cache_hit {
        set(headers, "x-litellm-cache-hit", "True".into());
    }
}

fn json_response(body: Vec<u8>, summary: &Summary, hidden: &Hidden, started: Instant) -> Response {
    let mut r = Response::new(Body::from(body));
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    litellm_headers(r.headers_mut(), hidden, summary.id.as_deref(), started);
    r
}

/// A stream as server-sent events, ending with `data: [DONE]`; an error after the first chunk is
/// sent as an `error` event. The stream's log (when loggers are configured) sees every chunk.
/// A stream's spend, recorded when it ends.
struct StreamSpend {
    st: Arc<ProxyState>,
    admission: Option<Admission>,
    call_type: &'static str,
    info: SpendInfo,
    usage: (i64, i64),
    id: Option<String>,
    hidden: Hidden,
}

impl StreamSpend {
    fn end(&mut self, hidden: &Hidden, failed: bool) {
        if let Some(a) = self.admission.take() {
            let cost = hidden.cost().unwrap_or(0.0);
            let status = if failed { "failure" } else { "success" };
            a.record(&self.st, self.call_type, &self.info, hidden, self.usage, self.id.take(), cost, status);
        }
    }
}

impl Drop for StreamSpend {
    /// A client that went away mid-stream: the upstream may still bill the whole answer, so the
    /// request is charged what it is known to cost, else its full reservation (never nothing).
    fn drop(&mut self) {
        if let Some(a) = self.admission.take() {
            let cost = self.hidden.cost().unwrap_or(a.ticket.estimate);
            let hidden = self.hidden.clone();
            a.record(&self.st, self.call_type, &self.info, &hidden, self.usage, self.id.take(), cost, "incomplete");
        }
    }
}

fn sse(stream: ChunkStream, log: Option<StreamLog>, started: Instant, spend: Option<StreamSpend>) -> Response {
    let hidden = stream.hidden.clone();
    let events = futures_util::stream::unfold(Some((stream, log, spend)), |state| async move {
        let (mut s, mut log, mut spend) = state?;
        match s.next_batch(64).await {
            Ok(batch) if batch.is_empty() => {
                if let Some(l) = log.as_mut() {
                    l.end(&s.hidden, None);
                }
                if let Some(sp) = spend.as_mut() {
                    sp.end(&s.hidden, false);
                }
                Some((Ok::<_, Infallible>(Bytes::from_static(b"data: [DONE]\n\n")), None))
            }
            Ok(batch) => {
                if let Some(l) = log.as_mut() {
                    l.observe(&batch);
                }
                if let Some(sp) = spend.as_mut() {
                    for b in &batch {
                        if sp.id.is_none() {
                            sp.id = serde_json::from_slice::<Summary>(b).ok().and_then(|x| x.id);
                        }
                        if let Some(u) = chunk_usage(b) {
                            sp.usage = u;
                        }
                    }
                }
                let mut out = Vec::with_capacity(batch.iter().map(|b| b.len() + 8).sum());
                for b in &batch {
                    out.extend_from_slice(b"data: ");
                    out.extend_from_slice(b);
                    out.extend_from_slice(b"\n\n");
                }
                Some((Ok(Bytes::from(out)), Some((s, log, spend))))
            }
            Err(e) => {
                if let Some(l) = log.as_mut() {
                    l.end(&s.hidden, Some(&e));
                }
                // a failed stream: charged what it is known to have cost
                if let Some(sp) = spend.as_mut() {
                    sp.end(&s.hidden, true);
                }
                let out = format!("data: {}\n\ndata: [DONE]\n\n", error_body(&e));
                Some((Ok(Bytes::from(out)), None))
            }
        }
    });
    let mut r = Response::new(Body::from_stream(events));
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    litellm_headers(h, &hidden, None, started);
    r
}

/// The options a call's log sees (the module settings under the call's own), and its log when
/// built-in loggers are configured.
fn call_log<R: serde::Serialize + Routable>(
    call_type: &'static str,
    maps: &CallMaps,
    req: &R,
    stream: bool,
) -> Option<(CallLog, Arc<CallOptions>)> {
    if !maps.defaults.contains_key("loggers") && !maps.call.contains_key("loggers") {
        return None;
    }
    let mut m = maps.defaults.clone();
    m.extend(maps.call.iter().map(|(k, v)| (k.clone(), v.clone())));
    m.insert("model_group".into(), Value::String(req.model().to_owned()));
    let opts: CallOptions = serde_json::from_value(Value::Object(m)).ok()?;
    CallLog::start(call_type, &opts, req, stream).map(|log| (log, Arc::new(opts)))
}

/// Hands a finished call to its loggers (off the request's path).
fn log_outcome<T: serde::Serialize>(log: Option<(CallLog, Arc<CallOptions>)>, result: &Result<(T, Hidden), LlmError>) {
    let Some((log, opts)) = log else { return };
    let (hidden, ended) = match result {
        Ok((resp, hidden)) => (Some(hidden.clone()), Ended::Success(serde_json::to_vec(resp).unwrap_or_default())),
        Err(e) => (None, Ended::Failure(e.clone())),
    };
    Deferred::new(log, opts, hidden, ended, None);
}

/// The groups a request's own `fallbacks` name: a list of group names, or litellm's
/// `[{"group": ["fallback", ...]}]` / `[{"model": "fallback", ...}]`.
fn call_fallbacks(v: Option<&Value>) -> Vec<String> {
    let mut out = Vec::new();
    for item in v.and_then(Value::as_array).into_iter().flatten() {
        match item {
            Value::String(g) => out.push(g.clone()),
            Value::Object(o) => {
                for (k, v) in o {
                    match v {
                        Value::String(g) if k == "model" => out.push(g.clone()),
                        Value::Array(a) => out.extend(a.iter().filter_map(Value::as_str).map(str::to_owned)),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// A request on its way: the caller's admission (virtual keys) and what the ledger keeps of it.
struct Call {
    started: Instant,
    admission: Option<Admission>,
    info: SpendInfo,
}

impl Call {
    async fn new(
        st: &ProxyState,
        caller: &Caller,
        m: &Map<String, Value>,
        maps: &mut CallMaps,
        body_len: usize,
    ) -> Result<Self, ApiError> {
        let started = Instant::now();
        let fallbacks = call_fallbacks(maps.call.get("fallbacks"));
        let admission = admit(st, caller, m, body_len, &fallbacks).await?;
        if maps.defaults.contains_key("loggers") || maps.call.contains_key("loggers") {
            // the key's identity in the loggers' metadata is the proxy's to say, not the client's
            if let Some(Value::Object(md)) = maps.call.get_mut("metadata") {
                md.retain(|k, _| !k.starts_with("user_api_key_"));
            }
            if let Some(a) = &admission {
                a.tag(maps);
            }
        }
        Ok(Self { started, admission, info: SpendInfo::of(m, maps) })
    }

    /// The call failed upstream: its reservation is released and the ledger keeps a failed
    /// request (no cost, no tokens).
    fn failed(self, st: &ProxyState, call_type: &str) {
        if let Some(a) = self.admission {
            a.record(st, call_type, &self.info, &Hidden::default(), (0, 0), None, 0.0, "failure");
        }
    }
}

async fn routed<R, T, F, Fut>(
    st: &ProxyState,
    call_type: &'static str,
    req: R,
    maps: CallMaps,
    call: Call,
    op: F,
) -> Result<Response, ApiError>
where
    R: Routable,
    T: serde::Serialize,
    (T, Hidden): crate::router::Routed,
    F: Fn(R, CallOptions) -> Fut,
    Fut: Future<Output = Result<(T, Hidden), LlmError>>,
{
    let log = call_log(call_type, &maps, &req, false);
    let result = st.router.route(req, maps, op).await;
    log_outcome(log, &result);
    let (resp, hidden) = match result {
        Ok(r) => r,
        Err(e) => {
            call.failed(st, call_type);
            return Err(ApiError(e));
        }
    };
    let body = serde_json::to_vec(&resp).map_err(|e| ApiError(LlmError::new(ErrorKind::Api, e.to_string())))?;
    let summary: Summary = serde_json::from_slice(&body).unwrap_or_default();
    if let Some(a) = call.admission {
        a.finish(st, call_type, &call.info, &hidden, summary.tokens(), summary.id.clone());
    }
    Ok(json_response(body, &summary, &hidden, call.started))
}

async fn routed_stream<R, F, Fut>(
    st: &Arc<ProxyState>,
    call_type: &'static str,
    req: R,
    maps: CallMaps,
    call: Call,
    op: F,
) -> Result<Response, ApiError>
where
    R: Routable,
    F: Fn(R, CallOptions) -> Fut,
    Fut: Future<Output = Result<ChunkStream, LlmError>>,
{
    let log = call_log(call_type, &maps, &req, true);
    match st.router.route(req, maps, op).await {
        Ok(s) => {
            let spend = call.admission.map(|admission| StreamSpend {
                st: st.clone(),
                admission: Some(admission),
                call_type,
                info: call.info,
                usage: (0, 0),
                id: None,
                hidden: s.hidden.clone(),
            });
            Ok(sse(s, log.map(|(l, o)| StreamLog::new(l, o)), call.started, spend))
        }
        Err(e) => {
            log_outcome::<Value>(log, &Err(e.clone()));
            call.failed(st, call_type);
            Err(ApiError(e))
        }
    }
}

async fn chat_request(st: Arc<ProxyState>, caller: &Caller, body: &[u8]) -> Result<Response, ApiError> {
    let (m, mut maps) = split(&st, body)?;
    let call = Call::new(&st, caller, &m, &mut maps, body.len()).await?;
    let stream = m.get("stream").and_then(Value::as_bool).unwrap_or(false);
    let req: ChatRequest = parse(m, "chat completion")?;
    if stream {
        return routed_stream(
            &st,
            "acompletion",
            req,
            maps,
            call,
            |q, o| async move { engine::chat_stream(q, &o).await },
        )
        .await;
    }
    routed(&st, "acompletion", req, maps, call, |q, o| async move { engine::chat(q, &o).await }).await
}

#[utoipa::path(post, path = "/v1/chat/completions", tag = "llm", request_body = ChatCompletionBody, responses((status = 200, description = "A chat completion (JSON, or server-sent events with stream: true)", body = serde_json::Value), (status = 401, description = "no key, or a key that may not do this (OpenAI error format)"), (status = 400, description = "a bad request, or a budget that would be exceeded (type budget_exceeded)"), (status = 429, description = "a rate limit (the key`s, user`s, team`s or the upstream`s)")))]
pub(super) async fn chat(State(st): St, Extension(caller): Extension<Caller>, body: Bytes) -> Response {
    chat_endpoint(st, &caller, body).await
}

/// A chat completion request, answered and counted (also behind `/v1/messages`).
pub(super) async fn chat_endpoint(st: Arc<ProxyState>, caller: &Caller, body: Bytes) -> Response {
    let result = chat_request(st.clone(), caller, &body).await;
    counted(&st, caller, &body, result).await
}

/// The response, counted in the proxy's request metrics (with `prometheus` among the callbacks):
/// who asked (the key, its team and user), for which model, and how it ended.
async fn counted(st: &ProxyState, caller: &Caller, body: &[u8], result: Result<Response, ApiError>) -> Response {
    let response = result.into_response();
    if !st.prometheus {
        return response;
    }
    #[derive(serde::Deserialize, Default)]
    struct Asked<'a> {
        #[serde(borrow, default)]
        model: Option<std::borrow::Cow<'a, str>>,
        #[serde(borrow, default)]
        user: Option<std::borrow::Cow<'a, str>>,
    }
    let asked: Asked = serde_json::from_slice(body).unwrap_or_default();
    let (hash, alias, user, team) = match caller {
        Caller::Key(k) => k
            .row
            .read()
            .map(|r| (r.token.clone(), r.key_alias.clone(), r.user_id.clone(), r.team_id.clone()))
            .unwrap_or_default(),
        _ => Default::default(),
    };
    let team_alias = match (&team, &st.teams) {
        (Some(id), Some(teams)) => teams.get(id).await.ok().flatten().and_then(|t| t.row.read().ok()?.alias.clone()),
        _ => None,
    };
    let who = crate::callbacks::loggers::prometheus::Who {
        end_user: asked.user.as_deref().unwrap_or_default(),
        hashed_api_key: &hash,
        api_key_alias: alias.as_deref().unwrap_or_default(),
        team: team.as_deref().unwrap_or_default(),
        team_alias: team_alias.as_deref().unwrap_or_default(),
        user: user.as_deref().unwrap_or_default(),
    };
    let status = response.status();
    let failure =
        (!status.is_success()).then(|| response.extensions().get::<super::ErrorClass>().map_or("APIError", |c| c.0));
    crate::callbacks::loggers::prometheus::record_proxy_request(
        &who,
        asked.model.as_deref().unwrap_or_default(),
        status.as_u16(),
        failure,
    );
    response
}

/// Azure OpenAI's route: the deployment in the path is the model.
async fn chat_deployment(
    State(st): St,
    Extension(caller): Extension<Caller>,
    Path(model): Path<String>,
    body: Bytes,
) -> Response {
    let body = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(mut m)) => {
            m.insert("model".into(), Value::String(model));
            serde_json::to_vec(&m).map_err(|e| bad(e.to_string()))
        }
        Ok(_) => Err(bad("the request body must be a JSON object")),
        Err(e) => Err(bad(format!("the request body is not valid JSON: {e}"))),
    };
    let result = match &body {
        Ok(b) => chat_request(st.clone(), &caller, b).await,
        Err(e) => Err(ApiError(e.0.clone())),
    };
    counted(&st, &caller, body.as_deref().unwrap_or_default(), result).await
}

#[utoipa::path(post, path = "/v1/completions", tag = "llm", request_body = CompletionBody, responses((status = 200, description = "A text completion", body = serde_json::Value), (status = 401, description = "no key, or a key that may not do this (OpenAI error format)"), (status = 400, description = "a bad request, or a budget that would be exceeded (type budget_exceeded)"), (status = 429, description = "a rate limit (the key`s, user`s, team`s or the upstream`s)")))]
pub(super) async fn completions(State(st): St, Extension(caller): Extension<Caller>, body: Bytes) -> Response {
    let result = completions_request(&st, &caller, &body).await;
    counted(&st, &caller, &body, result).await
}

async fn completions_request(st: &Arc<ProxyState>, caller: &Caller, body: &Bytes) -> Result<Response, ApiError> {
    let (m, mut maps) = split(st, body)?;
    let call = Call::new(st, caller, &m, &mut maps, body.len()).await?;
    let stream = m.get("stream").and_then(Value::as_bool).unwrap_or(false);
    let req: TextCompletionRequest = parse(m, "completion")?;
    if stream {
        return routed_stream(st, "atext_completion", req, maps, call, |q, o| async move {
            engine::text_completion_stream(q, &o).await
        })
        .await;
    }
    routed(st, "atext_completion", req, maps, call, |q, o| async move { engine::text_completion(q, &o).await }).await
}

#[utoipa::path(post, path = "/v1/embeddings", tag = "llm", request_body = EmbeddingBody, responses((status = 200, description = "Embeddings", body = serde_json::Value), (status = 401, description = "no key, or a key that may not do this (OpenAI error format)"), (status = 400, description = "a bad request, or a budget that would be exceeded (type budget_exceeded)"), (status = 429, description = "a rate limit (the key`s, user`s, team`s or the upstream`s)")))]
pub(super) async fn embeddings(State(st): St, Extension(caller): Extension<Caller>, body: Bytes) -> Response {
    let result = embeddings_request(&st, &caller, &body).await;
    counted(&st, &caller, &body, result).await
}

async fn embeddings_request(st: &Arc<ProxyState>, caller: &Caller, body: &Bytes) -> Result<Response, ApiError> {
    let (m, mut maps) = split(st, body)?;
    let call = Call::new(st, caller, &m, &mut maps, body.len()).await?;
    let req: EmbeddingRequest = parse(m, "embedding")?;
    routed(st, "aembedding", req, maps, call, |q, o| async move { engine::embedding(q, &o).await }).await
}

fn model_card(id: &str, created: i64) -> Value {
    json!({"id": id, "object": "model", "created": created, "owned_by": "litellm"})
}

fn created(st: &ProxyState) -> i64 {
    crate::types::unix_now() - st.started.elapsed().as_secs() as i64
}

#[utoipa::path(get, path = "/v1/models", tag = "llm", responses((status = 200, description = "The model names this proxy serves", body = serde_json::Value), (status = 401, description = "no key, or a key that may not do this (OpenAI error format)")))]
pub(super) async fn models(State(st): St) -> Response {
    let created = created(&st);
    let data: Vec<Value> = st.router.model_names().iter().map(|n| model_card(n, created)).collect();
    axum::Json(json!({"object": "list", "data": data})).into_response()
}

#[utoipa::path(get, path = "/v1/models/{id}", tag = "llm", params(("id" = String, Path, description = "a model name")), responses((status = 200, description = "One model", body = serde_json::Value), (status = 401, description = "no key, or a key that may not do this (OpenAI error format)"), (status = 404, description = "no such model")))]
pub(super) async fn model(State(st): St, Path(id): Path<String>) -> Result<Response, ApiError> {
    if st.router.model_names().iter().any(|n| n == &id) {
        return Ok(axum::Json(model_card(&id, created(&st))).into_response());
    }
    let mut e = LlmError::new(ErrorKind::NotFound, format!("The model `{id}` does not exist"));
    e.model = id;
    Err(ApiError(e))
}

#[utoipa::path(get, path = "/health", tag = "health", responses((status = 200, description = "A small real call to every deployment", body = serde_json::Value), (status = 401, description = "no key, or a key that may not do this (OpenAI error format)")))]
pub(super) async fn health(State(st): St) -> Response {
    let results = st.router.health_check(None, st.defaults.clone()).await;
    let (healthy, unhealthy): (Vec<Value>, Vec<Value>) =
        results.iter().map(|c| (c.error.is_none(), c.to_json())).fold((vec![], vec![]), |mut acc, (ok, v)| {
            if ok {
                acc.0.push(v)
            } else {
                acc.1.push(v)
            }
            acc
        });
    axum::Json(json!({
        "healthy_count": healthy.len(),
        "unhealthy_count": unhealthy.len(),
        "healthy_endpoints": healthy,
        "unhealthy_endpoints": unhealthy,
    }))
    .into_response()
}

/// The deployments, without credentials, with the model map's facts (litellm's `/model/info`).
#[utoipa::path(get, path = "/model/info", tag = "llm", responses((status = 200, description = "Every deployment, without credentials, with the model map`s facts", body = serde_json::Value), (status = 401, description = "no key, or a key that may not do this (OpenAI error format)")))]
pub(super) async fn model_info(State(st): St, Query(q): Query<ModelInfoQuery>) -> Response {
    let mut data = st.router.public_model_info();
    if let Some(id) = &q.litellm_model_id {
        data.retain(|d| d.pointer("/model_info/id").and_then(Value::as_str) == Some(id.as_str()));
    }
    axum::Json(json!({"data": data})).into_response()
}

#[derive(Debug, serde::Deserialize)]
pub(super) struct ModelInfoQuery {
    litellm_model_id: Option<String>,
}

/// litellm's `/utils/token_counter`: the tokens of `messages` (or `prompt`) for a model name.
#[utoipa::path(post, path = "/utils/token_counter", tag = "llm", request_body = TokenCounterBody, responses((status = 200, description = "The tokens of messages or a prompt for a model", body = serde_json::Value), (status = 401, description = "no key, or a key that may not do this (OpenAI error format)")))]
pub(super) async fn token_counter(State(st): St, body: Bytes) -> Result<Response, ApiError> {
    let v: Value =
        serde_json::from_slice(&body).map_err(|e| bad(format!("the request body is not valid JSON: {e}")))?;
    let requested = v.get("model").and_then(Value::as_str).ok_or_else(|| bad("`model` is required"))?;
    let model = st.router.group_model(requested).unwrap_or_else(|| requested.to_owned());
    let bare = model.split_once('/').map_or(model.as_str(), |(_, m)| m);
    let total = match (v.get("messages").and_then(Value::as_array), v.get("prompt").and_then(Value::as_str)) {
        (Some(messages), _) => crate::tokens::count_messages(bare, messages, &Default::default())
            .map_err(|e| bad(format!("cannot count these messages: {e}")))?,
        (None, Some(prompt)) => crate::tokens::count_text(bare, prompt),
        (None, None) => return Err(bad("pass `messages` or `prompt`")),
    };
    let tokenizer = crate::tokens::encoding_for_model(bare).name();
    Ok(axum::Json(json!({
        "total_tokens": total,
        "request_model": requested,
        "model_used": bare,
        "tokenizer_type": "openai_tokenizer",
        "tokenizer": tokenizer,
    }))
    .into_response())
}

/// Prometheus metrics (with `prometheus` among the config's callbacks).
#[utoipa::path(get, path = "/metrics", tag = "health", responses((status = 200, description = "Prometheus metrics (text format)", body = serde_json::Value), (status = 401, description = "no key, or a key that may not do this (OpenAI error format)")))]
pub(super) async fn metrics() -> Response {
    crate::callbacks::flush().await;
    let mut r = Response::new(Body::from(crate::callbacks::loggers::prometheus::render()));
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4"));
    r
}

#[utoipa::path(get, path = "/health/liveliness", tag = "health", responses((status = 200, description = "Alive", body = serde_json::Value)), security(()))]
pub(super) async fn live() -> Response {
    axum::Json(Value::String("I'm alive!".into())).into_response()
}

#[utoipa::path(get, path = "/health/readiness", tag = "health", responses((status = 200, description = "Ready: models and database", body = serde_json::Value)), security(()))]
pub(super) async fn ready(State(st): St) -> Response {
    axum::Json(json!({
        "status": "healthy",
        "db": if st.storage_connected() { "connected" } else { "Not connected" },
        "cache": Value::Null,
        "litellm_version": env!("CARGO_PKG_VERSION"),
        "models": st.router.model_names().len(),
    }))
    .into_response()
}

async fn not_found(req: Request) -> Response {
    let mut e = LlmError::new(
        ErrorKind::NotFound,
        format!("{} {} is not a route of this proxy", req.method(), req.uri().path()),
    );
    e.status = StatusCode::NOT_FOUND.as_u16();
    ApiError(e).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proxy::ProxyConfig;
    use tower::ServiceExt;

    fn state(master: Option<&str>) -> Arc<ProxyState> {
        let mut config = ProxyConfig {
            model_list: vec![
                json!({"model_name": "gpt", "litellm_params": {"model": "openai/gpt-4o-mini", "mock_response": "hello there"}}),
            ],
            ..Default::default()
        };
        if let Some(k) = master {
            config.general_settings.insert("master_key".into(), json!(k));
        }
        Arc::new(ProxyState::new(&config).unwrap())
    }

    async fn call(
        app: axum::Router,
        method: &str,
        uri: &str,
        key: Option<&str>,
        body: Value,
    ) -> (StatusCode, HeaderMap, Vec<u8>) {
        let mut req = Request::builder().method(method).uri(uri).header("content-type", "application/json");
        if let Some(k) = key {
            req = req.header("authorization", format!("Bearer {k}"));
        }
        let body = if body.is_null() { Body::empty() } else { Body::from(body.to_string()) };
        let resp = app.oneshot(req.body(body).unwrap()).await.unwrap();
        let (parts, body) = resp.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
        (parts.status, parts.headers, bytes.to_vec())
    }

    #[tokio::test]
    async fn chat_json_and_headers() {
        let (status, headers, body) = call(
            app(state(None)),
            "POST",
            "/v1/chat/completions",
            None,
            json!({"model": "gpt", "messages": [{"role": "user", "content": "hi"}]}),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["choices"][0]["message"]["content"], "hello there");
        assert!(headers.get("x-litellm-model-id").is_some());
        assert!(headers.get("x-litellm-response-cost").is_some());
        assert!(headers.get("x-litellm-overhead-duration-ms").is_some());
    }

    #[tokio::test]
    async fn streams_end_with_done() {
        let (status, headers, body) = call(
            app(state(None)),
            "POST",
            "/chat/completions",
            None,
            json!({"model": "gpt", "stream": true, "messages": [{"role": "user", "content": "hi"}]}),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["content-type"], "text/event-stream");
        let text = String::from_utf8(body).unwrap();
        assert!(text.starts_with("data: {") && text.ends_with("data: [DONE]\n\n"), "{text}");
    }

    #[tokio::test]
    async fn rejections_are_openai_errors() {
        let a = app(state(Some("sk-master")));
        let (status, _, body) = call(a.clone(), "GET", "/v1/models", Some("sk-wrong"), Value::Null).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            (v["error"]["type"].as_str(), v["error"]["code"].as_str()),
            (Some("authentication_error"), Some("401"))
        );
        let (status, _, _) = call(a.clone(), "GET", "/v1/models", None, Value::Null).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, _, body) = call(a.clone(), "GET", "/v1/models", Some("sk-master"), Value::Null).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(serde_json::from_slice::<Value>(&body).unwrap()["data"][0]["id"], "gpt");
        // liveness needs no key
        let (status, _, _) = call(a.clone(), "GET", "/health/liveliness", None, Value::Null).await;
        assert_eq!(status, StatusCode::OK);
        let (status, _, body) =
            call(a.clone(), "POST", "/v1/chat/completions", Some("sk-master"), json!({"messages": []})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(String::from_utf8_lossy(&body).contains("`model` is required"));
        let (status, _, body) = call(
            a.clone(),
            "POST",
            "/v1/chat/completions",
            Some("sk-master"),
            json!({"model": "nope", "messages": [{"role": "user", "content": "x"}]}),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(String::from_utf8_lossy(&body).contains("model=nope"));
        let (status, _, _) = call(a, "GET", "/v1/nothing", Some("sk-master"), Value::Null).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}
