//! `LlmError`: the one error type of the engine. Each edge maps it once (Python exceptions in
//! `python/`, HTTP error bodies in the proxy later).

use std::fmt;

/// The litellm exception class an error surfaces as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    BadRequest,
    ContextWindowExceeded,
    ContentPolicyViolation,
    UnsupportedParams,
    UnknownProvider,
    Authentication,
    PermissionDenied,
    NotFound,
    Timeout,
    UnprocessableEntity,
    RateLimit,
    InternalServer,
    BadGateway,
    ServiceUnavailable,
    ApiConnection,
    ResponseValidation,
    Api,
}

impl ErrorKind {
    /// The class name in `litellm_rs.exceptions` (the same as litellm's).
    pub const fn class_name(self) -> &'static str {
        match self {
            Self::BadRequest => "BadRequestError",
            Self::ContextWindowExceeded => "ContextWindowExceededError",
            Self::ContentPolicyViolation => "ContentPolicyViolationError",
            Self::UnsupportedParams => "UnsupportedParamsError",
            Self::UnknownProvider => "LiteLLMUnknownProvider",
            Self::Authentication => "AuthenticationError",
            Self::PermissionDenied => "PermissionDeniedError",
            Self::NotFound => "NotFoundError",
            Self::Timeout => "Timeout",
            Self::UnprocessableEntity => "UnprocessableEntityError",
            Self::RateLimit => "RateLimitError",
            Self::InternalServer => "InternalServerError",
            Self::BadGateway => "BadGatewayError",
            Self::ServiceUnavailable => "ServiceUnavailableError",
            Self::ApiConnection => "APIConnectionError",
            Self::ResponseValidation => "APIResponseValidationError",
            Self::Api => "APIError",
        }
    }

    /// The kind whose litellm class is `name` (APIError for classes outside the table).
    pub fn from_class_name(name: &str) -> Self {
        const ALL: [ErrorKind; 17] = [
            ErrorKind::BadRequest,
            ErrorKind::ContextWindowExceeded,
            ErrorKind::ContentPolicyViolation,
            ErrorKind::UnsupportedParams,
            ErrorKind::UnknownProvider,
            ErrorKind::Authentication,
            ErrorKind::PermissionDenied,
            ErrorKind::NotFound,
            ErrorKind::Timeout,
            ErrorKind::UnprocessableEntity,
            ErrorKind::RateLimit,
            ErrorKind::InternalServer,
            ErrorKind::BadGateway,
            ErrorKind::ServiceUnavailable,
            ErrorKind::ApiConnection,
            ErrorKind::ResponseValidation,
            ErrorKind::Api,
        ];
        ALL.into_iter().find(|k| k.class_name() == name).unwrap_or(ErrorKind::Api)
    }

    /// The status code litellm reports for this class when the upstream gave none.
    pub const fn default_status(self) -> u16 {
        match self {
            Self::BadRequest
            | Self::ContextWindowExceeded
            | Self::ContentPolicyViolation
            | Self::UnsupportedParams
            | Self::UnknownProvider => 400,
            Self::Authentication => 401,
            Self::PermissionDenied => 403,
            Self::NotFound => 404,
            Self::Timeout => 408,
            Self::UnprocessableEntity => 422,
            Self::RateLimit => 429,
            Self::InternalServer | Self::ApiConnection | Self::ResponseValidation | Self::Api => 500,
            Self::BadGateway => 502,
            Self::ServiceUnavailable => 503,
        }
    }

    /// The class for an upstream HTTP status (before body patterns refine it).
    pub const fn from_status(status: u16) -> Self {
        match status {
            400 => Self::BadRequest,
            401 => Self::Authentication,
            403 => Self::PermissionDenied,
            404 => Self::NotFound,
            408 => Self::Timeout,
            422 => Self::UnprocessableEntity,
            429 => Self::RateLimit,
            502 => Self::BadGateway,
            503 | 529 => Self::ServiceUnavailable,
            500..=599 => Self::InternalServer,
            402 | 405..=499 => Self::BadRequest,
            _ => Self::Api,
        }
    }

    /// Whether a retry may succeed (litellm/openai retry these).
    pub const fn is_retryable(self) -> bool {
        matches!(
            self,
            Self::Timeout
                | Self::RateLimit
                | Self::InternalServer
                | Self::BadGateway
                | Self::ServiceUnavailable
                | Self::ApiConnection
        )
    }
}

/// An error of a call, with everything the edges need to render it.
#[derive(Debug, Clone)]
pub struct LlmError {
    pub kind: ErrorKind,
    /// HTTP status of the upstream answer, or the class default.
    pub status: u16,
    pub provider: String,
    pub model: String,
    pub message: String,
    /// Seconds to wait before retrying, from `retry-after` / `retry-after-ms`.
    pub retry_after: Option<f64>,
    /// Upstream response headers (lowercase names), when there was a response.
    pub headers: Vec<(String, String)>,
    /// Upstream response body, when there was one (secrets redacted).
    pub body: Option<String>,
    /// Retries made before giving up.
    pub num_retries: u32,
}

impl LlmError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            status: kind.default_status(),
            provider: String::new(),
            model: String::new(),
            message: message.into(),
            retry_after: None,
            headers: Vec::new(),
            body: None,
            num_retries: 0,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::BadRequest, message)
    }

    pub fn with_context(mut self, provider: &str, model: &str) -> Self {
        if self.provider.is_empty() {
            self.provider = provider.to_owned();
        }
        if self.model.is_empty() {
            self.model = model.to_owned();
        }
        self
    }

    /// Builds the error for a non-2xx upstream answer: the class from the status, refined by
    /// known body patterns (context window, content policy), with the provider's own message.
    pub fn from_upstream(
        status: u16,
        headers: Vec<(String, String)>,
        body: &[u8],
        provider: &str,
        model: &str,
    ) -> Self {
        let text = String::from_utf8_lossy(body);
        let upstream_msg = extract_message(&text);
        let mut kind = ErrorKind::from_status(status);
        if matches!(kind, ErrorKind::BadRequest | ErrorKind::UnprocessableEntity | ErrorKind::Api) || status == 413 {
            if is_context_window_message(&upstream_msg) || is_context_window_message(&text) {
                kind = ErrorKind::ContextWindowExceeded;
            } else if is_content_policy_message(&text) {
                kind = ErrorKind::ContentPolicyViolation;
            }
        }
        let retry_after = parse_retry_after(&headers);
        Self {
            kind,
            status,
            provider: provider.to_owned(),
            model: model.to_owned(),
            message: format!("{}Exception - {}", provider_title(provider), upstream_msg),
            retry_after,
            headers,
            body: Some(text.into_owned()),
            num_retries: 0,
        }
    }

    /// Removes every occurrence of `secret` from the message and body.
    pub fn redact(mut self, secret: Option<&str>) -> Self {
        if let Some(s) = secret.filter(|s| s.len() >= 4) {
            if self.message.contains(s) {
                self.message = self.message.replace(s, "[REDACTED]");
            }
            if let Some(b) = self.body.as_mut().filter(|b| b.contains(s)) {
                *b = b.replace(s, "[REDACTED]");
            }
        }
        self
    }
}

impl fmt::Display for LlmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.class_name(), self.message)
    }
}

impl std::error::Error for LlmError {}

/// The human part of an upstream error body: `error.message`, `message`, `detail`, `error` as a
/// string, or the raw text.
pub fn extract_message(text: &str) -> String {
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(text) {
        let v = if let Some(arr) = v.as_array() { arr.first().cloned().unwrap_or_default() } else { v };
        let candidates = [
            v.pointer("/error/message"),
            v.get("message"),
            v.get("detail"),
            v.pointer("/detail/message"),
            v.get("error"),
        ];
        for c in candidates.into_iter().flatten() {
            if let Some(s) = c.as_str() {
                return s.to_owned();
            }
        }
        return text.trim().to_owned();
    }
    let t = text.trim();
    if t.is_empty() { "(empty response body)".to_owned() } else { t.chars().take(2000).collect() }
}

/// Phrases providers use when the prompt is too long (OpenAI, Anthropic, Groq, Mistral, vLLM, ...).
pub fn is_context_window_message(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    const PATTERNS: &[&str] = &[
        "context length",
        "context_length_exceeded",
        "context window",
        "maximum context",
        "prompt is too long",
        "input is too long",
        "too many tokens",
        "reduce the length",
        "exceeds the maximum number of tokens",
        "input length and `max_tokens` exceed",
        "please reduce your prompt",
        "request too large",
    ];
    PATTERNS.iter().any(|p| l.contains(p))
}

/// Phrases and codes providers use when a content filter refused the request.
pub fn is_content_policy_message(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    const PATTERNS: &[&str] = &[
        "content_policy_violation",
        "content policy",
        "content_filter",
        "content management policy",
        "safety system",
        "responsibleaipolicyviolation",
    ];
    PATTERNS.iter().any(|p| l.contains(p))
}

/// `retry-after-ms` (milliseconds) or `retry-after` (seconds or an HTTP date we ignore).
pub fn parse_retry_after(headers: &[(String, String)]) -> Option<f64> {
    let get = |n: &str| headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(n)).map(|(_, v)| v.trim());
    if let Some(ms) = get("retry-after-ms").and_then(|v| v.parse::<f64>().ok()) {
        return Some((ms / 1000.0).max(0.0));
    }
    get("retry-after").and_then(|v| v.parse::<f64>().ok()).map(|s| s.max(0.0))
}

/// `"groq"` -> `"Groq"`, `"together_ai"` -> `"TogetherAi"`, `"openai"` -> `"OpenAI"` as litellm prints them.
pub fn provider_title(provider: &str) -> String {
    match provider {
        "openai" | "custom_openai" | "openai_like" | "text-completion-openai" => "OpenAI".to_owned(),
        "" => "LiteLLM".to_owned(),
        p => p
            .split(['_', '-'])
            .filter(|w| !w.is_empty())
            .map(|w| {
                let mut c = w.chars();
                match c.next() {
                    Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                    None => String::new(),
                }
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_maps_to_litellm_classes() {
        let cases = [
            (400, "BadRequestError"),
            (401, "AuthenticationError"),
            (403, "PermissionDeniedError"),
            (404, "NotFoundError"),
            (408, "Timeout"),
            (422, "UnprocessableEntityError"),
            (429, "RateLimitError"),
            (500, "InternalServerError"),
            (502, "BadGatewayError"),
            (503, "ServiceUnavailableError"),
            (504, "InternalServerError"),
        ];
        for (status, class) in cases {
            let e = LlmError::from_upstream(status, vec![], br#"{"error":{"message":"boom"}}"#, "groq", "m");
            assert_eq!(e.kind.class_name(), class, "status {status}");
            assert_eq!(e.status, status);
            assert_eq!(e.message, "GroqException - boom");
        }
    }

    #[test]
    fn body_patterns_refine_bad_request() {
        let body = br#"{"error":{"message":"This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.","type":"invalid_request_error","code":"context_length_exceeded"}}"#;
        let e = LlmError::from_upstream(400, vec![], body, "openai", "gpt-4");
        assert_eq!(e.kind, ErrorKind::ContextWindowExceeded);
        let body = br#"{"error":{"message":"Your request was rejected as a result of our safety system.","code":"content_policy_violation"}}"#;
        let e = LlmError::from_upstream(400, vec![], body, "openai", "dall-e-3");
        assert_eq!(e.kind, ErrorKind::ContentPolicyViolation);
    }

    #[test]
    fn retry_after_headers() {
        let h = vec![("retry-after".to_owned(), "2".to_owned())];
        assert_eq!(parse_retry_after(&h), Some(2.0));
        let h = vec![("retry-after-ms".to_owned(), "250".to_owned()), ("retry-after".to_owned(), "9".to_owned())];
        assert_eq!(parse_retry_after(&h), Some(0.25));
        assert_eq!(parse_retry_after(&[("retry-after".to_owned(), "Wed, 21 Oct 2015 07:28:00 GMT".to_owned())]), None);
    }

    #[test]
    fn redaction_removes_the_key() {
        let body = br#"{"error":{"message":"Incorrect API key provided: sk-secret-123456."}}"#;
        let e = LlmError::from_upstream(401, vec![], body, "openai", "gpt-4o").redact(Some("sk-secret-123456"));
        assert!(!e.message.contains("sk-secret-123456"));
        assert!(!e.body.unwrap().contains("sk-secret-123456"));
    }

    #[test]
    fn non_json_bodies_keep_their_text() {
        assert_eq!(extract_message("upstream exploded"), "upstream exploded");
        assert_eq!(extract_message(""), "(empty response body)");
        assert_eq!(extract_message(r#"{"detail":"Not Found"}"#), "Not Found");
        assert_eq!(provider_title("together_ai"), "TogetherAi");
    }
}
