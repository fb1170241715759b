//! Callbacks: the standard logging payload of each finished call, and the built-in loggers that
//! ship it to observability services. Side channels never slow or fail a request: payloads go
//! through a bounded queue per logger, drained by one task that sends them in batches.
//!
//! Python callables (success/failure callbacks, `CustomLogger` hooks) are run by the Python layer
//! from the same payload; this module never calls into Python.

pub mod dispatch;
pub mod loggers;
pub mod payload;
pub mod stream;

use std::sync::{Arc, Mutex, OnceLock};

use serde_json::Value;

pub use dispatch::{dropped, emit, flush, reset};
pub use payload::{CallLog, Outcome};
pub use stream::StreamLog;

use crate::engine::{CallOptions, Hidden};
use crate::error::LlmError;

/// Finishes the log of a call: builds its payload, queues it for the call's built-in loggers and
/// returns it as JSON when the edge asked for it (Python callbacks are registered).
pub fn finish(
    log: &CallLog,
    opts: &CallOptions,
    hidden: Option<&Hidden>,
    outcome: Outcome<'_>,
    first_chunk: Option<f64>,
) -> Option<Vec<u8>> {
    let payload = log.payload(opts, hidden, outcome, first_chunk);
    let bytes = serde_json::to_vec(&payload).ok()?;
    if let Some(names) = opts.loggers.as_ref().filter(|n| !n.is_empty()) {
        emit(names, bytes::Bytes::from(bytes.clone()));
    }
    opts.log_payload.unwrap_or(false).then_some(bytes)
}

/// How a call ended, owned: what a deferred payload is built from.
pub enum Ended {
    /// The response, as the JSON the caller received.
    Success(Vec<u8>),
    Failure(LlmError),
}

struct Parts {
    log: CallLog,
    opts: Arc<CallOptions>,
    hidden: Option<Hidden>,
    ended: Ended,
    first_chunk: Option<f64>,
}

/// The log of a finished call whose payload is built on first use, off the call's path: by the
/// built-in loggers' task (started here when the call has loggers) or when the edge asks for it
/// (a Python hook reading `standard_logging_object`). Built once; later asks get the same bytes.
pub struct Deferred {
    parts: Mutex<Option<Parts>>,
    built: OnceLock<Option<Vec<u8>>>,
    pub call_id: String,
    pub trace_id: String,
}

impl Deferred {
    pub fn new(
        log: CallLog,
        opts: Arc<CallOptions>,
        hidden: Option<Hidden>,
        ended: Ended,
        first_chunk: Option<f64>,
    ) -> Arc<Self> {
        let has_loggers = opts.loggers.as_ref().is_some_and(|l| !l.is_empty());
        let d = Arc::new(Self {
            call_id: log.call_id.clone(),
            trace_id: log.trace_id.clone(),
            parts: Mutex::new(Some(Parts { log, opts, hidden, ended, first_chunk })),
            built: OnceLock::new(),
        });
        if has_loggers {
            let d2 = d.clone();
            let guard = dispatch::building();
            crate::transport::core().rt.spawn(async move {
                d2.bytes();
                drop(guard);
            });
        }
        d
    }

    /// The payload (JSON) when the edge asked for one; builds it (and feeds the loggers) once.
    pub fn bytes(&self) -> Option<&[u8]> {
        self.built
            .get_or_init(|| {
                let parts = self.parts.lock().ok()?.take()?;
                let outcome = match &parts.ended {
                    Ended::Success(json) => Outcome::Success(serde_json::from_slice(json).unwrap_or(Value::Null)),
                    Ended::Failure(e) => Outcome::Failure(e),
                };
                finish(&parts.log, &parts.opts, parts.hidden.as_ref(), outcome, parts.first_chunk)
            })
            .as_deref()
    }
}

/// The payload of a successful call whose response is `resp`.
pub fn success_value<T: serde::Serialize>(resp: &T) -> Value {
    serde_json::to_value(resp).unwrap_or(Value::Null)
}
