//! Python arguments read straight into Rust types, for the plain values a call's request and
//! options are made of: exact dicts, lists, tuples, strings, ints, floats, bools and None.
//!
//! pythonize reads every struct by first asking the object for `__dataclass_fields__`; on a dict
//! that raises (and discards) an AttributeError, several times per call (the request, each
//! message, the options), about a tenth of the Python thread's work for a small completion. Here
//! a dict is a map and nothing is asked. Anything else (a subclass, a dataclass, a pydantic
//! object) is not read here: the caller then hands the whole value to pythonize, which also gives
//! the error message when the value does not fit.

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

/// `obj` read as a `T`; None when it holds anything but plain values or does not fit `T`.
pub fn plain<T: DeserializeOwned>(obj: &Bound<'_, PyAny>) -> Option<T> {
    T::deserialize(Plain(obj)).ok()
}

struct Plain<'a, 'py>(&'a Bound<'py, PyAny>);

impl Plain<'_, '_> {
    fn text(&self) -> Option<Result<String, NotPlain>> {
        let s = self.0.cast_exact::<PyString>().ok()?;
        Some(s.to_cow().map(|c| c.into_owned()).map_err(|e| NotPlain(e.to_string())))
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
            return visitor.visit_map(Entries { items: d.iter(), value: None });
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
            return Err(NotPlain("an integer out of range".into()));
        }
        if o.is_exact_instance_of::<PyFloat>() {
            return visitor.visit_f64(o.extract::<f64>().map_err(|e| NotPlain(e.to_string()))?);
        }
        if let Ok(l) = o.cast_exact::<PyList>() {
            return visitor.visit_seq(Items(l.iter()));
        }
        if let Ok(t) = o.cast_exact::<PyTuple>() {
            return visitor.visit_seq(Items(t.iter()));
        }
        Err(NotPlain(format!("a {} value", o.get_type().name().map_or_else(|_| "?".to_owned(), |n| n.to_string()))))
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
            None => Err(NotPlain("an enum that is not a string".into())),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

struct Entries<'py, I: Iterator<Item = (Bound<'py, PyAny>, Bound<'py, PyAny>)>> {
    items: I,
    value: Option<Bound<'py, PyAny>>,
}

impl<'de, 'py, I: Iterator<Item = (Bound<'py, PyAny>, Bound<'py, PyAny>)>> MapAccess<'de> for Entries<'py, I> {
    type Error = NotPlain;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, NotPlain> {
        let Some((k, v)) = self.items.next() else { return Ok(None) };
        self.value = Some(v);
        seed.deserialize(Plain(&k)).map(Some)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, NotPlain> {
        let v = self.value.take().ok_or_else(|| NotPlain("a value without its key".into()))?;
        seed.deserialize(Plain(&v))
    }
}

struct Items<'py, I: Iterator<Item = Bound<'py, PyAny>>>(I);

impl<'de, 'py, I: Iterator<Item = Bound<'py, PyAny>>> SeqAccess<'de> for Items<'py, I> {
    type Error = NotPlain;

    fn next_element_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<Option<S::Value>, NotPlain> {
        match self.0.next() {
            Some(x) => seed.deserialize(Plain(&x)).map(Some),
            None => Ok(None),
        }
    }
}
