-- IM accounts of an app (imported by /v4 or created by a first login).
CREATE TABLE im_accounts (
    sdkappid BIGINT NOT NULL REFERENCES apps (sdkappid),
    user_id TEXT NOT NULL,
    nick TEXT NOT NULL DEFAULT '',
    face_url TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    PRIMARY KEY (sdkappid, user_id)
);

-- One client login on one device. Only the SHA-256 digest of the session token is stored.
-- state: 'active', 'logged_out' or 'kicked' (a later login elsewhere ended it).
CREATE TABLE im_sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token_digest TEXT NOT NULL UNIQUE,
    sdkappid BIGINT NOT NULL,
    user_id TEXT NOT NULL,
    platform TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    ended_at BIGINT,
    FOREIGN KEY (sdkappid, user_id) REFERENCES im_accounts (sdkappid, user_id)
);

CREATE INDEX im_sessions_user ON im_sessions (sdkappid, user_id, state);

-- A device token reported after login (setOfflinePushToken): one owner per token and
-- certificate; unbound (session_digest NULL) after logout or kick.
CREATE TABLE device_tokens (
    certificate_id BIGINT NOT NULL REFERENCES push_certificates (id),
    token TEXT NOT NULL,
    sdkappid BIGINT NOT NULL,
    user_id TEXT NOT NULL,
    session_digest TEXT,
    reported_at BIGINT NOT NULL,
    -- When MiPush reported the token invalid (uninstalled, expired); reporting it again clears it.
    bad_at BIGINT,
    PRIMARY KEY (certificate_id, token)
);

CREATE INDEX device_tokens_user ON device_tokens (sdkappid, user_id);
CREATE INDEX device_tokens_session ON device_tokens (session_digest);
