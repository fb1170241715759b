//! Running engine futures from Python: sync calls block on the process runtime with the GIL
//! released (Ctrl-C aware). Async calls go through the completion queue (`aio.rs`).

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures_util::FutureExt;
use pyo3::prelude::*;

use super::errors::to_pyerr;
use crate::error::{ErrorKind, LlmError};
use crate::transport::core;

/// Either an engine error or a Python error (KeyboardInterrupt from a signal check).
pub enum CallError {
    Llm(LlmError),
    Py(PyErr),
}

impl From<LlmError> for CallError {
    fn from(e: LlmError) -> Self {
        Self::Llm(e)
    }
}

impl CallError {
    pub fn into_py(self, py: Python<'_>) -> PyErr {
        match self {
            Self::Llm(e) => to_pyerr(py, &e),
            Self::Py(e) => e,
        }
    }
}

/// A panic inside the engine becomes an ordinary error, never a PanicException.
pub async fn guarded<T>(fut: impl Future<Output = Result<T, LlmError>>) -> Result<T, LlmError> {
    match AssertUnwindSafe(fut).catch_unwind().await {
        Ok(r) => r,
        Err(p) => {
            let msg = p
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            Err(LlmError::new(ErrorKind::Api, format!("litellm_rs internal error: {msg}")))
        }
    }
}

/// Polls `fut` and, every 50 ms, lets Python run its signal handlers (so Ctrl-C interrupts a
/// blocking call; dropping the future cancels the request).
async fn interruptible<T>(fut: impl Future<Output = Result<T, LlmError>>) -> Result<T, CallError> {
    let fut = guarded(fut);
    tokio::pin!(fut);
    // The first check is 50 ms out: an interval's immediate first tick would cost a timer round
    // (about 1 ms) on every call.
    let period = Duration::from_millis(50);
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    loop {
        tokio::select! {
            r = &mut fut => return r.map_err(CallError::Llm),
            _ = tick.tick() => {
                Python::attach(|py| py.check_signals()).map_err(CallError::Py)?;
            }
        }
    }
}

/// Runs a future to completion with the GIL released.
pub fn block_on<T, F>(py: Python<'_>, fut: F) -> PyResult<T>
where
    T: Send,
    F: Future<Output = Result<T, LlmError>> + Send,
{
    // On the heap at once: a call's future is tens of KB, and every move through detach,
    // guarded, interruptible and block_on would copy it.
    let fut = Box::pin(fut);
    let out = py.detach(|| {
        let rt = &core().rt;
        if tokio::runtime::Handle::try_current().is_ok() {
            // Called from a runtime thread (a callback calling the sync API): block elsewhere.
            std::thread::scope(|s| match s.spawn(|| rt.block_on(interruptible(fut))).join() {
                Ok(r) => r,
                Err(_) => Err(CallError::Llm(LlmError::new(
                    ErrorKind::Api,
                    "litellm_rs internal error: worker thread panicked",
                ))),
            })
        } else {
            rt.block_on(interruptible(fut))
        }
    });
    out.map_err(|e| e.into_py(py))
}
