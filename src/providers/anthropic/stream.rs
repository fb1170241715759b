//! Anthropic's SSE stream, one event at a time (litellm's `ModelResponseIterator.chunk_parser`):
//!
//! - `message_start`: id, model and the input usage are remembered; nothing is emitted.
//! - `content_block_start`: a `tool_use` block opens a tool call (id, name, index = the number of
//!   tool calls so far); a `redacted_thinking` block is emitted as a thinking block.
//! - `content_block_delta`: `text_delta` -> content, `input_json_delta` -> that tool call's
//!   arguments, `thinking_delta` -> reasoning_content, `signature_delta` -> the block's signature.
//! - `content_block_stop`: a tool call that streamed no arguments gets `{}`.
//! - `message_delta`: the finish_reason chunk, then (with `include_usage`) a usage chunk.
//! - `message_stop`: the stream is complete. `ping` and unknown events are skipped; `error` raises.
//!
//! With `response_format`, the `json_tool_call` tool's arguments stream as content (json mode).

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::response::{RawUsage, finish_reason};
use super::{RESPONSE_FORMAT_TOOL_NAME, error_from_object};
use crate::error::{ErrorKind, LlmError};
use crate::providers::StreamState;
use crate::types::{ChatChunk, ChunkChoice, Delta, FunctionDelta, ToolCallDelta};

// Per-stream facts beyond the shared fields live in `StreamState::block_tools`:
// - `(block index, tool index)` for each tool_use block, with `ARGS_SEEN` set once it streamed
//   arguments, or `JSON_TOOL` for the response_format tool;
// - `(FLAGS, bits)` for stream-wide flags and `(THINKING_BLOCKS, n)` for the thinking block count.
const ARGS_SEEN: u32 = 1 << 31;
const JSON_TOOL: u32 = ARGS_SEEN - 1;
const FLAGS: u32 = u32::MAX;
const THINKING_BLOCKS: u32 = u32::MAX - 1;
const FLAG_JSON_MODE: u32 = 1;
const FLAG_THINKING: u32 = 2;

fn slot(state: &mut StreamState, key: u32) -> &mut u32 {
    let pos = match state.block_tools.iter().position(|(k, _)| *k == key) {
        Some(p) => p,
        None => {
            state.block_tools.push((key, 0));
            state.block_tools.len() - 1
        }
    };
    &mut state.block_tools[pos].1
}

fn flags(state: &StreamState) -> u32 {
    state.block_tools.iter().find(|(k, _)| *k == FLAGS).map_or(0, |(_, v)| *v)
}

fn set_flag(state: &mut StreamState, f: u32) {
    *slot(state, FLAGS) |= f;
}

/// The index litellm gives the current thinking block (0-based, counted over the stream).
fn thinking_index(state: &StreamState) -> u32 {
    state.block_tools.iter().find(|(k, _)| *k == THINKING_BLOCKS).map_or(0, |(_, v)| v.saturating_sub(1))
}

fn tool_of_block(state: &mut StreamState, block: u32) -> Option<&mut u32> {
    state.block_tools.iter_mut().find(|(k, _)| *k == block).map(|(_, v)| v)
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Event<'a> {
    MessageStart {
        #[serde(default)]
        message: StartMessage,
    },
    ContentBlockStart {
        index: u32,
        #[serde(borrow)]
        content_block: StartBlock<'a>,
    },
    ContentBlockDelta {
        index: u32,
        #[serde(borrow)]
        delta: BlockDelta<'a>,
    },
    ContentBlockStop {
        index: u32,
    },
    MessageDelta {
        #[serde(default)]
        delta: MessageDeltaBody,
        #[serde(default)]
        usage: Option<Map<String, Value>>,
    },
    MessageStop,
    Ping,
    Error {
        #[serde(default)]
        error: Value,
    },
    #[serde(other)]
    Unknown,
}

#[derive(Deserialize, Default)]
struct StartMessage {
    #[serde(default)]
    id: String,
    #[serde(default)]
    model: String,
    #[serde(default)]
    usage: Option<Map<String, Value>>,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum StartBlock<'a> {
    Text {
        #[serde(default, borrow)]
        text: Cow<'a, str>,
    },
    ToolUse {
        #[serde(borrow)]
        id: Cow<'a, str>,
        #[serde(borrow)]
        name: Cow<'a, str>,
    },
    Thinking {
        #[serde(default, borrow)]
        thinking: Cow<'a, str>,
    },
    RedactedThinking {
        #[serde(default, borrow)]
        data: Cow<'a, str>,
    },
    #[serde(other)]
    Unknown,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum BlockDelta<'a> {
    TextDelta {
        #[serde(borrow)]
        text: Cow<'a, str>,
    },
    InputJsonDelta {
        #[serde(default, borrow)]
        partial_json: Cow<'a, str>,
    },
    ThinkingDelta {
        #[serde(borrow)]
        thinking: Cow<'a, str>,
    },
    SignatureDelta {
        #[serde(borrow)]
        signature: Cow<'a, str>,
    },
    CitationsDelta {
        citation: Value,
    },
    #[serde(other)]
    Unknown,
}

#[derive(Deserialize, Default)]
struct MessageDeltaBody {
    #[serde(default)]
    stop_reason: Option<String>,
}

fn ensure_id(state: &mut StreamState) {
    if state.id.is_empty() {
        state.id = crate::util::new_id("chatcmpl-");
    }
    if state.created == 0 {
        state.created = crate::types::unix_now();
    }
}

fn chunk(state: &mut StreamState, mut delta: Delta, finish_reason: Option<&str>) -> ChatChunk {
    ensure_id(state);
    if !state.role_sent {
        delta.role = Some("assistant".into());
        state.role_sent = true;
    }
    ChatChunk {
        id: state.id.clone(),
        object: "chat.completion.chunk".into(),
        created: state.created,
        model: state.model.clone(),
        system_fingerprint: None,
        choices: vec![ChunkChoice {
            index: 0,
            delta,
            finish_reason: finish_reason.map(str::to_owned),
            logprobs: None,
            extra: Map::new(),
        }],
        usage: None,
        extra: Map::new(),
    }
}

fn content(text: &str) -> Delta {
    Delta { content: Some(text.to_owned()), ..Delta::default() }
}

fn tool_delta(index: u32, id: Option<&str>, name: Option<&str>, arguments: &str) -> Delta {
    Delta {
        tool_calls: Some(vec![ToolCallDelta {
            index,
            id: id.map(str::to_owned),
            kind: id.map(|_| "function".to_owned()),
            function: Some(FunctionDelta { name: name.map(str::to_owned), arguments: Some(arguments.to_owned()) }),
        }]),
        ..Delta::default()
    }
}

fn thinking_delta(reasoning: &str, block: Value) -> Delta {
    let mut d = Delta { reasoning_content: Some(reasoning.to_owned()), ..Delta::default() };
    d.extra.insert("thinking_blocks".into(), Value::Array(vec![block]));
    d
}

fn current_usage(state: &StreamState) -> RawUsage {
    state.usage.as_ref().map(RawUsage::from_usage).unwrap_or_default()
}

pub(super) fn parse_event(
    state: &mut StreamState,
    event: Option<&str>,
    data: &str,
) -> Result<Vec<ChatChunk>, LlmError> {
    let data = data.trim();
    if data.is_empty() || event == Some("ping") {
        return Ok(Vec::new());
    }
    if data == "[DONE]" {
        state.done = true;
        return Ok(Vec::new());
    }
    let ev: Event<'_> = serde_json::from_str(data).map_err(|e| {
        let snippet: String = data.chars().take(200).collect();
        LlmError::new(ErrorKind::Api, format!("Invalid stream event from anthropic ({e}): {snippet}"))
    })?;
    let mut out = Vec::new();
    match ev {
        Event::MessageStart { message } => {
            if !message.id.is_empty() {
                state.id = message.id;
            }
            if !message.model.is_empty() {
                state.model = message.model;
            }
            ensure_id(state);
            if let Some(u) = message.usage {
                let mut raw = current_usage(state);
                raw.merge(&u);
                state.usage = Some(raw.to_usage(None));
            }
        }
        Event::ContentBlockStart { index, content_block } => match content_block {
            StartBlock::Text { text } if !text.is_empty() => out.push(chunk(state, content(&text), None)),
            StartBlock::ToolUse { id, name } => {
                if name == RESPONSE_FORMAT_TOOL_NAME {
                    state.block_tools.push((index, JSON_TOOL));
                    set_flag(state, FLAG_JSON_MODE);
                } else {
                    let tool = state.tool_calls;
                    state.tool_calls += 1;
                    state.block_tools.push((index, tool));
                    out.push(chunk(state, tool_delta(tool, Some(&id), Some(&name), ""), None));
                }
            }
            StartBlock::Thinking { thinking } => {
                set_flag(state, FLAG_THINKING);
                *slot(state, THINKING_BLOCKS) += 1;
                if !thinking.is_empty() {
                    let block = json!({"type": "thinking", "thinking": thinking, "index": thinking_index(state)});
                    out.push(chunk(state, thinking_delta(&thinking, block), None));
                }
            }
            StartBlock::RedactedThinking { data } => {
                set_flag(state, FLAG_THINKING);
                *slot(state, THINKING_BLOCKS) += 1;
                let block = json!({"type": "redacted_thinking", "data": data, "index": thinking_index(state)});
                let mut d = Delta::default();
                d.extra.insert("thinking_blocks".into(), Value::Array(vec![block]));
                out.push(chunk(state, d, None));
            }
            _ => {}
        },
        Event::ContentBlockDelta { index, delta } => match delta {
            BlockDelta::TextDelta { text } => out.push(chunk(state, content(&text), None)),
            BlockDelta::InputJsonDelta { partial_json } => {
                let Some(tool) = tool_of_block(state, index) else {
                    return Ok(out);
                };
                if *tool == JSON_TOOL {
                    if !partial_json.is_empty() {
                        out.push(chunk(state, content(&partial_json), None));
                    }
                } else if !partial_json.is_empty() {
                    *tool |= ARGS_SEEN;
                    let t = *tool & !ARGS_SEEN;
                    out.push(chunk(state, tool_delta(t, None, None, &partial_json), None));
                }
            }
            BlockDelta::ThinkingDelta { thinking } => {
                let block = json!({"type": "thinking", "thinking": thinking, "index": thinking_index(state)});
                out.push(chunk(state, thinking_delta(&thinking, block), None));
            }
            BlockDelta::SignatureDelta { signature } => {
                let block = json!({
                    "type": "thinking", "thinking": "", "signature": signature, "index": thinking_index(state),
                });
                out.push(chunk(state, thinking_delta("", block), None));
            }
            BlockDelta::CitationsDelta { citation } => {
                let mut d = Delta::default();
                d.extra.insert("provider_specific_fields".into(), json!({ "citation": citation }));
                out.push(chunk(state, d, None));
            }
            BlockDelta::Unknown => {}
        },
        Event::ContentBlockStop { index } => {
            if let Some(tool) = tool_of_block(state, index).map(|t| *t)
                && tool != JSON_TOOL
                && tool & ARGS_SEEN == 0
            {
                // A tool without arguments streams none; OpenAI clients expect a JSON object.
                out.push(chunk(state, tool_delta(tool, None, None, "{}"), None));
            }
        }
        Event::MessageDelta { delta, usage } => {
            let f = flags(state);
            let mut finish = finish_reason(delta.stop_reason.as_deref().unwrap_or("stop"));
            if finish == "tool_calls" && state.tool_calls == 0 && f & FLAG_JSON_MODE != 0 {
                finish = "stop";
            }
            let mut raw = current_usage(state);
            if let Some(u) = &usage {
                raw.merge(u);
            }
            let usage = raw.to_usage(Some(f & FLAG_THINKING != 0));
            state.usage = Some(usage.clone());
            state.finished = true;
            out.push(chunk(state, Delta::default(), Some(finish)));
            if state.include_usage {
                let mut c = chunk(state, Delta::default(), None);
                c.choices.clear();
                c.usage = Some(usage);
                out.push(c);
            }
        }
        Event::MessageStop => state.done = true,
        Event::Ping | Event::Unknown => {}
        Event::Error { error } => return Err(error_from_object(&error, data.as_bytes(), &state.model)),
    }
    Ok(out)
}
