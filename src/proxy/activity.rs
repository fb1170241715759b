//! Daily activity: `/user/daily/activity`, `/team/daily/activity`, `/tag/daily/activity` and
//! `/customer/daily/activity` — spend, tokens and requests per day from the daily rollups the
//! spend ledger keeps (`litellm_daily_entity_spend`), broken down by model, model group,
//! provider, key and entity, in litellm's response shape (`results` + `metadata`).
//!
//! An admin reads every entity; a user's key (or JWT) reads its own user's activity.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use sqlx::Row;

use super::admin::{admin_only, bad, day_ms, db_error, own_keys};
use super::keys::{day, hash_key};
use super::{ApiError, Caller, ProxyState};
use crate::util::now_secs;

type St = State<Arc<ProxyState>>;

/// Days shown when no `start_date` is given (up to `end_date`, by default today).
const DEFAULT_DAYS: i64 = 30;
const DEFAULT_PAGE_SIZE: usize = 50;
const MAX_PAGE_SIZE: usize = 1000;

#[derive(Debug, Default, Deserialize)]
pub struct ActivityQuery {
    /// `YYYY-MM-DD` (UTC), inclusive.
    start_date: Option<String>,
    end_date: Option<String>,
    model: Option<String>,
    /// A key or its hash.
    api_key: Option<String>,
    /// The entities to show (comma-separated where several may be given); none: all.
    user_id: Option<String>,
    team_ids: Option<String>,
    tags: Option<String>,
    end_user_ids: Option<String>,
    customer_ids: Option<String>,
    /// Pages of days, from 1.
    page: Option<usize>,
    page_size: Option<usize>,
}

/// Whose activity a route shows.
#[derive(Clone, Copy)]
enum Entity {
    User,
    Team,
    Tag,
    Customer,
}

impl Entity {
    fn kind(self) -> &'static str {
        match self {
            Entity::User => "user",
            Entity::Team => "team",
            Entity::Tag => "tag",
            Entity::Customer => "customer",
        }
    }

    /// The entity ids the query asks for.
    fn wanted(self, q: &ActivityQuery) -> Vec<String> {
        let list = match self {
            Entity::User => q.user_id.as_deref(),
            Entity::Team => q.team_ids.as_deref(),
            Entity::Tag => q.tags.as_deref(),
            Entity::Customer => q.end_user_ids.as_deref().or(q.customer_ids.as_deref()),
        };
        list.into_iter()
            .flat_map(|l| l.split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

/// Spend, tokens and requests, summed.
#[derive(Debug, Default, Clone, Copy)]
struct Metrics {
    spend: f64,
    prompt_tokens: i64,
    completion_tokens: i64,
    api_requests: i64,
    successful_requests: i64,
    failed_requests: i64,
}

impl Metrics {
    fn add(&mut self, o: &Metrics) {
        self.spend += o.spend;
        self.prompt_tokens += o.prompt_tokens;
        self.completion_tokens += o.completion_tokens;
        self.api_requests += o.api_requests;
        self.successful_requests += o.successful_requests;
        self.failed_requests += o.failed_requests;
    }

    fn to_json(self) -> Value {
        json!({
            "spend": self.spend,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
            "api_requests": self.api_requests,
            "successful_requests": self.successful_requests,
            "failed_requests": self.failed_requests,
        })
    }
}

/// One rollup row as read.
struct Rollup {
    day: String,
    entity: String,
    api_key: String,
    model: String,
    model_group: String,
    provider: String,
    metrics: Metrics,
}

/// One day: its totals and its breakdowns (name -> metrics).
#[derive(Default)]
struct Day {
    metrics: Metrics,
    breakdown: [BTreeMap<String, Metrics>; 5],
}

const BREAKDOWNS: [&str; 5] = ["models", "model_groups", "providers", "api_keys", "entities"];

#[utoipa::path(get, path = "/user/daily/activity", tag = "spend", params(("start_date" = Option<String>, Query, description = "YYYY-MM-DD (UTC), inclusive; default: 30 days before end_date"), ("end_date" = Option<String>, Query, description = "YYYY-MM-DD (UTC), inclusive; default: today"), ("user_id" = Option<String>, Query, description = "one user (a user's own key sees only its user)"), ("model" = Option<String>, Query, description = "one model"), ("api_key" = Option<String>, Query, description = "a key or its hash"), ("page" = Option<usize>, Query, description = "page of days, from 1"), ("page_size" = Option<usize>, Query, description = "days per page (default 50, at most 1000)")), responses((status = 200, description = "Spend, tokens and requests per day with breakdowns (litellm's shape)", body = serde_json::Value), (status = 401, description = "no key, or a key that may not do this (OpenAI error format)")))]
pub async fn user_activity(st: St, caller: axum::Extension<Caller>, Query(mut q): Query<ActivityQuery>) -> Response {
    let result = async {
        // a user's key or JWT reads its own user's activity; an admin anyone's
        if let Some(me) = own_keys(&st, &caller, false).await? {
            q.user_id = Some(me);
        }
        activity(&st, Entity::User, &q).await
    }
    .await;
    respond(result)
}

#[utoipa::path(get, path = "/team/daily/activity", tag = "spend", params(("start_date" = Option<String>, Query, description = "YYYY-MM-DD (UTC), inclusive"), ("end_date" = Option<String>, Query, description = "YYYY-MM-DD (UTC), inclusive"), ("team_ids" = Option<String>, Query, description = "teams, comma-separated"), ("model" = Option<String>, Query, description = "one model"), ("api_key" = Option<String>, Query, description = "a key or its hash"), ("page" = Option<usize>, Query, description = "page of days, from 1"), ("page_size" = Option<usize>, Query, description = "days per page")), responses((status = 200, description = "Spend, tokens and requests per day with breakdowns (litellm's shape)", body = serde_json::Value), (status = 401, description = "no key, or a key that may not do this (OpenAI error format)")))]
pub async fn team_activity(st: St, caller: axum::Extension<Caller>, q: Query<ActivityQuery>) -> Response {
    admin_activity(&st, &caller, Entity::Team, &q).await
}

#[utoipa::path(get, path = "/tag/daily/activity", tag = "spend", params(("start_date" = Option<String>, Query, description = "YYYY-MM-DD (UTC), inclusive"), ("end_date" = Option<String>, Query, description = "YYYY-MM-DD (UTC), inclusive"), ("tags" = Option<String>, Query, description = "tags, comma-separated"), ("model" = Option<String>, Query, description = "one model"), ("api_key" = Option<String>, Query, description = "a key or its hash"), ("page" = Option<usize>, Query, description = "page of days, from 1"), ("page_size" = Option<usize>, Query, description = "days per page")), responses((status = 200, description = "Spend, tokens and requests per day with breakdowns (litellm's shape)", body = serde_json::Value), (status = 401, description = "no key, or a key that may not do this (OpenAI error format)")))]
pub async fn tag_activity(st: St, caller: axum::Extension<Caller>, q: Query<ActivityQuery>) -> Response {
    admin_activity(&st, &caller, Entity::Tag, &q).await
}

#[utoipa::path(get, path = "/customer/daily/activity", tag = "spend", params(("start_date" = Option<String>, Query, description = "YYYY-MM-DD (UTC), inclusive"), ("end_date" = Option<String>, Query, description = "YYYY-MM-DD (UTC), inclusive"), ("end_user_ids" = Option<String>, Query, description = "customers, comma-separated"), ("model" = Option<String>, Query, description = "one model"), ("api_key" = Option<String>, Query, description = "a key or its hash"), ("page" = Option<usize>, Query, description = "page of days, from 1"), ("page_size" = Option<usize>, Query, description = "days per page")), responses((status = 200, description = "Spend, tokens and requests per day with breakdowns (litellm's shape)", body = serde_json::Value), (status = 401, description = "no key, or a key that may not do this (OpenAI error format)")))]
pub async fn customer_activity(st: St, caller: axum::Extension<Caller>, q: Query<ActivityQuery>) -> Response {
    admin_activity(&st, &caller, Entity::Customer, &q).await
}

async fn admin_activity(st: &ProxyState, caller: &Caller, entity: Entity, q: &ActivityQuery) -> Response {
    let result = async {
        admin_only(caller)?;
        activity(st, entity, q).await
    }
    .await;
    respond(result)
}

fn respond(result: Result<Value, ApiError>) -> Response {
    match result {
        Ok(v) => (StatusCode::OK, Json(v)).into_response(),
        Err(e) => e.into_response(),
    }
}

/// The checked date range: (start, end), both `YYYY-MM-DD`.
fn range(q: &ActivityQuery) -> Result<(String, String), ApiError> {
    let check = |d: &String| -> Result<i64, ApiError> {
        day_ms(d).ok_or_else(|| bad(format!("{d:?} is not a date (YYYY-MM-DD)")))
    };
    let end_ms = match &q.end_date {
        Some(d) => check(d)?,
        None => day_ms(&day(now_secs() as i64)).unwrap_or_default(),
    };
    let start_ms = match &q.start_date {
        Some(d) => check(d)?,
        None => end_ms - (DEFAULT_DAYS - 1) * 86_400_000,
    };
    if start_ms > end_ms {
        return Err(bad("start_date is after end_date"));
    }
    Ok((day(start_ms / 1000), day(end_ms / 1000)))
}

async fn activity(st: &ProxyState, entity: Entity, q: &ActivityQuery) -> Result<Value, ApiError> {
    let keys =
        st.keys.as_deref().ok_or_else(|| bad("spend tracking needs a master key: set general_settings.master_key"))?;
    let (start, end) = range(q)?;
    let page_size = q.page_size.unwrap_or(DEFAULT_PAGE_SIZE).clamp(1, MAX_PAGE_SIZE);
    let page = q.page.unwrap_or(1).max(1);
    st.flush_spend().await;

    let mut sql = String::from(
        "SELECT day, entity_id, api_key, model, model_group, provider, spend, prompt_tokens, completion_tokens, \
         api_requests, successful_requests, failed_requests FROM litellm_daily_entity_spend \
         WHERE entity_type = ? AND day >= ? AND day <= ?",
    );
    let mut binds = vec![entity.kind().to_owned(), start.clone(), end.clone()];
    let wanted = entity.wanted(q);
    if !wanted.is_empty() {
        sql.push_str(" AND entity_id IN (");
        sql.push_str(&vec!["?"; wanted.len()].join(", "));
        sql.push(')');
        binds.extend(wanted);
    }
    if let Some(m) = &q.model {
        sql.push_str(" AND model = ?");
        binds.push(m.clone());
    }
    if let Some(k) = &q.api_key {
        sql.push_str(" AND api_key = ?");
        binds.push(if k.starts_with("sk-") { hash_key(k) } else { k.clone() });
    }
    let sql = keys.db.q(&sql).into_owned();
    let mut query = sqlx::query(sqlx::AssertSqlSafe(&*sql));
    for b in binds {
        query = query.bind(b);
    }
    let rows = query.fetch_all(&keys.db.pool).await.map_err(|e| db_error(e.to_string()))?;
    let mut rollups = Vec::with_capacity(rows.len());
    for r in &rows {
        let text = |c: &str| r.try_get::<String, _>(c).unwrap_or_default();
        let int = |c: &str| r.try_get::<i64, _>(c).unwrap_or(0);
        rollups.push(Rollup {
            day: text("day"),
            entity: text("entity_id"),
            api_key: text("api_key"),
            model: text("model"),
            model_group: text("model_group"),
            provider: text("provider"),
            metrics: Metrics {
                spend: r.try_get::<f64, _>("spend").unwrap_or(0.0),
                prompt_tokens: int("prompt_tokens"),
                completion_tokens: int("completion_tokens"),
                api_requests: int("api_requests"),
                successful_requests: int("successful_requests"),
                failed_requests: int("failed_requests"),
            },
        });
    }
    let (days, total) = by_day(&rollups);
    let total_pages = days.len().div_ceil(page_size).max(1);
    let shown: Vec<(&String, &Day)> = days.iter().skip((page - 1) * page_size).take(page_size).collect();
    let aliases = key_metadata(st, shown.iter().flat_map(|(_, d)| d.breakdown[3].keys())).await?;
    let results: Vec<Value> = shown
        .into_iter()
        .map(|(date, d)| {
            let mut breakdown = Map::new();
            for (name, items) in BREAKDOWNS.iter().zip(&d.breakdown) {
                let entries: Map<String, Value> = items
                    .iter()
                    .map(|(k, m)| {
                        let metadata = match *name {
                            "api_keys" => aliases.get(k).cloned().unwrap_or_else(|| json!({})),
                            _ => json!({}),
                        };
                        (k.clone(), json!({"metrics": m.to_json(), "metadata": metadata}))
                    })
                    .collect();
                breakdown.insert((*name).to_owned(), Value::Object(entries));
            }
            json!({"date": date, "metrics": d.metrics.to_json(), "breakdown": breakdown})
        })
        .collect();
    Ok(json!({
        "results": results,
        "metadata": {
            "total_spend": total.spend,
            "total_prompt_tokens": total.prompt_tokens,
            "total_completion_tokens": total.completion_tokens,
            "total_tokens": total.prompt_tokens + total.completion_tokens,
            "total_api_requests": total.api_requests,
            "total_successful_requests": total.successful_requests,
            "total_failed_requests": total.failed_requests,
            "page": page,
            "total_pages": total_pages,
            "has_more": page < total_pages,
        },
    }))
}

/// The rows summed per day (oldest first) with their breakdowns, and the total of all days.
fn by_day(rows: &[Rollup]) -> (BTreeMap<String, Day>, Metrics) {
    let mut days: BTreeMap<String, Day> = BTreeMap::new();
    let mut total = Metrics::default();
    for r in rows {
        let d = days.entry(r.day.clone()).or_default();
        d.metrics.add(&r.metrics);
        total.add(&r.metrics);
        let names = [&r.model, &r.model_group, &r.provider, &r.api_key, &r.entity];
        for (items, name) in d.breakdown.iter_mut().zip(names) {
            if !name.is_empty() {
                items.entry(name.clone()).or_default().add(&r.metrics);
            }
        }
    }
    (days, total)
}

/// The alias and team of each key hash shown (litellm's `api_keys` breakdown metadata).
async fn key_metadata<'a>(
    st: &ProxyState,
    hashes: impl Iterator<Item = &'a String>,
) -> Result<HashMap<String, Value>, ApiError> {
    let mut hashes: Vec<&String> = hashes.collect();
    hashes.sort_unstable();
    hashes.dedup();
    let mut out = HashMap::new();
    let Some(keys) = st.keys.as_deref() else { return Ok(out) };
    for chunk in hashes.chunks(100) {
        let sql = format!(
            "SELECT token, key_alias, team_id FROM litellm_verification_tokens WHERE token IN ({})",
            vec!["?"; chunk.len()].join(", ")
        );
        let sql = keys.db.q(&sql).into_owned();
        let mut query = sqlx::query(sqlx::AssertSqlSafe(&*sql));
        for h in chunk {
            query = query.bind((*h).clone());
        }
        for r in query.fetch_all(&keys.db.pool).await.map_err(|e| db_error(e.to_string()))? {
            let token: String = r.try_get("token").unwrap_or_default();
            let alias: Option<String> = r.try_get("key_alias").ok().flatten();
            let team: Option<String> = r.try_get("team_id").ok().flatten();
            out.insert(token, json!({"key_alias": alias, "team_id": team}));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(day: &str, entity: &str, model: &str, spend: f64, failed: bool) -> Rollup {
        Rollup {
            day: day.into(),
            entity: entity.into(),
            api_key: "h1".into(),
            model: model.into(),
            model_group: "g".into(),
            provider: "openai".into(),
            metrics: Metrics {
                spend,
                prompt_tokens: 10,
                completion_tokens: 5,
                api_requests: 1,
                successful_requests: i64::from(!failed),
                failed_requests: i64::from(failed),
            },
        }
    }

    #[test]
    fn days_sum_their_rows_and_break_them_down() {
        let rows = [
            row("2026-11-02", "u1", "m1", 0.5, false),
            row("2026-11-01", "u1", "m1", 0.25, false),
            row("2026-11-02", "u2", "m2", 0.125, true),
        ];
        let (days, total) = by_day(&rows);
        let order: Vec<&String> = days.keys().collect();
        assert_eq!(order, ["2026-11-01", "2026-11-02"]);
        let d2 = &days["2026-11-02"];
        assert_eq!(d2.metrics.spend, 0.625);
        assert_eq!(d2.metrics.api_requests, 2);
        assert_eq!(d2.metrics.failed_requests, 1);
        assert_eq!(d2.breakdown[0]["m2"].spend, 0.125); // models
        assert_eq!(d2.breakdown[4]["u1"].spend, 0.5); // entities
        assert_eq!(d2.breakdown[3]["h1"].api_requests, 2); // api_keys
        assert_eq!(total.spend, 0.875);
        assert_eq!(total.prompt_tokens, 30);
    }

    #[test]
    fn the_range_defaults_to_thirty_days_and_is_checked() {
        let q = ActivityQuery { end_date: Some("2026-11-30".into()), ..Default::default() };
        assert_eq!(range(&q).ok(), Some(("2026-11-01".into(), "2026-11-30".into())));
        let q = ActivityQuery {
            start_date: Some("2026-12-01".into()),
            end_date: Some("2026-11-30".into()),
            ..Default::default()
        };
        assert!(range(&q).is_err());
        let q = ActivityQuery { start_date: Some("yesterday".into()), ..Default::default() };
        assert!(range(&q).is_err());
    }
}
