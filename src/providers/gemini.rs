//! Gemini: native translation (being written; see issue 3).

use super::openai_compat::{Auth, Row};
use super::{CallTarget, HttpRequest, Provider, StreamState};
use crate::error::LlmError;
use crate::types::{ChatChunk, ChatRequest, ChatResponse};

/// Where Gemini lives and how it takes its key.
pub static ROW: Row = Row {
    id: "gemini",
    base_url: "https://generativelanguage.googleapis.com",
    key_env: &["GEMINI_API_KEY", "GOOGLE_API_KEY"],
    base_env: &["GEMINI_API_BASE"],
    settings_key: Some("gemini_key"),
    auth: Auth::Header("x-goog-api-key"),
    renames: &[],
    unsupported: &[],
    headers: &[],
    hosts: &[],
    quirks: 0,
};

#[derive(Debug, Clone, Copy)]
pub struct Gemini;

fn not_yet() -> LlmError {
    LlmError::bad_request("the gemini translation is not finished yet")
}

impl Provider for Gemini {
    fn id(&self) -> &str {
        "gemini"
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
