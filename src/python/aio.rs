//! Async calls without touching Python from runtime threads.
//!
//! Each asyncio loop owns one `CompletionQueue`: a socket pair whose read end the loop watches
//! (`loop.add_reader`). An async call is submitted as a tokio task that, when done, pushes its
//! outcome onto the queue and writes one byte to wake the loop; the loop thread then drains the
//! queue, builds the Python results while it holds the GIL anyway, and resolves the futures.
//! Runtime threads never take the GIL: no per-call thread-state churn, no GIL ping-pong with the
//! loop, and no race with interpreter shutdown (a task finishing during exit only writes a byte).

use std::collections::HashMap;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::engine::Hidden;
use crate::engine::stream::Batch;
use pyo3::exceptions::PyOSError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};
use tokio::task::AbortHandle;

use super::LogOut;
use super::errors::to_pyerr;
use super::runtime::guarded;
use super::stream::{Maker, PyStream, to_list};
use crate::callbacks::StreamLog;
use crate::engine::ChunkStream;
use crate::error::LlmError;
use crate::transport::core;

/// What a finished async call delivers.
pub enum Ready {
    /// A complete response: JSON bytes, hidden params and the call's log (when asked for).
    Response(Vec<u8>, Option<Hidden>, Option<LogOut>),
    /// An opened stream, and its log.
    Stream(Box<ChunkStream>, Option<StreamLog>),
    /// A batch of stream chunks (empty at the end of the stream), and the stream's chunk maker.
    Batch(Batch, Option<Arc<Maker>>),
    /// A failed call whose log was asked for.
    Failed(LlmError, LogOut),
}

type Outcome = Result<Ready, LlmError>;

struct Shared {
    done: Mutex<Vec<(u64, Outcome)>>,
    running: Mutex<HashMap<u64, AbortHandle>>,
    wake: UnixStream,
}

impl Shared {
    fn push(&self, id: u64, outcome: Outcome) {
        let first = match self.done.lock() {
            Ok(mut d) => {
                d.push((id, outcome));
                d.len() == 1
            }
            Err(_) => return,
        };
        if first {
            // Non-blocking: a full socket buffer means the loop has wake-ups pending anyway.
            let _ = (&self.wake).write(&[1]);
        }
    }
}

/// The queue of one event loop.
#[pyclass(module = "litellm_rs._core", name = "CompletionQueue")]
pub struct CompletionQueue {
    shared: Arc<Shared>,
    reader: UnixStream,
    next_id: AtomicU64,
}

impl CompletionQueue {
    /// Runs `fut` on the process runtime; its outcome is delivered through the queue under the
    /// returned id.
    pub fn submit<F>(&self, fut: F) -> u64
    where
        F: Future<Output = Outcome> + Send + 'static,
    {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let shared = self.shared.clone();
        // boxed first, so that the (large) call future is copied once, not by every wrapper
        let fut = Box::pin(fut);
        let task = core().rt.spawn(async move {
            let outcome = guarded(fut).await;
            shared.push(id, outcome);
        });
        if let Ok(mut r) = self.shared.running.lock()
            && !task.is_finished()
        {
            r.insert(id, task.abort_handle());
        }
        id
    }
}

#[pymethods]
impl CompletionQueue {
    #[new]
    fn new() -> PyResult<Self> {
        let (reader, wake) = UnixStream::pair().map_err(|e| PyOSError::new_err(e.to_string()))?;
        reader.set_nonblocking(true).map_err(|e| PyOSError::new_err(e.to_string()))?;
        wake.set_nonblocking(true).map_err(|e| PyOSError::new_err(e.to_string()))?;
        let shared = Shared { done: Mutex::new(Vec::new()), running: Mutex::new(HashMap::new()), wake };
        Ok(Self { shared: Arc::new(shared), reader, next_id: AtomicU64::new(1) })
    }

    /// The descriptor the event loop watches for readability.
    fn fileno(&self) -> i32 {
        self.reader.as_raw_fd()
    }

    /// Every finished call as `(id, ok, value)`: value is the result, or the exception to raise.
    fn drain(&self, py: Python<'_>) -> PyResult<Vec<(u64, bool, Py<PyAny>)>> {
        let mut buf = [0u8; 256];
        while matches!((&self.reader).read(&mut buf), Ok(n) if n > 0) {}
        let done = match self.shared.done.lock() {
            Ok(mut d) => std::mem::take(&mut *d),
            Err(_) => Vec::new(),
        };
        if done.is_empty() {
            return Ok(Vec::new());
        }
        if let Ok(mut r) = self.shared.running.lock() {
            for (id, _) in &done {
                r.remove(id);
            }
        }
        let mut out = Vec::with_capacity(done.len());
        for (id, outcome) in done {
            let item = match outcome {
                Ok(Ready::Response(bytes, hidden, log)) => {
                    let h = match hidden {
                        Some(h) => super::hidden_dict(py, &h)?.into_any(),
                        None => py.None().into_bound(py),
                    };
                    let l = super::logs::to_py(py, log)?;
                    (true, PyTuple::new(py, [PyBytes::new(py, &bytes).into_any(), h, l])?.into_any().unbind())
                }
                Ok(Ready::Stream(s, log)) => (true, Py::new(py, PyStream::new(*s, log))?.into_any()),
                Ok(Ready::Failed(e, log)) => (false, super::logged_err(py, &e, Some(log)).into_value(py).into_any()),
                Ok(Ready::Batch(batch, maker)) => (true, to_list(py, &batch, maker.as_deref())?.into_any()),
                Err(e) => (false, to_pyerr(py, &e).into_value(py).into_any()),
            };
            out.push((id, item.0, item.1));
        }
        Ok(out)
    }

    /// Cancels a call whose awaiting task was cancelled (drops the request or stream).
    fn cancel(&self, id: u64) {
        if let Some(h) = self.shared.running.lock().ok().and_then(|mut r| r.remove(&id)) {
            h.abort();
        }
        if let Ok(mut d) = self.shared.done.lock() {
            d.retain(|(i, _)| *i != id);
        }
    }
}

impl Drop for CompletionQueue {
    fn drop(&mut self) {
        if let Ok(mut r) = self.shared.running.lock() {
            for (_, h) in r.drain() {
                h.abort();
            }
        }
    }
}
