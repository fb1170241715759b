use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Extra, Usage, is_empty_map};

/// One streamed chunk (`object: "chat.completion.chunk"`).
///
/// The three chunk types read themselves (below) instead of through serde's `flatten`, which
/// buffers every key and value of the object before sorting them out: a stream reads thousands
/// of these. A `null` where a default exists gives the default.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ChatChunk {
    #[serde(default)]
    pub id: String,
    #[serde(default = "chunk_object")]
    pub object: String,
    #[serde(default)]
    pub created: i64,
    #[serde(default)]
    pub model: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_fingerprint: Option<String>,
    #[serde(default)]
    pub choices: Vec<ChunkChoice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    #[serde(flatten, skip_serializing_if = "is_empty_map")]
    pub extra: Extra,
}

fn chunk_object() -> String {
    "chat.completion.chunk".to_owned()
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ChunkChoice {
    #[serde(default)]
    pub index: u32,
    #[serde(default)]
    pub delta: Delta,
    #[serde(default)]
    pub finish_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logprobs: Option<Value>,
    #[serde(flatten, skip_serializing_if = "is_empty_map")]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Delta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "reasoning")]
    pub reasoning_content: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCallDelta>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function_call: Option<Value>,
    #[serde(flatten, skip_serializing_if = "is_empty_map")]
    pub extra: Extra,
}

/// A tool-call fragment: the first carries id, type and name; later ones append arguments.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ToolCallDelta {
    #[serde(default)]
    pub index: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<FunctionDelta>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FunctionDelta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arguments: Option<String>,
}

/// A key of a chunk's object, borrowed from the input when it has no escapes.
pub(crate) struct Key<'de>(pub(crate) std::borrow::Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Borrowed(v)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// A value that may be `null` (then the field's default).
fn or_default<'de, T: Deserialize<'de> + Default, A: serde::de::MapAccess<'de>>(map: &mut A) -> Result<T, A::Error> {
    Ok(map.next_value::<Option<T>>()?.unwrap_or_default())
}

/// A whole number also when a provider writes it as a float (`1717000000.0`); `null` is 0.
struct Whole(i64);

impl<'de> Deserialize<'de> for Whole {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Whole;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a number")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Whole, E> {
                Ok(Whole(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Whole, E> {
                Ok(Whole(i64::try_from(v).unwrap_or(i64::MAX)))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Whole, E> {
                Ok(Whole(v as i64))
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<Whole, E> {
                Ok(Whole(0))
            }
        }
        d.deserialize_any(V)
    }
}

/// Reads a chunk type's object: `$body` is a `match` on the key that reads the known fields and
/// gives every other key to `keep_extra` (unknown keys keep their values, as `flatten` did).
macro_rules! object_visitor {
    ($ty:ident, $what:literal, $init:expr, |$this:ident, $key:ident, $map:ident| $body:expr) => {
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> serde::de::Visitor<'de> for V {
                    type Value = $ty;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str($what)
                    }
                    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut $map: A) -> Result<$ty, A::Error> {
                        let mut $this: $ty = $init;
                        while let Some(Key($key)) = $map.next_key::<Key<'de>>()? {
                            $body
                        }
                        Ok($this)
                    }
                }
                d.deserialize_map(V)
            }
        }
    };
}

/// An unknown key's value, kept in the extras.
fn keep_extra<'de, A: serde::de::MapAccess<'de>>(
    extra: &mut Extra,
    key: std::borrow::Cow<'de, str>,
    map: &mut A,
) -> Result<(), A::Error> {
    extra.insert(key.into_owned(), map.next_value()?);
    Ok(())
}

object_visitor!(
    ChatChunk,
    "a chat.completion.chunk object",
    ChatChunk { object: chunk_object(), ..Default::default() },
    |c, key, map| match &*key {
        "id" => c.id = or_default(&mut map)?,
        "object" => c.object = map.next_value::<Option<String>>()?.unwrap_or_else(chunk_object),
        "created" => c.created = map.next_value::<Whole>()?.0,
        "model" => c.model = or_default(&mut map)?,
        "system_fingerprint" => c.system_fingerprint = map.next_value()?,
        "choices" => c.choices = or_default(&mut map)?,
        "usage" => c.usage = map.next_value()?,
        _ => keep_extra(&mut c.extra, key, &mut map)?,
    }
);

object_visitor!(ChunkChoice, "a chunk's choice", ChunkChoice::default(), |c, key, map| match &*key {
    "index" => {
        let index = map.next_value::<Whole>()?.0;
        c.index = u32::try_from(index)
            .map_err(|_| serde::de::Error::custom(format!("a choice index must be 0 or more, not {index}")))?;
    }
    "delta" => c.delta = or_default(&mut map)?,
    "finish_reason" => c.finish_reason = map.next_value()?,
    "logprobs" => c.logprobs = map.next_value::<Option<Value>>()?.filter(|v| !v.is_null()),
    _ => keep_extra(&mut c.extra, key, &mut map)?,
});

object_visitor!(Delta, "a chunk's delta", Delta::default(), |d, key, map| match &*key {
    "role" => d.role = map.next_value()?,
    "content" => d.content = map.next_value()?,
    "reasoning_content" => d.reasoning_content = map.next_value()?,
    // OpenRouter's and vLLM's name for it (reasoning_content wins when both come)
    "reasoning" => {
        let v: Option<String> = map.next_value()?;
        if d.reasoning_content.is_none() {
            d.reasoning_content = v;
        }
    }
    "tool_calls" => d.tool_calls = map.next_value()?,
    "function_call" => d.function_call = map.next_value::<Option<Value>>()?.filter(|v| !v.is_null()),
    _ => keep_extra(&mut d.extra, key, &mut map)?,
});

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_recorded_openai_chunk_keeps_its_extras_and_drops_its_nulls() {
        // as OpenAI sends them with stream_options.include_usage
        let raw = r#"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1717000000,"model":"gpt-4o-mini","service_tier":"default","system_fingerprint":"fp_1","choices":[{"index":0,"delta":{"content":"Hi","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null,"obfuscation":"x9"}"#;
        let c: ChatChunk = serde_json::from_str(raw).unwrap();
        assert_eq!((c.id.as_str(), c.created, c.model.as_str()), ("chatcmpl-1", 1717000000, "gpt-4o-mini"));
        assert_eq!(c.extra, json!({"service_tier": "default", "obfuscation": "x9"}).as_object().unwrap().clone());
        assert_eq!(c.choices[0].delta.content.as_deref(), Some("Hi"));
        assert_eq!(c.choices[0].delta.extra.get("refusal"), Some(&Value::Null));
        assert!(c.choices[0].logprobs.is_none() && c.usage.is_none());
        assert_eq!(
            serde_json::to_value(&c).unwrap(),
            json!({"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1717000000, "model": "gpt-4o-mini",
                   "system_fingerprint": "fp_1", "service_tier": "default", "obfuscation": "x9",
                   "choices": [{"index": 0, "delta": {"content": "Hi", "refusal": null}, "finish_reason": null}]})
        );
    }

    #[test]
    fn nulls_and_loose_numbers_give_defaults_and_reasoning_is_an_alias() {
        let c: ChatChunk = serde_json::from_value(json!({
            "id": null, "created": 1717000000.0, "model": null, "object": null,
            "choices": [{"index": 1.0, "delta": {"reasoning": "think", "role": "assistant", "tool_calls": null}, "finish_reason": "stop"}],
        }))
        .unwrap();
        assert_eq!(
            (c.id.as_str(), c.created, c.model.as_str(), c.object.as_str()),
            ("", 1717000000, "", "chat.completion.chunk")
        );
        let ch = &c.choices[0];
        assert_eq!((ch.index, ch.finish_reason.as_deref()), (1, Some("stop")));
        assert_eq!(ch.delta.reasoning_content.as_deref(), Some("think"));
        assert!(ch.delta.tool_calls.is_none() && ch.delta.extra.is_empty());
        let both: Delta = serde_json::from_value(json!({"reasoning_content": "a", "reasoning": "b"})).unwrap();
        assert_eq!(both.reasoning_content.as_deref(), Some("a"));
        let empty: ChatChunk = serde_json::from_str("{}").unwrap();
        assert_eq!(empty.object, "chat.completion.chunk");
        assert!(serde_json::from_str::<ChatChunk>(r#"{"created": "soon"}"#).is_err());
        assert!(serde_json::from_str::<ChatChunk>("[1]").is_err());
        assert!(serde_json::from_str::<ChatChunk>(r#"{"choices": [{"index": -1}]}"#).is_err());
    }
}
