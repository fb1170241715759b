//! Chat chunk objects built directly from the engine's chunk JSON.
//!
//! `ModelResponseStream.model_validate_json` costs about 4 µs a chunk, most of it pydantic's
//! generic machinery for three nested models. The chunks of a chat stream nearly always have one
//! small shape (id, created, model, object, system fingerprint, choices of {index, delta with
//! role and/or content, finish_reason}, a few scalar extras), so for that shape the objects are
//! made here the way pydantic's validation makes them (`models.rs`; the scalar values repeated
//! from the stream's previous chunk are reused in each new `__dict__`). Anything else (tool calls, usage, logprobs, floats, a missing required field, a duplicated key, JSON
//! that serde_json rejects, ...) is left as bytes for pydantic.
//!
//! The JSON is not read again here: the chunk's [`Layout`] (from `types::peek_plain_chunk`, the
//! same look the stream's reader takes to decide whether a chunk goes on as it came) says where
//! each member is, and only values of other shapes (nested extras, strings with escapes) are read.
//! A chunk with `usage` is left to pydantic too (its `model_post_init` converts it).
//!
//! The Python side hands over the three classes with their fields (`Stream.build_chunks`); the
//! builder refuses (and everything goes through pydantic) when a field is not one it knows.

use std::sync::{Arc, Mutex};

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyList, PyString};

use crate::python::models::{Class, J, Names, plain};
use crate::types::{LAYOUT_MEMBERS, Layout, NONE, Part, peek_plain_chunk};

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

/// The three classes and what is needed to make their instances.
pub struct Builder {
    chunk: Class<Kind>,
    choice: Class<Kind>,
    delta: Class<Kind>,
    names: Names,
}

static BUILDER: Mutex<Option<Arc<Builder>>> = Mutex::new(None);

impl Builder {
    fn classes(&self) -> [&Class<Kind>; 3] {
        [&self.chunk, &self.choice, &self.delta]
    }

    /// Whether pydantic's slots were found in all three classes (stored directly).
    pub fn slots_found(&self) -> bool {
        self.classes().iter().all(|c| c.slots_found())
    }

    /// Whether the instances of all three classes are allocated directly.
    pub fn plain_alloc(&self) -> bool {
        self.classes().iter().all(|c| c.plain_alloc())
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
        let names = Names::new(py);
        let class = |idx, spec: &Bound<'_, PyAny>, known| -> PyResult<Option<Class<Kind>>> {
            if spec.get_item(1)?.len()? > MAX_FIELDS {
                return Ok(None);
            }
            Class::from_spec(py, idx, spec, known, &names)
        };
        let (Some(chunk), Some(choice), Some(delta)) =
            (class(0, &c, CHUNK_FIELDS)?, class(1, &ch, CHOICE_FIELDS)?, class(2, &d, DELTA_FIELDS)?)
        else {
            return Ok(None);
        };
        let b = Arc::new(Builder { chunk, choice, delta, names });
        if let Ok(mut cached) = BUILDER.lock() {
            *cached = Some(b.clone());
        }
        Ok(Some(b))
    }
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
        class: &Class<Kind>,
        c: &Chunk<'_>,
        found: &[u8; MAX_FIELDS],
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
        for (i, (f, &at)) in class.fields.iter().zip(found).enumerate() {
            let part = (at != NONE).then(|| c.layout.member(at).part());
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
            let layout = layouts.get(i).filter(|l| l.root() != NONE);
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
        self.object(py, &b.chunk, &c, layout.root(), true)
    }

    /// One model instance from the object whose first member is `first`; None when the direct
    /// path does not apply.
    fn object<'py>(
        &self,
        py: Python<'py>,
        class: &Class<Kind>,
        c: &Chunk<'_>,
        first: u8,
        top: bool,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        // the member holding each field, and the extras' members (NONE: none)
        let mut found = [NONE; MAX_FIELDS];
        let mut extras = [NONE; LAYOUT_MEMBERS];
        let (mut mask, mut n_extras) = (0u32, 0);
        let mut at = first;
        while at != NONE {
            if usize::from(at) >= LAYOUT_MEMBERS {
                return Ok(None); // not a layout's chain (layouts never make one)
            }
            let m = c.layout.member(at);
            let key = c.text(m.key());
            match class.position(key) {
                Some(f) if found[f] != NONE => return Ok(None),
                Some(f) => {
                    found[f] = at;
                    mask |= 1 << f;
                }
                None if key.starts_with('_')
                    || extras[..n_extras].iter().any(|&e| c.text(c.layout.member(e).key()) == key) =>
                {
                    return Ok(None);
                }
                None => {
                    extras[n_extras] = at;
                    n_extras += 1;
                }
            }
            at = m.next();
        }
        if class.fields.iter().zip(&found).any(|(f, &v)| f.default.is_none() && v == NONE) {
            return Ok(None);
        }
        let b = &self.builder;
        let Some(dict) = self.scalars(py, class, c, &found, top)? else { return Ok(None) };
        for (f, &at) in class.fields.iter().zip(&found) {
            if matches!(f.kind, Kind::Choices | Kind::Delta) && at != NONE {
                let Some(v) = self.field(py, f.kind, c, c.layout.member(at).part(), top)? else { return Ok(None) };
                dict.set_item(f.name.bind(py), v)?;
            }
        }
        let set = class.fields_set(py, mask)?;
        let extra = PyDict::new(py);
        for m in extras[..n_extras].iter().map(|&e| c.layout.member(e)) {
            let Some(v) = self.any(py, c, m.part(), top)? else { return Ok(None) };
            let k = self.strings.get(py, c.text(m.key()));
            extra.set_item(&k, v)?;
            set.add(k)?;
        }
        // what `_response_post_init` sets for the exact class; nested models have none
        let private = if top { b.names.response_private(py, None)?.into_any() } else { py.None().into_bound(py) };
        Ok(Some(class.instance(py, &b.names, dict, extra, set, private)?))
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

    /// A JSON value read whole, as the plain Python value pydantic keeps (a top-level string
    /// from the stream's repeated strings; floats are left to pydantic).
    fn json<'py>(&self, py: Python<'py>, v: &J<'_>, top: bool) -> PyResult<Option<Bound<'py, PyAny>>> {
        match v {
            J::Str(s) if top => Ok(Some(self.strings.get(py, s).into_any())),
            _ => plain(py, v, false),
        }
    }
}
