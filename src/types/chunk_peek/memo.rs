//! The look at a stream's chunks, one after another: consecutive chunks of a stream nearly always
//! differ only in the text of their strings (the delta's content, an `obfuscation` extra, ...),
//! so a chunk is first compared with the one before it. When every byte outside the previous
//! chunk's strings is the same and each string is still a string, the previous look's answer
//! holds with the strings' new places: no reading of keys, numbers or structure again. Anything
//! else (a key, number, null or nesting that changed, a string that became something else, an
//! id or model that became empty, a finish reason to check) takes the whole look.

use std::borrow::Cow;

use super::scan::string_end;
use super::{ChunkPeek, Layout, NONE, Part, peek_plain_chunk};

/// The previous chunk of a stream and what the look found in it.
#[derive(Debug, Default)]
pub struct PeekMemo {
    json: Vec<u8>,
    last: Option<Last>,
    /// How many looks were answered by comparison.
    #[cfg(test)]
    compared: usize,
}

#[derive(Debug)]
struct Last {
    layout: Layout,
    created: i64,
    first_has_role: bool,
    finished: bool,
    /// The members holding the id and the model (strings without escapes).
    id: u8,
    model: u8,
    /// The members holding a choice's finish reason (bit per member).
    finishes: u32,
}

impl PeekMemo {
    /// What [`peek_plain_chunk`] answers for `json`, found by comparison with the previous chunk
    /// where that can be done.
    pub fn look<'a>(&mut self, json: &'a str, canonical_finish: fn(&str) -> bool) -> Option<ChunkPeek<'a>> {
        if let Some(p) = self.again(json, canonical_finish) {
            return Some(p);
        }
        let p = peek_plain_chunk(json, canonical_finish);
        self.last = p.as_ref().and_then(|p| Last::of(json, p));
        if self.last.is_some() {
            self.json.clear();
            self.json.extend_from_slice(json.as_bytes());
        }
        p
    }

    /// The look at `json` from the previous one, when `json` is the previous chunk with other
    /// strings in the same places.
    fn again<'a>(&mut self, json: &'a str, canonical_finish: fn(&str) -> bool) -> Option<ChunkPeek<'a>> {
        let last = self.last.as_ref()?;
        let (old, new) = (self.json.as_slice(), json.as_bytes());
        u32::try_from(new.len()).ok()?;
        let mut layout = last.layout;
        // `o` and `n`: how far the two were compared (the same bytes up to there)
        let (mut o, mut n) = (0usize, 0usize);
        let moved = |x: u32, o: usize, n: usize| -> Option<u32> {
            // a place after everything compared so far keeps its distance from there
            let x = x as usize;
            if x < o {
                return None;
            }
            u32::try_from(x - o + n).ok()
        };
        for i in 0..usize::from(layout.len) {
            let m = &mut layout.members[i];
            // the choices' elements have no key (0, 0)
            if (m.key_start, m.key_len) != (0, 0) {
                m.key_start = moved(m.key_start, o, n)?;
            }
            let (start, end) = match m.part() {
                Part::Str(a, b) => (a as usize, b as usize),
                Part::Escaped(a, b) => (a as usize + 1, b as usize - 1),
                Part::Raw(a, b) => {
                    let (a, b) = (moved(a, o, n)?, moved(b, o, n)?);
                    *m = super::Member { next: m.next, ..super::Member::new(m.key(), Part::Raw(a, b))? };
                    continue;
                }
                _ => continue,
            };
            // the bytes from the last string to this one are the same...
            let same = old.get(o..start)?;
            if new.get(n..n + same.len())? != same {
                return None;
            }
            // ...and the new string ends where its closing quote is
            let from = n + same.len();
            let (to, escaped) = string_end(new, from).ok()?;
            let part =
                if escaped { Part::Escaped(from as u32 - 1, to as u32 + 1) } else { Part::Str(from as u32, to as u32) };
            *m = super::Member { next: m.next, ..super::Member::new(m.key(), part)? };
            (o, n) = (end, to);
        }
        if old.get(o..)? != new.get(n..)? {
            return None;
        }
        let text = |i: u8| match layout.member(i).part() {
            Part::Str(a, b) if a < b => json.get(a as usize..b as usize),
            _ => None,
        };
        let (id, model) = (text(last.id)?, text(last.model)?);
        let mut finishes = last.finishes;
        while finishes != 0 {
            let i = finishes.trailing_zeros() as u8;
            finishes &= finishes - 1;
            match layout.member(i).part() {
                Part::Null => {}
                Part::Str(a, b) if canonical_finish(json.get(a as usize..b as usize)?) => {}
                _ => return None,
            }
        }
        let peek = ChunkPeek {
            id: Cow::Borrowed(id),
            created: last.created,
            model: Cow::Borrowed(model),
            first_has_role: last.first_has_role,
            finished: last.finished,
            layout: Some(layout),
        };
        if let Some(l) = self.last.as_mut() {
            l.layout = layout;
        }
        #[cfg(test)]
        {
            self.compared += 1;
        }
        self.json.clear();
        self.json.extend_from_slice(new);
        Some(peek)
    }
}

impl Last {
    /// What to keep of the look `p` at `json`: None when it has no layout, or its id or model
    /// has escapes.
    fn of(json: &str, p: &ChunkPeek<'_>) -> Option<Last> {
        let layout = p.layout?;
        let key = |i: u8| {
            let (a, b) = layout.member(i).key();
            json.get(a as usize..b as usize)
        };
        let member = |first: u8, name: &str| {
            let mut at = first;
            while at != NONE {
                if key(at) == Some(name) {
                    return Some(at);
                }
                at = layout.member(at).next();
            }
            None
        };
        let root = layout.root();
        let (id, model) = (member(root, "id")?, member(root, "model")?);
        if !matches!(layout.member(id).part(), Part::Str(..)) || !matches!(layout.member(model).part(), Part::Str(..)) {
            return None;
        }
        let mut finishes = 0u32;
        if let Some(choices) = member(root, "choices")
            && let Part::Array(first) = layout.member(choices).part()
        {
            for element in layout.chain(first) {
                if let Part::Object(o) = element.part()
                    && let Some(f) = member(o, "finish_reason")
                {
                    finishes |= 1 << f;
                }
            }
        }
        Some(Last {
            layout,
            created: p.created,
            first_has_role: p.first_has_role,
            finished: p.finished,
            id,
            model,
            finishes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::sse::SseDecoder;

    fn canonical(r: &str) -> bool {
        matches!(r, "stop" | "length" | "tool_calls" | "content_filter" | "function_call")
    }

    /// Looks at each chunk through the memo and on its own: the answers must be the same.
    fn agree(memo: &mut PeekMemo, json: &str) {
        let alone = peek_plain_chunk(json, canonical);
        assert_eq!(memo.look(json, canonical), alone, "{json}");
    }

    fn recorded(name: &str) -> Vec<String> {
        let path = format!("{}/tests/fixtures/openai_compat/{name}", env!("CARGO_MANIFEST_DIR"));
        let sse = std::fs::read(path).unwrap();
        let mut dec = SseDecoder::new();
        let mut out = Vec::new();
        dec.feed(&sse, &mut out);
        dec.finish(&mut out);
        out.into_iter().map(|e| e.data.to_string()).filter(|d| d.starts_with('{')).collect()
    }

    #[test]
    fn recorded_streams_are_looked_at_by_comparison_and_the_answers_are_the_same() {
        let chunks = recorded("stream_groq_text.sse");
        assert!(chunks.len() > 3);
        let mut memo = PeekMemo::default();
        for c in &chunks {
            agree(&mut memo, c);
        }
        // the first (with the role) and the last (finish reason, x_groq) are read; the text
        // chunks between them are compared
        assert!(memo.compared >= chunks.len() - 3, "{} of {}", memo.compared, chunks.len());
        let mut memo = PeekMemo::default();
        for c in recorded("stream_tools_usage.sse") {
            agree(&mut memo, &c);
        }
    }

    #[test]
    fn a_chunk_like_the_last_but_for_its_strings_is_compared() {
        let a = r#"{"id":"c1","object":"chat.completion.chunk","created":7,"model":"m","choices":[{"index":0,"delta":{"content":"Hi"},"logprobs":null,"finish_reason":null}],"obfuscation":"ab","x":{"k":[1.5,"s"]}}"#;
        let mut memo = PeekMemo::default();
        agree(&mut memo, a);
        assert_eq!(memo.compared, 0);
        // other text, longer and shorter, with escapes, and an empty one
        for (content, obf) in [(" there", "q"), ("", "xyz1"), (r#"line\nbreak \"q\" \u00e9"#, ""), ("é日本", "z")] {
            let b = a
                .replace(r#""content":"Hi""#, &format!(r#""content":"{content}""#))
                .replace(r#""obfuscation":"ab""#, &format!(r#""obfuscation":"{obf}""#));
            let before = memo.compared;
            agree(&mut memo, &b);
            assert_eq!(memo.compared, before + 1, "{b}");
        }
        // a finish reason: compared, and checked
        let stop = a.replace(r#""finish_reason":null"#, r#""finish_reason":"stop""#);
        agree(&mut memo, &stop);
        let length = stop.replace(r#""stop""#, r#""length""#);
        let before = memo.compared;
        agree(&mut memo, &length);
        assert_eq!(memo.compared, before + 1);
        // a finish reason of another spelling or with escapes, an empty id, a changed number, a
        // string become null, a changed string in a nested value, an escaped model: read whole
        for b in [
            stop.replace(r#""stop""#, r#""end_turn""#),
            stop.replace(r#""stop""#, r#""st\u006fp""#),
            a.replace(r#""id":"c1""#, r#""id":"""#),
            a.replace(r#""created":7"#, r#""created":8"#),
            a.replace(r#""content":"Hi""#, r#""content":null"#),
            a.replace(r#"[1.5,"s"]"#, r#"[1.5,"t"]"#),
            a.replace(r#""model":"m""#, r#""model":"\u006d""#),
        ] {
            agree(&mut memo, a);
            let before = memo.compared;
            agree(&mut memo, &b);
            assert_eq!(memo.compared, before, "{b}");
        }
    }

    /// A random string's JSON text: plain characters, escapes (valid or not), raw control
    /// characters.
    fn string(rng: &mut fastrand::Rng) -> String {
        const PIECES: &[&str] =
            &["a", "Hi", " ", "é", "日本", r"\n", r#"\""#, r"\\", r"\u00e9", r"\ud83d\ude00", "/", r"\/", "'"];
        const INVALID: &[&str] = &[r"\ud800", "\u{1}", r"\x", r"\u12"];
        let n = rng.usize(0..6);
        let mut text: String = (0..n).map(|_| PIECES[rng.usize(..PIECES.len())]).collect();
        if rng.usize(..20) == 0 {
            text.push_str(INVALID[rng.usize(..INVALID.len())]);
            text.push('a');
        }
        format!("\"{text}\"")
    }

    /// A field of the random stream: mostly the same from chunk to chunk, now and then another.
    fn field(rng: &mut fastrand::Rng, now: &mut usize, choices: &[&str]) -> String {
        if rng.usize(..25) == 0 {
            *now = rng.usize(..choices.len());
        }
        choices[*now].to_owned()
    }

    #[test]
    fn random_streams_get_the_same_answers_by_comparison_as_alone() {
        let mut rng = fastrand::Rng::with_seed(0x5eed);
        let mut compared = 0;
        for _ in 0..300 {
            let mut memo = PeekMemo::default();
            let mut at = [0usize; 8];
            for _ in 0..20 {
                let id =
                    field(&mut rng, &mut at[0], &[r#""chatcmpl-1""#, r#""chatcmpl-2""#, r#""""#, r#""c\u0068""#, "7"]);
                let model = field(&mut rng, &mut at[1], &[r#""gpt""#, r#""gpt-4o""#, r#""""#, "null"]);
                let created = field(&mut rng, &mut at[2], &["1717000000", "1", "0", "-5", "1.5", r#""1""#]);
                let fp = field(
                    &mut rng,
                    &mut at[3],
                    &[r#","system_fingerprint":"fp_1""#, "", r#","system_fingerprint":null"#],
                );
                let (text, other) = (string(&mut rng), string(&mut rng));
                let delta =
                    match field(&mut rng, &mut at[4], &["c", "rc", "null", "reasoning", "refusal", "empty"]).as_str() {
                        "rc" => format!(r#"{{"role":"assistant","content":{text}}}"#),
                        "null" => r#"{"content":null}"#.to_owned(),
                        "reasoning" => format!(r#"{{"reasoning_content":{text}}}"#),
                        "refusal" => format!(r#"{{"content":{text},"refusal":null}}"#),
                        "empty" => "{}".to_owned(),
                        _ => format!(r#"{{"content":{text}}}"#),
                    };
                let finish = field(
                    &mut rng,
                    &mut at[5],
                    &["null", r#""stop""#, r#""length""#, r#""end_turn""#, r#""st\u006fp""#],
                );
                let extra = match field(&mut rng, &mut at[6], &["obfuscation", "none", "nested"]).as_str() {
                    "none" => String::new(),
                    "nested" => format!(r#","x":{{"a":[1,2.5,{other}]}}"#),
                    _ => format!(r#","obfuscation":{other}"#),
                };
                let space = field(&mut rng, &mut at[7], &["", " "]);
                let json = format!(
                    r#"{{"id":{id},"object":"chat.completion.chunk","created":{created},"model":{model}{fp},"choices":[{{"index":0,"delta":{delta},"logprobs":null,"finish_reason":{space}{finish}}}]{extra}}}"#
                );
                agree(&mut memo, &json);
            }
            compared += memo.compared;
        }
        // the comparison answered a good part of them (the rest changed more than strings)
        assert!(compared > 1500, "{compared} of 6000");
    }
}
