//! The standard logging payload: one JSON object per finished call, with litellm's field names
//! (`StandardLoggingPayload`), handed to Python callbacks as `kwargs["standard_logging_object"]`
//! and sent by the built-in loggers. Pure: built from the call's canonical values.

use std::time::{SystemTime, UNIX_EPOCH};

use std::borrow::Cow;

use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde_json::{Map, Value};

use crate::engine::{CallOptions, Hidden};
use crate::error::LlmError;

/// What litellm writes in place of message and response text when message logging is off.
pub const REDACTED: &str = "redacted-by-litellm";

/// Seconds since the epoch, as litellm's `startTime` / `endTime`.
pub fn now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}

/// A call being logged: what is known when it starts.
#[derive(Debug, Clone)]
pub struct CallLog {
    /// litellm's call type: `completion`, `acompletion`, `embedding`, `aembedding`,
    /// `text_completion`, `atext_completion`.
    pub call_type: &'static str,
    pub call_id: String,
    pub trace_id: String,
    /// The request body as the caller gave it (model, messages / input / prompt, parameters), as
    /// JSON text: most calls' payloads are never built, and a `Value` tree cost more to make.
    request_json: Box<serde_json::value::RawValue>,
    request: std::sync::OnceLock<Value>,
    pub started: f64,
    pub stream: bool,
}

/// How a call ended.
pub enum Outcome<'a> {
    /// The response, as JSON.
    Success(Value),
    Failure(&'a LlmError),
}

impl CallLog {
    /// Starts logging a call when the edge asked for it (Python callbacks or built-in loggers).
    pub fn start<R: Serialize>(call_type: &'static str, opts: &CallOptions, request: &R, stream: bool) -> Option<Self> {
        if !opts.logging() {
            return None;
        }
        let call_id = opts.litellm_call_id.clone().unwrap_or_else(uuid);
        let trace_id = opts.litellm_trace_id.clone().unwrap_or_else(uuid);
        Some(Self {
            call_type,
            call_id,
            trace_id,
            request_json: serde_json::value::to_raw_value(request)
                .unwrap_or_else(|_| serde_json::value::RawValue::NULL.to_owned()),
            request: std::sync::OnceLock::new(),
            started: now(),
            stream,
        })
    }

    /// The request body as the caller gave it (parsed on first use).
    pub fn request(&self) -> &Value {
        self.request.get_or_init(|| serde_json::from_str(self.request_json.get()).unwrap_or(Value::Null))
    }

    /// The standard logging payload of the finished call. `first_chunk` is when a stream's first
    /// chunk arrived (`completionStartTime`; the end time otherwise). It borrows from the log and
    /// the options and is serialised once.
    pub fn payload<'a>(
        &'a self,
        opts: &'a CallOptions,
        hidden: Option<&'a Hidden>,
        outcome: Outcome<'a>,
        first_chunk: Option<f64>,
    ) -> Payload<'a> {
        let ended = now();
        let redact = opts.turn_off_message_logging.unwrap_or(false);
        let req = self.request().as_object();
        let get = |k: &str| req.and_then(|r| r.get(k));
        let requested_model = get("model").and_then(Value::as_str).unwrap_or_default();

        let (provider, model): (&str, &str) = match (hidden, &outcome) {
            // a routed call names the deployment's model (the group is `model_group`), as litellm does
            (Some(h), _) if h.model_group.is_some() && !h.model.is_empty() => {
                (&h.custom_llm_provider, strip_provider(&h.model, &h.custom_llm_provider))
            }
            (Some(h), _) => (&h.custom_llm_provider, strip_provider(requested_model, &h.custom_llm_provider)),
            (None, Outcome::Failure(e)) if !e.provider.is_empty() => {
                (&e.provider, if e.model.is_empty() { strip_any_provider(requested_model) } else { &e.model })
            }
            _ => (opts.custom_llm_provider.as_deref().unwrap_or_default(), strip_any_provider(requested_model)),
        };

        let raw_messages = get("messages").or_else(|| get("input")).or_else(|| get("prompt"));
        let messages = match raw_messages {
            Some(m) if redact => {
                let mut m = m.clone();
                redact_messages(&mut m);
                Some(Cow::Owned(m))
            }
            Some(m) => Some(Cow::Borrowed(m)),
            None => None,
        };

        let (status, response, error) = match outcome {
            Outcome::Success(mut resp) => {
                if redact {
                    redact_response(&mut resp);
                }
                ("success", resp, None)
            }
            Outcome::Failure(e) => ("failure", Value::Object(Map::new()), Some(e)),
        };
        let id = match response.get("id").and_then(Value::as_str) {
            Some(id) => id.to_owned(),
            None => self.call_id.clone(),
        };
        let usage = response.get("usage").cloned().unwrap_or(Value::Null);
        let tokens = |k: &str| usage.get(k).and_then(Value::as_u64).unwrap_or(0);
        let (prompt_tokens, completion_tokens) = (tokens("prompt_tokens"), tokens("completion_tokens"));
        let total_tokens =
            usage.get("total_tokens").and_then(Value::as_u64).unwrap_or(prompt_tokens + completion_tokens);
        let cost = hidden.and_then(Hidden::cost);
        let user_metadata = opts.metadata.as_ref().and_then(Value::as_object);
        let tags = match (&opts.tags, user_metadata.and_then(|m| m.get("tags"))) {
            (Some(t @ Value::Array(_)), _) | (_, Some(t @ Value::Array(_))) => Some(t),
            _ => None,
        };
        Payload {
            id,
            litellm_call_id: &self.call_id,
            trace_id: &self.trace_id,
            session_id: opts.litellm_session_id.as_deref().unwrap_or_default(),
            call_type: self.call_type,
            cache_hit: hidden.and_then(|h| h.cache_hit.then_some(true)),
            stream: self.stream.then_some(true),
            status,
            status_fields: StatusFields { llm_api_status: status, guardrail_status: "not_run" },
            custom_llm_provider: provider,
            saved_cache_cost: 0.0,
            start_time: self.started,
            end_time: ended,
            completion_start_time: first_chunk.unwrap_or(ended),
            response_time: (ended - self.started).max(0.0),
            model,
            metadata: Metadata { user: user_metadata, usage },
            cache_key: hidden.and_then(|h| h.cache_key.as_deref()),
            response_cost: cost.unwrap_or(0.0),
            cost_breakdown: CostBreakdown { total_cost: cost.unwrap_or(0.0) },
            total_tokens,
            prompt_tokens,
            completion_tokens,
            request_tags: Tags(tags),
            end_user: get("user"),
            api_base: hidden.map_or("", |h| h.api_base.as_str()),
            model_group: opts
                .model_group
                .as_deref()
                .or_else(|| user_metadata.and_then(|m| m.get("model_group")).and_then(Value::as_str))
                .unwrap_or_default(),
            model_id: hidden.and_then(|h| h.model_id.as_deref()).unwrap_or_default(),
            requester_ip_address: None,
            user_agent: None,
            messages,
            response,
            error_str: error.map(error_text),
            error_information: ErrorInfo(error),
            model_parameters: Params(req),
            hidden_params: HiddenParams { hidden },
            model_map_information: ModelMap { model_map_key: model, model_map_value: None },
            guardrail_information: None,
            standard_built_in_tools_params: None,
            cost_finalized: true,
            request_model_access_groups: [],
            response_cost_failure_debug_info: None,
            zero_cost_diagnostic: None,
            autorouter_savings: None,
            autorouter_savings_estimate: None,
            autorouter_baseline_observation: None,
        }
    }
}

/// litellm's `StandardLoggingPayload`, serialised once.
#[derive(Serialize)]
pub struct Payload<'a> {
    id: String,
    litellm_call_id: &'a str,
    trace_id: &'a str,
    session_id: &'a str,
    call_type: &'a str,
    cache_hit: Option<bool>,
    stream: Option<bool>,
    status: &'static str,
    status_fields: StatusFields,
    custom_llm_provider: &'a str,
    saved_cache_cost: f64,
    #[serde(rename = "startTime")]
    start_time: f64,
    #[serde(rename = "endTime")]
    end_time: f64,
    #[serde(rename = "completionStartTime")]
    completion_start_time: f64,
    response_time: f64,
    model: &'a str,
    metadata: Metadata<'a>,
    cache_key: Option<&'a str>,
    response_cost: f64,
    cost_breakdown: CostBreakdown,
    total_tokens: u64,
    prompt_tokens: u64,
    completion_tokens: u64,
    request_tags: Tags<'a>,
    end_user: Option<&'a Value>,
    api_base: &'a str,
    model_group: &'a str,
    model_id: &'a str,
    requester_ip_address: Option<()>,
    user_agent: Option<()>,
    messages: Option<Cow<'a, Value>>,
    response: Value,
    error_str: Option<String>,
    error_information: ErrorInfo<'a>,
    model_parameters: Params<'a>,
    hidden_params: HiddenParams<'a>,
    model_map_information: ModelMap<'a>,
    guardrail_information: Option<()>,
    standard_built_in_tools_params: Option<()>,
    cost_finalized: bool,
    request_model_access_groups: [(); 0],
    response_cost_failure_debug_info: Option<()>,
    zero_cost_diagnostic: Option<()>,
    autorouter_savings: Option<()>,
    autorouter_savings_estimate: Option<()>,
    autorouter_baseline_observation: Option<()>,
}

#[derive(Serialize)]
struct StatusFields {
    llm_api_status: &'static str,
    guardrail_status: &'static str,
}

#[derive(Serialize)]
struct CostBreakdown {
    total_cost: f64,
}

#[derive(Serialize)]
struct ModelMap<'a> {
    model_map_key: &'a str,
    model_map_value: Option<()>,
}

/// `tags=[...]` on the call, else `metadata["tags"]`, else `[]`.
struct Tags<'a>(Option<&'a Value>);

impl Serialize for Tags<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Some(v) => v.serialize(s),
            None => s.serialize_seq(Some(0))?.end(),
        }
    }
}

/// The request's parameters: everything but the model and the prompt.
struct Params<'a>(Option<&'a Map<String, Value>>);

impl Serialize for Params<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        for (k, v) in self.0.into_iter().flatten() {
            if !matches!(k.as_str(), "model" | "messages" | "input" | "prompt") {
                m.serialize_entry(k, v)?;
            }
        }
        m.end()
    }
}

/// litellm's metadata shape (the proxy's key fields, empty in the SDK) with the caller's own
/// metadata keys beside them (litellm drops those; they are what users look for).
struct Metadata<'a> {
    user: Option<&'a Map<String, Value>>,
    usage: Value,
}

const METADATA_NULL_KEYS: &[&str] = &[
    "user_api_key_hash",
    "user_api_key_alias",
    "user_api_key_spend",
    "user_api_key_max_budget",
    "user_api_key_budget_reset_at",
    "user_api_key_user_spend",
    "user_api_key_user_max_budget",
    "user_api_key_team_spend",
    "user_api_key_team_max_budget",
    "user_api_key_team_id",
    "user_api_key_org_id",
    "user_api_key_org_alias",
    "user_api_key_project_id",
    "user_api_key_project_alias",
    "user_api_key_user_id",
    "user_api_key_team_alias",
    "user_api_key_user_email",
    "user_api_key_end_user_id",
    "user_api_key_request_route",
    "spend_logs_metadata",
    "requester_ip_address",
    "user_agent",
    "requester_metadata",
    "prompt_management_metadata",
    "mcp_tool_call_metadata",
    "vector_store_request_metadata",
    "routing_decision",
    "requester_custom_headers",
    "cold_storage_object_key",
    "user_api_key_auth_metadata",
    "team_alias",
    "team_id",
]; // fmt: skip

impl Serialize for Metadata<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        let user = self.user;
        let theirs = |k: &str| user.is_some_and(|u| u.contains_key(k));
        for k in METADATA_NULL_KEYS {
            if !theirs(k) {
                m.serialize_entry(k, &())?;
            }
        }
        if !theirs("applied_guardrails") {
            m.serialize_entry("applied_guardrails", &[(); 0])?;
        }
        if !theirs("usage_object") {
            m.serialize_entry("usage_object", &self.usage)?;
        }
        for (k, v) in user.into_iter().flatten() {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

fn error_text(e: &LlmError) -> String {
    format!("litellm.{}: {}", e.kind.class_name(), e.message)
}

struct ErrorInfo<'a>(Option<&'a LlmError>);

impl Serialize for ErrorInfo<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(5))?;
        match self.0 {
            Some(e) => {
                m.serialize_entry("error_code", &e.status.to_string())?;
                m.serialize_entry("error_class", e.kind.class_name())?;
                m.serialize_entry("llm_provider", &e.provider)?;
                m.serialize_entry("traceback", "")?;
                m.serialize_entry("error_message", &error_text(e))?;
            }
            None => {
                for k in ["error_code", "error_class", "llm_provider", "traceback", "error_message"] {
                    m.serialize_entry(k, "")?;
                }
            }
        }
        m.end()
    }
}

struct HiddenParams<'a> {
    hidden: Option<&'a Hidden>,
}

impl Serialize for HiddenParams<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Headers<'a>(&'a [(String, String)]);
        impl Serialize for Headers<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(Some(self.0.len()))?;
                for (k, v) in self.0 {
                    m.serialize_entry(&format_args!("llm_provider-{k}").to_string(), v)?;
                }
                m.end()
            }
        }
        let h = self.hidden;
        let mut m = s.serialize_map(Some(9))?;
        m.serialize_entry("model_id", &h.and_then(|h| h.model_id.as_deref()))?;
        m.serialize_entry("cache_key", &h.and_then(|h| h.cache_key.as_deref()))?;
        m.serialize_entry("api_base", &h.map(|h| h.api_base.as_str()).filter(|b| !b.is_empty()))?;
        m.serialize_entry("response_cost", &h.and_then(Hidden::cost))?;
        m.serialize_entry("additional_headers", &h.map(|h| Headers(&h.response_headers)))?;
        m.serialize_entry("litellm_overhead_time_ms", &())?;
        m.serialize_entry("batch_models", &())?;
        m.serialize_entry("litellm_model_name", &h.map(|h| h.model.as_str()))?;
        m.serialize_entry("usage_object", &())?;
        m.end()
    }
}

/// A random UUID (version 4 layout), as litellm's call and trace ids.
pub fn uuid() -> String {
    let (a, b) = (fastrand::u64(..), fastrand::u64(..));
    let b = (b & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
    let a = (a & 0xffff_ffff_ffff_0fff) | 0x0000_0000_0000_4000;
    // 8-4-4-4-12 hex digits, written by hand (format!'s padding machinery cost more than the rest)
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bits = (u128::from(a) << 64) | u128::from(b);
    let mut out = String::with_capacity(36);
    for i in 0..32 {
        if matches!(i, 8 | 12 | 16 | 20) {
            out.push('-');
        }
        out.push(HEX[((bits >> (124 - 4 * i)) & 0xf) as usize] as char);
    }
    out
}

/// `groq/llama-3` -> `llama-3` when the prefix names the serving provider.
fn strip_provider<'a>(model: &'a str, provider: &str) -> &'a str {
    match model.split_once('/') {
        Some((prefix, rest)) if prefix == provider => rest,
        _ => model,
    }
}

/// The model without its provider prefix, whatever the prefix.
fn strip_any_provider(model: &str) -> &str {
    model.split_once('/').map_or(model, |(_, m)| m)
}

fn redact_messages(messages: &mut Value) {
    match messages {
        Value::Array(items) => {
            for m in items {
                match m {
                    Value::Object(obj) => {
                        if obj.contains_key("content") {
                            obj.insert("content".into(), Value::String(REDACTED.into()));
                        }
                    }
                    other => *other = Value::String(REDACTED.into()),
                }
            }
        }
        other => *other = Value::String(REDACTED.into()),
    }
}

fn redact_response(resp: &mut Value) {
    let Some(choices) = resp.get_mut("choices").and_then(Value::as_array_mut) else {
        return;
    };
    for c in choices {
        if let Some(msg) = c.get_mut("message").and_then(Value::as_object_mut) {
            msg.insert("content".into(), Value::String(REDACTED.into()));
            msg.remove("reasoning_content");
            msg.remove("thinking_blocks");
        }
        if let Some(text) = c.get_mut("text") {
            *text = Value::String(REDACTED.into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_has_the_v4_shape() {
        let u = uuid();
        let parts: Vec<&str> = u.split('-').collect();
        assert_eq!(parts.iter().map(|p| p.len()).collect::<Vec<_>>(), vec![8, 4, 4, 4, 12]);
        assert!(parts[2].starts_with('4'));
        assert!(matches!(parts[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'));
    }
}

#[cfg(test)]
mod speed {
    use super::*;
    use serde_json::json;

    #[test]
    #[ignore]
    fn payload_speed() {
        let opts = CallOptions { log_payload: Some(true), ..CallOptions::default() };
        let req = json!({"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "hello there"}]});
        let resp = json!({"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello! How can I help you today?"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 9, "total_tokens": 19}});
        let hidden =
            Hidden { custom_llm_provider: "openai".into(), model: "openai/gpt-4o-mini".into(), ..Hidden::default() };
        let n = 20_000;
        let t = std::time::Instant::now();
        for _ in 0..n {
            let log = CallLog::start("completion", &opts, &req, false).unwrap();
            let p = log.payload(&opts, Some(&hidden), Outcome::Success(resp.clone()), None);
            std::hint::black_box(serde_json::to_vec(&p).unwrap());
        }
        eprintln!("payload: {:.2} us", t.elapsed().as_secs_f64() / n as f64 * 1e6);
    }
}

#[cfg(test)]
mod shape {
    use super::*;
    use serde_json::json;

    fn opts() -> CallOptions {
        CallOptions { log_payload: Some(true), ..CallOptions::default() }
    }

    fn render(log: &CallLog, opts: &CallOptions, hidden: Option<&Hidden>, outcome: Outcome<'_>) -> Value {
        serde_json::to_value(log.payload(opts, hidden, outcome, None)).unwrap()
    }

    #[test]
    fn success_payload_carries_usage_cost_tags_and_parameters() {
        let mut opts = opts();
        opts.metadata = Some(json!({"team": "a", "tags": ["from-metadata"], "model_group": "gpt"}));
        opts.tags = Some(json!(["from-call"]));
        let req = json!({"model": "groq/llama-3", "messages": [{"role": "user", "content": "hi"}], "temperature": 0.1, "user": "u"});
        let log = CallLog::start("completion", &opts, &req, false).unwrap();
        let hidden = Hidden {
            custom_llm_provider: "groq".into(),
            api_base: "http://127.0.0.1:1/v1".into(),
            model: "groq/llama-3".into(),
            response_cost: Some(0.25),
            response_headers: vec![("x-request-id".into(), "r1".into())],
            ..Hidden::default()
        };
        let resp = json!({"id": "chatcmpl-9", "choices": [{"index": 0, "message": {"role": "assistant", "content": "yo"}}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 4}});
        let p = render(&log, &opts, Some(&hidden), Outcome::Success(resp));
        assert_eq!(p["id"], "chatcmpl-9");
        assert_eq!(p["model"], "llama-3");
        assert_eq!(p["custom_llm_provider"], "groq");
        assert_eq!(
            (p["prompt_tokens"].as_u64(), p["completion_tokens"].as_u64(), p["total_tokens"].as_u64()),
            (Some(3), Some(4), Some(7))
        );
        assert_eq!(p["response_cost"], 0.25);
        assert_eq!(p["request_tags"], json!(["from-call"]));
        assert_eq!(p["model_group"], "gpt");
        assert_eq!(p["end_user"], "u");
        assert_eq!(p["model_parameters"], json!({"temperature": 0.1, "user": "u"}));
        assert_eq!(p["metadata"]["team"], "a");
        assert_eq!(p["metadata"]["user_api_key_hash"], Value::Null);
        assert_eq!(p["hidden_params"]["additional_headers"]["llm_provider-x-request-id"], "r1");
        assert_eq!(p["api_base"], "http://127.0.0.1:1/v1");
        assert_eq!(p["status"], "success");
        assert!(p["startTime"].as_f64().unwrap() <= p["endTime"].as_f64().unwrap());
    }

    #[test]
    fn failure_payload_names_the_error_class_and_status() {
        let opts = opts();
        let log =
            CallLog::start("acompletion", &opts, &json!({"model": "openai/gpt-4o", "messages": []}), false).unwrap();
        let mut e = LlmError::new(crate::ErrorKind::RateLimit, "slow down");
        e.provider = "openai".into();
        e.model = "gpt-4o".into();
        let p = render(&log, &opts, None, Outcome::Failure(&e));
        assert_eq!(p["status"], "failure");
        assert_eq!(p["id"], p["litellm_call_id"]);
        assert_eq!(p["error_information"]["error_class"], "RateLimitError");
        assert_eq!(p["error_information"]["error_code"], "429");
        assert_eq!(p["error_str"], "litellm.RateLimitError: slow down");
        assert_eq!(p["response"], json!({}));
        assert_eq!(p["model"], "gpt-4o");
        assert_eq!(p["request_tags"], json!([]));
    }

    #[test]
    fn turn_off_message_logging_redacts_messages_and_answers() {
        let mut opts = opts();
        opts.turn_off_message_logging = Some(true);
        let req = json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "secret plan"}]});
        let log = CallLog::start("completion", &opts, &req, false).unwrap();
        let resp =
            json!({"choices": [{"message": {"role": "assistant", "content": "the plan", "reasoning_content": "x"}}]});
        let p = render(&log, &opts, None, Outcome::Success(resp));
        let text = p.to_string();
        assert!(!text.contains("secret plan") && !text.contains("the plan"), "{text}");
        assert_eq!(p["messages"][0]["role"], "user");
        assert_eq!(p["response"]["choices"][0]["message"]["content"], REDACTED);
    }

    #[test]
    fn no_payload_unless_asked_for() {
        assert!(CallLog::start("completion", &CallOptions::default(), &json!({}), false).is_none());
        let opts = CallOptions { loggers: Some(vec!["otel".into()]), ..CallOptions::default() };
        assert!(CallLog::start("completion", &opts, &json!({}), false).is_some());
    }
}
