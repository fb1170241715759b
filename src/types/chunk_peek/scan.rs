//! The quick look: one pass over the chunk's bytes, for the JSON streams nearly always send
//! (unescaped keys, whole numbers, strings with valid escapes). It answers exactly what the serde
//! look answers, or leaves the chunk to it: on anything it does not handle itself (a key with
//! escapes, a fraction or exponent, a number out of range, deep nesting, a syntax error) it
//! answers [`Stop::Defer`]. A chunk it refuses is one the serde look refuses too: the refusals
//! are the same rules, checked on the same values.

use std::borrow::Cow;

use super::{Choice, Choices, ChunkPeek, Layout, NONE, Part, is_str_or_null, link_first};

/// Why the quick look stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stop {
    /// Not plain: the full path takes the chunk.
    Refuse,
    /// Not for the quick look: the serde look decides.
    Defer,
}

type R<T> = Result<T, Stop>;

/// Nested values deeper than this are left to the serde look (whose limit is 128).
const MAX_DEPTH: u32 = 64;

/// The quick look at `json`; `Err(Stop::Defer)` leaves the answer to the serde look.
pub(super) fn scan<'a>(json: &'a str, canonical_finish: fn(&str) -> bool) -> R<ChunkPeek<'a>> {
    if u32::try_from(json.len()).is_err() {
        return Err(Stop::Defer);
    }
    let mut s = Scan { json, b: json.as_bytes(), i: 0, layout: Layout::default(), canonical_finish };
    let top = s.top()?;
    s.ws();
    if s.i != s.b.len() {
        return Err(Stop::Defer);
    }
    let (Some(id), Some(created), Some(model)) = (top.id, top.created, top.model) else {
        return Err(Stop::Refuse);
    };
    if id.is_empty() || model.is_empty() || top.choices.count == 0 {
        return Err(Stop::Refuse);
    }
    Ok(ChunkPeek {
        id,
        created,
        model,
        first_has_role: top.choices.first_has_role,
        finished: top.choices.finished,
        layout: (!s.layout.broken).then_some(s.layout),
    })
}

struct Top<'a> {
    id: Option<Cow<'a, str>>,
    created: Option<i64>,
    model: Option<Cow<'a, str>>,
    choices: Choices,
}

struct Scan<'a> {
    json: &'a str,
    b: &'a [u8],
    i: usize,
    layout: Layout,
    canonical_finish: fn(&str) -> bool,
}

/// Marks a known key as seen; a second time refuses.
fn once(seen: &mut u32, bit: u32) -> R<()> {
    if *seen & bit != 0 {
        return Err(Stop::Refuse);
    }
    *seen |= bit;
    Ok(())
}

fn span(a: usize, b: usize) -> (u32, u32) {
    // the length was checked to fit
    (a as u32, b as u32)
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Where the run of string bytes that need no look (no quote, backslash or control character)
/// starting at `j` may end, eight bytes at a time: at or before the first byte that needs one
/// (the lowest flagged byte of a word is exact; the caller goes on byte by byte from there).
fn plain_run(b: &[u8], mut j: usize) -> usize {
    while let Some(word) = b.get(j..j + 8) {
        let w = u64::from_le_bytes(word.try_into().unwrap_or([0; 8]));
        let quote = w ^ (ONES * u64::from(b'"'));
        let backslash = w ^ (ONES * u64::from(b'\\'));
        // a byte is flagged where it is zero after the XOR, or below 0x20
        let flagged = ((quote.wrapping_sub(ONES) & !quote)
            | (backslash.wrapping_sub(ONES) & !backslash)
            | (w.wrapping_sub(ONES * 0x20) & !w))
            & HIGHS;
        if flagged != 0 {
            return j + (flagged.trailing_zeros() / 8) as usize;
        }
        j += 8;
    }
    j
}

/// The end (the closing quote) of the string whose content starts at `start`, and whether it
/// has escapes, all checked as the serde look's reading checks them.
pub(super) fn string_end(b: &[u8], start: usize) -> R<(usize, bool)> {
    let (mut j, mut escaped) = (start, false);
    loop {
        j = plain_run(b, j);
        while let Some(&c) = b.get(j) {
            if c == b'"' || c == b'\\' || c < 0x20 {
                break;
            }
            j += 1;
        }
        match b.get(j) {
            Some(b'"') => return Ok((j, escaped)),
            Some(b'\\') => {
                escaped = true;
                j = escape(b, j)?;
            }
            _ => return Err(Stop::Defer), // a control character, or the end
        }
    }
}

/// The escape whose backslash is at `j`: where the string goes on after it. A `\u` escape of
/// half a surrogate pair must be the first half, followed by the second.
fn escape(b: &[u8], j: usize) -> R<usize> {
    match b.get(j + 1) {
        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => Ok(j + 2),
        Some(b'u') => match hex4(b, j + 2)? {
            0xD800..=0xDBFF => {
                if b.get(j + 6..j + 8) != Some(b"\\u") || !(0xDC00..=0xDFFF).contains(&hex4(b, j + 8)?) {
                    return Err(Stop::Defer);
                }
                Ok(j + 12)
            }
            0xDC00..=0xDFFF => Err(Stop::Defer),
            _ => Ok(j + 6),
        },
        _ => Err(Stop::Defer),
    }
}

fn hex4(b: &[u8], at: usize) -> R<u32> {
    let digits = b.get(at..at + 4).ok_or(Stop::Defer)?;
    digits.iter().try_fold(0u32, |v, &c| Ok(v * 16 + char::from(c).to_digit(16).ok_or(Stop::Defer)?))
}

impl<'a> Scan<'a> {
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.i).copied()
    }

    /// After a member or element: true for a comma (another follows), false for `close`.
    fn next_or_end(&mut self, close: u8) -> R<bool> {
        match self.peek() {
            Some(b',') => {
                self.i += 1;
                Ok(true)
            }
            Some(c) if c == close => {
                self.i += 1;
                Ok(false)
            }
            _ => Err(Stop::Defer),
        }
    }

    /// Opens an object or array: false when it is empty (and already closed). A value of another
    /// kind is refused (the serde look's reading into a map or sequence fails on it).
    fn open(&mut self, open: u8, close: u8) -> R<bool> {
        match self.peek() {
            Some(c) if c == open => self.i += 1,
            Some(_) => return Err(Stop::Refuse),
            None => return Err(Stop::Defer),
        }
        if self.peek() == Some(close) {
            self.i += 1;
            return Ok(false);
        }
        Ok(true)
    }

    /// A member's key (without escapes) and the colon after it: the key's text and span.
    fn key(&mut self) -> R<(&'a str, (u32, u32))> {
        if self.peek() != Some(b'"') {
            return Err(Stop::Defer);
        }
        let (a, b, escaped) = self.string()?;
        if escaped || self.peek() != Some(b':') {
            return Err(Stop::Defer);
        }
        self.i += 1;
        Ok((&self.json[a..b], span(a, b)))
    }

    /// The string whose opening quote is at `i`: the span of its content and whether it has
    /// escapes (all checked as the serde look's reading checks them).
    fn string(&mut self) -> R<(usize, usize, bool)> {
        let start = self.i + 1;
        let (end, escaped) = string_end(self.b, start)?;
        self.i = end + 1;
        Ok((start, end, escaped))
    }

    /// A whole number in i64's range (a fraction, an exponent or more digits: deferred).
    fn number(&mut self) -> R<i64> {
        let b = self.b;
        let mut j = self.i;
        let negative = b.get(j) == Some(&b'-');
        if negative {
            j += 1;
        }
        let mut v: u64 = 0;
        match b.get(j) {
            Some(b'0') => j += 1,
            Some(b'1'..=b'9') => {
                while let Some(&c @ b'0'..=b'9') = b.get(j) {
                    v = v.checked_mul(10).and_then(|v| v.checked_add(u64::from(c - b'0'))).ok_or(Stop::Defer)?;
                    j += 1;
                }
            }
            _ => return Err(Stop::Defer),
        }
        if let Some(b'.' | b'e' | b'E') = b.get(j) {
            return Err(Stop::Defer);
        }
        let n = if negative { 0i64.checked_sub_unsigned(v) } else { i64::try_from(v).ok() };
        self.i = j;
        n.ok_or(Stop::Defer)
    }

    fn literal(&mut self, word: &[u8]) -> R<()> {
        if self.b.get(self.i..self.i + word.len()) != Some(word) {
            return Err(Stop::Defer);
        }
        self.i += word.len();
        Ok(())
    }

    /// A member's value, as the layout keeps it.
    fn part(&mut self) -> R<Part> {
        Ok(match self.peek().ok_or(Stop::Defer)? {
            b'"' => {
                let (a, b, escaped) = self.string()?;
                if escaped {
                    let (a, b) = span(a - 1, b + 1);
                    Part::Escaped(a, b)
                } else {
                    let (a, b) = span(a, b);
                    Part::Str(a, b)
                }
            }
            b'n' => self.literal(b"null").map(|()| Part::Null)?,
            b't' => self.literal(b"true").map(|()| Part::Bool(true))?,
            b'f' => self.literal(b"false").map(|()| Part::Bool(false))?,
            b'-' | b'0'..=b'9' => Part::Int(self.number()?),
            b'{' | b'[' => {
                let start = self.i;
                self.skip(0)?;
                let (a, b) = span(start, self.i);
                Part::Raw(a, b)
            }
            _ => return Err(Stop::Defer),
        })
    }

    /// Any value, checked and passed over.
    fn skip(&mut self, depth: u32) -> R<()> {
        if depth > MAX_DEPTH {
            return Err(Stop::Defer);
        }
        match self.peek().ok_or(Stop::Defer)? {
            b'{' => {
                let mut more = self.open(b'{', b'}')?;
                while more {
                    // keys here may have escapes: they are only checked
                    if self.peek() != Some(b'"') {
                        return Err(Stop::Defer);
                    }
                    self.string()?;
                    if self.peek() != Some(b':') {
                        return Err(Stop::Defer);
                    }
                    self.i += 1;
                    self.skip(depth + 1)?;
                    more = self.next_or_end(b'}')?;
                }
                Ok(())
            }
            b'[' => {
                let mut more = self.open(b'[', b']')?;
                while more {
                    self.skip(depth + 1)?;
                    more = self.next_or_end(b']')?;
                }
                Ok(())
            }
            _ => self.part().map(|_| ()),
        }
    }

    /// A string member's value (escapes undone only when it has some); anything else refuses.
    fn text(&self, part: Part) -> R<Cow<'a, str>> {
        match part {
            Part::Str(a, b) => Ok(Cow::Borrowed(&self.json[a as usize..b as usize])),
            Part::Escaped(a, b) => serde_json::from_str::<String>(&self.json[a as usize..b as usize])
                .map(Cow::Owned)
                .map_err(|_| Stop::Defer),
            _ => Err(Stop::Refuse),
        }
    }

    fn top(&mut self) -> R<Top<'a>> {
        let mut top = Top { id: None, created: None, model: None, choices: Choices::default() };
        let (mut seen, mut prev) = (0u32, NONE);
        let mut more = self.open(b'{', b'}')?;
        while more {
            let (key, k) = self.key()?;
            match key {
                "choices" => {
                    once(&mut seen, 1)?;
                    let at = self.layout.push(k, Part::Array(NONE), &mut prev);
                    top.choices = self.choices(at)?;
                }
                // read into its own type, priced, `null` dropped: the full path's
                "usage" => return Err(Stop::Refuse),
                _ => {
                    let part = self.part()?;
                    self.layout.push(k, part, &mut prev);
                    match key {
                        "id" => {
                            once(&mut seen, 2)?;
                            top.id = Some(self.text(part)?);
                        }
                        "object" => {
                            once(&mut seen, 4)?;
                            self.text(part)?;
                        }
                        "created" => {
                            once(&mut seen, 8)?;
                            top.created = Some(match part {
                                Part::Int(n) if n > 0 => n,
                                _ => return Err(Stop::Refuse),
                            });
                        }
                        "model" => {
                            once(&mut seen, 16)?;
                            top.model = Some(self.text(part)?);
                        }
                        "system_fingerprint" => {
                            once(&mut seen, 32)?;
                            if !is_str_or_null(part) {
                                return Err(Stop::Refuse);
                            }
                        }
                        _ => {}
                    }
                }
            }
            more = self.next_or_end(b'}')?;
        }
        // the full path writes an `object` where there was none
        if seen & 4 == 0 {
            return Err(Stop::Refuse);
        }
        Ok(top)
    }

    /// The choices; `at` is their member in the layout.
    fn choices(&mut self, at: u8) -> R<Choices> {
        let mut out = Choices::default();
        let mut prev = NONE;
        let mut more = self.open(b'[', b']')?;
        while more {
            let element = self.layout.push((0, 0), Part::Object(NONE), &mut prev);
            if out.count == 0 {
                self.layout.set_part(at, Part::Array(element));
            }
            let c = self.choice(element)?;
            if out.count == 0 {
                out.first_has_role = c.has_role;
            }
            out.count += 1;
            out.finished |= c.finished;
            more = self.next_or_end(b']')?;
        }
        Ok(out)
    }

    /// One choice; `at` is its element in the layout.
    fn choice(&mut self, at: u8) -> R<Choice> {
        let (mut has_role, mut finished) = (None, false);
        let (mut seen, mut prev) = (0u32, NONE);
        let mut more = self.open(b'{', b'}')?;
        while more {
            let (key, k) = self.key()?;
            if key == "delta" {
                once(&mut seen, 1)?;
                let d = self.layout.push(k, Part::Object(NONE), &mut prev);
                link_first(&mut self.layout, at, d);
                has_role = Some(self.delta(d)?);
            } else {
                let part = self.part()?;
                let i = self.layout.push(k, part, &mut prev);
                link_first(&mut self.layout, at, i);
                match key {
                    "index" => {
                        once(&mut seen, 2)?;
                        if !matches!(part, Part::Int(n) if (0..=i64::from(u32::MAX)).contains(&n)) {
                            return Err(Stop::Refuse);
                        }
                    }
                    "finish_reason" => {
                        once(&mut seen, 4)?;
                        if part != Part::Null {
                            if !(self.canonical_finish)(&self.text(part)?) {
                                return Err(Stop::Refuse);
                            }
                            finished = true;
                        }
                    }
                    "logprobs" => once(&mut seen, 8)?,
                    _ => {}
                }
            }
            more = self.next_or_end(b'}')?;
        }
        // a choice without its delta, index or finish_reason gets them on the full path
        let Some(has_role) = has_role else { return Err(Stop::Refuse) };
        if seen & (2 | 4) != 2 | 4 {
            return Err(Stop::Refuse);
        }
        Ok(Choice { has_role, finished })
    }

    /// A delta of text (see `DeltaSeed`); `at` is its member in the layout. Answers whether it
    /// names its role.
    fn delta(&mut self, at: u8) -> R<bool> {
        let mut has_role = false;
        let (mut seen, mut prev) = (0u32, NONE);
        let mut more = self.open(b'{', b'}')?;
        while more {
            let (key, k) = self.key()?;
            if matches!(key, "tool_calls" | "function_call" | "reasoning") {
                return Err(Stop::Refuse);
            }
            let part = self.part()?;
            let i = self.layout.push(k, part, &mut prev);
            link_first(&mut self.layout, at, i);
            let bit = match key {
                "role" => 1,
                "content" => 2,
                "reasoning_content" => 4,
                _ => 0,
            };
            if bit != 0 {
                once(&mut seen, bit)?;
                if !is_str_or_null(part) {
                    return Err(Stop::Refuse);
                }
                has_role |= bit == 1 && part != Part::Null;
            }
            more = self.next_or_end(b'}')?;
        }
        Ok(has_role)
    }
}

#[cfg(test)]
mod tests {
    use super::plain_run;

    #[test]
    fn plain_runs_stop_at_the_first_byte_that_needs_a_look() {
        for special in [b'"', b'\\', 0x00, 0x01, 0x1f] {
            for at in 0..40 {
                // plain ASCII, the bytes of a two-byte character, and 0x20 itself around it
                let mut b: Vec<u8> = "aé b~".bytes().cycle().take(48).collect();
                b[at] = special;
                let end = plain_run(&b, 0);
                assert!(end <= at && b[..end].iter().all(|&c| c >= 0x20 && c != b'"' && c != b'\\'));
                // what is left to the byte loop is less than a word
                assert!(at - end < 8, "{special} at {at}: stopped at {end}");
            }
        }
        assert_eq!(plain_run(b"abcdefghijk", 0), 8); // a tail shorter than a word: byte by byte
    }
}
