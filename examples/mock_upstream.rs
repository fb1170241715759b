//! A fast OpenAI/Anthropic-compatible mock upstream for benchmarks and manual testing.
//!
//! ```text
//! cargo run --release --example mock_upstream -- [PORT] [MAX_SECONDS]
//! ```
//!
//! Listens on 127.0.0.1:PORT (0 or absent = pick a free port), prints `LISTENING <port>` on stdout
//! and exits by itself after MAX_SECONDS (default 3600). It runs on a current-thread tokio runtime,
//! so it uses one core and leaves the other to the client being measured.
//!
//! Endpoints (bodies are realistic and built without any waiting):
//! * `POST /v1/chat/completions` — a chat.completion JSON, or with `"stream": true` an SSE stream of
//!   a role chunk, N content chunks, a finish chunk, a usage chunk when
//!   `stream_options.include_usage` is true, then `data: [DONE]`. N comes from the request field
//!   `mock_chunks`, else the header `x-mock-chunks`, else 20.
//! * `POST /v1/embeddings` — one embedding per input item; honours `dimensions` (default 1536) and
//!   `encoding_format: "base64"`.
//! * `POST /v1/messages` — an Anthropic message JSON, or the Anthropic SSE event sequence.
//! * `GET /health` — `ok`.
//!
//! Set `MOCK_LOG=1` to print each request line and body to stderr.

use std::collections::HashMap;
use std::convert::Infallible;
use std::fmt::Write as _;
use std::io::Write as _;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;

const DEFAULT_CHUNKS: usize = 20;
const MAX_CHUNKS: usize = 1_000_000;
const DEFAULT_DIMENSIONS: usize = 1536;
const MAX_DIMENSIONS: usize = 16_384;
const ANSWER: &str = "Hello! I'm doing well, thank you for asking. How can I help you today? \
I can answer questions, write and review code, summarise documents or brainstorm ideas with you.";
const TOKENS: [&str; 16] = [
    "The", " quick", " brown", " fox", " jumps", " over", " the", " lazy", " dog", ",", " and", " then", " it",
    " rests", " quietly", ".",
];
const FINGERPRINT: &str = "fp_mock0b5d1a";

/// Shared, immutable-after-build state: a request counter and formatted embedding vectors.
struct State {
    counter: AtomicU64,
    log: bool,
    /// dims -> (JSON array text, base64 of little-endian f32)
    vectors: Mutex<HashMap<usize, Arc<(String, String)>>>,
}

impl State {
    fn next_id(&self) -> u64 {
        self.counter.fetch_add(1, Ordering::Relaxed)
    }

    fn vector(&self, dims: usize) -> Arc<(String, String)> {
        let mut map = self.vectors.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(dims).or_insert_with(|| Arc::new(make_vector(dims))).clone()
    }
}

/// A response body that is either one buffer (sent with Content-Length, header and body in one
/// write) or a prebuilt SSE stream handed to hyper one event at a time (chunked encoding).
enum MockBody {
    Once(Option<Bytes>),
    Events { buf: Bytes, ends: Vec<usize>, next: usize, start: usize },
}

impl Body for MockBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match self.get_mut() {
            MockBody::Once(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            MockBody::Events { buf, ends, next, start } => {
                if *next >= ends.len() {
                    return Poll::Ready(None);
                }
                let end = ends[*next];
                let piece = buf.slice(*start..end);
                *start = end;
                *next += 1;
                Poll::Ready(Some(Ok(Frame::data(piece))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            MockBody::Once(b) => b.is_none(),
            MockBody::Events { ends, next, .. } => *next >= ends.len(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            MockBody::Once(Some(b)) => SizeHint::with_exact(b.len() as u64),
            MockBody::Once(None) => SizeHint::with_exact(0),
            MockBody::Events { .. } => SizeHint::default(),
        }
    }
}

/// Builds an SSE stream as one buffer, remembering where each event ends.
struct SseWriter {
    buf: String,
    ends: Vec<usize>,
}

impl SseWriter {
    fn new(capacity: usize) -> Self {
        SseWriter { buf: String::with_capacity(capacity), ends: Vec::new() }
    }

    /// Starts an event (optionally named); the caller writes the JSON data, then calls `end`.
    fn begin(&mut self, event: Option<&str>) -> &mut String {
        if let Some(name) = event {
            self.buf.push_str("event: ");
            self.buf.push_str(name);
            self.buf.push('\n');
        }
        self.buf.push_str("data: ");
        &mut self.buf
    }

    fn end(&mut self) {
        self.buf.push_str("\n\n");
        self.ends.push(self.buf.len());
    }

    fn into_body(self) -> MockBody {
        MockBody::Events { buf: Bytes::from(self.buf), ends: self.ends, next: 0, start: 0 }
    }
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// Writes `s` as a JSON string literal.
fn push_json_str(out: &mut String, s: &str) {
    // serde_json's escaping is correct for any input; model names and tokens are short.
    out.push_str(&serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned()));
}

fn json_response(status: StatusCode, body: String) -> Response<MockBody> {
    let mut resp = Response::new(MockBody::Once(Some(Bytes::from(body))));
    *resp.status_mut() = status;
    resp.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}

fn sse_response(body: MockBody) -> Response<MockBody> {
    let mut resp = Response::new(body);
    let h = resp.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream; charset=utf-8"));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    resp
}

fn error_response(status: StatusCode, message: &str) -> Response<MockBody> {
    let mut body = String::from("{\"error\":{\"message\":");
    push_json_str(&mut body, message);
    body.push_str(",\"type\":\"invalid_request_error\",\"param\":null,\"code\":null}}");
    json_response(status, body)
}

/// What the handlers need from a request.
struct Req {
    json: Value,
    body_len: usize,
    header_chunks: Option<usize>,
}

impl Req {
    fn model<'a>(&'a self, default: &'a str) -> &'a str {
        self.json.get("model").and_then(Value::as_str).unwrap_or(default)
    }

    fn stream(&self) -> bool {
        self.json.get("stream").and_then(Value::as_bool).unwrap_or(false)
    }

    fn chunks(&self) -> usize {
        self.json
            .get("mock_chunks")
            .and_then(Value::as_u64)
            .map(|n| n as usize)
            .or(self.header_chunks)
            .unwrap_or(DEFAULT_CHUNKS)
            .min(MAX_CHUNKS)
    }

    fn include_usage(&self) -> bool {
        self.json.pointer("/stream_options/include_usage").and_then(Value::as_bool).unwrap_or(false)
    }

    /// A rough prompt token count: a quarter of the body's bytes.
    fn prompt_tokens(&self) -> usize {
        (self.body_len / 4).max(1)
    }
}

fn chat_json(state: &State, req: &Req) -> String {
    let model = req.model("gpt-4o-mini");
    let prompt = req.prompt_tokens();
    let completion = ANSWER.len() / 4;
    let mut out = String::with_capacity(1024);
    let _ = write!(
        out,
        "{{\"id\":\"chatcmpl-mock{:016x}\",\"object\":\"chat.completion\",\"created\":{},\"model\":",
        state.next_id(),
        now_secs()
    );
    push_json_str(&mut out, model);
    out.push_str(",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":");
    push_json_str(&mut out, ANSWER);
    let _ = write!(
        out,
        ",\"refusal\":null,\"annotations\":[]}},\"logprobs\":null,\"finish_reason\":\"stop\"}}],\
         \"usage\":{{\"prompt_tokens\":{prompt},\"completion_tokens\":{completion},\"total_tokens\":{},\
         \"prompt_tokens_details\":{{\"cached_tokens\":0,\"audio_tokens\":0}},\
         \"completion_tokens_details\":{{\"reasoning_tokens\":0,\"audio_tokens\":0,\
         \"accepted_prediction_tokens\":0,\"rejected_prediction_tokens\":0}}}},\
         \"service_tier\":\"default\",\"system_fingerprint\":\"{FINGERPRINT}\"}}",
        prompt + completion
    );
    out
}

fn chat_sse(state: &State, req: &Req) -> MockBody {
    let n = req.chunks();
    let usage = req.include_usage();
    let mut head = String::with_capacity(160);
    let _ = write!(
        head,
        "{{\"id\":\"chatcmpl-mock{:016x}\",\"object\":\"chat.completion.chunk\",\"created\":{},\"model\":",
        state.next_id(),
        now_secs()
    );
    push_json_str(&mut head, req.model("gpt-4o-mini"));
    let _ = write!(head, ",\"service_tier\":\"default\",\"system_fingerprint\":\"{FINGERPRINT}\",\"choices\":[");
    let tail = if usage { "\"usage\":null}" } else { "" };
    let close = if usage { "}]," } else { "}]}" };

    let mut sse = SseWriter::new((n + 4) * (head.len() + 110));
    let out = sse.begin(None);
    out.push_str(&head);
    out.push_str(
        "{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null},\
         \"logprobs\":null,\"finish_reason\":null",
    );
    out.push_str(close);
    out.push_str(tail);
    sse.end();
    for i in 0..n {
        let out = sse.begin(None);
        out.push_str(&head);
        out.push_str("{\"index\":0,\"delta\":{\"content\":");
        push_json_str(out, TOKENS[i % TOKENS.len()]);
        out.push_str("},\"logprobs\":null,\"finish_reason\":null");
        out.push_str(close);
        out.push_str(tail);
        sse.end();
    }
    let out = sse.begin(None);
    out.push_str(&head);
    out.push_str("{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"");
    out.push_str(close);
    out.push_str(tail);
    sse.end();
    if usage {
        let prompt = req.prompt_tokens();
        let out = sse.begin(None);
        out.push_str(&head);
        let _ = write!(
            out,
            "],\"usage\":{{\"prompt_tokens\":{prompt},\"completion_tokens\":{n},\"total_tokens\":{},\
             \"prompt_tokens_details\":{{\"cached_tokens\":0,\"audio_tokens\":0}},\
             \"completion_tokens_details\":{{\"reasoning_tokens\":0,\"audio_tokens\":0,\
             \"accepted_prediction_tokens\":0,\"rejected_prediction_tokens\":0}}}}}}",
            prompt + n
        );
        sse.end();
    }
    sse.buf.push_str("data: [DONE]\n\n");
    sse.ends.push(sse.buf.len());
    sse.into_body()
}

/// A deterministic pseudo-random unit-ish vector: (JSON array text, base64 of f32 LE).
fn make_vector(dims: usize) -> (String, String) {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut text = String::with_capacity(dims * 14);
    let mut raw = Vec::with_capacity(dims * 4);
    text.push('[');
    for i in 0..dims {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let v = ((x >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 0.1;
        let v = v as f32;
        if i > 0 {
            text.push(',');
        }
        let _ = write!(text, "{v}");
        raw.extend_from_slice(&v.to_le_bytes());
    }
    text.push(']');
    (text, base64(&raw))
}

fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for group in data.chunks(3) {
        let b = [group[0], *group.get(1).unwrap_or(&0), *group.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= group.len() {
                out.push(ALPHABET[((n >> (18 - 6 * k)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn embeddings_json(state: &State, req: &Req) -> String {
    let count = match req.json.get("input") {
        Some(Value::Array(items)) if items.first().is_some_and(Value::is_array) => items.len(),
        Some(Value::Array(items)) if items.first().is_some_and(Value::is_number) => 1,
        Some(Value::Array(items)) => items.len().max(1),
        _ => 1,
    };
    let dims = req
        .json
        .get("dimensions")
        .and_then(Value::as_u64)
        .map_or(DEFAULT_DIMENSIONS, |d| (d as usize).clamp(1, MAX_DIMENSIONS));
    let base64 = req.json.get("encoding_format").and_then(Value::as_str) == Some("base64");
    let vector = state.vector(dims);
    let vector_text = if base64 { format!("\"{}\"", vector.1) } else { vector.0.clone() };
    let mut out = String::with_capacity(count * (vector_text.len() + 64) + 128);
    out.push_str("{\"object\":\"list\",\"data\":[");
    for i in 0..count {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{{\"object\":\"embedding\",\"index\":{i},\"embedding\":");
        out.push_str(&vector_text);
        out.push('}');
    }
    out.push_str("],\"model\":");
    push_json_str(&mut out, req.model("text-embedding-3-small"));
    let tokens = req.prompt_tokens();
    let _ = write!(out, ",\"usage\":{{\"prompt_tokens\":{tokens},\"total_tokens\":{tokens}}}}}");
    out
}

fn anthropic_json(state: &State, req: &Req) -> String {
    let mut out = String::with_capacity(768);
    let _ = write!(
        out,
        "{{\"id\":\"msg_mock{:016x}\",\"type\":\"message\",\"role\":\"assistant\",\"model\":",
        state.next_id()
    );
    push_json_str(&mut out, req.model("claude-3-5-haiku-20241022"));
    out.push_str(",\"content\":[{\"type\":\"text\",\"text\":");
    push_json_str(&mut out, ANSWER);
    let _ = write!(
        out,
        "}}],\"stop_reason\":\"end_turn\",\"stop_sequence\":null,\"usage\":{{\"input_tokens\":{},\
         \"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,\"output_tokens\":{}}}}}",
        req.prompt_tokens(),
        ANSWER.len() / 4
    );
    out
}

fn anthropic_sse(state: &State, req: &Req) -> MockBody {
    let n = req.chunks();
    let mut sse = SseWriter::new((n + 8) * 110 + 512);
    let out = sse.begin(Some("message_start"));
    let _ = write!(
        out,
        "{{\"type\":\"message_start\",\"message\":{{\"id\":\"msg_mock{:016x}\",\"type\":\"message\",\
         \"role\":\"assistant\",\"model\":",
        state.next_id()
    );
    push_json_str(out, req.model("claude-3-5-haiku-20241022"));
    let _ = write!(
        out,
        ",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{{\"input_tokens\":{},\
         \"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,\"output_tokens\":1}}}}}}",
        req.prompt_tokens()
    );
    sse.end();
    sse.begin(Some("content_block_start"))
        .push_str("{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}");
    sse.end();
    sse.begin(Some("ping")).push_str("{\"type\":\"ping\"}");
    sse.end();
    for i in 0..n {
        let out = sse.begin(Some("content_block_delta"));
        out.push_str("{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":");
        push_json_str(out, TOKENS[i % TOKENS.len()]);
        out.push_str("}}");
        sse.end();
    }
    sse.begin(Some("content_block_stop")).push_str("{\"type\":\"content_block_stop\",\"index\":0}");
    sse.end();
    let out = sse.begin(Some("message_delta"));
    let _ = write!(
        out,
        "{{\"type\":\"message_delta\",\"delta\":{{\"stop_reason\":\"end_turn\",\"stop_sequence\":null}},\
         \"usage\":{{\"output_tokens\":{n}}}}}"
    );
    sse.end();
    sse.begin(Some("message_stop")).push_str("{\"type\":\"message_stop\"}");
    sse.end();
    sse.into_body()
}

async fn handle(state: Arc<State>, req: Request<Incoming>) -> Result<Response<MockBody>, Infallible> {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    if method == Method::GET && (path == "/health" || path == "/") {
        let mut resp = Response::new(MockBody::Once(Some(Bytes::from_static(b"ok"))));
        resp.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        return Ok(resp);
    }
    if method != Method::POST {
        return Ok(error_response(StatusCode::NOT_FOUND, "mock: unknown route"));
    }
    let header_chunks =
        req.headers().get("x-mock-chunks").and_then(|v| v.to_str().ok()).and_then(|s| s.trim().parse::<usize>().ok());
    let body = match req.into_body().collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) => return Ok(error_response(StatusCode::BAD_REQUEST, &format!("mock: body: {e}"))),
    };
    if state.log {
        eprintln!("{method} {path} {}", String::from_utf8_lossy(&body));
    }
    let json: Value = match serde_json::from_slice(&body) {
        Ok(v @ Value::Object(_)) => v,
        _ => return Ok(error_response(StatusCode::BAD_REQUEST, "mock: the body is not a JSON object")),
    };
    let r = Req { json, body_len: body.len(), header_chunks };
    let resp = match path.trim_end_matches('/') {
        "/v1/chat/completions" | "/chat/completions" => {
            if r.stream() {
                sse_response(chat_sse(&state, &r))
            } else {
                json_response(StatusCode::OK, chat_json(&state, &r))
            }
        }
        "/v1/embeddings" | "/embeddings" => json_response(StatusCode::OK, embeddings_json(&state, &r)),
        "/v1/messages" | "/messages" => {
            if r.stream() {
                sse_response(anthropic_sse(&state, &r))
            } else {
                json_response(StatusCode::OK, anthropic_json(&state, &r))
            }
        }
        _ => error_response(StatusCode::NOT_FOUND, "mock: unknown route"),
    };
    Ok(resp)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let port: u16 = match args.next().map(|a| a.parse()) {
        None => 0,
        Some(Ok(p)) => p,
        Some(Err(_)) => {
            eprintln!("usage: mock_upstream [PORT] [MAX_SECONDS]");
            std::process::exit(2);
        }
    };
    let max_seconds: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(3600);
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("mock_upstream: cannot build the runtime: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = runtime.block_on(serve(port, max_seconds)) {
        eprintln!("mock_upstream: {e}");
        std::process::exit(1);
    }
}

async fn serve(port: u16, max_seconds: u64) -> std::io::Result<()> {
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    let port = listener.local_addr()?.port();
    {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "LISTENING {port}")?;
        stdout.flush()?;
    }
    let state = Arc::new(State {
        counter: AtomicU64::new(1),
        log: std::env::var_os("MOCK_LOG").is_some_and(|v| v != "0" && !v.is_empty()),
        vectors: Mutex::new(HashMap::new()),
    });
    let _ = state.vector(DEFAULT_DIMENSIONS); // format the default vector before the first request
    let mut builder = http1::Builder::new();
    builder.keep_alive(true);
    let deadline = tokio::time::sleep(Duration::from_secs(max_seconds));
    tokio::pin!(deadline);
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    eprintln!("mock_upstream: accept: {e}");
                    continue;
                }
            },
            () = &mut deadline => {
                eprintln!("mock_upstream: {max_seconds} s elapsed, exiting");
                return Ok(());
            }
        };
        let _ = stream.set_nodelay(true);
        let state = state.clone();
        let conn = builder.serve_connection(TokioIo::new(stream), service_fn(move |req| handle(state.clone(), req)));
        tokio::spawn(async move {
            // Clients closing idle keep-alive connections are normal; nothing to report.
            let _ = conn.await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::base64;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }
}
