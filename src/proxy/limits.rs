//! A key's live account: spend, budget reservations, requests and tokens per minute, requests in
//! flight. Admission is one atomic step under the key's lock: a request is let through only if
//! the spend so far, plus every reservation in flight, plus this request's maximum cost stay within
//! the budget, so concurrent requests can never spend past it. The reservation is settled with the
//! real cost when the call ends (or released when it fails).

use std::sync::{Arc, Mutex};

use super::keys::duration_secs;
use crate::error::{ErrorKind, LlmError};

/// What an account holder (a key, a user, a team) may spend and how fast.
#[derive(Debug, Clone, Default)]
pub struct Limits {
    pub max_budget: Option<f64>,
    pub budget_duration: Option<String>,
    pub rpm_limit: Option<i64>,
    pub tpm_limit: Option<i64>,
    pub max_parallel_requests: Option<i64>,
}

/// An account shared by the requests of its holder.
pub type SharedAccount = Arc<Mutex<Account>>;

#[derive(Debug, Default)]
pub struct Account {
    /// Settled spend in the current budget period.
    pub spend: f64,
    /// The maximum cost of the requests in flight.
    pub reserved: f64,
    pub in_flight: u32,
    /// The end of the current budget period (epoch seconds), for keys with `budget_duration`.
    pub reset_at: Option<i64>,
    minute: i64,
    requests: i64,
    tokens: i64,
}

/// What admission decided beyond yes: a budget period that ended (its spend starts again at 0).
#[derive(Debug, Default, Clone, Copy)]
pub struct Admitted {
    pub reset_to: Option<i64>,
}

fn denied(kind: ErrorKind, status: u16, message: String) -> LlmError {
    let mut e = LlmError::new(kind, message);
    e.status = status;
    e
}

/// Why a request was refused: the same reasons and words whether the account lives in this
/// process or in Redis (shared by several proxy instances).
#[derive(Debug, Clone, Copy)]
pub enum Refusal {
    /// The budget is spent.
    Spent {
        spend: f64,
        max: f64,
    },
    /// The budget has no room for this request's maximum cost.
    Budget {
        spend: f64,
        reserved: f64,
        estimate: f64,
        max: f64,
    },
    Rpm(i64),
    Tpm(i64),
    Parallel(i64),
}

impl Refusal {
    /// The error the caller gets (`who`: "key", "user", "team").
    pub fn error(self, who: &str) -> LlmError {
        match self {
            Refusal::Spent { spend, max } => denied(
                ErrorKind::BadRequest,
                400,
                format!("Budget has been exceeded! Current cost: {spend}, Max budget: {max} ({who})"),
            ),
            Refusal::Budget { spend, reserved, estimate, max } => denied(
                ErrorKind::BadRequest,
                400,
                format!(
                    "Budget would be exceeded ({who}): spend {spend:.6} + requests in flight {reserved:.6} + this \
                     request's maximum cost {estimate:.6} > max budget {max}. Set a lower max_tokens to reserve less."
                ),
            ),
            Refusal::Rpm(limit) => denied(
                ErrorKind::RateLimit,
                429,
                format!("Max requests per minute reached for this {who}: rpm_limit = {limit}"),
            ),
            Refusal::Tpm(limit) => denied(
                ErrorKind::RateLimit,
                429,
                format!("Max tokens per minute reached for this {who}: tpm_limit = {limit}"),
            ),
            Refusal::Parallel(limit) => denied(
                ErrorKind::RateLimit,
                429,
                format!("Max parallel requests reached for this {who}: max_parallel_requests = {limit}"),
            ),
        }
    }
}

impl Account {
    pub fn new(spend: f64, reset_at: Option<i64>) -> Self {
        Self { spend, reset_at, ..Self::default() }
    }

    fn roll(&mut self, now: i64) {
        let minute = now / 60;
        if minute != self.minute {
            self.minute = minute;
            self.requests = 0;
            self.tokens = 0;
        }
    }

    /// Admits a request of at most `estimate` dollars (and reserves it), or says why not.
    pub fn admit(&mut self, row: &Limits, estimate: f64, now: i64, who: &str) -> Result<Admitted, LlmError> {
        let admitted = self.check(row, estimate, now, who)?;
        self.reserve(estimate);
        Ok(admitted)
    }

    /// Takes the spend and budget period the shared account (in Redis) holds: the spend of every
    /// instance, so that this process still knows it if Redis goes away.
    pub fn sync(&mut self, spend: f64, reset_at: Option<i64>) {
        self.spend = spend;
        if reset_at.is_some() {
            self.reset_at = reset_at;
        }
    }

    /// Takes a reservation (after `check` said yes).
    pub fn reserve(&mut self, estimate: f64) {
        self.reserved += estimate;
        self.in_flight += 1;
        self.requests += 1;
    }

    /// Whether a request of at most `estimate` dollars fits (`who`: "key", "user", "team").
    pub fn check(&mut self, row: &Limits, estimate: f64, now: i64, who: &str) -> Result<Admitted, LlmError> {
        self.roll(now);
        let mut admitted = Admitted::default();
        if let Some(period) = row.budget_duration.as_deref().and_then(duration_secs) {
            match self.reset_at {
                Some(at) if now < at => {}
                Some(_) => {
                    self.spend = 0.0;
                    let next = now + period;
                    self.reset_at = Some(next);
                    admitted.reset_to = Some(next);
                }
                None => {
                    let next = now + period;
                    self.reset_at = Some(next);
                    admitted.reset_to = Some(next);
                }
            }
        }
        if let Some(max) = row.max_budget {
            if self.spend >= max {
                return Err(Refusal::Spent { spend: self.spend, max }.error(who));
            }
            if self.spend + self.reserved + estimate > max {
                return Err(Refusal::Budget { spend: self.spend, reserved: self.reserved, estimate, max }.error(who));
            }
        }
        if let Some(limit) = row.rpm_limit
            && self.requests >= limit
        {
            return Err(Refusal::Rpm(limit).error(who));
        }
        if let Some(limit) = row.tpm_limit
            && self.tokens >= limit
        {
            return Err(Refusal::Tpm(limit).error(who));
        }
        if let Some(limit) = row.max_parallel_requests
            && i64::from(self.in_flight) >= limit
        {
            return Err(Refusal::Parallel(limit).error(who));
        }
        Ok(admitted)
    }

    /// Ends a request: its reservation is replaced by what it cost.
    pub fn settle(&mut self, estimate: f64, cost: f64, tokens: i64, now: i64) {
        self.roll(now);
        self.reserved = (self.reserved - estimate).max(0.0);
        if self.in_flight == 0 {
            self.reserved = 0.0;
        }
        self.in_flight = self.in_flight.saturating_sub(1);
        self.spend += cost;
        self.tokens += tokens;
    }
}

/// An admitted request's reservations (on its key, and its user's and team's accounts). Settled
/// with the call's cost, or released (cost 0) when dropped unsettled (a failed call, a client that
/// went away).
#[derive(Debug)]
pub struct Ticket {
    accounts: Vec<SharedAccount>,
    pub estimate: f64,
    settled: bool,
    /// The same accounts in Redis (several proxy instances), when Redis took part in admission or
    /// should still learn the cost.
    shared: Option<super::shared::Held>,
}

impl Ticket {
    pub fn new(accounts: Vec<SharedAccount>, estimate: f64, shared: Option<super::shared::Held>) -> Self {
        Self { accounts, estimate, settled: false, shared }
    }

    fn end(&mut self, cost: f64, tokens: i64) {
        self.settled = true;
        let now = crate::util::now_secs() as i64;
        for account in &self.accounts {
            if let Ok(mut a) = account.lock() {
                a.settle(self.estimate, cost, tokens, now);
            }
        }
        if let Some(held) = self.shared.take() {
            held.settle(self.estimate, cost, tokens);
        }
    }

    /// Settles the reservations with the call's cost and tokens.
    pub fn settle(mut self, cost: f64, tokens: i64) {
        self.end(cost, tokens);
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if !self.settled {
            self.end(0.0, 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> Limits {
        Limits { max_budget: Some(1.0), rpm_limit: Some(3), max_parallel_requests: Some(2), ..Limits::default() }
    }

    #[test]
    fn reservations_never_let_spend_pass_the_budget() {
        let mut a = Account::default();
        let r = row();
        a.admit(&r, 0.4, 0, "key").unwrap();
        a.admit(&r, 0.4, 0, "key").unwrap();
        // two in flight: parallel limit
        assert_eq!(a.admit(&r, 0.1, 0, "key").unwrap_err().status, 429);
        a.settle(0.4, 0.3, 10, 0);
        // 0.3 spent + 0.4 reserved + 0.4 > 1.0
        let e = a.admit(&r, 0.4, 0, "key").unwrap_err();
        assert_eq!((e.kind, e.status), (ErrorKind::BadRequest, 400));
        a.admit(&r, 0.3, 0, "key").unwrap();
        // rpm: three admitted this minute
        assert_eq!(a.admit(&r, 0.0, 1, "key").unwrap_err().status, 429);
        a.settle(0.4, 0.4, 0, 61);
        a.settle(0.3, 0.3, 0, 61);
        assert!((a.spend - 1.0).abs() < 1e-9 && a.reserved.abs() < 1e-9 && a.in_flight == 0);
        assert!(a.admit(&r, 0.0, 61, "key").unwrap_err().message.contains("Budget has been exceeded"));
    }

    #[test]
    fn budget_periods_reset_spend() {
        let mut a = Account::new(5.0, Some(100));
        let r = Limits { max_budget: Some(5.0), budget_duration: Some("30s".into()), ..Limits::default() };
        assert!(a.admit(&r, 0.0, 50, "key").is_err());
        let ok = a.admit(&r, 1.0, 100, "key").unwrap();
        assert_eq!(ok.reset_to, Some(130));
        assert_eq!(a.spend, 0.0);
    }
}
