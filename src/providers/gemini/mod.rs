//! Gemini (Google AI Studio): `generateContent` / `streamGenerateContent?alt=sse`, translated
//! both ways without I/O.
//!
//! The body builder ([`generate_content_body`]), the response and stream parsers
//! ([`parse_response`], [`parse_stream_event`]) and the error mapping ([`map_google_error`]) do
//! not depend on the URL or the auth scheme, so the Vertex AI provider reuses them.

mod request;
mod response;
mod schema;

use serde_json::Value;

use super::openai_compat::{Auth, Row};
use super::{CallTarget, HttpRequest, Provider, StreamState};
use crate::error::{ErrorKind, LlmError};
use crate::types::{ChatChunk, ChatRequest, ChatResponse};

pub use request::{BodyOptions, DUMMY_THOUGHT_SIGNATURE, generate_content_body, mime_from_extension};
pub use response::{
    GenerateContentResponse, UsageMetadata, map_finish_reason, parse_response, parse_stream_event, usage,
};
pub use schema::to_gemini_schema;

/// Where Gemini lives and how it takes its key.
pub static ROW: Row = Row {
    id: "gemini",
    base_url: "https://generativelanguage.googleapis.com/v1beta",
    key_env: &["GEMINI_API_KEY", "GOOGLE_API_KEY"],
    base_env: &["GEMINI_API_BASE"],
    settings_key: Some("gemini_key"),
    auth: Auth::Header("x-goog-api-key"),
    renames: &[],
    unsupported: UNSUPPORTED,
    headers: &[],
    hosts: &[],
    quirks: 0,
};

/// OpenAI parameters Gemini does not take: raised as `UnsupportedParamsError` (or dropped under
/// `drop_params`), as litellm 1.110.2 does for `gemini/`. `reasoning_effort` depends on the model,
/// see [`supports_param`]. `user` and `metadata` are accepted and not sent, as in litellm.
pub const UNSUPPORTED: &[&str] = &[
    "prediction",
    "audio",
    "logit_bias",
    "verbosity",
    "function_call",
    "safety_identifier",
    "store",
    "prompt_cache_key",
    "prompt_cache_retention",
    "top_logprobs",
];

/// litellm's separator for a thought signature embedded in a tool call id.
pub const THOUGHT_SIGNATURE_SEPARATOR: &str = "__thought__";

/// Whether `model` is Gemini 3 or later (thinking levels, mandatory function-call signatures,
/// no penalties), by litellm's test (`"gemini-3" in model`).
pub fn is_gemini_3(model: &str) -> bool {
    model.contains("gemini-3")
}

/// Whether structured output goes as `responseJsonSchema` (Gemini 2.0 and later) rather than the
/// OpenAPI-style `responseSchema` (litellm's `supports_response_json_schema`).
pub fn supports_json_schema_output(model: &str) -> bool {
    let m = model.to_ascii_lowercase();
    let Some(pos) = m.find("gemini-") else {
        return false;
    };
    let rest = &m[pos + 7..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let next = rest[digits.len()..].chars().next();
    digits.parse::<u32>().is_ok_and(|major| major >= 2) && matches!(next, Some('.' | '-'))
}

/// Whether `model` thinks (takes `reasoning_effort` / `thinking`). litellm reads this from its
/// model map; without one, Gemini 1.x, 2.0 and Gemma are the models that do not.
pub fn supports_reasoning(model: &str) -> bool {
    let m = model.to_ascii_lowercase();
    !(m.contains("gemini-1") || m.contains("gemini-2.0") || m.contains("gemma") || m.contains("gemini-pro-vision"))
}

/// Whether Gemini takes the OpenAI parameter `name` for `model`.
pub fn supports_param(model: &str, name: &str) -> bool {
    match name {
        "reasoning_effort" => supports_reasoning(model),
        other => !UNSUPPORTED.contains(&other),
    }
}

/// A Google error body (`{"error": {"code", "message", "status", "details"}}`) as the exception
/// litellm raises for it (`exception_mapping_utils`, the vertex_ai / gemini branch, checked
/// against litellm 1.110.2): an invalid key is an `AuthenticationError` (401) although Google
/// answers 400; token-limit and payload-size messages are `ContextWindowExceededError`;
/// `RESOURCE_EXHAUSTED` / "Quota exceeded" is `RateLimitError`; 403 is a `BadRequestError` keeping
/// status 403; "The model is overloaded." is an `InternalServerError` with status 500 although
/// Google sends 503; other statuses map as usual. Google's `RetryInfo.retryDelay` becomes the
/// retry-after when no header gives one.
pub fn map_google_error(
    provider: &str,
    status: u16,
    headers: Vec<(String, String)>,
    body: &[u8],
    model: &str,
) -> LlmError {
    let mut e = LlmError::from_upstream(status, headers, body, provider, model);
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let err = parsed.as_ref().map(|v| if let Some(a) = v.as_array() { a.first().unwrap_or(v) } else { v });
    let err = err.and_then(|v| v.get("error"));
    let message = err.and_then(|e| e.get("message")).and_then(Value::as_str).unwrap_or_default();
    let google_status = err.and_then(|e| e.get("status")).and_then(Value::as_str).unwrap_or_default();
    let details = err.and_then(|e| e.get("details")).and_then(Value::as_array);
    let reason =
        |r: &str| details.is_some_and(|d| d.iter().any(|x| x.get("reason").and_then(Value::as_str) == Some(r)));

    if message.contains("API key not valid") || reason("API_KEY_INVALID") {
        e.kind = ErrorKind::Authentication;
        e.status = 401;
    } else if message.contains("Request payload size exceeds")
        || (message.contains("input token count") && message.contains("exceeds"))
    {
        e.kind = ErrorKind::ContextWindowExceeded;
    } else if message.contains("The response was blocked.") {
        e.kind = ErrorKind::ContentPolicyViolation;
    } else if google_status == "RESOURCE_EXHAUSTED" || message.contains("Quota exceeded for") {
        e.kind = ErrorKind::RateLimit;
    } else if message.contains("The model is overloaded.") || message.contains("Content has no parts.") {
        e.kind = ErrorKind::InternalServer;
        e.status = 500;
    } else if status == 403 {
        e.kind = ErrorKind::BadRequest;
    }
    if e.retry_after.is_none() {
        e.retry_after = details
            .and_then(|d| d.iter().find_map(|x| x.get("retryDelay").and_then(Value::as_str)).and_then(parse_duration));
    }
    e
}

/// A protobuf JSON duration (`"37s"`, `"1.5s"`) in seconds.
fn parse_duration(s: &str) -> Option<f64> {
    s.strip_suffix('s').and_then(|n| n.parse::<f64>().ok()).filter(|n| n.is_finite() && *n >= 0.0)
}

/// The `generateContent` URL as litellm builds it: `{api_base}/models/{model}:generateContent`, or
/// `...:streamGenerateContent?alt=sse`. The default base carries the API version
/// (`https://generativelanguage.googleapis.com/v1beta`), as a custom one must (a proxy's
/// `.../v1beta`); Google's bare host given as api_base gets `/v1beta` added.
pub fn model_url(api_base: &str, model: &str, stream: bool) -> String {
    let base = api_base.trim_end_matches('/');
    let model = model.strip_prefix("models/").unwrap_or(model);
    let bare_google = base.split_once("://").map_or(base, |(_, rest)| rest) == "generativelanguage.googleapis.com";
    let version = if bare_google { "/v1beta" } else { "" };
    if stream {
        format!("{base}{version}/models/{model}:streamGenerateContent?alt=sse")
    } else {
        format!("{base}{version}/models/{model}:generateContent")
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Gemini;

impl Gemini {
    fn headers(target: &CallTarget) -> Vec<(String, String)> {
        let mut h: Vec<(String, String)> = Vec::with_capacity(2 + target.extra_headers.len());
        h.push(("content-type".into(), "application/json".into()));
        if let Some(key) = target.api_key.as_deref().filter(|k| !k.is_empty()) {
            h.push(("x-goog-api-key".into(), key.to_owned()));
        }
        for (k, v) in &target.extra_headers {
            let lk = k.to_ascii_lowercase();
            h.retain(|(n, _)| *n != lk);
            h.push((lk, v.clone()));
        }
        h
    }
}

impl Provider for Gemini {
    fn id(&self) -> &str {
        "gemini"
    }

    fn supports_openai_param(&self, model: &str, name: &str) -> bool {
        supports_param(model, name)
    }

    fn build_chat(&self, req: &ChatRequest, target: &CallTarget) -> Result<HttpRequest, LlmError> {
        let skip = super::params_to_drop("gemini", req.set_params(), |p| supports_param(&req.model, p), target)?;
        let opts = BodyOptions { vertex: false, drop_params: target.drop_params };
        let body = generate_content_body(req, &skip, opts, target.extra_body.as_ref())?;
        Ok(HttpRequest {
            url: model_url(&target.api_base, &req.model, req.is_stream()),
            headers: Self::headers(target),
            body: body.into(),
        })
    }

    fn parse_chat(&self, body: &[u8], req: &ChatRequest) -> Result<ChatResponse, LlmError> {
        parse_response("gemini", body, &req.model)
    }

    fn parse_chat_event(
        &self,
        state: &mut StreamState,
        _event: Option<&str>,
        data: &str,
    ) -> Result<Vec<ChatChunk>, LlmError> {
        parse_stream_event("gemini", state, data)
    }

    fn map_error(&self, status: u16, headers: Vec<(String, String)>, body: &[u8], model: &str) -> LlmError {
        map_google_error("gemini", status, headers, body, model)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let b = "https://generativelanguage.googleapis.com";
        assert_eq!(
            model_url(ROW.base_url, "gemini-2.5-flash", false),
            "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent"
        );
        assert_eq!(model_url(b, "gemini-2.5-flash", false), model_url(ROW.base_url, "gemini-2.5-flash", false));
        assert_eq!(
            model_url(&format!("{b}/v1beta/"), "models/gemini-2.5-flash", true),
            "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
        );
        assert_eq!(model_url("http://127.0.0.1:9", "m", false), "http://127.0.0.1:9/models/m:generateContent");
        assert_eq!(
            model_url("https://gw.example/v1/acct/gw/google-ai-studio/v1beta", "m", false),
            "https://gw.example/v1/acct/gw/google-ai-studio/v1beta/models/m:generateContent"
        );
    }

    #[test]
    fn model_predicates() {
        assert!(supports_json_schema_output("gemini-2.0-flash"));
        assert!(supports_json_schema_output("gemini-2.5-pro"));
        assert!(supports_json_schema_output("gemini-3-pro-preview"));
        assert!(!supports_json_schema_output("gemini-1.5-pro"));
        assert!(!supports_json_schema_output("gemini-flash-latest"));
        assert!(supports_reasoning("gemini-2.5-flash"));
        assert!(!supports_reasoning("gemini-2.0-flash"));
        assert!(is_gemini_3("gemini-3.1-pro-preview"));
        assert_eq!(parse_duration("37s"), Some(37.0));
    }
}
