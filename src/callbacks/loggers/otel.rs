//! OpenTelemetry: one span per call following the GenAI semantic conventions, exported as
//! OTLP/HTTP JSON (the `opentelemetry-proto` message types) to
//! OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, or OTEL_EXPORTER_OTLP_ENDPOINT + `/v1/traces`.

use std::sync::Arc;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, ArrayValue, InstrumentationScope, KeyValue, any_value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status, span, status};
use serde_json::Value;

use super::{Logger, failed, header_list, json_request, num, text};
use crate::providers::HttpRequest;
use crate::util::env_var;

pub struct Otel {
    url: String,
    headers: Vec<(String, String)>,
    service: String,
}

impl Otel {
    pub fn from_env() -> Self {
        let url = env_var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT").unwrap_or_else(|| {
            let base = env_var("OTEL_EXPORTER_OTLP_ENDPOINT").unwrap_or_else(|| "http://127.0.0.1:4318".into());
            format!("{}/v1/traces", base.trim_end_matches('/'))
        });
        let headers =
            header_list(env_var("OTEL_EXPORTER_OTLP_TRACES_HEADERS").or_else(|| env_var("OTEL_EXPORTER_OTLP_HEADERS")));
        Self { url, headers, service: env_var("OTEL_SERVICE_NAME").unwrap_or_else(|| "litellm".into()) }
    }
}

fn kv(key: &str, value: any_value::Value) -> KeyValue {
    KeyValue { key: key.to_owned(), value: Some(AnyValue { value: Some(value) }), ..Default::default() }
}

fn string(key: &str, v: &str) -> KeyValue {
    kv(key, any_value::Value::StringValue(v.to_owned()))
}

/// The GenAI operation name of a litellm call type.
fn operation(call_type: &str) -> &'static str {
    match call_type.trim_start_matches('a') {
        "embedding" => "embeddings",
        "text_completion" => "text_completion",
        "image_generation" => "image_generation",
        _ => "chat",
    }
}

/// 16 bytes from a UUID-shaped trace id (random when it is not one).
fn trace_id(p: &Value) -> Vec<u8> {
    let hex: String = text(p, "trace_id").chars().filter(char::is_ascii_hexdigit).collect();
    let bytes: Vec<u8> =
        (0..hex.len() / 2).filter_map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()).collect();
    if bytes.len() == 16 { bytes } else { fastrand::u128(1..).to_be_bytes().to_vec() }
}

fn nanos(epoch: f64) -> u64 {
    (epoch.max(0.0) * 1e9) as u64
}

pub fn span(p: &Value) -> Span {
    let op = operation(text(p, "call_type"));
    let model = text(p, "model");
    let provider = text(p, "custom_llm_provider");
    let mut attrs = vec![
        string("gen_ai.operation.name", op),
        string("gen_ai.system", provider),
        string("gen_ai.provider.name", provider),
        string("gen_ai.request.model", model),
        string("litellm.call_id", text(p, "litellm_call_id")),
        kv("litellm.response_cost", any_value::Value::DoubleValue(num(p, "response_cost"))),
    ];
    if let Some(params) = p.get("model_parameters").and_then(Value::as_object) {
        for (name, attr) in [
            ("temperature", "gen_ai.request.temperature"),
            ("top_p", "gen_ai.request.top_p"),
            ("max_tokens", "gen_ai.request.max_tokens"),
            ("max_completion_tokens", "gen_ai.request.max_tokens"),
            ("frequency_penalty", "gen_ai.request.frequency_penalty"),
            ("presence_penalty", "gen_ai.request.presence_penalty"),
            ("seed", "gen_ai.request.seed"),
        ] {
            match params.get(name) {
                Some(Value::Number(n)) if n.is_i64() => {
                    attrs.push(kv(attr, any_value::Value::IntValue(n.as_i64().unwrap_or(0))))
                }
                Some(Value::Number(n)) => {
                    attrs.push(kv(attr, any_value::Value::DoubleValue(n.as_f64().unwrap_or(0.0))))
                }
                _ => {}
            }
        }
    }
    let status = if failed(p) {
        attrs.push(string(
            "error.type",
            p.pointer("/error_information/error_class").and_then(Value::as_str).unwrap_or("error"),
        ));
        Status { code: status::StatusCode::Error as i32, message: text(p, "error_str").to_owned() }
    } else {
        let resp = &p["response"];
        if let Some(id) = resp.get("id").and_then(Value::as_str) {
            attrs.push(string("gen_ai.response.id", id));
        }
        if let Some(m) = resp.get("model").and_then(Value::as_str) {
            attrs.push(string("gen_ai.response.model", m));
        }
        let reasons: Vec<AnyValue> = resp
            .get("choices")
            .and_then(Value::as_array)
            .map(|cs| {
                cs.iter()
                    .filter_map(|c| c.get("finish_reason").and_then(Value::as_str))
                    .map(|r| AnyValue { value: Some(any_value::Value::StringValue(r.to_owned())) })
                    .collect()
            })
            .unwrap_or_default();
        if !reasons.is_empty() {
            attrs.push(kv(
                "gen_ai.response.finish_reasons",
                any_value::Value::ArrayValue(ArrayValue { values: reasons }),
            ));
        }
        for (key, attr) in
            [("prompt_tokens", "gen_ai.usage.input_tokens"), ("completion_tokens", "gen_ai.usage.output_tokens")]
        {
            attrs.push(kv(attr, any_value::Value::IntValue(p.get(key).and_then(Value::as_i64).unwrap_or(0))));
        }
        Status { code: status::StatusCode::Ok as i32, message: String::new() }
    };
    Span {
        trace_id: trace_id(p),
        span_id: fastrand::u64(1..).to_be_bytes().to_vec(),
        name: if model.is_empty() { op.to_owned() } else { format!("{op} {model}") },
        kind: span::SpanKind::Client as i32,
        start_time_unix_nano: nanos(num(p, "startTime")),
        end_time_unix_nano: nanos(num(p, "endTime")),
        attributes: attrs,
        status: Some(status),
        ..Default::default()
    }
}

impl Logger for Otel {
    fn name(&self) -> &'static str {
        "otel"
    }

    fn requests(&self, batch: &[Arc<Value>]) -> Vec<HttpRequest> {
        let export = ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                resource: Some(Resource {
                    attributes: vec![string("service.name", &self.service)],
                    ..Default::default()
                }),
                scope_spans: vec![ScopeSpans {
                    scope: Some(InstrumentationScope {
                        name: "litellm_rs".into(),
                        version: env!("CARGO_PKG_VERSION").into(),
                        ..Default::default()
                    }),
                    spans: batch.iter().map(|p| span(p)).collect(),
                    ..Default::default()
                }],
                ..Default::default()
            }],
        };
        let body = serde_json::to_value(&export).unwrap_or_default();
        vec![json_request(self.url.clone(), self.headers.clone(), &body)]
    }
}
