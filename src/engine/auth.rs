//! Credentials that need an exchange before the call: Entra ID (Azure AD) client credentials.
//! Tokens are cached per (authority, tenant, client, scope) and refreshed a minute before expiry.

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

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

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
    let key = format!("{authority}|{tenant}|{client}|{scope}");
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
        .into_bytes(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encoding() {
        assert_eq!(form_encode(&[("a b", "x/y&z=1")]), "a+b=x%2Fy%26z%3D1");
    }
}
