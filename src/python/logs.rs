//! Logging payloads handed to Python: bytes (a stream's, built when it ended) or a handle whose
//! payload is built on first use, with the GIL released.

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyBytes;

use super::errors::to_pyerr;
use crate::callbacks::Deferred;
use crate::error::LlmError;

pub enum LogOut {
    Bytes(Vec<u8>),
    Deferred(Arc<Deferred>),
}

/// A finished call's log: `ids()` at once, `json()` (the standard logging payload) built on
/// first use.
#[pyclass(module = "litellm_rs._core", name = "LogHandle", frozen)]
pub struct LogHandle {
    d: Arc<Deferred>,
}

#[pymethods]
impl LogHandle {
    /// `(litellm_call_id, trace_id)`.
    fn ids(&self) -> (String, String) {
        (self.d.call_id.clone(), self.d.trace_id.clone())
    }

    /// The payload as JSON bytes, or None when none was asked for.
    fn json<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyBytes>> {
        let d = self.d.clone();
        let bytes = py.detach(move || d.bytes().map(<[u8]>::to_vec))?;
        Some(PyBytes::new(py, &bytes))
    }
}

/// The Python value of a call's log: bytes, a handle, or None.
pub fn to_py(py: Python<'_>, out: Option<LogOut>) -> PyResult<Bound<'_, PyAny>> {
    Ok(match out {
        Some(LogOut::Bytes(b)) => PyBytes::new(py, &b).into_any(),
        Some(LogOut::Deferred(d)) => Bound::new(py, LogHandle { d })?.into_any(),
        None => py.None().into_bound(py),
    })
}

/// The exception of a failed call, carrying its log (`_litellm_log`) when one was asked for.
pub fn logged_err(py: Python<'_>, e: &LlmError, out: Option<LogOut>) -> PyErr {
    let err = to_pyerr(py, e);
    if out.is_some()
        && let Ok(v) = to_py(py, out)
    {
        let _ = err.value(py).setattr("_litellm_log", v);
    }
    err
}
