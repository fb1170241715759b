//! Token counting: exact tiktoken ids and counts (references computed with OpenAI's `tiktoken`
//! 0.14 and litellm 1.110.2's `token_counter`), OpenAI's cookbook example, and litellm's
//! message, image and tool arithmetic.

use litellm_rs::tokens::{self, CountOptions, Encoding, encoding_for_model};
use serde_json::{Value, json};

fn msgs(v: Value) -> Vec<Value> {
    v.as_array().cloned().unwrap()
}

fn count(model: &str, messages: Value) -> usize {
    tokens::count_messages(model, &msgs(messages), &CountOptions::default()).unwrap()
}

#[test]
fn encoding_choice_follows_litellm() {
    for m in [
        "gpt-4o",
        "openai/gpt-4o",
        "azure/gpt-4o",
        "gpt-4o-mini",
        "chatgpt-4o-latest",
        "gpt-4.1",
        "gpt-4.1-mini",
        "gpt-4.5-preview",
        "gpt-5",
        "gpt-5-mini",
        "gpt-5.1-codex",
        "openai/gpt-6.2",
        "o1",
        "o3-mini",
        "o4-mini",
        "ft:gpt-4o-mini:org::abc",
        "openrouter/openai/gpt-4o",
    ] {
        assert_eq!(encoding_for_model(m), Encoding::O200kBase, "{m}");
    }
    for m in [
        "gpt-4",
        "gpt-4-turbo",
        "gpt-3.5-turbo",
        "text-embedding-3-small",
        "text-embedding-ada-002",
        "claude-3-5-sonnet",
        "anthropic/claude-sonnet-4-5",
        "llama3",
        "gemini/gemini-1.5-pro",
        "unknown-model",
        "",
        "davinci-002",
        "ollama/gpt-oss",
        "o",
        "gpt-4-0613",
    ] {
        assert_eq!(encoding_for_model(m), Encoding::Cl100kBase, "{m}");
    }
}

#[test]
fn encode_is_exact_tiktoken() {
    let cases: &[(&str, &[u32], &[u32])] = &[
        ("hello world", &[15339, 1917], &[24912, 2375]),
        (
            "The quick brown fox jumps over the lazy dog.",
            &[791, 4062, 14198, 39935, 35308, 927, 279, 16053, 5679, 13],
            &[976, 4853, 19705, 68347, 65613, 1072, 290, 29082, 6446, 13],
        ),
        (
            "Hello, world! How are you doing today? I'm fine, thanks.",
            &[9906, 11, 1917, 0, 2650, 527, 499, 3815, 3432, 30, 358, 2846, 7060, 11, 9523, 13],
            &[13225, 11, 2375, 0, 3253, 553, 481, 5306, 4044, 30, 5477, 8975, 11, 11707, 13],
        ),
        // Special-token text is ordinary text (tiktoken's disallowed_special=()).
        (
            "<|endoftext|> is special",
            &[27, 91, 8862, 728, 428, 91, 29, 374, 3361],
            &[27, 91, 419, 1440, 919, 91, 29, 382, 3582],
        ),
        (
            "日本語のテキストも数えます。",
            &[9080, 22656, 45918, 252, 16144, 57933, 62903, 71634, 3484, 28359, 58942, 33541, 1811],
            &[9048, 40909, 3385, 16056, 18368, 38236, 8446, 7135, 18606, 14429, 788],
        ),
        ("    indented\n\tcode();\n", &[262, 1280, 16243, 198, 44443, 545], &[271, 1383, 23537, 198, 86873, 740]),
        (
            "antidisestablishmentarianism",
            &[519, 85342, 34500, 479, 8997, 2191],
            &[493, 129901, 376, 160388, 21203, 2367],
        ),
    ];
    for (text, cl, o2) in cases {
        assert_eq!(tokens::encode("gpt-4", text), *cl, "cl100k {text:?}");
        assert_eq!(tokens::encode("gpt-4o", text), *o2, "o200k {text:?}");
        assert_eq!(tokens::count_text("gpt-4", text), cl.len());
        assert_eq!(tokens::count_text("gpt-4o", text), o2.len());
        assert_eq!(tokens::decode("gpt-4", cl).unwrap(), *text);
        assert_eq!(tokens::decode("gpt-4o", o2).unwrap(), *text);
    }
}

#[test]
fn decode_rejects_unknown_ids_and_replaces_split_utf8() {
    assert!(tokens::decode("gpt-4", &[4_000_000]).is_err());
    // The first byte-level token of a multi-byte character alone decodes to U+FFFD.
    let ids = tokens::encode("gpt-4", "語");
    assert!(ids.len() > 1);
    assert_eq!(tokens::decode("gpt-4", &ids[..1]).unwrap(), "\u{FFFD}");
}

#[test]
fn long_text_is_counted_in_1024_char_chunks_like_litellm() {
    let long = "The quick brown fox jumps over the lazy dog. ".repeat(100) + &"aaaa".repeat(700);
    // litellm: 1355 (gpt-4o) and 1356 (gpt-4); unchunked tiktoken: 1352 for both.
    assert_eq!(tokens::count_text("gpt-4o", &long), 1355);
    assert_eq!(tokens::count_text("gpt-4", &long), 1356);
    assert_eq!(tokens::encode("gpt-4o", &long).len(), 1352);
}

fn cookbook() -> Value {
    json!([
        {"role": "system", "content": "You are a helpful, pattern-following assistant that translates corporate jargon into plain English."},
        {"role": "system", "name": "example_user", "content": "New synergies will help drive top-line growth."},
        {"role": "system", "name": "example_assistant", "content": "Things working well together will increase revenue."},
        {"role": "system", "name": "example_user", "content": "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage."},
        {"role": "system", "name": "example_assistant", "content": "Let's talk later when we're less busy about how to do better."},
        {"role": "user", "content": "This late pivot means we don't have time to boil the ocean for the client deliverable."},
    ])
}

#[test]
fn openai_cookbook_example_counts_129_prompt_tokens() {
    // OpenAI cookbook "How to count tokens with tiktoken": 129 for gpt-3.5-turbo-0613 and gpt-4.
    assert_eq!(count("gpt-3.5-turbo-0613", cookbook()), 129);
    assert_eq!(count("gpt-4", cookbook()), 129);
    // gpt-4o family (o200k_base): 124, as litellm and the cookbook's later revision count.
    assert_eq!(count("gpt-4o", cookbook()), 124);
    assert_eq!(count("gpt-4o-mini", cookbook()), 124);
    // Non-OpenAI models: cl100k_base approximation.
    assert_eq!(count("claude-3-5-sonnet-20240620", cookbook()), 129);
    // count_response_tokens leaves out the 3 reply-priming tokens.
    let opts = CountOptions { count_response_tokens: true, ..Default::default() };
    assert_eq!(tokens::count_messages("gpt-4", &msgs(cookbook()), &opts).unwrap(), 126);
}

#[test]
fn message_arithmetic() {
    // 3 per message + "user" (1) + "hello world" (2) + 3 priming.
    assert_eq!(count("gpt-4", json!([{"role": "user", "content": "hello world"}])), 9);
    // name: its tokens + 1; null fields are skipped; unknown non-string fields are skipped.
    assert_eq!(
        count("gpt-4", json!([{"role": "user", "content": "hello world", "name": "bob", "audio": null, "x": 1}])),
        9 + 1 + 1
    );
    // Content lists count their text parts.
    assert_eq!(
        count(
            "gpt-4",
            json!([{"role": "user", "content": [{"type": "text", "text": "hello"}, {"type": "text", "text": " world"}]}])
        ),
        9
    );
    // tool_calls count their arguments only; tool_call_id is a string field.
    let m = json!([
        {"role": "assistant", "content": null, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}
        ]},
        {"role": "tool", "tool_call_id": "c1", "content": "sunny"}
    ]);
    let args = tokens::count_text("gpt-4", "{\"city\": \"Paris\"}");
    let expected = 3 + 1 + args + 3 + 1 + tokens::count_text("gpt-4", "c1") + tokens::count_text("gpt-4", "sunny") + 3;
    assert_eq!(expected, 21); // litellm 1.110.2
    assert_eq!(count("gpt-4", m), expected);
    // An unknown part type is an error (litellm raises ValueError) unless default_token_count is set.
    let bad = msgs(json!([{"role": "user", "content": [{"type": "weird"}]}]));
    assert!(tokens::count_messages("gpt-4", &bad, &CountOptions::default()).is_err());
    let opts = CountOptions { default_token_count: Some(42), ..Default::default() };
    assert_eq!(tokens::count_messages("gpt-4", &bad, &opts).unwrap(), 3 + 1 + 42 + 3);
}

fn png(width: u32, height: u32) -> String {
    use base64::Engine as _;
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    b.extend_from_slice(&width.to_be_bytes());
    b.extend_from_slice(&height.to_be_bytes());
    b.extend_from_slice(&[8, 6, 0, 0, 0]);
    format!("data:image/png;base64,{}", base64::engine::general_purpose::STANDARD.encode(b))
}

fn image_message(url: &str, detail: Option<&str>) -> Value {
    let mut image_url = json!({"url": url});
    if let Some(d) = detail {
        image_url["detail"] = json!(d);
    }
    json!([{"role": "user", "content": [{"type": "image_url", "image_url": image_url}]}])
}

#[test]
fn image_tokens_follow_openai_tiles() {
    let base = 3 + 1 + 3; // message, "user", priming
    assert_eq!(count("gpt-4o", image_message("https://x/y.png", Some("low"))), base + 85);
    // auto: URLs are never fetched -> 85.
    assert_eq!(count("gpt-4o", image_message("https://x/y.png", None)), base + 85);
    // high without known dimensions: litellm's default 300x300 -> one tile -> 255.
    assert_eq!(count("gpt-4o", image_message("https://x/y.png", Some("high"))), base + 255);
    // Inline 1024x1024: scaled to 768x768 -> 4 tiles -> 85 + 680.
    assert_eq!(count("gpt-4o", image_message(&png(1024, 1024), None)), base + 765);
    // Inline 2048x4096: 768x1536 -> 2x3 tiles -> 85 + 1020.
    assert_eq!(count("gpt-4o", image_message(&png(2048, 4096), Some("high"))), base + 1105);
    // Small inline image: one tile.
    assert_eq!(count("gpt-4o", image_message(&png(100, 50), None)), base + 255);
    // A bare string image_url is auto.
    let m = json!([{"role": "user", "content": [{"type": "image_url", "image_url": png(1024, 1024)}]}]);
    assert_eq!(count("gpt-4o", m), base + 765);
    // use_default_image_token_count -> 250.
    let opts = CountOptions { use_default_image_token_count: true, ..Default::default() };
    let m = msgs(image_message(&png(1024, 1024), Some("high")));
    assert_eq!(tokens::count_messages("gpt-4o", &m, &opts).unwrap(), base + 250);
    // Invalid detail is an error.
    assert!(
        tokens::count_messages("gpt-4o", &msgs(image_message("https://x", Some("ultra"))), &CountOptions::default())
            .is_err()
    );
    assert_eq!(tokens::tile_tokens(512, 512), 255);
    // 4000x1000 -> 3072x768 -> capped to 2000x500 -> 4x1 tiles.
    assert_eq!(tokens::tile_tokens(4000, 1000), 85 + 170 * 4);
}

fn weather_tool() -> Value {
    json!({"type": "function", "function": {
        "name": "get_current_weather",
        "description": "Get the current weather in a given location",
        "parameters": {"type": "object", "properties": {
            "location": {"type": "string", "description": "The city and state, e.g. San Francisco, CA"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            "days": {"type": "array", "items": {"type": "integer"}},
            "opts": {"type": "object", "properties": {"metric": {"type": "boolean"}}}
        }, "required": ["location"]}
    }})
}

#[test]
fn tools_render_as_openai_namespace() {
    let rendered = tokens::format_function_definitions(&[
        weather_tool(),
        json!({"type": "function", "function": {"name": "noop"}}),
    ]);
    assert_eq!(
        rendered,
        "namespace functions {\n\n// Get the current weather in a given location\ntype get_current_weather = (_: {\n\
         // The city and state, e.g. San Francisco, CA\nlocation: string,\nunit?: \"celsius\" | \"fahrenheit\",\n\
         days?: number[],\nopts?: {\n  metric?: boolean,\n},\n}) => any;\n\ntype noop = () => any;\n\n} // namespace functions"
    );
    let tools = [weather_tool()];
    let user = msgs(json!([{"role": "user", "content": "hello world"}]));
    let with_tools = CountOptions { tools: Some(&tools), ..Default::default() };
    let n = tokens::count_messages("gpt-4o", &user, &with_tools).unwrap();
    let rendered_one = tokens::format_function_definitions(&tools);
    assert_eq!(n, 9 + tokens::count_text("gpt-4o", &rendered_one) + 9);
    // A system message takes 4 off the tools' overhead.
    let sys = msgs(json!([{"role": "system", "content": "hello world"}]));
    let n_sys = tokens::count_messages("gpt-4o", &sys, &with_tools).unwrap();
    assert_eq!(n_sys, 3 + 1 + 2 + 3 + tokens::count_text("gpt-4o", &rendered_one) + 9 - 4);
    // tool_choice: "none" = 1, a named function = 7 + its name.
    let none = json!("none");
    let named = json!({"type": "function", "function": {"name": "get_current_weather"}});
    let o = CountOptions { tools: Some(&tools), tool_choice: Some(&none), ..Default::default() };
    assert_eq!(tokens::count_messages("gpt-4o", &user, &o).unwrap(), n + 1);
    let o = CountOptions { tools: Some(&tools), tool_choice: Some(&named), ..Default::default() };
    assert_eq!(
        tokens::count_messages("gpt-4o", &user, &o).unwrap(),
        n + 7 + tokens::count_text("gpt-4o", "get_current_weather")
    );
}
