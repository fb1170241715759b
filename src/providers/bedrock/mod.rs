//! AWS Bedrock (`bedrock/<modelId>`): the Converse API by default (`bedrock/converse/<id>` too),
//! the Invoke API for `bedrock/invoke/<id>` (Anthropic models). SigV4-signed with the aws-sigv4
//! crate, or a Bedrock API key as a bearer token; streams are AWS event-stream framed.
//!
//! Model ids may be cross-region inference profiles (`us.`, `eu.`, `apac.`, `global.`, ...) or
//! ARNs; the id is percent-encoded into the path. `model_id=` overrides the id sent in the URL
//! (provisioned throughput, imported models) as in litellm.

pub mod converse;
pub mod credentials;
mod errors;
pub mod invoke;
pub mod sigv4;

use std::time::SystemTime;

use serde_json::Value;

use super::openai_compat::{Auth, Row, quirk};
use super::{CallTarget, Framing, HttpRequest, Provider, StreamState};
use crate::error::LlmError;
use crate::types::{ChatChunk, ChatRequest, ChatResponse};

pub use credentials::{AwsAuth, AwsCredentials, AwsInputs, ResolvedAws};

/// Bedrock's facts for the engine. Credentials and the endpoint are resolved by
/// `credentials::resolve` (the key variable here is only what `get_llm_provider` reports).
pub static ROW: Row = Row {
    id: "bedrock",
    base_url: "",
    key_env: &["AWS_BEARER_TOKEN_BEDROCK"],
    base_env: &["AWS_BEDROCK_RUNTIME_ENDPOINT"],
    settings_key: None,
    auth: Auth::Bearer,
    renames: &[],
    unsupported: &[],
    headers: &[],
    hosts: &[],
    quirks: quirk::KEY_OPTIONAL,
};

/// Which Bedrock runtime API a model string selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    Converse,
    Invoke,
}

/// Splits the route prefix off a model string (`converse/…`, `invoke/…`; none means Converse).
pub fn route(model: &str) -> Result<(Api, &str), LlmError> {
    if let Some(id) = model.strip_prefix("converse/") {
        return Ok((Api::Converse, id));
    }
    if let Some(id) = model.strip_prefix("invoke/") {
        return Ok((Api::Invoke, id));
    }
    for other in ["converse_like/", "agent/", "agentcore/", "nova/", "openai/", "mantle/", "deepseek_r1/", "llama/"] {
        if model.starts_with(other) {
            let mut e = LlmError::bad_request(format!(
                "bedrock/{other}: this Bedrock route is not implemented in litellm_rs yet (model={model}); use \
                 bedrock/<modelId> (Converse) or bedrock/invoke/<anthropic model id>"
            ));
            e.provider = "bedrock".into();
            return Err(e);
        }
    }
    Ok((Api::Converse, model))
}

/// Cross-region inference profile prefixes.
const REGION_PREFIXES: &[&str] =
    &["us.", "eu.", "apac.", "global.", "us-gov.", "jp.", "au.", "ca.", "apne1.", "apne2."];

/// The foundation model behind an id: the last path segment of an ARN, without a cross-region
/// inference profile prefix (`us.anthropic.claude-…` -> `anthropic.claude-…`).
pub fn base_model(model_id: &str) -> &str {
    let id = if model_id.starts_with("arn:") { model_id.rsplit('/').next().unwrap_or(model_id) } else { model_id };
    REGION_PREFIXES.iter().find_map(|p| id.strip_prefix(p)).unwrap_or(id)
}

/// Percent-encodes a path segment (everything but RFC 3986 unreserved characters).
pub use crate::util::percent_encode as encode_segment;

#[derive(Debug, Clone, Copy)]
pub struct Bedrock;

impl Bedrock {
    /// The id used in the URL: `model_id=` when given, else the model's id.
    fn url_id<'a>(req: &'a ChatRequest, id: &'a str) -> &'a str {
        req.extra.get("model_id").and_then(Value::as_str).filter(|s| !s.is_empty()).unwrap_or(id)
    }

    fn url(target: &CallTarget, id: &str, api: Api, stream: bool) -> String {
        let op = match (api, stream) {
            (Api::Converse, false) => "converse",
            (Api::Converse, true) => "converse-stream",
            (Api::Invoke, false) => "invoke",
            (Api::Invoke, true) => "invoke-with-response-stream",
        };
        format!("{}/model/{}/{op}", target.api_base.trim_end_matches('/'), encode_segment(id))
    }

    fn headers(target: &CallTarget, stream: bool) -> Vec<(String, String)> {
        let mut h: Vec<(String, String)> = vec![
            ("content-type".into(), "application/json".into()),
            ("accept".into(), if stream { "application/vnd.amazon.eventstream" } else { "application/json" }.into()),
        ];
        let signed = target.aws.as_ref().is_some_and(|a| a.credentials.is_some());
        if !signed && let Some(key) = target.api_key.as_deref().filter(|k| !k.is_empty()) {
            h.push(("authorization".into(), format!("Bearer {key}")));
        }
        for (k, v) in &target.extra_headers {
            let lk = k.to_ascii_lowercase();
            h.retain(|(n, _)| *n != lk);
            h.push((lk, v.clone()));
        }
        h
    }
}

impl Provider for Bedrock {
    fn id(&self) -> &str {
        "bedrock"
    }

    fn supports_openai_param(&self, model: &str, name: &str) -> bool {
        match route(model) {
            Ok((Api::Invoke, id)) => invoke::family(id).is_ok_and(|f| f.supports(name)),
            _ => converse::supported(name),
        }
    }

    fn build_chat(&self, req: &ChatRequest, target: &CallTarget) -> Result<HttpRequest, LlmError> {
        let (api, id) = route(&req.model)?;
        let stream = req.is_stream();
        let body = match api {
            Api::Converse => converse::build_body(req, target, id)?,
            Api::Invoke => {
                invoke::check_supported(id)?;
                invoke::build_body(req, target, id)?
            }
        };
        let body = serde_json::to_vec(&body).map_err(|e| LlmError::bad_request(format!("bedrock: {e}")))?;
        Ok(HttpRequest {
            url: Self::url(target, Self::url_id(req, id), api, stream),
            headers: Self::headers(target, stream),
            body: body.into(),
        })
    }

    fn parse_chat(&self, body: &[u8], req: &ChatRequest) -> Result<ChatResponse, LlmError> {
        let (api, id) = route(&req.model)?;
        match api {
            Api::Converse => converse::parse_response(body, req, id),
            Api::Invoke => invoke::parse_response(body, req, id),
        }
    }

    fn framing(&self) -> Framing {
        Framing::AwsEventStream
    }

    fn parse_chat_event(
        &self,
        state: &mut StreamState,
        event: Option<&str>,
        data: &str,
    ) -> Result<Vec<ChatChunk>, LlmError> {
        // invoke-with-response-stream wraps each vendor event in a `chunk` event.
        if event == Some("chunk") {
            return invoke::parse_chunk(state, data);
        }
        converse::parse_event(state, event, data)
    }

    fn sign(&self, http: &mut HttpRequest, target: &CallTarget) -> Result<(), LlmError> {
        match &target.aws {
            Some(AwsAuth { region, credentials: Some(creds) }) => {
                sigv4::sign_request(http, creds, region, SystemTime::now())
            }
            _ => Ok(()),
        }
    }

    fn map_error(&self, status: u16, headers: Vec<(String, String)>, body: &[u8], model: &str) -> LlmError {
        errors::map_error(status, headers, body, model)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_ids_and_encoding() {
        assert_eq!(route("converse/us.anthropic.claude-3-5-sonnet-20240620-v1:0").unwrap().0, Api::Converse);
        assert_eq!(
            route("invoke/anthropic.claude-3-haiku-20240307-v1:0").unwrap(),
            (Api::Invoke, "anthropic.claude-3-haiku-20240307-v1:0")
        );
        assert_eq!(route("amazon.nova-pro-v1:0").unwrap(), (Api::Converse, "amazon.nova-pro-v1:0"));
        assert!(route("agent/abc").is_err());
        assert_eq!(
            base_model("us.anthropic.claude-3-5-sonnet-20240620-v1:0"),
            "anthropic.claude-3-5-sonnet-20240620-v1:0"
        );
        assert_eq!(base_model("global.anthropic.claude-sonnet-4-5"), "anthropic.claude-sonnet-4-5");
        assert_eq!(
            base_model("arn:aws:bedrock:us-west-2:123456789012:inference-profile/eu.meta.llama3-2-1b-instruct-v1:0"),
            "meta.llama3-2-1b-instruct-v1:0"
        );
        assert_eq!(encode_segment("anthropic.claude-v2:1"), "anthropic.claude-v2%3A1");
        assert_eq!(
            encode_segment("arn:aws:bedrock:us-east-1:1:inference-profile/x"),
            "arn%3Aaws%3Abedrock%3Aus-east-1%3A1%3Ainference-profile%2Fx"
        );
    }
}
