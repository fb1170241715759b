//! Canonical chat request -> Anthropic Messages body: parameters, tools, tool_choice, thinking,
//! response_format; the messages come from `messages`. Small owned values only (tool_choice,
//! thinking, built tools); prompts are borrowed.

use std::borrow::Cow;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::{Map, Value, json};

use super::messages::{Block, MsgOut, bad, cache_control, convert};
use super::{RESPONSE_FORMAT_TOOL_NAME, ROW, models, schema};
use crate::error::{ErrorKind, LlmError};
use crate::providers::{CallTarget, params_to_drop};
use crate::types::{ChatRequest, OPENAI_CHAT_PARAMS, Tool};

/// litellm's `DEFAULT_MAX_TOKENS`, added to a thinking budget when no max_tokens is given.
const THINKING_HEADROOM: u64 = 4096;
/// Anthropic's smallest thinking budget.
const MIN_THINKING_BUDGET: u64 = 1024;
/// The description litellm gives the response_format tool when it cannot be forced (thinking on).
const UNFORCED_TOOL_DESCRIPTION: &str =
    "When you are ready to answer, call this tool with your final answer as its input. Do not reply in plain text.";

/// A built request: the JSON body and the `anthropic-beta` values the features in it need.
pub(super) struct Built {
    pub body: Vec<u8>,
    pub betas: Vec<&'static str>,
}

// ---------------------------------------------------------------------------------------------
// tools (wire shape)
// ---------------------------------------------------------------------------------------------

/// A tool definition on the wire.
enum ToolOut<'a> {
    /// An OpenAI function tool: `{type: custom, name, description, input_schema, cache_control}`.
    Custom {
        name: &'a str,
        description: Option<&'a Value>,
        schema: Cow<'a, Map<String, Value>>,
        cache_control: Option<&'a Value>,
    },
    /// Anything built here (hosted tools, the response_format tool, the dummy tool).
    Owned(Value),
}

impl Serialize for ToolOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ToolOut::Owned(v) => v.serialize(s),
            ToolOut::Custom { name, description, schema, cache_control } => {
                let mut m = s.serialize_map(None)?;
                m.serialize_entry("name", name)?;
                if let Some(d) = description {
                    m.serialize_entry("description", d)?;
                }
                m.serialize_entry("input_schema", &InputSchema(schema))?;
                m.serialize_entry("type", "custom")?;
                if let Some(c) = cache_control {
                    m.serialize_entry("cache_control", c)?;
                }
                m.end()
            }
        }
    }
}

/// A function's JSON schema as Anthropic takes it (litellm's `sanitize_input_schema_for_anthropic`):
/// `type: object`, `properties` (default `{}`), and only the keys Anthropic accepts at top level.
struct InputSchema<'s>(&'s Map<String, Value>);

impl Serialize for InputSchema<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("type", "object")?;
        match self.0.get("properties") {
            Some(p) => m.serialize_entry("properties", p)?,
            None => m.serialize_entry("properties", &Map::new())?,
        }
        for key in ["additionalProperties", "required", "$defs", "strict"] {
            if let Some(v) = self.0.get(key) {
                m.serialize_entry(key, v)?;
            }
        }
        m.end()
    }
}

// ---------------------------------------------------------------------------------------------
// tools, tool_choice, thinking
// ---------------------------------------------------------------------------------------------

/// Anthropic-hosted tool types (passed through with their own fields).
const HOSTED_TOOL_PREFIXES: &[&str] =
    &["web_search", "web_fetch", "bash", "text_editor", "code_execution", "memory", "tool_search"];

fn map_tool<'a>(tool: &'a Tool, betas: &mut Vec<&'static str>) -> Result<ToolOut<'a>, LlmError> {
    let func = tool.function.as_ref().and_then(Value::as_object);
    // Already in Anthropic's format.
    if tool.extra.contains_key("input_schema") {
        let mut m = tool.extra.clone();
        if tool.kind != "function" {
            m.insert("type".into(), Value::String(tool.kind.clone()));
        }
        return Ok(ToolOut::Owned(Value::Object(m)));
    }
    if (tool.kind == "function" || tool.kind == "custom")
        && let Some(f) = func
    {
        let name = f.get("name").and_then(Value::as_str).ok_or_else(|| bad("A function tool needs `function.name`"))?;
        let schema: Cow<'a, Map<String, Value>> = match f.get("parameters").and_then(Value::as_object) {
            Some(p) if p.contains_key("definitions") && !p.contains_key("$defs") => Cow::Owned(schema::legacy_defs(p)),
            Some(p) => Cow::Borrowed(p),
            None => Cow::Owned(Map::new()),
        };
        let cc = cache_control(&tool.extra).or_else(|| f.get("cache_control").filter(|v| v.is_object()));
        return Ok(ToolOut::Custom { name, description: f.get("description"), schema, cache_control: cc });
    }
    if tool.kind.starts_with("computer_") {
        let params = func.and_then(|f| f.get("parameters")).and_then(Value::as_object);
        let dim = |k: &str| params.and_then(|p| p.get(k)).cloned();
        let (Some(w), Some(h)) = (dim("display_width_px"), dim("display_height_px")) else {
            return Err(bad("Missing required parameter: display_width_px or display_height_px"));
        };
        let name = func.and_then(|f| f.get("name")).and_then(Value::as_str).unwrap_or("computer");
        let mut t = json!({"type": tool.kind, "name": name, "display_width_px": w, "display_height_px": h});
        if let Some(n) = dim("display_number") {
            t["display_number"] = n;
        }
        betas.push(match tool.kind.as_str() {
            "computer_20241022" => "computer-use-2024-10-22",
            "computer_20251124" => "computer-use-2025-11-24",
            _ => "computer-use-2025-01-24",
        });
        return Ok(ToolOut::Owned(t));
    }
    if HOSTED_TOOL_PREFIXES.iter().any(|p| tool.kind.starts_with(p)) {
        let mut m = Map::new();
        m.insert("type".into(), Value::String(tool.kind.clone()));
        let name = tool.extra.get("name").or_else(|| func.and_then(|f| f.get("name"))).cloned();
        m.insert("name".into(), name.ok_or_else(|| bad("Missing required parameter: name"))?);
        for (k, v) in &tool.extra {
            if k != "name" {
                m.insert(k.clone(), v.clone());
            }
        }
        if tool.kind.starts_with("web_fetch") {
            betas.push("web-fetch-2025-09-10");
        } else if tool.kind.starts_with("memory") {
            betas.push("context-management-2025-06-27");
        }
        return Ok(ToolOut::Owned(Value::Object(m)));
    }
    Err(bad(format!("Unsupported tool type for anthropic: {}", tool.kind)))
}

/// OpenAI `tool_choice` (+ `parallel_tool_calls`) -> Anthropic's (litellm's `_map_tool_choice`).
fn map_tool_choice(choice: Option<&Value>, parallel: Option<bool>) -> Option<Value> {
    let mut out = match choice {
        Some(Value::String(s)) => match s.as_str() {
            "auto" => Some(json!({"type": "auto"})),
            "required" | "any" => Some(json!({"type": "any"})),
            "none" => Some(json!({"type": "none"})),
            _ => None,
        },
        Some(Value::Object(m)) if !m.contains_key("function") => match m.get("type").and_then(Value::as_str) {
            Some("auto") => Some(json!({"type": "auto"})),
            Some("required" | "any") => Some(json!({"type": "any"})),
            Some("none") => Some(json!({"type": "none"})),
            Some("tool") => m.get("name").map(|n| json!({"type": "tool", "name": n})),
            _ => None,
        },
        Some(Value::Object(m)) => {
            m.get("function").and_then(|f| f.get("name")).map(|n| json!({"type": "tool", "name": n}))
        }
        _ => None,
    };
    if let Some(p) = parallel {
        let is_none = choice.and_then(Value::as_str) == Some("none");
        if !is_none {
            let tc = out.get_or_insert_with(|| json!({"type": "auto"}));
            tc["disable_parallel_tool_use"] = Value::Bool(!p);
        }
    }
    out
}

/// What `reasoning_effort` / `thinking` become.
#[derive(Default)]
struct Thinking<'a> {
    thinking: Option<Cow<'a, Value>>,
    output_config: Option<Value>,
}

impl Thinking<'_> {
    fn budget(&self) -> Option<u64> {
        let t = self.thinking.as_deref()?;
        (t.get("type").and_then(Value::as_str) == Some("enabled"))
            .then(|| t.get("budget_tokens").and_then(Value::as_u64))
            .flatten()
    }

    /// Whether the model will think (a forced tool_choice is then rejected by Anthropic).
    fn is_on(&self) -> bool {
        match self.thinking.as_deref() {
            Some(Value::Bool(b)) => *b,
            Some(t) => matches!(t.get("type").and_then(Value::as_str), Some("enabled" | "adaptive")),
            None => false,
        }
    }
}

fn effort_budget(effort: &str) -> Option<u64> {
    Some(match effort {
        "minimal" => MIN_THINKING_BUDGET,
        "low" => 1024,
        "medium" => 2048,
        "high" => 4096,
        "xhigh" => 8192,
        "max" => 16384,
        _ => return None,
    })
}

/// litellm's `_map_reasoning_effort`: budgets low 1024 / medium 2048 / high 4096 / xhigh 8192 /
/// max 16384 / minimal 1024; on adaptive-thinking models (Claude 4.6+) `thinking: {type: adaptive,
/// display: summarized}` with `output_config.effort`. An explicit `thinking` is sent as given,
/// except `adaptive` on an older model, which becomes the medium budget (capped below max_tokens).
fn map_thinking<'a>(
    model: &str,
    thinking: Option<&'a Value>,
    effort: Option<&'a Value>,
    max_tokens: Option<u64>,
) -> Result<Thinking<'a>, LlmError> {
    if let Some(t) = thinking {
        if t.get("type").and_then(Value::as_str) == Some("adaptive") && !models::is_adaptive_thinking(model) {
            let mut budget = 2048;
            if let Some(mt) = max_tokens {
                if mt <= MIN_THINKING_BUDGET {
                    return Ok(Thinking::default());
                }
                budget = budget.min(mt - 1);
            }
            return Ok(Thinking {
                thinking: Some(Cow::Owned(json!({"type": "enabled", "budget_tokens": budget}))),
                output_config: None,
            });
        }
        return Ok(Thinking { thinking: Some(Cow::Borrowed(t)), output_config: None });
    }
    let effort = match effort {
        Some(Value::String(s)) => s.as_str(),
        Some(Value::Object(m)) => m.get("effort").and_then(Value::as_str).unwrap_or_default(),
        _ => return Ok(Thinking::default()),
    };
    if effort == "none" || effort == "default" || effort.is_empty() {
        return Ok(Thinking::default());
    }
    let Some(budget) = effort_budget(effort) else {
        return Err(bad(format!(
            "Unmapped reasoning effort: '{effort}'. Must be one of: 'minimal', 'low', 'medium', 'high', 'xhigh', 'max', 'none'."
        )));
    };
    if models::is_adaptive_thinking(model) {
        let level = if effort == "minimal" { "low" } else { effort };
        return Ok(Thinking {
            thinking: Some(Cow::Owned(json!({"type": "adaptive", "display": "summarized"}))),
            output_config: Some(json!({"effort": level})),
        });
    }
    Ok(Thinking {
        thinking: Some(Cow::Owned(json!({"type": "enabled", "budget_tokens": budget}))),
        output_config: None,
    })
}

/// The JSON schema of a `response_format`, if it asks for JSON (`None` inside for json_object).
fn response_format_schema(rf: &Value) -> Option<Option<&Value>> {
    match rf.get("type").and_then(Value::as_str) {
        Some("json_object" | "json_schema") => {}
        _ => return None,
    }
    Some(rf.get("response_schema").or_else(|| rf.pointer("/json_schema/schema")))
}

/// The tool litellm adds for `response_format`: `json_tool_call`, whose input is the JSON answer.
fn response_format_tool(schema: Option<&Value>, forced: bool) -> Value {
    let mut input = Map::new();
    input.insert("type".into(), Value::String("object".into()));
    match schema.and_then(Value::as_object) {
        Some(s) => {
            for (k, v) in s {
                input.insert(k.clone(), v.clone());
            }
        }
        None => {
            input.insert("additionalProperties".into(), Value::Bool(true));
            input.insert("properties".into(), Value::Object(Map::new()));
        }
    }
    let mut t = json!({"name": RESPONSE_FORMAT_TOOL_NAME, "input_schema": input});
    if !forced {
        t["description"] = Value::String(UNFORCED_TOOL_DESCRIPTION.into());
    }
    t
}

/// `user` becomes `metadata.user_id` unless it looks like an email or a phone number, which
/// Anthropic refuses (litellm's `_valid_user_id`).
fn valid_user_id(u: &str) -> bool {
    let is_email = u.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && local.bytes().all(|b| b.is_ascii_alphanumeric() || b"._%+-".contains(&b))
            && domain.rsplit_once('.').is_some_and(|(host, tld)| {
                !host.is_empty()
                    && host.bytes().all(|b| b.is_ascii_alphanumeric() || b".-".contains(&b))
                    && tld.len() >= 2
                    && tld.bytes().all(|b| b.is_ascii_alphabetic())
            })
    });
    let digits = u.strip_prefix('+').unwrap_or(u);
    let is_phone = digits.chars().count() >= 7
        && digits.chars().all(|c| c.is_ascii_digit() || c.is_whitespace() || "()-".contains(c));
    !is_email && !is_phone
}

// ---------------------------------------------------------------------------------------------
// the body
// ---------------------------------------------------------------------------------------------

/// Provider-specific parameters we translate (never passed through as they are).
const HANDLED_EXTRAS: &[&str] = &["thinking", "top_k", "reasoning_effort", "parallel_tool_calls", "user"];

enum Field<'a> {
    Str(&'a str),
    U64(u64),
    Bool(bool),
    Val(&'a Value),
    Owned(Value),
    Messages(&'a [MsgOut<'a>]),
    Blocks(&'a [Block<'a>]),
    Tools(&'a [ToolOut<'a>]),
}

impl Serialize for Field<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Field::Str(v) => v.serialize(s),
            Field::U64(v) => v.serialize(s),
            Field::Bool(v) => v.serialize(s),
            Field::Val(v) => v.serialize(s),
            Field::Owned(v) => v.serialize(s),
            Field::Messages(v) => v.serialize(s),
            Field::Blocks(v) => v.serialize(s),
            Field::Tools(v) => v.serialize(s),
        }
    }
}

struct Body<'a> {
    fields: Vec<(&'a str, Field<'a>)>,
    passthrough: Vec<(&'a str, &'a Value)>,
    extra_body: Option<&'a Map<String, Value>>,
}

impl Serialize for Body<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let overridden = |k: &str| self.extra_body.is_some_and(|e| e.contains_key(k));
        let mut m = s.serialize_map(None)?;
        for (k, v) in &self.fields {
            if !overridden(k) {
                m.serialize_entry(k, v)?;
            }
        }
        for (k, v) in &self.passthrough {
            if !overridden(k) && !self.fields.iter().any(|(f, _)| f == k) {
                m.serialize_entry(k, v)?;
            }
        }
        if let Some(e) = self.extra_body {
            for (k, v) in e {
                m.serialize_entry(k, v)?;
            }
        }
        m.end()
    }
}

fn unsupported(msg: String) -> LlmError {
    LlmError::new(ErrorKind::UnsupportedParams, msg)
}

/// Builds the Messages body for a chat request.
pub(super) fn build(req: &ChatRequest, target: &CallTarget) -> Result<Built, LlmError> {
    let model = req.model.as_str();
    let sampling = models::supports_sampling(model);
    let reasoning = models::supports_reasoning(model);
    let skip = params_to_drop(
        "anthropic",
        req.set_params(),
        |p| match p {
            "n" => req.n.unwrap_or(1) == 1,
            "top_p" => sampling,
            "temperature" => sampling || req.temperature.as_ref().and_then(Value::as_f64) == Some(1.0),
            "reasoning_effort" => reasoning,
            "service_tier" => {
                matches!(req.extra.get(p).and_then(Value::as_str), Some("auto" | "default" | "standard_only"))
            }
            p => !ROW.unsupported.contains(&p),
        },
        target,
    )?;
    let dropped = |name: &str| skip.iter().any(|s| s == name);
    let extra = |name: &str| if dropped(name) { None } else { req.extra.get(name) };

    let conv = convert(&req.messages)?;
    let mut betas: Vec<&'static str> = Vec::new();
    if conv.file_id_used {
        betas.extend(["files-api-2025-04-14", "code-execution-2025-05-22"]);
    }

    // max_tokens and thinking
    let explicit_max = if dropped("max_tokens") { None } else { req.max_tokens }
        .or(if dropped("max_completion_tokens") { None } else { req.max_completion_tokens });
    let thinking = map_thinking(model, extra("thinking"), extra("reasoning_effort"), explicit_max)?;
    let max_tokens = explicit_max.unwrap_or_else(|| match thinking.budget() {
        Some(b) => b + THINKING_HEADROOM,
        None => models::default_max_tokens(model),
    });

    // tools
    let mut tools: Vec<ToolOut<'_>> = Vec::new();
    let user_tools = if dropped("tools") { None } else { req.tools.as_ref() };
    for t in user_tools.into_iter().flatten() {
        tools.push(map_tool(t, &mut betas)?);
    }
    if let Some(Value::Object(ws)) = extra("web_search_options") {
        let mut t = json!({"type": "web_search_20250305", "name": "web_search"});
        if let Some(approx) = ws.get("user_location").and_then(|u| u.get("approximate")).and_then(Value::as_object) {
            let mut loc = Map::new();
            loc.insert("type".into(), Value::String("approximate".into()));
            for k in ["city", "country", "region", "timezone"] {
                if let Some(v) = approx.get(k) {
                    loc.insert(k.into(), v.clone());
                }
            }
            t["user_location"] = Value::Object(loc);
        }
        if let Some(n) = ws.get("search_context_size").and_then(Value::as_str).and_then(|s| match s {
            "low" => Some(1),
            "medium" => Some(5),
            "high" => Some(10),
            _ => None,
        }) {
            t["max_uses"] = json!(n);
        }
        tools.push(ToolOut::Owned(t));
    }
    let parallel = extra("parallel_tool_calls").and_then(Value::as_bool);
    let user_choice = if dropped("tool_choice") { None } else { req.tool_choice.as_ref() };
    let mut tool_choice = map_tool_choice(user_choice, parallel);
    let rf = if dropped("response_format") { None } else { req.response_format.as_ref() };
    let mut output_format: Option<Value> = None;
    if let Some(json_schema) = rf.and_then(response_format_schema) {
        // A schema on a model with native structured outputs goes to `output_format` (litellm
        // 1.110's choice), unless it has open objects and nothing prevents forcing the json tool.
        let native = json_schema.is_some_and(|s| {
            models::supports_native_structured_output(model)
                && !(schema::has_open_object(s) && !thinking.is_on() && tools.is_empty())
        });
        match json_schema {
            Some(s) if native => {
                output_format = Some(json!({"type": "json_schema", "schema": schema::filter_output_schema(s)}));
                betas.push("structured-outputs-2025-11-13");
            }
            _ => {
                let forced = !thinking.is_on();
                tools.push(ToolOut::Owned(response_format_tool(json_schema, forced)));
                if forced && user_choice.is_none() {
                    let mut tc = json!({"type": "tool", "name": RESPONSE_FORMAT_TOOL_NAME});
                    if let Some(p) = parallel {
                        tc["disable_parallel_tool_use"] = Value::Bool(!p);
                    }
                    tool_choice = Some(tc);
                }
            }
        }
    }
    if tools.is_empty() && conv.has_tool_blocks {
        // Anthropic rejects tool_use/tool_result blocks without `tools` (litellm's dummy tool).
        tools.push(ToolOut::Owned(json!({
            "name": "dummy_tool",
            "description": "This is a dummy tool call",
            "input_schema": {"type": "object", "properties": {}},
            "type": "custom",
        })));
    }
    if req.extra.contains_key("mcp_servers") {
        betas.push("mcp-client-2025-04-04");
    }
    if req.extra.contains_key("context_management") {
        betas.push("context-management-2025-06-27");
    }

    // sampling
    if !sampling && req.extra.contains_key("top_k") && !target.drop_params {
        return Err(unsupported(format!(
            "{model} does not support top_k. To drop unsupported params, set `litellm_rs.drop_params=True`."
        )));
    }

    // stop sequences: whitespace-only ones are refused by Anthropic; dropped under drop_params.
    let stop: Option<Vec<&str>> = if dropped("stop") { None } else { req.stop.as_ref() }.and_then(|s| {
        let keep = |v: &&str| !(target.drop_params && v.trim().is_empty());
        let list: Vec<&str> = match s {
            Value::String(v) => vec![v.as_str()].into_iter().filter(keep).collect(),
            Value::Array(a) => a.iter().filter_map(Value::as_str).filter(keep).collect(),
            _ => Vec::new(),
        };
        (!list.is_empty()).then_some(list)
    });

    let metadata = extra("metadata")
        .and_then(|m| m.get("user_id"))
        .filter(|u| !u.is_null())
        .map(|u| json!({"user_id": u}))
        .or_else(|| extra("user").and_then(Value::as_str).filter(|u| valid_user_id(u)).map(|u| json!({"user_id": u})));

    let mut fields: Vec<(&str, Field<'_>)> = Vec::with_capacity(16);
    fields.push(("model", Field::Str(model)));
    fields.push(("messages", Field::Messages(&conv.messages)));
    if !conv.system.is_empty() {
        fields.push(("system", Field::Blocks(&conv.system)));
    }
    fields.push(("max_tokens", Field::U64(max_tokens)));
    if let Some(stop) = stop {
        fields.push(("stop_sequences", Field::Owned(json!(stop))));
    }
    if let Some(t) = if dropped("temperature") { None } else { req.temperature.as_ref() } {
        fields.push(("temperature", Field::Val(t)));
    }
    if let Some(t) = if dropped("top_p") { None } else { req.top_p.as_ref() } {
        fields.push(("top_p", Field::Val(t)));
    }
    if let Some(k) = req.extra.get("top_k").filter(|_| sampling) {
        fields.push(("top_k", Field::Val(k)));
    }
    if let Some(m) = metadata {
        fields.push(("metadata", Field::Owned(m)));
    }
    if !tools.is_empty() {
        fields.push(("tools", Field::Tools(&tools)));
    }
    if let Some(tc) = tool_choice {
        fields.push(("tool_choice", Field::Owned(tc)));
    }
    match &thinking.thinking {
        Some(Cow::Borrowed(t)) => fields.push(("thinking", Field::Val(t))),
        Some(Cow::Owned(t)) => fields.push(("thinking", Field::Owned(t.clone()))),
        None => {}
    }
    if let Some(oc) = &thinking.output_config
        && !req.extra.contains_key("output_config")
    {
        fields.push(("output_config", Field::Owned(oc.clone())));
    }
    if let Some(of) = output_format {
        fields.push(("output_format", Field::Owned(of)));
    }
    if let Some(tier) = extra("service_tier").and_then(Value::as_str) {
        fields.push(("service_tier", Field::Str(if tier == "auto" { "auto" } else { "standard_only" })));
    }
    if req.stream == Some(true) {
        fields.push(("stream", Field::Bool(true)));
    }

    // Provider-specific parameters pass through (top_k, container, mcp_servers, cache_control, ...).
    let passthrough: Vec<(&str, &Value)> = req
        .extra
        .iter()
        .filter(|(k, _)| {
            !OPENAI_CHAT_PARAMS.contains(&k.as_str()) && !HANDLED_EXTRAS.contains(&k.as_str()) && !dropped(k)
        })
        .map(|(k, v)| (k.as_str(), v))
        .collect();

    let body = Body { fields, passthrough, extra_body: target.extra_body.as_ref() };
    let body = serde_json::to_vec(&body).map_err(|e| bad(format!("cannot encode the request: {e}")))?;
    betas.dedup();
    Ok(Built { body, betas })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_ids_that_look_like_emails_or_phones_are_not_sent() {
        assert!(valid_user_id("user-123"));
        assert!(!valid_user_id("jane@example.com"));
        assert!(!valid_user_id("+1 (555) 010-9999"));
        assert!(valid_user_id("12345"));
    }

    #[test]
    fn tool_choice_forms() {
        let tc = |v: Value, p: Option<bool>| map_tool_choice(Some(&v), p);
        assert_eq!(tc(json!("auto"), None), Some(json!({"type": "auto"})));
        assert_eq!(tc(json!("required"), None), Some(json!({"type": "any"})));
        assert_eq!(tc(json!("none"), Some(false)), Some(json!({"type": "none"})));
        assert_eq!(
            tc(json!({"type": "function", "function": {"name": "f"}}), Some(false)),
            Some(json!({"type": "tool", "name": "f", "disable_parallel_tool_use": true}))
        );
        assert_eq!(
            map_tool_choice(None, Some(false)),
            Some(json!({"type": "auto", "disable_parallel_tool_use": true}))
        );
    }
}
