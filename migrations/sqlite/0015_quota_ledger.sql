-- The quota ledger: pushes the vendor accepted per certificate, device, message class and day
-- (Beijing time, days since 1970-01-01), for the classes Xiaomi caps per device and day:
-- 'default' (no channel, 1) and 'public' (公信, 5). See docs/mipush-server-api.md §5.3.
CREATE TABLE push_quota (
    certificate_id BIGINT NOT NULL,
    reg_id TEXT NOT NULL,
    day BIGINT NOT NULL,
    class TEXT NOT NULL,
    sent BIGINT NOT NULL,
    PRIMARY KEY (certificate_id, reg_id, day, class)
);
-- 基础配置 counts a certificate's devices at their cap today.
CREATE INDEX push_quota_day ON push_quota (certificate_id, day, class, sent);
