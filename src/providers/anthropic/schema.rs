//! JSON-schema rewrites Anthropic needs: legacy `definitions` in tool schemas, and the schema of
//! native structured outputs (`output_format`), which rejects constraint keywords its grammar
//! cannot enforce (litellm's `AnthropicConfig.filter_anthropic_output_schema`, itself mirroring
//! the Anthropic SDK: constraints are removed and described in `description`, `oneOf` becomes
//! `anyOf`, and every object gets `additionalProperties: false`).

use serde_json::{Map, Value};

use super::json::py_dumps;

/// A tool schema using legacy `definitions`: moved to `$defs`, references rewritten.
pub fn legacy_defs(p: &Map<String, Value>) -> Map<String, Value> {
    fn rewrite(v: &mut Value) {
        match v {
            Value::Object(m) => {
                for (k, val) in m.iter_mut() {
                    if k == "$ref"
                        && let Value::String(s) = val
                        && let Some(rest) = s.strip_prefix("#/definitions/")
                    {
                        *s = format!("#/$defs/{rest}");
                    } else {
                        rewrite(val);
                    }
                }
            }
            Value::Array(a) => a.iter_mut().for_each(rewrite),
            _ => {}
        }
    }
    let mut m = p.clone();
    if let Some(defs) = m.shift_remove("definitions") {
        m.insert("$defs".into(), defs);
    }
    let mut v = Value::Object(m);
    rewrite(&mut v);
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn is_object_schema(node: &Map<String, Value>) -> bool {
    match node.get("type") {
        Some(Value::String(t)) => t == "object",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "object"),
        _ => false,
    }
}

fn subschemas(node: &Map<String, Value>) -> impl Iterator<Item = &Map<String, Value>> {
    node.iter().flat_map(|(k, v)| -> Vec<&Map<String, Value>> {
        match (k.as_str(), v) {
            ("properties" | "$defs" | "definitions" | "patternProperties", Value::Object(m)) => {
                m.values().filter_map(Value::as_object).collect()
            }
            ("anyOf" | "allOf" | "oneOf" | "prefixItems", Value::Array(a)) => {
                a.iter().filter_map(Value::as_object).collect()
            }
            ("items" | "additionalProperties" | "not" | "if" | "then" | "else" | "contains", Value::Object(m)) => {
                vec![m]
            }
            _ => Vec::new(),
        }
    })
}

/// Whether any object in the schema accepts properties it does not list (such schemas go through
/// the json tool instead of native structured output, as litellm decides).
pub fn has_open_object(schema: &Value) -> bool {
    fn walk(node: &Map<String, Value>, depth: usize) -> bool {
        if depth > 64 {
            return false;
        }
        let ap = node.get("additionalProperties");
        let open = matches!(ap, Some(Value::Bool(true)) | Some(Value::Object(_)))
            || node.contains_key("patternProperties")
            || (is_object_schema(node) && !node.contains_key("properties") && ap != Some(&Value::Bool(false)));
        open || subschemas(node).any(|s| walk(s, depth + 1))
    }
    schema.as_object().is_some_and(|m| walk(m, 0))
}

const CONSTRAINT_LABELS: &[(&str, &str)] = &[
    ("minItems", "minimum number of items: {}"),
    ("maxItems", "maximum number of items: {}"),
    ("uniqueItems", "all array items must be unique"),
    ("contains", "array must contain an item matching: {}"),
    ("minContains", "minimum number of matching items: {}"),
    ("maxContains", "maximum number of matching items: {}"),
    ("prefixItems", "leading items must match, in order: {}"),
    ("minimum", "minimum value: {}"),
    ("maximum", "maximum value: {}"),
    ("exclusiveMinimum", "exclusive minimum value: {}"),
    ("exclusiveMaximum", "exclusive maximum value: {}"),
    ("multipleOf", "must be a multiple of {}"),
    ("minLength", "minimum length: {}"),
    ("maxLength", "maximum length: {}"),
    ("minProperties", "minimum number of properties: {}"),
    ("maxProperties", "maximum number of properties: {}"),
    ("patternProperties", "properties whose names match each pattern must satisfy: {}"),
    ("propertyNames", "property names must satisfy: {}"),
    ("dependentRequired", "dependent required properties: {}"),
    ("dependentSchemas", "dependent schemas: {}"),
    ("unevaluatedProperties", "unevaluated properties must satisfy: {}"),
    ("if", "conditional (if): {}"),
    ("then", "conditional (then): {}"),
    ("else", "conditional (else): {}"),
    ("not", "must not match: {}"),
];

/// A value as Python's `str.format` prints it (containers as `json.dumps`).
fn note_value(v: &Value) -> String {
    match v {
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Null => "None".into(),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => py_dumps(other),
    }
}

/// Whether `enum` cannot match the declared `type` (the type is then dropped).
fn enum_conflicts_with_type(node: &Map<String, Value>) -> bool {
    let (Some(Value::Array(values)), Some(t)) = (node.get("enum"), node.get("type")) else {
        return false;
    };
    let check: fn(&Value) -> bool = match t {
        Value::Array(_) => return true,
        Value::String(t) => match t.as_str() {
            "string" => Value::is_string,
            "integer" => |v| v.is_i64() || v.is_u64(),
            "number" => Value::is_number,
            "boolean" => Value::is_boolean,
            "null" => Value::is_null,
            "object" => Value::is_object,
            "array" => Value::is_array,
            _ => return false,
        },
        _ => return false,
    };
    !values.iter().all(check)
}

/// The schema of a native structured output (litellm's `filter_anthropic_output_schema`).
pub fn filter_output_schema(schema: &Value) -> Value {
    let Some(node) = schema.as_object() else {
        return schema.clone();
    };
    let enforced_min_items = matches!(node.get("minItems").and_then(Value::as_u64), Some(0 | 1))
        && !node.get("minItems").is_some_and(Value::is_boolean);
    let unsupported =
        |k: &str| CONSTRAINT_LABELS.iter().any(|(f, _)| *f == k) && !(k == "minItems" && enforced_min_items);
    let mut notes = Vec::new();
    for (field, label) in CONSTRAINT_LABELS {
        let Some(v) = node.get(*field) else { continue };
        if !unsupported(field) || *v == Value::Bool(false) {
            continue;
        }
        notes.push(label.replace("{}", &note_value(v)));
    }
    let mut out = Map::new();
    if !notes.is_empty() {
        let note = format!("Note: {}.", notes.join(", "));
        let desc = match node.get("description").and_then(Value::as_str).filter(|d| !d.is_empty()) {
            Some(d) => format!("{d} {note}"),
            None => note,
        };
        out.insert("description".into(), Value::String(desc));
    }
    let drop_type = enum_conflicts_with_type(node);
    for (k, v) in node {
        if unsupported(k) || (k == "type" && drop_type) || (k == "description" && out.contains_key("description")) {
            continue;
        }
        match (k.as_str(), v) {
            ("properties" | "$defs" | "definitions", Value::Object(m)) => {
                let inner = m.iter().map(|(name, s)| (name.clone(), filter_output_schema(s))).collect();
                out.insert(k.clone(), Value::Object(inner));
            }
            ("items", Value::Object(_)) => {
                out.insert(k.clone(), filter_output_schema(v));
            }
            ("anyOf" | "oneOf", Value::Array(a)) => {
                let entry = out.entry("anyOf").or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(list) = entry {
                    list.extend(a.iter().map(filter_output_schema));
                }
            }
            ("allOf", Value::Array(a)) => {
                out.insert(k.clone(), Value::Array(a.iter().map(filter_output_schema).collect()));
            }
            ("$ref", Value::String(r)) if r.starts_with("/$defs/") || r.starts_with("/definitions/") => {
                out.insert(k.clone(), Value::String(format!("#{r}")));
            }
            _ => {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    if is_object_schema(&out) {
        out.insert("additionalProperties".into(), Value::Bool(false));
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn output_schema_is_filtered_like_litellm() {
        let s = json!({
            "type": "object",
            "properties": {
                "tags": {"type": "array", "items": {"type": "string", "maxLength": 10}, "minItems": 1, "maxItems": 5},
                "age": {"type": "integer", "minimum": 0, "description": "Age"},
                "kind": {"oneOf": [{"type": "string"}, {"type": "null"}]},
            },
            "required": ["tags"],
            "strict": true,
        });
        let f = filter_output_schema(&s);
        assert_eq!(f["additionalProperties"], false);
        assert_eq!(f["properties"]["tags"]["minItems"], 1);
        assert!(f["properties"]["tags"].get("maxItems").is_none());
        assert_eq!(f["properties"]["tags"]["description"], "Note: maximum number of items: 5.");
        assert_eq!(f["properties"]["tags"]["items"]["description"], "Note: maximum length: 10.");
        assert_eq!(f["properties"]["age"]["description"], "Age Note: minimum value: 0.");
        assert_eq!(f["properties"]["kind"]["anyOf"].as_array().unwrap().len(), 2);
        assert!(has_open_object(&json!({"type": "object"})));
        assert!(!has_open_object(&s));
    }
}
