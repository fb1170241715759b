//! Logging a stream: the chunks handed to the caller are kept (shared buffers, no copies) and,
//! when the stream ends, assembled into the complete response that the payload carries.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use serde_json::{Map, Value, json};

use super::payload::now;
use super::{CallLog, Outcome, finish, success_value};
use crate::engine::{CallOptions, Hidden, aggregate_chunks};
use crate::error::LlmError;
use crate::types::{ChatChunk, Usage};

/// The log of one stream.
pub struct StreamLog {
    log: CallLog,
    opts: Arc<CallOptions>,
    chunks: Vec<Bytes>,
    first_chunk: Option<f64>,
    payload: Option<Option<Vec<u8>>>,
}

impl StreamLog {
    pub fn new(log: CallLog, opts: Arc<CallOptions>) -> Self {
        Self { log, opts, chunks: Vec::new(), first_chunk: None, payload: None }
    }

    /// Records chunks handed to the caller.
    pub fn observe(&mut self, batch: &[Bytes]) {
        if self.first_chunk.is_none() && !batch.is_empty() {
            self.first_chunk = Some(now());
        }
        self.chunks.extend(batch.iter().cloned());
    }

    /// Finishes the log once (at the end of the stream, or at its error); later calls do nothing.
    pub fn end(&mut self, hidden: &Hidden, error: Option<&LlmError>) {
        if self.payload.is_some() {
            return;
        }
        let outcome = match error {
            Some(e) => Outcome::Failure(e),
            None => {
                let mut resp = assemble(&self.chunks);
                if resp.get("usage").is_none_or(Value::is_null) && resp.is_object() {
                    self.estimate(&mut resp, hidden);
                }
                Outcome::Success(resp)
            }
        };
        self.payload = Some(finish(&self.log, &self.opts, Some(hidden), outcome, self.first_chunk));
        self.chunks = Vec::new();
    }

    /// A stream without a usage chunk: its usage counted from the prompt and the answer (as
    /// litellm does), and its cost from that usage, also for the stream's hidden params.
    fn estimate(&self, resp: &mut Value, hidden: &Hidden) {
        let req = self.log.request();
        let messages = req.get("messages").and_then(Value::as_array).map(Vec::as_slice);
        let prompt = req.get("prompt").and_then(Value::as_str);
        let model = hidden.model.split_once('/').map_or(hidden.model.as_str(), |(_, m)| m);
        let (p, c) = crate::tokens::estimate_usage(model, messages, prompt, resp);
        let usage = Usage::new(p, c);
        if hidden.cost().is_none()
            && let Some(cost) = crate::cost::response_cost(
                &hidden.model,
                &hidden.custom_llm_provider,
                Some(&usage),
                &self.opts.custom_pricing(),
                None,
                0.0,
                None,
            )
            && let Ok(mut cell) = hidden.stream_cost.lock()
        {
            *cell = Some(cost);
        }
        resp["usage"] = success_value(&usage);
    }

    /// Whether the log was finished.
    pub fn ended(&self) -> bool {
        self.payload.is_some()
    }

    /// The payload (JSON) when the edge asked for it and the stream has ended.
    pub fn payload(&self) -> Option<&[u8]> {
        self.payload.as_ref().and_then(|p| p.as_deref())
    }
}

/// The complete response of a stream's chunks (chat or text completion).
pub fn assemble(chunks: &[Bytes]) -> Value {
    let parsed: Vec<ChatChunk> = chunks.iter().filter_map(|c| serde_json::from_slice(c).ok()).collect();
    if parsed.first().is_some_and(|c| c.object.starts_with("text_completion")) {
        return assemble_text(&parsed);
    }
    aggregate_chunks(&parsed).map_or(Value::Null, |r| success_value(&r))
}

fn assemble_text(chunks: &[ChatChunk]) -> Value {
    let mut choices: BTreeMap<u32, (String, Option<String>)> = BTreeMap::new();
    let mut usage = Value::Null;
    for c in chunks {
        if let Some(u) = &c.usage {
            usage = success_value(u);
        }
        for ch in &c.choices {
            let e = choices.entry(ch.index).or_default();
            if let Some(t) = ch.extra.get("text").and_then(Value::as_str) {
                e.0.push_str(t);
            }
            if ch.finish_reason.is_some() {
                e.1.clone_from(&ch.finish_reason);
            }
        }
    }
    let first = &chunks[0];
    let choices: Vec<Value> = choices
        .into_iter()
        .map(|(index, (text, finish))| json!({"index": index, "text": text, "finish_reason": finish, "logprobs": null}))
        .collect();
    let mut out = Map::new();
    out.insert("id".into(), Value::String(first.id.clone()));
    out.insert("object".into(), Value::String("text_completion".into()));
    out.insert("created".into(), Value::from(first.created));
    out.insert("model".into(), Value::String(first.model.clone()));
    out.insert("choices".into(), Value::Array(choices));
    out.insert("usage".into(), usage);
    Value::Object(out)
}
