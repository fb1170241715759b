//! Redis: one multiplexed, auto-reconnecting connection per URL and process (a forked child makes
//! its own), commands with bounded connect and response times, errors as `LlmError`s that never
//! show the URL's password.
//!
//! A Redis Cluster is addressed as `redis-cluster://[user:password@]host:port,host:port,...`
//! (the startup nodes; `rediss-cluster://` for TLS). Commands go to the node owning their keys;
//! a transaction's keys must share a slot (the engine's keys use hash tags for that), and
//! [`delete_matching`] scans every primary.

use std::collections::HashMap;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::cluster_async::ClusterConnection;
use tokio::sync::Mutex;

use crate::error::{ErrorKind, LlmError};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);

/// A connection to one server or to a cluster.
#[derive(Clone)]
enum Conn {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

impl Conn {
    async fn query<T: redis::FromRedisValue>(&mut self, cmd: &redis::Cmd) -> redis::RedisResult<T> {
        match self {
            Conn::Single(c) => cmd.query_async(c).await,
            Conn::Cluster(c) => cmd.query_async(c).await,
        }
    }

    async fn query_pipe<T: redis::FromRedisValue>(&mut self, pipe: &redis::Pipeline) -> redis::RedisResult<T> {
        match self {
            Conn::Single(c) => pipe.query_async(c).await,
            Conn::Cluster(c) => pipe.query_async(c).await,
        }
    }
}

/// One connection cell per URL, in this process.
type Cells = HashMap<String, std::sync::Arc<tokio::sync::OnceCell<Conn>>>;

static CONNECTIONS: Mutex<Option<(u32, Cells)>> = Mutex::const_new(None);

/// The startup nodes of a `redis-cluster://` URL, as plain node URLs (None: not a cluster).
fn cluster_nodes(url: &str) -> Option<Vec<String>> {
    let (scheme, rest) = url.split_once("://")?;
    let node_scheme = match scheme {
        "redis-cluster" => "redis",
        "rediss-cluster" => "rediss",
        _ => return None,
    };
    let (auth, hosts) = match rest.rsplit_once('@') {
        Some((a, h)) => (format!("{a}@"), h),
        None => (String::new(), rest),
    };
    let hosts = hosts.split('/').next().unwrap_or_default();
    Some(hosts.split(',').filter(|h| !h.is_empty()).map(|h| format!("{node_scheme}://{auth}{h}")).collect())
}

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

async fn connection(url: &str) -> Result<Conn, LlmError> {
    // the map's lock is held only to find the URL's cell: connecting to one Redis (up to 10 s when
    // it is unreachable) never holds up calls to another
    let cell = {
        let pid = std::process::id();
        let mut guard = CONNECTIONS.lock().await;
        if guard.as_ref().is_none_or(|(p, _)| *p != pid) {
            *guard = Some((pid, HashMap::new()));
        }
        let Some((_, conns)) = guard.as_mut() else {
            return Err(LlmError::new(ErrorKind::ApiConnection, "Redis connections unavailable"));
        };
        conns.entry(url.to_owned()).or_default().clone()
    };
    cell.get_or_try_init(|| connect(url)).await.cloned()
}

async fn connect(url: &str) -> Result<Conn, LlmError> {
    let timed_out = || LlmError::new(ErrorKind::Timeout, format!("Redis at {}: connect timed out", redact_url(url)));
    Ok(match cluster_nodes(url) {
        Some(nodes) => {
            let client = redis::cluster::ClusterClientBuilder::new(nodes)
                .connection_timeout(CONNECT_TIMEOUT)
                .response_timeout(RESPONSE_TIMEOUT)
                .build()
                .map_err(|e| error(url, &e))?;
            let c = tokio::time::timeout(CONNECT_TIMEOUT * 2, client.get_async_connection())
                .await
                .map_err(|_| timed_out())?
                .map_err(|e| error(url, &e))?;
            Conn::Cluster(c)
        }
        None => {
            let client = redis::Client::open(url).map_err(|e| error(url, &e))?;
            let config = ConnectionManagerConfig::new()
                .set_connection_timeout(Some(CONNECT_TIMEOUT))
                .set_response_timeout(Some(RESPONSE_TIMEOUT))
                .set_number_of_retries(2);
            let manager = tokio::time::timeout(CONNECT_TIMEOUT * 2, ConnectionManager::new_with_config(client, config))
                .await
                .map_err(|_| timed_out())?
                .map_err(|e| error(url, &e))?;
            Conn::Single(manager)
        }
    })
}

/// Connects to `url` now (a background task does this before its rounds, so that a slow connect
/// is not cut short by a round's time limit).
pub async fn ensure_connected(url: &str) -> Result<(), LlmError> {
    connection(url).await.map(|_| ())
}

/// A command's name (its first word) and its arguments, which may be binary (a vector's bytes).
fn split_command<A: AsRef<[u8]>>(args: &[A]) -> Result<(&str, &[A]), LlmError> {
    match args.split_first() {
        Some((name, rest)) => std::str::from_utf8(name.as_ref())
            .map(|n| (n, rest))
            .map_err(|_| LlmError::bad_request("a Redis command's name must be text")),
        None => Err(LlmError::bad_request("a Redis command needs a name")),
    }
}

async fn run<A: AsRef<[u8]>>(url: &str, args: &[A]) -> Result<redis::RedisResult<redis::Value>, LlmError> {
    let (name, rest) = split_command(args)?;
    let mut conn = connection(url).await?;
    let mut cmd = redis::cmd(name);
    for a in rest {
        cmd.arg(a.as_ref());
    }
    Ok(conn.query(&cmd).await)
}

/// Runs one command (`["HINCRBYFLOAT", key, field, "0.5"]`) and returns the reply.
pub async fn command<A: AsRef<[u8]>>(url: &str, args: &[A]) -> Result<redis::Value, LlmError> {
    run(url, args).await?.map_err(|e| error(url, &e))
}

/// Runs one command; an error the server answered with (an unknown command, a wrong argument)
/// is the inner `Err`, with its text; a connection that failed is the outer one.
pub async fn command_or_refusal<A: AsRef<[u8]>>(
    url: &str,
    args: &[A],
) -> Result<Result<redis::Value, String>, LlmError> {
    match run(url, args).await? {
        Ok(v) => Ok(Ok(v)),
        Err(e) if matches!(e.kind(), redis::ErrorKind::Server(_) | redis::ErrorKind::Extension) => {
            Ok(Err(e.to_string()))
        }
        Err(e) => Err(error(url, &e)),
    }
}

/// Whether `url` addresses a cluster (`redis-cluster://`).
pub fn is_cluster(url: &str) -> bool {
    cluster_nodes(url).is_some()
}

/// Runs a Lua script (EVALSHA, loading it on first use) with `keys` and `args`; on a cluster the
/// keys must share a slot.
pub async fn eval(
    url: &str,
    script: &redis::Script,
    keys: &[String],
    args: &[String],
) -> Result<redis::Value, LlmError> {
    let mut conn = connection(url).await?;
    let mut call = script.prepare_invoke();
    for k in keys {
        call.key(k);
    }
    for a in args {
        call.arg(a);
    }
    match &mut conn {
        Conn::Single(c) => call.invoke_async(c).await,
        Conn::Cluster(c) => call.invoke_async(c).await,
    }
    .map_err(|e| error(url, &e))
}

/// Runs several commands in one MULTI/EXEC transaction; the replies in order.
pub async fn transaction<A: AsRef<[u8]>>(url: &str, commands: &[Vec<A>]) -> Result<Vec<redis::Value>, LlmError> {
    let mut conn = connection(url).await?;
    let mut pipe = redis::pipe();
    pipe.atomic();
    for c in commands {
        let (name, rest) = split_command(c)?;
        let cmd = pipe.cmd(name);
        for a in rest {
            cmd.arg(a.as_ref());
        }
    }
    conn.query_pipe(&pipe).await.map_err(|e| error(url, &e))
}

/// A reply as text: strings, and numbers written out (an FT.SEARCH score may come as either).
pub fn text(v: &redis::Value) -> Option<String> {
    match v {
        redis::Value::BulkString(b) => String::from_utf8(b.clone()).ok(),
        redis::Value::SimpleString(s) => Some(s.clone()),
        redis::Value::VerbatimString { text, .. } => Some(text.clone()),
        redis::Value::Int(n) => Some(n.to_string()),
        redis::Value::Double(x) => Some(x.to_string()),
        _ => None,
    }
}

/// One SCAN pass over a connection (a single server, or one cluster node by address).
async fn scan_node(
    url: &str,
    conn: &mut Conn,
    node: Option<(&str, u16)>,
    pattern: &str,
) -> Result<Vec<String>, LlmError> {
    let mut keys = Vec::new();
    let mut cursor = "0".to_owned();
    loop {
        let mut cmd = redis::cmd("SCAN");
        cmd.arg(&cursor).arg("MATCH").arg(pattern).arg("COUNT").arg(500);
        let reply: redis::Value = match (node, &mut *conn) {
            (Some((host, port)), Conn::Cluster(c)) => {
                use redis::cluster_routing::{RoutingInfo, SingleNodeRoutingInfo};
                let route = RoutingInfo::SingleNode(SingleNodeRoutingInfo::ByAddress { host: host.to_owned(), port });
                c.route_command(cmd, route).await
            }
            (_, c) => c.query(&cmd).await,
        }
        .map_err(|e| error(url, &e))?;
        let redis::Value::Array(mut parts) = reply else { break };
        if parts.len() != 2 {
            break;
        }
        if let Some(redis::Value::Array(items)) = parts.pop() {
            keys.extend(items.iter().filter_map(text));
        }
        cursor = parts.pop().as_ref().and_then(text).unwrap_or_else(|| "0".to_owned());
        if cursor == "0" {
            break;
        }
    }
    Ok(keys)
}

/// Deletes every key matching `pattern` with SCAN (never KEYS: a shared Redis keeps serving);
/// on a cluster, every primary is scanned.
pub async fn delete_matching(url: &str, pattern: &str) -> Result<(), LlmError> {
    let mut conn = connection(url).await?;
    let keys = match &mut conn {
        Conn::Single(_) => scan_node(url, &mut conn, None, pattern).await?,
        Conn::Cluster(c) => {
            let nodes: String = c
                .route_command(
                    redis::cmd("CLUSTER").arg("NODES").clone(),
                    redis::cluster_routing::RoutingInfo::SingleNode(
                        redis::cluster_routing::SingleNodeRoutingInfo::Random,
                    ),
                )
                .await
                .map_err(|e| error(url, &e))
                .map(|v| text(&v).unwrap_or_default())?;
            let mut keys = Vec::new();
            // "<id> <host:port@cport[,hostname]> <flags> ..." lines; primaries only
            for line in nodes.lines().filter(|l| l.split(' ').nth(2).is_some_and(|f| f.contains("master"))) {
                let Some(addr) = line.split(' ').nth(1).and_then(|a| a.split('@').next()) else { continue };
                let Some((host, port)) = addr.rsplit_once(':').and_then(|(h, p)| Some((h, p.parse().ok()?))) else {
                    continue;
                };
                keys.extend(scan_node(url, &mut conn.clone(), Some((host, port)), pattern).await?);
            }
            keys
        }
    };
    // one key per DEL: on a cluster the keys live on different nodes
    for chunk in keys.chunks(if matches!(conn, Conn::Single(_)) { 500 } else { 1 }) {
        let mut del = redis::cmd("DEL");
        for k in chunk {
            del.arg(k);
        }
        conn.query::<redis::Value>(&del).await.map_err(|e| error(url, &e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_urls_list_their_nodes() {
        assert_eq!(
            cluster_nodes("redis-cluster://:pw@127.0.0.1:7001,127.0.0.1:7002"),
            Some(vec!["redis://:pw@127.0.0.1:7001".to_owned(), "redis://:pw@127.0.0.1:7002".to_owned()])
        );
        assert_eq!(cluster_nodes("redis://127.0.0.1:6379"), None);
    }

    #[test]
    fn urls_never_show_passwords() {
        assert_eq!(redact_url("redis://:s3cretpw@127.0.0.1:6379/0"), "redis://:***@127.0.0.1:6379/0");
        assert_eq!(redact_url("rediss://app:pw1234@h:1"), "rediss://app:***@h:1");
        assert_eq!(redact_url("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
    }
}
