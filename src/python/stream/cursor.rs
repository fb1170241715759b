//! `ChunkCursor`: the base class of the Python stream wrapper (`CustomStreamWrapper`). It holds
//! the batch being handed out, so `next()` on a stream (and so a `for` loop over it) returns each
//! chunk from here without running Python code per chunk. Python runs once per batch only where
//! it has something to do: the end of the stream (final hidden params, success callbacks), an
//! error (failure callbacks), the async iteration (which refills through `_put`), and chunks
//! left as JSON bytes (validated by pydantic).

use std::collections::VecDeque;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple};
use pyo3::{PyTraverseError, PyVisit, intern};

use super::PyStream;

#[pyclass(module = "litellm_rs._core", name = "ChunkCursor", subclass)]
pub struct ChunkCursor {
    /// The current batch's chunks not handed out yet (objects, or JSON bytes for `validate`).
    items: VecDeque<Py<PyAny>>,
    /// The engine stream, refilled from here; None for another kind of `completion_stream`
    /// (refilled by the wrapper's `_refill_sync`).
    stream: Option<Py<PyStream>>,
    /// Makes a chunk object from JSON bytes.
    validate: Option<Py<PyAny>>,
    /// The wrapper's `chunks` list, once asked for: every chunk handed out is appended.
    kept: Option<Py<PyList>>,
    /// litellm's flags: a chunk was handed over / the stream has ended.
    #[pyo3(get, set)]
    sent_first_chunk: bool,
    #[pyo3(get, set)]
    sent_last_chunk: bool,
}

impl ChunkCursor {
    fn pop(&mut self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        let Some(mut chunk) = self.items.pop_front() else { return Ok(None) };
        if chunk.bind(py).is_exact_instance_of::<PyBytes>()
            && let Some(validate) = &self.validate
        {
            chunk = validate.call1(py, (chunk,))?;
        }
        if let Some(kept) = &self.kept {
            kept.bind(py).append(&chunk)?;
        }
        Ok(Some(chunk))
    }
}

/// Takes the engine stream's next batch into the cursor: true when it had chunks; at the end of
/// the stream the wrapper's `_finish` runs, on an error its `_failed` (then the error is raised).
fn refill(slf: &Bound<'_, ChunkCursor>, stream: &Py<PyStream>) -> PyResult<bool> {
    let py = slf.py();
    let stream = stream.bind(py).borrow();
    let batch = match stream.fetch(py, false) {
        Ok(b) => b,
        Err(e) => {
            drop(stream);
            slf.call_method1(intern!(py, "_failed"), (e.value(py),))?;
            return Err(e);
        }
    };
    if batch.chunks.is_empty() {
        drop(stream);
        slf.call_method0(intern!(py, "_finish"))?;
        return Ok(false);
    }
    let maker = stream.maker();
    drop(stream);
    let mut me = slf.borrow_mut();
    me.sent_first_chunk = true;
    match maker {
        Some(m) => m.each(py, &batch.chunks, &batch.layouts, |obj| {
            me.items.push_back(obj.unbind());
            Ok(())
        })?,
        None => me.items.extend(batch.chunks.iter().map(|b| PyBytes::new(py, b).into_any().unbind())),
    }
    Ok(true)
}

#[pymethods]
impl ChunkCursor {
    #[new]
    #[pyo3(signature = (*_args, **_kwargs))]
    fn new(_args: &Bound<'_, PyTuple>, _kwargs: Option<&Bound<'_, PyDict>>) -> Self {
        Self {
            items: VecDeque::new(),
            stream: None,
            validate: None,
            kept: None,
            sent_first_chunk: false,
            sent_last_chunk: false,
        }
    }

    /// Sets the stream to refill from (when it is an engine stream) and the JSON validator.
    fn _attach(&mut self, stream: &Bound<'_, PyAny>, validate: Py<PyAny>) {
        self.stream = stream.cast::<PyStream>().ok().map(|s| s.clone().unbind());
        self.validate = Some(validate);
    }

    /// The next chunk of the current batch, or None when it is used up.
    fn _pop(&mut self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        self.pop(py)
    }

    /// Adds a batch (chunk objects or JSON bytes) to hand out.
    fn _put(&mut self, batch: &Bound<'_, PyList>) {
        self.items.extend(batch.iter().map(Bound::unbind));
    }

    /// How many chunks of the current batch were not handed out yet.
    fn _pending(&self) -> usize {
        self.items.len()
    }

    /// Drops the rest of the current batch; answers how many chunks that was.
    fn _discard(&mut self) -> usize {
        let n = self.items.len();
        self.items.clear();
        n
    }

    #[getter(_kept)]
    fn kept_list(&self, py: Python<'_>) -> Option<Py<PyList>> {
        self.kept.as_ref().map(|k| k.clone_ref(py))
    }

    #[setter(_kept)]
    fn set_kept_list(&mut self, value: Option<Bound<'_, PyList>>) {
        self.kept = value.map(Bound::unbind);
    }

    fn __iter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    fn __next__(slf: &Bound<'_, Self>) -> PyResult<Option<Py<PyAny>>> {
        let py = slf.py();
        let stream = {
            let mut me = slf.borrow_mut();
            if let Some(chunk) = me.pop(py)? {
                return Ok(Some(chunk));
            }
            if me.sent_last_chunk {
                return Ok(None);
            }
            me.stream.as_ref().map(|s| s.clone_ref(py))
        };
        let more = match stream {
            Some(s) => refill(slf, &s)?,
            None => slf.call_method0(intern!(py, "_refill_sync"))?.is_truthy()?,
        };
        if !more {
            return Ok(None);
        }
        slf.borrow_mut().pop(py)
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        for item in &self.items {
            visit.call(item)?;
        }
        if let Some(s) = &self.stream {
            visit.call(s)?;
        }
        if let Some(v) = &self.validate {
            visit.call(v)?;
        }
        if let Some(k) = &self.kept {
            visit.call(k)?;
        }
        Ok(())
    }

    fn __clear__(&mut self) {
        self.items.clear();
        self.stream = None;
        self.validate = None;
        self.kept = None;
    }
}
