//! `mock_response`: canned answers that go through the same rendering as real ones, without HTTP.

use tokio::sync::mpsc;

use super::stream::{ChunkStream, encode};
use super::{CallOptions, Hidden, new_id};
use crate::providers::resolve;
use crate::types::{
    ChatChunk, ChatRequest, ChatResponse, Choice, ChunkChoice, Delta, ResponseMessage, Usage, unix_now,
};

/// litellm reports these token counts for mocked calls.
const MOCK_PROMPT_TOKENS: u64 = 10;
const MOCK_COMPLETION_TOKENS: u64 = 20;

fn hidden(req: &ChatRequest, opts: &CallOptions) -> Hidden {
    let provider = resolve(&req.model, opts.custom_llm_provider.as_deref(), opts.explicit_api_base())
        .map(|r| r.row().id.to_owned())
        .unwrap_or_else(|_| req.model.split_once('/').map_or("openai", |(p, _)| p).to_owned());
    Hidden {
        custom_llm_provider: provider,
        api_base: opts.explicit_api_base().unwrap_or_default().to_owned(),
        model: req.model.clone(),
        mocked: true,
        ..Hidden::default()
    }
}

/// A `mock_response` naming an exception class (`"litellm.RateLimitError"`) makes the call fail
/// with that error, as litellm does; used to exercise retries, cooldowns and fallbacks.
pub(super) fn raise_if_error(text: &str, model: &str, opts: &CallOptions) -> Result<(), crate::error::LlmError> {
    use crate::error::{ErrorKind, LlmError};
    let Some(class) = text.strip_prefix("litellm.") else {
        return Ok(());
    };
    let kind = ErrorKind::from_class_name(class);
    if kind == ErrorKind::Api && class != "APIError" {
        return Ok(());
    }
    let what = match kind {
        ErrorKind::RateLimit => "rate limit error".to_owned(),
        ErrorKind::ContextWindowExceeded => "context window exceeded error".to_owned(),
        ErrorKind::InternalServer => "internal server error".to_owned(),
        other => other.class_name().to_owned(),
    };
    let provider = resolve(model, opts.custom_llm_provider.as_deref(), opts.explicit_api_base())
        .map(|r| r.row().id.to_owned())
        .unwrap_or_else(|_| "openai".to_owned());
    Err(LlmError::new(kind, format!("this is a mock {what}")).with_context(&provider, model))
}

pub(super) fn chat(req: &ChatRequest, opts: &CallOptions, text: &str) -> (ChatResponse, Hidden) {
    let resp = ChatResponse {
        id: new_id("chatcmpl-"),
        object: "chat.completion".into(),
        created: unix_now(),
        model: req.model.clone(),
        system_fingerprint: None,
        choices: vec![Choice {
            index: 0,
            message: ResponseMessage { content: Some(text.to_owned()), ..ResponseMessage::default() },
            finish_reason: Some("stop".into()),
            logprobs: None,
            extra: Default::default(),
        }],
        usage: Some(Usage::new(MOCK_PROMPT_TOKENS, MOCK_COMPLETION_TOKENS)),
        extra: Default::default(),
    };
    (resp, hidden(req, opts))
}

pub(super) fn chat_stream(req: &ChatRequest, opts: &CallOptions, text: &str, tier: Option<&str>) -> ChunkStream {
    let hidden = hidden(req, opts);
    let pricer = hidden.stream_pricer(opts, tier);
    let id = new_id("chatcmpl-");
    let created = unix_now();
    let chunk = |delta: Delta, finish: Option<&str>| ChatChunk {
        id: id.clone(),
        object: "chat.completion.chunk".into(),
        created,
        model: req.model.clone(),
        choices: vec![ChunkChoice { index: 0, delta, finish_reason: finish.map(str::to_owned), ..Default::default() }],
        ..Default::default()
    };
    let mut chunks = Vec::new();
    let mut pieces = text.split_inclusive(' ').peekable();
    if pieces.peek().is_none() {
        chunks.push(chunk(
            Delta { role: Some("assistant".into()), content: Some(String::new()), ..Default::default() },
            None,
        ));
    }
    for (i, piece) in pieces.enumerate() {
        let role = (i == 0).then(|| "assistant".to_owned());
        chunks.push(chunk(Delta { role, content: Some(piece.to_owned()), ..Default::default() }, None));
    }
    chunks.push(chunk(Delta::default(), Some("stop")));
    if req.include_usage() {
        let mut usage = Usage::new(MOCK_PROMPT_TOKENS, MOCK_COMPLETION_TOKENS);
        pricer.on_usage(&mut usage);
        chunks.push(ChatChunk {
            id: id.clone(),
            object: "chat.completion.chunk".into(),
            created,
            model: req.model.clone(),
            usage: Some(usage),
            ..Default::default()
        });
    }
    let (tx, rx) = mpsc::channel(1);
    let _ = tx.try_send(Ok(chunks.iter().map(encode).collect::<Vec<_>>().into()));
    ChunkStream::from_parts(rx, None, hidden)
}

/// A complete answer (a cache hit) replayed as a stream: per choice, one chunk with the whole
/// message (role, reasoning, text, tool calls), then its finish; the usage chunk when asked for.
pub(super) fn replay(resp: ChatResponse, include_usage: bool, hidden: Hidden) -> ChunkStream {
    use crate::types::{FunctionDelta, ToolCallDelta};
    let chunk = |choices: Vec<ChunkChoice>| ChatChunk {
        id: resp.id.clone(),
        object: "chat.completion.chunk".into(),
        created: resp.created,
        model: resp.model.clone(),
        system_fingerprint: resp.system_fingerprint.clone(),
        choices,
        ..Default::default()
    };
    let mut chunks = Vec::new();
    for c in &resp.choices {
        let m = &c.message;
        let tool_calls = m.tool_calls.as_ref().map(|calls| {
            calls
                .iter()
                .enumerate()
                .map(|(i, t)| ToolCallDelta {
                    index: i as u32,
                    id: t.id.clone(),
                    kind: Some(t.kind.clone()),
                    function: Some(FunctionDelta {
                        name: Some(t.function.name.clone()),
                        arguments: Some(t.function.arguments.clone()),
                    }),
                })
                .collect()
        });
        let delta = Delta {
            role: Some(m.role.clone()),
            content: m.content.clone(),
            reasoning_content: m.reasoning_content.clone(),
            tool_calls,
            extra: m.extra.clone(),
            ..Default::default()
        };
        chunks.push(chunk(vec![ChunkChoice { index: c.index, delta, ..Default::default() }]));
        chunks.push(chunk(vec![ChunkChoice {
            index: c.index,
            finish_reason: c.finish_reason.clone(),
            ..Default::default()
        }]));
    }
    if include_usage && let Some(usage) = resp.usage.clone() {
        let mut last = chunk(Vec::new());
        last.usage = Some(usage);
        chunks.push(last);
    }
    let (tx, rx) = mpsc::channel(1);
    let _ = tx.try_send(Ok(chunks.iter().map(encode).collect::<Vec<_>>().into()));
    ChunkStream::from_parts(rx, None, hidden)
}
