//! The only network code: one process-wide runtime and pooled client (rebuilt in a forked child),
//! sending, and stream decoding.

pub mod eventstream;
pub mod ndjson;
pub mod sse;

use crate::providers::Framing;

use std::collections::HashMap;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use bytes::Bytes;
use tokio::runtime::Runtime;

use crate::error::{ErrorKind, LlmError};
use crate::providers::HttpRequest;

/// The runtime and the clients of this process.
pub struct Core {
    pid: u32,
    pub rt: Runtime,
    /// The runtime's worker threads.
    pub workers: usize,
    pub client: reqwest::Client,
    /// For `ssl_verify=False` only, built on first use.
    insecure: std::sync::OnceLock<reqwest::Client>,
}

impl Core {
    /// The pooled client; `verify = false` gives one that accepts any certificate.
    pub fn client(&self, verify: bool) -> &reqwest::Client {
        if verify {
            &self.client
        } else {
            self.insecure.get_or_init(|| {
                client_builder().danger_accept_invalid_certs(true).build().unwrap_or_else(|_| reqwest::Client::new())
            })
        }
    }
}

static CORE: AtomicPtr<Core> = AtomicPtr::new(std::ptr::null_mut());

/// The runtime's worker threads when `LITELLM_RS_WORKER_THREADS` does not say (0: one).
static DEFAULT_WORKERS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Asks for `n` worker threads in the runtime that is built next (the proxy asks for one per
/// core; the SDK's default is one: a Python process has one GIL, and a second worker only adds
/// wake-ups between the two). `LITELLM_RS_WORKER_THREADS` overrides both.
pub fn prefer_workers(n: usize) {
    DEFAULT_WORKERS.store(n, Ordering::Relaxed);
}

/// The machine's cores (what a server's runtime uses).
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, std::num::NonZero::get)
}

fn workers() -> usize {
    crate::util::env_var("LITELLM_RS_WORKER_THREADS")
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|n| *n > 0)
        .unwrap_or_else(|| DEFAULT_WORKERS.load(Ordering::Relaxed))
        .clamp(1, 256)
}

fn build_core() -> Core {
    let workers = workers();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .thread_name("litellm-rs")
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("cannot start the tokio runtime: {e}"));
    let client = client_builder().build().unwrap_or_else(|_| reqwest::Client::new());
    Core { pid: std::process::id(), rt, workers, client, insecure: std::sync::OnceLock::new() }
}

fn client_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .pool_idle_timeout(Duration::from_secs(90))
        .pool_max_idle_per_host(256)
        .tcp_nodelay(true)
        .connect_timeout(Duration::from_secs(30))
}

/// The process-wide core. After `fork()` the child has no runtime threads, so a new core is built
/// when the pid changes; the parent's is leaked on purpose (dropping it would join threads that do
/// not exist in the child).
pub fn core() -> &'static Core {
    let cur = CORE.load(Ordering::Acquire);
    // SAFETY: a non-null pointer in CORE comes from Box::into_raw and is never freed.
    if !cur.is_null() && unsafe { (*cur).pid } == std::process::id() {
        return unsafe { &*cur };
    }
    let fresh = Box::into_raw(Box::new(build_core()));
    match CORE.compare_exchange(cur, fresh, Ordering::AcqRel, Ordering::Acquire) {
        Ok(_) => unsafe { &*fresh },
        Err(winner) => {
            // Another thread installed its core first; ours is dropped off any runtime thread.
            let ours = unsafe { Box::from_raw(fresh) };
            std::thread::spawn(move || drop(ours));
            unsafe { &*winner }
        }
    }
}

/// A complete upstream answer.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl RawResponse {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

fn prepare(client: &reqwest::Client, req: &HttpRequest) -> reqwest::RequestBuilder {
    let b = match parsed_url(&req.url) {
        Some(url) => client.post(url),
        None => client.post(&req.url), // reqwest reports what is wrong with it
    };
    with_headers(b, req).body(req.body.clone()) // a reference-count increment, not a copy
}

/// URLs parsed so far: a process calls the same few endpoints, and parsing one (with its host's
/// IDNA check) cost about an eighth of the engine's work for a small completion.
static URLS: LazyLock<Mutex<HashMap<String, reqwest::Url>>> = LazyLock::new(Mutex::default);
const URLS_KEPT: usize = 256;

fn parsed_url(s: &str) -> Option<reqwest::Url> {
    let mut urls = URLS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(u) = urls.get(s) {
        return Some(u.clone());
    }
    let u = reqwest::Url::parse(s).ok()?;
    if urls.len() >= URLS_KEPT {
        urls.clear();
    }
    urls.insert(s.to_owned(), u.clone());
    Some(u)
}

fn with_headers(mut b: reqwest::RequestBuilder, req: &HttpRequest) -> reqwest::RequestBuilder {
    for (k, v) in &req.headers {
        b = b.header(k.as_str(), v.as_str());
    }
    b
}

pub fn header_pairs(h: &reqwest::header::HeaderMap) -> Vec<(String, String)> {
    h.iter().filter_map(|(k, v)| v.to_str().ok().map(|v| (k.as_str().to_owned(), v.to_owned()))).collect()
}

/// Sends a request and reads the whole answer within `timeout`.
pub async fn send(req: &HttpRequest, timeout: Duration, verify: bool) -> Result<RawResponse, LlmError> {
    read_all(prepare(core().client(verify), req), timeout).await
}

/// Sends a request with another method (`GET`, `PUT`, `DELETE`, ...; an empty body is not sent)
/// and reads the whole answer within `timeout`: the storage backends' REST calls.
pub async fn send_with(
    method: &str,
    req: &HttpRequest,
    timeout: Duration,
    verify: bool,
) -> Result<RawResponse, LlmError> {
    let method = reqwest::Method::from_bytes(method.as_bytes())
        .map_err(|_| LlmError::bad_request(format!("invalid HTTP method {method:?}")))?;
    let client = core().client(verify);
    let b = match parsed_url(&req.url) {
        Some(url) => client.request(method, url),
        None => client.request(method, &req.url),
    };
    let mut b = with_headers(b, req);
    if !req.body.is_empty() {
        b = b.body(req.body.clone());
    }
    read_all(b, timeout).await
}

async fn read_all(b: reqwest::RequestBuilder, timeout: Duration) -> Result<RawResponse, LlmError> {
    let fut = async {
        let resp = b.send().await.map_err(map_reqwest)?;
        let status = resp.status().as_u16();
        let headers = header_pairs(resp.headers());
        let body = resp.bytes().await.map_err(map_reqwest)?;
        Ok(RawResponse { status, headers, body })
    };
    match tokio::time::timeout(timeout, fut).await {
        Ok(r) => r,
        Err(_) => Err(timeout_error(timeout)),
    }
}

/// Sends a request and returns the open response once its headers arrived (within `timeout`).
/// A non-2xx answer is read whole and returned as `Err(RawResponse)` for the provider to map.
pub async fn open_stream(
    req: &HttpRequest,
    timeout: Duration,
    verify: bool,
) -> Result<Result<reqwest::Response, RawResponse>, LlmError> {
    let client = core().client(verify);
    let fut = async {
        let resp = prepare(client, req).send().await.map_err(map_reqwest)?;
        let status = resp.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(Ok(resp));
        }
        let headers = header_pairs(resp.headers());
        let body = resp.bytes().await.map_err(map_reqwest)?;
        Ok(Err(RawResponse { status, headers, body }))
    };
    match tokio::time::timeout(timeout, fut).await {
        Ok(r) => r,
        Err(_) => Err(timeout_error(timeout)),
    }
}

pub fn timeout_error(timeout: Duration) -> LlmError {
    LlmError::new(ErrorKind::Timeout, format!("Request timed out after {:.3} seconds", timeout.as_secs_f64()))
}

/// Maps a client error, with its whole cause chain (reqwest's Display hides the cause).
pub fn map_reqwest(e: reqwest::Error) -> LlmError {
    let is_timeout = e.is_timeout();
    let e = e.without_url();
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(&e);
    while let Some(s) = src {
        let t = s.to_string();
        if !msg.contains(&t) {
            msg.push_str(": ");
            msg.push_str(&t);
        }
        src = s.source();
    }
    let kind = if is_timeout { ErrorKind::Timeout } else { ErrorKind::ApiConnection };
    LlmError::new(kind, msg)
}

/// A stream decoder for one framing.
pub enum FrameDecoder {
    Sse(sse::SseDecoder),
    Ndjson(ndjson::NdjsonDecoder),
    AwsEventStream(eventstream::EventStreamDecoder),
}

impl FrameDecoder {
    pub fn new(framing: Framing) -> Self {
        match framing {
            Framing::Sse => Self::Sse(sse::SseDecoder::new()),
            Framing::Ndjson => Self::Ndjson(ndjson::NdjsonDecoder::default()),
            Framing::AwsEventStream => Self::AwsEventStream(eventstream::EventStreamDecoder::default()),
        }
    }

    /// Decodes a network read, pushing every event it completes onto `out` (SSE data that is
    /// whole in the read is sliced from it rather than copied).
    pub fn feed(&mut self, bytes: &bytes::Bytes, out: &mut Vec<sse::SseEvent>) {
        match self {
            Self::Sse(d) => d.feed_shared(bytes, out),
            Self::Ndjson(d) => d.feed(bytes, out),
            Self::AwsEventStream(d) => d.feed(bytes, out),
        }
    }

    pub fn finish(&mut self, out: &mut Vec<sse::SseEvent>) {
        match self {
            Self::Sse(d) => d.finish(out),
            Self::Ndjson(d) => d.finish(out),
            Self::AwsEventStream(d) => d.finish(out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_parsed_once_and_bad_ones_left_to_reqwest() {
        let a = parsed_url("http://127.0.0.1:9/v1/chat/completions").unwrap();
        assert_eq!(a.as_str(), "http://127.0.0.1:9/v1/chat/completions");
        assert_eq!(parsed_url("http://127.0.0.1:9/v1/chat/completions"), Some(a));
        assert!(parsed_url("not a url").is_none());
        for i in 0..URLS_KEPT + 1 {
            parsed_url(&format!("http://127.0.0.1:9/{i}")).unwrap();
        }
        assert!(URLS.lock().unwrap().len() <= URLS_KEPT);
    }
}
