-- A login's connection (GET /sdk/v1/connect): the device is online while online_until lies ahead.
-- The instance holding the connection (online_conn) renews it and clears it when the connection
-- closes, so a crashed instance's devices go offline by themselves when the lease runs out.
ALTER TABLE im_sessions ADD COLUMN online_conn TEXT;
ALTER TABLE im_sessions ADD COLUMN online_until BIGINT NOT NULL DEFAULT 0;
-- The last message (im_messages.id) delivered in-band on this login; a new login on the same
-- platform continues from the previous one, so messages sent while away arrive on reconnect.
ALTER TABLE im_sessions ADD COLUMN delivered_id BIGINT NOT NULL DEFAULT 0;

CREATE INDEX im_messages_inbox ON im_messages (sdkappid, to_account, id);
