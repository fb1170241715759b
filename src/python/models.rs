//! Making instances of the package's pydantic models the way pydantic's validation makes them,
//! without its generic machinery: the instance from the class's `tp_new` (or straight from its
//! `tp_alloc` where `tp_new` is `object.__new__`; no `__init__`), then `__dict__` (every field in
//! declaration order, defaults for the absent ones), `__pydantic_extra__`,
//! `__pydantic_fields_set__` and `__pydantic_private__` set as `object.__setattr__` would.
//!
//! Used for stream chunks (`stream/chunks.rs`) and non-streamed chat responses (`response.rs`).
//! Each knows, per class, which fields it can fill and how ([`Class::from_spec`] refuses a class
//! with a field it does not know, and everything then goes through pydantic).

use std::borrow::Cow;
use std::fmt;
use std::sync::Mutex;

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFrozenSet, PyInt, PyList, PySet, PyString, PyTuple, PyType};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// A JSON value, strings borrowed from the input where they have no escapes.
pub enum J<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
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
        f.write_str("a JSON value")
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
        // pydantic makes a Python int of any size: such values are left to it
        i64::try_from(v).map(J::Int).map_err(|_| E::custom("integer out of range"))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<J<'de>, E> {
        // serde_json reads floats correctly rounded (`float_roundtrip`), as pydantic does; but it
        // reads an integer beyond 64 bits as a float too, where pydantic makes an int: any such
        // value (whether written as an integer or not) is left to pydantic
        if v.fract() == 0.0 && v.abs() >= 9_223_372_036_854_775_808.0 {
            return Err(E::custom("integer out of range"));
        }
        Ok(J::Float(v))
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

/// A JSON value as the plain Python value pydantic keeps for an untyped field or an extra
/// (`floats`: whether floats are taken; None when not, or for an object with a duplicated key,
/// where pydantic keeps the last).
pub fn plain<'py>(py: Python<'py>, v: &J<'_>, floats: bool) -> PyResult<Option<Bound<'py, PyAny>>> {
    Ok(Some(match v {
        J::Null => py.None().into_bound(py),
        J::Bool(x) => PyBool::new(py, *x).to_owned().into_any(),
        J::Int(i) => i.into_pyobject(py)?.into_any(),
        J::Float(f) if floats => f.into_pyobject(py)?.into_any(),
        J::Float(_) => return Ok(None),
        J::Str(s) => PyString::new(py, s).into_any(),
        J::Arr(items) => {
            let list = PyList::empty(py);
            for x in items {
                let Some(x) = plain(py, x, floats)? else { return Ok(None) };
                list.append(x)?;
            }
            list.into_any()
        }
        J::Obj(pairs) => {
            if has_duplicate(pairs) {
                return Ok(None);
            }
            let d = PyDict::new(py);
            for (k, x) in pairs {
                let Some(x) = plain(py, x, floats)? else { return Ok(None) };
                d.set_item(k.as_ref(), x)?;
            }
            d.into_any()
        }
    }))
}

/// Whether an object's members repeat a key (pydantic keeps the last; such objects are left to
/// it). Linear in the number of members for large objects.
pub fn has_duplicate(pairs: &[(Cow<'_, str>, J<'_>)]) -> bool {
    if pairs.len() <= 16 {
        return pairs.iter().enumerate().any(|(i, (k, _))| pairs[..i].iter().any(|(seen, _)| seen == k));
    }
    let mut seen = std::collections::HashSet::with_capacity(pairs.len());
    !pairs.iter().all(|(k, _)| seen.insert(k.as_ref()))
}

/// At most this many fields per class (`__pydantic_fields_set__` templates are keyed by a bit
/// mask of the fields present).
pub const MAX_FIELDS: usize = 32;

/// The names every instance is made with, interned once.
pub struct Names {
    pub empty: Py<PyTuple>,
    pub dict: Py<PyString>,
    pub extra: Py<PyString>,
    pub fields_set: Py<PyString>,
    pub private: Py<PyString>,
    pub hidden_params: Py<PyString>,
    /// `{"_hidden_params": None, "_response_headers": None}`: a response's private dict starts
    /// as a copy.
    private_template: Py<PyDict>,
}

impl Names {
    pub fn new(py: Python<'_>) -> Self {
        let name = |s: &str| PyString::intern(py, s).unbind();
        let (hidden_params, response_headers) = (name("_hidden_params"), name("_response_headers"));
        let template = PyDict::new(py);
        for k in [&hidden_params, &response_headers] {
            // cannot fail: a new dict and str keys
            let _ = template.set_item(k, py.None());
        }
        Self {
            empty: PyTuple::empty(py).unbind(),
            dict: name("__dict__"),
            extra: name("__pydantic_extra__"),
            fields_set: name("__pydantic_fields_set__"),
            private: name("__pydantic_private__"),
            hidden_params,
            private_template: template.unbind(),
        }
    }

    fn slots(&self) -> [&Py<PyString>; 3] {
        [&self.extra, &self.fields_set, &self.private]
    }

    /// `__pydantic_private__` of a top-level response as `_response_post_init` sets it, with
    /// `hidden` as its `_hidden_params` (a new empty dict when None).
    pub fn response_private<'py>(
        &self,
        py: Python<'py>,
        hidden: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let private = self.private_template.bind(py).copy()?;
        match hidden {
            Some(h) => private.set_item(&self.hidden_params, h)?,
            None => private.set_item(&self.hidden_params, PyDict::new(py))?,
        }
        Ok(private)
    }
}

pub struct Field<K> {
    pub key: Box<str>,
    pub name: Py<PyString>,
    pub kind: K,
    /// None: required here (pydantic would call a default factory, or raise).
    pub default: Option<Py<PyAny>>,
}

/// One model class and what is needed to make its instances.
pub struct Class<K> {
    /// The class's place among its builder's classes.
    pub idx: usize,
    pub cls: Py<PyType>,
    new: ffi::newfunc,
    /// The class's `tp_alloc`, used instead of `new` when `new` is `object.__new__` (checked in
    /// [`plain_alloc`]): `object.__new__` also gives the instance an empty attribute table that
    /// setting `__dict__` turns into a dict and throws away.
    alloc: Option<ffi::allocfunc>,
    pub fields: Vec<Field<K>>,
    /// By a key's length (the last entry: this long or longer), the fields whose key has it (a
    /// bit per field): a key is compared with one field's nearly always.
    by_len: [u32; 24],
    /// Every field with its default (None for the required ones) in declaration order: an
    /// instance's `__dict__` starts as a copy (one allocation, no resizing).
    pub template: Py<PyDict>,
    /// `__pydantic_fields_set__` templates by the bit mask of the fields present.
    sets: Mutex<Vec<(u32, Py<PyFrozenSet>)>>,
    /// Where its instances keep pydantic's slots, when found.
    slots: Option<Slots>,
    /// `__dict__` is set by `PyObject_GenericSetDict` (what the class's `__dict__` descriptor
    /// ends in, without looking the descriptor up through the MRO): checked on a probe.
    dict_direct: bool,
}

/// A class's spec from Python: the class, and per field its name, whether it is required and its
/// default.
type ClassSpec<'py> = (Bound<'py, PyType>, Vec<(String, bool, Bound<'py, PyAny>)>);

impl<K: Copy> Class<K> {
    /// The class of `spec` (`(cls, ((field, required, default), ...))`), whose fields must all be
    /// in `known` with immutable defaults; None otherwise.
    pub fn from_spec(
        py: Python<'_>,
        idx: usize,
        spec: &Bound<'_, PyAny>,
        known: &[(&str, K)],
        names: &Names,
    ) -> PyResult<Option<Self>> {
        let (cls, fields): ClassSpec<'_> = spec.extract()?;
        // SAFETY: `cls` is a live type object; PyType_GetSlot only reads its slot table.
        let slot = unsafe { ffi::PyType_GetSlot(cls.as_type_ptr(), ffi::Py_tp_new) };
        if slot.is_null() || fields.len() > MAX_FIELDS {
            return Ok(None);
        }
        // SAFETY: the Py_tp_new slot of a type holds a `newfunc`.
        let new: ffi::newfunc = unsafe { std::mem::transmute::<*mut std::ffi::c_void, ffi::newfunc>(slot) };
        let mut out = Vec::with_capacity(fields.len());
        let template = PyDict::new(py);
        for (key, required, default) in fields {
            let Some(&(_, kind)) = known.iter().find(|(k, _)| *k == key) else { return Ok(None) };
            let default = if required {
                None
            } else if default.is_none()
                || default.is_exact_instance_of::<PyString>()
                || default.is_exact_instance_of::<PyInt>()
                || default.is_exact_instance_of::<PyBool>()
            {
                Some(default.unbind())
            } else {
                return Ok(None); // a mutable default pydantic would copy
            };
            let name = PyString::intern(py, &key);
            let value = default.as_ref().map_or_else(|| py.None().into_bound(py), |d| d.bind(py).clone());
            template.set_item(&name, value)?;
            out.push(Field { name: name.unbind(), key: key.into(), kind, default });
        }
        let sets = Mutex::new(Vec::new());
        let slots = find_slots(py, &cls, new, names.slots());
        let alloc = plain_alloc(py, &cls, new);
        let dict_direct = generic_dict(py, &cls, new, names);
        let mut by_len = [0u32; 24];
        for (i, f) in out.iter().enumerate() {
            by_len[f.key.len().min(by_len.len() - 1)] |= 1 << i;
        }
        Ok(Some(Class {
            idx,
            cls: cls.unbind(),
            new,
            alloc,
            fields: out,
            by_len,
            template: template.unbind(),
            sets,
            slots,
            dict_direct,
        }))
    }
}

impl<K> Class<K> {
    /// Whether pydantic's slots were found (stored directly).
    pub fn slots_found(&self) -> bool {
        self.slots.is_some()
    }

    /// Whether instances are allocated directly.
    pub fn plain_alloc(&self) -> bool {
        self.alloc.is_some()
    }

    /// The field named `key`.
    pub fn position(&self, key: &str) -> Option<usize> {
        let mut candidates = self.by_len[key.len().min(self.by_len.len() - 1)];
        while candidates != 0 {
            let i = candidates.trailing_zeros() as usize;
            if *self.fields[i].key == *key {
                return Some(i);
            }
            candidates &= candidates - 1;
        }
        None
    }

    /// A new `__pydantic_fields_set__` holding the fields of `mask`.
    pub fn fields_set<'py>(&self, py: Python<'py>, mask: u32) -> PyResult<Bound<'py, PySet>> {
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

    /// A new instance with `dict` as its `__dict__` and pydantic's three slots set.
    pub fn instance<'py>(
        &self,
        py: Python<'py>,
        names: &Names,
        dict: Bound<'py, PyDict>,
        extra: Bound<'py, PyDict>,
        fields_set: Bound<'py, PySet>,
        private: Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let cls = self.cls.as_ptr().cast::<ffi::PyTypeObject>();
        // SAFETY: `self.alloc` is the class's tp_alloc (called with no items) and `self.new`
        // its tp_new (called with an empty tuple and no keywords, as pydantic's validation calls
        // it); each returns a new reference or NULL.
        let obj = unsafe {
            Bound::from_owned_ptr_or_err(
                py,
                match self.alloc {
                    Some(alloc) => alloc(cls, 0),
                    None => (self.new)(cls, names.empty.as_ptr(), std::ptr::null_mut()),
                },
            )?
        };
        if self.dict_direct {
            // SAFETY: a new instance of this class and a dict, both live; the call takes its own
            // reference to the dict.
            if unsafe { ffi::PyObject_GenericSetDict(obj.as_ptr(), dict.as_ptr(), std::ptr::null_mut()) } < 0 {
                return Err(PyErr::fetch(py));
            }
        } else {
            force_set(&obj, &names.dict, dict.as_any())?;
        }
        self.set_slot(&obj, 0, &names.extra, extra.into_any())?;
        self.set_slot(&obj, 1, &names.fields_set, fields_set.into_any())?;
        self.set_slot(&obj, 2, &names.private, private)?;
        Ok(obj)
    }

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

/// Whether `PyObject_GenericSetDict` sets the `__dict__` of the class's instances as setting the
/// attribute does: tried on a probe instance, read back through the attribute.
fn generic_dict(py: Python<'_>, cls: &Bound<'_, PyType>, new: ffi::newfunc, names: &Names) -> bool {
    // SAFETY: the class's tp_new with an empty tuple and no keywords; a new reference or NULL.
    let Ok(probe) = (unsafe {
        Bound::from_owned_ptr_or_err(py, new(cls.as_type_ptr(), names.empty.as_ptr(), std::ptr::null_mut()))
    }) else {
        return false;
    };
    let dict = PyDict::new(py);
    if dict.set_item("probe", 1).is_err() {
        return false;
    }
    // SAFETY: live objects; the call takes its own reference to the dict.
    if unsafe { ffi::PyObject_GenericSetDict(probe.as_ptr(), dict.as_ptr(), std::ptr::null_mut()) } < 0 {
        PyErr::fetch(py);
        return false;
    }
    probe.getattr("__dict__").is_ok_and(|d| d.is(&dict))
        && probe.getattr("probe").ok().and_then(|v| v.extract::<i64>().ok()) == Some(1)
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

/// Sets an attribute the way `object.__setattr__` does (pydantic's `__setattr__` is bypassed, as
/// its validation does).
pub fn force_set(obj: &Bound<'_, PyAny>, name: &Py<PyString>, value: &Bound<'_, PyAny>) -> PyResult<()> {
    // SAFETY: all three pointers are live objects held by the caller.
    let r = unsafe { ffi::PyObject_GenericSetAttr(obj.as_ptr(), name.as_ptr(), value.as_ptr()) };
    if r < 0 { Err(PyErr::fetch(obj.py())) } else { Ok(()) }
}
