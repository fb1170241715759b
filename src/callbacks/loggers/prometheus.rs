//! The `"prometheus"` logger: an in-process registry of litellm's metric names, updated as each
//! call finishes and rendered in the Prometheus text format ([`render`]) for users (and the
//! proxy's `/metrics`) to expose.

use std::sync::OnceLock;

use prometheus::{
    CounterVec, Encoder, GaugeVec, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry, TextEncoder,
};
use serde_json::Value;

use super::{failed, num, text};

struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    successes: IntCounterVec,
    failures: IntCounterVec,
    spend: CounterVec,
    input_tokens: IntCounterVec,
    output_tokens: IntCounterVec,
    total_tokens: IntCounterVec,
    latency: HistogramVec,
    total_latency: HistogramVec,
    first_token: HistogramVec,
    proxy_requests: IntCounterVec,
    proxy_failures: IntCounterVec,
    key_max_budget: GaugeVec,
    key_remaining: GaugeVec,
    team_max_budget: GaugeVec,
    team_remaining: GaugeVec,
}

const DEPLOYMENT: &[&str] = &["litellm_model_name", "api_provider", "api_base"];
/// litellm's label sets: who spent (the proxy's key, its team and user; empty in the SDK).
const SPEND: &[&str] = &["end_user", "hashed_api_key", "api_key_alias", "model", "team", "team_alias", "user"];
const TOKENS: &[&str] =
    &["end_user", "hashed_api_key", "api_key_alias", "requested_model", "team", "team_alias", "user", "model"];
const KEY_LATENCY: &[&str] = &["model", "hashed_api_key", "api_key_alias", "team", "team_alias"];
const PROXY: &[&str] =
    &["end_user", "hashed_api_key", "api_key_alias", "requested_model", "team", "team_alias", "user", "status_code"];
const PROXY_FAILED: &[&str] = &[
    "end_user",
    "hashed_api_key",
    "api_key_alias",
    "requested_model",
    "team",
    "team_alias",
    "user",
    "exception_status",
    "exception_class",
];
const LATENCY_BUCKETS: &[f64] =
    &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0];

fn build() -> Result<Metrics, prometheus::Error> {
    let registry = Registry::new();
    let int = |name: &str, help: &str, labels: &[&str]| -> Result<IntCounterVec, prometheus::Error> {
        let c = IntCounterVec::new(Opts::new(name, help), labels)?;
        registry.register(Box::new(c.clone()))?;
        Ok(c)
    };
    let requests = int("litellm_deployment_total_requests_total", "LLM API calls made", DEPLOYMENT)?;
    let successes = int("litellm_deployment_success_responses_total", "LLM API calls that succeeded", DEPLOYMENT)?;
    let mut failure_labels = DEPLOYMENT.to_vec();
    failure_labels.extend(["exception_status", "exception_class"]);
    let failures = int("litellm_deployment_failure_responses_total", "LLM API calls that failed", &failure_labels)?;
    let input_tokens = int("litellm_input_tokens_metric_total", "Input (prompt) tokens", TOKENS)?;
    let output_tokens = int("litellm_output_tokens_metric_total", "Output (completion) tokens", TOKENS)?;
    let total_tokens = int("litellm_total_tokens_metric_total", "Input + output tokens", TOKENS)?;
    let spend = CounterVec::new(Opts::new("litellm_spend_metric_total", "Spend in USD"), SPEND)?;
    registry.register(Box::new(spend.clone()))?;
    let histogram = |name: &str, help: &str, labels: &[&str]| -> Result<HistogramVec, prometheus::Error> {
        let h = HistogramVec::new(HistogramOpts::new(name, help).buckets(LATENCY_BUCKETS.to_vec()), labels)?;
        registry.register(Box::new(h.clone()))?;
        Ok(h)
    };
    let latency = histogram(
        "litellm_llm_api_latency_metric",
        "Seconds from request to complete response",
        &["model", "api_provider"],
    )?;
    let total_latency =
        histogram("litellm_request_total_latency_metric", "Seconds a request took, end to end", KEY_LATENCY)?;
    let first_token =
        histogram("litellm_llm_api_time_to_first_token_metric", "Seconds to a stream's first chunk", KEY_LATENCY)?;
    let proxy_requests = int("litellm_proxy_total_requests_metric_total", "Requests made to the proxy", PROXY)?;
    let proxy_failures =
        int("litellm_proxy_failed_requests_metric_total", "Requests the proxy answered with an error", PROXY_FAILED)?;
    let gauge = |name: &str, help: &str, labels: &[&str]| -> Result<GaugeVec, prometheus::Error> {
        let g = GaugeVec::new(Opts::new(name, help), labels)?;
        registry.register(Box::new(g.clone()))?;
        Ok(g)
    };
    let key_max_budget =
        gauge("litellm_api_key_max_budget_metric", "A key's max budget", &["hashed_api_key", "api_key_alias"])?;
    let key_remaining = gauge(
        "litellm_remaining_api_key_budget_metric",
        "What is left of a key's budget",
        &["hashed_api_key", "api_key_alias"],
    )?;
    let team_max_budget = gauge("litellm_team_max_budget_metric", "A team's max budget", &["team", "team_alias"])?;
    let team_remaining =
        gauge("litellm_remaining_team_budget_metric", "What is left of a team's budget", &["team", "team_alias"])?;
    Ok(Metrics {
        registry,
        requests,
        successes,
        failures,
        spend,
        input_tokens,
        output_tokens,
        total_tokens,
        latency,
        total_latency,
        first_token,
        proxy_requests,
        proxy_failures,
        key_max_budget,
        key_remaining,
        team_max_budget,
        team_remaining,
    })
}

fn metrics() -> Option<&'static Metrics> {
    static METRICS: OnceLock<Option<Metrics>> = OnceLock::new();
    METRICS.get_or_init(|| build().ok()).as_ref()
}

/// The proxy's labels of a request: who made it (empty strings in the SDK).
#[derive(Debug, Default, Clone)]
pub struct Who<'a> {
    pub end_user: &'a str,
    pub hashed_api_key: &'a str,
    pub api_key_alias: &'a str,
    pub team: &'a str,
    pub team_alias: &'a str,
    pub user: &'a str,
}

impl<'a> Who<'a> {
    /// From a standard logging payload's metadata (the proxy puts the key's identity there).
    fn of(p: &'a Value) -> Self {
        let md = |k: &str| p.pointer(&format!("/metadata/{k}")).and_then(Value::as_str).unwrap_or_default();
        let end_user = match text(p, "end_user") {
            "" => md("user_api_key_end_user_id"),
            u => u,
        };
        Who {
            end_user,
            hashed_api_key: md("user_api_key_hash"),
            api_key_alias: md("user_api_key_alias"),
            team: md("user_api_key_team_id"),
            team_alias: md("user_api_key_team_alias"),
            user: md("user_api_key_user_id"),
        }
    }
}

/// Counts one finished call.
pub fn record(p: &Value) {
    let Some(m) = metrics() else { return };
    let model = text(p, "model");
    let provider = text(p, "custom_llm_provider");
    let api_base = text(p, "api_base");
    let deployment = [model, provider, api_base];
    m.requests.with_label_values(&deployment).inc();
    if failed(p) {
        let status = p.pointer("/error_information/error_code").and_then(Value::as_str).unwrap_or_default();
        let class = p.pointer("/error_information/error_class").and_then(Value::as_str).unwrap_or_default();
        m.failures.with_label_values(&[model, provider, api_base, status, class]).inc();
        return;
    }
    m.successes.with_label_values(&deployment).inc();
    let w = Who::of(p);
    let requested = match text(p, "model_group") {
        "" => model,
        g => g,
    };
    let tokens_labels = [w.end_user, w.hashed_api_key, w.api_key_alias, requested, w.team, w.team_alias, w.user, model];
    let tokens = |k: &str| p.get(k).and_then(Value::as_u64).unwrap_or(0);
    m.input_tokens.with_label_values(&tokens_labels).inc_by(tokens("prompt_tokens"));
    m.output_tokens.with_label_values(&tokens_labels).inc_by(tokens("completion_tokens"));
    m.total_tokens.with_label_values(&tokens_labels).inc_by(tokens("total_tokens"));
    let cost = num(p, "response_cost");
    if cost > 0.0 && cost.is_finite() {
        m.spend
            .with_label_values(&[w.end_user, w.hashed_api_key, w.api_key_alias, model, w.team, w.team_alias, w.user])
            .inc_by(cost);
    }
    let (start, end) = (num(p, "startTime"), num(p, "endTime"));
    let key_labels = [model, w.hashed_api_key, w.api_key_alias, w.team, w.team_alias];
    if end >= start {
        m.latency.with_label_values(&[model, provider]).observe(end - start);
        m.total_latency.with_label_values(&key_labels).observe(end - start);
    }
    let first = num(p, "completionStartTime");
    if p.get("stream").and_then(Value::as_bool) == Some(true) && first >= start && first <= end {
        m.first_token.with_label_values(&key_labels).observe(first - start);
    }
    // budgets after this call (the proxy's keys and teams)
    let md_num = |k: &str| p.pointer(&format!("/metadata/{k}")).and_then(Value::as_f64);
    if !w.hashed_api_key.is_empty()
        && let Some(max) = md_num("user_api_key_max_budget")
    {
        let spent = md_num("user_api_key_spend").unwrap_or(0.0) + cost.max(0.0);
        m.key_max_budget.with_label_values(&[w.hashed_api_key, w.api_key_alias]).set(max);
        m.key_remaining.with_label_values(&[w.hashed_api_key, w.api_key_alias]).set(max - spent);
    }
    if !w.team.is_empty()
        && let Some(max) = md_num("user_api_key_team_max_budget")
    {
        let spent = md_num("user_api_key_team_spend").unwrap_or(0.0) + cost.max(0.0);
        m.team_max_budget.with_label_values(&[w.team, w.team_alias]).set(max);
        m.team_remaining.with_label_values(&[w.team, w.team_alias]).set(max - spent);
    }
}

/// Counts a request the proxy answered: `failure` is its status code and error class when it
/// failed (refusals by the proxy itself included, which never reach a deployment).
pub fn record_proxy_request(who: &Who<'_>, requested_model: &str, status: u16, failure: Option<&str>) {
    let Some(m) = metrics() else { return };
    let status = status.to_string();
    let labels = [
        who.end_user,
        who.hashed_api_key,
        who.api_key_alias,
        requested_model,
        who.team,
        who.team_alias,
        who.user,
        &status,
        failure.unwrap_or_default(),
    ];
    m.proxy_requests.with_label_values(&labels[..8]).inc();
    if failure.is_some() {
        m.proxy_failures.with_label_values(&labels).inc();
    }
}

/// Every metric in the Prometheus text exposition format.
pub fn render() -> String {
    let Some(m) = metrics() else { return String::new() };
    let mut out = Vec::new();
    let _ = TextEncoder::new().encode(&m.registry.gather(), &mut out);
    String::from_utf8(out).unwrap_or_default()
}
