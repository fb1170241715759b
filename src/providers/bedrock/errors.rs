//! Bedrock's errors: non-2xx answers (`{"message": ...}` with an `x-amzn-errortype` header) and
//! exceptions inside an event stream, mapped to litellm's exception classes.

use serde_json::Value;

use crate::error::{ErrorKind, LlmError, is_context_window_message};

/// Context-window phrases Bedrock's models use beyond the shared list.
fn is_context_window(msg: &str) -> bool {
    let l = msg.to_ascii_lowercase();
    is_context_window_message(msg)
        || ["too many input tokens", "expected maxlength", "input length", "prompt: length", "max_tokens exceed"]
            .iter()
            .any(|p| l.contains(p))
}

/// The exception name: the header (`ValidationException:http://...`) or the body's `__type`.
fn error_type(headers: &[(String, String)], body: &Value) -> Option<String> {
    let raw = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("x-amzn-errortype"))
        .map(|(_, v)| v.clone())
        .or_else(|| body.get("__type").and_then(Value::as_str).map(str::to_owned))?;
    let name = raw.split(':').next().unwrap_or_default();
    let name = name.rsplit('#').next().unwrap_or(name);
    Some(name.to_owned())
}

/// The class for an exception name (either case of the first letter) and its message.
fn kind_for(name: &str, msg: &str) -> Option<ErrorKind> {
    let mut n = name.to_owned();
    if let Some(first) = n.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    let lower = msg.to_ascii_lowercase();
    Some(match n.as_str() {
        "ValidationException" if is_context_window(msg) => ErrorKind::ContextWindowExceeded,
        "ValidationException" => ErrorKind::BadRequest,
        "AccessDeniedException" => ErrorKind::PermissionDenied,
        "UnrecognizedClientException"
        | "InvalidSignatureException"
        | "IncompleteSignatureException"
        | "MissingAuthenticationTokenException"
        | "ExpiredTokenException"
        | "InvalidClientTokenId" => ErrorKind::Authentication,
        "ResourceNotFoundException" => ErrorKind::NotFound,
        "ThrottlingException" | "ServiceQuotaExceededException" | "TooManyRequestsException" => ErrorKind::RateLimit,
        "ModelNotReadyException" | "ServiceUnavailableException" => ErrorKind::ServiceUnavailable,
        "ModelTimeoutException" => ErrorKind::Timeout,
        "InternalServerException" | "InternalFailure" | "ModelStreamErrorException" => ErrorKind::InternalServer,
        "EventStreamDecodeException" => ErrorKind::ApiConnection,
        _ if lower.contains("security token included in the request is invalid")
            || lower.contains("signature we calculated does not match") =>
        {
            ErrorKind::Authentication
        }
        _ => return None,
    })
}

/// A non-2xx answer from Bedrock.
pub fn map_error(status: u16, headers: Vec<(String, String)>, body: &[u8], model: &str) -> LlmError {
    let parsed: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let kind_name = error_type(&headers, &parsed);
    let mut e = LlmError::from_upstream(status, headers, body, "bedrock", model);
    let msg = parsed.get("message").or_else(|| parsed.get("Message")).and_then(Value::as_str).unwrap_or_default();
    let kind = kind_name.as_deref().and_then(|n| kind_for(n, msg)).or_else(|| kind_for("", msg));
    if let Some(k) = kind {
        e.kind = k;
    } else if status == 400 && is_context_window(msg) {
        e.kind = ErrorKind::ContextWindowExceeded;
    }
    e
}

/// An exception message inside an event stream (`throttlingException`, `validationException`, ...).
pub fn stream_exception(name: &str, data: &str) -> LlmError {
    let parsed: Value = serde_json::from_str(data).unwrap_or(Value::Null);
    let msg = parsed
        .get("message")
        .or_else(|| parsed.get("Message"))
        .and_then(Value::as_str)
        .map_or_else(|| data.to_owned(), str::to_owned);
    let from_status =
        parsed.get("originalStatusCode").and_then(Value::as_u64).map(|s| ErrorKind::from_status(s as u16));
    let kind = kind_for(name, &msg).filter(|k| *k != ErrorKind::InternalServer || from_status.is_none());
    let kind = kind.or(from_status).unwrap_or(ErrorKind::InternalServer);
    let mut e = LlmError::new(kind, format!("BedrockException - {name}: {msg}"));
    e.provider = "bedrock".into();
    e.body = Some(data.to_owned());
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(t: &str, status: u16, msg: &str) -> LlmError {
        let body = serde_json::json!({ "message": msg }).to_string();
        map_error(
            status,
            vec![("x-amzn-errortype".into(), format!("{t}:http://internal.amazon.com/coral/com.amazon.bedrock/"))],
            body.as_bytes(),
            "m",
        )
    }

    #[test]
    fn error_types_map_to_litellm_classes() {
        let cases = [
            ("ValidationException", 400, "Input is too long for requested model.", ErrorKind::ContextWindowExceeded),
            ("ValidationException", 400, "too many input tokens", ErrorKind::ContextWindowExceeded),
            ("ValidationException", 400, "Malformed input request", ErrorKind::BadRequest),
            ("AccessDeniedException", 403, "You don't have access to the model", ErrorKind::PermissionDenied),
            (
                "UnrecognizedClientException",
                403,
                "The security token included in the request is invalid.",
                ErrorKind::Authentication,
            ),
            (
                "InvalidSignatureException",
                403,
                "The request signature we calculated does not match",
                ErrorKind::Authentication,
            ),
            ("ResourceNotFoundException", 404, "Model not found", ErrorKind::NotFound),
            ("ThrottlingException", 429, "Too many requests, please wait before trying again.", ErrorKind::RateLimit),
            ("ModelNotReadyException", 429, "Model is not ready", ErrorKind::ServiceUnavailable),
            ("ServiceUnavailableException", 503, "Service unavailable", ErrorKind::ServiceUnavailable),
            ("ModelTimeoutException", 408, "Model timed out", ErrorKind::Timeout),
            ("InternalServerException", 500, "Internal error", ErrorKind::InternalServer),
        ];
        for (t, status, msg, kind) in cases {
            let e = err(t, status, msg);
            assert_eq!(e.kind, kind, "{t}");
            assert_eq!(e.message, format!("BedrockException - {msg}"));
            assert_eq!(e.provider, "bedrock");
        }
    }

    #[test]
    fn stream_exceptions() {
        assert_eq!(stream_exception("throttlingException", r#"{"message":"slow"}"#).kind, ErrorKind::RateLimit);
        assert_eq!(stream_exception("validationException", r#"{"message":"bad"}"#).kind, ErrorKind::BadRequest);
        assert_eq!(
            stream_exception("modelStreamErrorException", r#"{"message":"x","originalStatusCode":429}"#).kind,
            ErrorKind::RateLimit
        );
        assert_eq!(stream_exception("serviceUnavailableException", "{}").kind, ErrorKind::ServiceUnavailable);
        assert_eq!(stream_exception("internalServerException", "{}").kind, ErrorKind::InternalServer);
    }
}
