-- One-to-one messages accepted by /v4 (one row per receiver), with what their offline push shows.
CREATE TABLE im_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sdkappid BIGINT NOT NULL REFERENCES apps (sdkappid),
    from_account TEXT NOT NULL,
    to_account TEXT NOT NULL,
    msg_seq BIGINT NOT NULL,
    msg_random BIGINT NOT NULL,
    msg_time BIGINT NOT NULL,
    -- SHA-256 of the MsgBody and receiver: Tencent's same-message de-duplication key.
    content_hash TEXT NOT NULL,
    body TEXT NOT NULL,
    push_title TEXT NOT NULL,
    push_desc TEXT NOT NULL,
    push_ext TEXT NOT NULL DEFAULT '',
    channel_id TEXT,
    sound TEXT,
    -- The same on every attempt, so a retried push replaces rather than adds a notification.
    notify_id BIGINT NOT NULL
);

CREATE INDEX im_messages_dedup ON im_messages (sdkappid, from_account, msg_random, content_hash);

-- The push decision, written in the message's transaction: one row per device to push. A
-- worker leases pending rows (lease_owner, lease_until); a lease that runs out is taken again.
CREATE TABLE push_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id BIGINT NOT NULL REFERENCES im_messages (id),
    certificate_id BIGINT NOT NULL REFERENCES push_certificates (id),
    user_id TEXT NOT NULL,
    token TEXT NOT NULL,
    state TEXT NOT NULL,
    lease_owner TEXT,
    lease_until BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE INDEX push_outbox_due ON push_outbox (state, lease_until);
CREATE INDEX push_outbox_owner ON push_outbox (lease_owner, state);
