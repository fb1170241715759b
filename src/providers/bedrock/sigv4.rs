//! SigV4 signing of a built request with the aws-sigv4 crate (service `bedrock`).

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;

use super::credentials::AwsCredentials;
use crate::error::{ErrorKind, LlmError};
use crate::providers::HttpRequest;

/// The signing name of Bedrock's runtime endpoints.
pub const SERVICE: &str = "bedrock";

fn signing_error(what: &str, e: impl std::fmt::Display) -> LlmError {
    let mut err = LlmError::new(ErrorKind::BadRequest, format!("bedrock: cannot sign the request ({what}): {e}"));
    err.provider = "bedrock".into();
    err
}

/// Adds `x-amz-date`, `x-amz-security-token` (with a session token) and `authorization` to a
/// POST request, signed for `region` at `time`. Existing headers of those names are replaced.
pub fn sign_request(
    http: &mut HttpRequest,
    creds: &AwsCredentials,
    region: &str,
    time: SystemTime,
) -> Result<(), LlmError> {
    sign_for(http, "POST", SERVICE, creds, region, time)
}

/// Signs a request of any method for `service`; S3 also gets `x-amz-content-sha256`.
pub fn sign_for(
    http: &mut HttpRequest,
    method: &str,
    service: &str,
    creds: &AwsCredentials,
    region: &str,
    time: SystemTime,
) -> Result<(), LlmError> {
    let mut settings = SigningSettings::default();
    if service == "s3" {
        settings.payload_checksum_kind = aws_sigv4::http_request::PayloadChecksumKind::XAmzSha256;
        // S3 signs the path as sent (no double encoding, no normalisation)
        settings.percent_encoding_mode = aws_sigv4::http_request::PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = aws_sigv4::http_request::UriPathNormalizationMode::Disabled;
    }
    let identity: Identity = Credentials::new(
        &creds.access_key_id,
        &creds.secret_access_key,
        creds.session_token.clone(),
        None,
        "litellm_rs",
    )
    .into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(time)
        .settings(settings)
        .build()
        .map_err(|e| signing_error("parameters", e))?
        .into();
    http.headers.retain(|(k, _)| {
        !matches!(
            k.to_ascii_lowercase().as_str(),
            "authorization" | "x-amz-date" | "x-amz-security-token" | "x-amz-content-sha256"
        )
    });
    let signable = SignableRequest::new(
        method,
        &http.url,
        http.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        SignableBody::Bytes(&http.body),
    )
    .map_err(|e| signing_error("request", e))?;
    let (instructions, _signature) = sign(signable, &params).map_err(|e| signing_error("signature", e))?.into_parts();
    let (headers, _params) = instructions.into_parts();
    for h in headers {
        http.headers.push((h.name().to_owned(), h.value().to_owned()));
    }
    Ok(())
}
