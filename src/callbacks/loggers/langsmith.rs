//! LangSmith, through its runs API (`POST {base}/runs/batch` with `x-api-key`): one `llm` run per
//! call, in the project LANGSMITH_PROJECT.

use std::sync::Arc;

use serde_json::{Value, json};

use super::{Logger, base, failed, iso_time, json_request, num, required, text};
use crate::callbacks::payload::uuid;
use crate::providers::HttpRequest;
use crate::util::env_var;

pub struct LangSmith {
    url: String,
    key: String,
    project: String,
}

impl LangSmith {
    pub fn from_env() -> Result<Self, String> {
        let key = required(&["LANGSMITH_API_KEY", "LANGCHAIN_API_KEY"], "langsmith logger")?;
        let base = base(
            &["LANGSMITH_BASE_URL", "LANGSMITH_ENDPOINT", "LANGCHAIN_ENDPOINT"],
            "https://api.smith.langchain.com",
        );
        let project = env_var("LANGSMITH_PROJECT")
            .or_else(|| env_var("LANGCHAIN_PROJECT"))
            .unwrap_or_else(|| "litellm-completion".into());
        Ok(Self { url: format!("{base}/runs/batch"), key, project })
    }
}

/// `20261126T140616700024Z` + run id: LangSmith's ordering key of a root run.
fn dotted_order(start: f64, id: &str) -> String {
    let iso = iso_time(start);
    let compact: String = iso.chars().filter(|c| !matches!(c, '-' | ':' | '.')).collect();
    format!("{compact}{id}")
}

pub fn run(p: &Value, project: &str) -> Value {
    let id = uuid();
    let start = num(p, "startTime");
    let metadata = p.get("metadata").cloned().unwrap_or(Value::Null);
    let name = metadata.get("run_name").and_then(Value::as_str).unwrap_or("LLMRun").to_owned();
    let mut inputs = json!({"messages": p["messages"], "model": p["model"]});
    if let (Some(obj), Some(params)) = (inputs.as_object_mut(), p.get("model_parameters").and_then(Value::as_object)) {
        for (k, v) in params {
            obj.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    json!({
        "id": id,
        "trace_id": id,
        "dotted_order": dotted_order(start, &id),
        "name": name,
        "run_type": "llm",
        "start_time": iso_time(start),
        "end_time": iso_time(num(p, "endTime")),
        "inputs": inputs,
        "outputs": if failed(p) { Value::Null } else { p["response"].clone() },
        "error": if failed(p) { p["error_str"].clone() } else { Value::Null },
        "session_name": metadata.get("project_name").and_then(Value::as_str).unwrap_or(project),
        "tags": p.get("request_tags").cloned().unwrap_or_default(),
        "extra": {
            "metadata": metadata,
            "invocation_params": {"model": p["model"], "custom_llm_provider": text(p, "custom_llm_provider")},
        },
        "prompt_tokens": p["prompt_tokens"],
        "completion_tokens": p["completion_tokens"],
        "total_tokens": p["total_tokens"],
        "total_cost": p["response_cost"],
    })
}

impl Logger for LangSmith {
    fn name(&self) -> &'static str {
        "langsmith"
    }

    fn requests(&self, batch: &[Arc<Value>]) -> Vec<HttpRequest> {
        let runs: Vec<Value> = batch.iter().map(|p| run(p, &self.project)).collect();
        let headers = vec![("x-api-key".into(), self.key.clone())];
        vec![json_request(self.url.clone(), headers, &json!({"post": runs, "patch": []}))]
    }
}
