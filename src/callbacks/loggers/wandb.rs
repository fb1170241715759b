//! Weights & Biases Weave, through the trace server (`POST {server}/call/upsert_batch`, basic auth
//! `api:{WANDB_API_KEY}`): a start and an end record per call in the project WANDB_PROJECT
//! (`entity/project`).

use std::sync::Arc;

use base64::Engine;
use serde_json::{Value, json};

use super::{Logger, base, failed, iso_time, json_request, num, required, text};
use crate::callbacks::payload::uuid;
use crate::providers::HttpRequest;
use crate::util::env_var;

pub struct Weave {
    url: String,
    auth: String,
    project: String,
}

impl Weave {
    pub fn from_env() -> Result<Self, String> {
        let key = required(&["WANDB_API_KEY"], "wandb logger")?;
        let project = required(&["WANDB_PROJECT", "WEAVE_PROJECT"], "wandb logger")?;
        let project = match env_var("WANDB_ENTITY") {
            Some(entity) if !project.contains('/') => format!("{entity}/{project}"),
            _ => project,
        };
        let server = base(&["WF_TRACE_SERVER_URL", "WANDB_TRACE_SERVER_URL"], "https://trace.wandb.ai");
        let auth = base64::engine::general_purpose::STANDARD.encode(format!("api:{key}"));
        Ok(Self { url: format!("{server}/call/upsert_batch"), auth: format!("Basic {auth}"), project })
    }
}

pub fn records(p: &Value, project: &str) -> [Value; 2] {
    let id = uuid();
    let model = text(p, "model");
    let start = json!({
        "project_id": project,
        "id": id,
        "trace_id": text(p, "trace_id"),
        "op_name": format!("litellm.{}", text(p, "call_type")),
        "display_name": model,
        "started_at": iso_time(num(p, "startTime")),
        "attributes": {"custom_llm_provider": text(p, "custom_llm_provider"), "metadata": p["metadata"]},
        "inputs": {"model": model, "messages": p["messages"], "model_parameters": p["model_parameters"]},
    });
    let usage = json!({model: {
        "requests": 1,
        "prompt_tokens": p["prompt_tokens"],
        "completion_tokens": p["completion_tokens"],
        "total_tokens": p["total_tokens"],
    }});
    let end = json!({
        "project_id": project,
        "id": id,
        "ended_at": iso_time(num(p, "endTime")),
        "output": if failed(p) { Value::Null } else { p["response"].clone() },
        "exception": if failed(p) { p["error_str"].clone() } else { Value::Null },
        "summary": {"usage": usage, "weave": {"cost": p["response_cost"]}},
    });
    [json!({"mode": "start", "req": {"start": start}}), json!({"mode": "end", "req": {"end": end}})]
}

impl Logger for Weave {
    fn name(&self) -> &'static str {
        "wandb"
    }

    fn requests(&self, batch: &[Arc<Value>]) -> Vec<HttpRequest> {
        let items: Vec<Value> = batch.iter().flat_map(|p| records(p, &self.project)).collect();
        let headers = vec![("authorization".into(), self.auth.clone())];
        vec![json_request(self.url.clone(), headers, &json!({"batch": items}))]
    }
}
