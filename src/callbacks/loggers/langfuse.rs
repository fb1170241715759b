//! Langfuse, through its public ingestion API (`POST {host}/api/public/ingestion`, basic auth
//! with the project's public and secret keys): one `trace-create` and one `generation-create`
//! event per call.

use std::sync::Arc;

use base64::Engine;
use serde_json::{Value, json};

use super::{Logger, base, failed, iso_time, json_request, num, required, text};
use crate::callbacks::payload::uuid;
use crate::providers::HttpRequest;

pub struct Langfuse {
    url: String,
    auth: String,
}

impl Langfuse {
    pub fn from_env() -> Result<Self, String> {
        let public = required(&["LANGFUSE_PUBLIC_KEY"], "langfuse logger")?;
        let secret = required(&["LANGFUSE_SECRET_KEY"], "langfuse logger")?;
        let host = base(&["LANGFUSE_HOST", "LANGFUSE_BASE_URL"], "https://cloud.langfuse.com");
        let auth = base64::engine::general_purpose::STANDARD.encode(format!("{public}:{secret}"));
        Ok(Self { url: format!("{host}/api/public/ingestion"), auth: format!("Basic {auth}") })
    }
}

/// The trace and generation events of one payload.
pub fn events(p: &Value) -> [Value; 2] {
    let metadata = p.get("metadata").cloned().unwrap_or(Value::Null);
    let user_meta = |k: &str| metadata.get(k).cloned().unwrap_or(Value::Null);
    let trace_id = user_meta("trace_id");
    let trace_id = if trace_id.is_string() { trace_id } else { Value::String(text(p, "trace_id").to_owned()) };
    let start = iso_time(num(p, "startTime"));
    let end = iso_time(num(p, "endTime"));
    let name = user_meta("generation_name");
    let name = if name.is_string() { name } else { Value::String(format!("litellm-{}", text(p, "call_type"))) };
    let output = if failed(p) {
        Value::Null
    } else {
        p.pointer("/response/choices/0/message")
            .cloned()
            .unwrap_or_else(|| p.get("response").cloned().unwrap_or_default())
    };
    let trace = json!({
        "id": uuid(),
        "timestamp": start,
        "type": "trace-create",
        "body": {
            "id": trace_id,
            "timestamp": start,
            "name": user_meta("trace_name").as_str().map_or_else(|| name.clone(), |s| Value::String(s.to_owned())),
            "userId": p.get("end_user").cloned().unwrap_or(Value::Null),
            "sessionId": match text(p, "session_id") { "" => user_meta("session_id"), s => Value::String(s.to_owned()) },
            "tags": p.get("request_tags").cloned().unwrap_or(Value::Array(Vec::new())),
            "input": p.get("messages").cloned().unwrap_or(Value::Null),
            "output": output,
        }
    });
    let generation = json!({
        "id": uuid(),
        "timestamp": end,
        "type": "generation-create",
        "body": {
            "id": format!("time-{}", text(p, "id")),
            "traceId": trace_id,
            "name": name,
            "startTime": start,
            "endTime": end,
            "completionStartTime": iso_time(num(p, "completionStartTime")),
            "model": text(p, "model"),
            "modelParameters": p.get("model_parameters").cloned().unwrap_or_default(),
            "input": p.get("messages").cloned().unwrap_or(Value::Null),
            "output": output,
            "usage": {
                "input": p["prompt_tokens"], "output": p["completion_tokens"], "total": p["total_tokens"],
                "unit": "TOKENS",
            },
            "usageDetails": {"input": p["prompt_tokens"], "output": p["completion_tokens"], "total": p["total_tokens"]},
            "costDetails": {"total": p["response_cost"]},
            "metadata": metadata,
            "level": if failed(p) { "ERROR" } else { "DEFAULT" },
            "statusMessage": p.get("error_str").cloned().unwrap_or(Value::Null),
        }
    });
    [trace, generation]
}

impl Logger for Langfuse {
    fn name(&self) -> &'static str {
        "langfuse"
    }

    fn requests(&self, batch: &[Arc<Value>]) -> Vec<HttpRequest> {
        let events: Vec<Value> = batch.iter().flat_map(|p| events(p)).collect();
        let body = json!({"batch": events, "metadata": {"sdk_name": "litellm-rs", "sdk_integration": "litellm"}});
        vec![json_request(self.url.clone(), vec![("authorization".into(), self.auth.clone())], &body)]
    }
}
