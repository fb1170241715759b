//! Model management: `/model/new|update|delete` change the Router's deployments while the proxy
//! runs (with `general_settings.store_model_in_db: true`, as litellm: they are kept in the
//! database, loaded at start beside config.yaml's, and picked up by every instance sharing the
//! database within seconds), `/model/info` shows deployments, `/model_group/info` what each model
//! name offers. The database never holds a credential: keys are stored as `os.environ/NAME`
//! references only.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use sqlx::Row;

use super::admin::{admin_only, bad, body as parse, db_error as internal, error};
use super::db::Db;
use super::{ApiError, Caller, ProxyState};
use crate::error::ErrorKind;
use crate::router::Router;
use crate::router::health::secret;

type St = State<Arc<ProxyState>>;

/// How often an instance looks for deployments other instances stored.
const POLL: Duration = Duration::from_secs(5);

/// The deployments kept in the database.
#[derive(Debug)]
pub struct ModelStore {
    db: Db,
    /// The ids of the deployments that came from the database (config.yaml's are not managed here).
    ids: RwLock<HashSet<String>>,
    /// What the table looked like when last loaded (row count and latest change).
    stamp: Mutex<(i64, i64)>,
}

fn db_err(e: sqlx::Error) -> String {
    format!("database error: {e}")
}

/// Whether a credential is written as literal text (refused: only `os.environ/NAME` is stored).
fn literal_secret(v: &Value) -> bool {
    match v {
        Value::String(s) => !s.is_empty() && !s.starts_with("os.environ/"),
        Value::Array(a) => a.iter().any(literal_secret),
        Value::Object(m) => m.values().any(literal_secret),
        _ => false,
    }
}

fn check_params(params: &Map<String, Value>) -> Result<(), ApiError> {
    if !params.get("model").is_some_and(Value::is_string) {
        return Err(bad("litellm_params.model is required (e.g. openai/gpt-4o-mini)"));
    }
    for (k, v) in params {
        if secret(k) && literal_secret(v) {
            return Err(bad(format!(
                "litellm_params.{k}: write credentials as os.environ/NAME references (the variable is read by \
                 every instance; the database never holds a literal key)"
            )));
        }
    }
    Ok(())
}

impl ModelStore {
    pub fn new(db: Db) -> Self {
        Self { db, ids: RwLock::new(HashSet::new()), stamp: Mutex::new((-1, -1)) }
    }

    async fn stamp(&self) -> Result<(i64, i64), String> {
        let row = sqlx::query("SELECT COUNT(*) AS n, COALESCE(MAX(updated_at), 0) AS at FROM litellm_proxymodeltable")
            .fetch_one(&self.db.pool)
            .await
            .map_err(db_err)?;
        Ok((row.try_get("n").map_err(db_err)?, row.try_get("at").map_err(db_err)?))
    }

    /// Puts the stored deployments into the router (and takes out the ones no longer stored).
    pub async fn load(&self, router: &Router) -> Result<(), String> {
        let stamp = self.stamp().await?;
        let rows = sqlx::query("SELECT model_id, model_name, litellm_params, model_info FROM litellm_proxymodeltable")
            .fetch_all(&self.db.pool)
            .await
            .map_err(db_err)?;
        let mut ids = HashSet::with_capacity(rows.len());
        for r in &rows {
            let id: String = r.try_get("model_id").map_err(db_err)?;
            let params: Value = serde_json::from_str(&r.try_get::<String, _>("litellm_params").map_err(db_err)?)
                .map_err(|e| e.to_string())?;
            let mut info: Map<String, Value> =
                serde_json::from_str(&r.try_get::<String, _>("model_info").map_err(db_err)?).unwrap_or_default();
            info.insert("id".into(), Value::String(id.clone()));
            let entry = json!({"model_name": r.try_get::<String, _>("model_name").map_err(db_err)?,
                               "litellm_params": params, "model_info": info});
            match router.upsert_deployment(&entry) {
                Ok(_) => {
                    ids.insert(id);
                }
                Err(e) => tracing::warn!(model_id = %id, error = %e.message, "a stored deployment is not usable"),
            }
        }
        let gone: Vec<String> = self.ids.read().map(|old| old.difference(&ids).cloned().collect()).unwrap_or_default();
        for id in gone {
            router.delete_deployment(&id);
        }
        if let Ok(mut s) = self.ids.write() {
            *s = ids;
        }
        if let Ok(mut s) = self.stamp.lock() {
            *s = stamp;
        }
        Ok(())
    }

    /// Loads the stored deployments again when another instance changed them.
    pub fn spawn_poll(self: &Arc<Self>, router: Arc<Router>) {
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(POLL).await;
                let Some(me) = weak.upgrade() else { return };
                let known = me.stamp.lock().map(|s| *s).unwrap_or_default();
                match me.stamp().await {
                    Ok(now) if now != known => {
                        if let Err(e) = me.load(&router).await {
                            tracing::warn!(error = %e, "stored deployments could not be loaded");
                        }
                    }
                    _ => {}
                }
            }
        });
    }

    fn managed(&self, id: &str) -> bool {
        self.ids.read().is_ok_and(|s| s.contains(id))
    }

    async fn save(
        &self,
        id: &str,
        name: &str,
        params: &Map<String, Value>,
        info: &Map<String, Value>,
    ) -> Result<(), String> {
        let now = crate::util::now_ms() as i64;
        let sql = self.db.q(
            "INSERT INTO litellm_proxymodeltable (model_id, model_name, litellm_params, model_info, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (model_id) DO UPDATE SET model_name = excluded.model_name, \
             litellm_params = excluded.litellm_params, model_info = excluded.model_info, updated_at = excluded.updated_at",
        );
        sqlx::query(sqlx::AssertSqlSafe(&*sql))
            .bind(id.to_owned())
            .bind(name.to_owned())
            .bind(Value::Object(params.clone()).to_string())
            .bind(Value::Object(info.clone()).to_string())
            .bind(now)
            .bind(now)
            .execute(&self.db.pool)
            .await
            .map_err(db_err)?;
        if let Ok(mut s) = self.ids.write() {
            s.insert(id.to_owned());
        }
        Ok(())
    }

    async fn delete(&self, id: &str) -> Result<(), String> {
        let sql = self.db.q("DELETE FROM litellm_proxymodeltable WHERE model_id = ?");
        sqlx::query(sqlx::AssertSqlSafe(&*sql)).bind(id.to_owned()).execute(&self.db.pool).await.map_err(db_err)?;
        if let Ok(mut s) = self.ids.write() {
            s.remove(id);
        }
        Ok(())
    }

    /// The stored entry of a deployment (its credentials as references).
    async fn entry(&self, id: &str) -> Result<Option<(String, Map<String, Value>, Map<String, Value>)>, String> {
        let sql =
            self.db.q("SELECT model_name, litellm_params, model_info FROM litellm_proxymodeltable WHERE model_id = ?");
        let Some(r) = sqlx::query(sqlx::AssertSqlSafe(&*sql))
            .bind(id.to_owned())
            .fetch_optional(&self.db.pool)
            .await
            .map_err(db_err)?
        else {
            return Ok(None);
        };
        let map = |c: &str| -> Result<Map<String, Value>, String> {
            serde_json::from_str(&r.try_get::<String, _>(c).map_err(db_err)?).map_err(|e| e.to_string())
        };
        Ok(Some((r.try_get("model_name").map_err(db_err)?, map("litellm_params")?, map("model_info")?)))
    }
}

fn store(st: &ProxyState) -> Result<&ModelStore, ApiError> {
    st.models.as_deref().ok_or_else(|| {
        bad("adding, changing and deleting models needs general_settings.store_model_in_db: true (and a master key)")
    })
}

/// A deployment as `/model/new` and `/model/update` take it.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ModelBody {
    model_name: Option<String>,
    #[schema(value_type = Option<Object>)]
    litellm_params: Option<Map<String, Value>>,
    #[schema(value_type = Option<Object>)]
    model_info: Option<Map<String, Value>>,
    /// `/model/update`: the deployment (else `model_info.id`).
    model_id: Option<String>,
}

fn shown(st: &ProxyState, id: &str) -> Value {
    st.router
        .public_model_info()
        .into_iter()
        .find(|d| d.pointer("/model_info/id").and_then(Value::as_str) == Some(id))
        .unwrap_or(Value::Null)
}

#[utoipa::path(post, path = "/model/new", tag = "models", request_body = ModelBody, responses((status = 200, description = "The new deployment (its credentials not shown)", body = serde_json::Value), (status = 400, description = "a bad deployment, a literal credential, or no store_model_in_db"), (status = 401, description = "no key, or a key that may not do this (OpenAI error format)")))]
pub async fn model_new(State(st): St, caller: axum::Extension<Caller>, body: Bytes) -> Result<Response, ApiError> {
    admin_only(&caller)?;
    let models = store(&st)?;
    let b: ModelBody = parse(&body)?;
    let name = b.model_name.ok_or_else(|| bad("model_name is required"))?;
    let params = b.litellm_params.ok_or_else(|| bad("litellm_params is required"))?;
    check_params(&params)?;
    let mut info = b.model_info.unwrap_or_default();
    let id = info.get("id").and_then(Value::as_str).map(str::to_owned).unwrap_or_else(|| crate::util::new_id(""));
    info.insert("id".into(), Value::String(id.clone()));
    let entry = json!({"model_name": name, "litellm_params": params, "model_info": info});
    match st.router.add_deployment(&entry) {
        Ok(Some(_)) => {}
        Ok(None) => return Err(bad(format!("a deployment with id {id:?} exists already"))),
        Err(e) => return Err(bad(format!("not a usable deployment: {}", e.message))),
    }
    if let Err(e) = models.save(&id, &name, &params, &info).await {
        st.router.delete_deployment(&id);
        return Err(internal(e));
    }
    Ok(Json(json!({"model_id": id, "model_name": name, "deployment": shown(&st, &id)})).into_response())
}

#[utoipa::path(post, path = "/model/update", tag = "models", request_body = ModelBody, responses((status = 200, description = "The changed deployment (litellm_params and model_info merged into the stored ones)", body = serde_json::Value), (status = 401, description = "no key, or a key that may not do this (OpenAI error format)")))]
pub async fn model_update(State(st): St, caller: axum::Extension<Caller>, body: Bytes) -> Result<Response, ApiError> {
    admin_only(&caller)?;
    let models = store(&st)?;
    let b: ModelBody = parse(&body)?;
    let id = b
        .model_id
        .clone()
        .or_else(|| b.model_info.as_ref().and_then(|i| i.get("id")).and_then(Value::as_str).map(str::to_owned))
        .ok_or_else(|| bad("model_id (or model_info.id) is required"))?;
    let Some((name, mut params, mut info)) = models.entry(&id).await.map_err(internal)? else {
        return Err(if shown(&st, &id).is_null() {
            error(ErrorKind::NotFound, 404, format!("no deployment {id:?}"))
        } else {
            bad(format!("deployment {id:?} is defined in config.yaml: change it there"))
        });
    };
    params.extend(b.litellm_params.unwrap_or_default());
    check_params(&params)?;
    info.extend(b.model_info.unwrap_or_default());
    info.insert("id".into(), Value::String(id.clone()));
    let name = b.model_name.unwrap_or(name);
    let entry = json!({"model_name": name, "litellm_params": params, "model_info": info});
    st.router.upsert_deployment(&entry).map_err(|e| bad(format!("not a usable deployment: {}", e.message)))?;
    models.save(&id, &name, &params, &info).await.map_err(internal)?;
    Ok(Json(json!({"model_id": id, "model_name": name, "deployment": shown(&st, &id)})).into_response())
}

#[derive(Debug, Deserialize)]
struct ModelId {
    id: String,
}

#[utoipa::path(post, path = "/model/delete", tag = "models", request_body = serde_json::Value, responses((status = 200, description = "The deleted deployment (body: {id})", body = serde_json::Value), (status = 401, description = "no key, or a key that may not do this (OpenAI error format)")))]
pub async fn model_delete(State(st): St, caller: axum::Extension<Caller>, body: Bytes) -> Result<Response, ApiError> {
    admin_only(&caller)?;
    let models = store(&st)?;
    let d: ModelId = parse(&body)?;
    if !models.managed(&d.id) {
        return Err(if shown(&st, &d.id).is_null() {
            error(ErrorKind::NotFound, 404, format!("no deployment {:?}", d.id))
        } else {
            bad(format!("deployment {:?} is defined in config.yaml: remove it there", d.id))
        });
    }
    models.delete(&d.id).await.map_err(internal)?;
    st.router.delete_deployment(&d.id);
    Ok(Json(json!({"message": format!("deployment {} deleted", d.id)})).into_response())
}

#[derive(Debug, Deserialize)]
pub struct GroupQuery {
    model_group: Option<String>,
}

/// What one model name offers: its providers, the smallest context window and output limit of
/// its deployments, the highest prices, the summed rpm/tpm, and the capabilities all of them have.
fn group_info(name: &str, deployments: &[&Value]) -> Value {
    let mut out = Map::new();
    out.insert("model_group".into(), json!(name));
    let mut providers: Vec<Value> = Vec::new();
    let mut caps: Option<Map<String, Value>> = None;
    let (mut tpm, mut rpm) = (None::<i64>, None::<i64>);
    for d in deployments {
        let info = d.get("model_info").and_then(Value::as_object).cloned().unwrap_or_default();
        let params = d.get("litellm_params").and_then(Value::as_object).cloned().unwrap_or_default();
        let provider = info.get("litellm_provider").cloned().or_else(|| {
            params.get("model").and_then(Value::as_str).and_then(|m| m.split_once('/')).map(|(p, _)| json!(p))
        });
        if let Some(p) = provider
            && !providers.contains(&p)
        {
            providers.push(p);
        }
        for key in ["max_input_tokens", "max_output_tokens"] {
            if let Some(v) = info.get(key).and_then(Value::as_u64) {
                let smaller = out.get(key).and_then(Value::as_u64).map_or(v, |o| o.min(v));
                out.insert(key.into(), json!(smaller));
            }
        }
        for key in ["input_cost_per_token", "output_cost_per_token"] {
            if let Some(v) = params.get(key).or_else(|| info.get(key)).and_then(Value::as_f64) {
                let larger = out.get(key).and_then(Value::as_f64).map_or(v, |o| o.max(v));
                out.insert(key.into(), json!(larger));
            }
        }
        for (key, total) in [("tpm", &mut tpm), ("rpm", &mut rpm)] {
            if let Some(v) = params.get(key).or_else(|| info.get(key)).and_then(Value::as_i64) {
                *total = Some(total.unwrap_or(0) + v);
            }
        }
        if !out.contains_key("mode")
            && let Some(m) = info.get("mode")
        {
            out.insert("mode".into(), m.clone());
        }
        let mine: Map<String, Value> = info
            .iter()
            .filter(|(k, _)| k.starts_with("supports_"))
            .map(|(k, v)| (k.clone(), json!(v.as_bool().unwrap_or(false))))
            .collect();
        caps = Some(match caps {
            None => mine,
            Some(all) => all
                .into_iter()
                .map(|(k, v)| {
                    let both = v.as_bool().unwrap_or(false) && mine.get(&k).and_then(Value::as_bool).unwrap_or(false);
                    (k, json!(both))
                })
                .collect(),
        });
    }
    out.insert("providers".into(), Value::Array(providers));
    out.insert("tpm".into(), json!(tpm));
    out.insert("rpm".into(), json!(rpm));
    out.extend(caps.unwrap_or_default());
    Value::Object(out)
}

#[utoipa::path(get, path = "/model_group/info", tag = "models", params(("model_group" = Option<String>, Query, description = "one model name (else all)")), responses((status = 200, description = "What each model name offers: providers, limits, prices, capabilities", body = serde_json::Value), (status = 401, description = "no key, or a key that may not do this (OpenAI error format)")))]
pub async fn model_group_info(State(st): St, Query(q): Query<GroupQuery>) -> Response {
    let all = st.router.public_model_info();
    let mut out = Vec::new();
    for name in st.router.model_names() {
        if q.model_group.as_deref().is_some_and(|g| g != name) {
            continue;
        }
        let members: Vec<&Value> = all.iter().filter(|d| d["model_name"] == name.as_str()).collect();
        out.push(group_info(&name, &members));
    }
    Json(json!({"data": out})).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_stored_only_as_references() {
        let ok: Map<String, Value> =
            serde_json::from_value(json!({"model": "openai/gpt-4o", "api_key": "os.environ/OPENAI_API_KEY"})).unwrap();
        assert!(check_params(&ok).is_ok());
        let literal: Map<String, Value> =
            serde_json::from_value(json!({"model": "openai/gpt-4o", "api_key": "sk-live-123"})).unwrap();
        let e = check_params(&literal).unwrap_err();
        assert!(e.0.message.contains("os.environ") && !e.0.message.contains("sk-live-123"));
        let header: Map<String, Value> =
            serde_json::from_value(json!({"model": "x/y", "extra_headers": {"Authorization": "Bearer t"}})).unwrap();
        assert!(check_params(&header).is_err());
    }

    #[test]
    fn a_group_offers_what_all_its_deployments_offer() {
        let a = json!({"litellm_params": {"model": "openai/gpt-4o", "rpm": 10},
                       "model_info": {"litellm_provider": "openai", "max_input_tokens": 128000, "mode": "chat",
                                      "input_cost_per_token": 2.5e-6, "supports_vision": true, "supports_tools": true}});
        let b = json!({"litellm_params": {"model": "azure/gpt-4o", "rpm": 5, "input_cost_per_token": 3e-6},
                       "model_info": {"litellm_provider": "azure", "max_input_tokens": 64000, "supports_vision": true,
                                      "supports_tools": false}});
        let g = group_info("gpt", &[&a, &b]);
        assert_eq!(g["providers"], json!(["openai", "azure"]));
        assert_eq!(g["max_input_tokens"], 64000);
        assert_eq!(g["input_cost_per_token"], 3e-6);
        assert_eq!(g["rpm"], 15);
        assert_eq!((g["supports_vision"].clone(), g["supports_tools"].clone()), (json!(true), json!(false)));
        assert_eq!(g["mode"], "chat");
    }
}
