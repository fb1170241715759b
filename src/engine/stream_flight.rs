//! Identical streams in flight share one upstream stream (with a cache configured, keyed like
//! the cache). The first request opens it in a task of its own; every request — the first and
//! those that arrive while it runs — reads the chunks from the start, at its own pace. When every
//! reader has gone, the upstream stream is closed; when it ends, the flight is retired (the cache
//! holds the answer from then on).

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, PoisonError};

use bytes::Bytes;
use tokio::sync::{Notify, mpsc};

use super::Hidden;
use super::stream::ChunkStream;
use crate::error::{ErrorKind, LlmError};

/// One upstream stream and what it said so far.
struct Flight {
    state: Mutex<State>,
    /// Woken when the stream opened, sent chunks or ended.
    news: Notify,
    /// Readers still reading (each holds a [`Reader`]).
    readers: AtomicUsize,
    /// Set by the first reader that read the stream to its end: that reader reports the upstream
    /// stream's cost, the others 0 (they made no upstream call).
    paid: AtomicBool,
}

#[derive(Default)]
struct State {
    /// The stream's hidden params once it opened, or why it could not open.
    opened: Option<Result<Hidden, LlmError>>,
    chunks: Vec<Bytes>,
    /// How it ended: well, or with this error.
    end: Option<Result<(), LlmError>>,
}

/// Flights by key, in this process (a forked child starts with none).
type Flights = (u32, HashMap<String, Arc<Flight>>);
static FLIGHTS: LazyLock<Mutex<Flights>> = LazyLock::new(Default::default);

fn flights() -> MutexGuard<'static, Flights> {
    let mut guard = FLIGHTS.lock().unwrap_or_else(PoisonError::into_inner);
    let pid = std::process::id();
    if guard.0 != pid {
        *guard = (pid, HashMap::new());
    }
    guard
}

impl Flight {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn tell(&self, change: impl FnOnce(&mut State)) {
        change(&mut self.state());
        self.news.notify_waiters();
    }
}

/// A reader's place in a flight; leaving (also by being dropped) is counted.
struct Reader(Arc<Flight>);

impl Drop for Reader {
    fn drop(&mut self) {
        self.0.readers.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The stream for `key`: a reader of the flight in progress, or of a new one that `open` starts.
pub(crate) async fn shared<F>(key: String, open: F) -> Result<ChunkStream, LlmError>
where
    F: Future<Output = Result<ChunkStream, LlmError>> + Send + 'static,
{
    let reader = {
        let mut guard = flights();
        let flight = match guard.1.get(&key) {
            Some(f) => f.clone(),
            None => {
                let f = Arc::new(Flight {
                    state: Mutex::default(),
                    news: Notify::new(),
                    readers: AtomicUsize::new(0),
                    paid: AtomicBool::new(false),
                });
                guard.1.insert(key.clone(), f.clone());
                crate::transport::core().rt.spawn(run(key, f.clone(), open));
                f
            }
        };
        flight.readers.fetch_add(1, Ordering::AcqRel);
        Reader(flight)
    };
    let flight = reader.0.clone();
    let hidden = loop {
        let news = flight.news.notified();
        tokio::pin!(news);
        news.as_mut().enable();
        match &flight.state().opened {
            Some(Ok(h)) => break h.clone(),
            Some(Err(e)) => return Err(e.clone()),
            None => {}
        }
        news.await;
    };
    Ok(read(reader, hidden))
}

/// A stream of the flight's chunks from the first, as they come. Its cost is its own: the
/// upstream stream's (which the upstream reader records once it saw the usage) when it is the
/// first to reach the end, 0 otherwise.
fn read(reader: Reader, mut hidden: Hidden) -> ChunkStream {
    let upstream_cost = std::mem::take(&mut hidden.stream_cost);
    let own_cost = hidden.stream_cost.clone();
    let (tx, rx) = mpsc::channel(32);
    let task = tokio::spawn(async move {
        let flight = reader.0.clone();
        let mut pos = 0;
        loop {
            let news = flight.news.notified();
            tokio::pin!(news);
            news.as_mut().enable();
            let (batch, end) = {
                let s = flight.state();
                (s.chunks[pos..].to_vec(), s.end.clone())
            };
            if !batch.is_empty() {
                pos += batch.len();
                if tx.send(Ok(batch.into())).await.is_err() {
                    break; // the reader went away
                }
                continue;
            }
            match end {
                Some(Ok(())) => {
                    let cost = if reader.0.paid.swap(true, Ordering::AcqRel) {
                        Some(0.0)
                    } else {
                        upstream_cost.lock().ok().and_then(|c| *c)
                    };
                    if let Ok(mut c) = own_cost.lock() {
                        *c = cost;
                    }
                    break;
                }
                Some(Err(e)) => {
                    let _ = tx.send(Err(e)).await;
                    break;
                }
                None => news.await,
            }
        }
        drop(reader);
    });
    ChunkStream::from_parts(rx, Some(task.abort_handle()), hidden)
}

/// Opens the upstream stream and copies its chunks into the flight until it ends or nobody
/// reads any more (then the upstream stream is dropped, which closes it).
async fn run<F>(key: String, flight: Arc<Flight>, open: F)
where
    F: Future<Output = Result<ChunkStream, LlmError>>,
{
    let retire = Retire { key, flight: flight.clone() };
    let mut upstream = match open.await {
        Ok(s) => {
            flight.tell(|st| st.opened = Some(Ok(s.hidden.clone())));
            s
        }
        Err(e) => {
            flight.tell(|st| st.opened = Some(Err(e)));
            return;
        }
    };
    loop {
        let got = upstream.next_batch(usize::MAX).await;
        match got {
            Ok(batch) if batch.is_empty() => return flight.tell(|st| st.end = Some(Ok(()))),
            Ok(batch) => flight.tell(|st| st.chunks.extend(batch)),
            Err(e) => return flight.tell(|st| st.end = Some(Err(e))),
        }
        if flight.readers.load(Ordering::Acquire) == 0 {
            // under the flights' lock: nobody can join once it is gone from the map
            let mut guard = flights();
            if flight.readers.load(Ordering::Acquire) == 0 {
                remove(&mut guard, &retire.key, &flight);
                let closed = LlmError::new(ErrorKind::ApiConnection, "the shared stream was closed: no reader left");
                return flight.tell(|st| st.end = Some(Err(closed)));
            }
        }
    }
}

fn remove(guard: &mut Flights, key: &str, flight: &Arc<Flight>) {
    if guard.1.get(key).is_some_and(|f| Arc::ptr_eq(f, flight)) {
        guard.1.remove(key);
    }
}

/// Takes the flight out of the map when its task ends (also by a panic or at runtime shutdown).
struct Retire {
    key: String,
    flight: Arc<Flight>,
}

impl Drop for Retire {
    fn drop(&mut self) {
        remove(&mut flights(), &self.key, &self.flight);
        let mut st = self.flight.state();
        if st.opened.is_none() {
            st.opened = Some(Err(LlmError::new(ErrorKind::ApiConnection, "the shared stream did not open")));
        }
        if st.end.is_none() {
            st.end = Some(Err(LlmError::new(ErrorKind::ApiConnection, "the shared stream stopped")));
        }
        drop(st);
        self.flight.news.notify_waiters();
    }
}
