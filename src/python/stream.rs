//! The `Stream` handle given to Python: `next()` for sync iteration (GIL released while waiting),
//! `next_batch()` for async iteration (one awaitable per ready batch, not per chunk).

use std::sync::{Arc, Mutex as StdMutex};

use pyo3::prelude::*;
use pyo3::types::PyBytes;
use tokio::sync::Mutex;
use tokio::sync::mpsc::error::TryRecvError;

use super::errors::to_pyerr;
use super::aio::{CompletionQueue, Ready};
use super::runtime::block_on;
use crate::engine::ChunkStream;
use crate::error::LlmError;

const BATCH: usize = 256;

#[pyclass(module = "litellm_rs._core", name = "Stream")]
pub struct PyStream {
    inner: Arc<Mutex<ChunkStream>>,
    hidden: serde_json::Value,
    /// An error met while a batch was being filled, raised on the next call.
    pending: Arc<StdMutex<Option<LlmError>>>,
}

impl PyStream {
    pub fn new(s: ChunkStream) -> Self {
        let hidden = s.hidden.to_json();
        Self { inner: Arc::new(Mutex::new(s)), hidden, pending: Arc::new(StdMutex::new(None)) }
    }

    fn take_pending(&self) -> Option<LlmError> {
        self.pending.lock().ok().and_then(|mut g| g.take())
    }
}

#[pymethods]
impl PyStream {
    /// The next chunk (JSON bytes), or None at the end.
    fn next(&self, py: Python<'_>) -> PyResult<Option<Py<PyBytes>>> {
        if let Some(e) = self.take_pending() {
            return Err(to_pyerr(py, &e));
        }
        // Fast path: a chunk is already waiting, no need to release the GIL.
        if let Ok(mut g) = self.inner.try_lock() {
            match g.rx.try_recv() {
                Ok(Ok(b)) => return Ok(Some(PyBytes::new(py, &b).unbind())),
                Ok(Err(e)) => return Err(to_pyerr(py, &e)),
                Err(TryRecvError::Disconnected) => return Ok(None),
                Err(TryRecvError::Empty) => {}
            }
        }
        let inner = self.inner.clone();
        let item = block_on(py, async move {
            let mut g = inner.lock().await;
            Ok(g.rx.recv().await)
        })?;
        match item {
            None => Ok(None),
            Some(Ok(b)) => Ok(Some(PyBytes::new(py, &b).unbind())),
            Some(Err(e)) => Err(to_pyerr(py, &e)),
        }
    }

    /// Submits "wait for at least one chunk, then take every chunk ready (up to 256)" to a loop's
    /// completion queue; the outcome is a list of chunk bytes, [] at the end.
    fn next_batch_submit(&self, py: Python<'_>, queue: &CompletionQueue) -> PyResult<u64> {
        if let Some(e) = self.take_pending() {
            return Err(to_pyerr(py, &e));
        }
        let inner = self.inner.clone();
        let pending = self.pending.clone();
        Ok(queue.submit(async move {
            let mut g = inner.lock().await;
            let mut out = Vec::new();
            match g.rx.recv().await {
                None => return Ok(Ready::Batch(out)),
                Some(Ok(b)) => out.push(b),
                Some(Err(e)) => return Err(e),
            }
            while out.len() < BATCH {
                match g.rx.try_recv() {
                    Ok(Ok(b)) => out.push(b),
                    Ok(Err(e)) => {
                        if let Ok(mut p) = pending.lock() {
                            *p = Some(e);
                        }
                        break;
                    }
                    Err(_) => break,
                }
            }
            Ok(Ready::Batch(out))
        }))
    }

    /// Stops the stream and closes the upstream connection.
    fn close(&self) {
        if let Ok(mut g) = self.inner.try_lock() {
            g.close();
        } else {
            let inner = self.inner.clone();
            crate::transport::core().rt.spawn(async move { inner.lock().await.close() });
        }
    }

    fn hidden_params(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Ok(pythonize::pythonize(py, &self.hidden)?.unbind())
    }
}

impl Drop for PyStream {
    fn drop(&mut self) {
        if let Ok(mut g) = self.inner.try_lock() {
            g.close();
        }
    }
}
