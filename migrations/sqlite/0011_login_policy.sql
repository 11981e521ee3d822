-- The app's multi-device login policy: how many logins of one user may be active on one platform
-- at once; a login beyond that kicks the oldest (1, one device per platform, is Tencent's default).
ALTER TABLE apps ADD COLUMN devices_per_platform BIGINT NOT NULL DEFAULT 1;
