//! The Invoke API (`bedrock/invoke/<id>`): the model vendor's own body. Anthropic's Claude gets
//! the Messages body with `anthropic_version: "bedrock-2023-05-31"` (built and parsed by the
//! Anthropic translation); Meta Llama, Mistral, Amazon Titan text, Amazon Nova, Cohere Command R
//! and DeepSeek R1 get their vendor bodies (`families`). Other families are a clear error pointing
//! to the Converse route.

pub mod families;

pub use families::Family;

use serde_json::Value;

use super::base_model;
use crate::error::LlmError;
use crate::providers::anthropic::Anthropic;
use crate::providers::{CallTarget, Provider, StreamState};
use crate::types::{ChatChunk, ChatRequest, ChatResponse};

/// The `anthropic_version` Bedrock expects in Claude invoke bodies.
pub const BEDROCK_ANTHROPIC_VERSION: &str = "bedrock-2023-05-31";

/// The family of an invoke model id; ARNs whose last segment names no family are taken as
/// Claude (provisioned throughput / inference profiles for Claude).
pub fn family(model_id: &str) -> Result<Family, LlmError> {
    if let Some(f) = Family::of(base_model(model_id)) {
        return Ok(f);
    }
    if model_id.starts_with("arn:") {
        return Ok(Family::Anthropic);
    }
    let mut e = LlmError::bad_request(format!(
        "bedrock/invoke/{model_id}: litellm_rs implements the Invoke API for Anthropic Claude, Meta Llama, Mistral, \
         Amazon Titan text, Amazon Nova, Cohere Command R and DeepSeek R1 models; use the Converse route \
         (model=\"bedrock/{model_id}\") for this model"
    ));
    e.provider = "bedrock".into();
    Err(e)
}

pub fn check_supported(model_id: &str) -> Result<(), LlmError> {
    family(model_id).map(|_| ())
}

/// The Claude invoke body: Anthropic's Messages body without `model` and `stream` (both are in the
/// URL), with `anthropic_version`, and the caller's `anthropic-beta` header as `anthropic_beta`.
pub fn build_body(req: &ChatRequest, target: &CallTarget, model_id: &str) -> Result<Value, LlmError> {
    let fam = family(model_id)?;
    if fam != Family::Anthropic {
        return families::build_body(req, target, fam, model_id);
    }
    let mut areq = req.clone();
    areq.model = base_model(model_id).strip_prefix("anthropic.").unwrap_or(model_id).to_owned();
    let mut t = target.clone();
    t.api_key = None;
    t.extra_body = None;
    let http = Anthropic.build_chat(&areq, &t)?;
    let mut body: Value = serde_json::from_slice(&http.body)
        .map_err(|e| LlmError::bad_request(format!("bedrock: cannot build the invoke body: {e}")))?;
    let Some(obj) = body.as_object_mut() else { return Ok(body) };
    obj.shift_remove("model");
    obj.shift_remove("stream");
    let mut out = serde_json::Map::new();
    out.insert("anthropic_version".into(), Value::String(BEDROCK_ANTHROPIC_VERSION.into()));
    out.extend(std::mem::take(obj));
    let betas: Vec<Value> = http
        .headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("anthropic-beta"))
        .flat_map(|(_, v)| v.split(',').map(|b| Value::String(b.trim().to_owned())).collect::<Vec<_>>())
        .filter(|b| b.as_str().is_some_and(|s| !s.is_empty()))
        .collect();
    if !betas.is_empty() {
        out.insert("anthropic_beta".into(), Value::Array(betas));
    }
    if let Some(extra) = &target.extra_body {
        for (k, v) in extra {
            out.insert(k.clone(), v.clone());
        }
    }
    Ok(Value::Object(out))
}

pub fn parse_response(body: &[u8], req: &ChatRequest, model_id: &str) -> Result<ChatResponse, LlmError> {
    let fam = family(model_id)?;
    if fam != Family::Anthropic {
        return families::parse_response(body, req, fam, model_id);
    }
    let mut r = Anthropic.parse_chat(body, req)?;
    r.model = model_id.to_owned();
    Ok(r)
}

/// One `chunk` event of invoke-with-response-stream: `{"bytes": base64(the vendor's event JSON)}`.
/// Anthropic events carry a `type`; the other families are told apart by their keys.
pub fn parse_chunk(state: &mut StreamState, data: &str) -> Result<Vec<ChatChunk>, LlmError> {
    let v: Value = match serde_json::from_str(data) {
        Ok(v) => v,
        Err(_) => return Ok(Vec::new()),
    };
    let Some(b64) = v.get("bytes").and_then(Value::as_str) else { return Ok(Vec::new()) };
    let raw = aws_smithy_types::base64::decode(b64)
        .map_err(|e| LlmError::new(crate::error::ErrorKind::Api, format!("bedrock: bad chunk encoding: {e}")))?;
    let text = String::from_utf8_lossy(&raw);
    let inner: Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(_) => return Ok(Vec::new()),
    };
    let Some(kind) = inner.get("type").and_then(Value::as_str).map(str::to_owned) else {
        return families::parse_chunk(state, &inner);
    };
    let kind = Some(kind);
    let out = Anthropic.parse_chat_event(state, kind.as_deref(), &text)?;
    if kind.as_deref() == Some("message_stop") {
        state.done = true;
        state.finished = true;
    }
    Ok(out)
}
