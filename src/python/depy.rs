//! Python arguments read straight into Rust types, for the plain values a call's request and
//! options are made of: exact dicts, lists, tuples, strings, ints, floats, bools and None.
//!
//! pythonize reads every struct by first asking the object for `__dataclass_fields__`; on a dict
//! that raises (and discards) an AttributeError, several times per call (the request, each
//! message, the options), about a tenth of the Python thread's work for a small completion. Here
//! a dict is a map and nothing is asked. Anything else (a subclass, a dataclass, a pydantic
//! object) is not read here: the caller then hands the whole value to pythonize, which also gives
//! the error message when the value does not fit.

use std::cell::Cell;
use std::fmt;

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};

/// Why a value was not read here (the caller falls back to pythonize).
#[derive(Debug)]
pub struct NotPlain(String);

impl fmt::Display for NotPlain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NotPlain {}

impl de::Error for NotPlain {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        NotPlain(msg.to_string())
    }
}

/// `obj` read as a `T`; None when it holds anything but plain values (anywhere, even where `T`
/// would drop a value it cannot read) or does not fit `T`.
pub fn plain<T: DeserializeOwned>(obj: &Bound<'_, PyAny>) -> Option<T> {
    let odd = Cell::new(false);
    let v = T::deserialize(Plain(obj, &odd)).ok()?;
    (!odd.get()).then_some(v)
}

/// A value, and the flag raised when a value that is not plain was met (a field read leniently
/// may swallow the error; the flag still sends the whole value to pythonize).
struct Plain<'a, 'py>(&'a Bound<'py, PyAny>, &'a Cell<bool>);

impl Plain<'_, '_> {
    fn text(&self) -> Option<Result<String, NotPlain>> {
        let s = self.0.cast_exact::<PyString>().ok()?;
        Some(s.to_cow().map(|c| c.into_owned()).map_err(|e| self.odd(e.to_string())))
    }

    /// Notes a value that is not read here.
    fn odd(&self, why: String) -> NotPlain {
        self.1.set(true);
        NotPlain(why)
    }
}

impl<'de> de::Deserializer<'de> for Plain<'_, '_> {
    type Error = NotPlain;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, NotPlain> {
        let o = self.0;
        if o.is_none() {
            return visitor.visit_unit();
        }
        if let Some(s) = self.text() {
            return visitor.visit_string(s?);
        }
        if let Ok(d) = o.cast_exact::<PyDict>() {
            return visitor.visit_map(Entries { items: d.iter(), value: None, odd: self.1 });
        }
        if let Ok(b) = o.cast_exact::<PyBool>() {
            return visitor.visit_bool(b.is_true());
        }
        if o.is_exact_instance_of::<PyInt>() {
            if let Ok(i) = o.extract::<i64>() {
                return visitor.visit_i64(i);
            }
            if let Ok(u) = o.extract::<u64>() {
                return visitor.visit_u64(u);
            }
            return Err(self.odd("an integer out of range".into()));
        }
        if o.is_exact_instance_of::<PyFloat>() {
            return visitor.visit_f64(o.extract::<f64>().map_err(|e| self.odd(e.to_string()))?);
        }
        if let Ok(l) = o.cast_exact::<PyList>() {
            return visitor.visit_seq(Items(l.iter(), self.1));
        }
        if let Ok(t) = o.cast_exact::<PyTuple>() {
            return visitor.visit_seq(Items(t.iter(), self.1));
        }
        Err(self.odd(format!("a {} value", o.get_type().name().map_or_else(|_| "?".to_owned(), |n| n.to_string()))))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, NotPlain> {
        if self.0.is_none() { visitor.visit_none() } else { visitor.visit_some(self) }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _: &'static str, visitor: V) -> Result<V::Value, NotPlain> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, NotPlain> {
        // a unit variant by name; other shapes are left to pythonize
        match self.text() {
            Some(s) => visitor.visit_enum(s?.into_deserializer()),
            None => Err(self.odd("an enum that is not a string".into())),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, NotPlain> {
        // a struct from a mapping only (pythonize reads no struct from a list either)
        if self.0.is_exact_instance_of::<PyDict>() {
            self.deserialize_any(visitor)
        } else {
            Err(self.odd("a struct that is not a dict".into()))
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, NotPlain> {
        // a value nobody reads (an option the engine does not know): whatever it holds
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map identifier
    }
}

struct Entries<'a, 'py, I: Iterator<Item = (Bound<'py, PyAny>, Bound<'py, PyAny>)>> {
    items: I,
    value: Option<Bound<'py, PyAny>>,
    odd: &'a Cell<bool>,
}

impl<'de, 'py, I: Iterator<Item = (Bound<'py, PyAny>, Bound<'py, PyAny>)>> MapAccess<'de> for Entries<'_, 'py, I> {
    type Error = NotPlain;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, NotPlain> {
        let Some((k, v)) = self.items.next() else { return Ok(None) };
        self.value = Some(v);
        seed.deserialize(Plain(&k, self.odd)).map(Some)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, NotPlain> {
        let v = self.value.take().ok_or_else(|| NotPlain("a value without its key".into()))?;
        seed.deserialize(Plain(&v, self.odd))
    }
}

struct Items<'a, 'py, I: Iterator<Item = Bound<'py, PyAny>>>(I, &'a Cell<bool>);

impl<'de, 'py, I: Iterator<Item = Bound<'py, PyAny>>> SeqAccess<'de> for Items<'_, 'py, I> {
    type Error = NotPlain;

    fn next_element_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<Option<S::Value>, NotPlain> {
        match self.0.next() {
            Some(x) => seed.deserialize(Plain(&x, self.1)).map(Some),
            None => Ok(None),
        }
    }
}
