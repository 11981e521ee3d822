-- Attempts made in a push's current series of vendor attempts; with lease_until (when the row
-- is due again) this is the retry policy's state, kept on the row so that it survives a restart
-- (see server/src/dispatch/policy.rs).
ALTER TABLE push_outbox ADD COLUMN attempts BIGINT NOT NULL DEFAULT 0;
