//! Routing decisions with canned answers (`mock_response`); the HTTP paths are tested from
//! Python against a local mock server.

use serde_json::{Value, json};

use super::*;

fn dep(name: &str, id: &str, extra: Value) -> Value {
    let mut params = json!({"model": "openai/gpt-4o-mini", "mock_response": format!("from {id}")});
    if let (Value::Object(p), Value::Object(e)) = (&mut params, extra) {
        p.extend(e);
    }
    json!({"model_name": name, "litellm_params": params, "model_info": {"id": id}})
}

fn router(list: Vec<Value>, settings: Value) -> Router {
    Router::new(&list, serde_json::from_value(settings).unwrap()).unwrap()
}

fn req(model: &str) -> ChatRequest {
    serde_json::from_value(json!({"model": model, "messages": [{"role": "user", "content": "hi"}]})).unwrap()
}

async fn chat(r: &Router, model: &str, call: Value) -> Result<(ChatResponse, Hidden), LlmError> {
    let maps = CallMaps { call: call.as_object().cloned().unwrap_or_default(), defaults: Map::new() };
    r.route(req(model), maps, |q, o| async move { crate::engine::chat(q, &o).await }).await
}

fn text(resp: &ChatResponse) -> &str {
    resp.choices[0].message.content.as_deref().unwrap_or_default()
}

#[tokio::test]
async fn answers_carry_the_deployment_and_group() {
    let r = router(vec![dep("gpt", "a", json!({}))], json!({}));
    let (resp, hidden) = chat(&r, "gpt", json!({})).await.unwrap();
    assert_eq!(text(&resp), "from a");
    assert_eq!(hidden.model_id.as_deref(), Some("a"));
    assert_eq!(hidden.model_group.as_deref(), Some("gpt"));
    let e = chat(&r, "nope", json!({})).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadRequest);
    assert!(e.message.contains("model=nope"), "{}", e.message);
}

#[tokio::test]
async fn weights_split_the_traffic() {
    let r = router(vec![dep("g", "heavy", json!({"weight": 9})), dep("g", "light", json!({"weight": 1}))], json!({}));
    let mut heavy = 0;
    for _ in 0..400 {
        if chat(&r, "g", json!({})).await.unwrap().1.model_id.as_deref() == Some("heavy") {
            heavy += 1;
        }
    }
    assert!((320..=395).contains(&heavy), "heavy got {heavy} of 400");
}

#[tokio::test]
async fn round_robin_takes_turns() {
    let r = router(
        vec![dep("g", "a", json!({})), dep("g", "b", json!({})), dep("g", "c", json!({}))],
        json!({"routing_strategy": "round-robin"}),
    );
    let mut ids = Vec::new();
    for _ in 0..6 {
        ids.push(chat(&r, "g", json!({})).await.unwrap().1.model_id.unwrap());
    }
    assert_eq!(ids, ["a", "b", "c", "a", "b", "c"]);
}

#[tokio::test]
async fn weighted_round_robin_is_smooth() {
    let r = router(
        vec![dep("g", "a", json!({"weight": 2})), dep("g", "b", json!({"weight": 1}))],
        json!({"routing_strategy": "weighted-round-robin"}),
    );
    let mut ids = Vec::new();
    for _ in 0..6 {
        ids.push(chat(&r, "g", json!({})).await.unwrap().1.model_id.unwrap());
    }
    assert_eq!(ids, ["a", "b", "a", "a", "b", "a"]);
}

#[tokio::test]
async fn consistent_hashing_keeps_a_user_on_one_deployment() {
    let list: Vec<Value> = (0..5).map(|i| dep("g", &format!("d{i}"), json!({}))).collect();
    let r = router(list, json!({"routing_strategy": "consistent-hashing"}));
    let mut seen = std::collections::HashSet::new();
    for user in ["alice", "bob", "carol", "dave", "erin", "frank"] {
        let first = chat(&r, "g", json!({"metadata": {}})).await.unwrap().1.model_id;
        let _ = first;
        let pick = |r: &Router| {
            r.available_deployment("g", &CallMaps::default(), 0, Some(user)).unwrap()["model_info"]["id"].clone()
        };
        let one = pick(&r);
        for _ in 0..5 {
            assert_eq!(pick(&r), one, "{user} moved");
        }
        seen.insert(one.to_string());
    }
    assert!(seen.len() > 1, "every user landed on one deployment");
}

#[tokio::test]
async fn cost_based_picks_the_cheapest() {
    let r = router(
        vec![
            json!({"model_name": "g", "litellm_params": {"model": "openai/gpt-4o", "mock_response": "x"}, "model_info": {"id": "dear"}}),
            json!({"model_name": "g", "litellm_params": {"model": "openai/gpt-4o-mini", "mock_response": "x"}, "model_info": {"id": "cheap"}}),
        ],
        json!({"routing_strategy": "cost-based-routing"}),
    );
    for _ in 0..5 {
        assert_eq!(chat(&r, "g", json!({})).await.unwrap().1.model_id.as_deref(), Some("cheap"));
    }
}

#[tokio::test]
async fn usage_based_respects_rpm() {
    let r = router(
        vec![dep("g", "a", json!({"rpm": 2})), dep("g", "b", json!({"rpm": 3}))],
        json!({"routing_strategy": "usage-based-routing-v2", "num_retries": 0}),
    );
    let mut n = std::collections::HashMap::new();
    for _ in 0..5 {
        *n.entry(chat(&r, "g", json!({})).await.unwrap().1.model_id.unwrap()).or_insert(0) += 1;
    }
    assert_eq!((n["a"], n["b"]), (2, 3));
    let e = chat(&r, "g", json!({})).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::RateLimit);
    assert!(e.message.contains("No deployments available"), "{}", e.message);
}

#[tokio::test]
async fn retries_move_to_another_deployment_and_failures_cool_it_down() {
    let r = router(
        vec![dep("g", "bad", json!({"mock_response": "litellm.InternalServerError"})), dep("g", "good", json!({}))],
        json!({"routing_strategy": "round-robin", "allowed_fails": 1, "cooldown_time": 30}),
    );
    // first pick is "bad": it fails and the retry goes to "good" at once
    let (resp, hidden) = chat(&r, "g", json!({})).await.unwrap();
    assert_eq!((text(&resp), hidden.model_id.as_deref()), ("from good", Some("good")));
    let _ = chat(&r, "g", json!({})).await.unwrap(); // "good" again (round-robin's turn)
    let _ = chat(&r, "g", json!({})).await.unwrap(); // "bad" fails a second time: > allowed_fails
    let stats = r.stats();
    let bad = stats.iter().find(|s| s["model_id"] == "bad").unwrap();
    assert_eq!(bad["failures"], 2);
    assert!(bad["cooldown_remaining_s"].as_f64().unwrap() > 29.0, "{bad}");
    for _ in 0..4 {
        assert_eq!(chat(&r, "g", json!({})).await.unwrap().1.model_id.as_deref(), Some("good"));
    }
}

#[tokio::test]
async fn a_429_cools_a_deployment_at_once_when_it_has_siblings() {
    let r = router(
        vec![dep("g", "limited", json!({"mock_response": "litellm.RateLimitError"})), dep("g", "ok", json!({}))],
        json!({"routing_strategy": "round-robin", "num_retries": 0}),
    );
    let e = chat(&r, "g", json!({})).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::RateLimit);
    for _ in 0..3 {
        assert_eq!(chat(&r, "g", json!({})).await.unwrap().1.model_id.as_deref(), Some("ok"));
    }
}

#[tokio::test]
async fn a_single_deployment_group_is_cooled_after_allowed_fails_and_fallbacks_take_over() {
    // litellm never cools a group's only deployment (#40405): every call pays for the failure
    let r = router(
        vec![
            dep("primary", "p", json!({"mock_response": "litellm.InternalServerError"})),
            dep("backup", "b", json!({})),
        ],
        json!({"num_retries": 0, "allowed_fails": 1, "fallbacks": [{"primary": ["backup"]}]}),
    );
    for _ in 0..2 {
        assert_eq!(chat(&r, "primary", json!({})).await.unwrap().1.model_id.as_deref(), Some("b"));
    }
    let p = r.stats().into_iter().find(|s| s["model_id"] == "p").unwrap();
    assert_eq!(p["failures"], 2);
    assert!(p["cooldown_remaining_s"].as_f64().unwrap() > 0.0);
    // while cooling, the primary is not even tried
    assert_eq!(chat(&r, "primary", json!({})).await.unwrap().1.model_id.as_deref(), Some("b"));
    assert_eq!(r.stats().into_iter().find(|s| s["model_id"] == "p").unwrap()["requests"], 2);
}

#[tokio::test]
async fn fallbacks_follow_the_error() {
    let r = router(
        vec![
            dep("small", "s", json!({"mock_response": "litellm.ContextWindowExceededError"})),
            dep("big", "b", json!({})),
            dep("other", "o", json!({})),
        ],
        json!({"context_window_fallbacks": [{"small": ["big"]}], "fallbacks": [{"small": ["other"]}]}),
    );
    let (_, h) = chat(&r, "small", json!({})).await.unwrap();
    assert_eq!(h.model_id.as_deref(), Some("b"));
    // a caller's error is not the deployment's fault
    let s = r.stats().into_iter().find(|s| s["model_id"] == "s").unwrap();
    assert_eq!(s["cooldown_remaining_s"], 0.0);
    // per call fallbacks replace the configured ones; mock_testing_fallbacks fails the primary
    let (_, h) = chat(&r, "big", json!({"mock_testing_fallbacks": true, "fallbacks": ["other"]})).await.unwrap();
    assert_eq!(h.model_id.as_deref(), Some("o"));
}

#[tokio::test]
async fn retry_policy_sets_retries_per_error() {
    let r = router(
        vec![dep("g", "a", json!({"mock_response": "litellm.BadRequestError"}))],
        json!({"retry_policy": {"BadRequestErrorRetries": 2}, "retry_after": 0, "disable_cooldowns": true}),
    );
    let e = chat(&r, "g", json!({})).await.unwrap_err();
    assert_eq!((e.kind, e.num_retries), (ErrorKind::BadRequest, 2));
    let r = router(vec![dep("g", "a", json!({"mock_response": "litellm.BadRequestError"}))], json!({}));
    assert_eq!(chat(&r, "g", json!({})).await.unwrap_err().num_retries, 0);
}

#[tokio::test]
async fn aliases_wildcards_and_ids_route() {
    let r = router(
        vec![
            dep("gpt", "a", json!({})),
            json!({"model_name": "openai/*", "litellm_params": {"model": "openai/*", "mock_response": "wild"}, "model_info": {"id": "w"}}),
        ],
        json!({"model_group_alias": {"chat": "gpt", "hidden": {"model": "gpt", "hidden": true}}}),
    );
    assert_eq!(chat(&r, "chat", json!({})).await.unwrap().1.model_id.as_deref(), Some("a"));
    assert_eq!(chat(&r, "hidden", json!({})).await.unwrap().1.model_id.as_deref(), Some("a"));
    let (resp, h) = chat(&r, "openai/gpt-4.1-nano", json!({})).await.unwrap();
    assert_eq!((h.model_id.as_deref(), resp.model.as_str()), (Some("w"), "openai/gpt-4.1-nano"));
    assert_eq!(chat(&r, "a", json!({})).await.unwrap().1.model_id.as_deref(), Some("a"));
}

#[tokio::test]
async fn pre_call_checks_drop_small_context_windows() {
    let r = router(
        vec![
            json!({"model_name": "g", "litellm_params": {"model": "openai/gpt-4o", "mock_response": "x"}, "model_info": {"id": "small", "max_input_tokens": 10}}),
            json!({"model_name": "g", "litellm_params": {"model": "openai/gpt-4o", "mock_response": "x"}, "model_info": {"id": "large"}}),
        ],
        json!({"enable_pre_call_checks": true}),
    );
    let long = "word ".repeat(200);
    for _ in 0..5 {
        let maps = CallMaps::default();
        let q: ChatRequest =
            serde_json::from_value(json!({"model": "g", "messages": [{"role": "user", "content": long}]})).unwrap();
        let (_, h) = r.route(q, maps, |q, o| async move { crate::engine::chat(q, &o).await }).await.unwrap();
        assert_eq!(h.model_id.as_deref(), Some("large"));
    }
}

#[tokio::test]
async fn tags_filter_deployments() {
    let r = router(
        vec![
            dep("g", "eu", json!({"tags": ["eu"]})),
            dep("g", "us", json!({"tags": ["us"]})),
            dep("g", "any", json!({"tags": ["default"]})),
        ],
        json!({"enable_tag_filtering": true}),
    );
    for _ in 0..5 {
        assert_eq!(chat(&r, "g", json!({"tags": ["eu"]})).await.unwrap().1.model_id.as_deref(), Some("eu"));
        assert_eq!(
            chat(&r, "g", json!({"metadata": {"tags": ["us"]}})).await.unwrap().1.model_id.as_deref(),
            Some("us")
        );
        assert_eq!(chat(&r, "g", json!({})).await.unwrap().1.model_id.as_deref(), Some("any"));
        assert_eq!(chat(&r, "g", json!({"tags": ["asia"]})).await.unwrap().1.model_id.as_deref(), Some("any"));
    }
}

#[tokio::test]
async fn a_failing_canary_is_rolled_back() {
    let r = router(
        vec![
            dep("g", "stable", json!({"weight": 1})),
            json!({"model_name": "g", "litellm_params": {"model": "openai/x", "mock_response": "litellm.ServiceUnavailableError", "weight": 1},
                   "model_info": {"id": "canary", "canary": true}}),
        ],
        json!({"canary_rollback": {"max_error_rate": 0.5, "min_requests": 3}, "disable_cooldowns": true, "num_retries": 1}),
    );
    for _ in 0..30 {
        let _ = chat(&r, "g", json!({})).await.unwrap();
    }
    let canary = r.stats().into_iter().find(|s| s["model_id"] == "canary").unwrap();
    assert_eq!(canary["rolled_back"], true);
    assert_eq!(canary["requests"], 3);
}

#[tokio::test]
async fn deployment_defaults_and_call_options_layer() {
    let r = router(
        vec![
            json!({"model_name": "g", "litellm_params": {"model": "openai/gpt-4o-mini", "mock_response": "dep", "temperature": 0.3}, "model_info": {"id": "a"}}),
        ],
        json!({}),
    );
    // the call's own mock_response wins over the deployment's
    let (resp, _) = chat(&r, "g", json!({"mock_response": "call"})).await.unwrap();
    assert_eq!(text(&resp), "call");
    let q = req("g").with_defaults(&r.table.read().unwrap().list[0].body).unwrap();
    assert_eq!(q.temperature, Some(json!(0.3)));
}

#[tokio::test]
async fn model_list_changes_keep_live_state() {
    let r = router(vec![dep("g", "a", json!({})), dep("g", "b", json!({}))], json!({}));
    let _ = chat(&r, "g", json!({})).await.unwrap();
    let (replaced, id) = r.upsert_deployment(&dep("g", "a", json!({"weight": 5}))).unwrap();
    assert!(replaced && id == "a");
    assert_eq!(r.add_deployment(&dep("g", "a", json!({}))).unwrap(), None);
    assert!(r.delete_deployment("b").is_some());
    assert_eq!(r.model_list(None).len(), 1);
    let total: u64 = r.stats().iter().map(|s| s["requests"].as_u64().unwrap()).sum();
    assert!(total <= 1);
    assert_eq!(r.model_names(), ["g"]);
}

#[tokio::test]
async fn a_deployments_model_info_prices_its_calls_and_bounds_include_fallbacks() {
    // an Azure deployment whose name the model map does not know, priced by model_info.base_model
    let azure = json!({"model_name": "azure-gpt", "litellm_params": {
        "model": "azure/my-company-deployment", "api_base": "http://127.0.0.1:9", "api_key": "k",
        "api_version": "2024-06-01", "mock_response": "priced"},
        "model_info": {"id": "az", "base_model": "azure/gpt-4o"}});
    let r = router(
        vec![azure, dep("cheap", "c", json!({})), dep("pricey", "p", json!({"model": "openai/o1"}))],
        json!({"fallbacks": [{"cheap": ["pricey"]}]}),
    );
    let (resp, hidden) = chat(&r, "azure-gpt", json!({})).await.unwrap();
    let cost = hidden.response_cost.expect("priced by model_info.base_model");
    let entry = crate::cost::effective_entry("azure/gpt-4o", None, &Default::default(), None).unwrap();
    let price = |k: &str| entry[k].as_f64().unwrap();
    let usage = resp.usage.as_ref().unwrap();
    let expected = usage.prompt_tokens as f64 * price("input_cost_per_token")
        + usage.completion_tokens as f64 * price("output_cost_per_token");
    assert!(expected > 0.0 && (cost - expected).abs() < 1e-12, "{cost} != {expected}");
    let (input, output, _) = r.max_prices("azure-gpt");
    assert!(input >= price("input_cost_per_token") && output >= price("output_cost_per_token"));
    // a request for "cheap" may end on "pricey": its bound is o1's prices, not gpt-4o-mini's
    let o1 = crate::cost::effective_entry("openai/o1", None, &Default::default(), None).unwrap();
    let (input, output, _) = r.max_prices("cheap");
    assert!(input >= o1["input_cost_per_token"].as_f64().unwrap(), "{input}");
    assert!(output >= o1["output_cost_per_token"].as_f64().unwrap(), "{output}");
    let mini = r.max_prices("pricey");
    assert_eq!(mini.0, input, "pricey falls back to nothing: the same bound as o1 alone");
}

#[tokio::test]
async fn a_streams_tokens_count_in_its_deployments_minute_when_it_ends() {
    let r = router(vec![dep("g", "s", json!({"tpm": 1000}))], json!({}));
    let tokens = |r: &Router| r.stats()[0]["current_minute_tokens"].as_u64().unwrap();
    let stream_req = |usage: bool| -> ChatRequest {
        serde_json::from_value(json!({"model": "g", "stream": true, "messages": [{"role": "user", "content": "hi"}],
            "stream_options": {"include_usage": usage}}))
        .unwrap()
    };
    let open = |req: ChatRequest| {
        let maps = CallMaps::default();
        r.route(req, maps, |q, o| async move { crate::engine::chat_stream(q, &o).await })
    };
    let mut s = open(stream_req(true)).await.unwrap();
    assert_eq!(tokens(&r), 0, "nothing counted before the stream ends");
    while !s.next_batch(64).await.unwrap().is_empty() {}
    drop(s);
    assert_eq!(tokens(&r), 30, "the usage chunk's 10 + 20 tokens");
    // a stream without a usage chunk counts its request, and no tokens
    let s = open(stream_req(false)).await.unwrap();
    drop(s);
    assert_eq!(tokens(&r), 30);
    assert_eq!(r.stats()[0]["current_minute_requests"], 2);
}
