//! Cohere v2 (`cohere/`, `cohere_chat/` -> POST /v2/chat, /v2/embed) on recorded payloads,
//! without the network.
//!
//! Every folder under tests/fixtures/cohere/ is one scenario: `request.json` (the canonical
//! request the engine hands the provider), `upstream.json` (the body Cohere must receive),
//! `response.json` or `response.sse` (what Cohere answered), `expected.json` (the OpenAI-shaped
//! result; for streams `{"chunks": [...], "aggregate": {...}}`, for errors `{"error": {...}}`)
//! and optionally `meta.json` (`route`: chat | embed, `status`). Generated ids and `created` are
//! normalised before comparing. `LITELLM_RS_BLESS=1` rewrites `expected.json` from the current
//! output (review the diff before keeping it).

use std::path::{Path, PathBuf};

use litellm_rs::ErrorKind;
use litellm_rs::engine::aggregate_chunks;
use litellm_rs::providers::cohere::Cohere;
use litellm_rs::providers::{CallTarget, Framing, Provider, StreamState};
use litellm_rs::transport::sse::SseDecoder;
use litellm_rs::types::{ChatChunk, ChatRequest, EmbeddingRequest};
use serde_json::{Value, json};

const KEY: &str = "co-test-key";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cohere")
}

fn read(dir: &Path, name: &str) -> Option<String> {
    std::fs::read_to_string(dir.join(name)).ok()
}

fn read_json(dir: &Path, name: &str) -> Option<Value> {
    read(dir, name).map(|s| serde_json::from_str(&s).unwrap_or_else(|e| panic!("{}/{name}: {e}", dir.display())))
}

fn target() -> CallTarget {
    CallTarget { api_base: "https://api.cohere.com".into(), api_key: Some(KEY.into()), ..CallTarget::default() }
}

/// Replaces generated ids (`chatcmpl-<32 hex>`, `call_<32 hex>`) and `created` timestamps.
fn normalise(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, val) in m.iter_mut() {
                if k == "created" && val.is_number() {
                    *val = json!(0);
                } else if let Value::String(s) = val {
                    for prefix in ["chatcmpl-", "call_"] {
                        if let Some(rest) = s.strip_prefix(prefix)
                            && rest.len() == 32
                            && rest.chars().all(|c| c.is_ascii_hexdigit())
                        {
                            *s = format!("{prefix}<generated>");
                        }
                    }
                } else {
                    normalise(val);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(normalise),
        _ => {}
    }
}

fn stream_chunks(raw: &str, include_usage: bool, model: &str) -> (Vec<ChatChunk>, StreamState) {
    let mut dec = SseDecoder::new();
    let mut events = Vec::new();
    // feed in small pieces, as the network would
    for piece in raw.as_bytes().chunks(41) {
        dec.feed(piece, &mut events);
    }
    dec.finish(&mut events);
    // seeded as the engine's stream driver does
    let mut state = StreamState { include_usage, model: model.to_owned(), ..StreamState::default() };
    let mut chunks = Vec::new();
    for ev in events {
        let out = Cohere.parse_chat_event(&mut state, ev.event.as_deref(), &ev.data);
        chunks.extend(out.unwrap_or_else(|e| panic!("{e}: {}", ev.data)));
    }
    (chunks, state)
}

/// Runs one scenario; returns a description of the first mismatch.
fn run(dir: &Path) -> Result<(), String> {
    let meta = read_json(dir, "meta.json").unwrap_or(json!({}));
    let route = meta["route"].as_str().unwrap_or("chat");
    let status = meta["status"].as_u64().unwrap_or(200) as u16;
    let t = target();
    let request = read_json(dir, "request.json").ok_or("no request.json")?;
    let (http, model) = if route == "embed" {
        let req: EmbeddingRequest = serde_json::from_value(request.clone()).map_err(|e| e.to_string())?;
        (Cohere.build_embedding(&req, &t).map_err(|e| e.to_string())?, req.model)
    } else {
        let req: ChatRequest = serde_json::from_value(request.clone()).map_err(|e| e.to_string())?;
        (Cohere.build_chat(&req, &t).map_err(|e| e.to_string())?, req.model)
    };
    let path = if route == "embed" { "/v2/embed" } else { "/v2/chat" };
    if http.url != format!("https://api.cohere.com{path}") {
        return Err(format!("url {} != {path}", http.url));
    }
    if !http.headers.contains(&("authorization".into(), format!("Bearer {KEY}"))) {
        return Err(format!("no bearer key in {:?}", http.headers));
    }
    let body: Value = serde_json::from_slice(&http.body).map_err(|e| e.to_string())?;
    if let Some(want) = read_json(dir, "upstream.json")
        && body != want
    {
        return Err(format!(
            "upstream body differs\n  got:  {}\n  want: {}",
            serde_json::to_string(&body).unwrap(),
            serde_json::to_string(&want).unwrap()
        ));
    }

    let mut actual = if status != 200 {
        let raw = read(dir, "response.json").ok_or("no response.json")?;
        let e = Cohere.map_error(status, Vec::new(), raw.as_bytes(), &model);
        json!({"error": {"class": e.kind.class_name(), "status": e.status, "provider": e.provider, "message": e.message}})
    } else if let Some(raw) = read(dir, "response.sse") {
        let req: ChatRequest = serde_json::from_value(request).map_err(|e| e.to_string())?;
        let (chunks, state) = stream_chunks(&raw, req.include_usage(), &req.model);
        if !state.done || !state.finished {
            return Err("the stream did not end cleanly (done/finished not set)".into());
        }
        let aggregate = aggregate_chunks(&chunks);
        json!({"chunks": chunks, "aggregate": aggregate})
    } else {
        let raw = read(dir, "response.json").ok_or("no response.json")?;
        if route == "embed" {
            let req: EmbeddingRequest = serde_json::from_value(request).map_err(|e| e.to_string())?;
            serde_json::to_value(Cohere.parse_embedding(raw.as_bytes(), &req).map_err(|e| e.to_string())?).unwrap()
        } else {
            let req: ChatRequest = serde_json::from_value(request).map_err(|e| e.to_string())?;
            serde_json::to_value(Cohere.parse_chat(raw.as_bytes(), &req).map_err(|e| e.to_string())?).unwrap()
        }
    };
    normalise(&mut actual);
    if std::env::var("LITELLM_RS_BLESS").is_ok_and(|v| v == "1") {
        let text = serde_json::to_string_pretty(&actual).unwrap() + "\n";
        std::fs::write(dir.join("expected.json"), text).map_err(|e| e.to_string())?;
        return Ok(());
    }
    let want = read_json(dir, "expected.json").ok_or("no expected.json")?;
    if actual != want {
        return Err(format!(
            "output differs\n  got:  {}\n  want: {}",
            serde_json::to_string(&actual).unwrap(),
            serde_json::to_string(&want).unwrap()
        ));
    }
    Ok(())
}

#[test]
fn fixture_scenarios() {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .expect("tests/fixtures/cohere")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 15, "expected the scenario matrix, found {} scenarios", dirs.len());
    let failures: Vec<String> = dirs
        .iter()
        .filter_map(|d| run(d).err().map(|e| format!("{}: {e}", d.file_name().unwrap().to_string_lossy())))
        .collect();
    assert!(failures.is_empty(), "{} scenario(s) failed:\n{}", failures.len(), failures.join("\n"));
}

fn chat_request(v: Value) -> ChatRequest {
    serde_json::from_value(v).expect("valid request")
}

fn body_of(req: &ChatRequest, t: &CallTarget) -> Value {
    serde_json::from_slice(&Cohere.build_chat(req, t).unwrap_or_else(|e| panic!("{e}")).body).unwrap()
}

#[test]
fn framing_url_and_headers() {
    assert_eq!(Cohere.framing(), Framing::Sse);
    let req = chat_request(json!({"model": "command-r-plus", "messages": [{"role": "user", "content": "hi"}]}));
    for (base, url) in [
        ("https://api.cohere.com", "https://api.cohere.com/v2/chat"),
        ("https://api.cohere.ai/", "https://api.cohere.ai/v2/chat"),
        ("http://proxy:8080/cohere/v2", "http://proxy:8080/cohere/v2/chat"),
        ("http://proxy:8080/v2/chat", "http://proxy:8080/v2/chat"),
    ] {
        let t = CallTarget { api_base: base.into(), api_key: Some(KEY.into()), ..CallTarget::default() };
        assert_eq!(Cohere.build_chat(&req, &t).unwrap().url, url);
    }
    let mut t = target();
    t.extra_headers = vec![("X-Client-Name".into(), "tests".into()), ("Accept".into(), "text/event-stream".into())];
    let h = Cohere.build_chat(&req, &t).unwrap().headers;
    assert!(h.contains(&("x-client-name".into(), "tests".into())));
    assert_eq!(h.iter().filter(|(k, _)| k == "accept").count(), 1);
    let body = body_of(&req, &target());
    assert!(body.get("stream").is_none(), "stream is only sent when streaming: {body}");
}

#[test]
fn unsupported_params_raise_or_drop() {
    let req = chat_request(json!({
        "model": "command-a-03-2025", "messages": [{"role": "user", "content": "hi"}],
        "logprobs": true, "parallel_tool_calls": false, "n": 2,
    }));
    let err = Cohere.build_chat(&req, &target()).unwrap_err();
    assert_eq!(err.kind, ErrorKind::UnsupportedParams);
    for p in ["'logprobs'", "'parallel_tool_calls'", "'n'", "cohere"] {
        assert!(err.message.contains(p), "{p}: {}", err.message);
    }
    let t = CallTarget { drop_params: true, ..target() };
    let body = body_of(&req, &t);
    for p in ["logprobs", "parallel_tool_calls", "n", "num_generations"] {
        assert!(body.get(p).is_none(), "{p}: {body}");
    }
    // n=1 is what every provider does anyway
    let req = chat_request(json!({"model": "m", "messages": [{"role": "user", "content": "hi"}], "n": 1}));
    assert!(body_of(&req, &target()).get("n").is_none());
}

#[test]
fn tool_choice_forms() {
    let tools = json!([
        {"type": "function", "function": {"name": "a", "parameters": {"type": "object"}}},
        {"type": "function", "function": {"name": "b", "parameters": {"type": "object"}}}
    ]);
    let cases = [
        (json!("auto"), None, 2),
        (json!("required"), Some("REQUIRED"), 2),
        (json!("none"), Some("NONE"), 2),
        (json!({"type": "function", "function": {"name": "b"}}), Some("REQUIRED"), 1),
    ];
    for (choice, want, n_tools) in cases {
        let req = chat_request(json!({"model": "command-a-03-2025", "messages": [{"role": "user", "content": "hi"}],
            "tools": tools, "tool_choice": choice}));
        let body = body_of(&req, &target());
        assert_eq!(body.get("tool_choice").and_then(Value::as_str), want, "{choice}");
        assert_eq!(body["tools"].as_array().unwrap().len(), n_tools, "{choice}");
    }
}

#[test]
fn extra_body_overrides_and_passthrough_kwargs() {
    let req = chat_request(json!({
        "model": "command-r", "messages": [{"role": "user", "content": "hi"}], "temperature": 0.3,
        "safety_mode": "STRICT", "citation_options": {"mode": "FAST"}, "k": 10, "top_k": 99,
    }));
    let mut t = target();
    t.extra_body = Some(serde_json::from_value(json!({"temperature": 0.9, "strict_tools": true})).unwrap());
    let http = Cohere.build_chat(&req, &t).unwrap();
    let body: Value = serde_json::from_slice(&http.body).unwrap();
    assert_eq!(body["temperature"], 0.9);
    assert_eq!(body["strict_tools"], true);
    assert_eq!(body["safety_mode"], "STRICT");
    assert_eq!(body["citation_options"], json!({"mode": "FAST"}));
    assert_eq!(body["k"], 10, "an explicit k wins over top_k");
    assert!(body.get("top_k").is_none());
    assert_eq!(String::from_utf8(http.body.to_vec()).unwrap().matches("\"temperature\"").count(), 1);
}

#[test]
fn unknown_events_are_skipped() {
    let mut state = StreamState::default();
    for (event, data) in [
        (
            "message-start",
            r#"{"type":"message-start","id":"c0ffee","delta":{"message":{"role":"assistant","content":[],"tool_plan":"","tool_calls":[],"citations":[]}}}"#,
        ),
        ("debug", r#"{"type":"debug","prompt":"<BOS_TOKEN>..."}"#),
        ("future-event", r#"{"type":"future-event","delta":{"whatever":1}}"#),
        ("content-end", r#"{"type":"content-end","index":0}"#),
    ] {
        assert!(Cohere.parse_chat_event(&mut state, Some(event), data).unwrap().is_empty(), "{event}");
    }
    assert_eq!(state.id, "c0ffee", "the message id is the chunk id");
    let c = Cohere
        .parse_chat_event(
            &mut state,
            Some("content-delta"),
            r#"{"type":"content-delta","index":0,"delta":{"message":{"content":{"text":"Hi"}}}}"#,
        )
        .unwrap();
    assert_eq!(c[0].choices[0].delta.content.as_deref(), Some("Hi"));
    assert_eq!(c[0].id, "c0ffee");
}

#[test]
fn event_name_is_used_when_data_has_no_type() {
    let mut state = StreamState::default();
    let c = Cohere
        .parse_chat_event(
            &mut state,
            Some("content-delta"),
            r#"{"index":0,"delta":{"message":{"content":{"text":"Hey"}}}}"#,
        )
        .unwrap();
    assert_eq!(c[0].choices[0].delta.content.as_deref(), Some("Hey"));
    // a bare-string content is tolerated, as litellm does
    let c = Cohere
        .parse_chat_event(
            &mut state,
            None,
            r#"{"type":"content-delta","index":0,"delta":{"message":{"content":" you"}}}"#,
        )
        .unwrap();
    assert_eq!(c[0].choices[0].delta.content.as_deref(), Some(" you"));
}

#[test]
fn truncated_stream_is_not_finished() {
    let raw = "event: message-start\ndata: {\"type\":\"message-start\",\"id\":\"x\",\"delta\":{\"message\":{\"role\":\"assistant\"}}}\n\n\
               event: content-delta\ndata: {\"type\":\"content-delta\",\"index\":0,\"delta\":{\"message\":{\"content\":{\"text\":\"Hel\"}}}}\n\n";
    let (chunks, state) = stream_chunks(raw, true, "command-r");
    assert_eq!(chunks.len(), 1);
    assert!(!state.finished && !state.done, "the driver must report the truncation");
}

#[test]
fn tool_plan_round_trips_from_provider_specific_fields() {
    let req = chat_request(json!({"model": "command-a-03-2025", "messages": [
        {"role": "user", "content": "weather?"},
        {"role": "assistant", "content": null, "provider_specific_fields": {"tool_plan": "I will call get_weather."},
         "tool_calls": [{"id": "get_weather_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Oslo\"}"}}]},
        {"role": "tool", "tool_call_id": "get_weather_1", "content": [{"type": "text", "text": "-3C"}]}
    ]}));
    let body = body_of(&req, &target());
    assert_eq!(body["messages"][1]["tool_plan"], "I will call get_weather.");
    assert!(body["messages"][1].get("content").is_none());
    assert!(body["messages"][1].get("provider_specific_fields").is_none());
    assert_eq!(
        body["messages"][2],
        json!({"role": "tool", "tool_call_id": "get_weather_1", "content": [{"type": "text", "text": "-3C"}]})
    );
}

#[test]
fn embedding_images_and_options() {
    let req: EmbeddingRequest = serde_json::from_value(json!({
        "model": "embed-v4.0", "input": ["data:image/png;base64,iVBORw0KGgo="], "encoding_format": "float", "dimensions": 256,
    }))
    .unwrap();
    let body: Value = serde_json::from_slice(&Cohere.build_embedding(&req, &target()).unwrap().body).unwrap();
    assert_eq!(
        body,
        json!({"model": "embed-v4.0", "images": ["data:image/png;base64,iVBORw0KGgo="], "input_type": "image",
               "embedding_types": ["float"], "output_dimension": 256})
    );
    let req: EmbeddingRequest =
        serde_json::from_value(json!({"model": "embed-english-v3.0", "input": "hi", "input_type": "search_query"}))
            .unwrap();
    let body: Value = serde_json::from_slice(&Cohere.build_embedding(&req, &target()).unwrap().body).unwrap();
    assert_eq!(body, json!({"model": "embed-english-v3.0", "texts": ["hi"], "input_type": "search_query"}));
}
