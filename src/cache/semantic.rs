//! Semantic caches: an answer is served for a prompt whose embedding is close enough (cosine
//! similarity at or above `similarity_threshold`) to one answered before, under the same scope
//! (the model, the other parameters and the namespace must match exactly — litellm compares
//! prompts only, so a hit could come from another model).
//!
//! Indexes: `local-semantic` (in process, bounded), `redis-semantic` and `qdrant-semantic`
//! (Qdrant's REST API: collections, points upsert / search / delete).
//!
//! `redis-semantic` asks the server on first use (per embedding size) whether it has vector
//! search (Redis Stack, RediSearch >= 2.4, Redis 8): then each entry is a hash of its own, found
//! by a KNN query of a search index (`FT.CREATE ... VECTOR HNSW ... DISTANCE_METRIC COSINE`,
//! `FT.SEARCH ... =>[KNN ...]`). A server without it (plain Redis, RediSearch 1.x, a cluster)
//! keeps each scope's entries in one hash that this client reads and compares. Either way a
//! scope holds at most `max_size_in_memory` entries (oldest dropped first).

use std::collections::HashMap;
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
    /// `search`: per embedding size, whether the server's vector search is used (asked once).
    Redis {
        url: String,
        prefix: String,
        search: Mutex<HashMap<usize, bool>>,
    },
    Qdrant {
        base: String,
        api_key: Option<String>,
        collection: String,
        ready: AtomicBool,
    },
}

pub struct SemanticIndex {
    store: Store,
    pub embedding_model: String,
    pub threshold: f64,
    max_entries: usize,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
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

/// A vector as the bytes vector search reads (little-endian f32s).
fn blob(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// The search index of the entries with `dim`-sized vectors (an index knows one size).
fn index_name(prefix: &str, dim: usize) -> String {
    format!("{prefix}idx:{dim}")
}

/// The key prefix of the entries with `dim`-sized vectors (what that size's index reads, so
/// that an index never meets another size's vectors).
fn entry_prefix(prefix: &str, dim: usize) -> String {
    format!("{prefix}d{dim}:")
}

/// Refusals that say nothing about the server's features (loading, busy, out of memory, a
/// replica, an ACL, a cluster redirect): the question is asked again later.
fn transient(refusal: &str) -> bool {
    const CODES: &[&str] = &[
        "LOADING",
        "BUSY",
        "OOM",
        "READONLY",
        "NOPERM",
        "NOAUTH",
        "MASTERDOWN",
        "TRYAGAIN",
        "CLUSTERDOWN",
        "MOVED",
        "ASK",
        "MISCONF",
    ];
    let head = refusal.trim_start_matches(|c: char| !c.is_ascii_alphanumeric());
    CODES.iter().any(|c| head.starts_with(c))
}

/// A scope as a tag value: hex, so that the query needs no escaping whatever the namespace.
fn scope_tag(scope: &str) -> String {
    crate::util::sha256_hex(scope.as_bytes())[..32].to_owned()
}

use crate::store::redis::text as reply_text;

/// Whether an `FT.INFO` reply describes an index with a vector field.
fn has_vector_field(v: &redis::Value) -> bool {
    match v {
        redis::Value::Array(items) | redis::Value::Set(items) => items.iter().any(has_vector_field),
        redis::Value::Map(pairs) => pairs.iter().any(|(k, v)| has_vector_field(k) || has_vector_field(v)),
        other => reply_text(other).is_some_and(|t| t.eq_ignore_ascii_case("VECTOR")),
    }
}

/// The fields of a RESP3 map, by name.
fn map_fields(v: &redis::Value) -> HashMap<String, String> {
    match v {
        redis::Value::Map(pairs) => pairs.iter().filter_map(|(k, v)| Some((reply_text(k)?, reply_text(v)?))).collect(),
        _ => HashMap::new(),
    }
}

/// The hits of an `FT.SEARCH` reply, each as its fields by name. RESP2: the count, then each key
/// with its fields; RESP3 (`?protocol=resp3`): a map whose `results` are maps holding the
/// fields under `extra_attributes`.
fn search_hits(reply: &redis::Value) -> Vec<HashMap<String, String>> {
    if let redis::Value::Map(top) = reply {
        let results = top.iter().find(|(k, _)| reply_text(k).as_deref() == Some("results")).map(|(_, v)| v);
        let Some(redis::Value::Array(results)) = results else { return Vec::new() };
        return results
            .iter()
            .filter_map(|r| match r {
                redis::Value::Map(pairs) => pairs
                    .iter()
                    .find(|(k, _)| reply_text(k).as_deref() == Some("extra_attributes"))
                    .map(|(_, v)| map_fields(v)),
                _ => None,
            })
            .collect();
    }
    let redis::Value::Array(items) = reply else { return Vec::new() };
    items
        .iter()
        .skip(1)
        .filter_map(|item| match item {
            redis::Value::Array(fields) => {
                Some(fields.chunks_exact(2).filter_map(|kv| Some((reply_text(&kv[0])?, reply_text(&kv[1])?))).collect())
            }
            _ => None,
        })
        .collect()
}

/// Drops the oldest members of a scope's order beyond `max`; returns them.
async fn trim_order(url: &str, order: &str, count: usize, max: usize) -> Result<Vec<String>, LlmError> {
    if count <= max {
        return Ok(Vec::new());
    }
    let extra = (count - max).to_string();
    let popped = crate::store::redis::command(url, &["ZPOPMIN", order, extra.as_str()]).await?;
    let redis::Value::Array(items) = popped else { return Ok(Vec::new()) };
    Ok(items.chunks(2).filter_map(|c| c.first().and_then(reply_text)).collect())
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
                search: Mutex::default(),
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
            Store::Redis { url, prefix, search } => {
                if self.redis_vector_search(url, prefix, search, vector.len()).await? {
                    // the nearest few of the scope, nearest first; the first fresh one above the
                    // threshold is the hit (cosine distance = 1 - similarity)
                    // (an entry's own expiry is the key's: the server drops it; s-maxage is asked of
                    // the index, so that stale neighbours do not hide a fresh one further away)
                    let k = "5";
                    let age = max_age.map_or_else(String::new, |a| format!(" @created:[{} +inf]", t - a));
                    let query = format!("(@scope:{{{}}}{age})=>[KNN {k} @vector $vec AS dist]", scope_tag(scope));
                    let name = index_name(prefix, vector.len());
                    let args: [&[u8]; 20] = [
                        b"FT.SEARCH",
                        name.as_bytes(),
                        query.as_bytes(),
                        b"PARAMS",
                        b"2",
                        b"vec",
                        &blob(vector),
                        b"SORTBY",
                        b"dist",
                        b"RETURN",
                        b"4",
                        b"dist",
                        b"response",
                        b"created",
                        b"expires",
                        b"LIMIT",
                        b"0",
                        k.as_bytes(),
                        b"DIALECT",
                        b"2",
                    ];
                    let reply = match crate::store::redis::command_or_refusal(url, &args).await? {
                        Ok(reply) => reply,
                        Err(refused) => {
                            // the index went away (FLUSHALL, FT.DROPINDEX): asked again next time
                            tracing::warn!(error = %refused, "redis-semantic: vector search refused; treated as a miss");
                            if !transient(&refused) {
                                lock(search).remove(&vector.len());
                            }
                            return Ok(None);
                        }
                    };
                    let number = |h: &HashMap<String, String>, f: &str| h.get(f).and_then(|x| x.parse::<f64>().ok());
                    let hit = search_hits(&reply).into_iter().find_map(|mut h| {
                        let similarity = 1.0 - number(&h, "dist")?;
                        (similarity >= self.threshold
                            && fresh(number(&h, "created").unwrap_or(0.0), number(&h, "expires")))
                        .then(|| h.remove("response").map(|b| (Bytes::from(b), similarity)))
                        .flatten()
                    });
                    return Ok(hit);
                }
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
            Store::Redis { url, prefix, search } => {
                let key = redis_key(prefix, scope);
                let order = format!("{key}:order");
                let id = crate::util::new_id("");
                let secs = ttl.map(|t| (t.as_secs_f64().ceil() as u64).max(1).to_string());
                if self.redis_vector_search(url, prefix, search, vector.len()).await? {
                    // an entry is a hash of its own, which the server's index finds by its vector
                    let key = redis_key(&entry_prefix(prefix, vector.len()), scope);
                    let order = format!("{key}:order");
                    let entry = format!("{key}:{id}");
                    let created_s = created.to_string();
                    let tag = scope_tag(scope);
                    let vector = blob(&vector);
                    let mut hset: Vec<&[u8]> = vec![
                        b"HSET",
                        entry.as_bytes(),
                        b"scope",
                        tag.as_bytes(),
                        b"vector",
                        &vector,
                        b"response",
                        body,
                        b"created",
                        created_s.as_bytes(),
                    ];
                    let expires_s = expires.map(|e| e.to_string());
                    if let Some(e) = &expires_s {
                        hset.extend([b"expires".as_slice(), e.as_bytes()]);
                    }
                    let mut cmds = vec![hset];
                    if let Some(secs) = &secs {
                        cmds.push(vec![b"EXPIRE", entry.as_bytes(), secs.as_bytes()]);
                    }
                    // the order is not given an expiry: entries of one scope may have different
                    // lifetimes, and an order that went before its entries could not trim them
                    // (members whose entry expired are trimmed like the others)
                    cmds.push(vec![b"ZADD", order.as_bytes(), created_s.as_bytes(), entry.as_bytes()]);
                    let at = cmds.len();
                    cmds.push(vec![b"ZCARD", order.as_bytes()]);
                    let replies = crate::store::redis::transaction(url, &cmds).await?;
                    let count = match replies.get(at) {
                        Some(redis::Value::Int(n)) => *n as usize,
                        _ => 0,
                    };
                    let mut del = vec!["DEL".to_owned()];
                    del.extend(trim_order(url, &order, count, self.max_entries).await?);
                    if del.len() > 1 {
                        crate::store::redis::command(url, &del).await?;
                    }
                    return Ok(());
                }
                let entry = json!({"v": pack(&vector), "c": created, "e": expires, "b": String::from_utf8_lossy(body)});
                let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<String>>();
                let mut cmds = vec![
                    s(&["HSET", &key, &id, &entry.to_string()]),
                    s(&["ZADD", &order, &created.to_string(), &id]),
                    s(&["ZCARD", &order]),
                ];
                if let Some(secs) = &secs {
                    // the scope lives as long as its last entry (each entry also carries its expiry)
                    cmds.push(s(&["EXPIRE", &key, secs]));
                    cmds.push(s(&["EXPIRE", &order, secs]));
                }
                let replies = crate::store::redis::transaction(url, &cmds).await?;
                let count = match replies.get(2) {
                    Some(redis::Value::Int(n)) => *n as usize,
                    _ => 0,
                };
                let mut del = s(&["HDEL", &key]);
                del.extend(trim_order(url, &order, count, self.max_entries).await?);
                if del.len() > 2 {
                    crate::store::redis::command(url, &del).await?;
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
            Store::Redis { url, prefix, .. } => {
                // (`*` before the brace: the vector entries sit under a size prefix, `d<dim>:`)
                let pattern = match namespace {
                    Some(n) => format!("{prefix}*{{{n}:*"),
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

    /// Whether entries with `dim`-sized vectors use the server's vector search: asked once per
    /// size (its index is made when missing); false for a server without it, which then keeps
    /// the bounded index this client searches. A connection failure decides nothing.
    async fn redis_vector_search(
        &self,
        url: &str,
        prefix: &str,
        search: &Mutex<HashMap<usize, bool>>,
        dim: usize,
    ) -> Result<bool, LlmError> {
        if let Some(known) = lock(search).get(&dim) {
            return Ok(*known);
        }
        use crate::store::redis::command_or_refusal;
        let name = index_name(prefix, dim);
        let busy = |refused: String| {
            LlmError::new(ErrorKind::ApiConnection, format!("redis-semantic: Redis refused for now: {refused}"))
        };
        let usable = if crate::store::redis::is_cluster(url) {
            false // a cluster's search needs a coordinator (Redis Enterprise): not assumed
        } else {
            match command_or_refusal(url, &["FT.INFO", name.as_str()]).await? {
                Ok(info) => has_vector_field(&info),
                Err(refused) if refused.to_ascii_lowercase().contains("unknown command") => false,
                Err(refused) if transient(&refused) => return Err(busy(refused)),
                Err(_) => {
                    // a search module without this index yet: make it (RediSearch 1.x refuses
                    // the vector field)
                    let dim_s = dim.to_string();
                    let entries = entry_prefix(prefix, dim);
                    let create = [
                        "FT.CREATE",
                        &name,
                        "ON",
                        "HASH",
                        "PREFIX",
                        "1",
                        &entries,
                        "SCHEMA",
                        "scope",
                        "TAG",
                        "created",
                        "NUMERIC",
                        "vector",
                        "VECTOR",
                        "HNSW",
                        "6",
                        "TYPE",
                        "FLOAT32",
                        "DIM",
                        &dim_s,
                        "DISTANCE_METRIC",
                        "COSINE",
                    ];
                    match command_or_refusal(url, &create).await? {
                        Ok(_) => true,
                        Err(refused) if refused.to_ascii_lowercase().contains("already exists") => true,
                        Err(refused) if transient(&refused) => return Err(busy(refused)),
                        Err(refused) => {
                            tracing::warn!(
                                error = %refused,
                                "redis-semantic: the server's search has no vector fields; keeping a bounded index searched by this client"
                            );
                            false
                        }
                    }
                }
            }
        };
        lock(search).insert(dim, usable);
        Ok(usable)
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

    #[test]
    fn search_replies_are_read_by_field() {
        use redis::Value as V;
        let b = |s: &str| V::BulkString(s.as_bytes().to_vec());
        // FT.SEARCH in RESP2: the count, then each key and its fields
        let reply = V::Array(vec![
            V::Int(2),
            b("k1"),
            V::Array(vec![b("dist"), b("0.02"), b("response"), b("{}"), b("created"), b("17")]),
            b("k2"),
            V::Array(vec![b("dist"), b("0.5")]),
        ]);
        let hits = search_hits(&reply);
        assert_eq!(hits.len(), 2);
        assert_eq!(hits[0]["dist"], "0.02");
        assert_eq!(hits[0]["created"], "17");
        assert!(!hits[1].contains_key("response"));
        assert!(search_hits(&V::Nil).is_empty());
        // FT.INFO: a vector field somewhere in the attributes
        let info = |t: &str| V::Array(vec![b("attributes"), V::Array(vec![V::Array(vec![b("type"), b(t)])])]);
        assert!(has_vector_field(&info("VECTOR")));
        assert!(!has_vector_field(&info("TAG")));
    }

    #[test]
    fn resp3_search_replies_are_read_too() {
        use redis::Value as V;
        let b = |s: &str| V::BulkString(s.as_bytes().to_vec());
        let hit = V::Map(vec![
            (b("id"), b("k1")),
            (b("extra_attributes"), V::Map(vec![(b("dist"), b("0.01")), (b("response"), b("{}"))])),
        ]);
        let reply = V::Map(vec![(b("total_results"), V::Int(1)), (b("results"), V::Array(vec![hit]))]);
        let hits = search_hits(&reply);
        assert_eq!(hits.len(), 1);
        assert_eq!((hits[0]["dist"].as_str(), hits[0]["response"].as_str()), ("0.01", "{}"));
    }

    #[test]
    fn passing_refusals_are_told_from_missing_features() {
        assert!(transient("LOADING Redis is loading the dataset in memory"));
        assert!(transient("\"READONLY\": You can't write against a read only replica."));
        assert!(!transient("Unknown Index name"));
        assert!(!transient("Could not parse field spec"));
        assert!(!transient("ERR unknown command 'FT.INFO'"));
    }

    #[test]
    fn scope_tags_need_no_escaping() {
        let tag = scope_tag("team a/b:{x}|y");
        assert_eq!(tag.len(), 32);
        assert!(tag.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(tag, scope_tag("team a/b:{x}|z"));
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
