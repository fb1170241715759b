//! Token counting, encoding and decoding with litellm's arithmetic (`litellm.token_counter`,
//! `litellm.encode`, `litellm.decode`).
//!
//! * **Encodings.** OpenAI models use their tiktoken encoding, exactly (tiktoken-rs, whose BPE
//!   vocabularies are embedded in the crate: no download). `o200k_base` for the gpt-4o, gpt-4.1,
//!   gpt-4.5, gpt-5+ and o-series families (and the other OpenAI releases newer than tiktoken's
//!   table), `cl100k_base` for gpt-4, gpt-3.5, the embedding models and **every other model**.
//!   Provider prefixes (`openai/`, `azure/`, `openrouter/openai/`) and fine-tune names
//!   (`ft:gpt-4o-mini:org::id`) are resolved first. Each table is built lazily on first use,
//!   once per process, and shared.
//! * **Approximation for non-OpenAI models.** litellm counts Claude (not claude-3), Cohere
//!   command-r, DeepSeek and Llama 2/3 models with HuggingFace tokenizers (some downloaded from
//!   the Hub at call time) and falls back to `cl100k_base` when those are unavailable. We always
//!   count them with `cl100k_base`: the same number litellm gives offline, and within a few
//!   percent of the provider's own tokenizer for English text. Use the provider's count-tokens
//!   API for exact figures.
//! * **Text** is counted in chunks of 1,024 characters, as litellm does (it keeps the BPE merge
//!   loop linear on pathological input at a drift of at most one token per chunk boundary);
//!   `encode` is never chunked. Texts above 4,000,000 characters are extrapolated from 16 evenly
//!   spaced samples, as litellm does.
//! * **Messages** follow OpenAI's cookbook accounting, as litellm does: 3 tokens per message, the
//!   tokens of every string field of the message (role, content, name, tool_call_id, ...), +1 per
//!   `name`; content lists count their text/thinking parts and their images; `tool_calls` count
//!   their `arguments` only; then 3 tokens priming the reply, the tool definitions rendered as
//!   OpenAI's internal TypeScript namespace (+9, -4 when a system message is present) and the
//!   tool choice. `count_response_tokens` leaves out everything after the messages.
//! * **Images** (OpenAI tile arithmetic): `low` = 85; `auto` reads the dimensions of inline
//!   `data:image/...;base64` images (PNG, GIF, JPEG, WebP) and uses 85 for anything else; `high`
//!   uses the inline dimensions, or litellm's default 300x300 when they are unknown (we never
//!   fetch URLs). Scaled to fit 2000x768, each 512px tile costs 170 on top of the base 85.

use std::fmt::Write as _;

use serde_json::{Map, Value};
use tiktoken_rs::CoreBPE;

/// A tiktoken encoding used by litellm's token counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Cl100kBase,
    O200kBase,
}

impl Encoding {
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Cl100kBase => "cl100k_base",
            Encoding::O200kBase => "o200k_base",
        }
    }

    /// The BPE tables, built on first use and cached for the life of the process.
    fn bpe(self) -> &'static CoreBPE {
        match self {
            Encoding::Cl100kBase => tiktoken_rs::cl100k_base_singleton(),
            Encoding::O200kBase => tiktoken_rs::o200k_base_singleton(),
        }
    }

    /// Token ids of `text`, special-token text encoded as ordinary text (tiktoken's
    /// `encode(text, disallowed_special=())`).
    pub fn encode(self, text: &str) -> Vec<u32> {
        self.bpe().encode_ordinary(text)
    }

    /// Text of `tokens`; invalid UTF-8 is replaced (tiktoken's `errors="replace"`).
    pub fn decode(self, tokens: &[u32]) -> Result<String, TokenError> {
        let bytes = self
            .bpe()
            .decode_bytes(tokens)
            .map_err(|e| TokenError(format!("invalid token for {}: {e}", self.name())))?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// Tokens in `text`, counted the way litellm's token_counter counts (chunked, extrapolated
    /// above [`MAX_EXACT_CHARS`]).
    pub fn count(self, text: &str) -> usize {
        let chars = text.chars().count();
        if chars <= MAX_EXACT_CHARS {
            return self.count_chunked(text);
        }
        // litellm: 16 evenly spaced samples of MAX_EXACT_CHARS / 16 characters, scaled up.
        let sample_count = EXTRAPOLATION_SAMPLES.min(MAX_EXACT_CHARS);
        let sample_chars = MAX_EXACT_CHARS / sample_count;
        let last_start = chars - sample_chars;
        let offsets: Vec<usize> = text.char_indices().map(|(i, _)| i).chain(std::iter::once(text.len())).collect();
        let mut counted = 0usize;
        let mut sampled = 0usize;
        for index in 0..sample_count {
            let start = last_start * index / (sample_count - 1).max(1);
            let sample = &text[offsets[start]..offsets[start + sample_chars]];
            counted += self.count_chunked(sample);
            sampled += sample_chars;
        }
        round_half_even(counted as f64 * chars as f64 / sampled as f64)
    }

    fn count_chunked(self, text: &str) -> usize {
        let bpe = self.bpe();
        let mut total = 0;
        let mut start = 0;
        let mut chars = 0;
        for (i, _) in text.char_indices() {
            if chars == CHUNK_CHARS {
                total += bpe.encode_ordinary(&text[start..i]).len();
                start = i;
                chars = 0;
            }
            chars += 1;
        }
        if start < text.len() {
            total += bpe.encode_ordinary(&text[start..]).len();
        }
        total
    }
}

/// litellm's `TIKTOKEN_ENCODE_CHUNK_SIZE_CHARS` default.
pub const CHUNK_CHARS: usize = 1024;
/// litellm's `TOKEN_COUNTER_MAX_EXACT_CHARS` default.
pub const MAX_EXACT_CHARS: usize = 4_000_000;
const EXTRAPOLATION_SAMPLES: usize = 16;

/// Python's `round()` (half to even) for the non-negative values we extrapolate.
fn round_half_even(x: f64) -> usize {
    let floor = x.floor();
    let diff = x - floor;
    let r = if diff > 0.5 || (diff == 0.5 && floor % 2.0 != 0.0) { floor + 1.0 } else { floor };
    r as usize
}

/// A token counting error (litellm raises `ValueError`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TokenError(pub String);

fn err<T>(msg: impl Into<String>) -> Result<T, TokenError> {
    Err(TokenError(msg.into()))
}

/// The model name a provider serves: the last path segment, with a fine-tune id
/// (`ft:gpt-4o-mini:org::id`) resolved to its base model.
fn base_name(model: &str) -> &str {
    let name = model.rsplit('/').next().unwrap_or(model);
    match name.strip_prefix("ft:") {
        Some(rest) => rest.split(':').next().unwrap_or(rest),
        None => name,
    }
}

/// `gpt-5`, `gpt-5.1-codex`, `gpt-6-sol`, `o1`, `o3-mini`, `o4-mini-deep-research`, ...
fn is_versioned_openai(name: &str) -> bool {
    let rest_after_version = |s: &str| s.is_empty() || s.starts_with(['.', '-']);
    if let Some(v) = name.strip_prefix("gpt-") {
        let digits = v.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || v.starts_with('0') {
            return false;
        }
        let major: u32 = v[..digits].parse().unwrap_or(0);
        return major >= 5 && rest_after_version(&v[digits..]);
    }
    if let Some(v) = name.strip_prefix('o') {
        let digits = v.bytes().take_while(u8::is_ascii_digit).count();
        return digits > 0 && !v.starts_with('0') && rest_after_version(&v[digits..]);
    }
    false
}

/// The encoding litellm's token_counter uses for `model`.
pub fn encoding_for_model(model: &str) -> Encoding {
    let name = base_name(model);
    // OpenAI chat releases that tiktoken's table predates; litellm gives them o200k_base too.
    let o200k_prefixes =
        ["gpt-4o", "chatgpt-4o", "gpt-4.1", "gpt-41-", "gpt-4.5", "codex-mini", "computer-use-preview", "gpt-audio"];
    let o200k_names = ["container", "chat-latest"];
    let o200k_latest = name.ends_with("-latest") && (name.starts_with("gpt-") || name.starts_with("daybreak-"));
    let o200k = o200k_prefixes.iter().any(|p| name.starts_with(p))
        || o200k_names.contains(&name)
        || o200k_latest
        || name.starts_with("gpt-rosalind")
        // gpt-35-turbo is Azure's name for gpt-3.5-turbo; image and realtime models stay on cl100k_base.
        || (is_versioned_openai(name) && !name.starts_with("gpt-35"));
    if o200k { Encoding::O200kBase } else { Encoding::Cl100kBase }
}

/// Token ids of `text` in `model`'s encoding.
pub fn encode(model: &str, text: &str) -> Vec<u32> {
    encoding_for_model(model).encode(text)
}

/// Text of `tokens` in `model`'s encoding.
pub fn decode(model: &str, tokens: &[u32]) -> Result<String, TokenError> {
    encoding_for_model(model).decode(tokens)
}

/// Tokens in `text` for `model`, as `litellm.token_counter(model, text=...)`.
pub fn count_text(model: &str, text: &str) -> usize {
    encoding_for_model(model).count(text)
}

/// The usage of a response that came without one (a stream without `include_usage`), counted as
/// litellm's `stream_chunk_builder` does: the prompt (`messages`, or a text-completion `prompt`)
/// and the answer's text, reasoning and tool-call names and arguments.
pub fn estimate_usage(model: &str, messages: Option<&[Value]>, prompt: Option<&str>, response: &Value) -> (u64, u64) {
    let prompt_tokens = match (messages, prompt) {
        (Some(m), _) => count_messages(model, m, &CountOptions::default()).unwrap_or(0),
        (None, Some(p)) => count_text(model, p),
        (None, None) => 0,
    };
    let mut text = String::new();
    for choice in response.get("choices").and_then(Value::as_array).into_iter().flatten() {
        if let Some(t) = choice.get("text").and_then(Value::as_str) {
            text.push_str(t);
        }
        let Some(msg) = choice.get("message") else { continue };
        for key in ["content", "reasoning_content"] {
            if let Some(t) = msg.get(key).and_then(Value::as_str) {
                text.push_str(t);
            }
        }
        for call in msg.get("tool_calls").and_then(Value::as_array).into_iter().flatten() {
            for key in ["name", "arguments"] {
                if let Some(t) = call.pointer(&format!("/function/{key}")).and_then(Value::as_str) {
                    text.push_str(t);
                }
            }
        }
    }
    (prompt_tokens as u64, if text.is_empty() { 0 } else { count_text(model, &text) as u64 })
}

/// Options of a messages count (the keyword arguments of `litellm.token_counter`).
#[derive(Debug, Clone, Default)]
pub struct CountOptions<'a> {
    pub tools: Option<&'a [Value]>,
    pub tool_choice: Option<&'a Value>,
    /// Count only the messages (a streamed response): no reply priming, tools or tool choice.
    pub count_response_tokens: bool,
    /// Count every image as litellm's `DEFAULT_IMAGE_TOKEN_COUNT` (250).
    pub use_default_image_token_count: bool,
    /// The count of a content list that cannot be counted, instead of an error.
    pub default_token_count: Option<usize>,
}

/// litellm's `DEFAULT_IMAGE_TOKEN_COUNT`.
pub const DEFAULT_IMAGE_TOKEN_COUNT: usize = 250;
const IMAGE_BASE_TOKENS: usize = 85;
const DEFAULT_IMAGE_SIZE: (u32, u32) = (300, 300);

/// Tokens of a chat prompt, as `litellm.token_counter(model, messages=..., tools=..., tool_choice=...)`.
/// `messages` are OpenAI-shaped message objects (plain JSON, absent fields absent or null).
pub fn count_messages(model: &str, messages: &[Value], opts: &CountOptions<'_>) -> Result<usize, TokenError> {
    let enc = encoding_for_model(model);
    // litellm keeps gpt-3.5-turbo-0301's constants (4 per message, -1 per name) only for names in
    // its model list, which no longer holds that model: every model gets 3 and 1.
    let (per_message, per_name): (i64, i64) = (3, 1);
    let mut total: i64 = 0;
    for message in messages {
        let Some(fields) = message.as_object() else {
            return err(format!("a message must be an object, got {message}"));
        };
        total += per_message;
        for (key, value) in fields {
            total += match (key.as_str(), value) {
                (_, Value::Null) => 0,
                ("tool_calls", v) => count_tool_calls(enc, v)? as i64,
                ("function_call", Value::Object(f)) => enc.count(&py_str(f.get("arguments"))) as i64,
                ("function_call", v) => return err(format!("unsupported function_call {v}")),
                ("name", Value::String(s)) => enc.count(s) as i64 + per_name,
                (_, Value::String(s)) => enc.count(s) as i64,
                ("content", Value::Array(parts)) => count_content_list(enc, parts, opts)? as i64,
                _ => 0,
            };
        }
    }
    let mut total = total.max(0) as usize;
    if !opts.count_response_tokens {
        let has_system = messages.iter().any(|m| m.get("role").and_then(Value::as_str) == Some("system"));
        total += 3 + count_tools(enc, opts.tools, has_system) + count_tool_choice(enc, opts.tool_choice);
    }
    Ok(total)
}

fn count_tool_calls(enc: Encoding, value: &Value) -> Result<usize, TokenError> {
    let Value::Array(calls) = value else { return err(format!("unsupported tool_calls {value}")) };
    let mut total = 0;
    for call in calls {
        let Some(function) = call.get("function") else {
            return err(format!("unsupported tool call {call}: it must contain a function key"));
        };
        total += enc.count(&py_str(function.get("arguments")));
    }
    Ok(total)
}

/// Python's `str()` of a JSON value, close enough for counting (`None` -> "", strings raw).
fn py_str(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(v) => python_repr(v),
    }
}

fn python_repr(value: &Value) -> String {
    match value {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => format!("'{s}'"),
        Value::Array(items) => format!("[{}]", items.iter().map(python_repr).collect::<Vec<_>>().join(", ")),
        Value::Object(map) => format!(
            "{{{}}}",
            map.iter().map(|(k, v)| format!("'{k}': {}", python_repr(v))).collect::<Vec<_>>().join(", ")
        ),
    }
}

fn count_content_list(enc: Encoding, parts: &[Value], opts: &CountOptions<'_>) -> Result<usize, TokenError> {
    match try_count_content_list(enc, parts, opts) {
        Ok(n) => Ok(n),
        Err(_) if opts.default_token_count.is_some() => Ok(opts.default_token_count.unwrap_or_default()),
        Err(e) => err(format!("Error getting number of tokens from content list: {e}")),
    }
}

fn try_count_content_list(enc: Encoding, parts: &[Value], opts: &CountOptions<'_>) -> Result<usize, TokenError> {
    let mut total = 0;
    for part in parts {
        let block = match part {
            Value::String(s) => {
                total += enc.count(s);
                continue;
            }
            Value::Object(block) => block,
            other => return err(format!("Invalid content item: {other}")),
        };
        let kind = block.get("type").and_then(Value::as_str).unwrap_or_default();
        let text_field = match kind {
            "text" => Some("text"),
            "thinking" | "redacted_thinking" => Some("thinking"),
            "compaction" => Some("content"),
            _ => None,
        };
        if let Some(field) = text_field {
            let text = py_str(block.get(field));
            if !text.is_empty() {
                total += enc.count(&text);
            }
            continue;
        }
        total += match kind {
            "image_url" => count_image_url(block.get("image_url"), opts)?,
            "image" => {
                let data = anthropic_source_data(block.get("source"));
                image_tokens(&data, ImageDetail::Auto, opts)
            }
            "tool_reference" => {
                let name = py_str(block.get("tool_name"));
                if name.is_empty() { 0 } else { enc.count(&name) }
            }
            "file" => count_file(enc, block.get("file"), opts),
            "document" => count_document(enc, block, opts)?,
            "tool_use" => count_fields(enc, block, &["name", "input"], opts)?,
            "tool_result" => count_fields(enc, block, &["content"], opts)?,
            "search_result" => count_fields(enc, block, &["source", "title", "content"], opts)?,
            other => {
                return err(format!(
                    "Invalid content item type: {other}. Expected str or dict with 'type' field (text, image_url, \
                     image, document, file, tool_use, tool_result, thinking, redacted_thinking, compaction, \
                     tool_reference, search_result)."
                ));
            }
        };
    }
    Ok(total)
}

/// Anthropic client-tool blocks: string fields counted, lists as content lists, objects by `str()`.
fn count_fields(
    enc: Encoding,
    block: &Map<String, Value>,
    fields: &[&str],
    opts: &CountOptions<'_>,
) -> Result<usize, TokenError> {
    let mut total = 0;
    for field in fields {
        total += match block.get(*field) {
            None | Some(Value::Null) => 0,
            Some(Value::String(s)) => enc.count(s),
            Some(Value::Array(items)) => try_count_content_list(enc, items, opts)?,
            Some(v @ Value::Object(_)) => enc.count(&python_repr(v)),
            Some(_) => 0,
        };
    }
    Ok(total)
}

fn count_document(enc: Encoding, block: &Map<String, Value>, opts: &CountOptions<'_>) -> Result<usize, TokenError> {
    let metadata: usize = ["title", "context"]
        .iter()
        .filter_map(|k| block.get(*k).and_then(Value::as_str))
        .filter(|s| !s.is_empty())
        .map(|s| enc.count(s))
        .sum();
    let Some(source) = block.get("source") else { return err("document block without source") };
    let body = match source.get("type").and_then(Value::as_str) {
        Some("text") => enc.count(&py_str(source.get("data"))),
        Some("content") => match source.get("content") {
            Some(Value::String(s)) => enc.count(s),
            Some(Value::Array(items)) => try_count_content_list(enc, items, opts)?,
            _ => 0,
        },
        // PDFs: litellm reads their pages with pypdf when installed; we price them as one image.
        _ => image_tokens(&anthropic_source_data(Some(source)), ImageDetail::Auto, opts),
    };
    Ok(metadata + body)
}

fn count_file(enc: Encoding, file: Option<&Value>, opts: &CountOptions<'_>) -> usize {
    let Some(Value::Object(file)) = file else { return 0 };
    let name = file.get("filename").and_then(Value::as_str).filter(|s| !s.is_empty()).map_or(0, |s| enc.count(s));
    match file.get("file_data").and_then(Value::as_str) {
        Some(data) if !data.is_empty() => name + image_tokens(data, ImageDetail::Auto, opts),
        _ => name,
    }
}

fn anthropic_source_data(source: Option<&Value>) -> String {
    let Some(source) = source else { return String::new() };
    match source.get("type").and_then(Value::as_str) {
        Some("base64") => {
            let data = source.get("data").and_then(Value::as_str).unwrap_or_default();
            if data.is_empty() {
                return String::new();
            }
            let media =
                source.get("media_type").and_then(Value::as_str).filter(|m| !m.is_empty()).unwrap_or("image/png");
            format!("data:{media};base64,{data}")
        }
        Some("url") => source.get("url").and_then(Value::as_str).unwrap_or_default().to_owned(),
        _ => String::new(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ImageDetail {
    Low,
    High,
    Auto,
}

fn count_image_url(image_url: Option<&Value>, opts: &CountOptions<'_>) -> Result<usize, TokenError> {
    match image_url {
        Some(Value::Object(obj)) => {
            let detail = match obj.get("detail") {
                None => ImageDetail::Auto,
                Some(Value::String(d)) if d == "auto" => ImageDetail::Auto,
                Some(Value::String(d)) if d == "low" => ImageDetail::Low,
                Some(Value::String(d)) if d == "high" => ImageDetail::High,
                Some(other) => {
                    return err(format!("Invalid detail value: {other}. Expected 'low', 'high', or 'auto'."));
                }
            };
            match obj.get("url").and_then(Value::as_str) {
                Some(url) if !url.is_empty() => Ok(image_tokens(url, detail, opts)),
                _ => err("Missing required key 'url' in image_url dict."),
            }
        }
        Some(Value::String(url)) if !url.trim().is_empty() => Ok(image_tokens(url, ImageDetail::Auto, opts)),
        Some(Value::String(_)) => err("Empty image_url string is not valid."),
        _ => err("Invalid image_url type. Expected str or dict with 'url' field."),
    }
}

/// litellm's `calculate_img_tokens` without network access.
fn image_tokens(data: &str, detail: ImageDetail, opts: &CountOptions<'_>) -> usize {
    if opts.use_default_image_token_count {
        return DEFAULT_IMAGE_TOKEN_COUNT;
    }
    let dimensions = match detail {
        ImageDetail::Low => return IMAGE_BASE_TOKENS,
        ImageDetail::Auto => inline_image_dimensions(data),
        // litellm fetches http(s) URLs here; we do not, and use its default size.
        ImageDetail::High => Some(inline_image_dimensions(data).unwrap_or(DEFAULT_IMAGE_SIZE)),
    };
    match dimensions {
        None => IMAGE_BASE_TOKENS,
        Some((w, h)) => tile_tokens(w, h),
    }
}

/// OpenAI's high-detail arithmetic: fit within 2000x768 (short side 768), 170 per 512px tile, plus 85.
pub fn tile_tokens(width: u32, height: u32) -> usize {
    let (w, h) = resize_high_res(width, height);
    let tiles = w.div_ceil(512) as usize * h.div_ceil(512) as usize;
    IMAGE_BASE_TOKENS + 2 * IMAGE_BASE_TOKENS * tiles
}

fn resize_high_res(width: u32, height: u32) -> (u32, u32) {
    const SHORT: u32 = 768;
    const LONG: u32 = 2000;
    if width <= SHORT && height <= SHORT {
        return (width, height);
    }
    let aspect = f64::from(width.max(height)) / f64::from(width.min(height));
    if width <= height {
        let (mut w, mut h) = (SHORT, (f64::from(SHORT) * aspect) as u32);
        if h > LONG {
            h = LONG;
            w = (f64::from(h) / aspect) as u32;
        }
        (w, h)
    } else {
        let (mut w, mut h) = ((f64::from(SHORT) * aspect) as u32, SHORT);
        if w > LONG {
            w = LONG;
            h = (f64::from(w) / aspect) as u32;
        }
        (w, h)
    }
}

/// Dimensions of an inline `data:image/...;base64,` PNG, GIF, JPEG or WebP (at most 20 MB).
fn inline_image_dimensions(data: &str) -> Option<(u32, u32)> {
    use base64::Engine as _;
    if !data.starts_with("data:image/") {
        return None;
    }
    let (header, encoded) = data.split_once(',')?;
    if header.len() > 128 || !header.ends_with(";base64") || encoded.len() > 4 * (20usize * 1024 * 1024).div_ceil(3) {
        return None;
    }
    let bytes = base64::engine::general_purpose::STANDARD.decode(encoded).ok()?;
    let (w, h) = image_dimensions(&bytes)?;
    (w > 0 && h > 0).then_some((w, h))
}

fn image_dimensions(b: &[u8]) -> Option<(u32, u32)> {
    let be32 = |i: usize| b.get(i..i + 4).map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]));
    let le16 = |i: usize| b.get(i..i + 2).map(|s| u32::from(u16::from_le_bytes([s[0], s[1]])));
    let le24 = |i: usize| b.get(i..i + 3).map(|s| u32::from_le_bytes([s[0], s[1], s[2], 0]));
    if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some((be32(16)?, be32(20)?));
    }
    if b.starts_with(b"GIF8") && b.get(5) == Some(&b'a') {
        return Some((le16(6)?, le16(8)?));
    }
    if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return jpeg_dimensions(b);
    }
    if b.starts_with(b"RIFF") && b.get(8..12) == Some(b"WEBP") {
        return match b.get(12..16)? {
            b"VP8X" => Some((le24(24)? + 1, le24(27)? + 1)),
            b"VP8 " => Some((le16(26)? & 0x3FFF, le16(28)? & 0x3FFF)),
            b"VP8L" => {
                let bits = b.get(21..25).map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))?;
                Some(((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1))
            }
            _ => None,
        };
    }
    None
}

/// Walks JPEG segments to the first SOFn marker (litellm's loop).
fn jpeg_dimensions(b: &[u8]) -> Option<(u32, u32)> {
    let be16 = |i: usize| Some(usize::from(u16::from_be_bytes([*b.get(i)?, *b.get(i + 1)?])));
    let is_sof = |t: u8| (0xC0..=0xCF).contains(&t) && !matches!(t, 0xC4 | 0xC8 | 0xCC);
    let (mut pos, mut size, mut marker) = (0usize, 2usize, 0u8);
    while !is_sof(marker) {
        pos = pos.checked_add(size)?;
        let mut byte = *b.get(pos)?;
        pos += 1;
        while byte == 0xFF {
            byte = *b.get(pos)?;
            pos += 1;
        }
        marker = byte;
        size = be16(pos)?.checked_sub(2)?;
        pos += 2;
    }
    pos += 1;
    let (h, w) = (be16(pos)?, be16(pos + 2)?);
    Some((u32::try_from(w).ok()?, u32::try_from(h).ok()?))
}

fn count_tools(enc: Encoding, tools: Option<&[Value]>, has_system: bool) -> usize {
    let Some(tools) = tools.filter(|t| !t.is_empty()) else { return 0 };
    (enc.count(&format_function_definitions(tools)) + 9).saturating_sub(if has_system { 4 } else { 0 })
}

fn count_tool_choice(enc: Encoding, tool_choice: Option<&Value>) -> usize {
    let Some(choice) = tool_choice else { return 0 };
    match choice {
        Value::String(s) if s == "none" => 1,
        Value::Object(o) => {
            if let Some(name) = o.get("function").and_then(|f| f.get("name")).and_then(Value::as_str) {
                7 + enc.count(name)
            } else if o.get("type").and_then(Value::as_str) == Some("none") {
                1
            } else if let Some(name) = o.get("name").and_then(Value::as_str) {
                7 + enc.count(name)
            } else {
                0
            }
        }
        _ => 0,
    }
}

/// The function definitions of OpenAI (`{"type": "function", "function": {...}}`), Gemini
/// (`function_declarations`) and Anthropic (`input_schema`) tools, as litellm reads them.
fn function_definitions(tools: &[Value]) -> Vec<Map<String, Value>> {
    const ANTHROPIC_MAPPED: [&str; 8] =
        ["name", "input_schema", "description", "cache_control", "strict", "type", "eager_input_streaming", "custom"];
    let mut out = Vec::new();
    for tool in tools.iter().filter_map(Value::as_object) {
        // Anthropic's web_search server tool is not sent as a function.
        if tool.get("name").and_then(Value::as_str) == Some("web_search")
            && !tool.contains_key("input_schema")
            && tool.get("type").and_then(Value::as_str) != Some("function")
        {
            continue;
        }
        if let Some(Value::Object(f)) = tool.get("function") {
            out.push(f.clone());
            continue;
        }
        let decls = tool.get("function_declarations").or_else(|| tool.get("functionDeclarations"));
        if let Some(Value::Array(decls)) = decls.filter(|d| truthy(d)) {
            out.extend(decls.iter().filter_map(Value::as_object).cloned());
            continue;
        }
        let input_schema = tool.get("input_schema").filter(|v| !v.is_null());
        let parameters = input_schema.filter(|v| truthy(v)).or_else(|| tool.get("parameters").filter(|v| truthy(v)));
        let mut params = parameters.and_then(Value::as_object).cloned().unwrap_or_default();
        if input_schema.is_some() {
            for (k, v) in tool.iter().filter(|(k, _)| !ANTHROPIC_MAPPED.contains(&k.as_str())) {
                params.insert(k.clone(), v.clone());
            }
        }
        let mut f = Map::new();
        f.insert("name".into(), tool.get("name").cloned().unwrap_or(Value::Null));
        f.insert("parameters".into(), Value::Object(params));
        if let Some(d) = tool.get("description").filter(|v| !v.is_null()) {
            f.insert("description".into(), d.clone());
        }
        out.push(f);
    }
    out
}

/// Python truthiness of a JSON value.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// The TypeScript-like namespace OpenAI renders tool definitions into, as litellm reconstructs
/// it (after openai-java's jtokkit `TikTokenUtils`).
pub fn format_function_definitions(tools: &[Value]) -> String {
    let mut lines: Vec<String> = vec!["namespace functions {".into(), String::new()];
    for function in function_definitions(tools) {
        let name = function.get("name").filter(|v| truthy(v)).map(|v| py_str(Some(v)));
        let Some(name) = name else { continue };
        let description = function.get("description").filter(|v| truthy(v)).map(|v| py_str(Some(v)));
        let params = function.get("parameters").and_then(Value::as_object);
        if let Some(d) = description {
            lines.push(format!("// {d}"));
        }
        let has_properties =
            params.and_then(|p| p.get("properties")).and_then(Value::as_object).is_some_and(|p| !p.is_empty());
        match params {
            Some(p) if has_properties => {
                lines.push(format!("type {name} = (_: {{"));
                lines.push(format_object_parameters(p, 0));
                lines.push("}) => any;".into());
            }
            _ => lines.push(format!("type {name} = () => any;")),
        }
        lines.push(String::new());
    }
    lines.push("} // namespace functions".into());
    lines.join("\n")
}

fn format_object_parameters(parameters: &Map<String, Value>, indent: usize) -> String {
    let Some(properties) = parameters.get("properties").and_then(Value::as_object).filter(|p| !p.is_empty()) else {
        return String::new();
    };
    let required: Vec<&Value> = match parameters.get("required") {
        Some(Value::Array(r)) => r.iter().collect(),
        _ => Vec::new(),
    };
    let pad = " ".repeat(indent);
    let mut out = String::new();
    let mut first = true;
    let mut push = |out: &mut String, line: &str| {
        if !first {
            out.push('\n');
        }
        first = false;
        out.push_str(&pad);
        out.push_str(line);
    };
    for (key, props) in properties {
        if let Some(d) = props.get("description").filter(|v| truthy(v)) {
            push(&mut out, &format!("// {}", py_str(Some(d))));
        }
        let optional = if required.iter().any(|r| r.as_str() == Some(key.as_str())) { "" } else { "?" };
        let mut line = String::new();
        let _ = write!(line, "{key}{optional}: {},", format_type(props, indent));
        push(&mut out, &line);
    }
    out
}

fn format_type(props: &Value, indent: usize) -> String {
    let Some(props) = props.as_object() else { return "any".into() };
    let enum_values = || match props.get("enum") {
        Some(Value::Array(items)) => {
            Some(items.iter().map(|i| format!("\"{}\"", py_str_bare(i))).collect::<Vec<_>>().join(" | "))
        }
        _ => None,
    };
    match props.get("type").and_then(Value::as_str) {
        Some("string") => enum_values().unwrap_or_else(|| "string".into()),
        Some("array") => format!("{}[]", format_type(props.get("items").unwrap_or(&Value::Null), indent)),
        Some("object") => format!("{{\n{}\n}}", format_object_parameters(props, indent + 2)),
        Some("integer" | "number") => enum_values().unwrap_or_else(|| "number".into()),
        Some("boolean") => "boolean".into(),
        Some("null") => "null".into(),
        _ => "any".into(),
    }
}

/// Python's `str()` of an enum item (`None` renders as "None", unlike [`py_str`]).
fn py_str_bare(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => python_repr(other),
    }
}
