//! Helicone, through its custom-model logging API (`POST {base}/custom/v1/log`, bearer key): one
//! request per call with the provider request, the provider response and the timing.

use std::sync::Arc;

use serde_json::{Value, json};

use super::{Logger, base, failed, json_request, num, required, text};
use crate::providers::HttpRequest;

pub struct Helicone {
    url: String,
    key: String,
}

impl Helicone {
    pub fn from_env() -> Result<Self, String> {
        let key = required(&["HELICONE_API_KEY"], "helicone logger")?;
        let base = base(&["HELICONE_API_BASE", "HELICONE_LOGGING_URL"], "https://api.worker.helicone.ai");
        Ok(Self { url: format!("{base}/custom/v1/log"), key })
    }
}

fn timing(epoch: f64) -> Value {
    let secs = epoch.max(0.0).floor();
    json!({"seconds": secs as u64, "milliseconds": ((epoch - secs) * 1000.0).round() as u64})
}

pub fn log(p: &Value) -> Value {
    let mut request = json!({"model": p["model"], "messages": p["messages"]});
    if let (Some(obj), Some(params)) = (request.as_object_mut(), p.get("model_parameters").and_then(Value::as_object)) {
        for (k, v) in params {
            obj.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    let status = if failed(p) {
        p.pointer("/error_information/error_code").and_then(Value::as_str).and_then(|s| s.parse().ok()).unwrap_or(500)
    } else {
        200
    };
    let response = if failed(p) { json!({"error": {"message": p["error_str"]}}) } else { p["response"].clone() };
    json!({
        "providerRequest": {
            "url": text(p, "api_base"),
            "json": request,
            "meta": {"Helicone-Property-Provider": text(p, "custom_llm_provider")},
        },
        "providerResponse": {"json": response, "status": status, "headers": {}},
        "timing": {"startTime": timing(num(p, "startTime")), "endTime": timing(num(p, "endTime"))},
    })
}

impl Logger for Helicone {
    fn name(&self) -> &'static str {
        "helicone"
    }

    fn requests(&self, batch: &[Arc<Value>]) -> Vec<HttpRequest> {
        let auth = vec![("authorization".to_owned(), format!("Bearer {}", self.key))];
        batch.iter().map(|p| json_request(self.url.clone(), auth.clone(), &log(p))).collect()
    }
}
