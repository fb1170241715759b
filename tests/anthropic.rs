//! Anthropic Messages on recorded payloads (issue 3's scenario matrix), without the network.
//!
//! Each folder under `tests/fixtures/anthropic/` is one scenario; the files present decide what
//! is checked:
//! - `request.json` (+ optional `target.json`) and `upstream.json`: the body sent to Anthropic;
//! - `response.json` and `expected.json`: a recorded answer and the OpenAI-shaped result;
//! - `stream.sse` and `expected_stream.json`: a recorded SSE stream (decoded at several network
//!   splits) and the chunks it yields, with how the stream ended;
//! - `error.json` and `expected_error.json`: an error answer and the litellm class it maps to;
//! - `expected_error.json` alone: the request itself is refused before sending.
//!
//! `UPDATE_FIXTURES=1 cargo test --test anthropic` writes missing expectation files (review them).

use std::path::{Path, PathBuf};

use litellm_rs::engine::aggregate_chunks;
use litellm_rs::providers::anthropic::{Anthropic, messages_url};
use litellm_rs::providers::{CallTarget, Provider, StreamState};
use litellm_rs::transport::sse::SseDecoder;
use litellm_rs::types::{ChatChunk, ChatRequest};
use litellm_rs::{ErrorKind, LlmError};
use serde_json::{Value, json};

const KEY: &str = "sk-ant-test-0123456789";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/anthropic")
}

fn read(dir: &Path, name: &str) -> Option<String> {
    std::fs::read_to_string(dir.join(name)).ok()
}

fn read_json(dir: &Path, name: &str) -> Option<Value> {
    read(dir, name).map(|s| serde_json::from_str(&s).unwrap_or_else(|e| panic!("{}/{name}: {e}", dir.display())))
}

fn target(dir: &Path) -> CallTarget {
    let mut t =
        CallTarget { api_base: "https://api.anthropic.com".into(), api_key: Some(KEY.into()), ..CallTarget::default() };
    if let Some(cfg) = read_json(dir, "target.json") {
        t.drop_params = cfg["drop_params"].as_bool().unwrap_or(false);
        if let Some(h) = cfg["extra_headers"].as_object() {
            t.extra_headers = h.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned())).collect();
        }
        t.extra_body = cfg["extra_body"].as_object().cloned();
        if let Some(b) = cfg["api_base"].as_str() {
            t.api_base = b.to_owned();
        }
    }
    t
}

/// `created` is the local clock; everything else is deterministic.
fn normalise(mut v: Value) -> Value {
    if let Some(m) = v.as_object_mut()
        && m.contains_key("created")
    {
        m.insert("created".into(), json!(0));
    }
    v
}

/// Compares with an expectation file, or writes it when missing and UPDATE_FIXTURES is set.
fn expect(dir: &Path, name: &str, actual: &Value, failures: &mut Vec<String>) {
    let path = dir.join(name);
    match read_json(dir, name) {
        Some(want) => {
            if &want != actual {
                failures.push(format!(
                    "{}: {name} differs\n--- expected\n{}\n--- actual\n{}",
                    dir.display(),
                    serde_json::to_string_pretty(&want).unwrap(),
                    serde_json::to_string_pretty(actual).unwrap()
                ));
            }
        }
        None if std::env::var_os("UPDATE_FIXTURES").is_some() => {
            std::fs::write(&path, serde_json::to_string_pretty(actual).unwrap() + "\n").unwrap();
        }
        None => failures.push(format!("{}: missing {name}", path.display())),
    }
}

fn error_json(e: &LlmError) -> Value {
    let mut v = json!({"class": e.kind.class_name(), "status": e.status, "message": e.message});
    if let Some(r) = e.retry_after {
        v["retry_after"] = json!(r);
    }
    v
}

fn decode(sse: &str, split: usize, include_usage: bool) -> (Vec<ChatChunk>, StreamState, Option<LlmError>) {
    let mut dec = SseDecoder::new();
    let mut events = Vec::new();
    for piece in sse.as_bytes().chunks(split) {
        dec.feed(piece, &mut events);
    }
    dec.finish(&mut events);
    let mut state = StreamState { include_usage, ..StreamState::default() };
    let mut chunks = Vec::new();
    for ev in events {
        match Anthropic.parse_chat_event(&mut state, ev.event.as_deref(), &ev.data) {
            Ok(c) => chunks.extend(c),
            Err(e) => return (chunks, state, Some(e)),
        }
    }
    (chunks, state, None)
}

fn run_scenario(dir: &Path, failures: &mut Vec<String>) {
    let name = dir.file_name().unwrap().to_string_lossy().to_string();
    let request: Option<ChatRequest> =
        read_json(dir, "request.json").map(|v| serde_json::from_value(v).unwrap_or_else(|e| panic!("{name}: {e}")));
    let has_stream = dir.join("stream.sse").exists();
    let has_error_answer = dir.join("error.json").exists();
    let expected_error = read_json(dir, "expected_error.json");

    if let Some(req) = &request {
        let t = target(dir);
        match Anthropic.build_chat(req, &t) {
            Ok(http) => {
                if expected_error.is_some() && !has_stream && !has_error_answer {
                    failures.push(format!("{name}: the request should have been refused"));
                }
                if http.url != messages_url(&t.api_base) || !http.url.ends_with("/v1/messages") {
                    failures.push(format!("{name}: url {}", http.url));
                }
                let hv = |n: &str| http.headers.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
                if hv("x-api-key") != Some(KEY) || hv("anthropic-version") != Some("2023-06-01") {
                    failures.push(format!("{name}: headers {:?}", http.headers));
                }
                let body: Value = serde_json::from_slice(&http.body).unwrap();
                expect(dir, "upstream.json", &body, failures);
                let betas = hv("anthropic-beta").map(|b| json!(b.split(',').collect::<Vec<_>>()));
                if betas.is_some() || dir.join("upstream_betas.json").exists() {
                    expect(dir, "upstream_betas.json", &betas.unwrap_or(json!([])), failures);
                }
            }
            Err(e) if !has_stream && !has_error_answer => expect(dir, "expected_error.json", &error_json(&e), failures),
            Err(e) => failures.push(format!("{name}: build failed: {e}")),
        }
    }

    if let Some(resp) = read(dir, "response.json") {
        let req = request.clone().unwrap_or_default();
        match Anthropic.parse_chat(resp.as_bytes(), &req) {
            Ok(r) => expect(dir, "expected.json", &normalise(serde_json::to_value(&r).unwrap()), failures),
            Err(e) => failures.push(format!("{name}: parse failed: {e}")),
        }
    }

    if let Some(err) = read_json(dir, "error.json") {
        let status = err["status"].as_u64().unwrap() as u16;
        let headers = err["headers"]
            .as_object()
            .map(|h| h.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned())).collect())
            .unwrap_or_default();
        let body = match &err["body"] {
            Value::String(s) => s.clone().into_bytes(),
            other => serde_json::to_vec(other).unwrap(),
        };
        let e = Anthropic.map_error(status, headers, &body, "claude-sonnet-4-5-20250929");
        expect(dir, "expected_error.json", &error_json(&e), failures);
    }

    if let Some(sse) = read(dir, "stream.sse") {
        let include_usage = request.as_ref().is_some_and(ChatRequest::include_usage);
        let (chunks, state, err) = decode(&sse, usize::MAX, include_usage);
        for split in [1, 7, 64] {
            let (c2, s2, e2) = decode(&sse, split, include_usage);
            let same = c2.len() == chunks.len()
                && c2.iter().zip(&chunks).all(|(a, b)| normalise(json!(a)) == normalise(json!(b)))
                && (s2.finished, s2.done, e2.is_some()) == (state.finished, state.done, err.is_some());
            if !same {
                failures.push(format!("{name}: split {split} decodes differently"));
            }
        }
        let end = match (&err, state.done, state.finished) {
            (Some(e), _, _) => error_json(e),
            (None, true, _) => json!("complete"),
            (None, false, true) => json!("finished without message_stop"),
            (None, false, false) => json!("truncated"),
        };
        let out = json!({
            "chunks": chunks.iter().map(|c| normalise(json!(c))).collect::<Vec<_>>(),
            "end": end,
            "aggregated": aggregate_chunks(&chunks).map(|r| normalise(json!(r))),
        });
        expect(dir, "expected_stream.json", &out, failures);
    }
}

#[test]
fn scenario_matrix() {
    let mut dirs: Vec<PathBuf> =
        std::fs::read_dir(root()).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    dirs.sort();
    assert!(dirs.len() >= 40, "scenario folders: {}", dirs.len());
    let mut failures = Vec::new();
    for d in &dirs {
        run_scenario(d, &mut failures);
    }
    assert!(failures.is_empty(), "{} failure(s):\n\n{}", failures.len(), failures.join("\n\n"));
}

// ---------------------------------------------------------------------------------------------
// properties the fixtures state less directly
// ---------------------------------------------------------------------------------------------

fn request(v: Value) -> ChatRequest {
    serde_json::from_value(v).unwrap()
}

fn body(req: &ChatRequest, t: &CallTarget) -> Value {
    serde_json::from_slice(&Anthropic.build_chat(req, t).unwrap().body).unwrap()
}

fn base_target() -> CallTarget {
    CallTarget { api_base: "http://127.0.0.1:9".into(), api_key: Some(KEY.into()), ..CallTarget::default() }
}

#[test]
fn endpoint_and_headers() {
    let req = request(json!({"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": "hi"}]}));
    for base in ["http://127.0.0.1:9", "http://127.0.0.1:9/", "http://127.0.0.1:9/v1", "http://127.0.0.1:9/v1/messages"]
    {
        let t = CallTarget { api_base: base.into(), ..base_target() };
        assert_eq!(Anthropic.build_chat(&req, &t).unwrap().url, "http://127.0.0.1:9/v1/messages", "{base}");
    }
    let t = CallTarget {
        extra_headers: vec![
            ("anthropic-beta".into(), "prompt-caching-2024-07-31".into()),
            ("X-Trace".into(), "t1".into()),
        ],
        ..base_target()
    };
    let req = request(json!({
        "model": "claude-sonnet-4-5",
        "messages": [{"role": "user", "content": "hi"}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object", "properties": {"a": {"type": "string"}}}}},
    }));
    let http = Anthropic.build_chat(&req, &t).unwrap();
    let h: Vec<(&str, &str)> = http.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert!(h.contains(&("anthropic-beta", "prompt-caching-2024-07-31,structured-outputs-2025-11-13")), "{h:?}");
    assert!(h.contains(&("x-trace", "t1")));
    assert!(h.contains(&("content-type", "application/json")));
    assert_eq!(h.iter().filter(|(_, v)| v.contains(KEY)).count(), 1, "the key is sent once");
}

#[test]
fn unsupported_parameters_raise_or_drop() {
    let req = request(json!({
        "model": "claude-sonnet-4-5",
        "messages": [{"role": "user", "content": "hi"}],
        "seed": 7, "n": 1, "frequency_penalty": 0.1, "top_k": 5,
    }));
    let e = Anthropic.build_chat(&req, &base_target()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::UnsupportedParams);
    assert!(e.message.contains("'seed'") && e.message.contains("'frequency_penalty'"), "{}", e.message);
    assert!(!e.message.contains("'n'"), "n=1 is fine: {}", e.message);
    let b = body(&req, &CallTarget { drop_params: true, ..base_target() });
    assert!(b.get("seed").is_none() && b.get("frequency_penalty").is_none() && b.get("n").is_none());
    assert_eq!(b["top_k"], 5, "provider-specific parameters pass through");
    let b = body(
        &req,
        &CallTarget { additional_drop_params: vec!["seed".into(), "frequency_penalty".into()], ..base_target() },
    );
    assert!(b.get("seed").is_none());

    // Claude Opus 4.7 removed sampling parameters; temperature=1 is still accepted.
    let req = request(
        json!({"model": "claude-opus-4-7", "messages": [{"role": "user", "content": "hi"}], "top_p": 0.5, "temperature": 1}),
    );
    assert_eq!(Anthropic.build_chat(&req, &base_target()).unwrap_err().kind, ErrorKind::UnsupportedParams);
    let b = body(&req, &CallTarget { drop_params: true, ..base_target() });
    assert!(b.get("top_p").is_none());
    assert_eq!(b["temperature"], 1);
}

#[test]
fn extra_body_wins_and_reasoning_effort_errors() {
    let req = request(
        json!({"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 10}),
    );
    let mut extra = serde_json::Map::new();
    extra.insert("max_tokens".into(), json!(99));
    extra.insert("container".into(), json!("c1"));
    let b = body(&req, &CallTarget { extra_body: Some(extra), ..base_target() });
    assert_eq!((b["max_tokens"].clone(), b["container"].clone()), (json!(99), json!("c1")));

    let req = request(
        json!({"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": "hi"}], "reasoning_effort": "extreme"}),
    );
    let e = Anthropic.build_chat(&req, &base_target()).unwrap_err();
    assert!(e.message.contains("Unmapped reasoning effort"), "{}", e.message);
    for (effort, budget) in
        [("minimal", 1024), ("low", 1024), ("medium", 2048), ("high", 4096), ("xhigh", 8192), ("max", 16384)]
    {
        let req = request(
            json!({"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": "hi"}], "reasoning_effort": effort}),
        );
        let b = body(&req, &base_target());
        assert_eq!(b["thinking"], json!({"type": "enabled", "budget_tokens": budget}), "{effort}");
        assert_eq!(b["max_tokens"], budget + 4096, "{effort}");
    }
    let req = request(
        json!({"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": "hi"}], "reasoning_effort": "none"}),
    );
    assert!(body(&req, &base_target()).get("thinking").is_none());
}

#[test]
fn message_shapes_anthropic_rejects_are_fixed_or_refused() {
    // Only system messages: Anthropic needs a user turn.
    let req = request(json!({"model": "claude-sonnet-4-5", "messages": [{"role": "system", "content": "x"}]}));
    assert_eq!(Anthropic.build_chat(&req, &base_target()).unwrap_err().kind, ErrorKind::BadRequest);
    // Empty user text becomes litellm's placeholder; invalid tool-call JSON is refused clearly.
    let req = request(json!({"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": ""}]}));
    let b = body(&req, &base_target());
    assert!(b["messages"][0]["content"][0]["text"].as_str().unwrap().contains("Empty message content"));
    let req = request(json!({"model": "claude-sonnet-4-5", "messages": [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "tool_calls": [{"id": "t1", "type": "function", "function": {"name": "f", "arguments": "{oops"}}]},
    ]}));
    let e = Anthropic.build_chat(&req, &base_target()).unwrap_err();
    assert!(e.message.contains("not valid JSON"), "{}", e.message);
    // A bad image URL is a clear BadRequest.
    let req = request(
        json!({"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "ftp://x"}}]}]}),
    );
    assert!(
        Anthropic.build_chat(&req, &base_target()).unwrap_err().message.contains("Image url not in expected format")
    );
}

#[test]
fn error_inside_a_200_body_is_raised() {
    let req = request(json!({"model": "claude-sonnet-4-5", "messages": []}));
    let e = Anthropic
        .parse_chat(br#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#, &req)
        .unwrap_err();
    assert_eq!((e.kind, e.status), (ErrorKind::InternalServer, 529));
    let e = Anthropic.parse_chat(b"<html>502</html>", &req).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Api);
}

#[test]
fn stream_invariants() {
    let sse = std::fs::read_to_string(root().join("stream_tools/stream.sse")).unwrap();
    let (chunks, state, err) = decode(&sse, 5, false);
    assert!(err.is_none() && state.done && state.finished);
    assert_eq!(chunks[0].choices[0].delta.role.as_deref(), Some("assistant"));
    assert_eq!(chunks.iter().filter(|c| c.choices.first().is_some_and(|ch| ch.delta.role.is_some())).count(), 1);
    assert!(chunks.iter().all(|c| c.id == "msg_014p7gG3wDgGV9EUtLvnow3U" && c.model == "claude-sonnet-4-5-20250929"));
    let full = aggregate_chunks(&chunks).unwrap();
    let tc = full.choices[0].message.tool_calls.as_ref().unwrap();
    assert_eq!(tc.len(), 2);
    assert_eq!(tc[0].function.arguments, r#"{"location": "San Francisco, CA"}"#);
    assert_eq!((tc[1].function.name.as_str(), tc[1].function.arguments.as_str()), ("get_time", "{}"));
    assert_eq!(full.choices[0].finish_reason.as_deref(), Some("tool_calls"));

    // A stream that stops early is neither finished nor done: the driver raises a truncation error.
    let sse = std::fs::read_to_string(root().join("stream_truncated/stream.sse")).unwrap();
    let (_, state, err) = decode(&sse, 3, true);
    assert!(err.is_none() && !state.finished && !state.done);

    // Events without SSE names (some gateways) are routed by their `type`.
    let mut state = StreamState::default();
    let c = Anthropic
        .parse_chat_event(
            &mut state,
            None,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x"}}"#,
        )
        .unwrap();
    assert_eq!(c[0].choices[0].delta.content.as_deref(), Some("x"));
    assert!(c[0].id.starts_with("chatcmpl-"));
    assert!(Anthropic.parse_chat_event(&mut state, Some("content_block_delta"), "{not json").is_err());
}
