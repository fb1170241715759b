-- litellm-rs proxy: deployments added through /model/new (with general_settings.store_model_in_db),
-- loaded at start beside config.yaml's. Credentials are kept only as os.environ/NAME references.

CREATE TABLE IF NOT EXISTS litellm_proxymodeltable (
    model_id TEXT PRIMARY KEY,
    model_name TEXT NOT NULL,
    litellm_params TEXT NOT NULL,           -- JSON
    model_info TEXT NOT NULL DEFAULT '{}',  -- JSON
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
)
