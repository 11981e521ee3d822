-- Android push certificates. The id is the certificate ID (证书 ID) clients report with their
-- token: stable across edits and never reused (AUTOINCREMENT: an id is never handed out twice,
-- even after the newest row is deleted).
-- A deleted certificate keeps its row (deleted_at) so its id stays taken and records can name it.
CREATE TABLE push_certificates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sdkappid BIGINT NOT NULL REFERENCES apps (sdkappid),
    vendor TEXT NOT NULL,
    -- The package name, or the vendor AppID / Firebase project for vendors without one.
    unique_key TEXT NOT NULL,
    created_by BIGINT REFERENCES console_users (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT
);

CREATE UNIQUE INDEX push_certificates_one_per_key
    ON push_certificates (sdkappid, vendor, unique_key) WHERE deleted_at IS NULL;

-- Each save is a version, effective from effective_at unless the vendor refused it; the newest
-- effective valid version serves while a newer one waits. settings is the vendor fields as JSON,
-- secret the sealed vendor secret (see server/src/crypto.rs).
CREATE TABLE certificate_versions (
    certificate_id BIGINT NOT NULL REFERENCES push_certificates (id),
    version BIGINT NOT NULL,
    settings TEXT NOT NULL,
    secret TEXT NOT NULL,
    saved_at BIGINT NOT NULL,
    effective_at BIGINT NOT NULL,
    check_state TEXT NOT NULL,
    check_code BIGINT,
    check_detail TEXT NOT NULL DEFAULT '',
    checked_at BIGINT NOT NULL,
    -- 1 once "became effective" (or "marked invalid") is in the audit log.
    announced BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (certificate_id, version)
);

CREATE INDEX certificate_versions_due ON certificate_versions (announced, effective_at);
