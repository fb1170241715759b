//! Health checks: one small real call per deployment (a one-token chat, or a one-input embedding
//! for embedding models), on demand (`ahealth_check`) or in the background. With
//! `enable_health_check_routing`, a deployment whose last check failed is left out of routing
//! until a check passes again or the result is older than `health_check_staleness_threshold`.

use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use super::Router;
use super::config::Deployment;
use super::state::now_ms;
use crate::engine::{self, CallOptions};
use crate::error::{ErrorKind, LlmError};
use crate::types::{ChatRequest, EmbeddingRequest};

/// litellm's default timeout of one check (seconds).
pub const DEFAULT_TIMEOUT_SECS: f64 = 60.0;

/// One deployment's check.
pub struct Checked {
    pub deployment: Arc<Deployment>,
    pub error: Option<LlmError>,
    pub latency_ms: f64,
}

/// The modes a check exists for.
const CHECKED_MODES: &[&str] = &["chat", "completion", "embedding", "responses"];

/// Keys of `litellm_params` never shown in health results (credentials, and headers, which often
/// carry them).
pub fn secret(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    ["key", "secret", "token", "password", "credential", "header", "auth"].iter().any(|s| n.contains(s))
}

/// A deployment's `litellm_params` as shown outside (health results, the proxy's /model/info):
/// no credentials, no headers, no passwords in URLs.
pub fn public_params(d: &Deployment) -> Map<String, Value> {
    d.litellm_params
        .iter()
        .filter(|(k, _)| !secret(k))
        .map(|(k, v)| {
            let v = match v.as_str() {
                Some(s) if s.contains("://") => Value::String(crate::store::redis::redact_url(s)),
                _ => v.clone(),
            };
            (k.clone(), v)
        })
        .collect()
}

impl Checked {
    /// The endpoint as litellm's health results show it: the deployment's `litellm_params`
    /// without credentials, its id, and the error of an unhealthy one.
    pub fn to_json(&self) -> Value {
        let mut out = public_params(&self.deployment);
        out.insert("model_id".into(), Value::String(self.deployment.id.clone()));
        out.insert("model_name".into(), Value::String(self.deployment.model_name.clone()));
        out.insert("latency_ms".into(), json!(self.latency_ms));
        if let Some(e) = &self.error {
            out.insert("error".into(), Value::String(e.to_string()));
            out.insert("status_code".into(), json!(e.status));
        }
        Value::Object(out)
    }
}

fn mode(d: &Deployment) -> String {
    if let Some(m) = d.model_info.get("mode").and_then(Value::as_str) {
        return m.to_owned();
    }
    let provider = d.options.get("custom_llm_provider").and_then(Value::as_str);
    crate::cost::effective_entry(&d.model, provider, &crate::cost::CustomPricing::default(), None)
        .and_then(|e| e.get("mode").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| "chat".to_owned())
}

async fn check(d: Arc<Deployment>, defaults: Map<String, Value>, timeout: f64) -> Checked {
    let mut m = defaults;
    m.extend(d.options.iter().map(|(k, v)| (k.clone(), v.clone())));
    m.insert("timeout".into(), json!(timeout));
    m.insert("num_retries".into(), json!(0));
    m.insert("caching".into(), json!(false));
    let started = Instant::now();
    let error = match serde_json::from_value::<CallOptions>(Value::Object(m)) {
        Err(e) => Some(LlmError::bad_request(format!("invalid litellm_params: {e}"))),
        Ok(opts) => {
            let run = async {
                let mode = mode(&d);
                if mode == "completion" {
                    let req: crate::types::TextCompletionRequest =
                        serde_json::from_value(json!({"model": d.model, "prompt": "ping", "max_tokens": 1}))
                            .map_err(|e| LlmError::bad_request(e.to_string()))?;
                    engine::text_completion(req, &opts).await.map(|_| ())
                } else if mode == "embedding" {
                    let req = EmbeddingRequest {
                        model: d.model.clone(),
                        input: json!(["health check"]),
                        ..Default::default()
                    };
                    engine::embedding(req, &opts).await.map(|_| ())
                } else {
                    let req: ChatRequest = serde_json::from_value(json!({
                        "model": d.model,
                        "messages": [{"role": "user", "content": "ping"}],
                        "max_tokens": 1,
                    }))
                    .map_err(|e| LlmError::bad_request(e.to_string()))?;
                    engine::chat(req, &opts).await.map(|_| ())
                }
            };
            match tokio::time::timeout(Duration::from_secs_f64(timeout + 1.0), run).await {
                Ok(r) => r.err(),
                Err(_) => Some(LlmError::new(ErrorKind::Timeout, format!("health check timed out after {timeout} s"))),
            }
        }
    };
    Checked { deployment: d, error, latency_ms: started.elapsed().as_secs_f64() * 1000.0 }
}

impl Router {
    /// Checks every deployment (of `group`, or all) at once; records the results for routing.
    pub async fn health_check(&self, group: Option<&str>, defaults: Map<String, Value>) -> Vec<Checked> {
        let s = self.settings();
        let timeout =
            s.health_check_timeout.filter(|t| t.is_finite() && *t > 0.0).unwrap_or(DEFAULT_TIMEOUT_SECS).min(3600.0);
        let deployments: Vec<Arc<Deployment>> = super::read(&self.table)
            .list
            .iter()
            .filter(|d| group.is_none_or(|g| d.model_name == g))
            // a wildcard deployment has no one model to call; image, audio, rerank, ... models
            // have no check yet
            .filter(|d| !d.model.contains('*') && CHECKED_MODES.contains(&mode(d).as_str()))
            .cloned()
            .collect();
        let results =
            futures_util::future::join_all(deployments.into_iter().map(|d| check(d, defaults.clone(), timeout))).await;
        let now = now_ms();
        for r in &results {
            let transient = r.error.as_ref().is_some_and(|e| {
                s.health_check_ignore_transient_errors == Some(true)
                    && matches!(e.kind, ErrorKind::RateLimit | ErrorKind::Timeout)
            });
            if !transient {
                r.deployment.state.set_health(now, r.error.is_none());
            }
            if let Some(e) = &r.error {
                tracing::warn!(model_id = %r.deployment.id, model_name = %r.deployment.model_name, error = %e, "router: health check failed");
            }
        }
        results
    }

    /// Runs health checks every `health_check_interval` seconds in the background (the groups in
    /// `background_health_check_model_groups`, or all), while this router lives.
    pub fn start_background_health_checks(self: &Arc<Self>) {
        let s = self.settings();
        let Some(every) = s.health_check_interval.filter(|i| i.is_finite() && *i > 0.0) else {
            return;
        };
        let generation = self.health_generation.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        let weak: Weak<Router> = Arc::downgrade(self);
        crate::transport::core().rt.spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs_f64(every.max(0.05)));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(router) = weak.upgrade() else { return };
                if router.health_generation.load(std::sync::atomic::Ordering::Relaxed) != generation {
                    return; // settings changed: a newer task runs
                }
                let groups = router.settings().background_health_check_model_groups.clone();
                match groups {
                    Some(gs) => {
                        for g in gs {
                            router.health_check(Some(&g), Map::new()).await;
                        }
                    }
                    None => {
                        router.health_check(None, Map::new()).await;
                    }
                }
            }
        });
    }
}
