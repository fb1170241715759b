//! The OpenAI-compatible family on recorded payloads: request building for every table row,
//! response parsing and stream decoding, without the network.

use litellm_rs::ErrorKind;
use litellm_rs::engine::aggregate_chunks;
use litellm_rs::providers::openai_compat::{Auth, OpenAiCompat, ROWS, quirk};
use litellm_rs::providers::{CallTarget, Provider, StreamState};
use litellm_rs::transport::sse::SseDecoder;
use litellm_rs::types::{ChatChunk, ChatRequest};
use serde_json::{Value, json};

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/openai_compat/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn request(v: Value) -> ChatRequest {
    serde_json::from_value(v).expect("valid request")
}

fn target(key: Option<&str>) -> CallTarget {
    CallTarget { api_base: "http://127.0.0.1:9/v1".into(), api_key: key.map(str::to_owned), ..CallTarget::default() }
}

fn body_of(p: &OpenAiCompat, req: &ChatRequest, t: &CallTarget) -> Value {
    let http = p.build_chat(req, t).unwrap_or_else(|e| panic!("{}: {e}", p.row.id));
    serde_json::from_slice(&http.body).unwrap()
}

#[test]
fn every_row_builds_a_chat_request() {
    let req = request(json!({
        "model": "some-model",
        "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}],
        "temperature": 0.2,
        "max_completion_tokens": 50,
    }));
    for row in ROWS {
        let p = OpenAiCompat { row };
        let http = p.build_chat(&req, &target(Some("sk-row-key"))).unwrap_or_else(|e| panic!("{}: {e}", row.id));
        assert_eq!(http.url, "http://127.0.0.1:9/v1/chat/completions", "{}", row.id);
        let auth: Vec<_> = http.headers.iter().filter(|(_, v)| v.contains("sk-row-key")).collect();
        assert_eq!(auth.len(), 1, "{}: key sent exactly once: {:?}", row.id, http.headers);
        match row.auth {
            Auth::Bearer => {
                assert_eq!(auth[0], &("authorization".to_owned(), "Bearer sk-row-key".to_owned()), "{}", row.id)
            }
            Auth::Header(h) => assert_eq!(auth[0].0, h, "{}", row.id),
        }
        let body: Value = serde_json::from_slice(&http.body).unwrap();
        assert_eq!(body["model"], "some-model", "{}", row.id);
        assert_eq!(body["messages"][1]["content"], "hi", "{}", row.id);
        assert_eq!(body["temperature"], 0.2, "{}", row.id);
        // The max-tokens parameter arrives under the row's wire name, exactly once.
        let renamed = row.renames.iter().find(|(from, _)| *from == "max_completion_tokens").map(|(_, to)| *to);
        let wire = renamed.unwrap_or("max_completion_tokens");
        assert_eq!(body[wire], 50, "{}", row.id);
        if renamed.is_some() {
            assert!(body.get("max_completion_tokens").is_none(), "{}", row.id);
        }
        for (k, v) in row.headers {
            assert!(http.headers.iter().any(|(hk, hv)| hk == k && hv == v), "{}: header {k}", row.id);
        }
        // Unset parameters stay absent.
        for absent in ["stream", "tools", "n", "stop", "top_p"] {
            assert!(body.get(absent).is_none(), "{}: {absent} must be absent", row.id);
        }
    }
}

#[test]
fn rows_without_key_send_no_auth_header() {
    let req = request(json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]}));
    for row in ROWS.iter().filter(|r| r.has(quirk::KEY_OPTIONAL)) {
        let http = OpenAiCompat { row }.build_chat(&req, &target(None)).unwrap();
        assert!(!http.headers.iter().any(|(k, _)| k == "authorization"), "{}", row.id);
    }
}

#[test]
fn unsupported_params_raise_or_drop() {
    let Some(row) = ROWS.iter().find(|r| !r.unsupported.is_empty()) else {
        return;
    };
    let param = row.unsupported[0];
    let mut v = json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]});
    v[param] = json!(1);
    let req = request(v);
    let p = OpenAiCompat { row };
    let err = p.build_chat(&req, &target(Some("k"))).unwrap_err();
    assert_eq!(err.kind, ErrorKind::UnsupportedParams);
    assert!(err.message.contains(param) && err.message.contains(row.id), "{}", err.message);
    let mut t = target(Some("k"));
    t.drop_params = true;
    assert!(body_of(&p, &req, &t).get(param).is_none());
    let mut t = target(Some("k"));
    t.additional_drop_params = vec![param.to_owned()];
    assert!(body_of(&p, &req, &t).get(param).is_none());
}

#[test]
fn passthrough_extra_body_headers_and_content_parts() {
    let row = ROWS.iter().find(|r| r.id == "openai").unwrap();
    let p = OpenAiCompat { row };
    let req = request(json!({
        "model": "gpt-4o",
        "messages": [
            {"role": "user", "content": [
                {"type": "text", "text": "what is this?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo=", "detail": "low"}},
                {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
                {"type": "file", "file": {"file_id": "file-abc"}},
                {"type": "future_part", "payload": 1}
            ]},
            {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": "42"}
        ],
        "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {}}}}],
        "tool_choice": {"type": "function", "function": {"name": "f"}},
        "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}, "strict": true}},
        "stream_options": {"include_usage": true},
        "top_k": 5,
        "seed": 7
    }));
    let mut t = target(Some("sk-x"));
    t.extra_body = Some(serde_json::from_value(json!({"guided_json": {"type": "object"}, "seed": 8})).unwrap());
    t.extra_headers = vec![("X-Trace".into(), "abc".into()), ("Authorization".into(), "Bearer override".into())];
    let http = p.build_chat(&req, &t).unwrap();
    let body: Value = serde_json::from_slice(&http.body).unwrap();
    let parts = &body["messages"][0]["content"];
    assert_eq!(parts[1]["image_url"]["detail"], "low");
    assert_eq!(parts[2]["input_audio"]["format"], "wav");
    assert_eq!(parts[3]["file"]["file_id"], "file-abc");
    assert_eq!(parts[4], json!({"type": "future_part", "payload": 1}));
    assert!(body["messages"][1].get("content").is_none());
    assert_eq!(body["messages"][2]["tool_call_id"], "call_1");
    assert_eq!(body["tool_choice"]["function"]["name"], "f");
    assert_eq!(body["response_format"]["json_schema"]["strict"], true);
    assert_eq!(body["stream_options"]["include_usage"], true);
    assert_eq!(body["top_k"], 5);
    assert_eq!(body["seed"], 8, "extra_body wins over the same key");
    assert_eq!(body["guided_json"]["type"], "object");
    let auth: Vec<_> = http.headers.iter().filter(|(k, _)| k.eq_ignore_ascii_case("authorization")).collect();
    assert_eq!(auth, vec![&("authorization".to_owned(), "Bearer override".to_owned())]);
    assert!(http.headers.iter().any(|(k, v)| k == "x-trace" && v == "abc"));
}

#[test]
fn content_list_quirk_and_tool_choice_quirk() {
    let req = request(json!({
        "model": "m",
        "messages": [{"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}],
        "tool_choice": "required"
    }));
    if let Some(row) = ROWS.iter().find(|r| r.has(quirk::CONTENT_LIST_TO_STRING)) {
        let body = body_of(&OpenAiCompat { row }, &req, &target(Some("k")));
        assert_eq!(body["messages"][0]["content"], "ab", "{}", row.id);
    }
    let mistral = ROWS.iter().find(|r| r.id == "mistral").unwrap();
    assert_eq!(body_of(&OpenAiCompat { row: mistral }, &req, &target(Some("k")))["tool_choice"], "any");
    let openai = ROWS.iter().find(|r| r.id == "openai").unwrap();
    let body = body_of(&OpenAiCompat { row: openai }, &req, &target(Some("k")));
    assert_eq!(body["tool_choice"], "required");
    assert!(body["messages"][0]["content"].is_array());
}

#[test]
fn parses_recorded_responses() {
    let openai = OpenAiCompat { row: ROWS.iter().find(|r| r.id == "openai").unwrap() };
    let req = request(json!({"model": "gpt-4o", "messages": []}));

    let r = openai.parse_chat(fixture("chat_simple.response.json").as_bytes(), &req).unwrap();
    assert_eq!(r.choices[0].message.content.as_deref(), Some("Hello! How can I assist you today?"));
    let u = r.usage.as_ref().unwrap();
    assert_eq!((u.prompt_tokens, u.completion_tokens, u.total_tokens), (19, 10, 29));
    assert_eq!(u.prompt_tokens_details.as_ref().unwrap().cached_tokens, Some(0));
    assert_eq!(r.extra["service_tier"], "default", "unknown fields pass through");
    let out = serde_json::to_value(&r).unwrap();
    assert_eq!(out["choices"][0]["message"]["annotations"], json!([]));

    let r = openai.parse_chat(fixture("chat_tools.response.json").as_bytes(), &req).unwrap();
    let tc = r.choices[0].message.tool_calls.as_ref().unwrap();
    assert_eq!(tc.len(), 2);
    assert_eq!(tc[1].function.name, "get_current_time");
    assert_eq!(r.choices[0].finish_reason.as_deref(), Some("tool_calls"));
    assert_eq!(r.usage.as_ref().unwrap().completion_tokens_details.as_ref().unwrap().reasoning_tokens, Some(0));

    let groq = OpenAiCompat { row: ROWS.iter().find(|r| r.id == "groq").unwrap() };
    let r = groq.parse_chat(fixture("groq_chat.response.json").as_bytes(), &req).unwrap();
    assert_eq!(r.usage.as_ref().unwrap().total_tokens, 574);
    assert_eq!(r.usage.as_ref().unwrap().extra["queue_time"], 0.037493756);
    assert_eq!(r.extra["x_groq"]["id"], "req_01jbd6g2qdfw2adyrt2az8hz4w");

    let or = OpenAiCompat { row: ROWS.iter().find(|r| r.id == "openrouter").unwrap() };
    let r = or.parse_chat(fixture("openrouter_reasoning.response.json").as_bytes(), &req).unwrap();
    assert_eq!(r.choices[0].message.reasoning_content.as_deref(), Some("2 plus 2 is 4."));
    let e = or.parse_chat(fixture("error_in_200.response.json").as_bytes(), &req).unwrap_err();
    assert_eq!(e.kind, ErrorKind::RateLimit);
    assert!(e.message.contains("free-models-per-day"));

    let e = openai.parse_chat(b"<html>502 Bad Gateway</html>", &req).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Api);
    assert!(e.message.contains("Invalid chat completion"), "{}", e.message);
}

fn decode(p: &OpenAiCompat, sse: &str, split: usize) -> (Vec<ChatChunk>, StreamState) {
    let mut dec = SseDecoder::new();
    let mut events = Vec::new();
    for piece in sse.as_bytes().chunks(split) {
        dec.feed(piece, &mut events);
    }
    dec.finish(&mut events);
    let mut state = StreamState::default();
    let mut chunks = Vec::new();
    for ev in events {
        chunks.extend(p.parse_chat_event(&mut state, ev.event.as_deref(), &ev.data).unwrap());
    }
    (chunks, state)
}

#[test]
fn decodes_recorded_streams_whatever_the_network_split() {
    let openai = OpenAiCompat { row: ROWS.iter().find(|r| r.id == "openai").unwrap() };
    for split in [1, 7, 64, 100_000] {
        let (chunks, state) = decode(&openai, &fixture("stream_tools_usage.sse"), split);
        assert!(state.done && state.finished);
        assert_eq!(chunks.len(), 7);
        assert_eq!(chunks[0].choices[0].delta.role.as_deref(), Some("assistant"));
        assert_eq!(chunks[4].choices[0].delta.tool_calls.as_ref().unwrap()[0].index, 1);
        let full = aggregate_chunks(&chunks).unwrap();
        let tc = full.choices[0].message.tool_calls.as_ref().unwrap();
        assert_eq!(tc[0].function.arguments, r#"{"location":"Paris"}"#);
        assert_eq!(tc[1].function.arguments, r#"{"tz":"CET"}"#);
        let u = full.usage.unwrap();
        assert_eq!((u.total_tokens, u.prompt_tokens_details.unwrap().cached_tokens), (111, Some(64)));
    }
    let groq = OpenAiCompat { row: ROWS.iter().find(|r| r.id == "groq").unwrap() };
    let (chunks, _) = decode(&groq, &fixture("stream_groq_text.sse"), 13);
    let full = aggregate_chunks(&chunks).unwrap();
    assert_eq!(full.choices[0].message.content.as_deref(), Some("Hello there!"));
    assert_eq!(full.choices[0].finish_reason.as_deref(), Some("stop"));
}

/// A JSON value without its null members (the full path leaves out some that upstreams send).
fn without_nulls(v: Value) -> Value {
    match v {
        Value::Object(m) => {
            Value::Object(m.into_iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k, without_nulls(v))).collect())
        }
        Value::Array(a) => Value::Array(a.into_iter().map(without_nulls).collect()),
        other => other,
    }
}

/// Every event through both paths: where `chat_event_as_is` hands the bytes on, they read back as
/// the chunk `parse_chat_event` makes, and the stream's state ends the same. Returns how many
/// events went on as they came.
fn as_is_agrees_with_the_full_path(p: &OpenAiCompat, events: &[&str]) -> usize {
    let (mut full, mut quick) = (StreamState::default(), StreamState::default());
    let mut handed_on = 0;
    for data in events {
        let made = p.parse_chat_event(&mut full, None, data).unwrap();
        match p.chat_event_as_is(&mut quick, None, data) {
            Some(as_is) => {
                handed_on += 1;
                assert!(as_is.layout.is_some(), "{data}");
                let as_came = &data[as_is.range.clone()];
                let read: ChatChunk = serde_json::from_str(as_came).unwrap();
                let encoded: Vec<ChatChunk> =
                    made.iter().map(|c| serde_json::from_slice(&serde_json::to_vec(c).unwrap()).unwrap()).collect();
                assert_eq!(encoded, vec![read], "{data}");
                // and as JSON: the same members, but for the nulls the full path leaves out
                let written: Value = serde_json::from_slice(&serde_json::to_vec(&made[0]).unwrap()).unwrap();
                let came: Value = serde_json::from_str(as_came).unwrap();
                assert_eq!(without_nulls(came), without_nulls(written), "{data}");
                assert!(!as_came.contains('\n'));
            }
            None => {
                assert_eq!(p.parse_chat_event(&mut quick, None, data).unwrap(), made, "{data}");
            }
        }
        let fields = |s: &StreamState| (s.id.clone(), s.model.clone(), s.created, s.role_sent, s.finished, s.done);
        assert_eq!(fields(&quick), fields(&full), "{data}");
    }
    handed_on
}

#[test]
fn canonical_chunks_go_on_as_they_came_and_read_back_the_same() {
    let openai = OpenAiCompat { row: ROWS.iter().find(|r| r.id == "openai").unwrap() };
    let events = |sse: &str| -> Vec<String> {
        let mut dec = SseDecoder::new();
        let mut out = Vec::new();
        dec.feed(sse.as_bytes(), &mut out);
        dec.finish(&mut out);
        out.into_iter().map(|e| e.data.to_string()).collect()
    };
    // text: every event but [DONE] goes on as it came (the extras, x_groq, come along)
    let groq = events(&fixture("stream_groq_text.sse"));
    let refs: Vec<&str> = groq.iter().map(String::as_str).collect();
    assert_eq!(as_is_agrees_with_the_full_path(&openai, &refs), groq.len() - 1);
    // tool calls and `usage` take the full path
    let tools = events(&fixture("stream_tools_usage.sse"));
    let refs: Vec<&str> = tools.iter().map(String::as_str).collect();
    assert_eq!(as_is_agrees_with_the_full_path(&openai, &refs), 0);
    // a stream whose first chunk has no role (it gets one), no id and no created; later chunks
    // with a provider's finish reason, a float index, padding around the JSON
    let head = r#""object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":"#;
    let odd = [
        format!(r#"{{"id":"c1","created":5,{head}{{"content":"a"}},"finish_reason":null}}]}}"#),
        format!(r#"{{"id":"c1","created":5,{head}{{"content":"b"}},"finish_reason":null}}]}}"#),
        format!(r#"  {{"id":"c1","created":5,{head}{{"content":"c"}},"finish_reason":null}}]}}  "#),
        format!(r#"{{"created":5,{head}{{"content":"d"}},"finish_reason":null}}]}}"#),
        r#"{"id":"c1","created":5,"object":"chat.completion.chunk","model":"m","choices":[{"index":1.0,"delta":{"content":"e"}}]}"#.to_owned(),
        format!(r#"{{"id":"c1","created":5,{head}{{}},"finish_reason":"end_turn"}}]}}"#),
        // a chunk written over two `data:` lines (the decoder joins them with a newline)
        format!("{{\"id\":\"c1\",\"created\":5,\n{head}{{\"content\":\"f\"}},\"finish_reason\":null}}]}}"),
        "[DONE]".to_owned(),
    ];
    let refs: Vec<&str> = odd.iter().map(String::as_str).collect();
    assert_eq!(as_is_agrees_with_the_full_path(&openai, &refs), 2);
}

#[test]
fn stream_without_role_gets_one_and_errors_mid_stream_surface() {
    let openai = OpenAiCompat { row: ROWS.iter().find(|r| r.id == "openai").unwrap() };
    let mut state = StreamState::default();
    let c = openai
        .parse_chat_event(&mut state, None, r#"{"choices":[{"index":0,"delta":{"content":"x"},"finish_reason":null}]}"#)
        .unwrap();
    assert_eq!(c[0].choices[0].delta.role.as_deref(), Some("assistant"));
    assert!(c[0].id.starts_with("chatcmpl-"));
    let e = openai
        .parse_chat_event(&mut state, None, r#"{"error":{"message":"Internal error while streaming","code":500}}"#)
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::InternalServer);
    assert!(openai.parse_chat_event(&mut state, None, "{not json").is_err());
}

#[test]
fn text_completion_paths() {
    use litellm_rs::types::TextCompletionRequest;
    let req: TextCompletionRequest = serde_json::from_value(
        json!({"model": "codestral-latest", "prompt": "def f(", "suffix": "return 1", "max_tokens": 20}),
    )
    .unwrap();
    let fim = OpenAiCompat { row: ROWS.iter().find(|r| r.id == "text-completion-codestral").unwrap() };
    let http = fim.build_text_completion(&req, &target(Some("k"))).unwrap();
    assert_eq!(http.url, "http://127.0.0.1:9/v1/fim/completions");
    let body: Value = serde_json::from_slice(&http.body).unwrap();
    assert_eq!(body["suffix"], "return 1");
    let openai = OpenAiCompat { row: ROWS.iter().find(|r| r.id == "text-completion-openai").unwrap() };
    assert!(openai.supports_text_completion());
    let http = openai.build_text_completion(&req, &target(Some("k"))).unwrap();
    assert_eq!(http.url, "http://127.0.0.1:9/v1/completions");
}

#[test]
fn readme_lists_every_provider() {
    let readme = std::fs::read_to_string(format!("{}/README.md", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let start = readme.find("<!-- providers:start -->").expect("marker");
    let end = readme.find("<!-- providers:end -->").expect("marker");
    let listed: Vec<&str> = readme[start + 24..end].split([',', '\n', ' ']).filter(|s| !s.is_empty()).collect();
    for row in ROWS {
        assert!(listed.contains(&row.id), "README does not list provider {}", row.id);
    }
    assert_eq!(listed.len(), ROWS.len(), "README lists providers that are not in the table");
}

#[test]
fn debug_output_never_shows_credentials() {
    let req = request(json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]}));
    let mut t = target(Some("sk-very-secret-key"));
    t.bearer = Some("eyJ.secret-token".into());
    t.extra_headers = vec![("x-api-key".into(), "another-secret".into())];
    let openai = OpenAiCompat { row: ROWS.iter().find(|r| r.id == "openai").unwrap() };
    let http = openai.build_chat(&req, &t).unwrap();
    let printed = format!("{http:?} {t:?}");
    for secret in ["sk-very-secret-key", "eyJ.secret-token", "another-secret"] {
        assert!(!printed.contains(secret), "{secret} printed in {printed}");
    }
    assert!(printed.contains("http://127.0.0.1:9/v1/chat/completions"));
}

#[test]
fn text_completion_stream_events() {
    let p = OpenAiCompat { row: ROWS.iter().find(|r| r.id == "text-completion-openai").unwrap() };
    let mut state = StreamState::default();
    let out = p
        .parse_text_event(
            &mut state,
            None,
            r#"{"id":"cmpl-1","object":"text_completion","created":1,"model":"gpt-3.5-turbo-instruct","choices":[{"text":"Hi","index":0,"logprobs":null,"finish_reason":"eos"}]}"#,
        )
        .unwrap();
    assert_eq!(out[0].choices[0].text, "Hi");
    assert_eq!(out[0].choices[0].finish_reason.as_deref(), Some("stop"));
    assert!(state.finished);
    let e =
        p.parse_text_event(&mut state, None, r#"{"error":{"message":"Rate limit reached","code":429}}"#).unwrap_err();
    assert_eq!(e.kind, ErrorKind::RateLimit, "an error event keeps its status");
    assert!(p.parse_text_event(&mut state, None, "[DONE]").unwrap().is_empty() && state.done);
}
