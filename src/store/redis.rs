//! Redis: one multiplexed, auto-reconnecting connection per URL and process (a forked child makes
//! its own), commands with bounded connect and response times, errors as `LlmError`s that never
//! show the URL's password.

use std::collections::HashMap;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::Mutex;

use crate::error::{ErrorKind, LlmError};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);

static CONNECTIONS: Mutex<Option<(u32, HashMap<String, ConnectionManager>)>> = Mutex::const_new(None);

/// `redis://user:password@host` -> `redis://user:***@host`.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split_once(':').map_or("", |(u, _)| u);
            format!("{}{}:***{}", &url[..scheme + 3], user, &url[at..])
        }
        _ => url.to_owned(),
    }
}

fn error(url: &str, e: &redis::RedisError) -> LlmError {
    let mut msg = e.to_string();
    if let Some(password) = url.rfind('@').and_then(|at| url[..at].rsplit_once(':')).map(|(_, p)| p)
        && password.len() >= 4
    {
        msg = msg.replace(password, "***");
    }
    LlmError::new(ErrorKind::ApiConnection, format!("Redis at {}: {msg}", redact_url(url)))
}

async fn connection(url: &str) -> Result<ConnectionManager, LlmError> {
    let pid = std::process::id();
    let mut guard = CONNECTIONS.lock().await;
    if guard.as_ref().is_none_or(|(p, _)| *p != pid) {
        *guard = Some((pid, HashMap::new()));
    }
    let Some((_, conns)) = guard.as_mut() else {
        return Err(LlmError::new(ErrorKind::ApiConnection, "Redis connections unavailable"));
    };
    if let Some(c) = conns.get(url) {
        return Ok(c.clone());
    }
    let client = redis::Client::open(url).map_err(|e| error(url, &e))?;
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(CONNECT_TIMEOUT))
        .set_response_timeout(Some(RESPONSE_TIMEOUT))
        .set_number_of_retries(2);
    let manager = tokio::time::timeout(CONNECT_TIMEOUT * 2, ConnectionManager::new_with_config(client, config))
        .await
        .map_err(|_| LlmError::new(ErrorKind::Timeout, format!("Redis at {}: connect timed out", redact_url(url))))?
        .map_err(|e| error(url, &e))?;
    conns.insert(url.to_owned(), manager.clone());
    Ok(manager)
}

/// Runs one command (`["HINCRBYFLOAT", key, field, "0.5"]`) and returns the reply.
pub async fn command(url: &str, args: &[String]) -> Result<redis::Value, LlmError> {
    let Some((name, rest)) = args.split_first() else {
        return Err(LlmError::bad_request("a Redis command needs a name"));
    };
    let mut conn = connection(url).await?;
    let mut cmd = redis::cmd(name);
    for a in rest {
        cmd.arg(a);
    }
    cmd.query_async(&mut conn).await.map_err(|e| error(url, &e))
}

/// Runs several commands in one MULTI/EXEC transaction; the replies in order.
pub async fn transaction(url: &str, commands: &[Vec<String>]) -> Result<Vec<redis::Value>, LlmError> {
    let mut conn = connection(url).await?;
    let mut pipe = redis::pipe();
    pipe.atomic();
    for c in commands {
        let Some((name, rest)) = c.split_first() else {
            return Err(LlmError::bad_request("a Redis command needs a name"));
        };
        let cmd = pipe.cmd(name);
        for a in rest {
            cmd.arg(a);
        }
    }
    pipe.query_async(&mut conn).await.map_err(|e| error(url, &e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_never_show_passwords() {
        assert_eq!(redact_url("redis://:s3cretpw@127.0.0.1:6379/0"), "redis://:***@127.0.0.1:6379/0");
        assert_eq!(redact_url("rediss://app:pw1234@h:1"), "rediss://app:***@h:1");
        assert_eq!(redact_url("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
    }
}
