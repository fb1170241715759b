//! Gemini (Google AI Studio) on recorded payloads, without the network: the issue-3 scenario
//! matrix. Each folder of `tests/fixtures/gemini/` holds the caller's request, the body Gemini
//! must receive, Gemini's answer as Google documents it (raw SSE for streams) and the
//! OpenAI-shaped result.

use std::path::PathBuf;

use litellm_rs::ErrorKind;
use litellm_rs::engine::aggregate_chunks;
use litellm_rs::providers::gemini::{DUMMY_THOUGHT_SIGNATURE, Gemini, ROW};
use litellm_rs::providers::{CallTarget, HttpRequest, Provider, StreamState};
use litellm_rs::transport::sse::SseDecoder;
use litellm_rs::types::{ChatChunk, ChatRequest, ChatResponse, Message};
use serde_json::{Value, json};

const KEY: &str = "gm-test";
const BASE: &str = "http://127.0.0.1:9";

fn path(scenario: &str, file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gemini").join(scenario).join(file)
}

fn text(scenario: &str, file: &str) -> Option<String> {
    std::fs::read_to_string(path(scenario, file)).ok()
}

fn json_file(scenario: &str, file: &str) -> Option<Value> {
    text(scenario, file).map(|t| serde_json::from_str(&t).unwrap_or_else(|e| panic!("{scenario}/{file}: {e}")))
}

fn target() -> CallTarget {
    CallTarget { api_base: BASE.into(), api_key: Some(KEY.into()), ..CallTarget::default() }
}

fn request(v: Value) -> ChatRequest {
    serde_json::from_value(v).expect("valid request")
}

fn scenario_request(scenario: &str) -> ChatRequest {
    request(json_file(scenario, "request.json").unwrap_or_else(|| panic!("{scenario}/request.json")))
}

fn build(req: &ChatRequest) -> HttpRequest {
    Gemini.build_chat(req, &target()).unwrap_or_else(|e| panic!("build: {e}"))
}

fn body(req: &ChatRequest) -> Value {
    serde_json::from_slice(&build(req).body).unwrap()
}

fn build_err(req: &ChatRequest, t: &CallTarget) -> litellm_rs::LlmError {
    match Gemini.build_chat(req, t) {
        Ok(h) => panic!("expected an error, got {}", String::from_utf8_lossy(&h.body)),
        Err(e) => e,
    }
}

/// Fields that differ on every run: `created` becomes 0, generated tool call ids `call_ID`
/// (after checking their shape; a signature suffix is kept), generated response ids
/// `RESPONSE_ID`.
fn normalise(mut v: Value) -> Value {
    fn walk(v: &mut Value, in_tool_calls: bool) {
        match v {
            Value::Object(m) => {
                if m.get("created").is_some_and(Value::is_i64) {
                    m.insert("created".into(), json!(0));
                }
                if let Some(Value::String(id)) = m.get_mut("id") {
                    if in_tool_calls {
                        let (head, tail) =
                            id.split_once("__thought__").map_or((id.as_str(), None), |(h, t)| (h, Some(t)));
                        let hex = head.strip_prefix("call_").unwrap_or_else(|| panic!("tool call id {head}"));
                        assert_eq!(hex.len(), 28, "tool call id {head}");
                        assert!(hex.chars().all(|c| c.is_ascii_hexdigit()), "tool call id {head}");
                        *id = match tail {
                            Some(t) => format!("call_ID__thought__{t}"),
                            None => "call_ID".into(),
                        };
                    } else if id.starts_with("chatcmpl-") {
                        *id = "RESPONSE_ID".into();
                    }
                }
                for (k, child) in m.iter_mut() {
                    walk(child, k == "tool_calls");
                }
            }
            Value::Array(a) => a.iter_mut().for_each(|c| {
                if in_tool_calls {
                    walk_tool_call(c);
                } else {
                    walk(c, false);
                }
            }),
            _ => {}
        }
    }
    fn walk_tool_call(v: &mut Value) {
        if let Value::Object(m) = v {
            let mut id = m.remove("id");
            if let Some(i) = id.as_mut() {
                let mut wrap = json!({ "id": i.clone() });
                walk(&mut wrap, true);
                *i = wrap["id"].take();
            }
            for child in m.values_mut() {
                walk(child, false);
            }
            if let Some(i) = id {
                m.insert("id".into(), i);
            }
        }
    }
    walk(&mut v, false);
    v
}

/// Checks the request of a scenario against its `upstream.json`, and the URL and headers.
fn check_upstream(scenario: &str) -> HttpRequest {
    let req = scenario_request(scenario);
    let http = build(&req);
    let action = if req.is_stream() { "streamGenerateContent?alt=sse" } else { "generateContent" };
    // litellm appends `/models/...` to a custom api_base (the default base carries `/v1beta`).
    assert_eq!(http.url, format!("{BASE}/models/{}:{action}", req.model), "{scenario}");
    assert!(http.headers.contains(&("x-goog-api-key".into(), KEY.into())), "{scenario}: {:?}", http.headers);
    assert!(http.headers.contains(&("content-type".into(), "application/json".into())));
    assert!(!http.url.contains(KEY), "the key never goes in the URL");
    if let Some(expected) = json_file(scenario, "upstream.json") {
        let got: Value = serde_json::from_slice(&http.body).unwrap();
        assert_eq!(got, expected, "{scenario}: upstream body\n{}", serde_json::to_string_pretty(&got).unwrap());
    }
    http
}

fn parse(scenario: &str) -> ChatResponse {
    let req = scenario_request(scenario);
    let raw = text(scenario, "response.json").unwrap_or_else(|| panic!("{scenario}/response.json"));
    Gemini.parse_chat(raw.as_bytes(), &req).unwrap_or_else(|e| panic!("{scenario}: {e}"))
}

fn check_response(scenario: &str) -> ChatResponse {
    let resp = parse(scenario);
    let got = normalise(serde_json::to_value(&resp).unwrap());
    let expected = json_file(scenario, "expected.json").unwrap();
    assert_eq!(got, expected, "{scenario}: response\n{}", serde_json::to_string_pretty(&got).unwrap());
    resp
}

/// Feeds a raw SSE body through the decoder and the per-event function, as the engine does.
fn run_stream(raw: &str, include_usage: bool) -> (Result<Vec<ChatChunk>, litellm_rs::LlmError>, StreamState) {
    let mut dec = SseDecoder::new();
    let mut events = Vec::new();
    // Split the body at odd places, as the network does.
    for piece in raw.as_bytes().chunks(37) {
        dec.feed(piece, &mut events);
    }
    dec.finish(&mut events);
    let mut state = StreamState { include_usage, ..StreamState::default() };
    let mut out = Vec::new();
    for ev in events {
        match Gemini.parse_chat_event(&mut state, ev.event.as_deref(), &ev.data) {
            Ok(chunks) => out.extend(chunks),
            Err(e) => return (Err(e), state),
        }
    }
    (Ok(out), state)
}

fn check_stream(scenario: &str) -> Vec<ChatChunk> {
    let req = scenario_request(scenario);
    let raw = text(scenario, "response.sse").unwrap();
    let (chunks, state) = run_stream(&raw, req.include_usage());
    let chunks = chunks.unwrap_or_else(|e| panic!("{scenario}: {e}"));
    assert!(state.finished, "{scenario}: a finish reason ends the stream cleanly");
    let got = normalise(serde_json::to_value(&chunks).unwrap());
    let expected = json_file(scenario, "expected.json").unwrap();
    assert_eq!(got, expected, "{scenario}: chunks\n{}", serde_json::to_string_pretty(&got).unwrap());
    chunks
}

macro_rules! scenario {
    ($name:ident) => {
        #[test]
        fn $name() {
            let s = stringify!($name);
            check_upstream(s);
            if path(s, "response.json").exists() {
                check_response(s);
            }
            if path(s, "response.sse").exists() {
                check_stream(s);
            }
        }
    };
}

scenario!(simple);
scenario!(system);
scenario!(multi_turn);
scenario!(tools_parallel);
scenario!(tool_results);
scenario!(tool_choice_function);
scenario!(vision_url);
scenario!(vision_base64);
scenario!(pdf);
scenario!(json_object);
scenario!(json_schema);
scenario!(json_schema_openapi);
scenario!(reasoning);
scenario!(reasoning_round_trip);
scenario!(gemini3_tool_signature);
scenario!(gemini3_round_trip);
scenario!(stop_length);
scenario!(cached_tokens);
scenario!(blocked_prompt);
scenario!(safety_finish);
scenario!(grounding);
scenario!(stream_text);
scenario!(stream_tools);
scenario!(stream_thinking);
scenario!(stream_unknown);
scenario!(stream_blocked);

// ---------------------------------------------------------------------------------------------
// tool_choice, parameters

fn with(extra: Value) -> ChatRequest {
    let mut v = json!({
        "model": "gemini-2.5-flash",
        "messages": [{"role": "user", "content": "hi"}],
        "tools": [{"type": "function", "function": {"name": "a", "parameters": {"type": "object", "properties": {"x": {"type": "string"}}}}},
                  {"type": "function", "function": {"name": "b"}}],
    });
    if let (Value::Object(m), Value::Object(e)) = (&mut v, extra) {
        m.extend(e);
    }
    request(v)
}

#[test]
fn every_tool_choice_form() {
    let cases = [
        (json!("auto"), json!({"functionCallingConfig": {"mode": "AUTO"}})),
        (json!("none"), json!({"functionCallingConfig": {"mode": "NONE"}})),
        (json!("required"), json!({"functionCallingConfig": {"mode": "ANY"}})),
        (
            json!({"type": "function", "function": {"name": "b"}}),
            json!({"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["b"]}}),
        ),
    ];
    for (choice, config) in cases {
        let b = body(&with(json!({ "tool_choice": choice })));
        assert_eq!(b["toolConfig"], config, "{choice}");
        // A function without parameters is declared without them (Gemini rejects an empty object).
        assert_eq!(b["tools"][0]["functionDeclarations"][1], json!({"name": "b"}));
    }
    let e = build_err(&with(json!({"tool_choice": "sometimes"})), &target());
    assert_eq!(e.kind, ErrorKind::UnsupportedParams);
    assert!(e.message.contains("sometimes"), "{}", e.message);
}

#[test]
fn unsupported_openai_params_raise_or_drop() {
    // The unsupported list is litellm 1.110.2's, checked against it.
    let req = with(json!({"store": true, "logit_bias": {"50256": -100}, "top_logprobs": 2}));
    let e = build_err(&req, &target());
    assert_eq!(e.kind, ErrorKind::UnsupportedParams);
    assert!(
        e.message.contains("gemini") && e.message.contains("'store'") && e.message.contains("'logit_bias'"),
        "{}",
        e.message
    );
    let t = CallTarget { drop_params: true, ..target() };
    let b: Value = serde_json::from_slice(&Gemini.build_chat(&req, &t).unwrap().body).unwrap();
    assert!(b.get("store").is_none() && b.get("generationConfig").is_none(), "{b}");
    // `user` and `metadata` are accepted and not sent (as litellm); `service_tier` is mapped.
    let b = body(&with(json!({"user": "u-1", "metadata": {"a": "b"}, "service_tier": "auto"})));
    assert!(b.get("user").is_none() && b.get("metadata").is_none(), "{b}");
    assert_eq!(b["serviceTier"], "priority");
    // additional_drop_params drops any parameter, provider-specific ones too.
    let t = CallTarget { additional_drop_params: vec!["top_k".into(), "temperature".into()], ..target() };
    let req = with(json!({"top_k": 3, "temperature": 0.5, "top_p": 0.5}));
    let b: Value = serde_json::from_slice(&Gemini.build_chat(&req, &t).unwrap().body).unwrap();
    assert_eq!(b["generationConfig"], json!({"topP": 0.5}));
    // reasoning_effort needs a thinking model (litellm: supports_reasoning).
    let req = request(
        json!({"model": "gemini-2.0-flash", "messages": [{"role": "user", "content": "hi"}], "reasoning_effort": "low"}),
    );
    assert_eq!(build_err(&req, &target()).kind, ErrorKind::UnsupportedParams);
    assert!(ROW.unsupported.contains(&"top_logprobs") && !ROW.unsupported.contains(&"user"));
}

#[test]
fn parallel_tool_calls_false_with_several_tools() {
    let req = with(json!({"parallel_tool_calls": false}));
    assert_eq!(build_err(&req, &target()).kind, ErrorKind::UnsupportedParams);
    let t = CallTarget { drop_params: true, ..target() };
    assert!(Gemini.build_chat(&req, &t).is_ok());
    assert!(Gemini.build_chat(&with(json!({"parallel_tool_calls": true})), &target()).is_ok());
}

#[test]
fn reasoning_effort_and_thinking_mappings() {
    let cfg = |model: &str, extra: Value| {
        let mut v = json!({"model": model, "messages": [{"role": "user", "content": "hi"}]});
        if let (Value::Object(m), Value::Object(e)) = (&mut v, extra) {
            m.extend(e);
        }
        body(&request(v))["generationConfig"].clone()
    };
    let budget = |b: i64, inc: bool| json!({"thinkingConfig": {"thinkingBudget": b, "includeThoughts": inc}});
    assert_eq!(cfg("gemini-2.5-flash", json!({"reasoning_effort": "minimal"})), budget(1, true));
    assert_eq!(cfg("gemini-2.5-pro", json!({"reasoning_effort": "minimal"})), budget(128, true));
    assert_eq!(cfg("gemini-2.5-flash-lite", json!({"reasoning_effort": "minimal"})), budget(512, true));
    assert_eq!(cfg("gemini-2.5-flash", json!({"reasoning_effort": "high"})), budget(4096, true));
    assert_eq!(cfg("gemini-2.5-flash", json!({"reasoning_effort": "none"})), budget(0, false));
    assert_eq!(
        cfg("gemini-2.5-flash", json!({"reasoning_effort": {"effort": "medium", "summary": "auto"}})),
        budget(2048, true)
    );
    assert_eq!(
        cfg("gemini-3-flash-preview", json!({"reasoning_effort": "minimal", "temperature": 0.2})),
        json!({"temperature": 0.2, "thinkingConfig": {"thinkingLevel": "minimal", "includeThoughts": true}})
    );
    assert_eq!(
        cfg("gemini-3-pro-preview", json!({"reasoning_effort": "medium"}))["thinkingConfig"],
        json!({"thinkingLevel": "medium", "includeThoughts": true})
    );
    assert_eq!(
        cfg("gemini-2.5-pro", json!({"thinking": {"type": "enabled", "budget_tokens": 0}})),
        json!({"thinkingConfig": {"thinkingBudget": 0}})
    );
    assert_eq!(cfg("gemini-2.5-pro", json!({"thinking": {"type": "disabled"}})), json!({"thinkingConfig": {}}));
    assert_eq!(
        cfg("gemini-3-pro-preview", json!({"thinking": {"type": "enabled", "budget_tokens": 1000}}))["thinkingConfig"],
        json!({"includeThoughts": true})
    );
    // Gemini 3 takes no penalties (litellm leaves them out silently). Unlike newer litellm,
    // 1.110.2 sends no default temperature (Google's default for Gemini 3 is already 1.0).
    assert_eq!(cfg("gemini-3-pro-preview", json!({"presence_penalty": 0.5})), Value::Null);
    let req = request(
        json!({"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "hi"}], "reasoning_effort": "extreme"}),
    );
    assert_eq!(build_err(&req, &target()).kind, ErrorKind::BadRequest);
}

#[test]
fn provider_specific_generation_fields_and_extra_body() {
    let req = request(json!({
        "model": "gemini-2.5-flash",
        "messages": [{"role": "user", "content": "hi"}],
        "max_tokens": 10,
        "response_modalities": ["TEXT"],
        "thinkingConfig": {"thinkingBudget": 99},
        "logprobs": true,
        "modalities": ["text", "image"],
        "something_litellm_owns": 1,
    }));
    let t = CallTarget {
        extra_body: Some(
            serde_json::from_value(json!({"generationConfig": {"maxOutputTokens": 50}, "labels": {"a": "b"}})).unwrap(),
        ),
        ..target()
    };
    let b: Value = serde_json::from_slice(&Gemini.build_chat(&req, &t).unwrap().body).unwrap();
    assert_eq!(
        b["generationConfig"],
        json!({
            "maxOutputTokens": 50,
            "responseLogprobs": true,
            "responseModalities": ["TEXT"],
            "thinkingConfig": {"thinkingBudget": 99},
        })
    );
    assert_eq!(b["labels"], json!({"a": "b"}), "extra_body is sent as given");
    assert!(b.get("something_litellm_owns").is_none(), "unknown parameters are not sent to Google");
}

#[test]
fn headers_and_urls() {
    let req = request(json!({"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "hi"}]}));
    let t = CallTarget {
        api_base: "https://gateway.example/google/v1beta/".into(),
        extra_headers: vec![("X-Goog-Api-Key".into(), "override".into()), ("x-trace".into(), "1".into())],
        ..target()
    };
    let http = Gemini.build_chat(&req, &t).unwrap();
    assert_eq!(http.url, "https://gateway.example/google/v1beta/models/gemini-2.5-flash:generateContent");
    let keys: Vec<_> = http.headers.iter().filter(|(k, _)| k == "x-goog-api-key").collect();
    assert_eq!(keys, vec![&("x-goog-api-key".to_owned(), "override".to_owned())]);
    assert!(http.headers.contains(&("x-trace".into(), "1".into())));
    let t = CallTarget { api_key: None, ..target() };
    assert!(!Gemini.build_chat(&req, &t).unwrap().headers.iter().any(|(k, _)| k == "x-goog-api-key"));
}

// ---------------------------------------------------------------------------------------------
// messages

#[test]
fn message_edge_cases() {
    // Only a system prompt: Gemini needs one content, litellm sends a blank user turn.
    let b =
        body(&request(json!({"model": "gemini-2.5-flash", "messages": [{"role": "system", "content": "be brief"}]})));
    assert_eq!(b["contents"], json!([{"role": "user", "parts": [{"text": " "}]}]));
    // A tool result without a matching call cannot be named.
    let req = request(json!({"model": "gemini-2.5-flash", "messages": [
        {"role": "user", "content": "hi"}, {"role": "tool", "tool_call_id": "call_x", "content": "1"}]}));
    let e = build_err(&req, &target());
    assert_eq!(e.kind, ErrorKind::BadRequest);
    assert!(e.message.contains("call_x"), "{}", e.message);
    // ...unless it names itself (legacy function messages do).
    let req = request(json!({"model": "gemini-2.5-flash", "messages": [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "function_call": {"name": "f", "arguments": "{\"a\":1}"}},
        {"role": "function", "name": "f", "content": "[1, 2]"}]}));
    assert_eq!(
        body(&req)["contents"],
        json!([
            {"role": "user", "parts": [{"text": "hi"}]},
            {"role": "model", "parts": [{"functionCall": {"name": "f", "args": {"a": 1}}}]},
            {"role": "user", "parts": [{"functionResponse": {"name": "f", "response": {"content": "[1, 2]"}}}]},
        ])
    );
    // Arguments that are not JSON are an error, not a silent `{}`.
    let req = request(json!({"model": "gemini-2.5-flash", "messages": [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "tool_calls": [{"id": "c", "type": "function", "function": {"name": "f", "arguments": "{oops"}}]}]}));
    assert_eq!(build_err(&req, &target()).kind, ErrorKind::BadRequest);
    // Media whose type cannot be told.
    let req = request(json!({"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "data:image/png,not-base64"}}]}]}));
    assert_eq!(build_err(&req, &target()).kind, ErrorKind::BadRequest);
    // Raw base64 is sniffed; a Gemini 3 model gets the detail as mediaResolution.
    let req = request(json!({"model": "gemini-3-pro-preview", "messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "/9j/4AAQSkZJRg==", "detail": "low"}}]}]}));
    assert_eq!(
        body(&req)["contents"][0]["parts"][0],
        json!({"inlineData": {"mimeType": "image/jpeg", "data": "/9j/4AAQSkZJRg=="}, "mediaResolution": {"level": "MEDIA_RESOLUTION_LOW"}})
    );
}

#[test]
fn legacy_functions_and_gemini_tools() {
    let req = request(json!({
        "model": "gemini-2.5-flash",
        "messages": [{"role": "user", "content": "hi"}],
        "functions": [{"name": "lookup", "description": "d", "parameters": {"type": "object", "properties": {"q": {"type": "string"}}}}],
        "tools": [{"googleSearch": {}}, {"type": "web_search_preview"}, {"codeExecution": {}}],
    }));
    assert_eq!(
        body(&req)["tools"],
        json!([
            {"functionDeclarations": [{"name": "lookup", "description": "d", "parameters": {"type": "object", "properties": {"q": {"type": "string"}}}}]},
            {"googleSearch": {}},
            {"googleSearch": {}},
            {"codeExecution": {}},
        ])
    );
}

// ---------------------------------------------------------------------------------------------
// thought signatures round-trip through the caller's next turn

#[test]
fn thought_signature_round_trip_from_a_parsed_response() {
    let sig = "EqQFCqEFAdHtim+lRfvvYr4B8ST1nk2Cp1KnoTq8L8Yy8aTZ4cKxWV0tsUfq5VXs9gYV6pcbBXk2T8uFmJ1h0JoCF9Xv+tZ0BpsA8jTmMqqSxw==";
    let resp = parse("gemini3_tool_signature");
    let assistant: Message = serde_json::from_value(serde_json::to_value(&resp.choices[0].message).unwrap()).unwrap();
    let call_id = resp.choices[0].message.tool_calls.as_ref().unwrap()[0].id.clone().unwrap();
    assert!(call_id.ends_with(&format!("__thought__{sig}")));
    let mut next = scenario_request("gemini3_tool_signature");
    next.messages.push(assistant.clone());
    next.messages
        .push(serde_json::from_value(json!({"role": "tool", "tool_call_id": call_id, "content": "sunny"})).unwrap());
    let b = body(&next);
    // Gemini 3 on AI Studio also gets the call id (without the signature) on both parts.
    let base = call_id.split("__thought__").next().unwrap();
    assert_eq!(
        b["contents"][1],
        json!({"role": "model", "parts": [
            {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}, "id": base}, "thoughtSignature": sig}]})
    );
    assert_eq!(
        b["contents"][2]["parts"][0]["functionResponse"],
        json!({"name": "get_weather", "response": {"content": "sunny"}, "id": base})
    );

    // An OpenAI client that keeps only the id still carries the signature back.
    let mut stripped = assistant;
    for tc in stripped.tool_calls.iter_mut().flatten() {
        tc.extra.clear();
    }
    stripped.extra.clear();
    next.messages[1] = stripped;
    assert_eq!(body(&next)["contents"][1]["parts"][0]["thoughtSignature"], sig);

    // Without any signature, Gemini 3 gets Google's documented placeholder.
    next.messages[1].tool_calls.as_mut().unwrap()[0].id = Some("call_plain".into());
    next.messages[2].tool_call_id = Some("call_plain".into());
    assert_eq!(body(&next)["contents"][1]["parts"][0]["thoughtSignature"], DUMMY_THOUGHT_SIGNATURE);
    next.model = "gemini-2.5-flash".into();
    assert!(body(&next)["contents"][1]["parts"][0].get("thoughtSignature").is_none());
}

#[test]
fn reasoning_response_feeds_the_next_turn() {
    let resp = parse("reasoning");
    let assistant: Message = serde_json::from_value(serde_json::to_value(&resp.choices[0].message).unwrap()).unwrap();
    let mut next = scenario_request("reasoning_round_trip");
    next.messages[1] = assistant;
    let expected = json_file("reasoning_round_trip", "upstream.json").unwrap();
    assert_eq!(body(&next), expected);
}

#[test]
fn streamed_tool_calls_keep_their_signature_in_the_id() {
    let sig = "CtMCAdHtim9a";
    let raw = format!(
        "data: {}\r\n\r\ndata: {}\r\n\r\n",
        json!({"candidates": [{"content": {"parts": [{"text": "Let me check."}, {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}, "thoughtSignature": sig}], "role": "model"}, "index": 0}], "modelVersion": "gemini-3-pro-preview", "responseId": "r1"}),
        json!({"candidates": [{"content": {"parts": [{"functionCall": {"name": "get_time", "args": {}}}], "role": "model"}, "finishReason": "STOP", "index": 0}], "usageMetadata": {"promptTokenCount": 5, "candidatesTokenCount": 9, "totalTokenCount": 14}, "modelVersion": "gemini-3-pro-preview", "responseId": "r1"}),
    );
    let (chunks, state) = run_stream(&raw, true);
    let chunks = chunks.unwrap();
    assert!(state.finished);
    let agg = aggregate_chunks(&chunks).unwrap();
    let msg = &agg.choices[0].message;
    assert_eq!(msg.content.as_deref(), Some("Let me check."));
    let calls = msg.tool_calls.as_ref().unwrap();
    assert_eq!(calls.len(), 2);
    assert!(calls[0].id.as_deref().unwrap().ends_with(&format!("__thought__{sig}")));
    assert_eq!(calls[1].function.arguments, "{}");
    assert_eq!(agg.choices[0].finish_reason.as_deref(), Some("tool_calls"));
    assert_eq!(agg.usage.as_ref().unwrap().total_tokens, 14);
    assert_eq!(chunks[0].choices[0].delta.tool_calls.as_ref().unwrap()[0].index, 0);
    assert_eq!(chunks[1].choices[0].delta.tool_calls.as_ref().unwrap()[0].index, 1);
}

// ---------------------------------------------------------------------------------------------
// responses

#[test]
fn stream_and_whole_response_agree() {
    let chunks = check_stream("stream_tools");
    let agg = aggregate_chunks(&chunks).unwrap();
    let whole = parse("tools_parallel");
    let names = |r: &ChatResponse| {
        r.choices[0]
            .message
            .tool_calls
            .as_ref()
            .unwrap()
            .iter()
            .map(|t| (t.function.name.clone(), t.function.arguments.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&agg), names(&whole));
    assert_eq!(agg.choices[0].finish_reason, whole.choices[0].finish_reason);

    let chunks = check_stream("stream_text");
    let agg = aggregate_chunks(&chunks).unwrap();
    assert_eq!(
        agg.choices[0].message.content.as_deref(),
        Some("The sky is blue because air scatters short blue wavelengths of sunlight more than red ones.")
    );
    assert_eq!(agg.usage.unwrap().completion_tokens, 18);
}

#[test]
fn candidates_without_content_several_candidates_and_logprobs() {
    let req = scenario_request("simple");
    let raw = json!({
        "candidates": [
            {"finishReason": "MAX_TOKENS", "index": 0},
            {"content": {"parts": [{"text": "B"}], "role": "model"}, "finishReason": "STOP", "index": 1,
             "logprobsResult": {"topCandidates": [{"candidates": [{"token": "B", "logProbability": -0.1}, {"token": "C", "logProbability": -2.5}]}],
                                "chosenCandidates": [{"token": "B", "logProbability": -0.1}]}},
        ],
        "usageMetadata": {"promptTokenCount": 4, "candidatesTokenCount": 1, "totalTokenCount": 1029, "thoughtsTokenCount": 1024},
    });
    let r = Gemini.parse_chat(raw.to_string().as_bytes(), &req).unwrap();
    assert_eq!(r.model, "gemini-2.5-flash", "the requested model when Google names none");
    assert!(r.id.starts_with("chatcmpl-"));
    assert_eq!(r.choices.len(), 2);
    assert_eq!(r.choices[0].message.content, None);
    assert_eq!(r.choices[0].finish_reason.as_deref(), Some("length"));
    assert_eq!(r.choices[1].index, 1);
    assert_eq!(
        r.choices[1].logprobs,
        Some(
            json!({"content": [{"token": "B", "logprob": -0.1, "top_logprobs": [{"token": "B", "logprob": -0.1}, {"token": "C", "logprob": -2.5}]}]})
        )
    );
    assert_eq!(r.usage.unwrap().completion_tokens, 1025);
}

#[test]
fn implicit_cache_hits_are_counted() {
    // litellm #16341: Gemini's implicit caching reports only cachedContentTokenCount.
    let u: litellm_rs::providers::gemini::UsageMetadata = serde_json::from_value(json!({
        "promptTokenCount": 12000, "candidatesTokenCount": 300, "totalTokenCount": 12300,
        "cachedContentTokenCount": 8192, "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 11000}, {"modality": "IMAGE", "tokenCount": 1000}],
    }))
    .unwrap();
    let usage = litellm_rs::providers::gemini::usage(&u);
    assert_eq!(usage.prompt_tokens, 12000);
    assert_eq!(usage.completion_tokens, 300);
    let d = usage.prompt_tokens_details.unwrap();
    assert_eq!(d.cached_tokens, Some(8192));
    assert_eq!(d.extra["text_tokens"], 11000 - 8192);
    assert_eq!(d.extra["image_tokens"], 1000);
}

#[test]
fn an_error_in_a_200_answer() {
    let req = scenario_request("simple");
    let body = br#"{"error": {"code": 429, "message": "Resource has been exhausted (e.g. check quota).", "status": "RESOURCE_EXHAUSTED"}}"#;
    let e = Gemini.parse_chat(body, &req).unwrap_err();
    assert_eq!(e.kind, ErrorKind::RateLimit);
    let e = Gemini.parse_chat(b"<html>oops</html>", &req).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Api);
}

// ---------------------------------------------------------------------------------------------
// streams: errors and truncation

#[test]
fn stream_error_chunk_raises() {
    let raw = text("errors", "stream_error.sse").unwrap();
    let (res, state) = run_stream(&raw, false);
    let e = res.unwrap_err();
    assert_eq!(e.kind, ErrorKind::RateLimit);
    assert_eq!(e.status, 429);
    assert!(e.message.contains("Resource has been exhausted"), "{}", e.message);
    assert!(!state.finished);
}

#[test]
fn truncated_stream_is_not_finished() {
    // Without a finish reason the engine raises "the stream ended before it was complete".
    let raw = text("stream_text", "response.sse").unwrap();
    let cut: String = raw.split("\r\n\r\n").take(2).map(|e| format!("{e}\r\n\r\n")).collect();
    let (chunks, state) = run_stream(&cut, true);
    assert_eq!(chunks.unwrap().len(), 2);
    assert!(!state.finished && !state.done);
    // Not JSON at all is an error, not a silent skip.
    let (res, _) = run_stream("data: {\"candidates\": [\r\n\r\n", false);
    assert!(res.is_err());
}

// ---------------------------------------------------------------------------------------------
// error bodies

#[test]
fn google_error_bodies_map_to_litellm_exceptions() {
    // file, status, expected class, expected status
    let cases = [
        ("invalid_argument", 400, ErrorKind::BadRequest, 400),
        ("context_window", 400, ErrorKind::ContextWindowExceeded, 400),
        ("api_key_invalid", 400, ErrorKind::Authentication, 401),
        // litellm: 403 is a BadRequestError keeping status 403.
        ("permission_denied", 403, ErrorKind::BadRequest, 403),
        ("not_found", 404, ErrorKind::NotFound, 404),
        ("resource_exhausted", 429, ErrorKind::RateLimit, 429),
        ("internal", 500, ErrorKind::InternalServer, 500),
        // litellm: "The model is overloaded." is an InternalServerError with status 500.
        ("overloaded", 503, ErrorKind::InternalServer, 500),
        ("unavailable", 503, ErrorKind::ServiceUnavailable, 503),
    ];
    for (file, status, kind, want_status) in cases {
        let raw = text("errors", &format!("{file}.json")).unwrap();
        let e = Gemini.map_error(status, vec![], raw.as_bytes(), "gemini-2.5-pro");
        assert_eq!(e.kind, kind, "{file}");
        assert_eq!(e.status, want_status, "{file}");
        assert_eq!(e.provider, "gemini");
        assert_eq!(e.model, "gemini-2.5-pro");
        let msg: Value = serde_json::from_str(&raw).unwrap();
        let upstream = msg["error"]["message"].as_str().unwrap();
        assert_eq!(e.message, format!("GeminiException - {upstream}"), "{file}");
    }
    let raw = text("errors", "resource_exhausted.json").unwrap();
    let e = Gemini.map_error(429, vec![], raw.as_bytes(), "m");
    assert_eq!(e.retry_after, Some(37.0), "RetryInfo.retryDelay");
    let e = Gemini.map_error(429, vec![("retry-after".into(), "3".into())], raw.as_bytes(), "m");
    assert_eq!(e.retry_after, Some(3.0), "a retry-after header wins");
    assert!(e.kind.is_retryable());
}

#[test]
fn tool_results_keep_their_own_turn_and_the_placeholder_goes_first() {
    let req = request(json!({"model": "gemini-3-flash-preview", "messages": [
        {"role": "user", "content": "Paris and Rome?"},
        {"role": "assistant", "tool_calls": [
            {"id": "call_a", "type": "function", "function": {"name": "w", "arguments": "{\"c\":\"Paris\"}"}},
            {"id": "call_b", "type": "function", "function": {"name": "w", "arguments": "{\"c\":\"Rome\"}"}}]},
        {"role": "tool", "tool_call_id": "call_a", "content": "sun"},
        {"role": "tool", "tool_call_id": "call_b", "content": "rain"},
        {"role": "user", "content": "Thanks!"},
    ]}));
    let b = body(&req);
    let contents = b["contents"].as_array().unwrap();
    assert_eq!(contents.len(), 4, "{b}");
    // History from another model: Google's placeholder on the first call of the turn only.
    assert_eq!(contents[1]["parts"][0]["thoughtSignature"], DUMMY_THOUGHT_SIGNATURE);
    assert!(contents[1]["parts"][1].get("thoughtSignature").is_none());
    assert_eq!(contents[1]["parts"][1]["functionCall"]["id"], "call_b");
    assert_eq!(contents[2]["parts"].as_array().unwrap().len(), 2);
    assert_eq!(contents[2]["parts"][1]["functionResponse"]["id"], "call_b");
    assert_eq!(contents[3], json!({"role": "user", "parts": [{"text": "Thanks!"}]}));
    // Vertex AI takes no call ids.
    let vertex = litellm_rs::providers::gemini::generate_content_body(
        &req,
        &[],
        litellm_rs::providers::gemini::BodyOptions { vertex: true, drop_params: false },
        None,
    )
    .unwrap();
    let v: Value = serde_json::from_slice(&vertex).unwrap();
    assert!(v["contents"][1]["parts"][0]["functionCall"].get("id").is_none());
}
