//! JSON Schema (what OpenAI callers write) to the OpenAPI subset Gemini's `Schema` accepts, for
//! function `parameters` and the legacy `responseSchema`.
//!
//! Like litellm (`_build_vertex_schema`): local `$ref`s are inlined from `$defs`/`definitions`,
//! `anyOf` members of type `null` become `nullable`, type lists become `anyOf` (or `nullable`), and
//! only the keys of Gemini's `Schema` are kept, which drops `additionalProperties`, `$schema`,
//! `$id`, `strict`, `examples`, `exclusiveMinimum`, ... . String `format`s other than `enum` and
//! `date-time` are dropped (Gemini rejects them); numeric formats Gemini documents are kept.
//! Beyond litellm: `oneOf` is read as `anyOf`, `const` becomes a one-value `enum`, a `required`
//! entry naming no property is dropped, and an empty nested `properties` map is removed (Gemini
//! rejects an OBJECT with empty properties).

use serde_json::{Map, Value, json};

/// The fields of Gemini's `Schema` object.
const KEEP: &[&str] = &[
    "type",
    "format",
    "title",
    "description",
    "nullable",
    "default",
    "items",
    "minItems",
    "maxItems",
    "enum",
    "properties",
    "propertyOrdering",
    "required",
    "minProperties",
    "maxProperties",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "pattern",
    "example",
    "anyOf",
];

/// Deeper than this, a schema is cut (recursive `$ref`s would otherwise never end).
const MAX_DEPTH: usize = 48;

/// Converts a JSON Schema. `property_ordering` adds `propertyOrdering` (the caller's key order)
/// to every object, as litellm does for `responseSchema` (Gemini otherwise orders keys
/// alphabetically).
pub fn to_gemini_schema(schema: &Value, property_ordering: bool) -> Value {
    let empty = Map::new();
    let defs = schema.get("$defs").or_else(|| schema.get("definitions")).and_then(Value::as_object).unwrap_or(&empty);
    convert(schema, defs, 0, property_ordering)
}

/// True when a converted schema is an object without properties (a function that takes no
/// arguments): Gemini rejects `{"type": "object", "properties": {}}`, so `parameters` is left out.
pub fn is_empty_object(schema: &Value) -> bool {
    let Some(obj) = schema.as_object() else {
        return true;
    };
    let props_empty = obj.get("properties").and_then(Value::as_object).is_none_or(Map::is_empty);
    let is_object = obj.get("type").and_then(Value::as_str).is_none_or(|t| t.eq_ignore_ascii_case("object"));
    is_object && props_empty && !obj.contains_key("anyOf")
}

fn convert(v: &Value, defs: &Map<String, Value>, depth: usize, ordering: bool) -> Value {
    let Value::Object(obj) = v else {
        return json!({"type": "object"});
    };
    if depth > MAX_DEPTH {
        return json!({"type": "object"});
    }
    if let Some(r) = obj.get("$ref").and_then(Value::as_str) {
        let name = r.rsplit('/').next().unwrap_or(r);
        let mut out = match defs.get(name) {
            Some(target) => convert(target, defs, depth + 1, ordering),
            None => json!({"type": "object"}),
        };
        if let (Some(d), Value::Object(o)) = (obj.get("description"), &mut out) {
            o.insert("description".into(), d.clone());
        }
        return out;
    }

    let mut out = Map::new();
    let mut nullable = obj.get("nullable").and_then(Value::as_bool).unwrap_or(false);

    match obj.get("type") {
        Some(Value::Array(types)) => {
            let named: Vec<&str> = types.iter().filter_map(Value::as_str).filter(|t| *t != "null").collect();
            nullable |= named.len() != types.len();
            match named.as_slice() {
                [] => {}
                [one] => {
                    out.insert("type".into(), Value::String((*one).to_owned()));
                }
                many => {
                    out.insert("anyOf".into(), Value::Array(many.iter().map(|t| json!({"type": t})).collect()));
                }
            }
        }
        Some(Value::String(t)) if t == "null" => nullable = true,
        Some(t) => {
            out.insert("type".into(), t.clone());
        }
        None => {}
    }

    // anyOf / oneOf: null members become `nullable`; a single remaining member is inlined.
    let union = obj.get("anyOf").or_else(|| obj.get("oneOf")).and_then(Value::as_array);
    if let Some(members) = union {
        let mut kept = Vec::with_capacity(members.len());
        for m in members {
            if m.get("type").and_then(Value::as_str) == Some("null") && m.as_object().is_some_and(|o| o.len() == 1) {
                nullable = true;
            } else {
                kept.push(convert(m, defs, depth + 1, ordering));
            }
        }
        match kept.len() {
            0 => {}
            1 => {
                if let Some(Value::Object(inner)) = kept.pop() {
                    for (k, val) in inner {
                        out.entry(k).or_insert(val);
                    }
                }
            }
            _ => {
                // Gemini rejects anyOf beside other keys: keep the union and push the
                // description into each member.
                let description = obj.get("description").cloned();
                if nullable || description.is_some() {
                    for m in &mut kept {
                        if let Value::Object(mo) = m {
                            if nullable {
                                mo.insert("nullable".into(), Value::Bool(true));
                            }
                            if let Some(d) = &description {
                                mo.entry("description").or_insert_with(|| d.clone());
                            }
                        }
                    }
                }
                let mut only = Map::new();
                only.insert("anyOf".into(), Value::Array(kept));
                return Value::Object(only);
            }
        }
    }
    if let Some(Value::Array(all)) = obj.get("allOf") {
        for m in all {
            if let Value::Object(inner) = convert(m, defs, depth + 1, ordering) {
                for (k, val) in inner {
                    out.entry(k).or_insert(val);
                }
            }
        }
    }

    for (k, val) in obj {
        match k.as_str() {
            "type" | "anyOf" | "nullable" => {}
            "properties" => {
                if let Value::Object(props) = val {
                    let converted: Map<String, Value> =
                        props.iter().map(|(name, s)| (name.clone(), convert(s, defs, depth + 1, ordering))).collect();
                    if !converted.is_empty() {
                        if ordering && !obj.contains_key("propertyOrdering") {
                            out.insert(
                                "propertyOrdering".into(),
                                Value::Array(converted.keys().map(|n| Value::String(n.clone())).collect()),
                            );
                        }
                        out.insert("properties".into(), Value::Object(converted));
                    }
                }
            }
            "items" => {
                let item = match val {
                    Value::Array(tuple) => tuple.first().cloned().unwrap_or_else(|| json!({})),
                    other => other.clone(),
                };
                let converted = if item.as_object().is_some_and(Map::is_empty) {
                    json!({"type": "object"})
                } else {
                    convert(&item, defs, depth + 1, ordering)
                };
                out.insert("items".into(), converted);
            }
            "required" => {
                if let Value::Array(names) = val {
                    let props = obj.get("properties").and_then(Value::as_object);
                    let kept: Vec<Value> = names
                        .iter()
                        .filter(|n| n.as_str().is_some_and(|n| props.is_some_and(|p| p.contains_key(n))))
                        .cloned()
                        .collect();
                    if !kept.is_empty() {
                        out.insert("required".into(), Value::Array(kept));
                    }
                }
            }
            "format" => {
                if let Some(f) = val.as_str()
                    && matches!(f, "enum" | "date-time" | "float" | "double" | "int32" | "int64")
                {
                    out.insert("format".into(), val.clone());
                }
            }
            "const" => {
                out.entry("enum").or_insert_with(|| Value::Array(vec![val.clone()]));
                if val.is_string() {
                    out.entry("type").or_insert_with(|| Value::String("string".into()));
                }
            }
            _ if KEEP.contains(&k.as_str()) => {
                out.entry(k.clone()).or_insert_with(|| val.clone());
            }
            _ => {}
        }
    }
    if out.contains_key("properties") && !out.contains_key("type") {
        out.insert("type".into(), Value::String("object".into()));
    }
    if nullable {
        out.insert("nullable".into(), Value::Bool(true));
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_keys_gemini_rejects() {
        let s = json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "additionalProperties": false,
            "strict": true,
            "properties": {
                "email": {"type": "string", "format": "email", "title": "Email"},
                "when": {"type": "string", "format": "date-time"},
                "n": {"type": ["integer", "null"], "exclusiveMinimum": 0},
            },
            "required": ["email", "ghost"],
        });
        let out = to_gemini_schema(&s, false);
        assert_eq!(
            out,
            json!({
                "type": "object",
                "properties": {
                    "email": {"type": "string", "title": "Email"},
                    "when": {"type": "string", "format": "date-time"},
                    "n": {"type": "integer", "nullable": true},
                },
                "required": ["email"],
            })
        );
    }

    #[test]
    fn inlines_refs_and_nullable_unions() {
        let s = json!({
            "type": "object",
            "$defs": {"City": {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}},
            "properties": {
                "home": {"$ref": "#/$defs/City", "description": "where"},
                "maybe": {"anyOf": [{"$ref": "#/$defs/City"}, {"type": "null"}]},
                "either": {"anyOf": [{"type": "string"}, {"type": "integer"}], "description": "d", "default": 1},
            },
        });
        let out = to_gemini_schema(&s, true);
        assert_eq!(out["properties"]["home"]["properties"]["name"]["type"], "string");
        assert_eq!(out["properties"]["home"]["description"], "where");
        assert_eq!(out["properties"]["maybe"]["nullable"], true);
        assert_eq!(out["properties"]["maybe"]["type"], "object");
        assert_eq!(
            out["properties"]["either"],
            json!({"anyOf": [{"type": "string", "description": "d"}, {"type": "integer", "description": "d"}]})
        );
        assert_eq!(out["propertyOrdering"], json!(["home", "maybe", "either"]));
        assert!(out.get("$defs").is_none());
    }

    #[test]
    fn recursive_refs_terminate_and_empty_objects_are_detected() {
        let s = json!({"$defs": {"N": {"type": "object", "properties": {"next": {"$ref": "#/$defs/N"}}}}, "$ref": "#/$defs/N"});
        let out = to_gemini_schema(&s, false);
        assert_eq!(out["type"], "object");
        assert!(is_empty_object(&to_gemini_schema(&json!({"type": "object", "properties": {}}), false)));
        assert!(!is_empty_object(&out));
    }
}
