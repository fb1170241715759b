//! Budget alerts: when the spend of a key, user, team or customer crosses its `soft_budget` (or
//! reaches its `max_budget`), an alert is logged and sent once — to a webhook (litellm's
//! `alerting: ["webhook"]`, `WEBHOOK_URL`) and/or Slack (`alerting: ["slack"]`,
//! `SLACK_WEBHOOK_URL`) — in litellm's webhook event shape.
//! It is sent again only after the spend fell back below (a new budget period, a raised budget).

use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use serde_json::{Map, Value, json};

use super::keys::KeyState;
use super::owners::{Kind, Owner};

/// Where alerts go (`general_settings.alerting`, `alert_types`, `alerting_args`).
#[derive(Debug, Default)]
pub struct Alerting {
    webhook: Option<String>,
    slack: Option<String>,
    /// False when `alert_types` is given without `budget_alerts`.
    budget_alerts: bool,
}

/// A budget holder's standing after a request.
struct Standing<'a> {
    /// litellm's `event_group`: key, user, team or customer.
    group: &'static str,
    /// How the message names it ("Key my-app").
    name: String,
    spend: f64,
    soft_budget: Option<f64>,
    max_budget: Option<f64>,
    /// The alerts sent for the current crossing.
    alerted: &'a AtomicU8,
    /// The event's identifying fields (token, key_alias, user_id, team_id, customer_id, ...).
    ids: Value,
}

/// Bits of `KeyState::alerted` and `Owner::alerted`.
const SOFT: u8 = 1;
const HARD: u8 = 2;

impl Alerting {
    pub fn from_settings(general: &Map<String, Value>) -> Self {
        let channels: Vec<&str> =
            general.get("alerting").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
        let args = general.get("alerting_args").and_then(Value::as_object);
        let arg = |k: &str| args.and_then(|a| a.get(k)).and_then(Value::as_str).map(str::to_owned);
        let budget_alerts = general
            .get("alert_types")
            .and_then(Value::as_array)
            .is_none_or(|t| t.iter().any(|x| x.as_str() == Some("budget_alerts")));
        Self {
            webhook: channels
                .contains(&"webhook")
                .then(|| arg("webhook_url").or_else(|| crate::util::env_var("WEBHOOK_URL")))
                .flatten(),
            slack: channels
                .contains(&"slack")
                .then(|| arg("slack_webhook_url").or_else(|| crate::util::env_var("SLACK_WEBHOOK_URL")))
                .flatten(),
            budget_alerts,
        }
    }

    /// Checks a key's spend against its budgets after a request, and alerts on a crossing.
    pub fn check_key(&self, key: &KeyState) {
        if !self.budget_alerts {
            return;
        }
        let Ok(row) = key.row.read() else { return };
        let spend = key.account.lock().map(|a| a.spend).unwrap_or(0.0);
        let who = row.key_alias.as_deref().unwrap_or(&row.key_name);
        self.check(Standing {
            group: "key",
            name: format!("Key {who}"),
            spend,
            soft_budget: row.soft_budget,
            max_budget: row.max_budget,
            alerted: &key.alerted,
            ids: json!({
                "token": row.token,
                "key_alias": row.key_alias,
                "user_id": row.user_id,
                "team_id": row.team_id,
                "customer_id": Value::Null,
            }),
        });
    }

    /// The same for a user, team or customer whose key (or request) just spent.
    pub fn check_owner(&self, kind: Kind, owner: &Owner) {
        if !self.budget_alerts {
            return;
        }
        let Ok(row) = owner.row.read() else { return };
        let spend = owner.account.lock().map(|a| a.spend).unwrap_or(0.0);
        let id = |k: Kind| if kind == k { json!(row.id) } else { Value::Null };
        let (label, alias) = match kind {
            Kind::User => ("User", "user_alias"),
            Kind::Team => ("Team", "team_alias"),
            Kind::Customer => ("Customer", "customer_alias"),
        };
        let mut ids = json!({
            "token": Value::Null,
            "key_alias": Value::Null,
            "user_id": id(Kind::User),
            "team_id": id(Kind::Team),
            "customer_id": id(Kind::Customer),
            "user_email": row.info.get("user_email").cloned().unwrap_or(Value::Null),
        });
        ids[alias] = json!(row.alias);
        self.check(Standing {
            group: kind.name(),
            name: format!("{label} {}", row.alias.as_deref().unwrap_or(&row.id)),
            spend,
            soft_budget: row.soft_budget,
            max_budget: row.max_budget,
            alerted: &owner.alerted,
            ids,
        });
    }

    fn check(&self, s: Standing<'_>) {
        let spend = s.spend;
        for (bit, limit, event) in
            [(SOFT, s.soft_budget, "soft_budget_crossed"), (HARD, s.max_budget, "budget_crossed")]
        {
            let Some(limit) = limit else { continue };
            if spend < limit {
                s.alerted.fetch_and(!bit, Ordering::Relaxed);
                continue;
            }
            if s.alerted.fetch_or(bit, Ordering::Relaxed) & bit != 0 {
                continue; // told already
            }
            let message = if bit == SOFT {
                format!("{} crossed its soft budget: spend ${spend:.6} >= soft_budget ${limit}", s.name)
            } else {
                format!("{} reached its max budget: spend ${spend:.6} >= max_budget ${limit}", s.name)
            };
            tracing::warn!(group = s.group, spend, limit, "{message}");
            let mut body = json!({
                "event": event,
                "event_group": s.group,
                "event_message": message,
                "spend": spend,
                "max_budget": s.max_budget,
                "soft_budget": s.soft_budget,
                "user_email": Value::Null,
            });
            if let (Value::Object(b), Value::Object(ids)) = (&mut body, &s.ids) {
                b.extend(ids.clone());
            }
            self.send(body);
        }
    }

    fn send(&self, event: Value) {
        let Ok(rt) = tokio::runtime::Handle::try_current() else { return };
        let mut posts = Vec::new();
        if let Some(url) = &self.webhook {
            posts.push((url.clone(), event.clone()));
        }
        if let Some(url) = &self.slack {
            let text = event.get("event_message").and_then(Value::as_str).unwrap_or_default();
            posts.push((url.clone(), json!({"text": format!("litellm-rs proxy budget alert: {text}")})));
        }
        for (url, body) in posts {
            rt.spawn(async move {
                let sent = crate::transport::core()
                    .client
                    .post(&url)
                    .timeout(Duration::from_secs(10))
                    .header("content-type", "application/json")
                    .body(body.to_string())
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status().is_success() => {}
                    Ok(r) => tracing::warn!(status = %r.status(), "a budget alert was refused by its receiver"),
                    // (the error without the URL: a Slack webhook URL is a secret)
                    Err(e) => tracing::warn!(error = %e.without_url(), "a budget alert could not be sent"),
                }
            });
        }
    }
}
