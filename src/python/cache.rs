//! The response cache for Python: `CacheHandle` (one `litellm_rs.Cache`) and `set_cache`, which
//! makes a handle the process's cache (`litellm_rs.cache = Cache(...)`).

use std::sync::Arc;

use pyo3::prelude::*;

use super::convert;
use super::errors::to_pyerr;
use super::runtime::block_on;
use crate::cache::{CacheConfig, ResponseCache, cache_key, set_active};
use crate::error::LlmError;

#[pyclass(module = "litellm_rs._core", name = "CacheHandle", frozen)]
pub struct CacheHandle {
    cache: Arc<ResponseCache>,
}

#[pymethods]
impl CacheHandle {
    #[new]
    fn new(py: Python<'_>, config: &Bound<'_, PyAny>) -> PyResult<Self> {
        let config: CacheConfig = convert(py, config, "cache settings")?;
        let cache = ResponseCache::new(config).map_err(|e| to_pyerr(py, &LlmError::bad_request(e)))?;
        Ok(Self { cache: Arc::new(cache) })
    }

    /// The key of a call (`call_type`, its request body, an optional namespace override).
    #[pyo3(signature = (call_type, request, namespace=None))]
    fn key(
        &self,
        py: Python<'_>,
        call_type: &str,
        request: &Bound<'_, PyAny>,
        namespace: Option<&str>,
    ) -> PyResult<String> {
        let request: serde_json::Value = convert(py, request, "request")?;
        Ok(self.cache.key(call_type, &request, namespace))
    }

    /// Drops the entries of `namespace` (None: the cache's own; without any namespace, all).
    #[pyo3(signature = (namespace=None))]
    fn clear(&self, py: Python<'_>, namespace: Option<String>) -> PyResult<()> {
        let cache = self.cache.clone();
        block_on(py, async move { cache.clear(namespace.as_deref()).await })
    }

    /// Stores `response` as the answer to `request` (warm-up); returns the key.
    #[pyo3(signature = (call_type, request, response, namespace=None))]
    fn insert(
        &self,
        py: Python<'_>,
        call_type: &str,
        request: &Bound<'_, PyAny>,
        response: &Bound<'_, PyAny>,
        namespace: Option<&str>,
    ) -> PyResult<String> {
        let request: serde_json::Value = convert(py, request, "request")?;
        let response: serde_json::Value = convert(py, response, "response")?;
        let (cache, call_type, namespace) = (self.cache.clone(), call_type.to_owned(), namespace.map(str::to_owned));
        block_on(py, async move {
            let opts = crate::engine::CallOptions::default();
            cache.insert(&call_type, &request, &response, namespace.as_deref(), &opts).await
        })
    }
}

/// Makes `handle` the process's cache (None: no cache).
#[pyfunction]
#[pyo3(signature = (handle=None))]
pub fn set_cache(handle: Option<&CacheHandle>) {
    set_active(handle.map(|h| h.cache.clone()));
}

/// The key a request would have in a cache without namespace (for tests and tools).
#[pyfunction]
pub fn request_cache_key(py: Python<'_>, call_type: &str, request: &Bound<'_, PyAny>) -> PyResult<String> {
    let request: serde_json::Value = pythonize::depythonize(request)
        .map_err(|e| to_pyerr(py, &LlmError::bad_request(format!("invalid request: {e}"))))?;
    Ok(cache_key(call_type, &request, None))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<CacheHandle>()?;
    m.add_function(wrap_pyfunction!(set_cache, m)?)?;
    m.add_function(wrap_pyfunction!(request_cache_key, m)?)?;
    Ok(())
}
