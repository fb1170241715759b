//! Incremental Server-Sent Events decoding: bytes in, `data` payloads out. Handles events split
//! across network chunks, multi-line data, CRLF, comments and `event:` names.

use std::fmt;
use std::ops::Deref;

use bytes::Bytes;

/// An event's data: UTF-8 text kept as [`Bytes`], so that data read from the network is handed
/// on without a copy (a slice of the read it came in) and a stream chunk that goes on as it came
/// is that slice.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct EventData(Bytes);

impl EventData {
    /// The text of `b`: as it is when it is UTF-8 (no copy), invalid sequences replaced by
    /// U+FFFD otherwise.
    pub fn from_bytes(b: Bytes) -> Self {
        match std::str::from_utf8(&b) {
            Ok(_) => Self(b),
            Err(_) => Self::from(String::from_utf8_lossy(&b).into_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        // SAFETY: every constructor checks (or is given) UTF-8, and the bytes never change.
        unsafe { std::str::from_utf8_unchecked(&self.0) }
    }

    pub fn into_bytes(self) -> Bytes {
        self.0
    }
}

impl From<String> for EventData {
    fn from(s: String) -> Self {
        Self(Bytes::from(s))
    }
}

impl From<&str> for EventData {
    fn from(s: &str) -> Self {
        Self(Bytes::copy_from_slice(s.as_bytes()))
    }
}

impl Deref for EventData {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq<str> for EventData {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for EventData {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Debug for EventData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for EventData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One decoded event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    pub event: Option<String>,
    pub data: EventData,
}

/// The data of the event being read.
#[derive(Debug, Default)]
enum Data {
    #[default]
    None,
    /// One `data:` line, a slice of the read it came in.
    Shared(Bytes),
    /// Several lines (joined with newlines), or a line split across reads.
    Owned(Vec<u8>),
}

/// Feeds bytes, yields complete events. Lines are parsed in place (in the fed bytes when they
/// hold whole lines, in `buf` only for a line split across reads). An event of one `data:` line
/// that came whole in one read is handed out as a slice of that read ([`SseDecoder::feed_shared`]);
/// other data is copied once.
#[derive(Debug, Default)]
pub struct SseDecoder {
    /// The start of a line whose end has not arrived yet.
    buf: Vec<u8>,
    event: Option<String>,
    data: Data,
}

impl SseDecoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends bytes and pushes every event completed by them onto `out`.
    pub fn feed(&mut self, bytes: &[u8], out: &mut Vec<SseEvent>) {
        self.feed_in(bytes, None, out);
    }

    /// The same for a network read: data lines that are whole in it are sliced from it.
    pub fn feed_shared(&mut self, bytes: &Bytes, out: &mut Vec<SseEvent>) {
        self.feed_in(bytes, Some(bytes), out);
    }

    fn feed_in(&mut self, bytes: &[u8], shared: Option<&Bytes>, out: &mut Vec<SseEvent>) {
        let mut rest = bytes;
        if !self.buf.is_empty() {
            // finish the pending line first
            let Some(pos) = memchr::memchr(b'\n', rest) else {
                self.buf.extend_from_slice(rest);
                return;
            };
            let mut line = std::mem::take(&mut self.buf);
            line.extend_from_slice(&rest[..pos]);
            self.line(&line, None, out);
            line.clear();
            self.buf = line; // keeps its capacity for the next split line
            rest = &rest[pos + 1..];
        }
        while let Some(pos) = memchr::memchr(b'\n', rest) {
            self.line(&rest[..pos], shared, out);
            rest = &rest[pos + 1..];
        }
        self.buf.extend_from_slice(rest);
    }

    /// Flushes a last event not followed by a blank line (some servers end that way).
    pub fn finish(&mut self, out: &mut Vec<SseEvent>) {
        if !self.buf.is_empty() {
            let rest = std::mem::take(&mut self.buf);
            self.line(&rest, None, out);
        }
        self.dispatch(out);
    }

    /// True when bytes of an unfinished line or event are pending.
    pub fn has_pending(&self) -> bool {
        !self.buf.is_empty() || !matches!(self.data, Data::None)
    }

    /// One line (without its newline); `shared` is the read it lies in, when it does.
    fn line(&mut self, line: &[u8], shared: Option<&Bytes>, out: &mut Vec<SseEvent>) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            self.dispatch(out);
            return;
        }
        if line[0] == b':' {
            return;
        }
        let (field, value) = match memchr::memchr(b':', line) {
            Some(i) => {
                let v = &line[i + 1..];
                (&line[..i], v.strip_prefix(b" ").unwrap_or(v))
            }
            None => (line, &[][..]),
        };
        match field {
            b"data" => {
                self.data = match std::mem::take(&mut self.data) {
                    Data::None => match shared {
                        Some(read) => Data::Shared(read.slice_ref(value)),
                        None => Data::Owned(value.to_vec()),
                    },
                    Data::Shared(first) => {
                        let mut joined = Vec::with_capacity(first.len() + 1 + value.len());
                        joined.extend_from_slice(&first);
                        joined.push(b'\n');
                        joined.extend_from_slice(value);
                        Data::Owned(joined)
                    }
                    Data::Owned(mut joined) => {
                        joined.push(b'\n');
                        joined.extend_from_slice(value);
                        Data::Owned(joined)
                    }
                };
            }
            b"event" => self.event = Some(String::from_utf8_lossy(value).into_owned()),
            _ => {}
        }
    }

    fn dispatch(&mut self, out: &mut Vec<SseEvent>) {
        // Invalid UTF-8 becomes U+FFFD, as a line-by-line lossy conversion would make it (a line
        // break cannot be part of a multi-byte sequence).
        let data = match std::mem::take(&mut self.data) {
            Data::None => {
                self.event = None;
                return;
            }
            Data::Shared(b) => EventData::from_bytes(b),
            Data::Owned(v) => match String::from_utf8(v) {
                Ok(s) => EventData::from(s),
                Err(e) => EventData::from(String::from_utf8_lossy(e.as_bytes()).into_owned()),
            },
        };
        out.push(SseEvent { event: self.event.take(), data });
    }
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

    fn decode_shared(chunks: &[&[u8]]) -> Vec<SseEvent> {
        let mut d = SseDecoder::new();
        let mut out = Vec::new();
        for c in chunks {
            d.feed_shared(&Bytes::copy_from_slice(c), &mut out);
        }
        d.finish(&mut out);
        out
    }

    #[test]
    fn network_reads_give_the_same_events() {
        let whole: &[u8] = b"event: a\r\ndata: {\"x\":\"\xc3\xa9\"}\r\n\r\n: c\ndata: 1\ndata:2\n\ndata:\n\ndata: a\xff\n\ndata: [DONE]\n\n";
        let expected = decode_all(&[whole]);
        assert_eq!(expected.len(), 5);
        assert_eq!(expected[2].data, "");
        assert_eq!(expected[3].data, "a\u{fffd}");
        for i in 0..whole.len() {
            for j in i..whole.len() {
                assert_eq!(decode_shared(&[&whole[..i], &whole[i..j], &whole[j..]]), expected, "split at {i}, {j}");
            }
        }
    }

    #[test]
    fn a_data_line_whole_in_a_read_is_a_slice_of_it() {
        let read = Bytes::from_static(b"data: {\"a\":1}\n\ndata: 1\ndata: 2\n\ndata: [DO");
        let mut d = SseDecoder::new();
        let mut out = Vec::new();
        d.feed_shared(&read, &mut out);
        let inside = |e: &SseEvent| read.as_ptr_range().contains(&e.data.as_ptr());
        assert_eq!(out.len(), 2);
        assert!(inside(&out[0]), "one data line: no copy");
        assert!(!inside(&out[1]), "two lines are joined in a copy");
        d.feed_shared(&Bytes::from_static(b"NE]\n\n"), &mut out);
        assert_eq!(out[2].data, "[DONE]");
        assert!(!d.has_pending());
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
