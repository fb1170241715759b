//! `GenerateContentResponse` (one body, or one SSE chunk of a stream) to the canonical
//! OpenAI-shaped types, following litellm's `VertexGeminiConfig` (`_process_candidates`,
//! `_calculate_usage`, `_check_finish_reason`, `ModelResponseIterator.chunk_parser`).

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::THOUGHT_SIGNATURE_SEPARATOR;
use crate::error::LlmError;
use crate::providers::StreamState;
use crate::types::{
    ChatChunk, ChatResponse, Choice, ChunkChoice, CompletionTokensDetails, Delta, Extra, FunctionCall, FunctionDelta,
    PromptTokensDetails, ResponseMessage, ToolCall, ToolCallDelta, Usage,
};

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GenerateContentResponse {
    #[serde(default)]
    pub candidates: Vec<Candidate>,
    #[serde(default)]
    pub prompt_feedback: Option<PromptFeedback>,
    #[serde(default)]
    pub usage_metadata: Option<UsageMetadata>,
    #[serde(default)]
    pub model_version: Option<String>,
    #[serde(default)]
    pub response_id: Option<String>,
    /// An error object sent with a 200 status (mid-stream quota errors).
    #[serde(default)]
    pub error: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Candidate {
    #[serde(default)]
    pub content: Option<CandidateContent>,
    #[serde(default)]
    pub finish_reason: Option<String>,
    #[serde(default)]
    pub index: Option<u32>,
    #[serde(default)]
    pub logprobs_result: Option<LogprobsResult>,
    #[serde(default)]
    pub grounding_metadata: Option<Value>,
    #[serde(default)]
    pub safety_ratings: Option<Value>,
    #[serde(default)]
    pub citation_metadata: Option<Value>,
    #[serde(default)]
    pub url_context_metadata: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
pub struct CandidateContent {
    #[serde(default)]
    pub parts: Vec<Part>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Part {
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub thought: Option<bool>,
    #[serde(default)]
    pub thought_signature: Option<String>,
    #[serde(default)]
    pub function_call: Option<FunctionCallPart>,
    #[serde(default)]
    pub inline_data: Option<InlineData>,
}

#[derive(Debug, Default, Deserialize)]
pub struct FunctionCallPart {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub args: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InlineData {
    #[serde(default)]
    pub mime_type: String,
    #[serde(default)]
    pub data: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PromptFeedback {
    #[serde(default)]
    pub block_reason: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogprobsResult {
    #[serde(default)]
    pub top_candidates: Vec<TopCandidates>,
    #[serde(default)]
    pub chosen_candidates: Vec<LogprobCandidate>,
}

#[derive(Debug, Default, Deserialize)]
pub struct TopCandidates {
    #[serde(default)]
    pub candidates: Vec<LogprobCandidate>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogprobCandidate {
    #[serde(default)]
    pub token: String,
    #[serde(default)]
    pub log_probability: f64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageMetadata {
    #[serde(default)]
    pub prompt_token_count: Option<u64>,
    #[serde(default)]
    pub candidates_token_count: Option<u64>,
    #[serde(default)]
    pub total_token_count: Option<u64>,
    #[serde(default)]
    pub cached_content_token_count: Option<u64>,
    #[serde(default)]
    pub thoughts_token_count: Option<u64>,
    #[serde(default)]
    pub prompt_tokens_details: Vec<ModalityCount>,
    #[serde(default)]
    pub cache_tokens_details: Vec<ModalityCount>,
    #[serde(default)]
    pub candidates_tokens_details: Vec<ModalityCount>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModalityCount {
    #[serde(default)]
    pub modality: String,
    #[serde(default)]
    pub token_count: u64,
}

/// Finish reasons that mean a safety or policy filter stopped the answer
/// (litellm's `get_flagged_finish_reasons`).
const FLAGGED: &[&str] =
    &["SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT"];

/// A Gemini finish reason the OpenAI way (litellm's `_FINISH_REASON_MAP` rows for Gemini).
pub fn map_finish_reason(reason: &str) -> &'static str {
    match reason {
        "MAX_TOKENS" => "length",
        "LANGUAGE" => "content_filter",
        r if FLAGGED.contains(&r) => "content_filter",
        _ => "stop",
    }
}

/// Serialises like Python's `json.dumps` (`", "` and `": "` separators), which is how litellm
/// writes tool call arguments.
struct PyJson;

impl serde_json::ser::Formatter for PyJson {
    fn begin_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W, first: bool) -> std::io::Result<()> {
        if first { Ok(()) } else { w.write_all(b", ") }
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(&mut self, w: &mut W, first: bool) -> std::io::Result<()> {
        if first { Ok(()) } else { w.write_all(b", ") }
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b": ")
    }
}

/// Tool call arguments as litellm writes them (`json.dumps(args)`).
pub fn arguments_json(args: &Value) -> String {
    let mut out = Vec::with_capacity(64);
    let mut ser = serde_json::Serializer::with_formatter(&mut out, PyJson);
    if serde::Serialize::serialize(args, &mut ser).is_err() {
        return "{}".into();
    }
    String::from_utf8(out).unwrap_or_else(|_| "{}".into())
}

/// A new tool call id: `call_` and 28 hex digits (litellm's `call_{uuid4().hex[:28]}`).
fn tool_call_id(signature: Option<&str>) -> String {
    let mut id = format!("call_{:016x}{:012x}", fastrand::u64(..), fastrand::u64(..) & 0xffff_ffff_ffff);
    if let Some(sig) = signature {
        id.push_str(THOUGHT_SIGNATURE_SEPARATOR);
        id.push_str(sig);
    }
    id
}

/// One tool call read from a `functionCall` part.
struct Call {
    id: String,
    name: String,
    arguments: String,
    signature: Option<String>,
}

/// The parts of one candidate, sorted into the OpenAI message fields.
#[derive(Default)]
struct Collected {
    text: Option<String>,
    reasoning: Option<String>,
    calls: Vec<Call>,
    thinking_blocks: Vec<Value>,
    signatures: Vec<Value>,
    images: Vec<Value>,
}

fn collect(parts: Vec<Part>) -> Collected {
    let mut c = Collected::default();
    for p in parts {
        if let Some(sig) = &p.thought_signature {
            c.signatures.push(Value::String(sig.clone()));
        }
        if let Some(fc) = p.function_call {
            let arguments = fc.args.as_ref().map_or_else(|| "{}".into(), arguments_json);
            c.calls.push(Call {
                id: tool_call_id(p.thought_signature.as_deref()),
                name: fc.name,
                arguments,
                signature: p.thought_signature,
            });
            continue;
        }
        if let Some(blob) = p.inline_data {
            if blob.mime_type.starts_with("image/") {
                c.images.push(json!({
                    "image_url": {"url": format!("data:{};base64,{}", blob.mime_type, blob.data), "detail": "auto"},
                    "index": c.images.len(),
                    "type": "image_url",
                }));
            } else if !blob.mime_type.starts_with("audio/") {
                c.text
                    .get_or_insert_with(String::new)
                    .push_str(&format!("data:{};base64,{}", blob.mime_type, blob.data));
            }
            continue;
        }
        let Some(text) = p.text else {
            continue;
        };
        if p.thought == Some(true) {
            let mut block = Map::new();
            block.insert("type".into(), json!("thinking"));
            block.insert("thinking".into(), Value::String(text.clone()));
            if let Some(sig) = p.thought_signature {
                block.insert("signature".into(), Value::String(sig));
            }
            c.thinking_blocks.push(Value::Object(block));
            if !text.is_empty() {
                c.reasoning.get_or_insert_with(String::new).push_str(&text);
            }
        } else if !text.is_empty() {
            c.text.get_or_insert_with(String::new).push_str(&text);
        }
    }
    c
}

/// `logprobsResult` as OpenAI's `choice.logprobs` (litellm's `_transform_logprobs`).
fn logprobs(lp: LogprobsResult) -> Option<Value> {
    if lp.chosen_candidates.is_empty() {
        return None;
    }
    let content: Vec<Value> = lp
        .chosen_candidates
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let top: Vec<Value> = lp
                .top_candidates
                .get(i)
                .map(|t| t.candidates.iter().map(|o| json!({"token": o.token, "logprob": o.log_probability})).collect())
                .unwrap_or_default();
            json!({"token": c.token, "logprob": c.log_probability, "top_logprobs": top})
        })
        .collect();
    Some(json!({ "content": content }))
}

/// Grounding supports with a web source as OpenAI `url_citation` annotations.
fn annotations(grounding: &Value) -> Vec<Value> {
    let chunks = grounding.get("groundingChunks").and_then(Value::as_array);
    let mut out = Vec::new();
    for s in grounding.get("groundingSupports").and_then(Value::as_array).into_iter().flatten() {
        let seg = s.get("segment");
        let (Some(start), Some(end)) = (
            seg.and_then(|g| g.get("startIndex")).and_then(Value::as_u64),
            seg.and_then(|g| g.get("endIndex")).and_then(Value::as_u64),
        ) else {
            continue;
        };
        let first =
            s.get("groundingChunkIndices").and_then(Value::as_array).and_then(|a| a.first()).and_then(Value::as_u64);
        let web = first.and_then(|i| chunks.and_then(|c| c.get(i as usize))).and_then(|c| c.get("web"));
        if let Some(web) = web {
            out.push(json!({
                "type": "url_citation",
                "url_citation": {
                    "start_index": start,
                    "end_index": end,
                    "url": web.get("uri").cloned().unwrap_or(json!("")),
                    "title": web.get("title").cloned().unwrap_or(json!("")),
                },
            }));
        }
    }
    out
}

/// `usageMetadata` as OpenAI usage (litellm's `_calculate_usage`): completion tokens include the
/// thinking tokens (added to `candidatesTokenCount` unless Google already counted them in it),
/// cached prompt tokens (implicit or explicit caching) in `prompt_tokens_details.cached_tokens`,
/// per-modality prompt counts net of the cached ones.
pub fn usage(u: &UsageMetadata) -> Usage {
    let prompt = u.prompt_token_count.unwrap_or(0);
    let candidates = u.candidates_token_count.unwrap_or(0);
    let thoughts = u.thoughts_token_count.unwrap_or(0);
    let inclusive = u.total_token_count.is_some_and(|t| prompt + candidates == t);
    let completion = if inclusive { candidates } else { candidates + thoughts };
    let total = u.total_token_count.unwrap_or(prompt + completion);

    let sum = |list: &[ModalityCount], modality: &str| -> Option<u64> {
        let mut found = None;
        for d in list {
            let m = d.modality.to_ascii_uppercase();
            if m == modality || (modality == "TEXT" && m == "DOCUMENT") {
                *found.get_or_insert(0) += d.token_count;
            }
        }
        found
    };
    let cached = u.cached_content_token_count;
    let mut prompt_details = PromptTokensDetails { cached_tokens: cached, ..PromptTokensDetails::default() };
    let explicit_cache = !u.cache_tokens_details.is_empty();
    for (modality, key) in
        [("TEXT", "text_tokens"), ("AUDIO", "audio_tokens"), ("IMAGE", "image_tokens"), ("VIDEO", "video_tokens")]
    {
        let Some(mut n) = sum(&u.prompt_tokens_details, modality) else {
            continue;
        };
        if explicit_cache {
            n = n.saturating_sub(sum(&u.cache_tokens_details, modality).unwrap_or(0));
        } else if modality == "TEXT" {
            // Implicit caching reports only a total; litellm takes it off the text tokens (#16341).
            n = n.saturating_sub(cached.unwrap_or(0));
        }
        if key == "audio_tokens" {
            prompt_details.audio_tokens = Some(n);
        } else {
            prompt_details.extra.insert(key.into(), json!(n));
        }
    }

    let mut completion_details = CompletionTokensDetails::default();
    let mut any_completion_detail = false;
    if thoughts > 0 || u.thoughts_token_count.is_some() {
        completion_details.reasoning_tokens = Some(thoughts);
        any_completion_detail = true;
    }
    if candidates > 0 || !u.candidates_tokens_details.is_empty() {
        let image = sum(&u.candidates_tokens_details, "IMAGE");
        let audio = sum(&u.candidates_tokens_details, "AUDIO");
        let video = sum(&u.candidates_tokens_details, "VIDEO");
        let text = sum(&u.candidates_tokens_details, "TEXT")
            .unwrap_or_else(|| candidates.saturating_sub(image.unwrap_or(0) + audio.unwrap_or(0) + video.unwrap_or(0)));
        completion_details.extra.insert("text_tokens".into(), json!(text));
        if let Some(i) = image {
            completion_details.extra.insert("image_tokens".into(), json!(i));
        }
        if let Some(v) = video {
            completion_details.extra.insert("video_tokens".into(), json!(v));
        }
        completion_details.audio_tokens = audio;
        any_completion_detail = true;
    }

    let has_prompt_details = prompt_details.cached_tokens.is_some()
        || prompt_details.audio_tokens.is_some()
        || !prompt_details.extra.is_empty();
    let mut extra = Extra::new();
    if let Some(c) = cached {
        // litellm also reports cache reads under the Anthropic name.
        extra.insert("cache_read_input_tokens".into(), json!(c));
    }
    Usage {
        prompt_tokens: prompt,
        completion_tokens: completion,
        total_tokens: total,
        prompt_tokens_details: has_prompt_details.then_some(prompt_details),
        completion_tokens_details: any_completion_detail.then_some(completion_details),
        extra,
    }
}

/// An error object Google sent inside a 200 answer (or a stream chunk).
fn embedded_error(provider: &str, err: &Value) -> LlmError {
    let status = err.get("code").and_then(Value::as_u64).filter(|c| (400..600).contains(c)).unwrap_or(500) as u16;
    let body = serde_json::to_vec(&json!({ "error": err })).unwrap_or_default();
    super::map_google_error(provider, status, Vec::new(), &body, "")
}

fn parse(body: &[u8], what: &str) -> Result<GenerateContentResponse, LlmError> {
    crate::providers::openai_compat::parse_json(body, what)
}

/// The message extras litellm sets: `thinking_blocks`, `provider_specific_fields.thought_signatures`,
/// `images`, `annotations`.
fn message_extra(c: &mut Collected, grounding: Option<&Value>, stream: bool) -> Extra {
    let mut extra = Extra::new();
    // Whole answers always carry `thinking_blocks` and `images` (empty lists when none), as in
    // litellm; stream deltas carry thinking blocks only when one holds a signature (litellm sends
    // none in deltas; a signed one is needed for the next turn).
    if !stream || c.thinking_blocks.iter().any(|b| b.get("signature").is_some()) {
        extra.insert("thinking_blocks".into(), Value::Array(std::mem::take(&mut c.thinking_blocks)));
    }
    if !stream {
        extra.insert("images".into(), Value::Array(std::mem::take(&mut c.images)));
    }
    if !c.signatures.is_empty() {
        extra.insert(
            "provider_specific_fields".into(),
            json!({ "thought_signatures": std::mem::take(&mut c.signatures) }),
        );
    }
    if stream && !c.images.is_empty() {
        extra.insert("images".into(), Value::Array(std::mem::take(&mut c.images)));
    }
    if let Some(g) = grounding {
        let a = annotations(g);
        if !a.is_empty() {
            extra.insert("annotations".into(), Value::Array(a));
        }
    }
    extra
}

fn signature_fields(sig: &Option<String>) -> Extra {
    let mut e = Extra::new();
    if let Some(s) = sig {
        e.insert("provider_specific_fields".into(), json!({ "thought_signature": s }));
    }
    e
}

/// A whole `generateContent` answer as a chat completion. `provider` names the provider in
/// errors (`"gemini"`, `"vertex_ai"`); `model` is the requested model, used when the answer names
/// none (`modelVersion`).
pub fn parse_response(provider: &str, body: &[u8], model: &str) -> Result<ChatResponse, LlmError> {
    let r = parse(body, "generateContent response")?;
    if let Some(err) = &r.error
        && r.candidates.is_empty()
    {
        return Err(embedded_error(provider, err));
    }
    let mut resp = ChatResponse {
        id: r.response_id.clone().filter(|s| !s.is_empty()).unwrap_or_else(|| crate::util::new_id("chatcmpl-")),
        object: "chat.completion".into(),
        created: crate::types::unix_now(),
        model: r.model_version.clone().filter(|m| !m.is_empty()).unwrap_or_else(|| model.to_owned()),
        usage: r.usage_metadata.as_ref().map(usage),
        ..ChatResponse::default()
    };
    let blocked = r.prompt_feedback.as_ref().and_then(|f| f.block_reason.as_ref()).is_some();
    if blocked || r.candidates.is_empty() {
        // The prompt was refused before generation: litellm answers with an empty
        // content_filter choice, not an exception.
        resp.choices.push(Choice {
            index: 0,
            message: ResponseMessage::default(),
            finish_reason: Some(if blocked { "content_filter" } else { "stop" }.into()),
            ..Choice::default()
        });
        return Ok(resp);
    }
    let mut grounding = Vec::new();
    let mut safety = Vec::new();
    let mut citations = Vec::new();
    let mut url_context = Vec::new();
    let mut next_tool_index = 0u32;
    for (i, cand) in r.candidates.into_iter().enumerate() {
        let index = cand.index.unwrap_or(i as u32);
        grounding.extend(cand.grounding_metadata.clone());
        safety.extend(cand.safety_ratings);
        citations.extend(cand.citation_metadata);
        url_context.extend(cand.url_context_metadata);
        let raw_finish = cand.finish_reason.as_deref();
        if raw_finish.is_some_and(|f| FLAGGED.contains(&f)) {
            // litellm drops what was generated when a filter stopped the candidate.
            resp.choices.push(Choice {
                index,
                message: ResponseMessage::default(),
                finish_reason: Some("content_filter".into()),
                ..Choice::default()
            });
            continue;
        }
        let mut c = collect(cand.content.map(|c| c.parts).unwrap_or_default());
        let tool_calls = (!c.calls.is_empty()).then(|| {
            std::mem::take(&mut c.calls)
                .into_iter()
                .map(|call| {
                    let mut extra = signature_fields(&call.signature);
                    extra.insert("index".into(), json!(next_tool_index));
                    next_tool_index += 1;
                    ToolCall {
                        id: Some(call.id),
                        kind: "function".into(),
                        function: FunctionCall { name: call.name, arguments: call.arguments },
                        extra,
                    }
                })
                .collect::<Vec<_>>()
        });
        let finish = if tool_calls.is_some() { "tool_calls" } else { raw_finish.map_or("stop", map_finish_reason) };
        let extra = message_extra(&mut c, cand.grounding_metadata.as_ref(), false);
        let mut choice_extra = Extra::new();
        if let Some(raw) = raw_finish {
            choice_extra.insert("provider_specific_fields".into(), json!({ "native_finish_reason": raw }));
        }
        resp.choices.push(Choice {
            index,
            message: ResponseMessage {
                role: "assistant".into(),
                content: c.text,
                tool_calls,
                function_call: None,
                reasoning_content: c.reasoning,
                extra,
            },
            finish_reason: Some(finish.into()),
            logprobs: cand.logprobs_result.and_then(logprobs),
            extra: choice_extra,
        });
    }
    // litellm's count of the Google searches a grounded answer made (billed by the cost map)
    if let (Some(n), Some(u)) = (web_search_requests(&grounding), resp.usage.as_mut()) {
        count_searches(u, n);
    }
    resp.extra.insert("vertex_ai_grounding_metadata".into(), Value::Array(grounding));
    resp.extra.insert("vertex_ai_url_context_metadata".into(), Value::Array(url_context));
    resp.extra.insert("vertex_ai_safety_results".into(), Value::Array(safety));
    resp.extra.insert("vertex_ai_citation_metadata".into(), Value::Array(citations));
    Ok(resp)
}

fn count_searches(u: &mut Usage, n: u64) {
    u.prompt_tokens_details.get_or_insert_with(Default::default).extra.insert("web_search_requests".into(), n.into());
}

/// The Google searches of a grounded answer, as litellm counts them: the distinct non-empty
/// `webSearchQueries` of the candidates' grounding metadata (not those of Maps grounding).
fn web_search_requests(grounding: &[Value]) -> Option<u64> {
    let mut queries = std::collections::BTreeSet::new();
    for item in grounding {
        let kinds: Vec<&String> = item
            .get("groundingChunks")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_object)
            .flat_map(|c| c.keys())
            .collect();
        let maps = kinds.iter().any(|k| *k == "maps") || item.get("googleMapsWidgetContextToken").is_some();
        if maps && !kinds.iter().any(|k| *k == "web") {
            continue;
        }
        let found = item.get("webSearchQueries").and_then(Value::as_array).into_iter().flatten();
        queries.extend(found.filter_map(Value::as_str).filter(|q| !q.is_empty()));
    }
    (!queries.is_empty()).then_some(queries.len() as u64)
}

/// One SSE event of `streamGenerateContent?alt=sse` as zero or more chunks. Gemini sends no
/// `[DONE]`: a finish reason (or a blocked prompt) marks the stream finished, so a clean close
/// after it is not a truncation. With `include_usage`, a usage chunk (no choices) follows the
/// chunk that finishes.
pub fn parse_stream_event(provider: &str, state: &mut StreamState, data: &str) -> Result<Vec<ChatChunk>, LlmError> {
    let data = data.trim();
    if data.is_empty() {
        return Ok(Vec::new());
    }
    if data == "[DONE]" {
        state.done = true;
        return Ok(Vec::new());
    }
    let r = parse(data.as_bytes(), "stream chunk")?;
    if let Some(err) = &r.error {
        return Err(embedded_error(provider, err));
    }
    if state.id.is_empty()
        && let Some(id) = r.response_id.as_ref().filter(|s| !s.is_empty())
    {
        state.id.clone_from(id);
    }
    if state.model.is_empty()
        && let Some(m) = &r.model_version
    {
        state.model.clone_from(m);
    }

    let mut choices = Vec::new();
    let mut finished_now = false;
    if r.prompt_feedback.as_ref().and_then(|f| f.block_reason.as_ref()).is_some() {
        choices.push(ChunkChoice {
            index: 0,
            delta: Delta { role: Some("assistant".into()), ..Delta::default() },
            finish_reason: Some("content_filter".into()),
            ..ChunkChoice::default()
        });
        state.role_sent = true;
        finished_now = true;
    }
    for (i, cand) in r.candidates.into_iter().enumerate() {
        let index = cand.index.unwrap_or(i as u32);
        let mut c = collect(cand.content.map(|c| c.parts).unwrap_or_default());
        let mut delta = Delta { content: c.text.take(), reasoning_content: c.reasoning.take(), ..Delta::default() };
        if !c.calls.is_empty() {
            let calls = std::mem::take(&mut c.calls);
            delta.tool_calls = Some(
                calls
                    .into_iter()
                    .map(|call| {
                        let index = state.tool_calls;
                        state.tool_calls += 1;
                        ToolCallDelta {
                            index,
                            id: Some(call.id),
                            kind: Some("function".into()),
                            function: Some(FunctionDelta { name: Some(call.name), arguments: Some(call.arguments) }),
                        }
                    })
                    .collect(),
            );
        }
        delta.extra = message_extra(&mut c, cand.grounding_metadata.as_ref(), true);
        state.grounding.extend(cand.grounding_metadata.clone());
        let finish = cand.finish_reason.as_deref().map(|f| {
            let mapped = map_finish_reason(f);
            // Gemini sends the function calls and the finish reason in separate chunks.
            if mapped == "stop" && state.tool_calls > 0 { "tool_calls" } else { mapped }
        });
        let empty = delta.content.is_none()
            && delta.reasoning_content.is_none()
            && delta.tool_calls.is_none()
            && delta.extra.is_empty();
        if empty && finish.is_none() && cand.logprobs_result.is_none() {
            continue;
        }
        if !state.role_sent {
            delta.role = Some("assistant".into());
            state.role_sent = true;
        }
        if finish.is_some() {
            finished_now = true;
        }
        choices.push(ChunkChoice {
            index,
            delta,
            finish_reason: finish.map(str::to_owned),
            logprobs: cand.logprobs_result.and_then(logprobs),
            extra: Extra::new(),
        });
    }
    if finished_now {
        state.finished = true;
    }
    // Usage is reported once, after the finish (Google repeats running counts on every chunk).
    let mut usage = if state.include_usage && state.finished { r.usage_metadata.as_ref().map(usage) } else { None };
    if let (Some(n), Some(u)) = (web_search_requests(&state.grounding), usage.as_mut()) {
        count_searches(u, n);
    }

    if choices.is_empty() && usage.is_none() {
        return Ok(Vec::new());
    }
    if state.id.is_empty() {
        state.id = crate::util::new_id("chatcmpl-");
    }
    if state.created == 0 {
        state.created = crate::types::unix_now();
    }
    let chunk = |choices: Vec<ChunkChoice>, usage: Option<Usage>| ChatChunk {
        id: state.id.clone(),
        object: "chat.completion.chunk".into(),
        created: state.created,
        model: state.model.clone(),
        system_fingerprint: None,
        choices,
        usage,
        extra: Extra::new(),
    };
    let mut out = Vec::with_capacity(2);
    if !choices.is_empty() {
        out.push(chunk(choices, None));
    }
    if usage.is_some() {
        out.push(chunk(Vec::new(), usage));
    }
    Ok(out)
}
