//! Anthropic: native translation (being written; see issue 3).

use super::openai_compat::{Auth, Row};
use super::{CallTarget, HttpRequest, Provider, StreamState};
use crate::error::LlmError;
use crate::types::{ChatChunk, ChatRequest, ChatResponse};

/// Where Anthropic lives and how it takes its key.
pub static ROW: Row = Row {
    id: "anthropic",
    base_url: "https://api.anthropic.com",
    key_env: &["ANTHROPIC_API_KEY"],
    base_env: &["ANTHROPIC_API_BASE", "ANTHROPIC_BASE_URL"],
    settings_key: Some("anthropic_key"),
    auth: Auth::Header("x-api-key"),
    renames: &[],
    unsupported: &[],
    headers: &[],
    hosts: &[],
    quirks: 0,
};

#[derive(Debug, Clone, Copy)]
pub struct Anthropic;

fn not_yet() -> LlmError {
    LlmError::bad_request("the anthropic translation is not finished yet")
}

impl Provider for Anthropic {
    fn id(&self) -> &str {
        "anthropic"
    }

    fn build_chat(&self, _req: &ChatRequest, _target: &CallTarget) -> Result<HttpRequest, LlmError> {
        Err(not_yet())
    }

    fn parse_chat(&self, _body: &[u8], _req: &ChatRequest) -> Result<ChatResponse, LlmError> {
        Err(not_yet())
    }

    fn parse_chat_event(
        &self,
        _state: &mut StreamState,
        _event: Option<&str>,
        _data: &str,
    ) -> Result<Vec<ChatChunk>, LlmError> {
        Err(not_yet())
    }
}
