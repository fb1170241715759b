//! The `"prometheus"` logger: an in-process registry of litellm's metric names, updated as each
//! call finishes and rendered in the Prometheus text format ([`render`]) for users (and the
//! proxy's `/metrics`) to expose.

use std::sync::OnceLock;

use prometheus::{CounterVec, Encoder, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry, TextEncoder};
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
}

const DEPLOYMENT: &[&str] = &["litellm_model_name", "api_provider", "api_base"];
const USAGE: &[&str] = &["model", "end_user"];
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
    let input_tokens = int("litellm_input_tokens_metric_total", "Input (prompt) tokens", USAGE)?;
    let output_tokens = int("litellm_output_tokens_metric_total", "Output (completion) tokens", USAGE)?;
    let total_tokens = int("litellm_total_tokens_metric_total", "Input + output tokens", USAGE)?;
    let spend = CounterVec::new(Opts::new("litellm_spend_metric_total", "Spend in USD"), USAGE)?;
    registry.register(Box::new(spend.clone()))?;
    let latency = HistogramVec::new(
        HistogramOpts::new("litellm_llm_api_latency_metric", "Seconds from request to complete response")
            .buckets(LATENCY_BUCKETS.to_vec()),
        &["model", "api_provider"],
    )?;
    registry.register(Box::new(latency.clone()))?;
    Ok(Metrics { registry, requests, successes, failures, spend, input_tokens, output_tokens, total_tokens, latency })
}

fn metrics() -> Option<&'static Metrics> {
    static METRICS: OnceLock<Option<Metrics>> = OnceLock::new();
    METRICS.get_or_init(|| build().ok()).as_ref()
}

/// Counts one finished call.
pub fn record(p: &Value) {
    let Some(m) = metrics() else { return };
    let model = text(p, "model");
    let provider = text(p, "custom_llm_provider");
    let api_base = text(p, "api_base");
    let end_user = text(p, "end_user");
    let deployment = [model, provider, api_base];
    m.requests.with_label_values(&deployment).inc();
    if failed(p) {
        let status = p.pointer("/error_information/error_code").and_then(Value::as_str).unwrap_or_default();
        let class = p.pointer("/error_information/error_class").and_then(Value::as_str).unwrap_or_default();
        m.failures.with_label_values(&[model, provider, api_base, status, class]).inc();
        return;
    }
    m.successes.with_label_values(&deployment).inc();
    let usage = [model, end_user];
    let tokens = |k: &str| p.get(k).and_then(Value::as_u64).unwrap_or(0);
    m.input_tokens.with_label_values(&usage).inc_by(tokens("prompt_tokens"));
    m.output_tokens.with_label_values(&usage).inc_by(tokens("completion_tokens"));
    m.total_tokens.with_label_values(&usage).inc_by(tokens("total_tokens"));
    let cost = num(p, "response_cost");
    if cost > 0.0 && cost.is_finite() {
        m.spend.with_label_values(&usage).inc_by(cost);
    }
    let latency = num(p, "endTime") - num(p, "startTime");
    if latency >= 0.0 {
        m.latency.with_label_values(&[model, provider]).observe(latency);
    }
}

/// Every metric in the Prometheus text exposition format.
pub fn render() -> String {
    let Some(m) = metrics() else { return String::new() };
    let mut out = Vec::new();
    let _ = TextEncoder::new().encode(&m.registry.gather(), &mut out);
    String::from_utf8(out).unwrap_or_default()
}
