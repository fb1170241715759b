//! Limits and budgets shared by several proxy instances through one Redis.
//!
//! Each key's, user's and team's account lives in a Redis hash (spend in the current budget
//! period, its end, the current minute's requests and tokens, and the reservations in flight of
//! each instance). Admission is one Lua script over the request's accounts: it checks them all and
//! reserves on all of them, or on none, so instances behind one load balancer share one rpm
//! window and one budget. Reservations are kept per instance: an instance that dies (its heartbeat
//! key expires) has its reservations dropped by the next admission.
//!
//! The admin routes bump a generation counter; an admission that finds a generation newer than
//! the one this instance's caches reflect is answered "stale", and the caller reloads the key,
//! user and team from the database before admitting again, so a key blocked on one instance is
//! refused by all of them from the next request on.
//!
//! Redis unreachable (or slower than [`DEADLINE`]): admission falls back to the process's own
//! accounts, which hold the spend Redis last reported, so a budget still applies; a warning is
//! logged once per outage. Costs are still sent to Redis afterwards, with retries.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use super::keys::duration_secs;
use super::limits::{Limits, Refusal, SharedAccount};
use crate::store::redis;

/// The longest a request waits for Redis before it is admitted by this process alone.
const DEADLINE: Duration = Duration::from_millis(250);
/// How long Redis is left alone after it failed.
const BACKOFF_MS: u64 = 1_000;
/// The life of an instance's heartbeat key (refreshed every third of it).
const HEARTBEAT_SECS: u64 = 30;
/// The life of an idle account in Redis (it is seeded again from the database after that).
const ACCOUNT_TTL_SECS: u64 = 30 * 86_400;

/// Every key shares one hash tag, so a script's keys are in one slot of a Redis Cluster.
const PREFIX: &str = "litellm_rs:{proxy}:";

/// Checks and reserves on every account of a request, or refuses, in one step.
const ADMIT: &str = r#"
local now = tonumber(ARGV[1])
local inst = ARGV[3]
local prefix = ARGV[4]
local gen = redis.call('GET', prefix .. 'gen') or '0'
if gen ~= ARGV[5] then return {'stale', gen} end
redis.call('SET', prefix .. 'inst:' .. inst, '1', 'EX', tonumber(ARGV[6]))
local estimate = tonumber(ARGV[2])
local minute = math.floor(now / 60)
local function fmt(x) return string.format('%.17g', x) end
local seen = {}
for i, key in ipairs(KEYS) do
  local b = 7 + (i - 1) * 7
  local max_budget, period = tonumber(ARGV[b + 1]), tonumber(ARGV[b + 2])
  local rpm, tpm, parallel = tonumber(ARGV[b + 3]), tonumber(ARGV[b + 4]), tonumber(ARGV[b + 5])
  local h = redis.call('HGETALL', key)
  local spend, reset_at, win = nil, nil, nil
  local requests, tokens, reserved, flight = 0, 0, 0, 0
  for j = 1, #h, 2 do
    local f, v = h[j], h[j + 1]
    if f == 'spend' then spend = tonumber(v)
    elseif f == 'reset_at' then reset_at = tonumber(v)
    elseif f == 'minute' then win = tonumber(v)
    elseif f == 'requests' then requests = tonumber(v)
    elseif f == 'tokens' then tokens = tonumber(v)
    else
      local tag, owner = string.sub(f, 1, 2), string.sub(f, 3)
      if tag == 'r:' or tag == 'f:' then
        if owner == inst or redis.call('EXISTS', prefix .. 'inst:' .. owner) == 1 then
          if tag == 'r:' then reserved = reserved + tonumber(v) else flight = flight + tonumber(v) end
        else
          redis.call('HDEL', key, f)
        end
      end
    end
  end
  if spend == nil then
    spend = tonumber(ARGV[b + 6]) or 0
    reset_at = tonumber(ARGV[b + 7])
  end
  if win ~= minute then requests = 0; tokens = 0 end
  local reset_to = nil
  if period then
    if reset_at == nil then
      reset_at = now + period; reset_to = reset_at
    elseif now >= reset_at then
      spend = 0; reset_at = now + period; reset_to = reset_at
    end
  end
  if max_budget then
    if spend >= max_budget then return {'refused', tostring(i), 'spent', fmt(spend), fmt(reserved), fmt(max_budget)} end
    if spend + reserved + estimate > max_budget then
      return {'refused', tostring(i), 'budget', fmt(spend), fmt(reserved), fmt(max_budget)}
    end
  end
  if rpm and requests >= rpm then return {'refused', tostring(i), 'rpm', '0', '0', fmt(rpm)} end
  if tpm and tokens >= tpm then return {'refused', tostring(i), 'tpm', '0', '0', fmt(tpm)} end
  if parallel and flight >= parallel then return {'refused', tostring(i), 'parallel', '0', '0', fmt(parallel)} end
  seen[i] = {spend, reset_at, requests, tokens, reset_to}
end
local out = {'ok', gen}
for i, key in ipairs(KEYS) do
  local s = seen[i]
  redis.call('HSET', key, 'spend', fmt(s[1]), 'minute', string.format('%d', minute),
    'requests', string.format('%d', s[3] + 1), 'tokens', string.format('%d', s[4]))
  if s[2] then redis.call('HSET', key, 'reset_at', string.format('%d', s[2])) end
  redis.call('HINCRBYFLOAT', key, 'r:' .. inst, ARGV[2])
  redis.call('HINCRBY', key, 'f:' .. inst, 1)
  redis.call('EXPIRE', key, tonumber(ARGV[7]))
  out[#out + 1] = fmt(s[1])
  out[#out + 1] = s[2] and string.format('%d', s[2]) or ''
  out[#out + 1] = s[5] and string.format('%d', s[5]) or ''
end
return out
"#;

/// Ends a request on its accounts: its reservation (when Redis took one) replaced by its cost; the
/// accounts' spend after it.
const SETTLE: &str = r#"
local minute = math.floor(tonumber(ARGV[1]) / 60)
local inst = ARGV[5]
local spends = {}
for _, key in ipairs(KEYS) do
  -- an account Redis lost is seeded again from the database: nothing to add to
  if redis.call('HEXISTS', key, 'spend') == 1 then
    if ARGV[6] == '1' then
      local flight = redis.call('HINCRBY', key, 'f:' .. inst, -1)
      local reserved = tonumber(redis.call('HINCRBYFLOAT', key, 'r:' .. inst, '-' .. ARGV[2]))
      if flight <= 0 then
        redis.call('HDEL', key, 'f:' .. inst, 'r:' .. inst)
      elseif reserved < 0 then
        redis.call('HSET', key, 'r:' .. inst, '0')
      end
    end
    spends[#spends + 1] = redis.call('HINCRBYFLOAT', key, 'spend', ARGV[3])
    if tonumber(redis.call('HGET', key, 'minute')) == minute then
      redis.call('HINCRBY', key, 'tokens', ARGV[4])
    end
  else
    spends[#spends + 1] = ''
  end
end
return spends
"#;

/// One account of a request, as admission sends it.
pub struct Holder<'a> {
    /// "key", "user" or "team".
    pub who: &'static str,
    pub id: &'a str,
    pub limits: Limits,
    /// What this process knows of the account, for Redis to start from when it has none.
    pub spend: f64,
    pub reset_at: Option<i64>,
}

/// An account as Redis holds it after admission.
#[derive(Debug, Clone, Copy)]
pub struct Standing {
    pub spend: f64,
    pub reset_at: Option<i64>,
    /// A budget period that ended: the new period's end.
    pub reset_to: Option<i64>,
}

/// What Redis said.
pub enum Verdict {
    Admitted(Vec<Standing>),
    /// Refused; for a budget, the refusing account (its index in the holders) and its spend.
    Refused(crate::error::LlmError, Option<(usize, f64)>),
    /// The admin routes changed keys, users or teams since this instance loaded them (the
    /// generation now).
    Stale(u64),
    /// Redis did not answer in time: admission is up to this process.
    Unavailable,
}

/// The shared accounts of this proxy instance.
#[derive(Debug)]
pub struct SharedLimits {
    url: String,
    instance: String,
    admit: ::redis::Script,
    settle: ::redis::Script,
    /// Until when (ms since the epoch) Redis is left alone after a failure.
    down_until: AtomicU64,
    /// Whether the last outage was reported.
    warned: AtomicBool,
    /// The admin generation this instance's caches reflect (u64::MAX: not known yet).
    seen: AtomicU64,
}

/// A request's reservations in Redis, until it ends.
#[derive(Debug)]
pub struct Held {
    shared: Arc<SharedLimits>,
    keys: Vec<String>,
    /// This process's side of the same accounts (told the shared spend after the request).
    accounts: Vec<SharedAccount>,
    /// Whether Redis reserved for the request (else only its cost is sent).
    reserved: bool,
}

impl Held {
    /// Sends the cost to Redis in the background (retried for a while when Redis is away).
    pub fn settle(self, estimate: f64, cost: f64, tokens: i64) {
        let Ok(rt) = tokio::runtime::Handle::try_current() else { return };
        rt.spawn(async move {
            let args = vec![
                crate::util::now_secs().to_string(),
                estimate.to_string(),
                cost.to_string(),
                tokens.to_string(),
                self.shared.instance.clone(),
                if self.reserved { "1" } else { "0" }.to_owned(),
            ];
            let mut wait = Duration::from_millis(200);
            for _ in 0..8 {
                match redis::eval(&self.shared.url, &self.shared.settle, &self.keys, &args).await {
                    Ok(::redis::Value::Array(spends)) => {
                        for (spend, account) in spends.iter().zip(&self.accounts) {
                            if let (Ok(spend), Ok(mut a)) = (text(spend).parse::<f64>(), account.lock()) {
                                a.sync(spend, None);
                            }
                        }
                        return;
                    }
                    Ok(_) => return,
                    Err(_) => {
                        tokio::time::sleep(wait).await;
                        wait = (wait * 2).min(Duration::from_secs(5));
                    }
                }
            }
            tracing::warn!("a request's cost could not be sent to Redis: the shared budget misses it");
        });
    }
}

fn text(v: &::redis::Value) -> String {
    match v {
        ::redis::Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
        ::redis::Value::SimpleString(s) => s.clone(),
        ::redis::Value::Int(i) => i.to_string(),
        _ => String::new(),
    }
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

impl SharedLimits {
    pub fn new(url: String) -> Arc<Self> {
        Arc::new(Self {
            url,
            instance: crate::util::new_id(""),
            admit: ::redis::Script::new(ADMIT),
            settle: ::redis::Script::new(SETTLE),
            down_until: AtomicU64::new(0),
            warned: AtomicBool::new(false),
            seen: AtomicU64::new(u64::MAX),
        })
    }

    /// The Redis key of an account.
    fn account_key(who: &str, id: &str) -> String {
        format!("{PREFIX}{who}:{id}")
    }

    fn failed(&self, why: &str) {
        self.down_until.store(crate::util::now_ms() + BACKOFF_MS, Ordering::Relaxed);
        if !self.warned.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                redis = %redis::redact_url(&self.url),
                "Redis unavailable ({why}): limits and budgets are enforced by each proxy instance alone until it is back"
            );
        }
    }

    fn recovered(&self) {
        if self.warned.swap(false, Ordering::Relaxed) {
            tracing::info!(redis = %redis::redact_url(&self.url), "Redis is back: limits and budgets are shared again");
        }
    }

    /// The generation this instance's caches now reflect.
    pub fn mark_seen(&self, generation: u64) {
        self.seen.store(generation, Ordering::Relaxed);
    }

    /// Admits a request of at most `estimate` dollars on all of `holders`, or refuses it.
    pub async fn admit(
        self: &Arc<Self>,
        holders: &[Holder<'_>],
        accounts: &[SharedAccount],
        estimate: f64,
        now: i64,
    ) -> (Verdict, Option<Held>) {
        let keys: Vec<String> = holders.iter().map(|h| Self::account_key(h.who, h.id)).collect();
        let held =
            |reserved: bool| Held { shared: self.clone(), keys: keys.clone(), accounts: accounts.to_vec(), reserved };
        if crate::util::now_ms() < self.down_until.load(Ordering::Relaxed) {
            return (Verdict::Unavailable, Some(held(false)));
        }
        let seen = self.seen.load(Ordering::Relaxed);
        let mut args = vec![
            now.to_string(),
            estimate.to_string(),
            self.instance.clone(),
            PREFIX.to_owned(),
            if seen == u64::MAX { "unknown".to_owned() } else { seen.to_string() },
            HEARTBEAT_SECS.to_string(),
            ACCOUNT_TTL_SECS.to_string(),
        ];
        for h in holders {
            let l = &h.limits;
            args.extend([
                opt(l.max_budget),
                opt(l.budget_duration.as_deref().and_then(duration_secs)),
                opt(l.rpm_limit),
                opt(l.tpm_limit),
                opt(l.max_parallel_requests),
                h.spend.to_string(),
                opt(h.reset_at),
            ]);
        }
        let reply = match tokio::time::timeout(DEADLINE, redis::eval(&self.url, &self.admit, &keys, &args)).await {
            Ok(Ok(::redis::Value::Array(items))) => items.iter().map(text).collect::<Vec<_>>(),
            Ok(Ok(_)) => {
                self.failed("an unexpected reply");
                return (Verdict::Unavailable, Some(held(false)));
            }
            Ok(Err(e)) => {
                self.failed(&e.message);
                return (Verdict::Unavailable, Some(held(false)));
            }
            Err(_) => {
                self.failed("no answer in time");
                return (Verdict::Unavailable, Some(held(false)));
            }
        };
        self.recovered();
        let num = |i: usize| reply.get(i).and_then(|s| s.parse::<f64>().ok()).unwrap_or(0.0);
        match reply.first().map(String::as_str) {
            Some("ok") => {
                let standings = (0..holders.len())
                    .map(|i| {
                        let at = |j: usize| reply.get(2 + i * 3 + j).and_then(|s| s.parse::<i64>().ok());
                        Standing { spend: num(2 + i * 3), reset_at: at(1), reset_to: at(2) }
                    })
                    .collect();
                (Verdict::Admitted(standings), Some(held(true)))
            }
            Some("stale") => (Verdict::Stale(num(1) as u64), None),
            Some("refused") => {
                let i = reply.get(1).and_then(|s| s.parse::<usize>().ok()).unwrap_or(1).saturating_sub(1);
                let who = holders.get(i).map_or("key", |h| h.who);
                let (spend, reserved, limit) = (num(3), num(4), num(5));
                let (refusal, budget) = match reply.get(2).map(String::as_str) {
                    Some("spent") => (Refusal::Spent { spend, max: limit }, true),
                    Some("budget") => (Refusal::Budget { spend, reserved, estimate, max: limit }, true),
                    Some("rpm") => (Refusal::Rpm(limit as i64), false),
                    Some("tpm") => (Refusal::Tpm(limit as i64), false),
                    _ => (Refusal::Parallel(limit as i64), false),
                };
                (Verdict::Refused(refusal.error(who), budget.then_some((i, spend))), None)
            }
            _ => {
                self.failed("an unexpected reply");
                (Verdict::Unavailable, Some(held(false)))
            }
        }
    }

    /// Whether the admin routes changed keys, users or teams since this instance's caches were
    /// read (then it takes the new generation as seen: the caller reloads them). False when Redis
    /// does not answer.
    pub async fn stale(&self) -> bool {
        if crate::util::now_ms() < self.down_until.load(Ordering::Relaxed) {
            return false;
        }
        let cmd = ["GET".to_owned(), format!("{PREFIX}gen")];
        let generation = match tokio::time::timeout(DEADLINE, redis::command(&self.url, &cmd)).await {
            Ok(Ok(v)) => text(&v).parse::<u64>().unwrap_or(0),
            _ => {
                self.failed("no answer in time");
                return false;
            }
        };
        self.seen.swap(generation, Ordering::Relaxed) != generation
    }

    /// Tells `account` the spend Redis holds for it (what every instance spent), if Redis answers.
    pub async fn refresh(&self, who: &str, id: &str, account: &SharedAccount) {
        if crate::util::now_ms() < self.down_until.load(Ordering::Relaxed) {
            return;
        }
        let cmd = ["HMGET".to_owned(), Self::account_key(who, id), "spend".to_owned(), "reset_at".to_owned()];
        if let Ok(Ok(::redis::Value::Array(v))) = tokio::time::timeout(DEADLINE, redis::command(&self.url, &cmd)).await
            && let Some(Ok(spend)) = v.first().map(|s| text(s).parse::<f64>())
            && let Ok(mut a) = account.lock()
        {
            a.sync(spend, v.get(1).and_then(|r| text(r).parse::<i64>().ok()));
        }
    }

    /// Tells every instance that keys, users or teams changed (an admin route changed them).
    pub async fn bump_generation(&self) {
        let key = format!("{PREFIX}gen");
        match tokio::time::timeout(DEADLINE * 4, redis::command(&self.url, &["INCR".to_owned(), key])).await {
            Ok(Ok(_)) => {}
            _ => tracing::warn!(
                "Redis unavailable: other proxy instances learn of this change when their caches are next reloaded"
            ),
        }
    }

    /// Keeps this instance's heartbeat key alive (its reservations count while it lives), until
    /// the proxy is gone.
    pub fn spawn_heartbeat(self: &Arc<Self>) {
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                let Some(me) = weak.upgrade() else { return };
                let key = format!("{PREFIX}inst:{}", me.instance);
                let cmd = ["SET".to_owned(), key, "1".to_owned(), "EX".to_owned(), HEARTBEAT_SECS.to_string()];
                let _ = tokio::time::timeout(DEADLINE * 4, redis::command(&me.url, &cmd)).await;
                drop(me);
                tokio::time::sleep(Duration::from_secs(HEARTBEAT_SECS / 3)).await;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_keys_share_one_cluster_slot() {
        let k = SharedLimits::account_key("team", "a{b}c");
        assert!(k.starts_with("litellm_rs:{proxy}:team:"));
        // the first braces name the hash tag, whatever the id holds
        assert_eq!(&k[k.find('{').unwrap()..=k.find('}').unwrap()], "{proxy}");
    }
}
