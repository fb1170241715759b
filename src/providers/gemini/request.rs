//! The `generateContent` request body, built from the borrowed canonical request (prompt text is
//! never copied). Independent of URL and auth, so Vertex AI sends the same body.

use std::borrow::Cow;
use std::collections::HashMap;

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::schema::{is_empty_object, to_gemini_schema};
use super::{THOUGHT_SIGNATURE_SEPARATOR, is_gemini_3, supports_json_schema_output};
use crate::error::{ErrorKind, LlmError};
use crate::types::{ChatRequest, Content, ContentPart, KnownPart, Message, Role, Tool, ToolCall};

/// Google's documented placeholder for a function call whose signature was lost (history from
/// another model); Gemini 3 rejects function calls without one. Base64 of
/// `skip_thought_signature_validator`, as litellm sends it.
pub const DUMMY_THOUGHT_SIGNATURE: &str = "c2tpcF90aG91Z2h0X3NpZ25hdHVyZV92YWxpZGF0b3I=";

/// How the body is built beyond the request itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct BodyOptions {
    /// Vertex AI (`labels` are sent) rather than Google AI Studio.
    pub vertex: bool,
    /// `drop_params`: parameters Gemini cannot honour are left out instead of raising.
    pub drop_params: bool,
}

/// Builds the JSON body of a `generateContent` / `streamGenerateContent` call. `skip` names the
/// parameters to leave out (from `params_to_drop`); `extra_body` is merged at top level, objects
/// merged key by key (as litellm does).
pub fn generate_content_body(
    req: &ChatRequest,
    skip: &[String],
    opts: BodyOptions,
    extra_body: Option<&Map<String, Value>>,
) -> Result<Vec<u8>, LlmError> {
    let body = build(req, skip, opts)?;
    let enc = |e: serde_json::Error| LlmError::bad_request(format!("cannot encode the request: {e}"));
    match extra_body.filter(|e| !e.is_empty()) {
        None => serde_json::to_vec(&body).map_err(enc),
        Some(extra) => {
            let mut v = serde_json::to_value(&body).map_err(enc)?;
            if let Value::Object(m) = &mut v {
                for (k, val) in extra {
                    match (m.get_mut(k), val) {
                        (Some(Value::Object(have)), Value::Object(add)) => {
                            for (ak, av) in add {
                                have.insert(ak.clone(), av.clone());
                            }
                        }
                        _ => {
                            m.insert(k.clone(), val.clone());
                        }
                    }
                }
            }
            serde_json::to_vec(&v).map_err(enc)
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Body<'a> {
    contents: Vec<GContent<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    system_instruction: Option<GContent<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tools: Vec<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_config: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    safety_settings: Option<&'a Value>,
    #[serde(skip_serializing_if = "Map::is_empty")]
    generation_config: Map<String, Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cached_content: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    labels: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    service_tier: Option<String>,
}

#[derive(Serialize)]
struct GContent<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<&'static str>,
    parts: Vec<Part<'a>>,
    /// Holds tool results: only other tool results merge into it (litellm sends the user's next
    /// message as its own content).
    #[serde(skip)]
    tool_results: bool,
}

#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
struct Part<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    thought: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    inline_data: Option<Blob<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    file_data: Option<FileData<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    function_call: Option<FunctionCallPart<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    function_response: Option<FunctionResponsePart<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    thought_signature: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    media_resolution: Option<Value>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Blob<'a> {
    mime_type: Cow<'a, str>,
    data: Cow<'a, str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FileData<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    mime_type: Option<Cow<'a, str>>,
    file_uri: Cow<'a, str>,
}

#[derive(Serialize)]
struct FunctionCallPart<'a> {
    name: &'a str,
    args: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
}

#[derive(Serialize)]
struct FunctionResponsePart<'a> {
    name: &'a str,
    response: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
}

fn bad(msg: impl Into<String>) -> LlmError {
    LlmError::bad_request(msg)
}

fn unsupported(msg: impl Into<String>) -> LlmError {
    LlmError::new(ErrorKind::UnsupportedParams, msg)
}

/// A parameter by name unless it is to be skipped (typed fields are read by the caller).
fn extra<'r>(req: &'r ChatRequest, skip: &[String], name: &str) -> Option<&'r Value> {
    if skip.iter().any(|s| s == name) {
        return None;
    }
    req.extra.get(name).filter(|v| !v.is_null())
}

fn kept<T>(v: Option<T>, skip: &[String], name: &str) -> Option<T> {
    if skip.iter().any(|s| s == name) { None } else { v }
}

fn build<'a>(req: &'a ChatRequest, skip: &[String], opts: BodyOptions) -> Result<Body<'a>, LlmError> {
    let model = req.model.as_str();
    if model.is_empty() {
        return Err(bad("gemini needs a model name"));
    }
    // Google AI Studio's Gemini 3 matches function responses to calls by id (litellm forwards the
    // tool call id there; Vertex AI and older models reject the field).
    let call_ids = !opts.vertex && is_gemini_3(model);
    let (mut contents, system) = contents(&req.messages, model, call_ids)?;
    if contents.is_empty() {
        // Gemini requires at least one content; litellm sends a blank user turn.
        contents.push(GContent { role: Some("user"), parts: vec![text_part(Cow::Borrowed(" "))], tool_results: false });
    }
    let tools = tools(req, skip)?;
    let mut tool_config = kept(req.tool_choice.as_ref(), skip, "tool_choice").map(tool_choice).transpose()?.flatten();
    if let Some(Value::Object(cfg)) = extra(req, skip, "tool_config").or_else(|| extra(req, skip, "toolConfig"))
        && let Value::Object(m) = tool_config.get_or_insert_with(|| json!({}))
    {
        for (k, v) in cfg {
            m.insert(k.clone(), v.clone());
        }
    }
    if let Some(Value::Bool(false)) = extra(req, skip, "parallel_tool_calls") {
        let declared =
            tools.iter().map(|t| t.get("functionDeclarations").and_then(Value::as_array).map_or(0, Vec::len));
        if declared.sum::<usize>() > 1 && !opts.drop_params {
            return Err(unsupported(
                "gemini does not support `parallel_tool_calls=False` when several tools are given. Give one tool, \
                 set `parallel_tool_calls=True`, or pass `drop_params=True` to leave it out.",
            ));
        }
    }
    // litellm's `_map_service_tier_param`: "auto" asks for priority, other tiers go lowercased.
    let service_tier = extra(req, skip, "service_tier")
        .and_then(Value::as_str)
        .map(|t| if t.eq_ignore_ascii_case("auto") { "priority".to_owned() } else { t.to_ascii_lowercase() });
    Ok(Body {
        contents,
        system_instruction: system,
        tools,
        tool_config,
        safety_settings: extra(req, skip, "safety_settings").or_else(|| extra(req, skip, "safetySettings")),
        generation_config: generation_config(req, skip)?,
        cached_content: extra(req, skip, "cached_content").or_else(|| extra(req, skip, "cachedContent")),
        labels: if opts.vertex { extra(req, skip, "labels") } else { None },
        service_tier,
    })
}

fn text_part(t: Cow<'_, str>) -> Part<'_> {
    Part { text: Some(t), ..Part::default() }
}

/// Appends parts under a role, merging with the previous content when the role (and the kind:
/// tool results or not) repeats.
fn push<'a>(contents: &mut Vec<GContent<'a>>, role: &'static str, tool_results: bool, mut parts: Vec<Part<'a>>) {
    if parts.is_empty() {
        return;
    }
    match contents.last_mut() {
        Some(last) if last.role == Some(role) && last.tool_results == tool_results => last.parts.append(&mut parts),
        _ => contents.push(GContent { role: Some(role), parts, tool_results }),
    }
}

/// A tool call id without the thought signature litellm may have appended to it.
fn base_id(id: &str) -> &str {
    id.split(THOUGHT_SIGNATURE_SEPARATOR).next().unwrap_or(id)
}

type Contents<'a> = (Vec<GContent<'a>>, Option<GContent<'a>>);

fn contents<'a>(messages: &'a [Message], model: &str, call_ids: bool) -> Result<Contents<'a>, LlmError> {
    let mut out: Vec<GContent<'a>> = Vec::with_capacity(messages.len());
    let mut system: Vec<Part<'a>> = Vec::new();
    // tool call id -> function name, for the functionResponse parts.
    let mut names: HashMap<&'a str, &'a str> = HashMap::new();
    for (i, m) in messages.iter().enumerate() {
        match m.role {
            Role::System | Role::Developer => {
                if let Some(c) = &m.content {
                    text_parts(c, &mut system);
                }
            }
            Role::User => {
                let mut parts = Vec::new();
                if let Some(c) = &m.content {
                    user_parts(c, model, i, &mut parts)?;
                }
                push(&mut out, "user", false, parts);
            }
            Role::Assistant => {
                for tc in m.tool_calls.iter().flatten() {
                    if let Some(id) = tc.id.as_deref() {
                        names.insert(id, tc.function.name.as_str());
                    }
                }
                push(&mut out, "model", false, assistant_parts(m, model, call_ids)?);
            }
            Role::Tool | Role::Function => {
                let part = tool_result(m, &names, i, call_ids)?;
                push(&mut out, "user", true, vec![part]);
            }
        }
    }
    let system = (!system.is_empty()).then_some(GContent { role: None, parts: system, tool_results: false });
    Ok((out, system))
}

/// The text of a content (string, or its text parts), as parts; empty text is left out.
fn text_parts<'a>(c: &'a Content, out: &mut Vec<Part<'a>>) {
    match c {
        Content::Text(s) if !s.is_empty() => out.push(text_part(Cow::Borrowed(s))),
        Content::Text(_) => {}
        Content::Parts(parts) => {
            out.extend(
                parts
                    .iter()
                    .filter_map(ContentPart::as_text)
                    .filter(|t| !t.is_empty())
                    .map(|t| text_part(Cow::Borrowed(t))),
            );
        }
    }
}

fn user_parts<'a>(c: &'a Content, model: &str, msg_index: usize, out: &mut Vec<Part<'a>>) -> Result<(), LlmError> {
    let parts = match c {
        Content::Text(_) => {
            text_parts(c, out);
            return Ok(());
        }
        Content::Parts(parts) => parts,
    };
    let s = |v: Option<&'a Value>| v.and_then(Value::as_str).filter(|s| !s.is_empty());
    for (j, p) in parts.iter().enumerate() {
        let ContentPart::Known(k) = p else {
            continue;
        };
        match k {
            KnownPart::Text { text, .. } => {
                if !text.is_empty() {
                    out.push(text_part(Cow::Borrowed(text)));
                }
            }
            KnownPart::ImageUrl { image_url, .. } => {
                let url = image_url.as_str().or_else(|| s(image_url.get("url"))).filter(|u| !u.is_empty());
                let Some(url) = url else {
                    return Err(bad(format!("messages[{msg_index}].content[{j}]: image_url needs a url")));
                };
                let mut part = media(url, s(image_url.get("format")), msg_index, j)?;
                if is_gemini_3(model) {
                    part.media_resolution = media_resolution(s(image_url.get("detail")));
                }
                out.push(part);
            }
            KnownPart::InputAudio { input_audio, .. } => {
                let Some(data) = s(input_audio.get("data")) else {
                    continue;
                };
                let format = s(input_audio.get("format"));
                if data.starts_with("data:") {
                    out.push(media(data, format, msg_index, j)?);
                    continue;
                }
                let Some(f) = format else {
                    return Err(bad(format!(
                        "messages[{msg_index}].content[{j}]: input_audio needs a format (e.g. \"wav\")"
                    )));
                };
                let mime_type = if f.contains('/') { Cow::Borrowed(f) } else { Cow::Owned(format!("audio/{f}")) };
                out.push(Part { inline_data: Some(Blob { mime_type, data: Cow::Borrowed(data) }), ..Part::default() });
            }
            KnownPart::File { file, .. } => {
                let Some(src) = s(file.get("file_id")).or_else(|| s(file.get("file_data"))) else {
                    return Err(bad(format!(
                        "messages[{msg_index}].content[{j}]: a file part needs file_data or file_id"
                    )));
                };
                let mut part = media(src, s(file.get("format")), msg_index, j)?;
                if is_gemini_3(model) {
                    part.media_resolution = media_resolution(s(file.get("detail")));
                }
                out.push(part);
            }
        }
    }
    Ok(())
}

fn media_resolution(detail: Option<&str>) -> Option<Value> {
    let level = match detail? {
        "low" => "MEDIA_RESOLUTION_LOW",
        "medium" => "MEDIA_RESOLUTION_MEDIUM",
        "high" => "MEDIA_RESOLUTION_HIGH",
        "ultra_high" => "MEDIA_RESOLUTION_ULTRA_HIGH",
        _ => return None,
    };
    Some(json!({ "level": level }))
}

/// An image, audio, video or document given as a data URL, a URL (https, http, gs, a Files API
/// name) or raw base64.
///
/// URLs become `fileData` with a MIME type from `format` or the file extension. litellm's AI
/// Studio path downloads https URLs and inlines the bytes; translation here does no I/O, and
/// Gemini fetches URLs given as `fileData` itself.
fn media<'a>(src: &'a str, format: Option<&'a str>, msg: usize, part: usize) -> Result<Part<'a>, LlmError> {
    if let Some(rest) = src.strip_prefix("data:") {
        let (meta, data) =
            rest.split_once(',').ok_or_else(|| bad(format!("messages[{msg}].content[{part}]: malformed data URL")))?;
        if !meta.split(';').any(|f| f.trim() == "base64") {
            return Err(bad(format!("messages[{msg}].content[{part}]: only base64 data URLs are supported")));
        }
        let declared = meta.split(';').next().unwrap_or("").trim();
        let mime =
            format.or((!declared.is_empty()).then_some(declared)).or_else(|| sniff_base64(data)).ok_or_else(|| {
                bad(format!("messages[{msg}].content[{part}]: the data URL has no MIME type; set `format`"))
            })?;
        return Ok(Part {
            inline_data: Some(Blob { mime_type: Cow::Borrowed(mime), data: Cow::Borrowed(data) }),
            ..Part::default()
        });
    }
    let lower = src.get(..8).unwrap_or(src).to_ascii_lowercase();
    if ["https://", "http://", "gs://", "files/"].iter().any(|p| lower.starts_with(p)) {
        let mime = format.or_else(|| mime_from_extension(src)).map(Cow::Borrowed);
        return Ok(Part {
            file_data: Some(FileData { mime_type: mime, file_uri: Cow::Borrowed(src) }),
            ..Part::default()
        });
    }
    let mime = format.or_else(|| sniff_base64(src)).ok_or_else(|| {
        bad(format!(
            "messages[{msg}].content[{part}]: cannot tell the MIME type of this data; pass a data URL or set `format`"
        ))
    })?;
    Ok(Part { inline_data: Some(Blob { mime_type: Cow::Borrowed(mime), data: Cow::Borrowed(src) }), ..Part::default() })
}

/// MIME types for the file extensions Gemini accepts (litellm's `_get_image_mime_type_from_url`,
/// extended with the other types Gemini documents).
pub fn mime_from_extension(url: &str) -> Option<&'static str> {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let ext = path.rsplit_once('.').map(|(_, e)| e)?.to_ascii_lowercase();
    Some(match ext.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "webp" => "image/webp",
        "gif" => "image/gif",
        "heic" => "image/heic",
        "heif" => "image/heif",
        "pdf" => "application/pdf",
        "txt" => "text/plain",
        "md" => "text/md",
        "csv" => "text/csv",
        "html" | "htm" => "text/html",
        "mp3" => "audio/mp3",
        "wav" => "audio/wav",
        "flac" => "audio/flac",
        "aac" => "audio/aac",
        "ogg" => "audio/ogg",
        "m4a" => "audio/m4a",
        "mp4" => "video/mp4",
        "mov" => "video/mov",
        "mpeg" | "mpg" => "video/mpeg",
        "avi" => "video/avi",
        "wmv" => "video/wmv",
        "flv" => "video/flv",
        "webm" => "video/webm",
        "3gp" | "3gpp" => "video/3gpp",
        _ => return None,
    })
}

/// The MIME type of base64 data from its first bytes (PNG, JPEG, GIF, WEBP, PDF).
fn sniff_base64(data: &str) -> Option<&'static str> {
    let d = data.trim_start();
    [
        ("iVBORw0KGgo", "image/png"),
        ("/9j/", "image/jpeg"),
        ("R0lGOD", "image/gif"),
        ("UklGR", "image/webp"),
        ("JVBERi0", "application/pdf"),
    ]
    .into_iter()
    .find(|(magic, _)| d.starts_with(magic))
    .map(|(_, m)| m)
}

/// The thought signature a tool call carries: `provider_specific_fields.thought_signature`, or
/// the one embedded in its id (`call_<hex>__thought__<signature>`, litellm's encoding for clients
/// that drop unknown fields).
fn tool_call_signature(tc: &ToolCall) -> Option<&str> {
    tc.extra
        .get("provider_specific_fields")
        .and_then(|p| p.get("thought_signature"))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .or_else(|| {
            tc.id
                .as_deref()
                .and_then(|id| id.split_once(THOUGHT_SIGNATURE_SEPARATOR))
                .map(|(_, s)| s)
                .filter(|s| !s.is_empty())
        })
}

fn parse_args(raw: &str, name: &str) -> Result<Value, LlmError> {
    if raw.trim().is_empty() {
        return Ok(json!({}));
    }
    serde_json::from_str(raw)
        .map_err(|e| bad(format!("the arguments of the tool call to `{name}` are not valid JSON ({e}): {raw}")))
}

/// The parts of an assistant turn, in the order Gemini produced them: thoughts, text, function
/// calls, each with the thought signature it came with.
fn assistant_parts<'a>(m: &'a Message, model: &str, call_ids: bool) -> Result<Vec<Part<'a>>, LlmError> {
    let mut parts = Vec::new();
    let mut used: Vec<&'a str> = Vec::new();
    let mut pending: Vec<&'a str> = Vec::new();

    let blocks = m.extra.get("thinking_blocks").and_then(Value::as_array);
    for b in blocks.into_iter().flatten() {
        if b.get("type").and_then(Value::as_str) != Some("thinking") {
            continue;
        }
        let text = b.get("thinking").and_then(Value::as_str).unwrap_or("");
        let sig = b.get("signature").and_then(Value::as_str).filter(|s| !s.is_empty());
        if let Some(s) = sig {
            used.push(s);
        }
        if text.is_empty() {
            pending.extend(sig);
            continue;
        }
        parts.push(Part {
            thought: Some(true),
            text: Some(Cow::Borrowed(text)),
            thought_signature: sig,
            ..Part::default()
        });
    }
    if parts.is_empty()
        && let Some(r) = m.extra.get("reasoning_content").and_then(Value::as_str).filter(|r| !r.is_empty())
    {
        parts.push(Part { thought: Some(true), text: Some(Cow::Borrowed(r)), ..Part::default() });
    }

    let tool_sigs: Vec<Option<&'a str>> = m.tool_calls.iter().flatten().map(tool_call_signature).collect();
    used.extend(tool_sigs.iter().flatten());
    let listed =
        m.extra.get("provider_specific_fields").and_then(|p| p.get("thought_signatures")).and_then(Value::as_array);
    for s in listed.into_iter().flatten().filter_map(Value::as_str) {
        if !used.contains(&s) && !pending.contains(&s) {
            pending.push(s);
        }
    }

    let mut pending = pending.into_iter();
    match &m.content {
        Some(Content::Text(s)) if !s.is_empty() => {
            parts.push(Part { text: Some(Cow::Borrowed(s)), thought_signature: pending.next(), ..Part::default() });
        }
        Some(Content::Parts(ps)) => {
            for t in ps.iter().filter_map(ContentPart::as_text).filter(|t| !t.is_empty()) {
                parts.push(Part { text: Some(Cow::Borrowed(t)), thought_signature: pending.next(), ..Part::default() });
            }
        }
        _ => {}
    }

    // Gemini 3 rejects a turn whose first function call has no signature; with none to send back
    // (history from another model), Google's placeholder goes on the first call.
    let unsigned = tool_sigs.iter().all(Option::is_none);
    let mut dummy = if is_gemini_3(model) && unsigned { Some(DUMMY_THOUGHT_SIGNATURE) } else { None };
    for (tc, sig) in m.tool_calls.iter().flatten().zip(tool_sigs) {
        parts.push(Part {
            function_call: Some(FunctionCallPart {
                name: &tc.function.name,
                args: parse_args(&tc.function.arguments, &tc.function.name)?,
                id: if call_ids { tc.id.as_deref().map(base_id).filter(|i| !i.is_empty()) } else { None },
            }),
            thought_signature: sig.or_else(|| dummy.take()),
            ..Part::default()
        });
    }
    if let Some(fc) = &m.function_call {
        parts.push(Part {
            function_call: Some(FunctionCallPart {
                name: &fc.name,
                args: parse_args(&fc.arguments, &fc.name)?,
                id: None,
            }),
            thought_signature: dummy.take(),
            ..Part::default()
        });
    }
    Ok(parts)
}

/// A tool (or legacy function) result as a `functionResponse`: the name from the matching tool
/// call; the response the result's JSON object, or `{"content": <text>}` (litellm's shape).
fn tool_result<'a>(
    m: &'a Message,
    names: &HashMap<&'a str, &'a str>,
    i: usize,
    call_ids: bool,
) -> Result<Part<'a>, LlmError> {
    let id = m.tool_call_id.as_deref();
    let name = id
        .and_then(|id| {
            names.get(id).copied().or_else(|| names.iter().find(|(k, _)| base_id(k) == base_id(id)).map(|(_, v)| *v))
        })
        .or(m.name.as_deref())
        .filter(|n| !n.is_empty())
        .ok_or_else(|| {
            bad(format!(
                "messages[{i}]: no assistant tool call matches this tool result (tool_call_id={}); Gemini needs the \
                 function name",
                id.unwrap_or("None")
            ))
        })?;
    let text: Cow<'_, str> = match &m.content {
        Some(Content::Text(s)) => Cow::Borrowed(s),
        Some(c @ Content::Parts(_)) => Cow::Owned(c.joined_text()),
        None => Cow::Borrowed(""),
    };
    let trimmed = text.trim_start();
    let response = match trimmed.starts_with('{').then(|| serde_json::from_str::<Value>(trimmed).ok()).flatten() {
        Some(obj @ Value::Object(_)) => obj,
        _ => json!({ "content": text }),
    };
    let id = if call_ids { id.map(base_id).filter(|i| !i.is_empty()) } else { None };
    Ok(Part { function_response: Some(FunctionResponsePart { name, response, id }), ..Part::default() })
}

fn declaration(f: &Value) -> Option<Value> {
    let name = f.get("name").and_then(Value::as_str)?;
    let mut d = Map::new();
    d.insert("name".into(), Value::String(name.to_owned()));
    if let Some(desc) = f.get("description").filter(|v| !v.is_null()) {
        d.insert("description".into(), desc.clone());
    }
    if let Some(params) = f.get("parameters").filter(|p| p.is_object()) {
        let schema = to_gemini_schema(params, false);
        if !is_empty_object(&schema) {
            d.insert("parameters".into(), schema);
        }
    }
    Some(Value::Object(d))
}

fn tools(req: &ChatRequest, skip: &[String]) -> Result<Vec<Value>, LlmError> {
    let mut decls: Vec<Value> = Vec::new();
    let mut special: Vec<Value> = Vec::new();
    for t in kept(req.tools.as_deref(), skip, "tools").into_iter().flatten() {
        tool(t, &mut decls, &mut special)?;
    }
    if let Some(Value::Array(fns)) = extra(req, skip, "functions") {
        for f in fns {
            decls.push(declaration(f).ok_or_else(|| bad("each of `functions` needs a name"))?);
        }
    }
    if extra(req, skip, "web_search_options").is_some_and(Value::is_object)
        && !special.iter().any(|s| s.get("googleSearch").is_some())
    {
        special.push(json!({"googleSearch": {}}));
    }
    let mut out = Vec::with_capacity(1 + special.len());
    if !decls.is_empty() {
        out.push(json!({ "functionDeclarations": decls }));
    }
    out.extend(special);
    Ok(out)
}

fn tool(t: &Tool, decls: &mut Vec<Value>, special: &mut Vec<Value>) -> Result<(), LlmError> {
    match (t.kind.as_str(), &t.function) {
        ("function", Some(f)) => {
            decls.push(declaration(f).ok_or_else(|| bad("each function tool needs `function.name`"))?);
        }
        ("web_search" | "web_search_preview", _) => special.push(json!({"googleSearch": {}})),
        _ if !t.extra.is_empty() => {
            // Gemini's own tools given as-is: {"googleSearch": {}}, {"codeExecution": {}}, {"urlContext": {}}.
            special.push(Value::Object(t.extra.clone()));
        }
        (kind, _) => return Err(bad(format!("gemini does not support tools of type `{kind}`"))),
    }
    Ok(())
}

/// `tool_choice` as `toolConfig.functionCallingConfig` (litellm's `map_tool_choice_values`).
fn tool_choice(tc: &Value) -> Result<Option<Value>, LlmError> {
    let mode = |m: &str| json!({ "functionCallingConfig": { "mode": m } });
    Ok(Some(match tc {
        Value::String(s) => match s.as_str() {
            "auto" => mode("AUTO"),
            "none" => mode("NONE"),
            "required" | "any" => mode("ANY"),
            other => {
                return Err(unsupported(format!(
                    "gemini does not support tool_choice={other:?}. Supported: \"auto\", \"none\", \"required\", or \
                     {{\"type\": \"function\", \"function\": {{\"name\": ...}}}}. Pass `drop_params=True` to leave it out."
                )));
            }
        },
        Value::Object(o) => {
            let name = o
                .get("function")
                .and_then(|f| f.get("name"))
                .or_else(|| o.get("name"))
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    unsupported("tool_choice needs {\"type\": \"function\", \"function\": {\"name\": ...}}")
                })?;
            json!({ "functionCallingConfig": { "mode": "ANY", "allowedFunctionNames": [name] } })
        }
        Value::Null => return Ok(None),
        other => return Err(unsupported(format!("gemini does not support tool_choice={other}"))),
    }))
}

/// GenerationConfig fields callers may pass directly (either spelling), sent as given.
const GENERATION_FIELDS: &[(&str, &str)] = &[
    ("top_k", "topK"),
    ("candidate_count", "candidateCount"),
    ("max_output_tokens", "maxOutputTokens"),
    ("stop_sequences", "stopSequences"),
    ("response_mime_type", "responseMimeType"),
    ("response_schema", "responseSchema"),
    ("response_json_schema", "responseJsonSchema"),
    ("response_modalities", "responseModalities"),
    ("response_logprobs", "responseLogprobs"),
    ("thinking_config", "thinkingConfig"),
    ("speech_config", "speechConfig"),
    ("image_config", "imageConfig"),
    ("media_resolution", "mediaResolution"),
    ("enable_enhanced_civic_answers", "enableEnhancedCivicAnswers"),
    ("audio_timestamp", "audioTimestamp"),
];

fn generation_config(req: &ChatRequest, skip: &[String]) -> Result<Map<String, Value>, LlmError> {
    let model = req.model.as_str();
    let mut g = Map::new();
    let mut put = |k: &str, v: Value| {
        g.insert(k.to_owned(), v);
    };
    if let Some(v) = kept(req.temperature.as_ref(), skip, "temperature") {
        put("temperature", v.clone());
    }
    if let Some(v) = kept(req.top_p.as_ref(), skip, "top_p") {
        put("topP", v.clone());
    }
    if let Some(n) = kept(req.n, skip, "n") {
        put("candidateCount", json!(n));
    }
    let max =
        kept(req.max_completion_tokens, skip, "max_completion_tokens").or(kept(req.max_tokens, skip, "max_tokens"));
    if let Some(m) = max {
        put("maxOutputTokens", json!(m));
    }
    match kept(req.stop.as_ref(), skip, "stop") {
        Some(Value::String(s)) => put("stopSequences", json!([s])),
        Some(v @ Value::Array(_)) => put("stopSequences", v.clone()),
        _ => {}
    }
    // Gemini 3 takes no penalties; litellm leaves them out silently.
    if !is_gemini_3(model) {
        if let Some(v) = extra(req, skip, "presence_penalty") {
            put("presencePenalty", v.clone());
        }
        if let Some(v) = extra(req, skip, "frequency_penalty") {
            put("frequencyPenalty", v.clone());
        }
    }
    if let Some(v) = extra(req, skip, "seed") {
        put("seed", v.clone());
    }
    if let Some(v) = extra(req, skip, "logprobs") {
        put("responseLogprobs", v.clone());
    }
    // Reached only where the provider takes `top_logprobs` (Vertex AI; AI Studio rejects it first).
    if let Some(v) = extra(req, skip, "top_logprobs") {
        put("logprobs", v.clone());
    }
    if let Some(Value::Array(mods)) = extra(req, skip, "modalities") {
        let m: Vec<Value> = mods
            .iter()
            .filter_map(Value::as_str)
            .map(|m| match m {
                "text" => "TEXT",
                "image" => "IMAGE",
                "audio" => "AUDIO",
                _ => "MODALITY_UNSPECIFIED",
            })
            .map(Value::from)
            .collect();
        put("responseModalities", Value::Array(m));
    }
    if let Some(rf) = kept(req.response_format.as_ref(), skip, "response_format") {
        response_format(rf, model, &mut g);
    }
    if let Some(effort) = extra(req, skip, "reasoning_effort") {
        let effort = effort.as_str().or_else(|| effort.get("effort").and_then(Value::as_str));
        if let Some(cfg) = effort.map(|e| reasoning_effort(e, model)).transpose()?.flatten() {
            g.insert("thinkingConfig".into(), cfg);
        }
    }
    if let Some(t) = extra(req, skip, "thinking") {
        g.insert("thinkingConfig".into(), thinking(t, model));
    }
    for (snake, camel) in GENERATION_FIELDS {
        if let Some(v) = extra(req, skip, snake).or_else(|| extra(req, skip, camel)) {
            g.insert((*camel).to_owned(), v.clone());
        }
    }
    if let Some(Value::Object(gc)) =
        extra(req, skip, "generation_config").or_else(|| extra(req, skip, "generationConfig"))
    {
        for (k, v) in gc {
            g.insert(k.clone(), v.clone());
        }
    }
    Ok(g)
}

/// `response_format`: `json_object` -> JSON MIME type; `json_schema` -> MIME type plus the schema,
/// as `responseJsonSchema` (standard JSON Schema) on Gemini 2.0+ and as the OpenAPI-style
/// `responseSchema` (with `propertyOrdering`) before, as litellm chooses.
fn response_format(rf: &Value, model: &str, g: &mut Map<String, Value>) {
    let kind = rf.get("type").and_then(Value::as_str);
    match kind {
        Some("json_object") => {
            g.insert("responseMimeType".into(), json!("application/json"));
        }
        Some("text") => {
            g.insert("responseMimeType".into(), json!("text/plain"));
        }
        _ => {}
    }
    let schema = rf
        .get("response_schema")
        .or_else(
            || if kind == Some("json_schema") { rf.get("json_schema").and_then(|j| j.get("schema")) } else { None },
        )
        .or_else(|| if kind == Some("json_object") { rf.get("schema") } else { None });
    if let Some(schema) = schema.filter(|s| s.is_object()) {
        g.insert("responseMimeType".into(), json!("application/json"));
        if supports_json_schema_output(model) {
            let mut s = schema.clone();
            if let Value::Object(o) = &mut s {
                o.remove("strict");
            }
            g.insert("responseJsonSchema".into(), s);
        } else {
            g.insert("responseSchema".into(), to_gemini_schema(schema, true));
        }
    }
}

/// litellm's budgets for `reasoning_effort` (`DEFAULT_REASONING_EFFORT_*_THINKING_BUDGET`).
fn minimal_budget(model: &str) -> i64 {
    let m = model.to_ascii_lowercase();
    if m.contains("gemini-2.5-flash-lite") {
        512
    } else if m.contains("gemini-2.5-pro") {
        128
    } else if m.contains("gemini-2.5-flash") {
        1
    } else {
        128
    }
}

/// `reasoning_effort` -> `thinkingConfig`: a `thinkingLevel` on Gemini 3, a `thinkingBudget`
/// before (litellm's `_map_reasoning_effort_to_thinking_level` / `_to_thinking_budget`, as
/// litellm 1.110.2 maps them: `medium` stays `medium` on every Gemini 3 model).
fn reasoning_effort(effort: &str, model: &str) -> Result<Option<Value>, LlmError> {
    if effort == "default" {
        return Ok(None);
    }
    if is_gemini_3(model) {
        let m = model.to_ascii_lowercase();
        let flash = m.contains("gemini-3-flash") || m.contains("gemini-3.1-flash");
        let (level, include) = match effort {
            "minimal" => (if flash { "minimal" } else { "low" }, true),
            "low" => ("low", true),
            "medium" => ("medium", true),
            "high" => ("high", true),
            "none" | "disable" => (if flash { "minimal" } else { "low" }, false),
            other => return Err(bad(format!("Invalid reasoning effort: {other}"))),
        };
        return Ok(Some(json!({ "thinkingLevel": level, "includeThoughts": include })));
    }
    let (budget, include) = match effort {
        "minimal" => (minimal_budget(model), true),
        "low" => (1024, true),
        "medium" => (2048, true),
        "high" => (4096, true),
        "none" | "disable" => (0, false),
        other => return Err(bad(format!("Invalid reasoning effort: {other}"))),
    };
    Ok(Some(json!({ "thinkingBudget": budget, "includeThoughts": include })))
}

/// Anthropic-style `thinking` (`{"type": "enabled", "budget_tokens": N}`) -> `thinkingConfig`
/// (litellm's `_map_thinking_param`; `{"type": "disabled"}` sends an empty config, as litellm).
fn thinking(t: &Value, model: &str) -> Value {
    let enabled = t.get("type").and_then(Value::as_str) == Some("enabled");
    let budget = t.get("budget_tokens").and_then(Value::as_i64);
    let mut cfg = Map::new();
    if is_gemini_3(model) {
        cfg.insert("includeThoughts".into(), Value::Bool(enabled && budget.is_some_and(|b| b != 0)));
    } else {
        if enabled && budget != Some(0) {
            cfg.insert("includeThoughts".into(), Value::Bool(true));
        }
        if let Some(b) = budget {
            cfg.insert("thinkingBudget".into(), json!(b));
        }
    }
    Value::Object(cfg)
}
