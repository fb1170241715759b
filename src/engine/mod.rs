//! The engine's call flow: resolve the provider, build the request (pure), send it through the
//! transport with retries, parse the answer (pure). Knows nothing about Python or HTTP servers.

mod auth;
mod mock;
pub mod options;
pub mod stream;
mod stream_flight;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

pub use options::CallOptions;
pub use stream::{ChunkStream, aggregate_chunks};

use crate::cache::CallCache;
use crate::error::{ErrorKind, LlmError};
use crate::providers::openai_compat::{Row, quirk};
use crate::providers::{CallTarget, HttpRequest, Provider, Resolved, resolve};
use crate::transport::{self, RawResponse};
use crate::types::{
    ChatRequest, ChatResponse, EmbeddingRequest, EmbeddingResponse, Message, Role, TextChoice, TextCompletionRequest,
    TextCompletionResponse,
};

pub use crate::util::new_id;

/// Metadata about a call, returned beside the response (`_hidden_params` in Python).
#[derive(Debug, Clone, Default)]
pub struct Hidden {
    pub custom_llm_provider: String,
    pub api_base: String,
    pub model: String,
    pub response_headers: Vec<(String, String)>,
    pub response_ms: f64,
    pub mocked: bool,
    /// USD cost of the call (`response_cost`), when the model is priced.
    pub response_cost: Option<f64>,
    /// A stream's cost, filled in by the reader once the usage chunk was seen.
    pub stream_cost: crate::cost::CostCell,
    /// A stream's total tokens, filled in by the reader once the usage chunk was seen (0 until).
    pub stream_tokens: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// Answered from the cache (`cache_hit`), and the key the call used there (`cache_key`).
    pub cache_hit: bool,
    pub cache_key: Option<String>,
    /// The Router's deployment (`model_id`) and group (`model_group`) that answered.
    pub model_id: Option<String>,
    pub model_group: Option<String>,
}

impl Hidden {
    /// The call's cost: the response's, or the stream's once its usage was seen.
    pub fn cost(&self) -> Option<f64> {
        self.response_cost.or_else(|| self.stream_cost.lock().ok().and_then(|g| *g))
    }

    /// Another caller of an identical call in flight took the answer first and reports the
    /// upstream call's cost: this one shares the answer at a cost of 0, as a cache hit.
    pub(crate) fn joined_flight(&mut self) {
        self.response_cost = Some(0.0);
    }

    /// Prices the response of this call (`response_cost`) from its usage.
    fn price(&mut self, usage: Option<&crate::types::Usage>, opts: &CallOptions, tier: Option<&str>, resp_model: &str) {
        self.response_cost = crate::cost::response_cost(
            &self.model,
            &self.custom_llm_provider,
            usage,
            &opts.custom_pricing(),
            tier,
            self.response_ms,
            Some(resp_model),
        );
    }

    /// An answer that cites the web (`url_citation` annotations: OpenAI's search models) made a
    /// search the usage does not count: litellm bills one, at the price of the request's
    /// `web_search_options.search_context_size` (medium by default).
    fn price_web_citations(&mut self, resp: &ChatResponse, req: &ChatRequest, opts: &CallOptions) {
        // (Perplexity's prices include its searches: litellm adds nothing for them)
        let Some(cost) = self.response_cost.filter(|_| self.custom_llm_provider != "perplexity") else { return };
        let cites = resp.choices.iter().any(|c| {
            let notes = c.message.extra.get("annotations").and_then(Value::as_array);
            notes.into_iter().flatten().any(|a| a.get("type").and_then(Value::as_str) == Some("url_citation"))
        });
        let counted = resp.usage.as_ref().is_some_and(crate::cost::usage_counts_web_searches);
        if !cites || counted {
            return;
        }
        let size =
            req.extra.get("web_search_options").and_then(|w| w.get("search_context_size")).and_then(Value::as_str);
        let entry = crate::cost::effective_entry(
            &self.model,
            Some(&self.custom_llm_provider),
            &opts.custom_pricing(),
            Some(&resp.model),
        );
        if let Some(e) = entry {
            self.response_cost = Some(cost + crate::cost::web_search_call_price(&e, size));
        }
    }

    /// The pricer of a stream of this call.
    pub(super) fn stream_pricer(&self, opts: &CallOptions, tier: Option<&str>) -> crate::cost::StreamPricer {
        let entry =
            crate::cost::effective_entry(&self.model, Some(&self.custom_llm_provider), &opts.custom_pricing(), None);
        crate::cost::StreamPricer::new(
            entry,
            tier.map(str::to_owned),
            opts.include_cost_in_streaming_usage.unwrap_or(false),
            self.stream_cost.clone(),
            self.stream_tokens.clone(),
        )
    }

    /// The hidden params of an answer served from the cache (it cost nothing).
    pub fn cache_hit(model: &str, opts: &CallOptions, key: &str) -> Self {
        let provider = resolve(model, opts.custom_llm_provider.as_deref(), opts.explicit_api_base())
            .map(|r| r.row().id.to_owned())
            .unwrap_or_default();
        Hidden {
            custom_llm_provider: provider,
            model: model.to_owned(),
            response_cost: Some(0.0),
            cache_hit: true,
            cache_key: Some(key.to_owned()),
            ..Hidden::default()
        }
    }
}

/// A resolved call: provider, target and limits.
pub struct Prepared {
    pub resolved: Resolved,
    pub target: CallTarget,
    pub timeout: Duration,
    pub retries: u32,
    /// Verify TLS certificates (`ssl_verify`).
    pub verify: bool,
}

impl Prepared {
    pub fn provider(&self) -> &dyn Provider {
        self.resolved.provider.get()
    }

    fn hidden(&self, model: &str) -> Hidden {
        Hidden {
            custom_llm_provider: self.provider().id().to_owned(),
            api_base: self.target.api_base.clone(),
            model: model.to_owned(),
            ..Hidden::default()
        }
    }

    /// The signing step after the pure build (SigV4 for Bedrock; a no-op for other providers).
    fn signed(&self, built: Result<HttpRequest, LlmError>) -> Result<HttpRequest, LlmError> {
        let mut http = built.map_err(|e| self.finish_error(e))?;
        self.provider().sign(&mut http, &self.target).map_err(|e| self.finish_error(e))?;
        Ok(http)
    }

    /// Adds provider/model context and removes the key from an error.
    fn finish_error(&self, e: LlmError) -> LlmError {
        self.target
            .secrets()
            .fold(e.with_context(self.resolved.row().id, &self.resolved.model), |e, s| e.redact(Some(s)))
    }
}

use crate::util::env_var as env;

/// The key: the call's (or `litellm_rs.api_key`, merged in by the edge), then the provider's
/// module setting (`litellm_rs.groq_key`), then its environment variables.
fn resolve_key(row: &Row, opts: &CallOptions) -> Option<String> {
    if let Some(k) = opts.api_key.as_ref().filter(|k| !k.is_empty()) {
        return Some(k.clone());
    }
    row.settings_key
        .and_then(|name| opts.provider_keys.as_ref().and_then(|m| m.get(name)))
        .filter(|k| !k.is_empty())
        .cloned()
        .or_else(|| row.key_env.iter().find_map(|n| env(n)))
}

/// Fills `{ENV_NAME}` placeholders of a default base URL.
fn fill_placeholders(url: &str, row: &Row) -> Result<String, LlmError> {
    let mut out = String::with_capacity(url.len());
    let mut rest = url;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        let name = &rest[start + 1..start + len];
        let val = env(name).ok_or_else(|| {
            LlmError::bad_request(format!("{} needs the environment variable {name} (or pass api_base=)", row.id))
        })?;
        out.push_str(&rest[..start]);
        out.push_str(&val);
        rest = &rest[start + len + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn resolve_base(row: &Row, opts: &CallOptions) -> Result<String, LlmError> {
    if let Some(b) = opts.explicit_api_base() {
        return Ok(b.trim_end_matches('/').to_owned());
    }
    if let Some(b) = row.base_env.iter().find_map(|n| env(n)) {
        return Ok(b.trim_end_matches('/').to_owned());
    }
    if !row.base_url.is_empty() {
        return fill_placeholders(row.base_url, row);
    }
    let vars = row.base_env.join(" or ");
    Err(LlmError::bad_request(format!(
        "{} needs an api_base: pass api_base= to the call{}",
        row.id,
        if vars.is_empty() { String::new() } else { format!(" or set {vars}") }
    )))
}

/// Resolves the provider, key, endpoint and credentials of a call (Entra ID and Google tokens may
/// need a token exchange, hence async).
pub async fn prepare(model: &str, opts: &CallOptions) -> Result<Prepared, LlmError> {
    let resolved = resolve(model, opts.custom_llm_provider.as_deref(), opts.explicit_api_base())?;
    let row = resolved.row();
    let mut api_key = resolve_key(row, opts);
    // Bedrock: region, endpoint and SigV4 credentials (or a Bedrock API key) from the call, the
    // environment or the shared AWS files.
    let bedrock = if row.id == "bedrock" {
        let (_, id) = crate::providers::bedrock::route(&resolved.model)?;
        let aws = crate::providers::bedrock::credentials::resolve(&opts.aws_inputs(), id)
            .map_err(|e| e.with_context(row.id, &resolved.model))?;
        api_key.clone_from(&aws.api_key);
        Some(aws)
    } else {
        None
    };
    let is_azure = matches!(row.id, "azure" | "azure_ai");
    let timeout = Duration::from_secs_f64(opts.timeout_secs());
    let verify = opts.ssl_verify();
    let mut bearer = None;
    // Vertex AI: project/location resource base and a Google access token (exchanged and cached).
    let vertex = if crate::providers::vertex::is_vertex(row.id) {
        let v = auth::vertex_target(opts, api_key.as_deref(), timeout, verify)
            .await
            .map_err(|e| e.with_context(row.id, &resolved.model))?;
        bearer = Some(v.bearer);
        Some(v.api_base)
    } else {
        None
    };
    if api_key.is_none() && is_azure {
        bearer = auth::static_token(opts);
        if bearer.is_none()
            && let Some(creds) = auth::client_credentials(opts)
        {
            let token = auth::entra_token(opts, creds, auth::COGNITIVE_SERVICES_SCOPE, timeout, verify)
                .await
                .map_err(|e| e.with_context(row.id, &resolved.model))?;
            bearer = Some(token);
        }
    }
    if api_key.is_none() && bearer.is_none() && !row.has(quirk::KEY_OPTIONAL) {
        let vars = row.key_env.join(" or ");
        let mut e = LlmError::new(
            ErrorKind::Authentication,
            format!(
                "Missing API key for {}: pass api_key= to the call{}{}{}",
                row.id,
                row.settings_key.map(|s| format!(", set litellm_rs.{s}")).unwrap_or_default(),
                if vars.is_empty() { String::new() } else { format!(" or set {vars}") },
                if is_azure { " (or azure_ad_token= / tenant_id, client_id and client_secret)" } else { "" }
            ),
        );
        e.provider = row.id.to_owned();
        e.model = resolved.model.clone();
        return Err(e);
    }
    let api_base = match (&bedrock, vertex) {
        (Some(aws), _) => aws.endpoint.clone(),
        (None, Some(base)) => base,
        (None, None) => resolve_base(row, opts).map_err(|e| e.with_context(row.id, &resolved.model))?,
    };
    let api_version = match opts.api_version.clone() {
        Some(v) => Some(v),
        None if row.id == "azure" => env("AZURE_API_VERSION").or_else(|| opts.azure_default_api_version.clone()),
        None => None,
    };
    let target = CallTarget {
        api_base,
        api_key,
        bearer,
        api_version,
        organization: opts
            .organization
            .clone()
            .or_else(|| if row.id == "openai" { env("OPENAI_ORGANIZATION") } else { None }),
        extra_headers: opts.merged_headers(),
        extra_body: opts.extra_body.clone(),
        drop_params: opts.drop_params.unwrap_or(false),
        additional_drop_params: opts.additional_drop_params.clone().unwrap_or_default(),
        aws: bedrock.map(|b| b.auth),
    };
    Ok(Prepared { resolved, target, timeout, retries: opts.retries(), verify })
}

/// The wait before retry number `attempt` (0-based): the server's `retry-after` when it gave one
/// (capped at 60 s), otherwise exponential backoff from 0.5 s up to 8 s with jitter.
pub fn backoff(attempt: u32, retry_after: Option<f64>) -> Duration {
    if let Some(s) = retry_after.filter(|s| s.is_finite() && *s >= 0.0) {
        return Duration::from_secs_f64(s.min(60.0));
    }
    let base = (0.5 * 2f64.powi(attempt as i32)).min(8.0);
    Duration::from_secs_f64(base * (0.75 + 0.25 * fastrand::f64()))
}

/// Runs `op` up to `retries + 1` times while it fails with a retryable error.
pub async fn with_retries<T, F, Fut>(retries: u32, mut op: F) -> Result<T, LlmError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, LlmError>>,
{
    let mut attempt = 0;
    loop {
        match op().await {
            Ok(v) => return Ok(v),
            Err(e) if attempt < retries && e.kind.is_retryable() => {
                tracing::debug!(attempt, error = %e, "retrying");
                tokio::time::sleep(backoff(attempt, e.retry_after)).await;
                attempt += 1;
            }
            Err(mut e) => {
                e.num_retries = attempt;
                return Err(e);
            }
        }
    }
}

/// Sends with retries and returns a successful answer; non-2xx answers become the provider's error.
async fn send_ok(p: &Prepared, http: &HttpRequest) -> Result<RawResponse, LlmError> {
    let provider = p.provider();
    let model = &p.resolved.model;
    with_retries(p.retries, || async {
        crate::logging::request(http, &p.target);
        let raw = transport::send(http, p.timeout, p.verify).await?;
        crate::logging::response(raw.status, &raw.body, &p.target);
        if raw.is_success() { Ok(raw) } else { Err(provider.map_error(raw.status, raw.headers, &raw.body, model)) }
    })
    .await
    .map_err(|e| p.finish_error(e))
}

/// The request's `service_tier` (`flex`, `priority`), which picks the matching prices.
fn service_tier(extra: &Map<String, Value>) -> Option<&str> {
    extra.get("service_tier").and_then(Value::as_str)
}

/// The cached answer of a call, if the call uses the cache and it has one.
async fn cached<T: serde::de::DeserializeOwned>(cache: Option<&CallCache>) -> Option<T> {
    let body = cache?.lookup().await?;
    serde_json::from_slice(&body).ok()
}

/// Stores an answer for later calls, and notes the key on the call's hidden params.
fn remember<T: serde::Serialize>(cache: Option<&CallCache>, resp: &T, hidden: &mut Hidden) {
    if let Some(c) = cache {
        if let Ok(body) = serde_json::to_vec(resp) {
            c.store(&body);
        }
        hidden.cache_key = Some(c.key.clone());
    }
}

/// A chat completion (from the cache when it has the answer).
pub async fn chat(req: ChatRequest, opts: &CallOptions) -> Result<(ChatResponse, Hidden), LlmError> {
    let cache = CallCache::for_call("completion", &req, opts);
    if let Some(c) = &cache
        && let Some(resp) = cached::<ChatResponse>(Some(c)).await
    {
        return Ok((resp, Hidden::cache_hit(&req.model, opts, &c.key)));
    }
    let Some(c) = &cache else {
        return chat_uncached(req, opts).await;
    };
    let (resp, mut hidden) = one_flight(&flight_key(&c.key, opts), req, opts).await?;
    remember(cache.as_ref(), &resp, &mut hidden);
    Ok((resp, hidden))
}

type Flight<T> = futures_util::future::Shared<std::pin::Pin<Box<dyn Future<Output = Result<T, LlmError>> + Send>>>;

/// Calls in flight by key (with the flight's number), in this process (a forked child starts
/// with none: the parent's futures would never finish there).
/// Each flight has its number and whether one of its callers took its answer already (that
/// caller reports the call's cost; the others paid nothing).
type FlightMap<T> = (u32, std::collections::HashMap<String, (u64, Flight<T>, Arc<AtomicBool>)>);
type Flights<T> = std::sync::LazyLock<std::sync::Mutex<FlightMap<T>>>;

/// Chat and embedding calls in flight, by cache key: identical requests made while one is on its
/// way wait for its answer instead of calling the provider again.
static CHAT_FLIGHTS: Flights<(ChatResponse, Hidden)> = std::sync::LazyLock::new(Default::default);
static EMBEDDING_FLIGHTS: Flights<(EmbeddingResponse, Hidden)> = std::sync::LazyLock::new(Default::default);
static FLIGHT_NUMBER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

fn lock_flights<T>(flights: &'static Flights<T>) -> std::sync::MutexGuard<'static, FlightMap<T>> {
    flights.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Retires a flight when its task ends (also by a panic): later calls go to the cache.
struct Retire<T: 'static> {
    flights: &'static Flights<T>,
    key: String,
    number: u64,
}

impl<T> Drop for Retire<T> {
    fn drop(&mut self) {
        let mut guard = lock_flights(self.flights);
        if guard.1.get(&self.key).is_some_and(|(n, _, _)| *n == self.number) {
            guard.1.remove(&self.key);
        }
    }
}

/// Joins the call in flight for `key`, or starts it. The call runs as its own task: it finishes
/// (and retires itself) even when every caller waiting for it went away. The answer comes with
/// whether another caller took it first: the first caller to get the answer pays for the upstream
/// call (also when the caller that started it went away before it came), the others nothing.
async fn one_flight_in<T: Clone + Send + Sync + 'static>(
    flights: &'static Flights<T>,
    key: &str,
    start: impl FnOnce() -> std::pin::Pin<Box<dyn Future<Output = Result<T, LlmError>> + Send>>,
) -> Result<(T, bool), LlmError> {
    use futures_util::FutureExt;
    let (flight, taken) = {
        let mut guard = lock_flights(flights);
        let pid = std::process::id();
        if guard.0 != pid {
            *guard = (pid, Default::default());
        }
        match guard.1.get(key) {
            Some((_, f, taken)) => (f.clone(), taken.clone()),
            None => {
                let number = FLIGHT_NUMBER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let retire = Retire { flights, key: key.to_owned(), number };
                let call = start();
                let task = crate::transport::core().rt.spawn(async move {
                    let _retire = retire;
                    call.await
                });
                let joined: std::pin::Pin<Box<dyn Future<Output = Result<T, LlmError>> + Send>> =
                    Box::pin(async move {
                        task.await.unwrap_or_else(|e| {
                            Err(LlmError::new(ErrorKind::Api, format!("litellm_rs internal error: {e}")))
                        })
                    });
                let f = joined.shared();
                let taken = Arc::new(AtomicBool::new(false));
                guard.1.insert(key.to_owned(), (number, f.clone(), taken.clone()));
                (f, taken)
            }
        }
    };
    let answer = flight.await?;
    Ok((answer, taken.swap(true, std::sync::atomic::Ordering::AcqRel)))
}

/// The key of a call in flight: its cache key, and the Router's deployment when routed (two
/// deployments of a group answer the same cache key, but are two different calls).
fn flight_key(cache_key: &str, opts: &CallOptions) -> String {
    match &opts.model_id {
        Some(id) => format!("{cache_key}@{id}"),
        None => cache_key.to_owned(),
    }
}

async fn one_flight(key: &str, req: ChatRequest, opts: &CallOptions) -> Result<(ChatResponse, Hidden), LlmError> {
    let opts = opts.clone();
    let ((resp, mut hidden), taken_before) =
        one_flight_in(&CHAT_FLIGHTS, key, move || Box::pin(async move { chat_uncached(req, &opts).await })).await?;
    if taken_before {
        hidden.joined_flight();
    }
    Ok((resp, hidden))
}

async fn chat_uncached(mut req: ChatRequest, opts: &CallOptions) -> Result<(ChatResponse, Hidden), LlmError> {
    let tier = service_tier(&req.extra);
    if let Some(text) = &opts.mock_response {
        mock::raise_if_error(text, &req.model, opts)?;
        let (resp, mut hidden) = mock::chat(&req, opts, text);
        hidden.price(resp.usage.as_ref(), opts, tier, &resp.model);
        return Ok((resp, hidden));
    }
    let started = Instant::now();
    let original_model = std::mem::take(&mut req.model);
    let p = prepare(&original_model, opts).await?;
    req.model.clone_from(&p.resolved.model);
    req.stream = None;
    let http = p.signed(p.provider().build_chat(&req, &p.target))?;
    let raw = send_ok(&p, &http).await?;
    let resp = p.provider().parse_chat(&raw.body, &req).map_err(|e| p.finish_error(e))?;
    let mut hidden = p.hidden(&original_model);
    hidden.response_headers = raw.headers;
    hidden.response_ms = started.elapsed().as_secs_f64() * 1000.0;
    hidden.price(resp.usage.as_ref(), opts, tier, &resp.model);
    hidden.price_web_citations(&resp, &req, opts);
    Ok((resp, hidden))
}

/// A streamed chat completion: returns once the upstream answered with a stream. A cached answer
/// is replayed as a stream.
pub async fn chat_stream(req: ChatRequest, opts: &CallOptions) -> Result<ChunkStream, LlmError> {
    let cache = CallCache::for_call("completion", &req, opts);
    if let Some(c) = &cache
        && let Some(resp) = cached::<ChatResponse>(Some(c)).await
    {
        return Ok(mock::replay(resp, req.include_usage(), Hidden::cache_hit(&req.model, opts, &c.key)));
    }
    if let Some(text) = &opts.mock_response {
        mock::raise_if_error(text, &req.model, opts)?;
        return Ok(mock::chat_stream(&req, opts, text, service_tier(&req.extra)));
    }
    let Some(c) = cache else {
        return open_chat_stream(req, opts, None).await;
    };
    // identical streams in flight share one upstream stream (as identical calls do)
    let key = format!("{}#usage={}", flight_key(&c.key, opts), req.include_usage());
    let opts = opts.clone();
    stream_flight::shared(key, async move { open_chat_stream(req, &opts, Some(c)).await }).await
}

/// Opens a chat stream upstream (storing its answer in `cache` once it ended well).
async fn open_chat_stream(
    mut req: ChatRequest,
    opts: &CallOptions,
    cache: Option<CallCache>,
) -> Result<ChunkStream, LlmError> {
    let tier = service_tier(&req.extra);
    let original_model = std::mem::take(&mut req.model);
    let p = prepare(&original_model, opts).await?;
    req.model.clone_from(&p.resolved.model);
    req.stream = Some(true);
    let http = p.signed(p.provider().build_chat(&req, &p.target))?;
    let hidden = p.hidden(&original_model);
    let pricer = hidden.stream_pricer(opts, tier);
    let stream = stream::open_chat(p, http, req.include_usage(), hidden, pricer, opts.stream_timeout_secs()).await?;
    Ok(match cache {
        Some(c) => stream.cached(c),
        None => stream,
    })
}

/// The inputs of an embedding request, one per vector: a string, a list of strings, a token
/// array (one input) or a list of token arrays.
fn embedding_items(input: &Value) -> Vec<Value> {
    match input {
        Value::Array(items) if !items.is_empty() && !items.iter().any(Value::is_number) => items.clone(),
        other => vec![other.clone()],
    }
}

/// Embeddings. With a cache, each input is cached on its own: the inputs already known come from
/// the cache and only the others are sent (one request); a call whose inputs are all known makes
/// no request.
pub async fn embedding(req: EmbeddingRequest, opts: &CallOptions) -> Result<(EmbeddingResponse, Hidden), LlmError> {
    let items = embedding_items(&req.input);
    let caches: Vec<Option<CallCache>> = items
        .iter()
        .map(|item| {
            let mut one = req.clone();
            one.input = item.clone();
            CallCache::for_call("embedding", &one, opts)
        })
        .collect();
    if caches.iter().all(Option::is_none) {
        return embedding_uncached(req, opts).await;
    }
    let mut found: Vec<Option<Value>> = Vec::with_capacity(items.len());
    for c in &caches {
        found.push(cached::<Value>(c.as_ref()).await);
    }
    let missing: Vec<usize> = (0..items.len()).filter(|i| found[*i].is_none()).collect();
    let fresh = if missing.is_empty() {
        None
    } else {
        let mut sub = req.clone();
        if missing.len() < items.len() {
            sub.input = Value::Array(missing.iter().map(|i| items[*i].clone()).collect());
        }
        // identical batches in flight make one request (keyed by the inputs' cache keys)
        let keys: Vec<&str> = missing.iter().filter_map(|i| caches[*i].as_ref().map(|c| c.key.as_str())).collect();
        let flight = flight_key(&crate::util::sha256_hex(keys.join("\n").as_bytes()), opts);
        let opts_owned = opts.clone();
        let ((resp, mut hidden), taken_before) = one_flight_in(&EMBEDDING_FLIGHTS, &flight, move || {
            Box::pin(async move { embedding_uncached(sub, &opts_owned).await })
        })
        .await?;
        if taken_before {
            hidden.joined_flight();
        }
        Some((resp, hidden))
    };
    let (model, usage, mut hidden) = match fresh {
        Some((mut resp, hidden)) => {
            resp.data.sort_by_key(|d| d.get("index").and_then(Value::as_u64).unwrap_or(0));
            for (j, item) in resp.data.into_iter().enumerate() {
                let Some(&i) = missing.get(j) else { break };
                if let Some(c) = &caches[i]
                    && let Ok(body) = serde_json::to_vec(&item)
                {
                    c.store(&body);
                }
                found[i] = Some(item);
            }
            (resp.model, resp.usage, hidden)
        }
        None => {
            let key = caches.iter().flatten().next().map(|c| c.key.clone()).unwrap_or_default();
            (req.model.clone(), Some(crate::types::Usage::new(0, 0)), Hidden::cache_hit(&req.model, opts, &key))
        }
    };
    if hidden.cache_key.is_none() {
        hidden.cache_key = caches.iter().flatten().next().map(|c| c.key.clone());
    }
    let mut data = Vec::with_capacity(found.len());
    for (i, item) in found.into_iter().enumerate() {
        let Some(mut item) = item else {
            return Err(LlmError::new(ErrorKind::Api, "the provider returned fewer embeddings than inputs"));
        };
        if let Some(obj) = item.as_object_mut() {
            obj.insert("index".into(), Value::from(i));
        }
        data.push(item);
    }
    let resp = EmbeddingResponse { object: "list".into(), data, model, usage, extra: Map::new() };
    Ok((resp, hidden))
}

/// Embeddings straight from the provider, without the response cache.
pub async fn embedding_uncached(
    mut req: EmbeddingRequest,
    opts: &CallOptions,
) -> Result<(EmbeddingResponse, Hidden), LlmError> {
    let started = Instant::now();
    let original_model = std::mem::take(&mut req.model);
    let p = prepare(&original_model, opts).await?;
    req.model.clone_from(&p.resolved.model);
    let http = p.signed(p.provider().build_embedding(&req, &p.target))?;
    let raw = send_ok(&p, &http).await?;
    let resp = p.provider().parse_embedding(&raw.body, &req).map_err(|e| p.finish_error(e))?;
    let mut hidden = p.hidden(&original_model);
    hidden.response_headers = raw.headers;
    hidden.response_ms = started.elapsed().as_secs_f64() * 1000.0;
    hidden.price(resp.usage.as_ref(), opts, None, &resp.model);
    Ok((resp, hidden))
}

/// Whether a text completion goes to the provider's own `/completions`: it must serve one, and
/// OpenAI's chat models (which `/completions` rejects) are bridged through chat, as litellm does.
fn serves_text_completion(p: &Prepared) -> bool {
    let row = p.resolved.row();
    p.provider().supports_text_completion()
        && !(row.id == "openai" && crate::providers::registry::is_openai_chat_model(&p.resolved.model))
}

/// The prompts of a text completion request as strings (token-array prompts are not bridged).
fn prompts(prompt: &Value) -> Result<Vec<String>, LlmError> {
    match prompt {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) if items.iter().all(Value::is_string) => {
            Ok(items.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
        }
        _ => Err(LlmError::bad_request(
            "text_completion through a chat model needs `prompt` as a string or a list of strings",
        )),
    }
}

/// The chat request that answers one prompt of a text completion.
pub fn chat_request_for_prompt(req: &TextCompletionRequest, prompt: String) -> Result<ChatRequest, LlmError> {
    let mut obj = req.extra.clone();
    obj.insert("model".into(), Value::String(req.model.clone()));
    obj.insert("messages".into(), Value::Array(Vec::new()));
    if let Some(s) = req.stream {
        obj.insert("stream".into(), Value::Bool(s));
    }
    let mut chat: ChatRequest = serde_json::from_value(Value::Object(obj))
        .map_err(|e| LlmError::bad_request(format!("invalid text_completion parameters: {e}")))?;
    chat.messages = vec![Message::text(Role::User, prompt)];
    Ok(chat)
}

/// A chat answer shaped as a text completion.
pub fn text_from_chat(resp: ChatResponse, index_base: u32) -> TextCompletionResponse {
    TextCompletionResponse {
        id: resp.id,
        object: "text_completion".into(),
        created: resp.created,
        model: resp.model,
        system_fingerprint: resp.system_fingerprint,
        choices: resp
            .choices
            .into_iter()
            .map(|c| TextChoice {
                index: index_base + c.index,
                text: c.message.content.unwrap_or_default(),
                finish_reason: c.finish_reason,
                logprobs: c.logprobs,
                extra: Map::new(),
            })
            .collect(),
        usage: resp.usage,
        extra: Map::new(),
    }
}

/// A legacy text completion (from the cache when it has the answer).
pub async fn text_completion(
    req: TextCompletionRequest,
    opts: &CallOptions,
) -> Result<(TextCompletionResponse, Hidden), LlmError> {
    let cache = CallCache::for_call("text_completion", &req, opts);
    if let Some(c) = &cache
        && let Some(resp) = cached::<TextCompletionResponse>(Some(c)).await
    {
        return Ok((resp, Hidden::cache_hit(&req.model, opts, &c.key)));
    }
    // bridged prompts go through chat(): they must not use the cache a second time
    let mut inner = opts.clone();
    if cache.is_some() {
        inner.caching = Some(false);
    }
    let (resp, mut hidden) = text_completion_uncached(req, &inner).await?;
    remember(cache.as_ref(), &resp, &mut hidden);
    Ok((resp, hidden))
}

/// A legacy text completion: the provider's `/completions` when it has one, otherwise bridged
/// through chat (one chat call per prompt).
async fn text_completion_uncached(
    mut req: TextCompletionRequest,
    opts: &CallOptions,
) -> Result<(TextCompletionResponse, Hidden), LlmError> {
    if opts.mock_response.is_none() {
        let started = Instant::now();
        let original_model = std::mem::take(&mut req.model);
        let p = prepare(&original_model, opts).await?;
        req.model.clone_from(&p.resolved.model);
        if serves_text_completion(&p) {
            req.stream = None;
            let http = p.signed(p.provider().build_text_completion(&req, &p.target))?;
            let raw = send_ok(&p, &http).await?;
            let resp = p.provider().parse_text_completion(&raw.body).map_err(|e| p.finish_error(e))?;
            let mut hidden = p.hidden(&original_model);
            hidden.response_headers = raw.headers;
            hidden.response_ms = started.elapsed().as_secs_f64() * 1000.0;
            hidden.price(resp.usage.as_ref(), opts, service_tier(&req.extra), &resp.model);
            return Ok((resp, hidden));
        }
        req.model = original_model;
    }
    let mut out: Option<(TextCompletionResponse, Hidden)> = None;
    let calls =
        prompts(&req.prompt)?.into_iter().map(|p| chat_request_for_prompt(&req, p)).collect::<Result<Vec<_>, _>>()?;
    let results = futures_util::future::try_join_all(calls.into_iter().map(|c| chat(c, opts))).await?;
    for (i, (resp, hidden)) in results.into_iter().enumerate() {
        let t = text_from_chat(resp, i as u32);
        match &mut out {
            None => out = Some((t, hidden)),
            Some((acc, h)) => {
                h.response_cost = match (h.response_cost, hidden.response_cost) {
                    (Some(a), Some(b)) => Some(a + b),
                    _ => None,
                };
                acc.choices.extend(t.choices);
                if let (Some(a), Some(b)) = (acc.usage.as_mut(), t.usage) {
                    a.prompt_tokens += b.prompt_tokens;
                    a.completion_tokens += b.completion_tokens;
                    a.total_tokens += b.total_tokens;
                }
            }
        }
    }
    out.ok_or_else(|| LlmError::bad_request("text_completion needs a non-empty prompt"))
}

/// A streamed text completion (native `/completions` stream, or a bridged chat stream).
pub async fn text_completion_stream(
    mut req: TextCompletionRequest,
    opts: &CallOptions,
) -> Result<ChunkStream, LlmError> {
    let bridged = |req: &TextCompletionRequest| -> Result<ChatRequest, LlmError> {
        let mut ps = prompts(&req.prompt)?;
        if ps.len() != 1 {
            return Err(LlmError::bad_request("a streamed text_completion takes exactly one prompt"));
        }
        let mut chat = chat_request_for_prompt(req, ps.remove(0))?;
        chat.stream = Some(true);
        Ok(chat)
    };
    if opts.mock_response.is_some() {
        let chat = bridged(&req)?;
        return Ok(chat_stream(chat, opts).await?.into_text_stream());
    }
    let original_model = std::mem::take(&mut req.model);
    let p = prepare(&original_model, opts).await?;
    if !serves_text_completion(&p) {
        req.model = original_model;
        let chat = bridged(&req)?;
        return Ok(chat_stream(chat, opts).await?.into_text_stream());
    }
    req.model.clone_from(&p.resolved.model);
    req.stream = Some(true);
    let http = p.signed(p.provider().build_text_completion(&req, &p.target))?;
    let hidden = p.hidden(&original_model);
    let pricer = hidden.stream_pricer(opts, service_tier(&req.extra));
    stream::open_text(p, http, hidden, pricer, opts.stream_timeout_secs()).await
}

/// What litellm's `get_llm_provider` returns: the model without prefix, the provider, the key
/// that would be used and the api_base that would be called.
pub fn provider_info(
    model: &str,
    custom_llm_provider: Option<String>,
    api_base: Option<String>,
    api_key: Option<String>,
) -> Result<(String, String, Option<String>, Option<String>), LlmError> {
    let opts = CallOptions { api_key, api_base, custom_llm_provider, ..CallOptions::default() };
    let resolved = resolve(model, opts.custom_llm_provider.as_deref(), opts.explicit_api_base())?;
    let row = resolved.row();
    Ok((resolved.model.clone(), row.id.to_owned(), resolve_key(row, &opts), resolve_base(row, &opts).ok()))
}

/// The OpenAI chat parameters the provider serving `model` takes (litellm's
/// `get_supported_openai_params`).
pub fn supported_openai_params(model: &str, custom_llm_provider: Option<&str>) -> Result<Vec<&'static str>, LlmError> {
    let resolved = resolve(model, custom_llm_provider, None)?;
    let provider = resolved.provider.get();
    Ok(crate::types::OPENAI_CHAT_PARAMS
        .iter()
        .copied()
        .filter(|p| provider.supports_openai_param(&resolved.model, p))
        .collect())
}
