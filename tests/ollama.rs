//! Ollama (`ollama_chat/` -> /api/chat, `ollama/` -> /api/generate, /api/embed) on recorded
//! payloads, without the network.
//!
//! Every folder under tests/fixtures/ollama/ is one scenario: `request.json` (the canonical
//! request the engine hands the provider), `upstream.json` (the body Ollama must receive),
//! `response.json` or `response.ndjson` (what Ollama answered), `expected.json` (the OpenAI-shaped
//! result; for streams `{"chunks": [...], "aggregate": {...}}`, for errors `{"error": {...}}`)
//! and optionally `meta.json` (`route`: chat | generate | embed, `status`, `path`, `api_key`).
//! Generated ids and `created` are normalised before comparing. `LITELLM_RS_BLESS=1` rewrites
//! `expected.json` from the current output (review the diff before keeping it).

use std::path::{Path, PathBuf};

use litellm_rs::ErrorKind;
use litellm_rs::engine::aggregate_chunks;
use litellm_rs::providers::ollama::Ollama;
use litellm_rs::providers::{CallTarget, Framing, Provider, StreamState};
use litellm_rs::transport::ndjson::NdjsonDecoder;
use litellm_rs::types::{ChatChunk, ChatRequest, EmbeddingRequest};
use serde_json::{Value, json};

const CHAT: Ollama = Ollama { chat: true };
const GENERATE: Ollama = Ollama { chat: false };

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ollama")
}

fn read(dir: &Path, name: &str) -> Option<String> {
    std::fs::read_to_string(dir.join(name)).ok()
}

fn read_json(dir: &Path, name: &str) -> Option<Value> {
    read(dir, name).map(|s| serde_json::from_str(&s).unwrap_or_else(|e| panic!("{}/{name}: {e}", dir.display())))
}

fn target(api_key: Option<&str>) -> CallTarget {
    CallTarget {
        api_base: "http://localhost:11434".into(),
        api_key: api_key.map(str::to_owned),
        ..CallTarget::default()
    }
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

fn decode_ndjson(raw: &str) -> Vec<String> {
    let mut dec = NdjsonDecoder::default();
    let mut events = Vec::new();
    // feed in small pieces, as the network would
    for piece in raw.as_bytes().chunks(37) {
        dec.feed(piece, &mut events);
    }
    dec.finish(&mut events);
    events.into_iter().map(|e| e.data.to_string()).collect()
}

fn stream_chunks(p: &Ollama, raw: &str, include_usage: bool, model: &str) -> (Vec<ChatChunk>, StreamState) {
    // seeded as the engine's stream driver does
    let mut state = StreamState { include_usage, model: model.to_owned(), ..StreamState::default() };
    let mut chunks = Vec::new();
    for data in decode_ndjson(raw) {
        chunks.extend(p.parse_chat_event(&mut state, None, &data).unwrap_or_else(|e| panic!("{e}: {data}")));
    }
    (chunks, state)
}

/// Runs one scenario; returns a description of the first mismatch.
fn run(dir: &Path) -> Result<(), String> {
    let meta = read_json(dir, "meta.json").unwrap_or(json!({}));
    let route = meta["route"].as_str().unwrap_or("chat");
    let status = meta["status"].as_u64().unwrap_or(200) as u16;
    let t = target(meta["api_key"].as_str());
    let p = if route == "generate" { GENERATE } else { CHAT };
    let request = read_json(dir, "request.json").ok_or("no request.json")?;
    let (http, model) = if route == "embed" {
        let req: EmbeddingRequest = serde_json::from_value(request.clone()).map_err(|e| e.to_string())?;
        (p.build_embedding(&req, &t).map_err(|e| e.to_string())?, req.model)
    } else {
        let req: ChatRequest = serde_json::from_value(request.clone()).map_err(|e| e.to_string())?;
        (p.build_chat(&req, &t).map_err(|e| e.to_string())?, req.model)
    };
    let default_path = match route {
        "embed" => "/api/embed",
        "generate" => "/api/generate",
        _ => "/api/chat",
    };
    let path = meta["path"].as_str().unwrap_or(default_path);
    if http.url != format!("http://localhost:11434{path}") {
        return Err(format!("url {} != {path}", http.url));
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
        let e = p.map_error(status, Vec::new(), raw.as_bytes(), &model);
        json!({"error": {"class": e.kind.class_name(), "status": e.status, "provider": e.provider, "message": e.message}})
    } else if let Some(raw) = read(dir, "response.ndjson") {
        let req: ChatRequest = serde_json::from_value(request).map_err(|e| e.to_string())?;
        let (chunks, state) = stream_chunks(&p, &raw, req.include_usage(), &req.model);
        if !state.done || !state.finished {
            return Err("the stream did not end cleanly (done/finished not set)".into());
        }
        let aggregate = aggregate_chunks(&chunks);
        json!({"chunks": chunks, "aggregate": aggregate})
    } else {
        let raw = read(dir, "response.json").ok_or("no response.json")?;
        if route == "embed" {
            let req: EmbeddingRequest = serde_json::from_value(request).map_err(|e| e.to_string())?;
            serde_json::to_value(p.parse_embedding(raw.as_bytes(), &req).map_err(|e| e.to_string())?).unwrap()
        } else {
            let req: ChatRequest = serde_json::from_value(request).map_err(|e| e.to_string())?;
            serde_json::to_value(p.parse_chat(raw.as_bytes(), &req).map_err(|e| e.to_string())?).unwrap()
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
        .expect("tests/fixtures/ollama")
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

fn body_of(p: &Ollama, req: &ChatRequest, t: &CallTarget) -> Value {
    serde_json::from_slice(&p.build_chat(req, t).unwrap_or_else(|e| panic!("{e}")).body).unwrap()
}

#[test]
fn stream_framing_is_ndjson() {
    assert_eq!(CHAT.framing(), Framing::Ndjson);
    assert_eq!(GENERATE.framing(), Framing::Ndjson);
    assert_eq!(CHAT.id(), "ollama_chat");
    assert_eq!(GENERATE.id(), "ollama");
}

#[test]
fn stream_is_always_sent_and_auth_only_with_a_key() {
    let req = chat_request(json!({"model": "llama3.2", "messages": [{"role": "user", "content": "hi"}]}));
    let http = CHAT.build_chat(&req, &target(None)).unwrap();
    let body: Value = serde_json::from_slice(&http.body).unwrap();
    assert_eq!(body["stream"], false);
    assert_eq!(body["options"], json!({}));
    assert!(!http.headers.iter().any(|(k, _)| k == "authorization"));
    let http = CHAT.build_chat(&req, &target(Some("ollama-key"))).unwrap();
    assert!(http.headers.contains(&("authorization".into(), "Bearer ollama-key".into())));
    // an api_base that already names the endpoint is used as it is
    let t = CallTarget { api_base: "http://10.0.0.5:11434/api/chat/".into(), ..CallTarget::default() };
    assert_eq!(CHAT.build_chat(&req, &t).unwrap().url, "http://10.0.0.5:11434/api/chat");
    let t = CallTarget { api_base: "http://10.0.0.5:11434/api/generate".into(), ..CallTarget::default() };
    assert_eq!(GENERATE.build_chat(&req, &t).unwrap().url, "http://10.0.0.5:11434/api/generate");
}

#[test]
fn unsupported_openai_params_raise_or_drop() {
    let v =
        json!({"model": "llama3.2", "messages": [{"role": "user", "content": "hi"}], "presence_penalty": 0.5, "n": 2});
    let req = chat_request(v);
    let err = CHAT.build_chat(&req, &target(None)).unwrap_err();
    assert_eq!(err.kind, ErrorKind::UnsupportedParams);
    assert!(err.message.contains("'n'") && err.message.contains("'presence_penalty'"), "{}", err.message);
    assert!(err.message.contains("ollama_chat"), "{}", err.message);
    let t = CallTarget { drop_params: true, ..target(None) };
    let body = body_of(&CHAT, &req, &t);
    assert!(body.get("n").is_none() && body["options"].get("presence_penalty").is_none(), "{body}");
    // tools are a chat-only parameter
    let req = chat_request(json!({
        "model": "llama3.2", "messages": [{"role": "user", "content": "hi"}],
        "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
    }));
    assert_eq!(GENERATE.build_chat(&req, &target(None)).unwrap_err().kind, ErrorKind::UnsupportedParams);
    // additional_drop_params removes provider kwargs too
    let req = chat_request(json!({"model": "m", "messages": [], "top_k": 5, "num_ctx": 8192}));
    let t = CallTarget { additional_drop_params: vec!["top_k".into()], ..target(None) };
    assert_eq!(body_of(&CHAT, &req, &t)["options"], json!({"num_ctx": 8192}));
}

#[test]
fn tool_choice_is_accepted_but_never_sent() {
    for choice in [json!("auto"), json!("required"), json!({"type": "function", "function": {"name": "f"}})] {
        let req = chat_request(json!({
            "model": "llama3.2", "messages": [{"role": "user", "content": "hi"}],
            "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
            "tool_choice": choice,
        }));
        let body = body_of(&CHAT, &req, &target(None));
        assert!(body.get("tool_choice").is_none(), "{body}");
        assert_eq!(body["tools"][0]["function"]["name"], "f");
    }
}

#[test]
fn legacy_functions_become_tools() {
    let req = chat_request(json!({
        "model": "llama3.2", "messages": [{"role": "user", "content": "hi"}],
        "functions": [{"name": "lookup", "parameters": {"type": "object", "properties": {}}}],
    }));
    let body = body_of(&CHAT, &req, &target(None));
    assert_eq!(
        body["tools"],
        json!([{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}}}])
    );
}

#[test]
fn explicit_format_think_options_and_extra_body_win() {
    let req = chat_request(json!({
        "model": "qwen3", "messages": [{"role": "user", "content": "hi"}],
        "response_format": {"type": "json_object"}, "format": {"type": "object"},
        "reasoning_effort": "low", "think": false,
        "temperature": 0.1, "options": {"temperature": 0.9, "num_gpu": 1},
    }));
    let mut t = target(None);
    t.extra_body = Some(serde_json::from_value(json!({"keep_alive": "5m", "stream": true})).unwrap());
    let body = body_of(&CHAT, &req, &t);
    assert_eq!(body["format"], json!({"type": "object"}));
    assert_eq!(body["think"], false);
    assert_eq!(body["options"], json!({"temperature": 0.9, "num_gpu": 1}));
    assert_eq!(body["keep_alive"], "5m");
    assert_eq!(body["stream"], true);
    let text = String::from_utf8(CHAT.build_chat(&req, &t).unwrap().body.to_vec()).unwrap();
    assert_eq!(text.matches("\"stream\"").count(), 1, "{text}");
}

#[test]
fn anthropic_style_thinking_turns_think_on() {
    let req = chat_request(json!({
        "model": "qwen3", "messages": [{"role": "user", "content": "hi"}],
        "thinking": {"type": "enabled", "budget_tokens": 1024},
    }));
    let body = body_of(&CHAT, &req, &target(None));
    assert_eq!(body["think"], true);
    assert!(body["options"].get("thinking").is_none(), "{body}");
}

#[test]
fn image_urls_need_base64() {
    let req = chat_request(json!({"model": "llava", "messages": [{"role": "user", "content": [
        {"type": "text", "text": "what is this?"},
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}
    ]}]}));
    let err = CHAT.build_chat(&req, &target(None)).unwrap_err();
    assert_eq!(err.kind, ErrorKind::BadRequest);
    assert!(err.message.contains("data URL"), "{}", err.message);
    // bare base64 passes through as it is
    let req = chat_request(json!({"model": "llava", "messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": "iVBORw0KGgo="}
    ]}]}));
    assert_eq!(body_of(&CHAT, &req, &target(None))["messages"][0]["images"], json!(["iVBORw0KGgo="]));
}

#[test]
fn invalid_tool_arguments_are_a_clear_error() {
    let req = chat_request(json!({"model": "llama3.2", "messages": [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{not json"}}]}
    ]}));
    let err = CHAT.build_chat(&req, &target(None)).unwrap_err();
    assert_eq!(err.kind, ErrorKind::BadRequest);
    assert!(err.message.contains("'f'"), "{}", err.message);
}

#[test]
fn truncated_stream_is_not_finished() {
    let raw = concat!(
        r#"{"model":"llama3.2","created_at":"2025-05-20T14:32:07.1Z","message":{"role":"assistant","content":"The"},"done":false}"#,
        "\n",
        r#"{"model":"llama3.2","created_at":"2025-05-20T14:32:07.2Z","message":{"role":"assistant","content":" sky"},"done":false}"#,
        "\n"
    );
    let (chunks, state) = stream_chunks(&CHAT, raw, false, "llama3.2");
    assert_eq!(chunks.len(), 2);
    assert!(!state.finished && !state.done, "the driver must report the truncation");
}

#[test]
fn error_line_mid_stream_is_raised() {
    let mut state = StreamState::default();
    let ok = r#"{"model":"llama3.2","created_at":"2025-05-20T14:32:07.1Z","message":{"role":"assistant","content":"Hi"},"done":false}"#;
    assert_eq!(CHAT.parse_chat_event(&mut state, None, ok).unwrap().len(), 1);
    let err = CHAT
        .parse_chat_event(
            &mut state,
            None,
            r#"{"error":"an error was encountered while running the model: unexpected EOF"}"#,
        )
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::InternalServer);
    assert!(err.message.contains("unexpected EOF"), "{}", err.message);
    assert_eq!(err.provider, "ollama_chat");
}

#[test]
fn a_200_answer_with_an_error_is_raised() {
    let req = chat_request(json!({"model": "llama3.2", "messages": []}));
    let err = GENERATE
        .parse_chat(br#"{"error":"model requires more system memory (5.6 GiB) than is available (2.1 GiB)"}"#, &req)
        .unwrap_err();
    assert!(err.message.contains("more system memory"), "{}", err.message);
}

#[test]
fn empty_lines_and_blank_content_are_skipped() {
    let mut state = StreamState::default();
    assert!(CHAT.parse_chat_event(&mut state, None, "   ").unwrap().is_empty());
    let first = r#"{"model":"m","message":{"role":"assistant","content":""},"done":false}"#;
    // the first line carries the role even when it has no text
    let c = CHAT.parse_chat_event(&mut state, None, first).unwrap();
    assert_eq!(c[0].choices[0].delta.role.as_deref(), Some("assistant"));
    assert!(CHAT.parse_chat_event(&mut state, None, first).unwrap().is_empty());
}

#[test]
fn inline_think_tags_split_across_lines() {
    let lines = [
        r#"{"model":"deepseek-r1","message":{"role":"assistant","content":"<think>"},"done":false}"#,
        r#"{"model":"deepseek-r1","message":{"role":"assistant","content":"Two plus two"},"done":false}"#,
        r#"{"model":"deepseek-r1","message":{"role":"assistant","content":" is four.</think>\n\nThe"},"done":false}"#,
        r#"{"model":"deepseek-r1","message":{"role":"assistant","content":" answer is 4. <think> stays text"},"done":false}"#,
        r#"{"model":"deepseek-r1","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","prompt_eval_count":9,"eval_count":20}"#,
    ];
    let mut state = StreamState::default();
    let mut chunks = Vec::new();
    for l in lines {
        chunks.extend(CHAT.parse_chat_event(&mut state, None, l).unwrap());
    }
    let r = aggregate_chunks(&chunks).unwrap();
    assert_eq!(r.choices[0].message.reasoning_content.as_deref(), Some("Two plus two is four."));
    assert_eq!(r.choices[0].message.content.as_deref(), Some("\n\nThe answer is 4. <think> stays text"));
    assert_eq!(r.choices[0].finish_reason.as_deref(), Some("stop"));
    assert!(r.usage.is_none(), "usage is only streamed with include_usage");
}

#[test]
fn embedding_options_and_top_level_fields() {
    let req: EmbeddingRequest = serde_json::from_value(json!({
        "model": "nomic-embed-text", "input": "hello", "dimensions": 256,
        "truncate": false, "keep_alive": "1m", "num_ctx": 2048, "options": {"num_thread": 4},
    }))
    .unwrap();
    let http = CHAT.build_embedding(&req, &target(None)).unwrap();
    assert_eq!(http.url, "http://localhost:11434/api/embed");
    let body: Value = serde_json::from_slice(&http.body).unwrap();
    assert_eq!(
        body,
        json!({"model": "nomic-embed-text", "input": ["hello"], "dimensions": 256, "truncate": false,
               "keep_alive": "1m", "options": {"num_ctx": 2048, "num_thread": 4}})
    );
}
