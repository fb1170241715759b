//! Delivery of payloads to built-in loggers: one bounded queue and one task per logger, on the
//! process runtime. A full queue drops the payload (counted), a failed send is logged; neither
//! ever reaches the call that produced the payload.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

use super::loggers::{self, Logger};
use crate::transport::{self, core};

/// Payloads waiting per logger before new ones are dropped.
const QUEUE: usize = 10_000;
/// Most payloads sent in one batch.
const BATCH: usize = 256;
/// How long a started batch waits for more payloads.
const LINGER: Duration = Duration::from_millis(200);
const SEND_TIMEOUT: Duration = Duration::from_secs(30);

enum Item {
    /// A payload as JSON, parsed by the logger's task (off the call's path).
    Event(Bytes),
    Flush(oneshot::Sender<()>),
}

struct Sink {
    pid: u32,
    tx: mpsc::Sender<Item>,
}

static SINKS: Mutex<Option<HashMap<String, Sink>>> = Mutex::new(None);
static DROPPED: AtomicU64 = AtomicU64::new(0);
/// Payloads being built (deferred logs whose build task has not run yet).
static BUILDING: AtomicU64 = AtomicU64::new(0);

/// A payload is about to be built off the call's path ([`flush`] waits for it).
pub fn building() -> BuildGuard {
    BUILDING.fetch_add(1, Ordering::AcqRel);
    BuildGuard(())
}

/// Counts a pending build until dropped.
pub struct BuildGuard(());

impl Drop for BuildGuard {
    fn drop(&mut self) {
        BUILDING.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Payloads dropped so far because a logger's queue was full (or it could not be set up).
pub fn dropped() -> u64 {
    DROPPED.load(Ordering::Relaxed)
}

/// Queues `payload` for each named logger (unknown names and in-process loggers are handled
/// here too: in-process ones record it at once).
pub fn emit(names: &[String], payload: Bytes) {
    for name in names {
        let name = loggers::canonical(name);
        if loggers::record_in_process(name, &payload) {
            continue;
        }
        let Some(tx) = sender(name) else {
            DROPPED.fetch_add(1, Ordering::Relaxed);
            continue;
        };
        if tx.try_send(Item::Event(payload.clone())).is_err() {
            DROPPED.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(logger = name, "logging queue full; payload dropped");
        }
    }
}

fn sender(name: &'static str) -> Option<mpsc::Sender<Item>> {
    let pid = std::process::id();
    let mut guard = SINKS.lock().ok()?;
    let sinks = guard.get_or_insert_with(HashMap::new);
    if let Some(s) = sinks.get(name).filter(|s| s.pid == pid) {
        return Some(s.tx.clone());
    }
    let logger = match loggers::from_env(name) {
        Ok(l) => l,
        Err(e) => {
            tracing::warn!(logger = name, error = %e, "logger not set up; payloads dropped");
            return None;
        }
    };
    let (tx, rx) = mpsc::channel(QUEUE);
    core().rt.spawn(run(logger, rx));
    sinks.insert(name.to_owned(), Sink { pid, tx: tx.clone() });
    Some(tx)
}

fn take_item(item: Item, batch: &mut Vec<Arc<Value>>, waiters: &mut Vec<oneshot::Sender<()>>) {
    match item {
        Item::Event(p) => match serde_json::from_slice(&p) {
            Ok(v) => batch.push(Arc::new(v)),
            Err(_) => {
                DROPPED.fetch_add(1, Ordering::Relaxed);
            }
        },
        Item::Flush(w) => waiters.push(w),
    }
}

async fn run(logger: Box<dyn Logger>, mut rx: mpsc::Receiver<Item>) {
    let mut batch: Vec<Arc<Value>> = Vec::new();
    let mut waiters: Vec<oneshot::Sender<()>> = Vec::new();
    while let Some(first) = rx.recv().await {
        take_item(first, &mut batch, &mut waiters);
        // Collect what else arrives within the linger time (a flush sends at once).
        let deadline = tokio::time::Instant::now() + LINGER;
        while batch.len() < BATCH && waiters.is_empty() {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(item)) => take_item(item, &mut batch, &mut waiters),
                Ok(None) | Err(_) => break,
            }
        }
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(item) => take_item(item, &mut batch, &mut waiters),
                Err(_) => break,
            }
        }
        if !batch.is_empty() {
            deliver(logger.as_ref(), &batch).await;
            batch.clear();
        }
        for w in waiters.drain(..) {
            let _ = w.send(());
        }
    }
}

async fn deliver(logger: &dyn Logger, batch: &[Arc<Value>]) {
    for req in logger.requests(batch) {
        match transport::send(&req, SEND_TIMEOUT, true).await {
            Ok(r) if r.is_success() => {}
            Ok(r) => tracing::warn!(logger = logger.name(), status = r.status, "logging endpoint refused a batch"),
            Err(e) => tracing::warn!(logger = logger.name(), error = %e, "logging endpoint unreachable"),
        }
    }
}

/// Waits until every payload of the calls finished so far has been built and sent (or failed).
pub async fn flush() {
    let deadline = tokio::time::Instant::now() + SEND_TIMEOUT;
    while BUILDING.load(Ordering::Acquire) > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let senders: Vec<mpsc::Sender<Item>> = match SINKS.lock() {
        Ok(g) => g.as_ref().map(|m| m.values().map(|s| s.tx.clone()).collect()).unwrap_or_default(),
        Err(_) => Vec::new(),
    };
    for tx in senders {
        let (done, wait) = oneshot::channel();
        if tx.send(Item::Flush(done)).await.is_ok() {
            let _ = wait.await;
        }
    }
}

/// Forgets every logger (their configuration is read again on next use).
pub fn reset() {
    if let Ok(mut g) = SINKS.lock() {
        *g = None;
    }
}
