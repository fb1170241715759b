//! The `s3` cache: one object per entry in a bucket of any S3-compatible store (AWS S3, MinIO,
//! R2, ...), signed with SigV4. Objects carry their own expiry (S3 has no per-object TTL), an
//! expired one is a miss; `clear(namespace)` lists the namespace's objects and deletes them.

use std::time::{Duration, SystemTime};

use bytes::Bytes;

use crate::error::{ErrorKind, LlmError};
use crate::providers::HttpRequest;
use crate::providers::bedrock::credentials::{AwsCredentials, AwsInputs, resolve};
use crate::providers::bedrock::sigv4::sign_for;

/// How long one S3 request may take (a lookup that takes longer is a miss).
pub const TIMEOUT: Duration = Duration::from_secs(2);

pub struct S3Store {
    /// `https://bucket.s3.region.amazonaws.com/prefix/` or `endpoint/bucket/prefix/`.
    base: String,
    /// The bucket's URL without the prefix (listing).
    bucket_url: String,
    prefix: String,
    region: String,
    credentials: AwsCredentials,
    verify: bool,
}

/// RFC 3986 encoding of a key's characters (`/` kept between path segments).
fn encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            b'/' if keep_slash => out.push('/'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn s3_error(what: &str, status: u16, body: &[u8]) -> LlmError {
    let text = String::from_utf8_lossy(body);
    let code = text.split("<Code>").nth(1).and_then(|r| r.split("</Code>").next()).unwrap_or("");
    LlmError::new(
        ErrorKind::ApiConnection,
        format!("s3 cache {what} failed ({status}{}{code})", if code.is_empty() { "" } else { ": " }),
    )
}

/// `<Key>` values and the continuation token of a ListObjectsV2 answer.
fn parse_list(xml: &str) -> (Vec<String>, Option<String>) {
    let unescape = |s: &str| {
        s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'").replace("&amp;", "&")
    };
    let keys = xml.split("<Key>").skip(1).filter_map(|p| p.split("</Key>").next()).map(unescape).collect();
    let truncated = xml.contains("<IsTruncated>true</IsTruncated>");
    let token = xml
        .split("<NextContinuationToken>")
        .nth(1)
        .and_then(|p| p.split("</NextContinuationToken>").next())
        .map(unescape)
        .filter(|_| truncated);
    (keys, token)
}

pub struct S3Settings {
    pub bucket: String,
    pub region: Option<String>,
    pub endpoint: Option<String>,
    pub path: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub session_token: Option<String>,
    pub profile_name: Option<String>,
    pub verify: bool,
}

impl S3Store {
    pub fn new(s: S3Settings) -> Result<Self, String> {
        if s.bucket.is_empty() {
            return Err("an s3 cache needs s3_bucket_name".into());
        }
        let inputs = AwsInputs {
            access_key_id: s.access_key_id,
            secret_access_key: s.secret_access_key,
            session_token: s.session_token,
            region_name: s.region,
            profile_name: s.profile_name,
            ..AwsInputs::default()
        };
        let resolved = resolve(&inputs, "").map_err(|e| e.message.replacen("bedrock: ", "s3 cache: ", 1))?;
        let credentials =
            resolved.auth.credentials.ok_or("s3 cache: AWS credentials are needed (keys or a profile)")?;
        let region = resolved.auth.region;
        let bucket_url = match s.endpoint.as_deref().map(|e| e.trim_end_matches('/')).filter(|e| !e.is_empty()) {
            // an explicit endpoint (MinIO, R2, a local server): path-style addressing
            Some(e) => format!("{e}/{}", encode(&s.bucket, false)),
            None => format!("https://{}.s3.{region}.amazonaws.com", s.bucket),
        };
        let prefix = s.path.unwrap_or_default().trim_matches('/').to_owned();
        let prefix = if prefix.is_empty() { prefix } else { format!("{prefix}/") };
        Ok(Self {
            base: format!("{bucket_url}/{}", encode(&prefix, true)),
            bucket_url,
            prefix,
            region,
            credentials,
            verify: s.verify,
        })
    }

    async fn send(&self, method: &str, url: String, body: Bytes) -> Result<crate::transport::RawResponse, LlmError> {
        let mut http = HttpRequest { url, headers: Vec::new(), body };
        sign_for(&mut http, method, "s3", &self.credentials, &self.region, SystemTime::now())?;
        crate::transport::send_with(method, &http, TIMEOUT, self.verify).await
    }

    fn url(&self, key: &str) -> String {
        format!("{}{}", self.base, encode(key, false))
    }

    /// The stored entry of `key`, or None (missing, or S3 unreachable: logged).
    pub async fn get(&self, key: &str) -> Result<Option<Bytes>, LlmError> {
        let raw = self.send("GET", self.url(key), Bytes::new()).await?;
        match raw.status {
            200 => Ok(Some(raw.body)),
            404 => Ok(None),
            s => Err(s3_error("read", s, &raw.body)),
        }
    }

    pub async fn put(&self, key: &str, data: Bytes) -> Result<(), LlmError> {
        let raw = self.send("PUT", self.url(key), data).await?;
        if raw.is_success() { Ok(()) } else { Err(s3_error("write", raw.status, &raw.body)) }
    }

    /// Deletes the objects whose key (after the cache's path) starts with `key_prefix` and
    /// passes `ours`.
    pub async fn delete_prefix(&self, key_prefix: &str, ours: impl Fn(&str) -> bool) -> Result<(), LlmError> {
        let full = format!("{}{key_prefix}", self.prefix);
        let mut token: Option<String> = None;
        loop {
            let mut url = format!("{}?list-type=2&prefix={}", self.bucket_url, encode(&full, false));
            if let Some(t) = &token {
                url.push_str(&format!("&continuation-token={}", encode(t, false)));
            }
            let raw = self.send("GET", url, Bytes::new()).await?;
            if !raw.is_success() {
                return Err(s3_error("list", raw.status, &raw.body));
            }
            let (keys, next) = parse_list(&String::from_utf8_lossy(&raw.body));
            for k in keys.into_iter().filter(|k| k.strip_prefix(&self.prefix).is_some_and(&ours)) {
                let raw =
                    self.send("DELETE", format!("{}/{}", self.bucket_url, encode(&k, true)), Bytes::new()).await?;
                if !raw.is_success() && raw.status != 404 {
                    return Err(s3_error("delete", raw.status, &raw.body));
                }
            }
            match next {
                Some(t) => token = Some(t),
                None => return Ok(()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listings_give_keys_and_the_next_page() {
        let xml = "<ListBucketResult><IsTruncated>true</IsTruncated><Contents><Key>cache/a:1</Key></Contents>\
                   <Contents><Key>cache/b&amp;c</Key></Contents><NextContinuationToken>t0k</NextContinuationToken></ListBucketResult>";
        assert_eq!(parse_list(xml), (vec!["cache/a:1".to_owned(), "cache/b&c".to_owned()], Some("t0k".to_owned())));
        let done = "<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>";
        assert_eq!(parse_list(done), (vec![], None));
        assert_eq!(encode("ns:ab/c d", true), "ns%3Aab/c%20d");
    }
}
