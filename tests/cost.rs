//! Golden cost arithmetic per provider family. Usage comes from each provider's own response
//! parser (the recorded wire shape), so cache and reasoning buckets are counted the way the engine
//! reports them; every expected figure is worked out in a comment from the model map's prices.

use litellm_rs::cost::{self, CustomPricing, TokenUsage};
use litellm_rs::providers::resolve;
use litellm_rs::types::{ChatRequest, Usage};
use serde_json::{Value, json};

fn close(actual: f64, expected: f64) {
    let tol = expected.abs() * 1e-9 + 1e-15;
    assert!((actual - expected).abs() <= tol, "cost {actual:e} != expected {expected:e}");
}

/// The usage the provider serving `model` reports for the raw response `body`.
fn parsed_usage(model: &str, body: Value) -> (String, Usage) {
    let r = resolve(model, None, None).unwrap();
    let req: ChatRequest = serde_json::from_value(json!({"model": r.model, "messages": []})).unwrap();
    let resp = r.provider.get().parse_chat(body.to_string().as_bytes(), &req).unwrap();
    (r.row().id.to_owned(), resp.usage.unwrap())
}

fn cost_of(model: &str, body: Value) -> f64 {
    let (provider, usage) = parsed_usage(model, body);
    cost::response_cost(model, &provider, Some(&usage), &CustomPricing::default(), None, 0.0, None).unwrap()
}

#[test]
fn openai_mocked_call_matches_litellm() {
    // gpt-4o-mini: 10 × $0.15/M + 20 × $0.60/M = 1.5e-6 + 1.2e-5 = 1.35e-5 (litellm's mocked figure)
    let u = Usage::new(10, 20);
    let c = cost::response_cost("gpt-4o-mini", "openai", Some(&u), &CustomPricing::default(), None, 0.0, None);
    close(c.unwrap(), 1.35e-5);
}

#[test]
fn openai_cached_tokens_at_cache_read_price() {
    // gpt-4o: 2,000 prompt tokens of which 1,500 cached, 100 completion tokens
    //   (2,000 − 1,500) × 2.5e-6 = 1.25e-3, 1,500 × 1.25e-6 = 1.875e-3, 100 × 1e-5 = 1e-3
    //   total 4.125e-3 (not 2,000 × 2.5e-6 + 1e-3 = 6e-3, litellm #6215)
    let body = json!({
        "id": "c", "object": "chat.completion", "created": 1, "model": "gpt-4o",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 2000, "completion_tokens": 100, "total_tokens": 2100,
                  "prompt_tokens_details": {"cached_tokens": 1500}}
    });
    close(cost_of("gpt-4o", body), 1.25e-3 + 1.875e-3 + 1e-3);
}

#[test]
fn openai_reasoning_tokens_are_completion_tokens() {
    // o3-mini: 1,000 prompt, 3,000 completion of which 2,500 reasoning (no separate reasoning price:
    // all 3,000 at the output price, counted once): 1,000 × 1.1e-6 + 3,000 × 4.4e-6 = 1.1e-3 + 1.32e-2
    let body = json!({
        "id": "c", "object": "chat.completion", "created": 1, "model": "o3-mini",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "42"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1000, "completion_tokens": 3000, "total_tokens": 4000,
                  "completion_tokens_details": {"reasoning_tokens": 2500}}
    });
    close(cost_of("o3-mini", body), 1.1e-3 + 1.32e-2);
}

#[test]
fn anthropic_cache_read_and_write_counted_once() {
    // claude-sonnet-4-5, Anthropic's usage: input_tokens 100 (uncached), cache_read 2,000,
    // cache_creation 1,000, output 50. Canonical prompt_tokens = 3,100.
    //   100 × 3e-6 = 3e-4, 2,000 × 3e-7 = 6e-4, 1,000 × 3.75e-6 = 3.75e-3, 50 × 1.5e-5 = 7.5e-4
    //   total 5.4e-3 (litellm #11364: no double count of the cache tokens)
    let body = json!({
        "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
        "content": [{"type": "text", "text": "hi"}], "stop_reason": "end_turn",
        "usage": {"input_tokens": 100, "output_tokens": 50,
                  "cache_read_input_tokens": 2000, "cache_creation_input_tokens": 1000}
    });
    let (provider, usage) = parsed_usage("anthropic/claude-sonnet-4-5", body.clone());
    assert_eq!(usage.prompt_tokens, 3100);
    let t = TokenUsage::from_usage(&usage);
    assert_eq!((t.cache_read, t.cache_creation), (2000, 1000));
    close(cost_of("anthropic/claude-sonnet-4-5", body), 3e-4 + 6e-4 + 3.75e-3 + 7.5e-4);
    assert_eq!(provider, "anthropic");
}

#[test]
fn anthropic_one_hour_cache_writes() {
    // claude-sonnet-4-5: cache_creation 1,000 of which 400 with the 1-hour TTL
    //   600 × 3.75e-6 = 2.25e-3, 400 × 6e-6 = 2.4e-3, 10 input × 3e-6 = 3e-5, 0 output
    let body = json!({
        "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
        "content": [{"type": "text", "text": "hi"}], "stop_reason": "end_turn",
        "usage": {"input_tokens": 10, "output_tokens": 0, "cache_read_input_tokens": 0,
                  "cache_creation_input_tokens": 1000,
                  "cache_creation": {"ephemeral_5m_input_tokens": 600, "ephemeral_1h_input_tokens": 400}}
    });
    close(cost_of("anthropic/claude-sonnet-4-5", body), 2.25e-3 + 2.4e-3 + 3e-5);
}

#[test]
fn gemini_implicit_cache_and_thinking() {
    // gemini/gemini-2.5-flash: promptTokenCount 10,000 with cachedContentTokenCount 4,000
    // (implicit caching), candidates 200 + thoughts 300 = 500 completion tokens.
    //   6,000 × 3e-7 = 1.8e-3, 4,000 × 3e-8 = 1.2e-4 (litellm #16341),
    //   200 × 2.5e-6 = 5e-4 output, 300 × 2.5e-6 = 7.5e-4 reasoning; total 3.17e-3
    let body = json!({
        "candidates": [{"content": {"role": "model", "parts": [{"text": "hi"}]}, "finishReason": "STOP"}],
        "usageMetadata": {"promptTokenCount": 10000, "candidatesTokenCount": 200, "thoughtsTokenCount": 300,
                          "cachedContentTokenCount": 4000, "totalTokenCount": 10500},
        "modelVersion": "gemini-2.5-flash"
    });
    let (_, usage) = parsed_usage("gemini/gemini-2.5-flash", body.clone());
    let t = TokenUsage::from_usage(&usage);
    assert_eq!((t.prompt, t.cache_read, t.completion, t.reasoning), (10000, 4000, 500, 300));
    close(cost_of("gemini/gemini-2.5-flash", body), 1.8e-3 + 1.2e-4 + 5e-4 + 7.5e-4);
}

#[test]
fn gemini_pro_above_200k_uses_tier_prices() {
    // gemini/gemini-2.5-pro, 250,000 prompt tokens (> 200k) of which 50,000 cached, 1,000 output:
    //   200,000 × 2.5e-6 = 0.5, 50,000 × 2.5e-7 = 0.0125, 1,000 × 1.5e-5 = 0.015; total 0.5275
    // (below the threshold the same call would be 200,000 × 1.25e-6 + 50,000 × 1.25e-7 + 1,000 × 1e-5)
    let mut u = Usage::new(250_000, 1_000);
    u.prompt_tokens_details =
        Some(litellm_rs::types::PromptTokensDetails { cached_tokens: Some(50_000), ..Default::default() });
    let c = cost::response_cost("gemini-2.5-pro", "gemini", Some(&u), &CustomPricing::default(), None, 0.0, None);
    close(c.unwrap(), 0.5 + 0.0125 + 0.015);
    let small = Usage::new(200_000, 1_000);
    let c = cost::response_cost("gemini-2.5-pro", "gemini", Some(&small), &CustomPricing::default(), None, 0.0, None);
    close(c.unwrap(), 200_000.0 * 1.25e-6 + 1_000.0 * 1e-5);
}

#[test]
fn bedrock_converse_with_cache_tokens() {
    // anthropic.claude-3-5-sonnet-20240620-v1:0 on Bedrock: inputTokens 500, cacheRead 1,000,
    // cacheWrite 200, output 100 (prompt_tokens = 1,700)
    //   500 × 3e-6 = 1.5e-3, 1,000 × 3e-7 = 3e-4, 200 × 3.75e-6 = 7.5e-4, 100 × 1.5e-5 = 1.5e-3
    let body = json!({
        "output": {"message": {"role": "assistant", "content": [{"text": "hi"}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 500, "outputTokens": 100, "totalTokens": 1800,
                  "cacheReadInputTokens": 1000, "cacheWriteInputTokens": 200}
    });
    let model = "bedrock/converse/anthropic.claude-3-5-sonnet-20240620-v1:0";
    close(cost_of(model, body), 1.5e-3 + 3e-4 + 7.5e-4 + 1.5e-3);
}

#[test]
fn groq_prefixed_key() {
    // groq/openai/gpt-oss-120b (keyed with its prefix): 1,000 × 1.5e-7 + 500 × 6e-7 = 1.5e-4 + 3e-4
    let u = Usage::new(1_000, 500);
    let c =
        cost::response_cost("groq/openai/gpt-oss-120b", "groq", Some(&u), &CustomPricing::default(), None, 0.0, None);
    close(c.unwrap(), 4.5e-4);
}

#[test]
fn service_tier_prices() {
    // gpt-4o with service_tier="priority": 1,000 × 4.25e-6 + 100 × 1.7e-5 = 4.25e-3 + 1.7e-3
    let u = Usage::new(1_000, 100);
    let c = cost::response_cost("gpt-4o", "openai", Some(&u), &CustomPricing::default(), Some("priority"), 0.0, None);
    close(c.unwrap(), 5.95e-3);
}

#[test]
fn embedding_prices_prompt_tokens() {
    // text-embedding-3-small: 1,000 × 2e-8 = 2e-5
    let u = Usage::new(1_000, 0);
    let c =
        cost::response_cost("text-embedding-3-small", "openai", Some(&u), &CustomPricing::default(), None, 0.0, None);
    close(c.unwrap(), 2e-5);
}

#[test]
fn custom_pricing_and_base_model() {
    let u = Usage::new(1_000, 100);
    // per-call prices replace the map's: 1,000 × 1e-6 + 100 × 2e-6 = 1.2e-3
    let custom =
        CustomPricing { input_cost_per_token: Some(1e-6), output_cost_per_token: Some(2e-6), ..Default::default() };
    close(cost::response_cost("gpt-4o", "openai", Some(&u), &custom, None, 0.0, None).unwrap(), 1.2e-3);
    // an unpriced deployment priced as its base model gpt-4o-mini: 1,000 × 1.5e-7 + 100 × 6e-7 = 2.1e-4
    let custom = CustomPricing { base_model: Some("gpt-4o-mini".into()), ..Default::default() };
    close(cost::response_cost("my-deployment", "azure", Some(&u), &custom, None, 0.0, None).unwrap(), 2.1e-4);
    // per-second pricing: 2.5 s × 0.01 = 0.025
    let custom = CustomPricing { output_cost_per_second: Some(0.01), ..Default::default() };
    close(cost::response_cost("my-model", "openai", Some(&u), &custom, None, 2500.0, None).unwrap(), 0.025);
    // unknown model, no custom pricing: no cost
    assert!(
        cost::response_cost("no-such-model", "openai", Some(&u), &CustomPricing::default(), None, 0.0, None).is_none()
    );
}

#[test]
fn register_model_changes_costs() {
    let u = Usage::new(1_000, 1_000);
    let m = "my-registered-test-model";
    assert!(cost::response_cost(m, "openai", Some(&u), &CustomPricing::default(), None, 0.0, None).is_none());
    let entry = json!({m: {"input_cost_per_token": 1e-6, "output_cost_per_token": 3e-6,
                           "litellm_provider": "openai", "mode": "chat"}});
    cost::prices::register(entry.as_object().unwrap().clone());
    // 1,000 × 1e-6 + 1,000 × 3e-6 = 4e-3
    let c = cost::response_cost(m, "openai", Some(&u), &CustomPricing::default(), None, 0.0, None);
    close(c.unwrap(), 4e-3);
}

#[test]
fn model_info_and_alternatives() {
    let info = cost::model_info("gpt-4o-mini", None).unwrap();
    assert_eq!(info["max_input_tokens"], 128000);
    assert_eq!(info["litellm_provider"], "openai");
    assert_eq!(info["supports_vision"], true);
    assert_eq!(info["supports_reasoning"], Value::Null);
    let alts = cost::cheaper_alternatives("gpt-4o", None).unwrap();
    assert!(!alts.is_empty());
    let own = 2.5e-6 + 1e-5;
    assert!(alts.windows(2).all(|w| w[0].2 <= w[1].2));
    for (key, _, price) in &alts {
        assert!(*price < own);
        let e = cost::prices::get(key).unwrap();
        assert_eq!(e.get("mode").and_then(Value::as_str), Some("chat"));
        for flag in ["supports_vision", "supports_function_calling", "supports_prompt_caching"] {
            assert_eq!(e.get(flag), Some(&Value::Bool(true)), "{key} lacks {flag}");
        }
    }
}

#[test]
fn speech_and_transcription_prices() {
    let entry = |m: &str| cost::prices::get(m).unwrap();
    let none = TokenUsage::default();
    // tts-1: 40 characters × $15/M characters = 6e-4
    let (p, c) = cost::audio_cost(&entry("tts-1"), cost::Audio::Speech { characters: Some(40) }, &none).unwrap();
    close(p, 6e-4);
    close(c, 0.0);
    // a per-character model needs the characters
    assert!(cost::audio_cost(&entry("tts-1"), cost::Audio::Speech { characters: None }, &none).is_err());
    // gpt-4o-mini-tts is priced per token: 30 × 6e-7 = 1.8e-5 in, 500 × 1e-5 = 5e-3 out
    let u = TokenUsage::new(30, 500);
    let (p, c) = cost::audio_cost(&entry("gpt-4o-mini-tts"), cost::Audio::Speech { characters: Some(9) }, &u).unwrap();
    close(p, 1.8e-5);
    close(c, 5e-3);
    // whisper-1: 12.5 s at output_cost_per_second $0.0001 = 1.25e-3, as the completion
    let t = cost::Audio::Transcription { seconds: 12.5 };
    let (p, c) = cost::audio_cost(&entry("whisper-1"), t, &none).unwrap();
    close(p, 0.0);
    close(c, 1.25e-3);
    // gpt-4o-transcribe without tokens: 12.5 s at input_cost_per_second $0.0001, as the prompt;
    // with tokens: 100 × 2.5e-6 + 20 × 1e-5 = 2.5e-4 + 2e-4
    let (p, c) = cost::audio_cost(&entry("gpt-4o-transcribe"), t, &none).unwrap();
    close(p, 1.25e-3);
    close(c, 0.0);
    let (p, c) = cost::audio_cost(&entry("gpt-4o-transcribe"), t, &TokenUsage::new(100, 20)).unwrap();
    close(p, 2.5e-4);
    close(c, 2e-4);
}
