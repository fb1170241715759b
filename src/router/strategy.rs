//! Picking one deployment among a group's candidates (already filtered for cooldowns, limits,
//! tags and context windows).

use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::config::{Deployment, Settings};

/// Per-group routing memory (round-robin positions).
#[derive(Default)]
pub struct GroupMemory {
    next: AtomicUsize,
    /// Smooth weighted round-robin: the current weight of each member (by position).
    current: std::sync::Mutex<Vec<f64>>,
}

/// What a pick knows about the call.
pub struct PickInput<'a> {
    pub now: u64,
    pub input_tokens: u64,
    /// The value consistent hashing keys on (`user`, or the configured metadata key).
    pub hash_key: Option<&'a str>,
}

fn weight_of(d: &Deployment, by: fn(&Deployment) -> Option<f64>) -> f64 {
    by(d).unwrap_or(0.0).max(0.0)
}

/// Random, weighted by `weight`, else `rpm`, else `tpm` (uniform when none is set).
fn shuffle(c: &[(usize, &Arc<Deployment>)]) -> usize {
    let fields: [fn(&Deployment) -> Option<f64>; 3] =
        [|d| d.weight, |d| d.rpm.map(|n| n as f64), |d| d.tpm.map(|n| n as f64)];
    for by in fields {
        if c.iter().any(|(_, d)| by(d).is_some()) {
            let total: f64 = c.iter().map(|(_, d)| weight_of(d, by)).sum();
            if total <= 0.0 {
                break;
            }
            let mut r = fastrand::f64() * total;
            for (i, (_, d)) in c.iter().enumerate() {
                r -= weight_of(d, by);
                if r < 0.0 {
                    return i;
                }
            }
            return c.len() - 1;
        }
    }
    fastrand::usize(..c.len())
}

/// The index (into `c`) of the smallest `key`, ties broken at random.
fn min_by(c: &[(usize, &Arc<Deployment>)], key: impl Fn(&Deployment) -> f64) -> usize {
    let mut best = f64::INFINITY;
    let mut ties: Vec<usize> = Vec::new();
    for (i, (_, d)) in c.iter().enumerate() {
        let k = key(d);
        if k < best {
            best = k;
            ties.clear();
            ties.push(i);
        } else if k == best {
            ties.push(i);
        }
    }
    match ties.len() {
        0 => 0,
        1 => ties[0],
        n => ties[fastrand::usize(..n)],
    }
}

fn hash_of(key: &str, id: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut h);
    id.hash(&mut h);
    h.finish()
}

/// Picks one of `c` (`(position in group, deployment)`, never empty); returns an index into `c`.
pub fn pick(
    s: &Settings,
    mem: &GroupMemory,
    group_len: usize,
    c: &[(usize, &Arc<Deployment>)],
    input: &PickInput<'_>,
) -> usize {
    if c.len() == 1 {
        return 0;
    }
    match s.strategy() {
        "least-busy" => min_by(c, |d| d.state.in_flight() as f64),
        "latency-based-routing" => {
            // deployments without a sample come first; then any within the buffer of the fastest
            let buffer = s.arg("lowest_latency_buffer").and_then(serde_json::Value::as_f64).unwrap_or(0.0);
            let best = c.iter().map(|(_, d)| d.state.latency()).fold(f64::INFINITY, f64::min);
            if buffer > 0.0 && best > 0.0 {
                let near: Vec<usize> =
                    (0..c.len()).filter(|&i| c[i].1.state.latency() <= best * (1.0 + buffer)).collect();
                return near[fastrand::usize(..near.len())];
            }
            min_by(c, |d| d.state.latency())
        }
        "usage-based-routing" | "usage-based-routing-v2" => min_by(c, |d| d.state.usage(input.now).1 as f64),
        "cost-based-routing" => min_by(c, |d| d.unit_cost.unwrap_or(f64::MAX)),
        "round-robin" => {
            // the group's next position that is a candidate
            let start = mem.next.fetch_add(1, Ordering::Relaxed);
            (0..group_len)
                .map(|k| (start + k) % group_len)
                .find_map(|pos| c.iter().position(|(p, _)| *p == pos))
                .unwrap_or(0)
        }
        "weighted-round-robin" => {
            // smooth weighted round-robin over the candidates
            let mut cur = mem.current.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if cur.len() != group_len {
                *cur = vec![0.0; group_len];
            }
            let weights: Vec<f64> = c.iter().map(|(_, d)| d.weight.unwrap_or(1.0).max(0.0)).collect();
            let total: f64 = weights.iter().sum();
            let mut best = 0;
            for (i, (pos, _)) in c.iter().enumerate() {
                cur[*pos] += weights[i];
                if cur[*pos] > cur[c[best].0] {
                    best = i;
                }
            }
            cur[c[best].0] -= total;
            best
        }
        "consistent-hashing" | "sticky" => match input.hash_key {
            // rendezvous hashing: a key keeps its deployment while that deployment is available
            Some(key) => {
                let mut best = 0;
                let mut best_score = f64::MIN;
                for (i, (_, d)) in c.iter().enumerate() {
                    let h = hash_of(key, &d.id) as f64 / u64::MAX as f64;
                    let score = -d.weight.unwrap_or(1.0).max(1e-9) / h.max(1e-300).ln();
                    if score > best_score {
                        best_score = score;
                        best = i;
                    }
                }
                best
            }
            None => shuffle(c),
        },
        _ => shuffle(c),
    }
}
