//! The OpenAI-compatible family: one implementation, parameterised by a table row.

mod body;
pub mod row;
pub mod table;

use serde_json::Value;

use super::{CallTarget, HttpRequest, Provider, StreamState};
use crate::error::{ErrorKind, LlmError};
use crate::types::{
    ChatChunk, ChatRequest, ChatResponse, EmbeddingRequest, EmbeddingResponse, TextCompletionRequest,
    TextCompletionResponse,
};
pub use row::{Auth, Row, quirk};
pub use table::ROWS;

/// The row with this id.
pub fn row(id: &str) -> Option<&'static Row> {
    ROWS.iter().find(|r| r.id == id)
}

/// A provider of the family: the shared translation plus its row.
#[derive(Debug, Clone, Copy)]
pub struct OpenAiCompat {
    pub row: &'static Row,
}

impl OpenAiCompat {
    pub(crate) fn url(&self, target: &CallTarget, path: &str) -> String {
        let base = target.api_base.trim_end_matches('/');
        if base.ends_with(path) { base.to_owned() } else { format!("{base}{path}") }
    }

    fn headers(&self, target: &CallTarget) -> Vec<(String, String)> {
        let mut h: Vec<(String, String)> = Vec::with_capacity(4 + target.extra_headers.len());
        h.push(("content-type".into(), "application/json".into()));
        if let Some(token) = target.bearer.as_deref() {
            h.push(("authorization".into(), format!("Bearer {token}")));
        } else if let Some(key) = target.api_key.as_deref().filter(|k| !k.is_empty()) {
            match self.row.auth {
                Auth::Bearer => h.push(("authorization".into(), format!("Bearer {key}"))),
                Auth::Header(name) => h.push((name.to_owned(), key.to_owned())),
            }
        }
        if let Some(org) = &target.organization {
            h.push(("openai-organization".into(), org.clone()));
        }
        for (k, v) in self.row.headers {
            h.push(((*k).to_owned(), (*v).to_owned()));
        }
        for (k, v) in &target.extra_headers {
            let lk = k.to_ascii_lowercase();
            h.retain(|(n, _)| !n.eq_ignore_ascii_case(&lk));
            h.push((lk, v.clone()));
        }
        h
    }
}

/// Parses a JSON body, or says clearly that the provider sent something else.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8], what: &str) -> Result<T, LlmError> {
    serde_json::from_slice(body).map_err(|e| {
        let snippet: String = String::from_utf8_lossy(body).chars().take(200).collect();
        LlmError::new(ErrorKind::Api, format!("Invalid {what} from the provider ({e}): {snippet}"))
    })
}

/// A 200 answer that carries an error object instead of a result (OpenRouter and some gateways).
fn embedded_error(extra: &crate::types::Extra) -> Option<LlmError> {
    let err = extra.get("error")?;
    let status = err.get("code").and_then(Value::as_u64).filter(|c| (400..600).contains(c)).unwrap_or(500) as u16;
    let body = serde_json::to_vec(&serde_json::json!({ "error": err })).unwrap_or_default();
    Some(LlmError::from_upstream(status, Vec::new(), &body, "", ""))
}

/// The JSON payload of an OpenAI-style SSE event, or None for `[DONE]` (which ends the stream)
/// and blank events.
fn sse_payload<'a>(state: &mut StreamState, data: &'a str) -> Option<&'a str> {
    let data = data.trim();
    if data == "[DONE]" {
        state.done = true;
        return None;
    }
    (!data.is_empty()).then_some(data)
}

/// Provider finish reasons spelled the OpenAI way.
pub fn map_finish_reason(r: &str) -> &str {
    match r {
        "stop" | "length" | "tool_calls" | "content_filter" | "function_call" => r,
        "end_turn" | "stop_sequence" | "eos" | "eos_token" | "STOP" | "COMPLETE" | "FINISH_REASON_STOP" => "stop",
        "max_tokens" | "MAX_TOKENS" | "model_length" | "max_length" => "length",
        "tool_use" | "TOOL_CALL" => "tool_calls",
        "SAFETY" | "RECITATION" | "content_filtered" => "content_filter",
        other => other,
    }
}

fn normalise_finish(fr: &mut Option<String>) {
    if let Some(r) = fr.as_mut() {
        let m = map_finish_reason(r);
        if m != r.as_str() {
            *r = m.to_owned();
        }
    }
}

impl Provider for OpenAiCompat {
    fn id(&self) -> &str {
        self.row.id
    }

    fn supports_openai_param(&self, _model: &str, name: &str) -> bool {
        !self.row.unsupported.contains(&name)
    }

    fn build_chat(&self, req: &ChatRequest, target: &CallTarget) -> Result<HttpRequest, LlmError> {
        let skip =
            super::params_to_drop(self.row.id, req.set_params(), |p| !self.row.unsupported.contains(&p), target)?;
        let body = body::chat_body(self.row, req, &skip, target.extra_body.as_ref())?;
        Ok(HttpRequest { url: self.url(target, "/chat/completions"), headers: self.headers(target), body: body.into() })
    }

    fn parse_chat(&self, body: &[u8], req: &ChatRequest) -> Result<ChatResponse, LlmError> {
        let mut r: ChatResponse = parse_json(body, "chat completion")?;
        if r.choices.is_empty()
            && let Some(e) = embedded_error(&r.extra)
        {
            return Err(e);
        }
        if r.id.is_empty() {
            r.id = crate::util::new_id("chatcmpl-");
        }
        if r.created == 0 {
            r.created = crate::types::unix_now();
        }
        if r.model.is_empty() {
            r.model.clone_from(&req.model);
        }
        for c in &mut r.choices {
            normalise_finish(&mut c.finish_reason);
        }
        Ok(r)
    }

    fn parse_chat_event(
        &self,
        state: &mut StreamState,
        _event: Option<&str>,
        data: &str,
    ) -> Result<Vec<ChatChunk>, LlmError> {
        let Some(data) = sse_payload(state, data) else { return Ok(Vec::new()) };
        let mut c: ChatChunk = parse_json(data.as_bytes(), "stream chunk")?;
        if c.choices.is_empty()
            && c.usage.is_none()
            && let Some(e) = embedded_error(&c.extra)
        {
            return Err(e);
        }
        if state.id.is_empty() {
            state.id = if c.id.is_empty() { crate::util::new_id("chatcmpl-") } else { c.id.clone() };
            state.created = if c.created == 0 { crate::types::unix_now() } else { c.created };
            if !c.model.is_empty() {
                state.model.clone_from(&c.model);
            }
        }
        if c.id.is_empty() {
            c.id.clone_from(&state.id);
        }
        if c.created == 0 {
            c.created = state.created;
        }
        if c.model.is_empty() {
            c.model.clone_from(&state.model);
        }
        for ch in &mut c.choices {
            if !state.role_sent {
                ch.delta.role.get_or_insert_with(|| "assistant".to_owned());
                state.role_sent = true;
            }
            if ch.finish_reason.is_some() {
                normalise_finish(&mut ch.finish_reason);
                state.finished = true;
            }
        }
        Ok(vec![c])
    }

    fn chat_event_as_is(&self, state: &mut StreamState, _event: Option<&str>, data: &str) -> Option<super::AsIs> {
        let json = data.trim();
        // JSON spread over several `data:` lines (or with a bare CR) would cut an SSE event where
        // it is written out again (the proxy): the full path writes it on one line
        if memchr::memchr2(b'\n', b'\r', json.as_bytes()).is_some() {
            return None;
        }
        let peek = state.peek.look(json, |r| map_finish_reason(r) == r)?;
        // the first choice of the stream gets a role from parse_chat_event when it has none
        if !state.role_sent && !peek.first_has_role {
            return None;
        }
        if state.id.is_empty() {
            state.id = peek.id.into_owned();
            state.created = peek.created;
            state.model = peek.model.into_owned();
        }
        state.role_sent = true;
        state.finished |= peek.finished;
        let start = data.len() - data.trim_start().len();
        Some(super::AsIs { range: start..start + json.len(), layout: peek.layout })
    }

    fn build_embedding(&self, req: &EmbeddingRequest, target: &CallTarget) -> Result<HttpRequest, LlmError> {
        if !self.row.has(quirk::EMBEDDINGS) && !matches!(self.row.id, "custom_openai" | "openai_like") {
            return Err(LlmError::bad_request(format!(
                "{} does not serve embeddings through an OpenAI-compatible /embeddings endpoint in litellm_rs",
                self.row.id
            )));
        }
        let body = body::merged_json(req, target.extra_body.as_ref())?;
        Ok(HttpRequest { url: self.url(target, "/embeddings"), headers: self.headers(target), body: body.into() })
    }

    fn parse_embedding(&self, body: &[u8], req: &EmbeddingRequest) -> Result<EmbeddingResponse, LlmError> {
        let mut r: EmbeddingResponse = parse_json(body, "embedding response")?;
        if r.data.is_empty()
            && let Some(e) = embedded_error(&r.extra)
        {
            return Err(e);
        }
        if r.model.is_empty() {
            r.model.clone_from(&req.model);
        }
        Ok(r)
    }

    fn supports_text_completion(&self) -> bool {
        self.row.has(quirk::TEXT_COMPLETIONS)
    }

    fn build_text_completion(&self, req: &TextCompletionRequest, target: &CallTarget) -> Result<HttpRequest, LlmError> {
        let body = body::merged_json(req, target.extra_body.as_ref())?;
        let path = if self.row.has(quirk::FIM_COMPLETIONS) { "/fim/completions" } else { "/completions" };
        Ok(HttpRequest { url: self.url(target, path), headers: self.headers(target), body: body.into() })
    }

    fn parse_text_event(
        &self,
        state: &mut StreamState,
        _event: Option<&str>,
        data: &str,
    ) -> Result<Vec<TextCompletionResponse>, LlmError> {
        let Some(data) = sse_payload(state, data) else { return Ok(Vec::new()) };
        let mut t: TextCompletionResponse = parse_json(data.as_bytes(), "stream chunk")?;
        if t.choices.is_empty()
            && t.usage.is_none()
            && let Some(e) = embedded_error(&t.extra)
        {
            return Err(e);
        }
        for c in &mut t.choices {
            if c.finish_reason.is_some() {
                normalise_finish(&mut c.finish_reason);
                state.finished = true;
            }
        }
        if t.object.is_empty() {
            t.object = "text_completion".into();
        }
        Ok(vec![t])
    }

    fn parse_text_completion(&self, body: &[u8]) -> Result<TextCompletionResponse, LlmError> {
        let mut r: TextCompletionResponse = parse_json(body, "text completion")?;
        if r.choices.is_empty()
            && let Some(e) = embedded_error(&r.extra)
        {
            return Err(e);
        }
        for c in &mut r.choices {
            normalise_finish(&mut c.finish_reason);
        }
        Ok(r)
    }
}
