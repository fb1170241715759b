//! Where a Bedrock call goes and how it authenticates: region, endpoint, and either a Bedrock API
//! key (sent as a bearer token, unsigned) or AWS credentials for SigV4 — from the call, the
//! environment, or a profile of the shared `~/.aws/credentials` / `~/.aws/config` files.
//! Secrets never appear in `Debug` output or error messages.

use std::fmt;

use crate::error::{ErrorKind, LlmError};

/// litellm's default region when none is configured.
pub const DEFAULT_REGION: &str = "us-east-1";

/// The AWS inputs of a call (`aws_*` kwargs, `region_name`, `api_key`, `api_base`).
#[derive(Clone, Default)]
pub struct AwsInputs {
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub session_token: Option<String>,
    pub region_name: Option<String>,
    pub profile_name: Option<String>,
    pub runtime_endpoint: Option<String>,
    /// Given by the caller (not from the environment): a Bedrock API key.
    pub api_key: Option<String>,
    pub api_base: Option<String>,
    /// Credential sources litellm has that litellm_rs does not implement yet.
    pub role_name: Option<String>,
    pub web_identity_token: Option<String>,
}

impl fmt::Debug for AwsInputs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsInputs")
            .field("access_key_id", &self.access_key_id)
            .field("region_name", &self.region_name)
            .field("profile_name", &self.profile_name)
            .field("runtime_endpoint", &self.runtime_endpoint)
            .finish_non_exhaustive()
    }
}

/// Static AWS credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct AwsCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl fmt::Debug for AwsCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"[REDACTED]")
            .field("session_token", &self.session_token.as_ref().map(|_| "[REDACTED]"))
            .finish()
    }
}

/// The signing facts carried to the provider in `CallTarget::aws`. No credentials means the call
/// uses a Bedrock API key (`CallTarget::api_key`) instead of SigV4.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsAuth {
    pub region: String,
    pub credentials: Option<AwsCredentials>,
}

/// The outcome of resolution (its Debug output hides the Bedrock API key).
#[derive(Clone)]
pub struct ResolvedAws {
    /// `https://bedrock-runtime.{region}.amazonaws.com`, or the override (no trailing slash).
    pub endpoint: String,
    /// A Bedrock API key, sent as `Authorization: Bearer`.
    pub api_key: Option<String>,
    pub auth: AwsAuth,
}

impl fmt::Debug for ResolvedAws {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResolvedAws")
            .field("endpoint", &self.endpoint)
            .field("api_key", &self.api_key.as_ref().map(|_| "[REDACTED]"))
            .field("auth", &self.auth)
            .finish()
    }
}

/// A set, non-blank environment variable (AWS treats whitespace-only values as unset).
fn env(name: &str) -> Option<String> {
    crate::util::env_var(name).filter(|v| !v.trim().is_empty())
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn auth_error(message: String) -> LlmError {
    let mut e = LlmError::new(ErrorKind::Authentication, message);
    e.provider = "bedrock".into();
    e
}

/// The region in a Bedrock ARN (`arn:aws:bedrock:us-west-2:123456789012:...`).
pub fn arn_region(model_id: &str) -> Option<&str> {
    let rest = model_id.strip_prefix("arn:")?;
    let mut parts = rest.split(':');
    let (_partition, _service, region) = (parts.next()?, parts.next()?, parts.next()?);
    (!region.is_empty()).then_some(region)
}

/// Resolves region, endpoint and credentials for a call to `model_id` (the id without route).
///
/// Credentials, first found wins: `api_key=` (Bedrock API key) → `aws_access_key_id=` +
/// `aws_secret_access_key=` (+ `aws_session_token=`) → `aws_profile_name=` → AWS_BEARER_TOKEN_BEDROCK
/// → AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN) → the AWS_PROFILE (or
/// `default`) profile of the shared files.
///
/// Region: `aws_region_name=` → `region_name=` → the ARN's region → AWS_REGION_NAME → AWS_REGION →
/// AWS_DEFAULT_REGION → the profile's `region` → us-east-1.
pub fn resolve(inputs: &AwsInputs, model_id: &str) -> Result<ResolvedAws, LlmError> {
    if given(&inputs.role_name).is_some() || given(&inputs.web_identity_token).is_some() {
        return Err(auth_error(
            "bedrock: aws_role_name / aws_web_identity_token (STS role assumption) are not supported by litellm_rs yet; \
             pass static credentials, aws_profile_name= or a Bedrock API key"
                .into(),
        ));
    }
    let files = ProfileFiles::load();
    let explicit_profile = given(&inputs.profile_name);
    let profile_name = explicit_profile.map(str::to_owned).or_else(|| env("AWS_PROFILE")).unwrap_or("default".into());

    let mut api_key = None;
    let mut credentials = None;
    if let Some(k) = given(&inputs.api_key) {
        api_key = Some(k.to_owned());
    } else if let (Some(id), Some(secret)) = (given(&inputs.access_key_id), given(&inputs.secret_access_key)) {
        credentials = Some(AwsCredentials {
            access_key_id: id.to_owned(),
            secret_access_key: secret.to_owned(),
            session_token: given(&inputs.session_token).map(str::to_owned),
        });
    } else if let Some(name) = explicit_profile {
        credentials = Some(files.credentials(name).ok_or_else(|| {
            auth_error(format!(
                "bedrock: the AWS profile '{name}' has no aws_access_key_id / aws_secret_access_key in {} or {}",
                files.credentials_path, files.config_path
            ))
        })?);
    } else if let Some(k) = env("AWS_BEARER_TOKEN_BEDROCK") {
        api_key = Some(k);
    } else if let (Some(id), Some(secret)) = (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY")) {
        credentials = Some(AwsCredentials {
            access_key_id: id,
            secret_access_key: secret,
            session_token: env("AWS_SESSION_TOKEN"),
        });
    } else if let Some(c) = files.credentials(&profile_name) {
        credentials = Some(c);
    } else {
        return Err(auth_error(
            "bedrock: Unable to locate AWS credentials. Pass aws_access_key_id= and aws_secret_access_key= (and \
             aws_session_token=), aws_profile_name=, or api_key= (a Bedrock API key); or set AWS_ACCESS_KEY_ID and \
             AWS_SECRET_ACCESS_KEY, AWS_PROFILE (~/.aws/credentials) or AWS_BEARER_TOKEN_BEDROCK"
                .into(),
        ));
    }

    let region = given(&inputs.region_name)
        .map(str::to_owned)
        .or_else(|| arn_region(model_id).map(str::to_owned))
        .or_else(|| env("AWS_REGION_NAME"))
        .or_else(|| env("AWS_REGION"))
        .or_else(|| env("AWS_DEFAULT_REGION"))
        .or_else(|| files.value(&profile_name, "region"))
        .unwrap_or_else(|| DEFAULT_REGION.to_owned());

    let endpoint = given(&inputs.api_base)
        .or(given(&inputs.runtime_endpoint))
        .map(str::to_owned)
        .or_else(|| env("AWS_BEDROCK_RUNTIME_ENDPOINT"))
        .map(|e| e.trim_end_matches('/').to_owned())
        .unwrap_or_else(|| format!("https://bedrock-runtime.{region}.amazonaws.com"));

    Ok(ResolvedAws { endpoint, api_key, auth: AwsAuth { region, credentials } })
}

/// The shared config and credentials files (`AWS_SHARED_CREDENTIALS_FILE`, `AWS_CONFIG_FILE`,
/// defaulting to `~/.aws/credentials` and `~/.aws/config`). Missing files are empty.
#[derive(Debug, Default)]
pub struct ProfileFiles {
    credentials_path: String,
    config_path: String,
    credentials: Vec<(String, Vec<(String, String)>)>,
    config: Vec<(String, Vec<(String, String)>)>,
}

impl ProfileFiles {
    pub fn load() -> Self {
        let home = env("HOME").or_else(|| env("USERPROFILE")).unwrap_or_default();
        let credentials_path = env("AWS_SHARED_CREDENTIALS_FILE").unwrap_or_else(|| format!("{home}/.aws/credentials"));
        let config_path = env("AWS_CONFIG_FILE").unwrap_or_else(|| format!("{home}/.aws/config"));
        let read = |p: &str| std::fs::read_to_string(p).map(|t| parse_ini(&t)).unwrap_or_default();
        let credentials = read(&credentials_path);
        // In the config file, profiles are `[profile name]` (and `[default]`).
        let config = read(&config_path)
            .into_iter()
            .filter_map(|(name, kv)| {
                let name = match name.strip_prefix("profile ") {
                    Some(n) => n.trim().to_owned(),
                    None if name == "default" => name,
                    None => return None,
                };
                Some((name, kv))
            })
            .collect();
        Self { credentials_path, config_path, credentials, config }
    }

    /// A setting of a profile: the credentials file first, then the config file.
    pub fn value(&self, profile: &str, key: &str) -> Option<String> {
        [&self.credentials, &self.config].into_iter().find_map(|sections| {
            sections
                .iter()
                .filter(|(n, _)| n == profile)
                .flat_map(|(_, kv)| kv.iter())
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
                .filter(|v| !v.is_empty())
        })
    }

    pub fn credentials(&self, profile: &str) -> Option<AwsCredentials> {
        Some(AwsCredentials {
            access_key_id: self.value(profile, "aws_access_key_id")?,
            secret_access_key: self.value(profile, "aws_secret_access_key")?,
            session_token: self
                .value(profile, "aws_session_token")
                .or_else(|| self.value(profile, "aws_security_token")),
        })
    }
}

/// A small INI reader for the AWS shared files: `[section]`, `key = value`, `#`/`;` comments;
/// indented continuation lines (nested settings such as `s3 =`) are skipped.
pub fn parse_ini(text: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut out: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for raw in text.lines() {
        if raw.starts_with([' ', '\t']) {
            continue;
        }
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            out.push((name.trim().to_owned(), Vec::new()));
            continue;
        }
        if let (Some((k, v)), Some((_, kv))) = (line.split_once('='), out.last_mut()) {
            kv.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ini_sections_comments_and_nested_values() {
        let ini = "# c\n[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key=s3cr3t\n\n[profile dev]\nregion = eu-west-1\ns3 =\n  max_concurrent_requests = 2\n; x\n";
        let p = parse_ini(ini);
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].1[0], ("aws_access_key_id".into(), "AKIDDEFAULT".into()));
        assert_eq!(p[1].0, "profile dev");
        assert_eq!(p[1].1.len(), 2);
    }

    #[test]
    fn arn_regions() {
        assert_eq!(
            arn_region("arn:aws:bedrock:us-west-2:123456789012:inference-profile/us.anthropic.claude-3-5-sonnet"),
            Some("us-west-2")
        );
        assert_eq!(arn_region("anthropic.claude-3-haiku-20240307-v1:0"), None);
    }

    #[test]
    fn debug_hides_secrets() {
        let c = AwsCredentials {
            access_key_id: "AKID".into(),
            secret_access_key: "very-secret".into(),
            session_token: Some("tok-secret".into()),
        };
        let s = format!("{c:?}");
        assert!(!s.contains("very-secret") && !s.contains("tok-secret"), "{s}");
    }
}
