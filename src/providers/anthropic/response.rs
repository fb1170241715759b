//! Anthropic Messages answer -> chat completion, and the usage mapping shared with streams.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::json::py_dumps;
use super::{RESPONSE_FORMAT_TOOL_NAME, error_from_object};
use crate::error::LlmError;
use crate::providers::openai_compat::parse_json;
use crate::types::{
    ChatRequest, ChatResponse, Choice, CompletionTokensDetails, FunctionCall, PromptTokensDetails, ResponseMessage,
    ToolCall, Usage,
};

/// Anthropic stop reasons -> OpenAI finish reasons (litellm's `map_finish_reason`; unknown ones
/// become `stop`, as litellm does).
pub(super) fn finish_reason(r: &str) -> &'static str {
    match r {
        "tool_use" => "tool_calls",
        "max_tokens" | "pause_turn" | "compaction" | "model_context_window_exceeded" | "length" => "length",
        "refusal" | "content_filter" => "content_filter",
        "tool_calls" => "tool_calls",
        _ => "stop",
    }
}

/// Anthropic's usage counters, merged from one or more usage objects (a stream reports them in
/// `message_start` and again, cumulatively, in `message_delta`).
#[derive(Debug, Default, Clone)]
pub(super) struct RawUsage {
    input: u64,
    output: u64,
    cache_read: u64,
    cache_creation: u64,
    /// `output_tokens_details.thinking_tokens`, when Anthropic reports it.
    thinking: Option<u64>,
    /// `cache_creation` ({ephemeral_5m_input_tokens, ephemeral_1h_input_tokens}).
    cache_creation_detail: Option<Value>,
    /// Fields kept on the usage as Anthropic gives them (server_tool_use, service_tier, ...).
    passthrough: Map<String, Value>,
}

/// Usage fields passed through unchanged (litellm keeps them on its Usage).
const PASSTHROUGH_USAGE: &[&str] = &["server_tool_use", "service_tier", "inference_geo", "speed"];

impl RawUsage {
    pub(super) fn merge(&mut self, m: &Map<String, Value>) {
        let n = |k: &str| m.get(k).and_then(Value::as_u64);
        if let Some(v) = n("input_tokens") {
            self.input = v;
        }
        if let Some(v) = n("output_tokens") {
            self.output = v;
        }
        if let Some(v) = n("cache_read_input_tokens") {
            self.cache_read = v;
        }
        if let Some(v) = n("cache_creation_input_tokens") {
            self.cache_creation = v;
        }
        if let Some(v) = m.get("output_tokens_details").and_then(|d| d.get("thinking_tokens")).and_then(Value::as_u64) {
            self.thinking = Some(v);
        }
        if let Some(Value::Object(c)) = m.get("cache_creation") {
            let mut d = Map::new();
            for k in ["ephemeral_5m_input_tokens", "ephemeral_1h_input_tokens"] {
                d.insert(k.into(), c.get(k).cloned().unwrap_or(Value::Null));
            }
            self.cache_creation_detail = Some(Value::Object(d));
        }
        for k in PASSTHROUGH_USAGE {
            if let Some(v) = m.get(*k).filter(|v| !v.is_null()) {
                self.passthrough.insert((*k).into(), v.clone());
            }
        }
    }

    /// Recovers the counters from a usage this module built.
    pub(super) fn from_usage(u: &Usage) -> Self {
        let n = |k: &str| u.extra.get(k).and_then(Value::as_u64).unwrap_or(0);
        let (cache_read, cache_creation) = (n("cache_read_input_tokens"), n("cache_creation_input_tokens"));
        let input = u
            .prompt_tokens_details
            .as_ref()
            .and_then(|d| d.extra.get("text_tokens"))
            .and_then(Value::as_u64)
            .unwrap_or_else(|| u.prompt_tokens.saturating_sub(cache_read + cache_creation));
        let thinking = u.completion_tokens_details.as_ref().and_then(|d| d.reasoning_tokens).filter(|t| *t > 0);
        Self {
            input,
            output: u.completion_tokens,
            cache_read,
            cache_creation,
            thinking,
            cache_creation_detail: u
                .prompt_tokens_details
                .as_ref()
                .and_then(|d| d.extra.get("cache_creation_token_details"))
                .cloned(),
            passthrough: PASSTHROUGH_USAGE
                .iter()
                .filter_map(|k| u.extra.get(*k).map(|v| ((*k).to_owned(), v.clone())))
                .collect(),
        }
    }

    /// litellm's `AnthropicConfig.calculate_usage`: prompt_tokens counts the cache reads and writes
    /// on top of `input_tokens`; `cached_tokens` is the cache reads; the Anthropic counters stay as
    /// `cache_read_input_tokens` / `cache_creation_input_tokens`. Reasoning tokens are reported when
    /// Anthropic gives them, 0 when the answer had no thinking (`thinking_seen == Some(false)`).
    pub(super) fn to_usage(&self, thinking_seen: Option<bool>) -> Usage {
        let prompt = self.input + self.cache_read + self.cache_creation;
        let mut u = Usage::new(prompt, self.output);
        let mut pd = PromptTokensDetails { cached_tokens: Some(self.cache_read), ..PromptTokensDetails::default() };
        pd.extra.insert("cache_write_tokens".into(), self.cache_creation.into());
        pd.extra.insert("cache_creation_tokens".into(), self.cache_creation.into());
        pd.extra.insert("text_tokens".into(), self.input.into());
        if let Some(d) = &self.cache_creation_detail {
            pd.extra.insert("cache_creation_token_details".into(), d.clone());
        }
        u.prompt_tokens_details = Some(pd);
        let reasoning = match (self.thinking, thinking_seen) {
            (Some(t), _) => Some(t.min(self.output)),
            (None, Some(false)) => Some(0),
            _ => None,
        };
        if let Some(r) = reasoning {
            let mut cd = CompletionTokensDetails { reasoning_tokens: Some(r), ..CompletionTokensDetails::default() };
            cd.extra.insert("text_tokens".into(), (self.output - r).into());
            u.completion_tokens_details = Some(cd);
        }
        u.extra.insert("cache_creation_input_tokens".into(), self.cache_creation.into());
        u.extra.insert("cache_read_input_tokens".into(), self.cache_read.into());
        for (k, v) in &self.passthrough {
            u.extra.insert(k.clone(), v.clone());
        }
        u
    }
}

#[derive(Deserialize)]
struct MessageBody {
    #[serde(default)]
    id: String,
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    model: String,
    #[serde(default)]
    content: Vec<Value>,
    #[serde(default)]
    stop_reason: Option<String>,
    #[serde(default)]
    stop_details: Option<Value>,
    #[serde(default)]
    usage: Map<String, Value>,
    #[serde(default)]
    error: Option<Value>,
}

/// Whether the request asked for JSON through `response_format` (litellm's json mode), and the
/// schema it gave.
fn json_mode(req: &ChatRequest) -> Option<Option<&Value>> {
    let rf = req.response_format.as_ref()?;
    match rf.get("type").and_then(Value::as_str) {
        Some("json_object" | "json_schema") => {
            Some(rf.get("response_schema").or_else(|| rf.pointer("/json_schema/schema")))
        }
        _ => None,
    }
}

/// The JSON answer carried by the response_format tool, as message content. Models sometimes wrap
/// the answer in `{"values": ...}`; litellm unwraps that unless the schema has such a property.
fn json_tool_content(input: &Value, schema: Option<&Value>) -> String {
    let schema_has_values = schema.and_then(|s| s.pointer("/properties/values")).is_some();
    match input.as_object() {
        Some(m) if !schema_has_values && m.len() == 1 && m.contains_key("values") => py_dumps(&m["values"]),
        _ => py_dumps(input),
    }
}

pub(super) fn parse(body: &[u8], req: &ChatRequest) -> Result<ChatResponse, LlmError> {
    let r: MessageBody = parse_json(body, "Anthropic message")?;
    if r.kind == "error" || r.error.is_some() {
        let err = r.error.unwrap_or_default();
        return Err(error_from_object(&err, body, &req.model));
    }
    let mut text = String::new();
    let mut tool_calls: Vec<ToolCall> = Vec::new();
    let mut json_inputs: Vec<&Value> = Vec::new();
    let mut thinking_blocks: Vec<Value> = Vec::new();
    let mut reasoning = String::new();
    let mut citations: Vec<Value> = Vec::new();
    let json = json_mode(req);
    for (idx, block) in r.content.iter().enumerate() {
        let kind = block.get("type").and_then(Value::as_str).unwrap_or_default();
        match kind {
            "text" => {
                let t = block.get("text").and_then(Value::as_str).unwrap_or_default();
                text.push_str(t);
                if let Some(Value::Array(cs)) = block.get("citations") {
                    let with_text = cs
                        .iter()
                        .map(|c| {
                            let mut c = c.clone();
                            if let Value::Object(m) = &mut c {
                                m.insert("supported_text".into(), Value::String(t.to_owned()));
                            }
                            c
                        })
                        .collect();
                    citations.push(Value::Array(with_text));
                }
            }
            "tool_use" => {
                let name = block.get("name").and_then(Value::as_str).unwrap_or_default();
                let input = block.get("input").unwrap_or(&Value::Null);
                if json.is_some() && name == RESPONSE_FORMAT_TOOL_NAME {
                    json_inputs.push(input);
                    continue;
                }
                // litellm keeps the content block index on each tool call.
                let mut extra = Map::new();
                extra.insert("index".into(), idx.into());
                tool_calls.push(ToolCall {
                    id: block.get("id").and_then(Value::as_str).map(str::to_owned),
                    kind: "function".into(),
                    function: FunctionCall { name: name.to_owned(), arguments: py_dumps(input) },
                    extra,
                });
            }
            "thinking" => {
                reasoning.push_str(block.get("thinking").and_then(Value::as_str).unwrap_or_default());
                thinking_blocks.push(block.clone());
            }
            "redacted_thinking" => thinking_blocks.push(block.clone()),
            _ => {}
        }
    }
    let mut finish = finish_reason(r.stop_reason.as_deref().unwrap_or("stop"));
    // litellm keeps `refusal` / `pause_turn` (and any stop_details) in provider_specific_fields.
    let mut stop_fields = Map::new();
    if r.stop_details.as_ref().is_some_and(|d| !d.is_null())
        || matches!(r.stop_reason.as_deref(), Some("refusal" | "pause_turn"))
    {
        stop_fields.insert("stop_reason".into(), r.stop_reason.clone().map_or(Value::Null, Value::String));
        if let Some(d) = r.stop_details.as_ref().filter(|d| !d.is_null()) {
            stop_fields.insert("stop_details".into(), d.clone());
        }
    }
    let refusal = (r.stop_reason.as_deref() == Some("refusal"))
        .then(|| r.stop_details.as_ref().and_then(|d| d.get("explanation")).and_then(Value::as_str))
        .flatten()
        .filter(|e| !e.is_empty());
    let mut json_answer = false;
    if let (Some(schema), Some(first)) = (json, json_inputs.first()) {
        // JSON mode: the forced tool's input is the answer (litellm's json mode conversion).
        if tool_calls.is_empty() {
            text = json_tool_content(first, schema);
            finish = "stop";
            json_answer = true;
        } else {
            for input in &json_inputs {
                text.push_str(&json_tool_content(input, schema));
            }
        }
    }
    let has_thinking = !thinking_blocks.is_empty();
    let mut message = ResponseMessage {
        content: (!text.is_empty()).then_some(text),
        tool_calls: (!tool_calls.is_empty()).then_some(tool_calls),
        reasoning_content: has_thinking.then_some(reasoning),
        ..ResponseMessage::default()
    };
    let tb = has_thinking.then(|| Value::Array(thinking_blocks));
    if let Some(tb) = &tb {
        message.extra.insert("thinking_blocks".into(), tb.clone());
    }
    if let Some(r) = refusal {
        message.extra.insert("refusal".into(), Value::String(r.to_owned()));
    }
    // The json-mode message carries only the stop-reason fields, as litellm builds it.
    let psf = if json_answer {
        stop_fields
    } else {
        let mut psf = Map::new();
        psf.insert("citations".into(), if citations.is_empty() { Value::Null } else { Value::Array(citations) });
        psf.insert("thinking_blocks".into(), tb.unwrap_or(Value::Null));
        psf.extend(stop_fields);
        psf
    };
    if !psf.is_empty() {
        message.extra.insert("provider_specific_fields".into(), Value::Object(psf));
    }

    let mut raw = RawUsage::default();
    raw.merge(&r.usage);
    Ok(ChatResponse {
        id: if r.id.is_empty() { crate::util::new_id("chatcmpl-") } else { r.id },
        object: "chat.completion".into(),
        created: crate::types::unix_now(),
        model: if r.model.is_empty() { req.model.clone() } else { r.model },
        system_fingerprint: None,
        choices: vec![Choice {
            index: 0,
            message,
            finish_reason: Some(finish.to_owned()),
            logprobs: None,
            extra: Map::new(),
        }],
        usage: Some(raw.to_usage(Some(has_thinking))),
        extra: Map::new(),
    })
}
