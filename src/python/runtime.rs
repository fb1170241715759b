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

/// How often a blocked call lets Python run its signal handlers (so that Ctrl-C interrupts it).
const SIGNAL_CHECK: Duration = Duration::from_millis(50);

/// Wakes the thread blocked in [`wait_on`] (std's park/unpark: one futex word, no runtime).
struct Unpark(std::thread::Thread);

impl std::task::Wake for Unpark {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.unpark();
    }
    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        self.0.unpark();
    }
}

/// Polls `fut` on this thread (inside the runtime's context, whose worker threads drive the
/// sockets and timers) and parks between polls; every 50 ms Python runs its signal handlers, and
/// an exception there (KeyboardInterrupt) drops the future, which cancels the request.
///
/// No timer is registered for that: a tokio timer per call (or per wait of a stream) would wake
/// the runtime's driver through its eventfd each time, and the parked thread's own timeout does
/// the same job.
fn wait_on<T>(rt: &tokio::runtime::Runtime, fut: impl Future<Output = Result<T, LlmError>>) -> Result<T, CallError> {
    let _context = rt.enter();
    let fut = guarded(fut);
    let mut fut = std::pin::pin!(fut);
    let waker = std::task::Waker::from(std::sync::Arc::new(Unpark(std::thread::current())));
    let mut cx = std::task::Context::from_waker(&waker);
    let mut next_check = std::time::Instant::now() + SIGNAL_CHECK;
    loop {
        if let std::task::Poll::Ready(r) = fut.as_mut().poll(&mut cx) {
            return r.map_err(CallError::Llm);
        }
        // an unpark that came while polling makes this return at once (std's park token)
        std::thread::park_timeout(next_check.saturating_duration_since(std::time::Instant::now()));
        let now = std::time::Instant::now();
        if now >= next_check {
            Python::attach(|py| py.check_signals()).map_err(CallError::Py)?;
            next_check = now + SIGNAL_CHECK;
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
    // guarded and wait_on would copy it.
    let fut = Box::pin(fut);
    let out = py.detach(|| {
        let rt = &core().rt;
        if tokio::runtime::Handle::try_current().is_ok() {
            // Called from a runtime thread (a callback calling the sync API): block elsewhere.
            std::thread::scope(|s| match s.spawn(|| wait_on(rt, fut)).join() {
                Ok(r) => r,
                Err(_) => Err(CallError::Llm(LlmError::new(
                    ErrorKind::Api,
                    "litellm_rs internal error: worker thread panicked",
                ))),
            })
        } else {
            wait_on(rt, fut)
        }
    });
    out.map_err(|e| e.into_py(py))
}
