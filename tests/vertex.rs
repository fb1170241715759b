//! Vertex AI without the cloud: URL building (regions, `global`, custom bases), the Gemini body
//! (the AI Studio wire), Claude's rawPredict body, the service-account JWT (claims and RS256
//! signature checked with the public half of the test-only key pair in tests/fixtures/vertex/),
//! token caching and token-exchange failures through the engine against a local HTTP mock.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use litellm_rs::ErrorKind;
use litellm_rs::engine::{CallOptions, aggregate_chunks};
use litellm_rs::providers::gemini::Gemini;
use litellm_rs::providers::vertex::{
    self, AssertionClaims, CLOUD_PLATFORM_SCOPE, DEFAULT_TOKEN_URI, GoogleCredentials, JWT_BEARER_GRANT, Vertex,
};
use litellm_rs::providers::{CallTarget, Provider, StreamState, resolve};
use litellm_rs::transport::sse::SseDecoder;
use litellm_rs::types::{ChatChunk, ChatRequest};
use serde_json::{Value, json};

const BASE: &str = "http://127.0.0.1:9/v1/projects/proj-1/locations/us-central1";
const TOKEN: &str = "ya29.test-access-token";

fn fixture(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/vertex").join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn service_account() -> Value {
    serde_json::from_str(&fixture("service_account.json")).unwrap()
}

fn target() -> CallTarget {
    CallTarget { api_base: BASE.into(), bearer: Some(TOKEN.into()), ..CallTarget::default() }
}

fn request(v: Value) -> ChatRequest {
    serde_json::from_value(v).expect("valid request")
}

fn body_of(http: &litellm_rs::providers::HttpRequest) -> Value {
    serde_json::from_slice(&http.body).unwrap()
}

fn form(body: &[u8]) -> Vec<(String, String)> {
    fn dec(s: &str) -> String {
        let b = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'+' => out.push(b' '),
                b'%' => {
                    out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
                    i += 2;
                }
                c => out.push(c),
            }
            i += 1;
        }
        String::from_utf8(out).unwrap()
    }
    std::str::from_utf8(body)
        .unwrap()
        .split('&')
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            (dec(k), dec(v))
        })
        .collect()
}

#[test]
fn resolution_prefixes_and_bare_gemini_names() {
    let r = resolve("vertex_ai/gemini-2.5-flash", None, None).unwrap();
    assert_eq!((r.row.id, r.model.as_str()), ("vertex_ai", "gemini-2.5-flash"));
    let r = resolve("vertex_ai_beta/gemini-2.5-pro", None, None).unwrap();
    assert_eq!(r.provider.get().id(), "vertex_ai_beta");
    let r = resolve("gemini-2.0-flash", None, None).unwrap();
    assert_eq!(r.row.id, "vertex_ai", "bare gemini-* names go to vertex_ai as in litellm");
    let r = resolve("claude-sonnet-4@20250514", Some("vertex_ai"), None).unwrap();
    assert_eq!((r.row.id, r.model.as_str()), ("vertex_ai", "claude-sonnet-4@20250514"));
}

#[test]
fn urls_for_regions_global_and_custom_bases() {
    let cases = [
        (None, "us-central1", "https://us-central1-aiplatform.googleapis.com/v1/projects/p/locations/us-central1"),
        (None, "europe-west1", "https://europe-west1-aiplatform.googleapis.com/v1/projects/p/locations/europe-west1"),
        (None, "global", "https://aiplatform.googleapis.com/v1/projects/p/locations/global"),
        (Some("http://127.0.0.1:8080/"), "us-east5", "http://127.0.0.1:8080/v1/projects/p/locations/us-east5"),
        (
            Some("https://proxy.example/v1/projects/q/locations/l"),
            "x",
            "https://proxy.example/v1/projects/q/locations/l",
        ),
    ];
    for (base, loc, want) in cases {
        assert_eq!(vertex::resource_base(base, Some("p"), loc).unwrap(), want, "{base:?} {loc}");
    }
    let g = vertex::resource_base(None, Some("p"), "global").unwrap();
    let req = request(json!({"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "hi"}]}));
    let t = CallTarget { api_base: g.clone(), bearer: Some(TOKEN.into()), ..CallTarget::default() };
    let http = Vertex { beta: false }.build_chat(&req, &t).unwrap();
    assert_eq!(
        http.url,
        "https://aiplatform.googleapis.com/v1/projects/p/locations/global/publishers/google/models/gemini-2.5-flash:generateContent"
    );
    assert!(http.headers.contains(&("authorization".into(), format!("Bearer {TOKEN}"))));
    assert!(!http.headers.iter().any(|(k, _)| k == "x-goog-api-key"));
    let mut s = req.clone();
    s.stream = Some(true);
    assert_eq!(
        Vertex { beta: false }.build_chat(&s, &t).unwrap().url,
        format!("{g}/publishers/google/models/gemini-2.5-flash:streamGenerateContent?alt=sse")
    );
    // context caching goes to v1beta1, as litellm does
    let cached = request(
        json!({"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "hi"}], "cached_content": "cachedContents/1"}),
    );
    assert!(Vertex { beta: false }.build_chat(&cached, &t).unwrap().url.contains("/v1beta1/projects/p/"));
}

#[test]
fn gemini_body_is_the_ai_studio_body() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gemini");
    let gt = CallTarget { api_base: "http://127.0.0.1:9".into(), api_key: Some("k".into()), ..CallTarget::default() };
    let mut compared = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let p = entry.unwrap().path().join("request.json");
        let Ok(text) = std::fs::read_to_string(&p) else { continue };
        let req: ChatRequest = serde_json::from_str(&text).unwrap();
        let (Ok(a), Ok(b)) = (Gemini.build_chat(&req, &gt), Vertex { beta: false }.build_chat(&req, &target())) else {
            continue;
        };
        // Vertex differs only where Google's APIs do: `labels` are Vertex-only, and Vertex
        // rejects the `id` of functionCall / functionResponse parts that AI Studio takes.
        fn strip(v: &mut Value) {
            match v {
                Value::Object(m) => {
                    for k in ["functionCall", "functionResponse"] {
                        if let Some(Value::Object(f)) = m.get_mut(k) {
                            f.remove("id");
                        }
                    }
                    m.values_mut().for_each(strip);
                }
                Value::Array(a) => a.iter_mut().for_each(strip),
                _ => {}
            }
        }
        let (mut a, mut b) = (body_of(&a), body_of(&b));
        for v in [&mut a, &mut b] {
            v.as_object_mut().unwrap().remove("labels");
            strip(v);
        }
        assert_eq!(a, b, "{}", p.display());
        compared += 1;
    }
    assert!(compared >= 5, "compared {compared} scenarios");
}

#[test]
fn claude_goes_to_raw_predict_with_the_vertex_anthropic_body() {
    let req = request(json!({
        "model": "claude-sonnet-4@20250514",
        "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}],
        "max_tokens": 100,
        "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]
    }));
    let mut t = target();
    t.api_key = Some("must-not-be-sent-as-x-api-key".into());
    let http = Vertex { beta: false }.build_chat(&req, &t).unwrap();
    assert_eq!(http.url, format!("{BASE}/publishers/anthropic/models/claude-sonnet-4@20250514:rawPredict"));
    let body = body_of(&http);
    assert_eq!(body["anthropic_version"], "vertex-2023-10-16");
    assert!(body.get("model").is_none(), "{body}");
    assert_eq!(body["max_tokens"], 100);
    assert!(body["system"].to_string().contains("Be brief."));
    assert_eq!(body["tools"][0]["name"], "get_weather");
    assert_eq!(body["messages"][0]["role"], "user");
    assert!(http.headers.contains(&("authorization".into(), format!("Bearer {TOKEN}"))));
    assert!(!http.headers.iter().any(|(k, _)| k == "x-api-key" || k == "anthropic-version"), "{:?}", http.headers);
    let mut s = req.clone();
    s.stream = Some(true);
    let http = Vertex { beta: false }.build_chat(&s, &t).unwrap();
    assert_eq!(http.url, format!("{BASE}/publishers/anthropic/models/claude-sonnet-4@20250514:streamRawPredict"));
    assert_eq!(body_of(&http)["stream"], true);

    let answer = json!({"id": "msg_vrtx_01", "type": "message", "role": "assistant", "model": "claude-sonnet-4-20250514",
        "content": [{"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {"city": "Paris"}}],
        "stop_reason": "tool_use", "usage": {"input_tokens": 20, "output_tokens": 9}});
    let out = Vertex { beta: false }.parse_chat(answer.to_string().as_bytes(), &req).unwrap();
    let call = &out.choices[0].message.tool_calls.as_ref().unwrap()[0];
    assert_eq!(call.function.name, "get_weather");
    assert_eq!(serde_json::from_str::<Value>(call.function.arguments.as_str()).unwrap(), json!({"city": "Paris"}));
    assert_eq!(out.choices[0].finish_reason.as_deref(), Some("tool_calls"));
    assert_eq!(out.usage.unwrap().total_tokens, 29);
}

fn run_stream(model: &str, raw: &str) -> Vec<ChatChunk> {
    let mut dec = SseDecoder::new();
    let mut events = Vec::new();
    for piece in raw.as_bytes().chunks(29) {
        dec.feed(piece, &mut events);
    }
    dec.finish(&mut events);
    let mut state = StreamState { model: model.into(), ..StreamState::default() };
    let mut out = Vec::new();
    for ev in events {
        out.extend(Vertex { beta: false }.parse_chat_event(&mut state, ev.event.as_deref(), &ev.data).unwrap());
    }
    out
}

#[test]
fn streams_use_the_gemini_and_anthropic_event_functions() {
    let piece = |text: &str, finish: Option<&str>| {
        let mut c = json!({"content": {"role": "model", "parts": [{"text": text}]}, "index": 0});
        if let Some(f) = finish {
            c["finishReason"] = json!(f);
        }
        let mut v = json!({"candidates": [c], "modelVersion": "gemini-2.5-flash"});
        if finish.is_some() {
            v["usageMetadata"] = json!({"promptTokenCount": 3, "candidatesTokenCount": 2, "totalTokenCount": 5});
        }
        format!("data: {v}\r\n\r\n")
    };
    let raw = piece("Hel", None) + &piece("lo", Some("STOP"));
    let chunks = run_stream("gemini-2.5-flash", &raw);
    let agg = aggregate_chunks(&chunks).unwrap();
    assert_eq!(agg.choices[0].message.content.as_deref(), Some("Hello"));
    assert_eq!(agg.choices[0].finish_reason.as_deref(), Some("stop"));

    let ev = |name: &str, data: Value| format!("event: {name}\ndata: {data}\n\n");
    let raw = [
        ev("message_start", json!({"type": "message_start", "message": {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-20250514", "content": [], "stop_reason": null, "usage": {"input_tokens": 8, "output_tokens": 1}}})),
        ev("ping", json!({"type": "ping"})),
        ev("content_block_start", json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}})),
        ev("content_block_delta", json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi"}})),
        ev("content_block_stop", json!({"type": "content_block_stop", "index": 0})),
        ev("message_delta", json!({"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 2}})),
        ev("message_stop", json!({"type": "message_stop"})),
    ]
    .concat();
    let agg = aggregate_chunks(&run_stream("claude-sonnet-4@20250514", &raw)).unwrap();
    assert_eq!(agg.choices[0].message.content.as_deref(), Some("Hi"));
    assert_eq!(agg.choices[0].finish_reason.as_deref(), Some("stop"));
}

#[test]
fn google_and_anthropic_error_bodies_map_to_litellm_classes() {
    let v = Vertex { beta: false };
    let g = |code: u16, msg: &str, status: &str| json!({"error": {"code": code, "message": msg, "status": status}});
    let cases = [
        (
            429,
            g(429, "Quota exceeded for aiplatform.googleapis.com/generate_content_requests", "RESOURCE_EXHAUSTED"),
            ErrorKind::RateLimit,
        ),
        (401, g(401, "Request had invalid authentication credentials.", "UNAUTHENTICATED"), ErrorKind::Authentication),
        (404, g(404, "Publisher Model `gemini-9` not found.", "NOT_FOUND"), ErrorKind::NotFound),
        (
            400,
            g(
                400,
                "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).",
                "INVALID_ARGUMENT",
            ),
            ErrorKind::ContextWindowExceeded,
        ),
    ];
    for (status, body, kind) in cases {
        let e = v.map_error(status, vec![], body.to_string().as_bytes(), "gemini-2.5-flash");
        assert_eq!(e.kind, kind, "{body}");
        assert!(e.message.starts_with("VertexAIException - "), "{}", e.message);
        assert_eq!(e.provider, "vertex_ai");
    }
    let over = json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}});
    let e = v.map_error(529, vec![], over.to_string().as_bytes(), "claude-sonnet-4@20250514");
    assert_eq!(e.kind, ErrorKind::InternalServer);
    assert_eq!(e.message, "VertexAIException - Overloaded");
}

#[test]
fn service_account_jwt_claims_and_signature() {
    let creds = vertex::parse_credentials(&Value::String(fixture("service_account.json"))).unwrap();
    let GoogleCredentials::ServiceAccount(sa) = &creds else { panic!("{creds:?}") };
    assert_eq!(creds.project_id(), Some("litellm-rs-test"));
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let http = vertex::token_request(&creds, CLOUD_PLATFORM_SCOPE, Some("http://127.0.0.1:9/token"), now).unwrap();
    assert_eq!(http.url, "http://127.0.0.1:9/token");
    let f = form(&http.body);
    assert_eq!(f[0], ("grant_type".to_owned(), JWT_BEARER_GRANT.to_owned()));
    let assertion = &f.iter().find(|(k, _)| k == "assertion").unwrap().1;
    let key = jsonwebtoken::DecodingKey::from_rsa_pem(fixture("test_only_public_key.pem").as_bytes()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_audience(&[DEFAULT_TOKEN_URI]);
    let data = jsonwebtoken::decode::<AssertionClaims>(assertion, &key, &validation).unwrap();
    assert_eq!(
        data.claims,
        AssertionClaims {
            iss: sa.client_email.clone(),
            scope: CLOUD_PLATFORM_SCOPE.into(),
            aud: DEFAULT_TOKEN_URI.into(),
            iat: now,
            exp: now + 3600,
        }
    );
    assert_eq!(data.header.kid, sa.private_key_id);
    assert_eq!(data.header.alg, jsonwebtoken::Algorithm::RS256);
    // a different key does not verify it
    let mut tampered = assertion.clone();
    tampered.truncate(tampered.len() - 4);
    tampered.push_str("AAAA");
    assert!(jsonwebtoken::decode::<AssertionClaims>(&tampered, &key, &validation).is_err());
    // the dict form is accepted too
    assert!(matches!(vertex::parse_credentials(&service_account()), Ok(GoogleCredentials::ServiceAccount(_))));
}

// ---------------------------------------------------------------------------------------------
// through the engine, over HTTP
// ---------------------------------------------------------------------------------------------

#[derive(Default)]
struct Seen {
    requests: Vec<(String, String, Vec<u8>)>,
}

/// A local server: `/token` answers `token_answer` (status, body); every other path answers a
/// Gemini text response. Each connection is closed after one answer.
fn server(token_answer: (u16, String)) -> (String, Arc<Mutex<Seen>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Seen::default()));
    let seen2 = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { return };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 8192];
            let (head, body) = loop {
                let n = s.read(&mut chunk).unwrap_or(0);
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
                    if buf.len() >= end + 4 + len || n == 0 {
                        break (text[..end].to_owned(), buf[end + 4..].to_vec());
                    }
                }
                if n == 0 {
                    break (text, Vec::new());
                }
            };
            let path = head.split_whitespace().nth(1).unwrap_or_default().to_owned();
            let (status, answer) = if path.starts_with("/token") {
                token_answer.clone()
            } else {
                (200, json!({"candidates": [{"content": {"role": "model", "parts": [{"text": "Hello from Vertex"}]}, "finishReason": "STOP", "index": 0}],
                    "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 3, "totalTokenCount": 6}, "modelVersion": "gemini-2.5-flash"}).to_string())
            };
            seen2.lock().unwrap().requests.push((path, head, body));
            let _ = write!(
                s,
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{answer}",
                answer.len()
            );
        }
    });
    (url, seen)
}

fn opts(url: &str, creds: Value) -> CallOptions {
    serde_json::from_value(json!({
        "api_base": url, "vertex_credentials": creds, "vertex_project": "proj-e2e", "vertex_location": "europe-west4",
        "vertex_token_url": format!("{url}/token"),
    }))
    .unwrap()
}

#[test]
fn token_is_exchanged_once_and_reused() {
    let (url, seen) =
        server((200, json!({"access_token": "ya29.e2e", "expires_in": 3599, "token_type": "Bearer"}).to_string()));
    // the credentials as a JSON string (a dict arrives as an object; both are accepted)
    let o = opts(&url, Value::String(fixture("service_account.json")));
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    for _ in 0..3 {
        let req =
            request(json!({"model": "vertex_ai/gemini-2.5-flash", "messages": [{"role": "user", "content": "hi"}]}));
        let (resp, hidden) = rt.block_on(litellm_rs::engine::chat(req, &o)).unwrap();
        assert_eq!(resp.choices[0].message.content.as_deref(), Some("Hello from Vertex"));
        assert_eq!(hidden.custom_llm_provider, "vertex_ai");
    }
    let seen = seen.lock().unwrap();
    let tokens: Vec<_> = seen.requests.iter().filter(|(p, _, _)| p == "/token").collect();
    assert_eq!(tokens.len(), 1, "one exchange for three calls");
    let f = form(&tokens[0].2);
    assert_eq!(f[0].1, JWT_BEARER_GRANT);
    let calls: Vec<_> = seen.requests.iter().filter(|(p, _, _)| p != "/token").collect();
    assert_eq!(calls.len(), 3);
    for (path, head, _) in calls {
        assert_eq!(
            path,
            "/v1/projects/proj-e2e/locations/europe-west4/publishers/google/models/gemini-2.5-flash:generateContent"
        );
        assert!(head.to_ascii_lowercase().contains("authorization: bearer ya29.e2e"), "{head}");
    }
}

#[test]
fn a_failed_exchange_is_an_authentication_error_without_the_key() {
    let (url, _seen) =
        server((400, json!({"error": "invalid_grant", "error_description": "Invalid JWT Signature."}).to_string()));
    let o = opts(&url, service_account());
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let req = request(json!({"model": "vertex_ai/gemini-2.5-flash", "messages": [{"role": "user", "content": "hi"}]}));
    let e = rt.block_on(litellm_rs::engine::chat(req, &o)).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Authentication);
    assert!(e.message.contains("invalid_grant: Invalid JWT Signature."), "{}", e.message);
    let pem = fixture("test_only_private_key.pem");
    let secret_line = pem.lines().nth(1).unwrap();
    assert!(!e.message.contains(secret_line) && !format!("{e:?}").contains(secret_line));
    // an access token given as the credentials (or as api_key) is used as the bearer, no exchange
    let (url, seen) = server((500, "{}".into()));
    let o = opts(&url, Value::String("ya29.given".into()));
    let req = request(json!({"model": "vertex_ai/gemini-2.5-flash", "messages": [{"role": "user", "content": "hi"}]}));
    rt.block_on(litellm_rs::engine::chat(req, &o)).unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(seen.requests.len(), 1);
    assert!(seen.requests[0].1.to_ascii_lowercase().contains("authorization: bearer ya29.given"));
}

#[test]
fn authorized_user_credentials_use_the_refresh_token_grant() {
    let creds = vertex::parse_credentials(&json!({
        "type": "authorized_user", "client_id": "cid.apps.googleusercontent.com", "client_secret": "csecret",
        "refresh_token": "1//refresh", "quota_project_id": "quota-proj"
    }))
    .unwrap();
    assert_eq!(creds.project_id(), Some("quota-proj"));
    assert_eq!(creds.token_uri(), DEFAULT_TOKEN_URI);
    let http = vertex::token_request(&creds, CLOUD_PLATFORM_SCOPE, None, 0).unwrap();
    assert_eq!(http.url, DEFAULT_TOKEN_URI);
    let f = form(&http.body);
    let get = |k: &str| f.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    assert_eq!(get("grant_type"), Some("refresh_token"));
    assert_eq!(get("refresh_token"), Some("1//refresh"));
    assert_eq!(get("client_id"), Some("cid.apps.googleusercontent.com"));
    assert!(!format!("{creds:?}").contains("csecret") && !format!("{creds:?}").contains("1//refresh"));
    let (tok, secs) = vertex::parse_token_answer(br#"{"access_token":"ya29.x","expires_in":"120"}"#).unwrap();
    assert_eq!((tok.as_str(), secs), ("ya29.x", 120.0));
    let e = vertex::parse_credentials(&json!({"type": "external_account"})).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Authentication);
}
