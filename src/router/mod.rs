//! The Router: load balancing over deployments grouped by `model_name`, retries inside a group,
//! fallbacks across groups, and a per-deployment circuit breaker (cooldowns) applied the same way
//! to every call type. Routing reads only in-process state (atomics and short locks); with Redis
//! configured, usage, failures, cooldowns and latency are also shared with other processes
//! ([`shared`]).

pub mod config;
pub mod health;
mod shared;
pub mod state;
mod strategy;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use config::{DEFAULT_ALLOWED_FAILS, DEFAULT_COOLDOWN_SECS, DEFAULT_MAX_FALLBACKS, DEFAULT_NUM_RETRIES, Fallbacks};
pub use config::{Deployment, Settings};
use state::{DeploymentState, now_ms};
use strategy::{GroupMemory, PickInput};

use crate::engine::{CallOptions, ChunkStream, Hidden};
use crate::error::{ErrorKind, LlmError};
use crate::types::{
    ChatRequest, ChatResponse, EmbeddingRequest, EmbeddingResponse, TextCompletionRequest, TextCompletionResponse,
};

/// A request the Router can send to any deployment of a group.
pub trait Routable: Clone + serde::Serialize + serde::de::DeserializeOwned {
    fn model(&self) -> &str;
    fn set_model(&mut self, model: String);
    /// The `user` of the request (consistent hashing keys on it by default).
    fn user(&self) -> Option<&str>;
    /// A quick estimate of the input tokens (usage limits and context-window checks).
    fn input_tokens(&self) -> u64;

    /// Fills request-body defaults of a deployment (`temperature`, ...) the call did not set.
    fn with_defaults(self, body: &Map<String, Value>) -> Result<Self, LlmError> {
        if body.is_empty() {
            return Ok(self);
        }
        let mut v = serde_json::to_value(&self).map_err(|e| LlmError::bad_request(e.to_string()))?;
        if let Value::Object(m) = &mut v {
            for (k, val) in body {
                if m.get(k).is_none_or(Value::is_null) {
                    m.insert(k.clone(), val.clone());
                }
            }
        }
        serde_json::from_value(v).map_err(|e| LlmError::bad_request(format!("invalid deployment default: {e}")))
    }
}

fn text_tokens(v: &Value) -> u64 {
    match v {
        Value::String(s) => s.len() as u64 / 4 + 1,
        Value::Array(items) => items.iter().map(text_tokens).sum(),
        Value::Object(m) => m.values().map(text_tokens).sum(),
        _ => 0,
    }
}

impl Routable for ChatRequest {
    fn model(&self) -> &str {
        &self.model
    }
    fn set_model(&mut self, model: String) {
        self.model = model;
    }
    fn user(&self) -> Option<&str> {
        self.extra.get("user").and_then(Value::as_str)
    }
    fn input_tokens(&self) -> u64 {
        // about 4 characters a token, and 4 tokens of framing per message (a count, not a tokenizer)
        serde_json::to_value(&self.messages).map_or(0, |m| text_tokens(&m)) + 4 * self.messages.len() as u64
    }
}

impl Routable for EmbeddingRequest {
    fn model(&self) -> &str {
        &self.model
    }
    fn set_model(&mut self, model: String) {
        self.model = model;
    }
    fn user(&self) -> Option<&str> {
        self.user.as_deref()
    }
    fn input_tokens(&self) -> u64 {
        text_tokens(&self.input)
    }
}

impl Routable for TextCompletionRequest {
    fn model(&self) -> &str {
        &self.model
    }
    fn set_model(&mut self, model: String) {
        self.model = model;
    }
    fn user(&self) -> Option<&str> {
        self.extra.get("user").and_then(Value::as_str)
    }
    fn input_tokens(&self) -> u64 {
        text_tokens(&self.prompt)
    }
}

/// The outcome of a routed call: its hidden params and the tokens it used.
pub trait Routed {
    fn hidden_mut(&mut self) -> &mut Hidden;
    fn tokens(&self) -> u64;
    /// Keeps the call counted in flight for as long as the outcome lasts (a stream, until it
    /// ends); an answer is complete, so it lets go at once.
    fn hold(&mut self, in_flight: state::InFlight, _report: impl FnOnce() -> Option<state::TokenReport>) {
        drop(in_flight);
    }
}

macro_rules! routed_pair {
    ($($t:ty),*) => {$(
        impl Routed for ($t, Hidden) {
            fn hidden_mut(&mut self) -> &mut Hidden {
                &mut self.1
            }
            fn tokens(&self) -> u64 {
                self.0.usage.as_ref().map_or(0, |u| u.total_tokens)
            }
        }
    )*};
}
routed_pair!(ChatResponse, EmbeddingResponse, TextCompletionResponse);

impl Routed for ChunkStream {
    fn hidden_mut(&mut self) -> &mut Hidden {
        &mut self.hidden
    }
    fn tokens(&self) -> u64 {
        0 // known at the stream's end
    }
    /// Counted in flight until the stream ends; its tokens (from its usage chunk) then count in
    /// the deployment's tpm window.
    fn hold(&mut self, in_flight: state::InFlight, report: impl FnOnce() -> Option<state::TokenReport>) {
        let in_flight = in_flight.with_tokens(self.hidden.stream_tokens.clone(), report());
        self.hold_until_end(Box::new(in_flight));
    }
}

/// A call's own options and the module settings under them (the deployment's sit between).
#[derive(Default, Clone)]
pub struct CallMaps {
    pub call: Map<String, Value>,
    pub defaults: Map<String, Value>,
}

struct Group {
    name: String,
    members: Vec<Arc<Deployment>>,
    memory: GroupMemory,
}

#[derive(Default)]
struct Table {
    list: Vec<Arc<Deployment>>,
    groups: HashMap<String, Arc<Group>>,
    /// `(pattern, group)`, longest pattern first.
    wildcards: Vec<(String, Arc<Group>)>,
}

fn wildcard_match(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        Some((pre, post)) => name.len() >= pre.len() + post.len() && name.starts_with(pre) && name.ends_with(post),
        None => pattern == name,
    }
}

impl Table {
    fn build(list: Vec<Arc<Deployment>>) -> Self {
        let mut members: HashMap<String, Vec<Arc<Deployment>>> = HashMap::new();
        let mut order: Vec<String> = Vec::new();
        for d in &list {
            let e = members.entry(d.model_name.clone()).or_default();
            if e.is_empty() {
                order.push(d.model_name.clone());
            }
            e.push(d.clone());
        }
        let mut groups = HashMap::new();
        let mut wildcards = Vec::new();
        for name in order {
            let g = Arc::new(Group {
                name: name.clone(),
                members: members.remove(&name).unwrap_or_default(),
                memory: GroupMemory::default(),
            });
            if name.contains('*') {
                wildcards.push((name.clone(), g.clone()));
            }
            groups.insert(name, g);
        }
        wildcards.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
        Table { list, groups, wildcards }
    }
}

/// Why an attempt cannot be made on any deployment of a group.
fn no_deployments(group: &str, cooling: &[&Arc<Deployment>], now: u64) -> LlmError {
    let wait = cooling.iter().map(|d| d.state.cooldown_until().saturating_sub(now)).min().unwrap_or(0);
    let ids: Vec<&str> = cooling.iter().map(|d| d.id.as_str()).collect();
    let mut e = LlmError::new(
        ErrorKind::RateLimit,
        format!(
            "No deployments available for selected model, Try again in {:.0} seconds. Passed model={group}. \
             cooldown_list={ids:?}",
            (wait as f64 / 1000.0).ceil()
        ),
    );
    e.model = group.to_owned();
    if wait > 0 {
        e.retry_after = Some(wait as f64 / 1000.0);
    }
    e
}

/// The retry-policy names of an error class, most specific first (litellm's `RetryPolicy`).
fn policy_names(kind: ErrorKind) -> &'static [&'static str] {
    match kind {
        ErrorKind::BadRequest | ErrorKind::UnsupportedParams | ErrorKind::UnprocessableEntity => &["BadRequestError"],
        ErrorKind::ContextWindowExceeded => &["ContextWindowExceededError", "BadRequestError"],
        ErrorKind::ContentPolicyViolation => &["ContentPolicyViolationError", "BadRequestError"],
        ErrorKind::Authentication => &["AuthenticationError"],
        ErrorKind::PermissionDenied => &["PermissionDeniedError"],
        ErrorKind::NotFound => &["NotFoundError"],
        ErrorKind::Timeout => &["TimeoutError", "Timeout"],
        ErrorKind::RateLimit => &["RateLimitError"],
        ErrorKind::ServiceUnavailable => &["ServiceUnavailableError", "InternalServerError"],
        ErrorKind::BadGateway => &["BadGatewayError", "InternalServerError"],
        ErrorKind::InternalServer | ErrorKind::Api | ErrorKind::ResponseValidation => &["InternalServerError"],
        ErrorKind::ApiConnection => &["APIConnectionError", "InternalServerError"],
        ErrorKind::UnknownProvider => &["BadRequestError"],
    }
}

fn policy_value(policy: Option<&HashMap<String, u32>>, kind: ErrorKind, suffix: &str) -> Option<u32> {
    let policy = policy?;
    policy_names(kind).iter().find_map(|n| policy.get(&format!("{n}{suffix}")).copied())
}

/// Errors the caller caused: another deployment would answer the same.
fn caller_error(kind: ErrorKind) -> bool {
    matches!(
        kind,
        ErrorKind::BadRequest
            | ErrorKind::ContextWindowExceeded
            | ErrorKind::ContentPolicyViolation
            | ErrorKind::UnsupportedParams
            | ErrorKind::UnknownProvider
            | ErrorKind::UnprocessableEntity
    )
}

pub struct Router {
    table: RwLock<Arc<Table>>,
    settings: RwLock<Arc<Settings>>,
    /// Live state by deployment id (kept when a deployment is replaced by one with the same id).
    states: shared::States,
    shared: shared::Shared,
    /// Bumped when background health checks (re)start; an older task stops.
    health_generation: std::sync::atomic::AtomicU64,
}

fn read<T: Clone>(l: &RwLock<T>) -> T {
    l.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
}

impl Router {
    pub fn new(model_list: &[Value], settings: Settings) -> Result<Self, LlmError> {
        let states = shared::States::default();
        let shared = shared::Shared::new(&settings, &states);
        let router = Router {
            table: RwLock::default(),
            settings: RwLock::new(Arc::new(settings)),
            states,
            shared,
            health_generation: Default::default(),
        };
        router.set_model_list(model_list)?;
        Ok(router)
    }

    fn state_for(&self) -> impl FnMut(&str) -> Arc<DeploymentState> + '_ {
        move |id: &str| {
            let mut states = self.states.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            states.entry(id.to_owned()).or_default().clone()
        }
    }

    fn parse_all(&self, model_list: &[Value]) -> Result<Vec<Arc<Deployment>>, LlmError> {
        let mut state_for = self.state_for();
        let mut out: Vec<Arc<Deployment>> = Vec::with_capacity(model_list.len());
        for entry in model_list {
            let d = Deployment::parse(entry, &mut state_for)?;
            // litellm keeps the first of two entries with one id
            if !out.iter().any(|o| o.id == d.id) {
                out.push(Arc::new(d));
            }
        }
        Ok(out)
    }

    /// Replaces the model list (`set_model_list`); live state of kept ids stays.
    pub fn set_model_list(&self, model_list: &[Value]) -> Result<(), LlmError> {
        let list = self.parse_all(model_list)?;
        self.install(list);
        Ok(())
    }

    fn install(&self, list: Vec<Arc<Deployment>>) {
        {
            let mut states = self.states.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            states.retain(|id, _| list.iter().any(|d| &d.id == id));
        }
        *self.table.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(Table::build(list));
    }

    /// Adds a deployment, or replaces the one with its id; returns whether it replaced one.
    pub fn upsert_deployment(&self, entry: &Value) -> Result<(bool, String), LlmError> {
        let d = Arc::new(Deployment::parse(entry, &mut self.state_for())?);
        let id = d.id.clone();
        let mut list = read(&self.table).list.clone();
        let replaced = match list.iter().position(|o| o.id == d.id) {
            Some(i) => {
                list[i] = d;
                true
            }
            None => {
                list.push(d);
                false
            }
        };
        self.install(list);
        Ok((replaced, id))
    }

    /// Adds a deployment unless one with its id exists; returns its id when added.
    pub fn add_deployment(&self, entry: &Value) -> Result<Option<String>, LlmError> {
        let d = Deployment::parse(entry, &mut self.state_for())?;
        let mut list = read(&self.table).list.clone();
        if list.iter().any(|o| o.id == d.id) {
            return Ok(None);
        }
        let id = d.id.clone();
        list.push(Arc::new(d));
        self.install(list);
        Ok(Some(id))
    }

    /// Removes a deployment by id; returns its entry.
    pub fn delete_deployment(&self, id: &str) -> Option<Value> {
        let mut list = read(&self.table).list.clone();
        let i = list.iter().position(|d| d.id == id)?;
        let d = list.remove(i);
        self.install(list);
        Some(d.to_json())
    }

    pub fn update_settings(&self, settings: Settings) {
        self.shared.configure(&settings);
        *self.settings.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(settings);
    }

    pub fn settings(&self) -> Arc<Settings> {
        read(&self.settings)
    }

    /// Every deployment, as `get_model_list()` returns them (optionally one group's).
    pub fn model_list(&self, group: Option<&str>) -> Vec<Value> {
        read(&self.table).list.iter().filter(|d| group.is_none_or(|g| d.model_name == g)).map(|d| d.to_json()).collect()
    }

    /// The group names, in order of first appearance (`get_model_names()`).
    pub fn model_names(&self) -> Vec<String> {
        let t = read(&self.table);
        let mut out: Vec<String> = Vec::new();
        for d in &t.list {
            if !out.contains(&d.model_name) {
                out.push(d.model_name.clone());
            }
        }
        out
    }

    /// Every deployment as the proxy's `/model/info` shows it: `litellm_params` without
    /// credentials, and `model_info` with the model map's facts under the entry's own.
    pub fn public_model_info(&self) -> Vec<Value> {
        read(&self.table)
            .list
            .iter()
            .map(|d| {
                let provider = d.options.get("custom_llm_provider").and_then(Value::as_str);
                let mut info = crate::cost::effective_entry(&d.model, provider, &Default::default(), None)
                    .map(|e| (*e).clone())
                    .unwrap_or_default();
                info.extend(d.model_info.iter().map(|(k, v)| (k.clone(), v.clone())));
                info.insert("id".into(), Value::String(d.id.clone()));
                serde_json::json!({
                    "model_name": d.model_name,
                    "litellm_params": Value::Object(health::public_params(d)),
                    "model_info": Value::Object(info),
                })
            })
            .collect()
    }

    /// The provider model a group's first deployment calls (the proxy's token counter).
    pub fn group_model(&self, requested: &str) -> Option<String> {
        let s = self.settings();
        let table = read(&self.table);
        let group = self.group(&table, &s, requested).ok()?;
        group.members.first().map(|d| d.model_for(requested))
    }

    /// An upper bound of the prices a request for `requested` can meet: the highest input and
    /// output price per token among the deployments of the group and of every group it may fall
    /// back to (their own pricing first, else the model map's; tiered and cache-write prices
    /// included), and the largest output limit. Deployments without a price cost nothing.
    pub fn max_prices(&self, requested: &str) -> (f64, f64, Option<u64>) {
        let s = self.settings();
        let table = read(&self.table);
        let mut groups = vec![requested.to_owned()];
        let lookup = |list: Option<&Fallbacks>, g: &str| list.and_then(|l| l.iter().find_map(|m| m.get(g).cloned()));
        for list in [&s.fallbacks, &s.context_window_fallbacks, &s.content_policy_fallbacks] {
            groups.extend(lookup(list.as_ref(), requested).or_else(|| lookup(list.as_ref(), "*")).unwrap_or_default());
        }
        groups.extend(s.default_fallbacks.iter().flatten().cloned());
        groups.dedup();
        let (mut input, mut output, mut max_out) = (0.0f64, 0.0f64, None::<u64>);
        for name in &groups {
            let Ok(group) = self.group(&table, &s, name) else { continue };
            for d in &group.members {
                let (i, o, limit) = d.max_prices(name);
                input = input.max(i);
                output = output.max(o);
                if let Some(l) = limit {
                    max_out = Some(max_out.map_or(l, |m| m.max(l)));
                }
            }
        }
        (input, output, max_out)
    }

    pub fn deployment(&self, id: &str) -> Option<Value> {
        read(&self.table).list.iter().find(|d| d.id == id).map(|d| d.to_json())
    }

    /// Per-deployment statistics: calls, failures, latency, cost, usage, cooldown.
    pub fn stats(&self) -> Vec<Value> {
        let now = now_ms();
        read(&self.table)
            .list
            .iter()
            .map(|d| {
                let mut s = d.state.stats(now);
                s["model_id"] = Value::String(d.id.clone());
                s["model_name"] = Value::String(d.model_name.clone());
                s["model"] = Value::String(d.model.clone());
                if let Some(w) = d.weight {
                    s["weight"] = Value::from(w);
                }
                s
            })
            .collect()
    }

    /// Clears the live state of every deployment (statistics, usage, cooldowns).
    pub fn reset(&self) {
        for d in &read(&self.table).list {
            d.state.reset();
        }
    }

    /// Takes a deployment out of rotation for `seconds` (here and, with Redis, everywhere).
    pub fn cooldown(&self, id: &str, seconds: f64) -> bool {
        let Some(d) = read(&self.table).list.iter().find(|d| d.id == id).cloned() else {
            return false;
        };
        let until = now_ms() + (seconds.max(0.0) * 1000.0) as u64;
        d.state.cool_until(until);
        self.shared.cooled(&d.id, until);
        true
    }

    /// The group a requested name routes to: an alias, a group, a deployment id, or a wildcard.
    fn group(&self, table: &Table, s: &Settings, requested: &str) -> Result<Arc<Group>, LlmError> {
        let name = match s.model_group_alias.as_ref().and_then(|a| a.get(requested)) {
            Some(Value::String(n)) => n.as_str(),
            Some(Value::Object(o)) => o.get("model").and_then(Value::as_str).unwrap_or(requested),
            _ => requested,
        };
        if let Some(g) = table.groups.get(name) {
            return Ok(g.clone());
        }
        if let Some(d) = table.list.iter().find(|d| d.id == name) {
            return Ok(Arc::new(Group {
                name: d.model_name.clone(),
                members: vec![d.clone()],
                memory: GroupMemory::default(),
            }));
        }
        if let Some((_, g)) = table.wildcards.iter().find(|(p, _)| wildcard_match(p, name)) {
            return Ok(g.clone());
        }
        let mut e = LlmError::bad_request(format!(
            "You passed in model={requested}. There is no 'model_name' with this string. \
             Available model groups: {:?}",
            self.model_names()
        ));
        e.model = requested.to_owned();
        Err(e)
    }

    /// Picks a deployment of `group` for a call; `avoid` is left out when another is available.
    fn pick(
        &self,
        s: &Settings,
        group: &Group,
        input: &PickInput<'_>,
        tags: &[&str],
        avoid: Option<&str>,
    ) -> Result<Arc<Deployment>, LlmError> {
        let now = input.now;
        let usage_limits = matches!(s.strategy(), "usage-based-routing" | "usage-based-routing-v2")
            || s.enable_pre_call_checks == Some(true);
        let ctx_check = s.enable_pre_call_checks == Some(true);
        let tag_filter = s.enable_tag_filtering == Some(true);
        let health = s.enable_health_check_routing == Some(true);
        let stale_ms = (s.health_check_staleness_threshold.unwrap_or(3600.0).max(0.0) * 1000.0) as u64;
        let mut cooling: Vec<&Arc<Deployment>> = Vec::new();
        let mut too_small = 0;
        let mut over_limit = 0;
        let mut cands: Vec<(usize, &Arc<Deployment>)> = Vec::with_capacity(group.members.len());
        for (pos, d) in group.members.iter().enumerate() {
            if d.state.rolled_back() || (health && d.state.unhealthy(now, stale_ms)) {
                continue;
            }
            if d.state.cooling(now) {
                cooling.push(d);
                continue;
            }
            if let Some(max) = d.max_parallel_requests.or(s.default_max_parallel_requests)
                && d.state.in_flight() >= max
            {
                over_limit += 1;
                continue;
            }
            if usage_limits && (d.rpm.is_some() || d.tpm.is_some()) {
                let (rpm, tpm) = d.state.usage(now);
                if d.rpm.is_some_and(|l| rpm >= l) || d.tpm.is_some_and(|l| tpm + input.input_tokens > l) {
                    over_limit += 1;
                    continue;
                }
            }
            if ctx_check && d.max_input_tokens.is_some_and(|m| input.input_tokens > m) {
                too_small += 1;
                continue;
            }
            cands.push((pos, d));
        }
        if tag_filter {
            cands = filter_tags(cands, tags, s.tag_filtering_match_any.unwrap_or(false)).map_err(|mut e| {
                e.model = group.name.clone();
                e
            })?;
        }
        // a retry goes elsewhere when it can (before `order`, so that it may reach the next order)
        if cands.len() > 1
            && let Some(a) = avoid
        {
            cands.retain(|(_, d)| d.id != a);
        }
        if let Some(min) = cands.iter().filter_map(|(_, d)| d.order).min() {
            cands.retain(|(_, d)| d.order.is_none_or(|o| o == min));
            if cands.iter().any(|(_, d)| d.order.is_some()) {
                cands.retain(|(_, d)| d.order.is_some());
            }
        }
        if cands.is_empty() {
            if too_small > 0 && cooling.is_empty() && over_limit == 0 {
                let mut e = LlmError::new(
                    ErrorKind::ContextWindowExceeded,
                    format!(
                        "The input ({} tokens, estimated) is larger than the context window of every deployment \
                         of model={}",
                        input.input_tokens, group.name
                    ),
                );
                e.model = group.name.clone();
                return Err(e);
            }
            return Err(no_deployments(&group.name, &cooling, now));
        }
        let i = strategy::pick(s, &group.memory, group.members.len(), &cands, input);
        Ok(cands[i].1.clone())
    }

    /// The deployment a call to `model` would use now (`get_available_deployment`).
    pub fn available_deployment(
        &self,
        model: &str,
        maps: &CallMaps,
        input_tokens: u64,
        user: Option<&str>,
    ) -> Result<Value, LlmError> {
        let s = self.settings();
        let table = read(&self.table);
        let group = self.group(&table, &s, model)?;
        let hash_key = hash_key(&s, &maps.call, user);
        let input = PickInput { now: now_ms(), input_tokens, hash_key: hash_key.as_deref() };
        let tags = request_tags(&maps.call);
        Ok(self.pick(&s, &group, &input, &tags, None)?.to_json())
    }

    /// Routes a call: the group's deployments with retries, then the fallback groups.
    pub async fn route<R, T, F, Fut>(&self, req: R, mut maps: CallMaps, op: F) -> Result<T, LlmError>
    where
        R: Routable,
        T: Routed,
        F: Fn(R, CallOptions) -> Fut,
        Fut: Future<Output = Result<T, LlmError>>,
    {
        self.shared.ensure_started();
        let s = self.settings();
        let call_fallbacks = maps.call.remove("fallbacks");
        let mut mock_fallbacks = maps.call.remove("mock_testing_fallbacks").and_then(|v| v.as_bool()).unwrap_or(false);
        let call_retries = maps.call.remove("num_retries").or_else(|| maps.call.remove("max_retries"));
        let call_retries = call_retries.and_then(|v| v.as_u64()).map(|n| n.min(20) as u32);
        let requested = req.model().to_owned();
        let attempt = Attempt { router: self, s: &s, maps: &maps, call_retries, op: &op };
        let first = attempt.group(&requested, &req, std::mem::take(&mut mock_fallbacks)).await;
        let err = match first {
            Ok(v) => return Ok(v),
            Err(e) => e,
        };
        // a request another group would reject the same way goes back to the caller as is (context
        // window and content policy errors have fallbacks of their own)
        if matches!(
            err.kind,
            ErrorKind::BadRequest
                | ErrorKind::UnsupportedParams
                | ErrorKind::UnprocessableEntity
                | ErrorKind::UnknownProvider
        ) && call_fallbacks.is_none()
        {
            return Err(err);
        }
        let fallbacks = fallbacks_for(&s, &requested, &err, call_fallbacks.as_ref());
        let mut tried: Vec<String> = Vec::new();
        for fb in fallbacks.iter().filter(|g| *g != &requested).take(s.max_fallbacks.unwrap_or(DEFAULT_MAX_FALLBACKS)) {
            tracing::info!(from = %requested, to = %fb, error = %err, "router: falling back");
            let mut r = req.clone();
            r.set_model(fb.clone());
            match attempt.group(fb, &r, false).await {
                Ok(v) => return Ok(v),
                Err(e) => tried.push(format!("{fb} ({})", e.kind.class_name())),
            }
        }
        // every fallback failed too: the first group's error, which names what went wrong, and
        // the groups tried after it
        let mut err = err;
        if !tried.is_empty() {
            err.message = format!("{} (fallbacks tried: {})", err.message, tried.join(", "));
        }
        Err(err)
    }

    /// After a failed attempt: counts it, and cools the deployment down when the failure says
    /// it is unhealthy (at once for 429/401/403/404; after `allowed_fails` failures in a minute
    /// otherwise). Errors the caller caused never count against a deployment.
    fn on_failure(&self, s: &Settings, group_len: usize, d: &Deployment, e: &LlmError, latency_ms: f64) {
        let now = now_ms();
        let against = !caller_error(e.kind);
        let fails = d.state.failure(now, latency_ms, against);
        let shared_fails = if against { self.shared.failed(&d.id, now) } else { 0 };
        if let (Some(policy), true) = (s.canary_rollback, d.canary) {
            let (n, rate) = d.state.error_rate();
            if n >= policy.min_requests && rate > policy.max_error_rate && d.state.roll_back() {
                tracing::warn!(model_id = %d.id, model_name = %d.model_name, error_rate = rate, "router: canary rolled back");
            }
        }
        if s.disable_cooldowns == Some(true) || !against {
            return;
        }
        let policy = policy_value(s.allowed_fails_policy.as_ref(), e.kind, "AllowedFails");
        // a group's only deployment is not cut off by one 429 (its retries wait instead); its
        // failures still count towards allowed_fails
        let immediate = policy.is_none()
            && (group_len > 1 || e.kind != ErrorKind::RateLimit)
            && matches!(
                e.kind,
                ErrorKind::RateLimit | ErrorKind::Authentication | ErrorKind::PermissionDenied | ErrorKind::NotFound
            );
        let allowed = policy.or(s.allowed_fails).unwrap_or(DEFAULT_ALLOWED_FAILS);
        if immediate || fails.max(shared_fails) > allowed {
            let secs = d.cooldown_time.or(s.cooldown_time).unwrap_or(DEFAULT_COOLDOWN_SECS);
            let secs = secs.max(e.retry_after.unwrap_or(0.0).min(300.0));
            let until = now + (secs * 1000.0) as u64;
            d.state.cool_until(until);
            self.shared.cooled(&d.id, until);
            tracing::warn!(model_id = %d.id, model_name = %d.model_name, seconds = secs, error = %e, "router: deployment cooling down");
        }
    }
}

fn filter_tags<'a>(
    cands: Vec<(usize, &'a Arc<Deployment>)>,
    tags: &[&str],
    match_any: bool,
) -> Result<Vec<(usize, &'a Arc<Deployment>)>, LlmError> {
    let has_default = |d: &Deployment| d.tags.iter().any(|t| t == "default");
    if tags.is_empty() {
        if cands.iter().any(|(_, d)| has_default(d)) {
            return Ok(cands.into_iter().filter(|(_, d)| has_default(d)).collect());
        }
        return Ok(cands);
    }
    let matches = |d: &Deployment| {
        if match_any {
            tags.iter().any(|t| d.tags.iter().any(|x| x == t))
        } else {
            tags.iter().all(|t| d.tags.iter().any(|x| x == t))
        }
    };
    let (hit, rest): (Vec<_>, Vec<_>) = cands.into_iter().partition(|(_, d)| matches(d));
    if !hit.is_empty() {
        return Ok(hit);
    }
    let defaults: Vec<_> = rest.into_iter().filter(|(_, d)| has_default(d)).collect();
    if defaults.is_empty() {
        return Err(LlmError::bad_request(format!("no deployment matches the request's tags {tags:?}")));
    }
    Ok(defaults)
}

/// The request's tags: `tags=` or `metadata["tags"]`.
fn request_tags(call: &Map<String, Value>) -> Vec<&str> {
    let list = call.get("tags").or_else(|| call.get("metadata").and_then(|m| m.get("tags")));
    match list {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// The value consistent hashing keys on: `routing_strategy_args["hash_key"]` names `user` (the
/// default) or a `metadata` field.
fn hash_key(s: &Settings, call: &Map<String, Value>, user: Option<&str>) -> Option<String> {
    match s.arg("hash_key").and_then(Value::as_str) {
        None | Some("user") => user.map(str::to_owned),
        Some(field) => match call.get("metadata").and_then(|m| m.get(field)) {
            Some(Value::String(v)) => Some(v.clone()),
            Some(v) if !v.is_null() => Some(v.to_string()),
            _ => None,
        },
    }
}

/// The groups to fall back to after `err` on `group`, in order.
fn fallbacks_for(s: &Settings, group: &str, err: &LlmError, call: Option<&Value>) -> Vec<String> {
    fn lookup(list: Option<&Fallbacks>, group: &str) -> Option<Vec<String>> {
        list?.iter().find_map(|m| m.get(group).cloned())
    }
    if let Some(v) = call {
        // per call: a list of group names, or litellm's list of {group: [...]}
        return match v {
            Value::Array(items) => items
                .iter()
                .flat_map(|i| match i {
                    Value::String(g) => vec![g.clone()],
                    Value::Object(m) => m
                        .get(group)
                        .or_else(|| m.get("model"))
                        .and_then(Value::as_array)
                        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                        .unwrap_or_default(),
                    _ => Vec::new(),
                })
                .collect(),
            _ => Vec::new(),
        };
    }
    let generic = || {
        lookup(s.fallbacks.as_ref(), group)
            .or_else(|| lookup(s.fallbacks.as_ref(), "*"))
            .or_else(|| s.default_fallbacks.clone())
            .unwrap_or_default()
    };
    match err.kind {
        ErrorKind::ContextWindowExceeded => lookup(s.context_window_fallbacks.as_ref(), group).unwrap_or_else(generic),
        ErrorKind::ContentPolicyViolation => lookup(s.content_policy_fallbacks.as_ref(), group).unwrap_or_else(generic),
        _ => generic(),
    }
}

/// One routed call's attempts on a group.
struct Attempt<'a, F> {
    router: &'a Router,
    s: &'a Settings,
    maps: &'a CallMaps,
    call_retries: Option<u32>,
    op: &'a F,
}

impl<F> Attempt<'_, F> {
    fn options(&self, d: &Deployment, group: &str) -> Result<CallOptions, LlmError> {
        let mut m = self.maps.defaults.clone();
        for (k, v) in &d.options {
            m.insert(k.clone(), v.clone());
        }
        for (k, v) in &self.maps.call {
            m.insert(k.clone(), v.clone());
        }
        // the deployment's model_info prices its calls (a base_model, costs), as in litellm
        if let Some(info) = &d.priced_info
            && !m.contains_key("model_info")
        {
            m.insert("model_info".into(), Value::Object(info.clone()));
        }
        m.remove("num_retries");
        m.remove("max_retries");
        if !m.contains_key("timeout")
            && let Some(t) = self.s.timeout
        {
            m.insert("timeout".into(), Value::from(t));
        }
        if !m.contains_key("stream_timeout")
            && let Some(t) = self.s.stream_timeout
        {
            m.insert("stream_timeout".into(), Value::from(t));
        }
        m.insert("model_group".into(), Value::String(group.to_owned()));
        m.insert("model_id".into(), Value::String(d.id.clone()));
        let mut opts: CallOptions = serde::Deserialize::deserialize(Value::Object(m)).map_err(|e| {
            LlmError::bad_request(format!("invalid litellm_params for deployment {} ({}): {e}", d.id, d.model_name))
        })?;
        if self.s.response_cache.is_some() {
            opts.response_cache = self.s.response_cache.clone();
        }
        Ok(opts)
    }

    fn retries_for(&self, group: &str, kind: ErrorKind) -> (u32, bool) {
        let per_group = self.s.model_group_retry_policy.as_ref().and_then(|m| m.get(group));
        if let Some(n) = policy_value(per_group, kind, "Retries")
            .or_else(|| policy_value(self.s.retry_policy.as_ref(), kind, "Retries"))
        {
            return (n, true);
        }
        (self.call_retries.or(self.s.num_retries).unwrap_or(DEFAULT_NUM_RETRIES), false)
    }

    async fn group<R, T, Fut>(&self, requested: &str, req: &R, mock_fallback: bool) -> Result<T, LlmError>
    where
        R: Routable,
        T: Routed,
        F: Fn(R, CallOptions) -> Fut,
        Fut: Future<Output = Result<T, LlmError>>,
    {
        let router = self.router;
        let table = read(&router.table);
        let group = router.group(&table, self.s, requested)?;
        // a wildcard group (`openai/*`) serves many models: the requested name is the group the
        // call reports and the cache keys on, so that one model's answer never serves another
        let group_name = if group.name.contains('*') { requested } else { group.name.as_str() };
        let needs_tokens = self.s.enable_pre_call_checks == Some(true)
            || matches!(self.s.strategy(), "usage-based-routing" | "usage-based-routing-v2");
        let input_tokens = if needs_tokens { req.input_tokens() } else { 0 };
        let hash_key = if matches!(self.s.strategy(), "consistent-hashing" | "sticky") {
            hash_key(self.s, &self.maps.call, req.user())
        } else {
            None
        };
        let tags = if self.s.enable_tag_filtering == Some(true) { request_tags(&self.maps.call) } else { Vec::new() };
        let mut attempt = 0u32;
        let mut avoid: Option<String> = None;
        loop {
            let now = now_ms();
            let input = PickInput { now, input_tokens, hash_key: hash_key.as_deref() };
            let d = router.pick(self.s, &group, &input, &tags, avoid.as_deref())?;
            if mock_fallback {
                let mut e = LlmError::new(
                    ErrorKind::InternalServer,
                    format!("This is a mock exception for model={requested}, to trigger a fallback."),
                );
                e.model = requested.to_owned();
                return Err(e);
            }
            let opts = self.options(&d, group_name)?;
            let mut r = req.clone().with_defaults(&d.body)?;
            r.set_model(d.model_for(requested));
            let started = Instant::now();
            let in_flight = d.state.begin(now);
            router.shared.request(&d.id, now);
            // boxed: inline, the call's future would sit in this one and in route's twice over
            // (first group and fallbacks), and be copied with them
            let mut result = Box::pin((self.op)(r, opts)).await;
            match &mut result {
                Ok(out) => out.hold(in_flight, || router.shared.token_reporter(&d.id)),
                Err(_) => drop(in_flight),
            }
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            match result {
                Ok(mut out) => {
                    let tokens = out.tokens();
                    let h = out.hidden_mut();
                    let cost = if h.cache_hit { 0.0 } else { h.cost().unwrap_or(0.0) };
                    d.state.success(now_ms(), ms, tokens, cost);
                    router.shared.succeeded(&d.id, tokens, d.state.latency());
                    h.model_id = Some(d.id.clone());
                    h.model_group = Some(group_name.to_owned());
                    return Ok(out);
                }
                Err(mut e) => {
                    router.on_failure(self.s, group.members.len(), &d, &e, ms);
                    let (limit, by_policy) = self.retries_for(&group.name, e.kind);
                    let now = now_ms();
                    let others =
                        group.members.iter().any(|o| o.id != d.id && !o.state.cooling(now) && !o.state.rolled_back());
                    let worth = by_policy
                        || match e.kind {
                            ErrorKind::Authentication | ErrorKind::PermissionDenied | ErrorKind::NotFound => others,
                            k => k.is_retryable(),
                        };
                    // nothing left to retry on when this deployment was just cooled down and is the only one
                    let stuck = !others && d.state.cooling(now);
                    if attempt < limit && worth && !stuck {
                        let floor = self.s.retry_after.filter(|f| f.is_finite() && *f > 0.0).unwrap_or(0.0).min(600.0);
                        let wait = if others {
                            Duration::from_secs_f64(floor)
                        } else {
                            crate::engine::backoff(attempt, e.retry_after).max(Duration::from_secs_f64(floor))
                        };
                        tracing::debug!(model_id = %d.id, attempt, error = %e, "router: retrying");
                        tokio::time::sleep(wait).await;
                        attempt += 1;
                        avoid = Some(d.id.clone());
                        continue;
                    }
                    e.num_retries = attempt;
                    return Err(e);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
