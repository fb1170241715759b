//! The Converse API: request body, response and ConverseStream events, translated to and from the
//! canonical OpenAI shapes the way litellm does it.

use serde_json::{Map, Value, json};

use super::{base_model, errors};
use crate::error::{ErrorKind, LlmError};
use crate::providers::{CallTarget, StreamState, params_to_drop};
use crate::types::{
    ChatChunk, ChatRequest, ChatResponse, Choice, ChunkChoice, CompletionTokensDetails, Content, ContentPart, Delta,
    FunctionCall, FunctionDelta, Message, PromptTokensDetails, ResponseMessage, Role, ToolCall, ToolCallDelta, Usage,
};

/// The tool litellm adds for `response_format` when the schema has no name.
pub const JSON_TOOL: &str = "json_tool_call";
/// litellm's default max tokens added to a thinking budget when the caller set none.
const DEFAULT_MAX_TOKENS: u64 = 4096;
/// Bedrock rejects thinking budgets under this.
const MIN_THINKING_BUDGET: u64 = 1024;

/// OpenAI parameters Converse takes.
pub fn supported(p: &str) -> bool {
    matches!(
        p,
        "stream"
            | "stream_options"
            | "max_tokens"
            | "max_completion_tokens"
            | "stop"
            | "temperature"
            | "top_p"
            | "response_format"
            | "tools"
            | "tool_choice"
            | "parallel_tool_calls"
            | "reasoning_effort"
    )
}

/// Top-level Converse fields that pass through from the caller's extra parameters.
const TOP_LEVEL: &[&str] = &[
    "guardrailConfig",
    "performanceConfig",
    "requestMetadata",
    "additionalModelResponseFieldPaths",
    "promptVariables",
];

/// Extra parameters that steer translation and are not forwarded.
const HANDLED: &[&str] = &["thinking", "top_k", "topK", "model_id", "reasoning_effort", "parallel_tool_calls"];

fn bad(msg: impl Into<String>) -> LlmError {
    LlmError::bad_request(msg)
}

/// The json tool's name when `response_format` asks for JSON (json_object / json_schema).
pub fn json_tool(req: &ChatRequest) -> Option<(String, Value, Option<String>)> {
    let rf = req.response_format.as_ref()?;
    match rf.get("type").and_then(Value::as_str) {
        Some("json_schema") => {
            let js = rf.get("json_schema");
            let name = js.and_then(|j| j.get("name")).and_then(Value::as_str).filter(|n| !n.is_empty());
            let schema = js.and_then(|j| j.get("schema")).cloned();
            let desc = js.and_then(|j| j.get("description")).and_then(Value::as_str).map(str::to_owned);
            Some((name.unwrap_or(JSON_TOOL).to_owned(), schema.unwrap_or_else(open_schema), desc))
        }
        Some("json_object") => {
            let schema = rf.get("response_schema").cloned().unwrap_or_else(open_schema);
            Some((JSON_TOOL.to_owned(), schema, None))
        }
        _ => None,
    }
}

fn open_schema() -> Value {
    json!({"type": "object", "additionalProperties": true, "properties": {}})
}

/// `thinking` from the caller, or mapped from `reasoning_effort` (litellm's budgets for Claude).
fn thinking(req: &ChatRequest) -> Option<Value> {
    if let Some(t) = req.extra.get("thinking").filter(|t| !t.is_null()) {
        let mut t = t.clone();
        if t.get("budget_tokens").and_then(Value::as_u64).is_some_and(|b| b < MIN_THINKING_BUDGET) {
            t["budget_tokens"] = json!(MIN_THINKING_BUDGET);
        }
        return Some(t);
    }
    let budget = match req.extra.get("reasoning_effort").and_then(Value::as_str)? {
        "minimal" | "low" => 1024,
        "medium" => 2048,
        "high" => 4096,
        "xhigh" => 8192,
        "max" => 16384,
        "none" => return None,
        _ => 2048,
    };
    Some(json!({"type": "enabled", "budget_tokens": budget}))
}

fn thinking_enabled(t: &Option<Value>) -> bool {
    t.as_ref().and_then(|t| t.get("type")).and_then(Value::as_str).is_some_and(|k| k == "enabled" || k == "adaptive")
}

/// Builds the Converse body (also used for ConverseStream: the body is the same).
pub fn build_body(req: &ChatRequest, target: &CallTarget, model_id: &str) -> Result<Value, LlmError> {
    let skip = params_to_drop("bedrock", req.set_params(), supported, target)?;
    let skipped = |p: &str| skip.iter().any(|s| s == p);
    let base = base_model(model_id);
    let anthropic = base.starts_with("anthropic");

    let (system, messages) = messages(&req.messages)?;
    let mut body = Map::new();
    body.insert("messages".into(), Value::Array(messages));

    // inferenceConfig
    let mut inference = Map::new();
    let thinking =
        if skipped("reasoning_effort") && !req.extra.contains_key("thinking") { None } else { thinking(req) };
    let max_tokens = req
        .max_completion_tokens
        .filter(|_| !skipped("max_completion_tokens"))
        .or(req.max_tokens.filter(|_| !skipped("max_tokens")));
    match max_tokens {
        Some(m) => {
            inference.insert("maxTokens".into(), json!(m));
        }
        None => {
            if let Some(b) = thinking.as_ref().and_then(|t| t.get("budget_tokens")).and_then(Value::as_u64) {
                inference.insert("maxTokens".into(), json!(b + DEFAULT_MAX_TOKENS));
            }
        }
    }
    if let Some(t) = req.temperature.as_ref().filter(|_| !skipped("temperature")) {
        inference.insert("temperature".into(), t.clone());
    }
    if let Some(t) = req.top_p.as_ref().filter(|_| !skipped("top_p")) {
        inference.insert("topP".into(), t.clone());
    }
    if let Some(stop) = req.stop.as_ref().filter(|_| !skipped("stop")) {
        match stop {
            Value::String(s) if s.is_empty() => {}
            Value::String(s) => {
                inference.insert("stopSequences".into(), json!([s]));
            }
            Value::Array(a) => {
                inference.insert("stopSequences".into(), Value::Array(a.clone()));
            }
            Value::Null => {}
            other => return Err(bad(format!("bedrock: `stop` must be a string or a list of strings, got {other}"))),
        }
    }

    // additionalModelRequestFields
    let mut additional = Map::new();
    if let Some(t) = &thinking {
        additional.insert("thinking".into(), t.clone());
    }
    if let Some(k) = req.extra.get("top_k").or_else(|| req.extra.get("topK")) {
        if base.starts_with("amazon.nova") {
            additional.insert("inferenceConfig".into(), json!({"topK": k}));
        } else {
            additional.insert("top_k".into(), k.clone());
        }
    }
    if anthropic
        && !skipped("parallel_tool_calls")
        && let Some(p) = req.extra.get("parallel_tool_calls").and_then(Value::as_bool)
    {
        additional.insert("tool_choice".into(), json!({"type": "auto", "disable_parallel_tool_use": !p}));
    }

    // tools
    let mut tools: Vec<Value> = Vec::new();
    if !skipped("tools") {
        for t in req.tools.iter().flatten() {
            tools.push(tool_spec(t)?);
        }
    }
    let mut tool_choice = None;
    if let Some(tc) = req.tool_choice.as_ref().filter(|_| !skipped("tool_choice")) {
        tool_choice = tool_choice_block(tc, target)?;
    }
    if !skipped("response_format")
        && let Some((name, schema, desc)) = json_tool(req)
    {
        let mut spec = json!({"name": name, "inputSchema": {"json": schema}});
        if let Some(d) = desc {
            spec["description"] = json!(d);
        }
        tools.push(json!({"toolSpec": spec}));
        if !thinking_enabled(&thinking) {
            tool_choice = Some(json!({"tool": {"name": name}}));
        }
    }
    if thinking_enabled(&thinking)
        && let Some(tc) = &tool_choice
        && (tc.get("any").is_some() || tc.get("tool").is_some())
    {
        // Forced tool use is refused while reasoning; litellm falls back to auto.
        tool_choice = Some(json!({"auto": {}}));
    }

    // Every other provider-specific extra goes to additionalModelRequestFields, as litellm does.
    for (k, v) in &req.extra {
        if TOP_LEVEL.contains(&k.as_str())
            || HANDLED.contains(&k.as_str())
            || crate::types::OPENAI_CHAT_PARAMS.contains(&k.as_str())
            || skipped(k)
        {
            continue;
        }
        additional.insert(k.clone(), v.clone());
    }

    if !additional.is_empty() {
        // litellm leaves the field out when there is nothing model-specific to send
        body.insert("additionalModelRequestFields".into(), Value::Object(additional));
    }
    body.insert("system".into(), Value::Array(system));
    body.insert("inferenceConfig".into(), Value::Object(inference));
    for k in TOP_LEVEL {
        if let Some(v) = req.extra.get(*k) {
            body.insert((*k).to_owned(), v.clone());
        }
    }
    if !tools.is_empty() {
        let mut cfg = json!({ "tools": tools });
        if let Some(tc) = tool_choice {
            cfg["toolChoice"] = tc;
        }
        body.insert("toolConfig".into(), cfg);
    } else if has_tool_blocks(&req.messages) {
        return Err(LlmError::new(
            ErrorKind::UnsupportedParams,
            "Bedrock doesn't support tool calling without `tools=` param specified. Pass `tools=` param.",
        ));
    }
    if let Some(extra) = &target.extra_body {
        for (k, v) in extra {
            body.insert(k.clone(), v.clone());
        }
    }
    Ok(Value::Object(body))
}

fn has_tool_blocks(messages: &[Message]) -> bool {
    messages.iter().any(|m| m.role == Role::Tool || m.tool_calls.as_ref().is_some_and(|t| !t.is_empty()))
}

fn tool_spec(t: &crate::types::Tool) -> Result<Value, LlmError> {
    if t.kind != "function" {
        return Err(bad(format!("bedrock: tools of type '{}' are not supported", t.kind)));
    }
    let f = t.function.as_ref().ok_or_else(|| bad("bedrock: a function tool needs `function`"))?;
    let name = f.get("name").and_then(Value::as_str).ok_or_else(|| bad("bedrock: a tool needs a name"))?;
    let params = f
        .get("parameters")
        .filter(|p| !p.is_null())
        .cloned()
        .unwrap_or_else(|| json!({"type": "object", "properties": {}}));
    let mut spec = json!({"name": name});
    if let Some(d) = f.get("description").and_then(Value::as_str).filter(|d| !d.is_empty()) {
        spec["description"] = json!(d);
    }
    spec["inputSchema"] = json!({ "json": params });
    Ok(json!({ "toolSpec": spec }))
}

fn tool_choice_block(tc: &Value, target: &CallTarget) -> Result<Option<Value>, LlmError> {
    match tc {
        Value::String(s) if s == "auto" => Ok(Some(json!({"auto": {}}))),
        Value::String(s) if s == "required" || s == "any" => Ok(Some(json!({"any": {}}))),
        Value::String(s) if s == "none" => {
            if target.drop_params {
                Ok(None)
            } else {
                Err(LlmError::new(
                    ErrorKind::UnsupportedParams,
                    "Bedrock doesn't support tool_choice=none. To drop it from the call, set `litellm_rs.drop_params = True`.",
                ))
            }
        }
        Value::Object(o) => {
            let name = o
                .get("function")
                .and_then(|f| f.get("name"))
                .or_else(|| o.get("name"))
                .and_then(Value::as_str)
                .ok_or_else(|| bad("bedrock: tool_choice needs function.name"))?;
            Ok(Some(json!({"tool": {"name": name}})))
        }
        other => Err(LlmError::new(
            ErrorKind::UnsupportedParams,
            format!(
                "Bedrock doesn't support tool_choice={other}. Supported tool_choice values=['auto', 'required', json object]."
            ),
        )),
    }
}

/// Splits system messages out and converts the rest to Converse messages, merging consecutive
/// messages of one role (tool results join the user turn), as Bedrock needs alternating roles.
fn messages(msgs: &[Message]) -> Result<(Vec<Value>, Vec<Value>), LlmError> {
    let mut system = Vec::new();
    let mut out: Vec<(Role, Vec<Value>)> = Vec::new();
    for m in msgs {
        match m.role {
            Role::System | Role::Developer => {
                match &m.content {
                    Some(Content::Text(t)) if !t.is_empty() => system.push(json!({ "text": t })),
                    Some(Content::Parts(parts)) => {
                        for p in parts {
                            if let Some(t) = p.as_text().filter(|t| !t.is_empty()) {
                                system.push(json!({ "text": t }));
                                if part_has_cache_control(p) {
                                    system.push(cache_point());
                                }
                            }
                        }
                    }
                    _ => {}
                }
                if m.extra.contains_key("cache_control") {
                    system.push(cache_point());
                }
            }
            Role::User => {
                let blocks = user_blocks(m)?;
                push(&mut out, Role::User, blocks);
            }
            Role::Tool | Role::Function => {
                let id = m.tool_call_id.clone().or_else(|| m.name.clone()).unwrap_or_default();
                let content = match &m.content {
                    None => vec![json!({"text": ""})],
                    Some(Content::Text(t)) => vec![json!({ "text": t })],
                    Some(Content::Parts(parts)) => {
                        let mut c = Vec::new();
                        for p in parts {
                            c.extend(part_blocks(p, c.len())?);
                        }
                        c
                    }
                };
                push(&mut out, Role::User, vec![json!({"toolResult": {"toolUseId": id, "content": content}})]);
            }
            Role::Assistant => {
                let blocks = assistant_blocks(m)?;
                push(&mut out, Role::Assistant, blocks);
            }
        }
    }
    let messages = out
        .into_iter()
        .map(|(role, content)| json!({"role": if role == Role::User { "user" } else { "assistant" }, "content": content}))
        .collect();
    Ok((system, messages))
}

fn push(out: &mut Vec<(Role, Vec<Value>)>, role: Role, blocks: Vec<Value>) {
    match out.last_mut() {
        Some((r, content)) if *r == role => content.extend(blocks),
        _ => out.push((role, blocks)),
    }
}

fn cache_point() -> Value {
    json!({"cachePoint": {"type": "default"}})
}

fn part_has_cache_control(p: &ContentPart) -> bool {
    serde_json::to_value(p).ok().is_some_and(|v| v.get("cache_control").is_some())
}

fn user_blocks(m: &Message) -> Result<Vec<Value>, LlmError> {
    let mut blocks = Vec::new();
    match &m.content {
        None => {}
        Some(Content::Text(t)) => blocks.push(json!({ "text": t })),
        Some(Content::Parts(parts)) => {
            for p in parts {
                let n = blocks.len();
                blocks.extend(part_blocks(p, n)?);
            }
        }
    }
    if m.extra.contains_key("cache_control") {
        blocks.push(cache_point());
    }
    Ok(blocks)
}

fn assistant_blocks(m: &Message) -> Result<Vec<Value>, LlmError> {
    let mut blocks = Vec::new();
    for tb in m.extra.get("thinking_blocks").and_then(Value::as_array).into_iter().flatten() {
        match tb.get("type").and_then(Value::as_str) {
            Some("redacted_thinking") => {
                if let Some(d) = tb.get("data") {
                    blocks.push(json!({"reasoningContent": {"redactedContent": d}}));
                }
            }
            _ => {
                let mut rt = json!({"text": tb.get("thinking").and_then(Value::as_str).unwrap_or_default()});
                if let Some(sig) = tb.get("signature").and_then(Value::as_str) {
                    rt["signature"] = json!(sig);
                }
                blocks.push(json!({"reasoningContent": {"reasoningText": rt}}));
            }
        }
    }
    match &m.content {
        Some(Content::Text(t)) if !t.trim().is_empty() => blocks.push(json!({ "text": t })),
        Some(Content::Parts(parts)) => {
            for p in parts {
                if let Some(t) = p.as_text() {
                    if !t.trim().is_empty() {
                        blocks.push(json!({ "text": t }));
                    }
                } else {
                    let n = blocks.len();
                    blocks.extend(part_blocks(p, n)?);
                }
            }
        }
        _ => {}
    }
    for tc in m.tool_calls.iter().flatten() {
        let args = tc.function.arguments.trim();
        let input: Value = if args.is_empty() {
            json!({})
        } else {
            serde_json::from_str(args).map_err(|e| {
                bad(format!("bedrock: the arguments of tool call '{}' are not valid JSON: {e}", tc.function.name))
            })?
        };
        blocks.push(json!({"toolUse": {
            "toolUseId": tc.id.clone().unwrap_or_default(),
            "name": tc.function.name,
            "input": input,
        }}));
    }
    if m.extra.contains_key("cache_control") {
        blocks.push(cache_point());
    }
    Ok(blocks)
}

/// Image formats Converse takes, from a MIME type.
fn image_format(mime: &str) -> Option<&'static str> {
    match mime {
        "image/png" => Some("png"),
        "image/jpeg" | "image/jpg" => Some("jpeg"),
        "image/gif" => Some("gif"),
        "image/webp" => Some("webp"),
        _ => None,
    }
}

fn document_format(mime: &str) -> Option<&'static str> {
    match mime {
        "application/pdf" => Some("pdf"),
        "text/csv" => Some("csv"),
        "application/msword" => Some("doc"),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => Some("docx"),
        "application/vnd.ms-excel" => Some("xls"),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => Some("xlsx"),
        "text/html" => Some("html"),
        "text/plain" => Some("txt"),
        "text/markdown" => Some("md"),
        _ => None,
    }
}

/// A document name Bedrock accepts (letters, digits, spaces, hyphens, parentheses, brackets).
fn document_name(filename: Option<&str>, n: usize) -> String {
    let stem = filename.map(|f| f.rsplit_once('.').map_or(f, |(s, _)| s)).unwrap_or_default();
    let clean: String = stem
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || " -()[]".contains(c) { c } else { '-' })
        .collect::<String>()
        .trim()
        .to_owned();
    if clean.is_empty() { format!("Document{}", n + 1) } else { clean }
}

/// A `data:` URL as (mime, base64 payload).
fn data_url(url: &str) -> Option<(&str, &str)> {
    let rest = url.strip_prefix("data:")?;
    let (meta, data) = rest.split_once(',')?;
    let mime = meta.strip_suffix(";base64")?;
    Some((mime, data))
}

fn media_block(url: &str, filename: Option<&str>, n: usize) -> Result<Value, LlmError> {
    if let Some((mime, data)) = data_url(url) {
        if let Some(f) = image_format(mime) {
            return Ok(json!({"image": {"format": f, "source": {"bytes": data}}}));
        }
        if let Some(f) = document_format(mime) {
            return Ok(
                json!({"document": {"format": f, "name": document_name(filename, n), "source": {"bytes": data}}}),
            );
        }
        return Err(bad(format!(
            "bedrock: unsupported media type '{mime}' (images: png, jpeg, gif, webp; documents: pdf, csv, doc, docx, xls, xlsx, html, txt, md)"
        )));
    }
    if url.starts_with("s3://") {
        let ext = url.rsplit('.').next().unwrap_or_default().to_ascii_lowercase();
        let ext = if ext == "jpg" { "jpeg".to_owned() } else { ext };
        if ["png", "jpeg", "gif", "webp"].contains(&ext.as_str()) {
            return Ok(json!({"image": {"format": ext, "source": {"s3Location": {"uri": url}}}}));
        }
        return Ok(
            json!({"document": {"format": ext, "name": document_name(filename.or(url.rsplit('/').next()), n), "source": {"s3Location": {"uri": url}}}}),
        );
    }
    Err(bad(
        "bedrock: images and documents must be sent as base64 data URLs (data:image/png;base64,...) or s3:// URIs; \
         fetching http(s) URLs is not supported by litellm_rs for Bedrock yet",
    ))
}

fn part_blocks(p: &ContentPart, n: usize) -> Result<Vec<Value>, LlmError> {
    let v = serde_json::to_value(p).map_err(|e| bad(format!("bedrock: invalid content part: {e}")))?;
    let mut out = Vec::new();
    match v.get("type").and_then(Value::as_str) {
        Some("text") => {
            out.push(json!({ "text": v.get("text").cloned().unwrap_or_default() }));
            if v.get("cache_control").is_some() {
                out.push(cache_point());
            }
        }
        Some("image_url") => {
            let iu = v.get("image_url").cloned().unwrap_or_default();
            let url = iu.get("url").and_then(Value::as_str).or(iu.as_str()).unwrap_or_default();
            out.push(media_block(url, None, n)?);
        }
        Some("file") => {
            let file = v.get("file").cloned().unwrap_or_default();
            let filename = file.get("filename").and_then(Value::as_str);
            let url =
                file.get("file_data").or_else(|| file.get("file_id")).and_then(Value::as_str).ok_or_else(|| {
                    bad("bedrock: a file part needs file_data (a base64 data URL) or an s3:// file_id")
                })?;
            out.push(media_block(url, filename, n)?);
        }
        Some("input_audio") => return Err(bad("bedrock: input_audio content is not supported by Converse")),
        Some(other) => return Err(bad(format!("bedrock: content parts of type '{other}' are not supported"))),
        // A part without a type is taken as a Converse content block already.
        None => out.push(v),
    }
    Ok(out)
}

/// Bedrock stop reasons spelled the OpenAI way.
pub fn finish_reason(r: &str) -> &'static str {
    match r {
        "end_turn" | "stop_sequence" | "stop" => "stop",
        "max_tokens" | "model_context_window_exceeded" | "length" => "length",
        "tool_use" | "tool_calls" => "tool_calls",
        "guardrail_intervened" | "content_filtered" | "refusal" | "content_filter" => "content_filter",
        _ => "stop",
    }
}

/// Converse usage as OpenAI usage: prompt tokens include cache reads and writes; the
/// Anthropic-style `cache_read_input_tokens` / `cache_creation_input_tokens` ride along.
pub fn usage(u: &Value) -> Usage {
    let n = |k: &str| u.get(k).and_then(Value::as_u64).unwrap_or(0);
    let (input, output) = (n("inputTokens"), n("outputTokens"));
    let cache_read = n("cacheReadInputTokens").max(n("cacheReadInputTokenCount"));
    let cache_write = n("cacheWriteInputTokens").max(n("cacheWriteInputTokenCount"));
    let prompt = input + cache_read + cache_write;
    let total = u.get("totalTokens").and_then(Value::as_u64).unwrap_or(prompt + output);
    let mut ptd = PromptTokensDetails { cached_tokens: Some(cache_read), ..Default::default() };
    ptd.extra.insert("cache_creation_tokens".into(), json!(cache_write));
    ptd.extra.insert("text_tokens".into(), json!(input));
    let mut out = Usage {
        prompt_tokens: prompt,
        completion_tokens: output,
        total_tokens: total,
        prompt_tokens_details: Some(ptd),
        completion_tokens_details: None,
        ..Default::default()
    };
    out.extra.insert("cache_creation_input_tokens".into(), json!(cache_write));
    out.extra.insert("cache_read_input_tokens".into(), json!(cache_read));
    out
}

fn thinking_block(rc: &Value) -> Option<Value> {
    if let Some(rt) = rc.get("reasoningText") {
        let mut b = json!({"type": "thinking", "thinking": rt.get("text").and_then(Value::as_str).unwrap_or_default()});
        if let Some(sig) = rt.get("signature") {
            b["signature"] = sig.clone();
        }
        return Some(b);
    }
    rc.get("redactedContent").map(|d| json!({"type": "redacted_thinking", "data": d}))
}

/// A Converse response as a chat completion.
pub fn parse_response(body: &[u8], req: &ChatRequest, model_id: &str) -> Result<ChatResponse, LlmError> {
    let v: Value = crate::providers::openai_compat::parse_json(body, "Converse response")?;
    let content = v.pointer("/output/message/content").and_then(Value::as_array).cloned().unwrap_or_default();
    let mut text = String::new();
    let mut tool_calls = Vec::new();
    let mut reasoning: Option<String> = None;
    let mut thinking_blocks = Vec::new();
    let mut reasoning_blocks = Vec::new();
    for block in &content {
        if let Some(t) = block.get("text").and_then(Value::as_str) {
            text.push_str(t);
        }
        if let Some(tu) = block.get("toolUse") {
            tool_calls.push(ToolCall {
                id: tu.get("toolUseId").and_then(Value::as_str).map(str::to_owned),
                kind: "function".into(),
                function: FunctionCall {
                    name: tu.get("name").and_then(Value::as_str).unwrap_or_default().to_owned(),
                    arguments: tu.get("input").map_or_else(|| "{}".to_owned(), Value::to_string),
                },
                extra: Map::new(),
            });
        }
        if let Some(rc) = block.get("reasoningContent") {
            if let Some(t) = rc.pointer("/reasoningText/text").and_then(Value::as_str) {
                reasoning.get_or_insert_with(String::new).push_str(t);
            }
            thinking_blocks.extend(thinking_block(rc));
            reasoning_blocks.push(rc.clone());
        }
    }
    let mut message = ResponseMessage { reasoning_content: reasoning, ..Default::default() };
    let json_mode = json_tool(req).map(|(name, _, _)| name);
    if let Some(name) = &json_mode
        && tool_calls.len() == 1
        && &tool_calls[0].function.name == name
    {
        message.content = Some(tool_calls.remove(0).function.arguments);
    } else {
        message.content = if text.is_empty() && !tool_calls.is_empty() { None } else { Some(text) };
        if !tool_calls.is_empty() {
            message.tool_calls = Some(tool_calls);
        }
    }
    if !thinking_blocks.is_empty() {
        message.extra.insert("thinking_blocks".into(), Value::Array(thinking_blocks));
        message.extra.insert("provider_specific_fields".into(), json!({"reasoningContentBlocks": reasoning_blocks}));
    }
    let stop = v.get("stopReason").and_then(Value::as_str).unwrap_or("end_turn");
    let mut finish = finish_reason(stop).to_owned();
    if json_mode.is_some() && finish == "tool_calls" && message.tool_calls.is_none() {
        finish = "stop".into();
    }
    let mut resp = ChatResponse {
        id: crate::util::new_id("chatcmpl-"),
        object: "chat.completion".into(),
        created: crate::types::unix_now(),
        model: model_id.to_owned(),
        system_fingerprint: None,
        choices: vec![Choice { index: 0, message, finish_reason: Some(finish), logprobs: None, extra: Map::new() }],
        usage: v.get("usage").map(usage),
        extra: Map::new(),
    };
    if let Some(t) = v.get("trace") {
        resp.extra.insert("trace".into(), t.clone());
    }
    if let Some(u) = resp.usage.as_mut()
        && resp.choices[0].message.reasoning_content.is_some()
    {
        u.completion_tokens_details.get_or_insert_with(CompletionTokensDetails::default);
    }
    Ok(resp)
}

fn chunk(state: &mut StreamState, delta: Delta, finish: Option<String>) -> ChatChunk {
    let mut delta = delta;
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
        choices: vec![ChunkChoice { index: 0, delta, finish_reason: finish, logprobs: None, extra: Map::new() }],
        usage: None,
        extra: Map::new(),
    }
}

fn tool_index(state: &StreamState, block: u32) -> u32 {
    state.block_tools.iter().find(|(b, _)| *b == block).map_or(state.tool_calls.saturating_sub(1), |(_, t)| *t)
}

/// One ConverseStream event as chunks. Unknown events yield nothing; exceptions are errors.
pub fn parse_event(state: &mut StreamState, event: Option<&str>, data: &str) -> Result<Vec<ChatChunk>, LlmError> {
    let Some(event) = event else { return Ok(Vec::new()) };
    if event.ends_with("Exception") || event.ends_with("Error") || event == "InternalFailure" {
        return Err(errors::stream_exception(event, data));
    }
    if state.id.is_empty() {
        state.id = crate::util::new_id("chatcmpl-");
        state.created = crate::types::unix_now();
    }
    let v: Value = match serde_json::from_str(data) {
        Ok(v) => v,
        Err(_) => return Ok(Vec::new()),
    };
    let block = v.get("contentBlockIndex").and_then(Value::as_u64).unwrap_or(0) as u32;
    match event {
        "messageStart" => Ok(Vec::new()),
        "contentBlockStart" => {
            let Some(tu) = v.pointer("/start/toolUse") else { return Ok(Vec::new()) };
            let index = state.tool_calls;
            state.tool_calls += 1;
            state.block_tools.push((block, index));
            let delta = Delta {
                tool_calls: Some(vec![ToolCallDelta {
                    index,
                    id: tu.get("toolUseId").and_then(Value::as_str).map(str::to_owned),
                    kind: Some("function".into()),
                    function: Some(FunctionDelta {
                        name: tu.get("name").and_then(Value::as_str).map(str::to_owned),
                        arguments: Some(String::new()),
                    }),
                }]),
                ..Default::default()
            };
            Ok(vec![chunk(state, delta, None)])
        }
        "contentBlockDelta" => {
            let Some(d) = v.get("delta") else { return Ok(Vec::new()) };
            let mut delta = Delta::default();
            if let Some(t) = d.get("text").and_then(Value::as_str) {
                delta.content = Some(t.to_owned());
            } else if let Some(input) = d.pointer("/toolUse/input").and_then(Value::as_str) {
                delta.tool_calls = Some(vec![ToolCallDelta {
                    index: tool_index(state, block),
                    id: None,
                    kind: None,
                    function: Some(FunctionDelta { name: None, arguments: Some(input.to_owned()) }),
                }]);
            } else if let Some(rc) = d.get("reasoningContent") {
                if let Some(t) = rc.get("text").and_then(Value::as_str) {
                    delta.reasoning_content = Some(t.to_owned());
                    delta.extra.insert("thinking_blocks".into(), json!([{"type": "thinking", "thinking": t}]));
                } else if let Some(sig) = rc.get("signature") {
                    delta.extra.insert(
                        "thinking_blocks".into(),
                        json!([{"type": "thinking", "thinking": "", "signature": sig}]),
                    );
                } else if let Some(data) = rc.get("redactedContent") {
                    delta.extra.insert("thinking_blocks".into(), json!([{"type": "redacted_thinking", "data": data}]));
                } else {
                    return Ok(Vec::new());
                }
            } else {
                return Ok(Vec::new());
            }
            Ok(vec![chunk(state, delta, None)])
        }
        "contentBlockStop" => Ok(Vec::new()),
        "messageStop" => {
            let reason = finish_reason(v.get("stopReason").and_then(Value::as_str).unwrap_or("end_turn"));
            state.finished = true;
            Ok(vec![chunk(state, Delta::default(), Some(reason.to_owned()))])
        }
        "metadata" => {
            state.done = true;
            let Some(u) = v.get("usage") else { return Ok(Vec::new()) };
            let u = usage(u);
            state.usage = Some(u.clone());
            if !state.include_usage {
                return Ok(Vec::new());
            }
            let mut c = chunk(state, Delta::default(), None);
            c.choices.clear();
            c.usage = Some(u);
            Ok(vec![c])
        }
        _ => Ok(Vec::new()),
    }
}
