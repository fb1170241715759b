use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Extra, is_empty_map};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    Developer,
    User,
    Assistant,
    Tool,
    Function,
}

/// A chat message as the caller sent it: role-tagged, text-or-parts content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    /// Absent or null content stays as the caller gave it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<Content>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCall>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function_call: Option<FunctionCall>,
    /// Everything else (reasoning_content, thinking_blocks, cache_control, refusal, audio, ...).
    #[serde(flatten, skip_serializing_if = "is_empty_map")]
    pub extra: Extra,
}

impl Message {
    pub fn text(role: Role, text: impl Into<String>) -> Self {
        Self {
            role,
            content: Some(Content::Text(text.into())),
            name: None,
            tool_calls: None,
            tool_call_id: None,
            function_call: None,
            extra: Extra::new(),
        }
    }
}

/// Message content: a string, or a list of typed parts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Content {
    Text(String),
    Parts(Vec<ContentPart>),
}

impl Content {
    /// The text of the content: the string, or the text parts joined.
    pub fn joined_text(&self) -> String {
        match self {
            Content::Text(s) => s.clone(),
            Content::Parts(parts) => parts.iter().filter_map(ContentPart::as_text).collect::<Vec<_>>().join(""),
        }
    }

    /// True when every part is text (so the content can be sent as one string).
    pub fn is_text_only(&self) -> bool {
        match self {
            Content::Parts(parts) => parts.iter().all(|p| p.as_text().is_some()),
            _ => true,
        }
    }
}

/// One part of a multi-part content list. Known part types are typed; others pass through.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ContentPart {
    Known(KnownPart),
    Other(Extra),
}

impl ContentPart {
    pub fn as_text(&self) -> Option<&str> {
        match self {
            ContentPart::Known(KnownPart::Text { text, .. }) => Some(text),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum KnownPart {
    Text {
        text: String,
        #[serde(flatten, skip_serializing_if = "is_empty_map")]
        extra: Extra,
    },
    ImageUrl {
        /// `{"url": ..., "detail": ...}` or, as some callers send it, a bare URL string.
        image_url: Value,
        #[serde(flatten, skip_serializing_if = "is_empty_map")]
        extra: Extra,
    },
    InputAudio {
        input_audio: Value,
        #[serde(flatten, skip_serializing_if = "is_empty_map")]
        extra: Extra,
    },
    File {
        file: Value,
        #[serde(flatten, skip_serializing_if = "is_empty_map")]
        extra: Extra,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(rename = "type", default = "function_type")]
    pub kind: String,
    pub function: FunctionCall,
    #[serde(flatten, skip_serializing_if = "is_empty_map")]
    pub extra: Extra,
}

pub(crate) fn function_type() -> String {
    "function".to_owned()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionCall {
    #[serde(default)]
    pub name: String,
    /// JSON-encoded arguments (some providers send an object; it is re-encoded as a string).
    #[serde(default, deserialize_with = "de_arguments")]
    pub arguments: String,
}

fn de_arguments<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => s,
        Value::Null => String::new(),
        other => other.to_string(),
    })
}
