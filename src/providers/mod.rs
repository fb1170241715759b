//! Providers: sans-IO translation between the canonical types and each provider's wire format.
//! Nothing here touches the network; `transport` sends what `build_*` returns.

pub mod openai_compat;
pub mod registry;

use crate::error::LlmError;
use crate::types::{
    ChatChunk, ChatRequest, ChatResponse, EmbeddingRequest, EmbeddingResponse, TextCompletionRequest,
    TextCompletionResponse,
};

pub use registry::{Resolved, resolve};

/// An HTTP request ready to send.
#[derive(Debug, Clone)]
pub struct HttpRequest {
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Everything about the call that is not the body: where to send it and with which key.
#[derive(Debug, Clone, Default)]
pub struct CallTarget {
    /// Base URL (no trailing slash).
    pub api_base: String,
    pub api_key: Option<String>,
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
}

/// What one provider does, without I/O.
pub trait Provider: Send + Sync {
    fn id(&self) -> &str;

    fn build_chat(&self, req: &ChatRequest, target: &CallTarget) -> Result<HttpRequest, LlmError>;
    fn parse_chat(&self, body: &[u8], req: &ChatRequest) -> Result<ChatResponse, LlmError>;
    /// Translates one stream event (`data:` payload) into zero or more canonical chunks.
    fn parse_chat_event(&self, state: &mut StreamState, data: &str) -> Result<Vec<ChatChunk>, LlmError>;

    fn build_embedding(&self, req: &EmbeddingRequest, target: &CallTarget) -> Result<HttpRequest, LlmError>;
    fn parse_embedding(&self, body: &[u8], req: &EmbeddingRequest) -> Result<EmbeddingResponse, LlmError>;

    /// Whether this provider serves the legacy `/completions` endpoint itself; when it does not,
    /// text completion is bridged through chat.
    fn supports_text_completion(&self) -> bool;
    fn build_text_completion(&self, req: &TextCompletionRequest, target: &CallTarget) -> Result<HttpRequest, LlmError>;
    fn parse_text_completion(&self, body: &[u8]) -> Result<TextCompletionResponse, LlmError>;

    /// Maps a non-2xx answer to the error the caller sees.
    fn map_error(&self, status: u16, headers: Vec<(String, String)>, body: &[u8], model: &str) -> LlmError {
        LlmError::from_upstream(status, headers, body, self.id(), model)
    }
}
