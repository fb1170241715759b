//! Semantic caches: an answer is served for a prompt whose embedding is close enough (cosine
//! similarity at or above `similarity_threshold`) to one answered before, under the same scope
//! (the model, the other parameters and the namespace must match exactly — litellm compares
//! prompts only, so a hit could come from another model).
//!
//! Indexes: `local-semantic` (in process, bounded), `redis-semantic` (a bounded index per scope
//! kept in Redis hashes, searched by this client: plain Redis has no vector search) and
//! `qdrant-semantic` (Qdrant's REST API: collections, points upsert / search / delete).

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use serde_json::{Value, json};

use crate::engine::{self, CallOptions};
use crate::error::{ErrorKind, LlmError};
use crate::providers::HttpRequest;
use crate::types::EmbeddingRequest;

/// litellm's default embedding model for semantic caches.
pub const DEFAULT_EMBEDDING_MODEL: &str = "text-embedding-ada-002";
/// Entries kept per scope (local and Redis indexes).
pub const DEFAULT_MAX_ENTRIES: usize = 1000;
const QDRANT_TIMEOUT: Duration = Duration::from_secs(10);

struct LocalEntry {
    scope: String,
    vector: Vec<f32>,
    body: Bytes,
    created: f64,
    expires: Option<f64>,
}

enum Store {
    Local(Mutex<Vec<LocalEntry>>),
    Redis { url: String, prefix: String },
    Qdrant { base: String, api_key: Option<String>, collection: String, ready: AtomicBool },
}

pub struct SemanticIndex {
    store: Store,
    pub embedding_model: String,
    pub threshold: f64,
    max_entries: usize,
}

fn now() -> f64 {
    crate::callbacks::payload::now()
}

fn unit(mut v: Vec<f32>) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
    v
}

/// A vector as base64 of its little-endian f32s (a quarter of its JSON size in Redis).
fn pack(v: &[f32]) -> String {
    use base64::Engine;
    let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn unpack(s: &str) -> Vec<f32> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD.decode(s).unwrap_or_default();
    bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
}

fn dot(a: &[f32], b: &[f32]) -> f64 {
    a.iter().zip(b).map(|(x, y)| f64::from(*x) * f64::from(*y)).sum()
}

/// The text of a request the embedding is made of: message contents (text parts of multimodal
/// ones), or a text completion's prompt.
pub fn prompt_text(request: &Value) -> Option<String> {
    fn text_of(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) => out.push(s.clone()),
            Value::Array(parts) => parts.iter().for_each(|p| match p {
                Value::Object(o) => {
                    if let Some(Value::String(t)) = o.get("text") {
                        out.push(t.clone());
                    }
                }
                other => text_of(other, out),
            }),
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Some(Value::Array(messages)) = request.get("messages") {
        for m in messages {
            if let Some(c) = m.get("content") {
                text_of(c, &mut out);
            }
        }
    } else if let Some(p) = request.get("prompt") {
        text_of(p, &mut out);
    }
    let text = out.join("\n");
    (!text.trim().is_empty()).then_some(text)
}

/// A scope's hash in Redis; the scope is a hash tag, so that its entries and their order (one
/// transaction) share a cluster slot.
fn redis_key(prefix: &str, scope: &str) -> String {
    format!("{prefix}{{{scope}}}")
}

fn qdrant_error(what: &str, status: u16, body: &[u8]) -> LlmError {
    LlmError::new(
        ErrorKind::ApiConnection,
        format!("qdrant {what} failed ({status}): {}", crate::error::extract_message(&String::from_utf8_lossy(body))),
    )
}

impl SemanticIndex {
    /// `kind` is `local-semantic`, `redis-semantic` or `qdrant-semantic`.
    pub fn new(kind: &str, c: &super::CacheConfig) -> Result<Self, String> {
        let threshold = c.similarity_threshold.ok_or("a semantic cache needs similarity_threshold (0..1)")?;
        if !(0.0..=1.0).contains(&threshold) {
            return Err(format!("similarity_threshold must be within 0..1, not {threshold}"));
        }
        let store = match kind {
            "local-semantic" => Store::Local(Mutex::default()),
            "redis-semantic" => Store::Redis {
                url: c.redis_url.clone().ok_or("a redis-semantic cache needs a Redis URL (host/port or redis_url)")?,
                prefix: format!(
                    "litellm_rs:semantic:{}:",
                    c.redis_semantic_cache_index_name.as_deref().unwrap_or("litellm_semantic_cache_index")
                ),
            },
            "qdrant-semantic" => Store::Qdrant {
                base: c
                    .qdrant_api_base
                    .clone()
                    .ok_or("a qdrant-semantic cache needs qdrant_api_base (or QDRANT_API_BASE)")?
                    .trim_end_matches('/')
                    .to_owned(),
                api_key: c.qdrant_api_key.clone(),
                collection: c
                    .qdrant_collection_name
                    .clone()
                    .ok_or("a qdrant-semantic cache needs qdrant_collection_name")?,
                ready: AtomicBool::new(false),
            },
            other => return Err(format!("unknown semantic cache type {other:?}")),
        };
        Ok(Self {
            store,
            embedding_model: c.semantic_embedding_model.clone().unwrap_or_else(|| DEFAULT_EMBEDDING_MODEL.to_owned()),
            threshold,
            max_entries: c.max_size_in_memory.map_or(DEFAULT_MAX_ENTRIES, |n| n.max(1) as usize),
        })
    }

    /// The unit-length embedding of `text` (the call's module keys and TLS setting apply).
    pub async fn embed(&self, text: &str, call: &CallOptions) -> Result<Vec<f32>, LlmError> {
        let opts = CallOptions {
            provider_keys: call.provider_keys.clone(),
            ssl_verify: call.ssl_verify.clone(),
            caching: Some(false),
            ..CallOptions::default()
        };
        let req = EmbeddingRequest { model: self.embedding_model.clone(), input: json!(text), ..Default::default() };
        // not through the response cache (the embedding of a prompt is not an answer to cache)
        let (resp, _) = engine::embedding_uncached(req, &opts).await?;
        let vector: Vec<f32> = resp
            .data
            .first()
            .and_then(|d| d.get("embedding"))
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_f64).map(|x| x as f32).collect())
            .unwrap_or_default();
        if vector.is_empty() {
            return Err(LlmError::new(ErrorKind::ResponseValidation, "the embedding model returned no vector"));
        }
        Ok(unit(vector))
    }

    /// The closest stored answer of `scope` at or above the threshold (and younger than
    /// `max_age` seconds when given), with its similarity.
    pub async fn search(
        &self,
        scope: &str,
        vector: &[f32],
        max_age: Option<f64>,
    ) -> Result<Option<(Bytes, f64)>, LlmError> {
        let t = now();
        let fresh = |created: f64, expires: Option<f64>| {
            expires.is_none_or(|e| t <= e) && max_age.is_none_or(|age| t - created <= age)
        };
        match &self.store {
            Store::Local(entries) => {
                let entries = entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                let best = entries
                    .iter()
                    .filter(|e| e.scope == scope && fresh(e.created, e.expires))
                    .map(|e| (e, dot(&e.vector, vector)))
                    .filter(|(_, s)| *s >= self.threshold)
                    .max_by(|a, b| a.1.total_cmp(&b.1));
                Ok(best.map(|(e, s)| (e.body.clone(), s)))
            }
            Store::Redis { url, prefix } => {
                let key = redis_key(prefix, scope);
                let reply = crate::store::redis::command(url, &["HVALS".to_owned(), key]).await?;
                let redis::Value::Array(items) = reply else { return Ok(None) };
                let mut best: Option<(Bytes, f64)> = None;
                for item in items {
                    let redis::Value::BulkString(raw) = item else { continue };
                    let Ok(e) = serde_json::from_slice::<Value>(&raw) else { continue };
                    let created = e["c"].as_f64().unwrap_or(0.0);
                    if !fresh(created, e["e"].as_f64()) {
                        continue;
                    }
                    let v = e["v"].as_str().map(unpack).unwrap_or_default();
                    let s = dot(&v, vector);
                    if s >= self.threshold && best.as_ref().is_none_or(|(_, b)| s > *b) {
                        best = e["b"].as_str().map(|b| (Bytes::from(b.to_owned()), s));
                    }
                }
                Ok(best)
            }
            Store::Qdrant { collection, .. } => {
                if !self.qdrant_ready(vector.len()).await? {
                    return Ok(None);
                }
                let body = json!({
                    "vector": vector,
                    "limit": 5,
                    "with_payload": true,
                    "score_threshold": self.threshold,
                    "filter": {"must": [{"key": "scope", "match": {"value": scope}}]},
                });
                let raw = self.qdrant("POST", &format!("/collections/{collection}/points/search"), Some(body)).await?;
                if raw.status == 404 {
                    // the collection went away (another process cleared it): made again on the next write
                    self.qdrant_gone();
                    return Ok(None);
                }
                if !(200..300).contains(&raw.status) {
                    return Err(qdrant_error("search", raw.status, &raw.body));
                }
                let v: Value = serde_json::from_slice(&raw.body).unwrap_or(Value::Null);
                let hit = v["result"].as_array().into_iter().flatten().find_map(|p| {
                    let score = p["score"].as_f64()?;
                    let payload = &p["payload"];
                    (score >= self.threshold
                        && fresh(payload["created"].as_f64().unwrap_or(0.0), payload["expires"].as_f64()))
                    .then(|| payload["response"].as_str().map(|b| (Bytes::from(b.to_owned()), score)))
                    .flatten()
                });
                Ok(hit)
            }
        }
    }

    /// Stores an answer (JSON) under `scope` with its prompt's embedding; `namespace` lets a
    /// later `clear(namespace)` find it.
    pub async fn insert(
        &self,
        scope: &str,
        namespace: Option<&str>,
        vector: Vec<f32>,
        body: &[u8],
        ttl: Option<Duration>,
    ) -> Result<(), LlmError> {
        let created = now();
        let expires = ttl.map(|t| created + t.as_secs_f64());
        match &self.store {
            Store::Local(entries) => {
                let mut entries = entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                entries.retain(|e| e.expires.is_none_or(|x| created <= x));
                let in_scope = entries.iter().filter(|e| e.scope == scope).count();
                if in_scope >= self.max_entries
                    && let Some(oldest) = entries.iter().position(|e| e.scope == scope)
                {
                    entries.remove(oldest);
                }
                entries.push(LocalEntry {
                    scope: scope.to_owned(),
                    vector,
                    body: Bytes::copy_from_slice(body),
                    created,
                    expires,
                });
                Ok(())
            }
            Store::Redis { url, prefix } => {
                let key = redis_key(prefix, scope);
                let order = format!("{key}:order");
                let id = crate::util::new_id("");
                let entry = json!({"v": pack(&vector), "c": created, "e": expires, "b": String::from_utf8_lossy(body)});
                let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<String>>();
                let mut cmds = vec![
                    s(&["HSET", &key, &id, &entry.to_string()]),
                    s(&["ZADD", &order, &created.to_string(), &id]),
                    s(&["ZCARD", &order]),
                ];
                if let Some(t) = ttl {
                    // the scope lives as long as its last entry (each entry also carries its expiry)
                    let secs = (t.as_secs_f64().ceil() as u64).max(1).to_string();
                    cmds.push(s(&["EXPIRE", &key, &secs]));
                    cmds.push(s(&["EXPIRE", &order, &secs]));
                }
                let replies = crate::store::redis::transaction(url, &cmds).await?;
                let count = match replies.get(2) {
                    Some(redis::Value::Int(n)) => *n as usize,
                    _ => 0,
                };
                if count > self.max_entries {
                    let extra = (count - self.max_entries).to_string();
                    let popped = crate::store::redis::command(url, &s(&["ZPOPMIN", &order, &extra])).await?;
                    if let redis::Value::Array(items) = popped {
                        let mut del = s(&["HDEL", &key]);
                        del.extend(items.chunks(2).filter_map(|c| match c.first() {
                            Some(redis::Value::BulkString(b)) => String::from_utf8(b.clone()).ok(),
                            _ => None,
                        }));
                        if del.len() > 2 {
                            crate::store::redis::command(url, &del).await?;
                        }
                    }
                }
                Ok(())
            }
            Store::Qdrant { collection, .. } => {
                self.qdrant_ready(vector.len()).await?;
                let point = json!({
                    "id": crate::callbacks::payload::uuid(),
                    "vector": vector,
                    "payload": {
                        "scope": scope,
                        "namespace": namespace.unwrap_or(""),
                        "response": String::from_utf8_lossy(body),
                        "created": created,
                        "expires": expires,
                    },
                });
                let path = format!("/collections/{collection}/points?wait=true");
                let body = json!({"points": [point]});
                let mut raw = self.qdrant("PUT", &path, Some(body.clone())).await?;
                if raw.status == 404 {
                    // the collection went away (another process cleared it): make it again, once
                    self.qdrant_gone();
                    self.qdrant_ready(vector.len()).await?;
                    raw = self.qdrant("PUT", &path, Some(body)).await?;
                }
                if !(200..300).contains(&raw.status) {
                    return Err(qdrant_error("upsert", raw.status, &raw.body));
                }
                Ok(())
            }
        }
    }

    /// Drops the entries of `namespace` (None: all of this index).
    pub async fn clear(&self, namespace: Option<&str>) -> Result<(), LlmError> {
        match &self.store {
            Store::Local(entries) => {
                let prefix = namespace.map(|n| format!("{n}:"));
                entries
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .retain(|e| prefix.as_ref().is_some_and(|p| !e.scope.starts_with(p.as_str())));
                Ok(())
            }
            Store::Redis { url, prefix } => {
                let pattern = match namespace {
                    Some(n) => format!("{prefix}{{{n}:*"),
                    None => format!("{prefix}*"),
                };
                crate::store::redis::delete_matching(url, &pattern).await
            }
            Store::Qdrant { collection, .. } => {
                let (method, path, body) = match namespace {
                    Some(n) => (
                        "POST",
                        format!("/collections/{collection}/points/delete?wait=true"),
                        Some(json!({"filter": {"must": [{"key": "namespace", "match": {"value": n}}]}})),
                    ),
                    None => ("DELETE", format!("/collections/{collection}"), None),
                };
                let raw = self.qdrant(method, &path, body).await?;
                if !(200..300).contains(&raw.status) && raw.status != 404 {
                    return Err(qdrant_error("delete", raw.status, &raw.body));
                }
                if let Store::Qdrant { ready, .. } = &self.store
                    && namespace.is_none()
                {
                    // the collection is gone: the next write creates it again
                    ready.store(false, Ordering::Relaxed);
                }
                Ok(())
            }
        }
    }

    async fn qdrant(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Result<crate::transport::RawResponse, LlmError> {
        let Store::Qdrant { base, api_key, .. } = &self.store else {
            return Err(LlmError::bad_request("not a qdrant cache"));
        };
        let mut headers = vec![("content-type".to_owned(), "application/json".to_owned())];
        if let Some(k) = api_key {
            headers.push(("api-key".to_owned(), k.clone()));
        }
        let req = HttpRequest {
            url: format!("{base}{path}"),
            headers,
            body: body.map(|b| Bytes::from(b.to_string())).unwrap_or_default(),
        };
        crate::transport::send_with(method, &req, QDRANT_TIMEOUT, true).await.map_err(|e| e.redact(api_key.as_deref()))
    }

    fn qdrant_gone(&self) {
        if let Store::Qdrant { ready, .. } = &self.store {
            ready.store(false, Ordering::Relaxed);
        }
    }

    /// Creates the collection (cosine distance, `dim` dimensions) when it does not exist; false
    /// when it did not exist before a search (nothing to find).
    async fn qdrant_ready(&self, dim: usize) -> Result<bool, LlmError> {
        let Store::Qdrant { collection, ready, .. } = &self.store else { return Ok(true) };
        if ready.load(Ordering::Relaxed) {
            return Ok(true);
        }
        let raw = self.qdrant("GET", &format!("/collections/{collection}"), None).await?;
        if raw.status == 200 {
            ready.store(true, Ordering::Relaxed);
            return Ok(true);
        }
        let create = json!({"vectors": {"size": dim, "distance": "Cosine"}});
        let raw = self.qdrant("PUT", &format!("/collections/{collection}"), Some(create)).await?;
        // 409: another process created it first
        if !(200..300).contains(&raw.status) && raw.status != 409 {
            return Err(qdrant_error("create collection", raw.status, &raw.body));
        }
        let index = json!({"field_name": "scope", "field_schema": "keyword"});
        let _ = self.qdrant("PUT", &format!("/collections/{collection}/index?wait=true"), Some(index)).await;
        ready.store(true, Ordering::Relaxed);
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_are_the_message_texts() {
        let r = json!({"messages": [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": [{"type": "text", "text": "hi"}, {"type": "image_url", "image_url": {"url": "x"}}]},
        ]});
        assert_eq!(prompt_text(&r).as_deref(), Some("be brief\nhi"));
        assert_eq!(prompt_text(&json!({"prompt": ["a", "b"]})).as_deref(), Some("a\nb"));
        assert_eq!(prompt_text(&json!({"messages": [{"role": "user", "content": " "}]})), None);
    }

    #[tokio::test]
    async fn the_local_index_returns_the_closest_above_the_threshold_in_scope() {
        let c = super::super::CacheConfig {
            similarity_threshold: Some(0.9),
            max_size_in_memory: Some(2),
            ..Default::default()
        };
        let idx = SemanticIndex::new("local-semantic", &c).unwrap();
        idx.insert("s", None, unit(vec![1.0, 0.0]), b"east", None).await.unwrap();
        idx.insert("s", None, unit(vec![0.0, 1.0]), b"north", None).await.unwrap();
        let near_east = unit(vec![1.0, 0.2]);
        let (body, sim) = idx.search("s", &near_east, None).await.unwrap().unwrap();
        assert_eq!((&body[..], sim > 0.9), (&b"east"[..], true));
        assert!(idx.search("other", &near_east, None).await.unwrap().is_none());
        assert!(idx.search("s", &unit(vec![1.0, 1.0]), None).await.unwrap().is_none()); // 0.707 < 0.9
        // bounded: a third entry in the scope drops the oldest
        idx.insert("s", None, unit(vec![-1.0, 0.0]), b"west", None).await.unwrap();
        assert!(idx.search("s", &near_east, None).await.unwrap().is_none());
    }
}
