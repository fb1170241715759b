//! Built-in loggers, chosen by name (`"langfuse"`, `"otel"`, ...). Each turns a batch of standard
//! logging payloads into the HTTP requests of the service's public ingestion API (pure, like the
//! providers); `dispatch` sends them. Endpoints and credentials come from the service's usual
//! environment variables, and every endpoint can be pointed elsewhere (self-hosted, tests).

mod datadog;
mod helicone;
mod langfuse;
mod langsmith;
mod otel;
pub mod prometheus;
mod wandb;
mod webhook;

use std::sync::Arc;

use serde_json::Value;

use crate::providers::HttpRequest;
use crate::util::env_var;

/// A built-in logger that ships payloads over HTTP.
pub trait Logger: Send + Sync + 'static {
    fn name(&self) -> &'static str;
    /// The requests that deliver `batch` (one per batch, or one per payload for per-event APIs).
    fn requests(&self, batch: &[Arc<Value>]) -> Vec<HttpRequest>;
}

/// Every name that selects a built-in logger.
pub const NAMES: &[&str] =
    &["langfuse", "langsmith", "datadog", "helicone", "wandb", "weave", "otel", "prometheus", "webhook", "generic_api"];

/// The logger a callback name selects (`"generic"` and `"generic_api"` are the webhook; `"weave"`
/// is W&B Weave). Unknown names come back unchanged (and are reported when used).
pub fn canonical(name: &str) -> &'static str {
    match name {
        "langfuse" | "langfuse_otel" => "langfuse",
        "langsmith" => "langsmith",
        "datadog" | "datadog_llm_observability" => "datadog",
        "helicone" => "helicone",
        "wandb" | "weave" => "wandb",
        "otel" | "opentelemetry" | "open_telemetry" => "otel",
        "prometheus" => "prometheus",
        "webhook" | "generic" | "generic_api" => "webhook",
        _ => "unknown",
    }
}

/// Records the payload at once when the logger lives in this process; false for HTTP loggers.
pub fn record_in_process(name: &str, payload: &[u8]) -> bool {
    if name == "prometheus" {
        if let Ok(v) = serde_json::from_slice::<Value>(payload) {
            prometheus::record(&v);
        }
        return true;
    }
    false
}

/// The logger for `name`, configured from the environment.
pub fn from_env(name: &str) -> Result<Box<dyn Logger>, String> {
    Ok(match name {
        "langfuse" => Box::new(langfuse::Langfuse::from_env()?),
        "langsmith" => Box::new(langsmith::LangSmith::from_env()?),
        "datadog" => Box::new(datadog::Datadog::from_env()?),
        "helicone" => Box::new(helicone::Helicone::from_env()?),
        "wandb" => Box::new(wandb::Weave::from_env()?),
        "otel" => Box::new(otel::Otel::from_env()),
        "webhook" => Box::new(webhook::Webhook::from_env()?),
        other => return Err(format!("no built-in logger is called {other:?}")),
    })
}

fn required(names: &[&str], what: &str) -> Result<String, String> {
    names.iter().find_map(|n| env_var(n)).ok_or_else(|| format!("{what}: set {}", names.join(" or ")))
}

fn base(names: &[&str], default: &str) -> String {
    names.iter().find_map(|n| env_var(n)).unwrap_or_else(|| default.to_owned()).trim_end_matches('/').to_owned()
}

fn json_request(url: String, mut headers: Vec<(String, String)>, body: &Value) -> HttpRequest {
    headers.insert(0, ("content-type".into(), "application/json".into()));
    HttpRequest { url, headers, body: serde_json::to_vec(body).unwrap_or_default().into() }
}

/// `k1=v1,k2=v2` header lists (OTEL_EXPORTER_OTLP_HEADERS, GENERIC_LOGGER_HEADERS).
fn header_list(raw: Option<String>) -> Vec<(String, String)> {
    raw.map(|s| {
        s.split(',')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .filter(|(k, _)| !k.is_empty())
            .collect()
    })
    .unwrap_or_default()
}

/// RFC 3339 UTC time with microseconds for epoch seconds.
pub fn iso_time(epoch: f64) -> String {
    let micros = (epoch * 1e6).round().max(0.0) as i64;
    let (secs, us) = (micros.div_euclid(1_000_000), micros.rem_euclid(1_000_000));
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{us:06}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// Days since 1970-01-01 -> (year, month, day), proleptic Gregorian (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// A field of a payload as text ("" when absent).
fn text<'a>(p: &'a Value, key: &str) -> &'a str {
    p.get(key).and_then(Value::as_str).unwrap_or_default()
}

fn num(p: &Value, key: &str) -> f64 {
    p.get(key).and_then(Value::as_f64).unwrap_or(0.0)
}

fn failed(p: &Value) -> bool {
    text(p, "status") == "failure"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_time_matches_known_instants() {
        assert_eq!(iso_time(0.0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(iso_time(1_795_701_976.700_024), "2026-11-26T14:06:16.700024Z");
        assert_eq!(iso_time(951_782_400.5), "2000-02-29T00:00:00.500000Z");
    }

    #[test]
    fn header_lists_parse_pairs() {
        let h = header_list(Some("Authorization=Bearer x, X-Team = a".into()));
        assert_eq!(h, vec![("authorization".into(), "Bearer x".into()), ("x-team".into(), "a".into())]);
    }
}
