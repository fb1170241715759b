//! Shared state for several processes: Redis (budgets now; cache, rate-limit counters and router
//! state as they land). Connections live on the process runtime, one per URL.

pub mod redis;
