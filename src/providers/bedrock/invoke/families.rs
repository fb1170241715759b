//! Invoke bodies of the non-Anthropic model families, following each vendor's documented Bedrock
//! request/response schema (and litellm's prompt templates where the vendor takes a raw prompt):
//!
//! | family | request | response | stream chunk |
//! |---|---|---|---|
//! | Meta Llama (`meta.llama*`) | `prompt` (Llama 3 chat template), `max_gen_len`, `temperature`, `top_p` | `generation`, `prompt_token_count`, `generation_token_count`, `stop_reason` | same keys per chunk |
//! | Mistral (`mistral.*`) | `prompt` (`<s>[INST] … [/INST]`), `max_tokens`, `temperature`, `top_p`, `top_k`, `stop` | `outputs[0].text/stop_reason` (or chat `choices`) | `outputs[0]` |
//! | Titan text (`amazon.titan-text*`) | `inputText` (`User:`/`Bot:`), `textGenerationConfig{maxTokenCount,temperature,topP,stopSequences}` | `inputTextTokenCount`, `results[0].outputText/tokenCount/completionReason` | `outputText`, `completionReason` |
//! | Nova (`amazon.nova*`) | the Converse body (messages, system, inferenceConfig, toolConfig) | the Converse response | `{"<converse event>": payload}` |
//! | Cohere Command R (`cohere.command-r*`) | `message`, `chat_history`, `preamble`, `max_tokens`, `temperature`, `p`, `stop_sequences`, ... | `text`, `finish_reason` | `event_type` `text-generation` / `stream-end` |
//! | DeepSeek R1 (`deepseek.r1*`) | `prompt` (DeepSeek template ending in `<think>\n`), `max_tokens`, `temperature`, `top_p`, `stop` | `choices[0].text/stop_reason` (reasoning before `</think>`) | `choices[0]` or `generation` |
//!
//! Stream usage comes from `amazon-bedrock-invocationMetrics` on the last chunk.

use serde_json::{Map, Value, json};

use crate::error::LlmError;
use crate::providers::{CallTarget, StreamState, params_to_drop};
use crate::types::{
    ChatChunk, ChatRequest, ChatResponse, Choice, ChunkChoice, Delta, Message, ResponseMessage, Role, Usage,
};

use super::super::converse;

/// The vendor family of an invoke model id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Anthropic,
    Llama,
    Mistral,
    Titan,
    Nova,
    Cohere,
    DeepSeek,
}

impl Family {
    /// The family of a foundation model id (already without region prefix / ARN path).
    pub fn of(base: &str) -> Option<Family> {
        // Nova first: `amazon.nova-*` would otherwise look like Amazon Titan (as litellm does).
        if base.to_ascii_lowercase().contains("nova") {
            return Some(Family::Nova);
        }
        let f = if base.starts_with("anthropic.") {
            Family::Anthropic
        } else if base.starts_with("meta.") {
            Family::Llama
        } else if base.starts_with("mistral.") {
            Family::Mistral
        } else if base.starts_with("amazon.titan-text") {
            Family::Titan
        } else if base.starts_with("cohere.command-r") {
            Family::Cohere
        } else if base.starts_with("deepseek.") {
            Family::DeepSeek
        } else {
            return None;
        };
        Some(f)
    }

    pub fn name(self) -> &'static str {
        match self {
            Family::Anthropic => "anthropic",
            Family::Llama => "meta",
            Family::Mistral => "mistral",
            Family::Titan => "amazon titan",
            Family::Nova => "nova",
            Family::Cohere => "cohere",
            Family::DeepSeek => "deepseek_r1",
        }
    }

    /// The OpenAI parameters this family's invoke body takes.
    pub fn supports(self, p: &str) -> bool {
        const ALWAYS: &[&str] = &["stream", "stream_options", "max_tokens", "max_completion_tokens"];
        if ALWAYS.contains(&p) {
            return true;
        }
        match self {
            Family::Anthropic | Family::Nova => converse::supported(p),
            Family::Llama => matches!(p, "temperature" | "top_p"),
            Family::Mistral | Family::Titan | Family::DeepSeek => matches!(p, "temperature" | "top_p" | "stop"),
            Family::Cohere => {
                matches!(p, "temperature" | "top_p" | "stop" | "seed" | "frequency_penalty" | "presence_penalty")
            }
        }
    }
}

fn bad(msg: impl Into<String>) -> LlmError {
    let mut e = LlmError::bad_request(msg);
    e.provider = "bedrock".into();
    e
}

/// The text of a message; non-text parts cannot go into a text prompt.
fn text_of(m: &Message, family: Family) -> Result<String, LlmError> {
    match &m.content {
        None => Ok(String::new()),
        Some(c) if c.is_text_only() => Ok(c.joined_text()),
        Some(_) => Err(bad(format!(
            "bedrock/invoke ({}): this model takes a text prompt; image and document parts are not supported — use \
             the Converse route",
            family.name()
        ))),
    }
}

fn role_name(r: Role) -> &'static str {
    match r {
        Role::System | Role::Developer => "system",
        Role::User => "user",
        Role::Assistant => "assistant",
        Role::Tool | Role::Function => "tool",
    }
}

/// Meta's Llama 3 chat template (what litellm renders from the model's tokenizer config).
pub fn llama3_prompt(msgs: &[Message]) -> Result<String, LlmError> {
    let mut p = String::from("<|begin_of_text|>");
    for m in msgs {
        p.push_str("<|start_header_id|>");
        p.push_str(role_name(m.role));
        p.push_str("<|end_header_id|>\n\n");
        p.push_str(text_of(m, Family::Llama)?.trim());
        p.push_str("<|eot_id|>");
    }
    p.push_str("<|start_header_id|>assistant<|end_header_id|>\n\n");
    Ok(p)
}

/// Mistral's instruct template as litellm writes it.
pub fn mistral_prompt(msgs: &[Message]) -> Result<String, LlmError> {
    let mut p = String::from("<s>");
    for m in msgs {
        let t = text_of(m, Family::Mistral)?;
        match m.role {
            Role::System | Role::Developer => p.push_str(&format!("[INST] \n{t} [/INST]\n")),
            Role::Assistant => p.push_str(&format!(" {t}</s> ")),
            _ => p.push_str(&format!("[INST] {t} [/INST]\n")),
        }
    }
    Ok(p)
}

/// Titan's `User:` / `Bot:` prompt as litellm writes it.
pub fn titan_prompt(msgs: &[Message]) -> Result<String, LlmError> {
    let mut p = String::new();
    for (i, m) in msgs.iter().enumerate() {
        let t = text_of(m, Family::Titan)?;
        match m.role {
            Role::User | Role::Tool | Role::Function => p.push_str(&format!("\n\nUser: {t}")),
            Role::System | Role::Developer => p.push_str(&format!("\n\nUser: <admin>{t}</admin>")),
            Role::Assistant => {
                if i == 0 {
                    p.push_str("\n\nUser: ");
                }
                p.push_str(&format!("\n\nBot: {t}"));
            }
        }
    }
    if msgs.last().is_none_or(|m| m.role != Role::Assistant) {
        p.push_str("\n\nBot: ");
    }
    Ok(p)
}

/// DeepSeek R1's chat template (as in AWS's DeepSeek-R1 examples), opening the think block.
pub fn deepseek_prompt(msgs: &[Message]) -> Result<String, LlmError> {
    let mut p = String::from("<｜begin▁of▁sentence｜>");
    let mut system = Vec::new();
    for m in msgs.iter().filter(|m| matches!(m.role, Role::System | Role::Developer)) {
        system.push(text_of(m, Family::DeepSeek)?);
    }
    p.push_str(&system.join("\n\n"));
    for m in msgs {
        let t = text_of(m, Family::DeepSeek)?;
        match m.role {
            Role::System | Role::Developer => {}
            Role::Assistant => p.push_str(&format!("<｜Assistant｜>{t}<｜end▁of▁sentence｜>")),
            _ => p.push_str(&format!("<｜User｜>{t}")),
        }
    }
    p.push_str("<｜Assistant｜><think>\n");
    Ok(p)
}

/// Cohere Command R on Bedrock: the last user turn as `message`, earlier turns as `chat_history`,
/// system text as `preamble`.
fn cohere_messages(msgs: &[Message], out: &mut Map<String, Value>) -> Result<(), LlmError> {
    let mut preamble = Vec::new();
    let mut turns: Vec<(&str, String)> = Vec::new();
    for m in msgs {
        let t = text_of(m, Family::Cohere)?;
        match m.role {
            Role::System | Role::Developer => preamble.push(t),
            Role::Assistant => turns.push(("CHATBOT", t)),
            _ => turns.push(("USER", t)),
        }
    }
    let message = match turns.last() {
        Some(("USER", _)) => turns.pop().map(|(_, t)| t).unwrap_or_default(),
        _ => String::new(),
    };
    out.insert("message".into(), Value::String(message));
    if !turns.is_empty() {
        let hist = turns.into_iter().map(|(r, t)| json!({"role": r, "message": t})).collect();
        out.insert("chat_history".into(), Value::Array(hist));
    }
    if !preamble.is_empty() {
        out.insert("preamble".into(), Value::String(preamble.join("\n\n")));
    }
    Ok(())
}

fn stop_list(stop: &Option<Value>) -> Option<Value> {
    match stop {
        Some(Value::String(s)) => Some(json!([s])),
        Some(v @ Value::Array(_)) => Some(v.clone()),
        _ => None,
    }
}

/// The invoke body for a non-Anthropic family.
pub fn build_body(req: &ChatRequest, target: &CallTarget, family: Family, model_id: &str) -> Result<Value, LlmError> {
    let drop = params_to_drop("bedrock", req.set_params(), |p| family.supports(p), target)?;
    let mut req = req.clone();
    for p in &drop {
        req.remove_param(p);
    }
    let max = req.max_completion_tokens.or(req.max_tokens);
    let mut out = Map::new();
    let mut put = |k: &str, v: Option<Value>| {
        if let Some(v) = v {
            out.insert(k.to_owned(), v);
        }
    };
    match family {
        Family::Anthropic => unreachable!("Claude bodies are built by the Anthropic translation"),
        Family::Nova => {
            let mut body = converse::build_body(&req, target, model_id)?;
            if let Some(obj) = body.as_object_mut() {
                // InvokeModel takes only these keys (litellm filters the same way); empty system
                // lists are rejected.
                obj.retain(|k, _| matches!(k.as_str(), "messages" | "inferenceConfig" | "system" | "toolConfig"));
                if obj.get("system").and_then(Value::as_array).is_some_and(Vec::is_empty) {
                    obj.shift_remove("system");
                }
            }
            return Ok(body);
        }
        Family::Llama => {
            put("prompt", Some(Value::String(llama3_prompt(&req.messages)?)));
            put("max_gen_len", max.map(Value::from));
            put("temperature", req.temperature.clone());
            put("top_p", req.top_p.clone());
        }
        Family::Mistral => {
            put("prompt", Some(Value::String(mistral_prompt(&req.messages)?)));
            put("max_tokens", max.map(Value::from));
            put("temperature", req.temperature.clone());
            put("top_p", req.top_p.clone());
            put("top_k", req.extra.get("top_k").cloned());
            put("stop", stop_list(&req.stop));
        }
        Family::DeepSeek => {
            put("prompt", Some(Value::String(deepseek_prompt(&req.messages)?)));
            put("max_tokens", max.map(Value::from));
            put("temperature", req.temperature.clone());
            put("top_p", req.top_p.clone());
            put("stop", stop_list(&req.stop));
        }
        Family::Titan => {
            let mut cfg = Map::new();
            if let Some(m) = max {
                cfg.insert("maxTokenCount".into(), m.into());
            }
            if let Some(t) = &req.temperature {
                cfg.insert("temperature".into(), t.clone());
            }
            if let Some(s) = stop_list(&req.stop) {
                cfg.insert("stopSequences".into(), s);
            }
            if let Some(t) = &req.top_p {
                cfg.insert("topP".into(), t.clone());
            }
            put("inputText", Some(Value::String(titan_prompt(&req.messages)?)));
            put("textGenerationConfig", Some(Value::Object(cfg)));
        }
        Family::Cohere => {
            cohere_messages(&req.messages, &mut out)?;
            let mut put = |k: &str, v: Option<Value>| {
                if let Some(v) = v {
                    out.insert(k.to_owned(), v);
                }
            };
            put("max_tokens", max.map(Value::from));
            put("temperature", req.temperature.clone());
            put("p", req.top_p.clone());
            put("k", req.extra.get("top_k").cloned());
            put("stop_sequences", stop_list(&req.stop));
            put("seed", req.extra.get("seed").cloned());
            put("frequency_penalty", req.extra.get("frequency_penalty").cloned());
            put("presence_penalty", req.extra.get("presence_penalty").cloned());
        }
    }
    if let Some(extra) = &target.extra_body {
        for (k, v) in extra {
            out.insert(k.clone(), v.clone());
        }
    }
    Ok(Value::Object(out))
}

/// A vendor stop reason as an OpenAI finish_reason.
pub fn finish_reason(r: &str) -> &'static str {
    match r.to_ascii_lowercase().as_str() {
        "length" | "max_tokens" | "max_tokens_reached" | "model_length" => "length",
        "content_filtered" | "content_filter" | "error_toxic" | "guardrail_intervened" => "content_filter",
        "tool_use" | "tool_calls" | "tool_call" => "tool_calls",
        _ => "stop",
    }
}

fn u64_at(v: &Value, ptr: &str) -> Option<u64> {
    v.pointer(ptr).and_then(Value::as_u64)
}

/// Splits DeepSeek R1 output (which starts inside the think block the prompt opened) into
/// reasoning and answer. Without `</think>` everything is the answer.
pub fn split_reasoning(text: &str) -> (Option<String>, String) {
    match text.split_once("</think>") {
        Some((r, a)) => {
            let r = r.trim_start_matches("<think>").trim();
            ((!r.is_empty()).then(|| r.to_owned()), a.trim_start().to_owned())
        }
        None => (None, text.to_owned()),
    }
}

/// A non-stream invoke answer of a non-Anthropic family.
pub fn parse_response(
    body: &[u8],
    req: &ChatRequest,
    family: Family,
    model_id: &str,
) -> Result<ChatResponse, LlmError> {
    if family == Family::Nova {
        return converse::parse_response(body, req, model_id);
    }
    let v: Value = crate::providers::openai_compat::parse_json(body, "Bedrock invoke response")?;
    let unexpected = || {
        let mut e = LlmError::new(
            crate::error::ErrorKind::Api,
            format!("bedrock/invoke ({}): unexpected response: {}", family.name(), String::from_utf8_lossy(body)),
        );
        e.provider = "bedrock".into();
        e
    };
    let (text, stop, usage): (String, Option<&str>, Option<Usage>) = match family {
        Family::Llama => (
            v.get("generation").and_then(Value::as_str).ok_or_else(unexpected)?.to_owned(),
            v.get("stop_reason").and_then(Value::as_str),
            u64_at(&v, "/prompt_token_count")
                .map(|p| Usage::new(p, u64_at(&v, "/generation_token_count").unwrap_or(0))),
        ),
        Family::Mistral | Family::DeepSeek => {
            let (t, s) = if let Some(o) = v.pointer("/outputs/0") {
                (o.get("text"), o.get("stop_reason"))
            } else if let Some(c) = v.pointer("/choices/0") {
                (
                    c.get("text").or_else(|| c.pointer("/message/content")),
                    c.get("stop_reason").or(c.get("finish_reason")),
                )
            } else {
                (v.get("generation"), v.get("stop_reason"))
            };
            let usage = u64_at(&v, "/usage/prompt_tokens").or(u64_at(&v, "/prompt_token_count")).map(|p| {
                let c = u64_at(&v, "/usage/completion_tokens").or(u64_at(&v, "/generation_token_count"));
                Usage::new(p, c.unwrap_or(0))
            });
            (t.and_then(Value::as_str).ok_or_else(unexpected)?.to_owned(), s.and_then(Value::as_str), usage)
        }
        Family::Titan => {
            let r = v.pointer("/results/0").ok_or_else(unexpected)?;
            (
                r.get("outputText").and_then(Value::as_str).unwrap_or_default().to_owned(),
                r.get("completionReason").and_then(Value::as_str),
                u64_at(&v, "/inputTextTokenCount").map(|p| Usage::new(p, u64_at(r, "/tokenCount").unwrap_or(0))),
            )
        }
        Family::Cohere => (
            v.get("text").and_then(Value::as_str).ok_or_else(unexpected)?.to_owned(),
            v.get("finish_reason").and_then(Value::as_str),
            u64_at(&v, "/meta/billed_units/input_tokens")
                .map(|p| Usage::new(p, u64_at(&v, "/meta/billed_units/output_tokens").unwrap_or(0))),
        ),
        Family::Anthropic | Family::Nova => unreachable!("handled by the Anthropic / Converse translations"),
    };
    let mut message = ResponseMessage::default();
    if family == Family::DeepSeek {
        let (r, a) = split_reasoning(&text);
        message.reasoning_content = r;
        message.content = Some(a);
    } else {
        message.content = Some(text);
    }
    Ok(ChatResponse {
        id: crate::util::new_id("chatcmpl-"),
        object: "chat.completion".into(),
        created: crate::types::unix_now(),
        model: model_id.to_owned(),
        system_fingerprint: None,
        choices: vec![Choice {
            index: 0,
            message,
            finish_reason: Some(finish_reason(stop.unwrap_or("stop")).to_owned()),
            logprobs: None,
            extra: Map::new(),
        }],
        usage,
        extra: Map::new(),
    })
}

fn chunk(state: &mut StreamState, mut delta: Delta, finish: Option<String>) -> ChatChunk {
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

/// The Converse stream event names Nova's invoke stream wraps as `{"<name>": payload}`.
const NOVA_EVENTS: &[&str] =
    &["messageStart", "contentBlockStart", "contentBlockDelta", "contentBlockStop", "messageStop", "metadata"];

/// DeepSeek streams start inside the think block; this marker in `block_tools` (which the text
/// families never use for tools) records that `</think>` has been seen.
const THINK_DONE: (u32, u32) = (u32::MAX, u32::MAX);

/// One decoded invoke stream chunk of a non-Anthropic family (the family is told by the
/// chunk's shape, as litellm does).
pub fn parse_chunk(state: &mut StreamState, v: &Value) -> Result<Vec<ChatChunk>, LlmError> {
    if let Some(name) = NOVA_EVENTS.iter().find(|k| v.get(**k).is_some()) {
        return converse::parse_event(state, Some(name), &v[*name].to_string());
    }
    if state.id.is_empty() {
        state.id = crate::util::new_id("chatcmpl-");
        state.created = crate::types::unix_now();
    }
    let s = |p: &str| v.pointer(p).and_then(Value::as_str);
    let (text, stop, deepseek) = if let Some(t) = v.get("generation") {
        (t.as_str(), s("/stop_reason"), state.model.contains("deepseek"))
    } else if v.get("outputs").is_some() {
        (s("/outputs/0/text"), s("/outputs/0/stop_reason"), false)
    } else if v.get("choices").is_some() {
        let t = s("/choices/0/text").or(s("/choices/0/delta/content")).or(s("/choices/0/message/content"));
        // DeepSeek R1 answers with `choices[].text`; Mistral's chat models with `message`/`delta`.
        let deepseek = state.model.contains("deepseek") || (state.model.is_empty() && s("/choices/0/text").is_some());
        (t, s("/choices/0/stop_reason").or(s("/choices/0/finish_reason")), deepseek)
    } else if v.get("outputText").is_some() || v.get("completionReason").is_some() {
        (s("/outputText"), s("/completionReason"), false)
    } else if let Some(ev) = s("/event_type") {
        match ev {
            "text-generation" => (s("/text"), None, false),
            "stream-end" => (None, s("/finish_reason").or(Some("COMPLETE")), false),
            _ => (None, None, false),
        }
    } else {
        (None, None, false)
    };
    let mut out = Vec::new();
    if let Some(t) = text.filter(|t| !t.is_empty()) {
        let mut delta = Delta::default();
        if deepseek && !state.block_tools.contains(&THINK_DONE) {
            match t.split_once("</think>") {
                Some((r, a)) => {
                    state.block_tools.push(THINK_DONE);
                    delta.reasoning_content = (!r.is_empty()).then(|| r.to_owned());
                    delta.content = (!a.is_empty()).then(|| a.trim_start().to_owned());
                }
                None => delta.reasoning_content = Some(t.to_owned()),
            }
        } else {
            delta.content = Some(t.to_owned());
        }
        if delta.content.is_some() || delta.reasoning_content.is_some() {
            out.push(chunk(state, delta, None));
        }
    }
    if let Some(r) = stop {
        state.finished = true;
        out.push(chunk(state, Delta::default(), Some(finish_reason(r).to_owned())));
    }
    if let Some(m) = v.get("amazon-bedrock-invocationMetrics") {
        state.done = true;
        state.finished = true;
        let u = Usage::new(u64_at(m, "/inputTokenCount").unwrap_or(0), u64_at(m, "/outputTokenCount").unwrap_or(0));
        state.usage = Some(u.clone());
        if state.include_usage {
            let mut c = chunk(state, Delta::default(), None);
            c.choices.clear();
            c.usage = Some(u);
            out.push(c);
        }
    }
    Ok(out)
}
