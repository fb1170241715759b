//! A look at a stream chunk's JSON without keeping it: whether it is already in the canonical
//! shape, and where its parts are.
//!
//! A stream uses the first to hand such a chunk on as it came instead of reading it into a
//! `ChatChunk` and writing it out again (which, for an OpenAI-compatible stream, was two thirds of
//! the reader's work per chunk and changed nothing). The Python side uses the second, the
//! [`Layout`], to make the chunk's objects without reading the JSON again.
//!
//! The look borrows every string and allocates nothing for the usual chunk. It answers `None` for
//! anything the full reading would change or reject (a missing or empty id, model or `created`,
//! `usage`, tool calls, `reasoning` under its other name, a `null` where the full reading puts a
//! default, a float index, a duplicated known key, ...): those chunks take the full path.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::chunk::Key;

mod memo;
mod scan;

pub use memo::PeekMemo;

/// At most this many members (of the chunk, its choices and their deltas, together) in a layout.
pub const LAYOUT_MEMBERS: usize = 24;
/// No member: the end of a chain, or an empty object.
pub const NONE: u8 = u8::MAX;

/// A member's value, by where it is in the chunk's JSON (byte offsets).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Null,
    Bool(bool),
    Int(i64),
    /// A string without escapes: the text between its quotes.
    Str(u32, u32),
    /// A string with escapes: its JSON text, quotes included.
    Escaped(u32, u32),
    /// Any other value (a float, an object or an array other than the choices and deltas): its
    /// JSON text.
    Raw(u32, u32),
    /// An object (a delta, a choice): its first member; members chain through `next`.
    Object(u8),
    /// The choices: the first; choices chain through `next`.
    Array(u8),
}

/// One member of an object (or one element of the choices, with an empty key), in 16 bytes: a
/// layout is copied from the reader's thread to the Python thread with its chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Member {
    key_start: u32,
    key_len: u16,
    tag: u8,
    /// The next member of the same object, or NONE.
    next: u8,
    a: u32,
    b: u32,
}

const EMPTY: Member = Member { key_start: 0, key_len: 0, tag: 0, next: NONE, a: 0, b: 0 };

impl Member {
    fn new(key: (u32, u32), part: Part) -> Option<Self> {
        let key_len = u16::try_from(key.1.checked_sub(key.0)?).ok()?;
        let (tag, a, b) = match part {
            Part::Null => (0, 0, 0),
            Part::Bool(x) => (1, u32::from(x), 0),
            Part::Int(n) => (2, n as u32, (n >> 32) as u32),
            Part::Str(a, b) => (3, a, b),
            Part::Escaped(a, b) => (4, a, b),
            Part::Raw(a, b) => (5, a, b),
            Part::Object(f) => (6, u32::from(f), 0),
            Part::Array(f) => (7, u32::from(f), 0),
        };
        Some(Self { key_start: key.0, key_len, tag, next: NONE, a, b })
    }

    /// The key's text (keys with escapes give no layout).
    pub fn key(&self) -> (u32, u32) {
        (self.key_start, self.key_start + u32::from(self.key_len))
    }

    pub fn part(&self) -> Part {
        match self.tag {
            0 => Part::Null,
            1 => Part::Bool(self.a != 0),
            2 => Part::Int((i64::from(self.b) << 32) | i64::from(self.a)),
            3 => Part::Str(self.a, self.b),
            4 => Part::Escaped(self.a, self.b),
            5 => Part::Raw(self.a, self.b),
            6 => Part::Object(self.a as u8),
            _ => Part::Array(self.a as u8),
        }
    }

    /// The next member of the same object, or NONE.
    pub fn next(&self) -> u8 {
        self.next
    }
}

/// Where a chunk's parts are: the chunk object's members in order, the choices and their members
/// chained in the same table. Owns no heap memory, so it can go from the stream's reader to the
/// Python thread by value.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    members: [Member; LAYOUT_MEMBERS],
    len: u8,
    /// Too many members, a key with escapes, or a chunk over 4 GB: no layout.
    broken: bool,
}

/// Layouts are equal when their members are (slots past the last member do not count).
impl PartialEq for Layout {
    fn eq(&self, other: &Self) -> bool {
        let n = usize::from(self.len);
        self.len == other.len && self.broken == other.broken && self.members[..n] == other.members[..n]
    }
}

impl Default for Layout {
    fn default() -> Self {
        Self { members: [EMPTY; LAYOUT_MEMBERS], len: 0, broken: false }
    }
}

impl Layout {
    /// The chunk object's first member (the table starts with it), or NONE.
    pub fn root(&self) -> u8 {
        if self.len == 0 { NONE } else { 0 }
    }

    pub fn member(&self, i: u8) -> &Member {
        &self.members[usize::from(i)]
    }

    /// The members of the object whose first member is `first`, in order.
    pub fn chain(&self, first: u8) -> impl Iterator<Item = &Member> {
        let mut at = first;
        std::iter::from_fn(move || {
            let m = self.members.get(usize::from(at))?;
            at = m.next;
            Some(m)
        })
    }

    fn push(&mut self, key: (u32, u32), part: Part, prev: &mut u8) -> u8 {
        let i = self.len;
        if self.broken || usize::from(i) >= LAYOUT_MEMBERS {
            self.broken = true;
            return NONE;
        }
        let Some(m) = Member::new(key, part) else {
            self.broken = true;
            return NONE;
        };
        self.members[usize::from(i)] = m;
        if *prev != NONE {
            self.members[usize::from(*prev)].next = i;
        }
        *prev = i;
        self.len += 1;
        i
    }

    /// Takes back the member `i` just pushed; `before` was the member before it.
    fn pop(&mut self, i: u8, before: u8) {
        if self.broken || i == NONE {
            return;
        }
        self.len -= 1;
        if before != NONE {
            self.members[usize::from(before)].next = NONE;
        }
    }

    fn set_part(&mut self, i: u8, part: Part) {
        if let Some(m) = self.members.get_mut(usize::from(i))
            && let Some(new) = Member::new(m.key(), part)
        {
            *m = Member { next: m.next, ..new };
        }
    }
}

/// What a stream needs to know of a chunk that goes on as it came, and where its parts are.
#[derive(Debug, Clone, PartialEq)]
pub struct ChunkPeek<'a> {
    pub id: std::borrow::Cow<'a, str>,
    pub created: i64,
    pub model: std::borrow::Cow<'a, str>,
    /// The first choice's delta names its role.
    pub first_has_role: bool,
    /// Some choice has a finish_reason.
    pub finished: bool,
    /// Where its parts are; None when they do not fit a layout.
    pub layout: Option<Layout>,
}

/// The chunk's summary when `json` is a chat chunk in the canonical shape with at least one
/// choice, whose finish reasons are all spelled as `canonical_finish` wants them.
///
/// A quick one-pass look (`scan`) answers for the JSON streams nearly always send; what it
/// leaves (keys with escapes, fractions, big numbers, ...) is looked at through serde.
pub fn peek_plain_chunk<'a>(json: &'a str, canonical_finish: fn(&str) -> bool) -> Option<ChunkPeek<'a>> {
    match scan::scan(json, canonical_finish) {
        Ok(peek) => Some(peek),
        Err(scan::Stop::Refuse) => None,
        Err(scan::Stop::Defer) => peek_serde(json, canonical_finish),
    }
}

/// The same look through serde (borrowed `RawValue`s), for any JSON.
fn peek_serde<'a>(json: &'a str, canonical_finish: fn(&str) -> bool) -> Option<ChunkPeek<'a>> {
    let mut rec = Rec { base: json.as_ptr() as usize, len: json.len(), layout: Layout::default(), canonical_finish };
    if u32::try_from(json.len()).is_err() {
        rec.layout.broken = true;
    }
    let mut de = serde_json::Deserializer::from_str(json);
    let top = TopSeed(&mut rec).deserialize(&mut de).ok()?;
    de.end().ok()?;
    let (id, created, model) = (top.id?, top.created?, top.model?);
    if id.is_empty() || model.is_empty() || top.choices.count == 0 {
        return None;
    }
    Some(ChunkPeek {
        id,
        created,
        model,
        first_has_role: top.choices.first_has_role,
        finished: top.choices.finished,
        layout: (!rec.layout.broken).then_some(rec.layout),
    })
}

/// The recording of one look.
struct Rec {
    base: usize,
    len: usize,
    layout: Layout,
    canonical_finish: fn(&str) -> bool,
}

impl Rec {
    fn span(&self, s: &str) -> (u32, u32) {
        let start = (s.as_ptr() as usize).wrapping_sub(self.base) as u32;
        (start, start.wrapping_add(s.len() as u32))
    }

    /// A key's span; a key with escapes (read into a buffer of its own, not in the JSON as it is)
    /// breaks the layout.
    fn key(&mut self, key: &str) -> (u32, u32) {
        let start = (key.as_ptr() as usize).wrapping_sub(self.base);
        if start.saturating_add(key.len()) > self.len {
            self.layout.broken = true;
            return (0, 0);
        }
        self.span(key)
    }

    /// A scalar or whole value, by its JSON text; None when the full reading would refuse it
    /// (skipping a value checks its syntax only: a lone surrogate escape or a number out of
    /// range is found by reading it).
    fn part(&self, raw: &str) -> Option<Part> {
        let (start, end) = self.span(raw);
        let bytes = raw.as_bytes();
        Some(match bytes.first() {
            Some(b'"') if bytes.contains(&b'\\') => {
                if raw.contains("\\u") {
                    checked(raw)?;
                }
                Part::Escaped(start, end)
            }
            Some(b'"') => Part::Str(start.wrapping_add(1), end.wrapping_sub(1)),
            Some(b'n') => Part::Null,
            Some(b't') => Part::Bool(true),
            Some(b'f') => Part::Bool(false),
            Some(b'-' | b'0'..=b'9') => match raw.parse() {
                Ok(n) => Part::Int(n),
                Err(_) => {
                    checked(raw)?;
                    Part::Raw(start, end)
                }
            },
            _ => {
                checked(raw)?;
                Part::Raw(start, end)
            }
        })
    }
}

/// Whether a value's JSON reads whole (strings unescaped, numbers in range), without keeping it.
fn checked(raw: &str) -> Option<()> {
    serde_json::from_str::<Checked>(raw).ok().map(|_| ())
}

/// Reads a value the way the full path does and keeps nothing.
struct Checked;

impl<'de> de::Deserialize<'de> for Checked {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Checked;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Checked, E> {
                Ok(Checked)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Checked, E> {
                Ok(Checked)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Checked, E> {
                Ok(Checked)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Checked, E> {
                Ok(Checked)
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Checked, E> {
                Ok(Checked)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Checked, E> {
                Ok(Checked)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Checked, A::Error> {
                while a.next_element::<Checked>()?.is_some() {}
                Ok(Checked)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Checked, A::Error> {
                while a.next_entry::<Checked, Checked>()?.is_some() {}
                Ok(Checked)
            }
        }
        d.deserialize_any(V)
    }
}

/// Stops the look: the chunk takes the full path.
fn refuse<E: de::Error>() -> E {
    E::custom("not plain")
}

/// Marks a known key as seen; a second time refuses.
fn once<E: de::Error>(seen: &mut u32, bit: u32) -> Result<(), E> {
    if *seen & bit != 0 {
        return Err(refuse());
    }
    *seen |= bit;
    Ok(())
}

/// A string's value (escapes undone only when it has some).
fn text<'a>(raw: &'a RawValue, part: Part) -> Option<std::borrow::Cow<'a, str>> {
    let s = raw.get();
    match part {
        Part::Str(..) => Some(std::borrow::Cow::Borrowed(&s[1..s.len() - 1])),
        Part::Escaped(..) => serde_json::from_str::<String>(s).ok().map(std::borrow::Cow::Owned),
        _ => None,
    }
}

fn is_str_or_null(p: Part) -> bool {
    matches!(p, Part::Str(..) | Part::Escaped(..) | Part::Null)
}

struct Top<'a> {
    id: Option<std::borrow::Cow<'a, str>>,
    created: Option<i64>,
    model: Option<std::borrow::Cow<'a, str>>,
    choices: Choices,
}

struct TopSeed<'r>(&'r mut Rec);

impl<'de> DeserializeSeed<'de> for TopSeed<'_> {
    type Value = Top<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Top<'de>, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TopSeed<'_> {
    type Value = Top<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a chat.completion.chunk object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Top<'de>, A::Error> {
        let rec = self.0;
        let mut top = Top { id: None, created: None, model: None, choices: Choices::default() };
        let (mut seen, mut prev) = (0u32, NONE);
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            let k = rec.key(&key);
            if &*key == "choices" {
                once(&mut seen, 1)?;
                let at = rec.layout.push(k, Part::Array(NONE), &mut prev);
                top.choices = map.next_value_seed(ChoicesSeed(rec, at))?;
                continue;
            }
            // read into its own type, priced, `null` dropped: the full path's
            if &*key == "usage" {
                return Err(refuse());
            }
            let raw: &'de RawValue = map.next_value()?;
            let part = rec.part(raw.get()).ok_or_else(refuse)?;
            rec.layout.push(k, part, &mut prev);
            match &*key {
                "id" => {
                    once(&mut seen, 2)?;
                    top.id = Some(text(raw, part).ok_or_else(refuse)?);
                }
                "object" => {
                    once(&mut seen, 4)?;
                    text(raw, part).ok_or_else(refuse)?;
                }
                "created" => {
                    once(&mut seen, 8)?;
                    top.created = Some(match part {
                        Part::Int(n) if n > 0 => n,
                        _ => return Err(refuse()),
                    });
                }
                "model" => {
                    once(&mut seen, 16)?;
                    top.model = Some(text(raw, part).ok_or_else(refuse)?);
                }
                "system_fingerprint" => {
                    once(&mut seen, 32)?;
                    if !is_str_or_null(part) {
                        return Err(refuse());
                    }
                }
                _ => {}
            }
        }
        // the full path writes an `object` where there was none
        if seen & 4 == 0 {
            return Err(refuse());
        }
        Ok(top)
    }
}

/// What the choices say, together.
#[derive(Default)]
struct Choices {
    count: usize,
    first_has_role: bool,
    finished: bool,
}

/// The choices; `at` is their member in the layout.
struct ChoicesSeed<'r>(&'r mut Rec, u8);

impl<'de> DeserializeSeed<'de> for ChoicesSeed<'_> {
    type Value = Choices;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Choices, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ChoicesSeed<'_> {
    type Value = Choices;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of choices")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Choices, A::Error> {
        let (rec, at) = (self.0, self.1);
        let mut out = Choices::default();
        let mut prev = NONE;
        loop {
            // each element's place is taken before it is read (its members follow it)
            let before = prev;
            let element = rec.layout.push((0, 0), Part::Object(NONE), &mut prev);
            if out.count == 0 {
                rec.layout.set_part(at, Part::Array(element));
            }
            let Some(c) = seq.next_element_seed(ChoiceSeed(rec, element))? else {
                rec.layout.pop(element, before);
                if out.count == 0 {
                    rec.layout.set_part(at, Part::Array(NONE));
                }
                return Ok(out);
            };
            if out.count == 0 {
                out.first_has_role = c.has_role;
            }
            out.count += 1;
            out.finished |= c.finished;
        }
    }
}

struct Choice {
    has_role: bool,
    finished: bool,
}

/// One choice; `at` is its element in the layout.
struct ChoiceSeed<'r>(&'r mut Rec, u8);

impl<'de> DeserializeSeed<'de> for ChoiceSeed<'_> {
    type Value = Choice;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Choice, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ChoiceSeed<'_> {
    type Value = Choice;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a chunk's choice")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Choice, A::Error> {
        let (rec, at) = (self.0, self.1);
        let (mut has_role, mut finished) = (None, false);
        let (mut seen, mut prev) = (0u32, NONE);
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            let k = rec.key(&key);
            if &*key == "delta" {
                once(&mut seen, 1)?;
                let d = rec.layout.push(k, Part::Object(NONE), &mut prev);
                link_first(&mut rec.layout, at, d);
                has_role = Some(map.next_value_seed(DeltaSeed(rec, d))?);
                continue;
            }
            let raw: &'de RawValue = map.next_value()?;
            let part = rec.part(raw.get()).ok_or_else(refuse)?;
            let i = rec.layout.push(k, part, &mut prev);
            link_first(&mut rec.layout, at, i);
            match &*key {
                "index" => {
                    once(&mut seen, 2)?;
                    if !matches!(part, Part::Int(n) if (0..=i64::from(u32::MAX)).contains(&n)) {
                        return Err(refuse());
                    }
                }
                "finish_reason" => {
                    once(&mut seen, 4)?;
                    if part != Part::Null {
                        let r = text(raw, part).ok_or_else(refuse)?;
                        if !(rec.canonical_finish)(&r) {
                            return Err(refuse());
                        }
                        finished = true;
                    }
                }
                "logprobs" => once(&mut seen, 8)?,
                _ => {}
            }
        }
        // a choice without its delta, index or finish_reason gets them on the full path
        let Some(has_role) = has_role else { return Err(refuse()) };
        if seen & (2 | 4) != 2 | 4 {
            return Err(refuse());
        }
        Ok(Choice { has_role, finished })
    }
}

/// Points the object member `at` at its first member, once it has one (`member` is the latest).
fn link_first(layout: &mut Layout, at: u8, member: u8) {
    if at != NONE && member != NONE && layout.member(at).part() == Part::Object(NONE) {
        layout.set_part(at, Part::Object(member));
    }
}

/// A delta of text: role, content, reasoning_content, refusal and extras (no tool calls, no
/// function call, no `reasoning`: the full path reads those into their own types or renames them).
/// Answers whether it names its role.
struct DeltaSeed<'r>(&'r mut Rec, u8);

impl<'de> DeserializeSeed<'de> for DeltaSeed<'_> {
    type Value = bool;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for DeltaSeed<'_> {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a chunk's delta")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let (rec, at) = (self.0, self.1);
        let mut has_role = false;
        let (mut seen, mut prev) = (0u32, NONE);
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            let k = rec.key(&key);
            if matches!(&*key, "tool_calls" | "function_call" | "reasoning") {
                return Err(refuse());
            }
            let raw: &'de RawValue = map.next_value()?;
            let part = rec.part(raw.get()).ok_or_else(refuse)?;
            let i = rec.layout.push(k, part, &mut prev);
            link_first(&mut rec.layout, at, i);
            let bit = match &*key {
                "role" => 1,
                "content" => 2,
                "reasoning_content" => 4,
                _ => continue,
            };
            once(&mut seen, bit)?;
            if !is_str_or_null(part) {
                return Err(refuse());
            }
            has_role |= bit == 1 && part != Part::Null;
        }
        Ok(has_role)
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

    /// The layout read back as JSON-like text: `{key: part, ...}`, strings as their text.
    fn show(json: &str, l: &Layout, first: u8) -> String {
        let at = |a: u32, b: u32| &json[a as usize..b as usize];
        let part = |p: Part| match p {
            Part::Null => "null".to_owned(),
            Part::Bool(b) => b.to_string(),
            Part::Int(n) => n.to_string(),
            Part::Str(a, b) => format!("'{}'", at(a, b)),
            Part::Escaped(a, b) | Part::Raw(a, b) => at(a, b).to_owned(),
            Part::Object(f) => show(json, l, f),
            Part::Array(f) => {
                let items: Vec<String> = l
                    .chain(f)
                    .map(|e| match e.part() {
                        Part::Object(o) => show(json, l, o),
                        other => format!("{other:?}"),
                    })
                    .collect();
                format!("[{}]", items.join(", "))
            }
        };
        let members: Vec<String> = l
            .chain(first)
            .map(|m| {
                let (a, b) = m.key();
                format!("{}: {}", at(a, b), part(m.part()))
            })
            .collect();
        format!("{{{}}}", members.join(", "))
    }

    #[test]
    fn a_recorded_openai_chunk_is_plain_and_its_layout_says_where_everything_is() {
        let p = peek_plain_chunk(RECORDED, canonical).unwrap();
        assert_eq!((&*p.id, p.created, &*p.model), ("chatcmpl-1", 1717000000, "gpt-4o-mini"));
        assert!(matches!(p.id, std::borrow::Cow::Borrowed(_)));
        assert!(!p.first_has_role && !p.finished);
        let l = p.layout.unwrap();
        assert_eq!(
            show(RECORDED, &l, l.root()),
            r#"{id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1717000000, model: 'gpt-4o-mini', service_tier: 'default', system_fingerprint: 'fp_1', choices: [{index: 0, delta: {content: "Hi \"there\"", refusal: null}, logprobs: null, finish_reason: null}], obfuscation: 'x9'}"#
        );
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
    fn layouts_of_several_choices_empty_deltas_and_nested_extras() {
        let json = r#"{"id":"c","object":"o","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":null},{"delta":{"role":"assistant"},"index":1,"finish_reason":"stop"}],"x":{"a":[1,2.5]},"n":-3,"b":true}"#;
        let p = peek_plain_chunk(json, canonical).unwrap();
        assert!(p.finished && !p.first_has_role);
        let l = p.layout.unwrap();
        assert_eq!(
            show(json, &l, l.root()),
            r#"{id: 'c', object: 'o', created: 1, model: 'm', choices: [{index: 0, delta: {}, finish_reason: null}, {delta: {role: 'assistant'}, index: 1, finish_reason: 'stop'}], x: {"a":[1,2.5]}, n: -3, b: true}"#
        );
        // whole numbers keep their 64 bits in a 16-byte member
        assert_eq!(std::mem::size_of::<Member>(), 16);
        let big = json.replacen(r#""n":-3"#, r#""n":-9007199254740993"#, 1);
        let l = peek_plain_chunk(&big, canonical).unwrap().layout.unwrap();
        assert!(l.chain(l.root()).any(|m| m.part() == Part::Int(-9_007_199_254_740_993)));
        // too many members for a layout: the look still answers, without one
        let extras: String = (0..LAYOUT_MEMBERS).map(|i| format!(r#","e{i}":{i}"#)).collect();
        let big = json.replacen(r#""b":true"#, &format!(r#""b":true{extras}"#), 1);
        let p = peek_plain_chunk(&big, canonical).unwrap();
        assert!(p.layout.is_none());
        // so does a key with escapes
        let escaped = json.replacen(r#""x":"#, r#""\u0078y":"#, 1);
        assert!(peek_plain_chunk(&escaped, canonical).unwrap().layout.is_none());
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
            // what the full path fills in when it is missing
            (r#""object":"chat.completion.chunk","#, ""),
            (r#""index":0,"#, ""),
            (r#","finish_reason":null"#, ""),
            // what the full path's reading refuses although the syntax is right
            (r#""content":"Hi \"there\"""#, r#""content":"\ud83d""#),
            (r#""obfuscation":"x9""#, r#""obfuscation":"\udc00x""#),
            (r#""obfuscation":"x9""#, r#""obfuscation":1e400"#),
            (r#""obfuscation":"x9""#, r#""obfuscation":{"a":[1,"\ud800"]}"#),
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
        // a surrogate pair, floats and nested extras in range are fine
        let fine = RECORDED
            .replace(r#""content":"Hi \"there\"""#, r#""content":"\ud83d\ude00 \u00e9""#)
            .replace(r#""obfuscation":"x9""#, r#""obfuscation":{"a":[1.5e300,"\u00e9"]}"#);
        assert!(peek_plain_chunk(&fine, canonical).is_some());
        // escaped strings are read, and whitespace around the object is fine
        let spaced = format!(" {} \n", RECORDED.replace(r#""model":"gpt-4o-mini""#, r#""model":"gpt\u002d4o""#));
        assert_eq!(peek_plain_chunk(&spaced, canonical).unwrap().model, "gpt-4o");
    }

    /// A small deterministic generator for the mutations below.
    fn next(state: &mut u64) -> usize {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        (*state >> 11) as usize
    }

    /// `json` with one or two random edits (on character boundaries): a character deleted,
    /// replaced or a token inserted, or a piece repeated.
    fn mutate(json: &str, state: &mut u64) -> String {
        const TOKENS: &[&str] = &[
            "\"",
            "\\",
            "{",
            "}",
            "[",
            "]",
            ",",
            ":",
            " ",
            "\n",
            "0",
            "-",
            "7",
            "1.5",
            "2e3",
            "null",
            "true",
            "nul",
            "\\u00e9",
            "\\ud83d",
            "\\ude00",
            "\\ud83d\\ude00",
            "\\x",
            "\u{1}",
            "é",
            "\"usage\":1,",
            "\"id\":\"x\",",
            "\"k\":{\"a\":[1,{}]},",
            "\"\\u0069d\":\"y\",",
            "99999999999999999999",
            "\"tool_calls\":[],",
        ];
        let mut s = json.to_owned();
        for _ in 0..1 + next(state) % 2 {
            let mut at = next(state) % (s.len() + 1);
            while !s.is_char_boundary(at) {
                at -= 1;
            }
            let token = TOKENS[next(state) % TOKENS.len()];
            match next(state) % 4 {
                0 if at < s.len() => {
                    let end = (at + 1..=s.len()).find(|&e| s.is_char_boundary(e)).unwrap_or(s.len());
                    s.replace_range(at..end, "");
                }
                1 if at < s.len() => {
                    let end = (at + 1..=s.len()).find(|&e| s.is_char_boundary(e)).unwrap_or(s.len());
                    s.replace_range(at..end, token);
                }
                2 => {
                    let mut end = (at + 1 + next(state) % 40).min(s.len());
                    while !s.is_char_boundary(end) {
                        end -= 1;
                    }
                    let piece = s[at..end].to_owned();
                    s.insert_str(at, &piece);
                }
                _ => s.insert_str(at, token),
            }
        }
        s
    }

    #[test]
    fn the_quick_look_answers_what_the_serde_look_answers() {
        let several = r#"{"id":"c","object":"o","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":null},{"delta":{"role":"assistant"},"index":1,"finish_reason":"stop"}],"x":{"a":[1,-2,"\u00e9"]},"n":-3,"b":true}"#;
        // as Python's json.dumps writes it: spaces after separators, non-ASCII escaped
        let spaced = r#"{"id": "chatcmpl-2", "object": "chat.completion.chunk", "created": 1717000001, "model": "m", "choices": [{"index": 0, "delta": {"role": "assistant", "content": "caf\u00e9 \ud83d\ude00 \"q\"\n"}, "logprobs": null, "finish_reason": null}]}"#;
        let usage = r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":1}}"#;
        let tools = r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{}"}}]},"finish_reason":null}]}"#;
        let samples = [RECORDED, several, spaced, usage, tools];
        // the plain ones are answered by the quick look itself, as the serde look answers
        for json in [RECORDED, several, spaced] {
            let quick = scan::scan(json, canonical).unwrap();
            assert_eq!(Some(quick), peek_serde(json, canonical), "{json}");
        }
        for json in [usage, tools] {
            assert_eq!(scan::scan(json, canonical).err(), Some(scan::Stop::Refuse));
            assert_eq!(peek_serde(json, canonical), None);
        }
        let (mut state, mut answered, mut plain, mut serde_plain) = (0x9E37_79B9_7F4A_7C15_u64, 0, 0, 0);
        for json in samples {
            for _ in 0..4000 {
                let m = mutate(json, &mut state);
                let slow = peek_serde(&m, canonical);
                serde_plain += usize::from(slow.is_some());
                match scan::scan(&m, canonical) {
                    Err(scan::Stop::Defer) => {}
                    quick => {
                        answered += 1;
                        plain += usize::from(quick.is_ok());
                        assert_eq!(quick.ok(), slow, "{m}");
                    }
                }
            }
        }
        // the edits that leave a plain chunk are nearly all answered by the quick look (the rest
        // have what it leaves to serde: escaped keys, fractions, big numbers)
        assert!(answered > 5000 && plain * 10 > serde_plain * 8, "{answered} answered, {plain} of {serde_plain} plain");
    }
}
