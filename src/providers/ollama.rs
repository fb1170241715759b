//! Ollama: native translation (being written; see issue 3).

use super::openai_compat::{Auth, Row};
use super::{CallTarget, HttpRequest, Provider, StreamState};
use crate::error::LlmError;
use crate::types::{ChatChunk, ChatRequest, ChatResponse};

/// Where Ollama lives and how it takes its key.
pub static ROW: Row = Row {
    id: "ollama",
    base_url: "http://localhost:11434",
    key_env: &["OLLAMA_API_KEY"],
    base_env: &["OLLAMA_API_BASE"],
    settings_key: None,
    auth: Auth::Bearer,
    renames: &[],
    unsupported: &[],
    headers: &[],
    hosts: &[],
    quirks: super::openai_compat::quirk::KEY_OPTIONAL,
};

/// `ollama/` speaks `/api/generate`; `ollama_chat/` speaks `/api/chat`.
#[derive(Debug, Clone, Copy)]
pub struct Ollama {
    pub chat: bool,
}

fn not_yet() -> LlmError {
    LlmError::bad_request("the ollama translation is not finished yet")
}

impl Provider for Ollama {
    fn id(&self) -> &str {
        if self.chat { "ollama_chat" } else { "ollama" }
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
