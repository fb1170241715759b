//! The proxy from Python: `proxy_check_config` and `ProxyServer` (a server running on the
//! engine's runtime, stopped gracefully with `shutdown()`; `wait()` releases the GIL).

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use pyo3::prelude::*;

use super::errors::to_pyerr;
use super::runtime::block_on;
use crate::error::{ErrorKind, LlmError};
use crate::proxy::{self, ProxyConfig, ProxyState};
use crate::transport::core;

fn config_of(py: Python<'_>, config: Option<&str>, model: Option<&str>) -> PyResult<ProxyConfig> {
    let loaded = match (config, model) {
        (Some(path), _) => proxy::config::load(path),
        (None, Some(m)) => Ok(ProxyConfig::single_model(m)),
        (None, None) => Err("pass --config <config.yaml> or --model <provider/model>".to_owned()),
    };
    loaded.map_err(|e| to_pyerr(py, &LlmError::bad_request(e)))
}

/// Checks a config file; returns the model names it serves.
#[pyfunction]
pub fn proxy_check_config(py: Python<'_>, path: &str) -> PyResult<Vec<String>> {
    let config = config_of(py, Some(path), None)?;
    let state = ProxyState::new(&config).map_err(|e| to_pyerr(py, &LlmError::bad_request(e)))?;
    Ok(state.router.model_names())
}

/// The server's end: None while it runs, then how it ended.
type Done = Arc<(Mutex<Option<Result<(), String>>>, Condvar)>;

#[pyclass(module = "litellm_rs._core", name = "ProxyServer", frozen)]
pub struct ProxyServer {
    #[pyo3(get)]
    host: String,
    #[pyo3(get)]
    port: u16,
    stop: Mutex<Option<tokio::sync::oneshot::Sender<()>>>,
    done: Done,
}

#[pymethods]
impl ProxyServer {
    /// Binds and starts serving (`config`: a config.yaml path, or `model`: one model).
    #[new]
    #[pyo3(signature = (config=None, model=None, host="0.0.0.0", port=4000))]
    fn new(py: Python<'_>, config: Option<&str>, model: Option<&str>, host: &str, port: u16) -> PyResult<Self> {
        // a server wants a worker per core (when the runtime is not running yet: SDK calls made
        // before in this process keep theirs; LITELLM_RS_WORKER_THREADS decides in any case)
        crate::transport::prefer_workers(crate::transport::cores());
        let workers = core().workers;
        if workers < crate::transport::cores() && std::env::var_os("LITELLM_RS_WORKER_THREADS").is_none() {
            tracing::warn!(
                workers,
                "the proxy shares the runtime SDK calls started in this process ({workers} worker thread(s) for {} cores); set LITELLM_RS_WORKER_THREADS before the first call for more",
                crate::transport::cores()
            );
        }
        let config = config_of(py, config, model)?;
        let mut state = ProxyState::new(&config).map_err(|e| to_pyerr(py, &LlmError::bad_request(e)))?;
        let state = block_on(py, async move {
            state.connect_storage().await.map_err(|e| LlmError::new(ErrorKind::ServiceUnavailable, e))?;
            Ok::<_, LlmError>(state)
        })?;
        let state = Arc::new(state);
        state.router.start_background_health_checks();
        let addr = format!("{host}:{port}");
        let listener = block_on(py, async move { proxy::bind(&addr).await })?;
        let port = listener.local_addr().map(|a| a.port()).unwrap_or(port);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let done: Done = Arc::default();
        let finished = done.clone();
        core().rt.spawn(async move {
            let r = proxy::run(state, listener, async {
                let _ = rx.await;
            })
            .await
            .map_err(|e| e.message);
            let (lock, cv) = &*finished;
            if let Ok(mut g) = lock.lock() {
                *g = Some(r);
            }
            cv.notify_all();
        });
        Ok(Self { host: host.to_owned(), port, stop: Mutex::new(Some(tx)), done })
    }

    /// Stops accepting connections and lets the requests in flight finish.
    fn shutdown(&self) {
        if let Some(tx) = self.stop.lock().ok().and_then(|mut g| g.take()) {
            let _ = tx.send(());
        }
    }

    /// Waits up to `timeout` seconds (None: until it stops) for the server to stop; True when it
    /// has. The GIL is released meanwhile.
    #[pyo3(signature = (timeout=None))]
    fn wait(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<bool> {
        let done = self.done.clone();
        let outcome = py.detach(move || {
            let (lock, cv) = &*done;
            let Ok(mut g) = lock.lock() else { return None };
            match timeout {
                None => {
                    while g.is_none() {
                        g = match cv.wait(g) {
                            Ok(g) => g,
                            Err(_) => return None,
                        };
                    }
                }
                Some(t) => {
                    if g.is_none() {
                        g = match cv.wait_timeout(g, Duration::from_secs_f64(t.max(0.0))) {
                            Ok((g, _)) => g,
                            Err(_) => return None,
                        };
                    }
                }
            }
            g.clone()
        });
        match outcome {
            None => Ok(false),
            Some(Ok(())) => Ok(true),
            Some(Err(msg)) => Err(to_pyerr(py, &LlmError::new(crate::error::ErrorKind::ApiConnection, msg))),
        }
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<ProxyServer>()?;
    m.add_function(wrap_pyfunction!(proxy_check_config, m)?)?;
    Ok(())
}
