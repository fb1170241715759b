//! A generic webhook (litellm's `generic_api` logger): each batch is POSTed as a JSON array of
//! standard logging payloads to GENERIC_LOGGER_ENDPOINT, with GENERIC_LOGGER_HEADERS (`k=v,...`).

use std::sync::Arc;

use serde_json::Value;

use super::{Logger, header_list, json_request, required};
use crate::providers::HttpRequest;
use crate::util::env_var;

pub struct Webhook {
    url: String,
    headers: Vec<(String, String)>,
}

impl Webhook {
    pub fn from_env() -> Result<Self, String> {
        let url = required(&["GENERIC_LOGGER_ENDPOINT", "LITELLM_WEBHOOK_URL"], "webhook logger")?;
        Ok(Self { url, headers: header_list(env_var("GENERIC_LOGGER_HEADERS")) })
    }
}

impl Logger for Webhook {
    fn name(&self) -> &'static str {
        "webhook"
    }

    fn requests(&self, batch: &[Arc<Value>]) -> Vec<HttpRequest> {
        let body = Value::Array(batch.iter().map(|p| (**p).clone()).collect());
        vec![json_request(self.url.clone(), self.headers.clone(), &body)]
    }
}
