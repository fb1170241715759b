//! Vertex AI (`vertex_ai/`, `vertex_ai_beta/`): Gemini models through
//! `.../publishers/google/models/{model}:generateContent` (the AI Studio wire format, translated
//! by the Gemini module) and Claude through `.../publishers/anthropic/models/{model}:rawPredict`
//! (the Anthropic Messages body with `anthropic_version: "vertex-2023-10-16"` and without
//! `model`, translated by the Anthropic module). Auth is an OAuth2 bearer token.
//!
//! Everything here is pure: the credentials parsing, the service-account JWT, the token request
//! and its answer. The engine (`engine::auth`) sends the token request and caches the token.
//!
//! The engine passes the project/location resource path as the target's `api_base`
//! (`https://us-central1-aiplatform.googleapis.com/v1/projects/p/locations/us-central1`, see
//! [`resource_base`]); a caller `api_base` that already names the model (litellm's custom-proxy
//! form, e.g. a gateway URL ending in `/models/gemini-2.5-flash`) gets only `:{endpoint}` added.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::anthropic::{self, Anthropic};
use super::gemini::{self, BodyOptions};
use super::openai_compat::{Auth, Row};
use super::{CallTarget, HttpRequest, Provider, StreamState};
use crate::error::{ErrorKind, LlmError};
use crate::types::{ChatChunk, ChatRequest, ChatResponse};

/// The OAuth2 scope Vertex AI tokens are asked for.
pub const CLOUD_PLATFORM_SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";
/// Google's OAuth2 token endpoint (the default `token_uri`).
pub const DEFAULT_TOKEN_URI: &str = "https://oauth2.googleapis.com/token";
/// litellm's default Vertex location.
pub const DEFAULT_LOCATION: &str = "us-central1";
/// The `anthropic_version` body field of Claude on Vertex.
pub const VERTEX_ANTHROPIC_VERSION: &str = "vertex-2023-10-16";
/// The grant type of the service-account flow.
pub const JWT_BEARER_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// Lifetime asked for in the service-account assertion (Google's maximum).
const ASSERTION_LIFETIME_SECS: u64 = 3600;

pub static ROW: Row = Row {
    id: "vertex_ai",
    base_url: "",
    key_env: &[],
    base_env: &[],
    settings_key: None,
    auth: Auth::Bearer,
    renames: &[],
    unsupported: gemini::UNSUPPORTED,
    headers: &[],
    hosts: &[],
    quirks: 0,
};

pub static BETA_ROW: Row = Row { id: "vertex_ai_beta", ..ROW };

/// Whether `provider` is one of the Vertex AI ids.
pub fn is_vertex(provider: &str) -> bool {
    matches!(provider, "vertex_ai" | "vertex_ai_beta")
}

/// Claude on Vertex (Anthropic's partner models) rather than Gemini.
pub fn is_claude(model: &str) -> bool {
    model.starts_with("claude")
}

/// `https://{location}-aiplatform.googleapis.com`, or `https://aiplatform.googleapis.com` for
/// the `global` location.
pub fn location_host(location: &str) -> String {
    if location == "global" {
        "https://aiplatform.googleapis.com".to_owned()
    } else {
        format!("https://{location}-aiplatform.googleapis.com")
    }
}

/// The base the provider builds model URLs on. A caller `api_base` that already holds a
/// `/projects/` path (or names the model) is used as given; otherwise it replaces only the scheme
/// and host, and `/v1/projects/{project}/locations/{location}` is added. The project is needed
/// unless the caller's base already names it.
pub fn resource_base(api_base: Option<&str>, project: Option<&str>, location: &str) -> Result<String, LlmError> {
    let custom = api_base.map(|b| b.trim_end_matches('/')).filter(|b| !b.is_empty());
    if let Some(b) = custom
        && (b.contains("/projects/") || names_model(b))
    {
        return Ok(b.to_owned());
    }
    let project = project.filter(|p| !p.is_empty()).ok_or_else(|| {
        LlmError::bad_request(
            "Vertex AI needs a project: pass vertex_project= (or set litellm_rs.vertex_project, VERTEXAI_PROJECT \
             or VERTEX_PROJECT), or use service-account credentials that carry a project_id",
        )
    })?;
    let host = custom.map_or_else(|| location_host(location), str::to_owned);
    Ok(format!("{host}/v1/projects/{project}/locations/{location}"))
}

/// Whether a base already ends at a model or endpoint (litellm's custom-proxy form).
fn names_model(base: &str) -> bool {
    base.contains("/models/") || base.contains("/endpoints/")
}

/// The URL of one call: `{base}/publishers/{google|anthropic}/models/{model}:{method}` (a
/// numeric model is a deployed endpoint: `{base}/endpoints/{id}:{method}`); `v1beta1` replaces
/// `v1` when asked (context caching). Gemini streams add `?alt=sse`.
pub fn model_url(base: &str, model: &str, stream: bool, v1beta1: bool) -> String {
    let claude = is_claude(model);
    let method = match (claude, stream) {
        (false, false) => "generateContent",
        (false, true) => "streamGenerateContent",
        (true, false) => "rawPredict",
        (true, true) => "streamRawPredict",
    };
    let base = base.trim_end_matches('/');
    let (url, custom) = if names_model(base) {
        (format!("{base}:{method}"), true)
    } else {
        let base = if v1beta1 { base.replacen("/v1/projects/", "/v1beta1/projects/", 1) } else { base.to_owned() };
        let url = if !model.is_empty() && model.bytes().all(|b| b.is_ascii_digit()) {
            format!("{base}/endpoints/{model}:{method}")
        } else {
            let publisher = if claude { "anthropic" } else { "google" };
            format!("{base}/publishers/{publisher}/models/{model}:{method}")
        };
        (url, false)
    };
    if stream && (!claude || custom) { format!("{url}?alt=sse") } else { url }
}

// ---------------------------------------------------------------------------------------------
// credentials
// ---------------------------------------------------------------------------------------------

/// A service-account key file (`"type": "service_account"`).
#[derive(Clone, Deserialize)]
pub struct ServiceAccount {
    pub client_email: String,
    pub private_key: String,
    #[serde(default)]
    pub private_key_id: Option<String>,
    #[serde(default)]
    pub token_uri: Option<String>,
    #[serde(default)]
    pub project_id: Option<String>,
}

/// `gcloud auth application-default login` credentials (`"type": "authorized_user"`).
#[derive(Clone, Deserialize)]
pub struct AuthorizedUser {
    pub client_id: String,
    pub client_secret: String,
    pub refresh_token: String,
    #[serde(default)]
    pub token_uri: Option<String>,
    #[serde(default)]
    pub quota_project_id: Option<String>,
}

/// Google credentials as the caller gives them.
#[derive(Clone)]
pub enum GoogleCredentials {
    ServiceAccount(ServiceAccount),
    AuthorizedUser(AuthorizedUser),
    /// A ready access token (a bare string that is neither JSON nor a file).
    AccessToken(String),
}

impl fmt::Debug for GoogleCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ServiceAccount(sa) => write!(f, "ServiceAccount({}, private_key: [REDACTED])", sa.client_email),
            Self::AuthorizedUser(u) => write!(f, "AuthorizedUser({}, secrets: [REDACTED])", u.client_id),
            Self::AccessToken(_) => f.write_str("AccessToken([REDACTED])"),
        }
    }
}

impl GoogleCredentials {
    /// The project the credentials belong to (`project_id`, or an authorized user's
    /// `quota_project_id`).
    pub fn project_id(&self) -> Option<&str> {
        match self {
            Self::ServiceAccount(sa) => sa.project_id.as_deref(),
            Self::AuthorizedUser(u) => u.quota_project_id.as_deref(),
            Self::AccessToken(_) => None,
        }
        .filter(|p| !p.is_empty())
    }

    /// The `token_uri` of the credentials, else Google's.
    pub fn token_uri(&self) -> &str {
        match self {
            Self::ServiceAccount(sa) => sa.token_uri.as_deref(),
            Self::AuthorizedUser(u) => u.token_uri.as_deref(),
            Self::AccessToken(_) => None,
        }
        .filter(|u| !u.is_empty())
        .unwrap_or(DEFAULT_TOKEN_URI)
    }

    /// The secret to keep out of error messages.
    pub fn secret(&self) -> &str {
        match self {
            Self::ServiceAccount(sa) => &sa.private_key,
            Self::AuthorizedUser(u) => &u.refresh_token,
            Self::AccessToken(t) => t,
        }
    }

    /// The token cache key: who asks, for which scope, at which endpoint.
    pub fn cache_key(&self, scope: &str, token_url: &str) -> String {
        match self {
            Self::ServiceAccount(sa) => format!("sa|{}|{scope}|{token_url}", sa.client_email),
            Self::AuthorizedUser(u) => {
                use std::hash::{Hash, Hasher};
                let mut h = std::collections::hash_map::DefaultHasher::new();
                u.refresh_token.hash(&mut h);
                format!("user|{}|{:016x}|{scope}|{token_url}", u.client_id, h.finish())
            }
            Self::AccessToken(_) => String::new(),
        }
    }
}

fn auth_error(message: impl Into<String>) -> LlmError {
    let mut e = LlmError::new(ErrorKind::Authentication, message);
    e.status = 401;
    e
}

/// Parses credentials given as a JSON object or as JSON text (the file contents of
/// `vertex_credentials` / GOOGLE_APPLICATION_CREDENTIALS are read by the caller). A string that is
/// not JSON is taken as an access token. Error messages never echo the input.
pub fn parse_credentials(value: &Value) -> Result<GoogleCredentials, LlmError> {
    let obj = match value {
        Value::Object(_) => value.clone(),
        Value::String(s) => {
            let t = s.trim();
            if t.is_empty() {
                return Err(auth_error("vertex_credentials is empty"));
            }
            if !t.starts_with('{') {
                return Ok(GoogleCredentials::AccessToken(t.to_owned()));
            }
            serde_json::from_str(t).map_err(|e| {
                auth_error(format!(
                    "Unable to load vertex credentials: not valid JSON (line {}, column {})",
                    e.line(),
                    e.column()
                ))
            })?
        }
        _ => return Err(auth_error("vertex_credentials must be a JSON string, a dict or a file path")),
    };
    let kind = obj.get("type").and_then(Value::as_str).unwrap_or("service_account");
    let shape = |what: &str, e: serde_json::Error| {
        // serde's message names the missing field, never a value
        auth_error(format!("Unable to load vertex credentials: invalid {what} JSON ({e})"))
    };
    match kind {
        "service_account" => {
            serde_json::from_value(obj).map(GoogleCredentials::ServiceAccount).map_err(|e| shape("service-account", e))
        }
        "authorized_user" => {
            serde_json::from_value(obj).map(GoogleCredentials::AuthorizedUser).map_err(|e| shape("authorized-user", e))
        }
        other => Err(auth_error(format!(
            "Unsupported vertex credentials type '{other}' (service_account and authorized_user are supported)"
        ))),
    }
}

/// The claims of a service-account assertion.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AssertionClaims {
    pub iss: String,
    pub scope: String,
    pub aud: String,
    pub iat: u64,
    pub exp: u64,
}

/// The RS256-signed JWT a service account exchanges for an access token: {iss: client_email,
/// scope, aud: token_uri, iat: now, exp: now + 1 h}, with the key id in the header.
pub fn service_account_assertion(sa: &ServiceAccount, scope: &str, aud: &str, now: u64) -> Result<String, LlmError> {
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(sa.private_key.as_bytes()).map_err(|_| {
        auth_error(format!("The private_key of the service account {} is not a valid RSA PEM key", sa.client_email))
    })?;
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid.clone_from(&sa.private_key_id);
    let claims = AssertionClaims {
        iss: sa.client_email.clone(),
        scope: scope.to_owned(),
        aud: aud.to_owned(),
        iat: now,
        exp: now + ASSERTION_LIFETIME_SECS,
    };
    jsonwebtoken::encode(&header, &claims, &key).map_err(|e| {
        auth_error(format!("Signing the service-account assertion failed: {e:?}").replace(&sa.private_key, ""))
    })
}

/// `application/x-www-form-urlencoded`.
pub fn form_encode(pairs: &[(&str, &str)]) -> String {
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

/// The token request for `creds`: the JWT-bearer grant for a service account (the assertion's
/// audience is the credentials' `token_uri`), the refresh-token grant for an authorized user.
/// `token_url` overrides where it is sent (tests, private endpoints).
pub fn token_request(
    creds: &GoogleCredentials,
    scope: &str,
    token_url: Option<&str>,
    now: u64,
) -> Result<HttpRequest, LlmError> {
    let url = token_url.filter(|u| !u.is_empty()).unwrap_or(creds.token_uri()).to_owned();
    let body = match creds {
        GoogleCredentials::ServiceAccount(sa) => {
            let assertion = service_account_assertion(sa, scope, creds.token_uri(), now)?;
            form_encode(&[("grant_type", JWT_BEARER_GRANT), ("assertion", &assertion)])
        }
        GoogleCredentials::AuthorizedUser(u) => form_encode(&[
            ("grant_type", "refresh_token"),
            ("client_id", &u.client_id),
            ("client_secret", &u.client_secret),
            ("refresh_token", &u.refresh_token),
            ("scope", scope),
        ]),
        GoogleCredentials::AccessToken(_) => {
            return Err(LlmError::bad_request("an access token needs no token request"));
        }
    };
    Ok(HttpRequest {
        url,
        headers: vec![("content-type".into(), "application/x-www-form-urlencoded".into())],
        body: body.into_bytes().into(),
    })
}

/// The access token and its lifetime in seconds from a token endpoint's answer.
pub fn parse_token_answer(body: &[u8]) -> Result<(String, f64), LlmError> {
    #[derive(Deserialize)]
    struct Answer {
        access_token: String,
        #[serde(default)]
        expires_in: Option<Value>,
    }
    let a: Answer = serde_json::from_slice(body)
        .map_err(|e| auth_error(format!("Invalid answer from the Google token endpoint: {e}")))?;
    let secs = match &a.expires_in {
        Some(Value::Number(n)) => n.as_f64().unwrap_or(3600.0),
        Some(Value::String(s)) => s.parse().unwrap_or(3600.0),
        _ => 3600.0,
    };
    Ok((a.access_token, secs.max(0.0)))
}

/// A failed token exchange as an `AuthenticationError` with Google's reason
/// (`{"error": "invalid_grant", "error_description": "Invalid JWT Signature."}`); `secret` is
/// removed from the message.
pub fn token_error(status: u16, body: &[u8], secret: &str) -> LlmError {
    let v: Option<Value> = serde_json::from_slice(body).ok();
    let code = v.as_ref().and_then(|v| v.get("error")).map(|e| match e {
        Value::String(s) => s.clone(),
        other => other.get("message").and_then(Value::as_str).map_or_else(|| other.to_string(), str::to_owned),
    });
    let desc = v.as_ref().and_then(|v| v.get("error_description")).and_then(Value::as_str);
    let reason = match (code, desc) {
        (Some(c), Some(d)) => format!("{c}: {d}"),
        (Some(c), None) => c,
        (None, _) => String::from_utf8_lossy(body).chars().take(300).collect(),
    };
    let mut e = auth_error(format!("VertexAIException - Google token request failed ({status}): {reason}"));
    e.provider = "vertex_ai".into();
    e.redact(Some(secret))
}

// ---------------------------------------------------------------------------------------------
// the provider
// ---------------------------------------------------------------------------------------------

/// `beta` is `vertex_ai_beta/` (the same API; litellm keeps the name apart).
#[derive(Debug, Clone, Copy)]
pub struct Vertex {
    pub beta: bool,
}

impl Vertex {
    fn headers(target: &CallTarget) -> Vec<(String, String)> {
        let mut h: Vec<(String, String)> = Vec::with_capacity(2 + target.extra_headers.len());
        h.push(("content-type".into(), "application/json".into()));
        if let Some(token) = target.bearer.as_deref().or(target.api_key.as_deref()).filter(|t| !t.is_empty()) {
            h.push(("authorization".into(), format!("Bearer {token}")));
        }
        for (k, v) in &target.extra_headers {
            let lk = k.to_ascii_lowercase();
            h.retain(|(n, _)| *n != lk);
            h.push((lk, v.clone()));
        }
        h
    }

    fn build_gemini(&self, req: &ChatRequest, target: &CallTarget) -> Result<HttpRequest, LlmError> {
        let skip =
            super::params_to_drop(self.id(), req.set_params(), |p| gemini::supports_param(&req.model, p), target)?;
        let opts = BodyOptions { vertex: true, drop_params: target.drop_params };
        let body = gemini::generate_content_body(req, &skip, opts, target.extra_body.as_ref())?;
        let v1beta1 = req.extra.contains_key("cached_content") || req.extra.contains_key("cachedContent");
        Ok(HttpRequest {
            url: model_url(&target.api_base, &req.model, req.is_stream(), v1beta1),
            headers: Self::headers(target),
            body: body.into(),
        })
    }

    /// The Anthropic module builds the Messages body; Vertex wants it without `model` and with
    /// `anthropic_version` in the body, and the bearer token instead of `x-api-key`.
    fn build_claude(&self, req: &ChatRequest, target: &CallTarget) -> Result<HttpRequest, LlmError> {
        let built = Anthropic.build_chat(req, target)?;
        let mut body: Map<String, Value> = serde_json::from_slice(&built.body)
            .map_err(|e| LlmError::bad_request(format!("cannot encode the request: {e}")))?;
        body.remove("model");
        let mut out = Map::with_capacity(body.len() + 1);
        out.insert("anthropic_version".into(), Value::String(VERTEX_ANTHROPIC_VERSION.into()));
        out.extend(body);
        let mut headers = Self::headers(target);
        if let Some(beta) = built.headers.into_iter().find(|(k, _)| k == "anthropic-beta") {
            headers.retain(|(k, _)| k != "anthropic-beta");
            headers.push(beta);
        }
        Ok(HttpRequest {
            url: model_url(&target.api_base, &req.model, req.is_stream(), false),
            headers,
            body: serde_json::to_vec(&out)
                .map_err(|e| LlmError::bad_request(format!("cannot encode the request: {e}")))?
                .into(),
        })
    }
}

/// litellm names Vertex errors `VertexAIException - ...`.
fn relabel(mut e: LlmError, provider: &str) -> LlmError {
    for prefix in ["VertexAiBetaException - ", "VertexAiException - ", "AnthropicException - "] {
        if let Some(rest) = e.message.strip_prefix(prefix) {
            e.message = format!("VertexAIException - {rest}");
            break;
        }
    }
    e.provider = provider.to_owned();
    e
}

impl Provider for Vertex {
    fn id(&self) -> &str {
        if self.beta { "vertex_ai_beta" } else { "vertex_ai" }
    }

    fn supports_openai_param(&self, model: &str, name: &str) -> bool {
        if is_claude(model) {
            Anthropic.supports_openai_param(model, name)
        } else {
            gemini::supports_param(model, name)
        }
    }

    fn build_chat(&self, req: &ChatRequest, target: &CallTarget) -> Result<HttpRequest, LlmError> {
        if is_claude(&req.model) { self.build_claude(req, target) } else { self.build_gemini(req, target) }
    }

    fn parse_chat(&self, body: &[u8], req: &ChatRequest) -> Result<ChatResponse, LlmError> {
        if is_claude(&req.model) {
            Anthropic.parse_chat(body, req).map_err(|e| relabel(e, self.id()))
        } else {
            gemini::parse_response(self.id(), body, &req.model)
        }
    }

    fn parse_chat_event(
        &self,
        state: &mut StreamState,
        event: Option<&str>,
        data: &str,
    ) -> Result<Vec<ChatChunk>, LlmError> {
        if is_claude(&state.model) {
            Anthropic.parse_chat_event(state, event, data).map_err(|e| relabel(e, self.id()))
        } else {
            gemini::parse_stream_event(self.id(), state, data)
        }
    }

    fn map_error(&self, status: u16, headers: Vec<(String, String)>, body: &[u8], model: &str) -> LlmError {
        let anthropic_body = is_claude(model)
            && serde_json::from_slice::<Value>(body)
                .ok()
                .is_some_and(|v| v.get("type").and_then(Value::as_str) == Some("error"));
        let e = if anthropic_body {
            anthropic::map_anthropic_error(status, headers, body, model)
        } else {
            gemini::map_google_error(self.id(), status, headers, body, model)
        };
        relabel(e, self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_for_regions_global_and_custom_bases() {
        let b = resource_base(None, Some("p1"), "europe-west4").unwrap();
        assert_eq!(b, "https://europe-west4-aiplatform.googleapis.com/v1/projects/p1/locations/europe-west4");
        assert_eq!(
            model_url(&b, "gemini-2.5-flash", true, false),
            "https://europe-west4-aiplatform.googleapis.com/v1/projects/p1/locations/europe-west4/publishers/google/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
        );
        let g = resource_base(None, Some("p1"), "global").unwrap();
        assert_eq!(g, "https://aiplatform.googleapis.com/v1/projects/p1/locations/global");
        let c = resource_base(Some("http://127.0.0.1:9/"), Some("p1"), "us-east5").unwrap();
        assert_eq!(
            model_url(&c, "claude-sonnet-4@20250514", true, false),
            "http://127.0.0.1:9/v1/projects/p1/locations/us-east5/publishers/anthropic/models/claude-sonnet-4@20250514:streamRawPredict"
        );
        let full =
            "https://gw.example/v1/acct/gw/google-vertex-ai/v1/projects/p/locations/l/publishers/google/models/m";
        assert_eq!(resource_base(Some(full), None, "x").unwrap(), full);
        assert_eq!(model_url(full, "m", true, false), format!("{full}:streamGenerateContent?alt=sse"));
        assert_eq!(
            model_url(&b, "1234567890", false, true),
            "https://europe-west4-aiplatform.googleapis.com/v1beta1/projects/p1/locations/europe-west4/endpoints/1234567890:generateContent"
        );
        assert!(resource_base(None, None, "us-central1").is_err());
    }

    #[test]
    fn credentials_never_echo_secrets() {
        let e = parse_credentials(&Value::String("{\"private_key\": \"SECRET".into())).unwrap_err();
        assert!(!e.message.contains("SECRET"), "{}", e.message);
        let e =
            parse_credentials(&serde_json::json!({"type": "service_account", "private_key": "SECRET"})).unwrap_err();
        assert!(!e.message.contains("SECRET") && e.message.contains("client_email"), "{}", e.message);
        assert!(matches!(parse_credentials(&Value::String("ya29.tok".into())), Ok(GoogleCredentials::AccessToken(_))));
        let sa = ServiceAccount {
            client_email: "a@b".into(),
            private_key: "-----BEGIN PRIVATE KEY-----\nSECRET\n-----END PRIVATE KEY-----\n".into(),
            private_key_id: None,
            token_uri: None,
            project_id: None,
        };
        let e = service_account_assertion(&sa, CLOUD_PLATFORM_SCOPE, DEFAULT_TOKEN_URI, 0).unwrap_err();
        assert!(!e.message.contains("SECRET") && e.kind == ErrorKind::Authentication, "{}", e.message);
        assert!(!format!("{:?}", GoogleCredentials::ServiceAccount(sa)).contains("SECRET"));
    }

    #[test]
    fn token_errors_are_authentication_errors() {
        let e = token_error(400, br#"{"error":"invalid_grant","error_description":"Invalid JWT Signature."}"#, "k");
        assert_eq!((e.kind, e.status), (ErrorKind::Authentication, 401));
        assert!(e.message.contains("invalid_grant: Invalid JWT Signature."), "{}", e.message);
    }
}
