-- litellm-rs proxy: the audit log of the management routes' changes (append-only).

CREATE TABLE IF NOT EXISTS litellm_auditlog (
    id TEXT PRIMARY KEY,
    at BIGINT NOT NULL,                     -- epoch milliseconds
    changed_by TEXT NOT NULL,               -- the caller's kind (proxy_admin, ...)
    changed_by_api_key TEXT,                -- the hash of the credential it presented
    action TEXT NOT NULL,                   -- the route, e.g. /key/block
    table_name TEXT NOT NULL,               -- key, user, team, customer, budget, model
    object_ids TEXT NOT NULL DEFAULT '[]',  -- JSON: key hashes and ids
    request TEXT NOT NULL DEFAULT '{}',     -- JSON: the request, keys hashed, secrets masked
    status BIGINT NOT NULL
);

CREATE INDEX IF NOT EXISTS litellm_auditlog_at ON litellm_auditlog (at)
