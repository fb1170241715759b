//! The response cache: answers stored by a hash of the request, in process (moka) or in Redis
//! (shared by every process). A cache never fails a call: a slow or unreachable Redis is a miss
//! within a bounded delay (and a warning), and writes happen after the answer is returned.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Map, Value};

mod s3;
pub mod semantic;

use crate::engine::CallOptions;
use crate::util::sha256_hex;
use semantic::SemanticIndex;

/// How long a Redis lookup may take before the call goes on as a miss.
const REDIS_WAIT: Duration = Duration::from_millis(500);
/// How long a semantic lookup (the prompt's embedding, then the search) may take.
const SEMANTIC_WAIT: Duration = Duration::from_secs(5);

/// The cache's settings (litellm's `Cache(...)` parameters that apply to it).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CacheConfig {
    /// `local` or `redis`.
    #[serde(rename = "type")]
    pub kind: String,
    pub redis_url: Option<String>,
    pub namespace: Option<String>,
    /// Seconds an entry lives (None: until evicted).
    pub ttl: Option<f64>,
    /// `default_on` (every call unless `caching=False`) or `default_off` (only calls that ask).
    pub mode: Option<String>,
    /// The call types served (`completion`, `acompletion`, `embedding`, ...); None: all.
    pub supported_call_types: Option<Vec<String>>,
    /// Most entries kept in process.
    pub max_size_in_memory: Option<u64>,
    /// `disk`: the folder of the entries (one file each).
    pub disk_cache_dir: Option<String>,
    /// Semantic caches: the similarity a hit needs (0..1), the embedding model, the Redis index
    /// name, and Qdrant's endpoint, key and collection.
    pub similarity_threshold: Option<f64>,
    pub semantic_embedding_model: Option<String>,
    pub redis_semantic_cache_index_name: Option<String>,
    pub qdrant_api_base: Option<String>,
    pub qdrant_api_key: Option<String>,
    pub qdrant_collection_name: Option<String>,
    /// `s3`: the bucket, region, endpoint (any S3-compatible store), key prefix, credentials
    /// (else the AWS environment or profile) and certificate verification.
    pub s3_bucket_name: Option<String>,
    pub s3_region_name: Option<String>,
    pub s3_endpoint_url: Option<String>,
    pub s3_path: Option<String>,
    pub s3_aws_access_key_id: Option<String>,
    pub s3_aws_secret_access_key: Option<String>,
    pub s3_aws_session_token: Option<String>,
    pub s3_profile_name: Option<String>,
    pub s3_verify: Option<bool>,
}

impl CacheConfig {
    /// The settings of litellm's `Cache(...)` parameters as a proxy's `cache_params` gives them:
    /// `type` (default `local`), `host` / `port` / `password` / `username` or `url` / `redis_url`
    /// (else `REDIS_URL`, or `REDIS_HOST` / `REDIS_PORT` / `REDIS_PASSWORD`), `redis_startup_nodes`
    /// (a cluster), `namespace`, `ttl` (else `default_in_redis_ttl` / `default_in_memory_ttl`),
    /// `mode`, `supported_call_types`, `max_size_in_memory`, `disk_cache_dir`, the semantic
    /// caches' `similarity_threshold` and embedding model, Qdrant's and S3's settings.
    pub fn from_params(p: &Map<String, Value>) -> Result<Self, String> {
        let text = |k: &str| match p.get(k) {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        let number = |k: &str| -> Result<Option<f64>, String> {
            match p.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::Number(n)) => Ok(n.as_f64()),
                Some(Value::String(s)) => {
                    s.trim().parse().map(Some).map_err(|_| format!("cache_params.{k}: {s:?} is not a number"))
                }
                Some(v) => Err(format!("cache_params.{k}: {v} is not a number")),
            }
        };
        let kind = text("type").unwrap_or_else(|| "local".into());
        let redis = matches!(kind.as_str(), "redis" | "redis-semantic");
        let mut c = Self {
            kind: kind.clone(),
            namespace: text("namespace"),
            mode: text("mode"),
            disk_cache_dir: text("disk_cache_dir"),
            similarity_threshold: number("similarity_threshold")?,
            redis_semantic_cache_index_name: text("redis_semantic_cache_index_name"),
            qdrant_api_base: text("qdrant_api_base")
                .or_else(|| crate::util::env_var("QDRANT_API_BASE"))
                .or_else(|| crate::util::env_var("QDRANT_URL")),
            qdrant_api_key: text("qdrant_api_key").or_else(|| crate::util::env_var("QDRANT_API_KEY")),
            qdrant_collection_name: text("qdrant_collection_name"),
            s3_bucket_name: text("s3_bucket_name"),
            s3_region_name: text("s3_region_name"),
            s3_endpoint_url: text("s3_endpoint_url"),
            s3_path: text("s3_path"),
            s3_aws_access_key_id: text("s3_aws_access_key_id"),
            s3_aws_secret_access_key: text("s3_aws_secret_access_key"),
            s3_aws_session_token: text("s3_aws_session_token"),
            s3_profile_name: text("s3_profile_name"),
            s3_verify: p.get("s3_verify").map(|v| v != &Value::Bool(false)),
            ..Self::default()
        };
        if let Some(m) = &c.mode
            && m != "default_on"
            && m != "default_off"
        {
            return Err(format!("cache_params.mode must be default_on or default_off, not {m:?}"));
        }
        c.ttl = match number("ttl")? {
            Some(t) => Some(t),
            None if redis => number("default_in_redis_ttl")?,
            None => number("default_in_memory_ttl")?,
        };
        c.max_size_in_memory = number("max_size_in_memory")?.map(|n| n as u64);
        if let Some(types) = p.get("supported_call_types").and_then(Value::as_array) {
            c.supported_call_types = Some(types.iter().filter_map(Value::as_str).map(str::to_owned).collect());
        }
        c.semantic_embedding_model = text("semantic_cache_embedding_model")
            .or_else(|| text("redis_semantic_cache_embedding_model").filter(|_| kind == "redis-semantic"))
            .or_else(|| text("qdrant_semantic_cache_embedding_model").filter(|_| kind == "qdrant-semantic"));
        if kind.ends_with("-semantic") && c.similarity_threshold.is_none() {
            return Err(format!("a {kind} cache needs cache_params.similarity_threshold (0..1)"));
        }
        if redis {
            let password = text("password").or_else(|| crate::util::env_var("REDIS_PASSWORD"));
            let user = text("username").or_else(|| crate::util::env_var("REDIS_USERNAME"));
            let auth = match (&user, &password) {
                (_, None) => String::new(),
                (None, Some(pw)) => format!(":{}@", crate::util::percent_encode(pw)),
                (Some(u), Some(pw)) => {
                    format!("{}:{}@", crate::util::percent_encode(u), crate::util::percent_encode(pw))
                }
            };
            let nodes = p.get("redis_startup_nodes").and_then(Value::as_array).filter(|n| !n.is_empty());
            c.redis_url = if let Some(nodes) = nodes {
                let hosts: Vec<String> = nodes
                    .iter()
                    .map(|n| {
                        let port = n
                            .get("port")
                            .map_or("6379".to_owned(), |p| p.as_str().map_or(p.to_string(), str::to_owned));
                        format!("{}:{port}", n.get("host").and_then(Value::as_str).unwrap_or("127.0.0.1"))
                    })
                    .collect();
                Some(format!("redis-cluster://{auth}{}", hosts.join(",")))
            } else if let Some(url) = text("url").or_else(|| text("redis_url")) {
                Some(url)
            } else if let Some(host) = text("host").or_else(|| crate::util::env_var("REDIS_HOST")) {
                let port = text("port").or_else(|| crate::util::env_var("REDIS_PORT")).unwrap_or_else(|| "6379".into());
                let scheme = if p.get("ssl").and_then(Value::as_bool) == Some(true) { "rediss" } else { "redis" };
                Some(format!("{scheme}://{auth}{host}:{port}"))
            } else {
                crate::util::env_var("REDIS_URL")
            };
            if c.redis_url.is_none() {
                return Err(format!(
                    "a {kind} cache needs cache_params host (and port, password), url, or REDIS_HOST / REDIS_URL"
                ));
            }
        }
        Ok(c)
    }
}

enum Backend {
    Local(moka::sync::Cache<String, Entry>),
    Redis(String),
    Disk(std::path::PathBuf),
    Semantic(SemanticIndex),
    S3(s3::S3Store),
}

#[derive(Clone)]
struct Entry {
    data: Bytes,
    ttl: Option<Duration>,
}

struct EntryExpiry;

impl moka::Expiry<String, Entry> for EntryExpiry {
    fn expire_after_create(&self, _: &String, value: &Entry, _: Instant) -> Option<Duration> {
        value.ttl
    }
}

/// A configured cache.
pub struct ResponseCache {
    backend: Backend,
    config: CacheConfig,
}

static ACTIVE: RwLock<Option<Arc<ResponseCache>>> = RwLock::new(None);

/// Makes `cache` the process's cache (None turns caching off).
pub fn set_active(cache: Option<Arc<ResponseCache>>) {
    if let Ok(mut g) = ACTIVE.write() {
        *g = cache;
    }
}

fn active() -> Option<Arc<ResponseCache>> {
    ACTIVE.read().ok().and_then(|g| g.clone())
}

fn seconds(v: Option<f64>) -> Option<Duration> {
    v.filter(|s| s.is_finite() && *s > 0.0).map(|s| Duration::from_secs_f64(s.min(10.0 * 365.0 * 86_400.0)))
}

fn now() -> f64 {
    crate::callbacks::payload::now()
}

impl ResponseCache {
    pub fn new(config: CacheConfig) -> Result<Self, String> {
        let backend = match config.kind.as_str() {
            "" | "local" => Backend::Local(
                moka::sync::Cache::builder()
                    .max_capacity(config.max_size_in_memory.unwrap_or(10_000))
                    .expire_after(EntryExpiry)
                    .build(),
            ),
            "redis" => Backend::Redis(
                config
                    .redis_url
                    .clone()
                    .ok_or_else(|| "a redis cache needs a URL (host/port or redis_url)".to_owned())?,
            ),
            "disk" => {
                let dir =
                    std::path::PathBuf::from(config.disk_cache_dir.clone().unwrap_or_else(|| ".litellm_cache".into()));
                std::fs::create_dir_all(&dir)
                    .map_err(|e| format!("cannot create the cache folder {}: {e}", dir.display()))?;
                Backend::Disk(dir)
            }
            "s3" => Backend::S3(s3::S3Store::new(s3::S3Settings {
                bucket: config.s3_bucket_name.clone().unwrap_or_default(),
                region: config.s3_region_name.clone(),
                endpoint: config.s3_endpoint_url.clone(),
                path: config.s3_path.clone(),
                access_key_id: config.s3_aws_access_key_id.clone(),
                secret_access_key: config.s3_aws_secret_access_key.clone(),
                session_token: config.s3_aws_session_token.clone(),
                profile_name: config.s3_profile_name.clone(),
                verify: config.s3_verify.unwrap_or(true),
            })?),
            kind @ ("local-semantic" | "redis-semantic" | "qdrant-semantic") => {
                Backend::Semantic(SemanticIndex::new(kind, &config)?)
            }
            other => {
                return Err(format!(
                    "cache type {other:?} is not supported yet (use \"local\", \"redis\", \"disk\", \"local-semantic\", \"redis-semantic\" or \"qdrant-semantic\")"
                ));
            }
        };
        Ok(Self { backend, config })
    }

    /// The key of a request: the namespace, then the SHA-256 of the call type family and every
    /// request field that shapes the answer (not `stream`, `stream_options` or `metadata`).
    pub fn key(&self, call_type: &str, request: &Value, namespace: Option<&str>) -> String {
        cache_key(call_type, request, namespace.or(self.config.namespace.as_deref()))
    }

    async fn get(&self, key: &str, max_age: Option<f64>) -> Option<Bytes> {
        let stored = match &self.backend {
            Backend::Local(c) => c.get(key).map(|e| e.data),
            Backend::Redis(url) => {
                let cmd = vec!["GET".to_owned(), key.to_owned()];
                bounded(REDIS_WAIT, async {
                    Ok(match crate::store::redis::command(url, &cmd).await? {
                        redis::Value::BulkString(b) => Some(Bytes::from(b)),
                        _ => None,
                    })
                })
                .await
            }
            Backend::Disk(dir) => std::fs::read(dir.join(disk_name(key))).ok().map(Bytes::from),
            Backend::Semantic(_) => None, // looked up by meaning (CallCache::lookup)
            Backend::S3(store) => bounded(s3::TIMEOUT, store.get(key)).await,
        }?;
        let (created, expires, body) = split_entry(&stored)?;
        if expires.is_some_and(|t| now() > t) {
            if let Backend::Disk(dir) = &self.backend {
                let _ = std::fs::remove_file(dir.join(disk_name(key)));
            }
            return None;
        }
        if max_age.is_some_and(|age| now() - created > age) {
            return None;
        }
        Some(stored.slice(body..))
    }

    fn put(self: &Arc<Self>, key: String, body: &[u8], ttl: Option<f64>) {
        let ttl = seconds(ttl.or(self.config.ttl));
        let created = now();
        let mut data = Vec::with_capacity(body.len() + 48);
        data.extend_from_slice(created.to_string().as_bytes());
        if let (Backend::Disk(_) | Backend::S3(_), Some(t)) = (&self.backend, ttl) {
            // files and objects have no expiry of their own: the entry carries it
            data.push(b' ');
            data.extend_from_slice((created + t.as_secs_f64()).to_string().as_bytes());
        }
        data.push(b'\n');
        data.extend_from_slice(body);
        match &self.backend {
            Backend::Disk(dir) => {
                let path = dir.join(disk_name(&key));
                let tmp = dir.join(format!(".{}.{}.tmp", disk_name(&key), fastrand::u64(..)));
                if let Err(e) = std::fs::write(&tmp, &data).and_then(|()| std::fs::rename(&tmp, &path)) {
                    let _ = std::fs::remove_file(&tmp);
                    tracing::warn!(error = %e, "cache write failed");
                }
            }
            Backend::Local(c) => c.insert(key, Entry { data: Bytes::from(data), ttl }),
            Backend::Semantic(_) => {} // stored with its embedding (CallCache::store)
            Backend::S3(_) => {
                let cache = self.clone();
                crate::transport::core().rt.spawn(async move {
                    let Backend::S3(store) = &cache.backend else { return };
                    if let Err(e) = store.put(&key, Bytes::from(data)).await {
                        tracing::warn!(error = %e, "cache write failed");
                    }
                });
            }
            Backend::Redis(url) => {
                let url = url.clone();
                let value = String::from_utf8_lossy(&data).into_owned();
                let mut cmd = vec!["SET".to_owned(), key, value];
                if let Some(t) = ttl {
                    cmd.extend(["PX".to_owned(), t.as_millis().max(1).to_string()]);
                }
                crate::transport::core().rt.spawn(async move {
                    if let Err(e) = crate::store::redis::command(&url, &cmd).await {
                        tracing::warn!(error = %e, "cache write failed");
                    }
                });
            }
        }
    }

    /// Stores `response` (JSON) as the answer to `request` (a call of `call_type`), as a finished
    /// call would: warm-up from recorded pairs. A semantic cache embeds the prompt first (`opts`
    /// gives the module keys for that call).
    pub async fn insert(
        self: &Arc<Self>,
        call_type: &str,
        request: &Value,
        response: &Value,
        namespace: Option<&str>,
        opts: &CallOptions,
    ) -> Result<String, crate::LlmError> {
        let key = self.key(call_type, request, namespace);
        let body = serde_json::to_vec(response).map_err(|e| crate::LlmError::bad_request(e.to_string()))?;
        if let Backend::Semantic(index) = &self.backend {
            let namespace = namespace.or(self.config.namespace.as_deref());
            let Some((prompt, scope)) = semantic_parts(call_type, request, namespace) else {
                return Err(crate::LlmError::bad_request(
                    "a semantic cache stores chat and text completions with a prompt",
                ));
            };
            let vector = index.embed(&prompt, opts).await?;
            index.insert(&scope, namespace, vector, &body, seconds(self.config.ttl)).await?;
            return Ok(key);
        }
        self.put(key.clone(), &body, None);
        Ok(key)
    }

    /// Drops the entries of `namespace` (None: this cache's own namespace; with no namespace at
    /// all, every entry).
    pub async fn clear(&self, namespace: Option<&str>) -> Result<(), crate::LlmError> {
        let namespace = namespace.or(self.config.namespace.as_deref()).filter(|n| !n.is_empty());
        match &self.backend {
            Backend::Semantic(index) => index.clear(namespace).await,
            Backend::S3(store) => match namespace {
                Some(n) => store.delete_prefix(&format!("{n}:"), |_| true).await,
                // without a namespace, only objects named like ours
                None => {
                    store
                        .delete_prefix("", |k| is_digest(k) || k.rsplit_once(':').is_some_and(|(_, d)| is_digest(d)))
                        .await
                }
            },
            Backend::Local(c) => {
                match namespace {
                    None => c.invalidate_all(),
                    Some(n) => {
                        let prefix = format!("{n}:");
                        let keys: Vec<Arc<String>> =
                            c.iter().map(|(k, _)| k).filter(|k| k.starts_with(&prefix)).collect();
                        for k in keys {
                            c.invalidate(k.as_str());
                        }
                    }
                }
                Ok(())
            }
            Backend::Disk(dir) => {
                let entries = std::fs::read_dir(dir)
                    .map_err(|e| crate::LlmError::bad_request(format!("cannot read the cache folder: {e}")))?;
                for entry in entries.flatten() {
                    let name = entry.file_name().to_string_lossy().into_owned();
                    let ours = match namespace {
                        Some(n) => name.starts_with(&format!("{n}:")),
                        None => is_digest(&name) || name.contains(':'),
                    };
                    if ours {
                        let _ = std::fs::remove_file(entry.path());
                    }
                }
                Ok(())
            }
            Backend::Redis(url) => {
                // the namespace's keys, or (without one) only keys shaped like ours: a bare
                // SHA-256 hex digest; never the rest of a shared Redis
                let pattern = match namespace {
                    Some(n) => format!("{n}:*"),
                    None => "[0-9a-f]".repeat(64),
                };
                crate::store::redis::delete_matching(url, &pattern).await
            }
        }
    }
}

/// A request's prompt text and its semantic scope: the exact key of everything but the prompt
/// (so the model, the parameters and the namespace must match).
fn semantic_parts(call_type: &str, request: &Value, namespace: Option<&str>) -> Option<(String, String)> {
    let prompt = semantic::prompt_text(request)?;
    let mut rest = request.as_object()?.clone();
    rest.remove("messages");
    rest.remove("prompt");
    Some((prompt, cache_key(call_type, &Value::Object(rest), namespace)))
}

/// A lookup in a remote store that may take at most `limit`: a failure or a timeout is a miss
/// (and a warning), never an error of the call.
async fn bounded<T>(limit: Duration, lookup: impl Future<Output = Result<Option<T>, crate::LlmError>>) -> Option<T> {
    match tokio::time::timeout(limit, lookup).await {
        Ok(Ok(found)) => found,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "cache lookup failed; treated as a miss");
            None
        }
        Err(_) => {
            tracing::warn!("cache lookup timed out; treated as a miss");
            None
        }
    }
}

/// `created[ expires]\nbody` -> (created, expires, body offset).
fn split_entry(data: &[u8]) -> Option<(f64, Option<f64>, usize)> {
    let nl = data.iter().position(|b| *b == b'\n')?;
    let head = std::str::from_utf8(&data[..nl]).ok()?;
    let (created, expires) = match head.split_once(' ') {
        Some((c, e)) => (c.parse().ok()?, Some(e.parse().ok()?)),
        None => (head.parse().ok()?, None),
    };
    Some((created, expires, nl + 1))
}

fn is_digest(name: &str) -> bool {
    name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The file of a key: the key itself when it is a safe file name, else its SHA-256.
fn disk_name(key: &str) -> String {
    let safe = !key.is_empty()
        && !key.starts_with('.')
        && key.len() <= 200
        && key.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    if safe { key.to_owned() } else { sha256_hex(key.as_bytes()) }
}

/// The key of a request (see [`ResponseCache::key`]).
pub fn cache_key(call_type: &str, request: &Value, namespace: Option<&str>) -> String {
    let family = match call_type.trim_start_matches('a') {
        "embedding" => "embedding",
        "text_completion" => "text_completion",
        _ => "completion",
    };
    let mut material = Map::new();
    if let Some(obj) = request.as_object() {
        for (k, v) in obj {
            if !matches!(k.as_str(), "stream" | "stream_options" | "metadata") && !v.is_null() {
                material.insert(k.clone(), v.clone());
            }
        }
    }
    material.sort_keys();
    let digest = sha256_hex(format!("{family}:{}", Value::Object(material)).as_bytes());
    match namespace.filter(|n| !n.is_empty()) {
        Some(n) => format!("{n}:{digest}"),
        None => digest,
    }
}

/// The per-call cache controls (litellm's `caching=` and `cache={...}`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CacheControls {
    #[serde(rename = "no-cache")]
    pub no_cache: Option<bool>,
    #[serde(rename = "no-store")]
    pub no_store: Option<bool>,
    pub ttl: Option<f64>,
    #[serde(rename = "s-maxage")]
    pub s_maxage: Option<f64>,
    pub namespace: Option<String>,
    #[serde(rename = "use-cache")]
    pub use_cache: Option<bool>,
}

/// The cache as one call uses it.
pub struct CallCache {
    cache: Arc<ResponseCache>,
    pub key: String,
    /// The request's model (for the hidden params of a hit).
    pub model: String,
    lookup: bool,
    store: bool,
    ttl: Option<f64>,
    max_age: Option<f64>,
    semantic: Option<SemanticCall>,
}

/// What a semantic cache needs of a call: its prompt, scope and namespace, the options of the
/// embedding call, and the embedding once made (the lookup's, reused by the store).
struct SemanticCall {
    prompt: String,
    scope: String,
    namespace: Option<String>,
    opts: CallOptions,
    vector: Arc<std::sync::OnceLock<Vec<f32>>>,
}

impl CallCache {
    /// The cache for a call of `call_type` on `request`, or None when the call does not use one.
    pub fn for_call<R: serde::Serialize>(call_type: &str, request: &R, opts: &CallOptions) -> Option<Self> {
        // canned answers (mock_response) neither come from nor go to the cache
        if opts.mock_response.is_some() {
            return None;
        }
        let cache = opts.response_cache.clone().or_else(active)?;
        let controls: CacheControls =
            opts.cache.clone().and_then(|c| serde_json::from_value(c).ok()).unwrap_or_default();
        let default_off = cache.config.mode.as_deref() == Some("default_off");
        let wanted = match opts.caching {
            Some(c) => c,
            None => !default_off || controls.use_cache == Some(true),
        };
        if !wanted || controls.use_cache == Some(false) {
            return None;
        }
        if let Some(types) = &cache.config.supported_call_types
            && !types.iter().any(|t| t == call_type || t.strip_prefix('a') == Some(call_type))
        {
            return None;
        }
        let mut request = serde_json::to_value(request).ok()?;
        if let (Some(group), Value::Object(m)) = (&opts.model_group, &mut request) {
            m.insert("model".into(), Value::String(group.clone()));
        }
        let key = cache.key(call_type, &request, controls.namespace.as_deref());
        let model = request.get("model").and_then(Value::as_str).unwrap_or_default().to_owned();
        let semantic = match &cache.backend {
            Backend::Semantic(_) => {
                let namespace = controls.namespace.clone().or_else(|| cache.config.namespace.clone());
                // embeddings have no prompt to compare: semantic caches serve completions only
                let (prompt, scope) = semantic_parts(call_type, &request, namespace.as_deref())?;
                Some(SemanticCall {
                    prompt,
                    scope,
                    namespace,
                    opts: CallOptions {
                        provider_keys: opts.provider_keys.clone(),
                        ssl_verify: opts.ssl_verify.clone(),
                        ..CallOptions::default()
                    },
                    vector: Arc::default(),
                })
            }
            _ => None,
        };
        Some(Self {
            cache,
            key,
            model,
            lookup: controls.no_cache != Some(true),
            store: controls.no_store != Some(true),
            ttl: controls.ttl,
            max_age: controls.s_maxage,
            semantic,
        })
    }

    /// The stored answer (JSON), if any.
    pub async fn lookup(&self) -> Option<Bytes> {
        if !self.lookup {
            return None;
        }
        if let (Backend::Semantic(index), Some(sem)) = (&self.cache.backend, &self.semantic) {
            let found = tokio::time::timeout(SEMANTIC_WAIT, async {
                let v = index.embed(&sem.prompt, &sem.opts).await?;
                let hit = index.search(&sem.scope, &v, self.max_age).await;
                let _ = sem.vector.set(v);
                hit
            })
            .await;
            return match found {
                Ok(Ok(hit)) => hit.map(|(body, _)| body),
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "semantic cache lookup failed; treated as a miss");
                    None
                }
                Err(_) => {
                    tracing::warn!("semantic cache lookup timed out; treated as a miss");
                    None
                }
            };
        }
        self.cache.get(&self.key, self.max_age).await
    }

    /// The stored answer when the cache is in this process: no waiting, so a caller can answer
    /// a hit without going through the runtime. None for a miss or a Redis cache.
    pub fn lookup_local(&self) -> Option<Bytes> {
        let Backend::Local(c) = &self.cache.backend else { return None };
        if !self.lookup {
            return None;
        }
        let stored = c.get(&self.key)?.data;
        let (created, _, body) = split_entry(&stored)?;
        if self.max_age.is_some_and(|age| now() - created > age) {
            return None;
        }
        Some(stored.slice(body..))
    }

    /// Stores an answer (JSON) for later calls.
    pub fn store(&self, body: &[u8]) {
        if !self.store {
            return;
        }
        if let Some(sem) = &self.semantic {
            let (cache, body, ttl) = (self.cache.clone(), body.to_vec(), seconds(self.ttl.or(self.cache.config.ttl)));
            let (prompt, scope, namespace, opts, vector) =
                (sem.prompt.clone(), sem.scope.clone(), sem.namespace.clone(), sem.opts.clone(), sem.vector.clone());
            crate::transport::core().rt.spawn(async move {
                let Backend::Semantic(index) = &cache.backend else { return };
                let v = match vector.get() {
                    Some(v) => Ok(v.clone()),
                    None => index.embed(&prompt, &opts).await,
                };
                let stored = match v {
                    Ok(v) => index.insert(&scope, namespace.as_deref(), v, &body, ttl).await,
                    Err(e) => Err(e),
                };
                if let Err(e) = stored {
                    tracing::warn!(error = %e, "semantic cache write failed");
                }
            });
            return;
        }
        self.cache.put(self.key.clone(), body, self.ttl);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn litellm_cache_params_become_a_config() {
        let params = |v: Value| v.as_object().cloned().unwrap();
        let c = CacheConfig::from_params(&params(serde_json::json!({
            "type": "redis", "host": "127.0.0.1", "port": "6390", "password": "p@ss/word",
            "namespace": "proxy", "default_in_redis_ttl": 120, "supported_call_types": ["acompletion"]
        })))
        .unwrap();
        assert_eq!(c.redis_url.as_deref(), Some("redis://:p%40ss%2Fword@127.0.0.1:6390"));
        assert_eq!((c.namespace.as_deref(), c.ttl), (Some("proxy"), Some(120.0)));
        assert_eq!(c.supported_call_types, Some(vec!["acompletion".to_owned()]));
        let c = CacheConfig::from_params(&params(serde_json::json!({
            "type": "redis", "redis_startup_nodes": [{"host": "10.0.0.1", "port": 7000}, {"host": "10.0.0.2", "port": "7001"}]
        })))
        .unwrap();
        assert_eq!(c.redis_url.as_deref(), Some("redis-cluster://10.0.0.1:7000,10.0.0.2:7001"));
        let c = CacheConfig::from_params(&Map::new()).unwrap();
        assert_eq!((c.kind.as_str(), c.redis_url), ("local", None));
        let semantic = CacheConfig::from_params(&params(serde_json::json!({"type": "local-semantic"})));
        assert!(semantic.unwrap_err().contains("similarity_threshold"));
        let mode = CacheConfig::from_params(&params(serde_json::json!({"mode": "sometimes"})));
        assert!(mode.unwrap_err().contains("default_on"));
        let ttl = CacheConfig::from_params(&params(serde_json::json!({"ttl": "soon"})));
        assert!(ttl.unwrap_err().contains("ttl"));
    }

    #[test]
    fn keys_ignore_streaming_and_field_order_but_not_parameters() {
        let a = json!({"model": "m", "messages": [{"role": "user", "content": "hi"}], "temperature": 0.1});
        let b =
            json!({"temperature": 0.1, "stream": true, "messages": [{"role": "user", "content": "hi"}], "model": "m"});
        let c = json!({"model": "m", "messages": [{"role": "user", "content": "hi"}], "temperature": 0.2});
        assert_eq!(cache_key("completion", &a, None), cache_key("acompletion", &b, None));
        assert_ne!(cache_key("completion", &a, None), cache_key("completion", &c, None));
        assert_ne!(cache_key("completion", &a, None), cache_key("embedding", &a, None));
        assert!(cache_key("completion", &a, Some("team-a")).starts_with("team-a:"));
        assert_eq!(cache_key("completion", &a, None).len(), 64);
    }

    #[test]
    fn entries_carry_their_creation_time() {
        let mut data = b"1700000000.5\n".to_vec();
        data.extend_from_slice(b"{\"id\":1}");
        let (created, expires, at) = split_entry(&data).unwrap();
        assert_eq!((created, expires), (1_700_000_000.5, None));
        assert_eq!(&data[at..], b"{\"id\":1}");
        let (_, expires, _) = split_entry(b"1.5 61.5\n{}").unwrap();
        assert_eq!(expires, Some(61.5));
        assert_eq!(disk_name("team-a:abc123"), "team-a:abc123");
        assert_eq!(disk_name("../etc/passwd").len(), 64);
    }
}
