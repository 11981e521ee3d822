-- Every vendor call: the request as sent (AppSecret shown as key=****) and the answer as received.
CREATE TABLE push_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sdkappid BIGINT NOT NULL REFERENCES apps (sdkappid),
    certificate_id BIGINT NOT NULL REFERENCES push_certificates (id),
    request TEXT NOT NULL,
    answer TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Every push to one device: test pushes and IM offline pushes, sent or skipped, and how it ended.
CREATE TABLE push_records (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at BIGINT NOT NULL,
    sdkappid BIGINT NOT NULL REFERENCES apps (sdkappid),
    -- None for a push skipped before any device was known (e.g. the user has none).
    certificate_id BIGINT REFERENCES push_certificates (id),
    -- 'test' or 'offline'
    kind TEXT NOT NULL,
    user_id TEXT,
    reg_id TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    -- 'accepted' | 'rejected' | 'failed' | 'skipped'
    outcome TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    vendor_code BIGINT,
    message_id TEXT,
    trace_id TEXT,
    attempts BIGINT NOT NULL,
    latency_ms BIGINT NOT NULL,
    sent_by TEXT,
    request_id BIGINT REFERENCES push_requests (id),
    -- The IM message's MsgKey, for offline pushes.
    msg_key TEXT
);

-- Newest first within an app, optionally narrowed by one filter: keyset pages stay index scans.
CREATE INDEX push_records_app ON push_records (sdkappid, id);
CREATE INDEX push_records_certificate ON push_records (sdkappid, certificate_id, id);
CREATE INDEX push_records_user ON push_records (sdkappid, user_id, id);
CREATE INDEX push_records_reg_id ON push_records (sdkappid, reg_id, id);
CREATE INDEX push_records_outcome ON push_records (sdkappid, outcome, id);
-- Covers the chart's count by time and outcome without reading the rows.
CREATE INDEX push_records_time ON push_records (sdkappid, created_at, outcome);
