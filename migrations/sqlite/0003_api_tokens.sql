-- Personal API tokens; only their SHA-256 digest is stored.
CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES console_users (id),
    name TEXT NOT NULL,
    token_digest TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT
);

CREATE INDEX api_tokens_user ON api_tokens (user_id);
