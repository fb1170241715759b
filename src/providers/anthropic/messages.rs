//! Chat messages -> Anthropic `system` and `messages` (litellm's `anthropic_messages_pt`). Blocks
//! borrow their text and base64 data from the request; only parsed tool inputs are owned.

use std::borrow::Cow;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::{Map, Value};

use crate::error::LlmError;
use crate::types::{Content, ContentPart, Extra, KnownPart, Message, Role};

/// litellm's stand-in for empty text, which Anthropic rejects.
const EMPTY_TEXT_PLACEHOLDER: &str = "[System: Empty message content sanitised to satisfy protocol]";

// ---------------------------------------------------------------------------------------------
// wire shapes
// ---------------------------------------------------------------------------------------------

#[derive(Serialize)]
#[serde(untagged)]
pub(super) enum Block<'a> {
    Typed(Typed<'a>),
    /// A block passed through as the caller gave it (thinking blocks, native documents, ...),
    /// minus stream-only keys.
    Raw(RawBlock<'a>),
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(super) enum Typed<'a> {
    Text {
        text: Cow<'a, str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        cache_control: Option<&'a Value>,
    },
    Image {
        source: Source<'a>,
        #[serde(skip_serializing_if = "Option::is_none")]
        cache_control: Option<&'a Value>,
    },
    Document {
        source: Source<'a>,
        #[serde(skip_serializing_if = "Option::is_none")]
        cache_control: Option<&'a Value>,
    },
    ContainerUpload {
        file_id: &'a str,
    },
    ToolUse {
        id: Cow<'a, str>,
        name: &'a str,
        input: Value,
        #[serde(skip_serializing_if = "Option::is_none")]
        cache_control: Option<&'a Value>,
    },
    ToolResult {
        tool_use_id: Cow<'a, str>,
        content: ToolResultContent<'a>,
        #[serde(skip_serializing_if = "Option::is_none")]
        cache_control: Option<&'a Value>,
    },
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(super) enum Source<'a> {
    Base64 { media_type: &'a str, data: &'a str },
    Url { url: &'a str },
    File { file_id: &'a str },
}

#[derive(Serialize)]
#[serde(untagged)]
pub(super) enum ToolResultContent<'a> {
    Text(&'a str),
    Blocks(Vec<Block<'a>>),
}

pub(super) struct RawBlock<'a> {
    map: &'a Map<String, Value>,
}

impl Serialize for RawBlock<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        for (k, v) in self.map {
            if k != "index" {
                m.serialize_entry(k, v)?;
            }
        }
        m.end()
    }
}

#[derive(Serialize)]
pub(super) struct MsgOut<'a> {
    role: &'static str,
    content: Vec<Block<'a>>,
}

// ---------------------------------------------------------------------------------------------
// messages
// ---------------------------------------------------------------------------------------------

#[derive(Default)]
pub(super) struct Conversation<'a> {
    pub system: Vec<Block<'a>>,
    pub messages: Vec<MsgOut<'a>>,
    /// The conversation carries tool_use / tool_result blocks (Anthropic then requires `tools`).
    pub has_tool_blocks: bool,
    /// A file part refers to an uploaded file (needs the files-api beta).
    pub file_id_used: bool,
}

pub(super) fn cache_control(extra: &Extra) -> Option<&Value> {
    extra.get("cache_control").filter(|v| v.is_object())
}

fn text_block<'a>(text: &'a str, cc: Option<&'a Value>) -> Block<'a> {
    Block::Typed(Typed::Text { text: Cow::Borrowed(text), cache_control: cc })
}

fn placeholder<'a>(cc: Option<&'a Value>) -> Block<'a> {
    text_block(EMPTY_TEXT_PLACEHOLDER, cc)
}

pub(super) fn bad(msg: impl Into<String>) -> LlmError {
    LlmError::bad_request(msg)
}

/// `data:<media type>;base64,<data>` -> (media type, data), borrowed.
fn parse_data_url(url: &str) -> Option<(&str, &str)> {
    let rest = url.strip_prefix("data:")?;
    let (media_type, data) = rest.split_once(";base64,")?;
    Some((media_type, data))
}

fn is_pdf(media_type: &str) -> bool {
    media_type.eq_ignore_ascii_case("application/pdf")
}

/// An `image_url` part: https/http URLs become URL sources (a document for PDFs), data URLs
/// become base64 sources (PDF and plain text as documents, as litellm does).
fn image_block<'a>(image_url: &'a Value, cc: Option<&'a Value>) -> Result<Block<'a>, LlmError> {
    let (url, format) = match image_url {
        Value::String(s) => (s.as_str(), None),
        Value::Object(m) => {
            (m.get("url").and_then(Value::as_str).unwrap_or(""), m.get("format").and_then(Value::as_str))
        }
        _ => ("", None),
    };
    if url.starts_with("https://") || url.starts_with("http://") {
        let source = Source::Url { url };
        return Ok(Block::Typed(if format.is_some_and(is_pdf) {
            Typed::Document { source, cache_control: cc }
        } else {
            Typed::Image { source, cache_control: cc }
        }));
    }
    let Some((media_type, data)) = parse_data_url(url) else {
        return Err(bad(
            "Image url not in expected format. Example Expected input - \"image_url\": \"data:image/jpeg;base64,{base64_image}\". \
             Supported formats - ['image/jpeg', 'image/png', 'image/gif', 'image/webp'].",
        ));
    };
    let media_type = format.unwrap_or(media_type);
    let source = Source::Base64 { media_type, data };
    Ok(Block::Typed(if is_pdf(media_type) || media_type.eq_ignore_ascii_case("text/plain") {
        Typed::Document { source, cache_control: cc }
    } else {
        Typed::Image { source, cache_control: cc }
    }))
}

/// A `file` part: inline `file_data` (a data URL) -> base64 document; `file_id` -> a file source
/// (document or image by `format`), a URL document, or a container upload (litellm's
/// `anthropic_process_openai_file_message`).
fn file_block<'a>(file: &'a Value, cc: Option<&'a Value>, conv: &mut Conversation<'a>) -> Result<Block<'a>, LlmError> {
    let get = |k: &str| file.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
    let format = get("format");
    if let Some(file_data) = get("file_data") {
        let (media_type, data) = parse_data_url(file_data).ok_or_else(|| {
            bad("file_data must be a base64 data URL (\"data:application/pdf;base64,...\") for anthropic")
        })?;
        let media_type = format.unwrap_or(media_type);
        return Ok(Block::Typed(Typed::Document { source: Source::Base64 { media_type, data }, cache_control: cc }));
    }
    if let Some(file_id) = get("file_id") {
        conv.file_id_used = true;
        let typed = match format {
            Some("application/pdf" | "text/plain") => {
                Typed::Document { source: Source::File { file_id }, cache_control: cc }
            }
            Some("image/jpeg" | "image/png" | "image/gif" | "image/webp") => {
                Typed::Image { source: Source::File { file_id }, cache_control: cc }
            }
            None if file_id.starts_with("http") => {
                Typed::Document { source: Source::Url { url: file_id }, cache_control: cc }
            }
            _ => Typed::ContainerUpload { file_id },
        };
        return Ok(Block::Typed(typed));
    }
    Err(bad("A content part of type 'file' needs `file.file_data` or `file.file_id`"))
}

fn system_blocks<'a>(msg: &'a Message, out: &mut Vec<Block<'a>>) {
    match &msg.content {
        Some(Content::Text(s)) if !s.is_empty() => out.push(text_block(s, cache_control(&msg.extra))),
        Some(Content::Parts(parts)) => {
            for p in parts {
                if let ContentPart::Known(KnownPart::Text { text, extra }) = p
                    && !text.is_empty()
                {
                    out.push(text_block(text, cache_control(extra)));
                }
            }
        }
        _ => {}
    }
}

fn user_blocks<'a>(msg: &'a Message, conv: &mut Conversation<'a>) -> Result<Vec<Block<'a>>, LlmError> {
    let msg_cc = cache_control(&msg.extra);
    let mut out = Vec::new();
    match &msg.content {
        Some(Content::Text(s)) if !s.trim().is_empty() => out.push(text_block(s, msg_cc)),
        Some(Content::Parts(parts)) => {
            for p in parts {
                match p {
                    ContentPart::Known(KnownPart::Text { text, extra }) => {
                        let cc = cache_control(extra);
                        out.push(if text.trim().is_empty() { placeholder(cc) } else { text_block(text, cc) });
                    }
                    ContentPart::Known(KnownPart::ImageUrl { image_url, extra }) => {
                        out.push(image_block(image_url, cache_control(extra))?);
                    }
                    ContentPart::Known(KnownPart::File { file, extra }) => {
                        out.push(file_block(file, cache_control(extra), conv)?);
                    }
                    ContentPart::Known(KnownPart::InputAudio { .. }) => {
                        return Err(bad("anthropic does not accept audio input (content part 'input_audio')"));
                    }
                    // Anthropic-native blocks given as-is (litellm passes `document` through).
                    ContentPart::Other(map) => {
                        if matches!(map.get("type").and_then(Value::as_str), Some("document" | "search_result")) {
                            out.push(Block::Raw(RawBlock { map }));
                        }
                    }
                }
            }
        }
        _ => {}
    }
    if out.is_empty() {
        out.push(placeholder(msg_cc));
    }
    Ok(out)
}

/// Anthropic's tool_use ids match `^[a-zA-Z0-9_-]+$`; other characters become `_`.
fn sanitize_tool_id(id: &str) -> Cow<'_, str> {
    if id.is_empty() {
        return Cow::Borrowed("tool_use_id");
    }
    if id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
        Cow::Borrowed(id)
    } else {
        Cow::Owned(
            id.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c } else { '_' }).collect(),
        )
    }
}

fn tool_result<'a>(msg: &'a Message, conv: &mut Conversation<'a>) -> Result<Block<'a>, LlmError> {
    let id: Cow<'a, str> = match msg.tool_call_id.as_deref() {
        Some(id) => sanitize_tool_id(id),
        None if msg.role == Role::Function => Cow::Owned(crate::util::new_id("toolu_")),
        None => return Err(bad("A message with role 'tool' needs `tool_call_id`")),
    };
    let content = match &msg.content {
        None => ToolResultContent::Text(""),
        Some(Content::Text(s)) => ToolResultContent::Text(s),
        Some(Content::Parts(parts)) => {
            let mut blocks = Vec::with_capacity(parts.len());
            for p in parts {
                match p {
                    ContentPart::Known(KnownPart::Text { text, extra }) => {
                        blocks.push(text_block(text, cache_control(extra)));
                    }
                    ContentPart::Known(KnownPart::ImageUrl { image_url, extra }) => {
                        blocks.push(image_block(image_url, cache_control(extra))?);
                    }
                    ContentPart::Known(KnownPart::File { file, extra }) => {
                        blocks.push(file_block(file, cache_control(extra), conv)?);
                    }
                    _ => {}
                }
            }
            ToolResultContent::Blocks(blocks)
        }
    };
    Ok(Block::Typed(Typed::ToolResult { tool_use_id: id, content, cache_control: cache_control(&msg.extra) }))
}

/// A thinking block that can be sent back: signed `thinking`, or `redacted_thinking` with data.
/// Unsigned blocks (another provider's reasoning) are dropped: Anthropic rejects them.
fn replayable(v: &Value) -> Option<&Map<String, Value>> {
    v.as_object().filter(|m| is_replayable(m))
}

fn is_replayable(m: &Map<String, Value>) -> bool {
    let non_empty = |k: &str| m.get(k).and_then(Value::as_str).is_some_and(|s| !s.is_empty());
    match m.get("type").and_then(Value::as_str) {
        Some("thinking") => non_empty("signature"),
        Some("redacted_thinking") => non_empty("data"),
        _ => false,
    }
}

fn parse_arguments(name: &str, args: &str) -> Result<Value, LlmError> {
    if args.trim().is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    serde_json::from_str(args)
        .map_err(|e| bad(format!("The arguments of the tool call to '{name}' are not valid JSON ({e}): {args}")))
}

fn assistant_blocks<'a>(msg: &'a Message, seen_ids: &mut Vec<Cow<'a, str>>) -> Result<Vec<Block<'a>>, LlmError> {
    let msg_cc = cache_control(&msg.extra);
    let mut out = Vec::new();
    let content_has_thinking = matches!(&msg.content, Some(Content::Parts(parts)) if parts.iter().any(|p| matches!(p,
        ContentPart::Other(m) if matches!(m.get("type").and_then(Value::as_str), Some("thinking" | "redacted_thinking")))));
    // Thinking blocks go first, or Anthropic rejects the turn.
    if !content_has_thinking && let Some(Value::Array(blocks)) = msg.extra.get("thinking_blocks") {
        out.extend(blocks.iter().filter_map(replayable).map(|map| Block::Raw(RawBlock { map })));
    }
    match &msg.content {
        Some(Content::Text(s)) if !s.is_empty() => out.push(text_block(s, msg_cc)),
        Some(Content::Parts(parts)) => {
            for p in parts {
                match p {
                    ContentPart::Known(KnownPart::Text { text, extra }) if !text.is_empty() => {
                        out.push(text_block(text, cache_control(extra)));
                    }
                    ContentPart::Other(map) => {
                        let t = map.get("type").and_then(Value::as_str).unwrap_or_default();
                        let keep = match t {
                            "thinking" | "redacted_thinking" => is_replayable(map),
                            "server_tool_use" => true,
                            t => t.ends_with("_tool_result"),
                        };
                        if keep {
                            out.push(Block::Raw(RawBlock { map }));
                        }
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
    for tc in msg.tool_calls.iter().flatten() {
        if tc.kind != "function" {
            continue;
        }
        let id = sanitize_tool_id(tc.id.as_deref().unwrap_or_default());
        if seen_ids.contains(&id) {
            continue;
        }
        seen_ids.push(id.clone());
        let input = parse_arguments(&tc.function.name, &tc.function.arguments)?;
        out.push(Block::Typed(Typed::ToolUse {
            id,
            name: &tc.function.name,
            input,
            cache_control: cache_control(&tc.extra),
        }));
    }
    if let Some(fc) = &msg.function_call {
        out.push(Block::Typed(Typed::ToolUse {
            id: Cow::Owned(crate::util::new_id("toolu_")),
            name: &fc.name,
            input: parse_arguments(&fc.name, &fc.arguments)?,
            cache_control: None,
        }));
    }
    if out.is_empty() {
        out.push(placeholder(msg_cc));
    }
    Ok(out)
}

fn push<'a>(msgs: &mut Vec<MsgOut<'a>>, role: &'static str, blocks: Vec<Block<'a>>) {
    match msgs.last_mut() {
        Some(last) if last.role == role => last.content.extend(blocks),
        _ => msgs.push(MsgOut { role, content: blocks }),
    }
}

/// System and developer messages are hoisted into `system`; consecutive user-side messages (user,
/// tool, function) merge into one user turn, consecutive assistant messages into one assistant
/// turn, as Anthropic requires alternating roles (litellm's `anthropic_messages_pt`).
pub(super) fn convert(messages: &[Message]) -> Result<Conversation<'_>, LlmError> {
    let mut conv = Conversation::default();
    let mut seen_ids: Vec<Cow<'_, str>> = Vec::new();
    for msg in messages {
        match msg.role {
            Role::System | Role::Developer => {
                let mut sys = std::mem::take(&mut conv.system);
                system_blocks(msg, &mut sys);
                conv.system = sys;
            }
            Role::User => {
                let blocks = user_blocks(msg, &mut conv)?;
                push(&mut conv.messages, "user", blocks);
            }
            Role::Tool | Role::Function => {
                conv.has_tool_blocks = true;
                let block = tool_result(msg, &mut conv)?;
                push(&mut conv.messages, "user", vec![block]);
            }
            Role::Assistant => {
                if conv.messages.last().is_none_or(|m| m.role != "assistant") {
                    seen_ids.clear();
                }
                if msg.tool_calls.as_ref().is_some_and(|t| !t.is_empty()) || msg.function_call.is_some() {
                    conv.has_tool_blocks = true;
                }
                let blocks = assistant_blocks(msg, &mut seen_ids)?;
                push(&mut conv.messages, "assistant", blocks);
            }
        }
    }
    if conv.messages.is_empty() {
        return Err(bad("Anthropic requires at least one non-system message. Add a user message to `messages`."));
    }
    // Anthropic rejects a final assistant turn that ends with whitespace.
    if let Some(last) = conv.messages.last_mut().filter(|m| m.role == "assistant") {
        for b in &mut last.content {
            if let Block::Typed(Typed::Text { text, .. }) = b {
                let trimmed = text.trim_end();
                if trimmed.len() != text.len() {
                    *text = match text {
                        Cow::Borrowed(s) => Cow::Borrowed(s.trim_end()),
                        Cow::Owned(s) => Cow::Owned(s.trim_end().to_owned()),
                    };
                }
            }
        }
    }
    Ok(conv)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_ids_are_sanitised() {
        assert_eq!(sanitize_tool_id("call_abc-1"), "call_abc-1");
        assert_eq!(sanitize_tool_id("call.abc:1"), "call_abc_1");
        assert_eq!(sanitize_tool_id(""), "tool_use_id");
    }
}
