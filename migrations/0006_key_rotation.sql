-- litellm-rs proxy: keys regenerated with a grace period: the old key's hash stays usable (for
-- the same key) until valid_until.

CREATE TABLE IF NOT EXISTS litellm_rotated_keys (
    old_token TEXT PRIMARY KEY,
    new_token TEXT NOT NULL,
    valid_until BIGINT NOT NULL             -- epoch seconds
)
