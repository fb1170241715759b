//! Anthropic Messages API (`POST /v1/messages`): the native translation both ways, pure.
//!
//! - `request`: canonical chat request -> Messages body (system hoisting, content blocks,
//!   tool_use / tool_result, thinking round trip, cache_control passthrough, tools, tool_choice,
//!   thinking / reasoning_effort, response_format as a forced `json_tool_call` tool).
//! - `response`: Messages answer -> chat completion (text, tool calls, reasoning, usage).
//! - `stream`: one SSE event -> zero or more chunks.
//!
//! Behaviour follows litellm's `AnthropicConfig` (litellm/llms/anthropic/chat/transformation.py,
//! litellm/litellm_core_utils/prompt_templates/factory.py `anthropic_messages_pt`,
//! litellm/llms/anthropic/chat/handler.py `ModelResponseIterator`) as of litellm 1.110.2.

mod json;
mod messages;
mod models;
mod request;
mod response;
mod schema;
mod stream;

use serde_json::Value;

use super::openai_compat::{Auth, Row};
use super::{CallTarget, HttpRequest, Provider, StreamState};
use crate::error::{ErrorKind, LlmError};
use crate::types::{ChatChunk, ChatRequest, ChatResponse};

pub use models::default_max_tokens;

/// Where Anthropic lives and how it takes its key. `unsupported` lists the OpenAI parameters the
/// Messages API has no equivalent for (litellm's `AnthropicConfig.get_supported_openai_params`
/// complement); model-dependent ones (top_p, reasoning_effort) are checked per call.
pub static ROW: Row = Row {
    id: "anthropic",
    base_url: "https://api.anthropic.com",
    key_env: &["ANTHROPIC_API_KEY"],
    base_env: &["ANTHROPIC_API_BASE", "ANTHROPIC_BASE_URL"],
    settings_key: Some("anthropic_key"),
    auth: Auth::Header("x-api-key"),
    renames: &[],
    unsupported: &[
        "n",
        "presence_penalty",
        "frequency_penalty",
        "logit_bias",
        "seed",
        "logprobs",
        "top_logprobs",
        "modalities",
        "prediction",
        "audio",
        "verbosity",
        "functions",
        "function_call",
        "safety_identifier",
        "store",
        "prompt_cache_key",
        "prompt_cache_retention",
    ],
    headers: &[],
    hosts: &[],
    quirks: 0,
};

/// The `anthropic-version` header every request carries.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";

/// The tool litellm uses to get JSON out of Claude for `response_format`.
pub const RESPONSE_FORMAT_TOOL_NAME: &str = "json_tool_call";

#[derive(Debug, Clone, Copy)]
pub struct Anthropic;

/// `{api_base}/v1/messages`, accepting a base given with `/v1` or as the full endpoint.
pub fn messages_url(api_base: &str) -> String {
    let base = api_base.trim_end_matches('/');
    if base.ends_with("/v1/messages") {
        base.to_owned()
    } else if base.ends_with("/v1") {
        format!("{base}/messages")
    } else {
        format!("{base}/v1/messages")
    }
}

/// Request headers: content type, version, key, betas (ours merged with the caller's
/// `anthropic-beta`), then the caller's other headers (which win over ours by name).
fn headers(target: &CallTarget, betas: &[&str]) -> Vec<(String, String)> {
    let mut h: Vec<(String, String)> = Vec::with_capacity(6 + target.extra_headers.len());
    h.push(("content-type".into(), "application/json".into()));
    h.push(("accept".into(), "application/json".into()));
    h.push(("anthropic-version".into(), ANTHROPIC_VERSION.into()));
    if let Some(key) = target.api_key.as_deref().filter(|k| !k.is_empty()) {
        h.push(("x-api-key".into(), key.to_owned()));
    }
    let mut beta: Vec<String> = Vec::new();
    for (k, v) in &target.extra_headers {
        if k.eq_ignore_ascii_case("anthropic-beta") {
            for b in v.split(',').map(str::trim).filter(|b| !b.is_empty()) {
                if !beta.iter().any(|x| x == b) {
                    beta.push(b.to_owned());
                }
            }
        }
    }
    for b in betas {
        if !beta.iter().any(|x| x == b) {
            beta.push((*b).to_owned());
        }
    }
    for (k, v) in &target.extra_headers {
        let lk = k.to_ascii_lowercase();
        if lk == "anthropic-beta" {
            continue;
        }
        h.retain(|(n, _)| *n != lk);
        h.push((lk, v.clone()));
    }
    if !beta.is_empty() {
        h.push(("anthropic-beta".into(), beta.join(",")));
    }
    h
}

/// The HTTP status Anthropic uses for each error type (for errors that arrive inside a stream or a
/// 200 body, where there is no status of their own).
fn status_for_error_type(t: &str) -> u16 {
    match t {
        "invalid_request_error" => 400,
        "authentication_error" => 401,
        "billing_error" => 402,
        "permission_error" => 403,
        "not_found_error" => 404,
        "request_too_large" => 413,
        "rate_limit_error" => 429,
        "timeout_error" => 504,
        "overloaded_error" => 529,
        _ => 500,
    }
}

/// Maps an Anthropic error answer (`{"type":"error","error":{"type","message"}}`) to the litellm
/// class litellm's `_map_anthropic_exception` picks: context-window phrases -> ContextWindowExceeded,
/// `overloaded_error` / 529 -> InternalServerError (status kept as 529), content-filter phrases ->
/// ContentPolicyViolation, 504 -> Timeout, otherwise by status.
pub fn map_anthropic_error(status: u16, headers: Vec<(String, String)>, body: &[u8], model: &str) -> LlmError {
    let mut e = LlmError::from_upstream(status, headers, body, "anthropic", model);
    let text = e.body.as_deref().unwrap_or_default();
    let err_type = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.pointer("/error/type").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_default();
    let lower = e.message.to_ascii_lowercase();
    if lower.contains("prompt is too long") || lower.contains("prompt: length") {
        e.kind = ErrorKind::ContextWindowExceeded;
    } else if err_type == "overloaded_error" || status == 529 || e.message.contains("Overloaded") {
        e.kind = ErrorKind::InternalServer;
    } else if lower.contains("content filtering policy") || text.contains("content filtering policy") {
        e.kind = ErrorKind::ContentPolicyViolation;
    } else if status == 504 {
        e.kind = ErrorKind::Timeout;
    }
    e
}

/// The error carried by an `error` object (a stream `error` event or an error in a 200 body).
fn error_from_object(err: &Value, raw: &[u8], model: &str) -> LlmError {
    let status = status_for_error_type(err.get("type").and_then(Value::as_str).unwrap_or_default());
    map_anthropic_error(status, Vec::new(), raw, model)
}

impl Provider for Anthropic {
    fn id(&self) -> &str {
        "anthropic"
    }

    fn supports_openai_param(&self, model: &str, name: &str) -> bool {
        match name {
            "top_p" => models::supports_sampling(model),
            "reasoning_effort" => models::supports_reasoning(model),
            p => !ROW.unsupported.contains(&p),
        }
    }

    fn build_chat(&self, req: &ChatRequest, target: &CallTarget) -> Result<HttpRequest, LlmError> {
        let built = request::build(req, target)?;
        Ok(HttpRequest {
            url: messages_url(&target.api_base),
            headers: headers(target, &built.betas),
            body: built.body.into(),
        })
    }

    fn parse_chat(&self, body: &[u8], req: &ChatRequest) -> Result<ChatResponse, LlmError> {
        response::parse(body, req)
    }

    fn parse_chat_event(
        &self,
        state: &mut StreamState,
        event: Option<&str>,
        data: &str,
    ) -> Result<Vec<ChatChunk>, LlmError> {
        stream::parse_event(state, event, data)
    }

    fn map_error(&self, status: u16, headers: Vec<(String, String)>, body: &[u8], model: &str) -> LlmError {
        map_anthropic_error(status, headers, body, model)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_accepts_every_base_form() {
        for base in [
            "https://api.anthropic.com",
            "https://api.anthropic.com/",
            "https://api.anthropic.com/v1",
            "https://api.anthropic.com/v1/messages",
        ] {
            assert_eq!(messages_url(base), "https://api.anthropic.com/v1/messages", "{base}");
        }
    }

    #[test]
    fn caller_beta_headers_merge_with_ours() {
        let target = CallTarget {
            api_key: Some("sk-ant-x".into()),
            extra_headers: vec![
                ("Anthropic-Beta".into(), "a-1, b-2".into()),
                ("anthropic-version".into(), "2099-01-01".into()),
            ],
            ..CallTarget::default()
        };
        let h = headers(&target, &["b-2", "c-3"]);
        let get = |n: &str| h.iter().filter(|(k, _)| k == n).map(|(_, v)| v.as_str()).collect::<Vec<_>>();
        assert_eq!(get("anthropic-beta"), ["a-1,b-2,c-3"]);
        assert_eq!(get("anthropic-version"), ["2099-01-01"]);
        assert_eq!(get("x-api-key"), ["sk-ant-x"]);
    }

    #[test]
    fn errors_map_like_litellm() {
        let overloaded = br#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#;
        let e = map_anthropic_error(529, vec![], overloaded, "claude-x");
        assert_eq!((e.kind, e.status), (ErrorKind::InternalServer, 529));
        assert_eq!(e.message, "AnthropicException - Overloaded");
        let long = br#"{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 208310 tokens > 200000 maximum"}}"#;
        assert_eq!(map_anthropic_error(400, vec![], long, "m").kind, ErrorKind::ContextWindowExceeded);
        assert_eq!(status_for_error_type("rate_limit_error"), 429);
    }
}
