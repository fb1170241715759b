//! Building OpenAI-compatible request bodies straight from the borrowed canonical request:
//! renames, drops and content quirks are applied while serialising, so no prompt is copied.

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::{Map, Value};

use super::row::{Row, quirk};
use crate::error::LlmError;
use crate::types::{ChatRequest, Content, Message, Role};

pub(super) fn chat_body(
    row: &Row,
    req: &ChatRequest,
    skip: &[String],
    extra_body: Option<&Map<String, Value>>,
) -> Result<Vec<u8>, LlmError> {
    let body = ChatBody { row, req, skip, extra_body };
    serde_json::to_vec(&body).map_err(|e| LlmError::bad_request(format!("cannot encode the request: {e}")))
}

/// Serialises any request and merges `extra_body` at top level.
pub(super) fn merged_json<T: Serialize>(req: &T, extra_body: Option<&Map<String, Value>>) -> Result<Vec<u8>, LlmError> {
    let enc = |e: serde_json::Error| LlmError::bad_request(format!("cannot encode the request: {e}"));
    match extra_body {
        None => serde_json::to_vec(req).map_err(enc),
        Some(extra) => {
            let mut v = serde_json::to_value(req).map_err(enc)?;
            if let Value::Object(m) = &mut v {
                for (k, val) in extra {
                    m.insert(k.clone(), val.clone());
                }
            }
            serde_json::to_vec(&v).map_err(enc)
        }
    }
}

struct ChatBody<'a> {
    row: &'a Row,
    req: &'a ChatRequest,
    skip: &'a [String],
    extra_body: Option<&'a Map<String, Value>>,
}

impl ChatBody<'_> {
    fn skipped(&self, name: &str) -> bool {
        self.skip.iter().any(|s| s == name) || self.extra_body.is_some_and(|e| e.contains_key(name))
    }

    /// The wire name of a parameter, or None when a rename would collide with a parameter the
    /// caller also set under the target name (the explicit one wins).
    fn wire_name<'n>(&'n self, name: &'n str) -> Option<&'n str> {
        match self.row.renames.iter().find(|(from, _)| *from == name) {
            Some((_, to)) => {
                if self.req.set_params().any(|p| p == *to) {
                    None
                } else {
                    Some(to)
                }
            }
            None => Some(name),
        }
    }
}

impl Serialize for ChatBody<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = self.req;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("model", &r.model)?;
        m.serialize_entry("messages", &Messages { msgs: &r.messages, quirks: self.row.quirks })?;

        macro_rules! field {
            ($name:literal, $val:expr) => {
                if let Some(v) = $val {
                    if !self.skipped($name) {
                        if let Some(wire) = self.wire_name($name) {
                            m.serialize_entry(wire, v)?;
                        }
                    }
                }
            };
        }
        field!("stream", &r.stream);
        if !self.row.has(quirk::NO_STREAM_OPTIONS) {
            field!("stream_options", &r.stream_options);
        }
        field!("temperature", &r.temperature);
        field!("top_p", &r.top_p);
        field!("n", &r.n);
        field!("stop", &r.stop);
        field!("max_tokens", &r.max_tokens);
        field!("max_completion_tokens", &r.max_completion_tokens);
        field!("tools", &r.tools);
        if self.row.has(quirk::TOOL_CHOICE_REQUIRED_AS_ANY)
            && r.tool_choice.as_ref().and_then(Value::as_str) == Some("required")
        {
            if !self.skipped("tool_choice") {
                m.serialize_entry("tool_choice", "any")?;
            }
        } else {
            field!("tool_choice", &r.tool_choice);
        }
        field!("response_format", &r.response_format);
        for (k, v) in &r.extra {
            if !self.skipped(k)
                && let Some(wire) = self.wire_name(k)
            {
                m.serialize_entry(wire, v)?;
            }
        }
        if let Some(extra) = self.extra_body {
            for (k, v) in extra {
                m.serialize_entry(k, v)?;
            }
        }
        if self.row.has(quirk::USAGE_INCLUDE) && !r.extra.contains_key("usage") && !self.skipped("usage") {
            m.serialize_entry("usage", &serde_json::json!({ "include": true }))?;
        }
        m.end()
    }
}

struct Messages<'a> {
    msgs: &'a [Message],
    quirks: u32,
}

impl Serialize for Messages<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(Some(self.msgs.len()))?;
        for msg in self.msgs {
            if self.quirks & (quirk::CONTENT_LIST_TO_STRING | quirk::STRIP_MESSAGE_NAME | quirk::NULL_CONTENT_AS_EMPTY)
                == 0
            {
                seq.serialize_element(msg)?;
            } else {
                seq.serialize_element(&QuirkyMessage { msg, quirks: self.quirks })?;
            }
        }
        seq.end()
    }
}

struct QuirkyMessage<'a> {
    msg: &'a Message,
    quirks: u32,
}

impl Serialize for QuirkyMessage<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let m = self.msg;
        let mut out = s.serialize_map(None)?;
        out.serialize_entry("role", &m.role)?;
        match &m.content {
            Some(c @ Content::Parts(_)) if self.quirks & quirk::CONTENT_LIST_TO_STRING != 0 && c.is_text_only() => {
                out.serialize_entry("content", &c.joined_text())?;
            }
            Some(c) => out.serialize_entry("content", c)?,
            None if self.quirks & quirk::NULL_CONTENT_AS_EMPTY != 0 && m.role == Role::Assistant => {
                out.serialize_entry("content", "")?;
            }
            None => {}
        }
        if let Some(n) = &m.name
            && self.quirks & quirk::STRIP_MESSAGE_NAME == 0
        {
            out.serialize_entry("name", n)?;
        }
        if let Some(tc) = &m.tool_calls {
            out.serialize_entry("tool_calls", tc)?;
        }
        if let Some(id) = &m.tool_call_id {
            out.serialize_entry("tool_call_id", id)?;
        }
        if let Some(fc) = &m.function_call {
            out.serialize_entry("function_call", fc)?;
        }
        for (k, v) in &m.extra {
            out.serialize_entry(k, v)?;
        }
        out.end()
    }
}
