//! Newline-delimited JSON stream decoding (Ollama): each non-empty line is one event.

use super::sse::SseEvent;

#[derive(Debug, Default)]
pub struct NdjsonDecoder {
    buf: Vec<u8>,
}

impl NdjsonDecoder {
    pub fn feed(&mut self, bytes: &[u8], out: &mut Vec<SseEvent>) {
        self.buf.extend_from_slice(bytes);
        let mut start = 0;
        while let Some(pos) = self.buf[start..].iter().position(|&b| b == b'\n') {
            let line = String::from_utf8_lossy(&self.buf[start..start + pos]);
            let line = line.trim();
            if !line.is_empty() {
                out.push(SseEvent { event: None, data: line.into() });
            }
            start += pos + 1;
        }
        self.buf.drain(..start);
    }

    pub fn finish(&mut self, out: &mut Vec<SseEvent>) {
        let rest = String::from_utf8_lossy(&std::mem::take(&mut self.buf)).trim().to_owned();
        if !rest.is_empty() {
            out.push(SseEvent { event: None, data: rest.into() });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_split_across_chunks() {
        let mut d = NdjsonDecoder::default();
        let mut out = Vec::new();
        d.feed(b"{\"a\":1}\n{\"b\"", &mut out);
        d.feed(b":2}\r\n\n{\"c\":3}", &mut out);
        d.finish(&mut out);
        let data: Vec<_> = out.iter().map(|e| e.data.as_str()).collect();
        assert_eq!(data, ["{\"a\":1}", "{\"b\":2}", "{\"c\":3}"]);
    }
}
