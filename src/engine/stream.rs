//! Streams: a short loop that feeds upstream bytes to the SSE decoder and each event to the
//! provider's pure per-event function, sending encoded chunks through a bounded channel. Dropping
//! or closing the stream aborts the task, which drops (closes) the upstream connection.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{FutureExt, StreamExt};
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

use super::{Hidden, Prepared, with_retries};
use crate::cost::StreamPricer;
use crate::error::{ErrorKind, LlmError};
use crate::providers::{AsIs, Framing, HttpRequest, StreamState};
use crate::transport::sse::EventData;
use crate::transport::{self, FrameDecoder};
use crate::types::{ChatChunk, ChatResponse, Choice, FunctionCall, Layout, ResponseMessage, ToolCall};

/// Items of the channel: the encoded chunks (JSON) of one network read, or the error that ended
/// the stream. Sending a read's worth at a time keeps the hand-off to the consumer at one wake-up
/// per read instead of one per chunk.
pub type StreamItem = Result<Batch, LlmError>;

/// The chunks of one network read, with their layouts when the reader took them (chunks that
/// went on as they came): the Python side then makes their objects without reading the JSON
/// again. `layouts` is empty or as long as `chunks`, an empty layout standing for none.
#[derive(Debug, Default)]
pub struct Batch {
    pub chunks: Vec<Bytes>,
    pub layouts: Vec<Layout>,
}

impl From<Vec<Bytes>> for Batch {
    fn from(chunks: Vec<Bytes>) -> Self {
        Self { chunks, layouts: Vec::new() }
    }
}

impl Batch {
    /// Room for `n` chunks, and for as many layouts once the first comes (a layout is a few
    /// hundred bytes: growing the vector by doubling would copy them again and again).
    fn with_capacity(n: usize) -> Self {
        Self { chunks: Vec::with_capacity(n), layouts: Vec::new() }
    }

    fn push(&mut self, chunk: Bytes, layout: Option<Layout>) {
        if let Some(l) = layout {
            if self.layouts.capacity() == 0 {
                // as many as the chunks: the chunks of one stream nearly all have layouts or none
                self.layouts.reserve_exact(self.chunks.capacity().max(1));
            }
            self.layouts.resize(self.chunks.len(), Layout::default());
            self.layouts.push(l);
        } else if !self.layouts.is_empty() {
            self.layouts.push(Layout::default());
        }
        self.chunks.push(chunk);
    }

    fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }
}

const CHANNEL: usize = 32;

/// An open stream of encoded chunks.
pub struct ChunkStream {
    rx: mpsc::Receiver<StreamItem>,
    buf: VecDeque<Bytes>,
    /// The layouts of the chunks in `buf` (as long as it, or empty when none came).
    laid: VecDeque<Layout>,
    err: Option<LlmError>,
    ended: bool,
    abort: Option<AbortHandle>,
    pub hidden: Hidden,
    /// Keeps the chunks handed out and stores the assembled answer in the cache once the stream
    /// ended well (a failed or closed stream stores nothing).
    cache: Option<(crate::cache::CallCache, Vec<Bytes>)>,
    /// Held until the stream ends (the Router's in-flight count of its deployment).
    held: Option<Box<dyn std::any::Any + Send + Sync>>,
}

impl ChunkStream {
    pub fn from_parts(rx: mpsc::Receiver<StreamItem>, abort: Option<AbortHandle>, hidden: Hidden) -> Self {
        Self {
            rx,
            buf: VecDeque::new(),
            laid: VecDeque::new(),
            err: None,
            ended: false,
            abort,
            hidden,
            cache: None,
            held: None,
        }
    }

    /// Keeps `v` until the stream ends, fails or is dropped.
    pub fn hold_until_end(&mut self, v: Box<dyn std::any::Any + Send + Sync>) {
        self.held = Some(v);
    }

    /// Stores the stream's answer in `cache` when it ends.
    pub fn cached(mut self, cache: crate::cache::CallCache) -> Self {
        self.hidden.cache_key = Some(cache.key.clone());
        self.cache = Some((cache, Vec::new()));
        self
    }

    fn observe(&mut self, r: &Result<Batch, LlmError>) {
        match r {
            Ok(batch) if !batch.is_empty() => {
                if let Some((_, seen)) = self.cache.as_mut() {
                    seen.extend(batch.chunks.iter().cloned());
                }
            }
            Ok(_) => {
                if let Some((cache, seen)) = self.cache.take() {
                    let chunks: Vec<ChatChunk> = seen.iter().filter_map(|c| serde_json::from_slice(c).ok()).collect();
                    if let Some(resp) = aggregate_chunks(&chunks)
                        && let Ok(body) = serde_json::to_vec(&resp)
                    {
                        cache.store(&body);
                    }
                }
            }
            Err(_) => self.cache = None,
        }
    }

    fn absorb(&mut self, item: Option<StreamItem>) {
        match item {
            // into an empty buffer, the item's vectors become the buffer (no copying)
            Some(Ok(Batch { chunks, layouts })) if self.buf.is_empty() => {
                self.buf = chunks.into();
                self.laid = layouts.into();
            }
            Some(Ok(Batch { chunks, layouts })) => {
                if !layouts.is_empty() || !self.laid.is_empty() {
                    self.laid.resize(self.buf.len(), Layout::default());
                    self.laid.extend(layouts);
                    self.laid.resize(self.buf.len() + chunks.len(), Layout::default());
                }
                self.buf.extend(chunks);
            }
            Some(Err(e)) => self.err = Some(e),
            None => self.ended = true,
        }
    }

    /// Moves what was already received into the buffer, without waiting: everything (`merge`),
    /// or, into an empty buffer, the next batch only (a network read's chunks: its vectors become
    /// the buffer, where merging the batches queued behind it copies every chunk's layout).
    fn fill_ready(&mut self, merge: bool) {
        while self.err.is_none() && !self.ended && (merge || self.buf.is_empty()) {
            match self.rx.try_recv() {
                Ok(item) => self.absorb(Some(item)),
                Err(mpsc::error::TryRecvError::Empty) => break,
                Err(mpsc::error::TryRecvError::Disconnected) => self.ended = true,
            }
        }
    }

    /// The next chunks (up to `max`) if some can be had without waiting: `Some(Ok([]))` at the
    /// end, `Some(Err)` when the stream failed (after the chunks that came before the failure),
    /// `None` when the caller has to wait.
    pub fn try_next_batch(&mut self, max: usize) -> Option<Result<Vec<Bytes>, LlmError>> {
        Some(self.try_next_laid(max)?.map(|b| b.chunks))
    }

    /// The same, with the chunks' layouts where the reader took them.
    pub fn try_next_laid(&mut self, max: usize) -> Option<Result<Batch, LlmError>> {
        self.try_next_with(max, true)
    }

    /// The same, one network read at a time (the batches are not merged): for a consumer whose
    /// next call costs little, such as a sync iteration.
    pub fn try_next_read(&mut self, max: usize) -> Option<Result<Batch, LlmError>> {
        self.try_next_with(max, false)
    }

    fn try_next_with(&mut self, max: usize, merge: bool) -> Option<Result<Batch, LlmError>> {
        let r = self.take_ready(max, merge)?;
        if self.cache.is_some() {
            self.observe(&r);
        }
        Some(r)
    }

    fn take_ready(&mut self, max: usize, merge: bool) -> Option<Result<Batch, LlmError>> {
        self.fill_ready(merge);
        if !self.buf.is_empty() {
            let n = self.buf.len().min(max.max(1));
            if n == self.buf.len() {
                // all of it: the buffer's vectors are handed out (no copying when contiguous)
                let chunks = Vec::from(std::mem::take(&mut self.buf));
                return Some(Ok(Batch { chunks, layouts: Vec::from(std::mem::take(&mut self.laid)) }));
            }
            let layouts = if self.laid.is_empty() { Vec::new() } else { self.laid.drain(..n).collect() };
            return Some(Ok(Batch { chunks: self.buf.drain(..n).collect(), layouts }));
        }
        if let Some(e) = self.err.take() {
            self.ended = true;
            self.held = None;
            return Some(Err(e));
        }
        if self.ended {
            self.held = None;
            return Some(Ok(Batch::default()));
        }
        None
    }

    /// Waits for the next chunks (up to `max`); `[]` at the end.
    pub async fn next_batch(&mut self, max: usize) -> Result<Vec<Bytes>, LlmError> {
        self.next_laid(max).await.map(|b| b.chunks)
    }

    /// The same, with the chunks' layouts where the reader took them.
    pub async fn next_laid(&mut self, max: usize) -> Result<Batch, LlmError> {
        self.next_with(max, true).await
    }

    /// The same, one network read at a time (see `try_next_read`).
    pub async fn next_read(&mut self, max: usize) -> Result<Batch, LlmError> {
        self.next_with(max, false).await
    }

    async fn next_with(&mut self, max: usize, merge: bool) -> Result<Batch, LlmError> {
        loop {
            if let Some(r) = self.try_next_with(max, merge) {
                return r;
            }
            let item = self.rx.recv().await;
            self.absorb(item);
        }
    }

    /// A handle that stops the upstream reader from anywhere, even while another thread waits on
    /// this stream.
    pub fn abort_handle(&self) -> Option<AbortHandle> {
        self.abort.clone()
    }

    /// Stops reading upstream and closes the connection; pending chunks are discarded.
    pub fn close(&mut self) {
        if let Some(a) = self.abort.take() {
            a.abort();
        }
        self.rx.close();
        self.buf.clear();
        self.laid.clear();
        self.ended = true;
        self.cache = None;
        self.held = None;
    }

    /// Re-encodes a chat chunk stream as text_completion chunks (text completion bridged to chat).
    pub fn into_text_stream(mut self) -> ChunkStream {
        let (tx, rx) = mpsc::channel(CHANNEL);
        let hidden = self.hidden.clone();
        let task = tokio::spawn(async move {
            loop {
                let out = match self.next_batch(usize::MAX).await {
                    Ok(batch) if batch.is_empty() => break,
                    Ok(batch) => batch
                        .iter()
                        .map(|b| {
                            let c: ChatChunk = serde_json::from_slice(b)
                                .map_err(|e| LlmError::new(ErrorKind::Api, format!("bad chunk: {e}")))?;
                            Ok(encode(&text_chunk_from_chat(c)))
                        })
                        .collect::<Result<Vec<_>, LlmError>>(),
                    Err(e) => Err(e),
                };
                let failed = out.is_err();
                if tx.send(out.map(Batch::from)).await.is_err() || failed {
                    break;
                }
            }
        });
        ChunkStream::from_parts(rx, Some(task.abort_handle()), hidden)
    }
}

impl Drop for ChunkStream {
    fn drop(&mut self) {
        if let Some(a) = self.abort.take() {
            a.abort();
        }
    }
}

pub(crate) fn encode<T: serde::Serialize>(v: &T) -> Bytes {
    Bytes::from(serde_json::to_vec(v).unwrap_or_default())
}

fn text_chunk_from_chat(c: ChatChunk) -> serde_json::Value {
    let choices: Vec<serde_json::Value> = c
        .choices
        .into_iter()
        .map(|ch| {
            serde_json::json!({
                "text": ch.delta.content.unwrap_or_default(),
                "index": ch.index,
                "logprobs": ch.logprobs,
                "finish_reason": ch.finish_reason,
            })
        })
        .collect();
    let mut v = serde_json::json!({
        "id": c.id, "object": "text_completion", "created": c.created, "model": c.model, "choices": choices,
    });
    if let Some(u) = c.usage {
        v["usage"] = serde_json::to_value(u).unwrap_or_default();
    }
    v
}

/// Opens the upstream stream (with retries on the opening request) and starts the reader task.
async fn open(p: &Prepared, http: &HttpRequest) -> Result<reqwest::Response, LlmError> {
    let provider = p.provider();
    let model = &p.resolved.model;
    with_retries(p.retries, || async {
        crate::logging::request(http, &p.target);
        match transport::open_stream(http, p.timeout, p.verify).await? {
            Ok(resp) => {
                crate::logging::response(resp.status().as_u16(), b"(stream)", &p.target);
                Ok(resp)
            }
            Err(raw) => {
                crate::logging::response(raw.status, &raw.body, &p.target);
                Err(provider.map_error(raw.status, raw.headers, &raw.body, model))
            }
        }
    })
    .await
    .map_err(|e| p.finish_error(e))
}

pub(super) async fn open_chat(
    p: Prepared,
    http: HttpRequest,
    include_usage: bool,
    mut hidden: Hidden,
    pricer: StreamPricer,
    chunk_timeout: f64,
) -> Result<ChunkStream, LlmError> {
    let resp = open(&p, &http).await?;
    hidden.response_headers = transport::header_pairs(resp.headers());
    let provider = p.resolved.provider;
    let framing = provider.get().framing();
    let state = StreamState { include_usage, model: p.resolved.model.clone(), ..StreamState::default() };
    Ok(spawn_reader(resp, p, state, hidden, chunk_timeout, framing, move |state, event, data, batch| {
        if let Some(AsIs { range, layout }) = provider.get().chat_event_as_is(state, event, &data) {
            // a canonical chunk already: its bytes go on as they came
            let whole = range.start == 0 && range.end == data.len();
            let bytes = data.into_bytes();
            batch.push(if whole { bytes } else { bytes.slice(range) }, layout);
            return Ok(());
        }
        let mut chunks = provider.get().parse_chat_event(state, event, &data)?;
        for usage in chunks.iter_mut().filter_map(|c| c.usage.as_mut()) {
            pricer.on_usage(usage);
        }
        for c in &chunks {
            batch.push(encode(c), None);
        }
        Ok(())
    }))
}

pub(super) async fn open_text(
    p: Prepared,
    http: HttpRequest,
    mut hidden: Hidden,
    pricer: StreamPricer,
    chunk_timeout: f64,
) -> Result<ChunkStream, LlmError> {
    let resp = open(&p, &http).await?;
    hidden.response_headers = transport::header_pairs(resp.headers());
    let provider = p.resolved.provider;
    let framing = provider.get().framing();
    Ok(spawn_reader(
        resp,
        p,
        StreamState::default(),
        hidden,
        chunk_timeout,
        framing,
        move |state, event, data, batch| {
            let mut chunks = provider.get().parse_text_event(state, event, &data)?;
            for usage in chunks.iter_mut().filter_map(|c| c.usage.as_mut()) {
                pricer.on_usage(usage);
            }
            for c in &chunks {
                batch.push(encode(c), None);
            }
            Ok(())
        },
    ))
}

/// The idle limit of a stream's reads: one timer for the whole stream, moved on only when it fires
/// before the limit has passed since the current wait for a read began. (A timeout around each
/// read re-armed a timer per network read, and its earlier deadline often woke the runtime's
/// driver through a syscall.)
struct Idle {
    sleep: std::pin::Pin<Box<tokio::time::Sleep>>,
    limit: Duration,
    last: tokio::time::Instant,
}

/// No read for the stream's idle limit.
struct Elapsed;

impl Idle {
    fn new(limit: Duration) -> Self {
        let now = tokio::time::Instant::now();
        Self { sleep: Box::pin(tokio::time::sleep_until(now + limit)), limit, last: now }
    }

    /// The body's next read, or `Elapsed` when none came within the limit (counted from now, as
    /// a timeout around the read would count it).
    async fn next<S: futures_util::Stream + Unpin>(&mut self, body: &mut S) -> Result<Option<S::Item>, Elapsed> {
        self.last = tokio::time::Instant::now();
        std::future::poll_fn(|cx| {
            if let std::task::Poll::Ready(item) = body.poll_next_unpin(cx) {
                return std::task::Poll::Ready(Ok(item));
            }
            while self.sleep.as_mut().poll(cx).is_ready() {
                let due = self.last + self.limit;
                if tokio::time::Instant::now() >= due {
                    return std::task::Poll::Ready(Err(Elapsed));
                }
                self.sleep.as_mut().reset(due);
            }
            std::task::Poll::Pending
        })
        .await
    }
}

fn spawn_reader<F>(
    resp: reqwest::Response,
    p: Prepared,
    mut state: StreamState,
    hidden: Hidden,
    chunk_timeout: f64,
    framing: Framing,
    mut on_event: F,
) -> ChunkStream
where
    F: FnMut(&mut StreamState, Option<&str>, EventData, &mut Batch) -> Result<(), LlmError> + Send + 'static,
{
    let (tx, rx) = mpsc::channel(CHANNEL);
    let chunk_timeout = Duration::from_secs_f64(chunk_timeout.clamp(0.001, 1e7));
    let task = tokio::spawn(async move {
        let fail = |e: LlmError| p.finish_error(e);
        let mut body = resp.bytes_stream();
        let mut dec = FrameDecoder::new(framing);
        let mut events = Vec::new();
        let mut idle = Idle::new(chunk_timeout);
        loop {
            let mut read_error = None;
            let next = idle.next(&mut body).await;
            let ended = match next {
                Err(Elapsed) => {
                    let _ = tx.send(Err(fail(transport::timeout_error(chunk_timeout)))).await;
                    return;
                }
                Ok(Some(Err(e))) => {
                    let mut err = transport::map_reqwest(e);
                    err.message = format!("The stream was interrupted: {}", err.message);
                    let _ = tx.send(Err(fail(err))).await;
                    return;
                }
                Ok(Some(Ok(bytes))) => {
                    dec.feed(&bytes, &mut events);
                    // Take every read that is already there too, so the consumer is woken once
                    // per burst rather than once per network read.
                    let mut ended = false;
                    while let Some(more) = body.next().now_or_never() {
                        match more {
                            Some(Ok(bytes)) => dec.feed(&bytes, &mut events),
                            Some(Err(e)) => {
                                read_error = Some(e);
                                break;
                            }
                            None => {
                                dec.finish(&mut events);
                                ended = true;
                                break;
                            }
                        }
                    }
                    ended
                }
                Ok(None) => {
                    dec.finish(&mut events);
                    true
                }
            };
            let mut batch = Batch::with_capacity(events.len());
            let mut failure = None;
            for ev in events.drain(..) {
                if let Err(e) = on_event(&mut state, ev.event.as_deref(), ev.data, &mut batch) {
                    failure = Some(fail(e));
                    break;
                }
            }
            if !batch.is_empty() && tx.send(Ok(batch)).await.is_err() {
                return;
            }
            if let Some(e) = failure {
                let _ = tx.send(Err(e)).await;
                return;
            }
            if let Some(e) = read_error {
                let mut err = transport::map_reqwest(e);
                err.message = format!("The stream was interrupted: {}", err.message);
                let _ = tx.send(Err(fail(err))).await;
                return;
            }
            if state.done {
                return;
            }
            if ended {
                if !state.finished {
                    let e = LlmError::new(
                        ErrorKind::ApiConnection,
                        "The stream ended before it was complete: the connection closed without a finish_reason or [DONE]",
                    );
                    let _ = tx.send(Err(fail(e))).await;
                }
                return;
            }
        }
    });
    ChunkStream::from_parts(rx, Some(task.abort_handle()), hidden)
}

/// Adds a streamed thinking-block fragment: fragments with the same `index` (or, without one, an
/// unsigned thinking block still open) are one block: text appended, signature kept.
fn merge_thinking(
    blocks: &mut Vec<(Option<u64>, serde_json::Map<String, serde_json::Value>)>,
    frag: &serde_json::Value,
) {
    use serde_json::Value;
    let Some(f) = frag.as_object() else { return };
    let idx = f.get("index").and_then(Value::as_u64);
    let is_thinking = f.get("type").and_then(Value::as_str) == Some("thinking");
    let open = blocks.iter().rposition(|(i, b)| match idx {
        Some(_) => *i == idx,
        None => b.get("type").and_then(Value::as_str) == Some("thinking") && !b.contains_key("signature"),
    });
    match open {
        Some(pos) if is_thinking => {
            let b = &mut blocks[pos].1;
            if let Some(t) = f.get("thinking").and_then(Value::as_str) {
                let mut text = b.get("thinking").and_then(Value::as_str).unwrap_or_default().to_owned();
                text.push_str(t);
                b.insert("thinking".into(), Value::String(text));
            }
            if let Some(sig) = f.get("signature") {
                b.insert("signature".into(), sig.clone());
            }
        }
        _ => {
            let mut b = f.clone();
            b.remove("index");
            blocks.push((idx, b));
        }
    }
}

/// Per-chunk logprobs (`{"content": [...]}`) joined into one.
fn merge_logprobs(parts: Vec<serde_json::Value>) -> Option<serde_json::Value> {
    if parts.is_empty() {
        return None;
    }
    let mut content = Vec::new();
    for p in parts {
        if let Some(items) = p.get("content").and_then(|c| c.as_array()) {
            content.extend(items.iter().cloned());
        }
    }
    Some(serde_json::json!({ "content": content }))
}

/// Rebuilds a complete response from stream chunks (`stream_chunk_builder`): content and
/// reasoning concatenated, tool calls assembled by index, the last finish_reason and the usage
/// chunk kept.
pub fn aggregate_chunks(chunks: &[ChatChunk]) -> Option<ChatResponse> {
    let first = chunks.first()?;
    #[derive(Default)]
    struct Acc {
        role: Option<String>,
        content: Option<String>,
        reasoning: Option<String>,
        tools: BTreeMap<u32, (Option<String>, String, String)>,
        function: Option<(String, String)>,
        finish: Option<String>,
        logprobs: Vec<serde_json::Value>,
        thinking: Vec<(Option<u64>, serde_json::Map<String, serde_json::Value>)>,
    }
    let mut choices: BTreeMap<u32, Acc> = BTreeMap::new();
    let mut usage = None;
    let mut fingerprint = None;
    for c in chunks {
        if c.usage.is_some() {
            usage.clone_from(&c.usage);
        }
        if c.system_fingerprint.is_some() {
            fingerprint.clone_from(&c.system_fingerprint);
        }
        for ch in &c.choices {
            let a = choices.entry(ch.index).or_default();
            let d = &ch.delta;
            if a.role.is_none() {
                a.role.clone_from(&d.role);
            }
            if let Some(t) = &d.content {
                a.content.get_or_insert_with(String::new).push_str(t);
            }
            if let Some(t) = &d.reasoning_content {
                a.reasoning.get_or_insert_with(String::new).push_str(t);
            }
            for tc in d.tool_calls.iter().flatten() {
                let e = a.tools.entry(tc.index).or_default();
                if e.0.is_none() {
                    e.0.clone_from(&tc.id);
                }
                if let Some(f) = &tc.function {
                    if let Some(n) = &f.name
                        && e.1.is_empty()
                    {
                        e.1.clone_from(n);
                    }
                    if let Some(args) = &f.arguments {
                        e.2.push_str(args);
                    }
                }
            }
            if let Some(fc) = &d.function_call {
                let e = a.function.get_or_insert_with(Default::default);
                if let Some(n) = fc.get("name").and_then(|v| v.as_str()) {
                    e.0.push_str(n);
                }
                if let Some(args) = fc.get("arguments").and_then(|v| v.as_str()) {
                    e.1.push_str(args);
                }
            }
            if ch.finish_reason.is_some() {
                a.finish.clone_from(&ch.finish_reason);
            }
            if let Some(lp) = &ch.logprobs {
                a.logprobs.push(lp.clone());
            }
            for block in d.extra.get("thinking_blocks").and_then(|v| v.as_array()).into_iter().flatten() {
                merge_thinking(&mut a.thinking, block);
            }
        }
    }
    let choices = choices
        .into_iter()
        .map(|(index, a)| {
            let tool_calls = (!a.tools.is_empty()).then(|| {
                a.tools
                    .into_values()
                    .map(|(id, name, arguments)| ToolCall {
                        id,
                        kind: "function".into(),
                        function: FunctionCall { name, arguments },
                        extra: Default::default(),
                    })
                    .collect()
            });
            let mut extra = serde_json::Map::new();
            if !a.thinking.is_empty() {
                let blocks = a.thinking.into_iter().map(|(_, b)| serde_json::Value::Object(b)).collect();
                extra.insert("thinking_blocks".into(), serde_json::Value::Array(blocks));
            }
            let message = ResponseMessage {
                role: a.role.unwrap_or_else(|| "assistant".into()),
                content: a.content,
                tool_calls,
                function_call: a.function.map(|(name, arguments)| FunctionCall { name, arguments }),
                reasoning_content: a.reasoning,
                extra,
            };
            Choice {
                index,
                message,
                finish_reason: a.finish,
                logprobs: merge_logprobs(a.logprobs),
                extra: Default::default(),
            }
        })
        .collect();
    Some(ChatResponse {
        id: first.id.clone(),
        object: "chat.completion".into(),
        created: first.created,
        model: first.model.clone(),
        system_fingerprint: fingerprint,
        choices,
        usage,
        extra: Default::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(texts: &[&str]) -> Batch {
        Batch::from(texts.iter().map(|t| Bytes::copy_from_slice(t.as_bytes())).collect::<Vec<_>>())
    }

    fn texts(b: &Batch) -> Vec<&str> {
        b.chunks.iter().map(|c| std::str::from_utf8(c).unwrap()).collect()
    }

    #[test]
    fn reads_are_handed_out_one_at_a_time_or_merged_in_order_then_the_end_or_the_error() {
        let (tx, rx) = mpsc::channel(CHANNEL);
        let mut s = ChunkStream::from_parts(rx, None, Hidden::default());
        assert!(s.try_next_read(8).is_none()); // nothing yet: the caller waits
        for b in [batch(&["a", "b"]), batch(&["c"]), batch(&["d", "e", "f"])] {
            tx.try_send(Ok(b)).unwrap();
        }
        assert_eq!(texts(&s.try_next_read(8).unwrap().unwrap()), ["a", "b"]);
        assert_eq!(texts(&s.try_next_laid(8).unwrap().unwrap()), ["c", "d", "e", "f"]);
        tx.try_send(Ok(batch(&["g", "h", "i"]))).unwrap();
        tx.try_send(Err(LlmError::new(crate::error::ErrorKind::ApiConnection, "cut"))).unwrap();
        assert_eq!(texts(&s.try_next_read(2).unwrap().unwrap()), ["g", "h"]); // at most `max`
        assert_eq!(texts(&s.try_next_read(2).unwrap().unwrap()), ["i"]);
        assert_eq!(s.try_next_read(2).unwrap().unwrap_err().message, "cut"); // after the chunks before it
        assert!(s.try_next_read(2).unwrap().unwrap().chunks.is_empty()); // then the end

        let (tx, rx) = mpsc::channel(CHANNEL);
        let mut s = ChunkStream::from_parts(rx, None, Hidden::default());
        tx.try_send(Ok(batch(&["x"]))).unwrap();
        drop(tx);
        assert_eq!(texts(&s.try_next_read(8).unwrap().unwrap()), ["x"]);
        assert!(s.try_next_read(8).unwrap().unwrap().chunks.is_empty());
    }

    #[test]
    fn aggregate_merges_thinking_blocks_and_logprobs() {
        let raw = [
            r#"{"id":"c","choices":[{"index":0,"delta":{"reasoning_content":"Let me ","thinking_blocks":[{"type":"thinking","thinking":"Let me ","index":0}]},"logprobs":{"content":[{"token":"a","logprob":-0.1}]}}]}"#,
            r#"{"id":"c","choices":[{"index":0,"delta":{"reasoning_content":"think.","thinking_blocks":[{"type":"thinking","thinking":"think.","index":0}]},"logprobs":{"content":[{"token":"b","logprob":-0.2}]}}]}"#,
            r#"{"id":"c","choices":[{"index":0,"delta":{"thinking_blocks":[{"type":"thinking","thinking":"","signature":"sig-1","index":0}]}}]}"#,
            r#"{"id":"c","choices":[{"index":0,"delta":{"thinking_blocks":[{"type":"thinking","thinking":"Second"}]}}]}"#,
            r#"{"id":"c","choices":[{"index":0,"delta":{"content":"Answer"},"finish_reason":"stop"}]}"#,
        ];
        let chunks: Vec<ChatChunk> = raw.iter().map(|s| serde_json::from_str(s).unwrap()).collect();
        let r = aggregate_chunks(&chunks).unwrap();
        let m = &r.choices[0].message;
        assert_eq!(m.reasoning_content.as_deref(), Some("Let me think."));
        assert_eq!(
            m.extra["thinking_blocks"],
            serde_json::json!([
                {"type": "thinking", "thinking": "Let me think.", "signature": "sig-1"},
                {"type": "thinking", "thinking": "Second"}
            ])
        );
        assert_eq!(r.choices[0].logprobs.as_ref().unwrap()["content"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn aggregate_rebuilds_parallel_tool_calls_and_usage() {
        let raw = [
            r#"{"id":"c1","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"get_weather","arguments":""}}]}}]}"#,
            r#"{"id":"c1","created":1,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"get_time","arguments":"{\"tz\":"}}]}}]}"#,
            r#"{"id":"c1","created":1,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":\"Paris\"}"}}]}}]}"#,
            r#"{"id":"c1","created":1,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"\"UTC\"}"}}]}}]}"#,
            r#"{"id":"c1","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}"#,
            r#"{"id":"c1","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12}}"#,
        ];
        let chunks: Vec<ChatChunk> = raw.iter().map(|s| serde_json::from_str(s).unwrap()).collect();
        let r = aggregate_chunks(&chunks).unwrap();
        let tc = r.choices[0].message.tool_calls.as_ref().unwrap();
        assert_eq!(tc.len(), 2);
        assert_eq!(tc[0].id.as_deref(), Some("call_a"));
        assert_eq!(tc[0].function.arguments, "{\"city\":\"Paris\"}");
        assert_eq!(tc[1].function.name, "get_time");
        assert_eq!(tc[1].function.arguments, "{\"tz\":\"UTC\"}");
        assert_eq!(r.choices[0].finish_reason.as_deref(), Some("tool_calls"));
        assert_eq!(r.usage.unwrap().total_tokens, 12);
    }
}
