//! Canonical OpenAI-shaped types. Fields the caller did not set stay absent on the wire
//! (`Option` + `skip_serializing_if`); unknown fields pass through a flattened map.

mod chunk;
mod chunk_peek;
mod embedding;
mod message;
mod request;
mod response;
mod text;

pub use chunk::{ChatChunk, ChunkChoice, Delta, FunctionDelta, ToolCallDelta};
pub use chunk_peek::{ChunkPeek, LAYOUT_MEMBERS, Layout, Member, NONE, Part, PeekMemo, peek_plain_chunk};
pub use embedding::{EmbeddingRequest, EmbeddingResponse};
pub use message::{Content, ContentPart, FunctionCall, KnownPart, Message, Role, ToolCall};
pub use request::{ChatRequest, OPENAI_CHAT_PARAMS, StreamOptions, Tool};
pub use response::{ChatResponse, Choice, CompletionTokensDetails, PromptTokensDetails, ResponseMessage, Usage};
pub use text::{TextChoice, TextCompletionRequest, TextCompletionResponse};

/// Unknown fields, kept in order of arrival.
pub type Extra = serde_json::Map<String, serde_json::Value>;

pub(crate) fn is_empty_map(m: &Extra) -> bool {
    m.is_empty()
}

/// Seconds since the epoch (for `created`).
pub fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}
