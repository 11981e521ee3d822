-- The MiPush sandbox: Xiaomi's side (push apps, messages) and the phones' (devices, notification
-- shades). It holds stand-in credentials for tests, so the AppSecret is stored as Xiaomi would.
CREATE TABLE sandbox_apps (
    app_id TEXT PRIMARY KEY,
    package_name TEXT NOT NULL UNIQUE,
    app_key TEXT NOT NULL,
    app_secret TEXT NOT NULL UNIQUE,
    -- Approved notification channels, comma-separated; empty accepts any channel.
    channels TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);

CREATE TABLE sandbox_devices (
    reg_id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES sandbox_apps (app_id),
    registered_at BIGINT NOT NULL,
    uninstalled_at BIGINT
);

CREATE INDEX sandbox_devices_app ON sandbox_devices (app_id);

CREATE TABLE sandbox_messages (
    id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES sandbox_apps (app_id),
    created_at BIGINT NOT NULL,
    time_to_live BIGINT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    payload TEXT,
    notify_type BIGINT NOT NULL,
    notify_id BIGINT,
    channel_id TEXT,
    extras TEXT NOT NULL,
    targets BIGINT NOT NULL,
    delivered BIGINT NOT NULL
);

CREATE INDEX sandbox_messages_app_time ON sandbox_messages (app_id, created_at);

CREATE TABLE sandbox_notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    reg_id TEXT NOT NULL REFERENCES sandbox_devices (reg_id),
    message_id TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    payload TEXT,
    notify_id BIGINT,
    channel_id TEXT,
    received_at BIGINT NOT NULL
);

-- One slot per notify_id on a phone: the same id replaces (no id: every message is new).
CREATE UNIQUE INDEX sandbox_notifications_slot ON sandbox_notifications (reg_id, notify_id);
