//! The gateway: an OpenAI-compatible HTTP server over the engine's Router (feature `proxy`).
//! `app(state)` builds the axum router (testable without sockets); `serve` binds and runs it until
//! the shutdown future resolves, finishing the requests in flight.

mod activity;
mod admin;
mod alerts;
mod audit;
pub mod config;
mod customers;
pub mod db;
mod holders;
mod jwt;
pub mod keys;
mod ledger;
mod limits;
mod messages;
mod models;
mod openapi;
mod org;
mod owners;
mod routes;
mod shared;
mod ui;

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

pub use config::ProxyConfig;

use crate::cache::{CacheConfig, ResponseCache};
use crate::error::{ErrorKind, LlmError};
use crate::router::{Router, Settings};

/// What every request handler shares.
pub struct ProxyState {
    pub router: Arc<Router>,
    pub master_key: Option<String>,
    /// The master key's hash: its calls are in the spend ledger under it.
    master_hash: Option<String>,
    /// The master key as a key of this process without limits (never stored): admits its calls
    /// that name a customer, so the customer's limits hold.
    master_state: Option<Arc<keys::KeyState>>,
    /// Module-level settings (`litellm_settings` the engine takes as call options).
    pub defaults: Map<String, Value>,
    pub started: std::time::Instant,
    /// Virtual keys, users and teams (with a master key and a database).
    pub keys: Option<Arc<keys::KeyStore>>,
    pub users: Option<Arc<owners::OwnerStore>>,
    pub teams: Option<Arc<owners::OwnerStore>>,
    /// Customers (litellm's end users: the `user` of a request) with their budgets and limits.
    pub customers: Option<Arc<owners::OwnerStore>>,
    ledger: Option<ledger::Ledger>,
    database_url: Option<String>,
    spend_logs: bool,
    /// The price bounds of each model name (the proxy's model list is fixed at start).
    prices: std::sync::RwLock<std::collections::HashMap<String, PriceBounds>>,
    /// Limits and budgets shared with other instances through Redis (with a Redis configured).
    shared: Option<Arc<shared::SharedLimits>>,
    /// Whether `prometheus` is among the callbacks (then the proxy counts its requests too).
    prometheus: bool,
    /// JWT auth (`enable_jwt_auth`).
    jwt: Option<jwt::JwtAuth>,
    /// Whether `/model/new|update|delete` keep deployments in the database (`store_model_in_db`).
    store_models: bool,
    /// The deployments kept in the database.
    models: Option<Arc<models::ModelStore>>,
    /// Where budget alerts go.
    alerting: alerts::Alerting,
}

/// The highest input and output price per token, and the largest output limit, of a model name.
type PriceBounds = (f64, f64, Option<u64>);

/// Who a request comes from.
#[derive(Clone, Debug)]
pub enum Caller {
    /// No master key is set: the proxy is open.
    Open,
    /// The master key, or a JWT of a `proxy_admin`.
    Admin,
    /// A JWT of a `proxy_admin_viewer`: every read (GET) route, nothing else.
    Viewer,
    /// A virtual key, or a JWT of a user or team (a key of this process tied to them).
    Key(Arc<keys::KeyState>),
}

/// The built-in loggers a config may name.
const LOGGERS: &[&str] =
    &["prometheus", "langfuse", "langsmith", "datadog", "helicone", "wandb", "weave", "otel", "webhook", "generic_api"];

/// `litellm_settings` keys that are call options for every request.
const CALL_SETTINGS: &[&str] = &[
    "drop_params",
    "request_timeout",
    "num_retries",
    "ssl_verify",
    "modify_params",
    "include_cost_in_streaming_usage",
];

fn truthy(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => matches!(s.to_ascii_lowercase().as_str(), "true" | "1" | "yes"),
        _ => false,
    }
}

/// The proxy's response cache: `litellm_settings.cache: true` with `cache_params` (litellm's
/// `Cache(...)` parameters; several instances share answers through a Redis one), or
/// `router_settings.cache_responses: true` (the router's Redis when it has one, else in process,
/// with `cache_kwargs`). Its own, not the process's `litellm_rs.cache`.
fn response_cache(config: &ProxyConfig, router_redis: Option<&str>) -> Result<Option<Arc<ResponseCache>>, String> {
    let object = |m: &Map<String, Value>, k: &str| m.get(k).and_then(Value::as_object).cloned().unwrap_or_default();
    let (params, section) = if truthy(config.litellm_settings.get("cache")) {
        (object(&config.litellm_settings, "cache_params"), "litellm_settings.cache_params")
    } else if truthy(config.router_settings.get("cache_responses")) {
        let mut p = object(&config.router_settings, "cache_kwargs");
        if let Some(url) = router_redis {
            p.entry("type").or_insert_with(|| Value::from("redis"));
            p.entry("url").or_insert_with(|| Value::from(url));
        }
        (p, "router_settings.cache_kwargs")
    } else {
        return Ok(None);
    };
    let cache =
        CacheConfig::from_params(&params).and_then(ResponseCache::new).map_err(|e| format!("{section}: {e}"))?;
    let kind = params.get("type").and_then(Value::as_str).unwrap_or("local");
    tracing::info!(kind, "proxy response cache on");
    Ok(Some(Arc::new(cache)))
}

impl ProxyState {
    pub fn new(config: &ProxyConfig) -> Result<Self, String> {
        let mut settings = config.router_settings.clone();
        if !settings.contains_key("redis_url")
            && let Some(host) = settings.get("redis_host").and_then(Value::as_str)
        {
            let port = settings
                .get("redis_port")
                .map_or("6379".to_owned(), |p| p.as_str().map_or(p.to_string(), str::to_owned));
            let auth = settings
                .get("redis_password")
                .and_then(Value::as_str)
                .map_or(String::new(), |p| format!(":{}@", crate::util::percent_encode(p)));
            settings.insert("redis_url".into(), Value::String(format!("redis://{auth}{host}:{port}")));
        }
        // several instances share limits and budgets through general_settings.coordination_redis,
        // the Redis of router_settings, or REDIS_URL
        let redis_url = coordination_redis(config.general_settings.get("coordination_redis"))
            .or_else(|| settings.get("redis_url").and_then(Value::as_str).map(str::to_owned))
            .or_else(|| crate::util::env_var("REDIS_URL"));
        if truthy(config.litellm_settings.get("json_logs"))
            || truthy(crate::util::env_var("JSON_LOGS").map(Value::String).as_ref())
        {
            crate::logging::set_json(true);
        }
        let router_redis = settings.get("redis_url").and_then(Value::as_str).map(str::to_owned);
        let mut settings: Settings =
            serde_json::from_value(Value::Object(settings)).map_err(|e| format!("router_settings: {e}"))?;
        settings.response_cache = response_cache(config, router_redis.as_deref())?;
        let router = Router::new(&config.model_list, settings).map_err(|e| e.message)?;
        let mut defaults: Map<String, Value> = config
            .litellm_settings
            .iter()
            .filter(|(k, _)| CALL_SETTINGS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        // built-in loggers named in litellm_settings (callbacks / success_callback / failure_callback)
        let mut loggers: Vec<Value> = Vec::new();
        for key in ["callbacks", "success_callback", "failure_callback"] {
            for name in config.litellm_settings.get(key).and_then(Value::as_array).into_iter().flatten() {
                if let Some(n) = name.as_str()
                    && LOGGERS.contains(&n)
                    && !loggers.iter().any(|l| l == name)
                {
                    loggers.push(name.clone());
                }
            }
        }
        let prometheus = loggers.iter().any(|l| l == "prometheus");
        if !loggers.is_empty() {
            defaults.insert("loggers".into(), Value::Array(loggers));
        }
        let database_url = config
            .general_settings
            .get("database_url")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| crate::util::env_var("DATABASE_URL"));
        let spend_logs = !config.general_settings.get("disable_spend_logs").and_then(Value::as_bool).unwrap_or(false);
        Ok(Self {
            router: Arc::new(router),
            master_key: config.master_key(),
            master_hash: config.master_key().map(|k| keys::hash_key(&k)),
            master_state: config.master_key().map(|k| {
                keys::KeyState::new(keys::KeyRow {
                    token: keys::hash_key(&k),
                    key_name: "master".into(),
                    ..Default::default()
                })
            }),
            defaults,
            started: std::time::Instant::now(),
            keys: None,
            users: None,
            teams: None,
            customers: None,
            ledger: None,
            database_url,
            spend_logs,
            prices: Default::default(),
            shared: redis_url.map(shared::SharedLimits::new),
            prometheus,
            jwt: jwt::JwtAuth::from_settings(&config.general_settings)?,
            store_models: config.general_settings.get("store_model_in_db").and_then(Value::as_bool).unwrap_or(false),
            models: None,
            alerting: alerts::Alerting::from_settings(&config.general_settings),
        })
    }

    /// Opens the database (with a master key set: virtual keys and spend need one) and starts the
    /// spend ledger. SQLite in the working directory unless `database_url` / `DATABASE_URL` says
    /// otherwise. Runs on the engine's runtime.
    pub async fn connect_storage(&mut self) -> Result<(), String> {
        if self.master_key.is_none() || self.keys.is_some() {
            return Ok(());
        }
        let url = self.database_url.clone().unwrap_or_else(|| db::DEFAULT_URL.to_owned());
        let db = db::Db::open(&url).await?;
        self.ledger = Some(ledger::Ledger::start(db.clone(), self.spend_logs));
        self.users = Some(Arc::new(owners::OwnerStore::new(owners::Kind::User, db.clone())));
        self.teams = Some(Arc::new(owners::OwnerStore::new(owners::Kind::Team, db.clone())));
        self.customers = Some(Arc::new(owners::OwnerStore::new(owners::Kind::Customer, db.clone())));
        if self.store_models {
            let models = Arc::new(models::ModelStore::new(db.clone()));
            models.load(&self.router).await?;
            models.spawn_poll(self.router.clone());
            self.models = Some(models);
        }
        self.keys = Some(Arc::new(keys::KeyStore::new(db)));
        tracing::info!(database = %db::redact(&url), "proxy storage ready");
        if let Some(shared) = &self.shared {
            shared.spawn_heartbeat();
        }
        Ok(())
    }

    /// Writes the spend recorded so far (before a shutdown, and before spend is read).
    pub async fn flush_spend(&self) {
        if let Some(l) = &self.ledger {
            l.flush().await;
        }
    }

    fn record_spend(&self, row: ledger::SpendRow) {
        if let Some(l) = &self.ledger {
            l.record(row);
        }
    }

    /// A budget period ended: the stored spend of the key (table `keys`), user or team is 0 again.
    fn record_reset(&self, table: &'static str, id: String, reset_at: i64) {
        if let Some(l) = &self.ledger {
            l.reset(table, id, reset_at);
        }
    }

    /// The highest input and output price per token, and output limit, a request for `model` can
    /// meet (`Router::max_prices`), remembered per model name.
    fn max_prices(&self, model: &str) -> (f64, f64, Option<u64>) {
        if let Some(p) = self.prices.read().ok().and_then(|m| m.get(model).copied()) {
            return p;
        }
        let p = self.router.max_prices(model);
        if let Ok(mut m) = self.prices.write()
            && m.len() < 10_000
        {
            m.insert(model.to_owned(), p);
        }
        p
    }

    /// Makes the cached keys, users and teams be read again from the database on next use.
    fn reload_cached(&self) {
        if let Some(k) = &self.keys {
            k.reload_all();
        }
        for store in [&self.users, &self.teams, &self.customers].into_iter().flatten() {
            store.reload_all();
        }
    }

    /// With several instances: whether another one changed keys, users or teams since this one
    /// read them (then they are read again on next use).
    async fn reload_if_stale(&self) -> bool {
        match &self.shared {
            Some(shared) if shared.stale().await => {
                self.reload_cached();
                true
            }
            _ => false,
        }
    }

    /// With several instances: `account` (of a "key", "user" or "team") takes the spend of all of
    /// them, before it is shown.
    async fn shared_spend(&self, who: &str, id: &str, account: &limits::SharedAccount) {
        if let Some(shared) = &self.shared {
            shared.refresh(who, id, account).await;
        }
    }

    pub fn storage_connected(&self) -> bool {
        self.keys.is_some()
    }
}

/// The litellm exception class of an error response (for the proxy's metrics).
#[derive(Debug, Clone, Copy)]
pub struct ErrorClass(pub &'static str);

/// `coordination_redis`: a URL, or `{host, port, password}` (litellm's shape).
fn coordination_redis(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(url) => Some(url.clone()),
        Value::Object(m) => {
            let host = m.get("host").and_then(Value::as_str)?;
            let port = m.get("port").map_or("6379".to_owned(), |p| p.as_str().map_or(p.to_string(), str::to_owned));
            let auth = m
                .get("password")
                .and_then(Value::as_str)
                .map_or(String::new(), |p| format!(":{}@", crate::util::percent_encode(p)));
            Some(format!("redis://{auth}{host}:{port}"))
        }
        _ => None,
    }
}

/// An error in OpenAI's format: `{"error": {"message", "type", "param", "code"}}`.
pub struct ApiError(pub LlmError);

impl From<LlmError> for ApiError {
    fn from(e: LlmError) -> Self {
        ApiError(e)
    }
}

fn error_type(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Authentication => "authentication_error",
        ErrorKind::PermissionDenied => "permission_error",
        ErrorKind::NotFound => "not_found_error",
        ErrorKind::RateLimit => "rate_limit_error",
        ErrorKind::Timeout => "timeout_error",
        ErrorKind::BadRequest
        | ErrorKind::ContextWindowExceeded
        | ErrorKind::ContentPolicyViolation
        | ErrorKind::UnsupportedParams
        | ErrorKind::UnknownProvider
        | ErrorKind::UnprocessableEntity => "invalid_request_error",
        _ => "api_error",
    }
}

/// The JSON body of an error.
pub fn error_body(e: &LlmError) -> Value {
    let code = match e.kind {
        ErrorKind::ContextWindowExceeded => "context_length_exceeded".to_owned(),
        ErrorKind::ContentPolicyViolation => "content_policy_violation".to_owned(),
        _ => e.status.to_string(),
    };
    // the proxy's own budget refusals carry litellm's type for them
    let kind = if e.kind == ErrorKind::BadRequest && e.message.starts_with("Budget ") {
        "budget_exceeded"
    } else {
        error_type(e.kind)
    };
    json!({"error": {
        "message": format!("litellm.{}: {}", e.kind.class_name(), e.message),
        "type": kind,
        "param": Value::Null,
        "code": code,
    }})
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut resp = (status, axum::Json(error_body(&self.0))).into_response();
        resp.extensions_mut().insert(ErrorClass(self.0.kind.class_name()));
        if let Some(after) = self.0.retry_after
            && let Ok(v) = axum::http::HeaderValue::from_str(&format!("{}", after.ceil() as u64))
        {
            resp.headers_mut().insert("retry-after", v);
        }
        resp
    }
}

pub use routes::app;

/// Binds `addr` (`host:port`; port 0 picks a free one).
pub async fn bind(addr: &str) -> Result<tokio::net::TcpListener, LlmError> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| LlmError::new(ErrorKind::ApiConnection, format!("cannot listen on {addr}: {e}")))
}

/// Serves on `listener` until `shutdown` resolves; requests in flight are finished first.
pub async fn run(
    state: Arc<ProxyState>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), LlmError> {
    let local = listener.local_addr().map(|a| a.to_string()).unwrap_or_default();
    tracing::info!(address = %local, models = ?state.router.model_names(), "litellm-rs proxy listening");
    // TCP_NODELAY on every connection: a stream's events go out as they are written (with Nagle's
    // algorithm a small first event waited for the client's delayed ACK: ~40 ms to first byte)
    use axum::serve::ListenerExt;
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let served = axum::serve(listener, app(state.clone()))
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| LlmError::new(ErrorKind::ApiConnection, format!("server error: {e}")));
    // nothing recorded is lost on a clean shutdown
    state.flush_spend().await;
    if let Some(keys) = &state.keys {
        keys.db.pool.close().await;
    }
    served
}

#[cfg(test)]
mod jwt_tests;
#[cfg(test)]
mod key_tests;
