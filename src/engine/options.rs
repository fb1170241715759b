//! Call options: the litellm-owned kwargs of a call and the module settings in force for it.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::{Map, Value};

/// Everything about a call that is not the upstream body. Built by the Python layer (or the proxy)
/// from kwargs and module settings; unknown names are ignored.
/// Not `Debug`: it holds credentials (keys, secrets, tokens) that must never be printed.
#[derive(Clone, Default, Deserialize)]
#[serde(default)]
pub struct CallOptions {
    /// The cache this call uses (the proxy's); None: the process's active cache.
    #[serde(skip)]
    pub response_cache: Option<std::sync::Arc<crate::cache::ResponseCache>>,
    pub api_key: Option<String>,
    pub api_base: Option<String>,
    pub base_url: Option<String>,
    pub api_version: Option<String>,
    pub custom_llm_provider: Option<String>,
    pub organization: Option<String>,
    /// Seconds for the whole call (or, for streams, until the headers and then between chunks).
    pub timeout: Option<f64>,
    pub request_timeout: Option<f64>,
    pub stream_timeout: Option<f64>,
    pub num_retries: Option<u32>,
    pub max_retries: Option<u32>,
    pub extra_headers: Option<Map<String, Value>>,
    pub headers: Option<Map<String, Value>>,
    pub extra_body: Option<Map<String, Value>>,
    pub drop_params: Option<bool>,
    pub additional_drop_params: Option<Vec<String>>,
    /// A canned answer: no HTTP request is made.
    pub mock_response: Option<String>,
    /// `False` disables certificate verification (a CA bundle path is taken from SSL_CERT_FILE).
    pub ssl_verify: Option<Value>,
    /// Azure: a static Entra ID token, or client credentials for the token exchange.
    pub azure_ad_token: Option<String>,
    pub tenant_id: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub azure_authority_host: Option<String>,
    /// AWS (Bedrock): static credentials, region, a shared-files profile, an endpoint override.
    pub aws_access_key_id: Option<String>,
    pub aws_secret_access_key: Option<String>,
    pub aws_session_token: Option<String>,
    pub aws_region_name: Option<String>,
    pub region_name: Option<String>,
    pub aws_profile_name: Option<String>,
    pub aws_bedrock_runtime_endpoint: Option<String>,
    pub aws_role_name: Option<String>,
    pub aws_web_identity_token: Option<String>,
    /// Vertex AI: project and location, and credentials as a JSON string, a dict (arrives as a JSON
    /// object), a file path or an access token; `vertex_ai_*` are litellm's aliases.
    pub vertex_project: Option<String>,
    pub vertex_location: Option<String>,
    pub vertex_credentials: Option<Value>,
    pub vertex_ai_project: Option<String>,
    pub vertex_ai_location: Option<String>,
    pub vertex_ai_credentials: Option<Value>,
    /// Where the Google token exchange is sent instead of the credentials' `token_uri` (tests,
    /// private endpoints); also VERTEX_TOKEN_URL.
    pub vertex_token_url: Option<String>,
    /// `litellm_rs.AZURE_DEFAULT_API_VERSION` when changed from litellm's default.
    pub azure_default_api_version: Option<String>,
    /// Module-level per-provider keys that are set (`{"groq_key": "..."}`). Module-level
    /// `api_key`, `api_base`, `headers`, ... arrive merged into the fields above (the call's value
    /// wins), as litellm applies them.
    pub provider_keys: Option<HashMap<String, String>>,
    /// Per-call pricing (litellm's custom pricing kwargs): prices per token or per second, the
    /// model whose map entry prices the call, and entry overrides.
    pub input_cost_per_token: Option<f64>,
    pub output_cost_per_token: Option<f64>,
    pub input_cost_per_second: Option<f64>,
    pub output_cost_per_second: Option<f64>,
    pub base_model: Option<String>,
    pub model_info: Option<Value>,
    /// `litellm_rs.include_cost_in_streaming_usage`: the usage chunk of a stream carries `cost`.
    pub include_cost_in_streaming_usage: Option<bool>,
    /// Logging: the caller's metadata and tags, litellm's call / trace / session ids, and
    /// `turn_off_message_logging` (message and response text are redacted in payloads).
    #[serde(deserialize_with = "lenient")]
    pub metadata: Option<Value>,
    #[serde(deserialize_with = "lenient")]
    pub tags: Option<Value>,
    pub litellm_call_id: Option<String>,
    pub litellm_trace_id: Option<String>,
    pub litellm_session_id: Option<String>,
    pub turn_off_message_logging: Option<bool>,
    /// The edge wants the call's standard logging payload back (Python callbacks are registered).
    pub log_payload: Option<bool>,
    /// Built-in loggers (`"langfuse"`, `"otel"`, ...) the call's payload is sent to.
    pub loggers: Option<Vec<String>>,
    /// The response cache: `caching=True/False`, and litellm's per-call controls
    /// (`cache={"no-cache": True, "no-store": True, "ttl": 60, "s-maxage": 10, "namespace": "..."}`).
    pub caching: Option<bool>,
    #[serde(deserialize_with = "lenient")]
    pub cache: Option<Value>,
    /// Set by the Router: the model group the call was made to (litellm's `model_group`), which
    /// the cache keys on so that any deployment's answer serves the group.
    pub model_group: Option<String>,
    /// Set by the Router: the deployment the call goes to.
    pub model_id: Option<String>,
}

/// Any value that converts, else none: metadata may hold objects that have no JSON form, and
/// they must not fail the call they describe.
fn lenient<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Ok(Value::deserialize(d).ok())
}

/// litellm's default `request_timeout` (seconds).
pub const DEFAULT_TIMEOUT: f64 = 6000.0;

/// The longest timeout honoured (one year).
pub const MAX_TIMEOUT: f64 = 365.0 * 24.0 * 3600.0;

impl CallOptions {
    /// Seconds for the call; absent, non-positive or non-finite values mean litellm's default, and
    /// anything longer than a year is a year (a Duration cannot hold every float).
    pub fn timeout_secs(&self) -> f64 {
        self.timeout
            .or(self.request_timeout)
            .filter(|t| t.is_finite() && *t > 0.0)
            .unwrap_or(DEFAULT_TIMEOUT)
            .min(MAX_TIMEOUT)
    }

    pub fn stream_timeout_secs(&self) -> f64 {
        self.stream_timeout
            .filter(|t| t.is_finite() && *t > 0.0)
            .map_or_else(|| self.timeout_secs(), |t| t.min(MAX_TIMEOUT))
    }

    /// Whether the call's standard logging payload is wanted (by the edge or a built-in logger).
    pub fn logging(&self) -> bool {
        self.log_payload.unwrap_or(false) || self.loggers.as_ref().is_some_and(|l| !l.is_empty())
    }

    pub fn ssl_verify(&self) -> bool {
        !matches!(self.ssl_verify, Some(Value::Bool(false)))
    }

    pub fn retries(&self) -> u32 {
        self.num_retries.or(self.max_retries).unwrap_or(0).min(20)
    }

    pub fn explicit_api_base(&self) -> Option<&str> {
        self.api_base.as_deref().or(self.base_url.as_deref()).filter(|s| !s.is_empty())
    }

    /// The call's custom pricing (empty when it has none).
    pub fn custom_pricing(&self) -> crate::cost::CustomPricing {
        crate::cost::CustomPricing {
            input_cost_per_token: self.input_cost_per_token,
            output_cost_per_token: self.output_cost_per_token,
            input_cost_per_second: self.input_cost_per_second,
            output_cost_per_second: self.output_cost_per_second,
            base_model: self.base_model.clone(),
            model_info: match &self.model_info {
                Some(Value::Object(m)) => Some(m.clone()),
                _ => None,
            },
        }
    }

    /// The AWS inputs of the call, for Bedrock's credential and endpoint resolution.
    pub fn aws_inputs(&self) -> crate::providers::bedrock::AwsInputs {
        crate::providers::bedrock::AwsInputs {
            access_key_id: self.aws_access_key_id.clone(),
            secret_access_key: self.aws_secret_access_key.clone(),
            session_token: self.aws_session_token.clone(),
            region_name: self.aws_region_name.clone().or_else(|| self.region_name.clone()),
            profile_name: self.aws_profile_name.clone(),
            runtime_endpoint: self.aws_bedrock_runtime_endpoint.clone(),
            api_key: self.api_key.clone(),
            api_base: self.explicit_api_base().map(str::to_owned),
            role_name: self.aws_role_name.clone(),
            web_identity_token: self.aws_web_identity_token.clone(),
        }
    }

    /// Headers in order of precedence (later wins): `headers`, then `extra_headers`.
    pub fn merged_headers(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for m in [&self.headers, &self.extra_headers].into_iter().flatten() {
            for (k, v) in m {
                let v = match v {
                    Value::String(s) => s.clone(),
                    Value::Null => continue,
                    other => other.to_string(),
                };
                out.retain(|(n, _): &(String, String)| !n.eq_ignore_ascii_case(k));
                out.push((k.clone(), v));
            }
        }
        out
    }
}
