//! Cohere: native translation (being written; see issue 3).

use super::openai_compat::{Auth, Row};
use super::{CallTarget, HttpRequest, Provider, StreamState};
use crate::error::LlmError;
use crate::types::{ChatChunk, ChatRequest, ChatResponse};

/// Where Cohere lives and how it takes its key.
pub static ROW: Row = Row {
    id: "cohere",
    base_url: "https://api.cohere.com",
    key_env: &["COHERE_API_KEY", "CO_API_KEY"],
    base_env: &["COHERE_API_BASE"],
    settings_key: Some("cohere_key"),
    auth: Auth::Bearer,
    renames: &[],
    unsupported: &[],
    headers: &[],
    hosts: &[],
    quirks: 0,
};

#[derive(Debug, Clone, Copy)]
pub struct Cohere;

fn not_yet() -> LlmError {
    LlmError::bad_request("the cohere translation is not finished yet")
}

impl Provider for Cohere {
    fn id(&self) -> &str {
        "cohere"
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
