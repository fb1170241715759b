//! A look at a stream chunk's JSON without keeping it: whether it is already in the canonical
//! shape, so that a stream can hand it on as it came instead of reading it into a `ChatChunk` and
//! writing it out again (which, for an OpenAI-compatible stream, was two thirds of the reader's
//! work per chunk and changed nothing).
//!
//! The look borrows every string and skips every value it does not need; it allocates nothing
//! for the usual chunk. It answers `None` for anything the full reading would change or reject
//! (a missing or empty id, model or `created`, `usage`, tool calls, `reasoning` under its other
//! name, a `null` where the full reading puts a default, a float index, a duplicated key, ...):
//! those chunks take the full path.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::chunk::Key;

/// What a stream needs to know of a chunk that goes on as it came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkPeek<'a> {
    pub id: std::borrow::Cow<'a, str>,
    pub created: i64,
    pub model: std::borrow::Cow<'a, str>,
    /// The first choice's delta names its role.
    pub first_has_role: bool,
    /// Some choice has a finish_reason.
    pub finished: bool,
}

/// The chunk's summary when `json` is a chat chunk in the canonical shape with at least one
/// choice, whose finish reasons are all spelled as `canonical_finish` wants them.
pub fn peek_plain_chunk<'a>(json: &'a str, canonical_finish: fn(&str) -> bool) -> Option<ChunkPeek<'a>> {
    let mut de = serde_json::Deserializer::from_str(json);
    let top = de::DeserializeSeed::deserialize(TopSeed { canonical_finish }, &mut de).ok()?;
    de.end().ok()?;
    Some(top)
}

/// Stops the look: the chunk takes the full path.
fn refuse<E: de::Error>() -> E {
    E::custom("not plain")
}

/// Marks a key as seen; a second time refuses.
fn once<E: de::Error>(seen: &mut u32, bit: u32) -> Result<(), E> {
    if *seen & bit != 0 {
        return Err(refuse());
    }
    *seen |= bit;
    Ok(())
}

/// A string (borrowed when it has no escapes), refusing anything else.
struct Text<'a>(std::borrow::Cow<'a, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Key::deserialize(d).map(|k| Text(k.0))
    }
}

/// A string or null, checked without keeping it: `Some(true)` for a string.
struct StrOrNull(bool);

impl<'de> Deserialize<'de> for StrOrNull {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = StrOrNull;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or null")
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<StrOrNull, E> {
                Ok(StrOrNull(true))
            }
            fn visit_unit<E: de::Error>(self) -> Result<StrOrNull, E> {
                Ok(StrOrNull(false))
            }
            fn visit_none<E: de::Error>(self) -> Result<StrOrNull, E> {
                Ok(StrOrNull(false))
            }
        }
        d.deserialize_any(V)
    }
}

/// A whole number in `lo..=hi`, nothing else (floats, strings and null refuse).
fn whole<'de, A: MapAccess<'de>>(map: &mut A, lo: i64, hi: i64) -> Result<i64, A::Error> {
    struct V;
    impl Visitor<'_> for V {
        type Value = i64;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a whole number")
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
            Ok(v)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
            i64::try_from(v).map_err(|_| refuse())
        }
    }
    struct N(i64);
    impl<'de> Deserialize<'de> for N {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_any(V).map(N)
        }
    }
    let n = map.next_value::<N>()?.0;
    if (lo..=hi).contains(&n) { Ok(n) } else { Err(refuse()) }
}

struct TopSeed {
    canonical_finish: fn(&str) -> bool,
}

impl<'de> de::DeserializeSeed<'de> for TopSeed {
    type Value = ChunkPeek<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<ChunkPeek<'de>, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TopSeed {
    type Value = ChunkPeek<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a chat.completion.chunk object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ChunkPeek<'de>, A::Error> {
        let (mut id, mut created, mut model, mut choices) = (None, None, None, None);
        let mut seen = 0u32;
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            match &*key {
                "id" => {
                    once(&mut seen, 1)?;
                    id = Some(map.next_value::<Text<'de>>()?.0);
                }
                "object" => {
                    once(&mut seen, 2)?;
                    map.next_value::<Text<'de>>()?;
                }
                "created" => {
                    once(&mut seen, 4)?;
                    created = Some(whole(&mut map, 1, i64::MAX)?);
                }
                "model" => {
                    once(&mut seen, 8)?;
                    model = Some(map.next_value::<Text<'de>>()?.0);
                }
                "system_fingerprint" => {
                    once(&mut seen, 16)?;
                    map.next_value::<StrOrNull>()?;
                }
                "choices" => {
                    once(&mut seen, 32)?;
                    choices = Some(map.next_value_seed(ChoicesSeed { canonical_finish: self.canonical_finish })?);
                }
                // read into its own type, priced, `null` dropped: the full path's
                "usage" => return Err(refuse()),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let (Some(id), Some(created), Some(model), Some(choices)) = (id, created, model, choices) else {
            return Err(refuse());
        };
        if id.is_empty() || model.is_empty() || choices.count == 0 {
            return Err(refuse());
        }
        Ok(ChunkPeek { id, created, model, first_has_role: choices.first_has_role, finished: choices.finished })
    }
}

/// What the choices say, together.
struct Choices {
    count: usize,
    first_has_role: bool,
    finished: bool,
}

struct ChoicesSeed {
    canonical_finish: fn(&str) -> bool,
}

impl<'de> de::DeserializeSeed<'de> for ChoicesSeed {
    type Value = Choices;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Choices, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ChoicesSeed {
    type Value = Choices;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of choices")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Choices, A::Error> {
        let mut out = Choices { count: 0, first_has_role: false, finished: false };
        while let Some(c) = seq.next_element_seed(ChoiceSeed { canonical_finish: self.canonical_finish })? {
            if out.count == 0 {
                out.first_has_role = c.has_role;
            }
            out.count += 1;
            out.finished |= c.finished;
        }
        Ok(out)
    }
}

struct Choice {
    has_role: bool,
    finished: bool,
}

struct ChoiceSeed {
    canonical_finish: fn(&str) -> bool,
}

impl<'de> de::DeserializeSeed<'de> for ChoiceSeed {
    type Value = Choice;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Choice, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ChoiceSeed {
    type Value = Choice;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a chunk's choice")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Choice, A::Error> {
        let (mut has_role, mut finished) = (None, false);
        let mut seen = 0u32;
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            match &*key {
                "index" => {
                    once(&mut seen, 1)?;
                    whole(&mut map, 0, i64::from(u32::MAX))?;
                }
                "delta" => {
                    once(&mut seen, 2)?;
                    has_role = Some(map.next_value::<DeltaPeek>()?.has_role);
                }
                "finish_reason" => {
                    once(&mut seen, 4)?;
                    if let Some(Text(r)) = map.next_value::<Option<Text<'de>>>()? {
                        if !(self.canonical_finish)(&r) {
                            return Err(refuse());
                        }
                        finished = true;
                    }
                }
                "logprobs" => {
                    once(&mut seen, 8)?;
                    map.next_value::<IgnoredAny>()?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        // a choice without its delta gets an empty one on the full path
        let Some(has_role) = has_role else { return Err(refuse()) };
        Ok(Choice { has_role, finished })
    }
}

/// A delta of text: role, content, reasoning_content, refusal and extras (no tool calls, no
/// function call, no `reasoning`: the full path reads those into their own types or renames them).
struct DeltaPeek {
    has_role: bool,
}

impl<'de> Deserialize<'de> for DeltaPeek {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = DeltaPeek;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a chunk's delta")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<DeltaPeek, A::Error> {
                let mut has_role = false;
                let mut seen = 0u32;
                while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
                    match &*key {
                        "role" => {
                            once(&mut seen, 1)?;
                            has_role = map.next_value::<StrOrNull>()?.0;
                        }
                        "content" => {
                            once(&mut seen, 2)?;
                            map.next_value::<StrOrNull>()?;
                        }
                        "reasoning_content" => {
                            once(&mut seen, 4)?;
                            map.next_value::<StrOrNull>()?;
                        }
                        "tool_calls" | "function_call" | "reasoning" => return Err(refuse()),
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(DeltaPeek { has_role })
            }
        }
        d.deserialize_map(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::ChatChunk;

    fn canonical(r: &str) -> bool {
        matches!(r, "stop" | "length" | "tool_calls" | "content_filter" | "function_call")
    }

    const RECORDED: &str = r#"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1717000000,"model":"gpt-4o-mini","service_tier":"default","system_fingerprint":"fp_1","choices":[{"index":0,"delta":{"content":"Hi \"there\"","refusal":null},"logprobs":null,"finish_reason":null}],"obfuscation":"x9"}"#;

    #[test]
    fn a_recorded_openai_chunk_is_plain_and_its_fields_are_borrowed() {
        let p = peek_plain_chunk(RECORDED, canonical).unwrap();
        assert_eq!((&*p.id, p.created, &*p.model), ("chatcmpl-1", 1717000000, "gpt-4o-mini"));
        assert!(matches!(p.id, std::borrow::Cow::Borrowed(_)));
        assert!(!p.first_has_role && !p.finished);
        let first =
            RECORDED.replace(r#"{"content":"Hi \"there\"","refusal":null}"#, r#"{"role":"assistant","content":""}"#);
        assert!(peek_plain_chunk(&first, canonical).unwrap().first_has_role);
        let last = RECORDED.replace(r#""finish_reason":null"#, r#""finish_reason":"stop""#);
        assert!(peek_plain_chunk(&last, canonical).unwrap().finished);
        // and the full reading agrees on what it found
        let full: ChatChunk = serde_json::from_str(RECORDED).unwrap();
        assert_eq!((full.id.as_str(), full.created, full.model.as_str()), ("chatcmpl-1", 1717000000, "gpt-4o-mini"));
    }

    #[test]
    fn anything_the_full_reading_would_change_or_refuse_is_not_plain() {
        let cases = [
            (r#""id":"chatcmpl-1""#, r#""id":"""#),
            (r#""id":"chatcmpl-1""#, r#""id":null"#),
            (r#""created":1717000000"#, r#""created":1717000000.0"#),
            (r#""created":1717000000"#, r#""created":0"#),
            (r#""model":"gpt-4o-mini""#, r#""model":null"#),
            (r#""object":"chat.completion.chunk""#, r#""object":null"#),
            (r#""system_fingerprint":"fp_1""#, r#""system_fingerprint":1"#),
            (r#""obfuscation":"x9""#, r#""usage":null"#),
            (r#""obfuscation":"x9""#, r#""usage":{"prompt_tokens":1}"#),
            (r#""obfuscation":"x9""#, r#""id":"again""#),
            (r#""index":0"#, r#""index":-1"#),
            (r#""index":0"#, r#""index":0.0"#),
            (r#""finish_reason":null"#, r#""finish_reason":"end_turn""#),
            (r#""finish_reason":null"#, r#""finish_reason":7"#),
            (r#""refusal":null"#, r#""tool_calls":[]"#),
            (r#""refusal":null"#, r#""function_call":null"#),
            (r#""refusal":null"#, r#""reasoning":"think""#),
            (r#""refusal":null"#, r#""content":"twice""#),
            (r#""content":"Hi \"there\"""#, r#""content":5"#),
            (r#""delta":{"content":"Hi \"there\"","refusal":null},"#, ""),
            (r#""delta":{"content":"Hi \"there\"","refusal":null}"#, r#""delta":null"#),
        ];
        for (from, to) in cases {
            let changed = RECORDED.replacen(from, to, 1);
            assert_ne!(changed, RECORDED, "{from}");
            assert!(peek_plain_chunk(&changed, canonical).is_none(), "{to}");
        }
        let no_choices = RECORDED.replace(
            r#"[{"index":0,"delta":{"content":"Hi \"there\"","refusal":null},"logprobs":null,"finish_reason":null}]"#,
            "[]",
        );
        assert!(peek_plain_chunk(&no_choices, canonical).is_none());
        for bad in ["", "[DONE]", "[1]", "null", "{", &format!("{RECORDED} x"), &RECORDED[..RECORDED.len() - 1]] {
            assert!(peek_plain_chunk(bad, canonical).is_none(), "{bad}");
        }
        // escaped strings are read, and whitespace around the object is fine
        let spaced = format!(" {} \n", RECORDED.replace(r#""model":"gpt-4o-mini""#, r#""model":"gpt\u002d4o""#));
        assert_eq!(peek_plain_chunk(&spaced, canonical).unwrap().model, "gpt-4o");
    }
}
