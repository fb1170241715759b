//! The spend ledger: one row per request, appended in batches off the request path, with the
//! daily rollups and the keys' spend updated in the same transaction. When the database is down the
//! batch waits (up to a bound) and is retried; `flush()` writes everything before a shutdown.

use std::time::Duration;

use serde::Serialize;
use tokio::sync::{mpsc, oneshot};

use super::db::Db;
use super::keys::day;

/// Rows kept while the database is unavailable; beyond this the oldest are dropped (and counted).
const MAX_PENDING: usize = 100_000;
const BATCH: usize = 500;
/// How long the writer gathers rows before writing them (spend is never on the request path).
const LINGER: Duration = Duration::from_millis(50);

/// One request's spend.
#[derive(Debug, Clone, Serialize)]
pub struct SpendRow {
    pub request_id: String,
    pub api_key: String,
    pub user_id: Option<String>,
    pub team_id: Option<String>,
    /// The customer (the request's `user`).
    pub end_user: Option<String>,
    pub model: String,
    pub model_group: Option<String>,
    /// The provider that answered (`custom_llm_provider`), for the daily rollups.
    pub provider: String,
    pub call_type: String,
    pub spend: f64,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub total_tokens: i64,
    pub start_time: i64,
    pub end_time: i64,
    pub status: String,
    pub tags: Vec<String>,
}

enum Msg {
    Spend(Box<SpendRow>),
    /// A budget period ended: the stored spend starts again at 0 (`table`: the keys', users' or
    /// teams' table).
    Reset {
        table: &'static str,
        id: String,
        reset_at: i64,
    },
    Flush(oneshot::Sender<()>),
}

#[derive(Debug, Clone)]
pub struct Ledger {
    tx: mpsc::UnboundedSender<Msg>,
}

impl Ledger {
    /// Starts the writer on the current tokio runtime.
    /// Starts the writer on the current tokio runtime. Without `logs` (`disable_spend_logs`) the
    /// per-request rows are not kept; the rollups and the keys' spend still are.
    pub fn start(db: Db, logs: bool) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(writer(db, rx, logs));
        Self { tx }
    }

    pub fn record(&self, row: SpendRow) {
        let _ = self.tx.send(Msg::Spend(Box::new(row)));
    }

    pub fn reset(&self, table: &'static str, id: String, reset_at: i64) {
        let _ = self.tx.send(Msg::Reset { table, id, reset_at });
    }

    /// Waits until everything recorded so far is written (or the database stays down for 10 s).
    pub async fn flush(&self) {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(Msg::Flush(tx)).is_ok() {
            let _ = tokio::time::timeout(Duration::from_secs(10), rx).await;
        }
    }
}

enum Pending {
    Spend(Box<SpendRow>),
    Reset { table: &'static str, id: String, reset_at: i64 },
}

async fn writer(db: Db, mut rx: mpsc::UnboundedReceiver<Msg>, logs: bool) {
    let mut pending: std::collections::VecDeque<Pending> = std::collections::VecDeque::new();
    let mut waiting: Vec<oneshot::Sender<()>> = Vec::new();
    let mut dropped: u64 = 0;
    loop {
        // wait for work, then take what else arrived in the meantime (a batch)
        let first = if pending.is_empty() {
            match rx.recv().await {
                Some(m) => Some(m),
                None => return,
            }
        } else {
            tokio::time::timeout(Duration::from_millis(200), rx.recv()).await.ok().flatten()
        };
        // gather for up to LINGER (or a full batch, or a flush): fewer, larger transactions
        let deadline = tokio::time::Instant::now() + LINGER;
        let mut next = first;
        loop {
            while let Some(m) = next {
                match m {
                    Msg::Spend(r) => pending.push_back(Pending::Spend(r)),
                    Msg::Reset { table, id, reset_at } => pending.push_back(Pending::Reset { table, id, reset_at }),
                    Msg::Flush(done) => waiting.push(done),
                }
                next = rx.try_recv().ok();
            }
            if !waiting.is_empty() || pending.len() >= BATCH {
                break;
            }
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(m)) => next = Some(m),
                _ => break,
            }
        }
        while pending.len() > MAX_PENDING {
            pending.pop_front();
            dropped += 1;
        }
        if dropped > 0 && dropped.is_power_of_two() {
            tracing::warn!(dropped, "spend ledger: the database is unavailable, oldest spend rows dropped");
        }
        while !pending.is_empty() {
            let n = pending.len().min(BATCH);
            let batch: Vec<&Pending> = pending.iter().take(n).collect();
            match write(&db, &batch, logs).await {
                Ok(()) => {
                    pending.drain(..n);
                }
                Err(e) => {
                    tracing::warn!(error = %e, rows = pending.len(), "spend ledger: write failed, retrying");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    break;
                }
            }
        }
        if pending.is_empty() {
            for done in waiting.drain(..) {
                let _ = done.send(());
            }
        }
    }
}

/// A daily rollup row of a user, team, tag or customer: (entity type, entity id, day, key,
/// model, model group, provider).
type EntityKey<'a> = (&'static str, &'a str, String, &'a str, &'a str, &'a str, &'a str);

/// What a daily rollup row adds up.
#[derive(Default)]
struct EntitySums {
    spend: f64,
    prompt_tokens: i64,
    completion_tokens: i64,
    requests: i64,
    succeeded: i64,
    failed: i64,
}

impl EntitySums {
    fn add(&mut self, r: &SpendRow) {
        self.spend += r.spend;
        self.prompt_tokens += r.prompt_tokens;
        self.completion_tokens += r.completion_tokens;
        self.requests += 1;
        if r.status == "failure" {
            self.failed += 1;
        } else {
            self.succeeded += 1;
        }
    }
}

/// Spend rows per multi-row INSERT (15 values each).
const ROWS_PER_INSERT: usize = 60;

/// Writes a batch in one transaction: the spend rows with multi-row INSERTs, and the rollups and
/// the keys', users' and teams' spend summed per batch (one statement each per key/day/model, not
/// per request). Budget resets are applied in order with the spend around them.
async fn write(db: &Db, batch: &[&Pending], logs: bool) -> Result<(), sqlx::Error> {
    let mut tx = db.pool.begin().await?;
    // split the batch at resets, so that spend before a reset is added before it
    let mut segment: Vec<&SpendRow> = Vec::new();
    for item in batch {
        match item {
            Pending::Spend(r) => segment.push(r),
            Pending::Reset { table, id, reset_at } => {
                write_spend(db, &mut tx, &segment, logs).await?;
                segment.clear();
                let column = if *table == "litellm_verification_tokens" { "token" } else { "id" };
                let sql =
                    db.q(&format!("UPDATE {table} SET spend = 0, budget_reset_at = ? WHERE {column} = ?")).into_owned();
                sqlx::query(sqlx::AssertSqlSafe(sql)).bind(*reset_at).bind(id.clone()).execute(&mut *tx).await?;
            }
        }
    }
    write_spend(db, &mut tx, &segment, logs).await?;
    tx.commit().await
}

async fn write_spend(
    db: &Db,
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    rows: &[&SpendRow],
    logs: bool,
) -> Result<(), sqlx::Error> {
    use std::collections::HashMap;
    if rows.is_empty() {
        return Ok(());
    }
    if logs {
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            let mut sql = String::from(
                "INSERT INTO litellm_spend_logs (request_id, api_key, user_id, team_id, end_user, model, model_group, \
                 call_type, spend, prompt_tokens, completion_tokens, total_tokens, start_time, end_time, status, tags) \
                 VALUES ",
            );
            for i in 0..chunk.len() {
                sql.push_str(if i == 0 { "" } else { ", " });
                sql.push_str("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
            }
            sql.push_str(" ON CONFLICT (request_id) DO NOTHING");
            let sql = db.q(&sql).into_owned();
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for r in chunk {
                q = q
                    .bind(r.request_id.clone())
                    .bind(r.api_key.clone())
                    .bind(r.user_id.clone())
                    .bind(r.team_id.clone())
                    .bind(r.end_user.clone())
                    .bind(r.model.clone())
                    .bind(r.model_group.clone())
                    .bind(r.call_type.clone())
                    .bind(r.spend)
                    .bind(r.prompt_tokens)
                    .bind(r.completion_tokens)
                    .bind(r.total_tokens)
                    .bind(r.start_time)
                    .bind(r.end_time)
                    .bind(r.status.clone())
                    .bind(serde_json::to_string(&r.tags).unwrap_or_else(|_| "[]".into()));
            }
            q.execute(&mut **tx).await?;
        }
    }
    // the rollups and the holders' spend, summed over the batch
    // (day, key, model) -> (spend, prompt tokens, completion tokens, requests)
    type Sums = (f64, i64, i64, i64);
    let mut rollups: HashMap<(String, &str, &str), Sums> = HashMap::new();
    let mut entities: HashMap<EntityKey<'_>, EntitySums> = HashMap::new();
    let mut holders: [HashMap<&str, f64>; 4] = Default::default();
    for r in rows {
        let d = day(r.start_time / 1000);
        let e = rollups.entry((d.clone(), r.api_key.as_str(), r.model.as_str())).or_default();
        e.0 += r.spend;
        e.1 += r.prompt_tokens;
        e.2 += r.completion_tokens;
        e.3 += 1;
        let owners = [("user", &r.user_id), ("team", &r.team_id), ("customer", &r.end_user)];
        let named = owners.iter().filter_map(|(kind, id)| id.as_deref().map(|id| (*kind, id)));
        for (kind, id) in named.chain(r.tags.iter().map(|t| ("tag", t.as_str()))) {
            let group = r.model_group.as_deref().unwrap_or_default();
            let key = (kind, id, d.clone(), r.api_key.as_str(), r.model.as_str(), group, r.provider.as_str());
            entities.entry(key).or_default().add(r);
        }
        if r.spend != 0.0 {
            *holders[0].entry(r.api_key.as_str()).or_default() += r.spend;
            if let Some(u) = &r.user_id {
                *holders[1].entry(u.as_str()).or_default() += r.spend;
            }
            if let Some(t) = &r.team_id {
                *holders[2].entry(t.as_str()).or_default() += r.spend;
            }
            if let Some(c) = &r.end_user {
                *holders[3].entry(c.as_str()).or_default() += r.spend;
            }
        }
    }
    let rollup = db.q(
        "INSERT INTO litellm_daily_spend (day, api_key, model, spend, prompt_tokens, completion_tokens, requests) \
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (day, api_key, model) DO UPDATE SET \
         spend = litellm_daily_spend.spend + excluded.spend, \
         prompt_tokens = litellm_daily_spend.prompt_tokens + excluded.prompt_tokens, \
         completion_tokens = litellm_daily_spend.completion_tokens + excluded.completion_tokens, \
         requests = litellm_daily_spend.requests + excluded.requests",
    );
    for ((d, key, model), (spend, pt, ct, n)) in rollups {
        sqlx::query(sqlx::AssertSqlSafe(&*rollup))
            .bind(d)
            .bind(key.to_owned())
            .bind(model.to_owned())
            .bind(spend)
            .bind(pt)
            .bind(ct)
            .bind(n)
            .execute(&mut **tx)
            .await?;
    }
    let entity = db.q(
        "INSERT INTO litellm_daily_entity_spend (entity_type, entity_id, day, api_key, model, model_group, provider, \
         spend, prompt_tokens, completion_tokens, api_requests, successful_requests, failed_requests) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (entity_type, entity_id, day, api_key, model, model_group, provider) DO UPDATE SET \
         spend = litellm_daily_entity_spend.spend + excluded.spend, \
         prompt_tokens = litellm_daily_entity_spend.prompt_tokens + excluded.prompt_tokens, \
         completion_tokens = litellm_daily_entity_spend.completion_tokens + excluded.completion_tokens, \
         api_requests = litellm_daily_entity_spend.api_requests + excluded.api_requests, \
         successful_requests = litellm_daily_entity_spend.successful_requests + excluded.successful_requests, \
         failed_requests = litellm_daily_entity_spend.failed_requests + excluded.failed_requests",
    );
    for ((kind, id, d, key, model, group, provider), e) in entities {
        sqlx::query(sqlx::AssertSqlSafe(&*entity))
            .bind(kind)
            .bind(id.to_owned())
            .bind(d)
            .bind(key.to_owned())
            .bind(model.to_owned())
            .bind(group.to_owned())
            .bind(provider.to_owned())
            .bind(e.spend)
            .bind(e.prompt_tokens)
            .bind(e.completion_tokens)
            .bind(e.requests)
            .bind(e.succeeded)
            .bind(e.failed)
            .execute(&mut **tx)
            .await?;
    }
    let tables = [
        "UPDATE litellm_verification_tokens SET spend = spend + ? WHERE token = ?",
        "UPDATE litellm_usertable SET spend = spend + ? WHERE id = ?",
        "UPDATE litellm_teamtable SET spend = spend + ? WHERE id = ?",
        "UPDATE litellm_endusertable SET spend = spend + ? WHERE id = ?",
    ];
    for (sql, sums) in tables.iter().zip(holders) {
        let sql = db.q(sql);
        for (id, spend) in sums {
            sqlx::query(sqlx::AssertSqlSafe(&*sql)).bind(spend).bind(id.to_owned()).execute(&mut **tx).await?;
        }
    }
    Ok(())
}
