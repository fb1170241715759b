//! Cohere v2: `POST /v2/chat` (SSE streams with typed events) and `POST /v2/embed`.
//!
//! Cohere v2 takes OpenAI-shaped messages and tools (`{"type": "function", "function": {...}}`),
//! so messages are sent nearly as they are, keeping only the fields Cohere knows. Parameters are
//! renamed as litellm's `CohereV2ChatConfig` does (`top_p` -> `p`, `stop` -> `stop_sequences`);
//! `top_k` -> `k`, `tool_choice` -> `REQUIRED`/`NONE`, `response_format` -> Cohere's
//! `{"type": "json_object", "json_schema": ...}`, and provider kwargs (`documents`,
//! `citation_options`, `safety_mode`, ...) pass through. Citations come back as OpenAI
//! `url_citation` annotations (as litellm does) and, raw, in `provider_specific_fields`.

use std::borrow::Cow;

use serde::Deserialize;
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::{Map, Value, json};

use super::openai_compat::{Auth, Row, parse_json};
use super::{CallTarget, HttpRequest, Provider, StreamState};
use crate::error::{ErrorKind, LlmError};
use crate::types::{
    ChatChunk, ChatRequest, ChatResponse, Choice, ChunkChoice, Content, Delta, EmbeddingRequest, EmbeddingResponse,
    FunctionDelta, Message, OPENAI_CHAT_PARAMS, PromptTokensDetails, ResponseMessage, Role, Tool, ToolCall,
    ToolCallDelta, Usage,
};

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

/// The OpenAI parameters Cohere v2 chat takes (litellm's list, plus `max_completion_tokens` and
/// `response_format`, which map onto Cohere's own fields). `n` is taken only as 1.
const PARAMS: &[&str] = &[
    "stream",
    "stream_options",
    "temperature",
    "max_tokens",
    "max_completion_tokens",
    "top_p",
    "frequency_penalty",
    "presence_penalty",
    "stop",
    "n",
    "tools",
    "tool_choice",
    "seed",
    "response_format",
];

/// Extra kwargs that are translated rather than copied.
const TRANSLATED: &[&str] = &["top_k", "thinking"];

fn chat_url(target: &CallTarget) -> String {
    let base = target.api_base.trim_end_matches('/');
    if base.ends_with("/v2/chat") {
        base.to_owned()
    } else if base.ends_with("/v2") {
        format!("{base}/chat")
    } else {
        format!("{base}/v2/chat")
    }
}

fn embed_url(target: &CallTarget) -> String {
    let base = target.api_base.trim_end_matches('/');
    if base.ends_with("/v2/embed") {
        base.to_owned()
    } else if base.ends_with("/v2") {
        format!("{base}/embed")
    } else {
        format!("{base}/v2/embed")
    }
}

fn headers(target: &CallTarget) -> Vec<(String, String)> {
    super::bearer_json_headers(target, true)
}

fn encode<T: Serialize>(v: &T) -> Result<Vec<u8>, LlmError> {
    super::encode_json(v)
}

// ---------------------------------------------------------------------------------------------
// request
// ---------------------------------------------------------------------------------------------

/// A Cohere v2 message, borrowing from the canonical one.
struct OutMessage<'a> {
    msg: &'a Message,
}

/// Content Cohere takes: a string, or a list of parts (text and image_url are spelled as OpenAI
/// spells them; Cohere-specific parts such as `document` pass through).
fn content_entry<'a>(c: &'a Content, text_only: bool) -> Cow<'a, Content> {
    match c {
        Content::Parts(_) if text_only => Cow::Owned(Content::Text(c.joined_text())),
        _ => Cow::Borrowed(c),
    }
}

/// `tool_plan` of an assistant message: its own field, or where a previous response put it
/// (`provider_specific_fields.tool_plan`), so a response message sent back round-trips.
fn tool_plan(m: &Message) -> Option<&Value> {
    m.extra
        .get("tool_plan")
        .or_else(|| m.extra.get("provider_specific_fields").and_then(|p| p.get("tool_plan")))
        .filter(|v| v.is_string())
}

impl Serialize for OutMessage<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let m = self.msg;
        let mut out = s.serialize_map(None)?;
        let role = match m.role {
            Role::System | Role::Developer => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::Tool | Role::Function => "tool",
        };
        out.serialize_entry("role", role)?;
        match m.role {
            Role::Tool | Role::Function => {
                let id = m.tool_call_id.as_deref().or(m.name.as_deref()).unwrap_or_default();
                out.serialize_entry("tool_call_id", id)?;
                match &m.content {
                    Some(c) => out.serialize_entry("content", c)?,
                    None => out.serialize_entry("content", "")?,
                }
            }
            Role::Assistant => {
                if let Some(plan) = tool_plan(m) {
                    out.serialize_entry("tool_plan", plan)?;
                }
                if let Some(tc) = m.tool_calls.as_ref().filter(|t| !t.is_empty()) {
                    out.serialize_entry("tool_calls", &ToolCalls(tc))?;
                }
                let calls = m.tool_calls.as_ref().is_some_and(|t| !t.is_empty());
                match &m.content {
                    // an empty text beside tool calls is left out (Cohere wants content or calls)
                    Some(c) if calls && c.is_text_only() && c.joined_text().is_empty() => {}
                    Some(c) => out.serialize_entry("content", c)?,
                    None if !calls => out.serialize_entry("content", "")?,
                    None => {}
                }
                if let Some(c) = m.extra.get("citations") {
                    out.serialize_entry("citations", c)?;
                }
            }
            Role::System | Role::Developer => {
                if let Some(c) = &m.content {
                    out.serialize_entry("content", &content_entry(c, true))?;
                }
            }
            _ => match &m.content {
                Some(c) => out.serialize_entry("content", c)?,
                None => out.serialize_entry("content", "")?,
            },
        }
        out.end()
    }
}

/// Tool calls as Cohere takes them: id, type and function (name, JSON-string arguments).
struct ToolCalls<'a>(&'a [ToolCall]);

impl Serialize for ToolCalls<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for tc in self.0 {
            let args = if tc.function.arguments.is_empty() { "{}" } else { tc.function.arguments.as_str() };
            seq.serialize_element(&json!({
                "id": tc.id,
                "type": "function",
                "function": {"name": tc.function.name, "arguments": args},
            }))?;
        }
        seq.end()
    }
}

struct Messages<'a>(&'a [Message]);

impl Serialize for Messages<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for msg in self.0 {
            seq.serialize_element(&OutMessage { msg })?;
        }
        seq.end()
    }
}

/// `tool_choice` in Cohere's terms: `REQUIRED`, `NONE`, or absent for `auto`. A named function
/// becomes `REQUIRED` with the tools narrowed to that one function.
fn tool_choice(tc: &Value) -> (Option<&'static str>, Option<&str>) {
    match tc {
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "required" | "any" => (Some("REQUIRED"), None),
            "none" => (Some("NONE"), None),
            _ => (None, None),
        },
        Value::Object(_) => {
            let name = tc.pointer("/function/name").and_then(Value::as_str);
            (Some("REQUIRED"), name)
        }
        _ => (None, None),
    }
}

fn tool_name(t: &Tool) -> Option<&str> {
    t.function.as_ref().and_then(|f| f.get("name")).and_then(Value::as_str)
}

/// `response_format` in Cohere's terms: json_object stays, json_schema becomes json_object with
/// the schema under `json_schema`.
fn response_format(rf: &Value) -> Value {
    match rf.get("type").and_then(Value::as_str) {
        Some("json_object") => json!({"type": "json_object"}),
        Some("json_schema") => match rf.pointer("/json_schema/schema") {
            Some(schema) => json!({"type": "json_object", "json_schema": schema}),
            None => json!({"type": "json_object"}),
        },
        _ => rf.clone(),
    }
}

/// Anthropic-style `thinking` (`budget_tokens`) in Cohere's spelling (`token_budget`).
fn thinking(t: &Value) -> Value {
    match t {
        Value::Object(o) => {
            let mut out = Map::new();
            for (k, v) in o {
                let k = if k == "budget_tokens" { "token_budget" } else { k.as_str() };
                out.insert(k.to_owned(), v.clone());
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

struct Body<'a> {
    req: &'a ChatRequest,
    skip: &'a [String],
    extra_body: Option<&'a Map<String, Value>>,
}

impl Body<'_> {
    fn kept(&self, name: &str) -> bool {
        !self.skip.iter().any(|s| s == name)
    }
}

impl Serialize for Body<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = self.req;
        let given = |k: &str| self.extra_body.is_some_and(|e| e.contains_key(k));
        let mut m = s.serialize_map(None)?;
        macro_rules! entry {
            ($name:expr, $val:expr) => {
                if !given($name) {
                    m.serialize_entry($name, $val)?;
                }
            };
        }
        let extra = |name: &str| r.extra.get(name).filter(|_| self.kept(name));
        entry!("model", &r.model);
        entry!("messages", &Messages(&r.messages));
        let (choice, only) = match r.tool_choice.as_ref().filter(|_| self.kept("tool_choice")) {
            Some(tc) => tool_choice(tc),
            None => (None, None),
        };
        if let Some(tools) = r.tools.as_ref().filter(|_| self.kept("tools")) {
            match only {
                Some(name) => {
                    let narrowed: Vec<&Tool> = tools.iter().filter(|t| tool_name(t) == Some(name)).collect();
                    entry!("tools", &narrowed);
                }
                None => entry!("tools", tools),
            }
        }
        if let Some(c) = choice {
            entry!("tool_choice", c);
        }
        if r.is_stream() {
            entry!("stream", &true);
        }
        if let Some(v) = r.temperature.as_ref().filter(|_| self.kept("temperature")) {
            entry!("temperature", v);
        }
        let max = r
            .max_completion_tokens
            .filter(|_| self.kept("max_completion_tokens"))
            .or(r.max_tokens.filter(|_| self.kept("max_tokens")));
        if let Some(v) = max {
            entry!("max_tokens", &v);
        }
        if let Some(v) = r.top_p.as_ref().filter(|_| self.kept("top_p")) {
            entry!("p", v);
        }
        if let Some(v) = extra("top_k").filter(|_| !r.extra.contains_key("k")) {
            entry!("k", v);
        }
        for name in ["frequency_penalty", "presence_penalty"] {
            if let Some(v) = extra(name) {
                entry!(name, v);
            }
        }
        if let Some(v) = r.stop.as_ref().filter(|_| self.kept("stop")) {
            match v {
                Value::String(_) => entry!("stop_sequences", &[v]),
                _ => entry!("stop_sequences", v),
            }
        }
        if let Some(v) = extra("seed") {
            entry!("seed", v);
        }
        if let Some(v) = r.response_format.as_ref().filter(|_| self.kept("response_format")) {
            entry!("response_format", &response_format(v));
        }
        if let Some(v) = extra("thinking") {
            entry!("thinking", &thinking(v));
        }
        for (k, v) in &r.extra {
            let k = k.as_str();
            if self.kept(k) && !OPENAI_CHAT_PARAMS.contains(&k) && !TRANSLATED.contains(&k) {
                entry!(k, v);
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

// ---------------------------------------------------------------------------------------------
// response
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Response {
    id: Option<String>,
    finish_reason: Option<String>,
    message: CohereMessage,
    usage: Option<CohereUsage>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CohereMessage {
    content: Vec<Value>,
    tool_calls: Vec<ToolCall>,
    tool_plan: Option<String>,
    citations: Vec<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CohereUsage {
    billed_units: Option<Units>,
    tokens: Option<Units>,
    cached_tokens: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Units {
    input_tokens: Option<f64>,
    output_tokens: Option<f64>,
}

impl CohereUsage {
    /// Usage from `tokens` (what the model saw), falling back to `billed_units`.
    fn to_usage(&self) -> Usage {
        let pick = |f: fn(&Units) -> Option<f64>| {
            self.tokens.as_ref().and_then(f).or_else(|| self.billed_units.as_ref().and_then(f)).unwrap_or(0.0) as u64
        };
        let mut u = Usage::new(pick(|u| u.input_tokens), pick(|u| u.output_tokens));
        if let Some(c) = self.cached_tokens.filter(|c| *c > 0) {
            u.prompt_tokens_details = Some(PromptTokensDetails { cached_tokens: Some(c), ..Default::default() });
        }
        u
    }
}

/// Cohere finish reasons the OpenAI way (litellm's `map_finish_reason`, plus TOOL_CALL).
fn finish_of(r: Option<&str>) -> &'static str {
    match r {
        Some("MAX_TOKENS") => "length",
        Some("TOOL_CALL") => "tool_calls",
        Some("ERROR_TOXIC") => "content_filter",
        _ => "stop",
    }
}

/// Cohere citations as OpenAI `url_citation` annotations, one per document source (as litellm's
/// `_translate_citations_to_openai_annotations` does).
fn annotations(citations: &[Value]) -> Vec<Value> {
    let mut out = Vec::new();
    for c in citations {
        let start = c.get("start").cloned().unwrap_or(Value::from(0));
        let end = c.get("end").cloned().unwrap_or(Value::from(0));
        for src in c.get("sources").and_then(Value::as_array).into_iter().flatten() {
            if src.get("type").and_then(Value::as_str) != Some("document") {
                continue;
            }
            let Some(doc) = src.get("document") else { continue };
            let title = doc.get("title").and_then(Value::as_str).unwrap_or_default();
            let url = match src.get("url").and_then(Value::as_str) {
                Some(u) => u.to_owned(),
                None => format!("source:{}", src.get("id").and_then(Value::as_str).unwrap_or("unknown")),
            };
            out.push(json!({
                "type": "url_citation",
                "url_citation": {"start_index": start, "end_index": end, "title": title, "url": url},
            }));
        }
    }
    out
}

/// One stream event of `/v2/chat` (the fields the translation reads).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Event {
    #[serde(rename = "type")]
    kind: Option<String>,
    id: Option<String>,
    index: Option<u32>,
    delta: Option<EventDelta>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct EventDelta {
    message: Option<EventMessage>,
    finish_reason: Option<String>,
    usage: Option<CohereUsage>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct EventMessage {
    content: Option<EventContentAny>,
    tool_plan: Option<String>,
    tool_calls: Option<EventToolCall>,
    citations: Option<Value>,
}

/// Delta content: an object (`{"text": ...}` / `{"thinking": ...}`), or, tolerated as litellm
/// does, a bare string.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum EventContentAny {
    Object(EventContent),
    Text(String),
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct EventContent {
    text: Option<String>,
    thinking: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct EventToolCall {
    id: Option<String>,
    function: Option<EventFunction>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct EventFunction {
    name: Option<String>,
    arguments: Option<String>,
}

fn new_call_id() -> String {
    crate::util::new_id("call_")
}

fn chunk(state: &mut StreamState, mut delta: Delta, finish: Option<&str>) -> ChatChunk {
    if !state.role_sent {
        delta.role = Some("assistant".into());
        state.role_sent = true;
    }
    ChatChunk {
        id: state.id.clone(),
        created: state.created,
        model: state.model.clone(),
        choices: vec![ChunkChoice { index: 0, delta, finish_reason: finish.map(str::to_owned), ..Default::default() }],
        object: "chat.completion.chunk".into(),
        ..ChatChunk::default()
    }
}

fn tool_call_delta(index: u32, id: Option<String>, name: Option<&str>, arguments: &str) -> ToolCallDelta {
    ToolCallDelta {
        index,
        kind: id.as_ref().map(|_| "function".to_owned()),
        id,
        function: Some(FunctionDelta { name: name.map(str::to_owned), arguments: Some(arguments.to_owned()) }),
    }
}

impl Provider for Cohere {
    fn id(&self) -> &str {
        "cohere"
    }

    fn supports_openai_param(&self, _model: &str, name: &str) -> bool {
        PARAMS.contains(&name)
    }

    fn build_chat(&self, req: &ChatRequest, target: &CallTarget) -> Result<HttpRequest, LlmError> {
        let supported = |p: &str| PARAMS.contains(&p) && (p != "n" || req.n == Some(1));
        let mut skip = super::params_to_drop(self.id(), req.set_params(), supported, target)?;
        if req.n == Some(1) {
            skip.push("n".into());
        }
        let body = Body { req, skip: &skip, extra_body: target.extra_body.as_ref() };
        Ok(HttpRequest { url: chat_url(target), headers: headers(target), body: encode(&body)?.into() })
    }

    fn parse_chat(&self, body: &[u8], req: &ChatRequest) -> Result<ChatResponse, LlmError> {
        let r: Response = parse_json(body, "Cohere chat response")?;
        let mut text: Option<String> = None;
        let mut reasoning: Option<String> = None;
        for part in &r.message.content {
            match part.get("type").and_then(Value::as_str) {
                Some("thinking") => {
                    if let Some(t) = part.get("thinking").and_then(Value::as_str) {
                        reasoning.get_or_insert_with(String::new).push_str(t);
                    }
                }
                _ => {
                    if let Some(t) = part.get("text").and_then(Value::as_str) {
                        text.get_or_insert_with(String::new).push_str(t);
                    }
                }
            }
        }
        let mut tool_calls = r.message.tool_calls;
        for tc in &mut tool_calls {
            if tc.id.as_deref().is_none_or(str::is_empty) {
                tc.id = Some(new_call_id());
            }
        }
        let mut extra = Map::new();
        let notes = annotations(&r.message.citations);
        if !notes.is_empty() {
            extra.insert("annotations".into(), Value::Array(notes));
        }
        let mut specific = Map::new();
        if !r.message.citations.is_empty() {
            specific.insert("citations".into(), Value::Array(r.message.citations));
        }
        if let Some(plan) = r.message.tool_plan.filter(|p| !p.is_empty()) {
            specific.insert("tool_plan".into(), Value::String(plan));
        }
        if !specific.is_empty() {
            extra.insert("provider_specific_fields".into(), Value::Object(specific));
        }
        let finish = if tool_calls.is_empty() { finish_of(r.finish_reason.as_deref()) } else { "tool_calls" };
        Ok(ChatResponse {
            id: r.id.filter(|i| !i.is_empty()).unwrap_or_else(|| crate::util::new_id("chatcmpl-")),
            object: "chat.completion".into(),
            created: crate::types::unix_now(),
            model: req.model.clone(),
            system_fingerprint: None,
            choices: vec![Choice {
                index: 0,
                message: ResponseMessage {
                    content: text,
                    tool_calls: (!tool_calls.is_empty()).then_some(tool_calls),
                    reasoning_content: reasoning,
                    extra,
                    ..ResponseMessage::default()
                },
                finish_reason: Some(finish.to_owned()),
                logprobs: None,
                extra: Map::new(),
            }],
            usage: Some(r.usage.map(|u| u.to_usage()).unwrap_or_default()),
            extra: Map::new(),
        })
    }

    fn parse_chat_event(
        &self,
        state: &mut StreamState,
        event: Option<&str>,
        data: &str,
    ) -> Result<Vec<ChatChunk>, LlmError> {
        let data = data.trim();
        if data.is_empty() {
            return Ok(Vec::new());
        }
        if data == "[DONE]" {
            state.done = true;
            return Ok(Vec::new());
        }
        let ev: Event = parse_json(data.as_bytes(), "Cohere stream event")?;
        let kind = ev.kind.as_deref().or(event).unwrap_or_default();
        if state.id.is_empty() {
            state.id = ev
                .id
                .as_deref()
                .filter(|s| !s.is_empty())
                .map_or_else(|| crate::util::new_id("chatcmpl-"), str::to_owned);
            state.created = crate::types::unix_now();
        }
        let index = ev.index.unwrap_or(0);
        let (message, end) = match ev.delta {
            Some(d) => (d.message.unwrap_or_default(), (d.finish_reason, d.usage)),
            None => (EventMessage::default(), (None, None)),
        };
        let mut delta = Delta::default();
        match kind {
            "content-start" | "content-delta" => {
                let content = match message.content {
                    Some(EventContentAny::Object(c)) => c,
                    Some(EventContentAny::Text(text)) => EventContent { text: Some(text), thinking: None },
                    None => EventContent::default(),
                };
                delta.content = content.text.filter(|t| !t.is_empty());
                delta.reasoning_content = content.thinking.filter(|t| !t.is_empty());
                if delta.content.is_none() && delta.reasoning_content.is_none() {
                    return Ok(Vec::new());
                }
            }
            "tool-plan-delta" => {
                let Some(plan) = message.tool_plan else {
                    return Ok(Vec::new());
                };
                delta.extra.insert("provider_specific_fields".into(), json!({"tool_plan": plan}));
            }
            "tool-call-start" => {
                let call = message.tool_calls.unwrap_or_default();
                let ours = state.tool_calls;
                state.tool_calls += 1;
                state.block_tools.push((index, ours));
                let id = call.id.filter(|s| !s.is_empty()).unwrap_or_else(new_call_id);
                let f = call.function.unwrap_or_default();
                let args = f.arguments.unwrap_or_default();
                delta.tool_calls = Some(vec![tool_call_delta(ours, Some(id), f.name.as_deref(), &args)]);
            }
            "tool-call-delta" => {
                let args = message.tool_calls.and_then(|c| c.function).and_then(|f| f.arguments);
                let Some(args) = args.filter(|a| !a.is_empty()) else {
                    return Ok(Vec::new());
                };
                let ours = state
                    .block_tools
                    .iter()
                    .rev()
                    .find(|(i, _)| *i == index)
                    .map_or(state.tool_calls.saturating_sub(1), |(_, o)| *o);
                delta.tool_calls = Some(vec![tool_call_delta(ours, None, None, &args)]);
            }
            "citation-start" => {
                let citations = match message.citations {
                    Some(Value::Array(a)) => a,
                    Some(c @ Value::Object(_)) => vec![c],
                    _ => return Ok(Vec::new()),
                };
                let notes = annotations(&citations);
                if !notes.is_empty() {
                    delta.extra.insert("annotations".into(), Value::Array(notes));
                }
                delta.extra.insert("provider_specific_fields".into(), json!({"citations": citations}));
            }
            "message-end" => {
                let (reason, usage) = end;
                let reason = reason.as_deref();
                let finish =
                    if state.tool_calls > 0 && reason != Some("MAX_TOKENS") { "tool_calls" } else { finish_of(reason) };
                let usage = usage.unwrap_or_default().to_usage();
                let mut out = vec![chunk(state, delta, Some(finish))];
                if state.include_usage {
                    out.push(state.usage_chunk(usage.clone()));
                }
                state.usage = Some(usage);
                state.finished = true;
                state.done = true;
                return Ok(out);
            }
            // message-start, content-end, tool-call-end, citation-end, debug and unknown events
            _ => return Ok(Vec::new()),
        }
        Ok(vec![chunk(state, delta, None)])
    }

    fn map_error(&self, status: u16, headers: Vec<(String, String)>, body: &[u8], model: &str) -> LlmError {
        let mut e = LlmError::from_upstream(status, headers, body, self.id(), model);
        let lower = e.message.to_ascii_lowercase();
        // litellm's Cohere mapping: these phrases are authentication failures whatever the status.
        if lower.contains("invalid api token") || lower.contains("no api key provided") {
            e.kind = ErrorKind::Authentication;
        }
        e
    }

    fn build_embedding(&self, req: &EmbeddingRequest, target: &CallTarget) -> Result<HttpRequest, LlmError> {
        let inputs: Vec<&str> = match &req.input {
            Value::String(s) => vec![s.as_str()],
            Value::Array(items) => items
                .iter()
                .map(|v| v.as_str().ok_or_else(|| LlmError::bad_request("cohere embeddings take strings")))
                .collect::<Result<_, _>>()?,
            _ => return Err(LlmError::bad_request("cohere embeddings take a string or a list of strings")),
        };
        let images = !inputs.is_empty() && inputs.iter().all(|s| s.starts_with("data:image/"));
        let mut body = Map::new();
        body.insert("model".into(), Value::String(req.model.clone()));
        if images {
            body.insert("images".into(), json!(inputs));
            body.insert("input_type".into(), Value::String("image".into()));
        } else {
            body.insert("texts".into(), json!(inputs));
            body.insert("input_type".into(), Value::String("search_document".into()));
        }
        if let Some(f) = &req.encoding_format {
            body.insert("embedding_types".into(), json!([f]));
        }
        if let Some(d) = req.dimensions {
            body.insert("output_dimension".into(), d.into());
        }
        for (k, v) in &req.extra {
            body.insert(k.clone(), v.clone());
        }
        if let Some(extra) = &target.extra_body {
            body.extend(extra.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        Ok(HttpRequest { url: embed_url(target), headers: headers(target), body: encode(&body)?.into() })
    }

    fn parse_embedding(&self, body: &[u8], req: &EmbeddingRequest) -> Result<EmbeddingResponse, LlmError> {
        #[derive(Deserialize)]
        struct Embed {
            #[serde(default)]
            embeddings: Value,
            #[serde(default)]
            meta: Value,
        }
        let r: Embed = parse_json(body, "Cohere embedding response")?;
        let mut data = Vec::new();
        let lists: Vec<&Value> = match &r.embeddings {
            // embeddings_by_type: {"float": [[...]], "int8": [[...]]}
            Value::Object(by_type) => by_type.values().collect(),
            // embeddings_floats: [[...]]
            v @ Value::Array(_) => vec![v],
            _ => Vec::new(),
        };
        for list in lists {
            for (i, e) in list.as_array().into_iter().flatten().enumerate() {
                data.push(json!({"object": "embedding", "index": i, "embedding": e}));
            }
        }
        let billed = r.meta.get("billed_units");
        let count = |k: &str| billed.and_then(|b| b.get(k)).and_then(Value::as_f64).unwrap_or(0.0) as u64;
        let tokens = count("input_tokens") + count("images");
        Ok(EmbeddingResponse {
            object: "list".into(),
            data,
            model: req.model.clone(),
            usage: Some(Usage::new(tokens, 0)),
            extra: Map::new(),
        })
    }
}
