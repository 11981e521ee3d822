-- Receipts (回执): what the vendor reports after it accepted a push — delivered, clicked, or
-- dropped and why (see docs/mipush-server-api.md §6). One row per (message, target, event): a
-- receipt delivered twice is stored once.
CREATE TABLE push_receipts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    certificate_id BIGINT NOT NULL,
    message_id TEXT NOT NULL,
    reg_id TEXT NOT NULL,
    -- One bit of extra.callback.type: 1 delivered, 2 clicked, 16 invalid target, 32 notifications
    -- off, 64 filtered, 128 daily quota, 1024 time to live expired.
    kind BIGINT NOT NULL,
    -- 'Enable' | 'Disable' | 'Unknown', as the vendor reports the device's notification switch.
    bar_status TEXT NOT NULL DEFAULT '',
    -- When it happened, by the vendor (Unix seconds), and when pushdesk received it.
    happened_at BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    UNIQUE (message_id, reg_id, kind)
);

-- The receipt timeline on each push record.
ALTER TABLE push_records ADD COLUMN delivered_at BIGINT;
ALTER TABLE push_records ADD COLUMN clicked_at BIGINT;
-- The failure bit of the first receipt that said the push was dropped.
ALTER TABLE push_records ADD COLUMN receipt_failure BIGINT;
CREATE INDEX push_records_message ON push_records (message_id, reg_id);

-- The device said its notifications are switched off (receipt 32); pushes are still sent.
ALTER TABLE device_tokens ADD COLUMN notifications_off_at BIGINT;
