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

/// One request's spend.
#[derive(Debug, Clone, Serialize)]
pub struct SpendRow {
    pub request_id: String,
    pub api_key: String,
    pub user_id: Option<String>,
    pub team_id: Option<String>,
    pub model: String,
    pub model_group: Option<String>,
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
        let mut next = first;
        while let Some(m) = next {
            match m {
                Msg::Spend(r) => pending.push_back(Pending::Spend(r)),
                Msg::Reset { table, id, reset_at } => pending.push_back(Pending::Reset { table, id, reset_at }),
                Msg::Flush(done) => waiting.push(done),
            }
            next = rx.try_recv().ok();
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

async fn write(db: &Db, batch: &[&Pending], logs: bool) -> Result<(), sqlx::Error> {
    let mut tx = db.pool.begin().await?;
    let insert = db.q(
        "INSERT INTO litellm_spend_logs (request_id, api_key, user_id, team_id, model, model_group, call_type, spend, \
         prompt_tokens, completion_tokens, total_tokens, start_time, end_time, status, tags) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (request_id) DO NOTHING",
    );
    let rollup = db.q(
        "INSERT INTO litellm_daily_spend (day, api_key, model, spend, prompt_tokens, completion_tokens, requests) \
         VALUES (?, ?, ?, ?, ?, ?, 1) ON CONFLICT (day, api_key, model) DO UPDATE SET \
         spend = litellm_daily_spend.spend + excluded.spend, \
         prompt_tokens = litellm_daily_spend.prompt_tokens + excluded.prompt_tokens, \
         completion_tokens = litellm_daily_spend.completion_tokens + excluded.completion_tokens, \
         requests = litellm_daily_spend.requests + 1",
    );
    let add = db.q("UPDATE litellm_verification_tokens SET spend = spend + ? WHERE token = ?");
    let add_user = db.q("UPDATE litellm_usertable SET spend = spend + ? WHERE id = ?");
    let add_team = db.q("UPDATE litellm_teamtable SET spend = spend + ? WHERE id = ?");
    for item in batch {
        match item {
            Pending::Spend(r) if logs => {
                let written = sqlx::query(sqlx::AssertSqlSafe(&*insert))
                    .bind(r.request_id.clone())
                    .bind(r.api_key.clone())
                    .bind(r.user_id.clone())
                    .bind(r.team_id.clone())
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
                    .bind(serde_json::to_string(&r.tags).unwrap_or_else(|_| "[]".into()))
                    .execute(&mut *tx)
                    .await?;
                if written.rows_affected() == 0 {
                    continue; // written before (a retried batch)
                }
                sqlx::query(sqlx::AssertSqlSafe(&*rollup))
                    .bind(day(r.start_time / 1000))
                    .bind(r.api_key.clone())
                    .bind(r.model.clone())
                    .bind(r.spend)
                    .bind(r.prompt_tokens)
                    .bind(r.completion_tokens)
                    .execute(&mut *tx)
                    .await?;
                add_spend(&mut tx, r, [&*add, &*add_user, &*add_team]).await?;
            }
            Pending::Spend(r) => {
                sqlx::query(sqlx::AssertSqlSafe(&*rollup))
                    .bind(day(r.start_time / 1000))
                    .bind(r.api_key.clone())
                    .bind(r.model.clone())
                    .bind(r.spend)
                    .bind(r.prompt_tokens)
                    .bind(r.completion_tokens)
                    .execute(&mut *tx)
                    .await?;
                add_spend(&mut tx, r, [&*add, &*add_user, &*add_team]).await?;
            }
            Pending::Reset { table, id, reset_at } => {
                let column = if *table == "litellm_verification_tokens" { "token" } else { "id" };
                let sql =
                    db.q(&format!("UPDATE {table} SET spend = 0, budget_reset_at = ? WHERE {column} = ?")).into_owned();
                sqlx::query(sqlx::AssertSqlSafe(sql)).bind(*reset_at).bind(id.clone()).execute(&mut *tx).await?;
            }
        }
    }
    tx.commit().await
}

/// Adds a request's spend to its key, and to its user and team when it has them.
async fn add_spend(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    r: &SpendRow,
    [key, user, team]: [&str; 3],
) -> Result<(), sqlx::Error> {
    if r.spend == 0.0 {
        return Ok(());
    }
    sqlx::query(sqlx::AssertSqlSafe(key)).bind(r.spend).bind(r.api_key.clone()).execute(&mut **tx).await?;
    if let Some(u) = &r.user_id {
        sqlx::query(sqlx::AssertSqlSafe(user)).bind(r.spend).bind(u.clone()).execute(&mut **tx).await?;
    }
    if let Some(t) = &r.team_id {
        sqlx::query(sqlx::AssertSqlSafe(team)).bind(r.spend).bind(t.clone()).execute(&mut **tx).await?;
    }
    Ok(())
}
