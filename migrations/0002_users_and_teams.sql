-- litellm-rs proxy: users and teams, the budget holders above keys. One shape for both:
-- kind-specific fields (a user's email and role, a team's members) are in `info` (JSON).

CREATE TABLE IF NOT EXISTS litellm_usertable (
    id TEXT PRIMARY KEY,                    -- user_id
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
    info TEXT NOT NULL DEFAULT '{}',        -- user_email, user_role
    blocked BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS litellm_teamtable (
    id TEXT PRIMARY KEY,                    -- team_id
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
    info TEXT NOT NULL DEFAULT '{}',        -- members_with_roles
    blocked BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
