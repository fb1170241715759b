-- litellm-rs proxy: virtual keys and the spend ledger. Portable between SQLite and PostgreSQL
-- (TEXT ids, BIGINT epoch seconds / milliseconds, DOUBLE PRECISION dollars, JSON kept as TEXT).

CREATE TABLE IF NOT EXISTS litellm_verification_tokens (
    token TEXT PRIMARY KEY,                 -- sha256 (hex) of the key; the key itself is never stored
    key_name TEXT NOT NULL,                 -- "sk-...abcd": enough to recognise a key, not to use it
    key_alias TEXT,
    user_id TEXT,
    team_id TEXT,
    models TEXT NOT NULL DEFAULT '[]',      -- JSON list of model names; empty = all
    max_budget DOUBLE PRECISION,
    soft_budget DOUBLE PRECISION,
    budget_duration TEXT,
    budget_reset_at BIGINT,
    spend DOUBLE PRECISION NOT NULL DEFAULT 0,
    tpm_limit BIGINT,
    rpm_limit BIGINT,
    max_parallel_requests BIGINT,
    metadata TEXT NOT NULL DEFAULT '{}',
    expires BIGINT,
    blocked BIGINT NOT NULL DEFAULT 0,      -- 0 or 1 (portable through the Any driver)
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE UNIQUE INDEX IF NOT EXISTS litellm_verification_tokens_alias ON litellm_verification_tokens (key_alias);

-- append-only: one row per request, written in batches off the request path
CREATE TABLE IF NOT EXISTS litellm_spend_logs (
    request_id TEXT PRIMARY KEY,
    api_key TEXT NOT NULL,                  -- the key's hash
    user_id TEXT,
    team_id TEXT,
    model TEXT NOT NULL,
    model_group TEXT,
    call_type TEXT NOT NULL,
    spend DOUBLE PRECISION NOT NULL,
    prompt_tokens BIGINT NOT NULL,
    completion_tokens BIGINT NOT NULL,
    total_tokens BIGINT NOT NULL,
    start_time BIGINT NOT NULL,             -- epoch milliseconds
    end_time BIGINT NOT NULL,
    status TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '[]'
);

CREATE INDEX IF NOT EXISTS litellm_spend_logs_key ON litellm_spend_logs (api_key, start_time);
CREATE INDEX IF NOT EXISTS litellm_spend_logs_time ON litellm_spend_logs (start_time);

-- daily rollups, kept up to date by the same batches
CREATE TABLE IF NOT EXISTS litellm_daily_spend (
    day TEXT NOT NULL,                      -- YYYY-MM-DD (UTC)
    api_key TEXT NOT NULL,
    model TEXT NOT NULL,
    spend DOUBLE PRECISION NOT NULL DEFAULT 0,
    prompt_tokens BIGINT NOT NULL DEFAULT 0,
    completion_tokens BIGINT NOT NULL DEFAULT 0,
    requests BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (day, api_key, model)
);
