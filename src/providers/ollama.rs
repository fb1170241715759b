//! Ollama: `/api/chat` (`ollama_chat/`), `/api/generate` (`ollama/`) and `/api/embed`, with
//! NDJSON streams.
//!
//! Behaviour follows litellm's `OllamaChatConfig` / `OllamaConfig`: sampling parameters go into
//! `options` (`max_tokens` -> `num_predict`, `frequency_penalty` -> `repeat_penalty`), any
//! provider-specific kwarg (`top_k`, `num_ctx`, `mirostat`, ...) joins them, `response_format`
//! becomes `format` (`"json"` or the JSON schema), `reasoning_effort` becomes `think`, and
//! `tool_choice` is accepted but never sent (Ollama has no such field). `stream` is always sent
//! because Ollama streams by default. `/api/generate` gets the messages flattened into one prompt
//! the way litellm's `ollama_pt` does (`### User:` / `### System:` / `### Assistant:` blocks).

use std::borrow::Cow;

use serde::Deserialize;
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::{Map, Value};

use super::openai_compat::{Auth, Row, parse_json};
use super::{CallTarget, Framing, HttpRequest, Provider, StreamState};
use crate::error::LlmError;
use crate::types::{
    ChatChunk, ChatRequest, ChatResponse, Choice, ChunkChoice, Content, ContentPart, Delta, EmbeddingRequest,
    EmbeddingResponse, FunctionCall, FunctionDelta, KnownPart, Message, OPENAI_CHAT_PARAMS, ResponseMessage, Role,
    ToolCall, ToolCallDelta, Usage,
};

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

/// The OpenAI parameters `/api/chat` takes (litellm's `OllamaChatConfig`).
const CHAT_PARAMS: &[&str] = &[
    "stream",
    "stream_options",
    "max_tokens",
    "max_completion_tokens",
    "temperature",
    "top_p",
    "seed",
    "frequency_penalty",
    "stop",
    "tools",
    "tool_choice",
    "functions",
    "response_format",
    "reasoning_effort",
];

/// The OpenAI parameters `/api/generate` takes (litellm's `OllamaConfig`, plus the
/// `max_completion_tokens` spelling and `reasoning_effort`, which Ollama's generate also takes).
const GENERATE_PARAMS: &[&str] = &[
    "stream",
    "stream_options",
    "max_tokens",
    "max_completion_tokens",
    "temperature",
    "top_p",
    "seed",
    "frequency_penalty",
    "stop",
    "response_format",
    "reasoning_effort",
];

/// Extra kwargs that are fields of the request body rather than model `options`.
const CHAT_TOP: &[&str] = &["format", "keep_alive", "think"];
const GENERATE_TOP: &[&str] = &["format", "keep_alive", "think", "system", "template", "suffix", "raw", "context"];

/// Extra kwargs translated rather than copied (`thinking`) or merged (`options`).
const TRANSLATED: &[&str] = &["thinking", "options"];

/// Embedding kwargs that are fields of the `/api/embed` body (litellm's special embedding params).
const EMBED_TOP: &[&str] = &["truncate", "keep_alive", "dimensions"];

fn url(target: &CallTarget, path: &str) -> String {
    let base = target.api_base.trim_end_matches('/');
    if base.ends_with(path) { base.to_owned() } else { format!("{base}{path}") }
}

fn headers(target: &CallTarget) -> Vec<(String, String)> {
    super::bearer_json_headers(target, false)
}

fn encode<T: Serialize>(v: &T) -> Result<Vec<u8>, LlmError> {
    super::encode_json(v)
}

// ---------------------------------------------------------------------------------------------
// request
// ---------------------------------------------------------------------------------------------

/// A message of `/api/chat`: content is always a string; images are base64 without the data-URL
/// prefix; tool-call arguments are JSON objects.
#[derive(Serialize)]
struct ChatMessage<'a> {
    role: &'static str,
    content: Cow<'a, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    thinking: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    images: Vec<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_calls: Vec<OutToolCall<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_name: Option<&'a str>,
}

#[derive(Serialize)]
struct OutToolCall<'a> {
    function: OutFunction<'a>,
}

#[derive(Serialize)]
struct OutFunction<'a> {
    name: &'a str,
    arguments: Value,
}

enum Input<'a> {
    Messages(Vec<ChatMessage<'a>>),
    Prompt { prompt: String, images: Vec<&'a str> },
}

/// The request body, serialised in litellm's key order; keys also given in `extra_body` are left
/// to it.
struct Body<'a> {
    model: &'a str,
    input: Input<'a>,
    options: Map<String, Value>,
    stream: bool,
    /// `format`, `tools`, `keep_alive`, `think`, ... in order.
    top: Vec<(&'a str, Cow<'a, Value>)>,
    extra_body: Option<&'a Map<String, Value>>,
}

impl Serialize for Body<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let given = |k: &str| self.extra_body.is_some_and(|e| e.contains_key(k));
        let mut m = s.serialize_map(None)?;
        if !given("model") {
            m.serialize_entry("model", self.model)?;
        }
        match &self.input {
            Input::Messages(msgs) => {
                if !given("messages") {
                    m.serialize_entry("messages", msgs)?;
                }
            }
            Input::Prompt { prompt, .. } => {
                if !given("prompt") {
                    m.serialize_entry("prompt", prompt)?;
                }
            }
        }
        if !given("options") {
            m.serialize_entry("options", &self.options)?;
        }
        if !given("stream") {
            m.serialize_entry("stream", &self.stream)?;
        }
        if let Input::Prompt { images, .. } = &self.input
            && !images.is_empty()
            && !given("images")
            && !self.top.iter().any(|(k, _)| *k == "images")
        {
            m.serialize_entry("images", images)?;
        }
        for (k, v) in &self.top {
            if !given(k) {
                m.serialize_entry(k, v)?;
            }
        }
        if let Some(extra) = self.extra_body {
            for (k, v) in extra {
                m.serialize_entry(k, v)?;
            }
        }
        m.end()
    }
}

/// The base64 payload Ollama wants for an image: the data of a data URL, or the string itself
/// when it already is base64. Image URLs would need a download, which translation never does.
fn ollama_image(url: &str) -> Result<&str, LlmError> {
    if let Some(rest) = url.strip_prefix("data:") {
        return rest
            .split_once(',')
            .map(|(_, data)| data)
            .ok_or_else(|| LlmError::bad_request("ollama: the image data URL has no ',' before its base64 data"));
    }
    if url.starts_with("http://") || url.starts_with("https://") {
        return Err(LlmError::bad_request(format!(
            "ollama takes images as base64: pass the image as a data URL (data:image/png;base64,...); \
             litellm_rs does not download image URLs for Ollama (got {})",
            url.chars().take(100).collect::<String>()
        )));
    }
    Ok(url)
}

fn image_url_of(v: &Value) -> Option<&str> {
    v.as_str().or_else(|| v.get("url").and_then(Value::as_str))
}

/// The text of a message's content as one string (litellm's `convert_content_list_to_str`).
fn text_of(c: Option<&Content>) -> Cow<'_, str> {
    match c {
        None => Cow::Borrowed(""),
        Some(Content::Text(s)) => Cow::Borrowed(s),
        Some(c @ Content::Parts(_)) => Cow::Owned(c.joined_text()),
    }
}

/// Images of a content list as base64; parts Ollama cannot take are an error rather than
/// silently lost.
fn images_of(c: Option<&Content>) -> Result<Vec<&str>, LlmError> {
    let mut out = Vec::new();
    if let Some(Content::Parts(parts)) = c {
        for p in parts {
            match p {
                ContentPart::Known(KnownPart::ImageUrl { image_url, .. }) => {
                    let url = image_url_of(image_url)
                        .ok_or_else(|| LlmError::bad_request("ollama: an image_url part has no url"))?;
                    out.push(ollama_image(url)?);
                }
                ContentPart::Known(KnownPart::InputAudio { .. }) => {
                    return Err(LlmError::bad_request(
                        "ollama takes text and images; input_audio parts are not supported",
                    ));
                }
                ContentPart::Known(KnownPart::File { .. }) => {
                    return Err(LlmError::bad_request("ollama takes text and images; file parts are not supported"));
                }
                _ => {}
            }
        }
    }
    Ok(out)
}

/// Tool-call arguments as the JSON object Ollama wants.
fn arguments_object(args: &str, name: &str) -> Result<Value, LlmError> {
    if args.trim().is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    serde_json::from_str(args).map_err(|e| {
        LlmError::bad_request(format!("ollama: the arguments of tool call '{name}' are not valid JSON ({e}): {args}"))
    })
}

fn chat_messages(msgs: &[Message]) -> Result<Vec<ChatMessage<'_>>, LlmError> {
    let mut names: Vec<(&str, &str)> = Vec::new();
    let mut out = Vec::with_capacity(msgs.len());
    for m in msgs {
        let role = match m.role {
            Role::System | Role::Developer => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::Tool | Role::Function => "tool",
        };
        let mut tool_calls = Vec::new();
        for tc in m.tool_calls.iter().flatten() {
            if let Some(id) = tc.id.as_deref() {
                names.push((id, &tc.function.name));
            }
            tool_calls.push(OutToolCall {
                function: OutFunction {
                    name: &tc.function.name,
                    arguments: arguments_object(&tc.function.arguments, &tc.function.name)?,
                },
            });
        }
        let tool_name = match m.role {
            Role::Tool | Role::Function => m.name.as_deref().or_else(|| {
                let id = m.tool_call_id.as_deref()?;
                names.iter().rev().find(|(i, _)| *i == id).map(|(_, n)| *n)
            }),
            _ => None,
        };
        let mut content = text_of(m.content.as_ref());
        let mut thinking = None;
        if m.role == Role::Assistant {
            // litellm's `_extract_reasoning_content`: the message's reasoning, or inline tags
            thinking = ["reasoning_content", "reasoning"].iter().find_map(|k| m.extra.get(*k).and_then(Value::as_str));
            if thinking.is_none()
                && let Some(Content::Text(text)) = &m.content
                && let Some((reasoning, rest)) = split_think(text)
            {
                thinking = Some(reasoning);
                content = Cow::Borrowed(rest);
            }
        }
        out.push(ChatMessage {
            role,
            content,
            thinking,
            images: images_of(m.content.as_ref())?,
            tool_calls,
            tool_name,
        });
    }
    Ok(out)
}

/// One prompt from the messages, as litellm's `ollama_pt` builds it: consecutive user-side turns
/// (user, tool, function) merged under `### User:`, system turns under `### System:`, assistant
/// turns (with their tool calls as pretty JSON) under `### Assistant:`; images from user turns.
fn generate_prompt(msgs: &[Message]) -> Result<(String, Vec<&str>), LlmError> {
    let mut prompt = String::new();
    let mut images = Vec::new();
    let mut i = 0;
    let block = |prompt: &mut String, title: &str, body: &str| {
        if !body.is_empty() {
            prompt.push_str("### ");
            prompt.push_str(title);
            prompt.push_str(":\n");
            prompt.push_str(body);
            prompt.push_str("\n\n");
        }
    };
    while i < msgs.len() {
        let mut user = String::new();
        while let Some(m) = msgs.get(i).filter(|m| matches!(m.role, Role::User | Role::Tool | Role::Function)) {
            user.push_str(&text_of(m.content.as_ref()));
            images.extend(images_of(m.content.as_ref())?);
            i += 1;
        }
        block(&mut prompt, "User", &user);
        let mut system = String::new();
        while let Some(m) = msgs.get(i).filter(|m| matches!(m.role, Role::System | Role::Developer)) {
            system.push_str(&text_of(m.content.as_ref()));
            i += 1;
        }
        block(&mut prompt, "System", &system);
        let mut assistant = String::new();
        while let Some(m) = msgs.get(i).filter(|m| m.role == Role::Assistant) {
            assistant.push_str(&text_of(m.content.as_ref()));
            if let Some(calls) = m.tool_calls.as_ref().filter(|c| !c.is_empty()) {
                let calls = calls
                    .iter()
                    .map(|tc| {
                        Ok(serde_json::json!({
                            "id": tc.id,
                            "type": "function",
                            "function": {
                                "name": tc.function.name,
                                "arguments": arguments_object(&tc.function.arguments, &tc.function.name)?,
                            },
                        }))
                    })
                    .collect::<Result<Vec<_>, LlmError>>()?;
                assistant.push_str("Tool Calls: ");
                assistant.push_str(&serde_json::to_string_pretty(&calls).unwrap_or_default());
            }
            i += 1;
        }
        block(&mut prompt, "Assistant", &assistant);
    }
    Ok((prompt, images))
}

/// A string stop becomes a one-element list (Ollama's `stop` is a list).
fn stop_list(v: &Value) -> Value {
    match v {
        Value::String(_) => Value::Array(vec![v.clone()]),
        other => other.clone(),
    }
}

/// `response_format` as Ollama's `format`: `"json"` for json_object, the schema for json_schema.
fn format_of(rf: &Value) -> Option<Value> {
    match rf.get("type").and_then(Value::as_str)? {
        "json_object" => Some(Value::String("json".into())),
        "json_schema" => rf.pointer("/json_schema/schema").filter(|s| !s.is_null()).cloned(),
        _ => None,
    }
}

/// `reasoning_effort` as Ollama's `think`: the level itself for gpt-oss models (which take
/// low/medium/high), otherwise on for low/medium/high and off for anything else (litellm).
fn think_of(effort: &Value, model: &str) -> Option<Value> {
    let e = effort.as_str()?;
    Some(if model.starts_with("gpt-oss") {
        Value::String(e.to_owned())
    } else {
        Value::Bool(matches!(e, "low" | "medium" | "high"))
    })
}

impl Ollama {
    fn build_body<'a>(
        &self,
        req: &'a ChatRequest,
        skip: &[String],
        target: &'a CallTarget,
    ) -> Result<Body<'a>, LlmError> {
        let kept = |name: &str| !skip.iter().any(|s| s == name);
        let extra = |name: &str| req.extra.get(name).filter(|_| kept(name));
        let top_names = if self.chat { CHAT_TOP } else { GENERATE_TOP };

        let mut options = Map::new();
        let max = req
            .max_completion_tokens
            .filter(|_| kept("max_completion_tokens"))
            .or(req.max_tokens.filter(|_| kept("max_tokens")));
        if let Some(n) = max {
            options.insert("num_predict".into(), n.into());
        }
        if let Some(t) = req.temperature.as_ref().filter(|_| kept("temperature")) {
            options.insert("temperature".into(), t.clone());
        }
        if let Some(t) = req.top_p.as_ref().filter(|_| kept("top_p")) {
            options.insert("top_p".into(), t.clone());
        }
        if let Some(s) = extra("seed") {
            options.insert("seed".into(), s.clone());
        }
        if let Some(f) = extra("frequency_penalty") {
            options.insert("repeat_penalty".into(), f.clone());
        }
        if let Some(s) = req.stop.as_ref().filter(|_| kept("stop")) {
            options.insert("stop".into(), stop_list(s));
        }
        for (k, v) in &req.extra {
            let k = k.as_str();
            if !kept(k) || OPENAI_CHAT_PARAMS.contains(&k) || top_names.contains(&k) || TRANSLATED.contains(&k) {
                continue;
            }
            options.insert(k.to_owned(), v.clone());
        }
        if let Some(Value::Object(o)) = extra("options") {
            for (k, v) in o {
                options.insert(k.clone(), v.clone());
            }
        }

        let mut top: Vec<(&str, Cow<Value>)> = Vec::new();
        if let Some(f) = extra("format") {
            top.push(("format", Cow::Borrowed(f)));
        } else if let Some(f) = req.response_format.as_ref().filter(|_| kept("response_format")).and_then(format_of) {
            top.push(("format", Cow::Owned(f)));
        }
        if self.chat {
            let mut tools: Vec<Value> = Vec::new();
            if let Some(ts) = req.tools.as_ref().filter(|_| kept("tools")) {
                for t in ts {
                    tools.push(
                        serde_json::to_value(t).map_err(|e| LlmError::bad_request(format!("invalid tool: {e}")))?,
                    );
                }
            }
            if let Some(Value::Array(fs)) = extra("functions") {
                tools.extend(fs.iter().map(|f| serde_json::json!({"type": "function", "function": f})));
            }
            if !tools.is_empty() || req.tools.as_ref().is_some_and(|_| kept("tools")) {
                top.push(("tools", Cow::Owned(Value::Array(tools))));
            }
        }
        for name in top_names.iter().filter(|n| !matches!(**n, "format" | "think")) {
            if let Some(v) = extra(name) {
                top.push((name, Cow::Borrowed(v)));
            }
        }
        if let Some(t) = extra("think") {
            top.push(("think", Cow::Borrowed(t)));
        } else if let Some(t) = extra("reasoning_effort").and_then(|e| think_of(e, &req.model)) {
            top.push(("think", Cow::Owned(t)));
        } else if let Some(kind) = extra("thinking").and_then(|t| t.get("type")).and_then(Value::as_str) {
            top.push(("think", Cow::Owned(Value::Bool(kind == "enabled"))));
        }

        let input = if self.chat {
            Input::Messages(chat_messages(&req.messages)?)
        } else {
            let (prompt, images) = generate_prompt(&req.messages)?;
            Input::Prompt { prompt, images }
        };
        Ok(Body {
            model: &req.model,
            input,
            options,
            stream: req.is_stream(),
            top,
            extra_body: target.extra_body.as_ref(),
        })
    }

    fn embedded_error(&self, data: &[u8]) -> LlmError {
        LlmError::from_upstream(500, Vec::new(), data, self.id(), "")
    }

    fn chunk(&self, state: &mut StreamState, mut delta: Delta, finish: Option<&str>) -> ChatChunk {
        if !state.role_sent {
            delta.role = Some("assistant".into());
            state.role_sent = true;
        }
        ChatChunk {
            id: state.id.clone(),
            created: state.created,
            model: state.model.clone(),
            choices: vec![ChunkChoice {
                index: 0,
                delta,
                finish_reason: finish.map(str::to_owned),
                ..Default::default()
            }],
            object: "chat.completion.chunk".into(),
            ..ChatChunk::default()
        }
    }
}

// ---------------------------------------------------------------------------------------------
// response
// ---------------------------------------------------------------------------------------------

/// One answer of `/api/chat` or `/api/generate`, or one line of their streams.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Line {
    model: Option<String>,
    message: Option<LineMessage>,
    response: Option<String>,
    thinking: Option<String>,
    done: bool,
    done_reason: Option<String>,
    prompt_eval_count: Option<u64>,
    eval_count: Option<u64>,
    error: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct LineMessage {
    content: Option<String>,
    thinking: Option<String>,
    tool_calls: Option<Vec<LineToolCall>>,
}

#[derive(Debug, Deserialize)]
struct LineToolCall {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    function: LineFunction,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct LineFunction {
    name: String,
    arguments: Value,
}

impl Line {
    fn content(&self) -> Option<&str> {
        self.message.as_ref().and_then(|m| m.content.as_deref()).or(self.response.as_deref())
    }

    fn thinking(&self) -> Option<&str> {
        self.message.as_ref().and_then(|m| m.thinking.as_deref()).or(self.thinking.as_deref())
    }

    fn tool_calls(&self) -> &[LineToolCall] {
        self.message.as_ref().and_then(|m| m.tool_calls.as_deref()).unwrap_or_default()
    }

    fn usage(&self) -> Usage {
        Usage::new(self.prompt_eval_count.unwrap_or(0), self.eval_count.unwrap_or(0))
    }
}

fn arguments_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "{}".to_owned(),
        other => other.to_string(),
    }
}

fn call_id(id: Option<&String>) -> String {
    id.filter(|s| !s.is_empty()).cloned().unwrap_or_else(|| crate::util::new_id("call_"))
}

/// A complete tool call as one stream delta.
fn tool_call_delta(index: u32, id: String, name: &str, arguments: &str) -> ToolCallDelta {
    ToolCallDelta {
        index,
        id: Some(id),
        kind: Some("function".into()),
        function: Some(FunctionDelta { name: Some(name.to_owned()), arguments: Some(arguments.to_owned()) }),
    }
}

/// `done_reason` the OpenAI way (Ollama says `stop`, `length`, or `load`/`unload` for no-op calls).
fn finish_of(done_reason: Option<&str>) -> &'static str {
    match done_reason {
        Some("length") => "length",
        _ => "stop",
    }
}

/// Reasoning that a model wrote inline as `<think>...</think>` at the very start of its answer
/// (litellm's `_parse_content_for_reasoning`, which also takes `<thinking>` and
/// `<budget:thinking>`): `(reasoning, rest)`.
fn split_think(content: &str) -> Option<(&str, &str)> {
    const TAGS: [&str; 3] = ["think", "thinking", "budget:thinking"];
    let rest = TAGS.iter().find_map(|t| content.strip_prefix('<')?.strip_prefix(t)?.strip_prefix('>'))?;
    let (end, close_len) = TAGS
        .iter()
        .filter_map(|t| {
            let close = format!("</{t}>");
            rest.find(&close).map(|i| (i, close.len()))
        })
        .min()?;
    Some((&rest[..end], &rest[end + close_len..]))
}

/// Where a stream is with inline `<think>` tags; kept in `StreamState::block_tools` under a key
/// no provider block index uses (StreamState has no field of its own for it).
const THINK_KEY: u32 = u32::MAX;
const THINK_NONE: u32 = 0;
const THINK_OPEN: u32 = 1;
const THINK_CLOSED: u32 = 2;

fn think_phase(state: &StreamState) -> u32 {
    state.block_tools.iter().find(|(k, _)| *k == THINK_KEY).map_or(THINK_NONE, |(_, v)| *v)
}

fn set_think_phase(state: &mut StreamState, phase: u32) {
    state.block_tools.retain(|(k, _)| *k != THINK_KEY);
    state.block_tools.push((THINK_KEY, phase));
}

/// Splits a streamed content piece into (content, reasoning) following inline `<think>` tags at
/// the start of the answer.
fn stream_text(state: &mut StreamState, piece: &str) -> (Option<String>, Option<String>) {
    match think_phase(state) {
        THINK_NONE => {
            let trimmed = piece.trim_start();
            if trimmed.is_empty() {
                return (None, None);
            }
            if let Some(rest) = trimmed.strip_prefix("<think>") {
                set_think_phase(state, THINK_OPEN);
                return stream_text(state, rest);
            }
            set_think_phase(state, THINK_CLOSED);
            (Some(piece.to_owned()), None)
        }
        THINK_OPEN => match piece.split_once("</think>") {
            Some((reasoning, rest)) => {
                set_think_phase(state, THINK_CLOSED);
                let nonempty = |s: &str| (!s.is_empty()).then(|| s.to_owned());
                (nonempty(rest), nonempty(reasoning))
            }
            None => (None, (!piece.is_empty()).then(|| piece.to_owned())),
        },
        _ => ((!piece.is_empty()).then(|| piece.to_owned()), None),
    }
}

impl Provider for Ollama {
    fn id(&self) -> &str {
        if self.chat { "ollama_chat" } else { "ollama" }
    }

    fn supports_openai_param(&self, _model: &str, name: &str) -> bool {
        if self.chat { CHAT_PARAMS.contains(&name) } else { GENERATE_PARAMS.contains(&name) }
    }

    fn framing(&self) -> Framing {
        Framing::Ndjson
    }

    fn build_chat(&self, req: &ChatRequest, target: &CallTarget) -> Result<HttpRequest, LlmError> {
        let supported = if self.chat { CHAT_PARAMS } else { GENERATE_PARAMS };
        let skip = super::params_to_drop(self.id(), req.set_params(), |p| supported.contains(&p), target)?;
        let body = self.build_body(req, &skip, target)?;
        let path = if self.chat { "/api/chat" } else { "/api/generate" };
        Ok(HttpRequest { url: url(target, path), headers: headers(target), body: encode(&body)?.into() })
    }

    fn parse_chat(&self, body: &[u8], req: &ChatRequest) -> Result<ChatResponse, LlmError> {
        let line: Line = parse_json(body, "Ollama response")?;
        if line.error.is_some() {
            return Err(self.embedded_error(body));
        }
        let tool_calls: Vec<ToolCall> = line
            .tool_calls()
            .iter()
            .map(|tc| ToolCall {
                id: Some(call_id(tc.id.as_ref())),
                kind: "function".into(),
                function: FunctionCall {
                    name: tc.function.name.clone(),
                    arguments: arguments_string(&tc.function.arguments),
                },
                extra: Map::new(),
            })
            .collect();
        let text = line.content().unwrap_or_default();
        let (reasoning, content) = match line.thinking() {
            Some(t) => (Some(t.to_owned()), text),
            None => match split_think(text) {
                Some((r, rest)) => (Some(r.to_owned()), rest),
                None => (None, text),
            },
        };
        let finish = if tool_calls.is_empty() { finish_of(line.done_reason.as_deref()) } else { "tool_calls" };
        let content = if content.is_empty() && !tool_calls.is_empty() { None } else { Some(content.to_owned()) };
        Ok(ChatResponse {
            id: crate::util::new_id("chatcmpl-"),
            object: "chat.completion".into(),
            created: crate::types::unix_now(),
            model: format!("{}/{}", self.id(), req.model),
            system_fingerprint: None,
            choices: vec![Choice {
                index: 0,
                message: ResponseMessage {
                    content,
                    tool_calls: (!tool_calls.is_empty()).then_some(tool_calls),
                    reasoning_content: reasoning,
                    ..ResponseMessage::default()
                },
                finish_reason: Some(finish.to_owned()),
                logprobs: None,
                extra: Map::new(),
            }],
            usage: Some(line.usage()),
            extra: Map::new(),
        })
    }

    fn parse_chat_event(
        &self,
        state: &mut StreamState,
        _event: Option<&str>,
        data: &str,
    ) -> Result<Vec<ChatChunk>, LlmError> {
        let data = data.trim();
        if data.is_empty() {
            return Ok(Vec::new());
        }
        let line: Line = parse_json(data.as_bytes(), "Ollama stream line")?;
        if line.error.is_some() {
            return Err(self.embedded_error(data.as_bytes()));
        }
        if state.id.is_empty() {
            state.id = crate::util::new_id("chatcmpl-");
            state.created = crate::types::unix_now();
        }
        if state.model.is_empty()
            && let Some(m) = &line.model
        {
            state.model.clone_from(m);
        }
        let mut delta = Delta::default();
        if let Some(t) = line.thinking().filter(|t| !t.is_empty()) {
            delta.reasoning_content = Some(t.to_owned());
        }
        if let Some(piece) = line.content().filter(|c| !c.is_empty()) {
            let (content, reasoning) = stream_text(state, piece);
            delta.content = content;
            if let Some(r) = reasoning {
                delta.reasoning_content.get_or_insert_with(String::new).push_str(&r);
            }
        }
        let calls = line.tool_calls();
        if !calls.is_empty() {
            let mut out = Vec::with_capacity(calls.len());
            for tc in calls {
                out.push(tool_call_delta(
                    state.tool_calls,
                    call_id(tc.id.as_ref()),
                    &tc.function.name,
                    &arguments_string(&tc.function.arguments),
                ));
                state.tool_calls += 1;
            }
            delta.tool_calls = Some(out);
        }
        if !line.done {
            let empty = delta.content.is_none() && delta.reasoning_content.is_none() && delta.tool_calls.is_none();
            if empty && state.role_sent {
                return Ok(Vec::new());
            }
            return Ok(vec![self.chunk(state, delta, None)]);
        }
        let finish = if state.tool_calls > 0 { "tool_calls" } else { finish_of(line.done_reason.as_deref()) };
        let mut out = vec![self.chunk(state, delta, Some(finish))];
        let usage = line.usage();
        if state.include_usage {
            out.push(state.usage_chunk(usage.clone()));
        }
        state.usage = Some(usage);
        state.finished = true;
        state.done = true;
        Ok(out)
    }

    fn build_embedding(&self, req: &EmbeddingRequest, target: &CallTarget) -> Result<HttpRequest, LlmError> {
        let input = match &req.input {
            Value::String(s) => Value::Array(vec![Value::String(s.clone())]),
            Value::Array(items) if items.iter().all(Value::is_string) => req.input.clone(),
            _ => return Err(LlmError::bad_request("ollama embeddings take a string or a list of strings")),
        };
        let mut body = Map::new();
        body.insert("model".into(), Value::String(req.model.clone()));
        body.insert("input".into(), input);
        if let Some(d) = req.dimensions {
            body.insert("dimensions".into(), d.into());
        }
        let mut options = Map::new();
        for (k, v) in &req.extra {
            match k.as_str() {
                "options" => {
                    if let Value::Object(o) = v {
                        options.extend(o.iter().map(|(k, v)| (k.clone(), v.clone())));
                    }
                }
                k if EMBED_TOP.contains(&k) => {
                    body.insert(k.to_owned(), v.clone());
                }
                _ => {
                    options.insert(k.clone(), v.clone());
                }
            }
        }
        if !options.is_empty() {
            body.insert("options".into(), Value::Object(options));
        }
        if let Some(extra) = &target.extra_body {
            body.extend(extra.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        Ok(HttpRequest { url: url(target, "/api/embed"), headers: headers(target), body: encode(&body)?.into() })
    }

    fn parse_embedding(&self, body: &[u8], req: &EmbeddingRequest) -> Result<EmbeddingResponse, LlmError> {
        #[derive(Deserialize)]
        struct Embed {
            #[serde(default)]
            embeddings: Vec<Value>,
            #[serde(default)]
            prompt_eval_count: Option<u64>,
            #[serde(default)]
            error: Option<Value>,
        }
        let r: Embed = parse_json(body, "Ollama embedding response")?;
        if r.error.is_some() {
            return Err(self.embedded_error(body));
        }
        let data = r
            .embeddings
            .into_iter()
            .enumerate()
            .map(|(i, e)| serde_json::json!({"object": "embedding", "index": i, "embedding": e}))
            .collect();
        Ok(EmbeddingResponse {
            object: "list".into(),
            data,
            model: format!("ollama/{}", req.model),
            usage: Some(Usage::new(r.prompt_eval_count.unwrap_or(0), 0)),
            extra: Map::new(),
        })
    }
}
