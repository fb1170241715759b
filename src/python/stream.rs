//! The `Stream` handle given to Python. Chunks are handed over in batches (up to 256): one
//! network read at a time to the sync iteration (`ChunkCursor`, GIL released while waiting), and
//! everything already received by `next_batch()` and `next_batch_submit()` (async iteration
//! through the loop's completion queue, where each batch costs a round trip through the loop). After
//! `build_chunks()`, chat chunks of the usual shape come as `ModelResponseStream` objects made
//! here (`chunks.rs`), the others as JSON bytes for pydantic.

mod chunks;
mod cursor;

use std::sync::Arc;

use bytes::Bytes;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList};
use tokio::sync::Mutex;
use tokio::task::AbortHandle;

use std::sync::Mutex as StdMutex;

pub use chunks::Maker;
pub use cursor::ChunkCursor;

use super::aio::{CompletionQueue, Ready};
use super::runtime::block_on;
use super::{LogOut, logged_err};
use crate::callbacks::StreamLog;
use crate::engine::stream::Batch;
use crate::engine::{ChunkStream, Hidden};
use crate::error::LlmError;

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
    /// The stream's log, when logging was asked for: it sees every batch handed out.
    log: Option<Arc<StdMutex<StreamLog>>>,
    /// Set by `build_chunks()`: chunks are handed out as objects where possible.
    maker: StdMutex<Option<Arc<Maker>>>,
    /// Every chunk handed out so far (JSON bytes, shared with the batches), so that the wrapper's
    /// `chunks` list is built only when asked for: chunk objects the caller drops are freed at
    /// once instead of being kept alive (and walked by Python's GC) for the whole stream.
    handed: Arc<StdMutex<Vec<Bytes>>>,
}

impl PyStream {
    pub fn new(s: ChunkStream, log: Option<StreamLog>) -> Self {
        let hidden = s.hidden.clone();
        let abort = s.abort_handle();
        Self {
            inner: Arc::new(Mutex::new(s)),
            abort,
            hidden,
            log: log.map(|l| Arc::new(StdMutex::new(l))),
            maker: StdMutex::new(None),
            handed: Arc::default(),
        }
    }

    fn maker(&self) -> Option<Arc<Maker>> {
        self.maker.lock().ok().and_then(|m| m.clone())
    }

    /// The next batch (empty at the end), waited for with the GIL released; the stream's log
    /// and the handed-out record see it. `merge`: everything already received, else one network
    /// read (the caller comes back at little cost: no copying of the reads queued behind it).
    fn fetch(&self, py: Python<'_>, merge: bool) -> PyResult<Batch> {
        // Fast path: chunks are already waiting, no need to release the GIL.
        let ready = match self.inner.try_lock() {
            Ok(mut g) if merge => g.try_next_laid(BATCH),
            Ok(mut g) => g.try_next_read(BATCH),
            Err(_) => None,
        };
        let r = match ready {
            Some(r) => r,
            None => {
                let inner = self.inner.clone();
                block_on(py, async move {
                    let mut g = inner.lock().await;
                    Ok(if merge { g.next_laid(BATCH).await } else { g.next_read(BATCH).await })
                })?
            }
        };
        let failure = track(self.log.as_deref(), &self.hidden, &r);
        keep(&self.handed, &r);
        r.map_err(|e| logged_err(py, &e, failure.map(LogOut::Bytes)))
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

/// Shows a batch to the stream's log; the end of the stream (or its error) finishes the log.
fn track(log: Option<&StdMutex<StreamLog>>, hidden: &Hidden, r: &Result<Batch, LlmError>) -> Option<Vec<u8>> {
    let mut log = log?.lock().ok()?;
    match r {
        Ok(batch) if batch.chunks.is_empty() => log.end(hidden, None),
        Ok(batch) => log.observe(&batch.chunks),
        Err(e) => {
            log.end(hidden, Some(e));
            return log.payload().map(<[u8]>::to_vec);
        }
    }
    None
}

/// Records a batch as handed out.
fn keep(handed: &StdMutex<Vec<Bytes>>, r: &Result<Batch, LlmError>) {
    if let (Ok(batch), Ok(mut h)) = (r, handed.lock()) {
        h.extend(batch.chunks.iter().cloned());
    }
}

/// A batch as a Python list: chunk objects (with a maker) or JSON bytes.
pub fn to_list(py: Python<'_>, batch: &Batch, maker: Option<&Maker>) -> PyResult<Py<PyList>> {
    if let Some(m) = maker {
        return Ok(m.list(py, &batch.chunks, &batch.layouts)?.unbind());
    }
    Ok(PyList::new(py, batch.chunks.iter().map(|b| PyBytes::new(py, b)))?.unbind())
}

#[pymethods]
impl PyStream {
    /// The next chunks (JSON bytes): everything already received, at least one; [] at the end.
    fn next_batch(&self, py: Python<'_>) -> PyResult<Py<PyList>> {
        to_list(py, &self.fetch(py, true)?, self.maker().as_deref())
    }

    /// The same, awaited: submits the wait to a loop's completion queue.
    fn next_batch_submit(&self, queue: &CompletionQueue) -> u64 {
        let inner = self.inner.clone();
        let maker = self.maker();
        let handed = self.handed.clone();
        let Some(log) = self.log.clone() else {
            return queue.submit(async move {
                let r = inner.lock().await.next_laid(BATCH).await;
                keep(&handed, &r);
                r.map(|b| Ready::Batch(b, maker))
            });
        };
        let hidden = self.hidden.clone();
        queue.submit(async move {
            let r = inner.lock().await.next_laid(BATCH).await;
            keep(&handed, &r);
            match (track(Some(&log), &hidden, &r), r) {
                (_, Ok(batch)) => Ok(Ready::Batch(batch, maker)),
                (Some(payload), Err(e)) => Ok(Ready::Failed(e, LogOut::Bytes(payload))),
                (None, Err(e)) => Err(e),
            }
        })
    }

    /// From now on, hand out chat chunks as objects where the direct construction applies.
    /// `spec` is `((cls, ((field, required, default), ...)), ...)` for the chunk, choice and
    /// delta classes. Answers 0 (and bytes as before) when the classes have fields it does not
    /// know, 2 when pydantic's slots of all three classes were found (stored directly), 1 when
    /// they are set the generic way. None goes back to bytes only.
    fn build_chunks(&self, py: Python<'_>, spec: Option<&Bound<'_, PyAny>>) -> PyResult<u8> {
        let builder = match spec {
            Some(spec) => chunks::Builder::for_spec(py, spec)?,
            None => None,
        };
        let level = builder.as_ref().map_or(0, |b| match (b.slots_found(), b.plain_alloc()) {
            (true, true) => 3,
            (true, false) => 2,
            _ => 1,
        });
        if let Ok(mut m) = self.maker.lock() {
            *m = builder.map(|b| Arc::new(Maker::new(b)));
        }
        Ok(level)
    }

    /// The chunks handed out so far, less the last `unread` (still in the wrapper's batch), made
    /// as the batches were: chunk objects where the direct construction applies, JSON bytes
    /// elsewhere.
    fn handed_out(&self, py: Python<'_>, unread: usize) -> PyResult<Py<PyList>> {
        let chunks = match self.handed.lock() {
            Ok(h) => h[..h.len().saturating_sub(unread)].to_vec(),
            Err(_) => Vec::new(),
        };
        to_list(py, &Batch::from(chunks), self.maker().as_deref())
    }

    /// How many chunks were handed out so far.
    fn handed_count(&self) -> usize {
        self.handed.lock().map_or(0, |h| h.len())
    }

    /// Stops the stream and closes the upstream connection.
    fn close(&self) {
        self.stop();
    }

    fn hidden_params(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Ok(super::hidden_dict(py, &self.hidden)?.into_any().unbind())
    }

    /// The stream's logging payload (JSON bytes) once it has ended; None before, or when none
    /// was asked for.
    fn log_payload<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyBytes>> {
        let log = self.log.as_ref()?.lock().ok()?;
        log.payload().map(|p| PyBytes::new(py, p))
    }
}

impl Drop for PyStream {
    fn drop(&mut self) {
        self.stop();
    }
}
