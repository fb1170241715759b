//! Chat chunk objects built directly from the engine's chunk JSON.
//!
//! `ModelResponseStream.model_validate_json` costs about 4 µs a chunk, most of it pydantic's
//! generic machinery for three nested models. The chunks of a chat stream nearly always have one
//! small shape (id, created, model, object, system fingerprint, choices of {index, delta with
//! role and/or content, finish_reason}, a few scalar extras), so for that shape the objects are
//! made here the way pydantic's validation makes them: the instance from the class's `tp_new`
//! (or straight from its `tp_alloc` where `tp_new` is `object.__new__`; no `__init__`), then
//! `__dict__` (every field in declaration order, defaults for the absent ones; the scalar values
//! repeated from the stream's previous chunk reused), `__pydantic_extra__`,
//! `__pydantic_fields_set__` and `__pydantic_private__` set with the generic setattr. Anything
//! else (tool calls, usage, logprobs, floats, a missing required field, a duplicated key, JSON
//! that serde_json rejects, ...) is left as bytes for pydantic.
//!
//! The JSON is not read again here: the chunk's [`Layout`] (from `types::peek_plain_chunk`, the
//! same look the stream's reader takes to decide whether a chunk goes on as it came) says where
//! each member is, and only values of other shapes (nested extras, strings with escapes) are read.
//! A chunk with `usage` is left to pydantic too (its `model_post_init` converts it).
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

use crate::types::{LAYOUT_MEMBERS, Layout, Member, Part, peek_plain_chunk};

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

/// At most this many fields per class on the direct path.
const MAX_FIELDS: usize = 16;

struct Field {
    key: Box<str>,
    name: Py<PyString>,
    kind: Kind,
    /// None: required on the direct path (pydantic would call a default factory).
    default: Option<Py<PyAny>>,
}

struct Class {
    /// 0, 1, 2: the chunk, choice and delta class (its memo in a stream's `Maker`).
    idx: usize,
    cls: Py<PyType>,
    new: ffi::newfunc,
    /// The class's `tp_alloc`, used instead of `new` when `new` is `object.__new__` (checked in
    /// [`plain_alloc`]): `object.__new__` also gives the instance an empty attribute table that
    /// setting `__dict__` turns into a dict and throws away.
    alloc: Option<ffi::allocfunc>,
    fields: Vec<Field>,
    /// Every field with its default (None for the required ones) in declaration order: an
    /// instance's `__dict__` starts as a copy (one allocation, no resizing).
    template: Py<PyDict>,
    /// `__pydantic_fields_set__` templates by the bit mask of the fields present.
    sets: Mutex<Vec<(u32, Py<PyFrozenSet>)>>,
    /// Where its instances keep pydantic's slots, when found.
    slots: Option<Slots>,
}

/// Where an instance keeps `__pydantic_extra__`, `__pydantic_fields_set__` and
/// `__pydantic_private__` (BaseModel's `__slots__`), as byte offsets into the object. Storing
/// there is what `object.__setattr__` does through the slot's member descriptor, without looking
/// the descriptor up through the class's MRO for every instance.
#[derive(Clone, Copy)]
struct Slots([usize; 3]);

/// The slots' offsets for `cls`, found by experiment: each attribute set the generic way on a
/// probe instance, then looked for among the instance's words; checked by storing directly into a
/// second probe and reading back through the descriptors. None (and the generic way is kept) when
/// anything is not as expected.
fn find_slots(py: Python<'_>, cls: &Bound<'_, PyType>, new: ffi::newfunc, names: [&Py<PyString>; 3]) -> Option<Slots> {
    let basicsize: usize = cls.getattr("__basicsize__").ok()?.extract().ok()?;
    let words = basicsize / std::mem::size_of::<usize>();
    let empty = PyTuple::empty(py);
    let make = || {
        // SAFETY: the class's own tp_new with an empty tuple and no keywords (as in `object`);
        // a new reference or NULL.
        unsafe { Bound::from_owned_ptr_or_err(py, new(cls.as_type_ptr(), empty.as_ptr(), std::ptr::null_mut())).ok() }
    };
    let probe = make()?;
    let mut offsets = [0usize; 3];
    for (at, name) in offsets.iter_mut().zip(names) {
        let descriptor = cls.getattr(name.bind(py)).ok()?;
        if descriptor.get_type().name().ok()?.extract::<String>().ok()? != "member_descriptor" {
            return None;
        }
        let marker = PyList::empty(py);
        force_set(&probe, name, marker.as_any()).ok()?;
        let base = probe.as_ptr().cast::<usize>();
        // SAFETY: the instance is at least `__basicsize__` bytes; words past the header are read.
        let hits: Vec<usize> = (2..words).filter(|&w| unsafe { *base.add(w) } == marker.as_ptr() as usize).collect();
        let [word] = hits[..] else { return None };
        *at = word * std::mem::size_of::<usize>();
    }
    let check = make()?;
    for (&at, name) in offsets.iter().zip(names) {
        let marker = PyList::empty(py);
        // SAFETY: `at` is where the probe of the same class kept this slot, inside the object.
        unsafe { store(&check, at, marker.clone().into_any()) };
        if !check.getattr(name.bind(py)).ok()?.is(&marker) {
            return None;
        }
    }
    Some(Slots(offsets))
}

/// The class's `tp_alloc` when its `tp_new` is `object.__new__` and its `tp_alloc` the generic
/// one (both as a plain class gets them), so that allocating is all `tp_new` does besides the
/// attribute table: checked on a probe instance whose `__dict__` is set and read back. None
/// otherwise (instances are made with `tp_new`).
fn plain_alloc(py: Python<'_>, cls: &Bound<'_, PyType>, new: ffi::newfunc) -> Option<ffi::allocfunc> {
    let plain = py
        .get_type::<PyType>()
        .call1(("_LitellmRsPlain", PyTuple::empty(py), PyDict::new(py)))
        .ok()?
        .cast_into::<PyType>()
        .ok()?;
    let slot = |t: &Bound<'_, PyType>, which| {
        // SAFETY: a live heap type; PyType_GetSlot only reads its slot table.
        unsafe { ffi::PyType_GetSlot(t.as_type_ptr(), which) }
    };
    let alloc = slot(cls, ffi::Py_tp_alloc);
    if alloc.is_null()
        || alloc != slot(&plain, ffi::Py_tp_alloc)
        || new as *mut std::ffi::c_void != slot(&plain, ffi::Py_tp_new)
    {
        return None;
    }
    // SAFETY: the Py_tp_alloc slot of a type holds an `allocfunc`.
    let alloc: ffi::allocfunc = unsafe { std::mem::transmute::<*mut std::ffi::c_void, ffi::allocfunc>(alloc) };
    // SAFETY: the class's own tp_alloc, with no items; a new reference or NULL.
    let probe = unsafe { Bound::from_owned_ptr_or_err(py, alloc(cls.as_type_ptr(), 0)).ok()? };
    let dict = PyDict::new(py);
    dict.set_item("probe", 1).ok()?;
    probe.setattr("__dict__", &dict).ok()?;
    let back = probe.getattr("__dict__").ok()?;
    (back.is(&dict) && probe.getattr("probe").ok()?.extract::<i64>().ok()? == 1).then_some(alloc)
}

/// Stores `value` in an instance's slot at byte offset `at` (releasing what was there).
///
/// SAFETY: `at` must come from `find_slots` for the object's exact class.
unsafe fn store(obj: &Bound<'_, PyAny>, at: usize, value: Bound<'_, PyAny>) {
    // SAFETY: per the contract, `at` is an object-pointer slot inside this object.
    unsafe {
        let slot = obj.as_ptr().cast::<u8>().add(at).cast::<*mut ffi::PyObject>();
        let old = std::mem::replace(&mut *slot, value.into_ptr());
        if !old.is_null() {
            ffi::Py_DecRef(old);
        }
    }
}

impl Class {
    /// Sets pydantic's slot `which` (0: extra, 1: fields set, 2: private) of a new instance.
    fn set_slot(
        &self,
        obj: &Bound<'_, PyAny>,
        which: usize,
        name: &Py<PyString>,
        value: Bound<'_, PyAny>,
    ) -> PyResult<()> {
        match self.slots {
            // SAFETY: offsets found for this exact class; `obj` is an instance of it.
            Some(Slots(at)) => {
                unsafe { store(obj, at[which], value) };
                Ok(())
            }
            None => force_set(obj, name, &value),
        }
    }
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

fn class(
    py: Python<'_>,
    idx: usize,
    spec: &Bound<'_, PyAny>,
    known: &[(&str, Kind)],
    slot_names: [&Py<PyString>; 3],
) -> PyResult<Option<Class>> {
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
    let slots = find_slots(py, &cls, new, slot_names);
    let alloc = plain_alloc(py, &cls, new);
    Ok(Some(Class { idx, cls: cls.unbind(), new, alloc, fields: out, template: template.unbind(), sets, slots }))
}

static BUILDER: Mutex<Option<Arc<Builder>>> = Mutex::new(None);

impl Builder {
    /// Whether pydantic's slots were found in all three classes (stored directly).
    pub fn slots_found(&self) -> bool {
        [&self.chunk, &self.choice, &self.delta].iter().all(|c| c.slots.is_some())
    }

    /// Whether the instances of all three classes are allocated directly.
    pub fn plain_alloc(&self) -> bool {
        [&self.chunk, &self.choice, &self.delta].iter().all(|c| c.alloc.is_some())
    }

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
        let name = |s: &str| PyString::intern(py, s).unbind();
        let (extra, fields_set, private) =
            (name("__pydantic_extra__"), name("__pydantic_fields_set__"), name("__pydantic_private__"));
        let slot_names = [&extra, &fields_set, &private];
        let (Some(chunk), Some(choice), Some(delta)) = (
            class(py, 0, &c, CHUNK_FIELDS, slot_names)?,
            class(py, 1, &ch, CHOICE_FIELDS, slot_names)?,
            class(py, 2, &d, DELTA_FIELDS, slot_names)?,
        ) else {
            return Ok(None);
        };
        let b = Arc::new(Builder {
            chunk,
            choice,
            delta,
            empty: PyTuple::empty(py).unbind(),
            dict: name("__dict__"),
            extra,
            fields_set,
            private,
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

/// The string objects of one stream: the id, model, object, fingerprint and the extras' keys
/// repeat in every chunk, so they are made once (as pydantic's string cache does).
#[derive(Default)]
pub struct Strings(Mutex<Vec<(Box<str>, Py<PyString>)>>);

impl Strings {
    fn get<'py>(&self, py: Python<'py>, s: &str) -> Bound<'py, PyString> {
        let Ok(mut seen) = self.0.lock() else { return PyString::new(py, s) };
        if let Some((_, v)) = seen.iter().find(|(k, _)| &**k == s) {
            return v.bind(py).clone();
        }
        let v = PyString::new(py, s);
        if seen.len() < 16 && s.len() <= 64 {
            seen.push((s.into(), v.clone().unbind()));
        }
        v
    }
}

/// A chunk's JSON and where its parts are.
struct Chunk<'a> {
    json: &'a str,
    layout: &'a Layout,
}

impl<'a> Chunk<'a> {
    fn text(&self, (a, b): (u32, u32)) -> &'a str {
        self.json.get(a as usize..b as usize).unwrap_or("")
    }
}

/// Finish reasons as the engine hands them on.
fn canonical_finish(r: &str) -> bool {
    crate::providers::openai_compat::map_finish_reason(r) == r
}

/// A scalar field's value as last seen by a class's [`Memo`].
#[derive(Default)]
enum Seen {
    #[default]
    Unknown,
    Absent,
    Null,
    Bool(bool),
    Int(i64),
    /// A string's or other value's text, with the tag of its kind (`Part::Str`, `Escaped`, `Raw`).
    Text(u8, Vec<u8>),
}

fn text_part(part: Part) -> Option<(u8, (u32, u32))> {
    match part {
        Part::Str(a, b) => Some((0, (a, b))),
        Part::Escaped(a, b) => Some((1, (a, b))),
        Part::Raw(a, b) => Some((2, (a, b))),
        _ => None,
    }
}

impl Seen {
    fn same(&self, part: Option<Part>, c: &Chunk<'_>) -> bool {
        match (self, part) {
            (Seen::Absent, None) | (Seen::Null, Some(Part::Null)) => true,
            (Seen::Bool(x), Some(Part::Bool(y))) => *x == y,
            (Seen::Int(x), Some(Part::Int(y))) => *x == y,
            (Seen::Text(tag, text), Some(p)) => {
                text_part(p).is_some_and(|(t, range)| t == *tag && c.text(range).as_bytes() == text.as_slice())
            }
            _ => false,
        }
    }

    fn record(&mut self, part: Option<Part>, c: &Chunk<'_>) {
        *self = match part {
            None => Seen::Absent,
            Some(Part::Null) => Seen::Null,
            Some(Part::Bool(x)) => Seen::Bool(x),
            Some(Part::Int(i)) => Seen::Int(i),
            Some(p) => match text_part(p) {
                Some((tag, range)) => {
                    // the buffer of the previous text is reused
                    let mut text = match std::mem::take(self) {
                        Seen::Text(_, t) => t,
                        _ => Vec::new(),
                    };
                    text.clear();
                    text.extend_from_slice(c.text(range).as_bytes());
                    Seen::Text(tag, text)
                }
                None => Seen::Unknown,
            },
        };
    }
}

/// A class's scalar fields as last seen in the stream: consecutive chunks repeat the id, model,
/// created, object, fingerprint, the choice's index, ..., so an instance's `__dict__` starts as
/// a copy of `dict` (those values already set) and only the fields that changed are made.
/// Containers (choices, delta) are never kept here: they are set on the copy.
#[derive(Default)]
struct Memo {
    dict: Option<Py<PyDict>>,
    seen: [Seen; MAX_FIELDS],
}

/// A stream's chunk maker: the builder, the stream's repeated strings and per class the memo of
/// the last scalar values.
pub struct Maker {
    builder: Arc<Builder>,
    strings: Strings,
    memos: [Mutex<Memo>; 3],
}

impl Maker {
    pub fn new(builder: Arc<Builder>) -> Self {
        Self { builder, strings: Strings::default(), memos: Default::default() }
    }

    /// A new `__dict__` for an instance of `class`: every scalar field at its value in this
    /// chunk (or its default when absent); containers at their defaults. None when a value does
    /// not fit the direct path.
    fn scalars<'py>(
        &self,
        py: Python<'py>,
        class: &Class,
        c: &Chunk<'_>,
        found: &[Option<Part>; MAX_FIELDS],
        top: bool,
    ) -> PyResult<Option<Bound<'py, PyDict>>> {
        let Ok(mut memo) = self.memos[class.idx].lock() else { return Ok(None) };
        let memo = &mut *memo;
        let dict = match &memo.dict {
            Some(d) => d.bind(py).clone(),
            None => {
                let d = class.template.bind(py).copy()?;
                memo.dict = Some(d.clone().unbind());
                d
            }
        };
        for (i, (f, &part)) in class.fields.iter().zip(found).enumerate() {
            if matches!(f.kind, Kind::Choices | Kind::Delta) || memo.seen[i].same(part, c) {
                continue;
            }
            let value = match (part, &f.default) {
                (Some(p), _) => match self.field(py, f.kind, c, p, top)? {
                    Some(v) => v,
                    None => return Ok(None),
                },
                (None, Some(d)) => d.bind(py).clone(),
                (None, None) => return Ok(None),
            };
            dict.set_item(f.name.bind(py), value)?;
            memo.seen[i].record(part, c);
        }
        Ok(Some(dict.copy()?))
    }

    /// The chunks of a batch: objects where the direct path applies, the JSON bytes elsewhere.
    /// `layouts` is empty or one per chunk (an empty layout: none).
    pub fn list<'py>(
        &self,
        py: Python<'py>,
        items: &[bytes::Bytes],
        layouts: &[Layout],
    ) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        self.each(py, items, layouts, |obj| list.append(obj))?;
        Ok(list)
    }

    /// The same, each handed to `put` in order.
    pub fn each<'py>(
        &self,
        py: Python<'py>,
        items: &[bytes::Bytes],
        layouts: &[Layout],
        mut put: impl FnMut(Bound<'py, PyAny>) -> PyResult<()>,
    ) -> PyResult<()> {
        for (i, b) in items.iter().enumerate() {
            let layout = layouts.get(i).filter(|l| l.root() != crate::types::NONE);
            match self.chunk(py, b, layout)? {
                Some(obj) => put(obj)?,
                None => put(PyBytes::new(py, b).into_any())?,
            }
        }
        Ok(())
    }

    /// A chunk's objects, from its layout (read here when not given); None when the direct path
    /// does not apply.
    fn chunk<'py>(&self, py: Python<'py>, raw: &[u8], layout: Option<&Layout>) -> PyResult<Option<Bound<'py, PyAny>>> {
        // one UTF-8 check for the whole chunk instead of one per string
        let Ok(json) = std::str::from_utf8(raw) else { return Ok(None) };
        let read;
        let layout = match layout {
            Some(l) => l,
            None => match peek_plain_chunk(json, canonical_finish).and_then(|p| p.layout) {
                Some(l) => {
                    read = l;
                    &read
                }
                None => return Ok(None),
            },
        };
        let b = &self.builder;
        let c = Chunk { json, layout };
        let Some(obj) = self.object(py, &b.chunk, &c, layout.root(), true)? else { return Ok(None) };
        // what `_response_post_init` sets for the exact class
        let private = PyDict::new(py);
        private.set_item(&b.hidden_params, PyDict::new(py))?;
        private.set_item(&b.response_headers, py.None())?;
        b.chunk.set_slot(&obj, 2, &b.private, private.into_any())?;
        Ok(Some(obj))
    }

    /// One model instance from the object whose first member is `first`; None when the direct
    /// path does not apply.
    fn object<'py>(
        &self,
        py: Python<'py>,
        class: &Class,
        c: &Chunk<'_>,
        first: u8,
        top: bool,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let mut found: [Option<Part>; MAX_FIELDS] = [None; MAX_FIELDS];
        let mut extras: [Option<&Member>; LAYOUT_MEMBERS] = [None; LAYOUT_MEMBERS];
        let (mut mask, mut n_extras) = (0u32, 0);
        for m in c.layout.chain(first) {
            let key = c.text(m.key());
            match class.fields.iter().position(|f| *f.key == *key) {
                Some(f) if found[f].is_some() => return Ok(None),
                Some(f) => {
                    found[f] = Some(m.part());
                    mask |= 1 << f;
                }
                None if key.starts_with('_') || extras[..n_extras].iter().flatten().any(|e| c.text(e.key()) == key) => {
                    return Ok(None);
                }
                None => {
                    extras[n_extras] = Some(m);
                    n_extras += 1;
                }
            }
        }
        if class.fields.iter().zip(&found).any(|(f, v)| f.default.is_none() && v.is_none()) {
            return Ok(None);
        }
        let b = &self.builder;
        let Some(dict) = self.scalars(py, class, c, &found, top)? else { return Ok(None) };
        for (f, part) in class.fields.iter().zip(found) {
            if let (Kind::Choices | Kind::Delta, Some(part)) = (f.kind, part) {
                let Some(v) = self.field(py, f.kind, c, part, top)? else { return Ok(None) };
                dict.set_item(f.name.bind(py), v)?;
            }
        }
        let set = class.fields_set(py, mask)?;
        let extra = PyDict::new(py);
        for m in extras[..n_extras].iter().flatten() {
            let Some(v) = self.any(py, c, m.part(), top)? else { return Ok(None) };
            let k = self.strings.get(py, c.text(m.key()));
            extra.set_item(&k, v)?;
            set.add(k)?;
        }
        let cls = class.cls.as_ptr().cast::<ffi::PyTypeObject>();
        // SAFETY: `class.alloc` is the class's tp_alloc (called with no items) and `class.new`
        // its tp_new (called with an empty tuple and no keywords, as pydantic's validation calls
        // it); each returns a new reference or NULL.
        let obj = unsafe {
            Bound::from_owned_ptr_or_err(
                py,
                match class.alloc {
                    Some(alloc) => alloc(cls, 0),
                    None => (class.new)(cls, b.empty.as_ptr(), std::ptr::null_mut()),
                },
            )?
        };
        force_set(&obj, &b.dict, dict.as_any())?;
        class.set_slot(&obj, 0, &b.extra, extra.into_any())?;
        class.set_slot(&obj, 1, &b.fields_set, set.into_any())?;
        if !top {
            class.set_slot(&obj, 2, &b.private, py.None().into_bound(py))?;
        }
        Ok(Some(obj))
    }

    fn field<'py>(
        &self,
        py: Python<'py>,
        kind: Kind,
        c: &Chunk<'_>,
        part: Part,
        top: bool,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        Ok(Some(match (kind, part) {
            (Kind::Str | Kind::OptStr, Part::Str(..) | Part::Escaped(..)) => match self.any(py, c, part, top)? {
                Some(s) => s,
                None => return Ok(None),
            },
            (Kind::OptStr | Kind::Null, Part::Null) => py.None().into_bound(py),
            (Kind::Int, Part::Int(i)) => i.into_pyobject(py)?.into_any(),
            (Kind::Choices, Part::Array(first)) => {
                let list = PyList::empty(py);
                for element in c.layout.chain(first) {
                    let Part::Object(o) = element.part() else { return Ok(None) };
                    let Some(choice) = self.object(py, &self.builder.choice, c, o, false)? else { return Ok(None) };
                    list.append(choice)?;
                }
                list.into_any()
            }
            (Kind::Delta, Part::Object(first)) => match self.object(py, &self.builder.delta, c, first, false)? {
                Some(d) => d,
                None => return Ok(None),
            },
            _ => return Ok(None),
        }))
    }

    /// An extra value (pydantic keeps it as the plain Python value of the JSON).
    fn any<'py>(&self, py: Python<'py>, c: &Chunk<'_>, part: Part, top: bool) -> PyResult<Option<Bound<'py, PyAny>>> {
        Ok(Some(match part {
            Part::Null => py.None().into_bound(py),
            Part::Bool(x) => PyBool::new(py, x).to_owned().into_any(),
            Part::Int(i) => i.into_pyobject(py)?.into_any(),
            Part::Str(a, b) if top => self.strings.get(py, c.text((a, b))).into_any(),
            Part::Str(a, b) => PyString::new(py, c.text((a, b))).into_any(),
            Part::Escaped(a, b) | Part::Raw(a, b) => match serde_json::from_str::<J<'_>>(c.text((a, b))) {
                Ok(v) => match self.json(py, &v, top)? {
                    Some(v) => v,
                    None => return Ok(None),
                },
                Err(_) => return Ok(None),
            },
            Part::Object(_) | Part::Array(_) => return Ok(None),
        }))
    }

    /// A JSON value read whole, as the plain Python value pydantic keeps.
    fn json<'py>(&self, py: Python<'py>, v: &J<'_>, top: bool) -> PyResult<Option<Bound<'py, PyAny>>> {
        Ok(Some(match v {
            J::Null => py.None().into_bound(py),
            J::Bool(x) => PyBool::new(py, *x).to_owned().into_any(),
            J::Int(i) => i.into_pyobject(py)?.into_any(),
            J::Str(s) if top => self.strings.get(py, s).into_any(),
            J::Str(s) => PyString::new(py, s).into_any(),
            J::Arr(items) => {
                let list = PyList::empty(py);
                for x in items {
                    let Some(x) = self.json(py, x, false)? else { return Ok(None) };
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
                    let Some(x) = self.json(py, x, false)? else { return Ok(None) };
                    d.set_item(k.as_ref(), x)?;
                }
                d.into_any()
            }
        }))
    }
}
