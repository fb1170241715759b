//! The Router for Python: `RouterHandle` (one `litellm_rs.Router`). Calls go through the same
//! logged sync/async paths as module-level calls; the engine's Router picks the deployment,
//! retries and falls back.

use std::sync::Arc;

use pyo3::prelude::*;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::aio::CompletionQueue;
use super::errors::to_pyerr;
use super::stream::PyStream;
use super::{convert, convert_request, open_sync, run_sync, submit_converted, submit_open};
use crate::engine::{self, CallOptions, ChunkStream};
use crate::error::LlmError;
use crate::router::{CallMaps, Routable, Router, Settings};
use crate::types::{ChatRequest, EmbeddingRequest, TextCompletionRequest};

#[pyclass(module = "litellm_rs._core", name = "RouterHandle", frozen)]
pub struct RouterHandle {
    router: Arc<Router>,
}

fn to_py(py: Python<'_>, v: &impl serde::Serialize) -> PyResult<Py<PyAny>> {
    Ok(pythonize::pythonize(py, v)?.unbind())
}

/// A call's request, the options its logging sees (module settings under the call's own), and
/// the option layers the Router merges with each deployment's.
fn prepared<Req: DeserializeOwned + Routable>(
    py: Python<'_>,
    request: &Bound<'_, PyAny>,
    options: &Bound<'_, PyAny>,
    defaults: &Bound<'_, PyAny>,
    call_type: &str,
) -> PyResult<(Req, CallOptions, CallMaps)> {
    let req: Req = convert_request(py, request, call_type)?;
    let call: Map<String, Value> = convert(py, options, "options")?;
    let defaults: Map<String, Value> = convert(py, defaults, "options")?;
    let mut merged = defaults.clone();
    merged.extend(call.iter().map(|(k, v)| (k.clone(), v.clone())));
    merged.insert("model_group".into(), Value::String(req.model().to_owned()));
    let opts: CallOptions = serde_json::from_value(Value::Object(merged))
        .map_err(|e| to_pyerr(py, &LlmError::bad_request(format!("invalid options: {e}"))))?;
    Ok((req, opts, CallMaps { call, defaults }))
}

fn sync_routed<Req, Resp, Fut>(
    router: &Arc<Router>,
    py: Python<'_>,
    call_type: &'static str,
    args: (&Bound<'_, PyAny>, &Bound<'_, PyAny>, &Bound<'_, PyAny>),
    call: fn(Req, CallOptions) -> Fut,
) -> PyResult<Py<PyAny>>
where
    Req: DeserializeOwned + Routable + Send + Sync + 'static,
    Resp: serde::Serialize + Send + 'static,
    (Resp, crate::engine::Hidden): crate::router::Routed,
    Fut: Future<Output = Result<(Resp, crate::engine::Hidden), LlmError>> + Send + 'static,
{
    let (req, opts, maps) = prepared::<Req>(py, args.0, args.1, args.2, call_type)?;
    let router = router.clone();
    run_sync(py, call_type, req, opts, move |r: Req, _| async move { router.route(r, maps, call).await })
}

fn submit_routed<Req, Resp, Fut>(
    router: &Arc<Router>,
    py: Python<'_>,
    queue: &CompletionQueue,
    call_type: &'static str,
    args: (&Bound<'_, PyAny>, &Bound<'_, PyAny>, &Bound<'_, PyAny>),
    call: fn(Req, CallOptions) -> Fut,
) -> PyResult<u64>
where
    Req: DeserializeOwned + Routable + Send + Sync + 'static,
    Resp: serde::Serialize + Send + 'static,
    (Resp, crate::engine::Hidden): crate::router::Routed,
    Fut: Future<Output = Result<(Resp, crate::engine::Hidden), LlmError>> + Send + 'static,
{
    let (req, opts, maps) = prepared::<Req>(py, args.0, args.1, args.2, call_type)?;
    let router = router.clone();
    Ok(submit_converted(queue, call_type, req, opts, move |r: Req, _| async move { router.route(r, maps, call).await }))
}

fn open_routed<Req, Fut>(
    router: &Arc<Router>,
    py: Python<'_>,
    call_type: &'static str,
    args: (&Bound<'_, PyAny>, &Bound<'_, PyAny>, &Bound<'_, PyAny>),
    call: fn(Req, CallOptions) -> Fut,
) -> PyResult<PyStream>
where
    Req: DeserializeOwned + Routable + Send + Sync + 'static,
    Fut: Future<Output = Result<ChunkStream, LlmError>> + Send + 'static,
{
    let (req, opts, maps) = prepared::<Req>(py, args.0, args.1, args.2, call_type)?;
    let router = router.clone();
    open_sync(py, call_type, req, opts, move |r: Req, _| async move { router.route(r, maps, call).await })
}

fn submit_open_routed<Req, Fut>(
    router: &Arc<Router>,
    py: Python<'_>,
    queue: &CompletionQueue,
    call_type: &'static str,
    args: (&Bound<'_, PyAny>, &Bound<'_, PyAny>, &Bound<'_, PyAny>),
    call: fn(Req, CallOptions) -> Fut,
) -> PyResult<u64>
where
    Req: DeserializeOwned + Routable + Send + Sync + 'static,
    Fut: Future<Output = Result<ChunkStream, LlmError>> + Send + 'static,
{
    let (req, opts, maps) = prepared::<Req>(py, args.0, args.1, args.2, call_type)?;
    let router = router.clone();
    Ok(submit_open(queue, call_type, req, opts, move |r: Req, _| async move { router.route(r, maps, call).await }))
}

async fn chat(r: ChatRequest, o: CallOptions) -> Result<(crate::types::ChatResponse, crate::engine::Hidden), LlmError> {
    engine::chat(r, &o).await
}
async fn chat_stream(r: ChatRequest, o: CallOptions) -> Result<ChunkStream, LlmError> {
    engine::chat_stream(r, &o).await
}
async fn embedding(
    r: EmbeddingRequest,
    o: CallOptions,
) -> Result<(crate::types::EmbeddingResponse, crate::engine::Hidden), LlmError> {
    engine::embedding(r, &o).await
}
async fn text(
    r: TextCompletionRequest,
    o: CallOptions,
) -> Result<(crate::types::TextCompletionResponse, crate::engine::Hidden), LlmError> {
    engine::text_completion(r, &o).await
}
async fn text_stream(r: TextCompletionRequest, o: CallOptions) -> Result<ChunkStream, LlmError> {
    engine::text_completion_stream(r, &o).await
}

fn unknown(py: Python<'_>, kind: &str) -> PyErr {
    to_pyerr(py, &LlmError::bad_request(format!("the Router has no call type {kind:?}")))
}

#[pymethods]
impl RouterHandle {
    #[new]
    fn new(py: Python<'_>, model_list: &Bound<'_, PyAny>, settings: &Bound<'_, PyAny>) -> PyResult<Self> {
        let list: Vec<Value> = convert(py, model_list, "model_list")?;
        let settings: Settings = convert(py, settings, "router settings")?;
        let router = Arc::new(Router::new(&list, settings).map_err(|e| to_pyerr(py, &e))?);
        router.start_background_health_checks();
        Ok(Self { router })
    }

    fn set_model_list(&self, py: Python<'_>, model_list: &Bound<'_, PyAny>) -> PyResult<()> {
        let list: Vec<Value> = convert(py, model_list, "model_list")?;
        self.router.set_model_list(&list).map_err(|e| to_pyerr(py, &e))
    }

    fn update_settings(&self, py: Python<'_>, settings: &Bound<'_, PyAny>) -> PyResult<()> {
        let settings: Settings = convert(py, settings, "router settings")?;
        self.router.update_settings(settings);
        self.router.start_background_health_checks();
        Ok(())
    }

    /// Checks the deployments (of `group`, or all): a list of endpoint dicts, each with `error`
    /// when unhealthy.
    #[pyo3(signature = (group=None, defaults=None))]
    fn health_check(
        &self,
        py: Python<'_>,
        group: Option<String>,
        defaults: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let defaults: Map<String, Value> = match defaults {
            Some(d) => convert(py, d, "options")?,
            None => Map::new(),
        };
        let router = self.router.clone();
        let out = super::runtime::block_on(py, async move {
            Ok(router.health_check(group.as_deref(), defaults).await.iter().map(|c| c.to_json()).collect::<Vec<_>>())
        })?;
        to_py(py, &out)
    }

    /// The async `health_check`: its outcome is the results as JSON bytes.
    #[pyo3(signature = (queue, group=None, defaults=None))]
    fn health_check_submit(
        &self,
        py: Python<'_>,
        queue: &CompletionQueue,
        group: Option<String>,
        defaults: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<u64> {
        let defaults: Map<String, Value> = match defaults {
            Some(d) => convert(py, d, "options")?,
            None => Map::new(),
        };
        let router = self.router.clone();
        Ok(queue.submit(async move {
            let out: Vec<Value> =
                router.health_check(group.as_deref(), defaults).await.iter().map(|c| c.to_json()).collect();
            let bytes = serde_json::to_vec(&out).map_err(|e| LlmError::bad_request(e.to_string()))?;
            Ok(super::aio::Ready::Response(bytes, None, None))
        }))
    }

    /// Adds or replaces a deployment; `(replaced, id)`.
    fn upsert_deployment(&self, py: Python<'_>, entry: &Bound<'_, PyAny>) -> PyResult<(bool, String)> {
        let entry: Value = convert(py, entry, "deployment")?;
        self.router.upsert_deployment(&entry).map_err(|e| to_pyerr(py, &e))
    }

    /// Adds a deployment unless its id exists; its id, or None.
    fn add_deployment(&self, py: Python<'_>, entry: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
        let entry: Value = convert(py, entry, "deployment")?;
        self.router.add_deployment(&entry).map_err(|e| to_pyerr(py, &e))
    }

    fn delete_deployment(&self, py: Python<'_>, id: &str) -> PyResult<Option<Py<PyAny>>> {
        self.router.delete_deployment(id).map(|d| to_py(py, &d)).transpose()
    }

    #[pyo3(signature = (group=None))]
    fn model_list(&self, py: Python<'_>, group: Option<&str>) -> PyResult<Py<PyAny>> {
        to_py(py, &self.router.model_list(group))
    }

    fn model_names(&self) -> Vec<String> {
        self.router.model_names()
    }

    fn deployment(&self, py: Python<'_>, id: &str) -> PyResult<Option<Py<PyAny>>> {
        self.router.deployment(id).map(|d| to_py(py, &d)).transpose()
    }

    fn stats(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_py(py, &self.router.stats())
    }

    fn reset(&self) {
        self.router.reset();
    }

    fn cooldown(&self, id: &str, seconds: f64) -> bool {
        self.router.cooldown(id, seconds)
    }

    /// The deployment a chat call with `request` and `options` would use now.
    fn available_deployment(
        &self,
        py: Python<'_>,
        request: &Bound<'_, PyAny>,
        options: &Bound<'_, PyAny>,
    ) -> PyResult<Py<PyAny>> {
        let req: ChatRequest = convert_request(py, request, "completion")?;
        let call: Map<String, Value> = convert(py, options, "options")?;
        let maps = CallMaps { call, defaults: Map::new() };
        let d = self
            .router
            .available_deployment(req.model(), &maps, req.input_tokens(), req.user())
            .map_err(|e| to_pyerr(py, &e))?;
        to_py(py, &d)
    }

    /// A routed call: `kind` is "completion", "embedding" or "text_completion".
    fn call(
        &self,
        py: Python<'_>,
        kind: &str,
        request: &Bound<'_, PyAny>,
        options: &Bound<'_, PyAny>,
        defaults: &Bound<'_, PyAny>,
    ) -> PyResult<Py<PyAny>> {
        let (r, args) = (&self.router, (request, options, defaults));
        match kind {
            "completion" => sync_routed(r, py, "completion", args, chat),
            "embedding" => sync_routed(r, py, "embedding", args, embedding),
            "text_completion" => sync_routed(r, py, "text_completion", args, text),
            other => Err(unknown(py, other)),
        }
    }

    /// The async `call`: submits it to a loop's queue.
    fn submit(
        &self,
        py: Python<'_>,
        queue: &CompletionQueue,
        kind: &str,
        request: &Bound<'_, PyAny>,
        options: &Bound<'_, PyAny>,
        defaults: &Bound<'_, PyAny>,
    ) -> PyResult<u64> {
        let (r, args) = (&self.router, (request, options, defaults));
        match kind {
            "completion" => submit_routed(r, py, queue, "acompletion", args, chat),
            "embedding" => submit_routed(r, py, queue, "aembedding", args, embedding),
            "text_completion" => submit_routed(r, py, queue, "atext_completion", args, text),
            other => Err(unknown(py, other)),
        }
    }

    /// A routed stream ("completion" or "text_completion").
    fn open(
        &self,
        py: Python<'_>,
        kind: &str,
        request: &Bound<'_, PyAny>,
        options: &Bound<'_, PyAny>,
        defaults: &Bound<'_, PyAny>,
    ) -> PyResult<PyStream> {
        let (r, args) = (&self.router, (request, options, defaults));
        match kind {
            "completion" => open_routed(r, py, "completion", args, chat_stream),
            "text_completion" => open_routed(r, py, "text_completion", args, text_stream),
            other => Err(unknown(py, other)),
        }
    }

    /// The async `open`.
    fn submit_open(
        &self,
        py: Python<'_>,
        queue: &CompletionQueue,
        kind: &str,
        request: &Bound<'_, PyAny>,
        options: &Bound<'_, PyAny>,
        defaults: &Bound<'_, PyAny>,
    ) -> PyResult<u64> {
        let (r, args) = (&self.router, (request, options, defaults));
        match kind {
            "completion" => submit_open_routed(r, py, queue, "acompletion", args, chat_stream),
            "text_completion" => submit_open_routed(r, py, queue, "atext_completion", args, text_stream),
            other => Err(unknown(py, other)),
        }
    }
}
