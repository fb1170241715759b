//! Translation cost per provider (pure, no I/O): build the upstream request from a canonical one,
//! parse a recorded response, and decode a 1,000-event stream through the provider's per-event
//! function. Inputs are the recorded fixtures under tests/fixtures/.
//!
//! Run: `cargo bench --bench translation` (add `-- --quick` for a short run).

#![allow(clippy::result_large_err)]

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use litellm_rs::providers::openai_compat::{OpenAiCompat, ROWS};
use litellm_rs::providers::{CallTarget, Provider, StreamState, anthropic, bedrock, cohere, gemini, ollama};
use litellm_rs::transport::ndjson::NdjsonDecoder;
use litellm_rs::transport::sse::{SseDecoder, SseEvent};
use litellm_rs::types::ChatRequest;
use serde_json::Value;

fn fixture(path: &str) -> String {
    let p: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "fixtures", path].iter().collect();
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The canonical request of a fixture folder (`request.json` holds it directly or under "request").
fn request(dir: &str, file: &str) -> ChatRequest {
    let v: Value = serde_json::from_str(&fixture(&format!("{dir}/{file}"))).unwrap();
    let v = v.get("request").cloned().unwrap_or(v);
    serde_json::from_value(v).unwrap()
}

fn target() -> CallTarget {
    CallTarget { api_base: "http://127.0.0.1:9".into(), api_key: Some("sk-bench".into()), ..CallTarget::default() }
}

/// A stream of about 1,000 events: the recorded one with its first content event repeated.
fn long_stream(events: Vec<SseEvent>, is_content: impl Fn(&SseEvent) -> bool) -> Vec<SseEvent> {
    let i = events.iter().position(&is_content).unwrap_or(0);
    let mut out: Vec<SseEvent> = events[..=i].to_vec();
    while out.len() < 1000 {
        out.push(events[i].clone());
    }
    out.extend(events[i + 1..].iter().cloned());
    out
}

fn sse(path: &str) -> Vec<SseEvent> {
    let mut d = SseDecoder::new();
    let mut out = Vec::new();
    d.feed(fixture(path).as_bytes(), &mut out);
    d.finish(&mut out);
    out
}

fn ndjson(path: &str) -> Vec<SseEvent> {
    let mut d = NdjsonDecoder::default();
    let mut out = Vec::new();
    d.feed(fixture(path).as_bytes(), &mut out);
    d.finish(&mut out);
    out
}

fn bench_provider(
    c: &mut Criterion,
    name: &str,
    p: &dyn Provider,
    req: ChatRequest,
    response: &str,
    stream: Vec<SseEvent>,
) {
    let t = target();
    c.bench_function(&format!("{name}/build_request"), |b| b.iter(|| black_box(p.build_chat(black_box(&req), &t))));
    let body = fixture(response);
    c.bench_function(&format!("{name}/parse_response"), |b| {
        b.iter(|| black_box(p.parse_chat(black_box(body.as_bytes()), &req)))
    });
    let n = stream.len();
    c.bench_function(&format!("{name}/stream_{n}_events"), |b| {
        b.iter(|| {
            let mut state = StreamState { model: req.model.clone(), ..StreamState::default() };
            let mut chunks = 0;
            for ev in &stream {
                chunks += p.parse_chat_event(&mut state, ev.event.as_deref(), &ev.data).map(|v| v.len()).unwrap_or(0);
            }
            black_box(chunks)
        })
    });
}

fn providers(c: &mut Criterion) {
    let openai = OpenAiCompat { row: ROWS.iter().find(|r| r.id == "openai").unwrap() };
    let oa_req: ChatRequest = serde_json::from_value(serde_json::json!({
        "model": "gpt-4o-mini",
        "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hello there"}],
        "temperature": 0.2, "max_tokens": 100,
    }))
    .unwrap();
    let oa_stream = long_stream(sse("openai_compat/stream_groq_text.sse"), |e| e.data.contains("\"Hello\""));
    bench_provider(c, "openai_compat", &openai, oa_req, "openai_compat/chat_simple.response.json", oa_stream);

    let a_stream =
        long_stream(sse("anthropic/stream_text/stream.sse"), |e| e.event.as_deref() == Some("content_block_delta"));
    bench_provider(
        c,
        "anthropic",
        &anthropic::Anthropic,
        request("anthropic/simple", "request.json"),
        "anthropic/simple/response.json",
        a_stream,
    );

    let g_stream = long_stream(sse("gemini/stream_text/response.sse"), |_| true);
    bench_provider(
        c,
        "gemini",
        &gemini::Gemini,
        request("gemini/simple", "request.json"),
        "gemini/simple/response.json",
        g_stream,
    );

    let o_stream = long_stream(ndjson("ollama/stream_text_usage/response.ndjson"), |_| true);
    let ollama = ollama::Ollama { chat: true };
    bench_provider(
        c,
        "ollama_chat",
        &ollama,
        request("ollama/chat_simple", "request.json"),
        "ollama/chat_simple/response.json",
        o_stream,
    );

    let co_stream =
        long_stream(sse("cohere/stream_text_usage/response.sse"), |e| e.event.as_deref() == Some("content-delta"));
    bench_provider(
        c,
        "cohere",
        &cohere::Cohere,
        request("cohere/chat_simple", "request.json"),
        "cohere/chat_simple/response.json",
        co_stream,
    );

    let b_events: Vec<(String, Value)> = serde_json::from_str(&fixture("bedrock/stream_text/events.json")).unwrap();
    let b_events: Vec<SseEvent> = b_events
        .into_iter()
        .map(|(event, data)| SseEvent { event: Some(event), data: data.to_string().into() })
        .collect();
    let b_stream = long_stream(b_events, |e| e.event.as_deref() == Some("contentBlockDelta"));
    bench_provider(
        c,
        "bedrock",
        &bedrock::Bedrock,
        request("bedrock/simple", "input.json"),
        "bedrock/simple/response.json",
        b_stream,
    );
}

criterion_group!(benches, providers);
criterion_main!(benches);
