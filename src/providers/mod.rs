//! Providers: sans-IO translation between the canonical types and each provider's wire format.
//! Nothing here touches the network; `transport` sends what `build_*` returns.

pub mod anthropic;
pub mod azure;
pub mod bedrock;
pub mod cohere;
pub mod gemini;
pub mod ollama;
pub mod openai_compat;
pub mod registry;
pub mod vertex;

use crate::error::LlmError;
use crate::types::{
    ChatChunk, ChatRequest, ChatResponse, EmbeddingRequest, EmbeddingResponse, TextCompletionRequest,
    TextCompletionResponse,
};

pub use registry::{Resolved, resolve};

use openai_compat::OpenAiCompat;

/// How a provider frames its stream on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// Server-Sent Events (`data:` lines, optional `event:` names).
    Sse,
    /// One JSON object per line (Ollama).
    Ndjson,
    /// AWS event-stream binary messages (Bedrock): the event name is the `:event-type` header
    /// (`:exception-type` for exceptions), the data the payload as UTF-8 JSON.
    AwsEventStream,
}

/// The provider serving a call: a closed set, dispatched without allocation.
#[derive(Debug, Clone, Copy)]
pub enum Dispatch {
    Compat(OpenAiCompat),
    Azure(azure::Azure),
    Anthropic(anthropic::Anthropic),
    Gemini(gemini::Gemini),
    Ollama(ollama::Ollama),
    Cohere(cohere::Cohere),
    Bedrock(bedrock::Bedrock),
    Vertex(vertex::Vertex),
}

impl Dispatch {
    pub fn get(&self) -> &dyn Provider {
        match self {
            Self::Compat(p) => p,
            Self::Azure(p) => p,
            Self::Anthropic(p) => p,
            Self::Gemini(p) => p,
            Self::Ollama(p) => p,
            Self::Cohere(p) => p,
            Self::Bedrock(p) => p,
            Self::Vertex(p) => p,
        }
    }
}

/// An HTTP request ready to send.
#[derive(Clone)]
pub struct HttpRequest {
    pub url: String,
    pub headers: Vec<(String, String)>,
    /// Shared, so that retries send the same body without copying it.
    pub body: bytes::Bytes,
}

/// Header names whose values are credentials.
pub fn is_secret_header(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n == "authorization" || n.contains("api-key") || n.contains("api_key") || n.contains("token") || n == "cookie"
}

/// Debug output never shows credentials (keys, tokens, signatures).
impl std::fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), if is_secret_header(k) { "[REDACTED]" } else { v.as_str() }))
            .collect();
        f.debug_struct("HttpRequest")
            .field("url", &self.url)
            .field("headers", &headers)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// Everything about the call that is not the body: where to send it and with which key.
#[derive(Clone, Default)]
pub struct CallTarget {
    /// Base URL (no trailing slash).
    pub api_base: String,
    pub api_key: Option<String>,
    /// An OAuth / Entra ID access token, sent as `Authorization: Bearer` instead of the key.
    pub bearer: Option<String>,
    pub api_version: Option<String>,
    pub organization: Option<String>,
    /// Caller headers (module `headers`, then `headers`, then `extra_headers`), sent last.
    pub extra_headers: Vec<(String, String)>,
    /// `extra_body`: merged into the JSON body at top level.
    pub extra_body: Option<serde_json::Map<String, serde_json::Value>>,
    /// Drop unsupported parameters instead of raising.
    pub drop_params: bool,
    /// Parameters to drop whatever the provider supports.
    pub additional_drop_params: Vec<String>,
    /// AWS region and credentials for SigV4-signed providers (Bedrock); secrets are not printed.
    pub aws: Option<bedrock::AwsAuth>,
}

impl CallTarget {
    /// Every credential of the call, for redaction from errors.
    pub fn secrets(&self) -> impl Iterator<Item = &str> {
        let aws = self.aws.as_ref().and_then(|a| a.credentials.as_ref());
        [
            self.api_key.as_deref(),
            self.bearer.as_deref(),
            aws.map(|c| c.secret_access_key.as_str()),
            aws.and_then(|c| c.session_token.as_deref()),
        ]
        .into_iter()
        .flatten()
    }
}

/// Debug output never shows credentials.
impl std::fmt::Debug for CallTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = |o: &Option<String>| o.as_ref().map(|_| "[REDACTED]");
        let headers: Vec<(&str, &str)> = self
            .extra_headers
            .iter()
            .map(|(k, v)| (k.as_str(), if is_secret_header(k) { "[REDACTED]" } else { v.as_str() }))
            .collect();
        f.debug_struct("CallTarget")
            .field("api_base", &self.api_base)
            .field("api_key", &redacted(&self.api_key))
            .field("bearer", &redacted(&self.bearer))
            .field("api_version", &self.api_version)
            .field("extra_headers", &headers)
            .field("drop_params", &self.drop_params)
            .field("aws", &self.aws)
            .finish_non_exhaustive()
    }
}

/// JSON request headers with a bearer credential (an OAuth token, else the key), then the
/// caller's headers, which replace same-named ones.
pub fn bearer_json_headers(target: &CallTarget, accept_json: bool) -> Vec<(String, String)> {
    let mut h: Vec<(String, String)> = Vec::with_capacity(3 + target.extra_headers.len());
    h.push(("content-type".into(), "application/json".into()));
    if accept_json {
        h.push(("accept".into(), "application/json".into()));
    }
    if let Some(token) = target.bearer.as_deref().or(target.api_key.as_deref()).filter(|k| !k.is_empty()) {
        h.push(("authorization".into(), format!("Bearer {token}")));
    }
    for (k, v) in &target.extra_headers {
        let lk = k.to_ascii_lowercase();
        h.retain(|(n, _)| *n != lk);
        h.push((lk, v.clone()));
    }
    h
}

/// A request body as JSON bytes.
pub fn encode_json<T: serde::Serialize>(v: &T) -> Result<Vec<u8>, LlmError> {
    serde_json::to_vec(v).map_err(|e| LlmError::bad_request(format!("cannot encode the request: {e}")))
}

/// The OpenAI parameters set on a request that a provider does not take (`supported` answers
/// per name; provider-specific extras are never checked). Without `drop_params` (or listing them
/// in `additional_drop_params`) this is an `UnsupportedParamsError` naming them and the provider;
/// with it, the returned names are to be left out. `additional_drop_params` are always returned.
pub fn params_to_drop<'a>(
    provider: &str,
    set: impl Iterator<Item = &'a str>,
    supported: impl Fn(&str) -> bool,
    target: &CallTarget,
) -> Result<Vec<String>, LlmError> {
    let mut skip: Vec<String> = target.additional_drop_params.clone();
    let mut unsupported = Vec::new();
    for p in set {
        if crate::types::OPENAI_CHAT_PARAMS.contains(&p) && !supported(p) && !skip.iter().any(|s| s == p) {
            unsupported.push(p.to_owned());
        }
    }
    if !unsupported.is_empty() {
        if !target.drop_params {
            let list = unsupported.iter().map(|p| format!("'{p}'")).collect::<Vec<_>>().join(", ");
            return Err(LlmError::new(
                crate::error::ErrorKind::UnsupportedParams,
                format!(
                    "{provider} does not support parameters: [{list}]. To drop these, set `litellm_rs.drop_params=True`, \
                     pass `drop_params=True` to the call, or list them in `additional_drop_params`."
                ),
            ));
        }
        skip.extend(unsupported);
    }
    Ok(skip)
}

/// An event that is a canonical chunk already: its JSON's byte range in the event's data, and
/// where the chunk's parts are in that JSON (None when they do not fit a layout).
#[derive(Debug, Clone)]
pub struct AsIs {
    pub range: std::ops::Range<usize>,
    pub layout: Option<crate::types::Layout>,
}

/// Per-stream state kept between events by the per-event function.
#[derive(Debug, Default)]
pub struct StreamState {
    pub id: String,
    pub model: String,
    pub created: i64,
    /// The role has been sent on the first delta.
    pub role_sent: bool,
    /// A finish_reason has been seen (the stream may end cleanly after this).
    pub finished: bool,
    /// `[DONE]` or an equivalent end event has been seen.
    pub done: bool,
    pub include_usage: bool,
    /// Usage gathered from events that carry parts of it (Anthropic's message_start/delta).
    pub usage: Option<crate::types::Usage>,
    /// Tool calls announced so far (the next one gets this index).
    pub tool_calls: u32,
    /// Provider block index -> tool call index, for providers that stream tool calls as blocks.
    pub block_tools: Vec<(u32, u32)>,
    /// Gemini's grounding metadata seen so far (its searches are counted in the final usage).
    pub grounding: Vec<serde_json::Value>,
    /// The look at the previous chunk, which the next one is compared with (chunks that go on
    /// as they came).
    pub peek: crate::types::PeekMemo,
}

impl StreamState {
    /// The final usage-only chunk (`choices: []`) of a stream asked for with
    /// `stream_options.include_usage`.
    pub fn usage_chunk(&self, usage: crate::types::Usage) -> ChatChunk {
        ChatChunk {
            id: self.id.clone(),
            object: "chat.completion.chunk".into(),
            created: self.created,
            model: self.model.clone(),
            usage: Some(usage),
            ..ChatChunk::default()
        }
    }
}

/// What one provider does, without I/O.
pub trait Provider: Send + Sync {
    fn id(&self) -> &str;

    /// Whether this provider takes an OpenAI chat parameter for this model (what
    /// `get_supported_openai_params` answers; value-dependent checks happen when building).
    fn supports_openai_param(&self, _model: &str, _name: &str) -> bool {
        true
    }

    fn build_chat(&self, req: &ChatRequest, target: &CallTarget) -> Result<HttpRequest, LlmError>;
    fn parse_chat(&self, body: &[u8], req: &ChatRequest) -> Result<ChatResponse, LlmError>;

    /// How the stream is framed (the driver picks the decoder).
    fn framing(&self) -> Framing {
        Framing::Sse
    }

    /// Translates one stream event (its name, when the framing has names, and its payload) into
    /// zero or more canonical chunks. Unknown events yield nothing.
    fn parse_chat_event(
        &self,
        state: &mut StreamState,
        event: Option<&str>,
        data: &str,
    ) -> Result<Vec<ChatChunk>, LlmError>;

    /// When an event's payload is already a canonical chunk that `parse_chat_event` would hand on
    /// unchanged, where it is in `data` (the stream then passes those bytes on as they came,
    /// without reading them into a `ChatChunk` and writing them out again), with `state` updated
    /// as `parse_chat_event` would have. None: `parse_chat_event` reads the event.
    fn chat_event_as_is(&self, _state: &mut StreamState, _event: Option<&str>, _data: &str) -> Option<AsIs> {
        None
    }

    fn build_embedding(&self, _req: &EmbeddingRequest, _target: &CallTarget) -> Result<HttpRequest, LlmError> {
        Err(LlmError::bad_request(format!("embeddings through {} are not supported by litellm_rs yet", self.id())))
    }
    fn parse_embedding(&self, _body: &[u8], _req: &EmbeddingRequest) -> Result<EmbeddingResponse, LlmError> {
        Err(LlmError::bad_request(format!("embeddings through {} are not supported by litellm_rs yet", self.id())))
    }

    /// Whether this provider serves the legacy `/completions` endpoint itself; when it does not,
    /// text completion is bridged through chat.
    fn supports_text_completion(&self) -> bool {
        false
    }
    fn build_text_completion(
        &self,
        _req: &TextCompletionRequest,
        _target: &CallTarget,
    ) -> Result<HttpRequest, LlmError> {
        Err(LlmError::bad_request(format!("{} has no text completion endpoint", self.id())))
    }
    fn parse_text_completion(&self, _body: &[u8]) -> Result<TextCompletionResponse, LlmError> {
        Err(LlmError::bad_request(format!("{} has no text completion endpoint", self.id())))
    }
    /// Translates one event of a text completion stream into zero or more text_completion chunks.
    fn parse_text_event(
        &self,
        _state: &mut StreamState,
        _event: Option<&str>,
        _data: &str,
    ) -> Result<Vec<TextCompletionResponse>, LlmError> {
        Err(LlmError::bad_request(format!("{} has no text completion endpoint", self.id())))
    }

    /// Signs the built request (Bedrock's SigV4); called by the engine right before sending.
    fn sign(&self, _http: &mut HttpRequest, _target: &CallTarget) -> Result<(), LlmError> {
        Ok(())
    }

    /// Maps a non-2xx answer to the error the caller sees.
    fn map_error(&self, status: u16, headers: Vec<(String, String)>, body: &[u8], model: &str) -> LlmError {
        LlmError::from_upstream(status, headers, body, self.id(), model)
    }
}
