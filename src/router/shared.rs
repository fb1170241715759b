//! The Router's state shared through Redis, so that several processes see one picture: this
//! minute's requests and tokens per deployment, failures, cooldowns and latency.
//!
//! Nothing touches Redis on a call's path. Calls add to a local buffer; a background task (one
//! per router and process) flushes it every [`PERIOD`] in one pipeline and reads back what every
//! process wrote, which the deployments' live state then counts. Another process's cooldown is
//! therefore seen within about one period. When Redis is unreachable the task logs one warning,
//! keeps the buffer bounded, and each process routes on its own view until Redis is back.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use super::config::Settings;
use super::state::{DeploymentState, minute_of, now_ms};

pub const PERIOD: Duration = Duration::from_millis(100);
/// The longest a round trip to Redis may take before the round is skipped.
const ROUND_TIMEOUT: Duration = Duration::from_millis(500);
/// Usage and failure windows live two minutes in Redis; cooldowns an hour past their last write.
const WINDOW_TTL_SECS: u64 = 120;
const COOLDOWN_TTL_SECS: u64 = 3600;

/// Live state by deployment id.
pub type StateMap = Mutex<HashMap<String, Arc<DeploymentState>>>;
pub type States = Arc<StateMap>;

#[derive(Default)]
struct Pending {
    minute: u64,
    /// id -> (requests, tokens, failures) of this minute not yet written.
    counts: HashMap<String, (u64, u64, u64)>,
    cooldowns: HashMap<String, u64>,
    latency: HashMap<String, f64>,
}

struct Remote {
    url: String,
    prefix: String,
    pending: Mutex<Pending>,
    /// id -> (minute, failures in Redis at the last read).
    fails: Mutex<HashMap<String, (u64, u32)>>,
    /// The process whose task runs (a forked child starts its own).
    task_pid: AtomicU32,
    down: AtomicBool,
}

#[derive(Default)]
pub struct Shared {
    remote: Mutex<Option<Arc<Remote>>>,
    states: Mutex<Weak<StateMap>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Shared {
    pub fn new(settings: &Settings, states: &States) -> Self {
        let s = Shared { remote: Mutex::default(), states: Mutex::new(Arc::downgrade(states)) };
        s.configure(settings);
        s
    }

    /// Applies the Redis settings (a changed URL or namespace starts a new task).
    pub fn configure(&self, settings: &Settings) {
        let url = settings.redis_url.clone().filter(|u| !u.is_empty());
        let ns = settings.redis_namespace.clone().filter(|n| !n.is_empty()).unwrap_or_else(|| "default".to_owned());
        let mut cur = lock(&self.remote);
        // the namespace is a hash tag: one round's keys share a cluster slot (one transaction)
        let prefix = format!("litellm_rs:router:{{{ns}}}:");
        if cur.as_ref().map(|r| (&r.url, &r.prefix)) == url.as_ref().map(|u| (u, &prefix)) {
            return;
        }
        *cur = url.map(|url| {
            Arc::new(Remote {
                url,
                prefix,
                pending: Mutex::default(),
                fails: Mutex::default(),
                task_pid: AtomicU32::new(0),
                down: AtomicBool::new(false),
            })
        });
        drop(cur);
        self.ensure_started();
    }

    fn remote(&self) -> Option<Arc<Remote>> {
        let r = lock(&self.remote).clone()?;
        if r.task_pid.load(Ordering::Relaxed) != std::process::id() {
            self.start(&r);
        }
        Some(r)
    }

    /// Starts the sync task in this process if it is not running.
    pub fn ensure_started(&self) {
        let _ = self.remote();
    }

    fn start(&self, r: &Arc<Remote>) {
        let pid = std::process::id();
        if r.task_pid.swap(pid, Ordering::Relaxed) == pid {
            return;
        }
        let remote = Arc::downgrade(r);
        let states = lock(&self.states).clone();
        crate::transport::core().rt.spawn(async move {
            let mut tick = tokio::time::interval(PERIOD);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let (Some(r), Some(states)) = (remote.upgrade(), states.upgrade()) else {
                    return; // the router is gone
                };
                if r.task_pid.load(Ordering::Relaxed) != pid {
                    return; // replaced (a newer task in this process)
                }
                r.round(&states).await;
            }
        });
    }

    fn with_pending(&self, f: impl FnOnce(&mut Pending)) {
        if let Some(r) = self.remote() {
            let mut p = lock(&r.pending);
            f(&mut p);
        }
    }

    /// A call was sent to a deployment.
    pub fn request(&self, id: &str, now: u64) {
        self.with_pending(|p| counts(p, id, now).0 += 1);
    }

    pub fn succeeded(&self, id: &str, tokens: u64, latency_ms: f64) {
        self.with_pending(|p| {
            counts(p, id, now_ms()).1 += tokens;
            p.latency.insert(id.to_owned(), latency_ms);
        });
    }

    /// Reports a deployment's tokens known later (a stream's, at its end); None without Redis.
    pub fn token_reporter(&self, id: &str) -> Option<super::state::TokenReport> {
        let r = self.remote()?;
        let id = id.to_owned();
        Some(Box::new(move |tokens| counts(&mut lock(&r.pending), &id, now_ms()).1 += tokens))
    }

    /// A call failed; returns the failures every process reported this minute (0 without Redis).
    pub fn failed(&self, id: &str, now: u64) -> u32 {
        let Some(r) = self.remote() else {
            return 0;
        };
        let mine = {
            let mut p = lock(&r.pending);
            let c = counts(&mut p, id, now);
            c.2 += 1;
            c.2 as u32
        };
        let known = lock(&r.fails).get(id).filter(|(m, _)| *m == minute_of(now)).map_or(0, |(_, n)| *n);
        known + mine
    }

    /// A deployment was cooled down until `until` (ms).
    pub fn cooled(&self, id: &str, until: u64) {
        self.with_pending(|p| {
            let e = p.cooldowns.entry(id.to_owned()).or_default();
            *e = (*e).max(until);
        });
    }
}

fn counts<'a>(p: &'a mut Pending, id: &str, now: u64) -> &'a mut (u64, u64, u64) {
    let minute = minute_of(now);
    if p.minute != minute {
        // a minute that was not written in time is dropped (Redis was away)
        p.minute = minute;
        p.counts.clear();
    }
    p.counts.entry(id.to_owned()).or_default()
}

fn int(v: &redis::Value) -> Option<u64> {
    match v {
        redis::Value::Int(n) => u64::try_from(*n).ok(),
        redis::Value::BulkString(b) => std::str::from_utf8(b).ok()?.parse::<f64>().ok().map(|f| f as u64),
        redis::Value::SimpleString(s) => s.parse::<f64>().ok().map(|f| f as u64),
        _ => None,
    }
}

fn text(v: &redis::Value) -> Option<String> {
    match v {
        redis::Value::BulkString(b) => String::from_utf8(b.clone()).ok(),
        redis::Value::SimpleString(s) => Some(s.clone()),
        redis::Value::Int(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A HGETALL reply as (field, value) pairs.
fn pairs(v: &redis::Value) -> Vec<(String, redis::Value)> {
    match v {
        redis::Value::Array(items) => {
            items.chunks(2).filter_map(|c| Some((text(c.first()?)?, c.get(1)?.clone()))).collect()
        }
        redis::Value::Map(m) => m.iter().filter_map(|(k, v)| Some((text(k)?, v.clone()))).collect(),
        _ => Vec::new(),
    }
}

impl Remote {
    /// One round: write what this process saw, read what all processes saw.
    async fn round(&self, states: &StateMap) {
        let now = now_ms();
        let minute = minute_of(now);
        let pending = std::mem::take(&mut *lock(&self.pending));
        let p = &self.prefix;
        let usage_key = format!("{p}usage:{minute}");
        let fails_key = format!("{p}fails:{minute}");
        let mut cmds: Vec<Vec<String>> = Vec::new();
        let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<String>>();
        if pending.minute == minute {
            for (id, (r, t, f)) in &pending.counts {
                for (field, n, key) in [("r", r, &usage_key), ("t", t, &usage_key), ("", f, &fails_key)] {
                    if *n > 0 {
                        let name = if field.is_empty() { id.clone() } else { format!("{id}:{field}") };
                        cmds.push(s(&["HINCRBY", key, &name, &n.to_string()]));
                    }
                }
            }
            cmds.push(s(&["EXPIRE", &usage_key, &WINDOW_TTL_SECS.to_string()]));
            cmds.push(s(&["EXPIRE", &fails_key, &WINDOW_TTL_SECS.to_string()]));
        }
        let cooldowns_key = format!("{p}cooldowns");
        if !pending.cooldowns.is_empty() {
            for (id, until) in &pending.cooldowns {
                cmds.push(s(&["HSET", &cooldowns_key, id, &until.to_string()]));
            }
            cmds.push(s(&["EXPIRE", &cooldowns_key, &COOLDOWN_TTL_SECS.to_string()]));
        }
        let latency_key = format!("{p}latency");
        for (id, ms) in &pending.latency {
            cmds.push(s(&["HSET", &latency_key, id, &format!("{ms:.3}")]));
        }
        let reads = cmds.len();
        cmds.push(s(&["HGETALL", &usage_key]));
        cmds.push(s(&["HGETALL", &fails_key]));
        cmds.push(s(&["HGETALL", &cooldowns_key]));
        cmds.push(s(&["HGETALL", &latency_key]));
        // the connection is made outside the round's limit (a cluster or TLS connect may take longer)
        let connected = crate::store::redis::ensure_connected(&self.url).await;
        let replies = match connected {
            Ok(()) => tokio::time::timeout(ROUND_TIMEOUT, crate::store::redis::transaction(&self.url, &cmds)).await,
            Err(e) => Ok(Err(e)),
        };
        let replies = match replies {
            Ok(Ok(r)) if r.len() == cmds.len() => r,
            other => {
                if !self.down.swap(true, Ordering::Relaxed) {
                    let why = match other {
                        Ok(Err(e)) => e.to_string(),
                        _ => "no answer in time".to_owned(),
                    };
                    tracing::warn!(error = %why, "router: Redis unavailable, routing on this process's view");
                }
                self.restore(pending);
                return;
            }
        };
        if self.down.swap(false, Ordering::Relaxed) {
            tracing::warn!("router: Redis is back, sharing routing state again");
        }
        let states = lock(states).clone();
        let mut usage: HashMap<String, (u64, u64)> = HashMap::new();
        for (field, v) in pairs(&replies[reads]) {
            let Some((id, what)) = field.rsplit_once(':') else { continue };
            let e = usage.entry(id.to_owned()).or_default();
            match what {
                "r" => e.0 = int(&v).unwrap_or(0),
                "t" => e.1 = int(&v).unwrap_or(0),
                _ => {}
            }
        }
        for (id, (r, t)) in usage {
            if let Some(st) = states.get(&id) {
                st.set_remote_usage(minute, r, t);
            }
        }
        {
            let mut fails = lock(&self.fails);
            fails.clear();
            for (id, v) in pairs(&replies[reads + 1]) {
                fails.insert(id, (minute, int(&v).unwrap_or(0) as u32));
            }
        }
        for (id, v) in pairs(&replies[reads + 2]) {
            if let (Some(st), Some(until)) = (states.get(&id), int(&v))
                && until > now
            {
                st.cool_until(until);
            }
        }
        for (id, v) in pairs(&replies[reads + 3]) {
            if let (Some(st), Some(ms)) = (states.get(&id), text(&v).and_then(|t| t.parse::<f64>().ok()))
                && st.latency() == 0.0
            {
                st.set_latency(ms);
            }
        }
    }

    /// Puts back what a failed round did not write (this minute's counts and the cooldowns).
    fn restore(&self, old: Pending) {
        let mut p = lock(&self.pending);
        if old.minute == p.minute || p.counts.is_empty() {
            p.minute = old.minute;
            for (id, (r, t, f)) in old.counts {
                let c = p.counts.entry(id).or_default();
                c.0 += r;
                c.1 += t;
                c.2 += f;
            }
        }
        for (id, until) in old.cooldowns {
            let e = p.cooldowns.entry(id).or_default();
            *e = (*e).max(until);
        }
        // bounded: a long outage keeps at most one minute of counts (the minute rolls them over)
    }
}
