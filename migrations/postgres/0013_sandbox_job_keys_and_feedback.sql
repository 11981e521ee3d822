-- The MiPush sandbox, two more things Xiaomi keeps (docs/mipush-server-api.md §4.2 and §4.4):
-- a message's job key (its `extra.jobkey`), so trace can find a batch by it, and when the
-- feedback API handed out an uninstalled device's regId, so it never hands it out again.
ALTER TABLE sandbox_messages ADD COLUMN job_key TEXT;
CREATE INDEX sandbox_messages_app_job_key ON sandbox_messages (app_id, job_key);
ALTER TABLE sandbox_devices ADD COLUMN invalid_fetched_at BIGINT;
