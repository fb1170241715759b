-- litellm-rs proxy: customers (litellm's end users: the `user` of a request) with budgets and
-- limits, and named budgets that customers can share.

CREATE TABLE IF NOT EXISTS litellm_endusertable (
    id TEXT PRIMARY KEY,                    -- the customer's id (a request's `user`)
    alias TEXT,
    models TEXT NOT NULL DEFAULT '[]',
    max_budget DOUBLE PRECISION,
    budget_duration TEXT,
    budget_reset_at BIGINT,
    spend DOUBLE PRECISION NOT NULL DEFAULT 0,
    tpm_limit BIGINT,
    rpm_limit BIGINT,
    max_parallel_requests BIGINT,
    metadata TEXT NOT NULL DEFAULT '{}',
    info TEXT NOT NULL DEFAULT '{}',        -- budget_id, allowed_model_region, default_model
    blocked BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS litellm_budgettable (
    budget_id TEXT PRIMARY KEY,
    max_budget DOUBLE PRECISION,
    soft_budget DOUBLE PRECISION,
    budget_duration TEXT,
    tpm_limit BIGINT,
    rpm_limit BIGINT,
    max_parallel_requests BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

ALTER TABLE litellm_spend_logs ADD COLUMN end_user TEXT;
