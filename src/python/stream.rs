//! The `Stream` handle given to Python. Chunks are handed over in batches (everything already
//! received, up to 256): `next_batch()` for sync iteration (GIL released while waiting) and
//! `next_batch_submit()` for async iteration through the loop's completion queue.

use std::sync::Arc;

use bytes::Bytes;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList};
use tokio::sync::Mutex;
use tokio::task::AbortHandle;

use super::aio::{CompletionQueue, Ready};
use super::errors::to_pyerr;
use super::runtime::block_on;
use crate::engine::ChunkStream;

const BATCH: usize = 256;

#[pyclass(module = "litellm_rs._core", name = "Stream")]
pub struct PyStream {
    inner: Arc<Mutex<ChunkStream>>,
    /// Kept outside the lock so that close() and drop act at once, even while another thread
    /// waits for chunks.
    abort: Option<AbortHandle>,
    /// The call's hidden params; rendered when asked, so a stream's cost shows once its usage
    /// chunk was seen.
    hidden: crate::engine::Hidden,
}

impl PyStream {
    pub fn new(s: ChunkStream) -> Self {
        let hidden = s.hidden.clone();
        let abort = s.abort_handle();
        Self { inner: Arc::new(Mutex::new(s)), abort, hidden }
    }

    fn stop(&self) {
        if let Some(a) = &self.abort {
            a.abort();
        }
        if let Ok(mut g) = self.inner.try_lock() {
            g.close();
        }
    }
}

fn to_list(py: Python<'_>, items: Vec<Bytes>) -> PyResult<Py<PyList>> {
    let list = PyList::empty(py);
    for b in items {
        list.append(PyBytes::new(py, &b))?;
    }
    Ok(list.unbind())
}

#[pymethods]
impl PyStream {
    /// The next chunks (JSON bytes): everything already received, at least one; [] at the end.
    fn next_batch(&self, py: Python<'_>) -> PyResult<Py<PyList>> {
        // Fast path: chunks are already waiting, no need to release the GIL.
        if let Ok(mut g) = self.inner.try_lock()
            && let Some(r) = g.try_next_batch(BATCH)
        {
            return r.map_err(|e| to_pyerr(py, &e)).and_then(|items| to_list(py, items));
        }
        let inner = self.inner.clone();
        let items = block_on(py, async move { inner.lock().await.next_batch(BATCH).await })?;
        to_list(py, items)
    }

    /// The same, awaited: submits the wait to a loop's completion queue.
    fn next_batch_submit(&self, queue: &CompletionQueue) -> u64 {
        let inner = self.inner.clone();
        queue.submit(async move { inner.lock().await.next_batch(BATCH).await.map(Ready::Batch) })
    }

    /// Stops the stream and closes the upstream connection.
    fn close(&self) {
        self.stop();
    }

    fn hidden_params(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Ok(pythonize::pythonize(py, &self.hidden.to_json())?.unbind())
    }
}

impl Drop for PyStream {
    fn drop(&mut self) {
        self.stop();
    }
}
