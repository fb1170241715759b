//! The live state of one deployment: calls in flight, the current minute's usage and failures,
//! its cooldown (the circuit breaker), latency, and the statistics a user can read. Kept across
//! changes of the model list (by deployment id). Reads on the routing path are atomics.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

/// Milliseconds since the Unix epoch (cooldowns are shared between processes in these units).
pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// The minute a moment falls in (usage windows are per clock minute, as litellm's).
pub fn minute_of(ms: u64) -> u64 {
    ms / 60_000
}

#[derive(Default)]
struct Window {
    minute: u64,
    requests: u64,
    tokens: u64,
    fails: u32,
}

impl Window {
    fn roll(&mut self, minute: u64) {
        if self.minute != minute {
            *self = Window { minute, ..Window::default() };
        }
    }
}

#[derive(Default, Clone, Copy)]
struct Totals {
    requests: u64,
    successes: u64,
    failures: u64,
    latency_ms: f64,
    cost: f64,
    tokens: u64,
}

/// The weight of a new latency sample in the moving average.
const LATENCY_ALPHA: f64 = 0.3;

#[derive(Default)]
pub struct DeploymentState {
    in_flight: AtomicU64,
    cooldown_until: AtomicU64,
    /// Milliseconds, as f64 bits; 0 = no sample yet.
    latency_ewma: AtomicU64,
    rolled_back: AtomicBool,
    /// When the last health check failed (ms; 0 = healthy or never checked).
    unhealthy_at: AtomicU64,
    window: Mutex<Window>,
    totals: Mutex<Totals>,
    /// The picture other processes gave (through Redis): this minute's requests and tokens.
    remote: Mutex<(u64, u64, u64)>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A call on a deployment: counted in flight until dropped.
pub struct InFlight {
    state: std::sync::Arc<DeploymentState>,
    /// A stream's tokens, known at its end: counted in this minute's usage when it is dropped,
    /// and told to the other processes (`report`).
    tokens: Option<std::sync::Arc<std::sync::atomic::AtomicU64>>,
    report: Option<TokenReport>,
}

/// Tells other processes (through Redis) of tokens a deployment used.
pub type TokenReport = Box<dyn Fn(u64) + Send + Sync>;

impl InFlight {
    /// Counts the tokens `cell` holds when the call ends (a stream's usage chunk fills it).
    pub fn with_tokens(
        mut self,
        cell: std::sync::Arc<std::sync::atomic::AtomicU64>,
        report: Option<TokenReport>,
    ) -> Self {
        self.tokens = Some(cell);
        self.report = report;
        self
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.state.in_flight.fetch_sub(1, Ordering::Relaxed);
        let n = self.tokens.as_ref().map_or(0, |c| c.load(Ordering::Relaxed));
        if n > 0 {
            self.state.add_tokens(crate::util::now_ms(), n);
            if let Some(report) = &self.report {
                report(n);
            }
        }
    }
}

impl DeploymentState {
    pub fn in_flight(&self) -> u64 {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// Cooling down at `now` (ms).
    pub fn cooling(&self, now: u64) -> bool {
        self.cooldown_until.load(Ordering::Relaxed) > now
    }

    pub fn cooldown_until(&self) -> u64 {
        self.cooldown_until.load(Ordering::Relaxed)
    }

    /// Takes the deployment out until `until` (ms); a later end wins.
    pub fn cool_until(&self, until: u64) {
        if self.cooldown_until.fetch_max(until, Ordering::Relaxed) < until {
            lock(&self.window).fails = 0;
        }
    }

    /// Records a health check's result.
    pub fn set_health(&self, now: u64, healthy: bool) {
        self.unhealthy_at.store(if healthy { 0 } else { now.max(1) }, Ordering::Relaxed);
    }

    /// Whether the last health check failed less than `stale_ms` ago.
    pub fn unhealthy(&self, now: u64, stale_ms: u64) -> bool {
        let at = self.unhealthy_at.load(Ordering::Relaxed);
        at != 0 && now.saturating_sub(at) < stale_ms
    }

    pub fn rolled_back(&self) -> bool {
        self.rolled_back.load(Ordering::Relaxed)
    }

    pub fn roll_back(&self) -> bool {
        !self.rolled_back.swap(true, Ordering::Relaxed)
    }

    /// The latency moving average in ms (0 before the first sample).
    pub fn latency(&self) -> f64 {
        f64::from_bits(self.latency_ewma.load(Ordering::Relaxed))
    }

    pub fn set_latency(&self, ms: f64) {
        self.latency_ewma.store(ms.to_bits(), Ordering::Relaxed);
    }

    /// This minute's (requests, tokens), counting what other processes reported.
    pub fn usage(&self, now: u64) -> (u64, u64) {
        let minute = minute_of(now);
        let local = {
            let w = lock(&self.window);
            if w.minute == minute { (w.requests, w.tokens) } else { (0, 0) }
        };
        let remote = *lock(&self.remote);
        if remote.0 == minute { (local.0.max(remote.1), local.1.max(remote.2)) } else { local }
    }

    pub fn set_remote_usage(&self, minute: u64, requests: u64, tokens: u64) {
        *lock(&self.remote) = (minute, requests, tokens);
    }

    /// Starts a call: counts the request in this minute and in flight.
    pub fn begin(self: &std::sync::Arc<Self>, now: u64) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        {
            let mut w = lock(&self.window);
            w.roll(minute_of(now));
            w.requests += 1;
        }
        InFlight { state: self.clone(), tokens: None, report: None }
    }

    /// Tokens a call reported after its success was counted (a stream's, at its end).
    pub fn add_tokens(&self, now: u64, tokens: u64) {
        {
            let mut w = lock(&self.window);
            w.roll(minute_of(now));
            w.tokens += tokens;
        }
        lock(&self.totals).tokens += tokens;
    }

    pub fn success(&self, now: u64, latency_ms: f64, tokens: u64, cost: f64) {
        {
            let mut w = lock(&self.window);
            w.roll(minute_of(now));
            w.tokens += tokens;
        }
        let old = self.latency();
        self.set_latency(if old == 0.0 { latency_ms } else { old + LATENCY_ALPHA * (latency_ms - old) });
        let mut t = lock(&self.totals);
        t.requests += 1;
        t.successes += 1;
        t.latency_ms += latency_ms;
        t.cost += cost;
        t.tokens += tokens;
    }

    /// Counts a failure; returns this minute's failures that count against the deployment
    /// (`against` is false for errors the caller caused).
    pub fn failure(&self, now: u64, latency_ms: f64, against: bool) -> u32 {
        let fails = {
            let mut w = lock(&self.window);
            w.roll(minute_of(now));
            if against {
                w.fails += 1;
            }
            w.fails
        };
        let mut t = lock(&self.totals);
        t.requests += 1;
        t.failures += 1;
        t.latency_ms += latency_ms;
        fails
    }

    /// (requests, error rate) since the start.
    pub fn error_rate(&self) -> (u64, f64) {
        let t = *lock(&self.totals);
        (t.requests, if t.requests == 0 { 0.0 } else { t.failures as f64 / t.requests as f64 })
    }

    /// Forgets the statistics, usage and cooldown (`Router.reset()`).
    pub fn reset(&self) {
        *lock(&self.window) = Window::default();
        *lock(&self.totals) = Totals::default();
        *lock(&self.remote) = (0, 0, 0);
        self.cooldown_until.store(0, Ordering::Relaxed);
        self.latency_ewma.store(0, Ordering::Relaxed);
        self.rolled_back.store(false, Ordering::Relaxed);
        self.unhealthy_at.store(0, Ordering::Relaxed);
    }

    /// The statistics as JSON (`Router.get_deployment_stats()`).
    pub fn stats(&self, now: u64) -> Value {
        let t = *lock(&self.totals);
        let (rpm, tpm) = self.usage(now);
        let until = self.cooldown_until();
        json!({
            "requests": t.requests,
            "successes": t.successes,
            "failures": t.failures,
            "error_rate": if t.requests == 0 { 0.0 } else { t.failures as f64 / t.requests as f64 },
            "avg_latency_ms": if t.requests == 0 { 0.0 } else { t.latency_ms / t.requests as f64 },
            "latency_ewma_ms": self.latency(),
            "total_cost": t.cost,
            "total_tokens": t.tokens,
            "in_flight": self.in_flight(),
            "current_minute_requests": rpm,
            "current_minute_tokens": tpm,
            "cooldown_remaining_s": if until > now { (until - now) as f64 / 1000.0 } else { 0.0 },
            "rolled_back": self.rolled_back(),
            "healthy": self.unhealthy_at.load(Ordering::Relaxed) == 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_is_per_minute_and_failures_reset_on_cooldown() {
        let s = std::sync::Arc::new(DeploymentState::default());
        let t0 = 10 * 60_000 + 5;
        drop(s.begin(t0));
        s.success(t0, 100.0, 30, 0.01);
        assert_eq!(s.usage(t0), (1, 30));
        assert_eq!(s.usage(t0 + 60_000), (0, 0));
        assert_eq!(s.failure(t0, 5.0, true), 1);
        assert_eq!(s.failure(t0, 5.0, false), 1);
        assert_eq!(s.failure(t0, 5.0, true), 2);
        s.cool_until(t0 + 5000);
        assert!(s.cooling(t0 + 4999) && !s.cooling(t0 + 5000));
        assert_eq!(s.failure(t0, 5.0, true), 1);
        assert_eq!(s.error_rate(), (5, 0.8));
    }

    #[test]
    fn latency_is_a_moving_average() {
        let s = std::sync::Arc::new(DeploymentState::default());
        s.success(0, 100.0, 0, 0.0);
        assert_eq!(s.latency(), 100.0);
        s.success(0, 200.0, 0, 0.0);
        assert!((s.latency() - 130.0).abs() < 1e-9);
    }

    #[test]
    fn remote_usage_counts_when_larger() {
        let s = std::sync::Arc::new(DeploymentState::default());
        let now = 3 * 60_000;
        drop(s.begin(now));
        s.set_remote_usage(3, 7, 70);
        assert_eq!(s.usage(now), (7, 70));
        s.set_remote_usage(2, 9, 90);
        assert_eq!(s.usage(now), (1, 0));
    }
}
