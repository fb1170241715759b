//! Chat chunk objects built directly from the engine's chunk JSON.
//!
//! `ModelResponseStream.model_validate_json` costs about 4 µs a chunk, most of it pydantic's
//! generic machinery for three nested models. The chunks of a chat stream nearly always have one
//! small shape (id, created, model, object, system fingerprint, choices of {index, delta with
//! role and/or content, finish_reason}, a few scalar extras), so for that shape the objects are
//! made here the way pydantic's validation makes them: the instance from the class's `tp_new`
//! (no `__init__`), then `__dict__` (every field in declaration order, defaults for the absent
//! ones), `__pydantic_extra__`, `__pydantic_fields_set__` and `__pydantic_private__` set with the
//! generic setattr. Anything else (tool calls, usage, logprobs, floats, a missing required field,
//! a duplicated key, JSON that serde_json rejects, ...) is left as bytes for pydantic.
//!
//! The Python side hands over the three classes with their fields (`Stream.build_chunks`); the
//! builder refuses (and everything goes through pydantic) when a field is not one it knows.

use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, Mutex};

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFrozenSet, PyList, PySet, PyString, PyTuple, PyType};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// A JSON value, strings borrowed from the input where they have no escapes.
enum J<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Str(Cow<'a, str>),
    Arr(Vec<J<'a>>),
    Obj(Vec<(Cow<'a, str>, J<'a>)>),
}

impl<'de> Deserialize<'de> for J<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(JVisitor)
    }
}

struct JVisitor;

impl<'de> Visitor<'de> for JVisitor {
    type Value = J<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value without floats")
    }
    fn visit_unit<E: de::Error>(self) -> Result<J<'de>, E> {
        Ok(J::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<J<'de>, E> {
        Ok(J::Null)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<J<'de>, E> {
        Ok(J::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<J<'de>, E> {
        Ok(J::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<J<'de>, E> {
        i64::try_from(v).map(J::Int).map_err(|_| E::custom("integer out of range"))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<J<'de>, E> {
        // pydantic's float parsing is the reference: such chunks go to it
        Err(E::custom("float"))
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<J<'de>, E> {
        Ok(J::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<J<'de>, E> {
        Ok(J::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<J<'de>, E> {
        Ok(J::Str(Cow::Owned(v)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<J<'de>, A::Error> {
        let mut v = Vec::with_capacity(a.size_hint().unwrap_or(1));
        while let Some(x) = a.next_element()? {
            v.push(x);
        }
        Ok(J::Arr(v))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<J<'de>, A::Error> {
        let mut v = Vec::with_capacity(8);
        while let Some(k) = a.next_key::<J<'de>>()? {
            let J::Str(k) = k else { return Err(de::Error::custom("key")) };
            v.push((k, a.next_value()?));
        }
        Ok(J::Obj(v))
    }
}

/// What a field accepts on the direct path (any other JSON value sends the chunk to pydantic).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Str,
    OptStr,
    Int,
    /// Only null: the field's type is a model or a container, left to pydantic.
    Null,
    Choices,
    Delta,
}

/// The fields the direct path knows, per class.
const CHUNK_FIELDS: &[(&str, Kind)] = &[
    ("id", Kind::Str),
    ("created", Kind::Int),
    ("model", Kind::OptStr),
    ("object", Kind::Str),
    ("system_fingerprint", Kind::OptStr),
    ("choices", Kind::Choices),
    ("provider_specific_fields", Kind::Null),
];
const CHOICE_FIELDS: &[(&str, Kind)] =
    &[("finish_reason", Kind::OptStr), ("index", Kind::Int), ("delta", Kind::Delta), ("logprobs", Kind::Null)];
const DELTA_FIELDS: &[(&str, Kind)] = &[
    ("content", Kind::OptStr),
    ("role", Kind::OptStr),
    ("function_call", Kind::Null),
    ("tool_calls", Kind::Null),
    ("audio", Kind::Null),
    ("reasoning_content", Kind::OptStr),
    ("thinking_blocks", Kind::Null),
    ("reasoning_items", Kind::Null),
    ("provider_specific_fields", Kind::Null),
    ("images", Kind::Null),
    ("annotations", Kind::Null),
];

/// At most this many fields per class, and keys per JSON object, on the direct path.
const MAX_FIELDS: usize = 16;
const MAX_KEYS: usize = 64;

/// Extras of the chunk that its `model_post_init` converts (`usage` becomes a `Usage`): such
/// chunks go to pydantic.
const CONVERTED_EXTRAS: &[&str] = &["usage"];

struct Field {
    key: Box<str>,
    name: Py<PyString>,
    kind: Kind,
    /// None: required on the direct path (pydantic would call a default factory).
    default: Option<Py<PyAny>>,
}

struct Class {
    cls: Py<PyType>,
    new: ffi::newfunc,
    fields: Vec<Field>,
    /// Every field with its default (None for the required ones) in declaration order: an
    /// instance's `__dict__` starts as a copy (one allocation, no resizing).
    template: Py<PyDict>,
    /// `__pydantic_fields_set__` templates by the bit mask of the fields present.
    sets: Mutex<Vec<(u32, Py<PyFrozenSet>)>>,
}

impl Class {
    /// A new `__pydantic_fields_set__` holding the fields of `mask`.
    fn fields_set<'py>(&self, py: Python<'py>, mask: u32) -> PyResult<Bound<'py, PySet>> {
        let cached =
            self.sets.lock().ok().and_then(|s| s.iter().find(|(m, _)| *m == mask).map(|(_, t)| t.clone_ref(py)));
        let template = match cached {
            Some(t) => t.into_bound(py),
            None => {
                let names = self.fields.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, f)| &f.name);
                let t = PyFrozenSet::new(py, names)?;
                if let Ok(mut sets) = self.sets.lock()
                    && sets.len() < 32
                {
                    sets.push((mask, t.clone().unbind()));
                }
                t
            }
        };
        // SAFETY: PySet_New copies the entries of a live frozenset (presized, no rehashing of
        // the strings); it returns a new reference or NULL with an exception set.
        unsafe { Ok(Bound::from_owned_ptr_or_err(py, ffi::PySet_New(template.as_ptr()))?.cast_into_unchecked()) }
    }
}

/// The three classes and what is needed to make their instances.
pub struct Builder {
    chunk: Class,
    choice: Class,
    delta: Class,
    empty: Py<PyTuple>,
    dict: Py<PyString>,
    extra: Py<PyString>,
    fields_set: Py<PyString>,
    private: Py<PyString>,
    hidden_params: Py<PyString>,
    response_headers: Py<PyString>,
}

/// A class's spec from Python: the class, and per field its name, whether it is required and its
/// default.
type ClassSpec<'py> = (Bound<'py, PyType>, Vec<(String, bool, Bound<'py, PyAny>)>);

fn class(py: Python<'_>, spec: &Bound<'_, PyAny>, known: &[(&str, Kind)]) -> PyResult<Option<Class>> {
    let (cls, fields): ClassSpec<'_> = spec.extract()?;
    // SAFETY: `cls` is a live type object; PyType_GetSlot only reads its slot table.
    let slot = unsafe { ffi::PyType_GetSlot(cls.as_type_ptr(), ffi::Py_tp_new) };
    if slot.is_null() {
        return Ok(None);
    }
    // SAFETY: the Py_tp_new slot of a type holds a `newfunc`.
    let new: ffi::newfunc = unsafe { std::mem::transmute::<*mut std::ffi::c_void, ffi::newfunc>(slot) };
    if fields.len() > MAX_FIELDS {
        return Ok(None);
    }
    let mut out = Vec::with_capacity(fields.len());
    let template = PyDict::new(py);
    for (key, required, default) in fields {
        let Some(&(_, kind)) = known.iter().find(|(k, _)| *k == key) else { return Ok(None) };
        let default = if required {
            None
        } else if default.is_none()
            || default.is_exact_instance_of::<PyString>()
            || default.is_exact_instance_of::<pyo3::types::PyInt>()
            || default.is_exact_instance_of::<PyBool>()
        {
            Some(default.unbind())
        } else {
            return Ok(None); // a mutable default pydantic would copy
        };
        let name = PyString::intern(py, &key);
        template.set_item(&name, default.as_ref().map_or_else(|| py.None().into_bound(py), |d| d.bind(py).clone()))?;
        out.push(Field { name: name.unbind(), key: key.into(), kind, default });
    }
    let sets = Mutex::new(Vec::new());
    Ok(Some(Class { cls: cls.unbind(), new, fields: out, template: template.unbind(), sets }))
}

static BUILDER: Mutex<Option<Arc<Builder>>> = Mutex::new(None);

impl Builder {
    /// The builder for `spec` (`((cls, ((field, required, default), ...)), ...)` for the chunk,
    /// choice and delta classes); None when a class has a field the direct path does not know.
    pub fn for_spec(py: Python<'_>, spec: &Bound<'_, PyAny>) -> PyResult<Option<Arc<Builder>>> {
        let (c, ch, d): (Bound<'_, PyAny>, Bound<'_, PyAny>, Bound<'_, PyAny>) = spec.extract()?;
        let types = (c.get_item(0)?, ch.get_item(0)?, d.get_item(0)?);
        if let Ok(cached) = BUILDER.lock()
            && let Some(b) = cached.as_ref()
            && b.chunk.cls.is(&types.0)
            && b.choice.cls.is(&types.1)
            && b.delta.cls.is(&types.2)
        {
            return Ok(Some(b.clone()));
        }
        let (Some(chunk), Some(choice), Some(delta)) =
            (class(py, &c, CHUNK_FIELDS)?, class(py, &ch, CHOICE_FIELDS)?, class(py, &d, DELTA_FIELDS)?)
        else {
            return Ok(None);
        };
        let name = |s: &str| PyString::intern(py, s).unbind();
        let b = Arc::new(Builder {
            chunk,
            choice,
            delta,
            empty: PyTuple::empty(py).unbind(),
            dict: name("__dict__"),
            extra: name("__pydantic_extra__"),
            fields_set: name("__pydantic_fields_set__"),
            private: name("__pydantic_private__"),
            hidden_params: name("_hidden_params"),
            response_headers: name("_response_headers"),
        });
        if let Ok(mut cached) = BUILDER.lock() {
            *cached = Some(b.clone());
        }
        Ok(Some(b))
    }
}

/// Sets an attribute the way `object.__setattr__` does (pydantic's `__setattr__` is bypassed, as
/// its validation does).
fn force_set(obj: &Bound<'_, PyAny>, name: &Py<PyString>, value: &Bound<'_, PyAny>) -> PyResult<()> {
    // SAFETY: all three pointers are live objects held by the caller.
    let r = unsafe { ffi::PyObject_GenericSetAttr(obj.as_ptr(), name.as_ptr(), value.as_ptr()) };
    if r < 0 { Err(PyErr::fetch(obj.py())) } else { Ok(()) }
}

/// The string objects of one stream: the id, model, object and fingerprint repeat in every
/// chunk, so they are made once (as pydantic's string cache does).
#[derive(Default)]
pub struct Strings(Mutex<Vec<(Box<str>, Py<PyString>)>>);

impl Strings {
    fn get<'py>(&self, py: Python<'py>, s: &str) -> Bound<'py, PyString> {
        let Ok(mut seen) = self.0.lock() else { return PyString::new(py, s) };
        if let Some((_, v)) = seen.iter().find(|(k, _)| &**k == s) {
            return v.bind(py).clone();
        }
        let v = PyString::new(py, s);
        if seen.len() < 8 && s.len() <= 64 {
            seen.push((s.into(), v.clone().unbind()));
        }
        v
    }
}

/// A stream's chunk maker: the builder and the stream's repeated strings.
pub struct Maker {
    builder: Arc<Builder>,
    strings: Strings,
}

impl Maker {
    pub fn new(builder: Arc<Builder>) -> Self {
        Self { builder, strings: Strings::default() }
    }

    /// The chunks of a batch: objects where the direct path applies, the JSON bytes elsewhere.
    pub fn list<'py>(&self, py: Python<'py>, items: &[bytes::Bytes]) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        for b in items {
            match self.chunk(py, b)? {
                Some(obj) => list.append(obj)?,
                None => list.append(PyBytes::new(py, b))?,
            }
        }
        Ok(list)
    }

    fn chunk<'py>(&self, py: Python<'py>, raw: &[u8]) -> PyResult<Option<Bound<'py, PyAny>>> {
        // one UTF-8 check for the whole chunk instead of one per string
        let Ok(text) = std::str::from_utf8(raw) else { return Ok(None) };
        let Ok(J::Obj(top)) = serde_json::from_str::<J<'_>>(text) else { return Ok(None) };
        if top.iter().any(|(k, _)| CONVERTED_EXTRAS.contains(&&**k)) {
            return Ok(None);
        }
        let b = &self.builder;
        let Some(obj) = self.object(py, &b.chunk, &top, true)? else { return Ok(None) };
        // what `_response_post_init` sets for the exact class
        let private = PyDict::new(py);
        private.set_item(&b.hidden_params, PyDict::new(py))?;
        private.set_item(&b.response_headers, py.None())?;
        force_set(&obj, &b.private, private.as_any())?;
        Ok(Some(obj))
    }

    /// One model instance from a JSON object; None when the direct path does not apply.
    fn object<'py>(
        &self,
        py: Python<'py>,
        class: &Class,
        pairs: &[(Cow<'_, str>, J<'_>)],
        top: bool,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        if pairs.len() > MAX_KEYS {
            return Ok(None);
        }
        let mut found: [Option<&J<'_>>; MAX_FIELDS] = [None; MAX_FIELDS];
        let mut mask = 0u32;
        let mut extras = 0u64;
        for (i, (key, value)) in pairs.iter().enumerate() {
            match class.fields.iter().position(|f| *f.key == **key) {
                Some(f) if found[f].is_some() => return Ok(None),
                Some(f) => {
                    found[f] = Some(value);
                    mask |= 1 << f;
                }
                None if key.starts_with('_') || pairs[..i].iter().any(|(k, _)| k == key) => return Ok(None),
                None => extras |= 1 << i,
            }
        }
        if class.fields.iter().zip(&found).any(|(f, v)| f.default.is_none() && v.is_none()) {
            return Ok(None);
        }
        let b = &self.builder;
        let dict = class.template.bind(py).copy()?;
        for (f, value) in class.fields.iter().zip(found) {
            if let Some(v) = value {
                let Some(v) = self.field(py, f.kind, v, top)? else { return Ok(None) };
                dict.set_item(f.name.bind(py), v)?;
            }
        }
        let set = class.fields_set(py, mask)?;
        let extra = PyDict::new(py);
        if extras != 0 {
            for (i, (key, value)) in pairs.iter().enumerate() {
                if extras & (1 << i) != 0 {
                    let Some(v) = self.any(py, value, top)? else { return Ok(None) };
                    let k = PyString::intern(py, key);
                    extra.set_item(&k, v)?;
                    set.add(k)?;
                }
            }
        }
        // SAFETY: `class.new` is the class's tp_new, called with the class, an empty tuple and no
        // keywords, as pydantic's validation calls it; it returns a new reference or NULL.
        let obj = unsafe {
            Bound::from_owned_ptr_or_err(
                py,
                (class.new)(class.cls.as_ptr().cast::<ffi::PyTypeObject>(), b.empty.as_ptr(), std::ptr::null_mut()),
            )?
        };
        force_set(&obj, &b.dict, dict.as_any())?;
        force_set(&obj, &b.extra, extra.as_any())?;
        force_set(&obj, &b.fields_set, set.as_any())?;
        if !top {
            force_set(&obj, &b.private, &py.None().into_bound(py))?;
        }
        Ok(Some(obj))
    }

    fn field<'py>(&self, py: Python<'py>, kind: Kind, v: &J<'_>, top: bool) -> PyResult<Option<Bound<'py, PyAny>>> {
        Ok(Some(match (kind, v) {
            (Kind::Str | Kind::OptStr, J::Str(s)) => {
                if top {
                    self.strings.get(py, s).into_any()
                } else {
                    PyString::new(py, s).into_any()
                }
            }
            (Kind::OptStr | Kind::Null, J::Null) => py.None().into_bound(py),
            (Kind::Int, J::Int(i)) => i.into_pyobject(py)?.into_any(),
            (Kind::Choices, J::Arr(items)) => {
                let list = PyList::empty(py);
                for item in items {
                    let J::Obj(pairs) = item else { return Ok(None) };
                    let Some(choice) = self.object(py, &self.builder.choice, pairs, false)? else { return Ok(None) };
                    list.append(choice)?;
                }
                list.into_any()
            }
            (Kind::Delta, J::Obj(pairs)) => match self.object(py, &self.builder.delta, pairs, false)? {
                Some(d) => d,
                None => return Ok(None),
            },
            _ => return Ok(None),
        }))
    }

    /// An extra value (pydantic keeps it as the plain Python value of the JSON).
    fn any<'py>(&self, py: Python<'py>, v: &J<'_>, top: bool) -> PyResult<Option<Bound<'py, PyAny>>> {
        Ok(Some(match v {
            J::Null => py.None().into_bound(py),
            J::Bool(x) => PyBool::new(py, *x).to_owned().into_any(),
            J::Int(i) => i.into_pyobject(py)?.into_any(),
            J::Str(s) if top => self.strings.get(py, s).into_any(),
            J::Str(s) => PyString::new(py, s).into_any(),
            J::Arr(items) => {
                let list = PyList::empty(py);
                for x in items {
                    let Some(x) = self.any(py, x, false)? else { return Ok(None) };
                    list.append(x)?;
                }
                list.into_any()
            }
            J::Obj(pairs) => {
                let d = PyDict::new(py);
                for (i, (k, x)) in pairs.iter().enumerate() {
                    if pairs[..i].iter().any(|(seen, _)| seen == k) {
                        return Ok(None);
                    }
                    let Some(x) = self.any(py, x, false)? else { return Ok(None) };
                    d.set_item(k.as_ref(), x)?;
                }
                d.into_any()
            }
        }))
    }
}
