//! Debug logs (`litellm_rs.set_verbose = True`, `LITELLM_LOG=DEBUG`): the engine's `tracing`
//! events written to stderr, with every credential of the call redacted. Off by default, and
//! then free: `enabled()` is one atomic load, and nothing is formatted.

use std::sync::Once;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

use tracing::Level;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::layer::SubscriberExt;

use crate::providers::{CallTarget, HttpRequest};

/// 0 = off, 1 = error, 2 = warn, 3 = info, 4 = debug.
static LEVEL: AtomicU8 = AtomicU8::new(0);
static INSTALL: Once = Once::new();
/// Whether log lines are JSON objects (`json_logs: true`, `JSON_LOGS=True`).
static JSON: AtomicBool = AtomicBool::new(false);

/// Writes every log line as one JSON object (`timestamp`, `level`, `target`, `message` and the
/// event's fields), for log collectors.
pub fn set_json(on: bool) {
    JSON.store(on, Ordering::Relaxed);
}

fn rank(level: &Level) -> u8 {
    match *level {
        Level::ERROR => 1,
        Level::WARN => 2,
        Level::INFO => 3,
        Level::DEBUG => 4,
        _ => 5,
    }
}

/// Our own events at the chosen level; the libraries' (hyper, reqwest, ...) at warnings only.
fn wanted(meta: &tracing::Metadata<'_>) -> bool {
    let level = LEVEL.load(Ordering::Relaxed);
    let limit = if meta.target().starts_with("litellm_rs") { level } else { level.min(2) };
    rank(meta.level()) <= limit
}

/// Sets the level ("DEBUG", "INFO", "WARNING", "ERROR", or "OFF"/"NONE"); installs the stderr
/// writer on first use (unless the host process installed its own `tracing` subscriber).
pub fn set_level(level: &str) {
    let n = match level.to_ascii_uppercase().as_str() {
        "DEBUG" | "TRACE" => 4,
        "INFO" => 3,
        "WARNING" | "WARN" => 2,
        "ERROR" | "CRITICAL" => 1,
        _ => 0,
    };
    LEVEL.store(n, Ordering::Relaxed);
    if n > 0 {
        INSTALL.call_once(|| {
            // one line of text per event, or one JSON object (`set_json`); chosen per event
            let text = tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_target(true)
                .with_filter(filter_fn(|m| !JSON.load(Ordering::Relaxed) && wanted(m)));
            let json = tracing_subscriber::fmt::layer()
                .json()
                .flatten_event(true)
                .with_current_span(false)
                .with_span_list(false)
                .with_writer(std::io::stderr)
                .with_target(true)
                .with_filter(filter_fn(|m| JSON.load(Ordering::Relaxed) && wanted(m)));
            let _ = tracing::subscriber::set_global_default(tracing_subscriber::registry().with(text).with(json));
        });
    }
}

/// Whether log lines are JSON objects.
pub fn is_json() -> bool {
    JSON.load(Ordering::Relaxed)
}

/// Whether debug logs are on.
pub fn debug_enabled() -> bool {
    LEVEL.load(Ordering::Relaxed) >= 4
}

/// Text with the call's credentials replaced by `[REDACTED]`.
pub fn redacted(text: &str, target: &CallTarget) -> String {
    let mut out = text.to_owned();
    for s in target.secrets().filter(|s| s.len() >= 4) {
        if out.contains(s) {
            out = out.replace(s, "[REDACTED]");
        }
    }
    out
}

/// Logs a request about to be sent (credentials redacted: headers by name, the body by value).
pub fn request(http: &HttpRequest, target: &CallTarget) {
    if debug_enabled() {
        let body = redacted(&String::from_utf8_lossy(&http.body), target);
        tracing::debug!(target: "litellm_rs::http", request = ?http, body = %body, "POST {}", redacted(&http.url, target));
    }
}

/// Logs an answer (its body cut to 4 KB).
pub fn response(status: u16, body: &[u8], target: &CallTarget) {
    if debug_enabled() {
        let text = String::from_utf8_lossy(&body[..body.len().min(4096)]);
        tracing::debug!(target: "litellm_rs::http", status, body = %redacted(&text, target), "response");
    }
}
