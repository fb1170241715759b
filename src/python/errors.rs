//! `LlmError` -> the litellm exception class of the same name in `litellm_rs.exceptions`.

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::error::LlmError;

fn build(py: Python<'_>, e: &LlmError) -> PyResult<PyErr> {
    let module = py.import("litellm_rs.exceptions")?;
    let cls = module.getattr(e.kind.class_name())?;
    let kw = PyDict::new(py);
    kw.set_item("message", &e.message)?;
    kw.set_item("llm_provider", &e.provider)?;
    kw.set_item("model", &e.model)?;
    kw.set_item("status_code", e.status)?;
    let headers = PyDict::new(py);
    for (k, v) in &e.headers {
        headers.set_item(k, v)?;
    }
    kw.set_item("headers", headers)?;
    kw.set_item("body", e.body.as_deref())?;
    kw.set_item("retry_after", e.retry_after)?;
    kw.set_item("num_retries", e.num_retries)?;
    let inst = cls.call((), Some(&kw))?;
    Ok(PyErr::from_value(inst))
}

/// The Python exception for an engine error. If the exception classes cannot be loaded, a
/// RuntimeError with the same message is raised instead of losing the error.
pub fn to_pyerr(py: Python<'_>, e: &LlmError) -> PyErr {
    build(py, e).unwrap_or_else(|err| PyRuntimeError::new_err(format!("{} (while raising it: {err})", e)))
}
