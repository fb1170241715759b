//! AWS event-stream decoding (Bedrock's ConverseStream and InvokeModelWithResponseStream): binary
//! messages framed and checksummed by `aws-smithy-eventstream`, yielded as one event per message.
//! The event name is the `:event-type` header, or the `:exception-type` for exceptions; the data is
//! the payload as UTF-8 (JSON). `:message-type: error` messages carry their code and message in
//! headers and come out as an event named by the code with `{"message": ...}` as data.

use aws_smithy_eventstream::frame::{DecodedFrame, MessageFrameDecoder};
use aws_smithy_types::event_stream::{HeaderValue, Message};
use bytes::BytesMut;

use super::sse::{EventData, SseEvent};

/// The event name used when the bytes cannot be decoded (bad checksum, bad lengths).
pub const DECODE_ERROR_EVENT: &str = "eventStreamDecodeException";

#[derive(Debug, Default)]
pub struct EventStreamDecoder {
    buf: BytesMut,
    frames: MessageFrameDecoder,
    failed: bool,
}

impl EventStreamDecoder {
    pub fn feed(&mut self, bytes: &[u8], out: &mut Vec<SseEvent>) {
        if self.failed {
            return;
        }
        self.buf.extend_from_slice(bytes);
        loop {
            match self.frames.decode_frame(&mut self.buf) {
                Ok(DecodedFrame::Complete(msg)) => out.push(to_event(&msg)),
                Ok(DecodedFrame::Incomplete) => break,
                Err(e) => {
                    // Framing is lost after a bad message; nothing after it can be trusted.
                    self.failed = true;
                    self.buf.clear();
                    let data = serde_json::json!({ "message": format!("invalid AWS event-stream message: {e}") });
                    out.push(SseEvent { event: Some(DECODE_ERROR_EVENT.to_owned()), data: data.to_string().into() });
                    break;
                }
            }
        }
    }

    /// A partial message left at the end is dropped: the stream driver reports the stream as
    /// truncated when no finish was seen.
    pub fn finish(&mut self, _out: &mut Vec<SseEvent>) {
        self.buf.clear();
    }
}

fn header<'a>(msg: &'a Message, name: &str) -> Option<&'a str> {
    msg.headers().iter().find(|h| h.name().as_str() == name).and_then(|h| match h.value() {
        HeaderValue::String(s) => Some(s.as_str()),
        _ => None,
    })
}

fn to_event(msg: &Message) -> SseEvent {
    let payload = || EventData::from_bytes(msg.payload().clone());
    match header(msg, ":message-type") {
        Some("exception") => SseEvent { event: header(msg, ":exception-type").map(str::to_owned), data: payload() },
        Some("error") => {
            let code = header(msg, ":error-code").unwrap_or("internalServerException");
            let message = header(msg, ":error-message").unwrap_or("");
            SseEvent {
                event: Some(code.to_owned()),
                data: serde_json::json!({ "message": message }).to_string().into(),
            }
        }
        _ => SseEvent { event: header(msg, ":event-type").map(str::to_owned), data: payload() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_eventstream::frame::write_message_to;
    use aws_smithy_types::event_stream::Header;

    fn frame(headers: &[(&str, &str)], payload: &str) -> Vec<u8> {
        let mut m = Message::new(payload.as_bytes().to_vec());
        for (k, v) in headers {
            m = m.add_header(Header::new(k.to_string(), HeaderValue::String(v.to_string().into())));
        }
        let mut out = Vec::new();
        write_message_to(&m, &mut out).unwrap();
        out
    }

    #[test]
    fn messages_split_across_chunks_exceptions_and_bad_crc() {
        let mut bytes =
            frame(&[(":message-type", "event"), (":event-type", "messageStart")], r#"{"role":"assistant"}"#);
        bytes.extend(frame(
            &[(":message-type", "exception"), (":exception-type", "throttlingException")],
            r#"{"message":"slow down"}"#,
        ));
        bytes.extend(frame(
            &[(":message-type", "error"), (":error-code", "InternalFailure"), (":error-message", "x")],
            "",
        ));
        let mut d = EventStreamDecoder::default();
        let mut out = Vec::new();
        for b in bytes.chunks(7) {
            d.feed(b, &mut out);
        }
        d.finish(&mut out);
        assert_eq!(out.len(), 3);
        assert_eq!(out[0].event.as_deref(), Some("messageStart"));
        assert_eq!(out[0].data, r#"{"role":"assistant"}"#);
        assert_eq!(out[1].event.as_deref(), Some("throttlingException"));
        assert_eq!(out[2].event.as_deref(), Some("InternalFailure"));

        let mut bad = frame(&[(":event-type", "messageStop")], "{}");
        let n = bad.len();
        bad[n - 1] ^= 0xff;
        let mut out = Vec::new();
        let mut d = EventStreamDecoder::default();
        d.feed(&bad, &mut out);
        assert_eq!(out[0].event.as_deref(), Some(DECODE_ERROR_EVENT));
    }
}
