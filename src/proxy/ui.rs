//! `/ui`: the proxy's page — plain HTML, CSS and JavaScript embedded in the binary (no build step):
//! a streaming chat playground over the configured models, and the keys and the spend with charts.
//! The page holds no data; it fetches everything from the API with the key typed into it (kept in
//! the tab's sessionStorage), so it is public, like `/docs`.

use std::sync::OnceLock;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// The page's files: path, content type, text.
const FILES: [(&str, &str, &str); 3] = [
    ("/ui/", "text/html; charset=utf-8", include_str!("ui/index.html")),
    ("/ui/app.js", "text/javascript; charset=utf-8", include_str!("ui/app.js")),
    ("/ui/app.css", "text/css; charset=utf-8", include_str!("ui/app.css")),
];

/// Only the page's own files, and requests to this origin only: untrusted text (model answers,
/// key aliases) is never markup, and even if it were, no other script could run.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; \
                   base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The routes of the page, public (they go outside the key check).
pub fn routes<S: Clone + Send + Sync + 'static>() -> axum::Router<S> {
    axum::Router::new()
        .route("/ui", get(|h: HeaderMap| async move { file(0, &h) }))
        .route("/ui/", get(|h: HeaderMap| async move { file(0, &h) }))
        .route("/ui/app.js", get(|h: HeaderMap| async move { file(1, &h) }))
        .route("/ui/app.css", get(|h: HeaderMap| async move { file(2, &h) }))
}

/// Each file's ETag: a hash of its text, so a browser revalidates (`no-cache`) and gets a 304
/// until the binary changes.
fn etag(i: usize) -> &'static str {
    static TAGS: OnceLock<Vec<String>> = OnceLock::new();
    &TAGS.get_or_init(|| {
        FILES.iter().map(|f| format!("\"{}\"", &crate::util::sha256_hex(f.2.as_bytes())[..16])).collect()
    })[i]
}

fn file(i: usize, request: &HeaderMap) -> Response {
    let (_, content_type, text) = FILES[i];
    let tag = etag(i);
    let fresh = request.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains(tag));
    let mut resp = if fresh { StatusCode::NOT_MODIFIED.into_response() } else { text.into_response() };
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if let Ok(v) = HeaderValue::from_str(tag) {
        h.insert(header::ETAG, v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proxy::{ProxyConfig, ProxyState, app};
    use axum::body::Body;
    use axum::extract::Request;
    use serde_json::json;
    use std::sync::Arc;
    use tower::ServiceExt;

    fn state() -> Arc<ProxyState> {
        let mut config = ProxyConfig {
            model_list: vec![json!({"model_name": "gpt", "litellm_params": {"model": "openai/gpt-4o-mini"}})],
            ..Default::default()
        };
        config.general_settings.insert("master_key".into(), json!("sk-master"));
        Arc::new(ProxyState::new(&config).unwrap())
    }

    async fn get(uri: &str, etag: Option<&str>) -> (StatusCode, HeaderMap, String) {
        let mut req = Request::builder().uri(uri);
        if let Some(t) = etag {
            req = req.header("if-none-match", t);
        }
        let resp = app(state()).oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
        let (parts, body) = resp.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
        (parts.status, parts.headers, String::from_utf8(bytes.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn the_page_is_served_without_a_key() {
        for uri in ["/ui", "/ui/"] {
            let (status, headers, body) = get(uri, None).await;
            assert_eq!(status, StatusCode::OK, "{uri}");
            assert_eq!(headers["content-type"], "text/html; charset=utf-8");
            assert_eq!(headers["cache-control"], "no-cache");
            assert!(headers["content-security-policy"].to_str().unwrap().contains("script-src 'self'"));
            assert!(body.starts_with("<!doctype html>"), "{body}");
            for needle in [
                r#"<script src="/ui/app.js" defer></script>"#,
                r#"href="/ui/app.css""#,
                r#"id="key""#,
                r#"id="model""#,
                r#"id="messages""#,
                r#"id="prompt""#,
                r#"id="keys-table""#,
                r#"id="spend-by-day""#,
                r#"id="spend-by-model""#,
                r#"id="spend-table""#,
            ] {
                assert!(body.contains(needle), "{needle} missing");
            }
        }
        let (status, headers, js) = get("/ui/app.js", None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["content-type"], "text/javascript; charset=utf-8");
        // the page streams, reads the admin routes, and never parses markup from data
        for needle in ["/v1/chat/completions", "[DONE]", "/v1/models", "/key/list", "/spend/logs", "/global/spend"] {
            assert!(js.contains(needle), "{needle} missing from app.js");
        }
        assert!(!js.contains("innerHTML") && !js.contains("insertAdjacentHTML"), "app.js must build the DOM from text");
        let (status, headers, _) = get("/ui/app.css", None).await;
        assert_eq!(
            (status, &headers["content-type"]),
            (StatusCode::OK, &HeaderValue::from_static("text/css; charset=utf-8"))
        );
        // revalidation: the same ETag is a 304
        let (_, headers, _) = get("/ui/app.js", None).await;
        let tag = headers["etag"].to_str().unwrap().to_owned();
        let (status, _, body) = get("/ui/app.js", Some(&tag)).await;
        assert_eq!((status, body.as_str()), (StatusCode::NOT_MODIFIED, ""));
        // the API behind it still needs the key
        let (status, _, _) = get("/key/list", None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
}
