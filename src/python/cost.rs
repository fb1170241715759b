//! Cost and model-map functions of `litellm_rs._core` (`litellm_rs.cost` builds the public API on
//! them). Values cross as JSON text or plain tuples.

use pyo3::prelude::*;

use crate::cost::{self, TokenUsage, prices};
use crate::engine::CallOptions;
use crate::types::Usage;

fn value_error(what: &str, e: impl std::fmt::Display) -> PyErr {
    pyo3::exceptions::PyValueError::new_err(format!("invalid {what}: {e}"))
}

/// The whole model map as JSON in litellm's format.
#[pyfunction]
fn model_cost_json(py: Python<'_>) -> String {
    py.detach(prices::to_json)
}

/// Adds or updates model-map entries from a JSON object in litellm's format; returns how many.
#[pyfunction]
fn register_model_json(text: &str) -> PyResult<usize> {
    prices::register_json(text).map_err(|e| value_error("model cost map", e))
}

/// litellm's `get_model_info` as a dict, or None when the model is not in the map.
#[pyfunction]
#[pyo3(signature = (model, custom_llm_provider=None))]
fn model_info(py: Python<'_>, model: &str, custom_llm_provider: Option<&str>) -> PyResult<Option<Py<PyAny>>> {
    match cost::model_info(model, custom_llm_provider) {
        Some(info) => Ok(Some(pythonize::pythonize(py, &info)?.unbind())),
        None => Ok(None),
    }
}

/// `(prompt_cost, completion_cost)` of a usage (JSON, OpenAI's shape with Anthropic's cache
/// counters allowed) for `model`; `pricing_json` holds the call's custom pricing options
/// (`input_cost_per_token`, `base_model`, `model_info`, ...). None when the model is not priced.
#[pyfunction]
#[pyo3(signature = (model, custom_llm_provider, usage_json, pricing_json=None, service_tier=None, response_ms=0.0))]
fn cost_per_token(
    model: &str,
    custom_llm_provider: Option<&str>,
    usage_json: &str,
    pricing_json: Option<&str>,
    service_tier: Option<&str>,
    response_ms: f64,
) -> PyResult<Option<(f64, f64)>> {
    let (usage, entry) = usage_and_entry(model, custom_llm_provider, usage_json, pricing_json)?;
    Ok(entry.and_then(|e| cost::price(&e, &usage, service_tier, response_ms)))
}

/// A usage (JSON) as billing buckets, and the model's entry under the call's custom pricing
/// (JSON): the provider's own entry first, else the model's under any provider.
fn usage_and_entry(
    model: &str,
    custom_llm_provider: Option<&str>,
    usage_json: &str,
    pricing_json: Option<&str>,
) -> PyResult<(TokenUsage, Option<std::sync::Arc<cost::Entry>>)> {
    let usage: Usage = serde_json::from_str(usage_json).map_err(|e| value_error("usage", e))?;
    let opts: CallOptions = match pricing_json {
        Some(j) => serde_json::from_str(j).map_err(|e| value_error("pricing", e))?,
        None => CallOptions::default(),
    };
    let pricing = opts.custom_pricing();
    let entry = cost::effective_entry(model, custom_llm_provider, &pricing, None)
        .or_else(|| custom_llm_provider.and_then(|_| cost::effective_entry(model, None, &pricing, None)));
    Ok((TokenUsage::from_usage(&usage), entry))
}

/// The cost of `n` generated images (litellm's `completion_cost(call_type="image_generation")`).
#[pyfunction]
#[pyo3(signature = (model, custom_llm_provider=None, size=None, quality=None, n=1))]
fn image_cost(
    model: &str,
    custom_llm_provider: Option<&str>,
    size: Option<&str>,
    quality: Option<&str>,
    n: u64,
) -> PyResult<f64> {
    cost::image_cost(model, custom_llm_provider, size, quality, n).map_err(pyo3::exceptions::PyValueError::new_err)
}

/// `(prompt_cost, completion_cost)` of a speech (`kind="speech"`, by `characters`) or
/// transcription (`kind="transcription"`, by `seconds`) call, with its usage (JSON) where the
/// model is priced per token. None when the model is not priced; ValueError when the call lacks
/// what its model is priced by.
#[pyfunction]
#[pyo3(signature = (model, custom_llm_provider, kind, usage_json, characters=None, seconds=0.0, pricing_json=None))]
#[allow(clippy::too_many_arguments)]
fn audio_cost(
    model: &str,
    custom_llm_provider: Option<&str>,
    kind: &str,
    usage_json: &str,
    characters: Option<u64>,
    seconds: f64,
    pricing_json: Option<&str>,
) -> PyResult<Option<(f64, f64)>> {
    let audio = match kind {
        "speech" => cost::Audio::Speech { characters },
        "transcription" => cost::Audio::Transcription { seconds },
        other => return Err(value_error("audio call kind", other)),
    };
    let (usage, entry) = usage_and_entry(model, custom_llm_provider, usage_json, pricing_json)?;
    let Some(entry) = entry else { return Ok(None) };
    cost::audio_cost(&entry, audio, &usage)
        .map(Some)
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(format!("{e}: model={model}, call_type={kind}")))
}

/// Cheaper models of the same mode and capabilities: `(key, provider, input+output price)`,
/// cheapest first; None when the model is not priced.
#[pyfunction]
#[pyo3(signature = (model, custom_llm_provider=None))]
fn cheaper_alternatives(
    py: Python<'_>,
    model: &str,
    custom_llm_provider: Option<&str>,
) -> Option<Vec<(String, String, f64)>> {
    py.detach(|| cost::cheaper_alternatives(model, custom_llm_provider))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(model_cost_json, m)?)?;
    m.add_function(wrap_pyfunction!(register_model_json, m)?)?;
    m.add_function(wrap_pyfunction!(model_info, m)?)?;
    m.add_function(wrap_pyfunction!(cost_per_token, m)?)?;
    m.add_function(wrap_pyfunction!(cheaper_alternatives, m)?)?;
    m.add_function(wrap_pyfunction!(image_cost, m)?)?;
    m.add_function(wrap_pyfunction!(audio_cost, m)?)?;
    Ok(())
}
