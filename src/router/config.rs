//! The Router's inputs in litellm's shapes: `model_list` entries (deployments) and the
//! constructor settings the engine acts on.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::state::DeploymentState;
use crate::error::LlmError;

/// `litellm_params` keys that configure routing, not the call.
const ROUTING_KEYS: &[&str] = &[
    "model",
    "rpm",
    "tpm",
    "weight",
    "order",
    "tags",
    "max_parallel_requests",
    "cooldown_time",
    "max_budget",
    "budget_duration",
    "num_retries",
    "max_retries",
    "use_in_pass_through",
];

/// `litellm_params` keys that are request-body defaults (the call's own values win).
const BODY_KEYS: &[&str] = &[
    "temperature",
    "top_p",
    "n",
    "stop",
    "max_tokens",
    "max_completion_tokens",
    "presence_penalty",
    "frequency_penalty",
    "logit_bias",
    "seed",
    "response_format",
    "reasoning_effort",
    "thinking",
    "service_tier",
    "dimensions",
    "encoding_format",
    "user",
];

/// One `model_list` entry.
pub struct Deployment {
    pub id: String,
    /// The group (`model_name`): a name, or a wildcard pattern (`openai/*`).
    pub model_name: String,
    /// `litellm_params.model`, possibly with a `*` filled from the requested name.
    pub model: String,
    /// The call options this deployment sets (`api_key`, `api_base`, `timeout`, ...).
    pub options: Map<String, Value>,
    /// Request-body defaults (`temperature`, `max_tokens`, ...).
    pub body: Map<String, Value>,
    pub rpm: Option<u64>,
    pub tpm: Option<u64>,
    pub weight: Option<f64>,
    pub order: Option<u64>,
    pub tags: Vec<String>,
    pub max_parallel_requests: Option<u64>,
    pub cooldown_time: Option<f64>,
    pub model_info: Map<String, Value>,
    pub litellm_params: Map<String, Value>,
    /// Price per input + output token (cost-based routing), when known.
    pub unit_cost: Option<f64>,
    /// The model's context window, when known (pre-call checks).
    pub max_input_tokens: Option<u64>,
    /// The deployment's own pricing (litellm_params' prices and base_model, model_info), as its
    /// calls are priced.
    pub pricing: crate::cost::CustomPricing,
    /// The pricing part of `model_info`, handed to its calls (None: nothing to price with).
    pub priced_info: Option<Map<String, Value>>,
    pub canary: bool,
    pub state: Arc<DeploymentState>,
}

/// What of a deployment's `model_info` prices its calls (a `base_model`, prices, limits); None
/// when nothing (an `id` alone), so that plain calls skip the per-call pricing overlay.
fn pricing_info(model_info: &Map<String, Value>) -> Option<Map<String, Value>> {
    let m: Map<String, Value> = model_info
        .iter()
        .filter(|(k, v)| {
            !v.is_null()
                && (k.as_str() == "base_model"
                    || k.contains("cost")
                    || k.starts_with("max_")
                    || k.starts_with("supports_"))
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    (!m.is_empty()).then_some(m)
}

/// A deployment's pricing as the engine prices its calls: its call options (prices per token or
/// second, `base_model`) with its `model_info` (a `base_model`, prices).
fn pricing_of(options: &Map<String, Value>, info: Option<&Map<String, Value>>) -> crate::cost::CustomPricing {
    let mut m = options.clone();
    if let Some(info) = info {
        m.insert("model_info".into(), Value::Object(info.clone()));
    }
    serde_json::from_value::<crate::engine::CallOptions>(Value::Object(m))
        .map(|o| o.custom_pricing())
        .unwrap_or_default()
}

fn number(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Python's `str()` of a JSON value (litellm hashes deployments from their Python text).
fn py_text(v: &Value, out: &mut String) {
    match v {
        Value::String(s) => out.push_str(s),
        Value::Null => out.push_str("None"),
        Value::Bool(true) => out.push_str("True"),
        Value::Bool(false) => out.push_str("False"),
        Value::Number(n) if n.is_f64() => out.push_str(&py_float(n.as_f64().unwrap_or_default())),
        Value::Number(n) => out.push_str(&n.to_string()),
        // str() of a list is its repr; a dict goes through json.dumps (as litellm hashes them)
        Value::Array(_) => py_repr(v, out),
        Value::Object(_) => out.push_str(&json_dumps(v)),
    }
}

/// Python's `repr()` of a JSON value.
fn py_repr(v: &Value, out: &mut String) {
    match v {
        Value::String(s) => {
            let quote = if s.contains('\'') && !s.contains('"') { '"' } else { '\'' };
            out.push(quote);
            for c in s.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    '\t' => out.push_str("\\t"),
                    '\r' => out.push_str("\\r"),
                    c if c == quote => {
                        out.push('\\');
                        out.push(c);
                    }
                    c => out.push(c),
                }
            }
            out.push(quote);
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                py_repr(item, out);
            }
            out.push(']');
        }
        Value::Object(m) => {
            out.push('{');
            for (i, (k, item)) in m.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                py_repr(&Value::String(k.clone()), out);
                out.push_str(": ");
                py_repr(item, out);
            }
            out.push('}');
        }
        other => py_text(other, out),
    }
}

/// Python's `repr()` of a float: the shortest digits that read back the same, in fixed notation
/// from 1e-4 to 1e16 (`0.5`, `100.0`) and in exponent notation outside (`1e-07`, `1.5e+16`).
fn py_float(f: f64) -> String {
    let a = f.abs();
    if f == 0.0 || (1e-4..1e16).contains(&a) {
        let s = f.to_string();
        return if s.contains('.') { s } else { format!("{s}.0") };
    }
    let s = format!("{f:e}");
    match s.split_once('e') {
        Some((mantissa, exp)) => {
            let (sign, digits) = exp.strip_prefix('-').map_or(("+", exp), |d| ("-", d));
            format!("{mantissa}e{sign}{digits:0>2}")
        }
        None => s,
    }
}

fn json_dumps(v: &Value) -> String {
    match v {
        Value::Number(n) if n.is_f64() => py_float(n.as_f64().unwrap_or_default()),
        Value::Array(items) => format!("[{}]", items.iter().map(json_dumps).collect::<Vec<_>>().join(", ")),
        Value::Object(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{}: {}", Value::String(k.clone()), json_dumps(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.to_string(),
    }
}

/// litellm's deployment id: SHA-256 of the group name followed by each `litellm_params` key and
/// value as Python text.
pub fn deployment_id(model_name: &str, litellm_params: &Map<String, Value>) -> String {
    let mut text = String::from(model_name);
    for (k, v) in litellm_params {
        text.push_str(k);
        py_text(v, &mut text);
    }
    crate::util::sha256_hex(text.as_bytes())
}

impl Deployment {
    /// Builds a deployment from a `model_list` entry; `state` keeps the live state of a
    /// deployment with the same id.
    pub fn parse(entry: &Value, state_for: &mut dyn FnMut(&str) -> Arc<DeploymentState>) -> Result<Self, LlmError> {
        let bad = |msg: &str| LlmError::bad_request(format!("invalid model_list entry: {msg}"));
        let obj = entry.as_object().ok_or_else(|| bad("expected an object"))?;
        let model_name = obj
            .get("model_name")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| bad("`model_name` is required"))?
            .to_owned();
        let litellm_params = obj
            .get("litellm_params")
            .and_then(Value::as_object)
            .ok_or_else(|| bad(&format!("`litellm_params` is required (model_name={model_name})")))?
            .clone();
        let model = litellm_params
            .get("model")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| bad(&format!("`litellm_params.model` is required (model_name={model_name})")))?
            .to_owned();
        let model_info = obj.get("model_info").and_then(Value::as_object).cloned().unwrap_or_default();
        let id = match model_info.get("id") {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => deployment_id(&model_name, &litellm_params),
        };
        let mut options = Map::new();
        let mut body = Map::new();
        for (k, v) in &litellm_params {
            if v.is_null() || ROUTING_KEYS.contains(&k.as_str()) {
                continue;
            }
            // "os.environ/NAME" reads the environment (an unset variable leaves the option unset)
            let v = match v.as_str().and_then(|s| s.strip_prefix("os.environ/")) {
                Some(name) => match crate::util::env_var(name) {
                    Some(value) => Value::String(value),
                    None => continue,
                },
                None => v.clone(),
            };
            if BODY_KEYS.contains(&k.as_str()) {
                body.insert(k.clone(), v);
            } else {
                options.insert(k.clone(), v);
            }
        }
        let tags = match litellm_params.get("tags") {
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
            _ => Vec::new(),
        };
        let priced_info = pricing_info(&model_info);
        let pricing = pricing_of(&options, priced_info.as_ref());
        let provider = litellm_params.get("custom_llm_provider").and_then(Value::as_str);
        let entry = crate::cost::effective_entry(&model, provider, &pricing, None);
        let unit_cost = entry.as_ref().and_then(|e| {
            let i = number(e.get("input_cost_per_token"));
            let o = number(e.get("output_cost_per_token"));
            if i.is_none() && o.is_none() { None } else { Some(i.unwrap_or(0.0) + o.unwrap_or(0.0)) }
        });
        let max_input_tokens = number(model_info.get("max_input_tokens"))
            .or_else(|| entry.as_ref().and_then(|e| number(e.get("max_input_tokens"))))
            .map(|n| n as u64);
        let state = state_for(&id);
        Ok(Deployment {
            model_name,
            model,
            options,
            body,
            rpm: number(litellm_params.get("rpm")).or_else(|| number(model_info.get("rpm"))).map(|n| n as u64),
            tpm: number(litellm_params.get("tpm")).or_else(|| number(model_info.get("tpm"))).map(|n| n as u64),
            weight: number(litellm_params.get("weight")),
            order: number(litellm_params.get("order")).map(|n| n as u64),
            tags,
            max_parallel_requests: number(litellm_params.get("max_parallel_requests")).map(|n| n as u64),
            cooldown_time: number(litellm_params.get("cooldown_time")),
            canary: model_info.get("canary").and_then(Value::as_bool).unwrap_or(false),
            model_info,
            litellm_params,
            unit_cost,
            max_input_tokens,
            pricing,
            priced_info,
            id,
            state,
        })
    }

    /// The highest input and output price per token a call of this deployment can meet (prices
    /// of long prompts, cache writes and reasoning included; batch, flex and priority service
    /// tiers left out), and its output limit.
    pub fn max_prices(&self, requested: &str) -> (f64, f64, Option<u64>) {
        let model = self.model_for(requested);
        let provider = self.options.get("custom_llm_provider").and_then(Value::as_str);
        let Some(entry) = crate::cost::effective_entry(&model, provider, &self.pricing, None) else {
            return (0.0, 0.0, None);
        };
        let highest = |prefixes: &[&str]| {
            entry
                .iter()
                .filter(|(k, _)| prefixes.iter().any(|p| k.starts_with(p)))
                // service tiers a request asks for by name are not its price (nor cheaper batches)
                .filter(|(k, _)| !["_batches", "_flex", "_priority"].iter().any(|t| k.contains(t)))
                .filter_map(|(_, v)| number(Some(v)))
                .fold(0.0f64, f64::max)
        };
        let input = highest(&["input_cost_per_token", "cache_creation_input_token_cost"]);
        let output = highest(&["output_cost_per_token", "output_cost_per_reasoning_token"]);
        let limit = number(entry.get("max_output_tokens").or_else(|| entry.get("max_tokens"))).map(|n| n as u64);
        (input, output, limit)
    }

    /// The model to call for a requested name: a `*` in `litellm_params.model` takes the part of
    /// the name the group's wildcard matched.
    pub fn model_for(&self, requested: &str) -> String {
        if !self.model.contains('*') {
            return self.model.clone();
        }
        let matched = match self.model_name.split_once('*') {
            Some((pre, post)) => requested.strip_prefix(pre).and_then(|r| r.strip_suffix(post)).unwrap_or(requested),
            None => requested,
        };
        self.model.replacen('*', matched, 1)
    }

    /// The entry as `get_model_list()` shows it.
    pub fn to_json(&self) -> Value {
        let mut info = self.model_info.clone();
        info.insert("id".into(), Value::String(self.id.clone()));
        if !info.contains_key("db_model") {
            info.insert("db_model".into(), Value::Bool(false));
        }
        serde_json::json!({
            "model_name": self.model_name,
            "litellm_params": self.litellm_params,
            "model_info": info,
        })
    }
}

/// A fallback list in litellm's shape: `[{"gpt-4o": ["claude", "gemini"]}, ...]`.
pub type Fallbacks = Vec<HashMap<String, Vec<String>>>;

/// The constructor parameters the engine acts on (the Python layer keeps the others).
#[derive(Clone, Default, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// The response cache of this router's calls (a proxy's `litellm_settings.cache`); None:
    /// the process's cache (`litellm_rs.cache`).
    #[serde(skip)]
    pub response_cache: Option<std::sync::Arc<crate::cache::ResponseCache>>,
    pub routing_strategy: Option<String>,
    pub routing_strategy_args: Option<Map<String, Value>>,
    pub num_retries: Option<u32>,
    pub max_fallbacks: Option<usize>,
    pub timeout: Option<f64>,
    pub stream_timeout: Option<f64>,
    pub retry_after: Option<f64>,
    pub retry_policy: Option<HashMap<String, u32>>,
    pub model_group_retry_policy: Option<HashMap<String, HashMap<String, u32>>>,
    pub allowed_fails: Option<u32>,
    pub allowed_fails_policy: Option<HashMap<String, u32>>,
    pub cooldown_time: Option<f64>,
    pub disable_cooldowns: Option<bool>,
    pub fallbacks: Option<Fallbacks>,
    pub default_fallbacks: Option<Vec<String>>,
    pub context_window_fallbacks: Option<Fallbacks>,
    pub content_policy_fallbacks: Option<Fallbacks>,
    pub model_group_alias: Option<Map<String, Value>>,
    pub enable_pre_call_checks: Option<bool>,
    pub enable_tag_filtering: Option<bool>,
    pub tag_filtering_match_any: Option<bool>,
    pub default_max_parallel_requests: Option<u64>,
    /// Canary rollback: a deployment with `model_info.canary` whose error rate goes above
    /// `max_error_rate` after `min_requests` calls leaves the rotation.
    pub canary_rollback: Option<CanaryRollback>,
    /// Health checks: seconds between background checks (none without it), the groups checked
    /// (all without it), one check's timeout, skipping unhealthy deployments, how long a failed
    /// check counts, and whether 429/timeouts are ignored by the checks.
    pub health_check_interval: Option<f64>,
    pub background_health_check_model_groups: Option<Vec<String>>,
    pub health_check_timeout: Option<f64>,
    pub enable_health_check_routing: Option<bool>,
    pub health_check_staleness_threshold: Option<f64>,
    pub health_check_ignore_transient_errors: Option<bool>,
    /// Shared state: usage, failures, cooldowns and latency in this Redis.
    pub redis_url: Option<String>,
    /// Keys in Redis are `litellm_rs:router:<namespace>:...` (routers sharing state use one).
    pub redis_namespace: Option<String>,
}

#[derive(Clone, Copy, Deserialize)]
pub struct CanaryRollback {
    #[serde(default = "default_error_rate")]
    pub max_error_rate: f64,
    #[serde(default = "default_min_requests")]
    pub min_requests: u64,
}

fn default_error_rate() -> f64 {
    0.5
}
fn default_min_requests() -> u64 {
    10
}

/// litellm's defaults.
pub const DEFAULT_NUM_RETRIES: u32 = 2;
pub const DEFAULT_ALLOWED_FAILS: u32 = 3;
pub const DEFAULT_COOLDOWN_SECS: f64 = 5.0;
pub const DEFAULT_MAX_FALLBACKS: usize = 5;

impl Settings {
    pub fn strategy(&self) -> &str {
        self.routing_strategy.as_deref().unwrap_or("simple-shuffle")
    }

    pub fn arg(&self, name: &str) -> Option<&Value> {
        self.routing_strategy_args.as_ref()?.get(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<Deployment, LlmError> {
        Deployment::parse(&v, &mut |_| Arc::default())
    }

    #[test]
    fn splits_litellm_params() {
        let d = parse(json!({
            "model_name": "gpt",
            "litellm_params": {"model": "openai/gpt-4o", "api_key": "sk-x", "rpm": 10, "temperature": 0.2,
                               "tags": ["eu"], "weight": 2},
        }))
        .unwrap();
        assert_eq!(d.model, "openai/gpt-4o");
        assert_eq!(d.options.get("api_key"), Some(&json!("sk-x")));
        assert!(!d.options.contains_key("rpm") && !d.options.contains_key("model"));
        assert_eq!(d.body.get("temperature"), Some(&json!(0.2)));
        assert_eq!((d.rpm, d.weight, d.tags.clone()), (Some(10), Some(2.0), vec!["eu".to_owned()]));
        assert!(d.unit_cost.unwrap() > 0.0);
        assert_eq!(d.max_input_tokens, Some(128_000));
    }

    #[test]
    fn ids_are_litellm_hashes_unless_given() {
        let params = json!({"model": "openai/gpt-4o", "rpm": 10, "temperature": 0.5, "stream": true});
        let d = parse(json!({"model_name": "gpt", "litellm_params": params})).unwrap();
        // sha256("gpt" + "modelopenai/gpt-4o" + "rpm10" + "temperature0.5" + "streamTrue")
        assert_eq!(d.id, crate::util::sha256_hex(b"gptmodelopenai/gpt-4orpm10temperature0.5streamTrue"));
        let d =
            parse(json!({"model_name": "gpt", "litellm_params": {"model": "x"}, "model_info": {"id": "a1"}})).unwrap();
        assert_eq!(d.id, "a1");
    }

    #[test]
    fn floats_read_as_python_writes_them() {
        for (f, py) in
            [(0.5, "0.5"), (100.0, "100.0"), (1e-7, "1e-07"), (1.5e-7, "1.5e-07"), (2e16, "2e+16"), (0.0001, "0.0001")]
        {
            assert_eq!(py_float(f), py);
        }
    }

    #[test]
    fn wildcards_fill_the_model() {
        let d = parse(json!({"model_name": "openai/*", "litellm_params": {"model": "openai/*"}})).unwrap();
        assert_eq!(d.model_for("openai/gpt-4o-mini"), "openai/gpt-4o-mini");
        let d = parse(json!({"model_name": "*", "litellm_params": {"model": "groq/*"}})).unwrap();
        assert_eq!(d.model_for("llama3"), "groq/llama3");
    }

    #[test]
    fn bad_entries_say_what_is_missing() {
        let e = parse(json!({"model_name": "gpt", "litellm_params": {}})).err().unwrap();
        assert!(e.message.contains("litellm_params.model"), "{}", e.message);
        let e = parse(json!({"litellm_params": {"model": "x"}})).err().unwrap();
        assert!(e.message.contains("model_name"), "{}", e.message);
    }
}
