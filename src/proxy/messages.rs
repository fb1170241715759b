//! `/v1/messages`: Anthropic's Messages API in front of any model. A request in Anthropic's shape
//! is turned into an OpenAI chat request and goes through the same path as `/v1/chat/completions`
//! (admission, routing, fallbacks, spend, logs); its answer — JSON, or the stream of chunks — is
//! turned back into Anthropic's shape: a `message`, or the `message_start` ... `message_stop`
//! events. Errors come back as Anthropic's `{"type": "error", "error": {type, message}}`.

use std::convert::Infallible;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use futures_util::StreamExt;
use serde_json::{Map, Value, json};

use super::Caller;
use super::routes::St;

fn invalid(message: impl Into<String>) -> Response {
    anthropic_error(StatusCode::BAD_REQUEST, "invalid_request_error", &message.into())
}

fn anthropic_error(status: StatusCode, kind: &str, message: &str) -> Response {
    let body = json!({"type": "error", "error": {"type": kind, "message": message}});
    (status, Json(body)).into_response()
}

/// Anthropic's error type for a status (its documented set).
fn error_kind(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "invalid_request_error",
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        529 => "overloaded_error",
        _ => "api_error",
    }
}

// ---------------------------------------------------------------------------------------------
// request: Anthropic -> OpenAI chat
// ---------------------------------------------------------------------------------------------

/// A text block's text, or the texts of a block list joined (tool results, system prompts).
fn joined_text(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(blocks) => blocks
            .iter()
            .filter(|b| b.get("type").and_then(Value::as_str) == Some("text"))
            .filter_map(|b| b.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

/// An image or document block's source as a URL (a data URL for base64 data).
fn source_url(block: &Value) -> Result<String, String> {
    let src = block.get("source").ok_or("an image or document block needs a `source`")?;
    match src.get("type").and_then(Value::as_str) {
        Some("base64") => {
            let media = src.get("media_type").and_then(Value::as_str).ok_or("a base64 source needs `media_type`")?;
            let data = src.get("data").and_then(Value::as_str).ok_or("a base64 source needs `data`")?;
            Ok(format!("data:{media};base64,{data}"))
        }
        Some("url") => Ok(src.get("url").and_then(Value::as_str).ok_or("a url source needs `url`")?.to_owned()),
        other => Err(format!("unsupported source type {other:?}")),
    }
}

/// An Anthropic content block as an OpenAI content part (text, image, document).
fn part(block: &Value) -> Result<Option<Value>, String> {
    let cache = block.get("cache_control");
    let mut out = match block.get("type").and_then(Value::as_str) {
        Some("text") => json!({"type": "text", "text": block.get("text").and_then(Value::as_str).unwrap_or_default()}),
        Some("image") => json!({"type": "image_url", "image_url": {"url": source_url(block)?}}),
        Some("document") => {
            let src = block.get("source");
            if src.and_then(|s| s.get("type")).and_then(Value::as_str) == Some("text") {
                let text = src.and_then(|s| s.get("data")).and_then(Value::as_str).unwrap_or_default();
                json!({"type": "text", "text": text})
            } else {
                json!({"type": "file", "file": {"file_data": source_url(block)?}})
            }
        }
        _ => return Ok(None),
    };
    if let (Some(cc), Value::Object(m)) = (cache, &mut out) {
        m.insert("cache_control".into(), cc.clone());
    }
    Ok(Some(out))
}

/// Anthropic's `messages` (and `system`) as OpenAI chat messages.
fn chat_messages(system: Option<&Value>, messages: &[Value]) -> Result<Vec<Value>, String> {
    let mut out = Vec::with_capacity(messages.len() + 1);
    match system {
        Some(Value::String(s)) if !s.is_empty() => out.push(json!({"role": "system", "content": s})),
        Some(Value::Array(blocks)) if !blocks.is_empty() => {
            let parts: Vec<Value> =
                blocks.iter().map(part).collect::<Result<Vec<_>, _>>()?.into_iter().flatten().collect();
            out.push(json!({"role": "system", "content": parts}));
        }
        _ => {}
    }
    for m in messages {
        let role = m.get("role").and_then(Value::as_str).ok_or("every message needs a `role`")?;
        if role != "user" && role != "assistant" {
            return Err(format!("message role must be \"user\" or \"assistant\", not {role:?}"));
        }
        let content = m.get("content").ok_or("every message needs `content`")?;
        let Value::Array(blocks) = content else {
            out.push(json!({"role": role, "content": joined_text(content)}));
            continue;
        };
        if role == "assistant" {
            let mut text = String::new();
            let mut calls = Vec::new();
            let mut thinking = Vec::new();
            for b in blocks {
                match b.get("type").and_then(Value::as_str) {
                    Some("text") => text.push_str(b.get("text").and_then(Value::as_str).unwrap_or_default()),
                    Some("tool_use") => calls.push(json!({
                        "id": b.get("id").cloned().unwrap_or(Value::Null),
                        "type": "function",
                        "function": {
                            "name": b.get("name").cloned().unwrap_or(Value::Null),
                            "arguments": b.get("input").map_or_else(|| "{}".to_owned(), Value::to_string),
                        },
                    })),
                    Some("thinking" | "redacted_thinking") => thinking.push(b.clone()),
                    _ => {}
                }
            }
            let mut msg = Map::new();
            msg.insert("role".into(), json!("assistant"));
            msg.insert("content".into(), if text.is_empty() && !calls.is_empty() { Value::Null } else { json!(text) });
            if !calls.is_empty() {
                msg.insert("tool_calls".into(), Value::Array(calls));
            }
            if !thinking.is_empty() {
                msg.insert("thinking_blocks".into(), Value::Array(thinking));
            }
            out.push(Value::Object(msg));
            continue;
        }
        // a user turn: its tool results first (OpenAI's `tool` messages), then what it says
        let mut parts = Vec::new();
        for b in blocks {
            if b.get("type").and_then(Value::as_str) == Some("tool_result") {
                let id = b.get("tool_use_id").and_then(Value::as_str).ok_or("a tool_result needs `tool_use_id`")?;
                let mut text = b.get("content").map(joined_text).unwrap_or_default();
                if b.get("is_error").and_then(Value::as_bool) == Some(true) && text.is_empty() {
                    text = "error".into();
                }
                out.push(json!({"role": "tool", "tool_call_id": id, "content": text}));
            } else if let Some(p) = part(b)? {
                parts.push(p);
            }
        }
        if !parts.is_empty() {
            out.push(json!({"role": "user", "content": parts}));
        }
    }
    Ok(out)
}

/// An Anthropic Messages request as an OpenAI chat request (and whether it streams).
pub fn to_chat(body: &[u8]) -> Result<(Map<String, Value>, bool), String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| format!("the request body is not valid JSON: {e}"))?;
    let Value::Object(mut m) = v else { return Err("the request body must be a JSON object".into()) };
    let model = m.remove("model").filter(Value::is_string).ok_or("`model` is required")?;
    let max_tokens = m.remove("max_tokens").filter(Value::is_u64).ok_or("`max_tokens` is required (an integer)")?;
    let messages = match m.remove("messages") {
        Some(Value::Array(a)) => a,
        _ => return Err("`messages` is required (a list)".into()),
    };
    let stream = m.get("stream").and_then(Value::as_bool).unwrap_or(false);
    let mut out = Map::new();
    out.insert("model".into(), model);
    out.insert("messages".into(), Value::Array(chat_messages(m.get("system"), &messages)?));
    out.insert("max_tokens".into(), max_tokens);
    for (k, v) in m {
        match k.as_str() {
            "system" => {}
            "stream" => {
                if stream {
                    out.insert("stream".into(), json!(true));
                    out.insert("stream_options".into(), json!({"include_usage": true}));
                }
            }
            "stop_sequences" => {
                out.insert("stop".into(), v);
            }
            "metadata" => {
                if let Some(u) = v.get("user_id").filter(|u| u.is_string()) {
                    out.insert("user".into(), u.clone());
                }
            }
            "tools" => {
                let tools: Vec<Value> = v
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|t| {
                        json!({"type": "function", "function": {
                            "name": t.get("name").cloned().unwrap_or(Value::Null),
                            "description": t.get("description").cloned().unwrap_or(json!("")),
                            "parameters": t.get("input_schema").cloned().unwrap_or(json!({"type": "object"})),
                        }})
                    })
                    .collect();
                if !tools.is_empty() {
                    out.insert("tools".into(), Value::Array(tools));
                }
            }
            "tool_choice" => {
                let choice = match v.get("type").and_then(Value::as_str) {
                    Some("auto") => json!("auto"),
                    Some("any") => json!("required"),
                    Some("none") => json!("none"),
                    Some("tool") => json!({"type": "function", "function": {"name": v.get("name")}}),
                    other => return Err(format!("unsupported tool_choice type {other:?}")),
                };
                if v.get("disable_parallel_tool_use").and_then(Value::as_bool) == Some(true) {
                    out.insert("parallel_tool_calls".into(), json!(false));
                }
                out.insert("tool_choice".into(), choice);
            }
            // temperature, top_p, top_k, thinking, ... as they are
            _ => {
                out.insert(k, v);
            }
        }
    }
    Ok((out, stream))
}

// ---------------------------------------------------------------------------------------------
// response: OpenAI chat -> Anthropic
// ---------------------------------------------------------------------------------------------

fn stop_reason(finish: Option<&str>) -> Value {
    match finish {
        None => Value::Null,
        Some("length") => json!("max_tokens"),
        Some("tool_calls" | "function_call") => json!("tool_use"),
        Some("content_filter") => json!("refusal"),
        Some(_) => json!("end_turn"),
    }
}

/// OpenAI usage as Anthropic's (cached prompt tokens are counted apart, as Anthropic does).
fn usage(u: Option<&Value>) -> Value {
    let n = |p: &str| u.and_then(|u| u.pointer(p)).and_then(Value::as_u64).unwrap_or(0);
    let cached = n("/prompt_tokens_details/cached_tokens").max(n("/cache_read_input_tokens"));
    let created = n("/cache_creation_input_tokens");
    json!({
        "input_tokens": n("/prompt_tokens").saturating_sub(cached + created),
        "output_tokens": n("/completion_tokens"),
        "cache_read_input_tokens": cached,
        "cache_creation_input_tokens": created,
    })
}

fn message_id(id: Option<&str>) -> String {
    match id {
        Some(id) if id.starts_with("msg_") => id.to_owned(),
        Some(id) => format!("msg_{}", id.trim_start_matches("chatcmpl-")),
        None => crate::util::new_id("msg_"),
    }
}

fn tool_input(arguments: &str) -> Value {
    serde_json::from_str(arguments).unwrap_or_else(|_| json!({}))
}

/// An OpenAI chat completion as an Anthropic `message`.
pub fn from_chat(resp: &Value) -> Value {
    let choice = resp.pointer("/choices/0");
    let msg = choice.and_then(|c| c.get("message"));
    let mut content = Vec::new();
    for t in msg.and_then(|m| m.get("thinking_blocks")).and_then(Value::as_array).into_iter().flatten() {
        content.push(t.clone());
    }
    if content.is_empty()
        && let Some(r) = msg.and_then(|m| m.get("reasoning_content")).and_then(Value::as_str)
        && !r.is_empty()
    {
        content.push(json!({"type": "thinking", "thinking": r, "signature": ""}));
    }
    if let Some(text) = msg.and_then(|m| m.get("content")).and_then(Value::as_str)
        && !text.is_empty()
    {
        content.push(json!({"type": "text", "text": text}));
    }
    for call in msg.and_then(|m| m.get("tool_calls")).and_then(Value::as_array).into_iter().flatten() {
        content.push(json!({
            "type": "tool_use",
            "id": call.get("id").cloned().unwrap_or_else(|| json!(crate::util::new_id("toolu_"))),
            "name": call.pointer("/function/name").cloned().unwrap_or(Value::Null),
            "input": tool_input(call.pointer("/function/arguments").and_then(Value::as_str).unwrap_or("{}")),
        }));
    }
    json!({
        "id": message_id(resp.get("id").and_then(Value::as_str)),
        "type": "message",
        "role": "assistant",
        "model": resp.get("model").cloned().unwrap_or(Value::Null),
        "content": content,
        "stop_reason": stop_reason(choice.and_then(|c| c.get("finish_reason")).and_then(Value::as_str)),
        "stop_sequence": Value::Null,
        "usage": usage(resp.get("usage")),
    })
}

/// What kind of content block is open in a stream.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Open {
    Text,
    Thinking,
    /// A tool call, by its OpenAI index.
    Tool(u64),
}

/// OpenAI chunks in, Anthropic stream events out.
#[derive(Debug, Default)]
pub struct StreamAdapter {
    started: bool,
    open: Option<Open>,
    /// The Anthropic index of the next block.
    next: u64,
    stop: Option<String>,
    usage: Option<Value>,
    model: Value,
    ended: bool,
}

fn event(out: &mut Vec<u8>, name: &str, data: &Value) {
    out.extend_from_slice(b"event: ");
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\ndata: ");
    out.extend_from_slice(data.to_string().as_bytes());
    out.extend_from_slice(b"\n\n");
}

impl StreamAdapter {
    fn start(&mut self, chunk: &Value, out: &mut Vec<u8>) {
        if self.started {
            return;
        }
        self.started = true;
        self.model = chunk.get("model").cloned().unwrap_or(Value::Null);
        let message = json!({
            "id": message_id(chunk.get("id").and_then(Value::as_str)),
            "type": "message",
            "role": "assistant",
            "model": self.model,
            "content": [],
            "stop_reason": Value::Null,
            "stop_sequence": Value::Null,
            "usage": {"input_tokens": 0, "output_tokens": 0},
        });
        event(out, "message_start", &json!({"type": "message_start", "message": message}));
    }

    fn close(&mut self, out: &mut Vec<u8>) {
        if self.open.take().is_some() {
            event(out, "content_block_stop", &json!({"type": "content_block_stop", "index": self.next - 1}));
        }
    }

    /// Opens a block of `kind` unless it is the one open.
    fn ensure(&mut self, kind: Open, block: Value, out: &mut Vec<u8>) {
        if self.open == Some(kind) {
            return;
        }
        self.close(out);
        self.open = Some(kind);
        let index = self.next;
        self.next += 1;
        event(
            out,
            "content_block_start",
            &json!({"type": "content_block_start", "index": index, "content_block": block}),
        );
    }

    fn delta(&self, delta: Value, out: &mut Vec<u8>) {
        let index = self.next - 1;
        event(out, "content_block_delta", &json!({"type": "content_block_delta", "index": index, "delta": delta}));
    }

    /// One OpenAI chunk: the events it makes.
    pub fn feed(&mut self, chunk: &Value, out: &mut Vec<u8>) {
        self.start(chunk, out);
        if let Some(u) = chunk.get("usage").filter(|u| u.is_object()) {
            self.usage = Some(u.clone());
        }
        let Some(choice) = chunk.pointer("/choices/0") else { return };
        let delta = choice.get("delta");
        let get = |k: &str| delta.and_then(|d| d.get(k));
        if let Some(r) = get("reasoning_content").and_then(Value::as_str).filter(|r| !r.is_empty()) {
            self.ensure(Open::Thinking, json!({"type": "thinking", "thinking": "", "signature": ""}), out);
            self.delta(json!({"type": "thinking_delta", "thinking": r}), out);
        }
        if let Some(t) = get("content").and_then(Value::as_str).filter(|t| !t.is_empty()) {
            self.ensure(Open::Text, json!({"type": "text", "text": ""}), out);
            self.delta(json!({"type": "text_delta", "text": t}), out);
        }
        for call in get("tool_calls").and_then(Value::as_array).into_iter().flatten() {
            let i = call.get("index").and_then(Value::as_u64).unwrap_or(0);
            if self.open != Some(Open::Tool(i)) {
                let block = json!({
                    "type": "tool_use",
                    "id": call.get("id").cloned().unwrap_or_else(|| json!(crate::util::new_id("toolu_"))),
                    "name": call.pointer("/function/name").cloned().unwrap_or(json!("")),
                    "input": {},
                });
                self.ensure(Open::Tool(i), block, out);
            }
            if let Some(args) = call.pointer("/function/arguments").and_then(Value::as_str).filter(|a| !a.is_empty()) {
                self.delta(json!({"type": "input_json_delta", "partial_json": args}), out);
            }
        }
        if let Some(f) = choice.get("finish_reason").and_then(Value::as_str) {
            self.stop = Some(f.to_owned());
        }
    }

    /// The end of the stream (after `[DONE]`, or when the upstream stream ended).
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        if self.ended {
            return;
        }
        self.ended = true;
        if !self.started {
            self.start(&Value::Null, out);
        }
        self.close(out);
        let u = usage(self.usage.as_ref());
        event(
            out,
            "message_delta",
            &json!({
                "type": "message_delta",
                "delta": {"stop_reason": stop_reason(Some(self.stop.as_deref().unwrap_or("stop"))), "stop_sequence": Value::Null},
                "usage": u,
            }),
        );
        event(out, "message_stop", &json!({"type": "message_stop"}));
    }

    /// An error inside the stream (Anthropic's `error` event).
    pub fn error(&mut self, body: &Value, out: &mut Vec<u8>) {
        self.ended = true;
        let message = body.pointer("/error/message").and_then(Value::as_str).unwrap_or("the stream failed");
        event(out, "error", &json!({"type": "error", "error": {"type": "api_error", "message": message}}));
    }
}

// ---------------------------------------------------------------------------------------------
// the route
// ---------------------------------------------------------------------------------------------

/// `POST /v1/messages`.
#[utoipa::path(post, path = "/v1/messages", tag = "llm", request_body = serde_json::Value, responses((status = 200, description = "An Anthropic `message` (or its stream of events with stream: true), from any configured model", body = serde_json::Value), (status = 400, description = "a bad request (Anthropic's error format)"), (status = 401, description = "no key, or a key that may not do this")))]
pub(super) async fn messages(State(st): St, Extension(caller): Extension<Caller>, body: Bytes) -> Response {
    let (chat, stream) = match to_chat(&body) {
        Ok(x) => x,
        Err(e) => return invalid(e),
    };
    let chat = match serde_json::to_vec(&chat) {
        Ok(b) => b,
        Err(e) => return invalid(e.to_string()),
    };
    let response = super::routes::chat_endpoint(st, &caller, Bytes::from(chat)).await;
    let (mut parts, body) = response.into_parts();
    if !parts.status.is_success() {
        let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap_or_default();
        let v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        let message = v.pointer("/error/message").and_then(Value::as_str).unwrap_or("the request failed");
        let mut r = anthropic_error(parts.status, error_kind(parts.status), message);
        for name in ["retry-after", "x-litellm-call-id"] {
            if let Some(h) = parts.headers.get(name) {
                r.headers_mut().insert(name, h.clone());
            }
        }
        return r;
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    if !stream {
        let bytes = axum::body::to_bytes(body, 64 << 20).await.unwrap_or_default();
        let v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        let out = serde_json::to_vec(&from_chat(&v)).unwrap_or_default();
        return Response::from_parts(parts, Body::from(out));
    }
    // the chat stream's SSE events, turned into Anthropic's as they come
    let mut adapter = StreamAdapter::default();
    let mut pending: Vec<u8> = Vec::new();
    let events = body.into_data_stream().map(move |piece| {
        let mut out = Vec::new();
        match piece {
            Ok(bytes) => {
                pending.extend_from_slice(&bytes);
                while let Some(end) = pending.windows(2).position(|w| w == b"\n\n") {
                    let line: Vec<u8> = pending.drain(..end + 2).collect();
                    let Some(data) = line.strip_prefix(b"data: ") else { continue };
                    let data = data.trim_ascii_end();
                    if data == b"[DONE]" {
                        adapter.finish(&mut out);
                    } else if let Ok(v) = serde_json::from_slice::<Value>(data) {
                        if v.get("error").is_some() {
                            adapter.error(&v, &mut out);
                        } else {
                            adapter.feed(&v, &mut out);
                        }
                    }
                }
            }
            Err(_) => adapter.error(&Value::Null, &mut out),
        }
        Ok::<_, Infallible>(Bytes::from(out))
    });
    parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    Response::from_parts(parts, Body::from_stream(events))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_with_system_tools_images_and_tool_results_becomes_a_chat_request() {
        let body = json!({
            "model": "claude-proxy",
            "max_tokens": 1024,
            "system": [{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}],
            "messages": [
                {"role": "user", "content": [
                    {"type": "text", "text": "What is in this image, and the weather in Paris?"},
                    {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}}
                ]},
                {"role": "assistant", "content": [
                    {"type": "text", "text": "Let me check."},
                    {"type": "tool_use", "id": "toolu_01A", "name": "get_weather", "input": {"city": "Paris"}}
                ]},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_01A", "content": [{"type": "text", "text": "18C, sunny"}]},
                    {"type": "text", "text": "Thanks"}
                ]}
            ],
            "tools": [{"name": "get_weather", "description": "Weather of a city",
                       "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}],
            "tool_choice": {"type": "any", "disable_parallel_tool_use": true},
            "stop_sequences": ["\n\nHuman:"],
            "metadata": {"user_id": "u-42"},
            "temperature": 0.2,
            "stream": true
        });
        let (chat, stream) = to_chat(body.to_string().as_bytes()).unwrap();
        assert!(stream);
        let chat = Value::Object(chat);
        assert_eq!(chat["model"], "claude-proxy");
        assert_eq!(chat["max_tokens"], 1024);
        assert_eq!(chat["stream_options"], json!({"include_usage": true}));
        assert_eq!(chat["stop"], json!(["\n\nHuman:"]));
        assert_eq!(chat["user"], "u-42");
        assert_eq!(chat["temperature"], 0.2);
        assert_eq!(chat["tool_choice"], "required");
        assert_eq!(chat["parallel_tool_calls"], false);
        assert_eq!(chat["tools"][0]["function"]["name"], "get_weather");
        assert_eq!(chat["tools"][0]["function"]["parameters"]["required"], json!(["city"]));
        let msgs = chat["messages"].as_array().unwrap();
        assert_eq!(msgs.len(), 5);
        assert_eq!(msgs[0]["role"], "system");
        assert_eq!(msgs[0]["content"][0]["cache_control"], json!({"type": "ephemeral"}));
        assert_eq!(msgs[1]["content"][1]["image_url"]["url"], "data:image/png;base64,iVBORw0KGgo=");
        assert_eq!(msgs[2]["tool_calls"][0]["id"], "toolu_01A");
        assert_eq!(msgs[2]["tool_calls"][0]["function"]["arguments"], "{\"city\":\"Paris\"}");
        assert_eq!(msgs[3], json!({"role": "tool", "tool_call_id": "toolu_01A", "content": "18C, sunny"}));
        assert_eq!(msgs[4]["content"][0]["text"], "Thanks");
    }

    #[test]
    fn bad_requests_say_what_is_missing() {
        assert!(to_chat(b"{\"model\": \"m\", \"messages\": []}").unwrap_err().contains("max_tokens"));
        assert!(to_chat(b"[]").unwrap_err().contains("JSON object"));
        let bad_role = json!({"model": "m", "max_tokens": 5, "messages": [{"role": "system", "content": "x"}]});
        assert!(to_chat(bad_role.to_string().as_bytes()).unwrap_err().contains("role"));
    }

    #[test]
    fn a_completion_with_a_tool_call_becomes_a_message() {
        let resp = json!({
            "id": "chatcmpl-abc123", "model": "gpt-4o-mini", "object": "chat.completion",
            "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
                "role": "assistant", "content": "Checking.",
                "tool_calls": [{"id": "call_1", "type": "function",
                                "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]}}],
            "usage": {"prompt_tokens": 30, "completion_tokens": 12, "total_tokens": 42,
                      "prompt_tokens_details": {"cached_tokens": 10}}
        });
        let m = from_chat(&resp);
        assert_eq!(m["id"], "msg_abc123");
        assert_eq!(m["type"], "message");
        assert_eq!(m["stop_reason"], "tool_use");
        assert_eq!(m["content"][0], json!({"type": "text", "text": "Checking."}));
        assert_eq!(m["content"][1]["input"], json!({"city": "Paris"}));
        assert_eq!(m["usage"]["input_tokens"], 20);
        assert_eq!(m["usage"]["cache_read_input_tokens"], 10);
        assert_eq!(m["usage"]["output_tokens"], 12);
    }

    fn events(out: &[u8]) -> Vec<(String, Value)> {
        String::from_utf8_lossy(out)
            .split("\n\n")
            .filter(|e| !e.is_empty())
            .map(|e| {
                let (name, data) = e.split_once('\n').unwrap();
                (name.trim_start_matches("event: ").to_owned(), serde_json::from_str(&data[6..]).unwrap())
            })
            .collect()
    }

    #[test]
    fn a_stream_of_chunks_becomes_anthropic_events() {
        let mut a = StreamAdapter::default();
        let mut out = Vec::new();
        let chunk = |delta: Value, finish: Value| json!({"id": "chatcmpl-x", "model": "gpt-4o-mini", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]});
        a.feed(&chunk(json!({"role": "assistant", "content": "Hel"}), Value::Null), &mut out);
        a.feed(&chunk(json!({"content": "lo"}), Value::Null), &mut out);
        a.feed(
            &chunk(
                json!({"tool_calls": [{"index": 0, "id": "call_9", "function": {"name": "f", "arguments": "{\"a\""}}]}),
                Value::Null,
            ),
            &mut out,
        );
        a.feed(
            &chunk(json!({"tool_calls": [{"index": 0, "function": {"arguments": ":1}"}}]}), json!("tool_calls")),
            &mut out,
        );
        a.feed(
            &json!({"id": "chatcmpl-x", "choices": [], "usage": {"prompt_tokens": 9, "completion_tokens": 4}}),
            &mut out,
        );
        a.finish(&mut out);
        let ev = events(&out);
        let names: Vec<&str> = ev.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "message_start",
                "content_block_start",
                "content_block_delta",
                "content_block_delta",
                "content_block_stop",
                "content_block_start",
                "content_block_delta",
                "content_block_delta",
                "content_block_stop",
                "message_delta",
                "message_stop"
            ]
        );
        assert_eq!(ev[0].1["message"]["id"], "msg_x");
        assert_eq!(ev[3].1["delta"], json!({"type": "text_delta", "text": "lo"}));
        assert_eq!(ev[5].1["index"], 1);
        assert_eq!(ev[5].1["content_block"]["id"], "call_9");
        assert_eq!(ev[7].1["delta"]["partial_json"], ":1}");
        assert_eq!(ev[9].1["delta"]["stop_reason"], "tool_use");
        assert_eq!(ev[9].1["usage"]["output_tokens"], 4);
        assert_eq!(ev[9].1["usage"]["input_tokens"], 9);
    }
}
