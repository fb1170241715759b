//! AWS Bedrock on recorded payloads: the issue-3 scenario matrix (Converse bodies, responses and
//! ConverseStream event streams), SigV4 against a known-good signature, credentials from
//! profiles and the environment, the bearer API key, and the Invoke route; plus one end-to-end
//! call through the engine to a local socket.

#![allow(clippy::result_large_err)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_smithy_eventstream::frame::write_message_to;
use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use litellm_rs::engine::{CallOptions, aggregate_chunks};
use litellm_rs::providers::bedrock::credentials::{AwsInputs, resolve};
use litellm_rs::providers::bedrock::sigv4::sign_request;
use litellm_rs::providers::bedrock::{AwsAuth, AwsCredentials, Bedrock};
use litellm_rs::providers::{CallTarget, Framing, HttpRequest, Provider, StreamState};
use litellm_rs::transport::FrameDecoder;
use litellm_rs::types::{ChatChunk, ChatRequest};
use litellm_rs::{ErrorKind, LlmError};
use serde_json::{Value, json};

const MODEL: &str = "anthropic.claude-3-5-sonnet-20240620-v1:0";

fn dir(s: &str) -> String {
    format!("{}/tests/fixtures/bedrock/{s}", env!("CARGO_MANIFEST_DIR"))
}

fn load(scenario: &str, file: &str) -> Value {
    let path = format!("{}/{file}", dir(scenario));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn request(v: Value) -> ChatRequest {
    serde_json::from_value(v).expect("valid request")
}

fn target() -> CallTarget {
    CallTarget {
        api_base: "https://bedrock-runtime.us-west-2.amazonaws.com".into(),
        aws: Some(AwsAuth { region: "us-west-2".into(), credentials: Some(creds(None)) }),
        ..CallTarget::default()
    }
}

fn creds(token: Option<&str>) -> AwsCredentials {
    AwsCredentials {
        access_key_id: "AKIDEXAMPLE".into(),
        secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
        session_token: token.map(str::to_owned),
    }
}

/// `expected` is a subset of `actual`: every key it names has an equal value (arrays compared
/// element by element, objects recursively).
fn assert_subset(expected: &Value, actual: &Value, path: &str) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, v) in e {
                let got = a.get(k).unwrap_or_else(|| panic!("{path}.{k} missing in {actual}"));
                assert_subset(v, got, &format!("{path}.{k}"));
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            assert_eq!(e.len(), a.len(), "{path}: {actual}");
            for (i, (x, y)) in e.iter().zip(a).enumerate() {
                assert_subset(x, y, &format!("{path}[{i}]"));
            }
        }
        // Tool arguments are JSON strings: compare them as JSON.
        (Value::String(e), Value::String(a)) if e.starts_with('{') => {
            let (pe, pa) = (serde_json::from_str::<Value>(e), serde_json::from_str::<Value>(a));
            match (pe, pa) {
                (Ok(x), Ok(y)) => assert_eq!(x, y, "{path}"),
                _ => assert_eq!(e, a, "{path}"),
            }
        }
        _ => assert_eq!(expected, actual, "{path}"),
    }
}

const SCENARIOS: &[&str] = &[
    "simple",
    "system_multiturn",
    "tools",
    "tool_results",
    "vision",
    "json_schema",
    "reasoning",
    "usage_cache",
    "guardrail",
];

#[test]
fn scenario_matrix_bodies_and_responses() {
    for s in SCENARIOS {
        let req = request(load(s, "input.json"));
        let http = Bedrock.build_chat(&req, &target()).unwrap_or_else(|e| panic!("{s}: {e}"));
        let body: Value = serde_json::from_slice(&http.body).unwrap();
        assert_eq!(body, load(s, "expected_body.json"), "{s}: upstream body\n{body:#}");
        let id = req.model.as_str();
        assert!(http.url.ends_with("/converse"), "{s}: {}", http.url);
        assert!(http.url.contains(&id.replace(':', "%3A")), "{s}: {}", http.url);
        let resp = Bedrock
            .parse_chat(serde_json::to_vec(&load(s, "response.json")).unwrap().as_slice(), &req)
            .unwrap_or_else(|e| panic!("{s}: {e}"));
        let got = serde_json::to_value(&resp).unwrap();
        assert_subset(&load(s, "expected.json"), &got, s);
        assert!(resp.id.starts_with("chatcmpl-") && resp.created > 0, "{s}");
        assert_eq!(resp.model, id, "{s}");
    }
}

#[test]
fn urls_for_routes_profiles_arns_and_streams() {
    let t = target();
    let url = |model: &str, stream: bool| {
        let mut r = request(json!({"model": model, "messages": [{"role": "user", "content": "hi"}]}));
        r.stream = stream.then_some(true);
        Bedrock.build_chat(&r, &t).unwrap().url
    };
    let base = "https://bedrock-runtime.us-west-2.amazonaws.com/model";
    assert_eq!(url(MODEL, false), format!("{base}/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse"));
    assert_eq!(
        url(&format!("converse/{MODEL}"), true),
        format!("{base}/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse-stream")
    );
    assert_eq!(
        url("global.anthropic.claude-sonnet-4-5-20250929-v1:0", false),
        format!("{base}/global.anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse")
    );
    assert_eq!(
        url("arn:aws:bedrock:us-west-2:123456789012:application-inference-profile/abc123", false),
        format!(
            "{base}/arn%3Aaws%3Abedrock%3Aus-west-2%3A123456789012%3Aapplication-inference-profile%2Fabc123/converse"
        )
    );
    assert_eq!(
        url(&format!("invoke/{MODEL}"), false),
        format!("{base}/anthropic.claude-3-5-sonnet-20240620-v1%3A0/invoke")
    );
    assert_eq!(
        url(&format!("invoke/{MODEL}"), true),
        format!("{base}/anthropic.claude-3-5-sonnet-20240620-v1%3A0/invoke-with-response-stream")
    );
    // model_id= overrides the id in the URL (provisioned throughput) and is not sent.
    let r = request(
        json!({"model": MODEL, "model_id": "arn:aws:bedrock:us-west-2:1:provisioned-model/x", "messages": [{"role": "user", "content": "hi"}]}),
    );
    let http = Bedrock.build_chat(&r, &t).unwrap();
    assert!(
        http.url.contains("/model/arn%3Aaws%3Abedrock%3Aus-west-2%3A1%3Aprovisioned-model%2Fx/converse"),
        "{}",
        http.url
    );
    assert!(!String::from_utf8_lossy(&http.body).contains("model_id"));
}

#[test]
fn tool_choice_forms_and_unsupported_params() {
    let t = target();
    let base = json!({"model": MODEL, "messages": [{"role": "user", "content": "hi"}], "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]});
    let choice = |tc: Value, t: &CallTarget| {
        let mut v = base.clone();
        v["tool_choice"] = tc;
        Bedrock
            .build_chat(&request(v), t)
            .map(|h| serde_json::from_slice::<Value>(&h.body).unwrap()["toolConfig"].clone())
    };
    assert_eq!(choice(json!("auto"), &t).unwrap()["toolChoice"], json!({"auto": {}}));
    assert_eq!(choice(json!("required"), &t).unwrap()["toolChoice"], json!({"any": {}}));
    assert_eq!(
        choice(json!({"type": "function", "function": {"name": "f"}}), &t).unwrap()["toolChoice"],
        json!({"tool": {"name": "f"}})
    );
    assert_eq!(choice(json!("none"), &t).unwrap_err().kind, ErrorKind::UnsupportedParams);
    let dropping = CallTarget { drop_params: true, ..target() };
    assert!(choice(json!("none"), &dropping).unwrap().get("toolChoice").is_none());

    let r = request(
        json!({"model": MODEL, "messages": [{"role": "user", "content": "hi"}], "presence_penalty": 0.5, "seed": 3}),
    );
    let e = Bedrock.build_chat(&r, &t).unwrap_err();
    assert_eq!(e.kind, ErrorKind::UnsupportedParams);
    assert!(e.message.contains("presence_penalty") && e.message.contains("bedrock"), "{}", e.message);
    let body: Value = serde_json::from_slice(&Bedrock.build_chat(&r, &dropping).unwrap().body).unwrap();
    assert!(body.get("additionalModelRequestFields").is_none(), "nothing model-specific: the field is left out");
    assert!(body.get("seed").is_none() && body.get("presence_penalty").is_none());

    // Tool calls in the history without tools= are refused as litellm does.
    let r = request(json!({"model": MODEL, "messages": [
        {"role": "assistant", "tool_calls": [{"id": "t", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "t", "content": "ok"}]}));
    assert_eq!(Bedrock.build_chat(&r, &t).unwrap_err().kind, ErrorKind::UnsupportedParams);
    // https image URLs need a download Bedrock does not do; the error says so.
    let r = request(
        json!({"model": MODEL, "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}]}]}),
    );
    assert!(Bedrock.build_chat(&r, &t).unwrap_err().message.contains("data URL"));
}

#[test]
fn thinking_param_and_forced_tools_under_reasoning() {
    let r = request(
        json!({"model": "us.anthropic.claude-sonnet-4-20250514-v1:0", "messages": [{"role": "user", "content": "hi"}],
        "thinking": {"type": "enabled", "budget_tokens": 500}, "max_tokens": 3000,
        "tools": [{"type": "function", "function": {"name": "f"}}], "tool_choice": "required"}),
    );
    let body: Value = serde_json::from_slice(&Bedrock.build_chat(&r, &target()).unwrap().body).unwrap();
    assert_eq!(body["additionalModelRequestFields"]["thinking"], json!({"type": "enabled", "budget_tokens": 1024}));
    assert_eq!(body["inferenceConfig"]["maxTokens"], 3000);
    assert_eq!(body["toolConfig"]["toolChoice"], json!({"auto": {}}));
    assert_eq!(
        body["toolConfig"]["tools"][0]["toolSpec"]["inputSchema"]["json"],
        json!({"type": "object", "properties": {}})
    );
}

// ---------------------------------------------------------------------------------------------
// streams
// ---------------------------------------------------------------------------------------------

/// Encodes `[event-type, payload]` pairs as AWS event-stream messages (`!exception:<type>` makes
/// an exception message), as Bedrock sends them.
fn encode_events(events: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    for e in events.as_array().unwrap() {
        let name = e[0].as_str().unwrap();
        let payload = serde_json::to_vec(&e[1]).unwrap();
        let s = |v: &str| HeaderValue::String(v.to_owned().into());
        let mut m = Message::new(payload).add_header(Header::new(":content-type", s("application/json")));
        m = match name.strip_prefix("!exception:") {
            Some(t) => m
                .add_header(Header::new(":message-type", s("exception")))
                .add_header(Header::new(":exception-type", s(t))),
            None => {
                m.add_header(Header::new(":message-type", s("event"))).add_header(Header::new(":event-type", s(name)))
            }
        };
        write_message_to(&m, &mut out).unwrap();
    }
    out
}

fn run_stream(bytes: &[u8], split: usize, include_usage: bool) -> (Vec<ChatChunk>, StreamState, Option<LlmError>) {
    let mut dec = FrameDecoder::new(Bedrock.framing());
    let mut state = StreamState { include_usage, ..StreamState::default() };
    let mut chunks = Vec::new();
    let mut events = Vec::new();
    for piece in bytes.chunks(split) {
        dec.feed(&bytes::Bytes::copy_from_slice(piece), &mut events);
    }
    dec.finish(&mut events);
    for ev in events {
        match Bedrock.parse_chat_event(&mut state, ev.event.as_deref(), &ev.data) {
            Ok(c) => chunks.extend(c),
            Err(e) => return (chunks, state, Some(e)),
        }
    }
    (chunks, state, None)
}

#[test]
fn converse_streams_whatever_the_network_split() {
    assert_eq!(Bedrock.framing(), Framing::AwsEventStream);
    for s in ["stream_text", "stream_tools", "stream_reasoning"] {
        let bytes = encode_events(&load(s, "events.json"));
        for split in [1, 7, 64, bytes.len()] {
            let (chunks, state, err) = run_stream(&bytes, split, true);
            assert!(err.is_none(), "{s}: {err:?}");
            assert!(state.finished && state.done, "{s}");
            assert_eq!(chunks[0].choices[0].delta.role.as_deref(), Some("assistant"), "{s}");
            let last = chunks.last().unwrap();
            assert!(last.choices.is_empty() && last.usage.is_some(), "{s}: usage chunk last");
            let agg = serde_json::to_value(aggregate_chunks(&chunks).unwrap()).unwrap();
            assert_subset(&load(s, "expected.json"), &agg, s);
        }
        // Without include_usage no usage chunk is sent.
        let (chunks, _, _) = run_stream(&bytes, 64, false);
        assert!(chunks.iter().all(|c| c.usage.is_none()), "{s}");
    }
    // Tool-call deltas: id and name first, then argument pieces, indexed by call.
    let (chunks, _, _) = run_stream(&encode_events(&load("stream_tools", "events.json")), 64, false);
    let tc: Vec<_> = chunks.iter().flat_map(|c| c.choices[0].delta.tool_calls.clone().unwrap_or_default()).collect();
    assert_eq!(tc[0].id.as_deref(), Some("tooluse_w"));
    assert_eq!(tc[0].index, 0);
    assert_eq!(tc.last().unwrap().index, 1);
    // Reasoning deltas carry thinking_blocks, the signature included.
    let (chunks, _, _) = run_stream(&encode_events(&load("stream_reasoning", "events.json")), 64, false);
    let sig = chunks
        .iter()
        .find_map(|c| c.choices[0].delta.extra.get("thinking_blocks").filter(|b| b[0].get("signature").is_some()));
    assert_eq!(sig.unwrap()[0]["signature"], "ErcBCkgIAhAB");
}

#[test]
fn stream_exceptions_and_corruption_are_errors() {
    let bytes = encode_events(&load("stream_throttled", "events.json"));
    let (chunks, state, err) = run_stream(&bytes, 5, false);
    let e = err.expect("throttling surfaces");
    assert_eq!(e.kind, ErrorKind::RateLimit);
    assert!(e.message.contains("Too many tokens"), "{}", e.message);
    assert_eq!(chunks.len(), 1);
    assert!(!state.finished);

    let mut bad = encode_events(&load("stream_text", "events.json"));
    bad[20] ^= 0x55;
    let (_, _, err) = run_stream(&bad, 16, false);
    assert_eq!(err.expect("bad checksum surfaces").kind, ErrorKind::ApiConnection);

    // A truncated stream ends without finish: the driver reports it (state.finished stays false).
    let full = encode_events(&load("stream_text", "events.json"));
    let (chunks, state, err) = run_stream(&full[..full.len() / 2], 16, false);
    assert!(err.is_none() && !state.finished && !chunks.is_empty());
}

#[test]
fn error_answers_map_to_litellm_classes() {
    for case in load("errors", "cases.json").as_array().unwrap() {
        let (status, kind, body, class) =
            (case[0].as_u64().unwrap() as u16, case[1].as_str().unwrap(), &case[2], case[3].as_str().unwrap());
        let headers = vec![(
            "x-amzn-errortype".to_owned(),
            format!("{kind}:http://internal.amazon.com/coral/com.amazon.bedrock/"),
        )];
        let e = Bedrock.map_error(status, headers, body.to_string().as_bytes(), MODEL);
        assert_eq!(e.kind.class_name(), class, "{kind}");
        assert_eq!(e.provider, "bedrock");
        assert_eq!(e.message, format!("BedrockException - {}", body["message"].as_str().unwrap()));
    }
}

// ---------------------------------------------------------------------------------------------
// auth
// ---------------------------------------------------------------------------------------------

fn signable() -> HttpRequest {
    HttpRequest {
        url:
            "https://bedrock-runtime.us-west-2.amazonaws.com/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse"
                .into(),
        headers: vec![("content-type".into(), "application/json".into()), ("accept".into(), "application/json".into())],
        body: br#"{"messages":[{"role":"user","content":[{"text":"hi"}]}]}"#.to_vec().into(),
    }
}

fn header<'a>(h: &'a HttpRequest, name: &str) -> Option<&'a str> {
    h.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

/// Signatures computed independently with botocore's SigV4Auth (service bedrock, us-west-2,
/// 2024-01-02T03:04:05Z) for the same request.
#[test]
fn sigv4_matches_a_known_good_signature() {
    let at = UNIX_EPOCH + Duration::from_secs(1_704_164_645);
    let mut http = signable();
    sign_request(&mut http, &creds(None), "us-west-2", at).unwrap();
    assert_eq!(header(&http, "x-amz-date"), Some("20240102T030405Z"));
    assert_eq!(
        header(&http, "authorization"),
        Some(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240102/us-west-2/bedrock/aws4_request, SignedHeaders=accept;content-type;host;x-amz-date, Signature=ce57a017a71d4fcb3732ebd98016a2d4b405c304e45491266381f5716c0f84c4"
        )
    );
    assert!(header(&http, "x-amz-security-token").is_none());

    let mut http = signable();
    sign_request(&mut http, &creds(Some("SESSIONTOKEN")), "us-west-2", at).unwrap();
    assert_eq!(header(&http, "x-amz-security-token"), Some("SESSIONTOKEN"));
    assert_eq!(
        header(&http, "authorization"),
        Some(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240102/us-west-2/bedrock/aws4_request, SignedHeaders=accept;content-type;host;x-amz-date;x-amz-security-token, Signature=327819b34e82ead15af064b65313bb610439beea69540c800f1081e1688a83d3"
        )
    );
    // Re-signing replaces the previous signature instead of adding a second one.
    sign_request(&mut http, &creds(None), "us-west-2", SystemTime::now()).unwrap();
    assert_eq!(http.headers.iter().filter(|(k, _)| k.eq_ignore_ascii_case("authorization")).count(), 1);
    assert!(header(&http, "x-amz-security-token").is_none());
}

#[test]
fn provider_signs_with_keys_and_sends_the_api_key_unsigned() {
    let r = request(json!({"model": MODEL, "messages": [{"role": "user", "content": "hi"}]}));
    let t = target();
    let mut http = Bedrock.build_chat(&r, &t).unwrap();
    Bedrock.sign(&mut http, &t).unwrap();
    assert!(header(&http, "authorization").unwrap().starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"));
    assert!(header(&http, "authorization").unwrap().contains("/us-west-2/bedrock/aws4_request"));

    let t = CallTarget {
        api_key: Some("ABSKbedrock-api-key".into()),
        aws: Some(AwsAuth { region: "us-east-1".into(), credentials: None }),
        ..target()
    };
    let mut http = Bedrock.build_chat(&r, &t).unwrap();
    Bedrock.sign(&mut http, &t).unwrap();
    assert_eq!(header(&http, "authorization"), Some("Bearer ABSKbedrock-api-key"));
    assert!(header(&http, "x-amz-date").is_none());
}

/// Environment-dependent resolution runs in one test (the process environment is shared).
#[test]
fn credentials_regions_and_endpoints() {
    let tmp = std::env::temp_dir().join(format!("litellm-rs-bedrock-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let creds_file = tmp.join("credentials");
    let config_file = tmp.join("config");
    std::fs::write(&creds_file, "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = default-secret\n\n[dev]\naws_access_key_id=AKIDDEV\naws_secret_access_key=dev-secret\naws_session_token=dev-token\n").unwrap();
    std::fs::write(&config_file, "[default]\nregion = eu-central-1\n[profile dev]\nregion = ap-southeast-2\n[profile cfgonly]\naws_access_key_id = AKIDCFG\naws_secret_access_key = cfg-secret\n").unwrap();
    // SAFETY: this is the only test in this binary that reads or writes these variables.
    unsafe {
        for v in [
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_PROFILE",
            "AWS_REGION",
            "AWS_REGION_NAME",
            "AWS_DEFAULT_REGION",
            "AWS_BEARER_TOKEN_BEDROCK",
            "AWS_BEDROCK_RUNTIME_ENDPOINT",
        ] {
            std::env::remove_var(v);
        }
        std::env::set_var("AWS_SHARED_CREDENTIALS_FILE", &creds_file);
        std::env::set_var("AWS_CONFIG_FILE", &config_file);
    }
    let none = AwsInputs::default();
    // default profile from the files, region from the config file
    let r = resolve(&none, MODEL).unwrap();
    assert_eq!(r.auth.credentials.as_ref().unwrap().access_key_id, "AKIDDEFAULT");
    assert_eq!(r.auth.region, "eu-central-1");
    assert_eq!(r.endpoint, "https://bedrock-runtime.eu-central-1.amazonaws.com");
    // named profile (call), session token, its region
    let r = resolve(&AwsInputs { profile_name: Some("dev".into()), ..AwsInputs::default() }, MODEL).unwrap();
    let c = r.auth.credentials.unwrap();
    assert_eq!((c.access_key_id.as_str(), c.session_token.as_deref()), ("AKIDDEV", Some("dev-token")));
    assert_eq!(r.auth.region, "ap-southeast-2");
    // keys only in the config file
    let r = resolve(&AwsInputs { profile_name: Some("cfgonly".into()), ..AwsInputs::default() }, MODEL).unwrap();
    assert_eq!(r.auth.credentials.unwrap().access_key_id, "AKIDCFG");
    // a missing profile is an authentication error that names it, never a secret
    let e = resolve(&AwsInputs { profile_name: Some("nope".into()), ..AwsInputs::default() }, MODEL).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Authentication);
    assert!(e.message.contains("'nope'"));
    // AWS_PROFILE
    unsafe { std::env::set_var("AWS_PROFILE", "dev") };
    assert_eq!(resolve(&none, MODEL).unwrap().auth.credentials.unwrap().access_key_id, "AKIDDEV");
    // environment keys beat the files; AWS_REGION beats the profile's region; ARN region beats env
    unsafe {
        std::env::set_var("AWS_ACCESS_KEY_ID", "AKIDENV");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "env-secret");
        std::env::set_var("AWS_REGION", "us-west-1");
    }
    let r = resolve(&none, MODEL).unwrap();
    assert_eq!(r.auth.credentials.unwrap().access_key_id, "AKIDENV");
    assert_eq!(r.auth.region, "us-west-1");
    assert_eq!(resolve(&none, "arn:aws:bedrock:eu-west-3:1:inference-profile/eu.x").unwrap().auth.region, "eu-west-3");
    // call keys and region beat everything; api_base / runtime endpoint override the host
    let call = AwsInputs {
        access_key_id: Some("AKIDCALL".into()),
        secret_access_key: Some("call-secret".into()),
        region_name: Some("us-west-2".into()),
        runtime_endpoint: Some("https://vpce-123.bedrock-runtime.us-west-2.vpce.amazonaws.com/".into()),
        ..AwsInputs::default()
    };
    let r = resolve(&call, MODEL).unwrap();
    assert_eq!(r.auth.credentials.as_ref().unwrap().access_key_id, "AKIDCALL");
    assert_eq!(r.auth.region, "us-west-2");
    assert_eq!(r.endpoint, "https://vpce-123.bedrock-runtime.us-west-2.vpce.amazonaws.com");
    let r = resolve(&AwsInputs { api_base: Some("http://127.0.0.1:9".into()), ..call.clone() }, MODEL).unwrap();
    assert_eq!(r.endpoint, "http://127.0.0.1:9");
    // Bedrock API key: env beats env keys; a call's api_key beats everything; no SigV4 then
    unsafe { std::env::set_var("AWS_BEARER_TOKEN_BEDROCK", "ABSK-env") };
    let r = resolve(&none, MODEL).unwrap();
    assert_eq!((r.api_key.as_deref(), r.auth.credentials.is_none()), (Some("ABSK-env"), true));
    let r = resolve(&AwsInputs { api_key: Some("ABSK-call".into()), ..call.clone() }, MODEL).unwrap();
    assert_eq!((r.api_key.as_deref(), r.auth.credentials.is_none()), (Some("ABSK-call"), true));
    // nothing at all: a clear authentication error
    unsafe {
        for v in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_BEARER_TOKEN_BEDROCK", "AWS_REGION"]
        {
            std::env::remove_var(v);
        }
        std::env::set_var("AWS_SHARED_CREDENTIALS_FILE", tmp.join("missing"));
        std::env::set_var("AWS_CONFIG_FILE", tmp.join("missing"));
    }
    let e = resolve(&none, MODEL).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Authentication);
    assert!(e.message.contains("Unable to locate AWS credentials"));
    assert_eq!(
        resolve(&AwsInputs { api_key: Some("k".into()), ..none.clone() }, MODEL).unwrap().auth.region,
        "us-east-1"
    );

    // End to end through the engine: a signed request reaches a local socket.
    let (url, seen) = one_shot_server(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-amzn-requestid: req-123\r\ncontent-length: {len}\r\n\r\n{body}",
        &load("simple", "response.json").to_string(),
    );
    let opts: CallOptions = serde_json::from_value(json!({
        "api_base": url, "aws_access_key_id": "AKIDE2E", "aws_secret_access_key": "e2e-secret",
        "aws_session_token": "e2e-token", "aws_region_name": "us-west-2",
    }))
    .unwrap();
    let req = request(json!({"model": format!("bedrock/{MODEL}"), "messages": [{"role": "user", "content": "Hello"}]}));
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (resp, hidden) = rt.block_on(litellm_rs::engine::chat(req, &opts)).unwrap();
    assert_eq!(resp.choices[0].message.content.as_deref(), Some("Hello! How can I help you today?"));
    assert_eq!(hidden.custom_llm_provider, "bedrock");
    assert!(hidden.response_headers.iter().any(|(k, v)| k == "x-amzn-requestid" && v == "req-123"));
    let raw = seen.recv_timeout(Duration::from_secs(10)).unwrap();
    assert!(raw.starts_with("POST /model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse HTTP/1.1"), "{raw}");
    assert!(raw.contains("AWS4-HMAC-SHA256 Credential=AKIDE2E/"), "{raw}");
    assert!(raw.contains("/us-west-2/bedrock/aws4_request"));
    assert!(raw.contains("x-amz-security-token: e2e-token"));
    assert!(!raw.contains("e2e-secret"));
    let _ = std::fs::remove_dir_all(&tmp);
}

/// A server that answers one request with `template` ({len} and {body} filled in) and hands the
/// raw request text back.
fn one_shot_server(template: &str, body: &str) -> (String, std::sync::mpsc::Receiver<String>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let answer = template.replace("{len}", &body.len().to_string()).replace("{body}", body);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let n = s.read(&mut chunk).unwrap();
            buf.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&buf).to_string();
            if let Some(end) = text.find("\r\n\r\n") {
                let len = text[..end]
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse::<usize>().unwrap())
                    })
                    .unwrap_or(0);
                if buf.len() >= end + 4 + len {
                    break;
                }
            }
            if n == 0 {
                break;
            }
        }
        s.write_all(answer.as_bytes()).unwrap();
        let _ = tx.send(String::from_utf8_lossy(&buf).to_string());
    });
    (url, rx)
}

#[test]
fn invoke_route_builds_the_claude_body() {
    let r = request(
        json!({"model": format!("invoke/{MODEL}"), "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}], "max_tokens": 50}),
    );
    match Bedrock.build_chat(&r, &target()) {
        Ok(http) => {
            let body: Value = serde_json::from_slice(&http.body).unwrap();
            assert_eq!(body["anthropic_version"], "bedrock-2023-05-31");
            assert!(body.get("model").is_none() && body.get("stream").is_none());
            assert_eq!(body["max_tokens"], 50);
            assert!(body["system"].to_string().contains("Be brief."));
            let resp = json!({"id": "msg_bdrk_01", "type": "message", "role": "assistant", "model": "claude-3-5-sonnet-20240620",
                "content": [{"type": "text", "text": "Hi!"}], "stop_reason": "end_turn", "usage": {"input_tokens": 10, "output_tokens": 3}});
            let out = Bedrock.parse_chat(resp.to_string().as_bytes(), &r).unwrap();
            assert_eq!(out.choices[0].message.content.as_deref(), Some("Hi!"));
            assert_eq!(out.usage.unwrap().total_tokens, 13);
        }
        // The Anthropic translation is being finished concurrently; until then invoke says so.
        Err(e) => panic!("invoke not ready: {e}"),
    }
    // A family without an invoke translation points to the Converse route.
    let r =
        request(json!({"model": "invoke/ai21.jamba-1-5-large-v1:0", "messages": [{"role": "user", "content": "hi"}]}));
    assert!(Bedrock.build_chat(&r, &target()).unwrap_err().message.contains("Converse route"));
}

#[test]
fn invoke_stream_chunks_wrap_anthropic_events() {
    let b64 = |v: Value| aws_smithy_types::base64::encode(v.to_string());
    let events = json!([
        ["chunk", {"bytes": b64(json!({"type": "message_start", "message": {"id": "msg_bdrk_1", "type": "message", "role": "assistant", "model": "claude-3-5-sonnet-20240620", "content": [], "stop_reason": null, "usage": {"input_tokens": 10, "output_tokens": 1}}}))}],
        ["chunk", {"bytes": b64(json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}))}],
        ["chunk", {"bytes": b64(json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi"}}))}],
        ["chunk", {"bytes": b64(json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "!"}}))}],
        ["chunk", {"bytes": b64(json!({"type": "content_block_stop", "index": 0}))}],
        ["chunk", {"bytes": b64(json!({"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 3}}))}],
        ["chunk", {"bytes": b64(json!({"type": "message_stop", "amazon-bedrock-invocationMetrics": {"inputTokenCount": 10, "outputTokenCount": 3}}))}]
    ]);
    let (chunks, state, err) = run_stream(&encode_events(&events), 9, false);
    assert!(err.is_none(), "{err:?}");
    assert!(state.finished && state.done);
    let agg = aggregate_chunks(&chunks).unwrap();
    assert_eq!(agg.choices[0].message.content.as_deref(), Some("Hi!"));
    assert_eq!(agg.choices[0].finish_reason.as_deref(), Some("stop"));
}

const INVOKE_FAMILIES: &[&str] =
    &["invoke_llama", "invoke_mistral", "invoke_titan", "invoke_nova", "invoke_cohere", "invoke_deepseek"];

/// `chunk` events as invoke-with-response-stream sends them: each the base64 of the vendor's JSON.
fn invoke_events(inner: &Value) -> Value {
    let b64 = |v: &Value| aws_smithy_types::base64::encode(v.to_string());
    Value::Array(inner.as_array().unwrap().iter().map(|e| json!(["chunk", {"bytes": b64(e), "p": "abcd"}])).collect())
}

#[test]
fn invoke_families_bodies_responses_and_streams() {
    for s in INVOKE_FAMILIES {
        let mut req = request(load(s, "input.json"));
        let http = Bedrock.build_chat(&req, &target()).unwrap_or_else(|e| panic!("{s}: {e}"));
        let body: Value = serde_json::from_slice(&http.body).unwrap();
        assert_eq!(body, load(s, "expected_body.json"), "{s}: upstream body\n{body:#}");
        assert!(http.url.ends_with("/invoke"), "{s}: {}", http.url);
        let id = req.model.strip_prefix("invoke/").unwrap().to_owned();
        assert!(http.url.contains(&format!("/model/{}/", id.replace(':', "%3A"))), "{s}: {}", http.url);
        assert!(header(&signable_from(&http), "authorization").is_some_and(|a| a.starts_with("AWS4-HMAC-SHA256")));
        let resp = Bedrock
            .parse_chat(serde_json::to_vec(&load(s, "response.json")).unwrap().as_slice(), &req)
            .unwrap_or_else(|e| panic!("{s}: {e}"));
        let got = serde_json::to_value(&resp).unwrap();
        assert_subset(&load(s, "expected.json"), &got, s);
        assert_eq!(resp.model, req.model.strip_prefix("invoke/").unwrap(), "{s}");
        // The stream route and its chunks.
        req.stream = Some(true);
        let http = Bedrock.build_chat(&req, &target()).unwrap();
        assert!(http.url.ends_with("/invoke-with-response-stream"), "{s}: {}", http.url);
        assert_eq!(serde_json::from_slice::<Value>(&http.body).unwrap(), load(s, "expected_body.json"), "{s}");
        let bytes = encode_events(&invoke_events(&load(s, "events.json")));
        for split in [1, 13, bytes.len()] {
            let (chunks, state, err) = run_stream_model(&bytes, split, true, &req.model);
            assert!(err.is_none(), "{s}: {err:?}");
            assert!(state.finished && state.done, "{s}");
            assert_eq!(chunks[0].choices[0].delta.role.as_deref(), Some("assistant"), "{s}");
            let last = chunks.last().unwrap();
            assert!(last.choices.is_empty() && last.usage.is_some(), "{s}: usage chunk last");
            let agg = serde_json::to_value(aggregate_chunks(&chunks).unwrap()).unwrap();
            assert_subset(&load(s, "expected_stream.json"), &agg, s);
        }
    }
}

fn signable_from(h: &HttpRequest) -> HttpRequest {
    let mut h = h.clone();
    Bedrock.sign(&mut h, &target()).unwrap();
    h
}

fn run_stream_model(
    bytes: &[u8],
    split: usize,
    include_usage: bool,
    model: &str,
) -> (Vec<ChatChunk>, StreamState, Option<LlmError>) {
    let mut dec = FrameDecoder::new(Bedrock.framing());
    let mut state = StreamState { include_usage, model: model.to_owned(), ..StreamState::default() };
    let mut chunks = Vec::new();
    let mut events = Vec::new();
    for piece in bytes.chunks(split) {
        dec.feed(&bytes::Bytes::copy_from_slice(piece), &mut events);
    }
    dec.finish(&mut events);
    for ev in events {
        match Bedrock.parse_chat_event(&mut state, ev.event.as_deref(), &ev.data) {
            Ok(c) => chunks.extend(c),
            Err(e) => return (chunks, state, Some(e)),
        }
    }
    (chunks, state, None)
}

#[test]
fn invoke_families_params_prompts_and_errors() {
    let t = target();
    let build = |v: Value| Bedrock.build_chat(&request(v), &t);
    let body = |v: Value| serde_json::from_slice::<Value>(&build(v).unwrap().body).unwrap();
    let hi = json!([{"role": "user", "content": "hi"}]);
    // Parameters a family's body cannot take: UnsupportedParamsError naming them, or dropped.
    let e = build(json!({"model": "invoke/meta.llama3-8b-instruct-v1:0", "messages": hi, "stop": ["x"], "tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}]}))
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::UnsupportedParams, "{e}");
    assert!(e.message.contains("'stop'") && e.message.contains("'tools'"), "{e}");
    let mut dropping = t.clone();
    dropping.drop_params = true;
    let r = request(
        json!({"model": "invoke/meta.llama3-8b-instruct-v1:0", "messages": hi, "stop": ["x"], "max_completion_tokens": 9}),
    );
    let b: Value = serde_json::from_slice(&Bedrock.build_chat(&r, &dropping).unwrap().body).unwrap();
    assert_eq!(b.get("stop"), None);
    assert_eq!(b["max_gen_len"], 9);
    // Images cannot go into a text prompt.
    let img = json!([{"role": "user", "content": [{"type": "text", "text": "what?"}, {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]}]);
    let e = build(json!({"model": "invoke/amazon.titan-text-premier-v1:0", "messages": img})).unwrap_err();
    assert!(e.message.contains("Converse route"), "{e}");
    // Text parts are joined; a Titan prompt with no settings still sends an empty config.
    let parts = json!([{"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}]);
    assert_eq!(
        body(json!({"model": "invoke/amazon.titan-text-lite-v1", "messages": parts})),
        json!({"inputText": "\n\nUser: ab\n\nBot: ", "textGenerationConfig": {}})
    );
    // Cross-region profiles and ARNs pick the family from the foundation model; Nova beats Titan.
    for (id, key) in [
        ("us.meta.llama3-2-11b-instruct-v1:0", "max_gen_len"),
        ("arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.meta.llama3-1-8b-instruct-v1:0", "max_gen_len"),
        ("eu.mistral.pixtral-large-2502-v1:0", "max_tokens"),
    ] {
        let b = body(json!({"model": format!("invoke/{id}"), "messages": hi, "max_tokens": 5}));
        assert_eq!(b[key], 5, "{id}: {b}");
    }
    let b = body(json!({"model": "invoke/amazon.nova-lite-v1:0", "messages": hi, "max_tokens": 5}));
    assert_eq!(b["inferenceConfig"]["maxTokens"], 5);
    assert!(b.get("system").is_none(), "empty system is left out: {b}");
    // Nova takes tools (Converse's toolConfig).
    let b = body(json!({"model": "invoke/us.amazon.nova-pro-v1:0", "messages": hi,
        "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {}}}}]}));
    assert_eq!(b["toolConfig"]["tools"][0]["toolSpec"]["name"], "get_weather");
    // A Mistral chat-format answer (Mistral Large) and an unexpected body.
    let r = request(json!({"model": "invoke/mistral.mistral-large-2407-v1:0", "messages": hi}));
    let out = Bedrock
        .parse_chat(
            br#"{"choices":[{"index":0,"message":{"role":"assistant","content":"Hello"},"stop_reason":"stop"}]}"#,
            &r,
        )
        .unwrap();
    assert_eq!(out.choices[0].message.content.as_deref(), Some("Hello"));
    assert!(Bedrock.parse_chat(br#"{"unexpected": true}"#, &r).is_err());
    // DeepSeek without a think block: everything is the answer.
    let r = request(json!({"model": "invoke/us.deepseek.r1-v1:0", "messages": hi}));
    let out = Bedrock.parse_chat(br#"{"choices":[{"text":"Hello","stop_reason":"length"}]}"#, &r).unwrap();
    assert_eq!(out.choices[0].message.content.as_deref(), Some("Hello"));
    assert_eq!(out.choices[0].message.reasoning_content, None);
    assert_eq!(out.choices[0].finish_reason.as_deref(), Some("length"));
}
