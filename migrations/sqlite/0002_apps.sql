-- IM apps. secret_key holds the sealed app secret key (see server/src/crypto.rs), never plaintext.
CREATE TABLE apps (
    sdkappid BIGINT PRIMARY KEY,
    name TEXT NOT NULL,
    platforms TEXT NOT NULL DEFAULT '',
    secret_key TEXT NOT NULL,
    created_by BIGINT REFERENCES console_users (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
