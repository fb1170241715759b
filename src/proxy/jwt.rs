//! JWT auth (`general_settings.enable_jwt_auth: true`, litellm's `litellm_jwtauth` settings): a
//! bearer token that is a JWT is checked against the identity provider's public keys — a JWKS
//! URL (`JWT_PUBLIC_KEY_URL`, fetched and cached, fetched again for an unknown `kid`) or a PEM
//! public key (`JWT_PUBLIC_KEY`) — and its claims name the caller: a user, a team, a role.
//!
//! Only asymmetric algorithms are accepted (RS*, PS*, ES*, EdDSA): a token signed with a shared
//! secret (HS*) is refused, so a public key can never be used as an HMAC secret. `exp` is required;
//! `aud` and `iss` are checked when `JWT_AUDIENCE` / `JWT_ISSUER` (or `audience` / `issuer`) are set.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

use super::keys::{KeyRow, KeyState};
use crate::util::sha256_hex;

/// What a verified token says of its bearer.
#[derive(Debug, Clone, PartialEq)]
pub enum Role {
    /// `proxy_admin`: every route.
    Admin,
    /// `proxy_admin_viewer`: every read (GET) route, nothing else.
    Viewer,
    /// `internal_user`, `internal_user_viewer` or `team`: the model routes and their own info,
    /// within their user's and team's limits and budgets.
    Member,
}

#[derive(Debug, Clone)]
pub struct Identity {
    pub role: Role,
    pub user_id: Option<String>,
    pub team_id: Option<String>,
}

enum Keys {
    /// A JWKS URL and what it last answered.
    Jwks { url: String, ttl: Duration, cache: RwLock<Option<(Instant, JwkSet)>> },
    /// A PEM public key (RSA, EC or Ed25519).
    Pem(String),
}

/// The JWT settings of the proxy.
pub struct JwtAuth {
    keys: Keys,
    admin_scope: String,
    user_field: String,
    team_field: Option<String>,
    roles_field: Option<String>,
    audience: Option<String>,
    issuer: Option<String>,
    /// The callers tokens named so far (their live accounts: rpm windows, reservations).
    members: Mutex<HashMap<String, Arc<KeyState>>>,
    /// When the JWKS was last fetched for an unknown `kid` (at most once every 10 s).
    refetched: Mutex<Option<Instant>>,
}

impl std::fmt::Debug for JwtAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtAuth").field("admin_scope", &self.admin_scope).finish_non_exhaustive()
    }
}

const ASYMMETRIC: &[Algorithm] = &[
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// A claim by name, or by dotted path (`resource_access.litellm.roles`).
fn claim<'a>(claims: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    let mut parts = path.split('.');
    let mut v = claims.get(parts.next()?)?;
    for p in parts {
        v = v.get(p)?;
    }
    Some(v)
}

/// A claim's strings: a string (space-separated words for `scope`) or a list of strings.
fn words(v: Option<&Value>) -> Vec<&str> {
    match v {
        Some(Value::String(s)) => s.split_whitespace().collect(),
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn denied(message: impl Into<String>) -> String {
    format!("Authentication Error, invalid JWT: {}", message.into())
}

impl JwtAuth {
    /// The JWT settings of `general_settings` (None unless `enable_jwt_auth` is true).
    pub fn from_settings(general: &Map<String, Value>) -> Result<Option<Self>, String> {
        if general.get("enable_jwt_auth").and_then(Value::as_bool) != Some(true) {
            return Ok(None);
        }
        let empty = Map::new();
        let s = general.get("litellm_jwtauth").and_then(Value::as_object).unwrap_or(&empty);
        let get = |k: &str| s.get(k).and_then(Value::as_str).map(str::to_owned);
        let env = crate::util::env_var;
        let keys = match (
            env("JWT_PUBLIC_KEY_URL").or_else(|| get("public_key_url")),
            env("JWT_PUBLIC_KEY").or_else(|| get("public_key")),
        ) {
            (Some(url), _) => {
                // several URLs are allowed by litellm (comma separated): the first is used here
                let url = url.split(',').next().unwrap_or_default().trim().to_owned();
                let ttl = s.get("public_key_ttl").and_then(Value::as_u64).unwrap_or(600);
                Keys::Jwks { url, ttl: Duration::from_secs(ttl), cache: RwLock::new(None) }
            }
            (None, Some(pem)) => Keys::Pem(pem),
            (None, None) => {
                return Err("enable_jwt_auth needs the identity provider's keys: JWT_PUBLIC_KEY_URL (a JWKS URL) \
                            or JWT_PUBLIC_KEY (a PEM public key)"
                    .into());
            }
        };
        Ok(Some(Self {
            keys,
            admin_scope: get("admin_jwt_scope").unwrap_or_else(|| "litellm_proxy_admin".into()),
            user_field: get("user_id_jwt_field").unwrap_or_else(|| "sub".into()),
            team_field: get("team_id_jwt_field"),
            roles_field: get("user_roles_jwt_field").or_else(|| get("roles_jwt_field")),
            audience: env("JWT_AUDIENCE").or_else(|| get("audience")),
            issuer: env("JWT_ISSUER").or_else(|| get("issuer")),
            members: Mutex::new(HashMap::new()),
            refetched: Mutex::new(None),
        }))
    }

    /// Whether a bearer token is a JWT (three base64url parts, a JSON header).
    pub fn looks_like_jwt(token: &str) -> bool {
        token.starts_with("eyJ") && token.bytes().filter(|b| *b == b'.').count() == 2
    }

    async fn fetch(url: &str) -> Result<JwkSet, String> {
        let client = &crate::transport::core().client;
        let resp = client
            .get(url)
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .map_err(|e| format!("the JWKS at {url} is unreachable: {e}"))?;
        if !resp.status().is_success() {
            return Err(format!("the JWKS at {url} answered {}", resp.status()));
        }
        let body = resp.bytes().await.map_err(|e| format!("the JWKS at {url}: {e}"))?;
        serde_json::from_slice(&body).map_err(|e| format!("the JWKS at {url} is not a JWK set: {e}"))
    }

    /// The key that signed a token with `kid` (`None` kid: the only key of the set).
    async fn jwks_key(
        &self,
        url: &str,
        ttl: Duration,
        cache: &RwLock<Option<(Instant, JwkSet)>>,
        kid: Option<&str>,
    ) -> Result<DecodingKey, String> {
        let find = |set: &JwkSet| -> Option<Result<DecodingKey, String>> {
            let jwk = match kid {
                Some(k) => set.find(k)?,
                None if set.keys.len() == 1 => &set.keys[0],
                None => return None,
            };
            Some(DecodingKey::from_jwk(jwk).map_err(|e| denied(format!("its key is unusable: {e}"))))
        };
        let fresh =
            cache.read().ok().and_then(|c| c.as_ref().filter(|(at, _)| at.elapsed() < ttl).and_then(|(_, s)| find(s)));
        if let Some(k) = fresh {
            return k;
        }
        // not cached, expired, or an unknown kid (the provider rotated its keys): fetch again, at
        // most once every 10 s for unknown kids
        let stale = cache.read().ok().is_some_and(|c| c.as_ref().is_some_and(|(at, _)| at.elapsed() < ttl));
        if stale {
            let mut last = self.refetched.lock().map_err(|_| "jwt state poisoned".to_owned())?;
            if last.is_some_and(|t| t.elapsed() < Duration::from_secs(10)) {
                return Err(denied(format!("no key {kid:?} in the JWKS")));
            }
            *last = Some(Instant::now());
        }
        let set = Self::fetch(url).await?;
        let found = find(&set);
        if let Ok(mut c) = cache.write() {
            *c = Some((Instant::now(), set));
        }
        found.unwrap_or_else(|| Err(denied(format!("no key {kid:?} in the JWKS"))))
    }

    /// Checks a token's signature and times and reads its claims.
    pub async fn verify(&self, token: &str) -> Result<Identity, String> {
        let header = jsonwebtoken::decode_header(token).map_err(|e| denied(e.to_string()))?;
        if !ASYMMETRIC.contains(&header.alg) {
            return Err(denied(format!("algorithm {:?} is not accepted (asymmetric signatures only)", header.alg)));
        }
        let key = match &self.keys {
            Keys::Jwks { url, ttl, cache } => self.jwks_key(url, *ttl, cache, header.kid.as_deref()).await?,
            Keys::Pem(pem) => {
                let pem = pem.as_bytes();
                match header.alg {
                    Algorithm::ES256 | Algorithm::ES384 => DecodingKey::from_ec_pem(pem),
                    Algorithm::EdDSA => DecodingKey::from_ed_pem(pem),
                    _ => DecodingKey::from_rsa_pem(pem),
                }
                .map_err(|e| format!("JWT_PUBLIC_KEY is not a usable PEM public key: {e}"))?
            }
        };
        let mut validation = Validation::new(header.alg);
        validation.set_required_spec_claims(&["exp"]);
        match &self.audience {
            Some(aud) => validation.set_audience(&[aud]),
            None => validation.validate_aud = false,
        }
        if let Some(iss) = &self.issuer {
            validation.set_issuer(&[iss]);
        }
        let data =
            jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation).map_err(|e| denied(e.to_string()))?;
        let claims = data.claims;
        let scopes = words(claims.get("scope").or_else(|| claims.get("scp")));
        let roles = self.roles_field.as_deref().map(|f| words(claim(&claims, f))).unwrap_or_default();
        let user_id = text(claim(&claims, &self.user_field));
        let team_id = self.team_field.as_deref().and_then(|f| text(claim(&claims, f)));
        let role = if scopes.contains(&self.admin_scope.as_str()) || roles.contains(&"proxy_admin") {
            Role::Admin
        } else if roles.contains(&"proxy_admin_viewer") {
            Role::Viewer
        } else {
            Role::Member
        };
        if role == Role::Member && user_id.is_none() && team_id.is_none() {
            return Err(denied(format!("it names no user (claim {:?}) and no team", self.user_field)));
        }
        Ok(Identity { role, user_id, team_id })
    }

    /// The caller a member's token stands for: a key of this process only (never stored) tied to
    /// the token's user and team, so their models, limits and budgets apply and the spend ledger
    /// names them. The same user and team get the same one (its rpm window and reservations).
    pub fn member(&self, who: &Identity) -> Arc<KeyState> {
        let name = format!(
            "jwt|{}|{}",
            who.user_id.as_deref().unwrap_or_default(),
            who.team_id.as_deref().unwrap_or_default()
        );
        let token = sha256_hex(name.as_bytes());
        let mut members = match self.members.lock() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        };
        if members.len() > 100_000 {
            members.clear();
        }
        members
            .entry(token.clone())
            .or_insert_with(|| {
                KeyState::new(KeyRow {
                    token,
                    key_name: "jwt".into(),
                    key_alias: Some(format!(
                        "jwt:{}",
                        who.user_id.as_deref().or(who.team_id.as_deref()).unwrap_or_default()
                    )),
                    user_id: who.user_id.clone(),
                    team_id: who.team_id.clone(),
                    ..KeyRow::default()
                })
            })
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_by_path_and_words() {
        let c: Map<String, Value> = serde_json::from_value(serde_json::json!({
            "scope": "openid litellm_proxy_admin",
            "resource_access": {"litellm": {"roles": ["proxy_admin_viewer"]}},
            "sub": 42
        }))
        .unwrap();
        assert_eq!(words(c.get("scope")), ["openid", "litellm_proxy_admin"]);
        assert_eq!(words(claim(&c, "resource_access.litellm.roles")), ["proxy_admin_viewer"]);
        assert_eq!(text(claim(&c, "sub")).as_deref(), Some("42"));
        assert!(JwtAuth::looks_like_jwt("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"));
        assert!(!JwtAuth::looks_like_jwt("sk-1234"));
    }
}
