//! Virtual keys end to end through the app (no sockets): management routes, what a key may do,
//! budget reservations under concurrency, rate limits, and the spend ledger in SQLite.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use serde_json::{Value, json};
use tower::ServiceExt;

use super::{ProxyConfig, ProxyState, app};

const MASTER: &str = "sk-master-test";

async fn state(db: &str) -> Arc<ProxyState> {
    state_with(
        db,
        vec![
            json!({"model_name": "gpt", "litellm_params": {"model": "openai/gpt-4o-mini", "mock_response": "hello there"}}),
            json!({"model_name": "other", "litellm_params": {"model": "openai/gpt-4o", "mock_response": "hi"}}),
        ],
        &[],
    )
    .await
}

/// A proxy with these deployments and general_settings (besides the master key and database).
async fn state_with(db: &str, models: Vec<Value>, general: &[(&str, Value)]) -> Arc<ProxyState> {
    let mut config = ProxyConfig { model_list: models, ..Default::default() };
    config.general_settings.insert("master_key".into(), json!(MASTER));
    config.general_settings.insert("database_url".into(), json!(db));
    for (k, v) in general {
        config.general_settings.insert((*k).into(), v.clone());
    }
    let mut st = ProxyState::new(&config).unwrap();
    st.connect_storage().await.unwrap();
    Arc::new(st)
}

async fn call(st: &Arc<ProxyState>, method: &str, uri: &str, key: &str, body: Value) -> (StatusCode, Value) {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {key}"));
    let body = if body.is_null() { Body::empty() } else { Body::from(body.to_string()) };
    let resp = app(st.clone()).oneshot(req.body(body).unwrap()).await.unwrap();
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
    let text = String::from_utf8_lossy(&bytes).to_string();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::String(text)))
}

fn chat(model: &str) -> Value {
    json!({"model": model, "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]})
}

async fn new_key(st: &Arc<ProxyState>, settings: Value) -> String {
    let (status, v) = call(st, "POST", "/key/generate", MASTER, settings).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v["key"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn key_lifecycle() {
    let st = state("sqlite::memory:").await;
    let key =
        new_key(&st, json!({"key_alias": "app-1", "models": ["gpt"], "user_id": "u1", "metadata": {"env": "t"}})).await;
    assert!(key.starts_with("sk-") && key.len() == 25);

    let (status, v) = call(&st, "POST", "/v1/chat/completions", &key, chat("gpt")).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["choices"][0]["message"]["content"], "hello there");
    // a model outside the key's list
    let (status, v) = call(&st, "POST", "/v1/chat/completions", &key, chat("other")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(v["error"]["message"].as_str().unwrap().contains("not allowed to access model"), "{v}");
    // management needs the master key; a key reads its own info
    let (status, _) = call(&st, "POST", "/key/generate", &key, json!({})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, own) = call(&st, "GET", "/key/info", &key, Value::Null).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(own["info"]["key_alias"], "app-1");
    assert!(own["info"]["spend"].as_f64().unwrap() > 0.0, "{own}");
    assert_eq!(own["info"]["key_name"], format!("sk-...{}", &key[key.len() - 4..]));

    // block / unblock
    let (status, _) = call(&st, "POST", "/key/block", MASTER, json!({"key": key})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, v) = call(&st, "POST", "/v1/chat/completions", &key, chat("gpt")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(v["error"]["message"].as_str().unwrap().contains("blocked"));
    call(&st, "POST", "/key/unblock", MASTER, json!({"key": key})).await;
    assert_eq!(call(&st, "POST", "/v1/chat/completions", &key, chat("gpt")).await.0, StatusCode::OK);

    // update, then regenerate: same settings and spend, the old key stops working
    let (status, v) = call(&st, "POST", "/key/update", MASTER, json!({"key": key, "models": ["gpt", "other"]})).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(call(&st, "POST", "/v1/chat/completions", &key, chat("other")).await.0, StatusCode::OK);
    let (status, v) = call(&st, "POST", "/key/regenerate", MASTER, json!({"key": key})).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let fresh = v["key"].as_str().unwrap().to_owned();
    assert_ne!(fresh, key);
    assert_eq!(call(&st, "POST", "/v1/chat/completions", &key, chat("gpt")).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(call(&st, "POST", "/v1/chat/completions", &fresh, chat("gpt")).await.0, StatusCode::OK);

    // the list shows hashes, never keys; delete ends the key
    let (_, list) = call(&st, "GET", "/key/list", MASTER, Value::Null).await;
    assert_eq!(list["total_count"], 1);
    assert_eq!(list["keys"][0].as_str().unwrap().len(), 64);
    let (status, v) = call(&st, "POST", "/key/delete", MASTER, json!({"key_aliases": ["app-1"]})).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(call(&st, "POST", "/v1/chat/completions", &fresh, chat("gpt")).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn concurrent_requests_never_overspend_the_budget() {
    let st = state("sqlite::memory:").await;
    // each request reserves (body bytes) x input price + 10 x output price of gpt-4o-mini
    let body = chat("gpt");
    let estimate = body.to_string().len() as f64 * 0.15e-6 + 10.0 * 0.6e-6;
    let budget = estimate * 5.5;
    let key = new_key(&st, json!({"max_budget": budget})).await;
    let mut tasks = Vec::new();
    for _ in 0..40 {
        let (st, key, body) = (st.clone(), key.clone(), body.clone());
        tasks.push(tokio::spawn(async move { call(&st, "POST", "/v1/chat/completions", &key, body).await }));
    }
    let mut ok = 0;
    let mut over = 0;
    for t in tasks {
        let (status, v) = t.await.unwrap();
        match status {
            StatusCode::OK => ok += 1,
            StatusCode::BAD_REQUEST => {
                assert_eq!(v["error"]["type"], "budget_exceeded", "{v}");
                over += 1;
            }
            s => panic!("unexpected {s}: {v}"),
        }
    }
    assert!(ok >= 5 && over > 0, "ok={ok} over={over}");
    let (_, info) = call(&st, "GET", &format!("/key/info?key={key}"), MASTER, Value::Null).await;
    let spend = info["info"]["spend"].as_f64().unwrap();
    assert!(spend > 0.0 && spend <= budget, "spend {spend} > budget {budget}");
    // every admitted request is in the ledger, and its sum is the key's spend
    let (_, logs) = call(&st, "GET", &format!("/spend/logs?api_key={key}"), MASTER, Value::Null).await;
    let rows = logs.as_array().unwrap();
    assert_eq!(rows.len(), ok);
    let total: f64 = rows.iter().map(|r| r["spend"].as_f64().unwrap()).sum();
    assert!((total - spend).abs() < 1e-12, "{total} vs {spend}");
    assert!(rows.iter().all(|r| r["model_group"] == "gpt" && r["total_tokens"].as_i64().unwrap() > 0));
    let (_, global) = call(&st, "GET", "/global/spend", MASTER, Value::Null).await;
    assert!((global["spend"].as_f64().unwrap() - total).abs() < 1e-12);
}

#[tokio::test]
async fn rate_limits_and_expiry() {
    let st = state("sqlite::memory:").await;
    let key = new_key(&st, json!({"rpm_limit": 2})).await;
    assert_eq!(call(&st, "POST", "/v1/chat/completions", &key, chat("gpt")).await.0, StatusCode::OK);
    assert_eq!(call(&st, "POST", "/v1/chat/completions", &key, chat("gpt")).await.0, StatusCode::OK);
    let (status, v) = call(&st, "POST", "/v1/chat/completions", &key, chat("gpt")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(v["error"]["message"].as_str().unwrap().contains("rpm_limit = 2"));
    // bad settings are refused with a message naming them
    let (status, v) = call(&st, "POST", "/key/generate", MASTER, json!({"budget_duration": "soon"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(v["error"]["message"].as_str().unwrap().contains("budget_duration"));
    let (status, _) = call(&st, "POST", "/key/generate", MASTER, json!({"max_budgt": 1})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // an expired key
    let key = new_key(&st, json!({"duration": "1s"})).await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let (status, v) = call(&st, "POST", "/v1/chat/completions", &key, chat("gpt")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(v["error"]["message"].as_str().unwrap().contains("Expired Key"), "{v}");
}

#[tokio::test]
async fn keys_and_spend_survive_a_restart_and_the_key_is_never_stored() {
    let dir = std::env::temp_dir().join(format!("litellm-rs-keys-{}", crate::util::new_id("")));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.join("proxy.db").display());
    let st = state(&url).await;
    let key = new_key(&st, json!({"max_budget": 10.0, "budget_duration": "30d"})).await;
    for _ in 0..3 {
        assert_eq!(call(&st, "POST", "/v1/chat/completions", &key, chat("gpt")).await.0, StatusCode::OK);
    }
    let (_, before) = call(&st, "GET", &format!("/key/info?key={key}"), MASTER, Value::Null).await;
    st.flush_spend().await;
    drop(st);
    let st = state(&url).await;
    let (status, after) = call(&st, "GET", &format!("/key/info?key={key}"), MASTER, Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{after}");
    assert!((after["info"]["spend"].as_f64().unwrap() - before["info"]["spend"].as_f64().unwrap()).abs() < 1e-12);
    assert!(after["info"]["budget_reset_at"].is_string());
    let db = std::fs::read(dir.join("proxy.db")).unwrap_or_default();
    let wal = std::fs::read(dir.join("proxy.db-wal")).unwrap_or_default();
    let needle = key.as_bytes();
    assert!(!db.windows(needle.len()).any(|w| w == needle) && !wal.windows(needle.len()).any(|w| w == needle));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_team_budget_is_shared_by_its_keys_and_never_overspent() {
    let st = state("sqlite::memory:").await;
    let body = chat("gpt");
    let estimate = body.to_string().len() as f64 * 0.15e-6 + 10.0 * 0.6e-6;
    let budget = estimate * 4.5;
    let (status, team) = call(
        &st,
        "POST",
        "/team/new",
        MASTER,
        json!({"team_id": "t1", "team_alias": "Search", "max_budget": budget, "models": ["gpt"]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{team}");
    // a key of a team that does not exist is refused
    let (status, v) = call(&st, "POST", "/key/generate", MASTER, json!({"team_id": "nope"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    let k1 = new_key(&st, json!({"team_id": "t1"})).await;
    let k2 = new_key(&st, json!({"team_id": "t1"})).await;
    let mut tasks = Vec::new();
    for i in 0..24 {
        let (st, key, body) = (st.clone(), if i % 2 == 0 { k1.clone() } else { k2.clone() }, body.clone());
        tasks.push(tokio::spawn(async move { call(&st, "POST", "/v1/chat/completions", &key, body).await }));
    }
    let (mut ok, mut over) = (0, 0);
    for t in tasks {
        let (status, v) = t.await.unwrap();
        if status == StatusCode::OK {
            ok += 1;
        } else {
            assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
            assert!(v["error"]["message"].as_str().unwrap().contains("(team)"), "{v}");
            over += 1;
        }
    }
    assert!(ok >= 4 && over > 0, "ok={ok} over={over}");
    let (_, info) = call(&st, "GET", "/team/info?team_id=t1", MASTER, Value::Null).await;
    let team_spend = info["team_info"]["spend"].as_f64().unwrap();
    assert!(team_spend > 0.0 && team_spend <= budget, "{team_spend} > {budget}");
    let key_spend: f64 = info["keys"].as_array().unwrap().iter().map(|k| k["spend"].as_f64().unwrap()).sum();
    assert!((key_spend - team_spend).abs() < 1e-12);
    assert_eq!(info["team_info"]["team_alias"], "Search");

    // the team's models bound its keys; a blocked team's keys are refused
    call(&st, "POST", "/team/update", MASTER, json!({"team_id": "t1", "max_budget": 100.0})).await;
    let (status, v) = call(&st, "POST", "/v1/chat/completions", &k1, chat("other")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(v["error"]["message"].as_str().unwrap().contains("team not allowed"), "{v}");
    call(&st, "POST", "/team/block", MASTER, json!({"team_id": "t1"})).await;
    assert_eq!(call(&st, "POST", "/v1/chat/completions", &k1, chat("gpt")).await.0, StatusCode::UNAUTHORIZED);
    call(&st, "POST", "/team/unblock", MASTER, json!({"team_id": "t1"})).await;
    assert_eq!(call(&st, "POST", "/v1/chat/completions", &k1, chat("gpt")).await.0, StatusCode::OK);

    // members
    let (status, v) = call(
        &st,
        "POST",
        "/team/member_add",
        MASTER,
        json!({"team_id": "t1", "member": {"user_id": "bob", "role": "admin"}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["members_with_roles"], json!([{"user_id": "bob", "role": "admin"}]));
    let (status, _) =
        call(&st, "POST", "/team/member_delete", MASTER, json!({"team_id": "t1", "user_id": "bob"})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) =
        call(&st, "POST", "/team/member_delete", MASTER, json!({"team_id": "t1", "user_id": "bob"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // deleting the team deletes its keys
    let (status, v) = call(&st, "POST", "/team/delete", MASTER, json!({"team_ids": ["t1"]})).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["deleted_keys"].as_array().unwrap().len(), 2);
    assert_eq!(call(&st, "POST", "/v1/chat/completions", &k2, chat("gpt")).await.0, StatusCode::UNAUTHORIZED);
    let (_, teams) = call(&st, "GET", "/team/list", MASTER, Value::Null).await;
    assert_eq!(teams, json!([]));
}

#[tokio::test]
async fn users_get_a_key_and_their_limits_bound_it() {
    let st = state("sqlite::memory:").await;
    let (status, user) = call(
        &st,
        "POST",
        "/user/new",
        MASTER,
        json!({"user_id": "alice", "user_email": "alice@example.com", "rpm_limit": 2, "max_budget": 1.0}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{user}");
    assert_eq!(
        (user["user_role"].as_str(), user["user_email"].as_str()),
        (Some("internal_user"), Some("alice@example.com"))
    );
    let key = user["key"].as_str().unwrap().to_owned();
    let extra = new_key(&st, json!({"user_id": "alice"})).await;
    assert_eq!(call(&st, "POST", "/v1/chat/completions", &key, chat("gpt")).await.0, StatusCode::OK);
    assert_eq!(call(&st, "POST", "/v1/chat/completions", &extra, chat("gpt")).await.0, StatusCode::OK);
    // the user's rpm counts both keys
    let (status, v) = call(&st, "POST", "/v1/chat/completions", &key, chat("gpt")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(v["error"]["message"].as_str().unwrap().contains("this user"), "{v}");
    let (_, info) = call(&st, "GET", "/user/info?user_id=alice", MASTER, Value::Null).await;
    assert_eq!(info["keys"].as_array().unwrap().len(), 2);
    assert!(info["user_info"]["spend"].as_f64().unwrap() > 0.0);
    // a key reads its own user's info, not another's
    assert_eq!(call(&st, "GET", "/user/info", &key, Value::Null).await.0, StatusCode::OK);
    assert_eq!(call(&st, "GET", "/user/info?user_id=bob", &key, Value::Null).await.0, StatusCode::UNAUTHORIZED);
    let (status, v) = call(&st, "POST", "/user/new", MASTER, json!({"user_id": "x", "user_role": "superuser"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(v["error"]["message"].as_str().unwrap().contains("user_role"));
    let (_, list) = call(&st, "GET", "/user/list", MASTER, Value::Null).await;
    assert_eq!(list["total"], 1);
    let (status, v) = call(&st, "POST", "/user/delete", MASTER, json!({"user_ids": ["alice"]})).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(call(&st, "POST", "/v1/chat/completions", &key, chat("gpt")).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_openapi_document_and_swagger_ui_need_no_key() {
    let st = state("sqlite::memory:").await;
    let get = |uri: &'static str| {
        let st = st.clone();
        async move {
            let resp = app(st).oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
            let status = resp.status();
            let ctype = resp.headers().get("content-type").map(|v| v.to_str().unwrap_or("").to_owned());
            let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
            (status, ctype.unwrap_or_default(), bytes.to_vec())
        }
    };
    let (status, _, body) = get("/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    let doc: Value = serde_json::from_slice(&body).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/v1/chat/completions",
        "/v1/embeddings",
        "/v1/models/{id}",
        "/key/generate",
        "/key/info",
        "/user/new",
        "/team/member_add",
        "/spend/logs",
        "/health/liveliness",
    ] {
        assert!(paths.contains_key(p), "{p} is not documented");
    }
    assert_eq!(
        paths["/key/generate"]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/KeyFields"
    );
    assert!(doc["components"]["schemas"]["KeyFields"]["properties"]["max_budget"].is_object());
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    let (status, ctype, body) = get("/docs/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ctype.starts_with("text/html"), "{ctype}");
    assert!(String::from_utf8_lossy(&body).to_lowercase().contains("swagger"));
}

#[tokio::test]
async fn a_stream_the_client_leaves_is_still_charged() {
    let st = state("sqlite::memory:").await;
    let key = new_key(&st, json!({"max_budget": 10.0})).await;
    let body =
        json!({"model": "gpt", "stream": true, "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]});
    let req = Request::builder()
        .method("POST")
        .uri("/v1/chat/completions")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {key}"))
        .body(Body::from(body.to_string()))
        .unwrap();
    let resp = app(st.clone()).oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    drop(resp); // the client goes away before reading the stream
    let (_, logs) = call(&st, "GET", &format!("/spend/logs?api_key={key}"), MASTER, Value::Null).await;
    let rows = logs.as_array().unwrap();
    assert_eq!(rows.len(), 1, "{logs}");
    assert_eq!(rows[0]["status"], "incomplete");
    let charged = rows[0]["spend"].as_f64().unwrap();
    assert!(charged > 0.0);
    let (_, info) = call(&st, "GET", &format!("/key/info?key={key}"), MASTER, Value::Null).await;
    assert!((info["info"]["spend"].as_f64().unwrap() - charged).abs() < 1e-12);
    // a stream read to its end is charged what it cost
    let (status, _) = call(&st, "POST", "/v1/chat/completions", &key, body).await;
    assert_eq!(status, StatusCode::OK);
    let (_, logs) = call(&st, "GET", &format!("/spend/logs?api_key={key}"), MASTER, Value::Null).await;
    assert!(logs.as_array().unwrap().iter().any(|r| r["status"] == "success"), "{logs}");
}

#[tokio::test]
async fn the_master_keys_calls_are_in_the_ledger_under_its_hash() {
    let st = state("sqlite::memory:").await;
    assert_eq!(call(&st, "POST", "/v1/chat/completions", MASTER, chat("gpt")).await.0, StatusCode::OK);
    let hash = super::keys::hash_key(MASTER);
    let (_, logs) = call(&st, "GET", &format!("/spend/logs?api_key={hash}"), MASTER, Value::Null).await;
    let rows = logs.as_array().unwrap();
    assert_eq!(rows.len(), 1, "{logs}");
    assert!(rows[0]["spend"].as_f64().unwrap() > 0.0);
    let (_, global) = call(&st, "GET", "/global/spend", MASTER, Value::Null).await;
    assert!((global["spend"].as_f64().unwrap() - rows[0]["spend"].as_f64().unwrap()).abs() < 1e-12);
    // the master key itself is stored nowhere
    assert!(!logs.to_string().contains(MASTER));
}

#[tokio::test]
async fn customers_and_budgets_bound_the_requests_that_name_them() {
    let st = state("sqlite::memory:").await;
    let key = new_key(&st, json!({})).await;
    let ask = |user: &str| json!({"model": "gpt", "max_tokens": 10, "user": user, "messages": [{"role": "user", "content": "hi"}]});
    let (status, b) =
        call(&st, "POST", "/budget/new", MASTER, json!({"budget_id": "basic", "rpm_limit": 2, "max_budget": 10})).await;
    assert_eq!(status, StatusCode::OK, "{b}");
    let (status, c) =
        call(&st, "POST", "/customer/new", MASTER, json!({"user_id": "cust-1", "budget_id": "basic", "alias": "Acme"}))
            .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["litellm_budget_table"]["rpm_limit"], 2);
    // the customer's rpm limit, whoever's key carries its requests
    assert_eq!(call(&st, "POST", "/v1/chat/completions", &key, ask("cust-1")).await.0, StatusCode::OK);
    assert_eq!(call(&st, "POST", "/v1/chat/completions", MASTER, ask("cust-1")).await.0, StatusCode::OK);
    let (status, v) = call(&st, "POST", "/v1/chat/completions", &key, ask("cust-1")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("this customer: rpm_limit = 2"), "{v}");
    // another customer, and one the proxy does not know, are not held back
    assert_eq!(call(&st, "POST", "/v1/chat/completions", &key, ask("someone-else")).await.0, StatusCode::OK);
    // the budget's new limits reach its customers
    let (status, _) = call(&st, "POST", "/budget/update", MASTER, json!({"budget_id": "basic", "rpm_limit": 10})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(call(&st, "POST", "/v1/chat/completions", &key, ask("cust-1")).await.0, StatusCode::OK);
    // blocked, then unblocked
    assert_eq!(call(&st, "POST", "/customer/block", MASTER, json!({"user_ids": ["cust-1"]})).await.0, StatusCode::OK);
    let (status, v) = call(&st, "POST", "/v1/chat/completions", &key, ask("cust-1")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(v["error"]["message"].as_str().unwrap().contains("is blocked"), "{v}");
    assert_eq!(call(&st, "POST", "/customer/unblock", MASTER, json!({"user_ids": ["cust-1"]})).await.0, StatusCode::OK);
    // its spend, in the ledger and on the customer
    let (_, info) = call(&st, "GET", "/customer/info?end_user_id=cust-1", MASTER, Value::Null).await;
    assert!(info["spend"].as_f64().unwrap() > 0.0, "{info}");
    assert_eq!(info["alias"], "Acme");
    let (_, logs) = call(&st, "GET", "/spend/logs", MASTER, Value::Null).await;
    let mine: Vec<&Value> = logs.as_array().unwrap().iter().filter(|r| r["end_user"] == "cust-1").collect();
    assert_eq!(mine.len(), 3, "{logs}");
    // a budget in use is not deleted; a customer's own max budget refuses what would pass it
    assert_eq!(call(&st, "POST", "/budget/delete", MASTER, json!({"id": "basic"})).await.0, StatusCode::BAD_REQUEST);
    let (status, _) =
        call(&st, "POST", "/customer/update", MASTER, json!({"user_id": "cust-1", "max_budget": 0.0000001})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, v) = call(&st, "POST", "/v1/chat/completions", &key, ask("cust-1")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(v["error"]["message"].as_str().unwrap().contains("(customer)"), "{v}");
    // listed, and deleted
    let (_, list) = call(&st, "GET", "/customer/list", MASTER, Value::Null).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(call(&st, "POST", "/customer/delete", MASTER, json!({"user_ids": ["cust-1"]})).await.0, StatusCode::OK);
    assert_eq!(call(&st, "POST", "/v1/chat/completions", &key, ask("cust-1")).await.0, StatusCode::OK);
}

async fn state_storing_models(db: &str) -> Arc<ProxyState> {
    state_with(
        db,
        vec![
            json!({"model_name": "gpt", "litellm_params": {"model": "openai/gpt-4o-mini", "mock_response": "hello there"}}),
        ],
        &[("store_model_in_db", json!(true))],
    )
    .await
}

fn said(v: &Value) -> &str {
    v["choices"][0]["message"]["content"].as_str().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn models_added_while_running_are_kept_and_seen_by_every_instance() {
    // without store_model_in_db: refused, saying what to set
    let plain = state("sqlite::memory:").await;
    let new = json!({"model_name": "added", "litellm_params": {"model": "openai/gpt-4o-mini", "mock_response": "from the db"}});
    let (status, v) = call(&plain, "POST", "/model/new", MASTER, new.clone()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(v["error"]["message"].as_str().unwrap().contains("store_model_in_db"), "{v}");

    let dir = std::env::temp_dir().join(format!("litellm-rs-models-{}", crate::util::new_id("")));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.join("proxy.db").display());
    let a = state_storing_models(&url).await;
    let b = state_storing_models(&url).await;
    // a literal credential is never stored
    let literal = json!({"model_name": "x", "litellm_params": {"model": "openai/gpt-4o", "api_key": "sk-live-abc"}});
    let (status, v) = call(&a, "POST", "/model/new", MASTER, literal).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(!v.to_string().contains("sk-live-abc"));
    let (status, made) = call(&a, "POST", "/model/new", MASTER, new).await;
    assert_eq!(status, StatusCode::OK, "{made}");
    let id = made["model_id"].as_str().unwrap().to_owned();
    let (status, v) = call(&a, "POST", "/v1/chat/completions", MASTER, chat("added")).await;
    assert_eq!((status, said(&v)), (StatusCode::OK, "from the db"), "{v}");
    // what the group offers, from the model map
    let (_, g) = call(&a, "GET", "/model_group/info?model_group=added", MASTER, Value::Null).await;
    assert_eq!(g["data"][0]["providers"], json!(["openai"]), "{g}");
    assert!(g["data"][0]["max_input_tokens"].as_u64().unwrap() >= 128_000, "{g}");
    let (_, info) = call(&a, "GET", &format!("/model/info?litellm_model_id={id}"), MASTER, Value::Null).await;
    assert_eq!(info["data"].as_array().unwrap().len(), 1);
    // the other instance (same database) serves it within seconds
    let mut seen = false;
    for _ in 0..80 {
        let (status, v) = call(&b, "POST", "/v1/chat/completions", MASTER, chat("added")).await;
        if status == StatusCode::OK && said(&v) == "from the db" {
            seen = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(seen, "instance b never served the model instance a added");
    // changed on one instance
    let change = json!({"model_id": id, "litellm_params": {"mock_response": "changed"}});
    assert_eq!(call(&b, "POST", "/model/update", MASTER, change).await.0, StatusCode::OK);
    let (_, v) = call(&b, "POST", "/v1/chat/completions", MASTER, chat("added")).await;
    assert_eq!(said(&v), "changed");
    // config.yaml's deployments are managed in config.yaml
    let gpt_id = {
        let (_, all) = call(&a, "GET", "/model/info", MASTER, Value::Null).await;
        all["data"].as_array().unwrap().iter().find(|d| d["model_name"] == "gpt").unwrap()["model_info"]["id"].clone()
    };
    let (status, v) = call(&a, "POST", "/model/delete", MASTER, json!({"id": gpt_id})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(v["error"]["message"].as_str().unwrap().contains("config.yaml"), "{v}");
    // kept across a restart
    drop(a);
    let a = state_storing_models(&url).await;
    let (_, v) = call(&a, "POST", "/v1/chat/completions", MASTER, chat("added")).await;
    assert_eq!(said(&v), "changed", "{v}");
    // deleted
    assert_eq!(call(&a, "POST", "/model/delete", MASTER, json!({"id": id})).await.0, StatusCode::OK);
    let (status, _) = call(&a, "POST", "/v1/chat/completions", MASTER, chat("added")).await;
    assert!(status.is_client_error(), "{status}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_change_is_in_the_audit_log_without_a_key_in_it() {
    let st = state("sqlite::memory:").await;
    let (_, made) = call(&st, "POST", "/key/generate", MASTER, json!({"key_alias": "audited", "max_budget": 3})).await;
    let key = made["key"].as_str().unwrap().to_owned();
    let first_key = key.clone();
    let token = made["token"].as_str().unwrap().to_owned();
    assert_eq!(call(&st, "POST", "/key/block", MASTER, json!({"key": key})).await.0, StatusCode::OK);
    assert_eq!(call(&st, "POST", "/key/update", MASTER, json!({"key": key, "max_budget": 4})).await.0, StatusCode::OK);
    assert_eq!(
        call(&st, "POST", "/user/new", MASTER, json!({"user_id": "audited-user", "auto_create_key": false})).await.0,
        StatusCode::OK
    );
    // a key named in the path is kept as its hash
    let (_, again) = call(&st, "POST", &format!("/key/{key}/regenerate"), MASTER, Value::Null).await;
    let key = again["key"].as_str().unwrap().to_owned();
    // a refused change is not one
    assert_eq!(
        call(&st, "POST", "/key/update", MASTER, json!({"key": "sk-nope", "max_budget": 1})).await.0,
        StatusCode::NOT_FOUND
    );
    // reads are not changes
    call(&st, "GET", "/key/list", MASTER, Value::Null).await;
    let mut logs = Value::Null;
    for _ in 0..50 {
        logs = call(&st, "GET", "/audit/logs", MASTER, Value::Null).await.1;
        if logs.as_array().is_some_and(|a| a.len() >= 5) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let rows = logs.as_array().unwrap();
    let actions: Vec<&str> = rows.iter().map(|r| r["action"].as_str().unwrap()).collect();
    assert_eq!(actions.len(), 5, "{logs}");
    for a in ["/key/generate", "/key/block", "/key/update", "/user/new", "/key/regenerate"] {
        assert!(actions.contains(&a), "{a} missing: {actions:?}");
    }
    assert!(
        rows.iter()
            .all(|r| r["changed_by"] == "proxy_admin" && r["changed_by_api_key"] == super::keys::hash_key(MASTER))
    );
    let update = rows.iter().find(|r| r["action"] == "/key/update").unwrap();
    assert_eq!(update["updated_values"]["max_budget"], 4);
    assert_eq!(update["table_name"], "key");
    // the key's changes by its hash; the key itself is nowhere in the log
    let (_, mine) = call(&st, "GET", &format!("/audit/logs?object_id={token}"), MASTER, Value::Null).await;
    assert_eq!(mine.as_array().unwrap().len(), 4, "{mine}");
    assert!(!logs.to_string().contains(&key) && !logs.to_string().contains(MASTER));
    assert!(!logs.to_string().contains(&first_key), "the regenerated key's old value is not in the log");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crossing_a_soft_budget_alerts_once() {
    // a webhook receiver on 127.0.0.1
    let got = Arc::new(std::sync::Mutex::new(Vec::<Value>::new()));
    let sink = got.clone();
    let receiver = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |axum::Json(v): axum::Json<Value>| {
            let sink = sink.clone();
            async move {
                sink.lock().unwrap().push(v);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, receiver).await.ok() });
    let st = state_with(
        "sqlite::memory:",
        vec![
            json!({"model_name": "gpt", "litellm_params": {"model": "openai/gpt-4o-mini", "mock_response": "hello there"}}),
        ],
        &[("alerting", json!(["webhook"])), ("alerting_args", json!({"webhook_url": url}))],
    )
    .await;
    // one request costs more than the soft budget; the max budget has room for several
    let key = new_key(&st, json!({"key_alias": "alerting", "soft_budget": 0.000001, "max_budget": 1.0})).await;
    for _ in 0..3 {
        assert_eq!(call(&st, "POST", "/v1/chat/completions", &key, chat("gpt")).await.0, StatusCode::OK);
    }
    let mut events = Vec::new();
    for _ in 0..100 {
        events = got.lock().unwrap().clone();
        if !events.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let events_now = got.lock().unwrap().clone();
    assert_eq!(events_now.len(), 1, "{events_now:?}");
    let e = &events[0];
    assert_eq!(e["event"], "soft_budget_crossed");
    assert_eq!(e["event_group"], "key");
    assert_eq!(e["key_alias"], "alerting");
    assert_eq!(e["token"], super::keys::hash_key(&key));
    assert!(e["spend"].as_f64().unwrap() >= 0.000001);
    assert!(!e.to_string().contains(&key), "the key itself is never in an alert");

    // users, teams and customers have soft budgets too: each crossing is told once
    let soft = json!(0.000001);
    let made = |body: Value| call(&st, "POST", "/user/new", MASTER, body);
    assert_eq!(made(json!({"user_id": "ua", "soft_budget": soft, "auto_create_key": false})).await.0, StatusCode::OK);
    let team = json!({"team_id": "ta", "team_alias": "alpha", "soft_budget": soft, "max_budget": 1.0});
    assert_eq!(call(&st, "POST", "/team/new", MASTER, team).await.0, StatusCode::OK);
    let customer = json!({"user_id": "ca", "soft_budget": soft});
    assert_eq!(call(&st, "POST", "/customer/new", MASTER, customer).await.0, StatusCode::OK);
    let (_, info) = call(&st, "GET", "/team/info?team_id=ta", MASTER, Value::Null).await;
    assert_eq!(info["team_info"]["soft_budget"], soft, "{info}");
    let (status, v) = call(&st, "POST", "/user/update", MASTER, json!({"user_id": "ua", "soft_budget": -1})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    let member = new_key(&st, json!({"user_id": "ua", "team_id": "ta"})).await;
    let body = json!({"model": "gpt", "max_tokens": 10, "user": "ca", "messages": [{"role": "user", "content": "hi"}]});
    for _ in 0..2 {
        assert_eq!(call(&st, "POST", "/v1/chat/completions", &member, body.clone()).await.0, StatusCode::OK);
    }
    for _ in 0..100 {
        if got.lock().unwrap().len() >= 4 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let events = got.lock().unwrap().clone();
    let mut groups: Vec<&str> = events[1..].iter().map(|e| e["event_group"].as_str().unwrap()).collect();
    groups.sort_unstable();
    assert_eq!(groups, ["customer", "team", "user"], "{events:?}");
    for e in &events[1..] {
        assert_eq!(e["event"], "soft_budget_crossed", "{e}");
        assert!(e["spend"].as_f64().unwrap() >= 0.000001, "{e}");
    }
    let by = |g: &str| events.iter().find(|e| e["event_group"] == g).unwrap().clone();
    assert_eq!(by("user")["user_id"], "ua");
    assert_eq!(by("team")["team_id"], "ta");
    assert_eq!(by("team")["team_alias"], "alpha");
    assert!(by("team")["event_message"].as_str().unwrap().starts_with("Team alpha crossed its soft budget"));
    assert_eq!(by("customer")["customer_id"], "ca");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_regenerated_key_keeps_the_old_one_working_for_its_grace_period() {
    let st = state("sqlite::memory:").await;
    let first = new_key(&st, json!({"key_alias": "rotating"})).await;
    let (status, v) = call(&st, "POST", "/key/regenerate", MASTER, json!({"key": first, "grace_period": "2s"})).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert!(v["previous_key_valid_until"].is_string());
    let second = v["key"].as_str().unwrap().to_owned();
    // both work, for the one key
    for k in [&first, &second] {
        assert_eq!(call(&st, "POST", "/v1/chat/completions", k, chat("gpt")).await.0, StatusCode::OK);
    }
    // rotated again: the first key leads to the newest one too
    let (_, v) = call(&st, "POST", &format!("/key/{second}/regenerate"), MASTER, json!({"grace_period": "2s"})).await;
    let third = v["key"].as_str().unwrap().to_owned();
    let (_, info) = call(&st, "GET", "/key/info", &first, Value::Null).await;
    assert_eq!(info["key"], super::keys::hash_key(&third), "{info}");
    assert_eq!(info["info"]["key_alias"], "rotating");
    // both calls were the key's (under the hash it had then)
    let (_, logs) = call(&st, "GET", &format!("/spend/logs?api_key={second}"), MASTER, Value::Null).await;
    assert_eq!(logs.as_array().unwrap().len(), 2, "{logs}");
    // after the grace period, only the newest key works
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(call(&st, "POST", "/v1/chat/completions", &first, chat("gpt")).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(call(&st, "POST", "/v1/chat/completions", &second, chat("gpt")).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(call(&st, "POST", "/v1/chat/completions", &third, chat("gpt")).await.0, StatusCode::OK);
    // without a grace period the old key stops at once; a bad one is refused
    let (_, v) = call(&st, "POST", "/key/regenerate", MASTER, json!({"key": third})).await;
    assert_eq!(call(&st, "POST", "/v1/chat/completions", &third, chat("gpt")).await.0, StatusCode::UNAUTHORIZED);
    let fourth = v["key"].as_str().unwrap();
    let (status, _) =
        call(&st, "POST", "/key/regenerate", MASTER, json!({"key": fourth, "grace_period": "soon"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_user_manages_its_own_keys_and_no_one_elses() {
    let st = state("sqlite::memory:").await;
    for (user, role) in [("alice", "internal_user"), ("bob", "internal_user"), ("val", "internal_user_viewer")] {
        let body = json!({"user_id": user, "user_role": role, "auto_create_key": false});
        let (status, v) = call(&st, "POST", "/user/new", MASTER, body).await;
        assert_eq!(status, StatusCode::OK, "{v}");
    }
    assert_eq!(
        call(
            &st,
            "POST",
            "/team/new",
            MASTER,
            json!({"team_id": "t-alice", "members_with_roles": [{"user_id": "alice"}]})
        )
        .await
        .0,
        StatusCode::OK
    );
    assert_eq!(call(&st, "POST", "/team/new", MASTER, json!({"team_id": "t-other"})).await.0, StatusCode::OK);
    let alice = new_key(&st, json!({"user_id": "alice"})).await;
    let bob = new_key(&st, json!({"user_id": "bob"})).await;
    let val = new_key(&st, json!({"user_id": "val"})).await;
    let nobody = new_key(&st, json!({})).await;
    // alice makes keys for herself (also in her team), never for bob or another team
    let (status, made) =
        call(&st, "POST", "/key/generate", &alice, json!({"key_alias": "alice-2", "team_id": "t-alice"})).await;
    assert_eq!(status, StatusCode::OK, "{made}");
    assert_eq!(made["user_id"], "alice");
    let alice2 = made["key"].as_str().unwrap().to_owned();
    assert_eq!(call(&st, "POST", "/key/generate", &alice, json!({"user_id": "bob"})).await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        call(&st, "POST", "/key/generate", &alice, json!({"team_id": "t-other"})).await.0,
        StatusCode::FORBIDDEN
    );
    // she lists only hers
    let (_, listed) = call(&st, "GET", "/key/list", &alice, Value::Null).await;
    assert_eq!(listed["keys"].as_array().unwrap().len(), 2, "{listed}");
    assert_eq!(call(&st, "GET", "/key/list?user_id=bob", &alice, Value::Null).await.0, StatusCode::FORBIDDEN);
    // and deletes only hers
    assert_eq!(call(&st, "POST", "/key/delete", &alice, json!({"keys": [bob]})).await.0, StatusCode::FORBIDDEN);
    assert_eq!(call(&st, "POST", "/key/delete", &alice, json!({"keys": [alice2]})).await.0, StatusCode::OK);
    assert_eq!(call(&st, "POST", "/v1/chat/completions", &bob, chat("gpt")).await.0, StatusCode::OK);
    // a viewer user reads its keys only; a key of no user manages nothing; admin routes stay admin's
    assert_eq!(call(&st, "GET", "/key/list", &val, Value::Null).await.0, StatusCode::OK);
    assert_eq!(call(&st, "POST", "/key/generate", &val, json!({})).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(call(&st, "POST", "/key/generate", &nobody, json!({})).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        call(&st, "POST", "/key/update", &alice, json!({"key": alice, "max_budget": 1000})).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        call(&st, "POST", "/user/update", &alice, json!({"user_id": "alice", "user_role": "proxy_admin"})).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn daily_activity_per_user_team_tag_and_customer() {
    let st = state_with(
        "sqlite::memory:",
        vec![
            json!({"model_name": "gpt", "litellm_params": {"model": "openai/gpt-4o-mini", "mock_response": "hello there"}}),
            json!({"model_name": "other", "litellm_params": {"model": "openai/gpt-4o", "mock_response": "hi"}}),
            json!({"model_name": "broken", "litellm_params": {"model": "openai/gpt-4o", "mock_response": "litellm.BadRequestError"}}),
        ],
        &[],
    )
    .await;
    let made = call(&st, "POST", "/user/new", MASTER, json!({"user_id": "u1", "auto_create_key": false})).await;
    assert_eq!(made.0, StatusCode::OK, "{}", made.1);
    assert_eq!(call(&st, "POST", "/team/new", MASTER, json!({"team_id": "t1"})).await.0, StatusCode::OK);
    let key = new_key(&st, json!({"key_alias": "analytics", "user_id": "u1", "team_id": "t1"})).await;
    let tagged = json!({"model": "gpt", "max_tokens": 10, "user": "cust-1", "metadata": {"tags": ["proj-a"]},
                        "messages": [{"role": "user", "content": "hi"}]});
    for _ in 0..2 {
        assert_eq!(call(&st, "POST", "/v1/chat/completions", &key, tagged.clone()).await.0, StatusCode::OK);
    }
    assert_eq!(call(&st, "POST", "/v1/chat/completions", &key, chat("other")).await.0, StatusCode::OK);
    assert_eq!(call(&st, "POST", "/v1/chat/completions", &key, chat("broken")).await.0, StatusCode::BAD_REQUEST);
    let (_, info) = call(&st, "GET", &format!("/key/info?key={key}"), MASTER, Value::Null).await;
    let spend = info["info"]["spend"].as_f64().unwrap();
    assert!(spend > 0.0, "{info}");

    let (status, user) = call(&st, "GET", "/user/daily/activity?user_id=u1", MASTER, Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{user}");
    let days = user["results"].as_array().unwrap();
    assert_eq!(days.len(), 1, "{user}");
    let today = &days[0];
    assert_eq!(today["date"], crate::proxy::keys::day(crate::util::now_secs() as i64));
    assert_eq!(today["metrics"]["api_requests"], 4, "{today}");
    assert_eq!(today["metrics"]["successful_requests"], 3);
    assert_eq!(today["metrics"]["failed_requests"], 1);
    assert!((today["metrics"]["spend"].as_f64().unwrap() - spend).abs() < 1e-12, "{today} vs {spend}");
    let models = today["breakdown"]["models"].as_object().unwrap();
    assert_eq!(models["openai/gpt-4o-mini"]["metrics"]["api_requests"], 2, "{today}");
    assert_eq!(models["openai/gpt-4o"]["metrics"]["api_requests"], 1, "{today}");
    assert_eq!(models["broken"]["metrics"]["failed_requests"], 1, "{today}");
    assert_eq!(today["breakdown"]["providers"]["openai"]["metrics"]["api_requests"], 3, "{today}");
    let groups = today["breakdown"]["model_groups"].as_object().unwrap();
    assert_eq!(groups["gpt"]["metrics"]["api_requests"], 2, "{today}");
    let keys = today["breakdown"]["api_keys"].as_object().unwrap();
    assert_eq!(keys.len(), 1);
    let (hash, k) = keys.iter().next().unwrap();
    assert_eq!(hash, &crate::proxy::keys::hash_key(&key));
    assert_eq!(k["metadata"]["key_alias"], "analytics");
    assert_eq!(k["metadata"]["team_id"], "t1");
    assert_eq!(user["metadata"]["total_api_requests"], 4);
    assert_eq!(user["metadata"]["total_pages"], 1);
    assert_eq!(user["metadata"]["has_more"], false);

    let (_, team) = call(&st, "GET", "/team/daily/activity?team_ids=t1", MASTER, Value::Null).await;
    assert_eq!(team["metadata"]["total_api_requests"], 4, "{team}");
    assert!(team["results"][0]["breakdown"]["entities"]["t1"].is_object(), "{team}");
    let (_, tag) = call(&st, "GET", "/tag/daily/activity?tags=proj-a", MASTER, Value::Null).await;
    assert_eq!(tag["metadata"]["total_api_requests"], 2, "{tag}");
    assert_eq!(tag["results"][0]["breakdown"]["entities"]["proj-a"]["metrics"]["successful_requests"], 2);
    let (_, customer) = call(&st, "GET", "/customer/daily/activity", MASTER, Value::Null).await;
    assert_eq!(customer["results"][0]["breakdown"]["entities"]["cust-1"]["metrics"]["api_requests"], 2, "{customer}");
    // only the model asked for, and nothing before the first request
    let (_, one) = call(&st, "GET", "/user/daily/activity?model=openai/gpt-4o", MASTER, Value::Null).await;
    assert_eq!(one["metadata"]["total_api_requests"], 1, "{one}");
    let (_, later) =
        call(&st, "GET", "/user/daily/activity?start_date=2999-01-01&end_date=2999-01-31", MASTER, Value::Null).await;
    assert_eq!(later["results"], json!([]));
    assert_eq!(later["metadata"]["total_spend"], 0.0);
    let (status, v) = call(&st, "GET", "/user/daily/activity?start_date=soon", MASTER, Value::Null).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");

    // a user's key sees its own user's activity (whatever it asks for); a key of no user nothing
    let (status, own) = call(&st, "GET", "/user/daily/activity?user_id=someone-else", &key, Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{own}");
    assert_eq!(own["metadata"]["total_api_requests"], 4, "{own}");
    let loner = new_key(&st, json!({})).await;
    assert_eq!(call(&st, "GET", "/user/daily/activity", &loner, Value::Null).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(call(&st, "GET", "/team/daily/activity", &key, Value::Null).await.0, StatusCode::UNAUTHORIZED);
    // the failed request is in the spend logs too, at no cost
    let (_, logs) = call(&st, "GET", &format!("/spend/logs?api_key={key}"), MASTER, Value::Null).await;
    let failed: Vec<&Value> = logs.as_array().unwrap().iter().filter(|r| r["status"] == "failure").collect();
    assert_eq!(failed.len(), 1, "{logs}");
    assert_eq!(failed[0]["spend"], 0.0);
}

#[tokio::test]
async fn tpm_limits_and_budget_periods_through_the_routes() {
    let st = state("sqlite::memory:").await;
    // tokens per minute: the first request's tokens use up a small limit (away from a minute's end)
    let second = crate::util::now_secs() % 60;
    if second > 55 {
        tokio::time::sleep(std::time::Duration::from_secs(61 - second)).await;
    }
    let key = new_key(&st, json!({"tpm_limit": 5})).await;
    let (status, v) = call(&st, "POST", "/v1/chat/completions", &key, chat("gpt")).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert!(v["usage"]["total_tokens"].as_i64().unwrap() >= 5, "{v}");
    let (status, v) = call(&st, "POST", "/v1/chat/completions", &key, chat("gpt")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("tpm_limit = 5"), "{v}");

    // a budget with a period: refused when spent, admitted again once the period is over
    let body = chat("gpt");
    let estimate = body.to_string().len() as f64 * 0.15e-6 + 10.0 * 0.6e-6;
    let key = new_key(&st, json!({"max_budget": estimate * 1.05, "budget_duration": "2s"})).await;
    assert_eq!(call(&st, "POST", "/v1/chat/completions", &key, body.clone()).await.0, StatusCode::OK);
    let (status, v) = call(&st, "POST", "/v1/chat/completions", &key, body.clone()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["type"], "budget_exceeded");
    let (_, before) = call(&st, "GET", &format!("/key/info?key={key}"), MASTER, Value::Null).await;
    let spent = before["info"]["spend"].as_f64().unwrap();
    assert!(spent > 0.0, "{before}");
    tokio::time::sleep(std::time::Duration::from_millis(2200)).await;
    let (status, v) = call(&st, "POST", "/v1/chat/completions", &key, body.clone()).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    st.flush_spend().await;
    let (_, after) = call(&st, "GET", &format!("/key/info?key={key}"), MASTER, Value::Null).await;
    // the new period holds the one request since the reset
    assert!((after["info"]["spend"].as_f64().unwrap() - spent).abs() < 1e-12, "{before} -> {after}");
    assert_ne!(after["info"]["budget_reset_at"], before["info"]["budget_reset_at"]);
}

#[tokio::test]
async fn without_spend_logs_the_rollups_and_spend_are_still_kept() {
    let st = state_with(
        "sqlite::memory:",
        vec![
            json!({"model_name": "gpt", "litellm_params": {"model": "openai/gpt-4o-mini", "mock_response": "hello there"}}),
        ],
        &[("disable_spend_logs", json!(true))],
    )
    .await;
    assert_eq!(
        call(&st, "POST", "/user/new", MASTER, json!({"user_id": "quiet", "auto_create_key": false})).await.0,
        StatusCode::OK
    );
    let key = new_key(&st, json!({"user_id": "quiet"})).await;
    for _ in 0..2 {
        assert_eq!(call(&st, "POST", "/v1/chat/completions", &key, chat("gpt")).await.0, StatusCode::OK);
    }
    let (_, logs) = call(&st, "GET", "/spend/logs", MASTER, Value::Null).await;
    assert_eq!(logs, json!([]));
    let (_, info) = call(&st, "GET", &format!("/key/info?key={key}"), MASTER, Value::Null).await;
    let spend = info["info"]["spend"].as_f64().unwrap();
    assert!(spend > 0.0, "{info}");
    let (_, global) = call(&st, "GET", "/global/spend", MASTER, Value::Null).await;
    assert!((global["spend"].as_f64().unwrap() - spend).abs() < 1e-12, "{global}");
    let (_, days) = call(&st, "GET", "/user/daily/activity?user_id=quiet", MASTER, Value::Null).await;
    assert_eq!(days["metadata"]["total_api_requests"], 2, "{days}");
}

#[tokio::test]
async fn a_request_reserves_for_the_fallbacks_it_names() {
    let st = state("sqlite::memory:").await;
    let body = chat("gpt");
    // room for gpt-4o-mini's reservation, not for gpt-4o's (the "other" group)
    let estimate = body.to_string().len() as f64 * 0.15e-6 + 10.0 * 0.6e-6;
    let key = new_key(&st, json!({"max_budget": estimate * 1.5})).await;
    let mut with_fallback = body.clone();
    with_fallback["fallbacks"] = json!(["other"]);
    let (status, v) = call(&st, "POST", "/v1/chat/completions", &key, with_fallback).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["type"], "budget_exceeded", "{v}");
    assert_eq!(call(&st, "POST", "/v1/chat/completions", &key, body).await.0, StatusCode::OK);
}
