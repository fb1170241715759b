//! Datadog, through the logs intake API (`POST https://http-intake.logs.{DD_SITE}/api/v2/logs`
//! with `DD-API-KEY`): one log item per call whose `message` is the payload as JSON text.

use std::sync::Arc;

use serde_json::{Value, json};

use super::{Logger, failed, json_request, required};
use crate::providers::HttpRequest;
use crate::util::env_var;

pub struct Datadog {
    url: String,
    key: String,
    source: String,
    service: String,
    tags: String,
    hostname: String,
}

impl Datadog {
    pub fn from_env() -> Result<Self, String> {
        let key = required(&["DD_API_KEY"], "datadog logger")?;
        let url = match env_var("DD_BASE_URL") {
            Some(b) => format!("{}/api/v2/logs", b.trim_end_matches('/')),
            None => {
                let site = required(&["DD_SITE"], "datadog logger")?;
                format!("https://http-intake.logs.{site}/api/v2/logs")
            }
        };
        let env = env_var("DD_ENV").unwrap_or_else(|| "unknown".into());
        let service = env_var("DD_SERVICE").unwrap_or_else(|| "litellm-server".into());
        let version = env_var("DD_VERSION").unwrap_or_else(|| "unknown".into());
        Ok(Self {
            url,
            key,
            source: env_var("DD_SOURCE").unwrap_or_else(|| "litellm".into()),
            tags: format!("env:{env},service:{service},version:{version}"),
            service,
            hostname: env_var("HOSTNAME").unwrap_or_default(),
        })
    }
}

impl Logger for Datadog {
    fn name(&self) -> &'static str {
        "datadog"
    }

    fn requests(&self, batch: &[Arc<Value>]) -> Vec<HttpRequest> {
        let items: Vec<Value> = batch
            .iter()
            .map(|p| {
                json!({
                    "ddsource": self.source,
                    "ddtags": self.tags,
                    "hostname": self.hostname,
                    "service": self.service,
                    "status": if failed(p) { "error" } else { "info" },
                    "message": p.to_string(),
                })
            })
            .collect();
        vec![json_request(self.url.clone(), vec![("dd-api-key".into(), self.key.clone())], &Value::Array(items))]
    }
}
