//! litellm's `config.yaml`: `model_list`, `litellm_settings`, `router_settings`,
//! `general_settings` and `environment_variables`, with `os.environ/NAME` references. Checked
//! at start: an unknown key, a wrong type or a missing environment variable stops the start with a
//! message naming the key and its line.

use serde_json::{Map, Value};

/// Top-level sections (litellm's, including the ones this proxy accepts but does not act on yet).
const SECTIONS: &[&str] = &[
    "model_list",
    "litellm_settings",
    "router_settings",
    "general_settings",
    "environment_variables",
    "include",
    "guardrails",
    "callback_settings",
    "credential_list",
    "mcp_servers",
    "search_tools",
    "vector_store_registry",
    "prompts",
];

/// `router_settings` keys (the Router's constructor parameters).
const ROUTER_KEYS: &[&str] = &[
    "routing_strategy",
    "routing_strategy_args",
    "num_retries",
    "max_fallbacks",
    "timeout",
    "stream_timeout",
    "retry_after",
    "retry_policy",
    "model_group_retry_policy",
    "allowed_fails",
    "allowed_fails_policy",
    "cooldown_time",
    "disable_cooldowns",
    "fallbacks",
    "default_fallbacks",
    "context_window_fallbacks",
    "content_policy_fallbacks",
    "model_group_alias",
    "enable_pre_call_checks",
    "enable_tag_filtering",
    "tag_filtering_match_any",
    "default_max_parallel_requests",
    "redis_url",
    "redis_host",
    "redis_port",
    "redis_password",
    "redis_db",
    "redis_namespace",
    "cache_responses",
    "cache_kwargs",
    "caching_groups",
    "client_ttl",
    "polling_interval",
    "default_priority",
    "default_litellm_params",
    "set_verbose",
    "debug_level",
    "optional_pre_call_checks",
    "routing_groups",
    "provider_budget_config",
    "alerting_config",
    "router_general_settings",
    "deployment_affinity_ttl_seconds",
    "model_group_affinity_config",
    "ignore_invalid_deployments",
    "enable_health_check_routing",
    "health_check_staleness_threshold",
    "health_check_ignore_transient_errors",
    "background_health_check_model_groups",
    "health_check_interval",
    "health_check_timeout",
    "enable_weighted_failover",
    "enable_mid_stream_fallback_continuation",
    "fallback_access_check",
    "fallback_budget_check",
    "canary_rollback",
    "session_affinity_repin_on_failover",
    "tag_routing_prefix",
    "plugins",
    "fallback_on_unsupported_params",
]; // fmt: skip

/// `general_settings` keys this proxy knows (litellm has more; unknown ones are refused so that a
/// typo does not silently drop a setting).
const GENERAL_KEYS: &[&str] = &[
    "master_key",
    "database_url",
    "database_connection_pool_limit",
    "database_connection_timeout",
    "disable_spend_logs",
    "disable_master_key_return",
    "store_model_in_db",
    "background_health_checks",
    "health_check_interval",
    "health_check_details",
    "alerting",
    "alerting_threshold",
    "alert_types",
    "alerting_args",
    "proxy_batch_write_at",
    "proxy_budget_rescheduler_min_time",
    "proxy_budget_rescheduler_max_time",
    "enable_jwt_auth",
    "litellm_jwtauth",
    "allowed_routes",
    "admin_only_routes",
    "user_header_name",
    "max_parallel_requests",
    "global_max_parallel_requests",
    "max_request_size_mb",
    "max_response_size_mb",
    "infer_model_from_keys",
    "custom_auth",
    "custom_key_generate",
    "disable_reset_budget",
    "allow_requests_on_db_unavailable",
    "forward_openai_org_id",
    "forward_client_headers_to_llm_api",
    "use_redis_transaction_buffer",
    "maximum_spend_logs_retention_period",
    "pass_through_endpoints",
    "ui_access_mode",
    "disable_prisma_schema_update",
    "use_x_forwarded_for",
    "enforce_user_param",
    "key_management_system",
    "key_management_settings",
    "detailed_debug",
    "coordination_redis",
]; // fmt: skip

/// A `model_list` entry's keys.
const ENTRY_KEYS: &[&str] = &["model_name", "litellm_params", "model_info"];

/// The parsed configuration.
#[derive(Debug, Default, Clone)]
pub struct ProxyConfig {
    pub model_list: Vec<Value>,
    pub litellm_settings: Map<String, Value>,
    pub router_settings: Map<String, Value>,
    pub general_settings: Map<String, Value>,
}

impl ProxyConfig {
    /// The master key (`general_settings.master_key`, else LITELLM_MASTER_KEY).
    pub fn master_key(&self) -> Option<String> {
        self.general_settings
            .get("master_key")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| crate::util::env_var("LITELLM_MASTER_KEY"))
            .filter(|k| !k.is_empty())
    }

    /// A one-model configuration (`litellm-rs --model groq/llama-3.3-70b-versatile`).
    pub fn single_model(model: &str) -> Self {
        let entry = serde_json::json!({"model_name": model, "litellm_params": {"model": model}});
        ProxyConfig { model_list: vec![entry], ..Default::default() }
    }
}

/// The line (1-based) where `path` (section, key, ...) is written, found by following the keys
/// down the indentation.
fn line_of(text: &str, path: &[&str]) -> Option<usize> {
    let mut from = 0;
    let mut found = None;
    let lines: Vec<&str> = text.lines().collect();
    for key in path {
        let hit = lines.iter().enumerate().skip(from).find(|(_, l)| {
            let t = l.trim_start().trim_start_matches("- ");
            t.strip_prefix(key).is_some_and(|r| r.trim_start().starts_with(':'))
                || t.strip_prefix(&format!("\"{key}\"")).is_some_and(|r| r.trim_start().starts_with(':'))
        })?;
        found = Some(hit.0 + 1);
        from = hit.0 + 1;
    }
    found
}

fn at(text: &str, path: &[&str]) -> String {
    let name = path.join(".");
    match line_of(text, path) {
        Some(l) => format!("`{name}` (line {l})"),
        None => format!("`{name}`"),
    }
}

/// Replaces `os.environ/NAME` strings by the variable's value; a missing variable is an error
/// naming where it was used.
fn resolve_env(v: &mut Value, path: &mut Vec<String>, text: &str) -> Result<(), String> {
    match v {
        Value::String(s) => {
            if let Some(name) = s.strip_prefix("os.environ/") {
                let val = crate::util::env_var(name).ok_or_else(|| {
                    let keys: Vec<&str> = path.iter().map(String::as_str).collect();
                    format!("{} refers to the environment variable {name}, which is not set", at(text, &keys))
                })?;
                *s = val;
            }
        }
        Value::Array(items) => {
            for item in items {
                resolve_env(item, path, text)?;
            }
        }
        Value::Object(m) => {
            for (k, item) in m.iter_mut() {
                path.push(k.clone());
                resolve_env(item, path, text)?;
                path.pop();
            }
        }
        _ => {}
    }
    Ok(())
}

fn check_keys(m: &Map<String, Value>, known: &[&str], section: &[&str], text: &str) -> Result<(), String> {
    for k in m.keys() {
        if !known.contains(&k.as_str()) {
            let mut path = section.to_vec();
            path.push(k);
            let place =
                if section.is_empty() { "at the top level".to_owned() } else { format!("in {}", section.join(".")) };
            return Err(format!("unknown key {} {place}", at(text, &path)));
        }
    }
    Ok(())
}

fn section<'a>(root: &'a Map<String, Value>, name: &str, text: &str) -> Result<Option<&'a Map<String, Value>>, String> {
    match root.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(_) => Err(format!("{} must be a mapping", at(text, &[name]))),
    }
}

/// Parses and checks a configuration's text.
pub fn parse(text: &str) -> Result<ProxyConfig, String> {
    let root: Value = serde_saphyr::from_str(text).map_err(|e| format!("invalid YAML: {e}"))?;
    let root = match root {
        Value::Object(m) => m,
        Value::Null => Map::new(),
        _ => return Err("the configuration must be a mapping of sections (model_list, litellm_settings, ...)".into()),
    };
    check_keys(&root, SECTIONS, &[], text)?;
    // environment_variables are set first: the rest may refer to them
    if let Some(vars) = section(&root, "environment_variables", text)? {
        for (k, v) in vars {
            let value = match v {
                Value::String(s) => s.clone(),
                Value::Null => continue,
                other => other.to_string(),
            };
            // SAFETY: set while the process starts, before the server's threads read the environment
            unsafe { std::env::set_var(k, value) };
        }
    }
    let mut root = Value::Object(root);
    resolve_env(&mut root, &mut Vec::new(), text)?;
    let Value::Object(root) = root else { return Err("the configuration must be a mapping".into()) };
    let mut config = ProxyConfig::default();
    if let Some(r) = section(&root, "router_settings", text)? {
        check_keys(r, ROUTER_KEYS, &["router_settings"], text)?;
        config.router_settings = r.clone();
    }
    if let Some(g) = section(&root, "general_settings", text)? {
        check_keys(g, GENERAL_KEYS, &["general_settings"], text)?;
        config.general_settings = g.clone();
    }
    if let Some(l) = section(&root, "litellm_settings", text)? {
        config.litellm_settings = l.clone();
    }
    match root.get("model_list") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                let Value::Object(entry) = item else {
                    return Err(format!("model_list entry {} must be a mapping (model_name, litellm_params)", i + 1));
                };
                check_keys(entry, ENTRY_KEYS, &["model_list"], text)?;
                let name = entry.get("model_name").and_then(Value::as_str).unwrap_or_default();
                if !entry.get("litellm_params").is_some_and(Value::is_object) {
                    return Err(format!("model_list entry {} ({name}) needs a `litellm_params` mapping", i + 1));
                }
            }
            config.model_list = items.clone();
        }
        Some(_) => return Err(format!("{} must be a list of models", at(text, &["model_list"]))),
    }
    Ok(config)
}

/// Reads and checks a configuration file.
pub fn load(path: &str) -> Result<ProxyConfig, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read the config file {path}: {e}"))?;
    parse(&text).map_err(|e| format!("{path}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = "\
model_list:
  - model_name: gpt
    litellm_params:
      model: openai/gpt-4o-mini
      api_key: os.environ/LITELLM_RS_TEST_KEY_SET
router_settings:
  routing_strategy: least-busy
  num_retries: 1
general_settings:
  master_key: sk-1234
environment_variables:
  LITELLM_RS_TEST_KEY_SET: sk-from-config
";

    #[test]
    fn sections_and_environment_references() {
        let c = parse(CONFIG).unwrap();
        assert_eq!(c.model_list[0]["litellm_params"]["api_key"], "sk-from-config");
        assert_eq!(c.router_settings["routing_strategy"], "least-busy");
        assert_eq!(c.master_key().as_deref(), Some("sk-1234"));
    }

    #[test]
    fn mistakes_name_the_key_and_line() {
        let e = parse(&CONFIG.replace("num_retries", "num_retrys")).unwrap_err();
        assert!(e.contains("`router_settings.num_retrys` (line 8)"), "{e}");
        let e = parse(&CONFIG.replace("model_list:", "models:")).unwrap_err();
        assert!(e.contains("`models` (line 1)"), "{e}");
        let e = parse(
            &CONFIG
                .replace("LITELLM_RS_TEST_KEY_SET: sk-from-config", "")
                .replace("LITELLM_RS_TEST_KEY_SET", "LITELLM_RS_TEST_UNSET_VAR"),
        )
        .unwrap_err();
        assert!(e.contains("LITELLM_RS_TEST_UNSET_VAR") && e.contains("line 5"), "{e}");
        let e = parse("router_settings: [1, 2]").unwrap_err();
        assert!(e.contains("must be a mapping"), "{e}");
        assert!(parse("model_list:\n  - model_name: x\n").unwrap_err().contains("litellm_params"));
    }
}
