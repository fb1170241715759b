//! Non-streamed chat responses built directly from the engine's JSON.
//!
//! `ModelResponse.model_validate_json` and the conversion of its `usage` extra cost about 10 µs a
//! call, most of it pydantic's generic machinery for four to eight nested models. The engine's
//! responses have one shape (its own `ChatResponse` written out), so the objects are made here the
//! way that validation makes them (see `models.rs`): a `ModelResponse` whose choices are
//! `Choices` with a `Message` (tool calls as `ChatCompletionMessageToolCall` with a `Function`),
//! `usage` kept as an extra holding a `Usage` (its details as the wrapper classes), unknown keys as
//! plain values in each model's extras, `_hidden_params` set to the call's. A value of a type the
//! field would convert or reject (a number where a string is wanted, a float token count, a
//! non-null audio or logprobs, a duplicated key, an integer beyond 64 bits, ...) leaves the whole
//! response to pydantic, which then gives the same object or the same error as before.
//!
//! The Python side hands over the classes with their fields (`chat_response_classes`); a class with
//! a field not listed here turns the direct path off.

use std::sync::{Arc, Mutex};

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString};

use super::models::{Class, J, Names, has_duplicate, plain};

/// What a field accepts (any other JSON value leaves the response to pydantic).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    /// `str`.
    Str,
    /// `Optional[str]`.
    OptStr,
    /// `int`.
    Int,
    /// `Optional[int]`.
    OptInt,
    /// `Optional[Union[str, list[Any]]]`.
    Content,
    /// `Optional[list[Any]]`.
    OptList,
    /// `Optional[dict[str, Any]]` / `Optional[dict]`.
    OptDict,
    /// Only null here (a type whose conversion is left to pydantic).
    Null,
    /// A model of the class at this index (`Class::idx`).
    Model(usize),
    /// The same or null.
    OptModel(usize),
    /// A list of such models.
    Models(usize),
    /// The same or null.
    OptModels(usize),
}

const RESPONSE: usize = 0;
const CHOICES: usize = 1;
const MESSAGE: usize = 2;
const USAGE: usize = 3;
const COMPLETION_DETAILS: usize = 4;
const PROMPT_DETAILS: usize = 5;
const TOOL_CALL: usize = 6;
const FUNCTION: usize = 7;

/// The fields known per class, in the order the classes are handed over.
const CLASSES: [&[(&str, Kind)]; 8] = [
    // ModelResponse
    &[
        ("id", Kind::Str),
        ("created", Kind::Int),
        ("model", Kind::OptStr),
        ("object", Kind::Str),
        ("system_fingerprint", Kind::OptStr),
        ("choices", Kind::Models(CHOICES)),
    ],
    // Choices
    &[
        ("finish_reason", Kind::OptStr),
        ("index", Kind::Int),
        ("message", Kind::Model(MESSAGE)),
        ("logprobs", Kind::Null),
        ("provider_specific_fields", Kind::OptDict),
    ],
    // Message
    &[
        ("content", Kind::Content),
        ("role", Kind::Str),
        ("tool_calls", Kind::OptModels(TOOL_CALL)),
        ("function_call", Kind::Null),
        ("audio", Kind::Null),
        ("images", Kind::OptList),
        ("reasoning_content", Kind::OptStr),
        ("thinking_blocks", Kind::OptList),
        ("reasoning_items", Kind::OptList),
        ("provider_specific_fields", Kind::OptDict),
        ("annotations", Kind::OptList),
    ],
    // Usage
    &[
        ("completion_tokens", Kind::Int),
        ("prompt_tokens", Kind::Int),
        ("total_tokens", Kind::Int),
        ("completion_tokens_details", Kind::OptModel(COMPLETION_DETAILS)),
        ("prompt_tokens_details", Kind::OptModel(PROMPT_DETAILS)),
        ("server_tool_use", Kind::Null),
        ("cost", Kind::Null),
    ],
    // CompletionTokensDetailsWrapper
    &[
        ("accepted_prediction_tokens", Kind::OptInt),
        ("audio_tokens", Kind::OptInt),
        ("reasoning_tokens", Kind::OptInt),
        ("rejected_prediction_tokens", Kind::OptInt),
        ("text_tokens", Kind::OptInt),
        ("image_tokens", Kind::OptInt),
        ("video_tokens", Kind::OptInt),
    ],
    // PromptTokensDetailsWrapper
    &[
        ("audio_tokens", Kind::OptInt),
        ("cached_tokens", Kind::OptInt),
        ("text_tokens", Kind::OptInt),
        ("image_tokens", Kind::OptInt),
        ("video_tokens", Kind::OptInt),
        ("web_search_requests", Kind::OptInt),
        ("tool_use_tokens", Kind::OptInt),
        ("character_count", Kind::OptInt),
        ("image_count", Kind::OptInt),
        ("video_length_seconds", Kind::Null),
        ("audio_length_seconds", Kind::Null),
        ("cache_creation_tokens", Kind::OptInt),
        ("cache_creation_token_details", Kind::Null),
        ("initial_prompt_tokens", Kind::OptInt),
        ("google_maps_grounding_requests", Kind::OptInt),
        ("query_count", Kind::OptInt),
        ("cache_write_tokens", Kind::OptInt),
        ("cached_tokens_details", Kind::OptDict),
        ("cache_type", Kind::OptStr),
    ],
    // ChatCompletionMessageToolCall
    &[("id", Kind::Str), ("type", Kind::Str), ("function", Kind::Model(FUNCTION))],
    // Function
    &[("arguments", Kind::Str), ("name", Kind::OptStr)],
];

/// The classes of a chat response and what is needed to make their instances.
pub struct Builder {
    classes: Vec<Class<Kind>>,
    names: Names,
}

static BUILDER: Mutex<Option<Arc<Builder>>> = Mutex::new(None);

fn current() -> Option<Arc<Builder>> {
    BUILDER.lock().ok()?.clone()
}

impl Builder {
    /// The builder for `spec` (one `(cls, ((field, required, default), ...))` per class, in the
    /// order of [`CLASSES`]); None when a class has a field not listed there.
    fn for_spec(py: Python<'_>, spec: &Bound<'_, PyAny>) -> PyResult<Option<Builder>> {
        let names = Names::new(py);
        if spec.len()? != CLASSES.len() {
            return Ok(None);
        }
        let mut classes = Vec::with_capacity(CLASSES.len());
        for (idx, known) in CLASSES.iter().enumerate() {
            match Class::from_spec(py, idx, &spec.get_item(idx)?, known, &names)? {
                Some(c) => classes.push(c),
                None => return Ok(None),
            }
        }
        Ok(Some(Builder { classes, names }))
    }

    /// The response of `json`, `hidden` as its `_hidden_params`; None when the direct path does
    /// not apply.
    fn response<'py>(
        &self,
        py: Python<'py>,
        json: &[u8],
        hidden: &Bound<'py, PyAny>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        // one UTF-8 check for the whole response instead of one per string
        let Ok(json) = std::str::from_utf8(json) else { return Ok(None) };
        let Ok(J::Obj(pairs)) = serde_json::from_str::<J<'_>>(json) else { return Ok(None) };
        self.model(py, RESPONSE, &pairs, Some(hidden))
    }

    /// An instance of the class `idx` from an object's members; `hidden` for the top-level
    /// response only.
    fn model<'py>(
        &self,
        py: Python<'py>,
        idx: usize,
        pairs: &[(std::borrow::Cow<'_, str>, J<'_>)],
        hidden: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let class = &self.classes[idx];
        // pydantic keeps the last of a duplicated key; a private-looking name is its own
        if has_duplicate(pairs) {
            return Ok(None);
        }
        let mut mask = 0u32;
        for (key, _) in pairs {
            match class.position(key) {
                Some(f) => mask |= 1 << f,
                None if key.starts_with('_') => return Ok(None),
                None => {}
            }
        }
        if class.fields.iter().enumerate().any(|(i, f)| f.default.is_none() && mask & (1 << i) == 0) {
            return Ok(None);
        }
        let dict = class.template.bind(py).copy()?;
        let set = class.fields_set(py, mask)?;
        let extra = PyDict::new(py);
        for (key, value) in pairs {
            let v = match class.position(key) {
                Some(f) => {
                    let Some(v) = self.field(py, class.fields[f].kind, value)? else { return Ok(None) };
                    dict.set_item(class.fields[f].name.bind(py), v)?;
                    continue;
                }
                // what `_response_post_init` makes of a `usage` object
                None if idx == RESPONSE && key == "usage" => match value {
                    J::Obj(members) => self.model(py, USAGE, members, None)?,
                    _ => plain(py, value, true)?,
                },
                None => plain(py, value, true)?,
            };
            let Some(v) = v else { return Ok(None) };
            let k = PyString::new(py, key);
            extra.set_item(&k, v)?;
            set.add(k)?;
        }
        let private = match hidden {
            Some(h) => self.names.response_private(py, Some(h))?.into_any(),
            None => py.None().into_bound(py),
        };
        Ok(Some(class.instance(py, &self.names, dict, extra, set, private)?))
    }

    fn field<'py>(&self, py: Python<'py>, kind: Kind, v: &J<'_>) -> PyResult<Option<Bound<'py, PyAny>>> {
        Ok(Some(match (kind, v) {
            (
                Kind::OptStr
                | Kind::OptInt
                | Kind::Content
                | Kind::OptList
                | Kind::OptDict
                | Kind::Null
                | Kind::OptModel(_)
                | Kind::OptModels(_),
                J::Null,
            ) => py.None().into_bound(py),
            (Kind::Str | Kind::OptStr | Kind::Content, J::Str(s)) => PyString::new(py, s).into_any(),
            (Kind::Int | Kind::OptInt, J::Int(i)) => i.into_pyobject(py)?.into_any(),
            (Kind::Content | Kind::OptList, J::Arr(_)) | (Kind::OptDict, J::Obj(_)) => match plain(py, v, true)? {
                Some(x) => x,
                None => return Ok(None),
            },
            (Kind::Model(c) | Kind::OptModel(c), J::Obj(members)) => match self.model(py, c, members, None)? {
                Some(x) => x,
                None => return Ok(None),
            },
            (Kind::Models(c) | Kind::OptModels(c), J::Arr(items)) => {
                let list = PyList::empty(py);
                for item in items {
                    let J::Obj(members) = item else { return Ok(None) };
                    let Some(x) = self.model(py, c, members, None)? else { return Ok(None) };
                    list.append(x)?;
                }
                list.into_any()
            }
            _ => return Ok(None),
        }))
    }

    fn slots_found(&self) -> bool {
        self.classes.iter().all(|c| c.slots_found())
    }

    fn plain_alloc(&self) -> bool {
        self.classes.iter().all(|c| c.plain_alloc())
    }
}

/// From now on, `chat_response` makes responses of these classes: `spec` is
/// `((cls, ((field, required, default), ...)), ...)` for `ModelResponse`, `Choices`, `Message`,
/// `Usage`, `CompletionTokensDetailsWrapper`, `PromptTokensDetailsWrapper`,
/// `ChatCompletionMessageToolCall` and `Function`. Answers 0 (and `chat_response` answers None)
/// when a class has a field it does not know, 3 when pydantic's slots were found and instances
/// are allocated directly in all of them, 2 or 1 when less of that applies. None turns it off.
#[pyfunction]
#[pyo3(signature = (spec))]
pub fn chat_response_classes(py: Python<'_>, spec: Option<&Bound<'_, PyAny>>) -> PyResult<u8> {
    // a spec that cannot be read turns the direct path off rather than failing the calls (the
    // tests check that the package's classes are taken)
    let builder = match spec {
        Some(spec) => Builder::for_spec(py, spec).unwrap_or(None),
        None => None,
    };
    let level = builder.as_ref().map_or(0, |b| match (b.slots_found(), b.plain_alloc()) {
        (true, true) => 3,
        (true, false) => 2,
        _ => 1,
    });
    if let Ok(mut cached) = BUILDER.lock() {
        *cached = builder.map(Arc::new);
    }
    Ok(level)
}

/// The `ModelResponse` of an engine result (`data`, the response's JSON), with `hidden` as its
/// `_hidden_params`; None when the classes were not handed over or the response is not of the
/// shape made here (pydantic validates it then).
#[pyfunction]
pub fn chat_response<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyBytes>,
    hidden: &Bound<'py, PyAny>,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    match current() {
        Some(b) => b.response(py, data.as_bytes(), hidden),
        None => Ok(None),
    }
}
