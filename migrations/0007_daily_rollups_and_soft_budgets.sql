-- litellm-rs proxy: daily rollups per user, team, tag and customer (litellm's
-- LiteLLM_Daily{User,Team,Tag,EndUser}Spend in one table), kept by the spend ledger's batches,
-- and soft budgets (an alert, not a limit) for users, teams and customers.

CREATE TABLE IF NOT EXISTS litellm_daily_entity_spend (
    entity_type TEXT NOT NULL,              -- user | team | tag | customer
    entity_id TEXT NOT NULL,
    day TEXT NOT NULL,                      -- YYYY-MM-DD (UTC)
    api_key TEXT NOT NULL,                  -- the key's hash
    model TEXT NOT NULL,
    model_group TEXT NOT NULL DEFAULT '',
    provider TEXT NOT NULL DEFAULT '',
    spend DOUBLE PRECISION NOT NULL DEFAULT 0,
    prompt_tokens BIGINT NOT NULL DEFAULT 0,
    completion_tokens BIGINT NOT NULL DEFAULT 0,
    api_requests BIGINT NOT NULL DEFAULT 0,
    successful_requests BIGINT NOT NULL DEFAULT 0,
    failed_requests BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (entity_type, entity_id, day, api_key, model, model_group, provider)
);

CREATE INDEX IF NOT EXISTS litellm_daily_entity_spend_by_day ON litellm_daily_entity_spend (entity_type, day);

ALTER TABLE litellm_usertable ADD COLUMN soft_budget DOUBLE PRECISION;
ALTER TABLE litellm_teamtable ADD COLUMN soft_budget DOUBLE PRECISION;
ALTER TABLE litellm_endusertable ADD COLUMN soft_budget DOUBLE PRECISION
