//! Customers and budgets: `/customer/new|info|update|delete|list|block|unblock` (litellm's end
//! users: whoever a request names in its `user` field) and `/budget/new|info|update|delete|list`
//! (named budgets customers share). A known customer's budget and limits apply to every request
//! that names it, reserved in the same step as the key's, user's and team's. Admin routes.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use sqlx::Row;

use super::admin::{admin_only, bad, body as parse, db_error as internal, error};
use super::keys::{duration_secs, iso};
use super::owners::{OwnerRow, OwnerStore};
use super::{ApiError, Caller, ProxyState};
use crate::error::ErrorKind;
use crate::util::now_secs;

type St = State<Arc<ProxyState>>;

fn customers(st: &ProxyState) -> Result<&OwnerStore, ApiError> {
    st.customers.as_deref().ok_or_else(|| bad("customers need a master key: set general_settings.master_key"))
}

fn db(st: &ProxyState) -> Result<&super::db::Db, ApiError> {
    st.keys.as_deref().map(|k| &k.db).ok_or_else(|| bad("budgets need a master key: set general_settings.master_key"))
}

// -- budgets ----------------------------------------------------------------------------------

/// A named budget (`/budget/new`): limits that customers take by `budget_id`.
#[derive(Debug, Default, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Budget {
    budget_id: Option<String>,
    max_budget: Option<f64>,
    soft_budget: Option<f64>,
    budget_duration: Option<String>,
    tpm_limit: Option<i64>,
    rpm_limit: Option<i64>,
    max_parallel_requests: Option<i64>,
}

impl Budget {
    fn check(&self) -> Result<(), ApiError> {
        super::admin::check_settings(
            &[("max_budget", self.max_budget), ("soft_budget", self.soft_budget)],
            &[
                ("tpm_limit", self.tpm_limit),
                ("rpm_limit", self.rpm_limit),
                ("max_parallel_requests", self.max_parallel_requests),
            ],
            &[("budget_duration", self.budget_duration.as_ref())],
        )
    }

    fn to_json(&self) -> Value {
        json!({
            "budget_id": self.budget_id,
            "max_budget": self.max_budget,
            "soft_budget": self.soft_budget,
            "budget_duration": self.budget_duration,
            "tpm_limit": self.tpm_limit,
            "rpm_limit": self.rpm_limit,
            "max_parallel_requests": self.max_parallel_requests,
        })
    }

    /// A customer's limits from this budget.
    fn apply_to(&self, row: &mut OwnerRow, now: i64) {
        row.max_budget = self.max_budget;
        row.soft_budget = self.soft_budget;
        row.tpm_limit = self.tpm_limit;
        row.rpm_limit = self.rpm_limit;
        row.max_parallel_requests = self.max_parallel_requests;
        if row.budget_duration != self.budget_duration {
            row.budget_reset_at = self.budget_duration.as_deref().and_then(duration_secs).map(|s| now + s);
            row.budget_duration = self.budget_duration.clone();
        }
        row.info.insert("budget_id".into(), json!(self.budget_id));
    }
}

const BUDGET_COLUMNS: &str =
    "budget_id, max_budget, soft_budget, budget_duration, tpm_limit, rpm_limit, max_parallel_requests";

fn budget_of(r: &sqlx::any::AnyRow) -> Result<Budget, sqlx::Error> {
    Ok(Budget {
        budget_id: r.try_get("budget_id")?,
        max_budget: r.try_get("max_budget")?,
        soft_budget: r.try_get("soft_budget")?,
        budget_duration: r.try_get("budget_duration")?,
        tpm_limit: r.try_get("tpm_limit")?,
        rpm_limit: r.try_get("rpm_limit")?,
        max_parallel_requests: r.try_get("max_parallel_requests")?,
    })
}

async fn budget_get(st: &ProxyState, id: &str) -> Result<Budget, ApiError> {
    let db = db(st)?;
    let sql = db.q(&format!("SELECT {BUDGET_COLUMNS} FROM litellm_budgettable WHERE budget_id = ?")).into_owned();
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id.to_owned())
        .fetch_optional(&db.pool)
        .await
        .map_err(|e| internal(e.to_string()))?
        .ok_or_else(|| error(ErrorKind::NotFound, 404, format!("budget {id:?} not found")))?;
    budget_of(&row).map_err(|e| internal(e.to_string()))
}

async fn budget_write(st: &ProxyState, b: &Budget, insert: bool) -> Result<(), ApiError> {
    let db = db(st)?;
    let now = now_secs() as i64;
    let sql = if insert {
        "INSERT INTO litellm_budgettable (max_budget, soft_budget, budget_duration, tpm_limit, rpm_limit, \
         max_parallel_requests, updated_at, budget_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
    } else {
        "UPDATE litellm_budgettable SET max_budget = ?, soft_budget = ?, budget_duration = ?, tpm_limit = ?, \
         rpm_limit = ?, max_parallel_requests = ?, updated_at = ? WHERE budget_id = ?"
    };
    let sql = db.q(sql).into_owned();
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(b.max_budget)
        .bind(b.soft_budget)
        .bind(b.budget_duration.clone())
        .bind(b.tpm_limit)
        .bind(b.rpm_limit)
        .bind(b.max_parallel_requests)
        .bind(now)
        .bind(b.budget_id.clone());
    if insert {
        q = q.bind(now);
    }
    q.execute(&db.pool).await.map_err(|e| match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => bad(format!("budget {:?} exists already", b.budget_id)),
        _ => internal(e.to_string()),
    })?;
    Ok(())
}

fn new_id() -> String {
    let mut b = [0u8; 16];
    let _ = getrandom::fill(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[utoipa::path(post, path = "/budget/new", tag = "customers", request_body = Budget, responses((status = 200, description = "A new budget", body = serde_json::Value), (status = 401, description = "no key, or a key that may not do this (OpenAI error format)")))]
pub async fn budget_new(State(st): St, caller: axum::Extension<Caller>, body: Bytes) -> Result<Response, ApiError> {
    admin_only(&caller)?;
    let mut b: Budget = parse(&body)?;
    b.check()?;
    b.budget_id.get_or_insert_with(new_id);
    budget_write(&st, &b, true).await?;
    Ok(Json(b.to_json()).into_response())
}

#[utoipa::path(post, path = "/budget/update", tag = "customers", request_body = Budget, responses((status = 200, description = "The budget`s new limits (its customers take them)", body = serde_json::Value), (status = 401, description = "no key, or a key that may not do this (OpenAI error format)")))]
pub async fn budget_update(State(st): St, caller: axum::Extension<Caller>, body: Bytes) -> Result<Response, ApiError> {
    admin_only(&caller)?;
    let f: Budget = parse(&body)?;
    f.check()?;
    let id = f.budget_id.clone().ok_or_else(|| bad("`budget_id` is required"))?;
    let mut b = budget_get(&st, &id).await?;
    macro_rules! take {
        ($($f:ident),*) => { $( if f.$f.is_some() { b.$f = f.$f.clone(); } )* };
    }
    take!(max_budget, soft_budget, budget_duration, tpm_limit, rpm_limit, max_parallel_requests);
    budget_write(&st, &b, false).await?;
    // the customers on this budget take its new limits
    let store = customers(&st)?;
    let now = now_secs() as i64;
    for row in store.list().await.map_err(internal)? {
        if row.info.get("budget_id").and_then(Value::as_str) == Some(id.as_str())
            && let Some(owner) = store.get(&row.id).await.map_err(internal)?
        {
            let mut row = owner.snapshot();
            b.apply_to(&mut row, now);
            row.updated_at = now;
            store.save(&owner, row).await.map_err(internal)?;
        }
    }
    Ok(Json(b.to_json()).into_response())
}

#[derive(Debug, Deserialize)]
struct BudgetIds {
    budgets: Vec<String>,
}

#[utoipa::path(post, path = "/budget/info", tag = "customers", request_body = serde_json::Value, responses((status = 200, description = "Budgets by id (body: {budgets: [...]})", body = serde_json::Value), (status = 401, description = "no key, or a key that may not do this (OpenAI error format)")))]
pub async fn budget_info(State(st): St, caller: axum::Extension<Caller>, body: Bytes) -> Result<Response, ApiError> {
    admin_only(&caller)?;
    let q: BudgetIds = parse(&body)?;
    let mut out = Vec::with_capacity(q.budgets.len());
    for id in &q.budgets {
        out.push(budget_get(&st, id).await?.to_json());
    }
    Ok(Json(Value::Array(out)).into_response())
}

#[utoipa::path(get, path = "/budget/list", tag = "customers", responses((status = 200, description = "Every budget", body = serde_json::Value), (status = 401, description = "no key, or a key that may not do this (OpenAI error format)")))]
pub async fn budget_list(State(st): St, caller: axum::Extension<Caller>) -> Result<Response, ApiError> {
    admin_only(&caller)?;
    let db = db(&st)?;
    let sql = format!("SELECT {BUDGET_COLUMNS} FROM litellm_budgettable ORDER BY created_at, budget_id");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&db.pool).await.map_err(|e| internal(e.to_string()))?;
    let out: Result<Vec<Value>, _> = rows.iter().map(|r| budget_of(r).map(|b| b.to_json())).collect();
    Ok(Json(Value::Array(out.map_err(|e| internal(e.to_string()))?)).into_response())
}

#[derive(Debug, Deserialize)]
struct BudgetId {
    id: String,
}

#[utoipa::path(post, path = "/budget/delete", tag = "customers", request_body = serde_json::Value, responses((status = 200, description = "The deleted budget (body: {id}); refused while customers use it", body = serde_json::Value), (status = 401, description = "no key, or a key that may not do this (OpenAI error format)")))]
pub async fn budget_delete(State(st): St, caller: axum::Extension<Caller>, body: Bytes) -> Result<Response, ApiError> {
    admin_only(&caller)?;
    let d: BudgetId = parse(&body)?;
    budget_get(&st, &d.id).await?;
    let users: Vec<String> = customers(&st)?
        .list()
        .await
        .map_err(internal)?
        .into_iter()
        .filter(|c| c.info.get("budget_id").and_then(Value::as_str) == Some(d.id.as_str()))
        .map(|c| c.id)
        .collect();
    if !users.is_empty() {
        return Err(bad(format!("budget {:?} is used by customers {users:?}: move them first", d.id)));
    }
    let db = db(&st)?;
    let sql = db.q("DELETE FROM litellm_budgettable WHERE budget_id = ?").into_owned();
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(d.id.clone())
        .execute(&db.pool)
        .await
        .map_err(|e| internal(e.to_string()))?;
    Ok(Json(json!({"deleted": d.id})).into_response())
}

// -- customers --------------------------------------------------------------------------------

/// A customer's settings (`/customer/new`, `/customer/update`).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerFields {
    /// The customer's id: what requests send as `user`.
    user_id: Option<String>,
    alias: Option<String>,
    blocked: Option<bool>,
    /// A named budget (`/budget/new`) whose limits the customer takes.
    budget_id: Option<String>,
    max_budget: Option<f64>,
    /// Crossing it sends a budget alert.
    soft_budget: Option<f64>,
    budget_duration: Option<String>,
    tpm_limit: Option<i64>,
    rpm_limit: Option<i64>,
    max_parallel_requests: Option<i64>,
    allowed_model_region: Option<String>,
    default_model: Option<String>,
    #[schema(value_type = Option<Object>)]
    metadata: Option<Map<String, Value>>,
}

async fn apply(st: &ProxyState, row: &mut OwnerRow, f: &CustomerFields, now: i64) -> Result<(), ApiError> {
    // a budget first: limits given with it are the customer's own
    if let Some(id) = &f.budget_id {
        budget_get(st, id).await?.apply_to(row, now);
    }
    let own = Budget {
        max_budget: f.max_budget,
        soft_budget: f.soft_budget,
        budget_duration: f.budget_duration.clone(),
        tpm_limit: f.tpm_limit,
        rpm_limit: f.rpm_limit,
        max_parallel_requests: f.max_parallel_requests,
        ..Budget::default()
    };
    own.check()?;
    row.set_limits(
        [f.max_budget, f.soft_budget],
        f.budget_duration.as_ref(),
        [f.tpm_limit, f.rpm_limit, f.max_parallel_requests],
        now,
    );
    if let Some(v) = &f.alias {
        row.alias = Some(v.clone());
    }
    if let Some(v) = f.blocked {
        row.blocked = v;
    }
    if let Some(v) = &f.metadata {
        row.metadata = v.clone();
    }
    for (k, v) in [("allowed_model_region", &f.allowed_model_region), ("default_model", &f.default_model)] {
        if let Some(v) = v {
            row.info.insert(k.into(), json!(v));
        }
    }
    row.updated_at = now;
    Ok(())
}

/// As litellm shows a customer: its limits under `litellm_budget_table`.
fn customer_json(row: &OwnerRow) -> Value {
    json!({
        "user_id": row.id,
        "alias": row.alias,
        "spend": row.spend,
        "blocked": row.blocked,
        "allowed_model_region": row.info.get("allowed_model_region"),
        "default_model": row.info.get("default_model"),
        "budget_id": row.info.get("budget_id"),
        "metadata": row.metadata,
        "litellm_budget_table": {
            "max_budget": row.max_budget,
            "budget_duration": row.budget_duration,
            "budget_reset_at": row.budget_reset_at.map(iso),
            "tpm_limit": row.tpm_limit,
            "rpm_limit": row.rpm_limit,
            "max_parallel_requests": row.max_parallel_requests,
        },
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
    })
}

async fn find(st: &ProxyState, id: &str) -> Result<Arc<super::owners::Owner>, ApiError> {
    customers(st)?
        .get(id)
        .await
        .map_err(internal)?
        .ok_or_else(|| error(ErrorKind::NotFound, 404, format!("customer {id:?} not found")))
}

#[utoipa::path(post, path = "/customer/new", tag = "customers", request_body = CustomerFields, responses((status = 200, description = "A new customer", body = serde_json::Value), (status = 401, description = "no key, or a key that may not do this (OpenAI error format)")))]
pub async fn customer_new(State(st): St, caller: axum::Extension<Caller>, body: Bytes) -> Result<Response, ApiError> {
    admin_only(&caller)?;
    let f: CustomerFields = parse(&body)?;
    let id = f.user_id.clone().ok_or_else(|| bad("`user_id` is required (what requests send as `user`)"))?;
    let now = now_secs() as i64;
    let mut row = OwnerRow { id, created_at: now, ..OwnerRow::default() };
    apply(&st, &mut row, &f, now).await?;
    customers(&st)?
        .insert(row.clone())
        .await
        .map_err(|e| if e.contains("exists already") { bad(e) } else { internal(e) })?;
    Ok(Json(customer_json(&row)).into_response())
}

#[derive(Debug, Deserialize)]
pub struct CustomerQuery {
    end_user_id: Option<String>,
}

#[utoipa::path(get, path = "/customer/info", tag = "customers", params(("end_user_id" = String, Query, description = "the customer")), responses((status = 200, description = "A customer, its limits and spend", body = serde_json::Value), (status = 401, description = "no key, or a key that may not do this (OpenAI error format)")))]
pub async fn customer_info(
    State(st): St,
    caller: axum::Extension<Caller>,
    Query(q): Query<CustomerQuery>,
) -> Result<Response, ApiError> {
    admin_only(&caller)?;
    let id = q.end_user_id.ok_or_else(|| bad("pass ?end_user_id="))?;
    let c = find(&st, &id).await?;
    st.shared_spend("customer", &id, &c.account).await;
    Ok(Json(customer_json(&c.snapshot())).into_response())
}

#[utoipa::path(post, path = "/customer/update", tag = "customers", request_body = CustomerFields, responses((status = 200, description = "The customer`s new settings", body = serde_json::Value), (status = 401, description = "no key, or a key that may not do this (OpenAI error format)")))]
pub async fn customer_update(
    State(st): St,
    caller: axum::Extension<Caller>,
    body: Bytes,
) -> Result<Response, ApiError> {
    admin_only(&caller)?;
    let f: CustomerFields = parse(&body)?;
    let id = f.user_id.clone().ok_or_else(|| bad("`user_id` is required"))?;
    let owner = find(&st, &id).await?;
    let mut row = owner.snapshot();
    apply(&st, &mut row, &f, now_secs() as i64).await?;
    customers(&st)?.save(&owner, row.clone()).await.map_err(internal)?;
    Ok(Json(customer_json(&row)).into_response())
}

#[derive(Debug, Deserialize)]
struct CustomerIds {
    user_ids: Vec<String>,
}

#[utoipa::path(post, path = "/customer/delete", tag = "customers", request_body = serde_json::Value, responses((status = 200, description = "Deleted customers (body: {user_ids: [...]})", body = serde_json::Value), (status = 401, description = "no key, or a key that may not do this (OpenAI error format)")))]
pub async fn customer_delete(
    State(st): St,
    caller: axum::Extension<Caller>,
    body: Bytes,
) -> Result<Response, ApiError> {
    admin_only(&caller)?;
    let d: CustomerIds = parse(&body)?;
    let deleted = customers(&st)?.delete(&d.user_ids).await.map_err(internal)?;
    Ok(Json(json!({"deleted_customers": deleted})).into_response())
}

#[utoipa::path(get, path = "/customer/list", tag = "customers", responses((status = 200, description = "Every customer", body = serde_json::Value), (status = 401, description = "no key, or a key that may not do this (OpenAI error format)")))]
pub async fn customer_list(State(st): St, caller: axum::Extension<Caller>) -> Result<Response, ApiError> {
    admin_only(&caller)?;
    let rows = customers(&st)?.list().await.map_err(internal)?;
    Ok(Json(Value::Array(rows.iter().map(customer_json).collect())).into_response())
}

async fn set_blocked(st: &ProxyState, caller: &Caller, body: &[u8], blocked: bool) -> Result<Response, ApiError> {
    admin_only(caller)?;
    let d: CustomerIds = parse(body)?;
    let store = customers(st)?;
    for id in &d.user_ids {
        let owner = find(st, id).await?;
        let mut row = owner.snapshot();
        row.blocked = blocked;
        row.updated_at = now_secs() as i64;
        store.save(&owner, row).await.map_err(internal)?;
    }
    Ok(Json(json!({"blocked": blocked, "user_ids": d.user_ids})).into_response())
}

#[utoipa::path(post, path = "/customer/block", tag = "customers", request_body = serde_json::Value, responses((status = 200, description = "Blocked customers (body: {user_ids: [...]}): their requests are refused", body = serde_json::Value), (status = 401, description = "no key, or a key that may not do this (OpenAI error format)")))]
pub async fn customer_block(State(st): St, caller: axum::Extension<Caller>, body: Bytes) -> Result<Response, ApiError> {
    set_blocked(&st, &caller, &body, true).await
}

#[utoipa::path(post, path = "/customer/unblock", tag = "customers", request_body = serde_json::Value, responses((status = 200, description = "Unblocked customers (body: {user_ids: [...]})", body = serde_json::Value), (status = 401, description = "no key, or a key that may not do this (OpenAI error format)")))]
pub async fn customer_unblock(
    State(st): St,
    caller: axum::Extension<Caller>,
    body: Bytes,
) -> Result<Response, ApiError> {
    set_blocked(&st, &caller, &body, false).await
}
