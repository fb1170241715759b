//! The `litellm_rs._core` extension module: the only pyo3 code. Arguments are converted to owned
//! Rust values once, the GIL is released for all I/O, and results go back as JSON bytes that the
//! Python layer validates in one pass.

mod aio;
mod cost;
mod errors;
mod runtime;
mod stream;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};
use serde::de::DeserializeOwned;

use crate::engine::{self, CallOptions, Hidden};
use crate::error::LlmError;
use crate::types::{ChatChunk, ChatRequest, EmbeddingRequest, TextCompletionRequest};
use aio::{CompletionQueue, Ready};
use errors::to_pyerr;
use runtime::block_on;
use stream::PyStream;

fn convert<T: DeserializeOwned>(py: Python<'_>, obj: &Bound<'_, PyAny>, what: &str) -> PyResult<T> {
    pythonize::depythonize(obj).map_err(|e| to_pyerr(py, &LlmError::bad_request(format!("invalid {what}: {e}"))))
}

fn result_tuple<T: serde::Serialize>(py: Python<'_>, body: &T, hidden: &Hidden) -> PyResult<Py<PyAny>> {
    let bytes = serde_json::to_vec(body).map_err(|e| to_pyerr(py, &LlmError::bad_request(e.to_string())))?;
    let h = pythonize::pythonize(py, &hidden.to_json())?;
    Ok(PyTuple::new(py, [PyBytes::new(py, &bytes).into_any(), h])?.into_any().unbind())
}

fn sync_call<Req, Resp, F, Fut>(
    py: Python<'_>,
    request: &Bound<'_, PyAny>,
    options: &Bound<'_, PyAny>,
    what: &str,
    f: F,
) -> PyResult<Py<PyAny>>
where
    Req: DeserializeOwned + Send,
    Resp: serde::Serialize + Send,
    F: FnOnce(Req, CallOptions) -> Fut,
    Fut: Future<Output = Result<(Resp, Hidden), LlmError>> + Send,
{
    let req: Req = convert(py, request, what)?;
    let opts: CallOptions = convert(py, options, "options")?;
    let (resp, hidden) = block_on(py, f(req, opts))?;
    result_tuple(py, &resp, &hidden)
}

/// Submits an async call to a loop's completion queue; returns the id its outcome will carry.
fn submit_call<Req, Resp, F, Fut>(
    py: Python<'_>,
    queue: &CompletionQueue,
    request: &Bound<'_, PyAny>,
    options: &Bound<'_, PyAny>,
    what: &str,
    f: F,
) -> PyResult<u64>
where
    Req: DeserializeOwned + Send + 'static,
    Resp: serde::Serialize + Send + 'static,
    F: FnOnce(Req, CallOptions) -> Fut,
    Fut: Future<Output = Result<(Resp, Hidden), LlmError>> + Send + 'static,
{
    let req: Req = convert(py, request, what)?;
    let opts: CallOptions = convert(py, options, "options")?;
    let fut = f(req, opts);
    Ok(queue.submit(async move {
        let (resp, hidden) = fut.await?;
        Ready::response(&resp, &hidden)
    }))
}

#[pyfunction]
fn completion(py: Python<'_>, request: &Bound<'_, PyAny>, options: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    sync_call(py, request, options, "completion request", |r: ChatRequest, o| async move { engine::chat(r, &o).await })
}

#[pyfunction]
fn acompletion_submit(
    py: Python<'_>,
    queue: &CompletionQueue,
    request: &Bound<'_, PyAny>,
    options: &Bound<'_, PyAny>,
) -> PyResult<u64> {
    submit_call(py, queue, request, options, "completion request", |r: ChatRequest, o| async move {
        engine::chat(r, &o).await
    })
}

#[pyfunction]
fn embedding(py: Python<'_>, request: &Bound<'_, PyAny>, options: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    sync_call(py, request, options, "embedding request", |r: EmbeddingRequest, o| async move {
        engine::embedding(r, &o).await
    })
}

#[pyfunction]
fn aembedding_submit(
    py: Python<'_>,
    queue: &CompletionQueue,
    request: &Bound<'_, PyAny>,
    options: &Bound<'_, PyAny>,
) -> PyResult<u64> {
    submit_call(py, queue, request, options, "embedding request", |r: EmbeddingRequest, o| async move {
        engine::embedding(r, &o).await
    })
}

#[pyfunction]
fn text_completion(py: Python<'_>, request: &Bound<'_, PyAny>, options: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    sync_call(py, request, options, "text_completion request", |r: TextCompletionRequest, o| async move {
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
    submit_call(py, queue, request, options, "text_completion request", |r: TextCompletionRequest, o| async move {
        engine::text_completion(r, &o).await
    })
}

#[pyfunction]
fn completion_stream(py: Python<'_>, request: &Bound<'_, PyAny>, options: &Bound<'_, PyAny>) -> PyResult<PyStream> {
    let req: ChatRequest = convert(py, request, "completion request")?;
    let opts: CallOptions = convert(py, options, "options")?;
    let s = block_on(py, async move { engine::chat_stream(req, &opts).await })?;
    Ok(PyStream::new(s))
}

#[pyfunction]
fn acompletion_stream_submit(
    py: Python<'_>,
    queue: &CompletionQueue,
    request: &Bound<'_, PyAny>,
    options: &Bound<'_, PyAny>,
) -> PyResult<u64> {
    let req: ChatRequest = convert(py, request, "completion request")?;
    let opts: CallOptions = convert(py, options, "options")?;
    Ok(queue.submit(async move { engine::chat_stream(req, &opts).await.map(|s| Ready::Stream(Box::new(s))) }))
}

#[pyfunction]
fn text_completion_stream(
    py: Python<'_>,
    request: &Bound<'_, PyAny>,
    options: &Bound<'_, PyAny>,
) -> PyResult<PyStream> {
    let req: TextCompletionRequest = convert(py, request, "text_completion request")?;
    let opts: CallOptions = convert(py, options, "options")?;
    let s = block_on(py, async move { engine::text_completion_stream(req, &opts).await })?;
    Ok(PyStream::new(s))
}

#[pyfunction]
fn atext_completion_stream_submit(
    py: Python<'_>,
    queue: &CompletionQueue,
    request: &Bound<'_, PyAny>,
    options: &Bound<'_, PyAny>,
) -> PyResult<u64> {
    let req: TextCompletionRequest = convert(py, request, "text_completion request")?;
    let opts: CallOptions = convert(py, options, "options")?;
    Ok(queue
        .submit(async move { engine::text_completion_stream(req, &opts).await.map(|s| Ready::Stream(Box::new(s))) }))
}

/// Rebuilds a complete response (JSON bytes) from chunk JSON bytes; None for no chunks.
#[pyfunction]
fn stream_chunk_builder(py: Python<'_>, chunks: Vec<Vec<u8>>) -> PyResult<Option<Py<PyBytes>>> {
    let mut parsed = Vec::with_capacity(chunks.len());
    for c in &chunks {
        let chunk: ChatChunk = serde_json::from_slice(c)
            .map_err(|e| to_pyerr(py, &LlmError::bad_request(format!("invalid stream chunk: {e}"))))?;
        parsed.push(chunk);
    }
    Ok(engine::aggregate_chunks(&parsed)
        .map(|r| PyBytes::new(py, &serde_json::to_vec(&r).unwrap_or_default()).unbind()))
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
    m.add_class::<CompletionQueue>()?;
    m.add_function(wrap_pyfunction!(completion, m)?)?;
    cost::register(m)?;
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
    m.add_function(wrap_pyfunction!(get_llm_provider, m)?)?;
    m.add_function(wrap_pyfunction!(provider_list, m)?)?;
    m.add_function(wrap_pyfunction!(get_supported_openai_params, m)?)?;
    m.add_function(wrap_pyfunction!(token_counter, m)?)?;
    m.add_function(wrap_pyfunction!(encode, m)?)?;
    m.add_function(wrap_pyfunction!(decode, m)?)?;
    m.add_function(wrap_pyfunction!(tokenizer_encoding_name, m)?)?;
    Ok(())
}
