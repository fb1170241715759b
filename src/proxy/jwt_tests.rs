//! JWT auth and the role matrix, route by route: tokens signed with a test RSA key whose JWKS a
//! local HTTP server publishes (tests/fixtures/jwt), checked through the app (no sockets for the
//! proxy itself). Every route of the proxy is called by every kind of caller, and the test states
//! which may use it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tower::ServiceExt;

use super::{ProxyConfig, ProxyState, app};

const MASTER: &str = "sk-master-jwt";
const SIGNING: &str = include_str!("../../tests/fixtures/jwt/signing-key.pem");
const OTHER: &str = include_str!("../../tests/fixtures/jwt/other-key.pem");
const JWKS: &str = include_str!("../../tests/fixtures/jwt/jwks.json");
const JWKS_ROTATED: &str = include_str!("../../tests/fixtures/jwt/jwks-rotated.json");
const AUDIENCE: &str = "litellm-proxy";

/// A JWKS endpoint on 127.0.0.1: how many times it was fetched, and a switch to the rotated set.
async fn jwks_server() -> (String, Arc<AtomicUsize>, Arc<AtomicBool>) {
    let fetched = Arc::new(AtomicUsize::new(0));
    let rotated = Arc::new(AtomicBool::new(false));
    let (f, r) = (fetched.clone(), rotated.clone());
    let router = axum::Router::new().route(
        "/.well-known/jwks.json",
        axum::routing::get(move || {
            let (f, r) = (f.clone(), r.clone());
            async move {
                f.fetch_add(1, Ordering::SeqCst);
                let body = if r.load(Ordering::SeqCst) { JWKS_ROTATED } else { JWKS };
                ([("content-type", "application/json")], body)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.ok() });
    (format!("http://{addr}/.well-known/jwks.json"), fetched, rotated)
}

async fn state(jwks_url: &str) -> Arc<ProxyState> {
    let mut config = ProxyConfig {
        model_list: vec![
            // chat is mocked; embeddings go to a closed port (an upstream error, not an auth one)
            json!({"model_name": "gpt", "litellm_params": {"model": "openai/gpt-4o-mini", "mock_response": "hello there",
                   "api_key": "sk-upstream", "api_base": "http://127.0.0.1:9/v1"}}),
        ],
        ..Default::default()
    };
    config.general_settings.insert("master_key".into(), json!(MASTER));
    config.general_settings.insert("database_url".into(), json!("sqlite::memory:"));
    config.general_settings.insert("enable_jwt_auth".into(), json!(true));
    config.general_settings.insert(
        "litellm_jwtauth".into(),
        json!({"public_key_url": jwks_url, "team_id_jwt_field": "team", "user_roles_jwt_field": "realm_access.roles",
               "audience": AUDIENCE}),
    );
    let mut st = ProxyState::new(&config).unwrap();
    st.connect_storage().await.unwrap();
    Arc::new(st)
}

fn sign(claims: Value, kid: &str, pem: &str) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, &claims, &EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap()).unwrap()
}

fn claims(extra: Value) -> Value {
    let now = crate::util::now_secs();
    let mut c = json!({"iss": "https://idp.test", "aud": AUDIENCE, "iat": now, "exp": now + 600});
    if let (Some(m), Value::Object(e)) = (c.as_object_mut(), extra) {
        m.extend(e);
    }
    c
}

async fn call(st: &Arc<ProxyState>, method: &str, uri: &str, key: Option<&str>, body: Value) -> (StatusCode, Value) {
    let mut req = Request::builder().method(method).uri(uri).header("content-type", "application/json");
    if let Some(k) = key {
        req = req.header("authorization", format!("Bearer {k}"));
    }
    let body = if body.is_null() { Body::empty() } else { Body::from(body.to_string()) };
    let resp = app(st.clone()).oneshot(req.body(body).unwrap()).await.unwrap();
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

/// What a route is, for the matrix.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Kind {
    /// Calls a model (POST).
    Llm,
    /// Reads what every caller may read (models, health, metrics).
    Shared,
    /// Reads the proxy's keys, users, teams or spend (GET).
    AdminRead,
    /// Changes keys, users or teams (POST).
    Write,
    /// A caller's own info (GET without an id).
    Own,
    /// Key management a user may do for its own keys (`/key/generate`, `/key/list`, `/key/delete`).
    SelfService,
    /// Needs no key at all.
    Public,
}

fn routes() -> Vec<(&'static str, &'static str, Value, Kind)> {
    let chat = json!({"model": "gpt", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]});
    let msg = json!({"model": "gpt", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]});
    let none = json!({"key": "sk-none"});
    vec![
        ("POST", "/v1/chat/completions", chat.clone(), Kind::Llm),
        ("POST", "/chat/completions", chat.clone(), Kind::Llm),
        ("POST", "/openai/deployments/gpt/chat/completions", chat.clone(), Kind::Llm),
        ("POST", "/v1/completions", json!({"model": "gpt", "prompt": "hi", "max_tokens": 5}), Kind::Llm),
        ("POST", "/completions", json!({"model": "gpt", "prompt": "hi", "max_tokens": 5}), Kind::Llm),
        ("POST", "/v1/embeddings", json!({"model": "gpt", "input": "hi"}), Kind::Llm),
        ("POST", "/embeddings", json!({"model": "gpt", "input": "hi"}), Kind::Llm),
        ("POST", "/v1/messages", msg.clone(), Kind::Llm),
        ("POST", "/messages", msg, Kind::Llm),
        ("POST", "/utils/token_counter", json!({"model": "gpt", "prompt": "hi"}), Kind::Llm),
        ("GET", "/v1/models", Value::Null, Kind::Shared),
        ("GET", "/models", Value::Null, Kind::Shared),
        ("GET", "/v1/models/gpt", Value::Null, Kind::Shared),
        ("GET", "/models/gpt", Value::Null, Kind::Shared),
        ("GET", "/model/info", Value::Null, Kind::Shared),
        ("GET", "/v1/model/info", Value::Null, Kind::Shared),
        ("GET", "/health", Value::Null, Kind::Shared),
        ("GET", "/metrics", Value::Null, Kind::Shared),
        ("GET", "/key/list", Value::Null, Kind::SelfService),
        ("GET", "/key/info?key=sk-none", Value::Null, Kind::AdminRead),
        ("GET", "/spend/logs", Value::Null, Kind::AdminRead),
        ("GET", "/global/spend", Value::Null, Kind::AdminRead),
        ("GET", "/user/daily/activity", Value::Null, Kind::SelfService),
        ("GET", "/team/daily/activity", Value::Null, Kind::AdminRead),
        ("GET", "/tag/daily/activity", Value::Null, Kind::AdminRead),
        ("GET", "/customer/daily/activity", Value::Null, Kind::AdminRead),
        ("GET", "/user/list", Value::Null, Kind::AdminRead),
        ("GET", "/user/info?user_id=nobody", Value::Null, Kind::AdminRead),
        ("GET", "/team/list", Value::Null, Kind::AdminRead),
        ("GET", "/team/info?team_id=nowhere", Value::Null, Kind::AdminRead),
        ("GET", "/key/info", Value::Null, Kind::Own),
        ("POST", "/key/generate", json!({"key_alias": "from-matrix", "models": ["gpt"]}), Kind::SelfService),
        ("POST", "/key/update", json!({"key": "sk-none", "max_budget": 1}), Kind::Write),
        ("POST", "/key/delete", json!({"keys": ["sk-none"]}), Kind::SelfService),
        ("POST", "/key/block", none.clone(), Kind::Write),
        ("POST", "/key/unblock", none.clone(), Kind::Write),
        ("POST", "/key/regenerate", none, Kind::Write),
        ("POST", "/key/sk-none/regenerate", Value::Null, Kind::Write),
        ("POST", "/user/new", json!({"user_id": "matrix-user"}), Kind::Write),
        ("POST", "/user/update", json!({"user_id": "nobody", "max_budget": 1}), Kind::Write),
        ("POST", "/user/delete", json!({"user_ids": ["nobody"]}), Kind::Write),
        ("POST", "/team/new", json!({"team_id": "matrix-team"}), Kind::Write),
        ("POST", "/team/update", json!({"team_id": "nowhere", "max_budget": 1}), Kind::Write),
        ("POST", "/team/delete", json!({"team_ids": ["nowhere"]}), Kind::Write),
        ("POST", "/team/member_add", json!({"team_id": "nowhere", "member": {"user_id": "x"}}), Kind::Write),
        ("POST", "/team/member_delete", json!({"team_id": "nowhere", "user_id": "x"}), Kind::Write),
        ("POST", "/team/block", json!({"team_id": "nowhere"}), Kind::Write),
        ("POST", "/team/unblock", json!({"team_id": "nowhere"}), Kind::Write),
        ("POST", "/customer/new", json!({"user_id": "matrix-customer"}), Kind::Write),
        ("GET", "/customer/info?end_user_id=nobody", Value::Null, Kind::AdminRead),
        ("POST", "/customer/update", json!({"user_id": "nobody", "max_budget": 1}), Kind::Write),
        ("POST", "/customer/delete", json!({"user_ids": ["nobody"]}), Kind::Write),
        ("GET", "/customer/list", Value::Null, Kind::AdminRead),
        ("POST", "/customer/block", json!({"user_ids": ["nobody"]}), Kind::Write),
        ("POST", "/customer/unblock", json!({"user_ids": ["nobody"]}), Kind::Write),
        ("POST", "/budget/new", json!({"max_budget": 1}), Kind::Write),
        ("POST", "/budget/update", json!({"budget_id": "none", "max_budget": 2}), Kind::Write),
        ("POST", "/budget/info", json!({"budgets": ["none"]}), Kind::Write),
        ("POST", "/budget/delete", json!({"id": "none"}), Kind::Write),
        ("GET", "/budget/list", Value::Null, Kind::AdminRead),
        ("GET", "/model_group/info", Value::Null, Kind::Shared),
        ("GET", "/model/info?litellm_model_id=none", Value::Null, Kind::Shared),
        ("POST", "/model/new", json!({"model_name": "m", "litellm_params": {"model": "openai/x"}}), Kind::Write),
        ("POST", "/model/update", json!({"model_id": "none"}), Kind::Write),
        ("POST", "/model/delete", json!({"id": "none"}), Kind::Write),
        ("GET", "/audit/logs", Value::Null, Kind::AdminRead),
        ("GET", "/health/liveliness", Value::Null, Kind::Public),
        ("GET", "/health/readiness", Value::Null, Kind::Public),
        ("GET", "/openapi.json", Value::Null, Kind::Public),
        ("GET", "/ui", Value::Null, Kind::Public),
    ]
}

/// The kinds of caller, and which kinds of route each may use.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Who {
    Master,
    AdminJwt,
    ViewerJwt,
    UserJwt,
    TeamJwt,
    VirtualKey,
    Nobody,
}

fn may(who: Who, kind: Kind, get: bool) -> bool {
    match (who, kind) {
        (_, Kind::Public) => true,
        (Who::Master | Who::AdminJwt, _) => true,
        // a viewer reads: of the self-service routes, only /key/list is a GET
        (Who::ViewerJwt, Kind::SelfService) => get,
        (Who::ViewerJwt, k) => matches!(k, Kind::Shared | Kind::AdminRead | Kind::Own),
        // a user's token manages the user's own keys; a team's token and a key of no user do not
        (Who::UserJwt, k) => matches!(k, Kind::Llm | Kind::Shared | Kind::Own | Kind::SelfService),
        (Who::TeamJwt | Who::VirtualKey, k) => matches!(k, Kind::Llm | Kind::Shared | Kind::Own),
        (Who::Nobody, _) => false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_by_every_role() {
    let (url, fetched, _) = jwks_server().await;
    let st = state(&url).await;
    assert_eq!(
        call(&st, "POST", "/team/new", Some(MASTER), json!({"team_id": "t1", "max_budget": 50})).await.0,
        StatusCode::OK
    );
    // the user's token stands for a user of the proxy (so it may manage its own keys)
    let u1 = json!({"user_id": "u1", "auto_create_key": false});
    assert_eq!(call(&st, "POST", "/user/new", Some(MASTER), u1).await.0, StatusCode::OK);
    let (_, made) = call(&st, "POST", "/key/generate", Some(MASTER), json!({"models": ["gpt"]})).await;
    let virtual_key = made["key"].as_str().unwrap().to_owned();
    let admin = sign(claims(json!({"sub": "root", "scope": "openid litellm_proxy_admin"})), "k1", SIGNING);
    let viewer =
        sign(claims(json!({"sub": "auditor", "realm_access": {"roles": ["proxy_admin_viewer"]}})), "k1", SIGNING);
    let user = sign(claims(json!({"sub": "u1"})), "k1", SIGNING);
    let team = sign(claims(json!({"team": "t1"})), "k1", SIGNING);
    let callers: Vec<(Who, Option<&str>)> = vec![
        (Who::Master, Some(MASTER)),
        (Who::AdminJwt, Some(&admin)),
        (Who::ViewerJwt, Some(&viewer)),
        (Who::UserJwt, Some(&user)),
        (Who::TeamJwt, Some(&team)),
        (Who::VirtualKey, Some(&virtual_key)),
        (Who::Nobody, None),
    ];
    let mut wrong = Vec::new();
    for (method, path, body, kind) in routes() {
        for (who, key) in &callers {
            let (status, v) = call(&st, method, path, *key, body.clone()).await;
            let allowed = !matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN);
            if allowed != may(*who, kind, method == "GET") {
                wrong.push(format!("{who:?} {method} {path}: {status} {v}"));
            }
            if !allowed && matches!(who, Who::ViewerJwt) && kind != Kind::Public {
                assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}: a viewer is known, only not allowed");
            }
        }
    }
    assert!(wrong.is_empty(), "the role matrix is not as stated:\n{}", wrong.join("\n"));
    // the JWKS was fetched once for all these tokens
    assert_eq!(fetched.load(Ordering::SeqCst), 1);
    // a user's and a team's calls are in the ledger under them, and the team's budget took them
    st.flush_spend().await;
    let (_, logs) = call(&st, "GET", "/spend/logs", Some(MASTER), Value::Null).await;
    let rows = logs.as_array().unwrap();
    assert!(rows.iter().any(|r| r["user"] == "u1"), "{logs}");
    assert!(rows.iter().any(|r| r["team_id"] == "t1"), "{logs}");
    let (_, t1) = call(&st, "GET", "/team/info?team_id=t1", Some(MASTER), Value::Null).await;
    assert!(t1["team_info"]["spend"].as_f64().or_else(|| t1["spend"].as_f64()).unwrap_or(0.0) > 0.0, "{t1}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_tokens_are_refused_with_reasons() {
    let (url, fetched, rotated) = jwks_server().await;
    let st = state(&url).await;
    let chat = json!({"model": "gpt", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]});
    let refused = |v: &Value| v["error"]["message"].as_str().unwrap_or_default().to_owned();
    let now = crate::util::now_secs();
    let cases = [
        ("expired", sign(json!({"sub": "u1", "aud": AUDIENCE, "exp": now - 3600}), "k1", SIGNING), "Expired"),
        ("another signer", sign(claims(json!({"sub": "u1"})), "k1", OTHER), "InvalidSignature"),
        (
            "wrong audience",
            sign(json!({"sub": "u1", "aud": "someone-else", "exp": now + 600}), "k1", SIGNING),
            "InvalidAudience",
        ),
        ("no exp", sign(json!({"sub": "u1", "aud": AUDIENCE}), "k1", SIGNING), "exp"),
        (
            "a shared secret",
            jsonwebtoken::encode(
                &Header::new(Algorithm::HS256),
                &claims(json!({"sub": "u1"})),
                &EncodingKey::from_secret(b"guess"),
            )
            .unwrap(),
            "asymmetric",
        ),
        ("an unknown team", sign(claims(json!({"team": "t9"})), "k1", SIGNING), "not a team of this proxy"),
        ("no user nor team", sign(claims(json!({})), "k1", SIGNING), "no user"),
    ];
    for (what, token, says) in &cases {
        let (status, v) = call(&st, "POST", "/v1/chat/completions", Some(token), chat.clone()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}: {v}");
        assert!(refused(&v).contains(says), "{what}: {v}");
    }
    // the identity provider rotates its keys: a token of the new key fetches the set again
    let before = fetched.load(Ordering::SeqCst);
    rotated.store(true, Ordering::SeqCst);
    let new_key = sign(claims(json!({"sub": "u2"})), "k2", OTHER);
    assert_eq!(call(&st, "POST", "/v1/chat/completions", Some(&new_key), chat.clone()).await.0, StatusCode::OK);
    assert_eq!(fetched.load(Ordering::SeqCst), before + 1);
    // an unknown kid does not make the proxy fetch the set on every request
    let unknown = sign(claims(json!({"sub": "u3"})), "k9", SIGNING);
    for _ in 0..5 {
        assert_eq!(
            call(&st, "POST", "/v1/chat/completions", Some(&unknown), chat.clone()).await.0,
            StatusCode::UNAUTHORIZED
        );
    }
    assert!(fetched.load(Ordering::SeqCst) <= before + 2);
}
