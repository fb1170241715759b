//! Incremental Server-Sent Events decoding: bytes in, `data` payloads out. Handles events split
//! across network chunks, multi-line data, CRLF, comments and `event:` names.

/// One decoded event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    pub event: Option<String>,
    pub data: String,
}

/// Feeds bytes, yields complete events. Lines are parsed in place (in the fed bytes when they
/// hold whole lines, in `buf` only for a line split across reads), and an event's data is copied
/// once, into the `String` it is handed out as.
#[derive(Debug, Default)]
pub struct SseDecoder {
    /// The start of a line whose end has not arrived yet.
    buf: Vec<u8>,
    event: Option<String>,
    data: Vec<u8>,
    has_data: bool,
}

impl SseDecoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends bytes and pushes every event completed by them onto `out`.
    pub fn feed(&mut self, bytes: &[u8], out: &mut Vec<SseEvent>) {
        let mut rest = bytes;
        if !self.buf.is_empty() {
            // finish the pending line first
            let Some(pos) = memchr(b'\n', rest) else {
                self.buf.extend_from_slice(rest);
                return;
            };
            let mut line = std::mem::take(&mut self.buf);
            line.extend_from_slice(&rest[..pos]);
            self.line(&line, out);
            line.clear();
            self.buf = line; // keeps its capacity for the next split line
            rest = &rest[pos + 1..];
        }
        while let Some(pos) = memchr(b'\n', rest) {
            self.line(&rest[..pos], out);
            rest = &rest[pos + 1..];
        }
        self.buf.extend_from_slice(rest);
    }

    /// Flushes a last event not followed by a blank line (some servers end that way).
    pub fn finish(&mut self, out: &mut Vec<SseEvent>) {
        if !self.buf.is_empty() {
            let rest = std::mem::take(&mut self.buf);
            self.line(&rest, out);
        }
        self.dispatch(out);
    }

    /// True when bytes of an unfinished line or event are pending.
    pub fn has_pending(&self) -> bool {
        !self.buf.is_empty() || self.has_data
    }

    fn line(&mut self, line: &[u8], out: &mut Vec<SseEvent>) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            self.dispatch(out);
            return;
        }
        if line[0] == b':' {
            return;
        }
        let (field, value) = match memchr(b':', line) {
            Some(i) => {
                let v = &line[i + 1..];
                (&line[..i], v.strip_prefix(b" ").unwrap_or(v))
            }
            None => (line, &[][..]),
        };
        match field {
            b"data" => {
                if self.has_data {
                    self.data.push(b'\n');
                }
                self.data.extend_from_slice(value);
                self.has_data = true;
            }
            b"event" => self.event = Some(String::from_utf8_lossy(value).into_owned()),
            _ => {}
        }
    }

    fn dispatch(&mut self, out: &mut Vec<SseEvent>) {
        if self.has_data {
            // Invalid UTF-8 becomes U+FFFD, as a line-by-line lossy conversion would make it
            // (a line break cannot be part of a multi-byte sequence).
            let data = match String::from_utf8(std::mem::take(&mut self.data)) {
                Ok(s) => s,
                Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
            };
            out.push(SseEvent { event: self.event.take(), data });
            self.has_data = false;
        } else {
            self.event = None;
        }
    }
}

fn memchr(needle: u8, haystack: &[u8]) -> Option<usize> {
    haystack.iter().position(|&b| b == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(chunks: &[&[u8]]) -> Vec<SseEvent> {
        let mut d = SseDecoder::new();
        let mut out = Vec::new();
        for c in chunks {
            d.feed(c, &mut out);
        }
        d.finish(&mut out);
        out
    }

    #[test]
    fn events_split_across_chunks() {
        let ev = decode_all(&[b"data: {\"a\"", b":1}\n", b"\ndata: [DONE]\n\n"]);
        assert_eq!(ev.len(), 2);
        assert_eq!(ev[0].data, "{\"a\":1}");
        assert_eq!(ev[1].data, "[DONE]");
    }

    #[test]
    fn crlf_comments_event_names_and_multiline() {
        let ev = decode_all(&[b": ping\r\n\r\nevent: message_start\r\ndata: a\r\ndata: b\r\n\r\n"]);
        assert_eq!(ev, vec![SseEvent { event: Some("message_start".into()), data: "a\nb".into() }]);
    }

    #[test]
    fn every_split_point_gives_the_same_events() {
        let whole: &[u8] = b"event: a\r\ndata: {\"x\":\"\xc3\xa9\"}\r\n\r\n: c\ndata: 1\ndata:2\n\ndata: [DONE]\n\n";
        let expected = decode_all(&[whole]);
        assert_eq!(expected.len(), 3);
        assert_eq!(expected[0], SseEvent { event: Some("a".into()), data: "{\"x\":\"\u{e9}\"}".into() });
        assert_eq!(expected[1].data, "1\n2");
        for i in 0..whole.len() {
            for j in i..whole.len() {
                assert_eq!(decode_all(&[&whole[..i], &whole[i..j], &whole[j..]]), expected, "split at {i}, {j}");
            }
        }
    }

    #[test]
    fn invalid_utf8_is_replaced() {
        let ev = decode_all(&[b"data: a\xff\ndata: \xe2\x82\n\n"]);
        assert_eq!(ev[0].data, "a\u{fffd}\n\u{fffd}");
    }

    #[test]
    fn trailing_event_without_blank_line() {
        let ev = decode_all(&[b"data: x"]);
        assert_eq!(ev[0].data, "x");
    }
}
