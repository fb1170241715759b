//! Credentials that need an exchange before the call: Entra ID (Azure AD) client credentials and
//! Google (Vertex AI) service-account / authorized-user credentials. Tokens are cached per
//! identity and scope and refreshed a minute before expiry.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::options::CallOptions;
use crate::error::{ErrorKind, LlmError};
use crate::providers::HttpRequest;
use crate::transport;

/// The scope of Azure OpenAI / Foundry tokens.
pub const COGNITIVE_SERVICES_SCOPE: &str = "https://cognitiveservices.azure.com/.default";

const DEFAULT_AUTHORITY: &str = "https://login.microsoftonline.com";

static TOKENS: Mutex<Option<HashMap<String, (String, Instant)>>> = Mutex::new(None);

use crate::util::env_var as env;

/// Client credentials from the call or the environment (AZURE_TENANT_ID, AZURE_CLIENT_ID,
/// AZURE_CLIENT_SECRET), when all three are there.
pub fn client_credentials(opts: &CallOptions) -> Option<(String, String, String)> {
    let tenant = opts.tenant_id.clone().or_else(|| env("AZURE_TENANT_ID"))?;
    let client = opts.client_id.clone().or_else(|| env("AZURE_CLIENT_ID"))?;
    let secret = opts.client_secret.clone().or_else(|| env("AZURE_CLIENT_SECRET"))?;
    Some((tenant, client, secret))
}

/// A static Entra ID token from the call (`azure_ad_token`, also produced from a token-provider
/// callable by the Python layer) or AZURE_AD_TOKEN.
pub fn static_token(opts: &CallOptions) -> Option<String> {
    opts.azure_ad_token.clone().filter(|t| !t.is_empty()).or_else(|| env("AZURE_AD_TOKEN"))
}

fn form_encode(pairs: &[(&str, &str)]) -> String {
    let enc = |s: &str| {
        let mut out = String::with_capacity(s.len());
        for b in s.bytes() {
            match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(b as char),
                b' ' => out.push('+'),
                _ => out.push_str(&format!("%{b:02X}")),
            }
        }
        out
    };
    pairs.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
}

/// An access token through the OAuth2 client-credentials flow, from the cache when still fresh.
/// The authority is `azure_authority_host` / AZURE_AUTHORITY_HOST (so tests and sovereign clouds
/// can point it elsewhere), else login.microsoftonline.com.
pub async fn entra_token(
    opts: &CallOptions,
    (tenant, client, secret): (String, String, String),
    scope: &str,
    timeout: Duration,
    verify: bool,
) -> Result<String, LlmError> {
    let authority = opts
        .azure_authority_host
        .clone()
        .or_else(|| env("AZURE_AUTHORITY_HOST"))
        .unwrap_or_else(|| DEFAULT_AUTHORITY.to_owned());
    let authority = authority.trim_end_matches('/');
    // The secret is part of the identity: a call with a wrong secret must not reuse a token that
    // another call's right secret obtained. Only a hash of it is kept.
    let secret_id = {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        secret.hash(&mut h);
        h.finish()
    };
    let key = format!("{authority}|{tenant}|{client}|{secret_id:x}|{scope}");
    if let Ok(guard) = TOKENS.lock()
        && let Some((tok, exp)) = guard.as_ref().and_then(|m| m.get(&key))
        && *exp > Instant::now() + Duration::from_secs(60)
    {
        return Ok(tok.clone());
    }
    let req = HttpRequest {
        url: format!("{authority}/{tenant}/oauth2/v2.0/token"),
        headers: vec![("content-type".into(), "application/x-www-form-urlencoded".into())],
        body: form_encode(&[
            ("grant_type", "client_credentials"),
            ("client_id", &client),
            ("client_secret", &secret),
            ("scope", scope),
        ])
        .into_bytes()
        .into(),
    };
    let raw = transport::send(&req, timeout, verify).await?;
    if !raw.is_success() {
        let e = LlmError::from_upstream(raw.status, raw.headers, &raw.body, "azure", "");
        let mut e = LlmError::new(
            ErrorKind::Authentication,
            format!("Entra ID token request failed ({}): {}", raw.status, e.message),
        );
        e.status = 401;
        return Err(e.redact(Some(&secret)));
    }
    let answer: TokenAnswer = serde_json::from_slice(&raw.body)
        .map_err(|e| LlmError::new(ErrorKind::Authentication, format!("invalid Entra ID token answer: {e}")))?;
    let secs = match &answer.expires_in {
        Some(serde_json::Value::Number(n)) => n.as_f64().unwrap_or(3600.0),
        Some(serde_json::Value::String(s)) => s.parse().unwrap_or(3600.0),
        _ => 3600.0,
    };
    let expiry = Instant::now() + Duration::from_secs_f64(secs.max(0.0));
    if let Ok(mut guard) = TOKENS.lock() {
        guard.get_or_insert_with(HashMap::new).insert(key, (answer.access_token.clone(), expiry));
    }
    Ok(answer.access_token)
}

// ---------------------------------------------------------------------------------------------
// Google (Vertex AI): service-account / authorized-user credentials exchanged for an access token
// ---------------------------------------------------------------------------------------------

type Flight = std::sync::Arc<tokio::sync::Mutex<()>>;

/// Per-identity locks so that concurrent calls share one Google token exchange.
static GOOGLE_FLIGHTS: Mutex<Option<HashMap<String, Flight>>> = Mutex::new(None);

/// Where a Vertex AI call goes and the bearer it carries.
pub struct VertexTarget {
    /// The resource base (`.../v1/projects/{p}/locations/{l}`) or the caller's full-path base.
    pub api_base: String,
    pub bearer: String,
}

fn vertex_credentials_input(opts: &CallOptions) -> Result<Option<serde_json::Value>, LlmError> {
    use serde_json::Value;
    let given = opts
        .vertex_credentials
        .clone()
        .or_else(|| opts.vertex_ai_credentials.clone())
        .filter(|v| !v.is_null() && v.as_str() != Some(""))
        .or_else(|| env("VERTEXAI_CREDENTIALS").map(Value::String));
    let from_file = |path: &str| -> Result<Value, LlmError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            LlmError::new(ErrorKind::Authentication, format!("Unable to read vertex credentials file {path}: {e}"))
        })?;
        Ok(Value::String(text))
    };
    if let Some(v) = given {
        return match &v {
            Value::String(s) if !s.trim_start().starts_with('{') && std::path::Path::new(s.trim()).is_file() => {
                from_file(s.trim()).map(Some)
            }
            _ => Ok(Some(v)),
        };
    }
    if let Some(path) = env("GOOGLE_APPLICATION_CREDENTIALS") {
        return from_file(&path).map(Some);
    }
    // gcloud's application-default credentials
    let adc = env("CLOUDSDK_CONFIG")
        .map(std::path::PathBuf::from)
        .or_else(|| env("HOME").map(|h| std::path::Path::new(&h).join(".config").join("gcloud")))
        .map(|d| d.join("application_default_credentials.json"));
    match adc.filter(|p| p.is_file()) {
        Some(p) => from_file(&p.to_string_lossy()).map(Some),
        None => Ok(None),
    }
}

/// Resolves a Vertex AI call: credentials (`vertex_credentials`, VERTEXAI_CREDENTIALS,
/// GOOGLE_APPLICATION_CREDENTIALS, gcloud's application-default file), project
/// (`vertex_project`, `litellm_rs.vertex_project`, VERTEXAI_PROJECT, VERTEX_PROJECT, the
/// credentials' project, GOOGLE_CLOUD_PROJECT), location (`vertex_location`, ...,
/// VERTEXAI_LOCATION, VERTEX_LOCATION, us-central1) and the bearer: the caller's `api_key` or
/// access token as given, else a token from the exchange (cached).
pub async fn vertex_target(
    opts: &CallOptions,
    api_key: Option<&str>,
    timeout: Duration,
    verify: bool,
) -> Result<VertexTarget, LlmError> {
    use crate::providers::vertex::{self, GoogleCredentials};
    let setting = |name: &str| opts.provider_keys.as_ref().and_then(|m| m.get(name)).filter(|v| !v.is_empty()).cloned();
    let creds = match api_key.filter(|k| !k.is_empty()) {
        Some(_) => None,
        None => vertex_credentials_input(opts)?.map(|v| vertex::parse_credentials(&v)).transpose()?,
    };
    let project = opts
        .vertex_project
        .clone()
        .or_else(|| opts.vertex_ai_project.clone())
        .filter(|p| !p.is_empty())
        .or_else(|| setting("vertex_project"))
        .or_else(|| env("VERTEXAI_PROJECT"))
        .or_else(|| env("VERTEX_PROJECT"))
        .or_else(|| creds.as_ref().and_then(|c| c.project_id().map(str::to_owned)))
        .or_else(|| env("GOOGLE_CLOUD_PROJECT"));
    let location = opts
        .vertex_location
        .clone()
        .or_else(|| opts.vertex_ai_location.clone())
        .filter(|l| !l.is_empty())
        .or_else(|| setting("vertex_location"))
        .or_else(|| env("VERTEXAI_LOCATION"))
        .or_else(|| env("VERTEX_LOCATION"))
        .unwrap_or_else(|| vertex::DEFAULT_LOCATION.to_owned());
    let api_base = vertex::resource_base(opts.explicit_api_base(), project.as_deref(), &location)?;
    let bearer = match (api_key.filter(|k| !k.is_empty()), creds) {
        (Some(k), _) => k.to_owned(),
        (None, Some(GoogleCredentials::AccessToken(t))) => t,
        (None, Some(c)) => google_token(opts, &c, vertex::CLOUD_PLATFORM_SCOPE, timeout, verify).await?,
        (None, None) => {
            let mut e = LlmError::new(
                ErrorKind::Authentication,
                "Missing credentials for vertex_ai: pass vertex_credentials= (a service-account JSON string, dict \
                 or file path), set GOOGLE_APPLICATION_CREDENTIALS, run `gcloud auth application-default login`, \
                 or pass an access token as api_key=",
            );
            e.status = 401;
            return Err(e);
        }
    };
    Ok(VertexTarget { api_base, bearer })
}

/// An access token for Google credentials, from the cache while it has more than a minute left;
/// otherwise exchanged at the token endpoint (`vertex_token_url` / VERTEX_TOKEN_URL, else the
/// credentials' `token_uri`). Failures are `AuthenticationError`s without the private key.
pub async fn google_token(
    opts: &CallOptions,
    creds: &crate::providers::vertex::GoogleCredentials,
    scope: &str,
    timeout: Duration,
    verify: bool,
) -> Result<String, LlmError> {
    use crate::providers::vertex;
    let override_url = opts.vertex_token_url.clone().filter(|u| !u.is_empty()).or_else(|| env("VERTEX_TOKEN_URL"));
    let token_url = override_url.clone().unwrap_or_else(|| creds.token_uri().to_owned());
    let key = creds.cache_key(scope, &token_url);
    let cached = || {
        TOKENS
            .lock()
            .ok()
            .and_then(|g| g.as_ref().and_then(|m| m.get(&key)).cloned())
            .filter(|(_, exp)| *exp > Instant::now() + Duration::from_secs(60))
            .map(|(tok, _)| tok)
    };
    if let Some(tok) = cached() {
        return Ok(tok);
    }
    // One exchange per identity at a time: concurrent first calls wait for it, then read the cache.
    let flight = GOOGLE_FLIGHTS
        .lock()
        .map(|mut g| g.get_or_insert_with(HashMap::new).entry(key.clone()).or_default().clone())
        .unwrap_or_default();
    let _turn = flight.lock().await;
    if let Some(tok) = cached() {
        return Ok(tok);
    }
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let req = vertex::token_request(creds, scope, Some(&token_url), now)?;
    let raw = transport::send(&req, timeout, verify).await.map_err(|e| {
        let mut e = LlmError::new(
            ErrorKind::Authentication,
            format!("VertexAIException - Google token request to {token_url} failed: {}", e.message),
        );
        e.status = 401;
        e.redact(Some(creds.secret()))
    })?;
    if !raw.is_success() {
        return Err(vertex::token_error(raw.status, &raw.body, creds.secret()));
    }
    let (token, secs) = vertex::parse_token_answer(&raw.body)?;
    let expiry = Instant::now() + Duration::from_secs_f64(secs);
    if let Ok(mut guard) = TOKENS.lock() {
        guard.get_or_insert_with(HashMap::new).insert(key, (token.clone(), expiry));
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encoding() {
        assert_eq!(form_encode(&[("a b", "x/y&z=1")]), "a+b=x%2Fy%26z%3D1");
    }
}
