//! The `litellm_rs._core` extension module: the only pyo3 code. Arguments are converted to owned
//! Rust values once, the GIL is released for all I/O, and results go back as JSON bytes that the
//! Python layer validates in one pass (or, for chat responses and stream chunks of the usual
//! shape, that are made into the same pydantic objects here: `response.rs`, `stream/chunks.rs`).

mod aio;
mod cache;
mod cost;
mod depy;
mod errors;
mod logs;
mod models;
#[cfg(feature = "proxy")]
mod proxy;
mod response;
mod router;
mod runtime;
mod stream;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyTuple};
use serde::de::DeserializeOwned;

use std::sync::Arc;

use crate::callbacks::{self, CallLog, Deferred, Ended, Outcome, StreamLog};
use crate::engine::{self, CallOptions, ChunkStream, Hidden};
use crate::error::LlmError;
use crate::types::{ChatChunk, ChatRequest, EmbeddingRequest, TextCompletionRequest};
use aio::{CompletionQueue, Ready};
use errors::to_pyerr;
pub(crate) use logs::{LogOut, logged_err};
use runtime::block_on;
use stream::PyStream;

/// A call's options (or any plain argument) read into `T`: plain values directly, anything else
/// (and every error message) through pythonize.
fn convert<T: DeserializeOwned>(py: Python<'_>, obj: &Bound<'_, PyAny>, what: &str) -> PyResult<T> {
    if let Some(v) = depy::plain(obj) {
        return Ok(v);
    }
    pythonize::depythonize(obj).map_err(|e| to_pyerr(py, &LlmError::bad_request(format!("invalid {what}: {e}"))))
}

/// The request of a call type (`acompletion` takes a completion request).
fn convert_request<T: DeserializeOwned>(py: Python<'_>, obj: &Bound<'_, PyAny>, call_type: &str) -> PyResult<T> {
    if let Some(v) = depy::plain(obj) {
        return Ok(v);
    }
    let kind = call_type.strip_prefix('a').unwrap_or(call_type);
    pythonize::depythonize(obj)
        .map_err(|e| to_pyerr(py, &LlmError::bad_request(format!("invalid {kind} request: {e}"))))
}

fn result_tuple(py: Python<'_>, bytes: &[u8], hidden: &Hidden, log: Option<LogOut>) -> PyResult<Py<PyAny>> {
    let h = hidden_dict(py, hidden)?.into_any();
    Ok(PyTuple::new(py, [PyBytes::new(py, bytes).into_any(), h, logs::to_py(py, log)?])?.into_any().unbind())
}

/// A call's hidden params as the dict `_hidden_params` holds (litellm's keys), made directly:
/// this runs once per call.
pub(crate) fn hidden_dict<'py>(py: Python<'py>, h: &Hidden) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item(pyo3::intern!(py, "custom_llm_provider"), &h.custom_llm_provider)?;
    d.set_item(pyo3::intern!(py, "api_base"), (!h.api_base.is_empty()).then_some(&h.api_base))?;
    d.set_item(pyo3::intern!(py, "model_id"), h.model_id.as_deref())?;
    d.set_item(pyo3::intern!(py, "litellm_model_name"), &h.model)?;
    // a number that is not finite is null, as in JSON
    d.set_item(pyo3::intern!(py, "response_cost"), h.cost().filter(|c| c.is_finite()))?;
    let additional = PyDict::new(py);
    for (k, v) in &h.response_headers {
        additional.set_item(format!("llm_provider-{k}"), v)?;
    }
    d.set_item(pyo3::intern!(py, "additional_headers"), additional)?;
    d.set_item(pyo3::intern!(py, "_response_ms"), Some(h.response_ms).filter(|ms| ms.is_finite()))?;
    if let Some(group) = &h.model_group {
        d.set_item(pyo3::intern!(py, "model_group"), group)?;
    }
    if let Some(key) = &h.cache_key {
        d.set_item(pyo3::intern!(py, "cache_key"), key)?;
        d.set_item(pyo3::intern!(py, "cache_hit"), h.cache_hit)?;
    }
    Ok(d)
}

type Finished = (Result<(Vec<u8>, Hidden), LlmError>, Option<LogOut>);

fn encode_response<T: serde::Serialize>(resp: &T) -> Result<Vec<u8>, LlmError> {
    serde_json::to_vec(resp).map_err(|e| LlmError::bad_request(format!("cannot encode the response: {e}")))
}

/// Runs an engine call (the response encoded as JSON off the GIL) and, when logging was asked
/// for, leaves a deferred log: its payload is built by the built-in loggers' task or when the
/// edge asks, never on the call's path.
async fn run_logged<Req, Resp, F, Fut>(call_type: &'static str, req: Req, opts: CallOptions, f: F) -> Finished
where
    Req: serde::Serialize,
    Resp: serde::Serialize,
    F: FnOnce(Req, Arc<CallOptions>) -> Fut,
    Fut: Future<Output = Result<(Resp, Hidden), LlmError>>,
{
    let log = CallLog::start(call_type, &opts, &req, false);
    let opts = Arc::new(opts);
    let result = f(req, opts.clone()).await.and_then(|(resp, hidden)| Ok((encode_response(&resp)?, hidden)));
    let out = log.map(|log| {
        let (hidden, ended) = match &result {
            Ok((bytes, hidden)) => (Some(hidden.clone()), Ended::Success(bytes.clone())),
            Err(e) => (None, Ended::Failure(e.clone())),
        };
        LogOut::Deferred(Deferred::new(log, opts, hidden, ended, None))
    });
    (result, out)
}

fn sync_call<Req, Resp, F, Fut>(
    py: Python<'_>,
    request: &Bound<'_, PyAny>,
    options: &Bound<'_, PyAny>,
    call_type: &'static str,
    f: F,
) -> PyResult<Py<PyAny>>
where
    Req: DeserializeOwned + serde::Serialize + Send,
    Resp: serde::Serialize + Send,
    F: FnOnce(Req, Arc<CallOptions>) -> Fut + Send,
    Fut: Future<Output = Result<(Resp, Hidden), LlmError>> + Send,
{
    let req: Req = convert_request(py, request, call_type)?;
    let opts: CallOptions = convert(py, options, "options")?;
    // A hit in the in-process cache is answered here, without the runtime (calls that are logged
    // take the full path, which logs hits too).
    if !opts.logging()
        && call_type != "embedding" // embeddings are cached per input (engine::embedding)
        && let Some(cache) = crate::cache::CallCache::for_call(call_type, &req, &opts)
        && let Some(body) = cache.lookup_local()
    {
        return result_tuple(py, &body, &Hidden::cache_hit(&cache.model, &opts, &cache.key), None);
    }
    run_sync(py, call_type, req, opts, f)
}

/// Runs a converted call on the runtime (GIL released) and renders its outcome.
fn run_sync<Req, Resp, F, Fut>(
    py: Python<'_>,
    call_type: &'static str,
    req: Req,
    opts: CallOptions,
    f: F,
) -> PyResult<Py<PyAny>>
where
    Req: serde::Serialize + Send,
    Resp: serde::Serialize + Send,
    F: FnOnce(Req, Arc<CallOptions>) -> Fut + Send,
    Fut: Future<Output = Result<(Resp, Hidden), LlmError>> + Send,
{
    let (result, log) = block_on(py, async move { Ok(run_logged(call_type, req, opts, f).await) })?;
    match result {
        Ok((bytes, hidden)) => result_tuple(py, &bytes, &hidden, log),
        Err(e) => Err(logged_err(py, &e, log)),
    }
}

/// Submits an async call to a loop's completion queue; returns the id its outcome will carry.
fn submit_call<Req, Resp, F, Fut>(
    py: Python<'_>,
    queue: &CompletionQueue,
    request: &Bound<'_, PyAny>,
    options: &Bound<'_, PyAny>,
    call_type: &'static str,
    f: F,
) -> PyResult<u64>
where
    Req: DeserializeOwned + serde::Serialize + Send + 'static,
    Resp: serde::Serialize + Send + 'static,
    F: FnOnce(Req, Arc<CallOptions>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<(Resp, Hidden), LlmError>> + Send + 'static,
{
    let req: Req = convert_request(py, request, call_type)?;
    let opts: CallOptions = convert(py, options, "options")?;
    Ok(submit_converted(queue, call_type, req, opts, f))
}

/// Submits a converted call; returns the id its outcome will carry.
fn submit_converted<Req, Resp, F, Fut>(
    queue: &CompletionQueue,
    call_type: &'static str,
    req: Req,
    opts: CallOptions,
    f: F,
) -> u64
where
    Req: serde::Serialize + Send + 'static,
    Resp: serde::Serialize + Send + 'static,
    F: FnOnce(Req, Arc<CallOptions>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<(Resp, Hidden), LlmError>> + Send + 'static,
{
    queue.submit(async move {
        match run_logged(call_type, req, opts, f).await {
            (Ok((bytes, hidden)), log) => Ok(Ready::Response(bytes, Some(hidden), log)),
            (Err(e), Some(log)) => Ok(Ready::Failed(e, log)),
            (Err(e), None) => Err(e),
        }
    })
}

#[pyfunction]
fn completion(py: Python<'_>, request: &Bound<'_, PyAny>, options: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    sync_call(py, request, options, "completion", |r: ChatRequest, o| async move { engine::chat(r, &o).await })
}

#[pyfunction]
fn acompletion_submit(
    py: Python<'_>,
    queue: &CompletionQueue,
    request: &Bound<'_, PyAny>,
    options: &Bound<'_, PyAny>,
) -> PyResult<u64> {
    submit_call(
        py,
        queue,
        request,
        options,
        "acompletion",
        |r: ChatRequest, o| async move { engine::chat(r, &o).await },
    )
}

#[pyfunction]
fn embedding(py: Python<'_>, request: &Bound<'_, PyAny>, options: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    sync_call(py, request, options, "embedding", |r: EmbeddingRequest, o| async move { engine::embedding(r, &o).await })
}

#[pyfunction]
fn aembedding_submit(
    py: Python<'_>,
    queue: &CompletionQueue,
    request: &Bound<'_, PyAny>,
    options: &Bound<'_, PyAny>,
) -> PyResult<u64> {
    submit_call(py, queue, request, options, "aembedding", |r: EmbeddingRequest, o| async move {
        engine::embedding(r, &o).await
    })
}

#[pyfunction]
fn text_completion(py: Python<'_>, request: &Bound<'_, PyAny>, options: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    sync_call(py, request, options, "text_completion", |r: TextCompletionRequest, o| async move {
        engine::text_completion(r, &o).await
    })
}

#[pyfunction]
fn atext_completion_submit(
    py: Python<'_>,
    queue: &CompletionQueue,
    request: &Bound<'_, PyAny>,
    options: &Bound<'_, PyAny>,
) -> PyResult<u64> {
    submit_call(py, queue, request, options, "atext_completion", |r: TextCompletionRequest, o| async move {
        engine::text_completion(r, &o).await
    })
}

/// Opens a stream and starts its log; an error opening it finishes the log as a failure.
async fn open_logged<Req, F, Fut>(
    call_type: &'static str,
    req: Req,
    opts: CallOptions,
    f: F,
) -> Result<(ChunkStream, Option<StreamLog>), (LlmError, Option<LogOut>)>
where
    Req: serde::Serialize,
    F: FnOnce(Req, Arc<CallOptions>) -> Fut,
    Fut: Future<Output = Result<ChunkStream, LlmError>>,
{
    let log = CallLog::start(call_type, &opts, &req, true);
    let opts = Arc::new(opts);
    match f(req, opts.clone()).await {
        Ok(s) => Ok((s, log.map(|l| StreamLog::new(l, opts)))),
        Err(e) => {
            let out = log.map(|l| LogOut::Deferred(Deferred::new(l, opts, None, Ended::Failure(e.clone()), None)));
            Err((e, out))
        }
    }
}

fn sync_stream<Req, F, Fut>(
    py: Python<'_>,
    request: &Bound<'_, PyAny>,
    options: &Bound<'_, PyAny>,
    call_type: &'static str,
    f: F,
) -> PyResult<PyStream>
where
    Req: DeserializeOwned + serde::Serialize + Send,
    F: FnOnce(Req, Arc<CallOptions>) -> Fut + Send,
    Fut: Future<Output = Result<ChunkStream, LlmError>> + Send,
{
    let req: Req = convert_request(py, request, call_type)?;
    let opts: CallOptions = convert(py, options, "options")?;
    open_sync(py, call_type, req, opts, f)
}

/// Opens a converted stream on the runtime (GIL released).
fn open_sync<Req, F, Fut>(
    py: Python<'_>,
    call_type: &'static str,
    req: Req,
    opts: CallOptions,
    f: F,
) -> PyResult<PyStream>
where
    Req: serde::Serialize + Send,
    F: FnOnce(Req, Arc<CallOptions>) -> Fut + Send,
    Fut: Future<Output = Result<ChunkStream, LlmError>> + Send,
{
    match block_on(py, async move { Ok(open_logged(call_type, req, opts, f).await) })? {
        Ok((s, log)) => Ok(PyStream::new(s, log)),
        Err((e, log)) => Err(logged_err(py, &e, log)),
    }
}

fn submit_stream<Req, F, Fut>(
    py: Python<'_>,
    queue: &CompletionQueue,
    request: &Bound<'_, PyAny>,
    options: &Bound<'_, PyAny>,
    call_type: &'static str,
    f: F,
) -> PyResult<u64>
where
    Req: DeserializeOwned + serde::Serialize + Send + 'static,
    F: FnOnce(Req, Arc<CallOptions>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<ChunkStream, LlmError>> + Send + 'static,
{
    let req: Req = convert_request(py, request, call_type)?;
    let opts: CallOptions = convert(py, options, "options")?;
    Ok(submit_open(queue, call_type, req, opts, f))
}

/// Submits the opening of a converted stream.
fn submit_open<Req, F, Fut>(queue: &CompletionQueue, call_type: &'static str, req: Req, opts: CallOptions, f: F) -> u64
where
    Req: serde::Serialize + Send + 'static,
    F: FnOnce(Req, Arc<CallOptions>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<ChunkStream, LlmError>> + Send + 'static,
{
    queue.submit(async move {
        match open_logged(call_type, req, opts, f).await {
            Ok((s, log)) => Ok(Ready::Stream(Box::new(s), log)),
            Err((e, Some(log))) => Ok(Ready::Failed(e, log)),
            Err((e, None)) => Err(e),
        }
    })
}

#[pyfunction]
fn completion_stream(py: Python<'_>, request: &Bound<'_, PyAny>, options: &Bound<'_, PyAny>) -> PyResult<PyStream> {
    sync_stream(py, request, options, "completion", |r: ChatRequest, o| async move { engine::chat_stream(r, &o).await })
}

#[pyfunction]
fn acompletion_stream_submit(
    py: Python<'_>,
    queue: &CompletionQueue,
    request: &Bound<'_, PyAny>,
    options: &Bound<'_, PyAny>,
) -> PyResult<u64> {
    submit_stream(py, queue, request, options, "acompletion", |r: ChatRequest, o| async move {
        engine::chat_stream(r, &o).await
    })
}

#[pyfunction]
fn text_completion_stream(
    py: Python<'_>,
    request: &Bound<'_, PyAny>,
    options: &Bound<'_, PyAny>,
) -> PyResult<PyStream> {
    sync_stream(py, request, options, "text_completion", |r: TextCompletionRequest, o| async move {
        engine::text_completion_stream(r, &o).await
    })
}

#[pyfunction]
fn atext_completion_stream_submit(
    py: Python<'_>,
    queue: &CompletionQueue,
    request: &Bound<'_, PyAny>,
    options: &Bound<'_, PyAny>,
) -> PyResult<u64> {
    submit_stream(py, queue, request, options, "atext_completion", |r: TextCompletionRequest, o| async move {
        engine::text_completion_stream(r, &o).await
    })
}

/// The logging payload of a call that ended in Python (a mocked answer, an error raised before
/// the engine): `response` is the response's JSON, `error` is `(class name, status, message,
/// provider)`. The payload also goes to the call's built-in loggers.
#[pyfunction]
#[pyo3(signature = (call_type, request, options, response=None, error=None))]
fn log_payload<'py>(
    py: Python<'py>,
    call_type: &str,
    request: &Bound<'py, PyAny>,
    options: &Bound<'py, PyAny>,
    response: Option<&[u8]>,
    error: Option<(String, u16, String, String)>,
) -> PyResult<Option<Bound<'py, PyBytes>>> {
    const CALL_TYPES: &[&str] =
        &["completion", "acompletion", "embedding", "aembedding", "text_completion", "atext_completion"];
    let call_type = CALL_TYPES.iter().copied().find(|c| *c == call_type).unwrap_or("completion");
    let req: serde_json::Value = convert(py, request, "request")?;
    let opts: CallOptions = convert(py, options, "options")?;
    let stream = req.get("stream").and_then(serde_json::Value::as_bool).unwrap_or(false);
    let Some(log) = CallLog::start(call_type, &opts, &req, stream) else {
        return Ok(None);
    };
    let payload = match error {
        Some((class, status, message, provider)) => {
            let mut e = LlmError::new(crate::error::ErrorKind::from_class_name(&class), message);
            e.status = status;
            e.provider = provider;
            callbacks::finish(&log, &opts, None, Outcome::Failure(&e), None)
        }
        None => {
            let resp = response.and_then(|r| serde_json::from_slice(r).ok()).unwrap_or(serde_json::Value::Null);
            callbacks::finish(&log, &opts, None, Outcome::Success(resp), None)
        }
    };
    Ok(payload.map(|p| PyBytes::new(py, &p)))
}

/// Waits (GIL released) until every payload queued for the built-in loggers has been sent.
#[pyfunction]
fn flush_loggers(py: Python<'_>) -> PyResult<()> {
    block_on(py, async {
        callbacks::flush().await;
        Ok(())
    })
}

/// Forgets the built-in loggers' configuration (read again from the environment on next use).
#[pyfunction]
fn reset_loggers() {
    callbacks::reset();
}

fn redis_to_py(py: Python<'_>, v: redis::Value) -> PyResult<Py<PyAny>> {
    use pyo3::IntoPyObjectExt;
    Ok(match v {
        redis::Value::Nil => py.None(),
        redis::Value::Int(i) => i.into_py_any(py)?,
        redis::Value::Double(f) => f.into_py_any(py)?,
        redis::Value::Boolean(b) => b.into_py_any(py)?,
        redis::Value::Okay => "OK".into_py_any(py)?,
        redis::Value::SimpleString(s) => s.into_py_any(py)?,
        redis::Value::BulkString(b) => String::from_utf8_lossy(&b).into_owned().into_py_any(py)?,
        redis::Value::VerbatimString { text, .. } => text.into_py_any(py)?,
        redis::Value::Array(items) | redis::Value::Set(items) => {
            let list = pyo3::types::PyList::empty(py);
            for item in items {
                list.append(redis_to_py(py, item)?)?;
            }
            list.into_any().unbind()
        }
        redis::Value::Map(pairs) => {
            let list = pyo3::types::PyList::empty(py);
            for (k, v) in pairs {
                list.append(redis_to_py(py, k)?)?;
                list.append(redis_to_py(py, v)?)?;
            }
            list.into_any().unbind()
        }
        other => format!("{other:?}").into_py_any(py)?,
    })
}

/// Runs Redis commands at `url` (GIL released): one command, or several in one MULTI/EXEC
/// transaction when `transaction` is true. Replies: None, int, float, str, or lists of them.
#[pyfunction]
#[pyo3(signature = (url, commands, transaction=false))]
fn redis_commands(py: Python<'_>, url: String, commands: Vec<Vec<String>>, transaction: bool) -> PyResult<Py<PyAny>> {
    let replies = block_on(py, async move {
        if transaction {
            crate::store::redis::transaction(&url, &commands).await
        } else {
            let mut out = Vec::with_capacity(commands.len());
            for c in &commands {
                out.push(crate::store::redis::command(&url, c).await?);
            }
            Ok(out)
        }
    })?;
    let list = pyo3::types::PyList::empty(py);
    for r in replies {
        list.append(redis_to_py(py, r)?)?;
    }
    Ok(list.into_any().unbind())
}

/// Sets the engine's log level ("DEBUG", "INFO", "WARNING", "ERROR", "OFF"): its logs go to
/// stderr with credentials redacted.
#[pyfunction]
fn set_log_level(level: &str) {
    crate::logging::set_level(level);
}

/// Whether log lines are JSON objects (the proxy's `json_logs: true`, `JSON_LOGS=True`).
#[pyfunction]
fn log_is_json() -> bool {
    crate::logging::is_json()
}

/// Payloads dropped so far because a built-in logger's queue was full or it was not set up.
#[pyfunction]
fn dropped_log_events() -> u64 {
    callbacks::dropped()
}

/// The `"prometheus"` logger's metrics in the Prometheus text format (after every finished call
/// was counted).
#[pyfunction]
fn prometheus_metrics(py: Python<'_>) -> PyResult<String> {
    block_on(py, async {
        callbacks::flush().await;
        Ok(callbacks::loggers::prometheus::render())
    })
}

/// Rebuilds a complete response (JSON bytes) from chunk JSON bytes; None for no chunks. Without a
/// usage chunk, usage is counted from `messages_json` (the prompt) and the answer, as litellm does.
#[pyfunction]
#[pyo3(signature = (chunks, messages_json=None))]
fn stream_chunk_builder(
    py: Python<'_>,
    chunks: Vec<Vec<u8>>,
    messages_json: Option<&str>,
) -> PyResult<Option<Py<PyBytes>>> {
    let mut parsed = Vec::with_capacity(chunks.len());
    for c in &chunks {
        let chunk: ChatChunk = serde_json::from_slice(c)
            .map_err(|e| to_pyerr(py, &LlmError::bad_request(format!("invalid stream chunk: {e}"))))?;
        parsed.push(chunk);
    }
    let Some(resp) = engine::aggregate_chunks(&parsed) else { return Ok(None) };
    let mut value = callbacks::success_value(&resp);
    if resp.usage.is_none() {
        let messages: Option<Vec<serde_json::Value>> = messages_json.and_then(|m| serde_json::from_str(m).ok());
        let (p, c) = crate::tokens::estimate_usage(&resp.model, messages.as_deref(), None, &value);
        value["usage"] = callbacks::success_value(&crate::types::Usage::new(p, c));
    }
    Ok(Some(PyBytes::new(py, &serde_json::to_vec(&value).unwrap_or_default()).unbind()))
}

/// `(model, custom_llm_provider, dynamic_api_key, api_base)` as litellm's get_llm_provider returns.
#[pyfunction]
#[pyo3(signature = (model, custom_llm_provider=None, api_base=None, api_key=None))]
fn get_llm_provider(
    py: Python<'_>,
    model: &str,
    custom_llm_provider: Option<String>,
    api_base: Option<String>,
    api_key: Option<String>,
) -> PyResult<(String, String, Option<String>, Option<String>)> {
    engine::provider_info(model, custom_llm_provider, api_base, api_key).map_err(|e| to_pyerr(py, &e))
}

/// The OpenAI chat parameters the provider of `model` takes; None when the provider is unknown.
#[pyfunction]
#[pyo3(signature = (model, custom_llm_provider=None))]
fn get_supported_openai_params(model: &str, custom_llm_provider: Option<&str>) -> Option<Vec<&'static str>> {
    engine::supported_openai_params(model, custom_llm_provider).ok()
}

/// The OpenAI chat parameters the engine checks against each provider (the others pass through).
#[pyfunction]
fn openai_chat_params() -> Vec<&'static str> {
    crate::types::OPENAI_CHAT_PARAMS.to_vec()
}

/// The environment variables `provider` reads its credentials from (groups that must all be set,
/// each a list of alternatives); None for an unknown provider.
#[pyfunction]
fn provider_env_requirements(provider: &str) -> Option<Vec<Vec<&'static str>>> {
    crate::providers::registry::env_requirements(provider)
}

#[pyfunction]
fn provider_list() -> Vec<&'static str> {
    crate::providers::registry::provider_ids()
}

/// Texts shorter than this are tokenised without releasing the GIL (detaching costs more).
const DETACH_BYTES: usize = 4096;

fn token_error(e: crate::tokens::TokenError) -> PyErr {
    pyo3::exceptions::PyValueError::new_err(e.0)
}

fn parse_json<T: DeserializeOwned>(json: Option<&str>, what: &str) -> PyResult<Option<T>> {
    json.map(|j| serde_json::from_str(j))
        .transpose()
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(format!("invalid {what}: {e}")))
}

/// `litellm.token_counter`: tokens of `text`, or of a chat prompt (`messages_json`, `tools_json`,
/// `tool_choice_json` are JSON texts). Exactly one of `text` and `messages_json` is given.
#[pyfunction]
#[pyo3(signature = (
    model, text=None, messages_json=None, tools_json=None, count_response_tokens=false, tool_choice_json=None,
    use_default_image_token_count=false, default_token_count=None
))]
#[allow(clippy::too_many_arguments)]
fn token_counter(
    py: Python<'_>,
    model: &str,
    text: Option<String>,
    messages_json: Option<String>,
    tools_json: Option<String>,
    count_response_tokens: bool,
    tool_choice_json: Option<String>,
    use_default_image_token_count: bool,
    default_token_count: Option<usize>,
) -> PyResult<usize> {
    use serde_json::Value;
    let model = model.to_owned();
    match (text, messages_json) {
        (Some(_), Some(_)) => Err(pyo3::exceptions::PyValueError::new_err("text and messages cannot both be set")),
        (None, None) => Err(pyo3::exceptions::PyValueError::new_err("Either text or messages must be provided")),
        (Some(text), None) => {
            if tools_json.is_some() || tool_choice_json.is_some() {
                return Err(pyo3::exceptions::PyValueError::new_err(
                    "tools or tool_choice cannot be set if using text",
                ));
            }
            if text.len() < DETACH_BYTES {
                Ok(crate::tokens::count_text(&model, &text))
            } else {
                Ok(py.detach(|| crate::tokens::count_text(&model, &text)))
            }
        }
        (None, Some(messages_json)) => {
            let long = messages_json.len() >= DETACH_BYTES;
            let run = move || -> PyResult<usize> {
                let messages: Vec<Value> = parse_json(Some(&messages_json), "messages")?.unwrap_or_default();
                let tools: Option<Vec<Value>> = parse_json(tools_json.as_deref(), "tools")?;
                let tool_choice: Option<Value> = parse_json(tool_choice_json.as_deref(), "tool_choice")?;
                let opts = crate::tokens::CountOptions {
                    tools: tools.as_deref(),
                    tool_choice: tool_choice.as_ref(),
                    count_response_tokens,
                    use_default_image_token_count,
                    default_token_count,
                };
                crate::tokens::count_messages(&model, &messages, &opts).map_err(token_error)
            };
            if long { py.detach(run) } else { run() }
        }
    }
}

/// `litellm.encode`: token ids of `text` in `model`'s encoding.
#[pyfunction]
fn encode(py: Python<'_>, model: &str, text: String) -> Vec<u32> {
    let enc = crate::tokens::encoding_for_model(model);
    if text.len() < DETACH_BYTES { enc.encode(&text) } else { py.detach(|| enc.encode(&text)) }
}

/// `litellm.decode`: the text of `tokens` in `model`'s encoding.
#[pyfunction]
fn decode(py: Python<'_>, model: &str, tokens: Vec<u32>) -> PyResult<String> {
    let enc = crate::tokens::encoding_for_model(model);
    if tokens.len() < DETACH_BYTES / 4 { enc.decode(&tokens) } else { py.detach(|| enc.decode(&tokens)) }
        .map_err(token_error)
}

/// The tiktoken encoding `token_counter`, `encode` and `decode` use for `model`.
#[pyfunction]
fn tokenizer_encoding_name(model: &str) -> &'static str {
    crate::tokens::encoding_for_model(model).name()
}

#[pymodule]
#[pyo3(name = "_core")]
fn core_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<PyStream>()?;
    m.add_class::<stream::ChunkCursor>()?;
    m.add_class::<CompletionQueue>()?;
    m.add_class::<logs::LogHandle>()?;
    m.add_function(wrap_pyfunction!(completion, m)?)?;
    cost::register(m)?;
    cache::register(m)?;
    m.add_class::<router::RouterHandle>()?;
    #[cfg(feature = "proxy")]
    proxy::register(m)?;
    m.add_function(wrap_pyfunction!(acompletion_submit, m)?)?;
    m.add_function(wrap_pyfunction!(completion_stream, m)?)?;
    m.add_function(wrap_pyfunction!(acompletion_stream_submit, m)?)?;
    m.add_function(wrap_pyfunction!(text_completion, m)?)?;
    m.add_function(wrap_pyfunction!(atext_completion_submit, m)?)?;
    m.add_function(wrap_pyfunction!(text_completion_stream, m)?)?;
    m.add_function(wrap_pyfunction!(atext_completion_stream_submit, m)?)?;
    m.add_function(wrap_pyfunction!(embedding, m)?)?;
    m.add_function(wrap_pyfunction!(aembedding_submit, m)?)?;
    m.add_function(wrap_pyfunction!(stream_chunk_builder, m)?)?;
    m.add_function(wrap_pyfunction!(response::chat_response_classes, m)?)?;
    m.add_function(wrap_pyfunction!(response::chat_response, m)?)?;
    m.add_function(wrap_pyfunction!(get_llm_provider, m)?)?;
    m.add_function(wrap_pyfunction!(provider_list, m)?)?;
    m.add_function(wrap_pyfunction!(provider_env_requirements, m)?)?;
    m.add_function(wrap_pyfunction!(openai_chat_params, m)?)?;
    m.add_function(wrap_pyfunction!(get_supported_openai_params, m)?)?;
    m.add_function(wrap_pyfunction!(token_counter, m)?)?;
    m.add_function(wrap_pyfunction!(encode, m)?)?;
    m.add_function(wrap_pyfunction!(decode, m)?)?;
    m.add_function(wrap_pyfunction!(tokenizer_encoding_name, m)?)?;
    m.add_function(wrap_pyfunction!(flush_loggers, m)?)?;
    m.add_function(wrap_pyfunction!(set_log_level, m)?)?;
    m.add_function(wrap_pyfunction!(log_is_json, m)?)?;
    m.add_function(wrap_pyfunction!(redis_commands, m)?)?;
    m.add_function(wrap_pyfunction!(log_payload, m)?)?;
    m.add_function(wrap_pyfunction!(reset_loggers, m)?)?;
    m.add_function(wrap_pyfunction!(dropped_log_events, m)?)?;
    m.add_function(wrap_pyfunction!(prometheus_metrics, m)?)?;
    Ok(())
}
