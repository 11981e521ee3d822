//! Repairs for the two migrations that were edited after they landed.
//!
//! sqlx records the SHA-384 of every migration it applies and refuses to start when a file no
//! longer matches. 0007 (push records) and 0008 (IM accounts) were changed in place after
//! databases had applied them, so those databases stopped starting ("migration 7 was previously
//! applied but has been modified"). Before the migrator runs, [`repair`] recognises the exact
//! checksums those files had, applies to the database what the edits changed, and records the
//! current checksum: in one transaction, so a failure leaves the database as it was.
//!
//! Migrations are append-only from here on (`server/tests/api/migrations.rs` fails when a file
//! in `migrations/checksums.txt` changes): a schema change is a new migration, never an entry
//! here.

use sqlx::migrate::Migrator;
use sqlx::{PgPool, SqlitePool};

/// One edit of a landed migration: the file's checksum before it, and the SQL that takes a
/// database which applied that file to what the next version of the file creates.
struct Edit {
    version: i64,
    /// sha384 of the file as it was, in hex (what `_sqlx_migrations.checksum` holds).
    was: &'static str,
    sql: &'static str,
}

/// Oldest first per version: a database that applied the oldest file gets every later edit.
const SQLITE: &[Edit] = &[
    // 909ad87 → 56821eb: the chart's time index also covers the outcome.
    Edit {
        version: 7,
        was: "035e4cd7907e883a61a863d0be653a5c34fea02d769b3c329a3c4668a5e9159495f9d395ea523ecaa3ad9ab1e81f738f",
        sql: "DROP INDEX push_records_time;
CREATE INDEX push_records_time ON push_records (sdkappid, created_at, outcome);",
    },
    // 56821eb → f8e03a0: certificate_id may be NULL, and msg_key. SQLite cannot drop NOT NULL
    // in place: the table is rebuilt (nothing references push_records), keeping ids and the
    // AUTOINCREMENT high-water mark.
    Edit {
        version: 7,
        was: "21e7f6f8133ba253edae2c594b973e5388bf925a1b62b28bb4cdd7f23ecb707d20a72842852d3db631854604b17c861e",
        sql: "CREATE TABLE push_records_new (
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
INSERT INTO push_records_new (id, created_at, sdkappid, certificate_id, kind, user_id, reg_id,
    title, description, outcome, reason, vendor_code, message_id, trace_id, attempts, latency_ms,
    sent_by, request_id)
SELECT id, created_at, sdkappid, certificate_id, kind, user_id, reg_id, title, description,
    outcome, reason, vendor_code, message_id, trace_id, attempts, latency_ms, sent_by, request_id
FROM push_records;
DELETE FROM sqlite_sequence WHERE name = 'push_records_new';
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'push_records_new', seq FROM sqlite_sequence WHERE name = 'push_records';
DROP TABLE push_records;
ALTER TABLE push_records_new RENAME TO push_records;
CREATE INDEX push_records_app ON push_records (sdkappid, id);
CREATE INDEX push_records_certificate ON push_records (sdkappid, certificate_id, id);
CREATE INDEX push_records_user ON push_records (sdkappid, user_id, id);
CREATE INDEX push_records_reg_id ON push_records (sdkappid, reg_id, id);
CREATE INDEX push_records_outcome ON push_records (sdkappid, outcome, id);
-- Covers the chart's count by time and outcome without reading the rows.
CREATE INDEX push_records_time ON push_records (sdkappid, created_at, outcome);",
    },
    // f0d09d0 → f8e03a0: a session gets an id (logins are ordered by it), the digest stays
    // unique. Rebuilt (nothing references im_sessions); existing logins are numbered in the
    // order they were made.
    Edit {
        version: 8,
        was: "d7af5873742fa521e3402f19f625a2e3862f642c4d7b6abf8b00886ecc25872a231824916f37f5ff1d7bc9126b60467c",
        sql: "CREATE TABLE im_sessions_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token_digest TEXT NOT NULL UNIQUE,
    sdkappid BIGINT NOT NULL,
    user_id TEXT NOT NULL,
    platform TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    ended_at BIGINT,
    FOREIGN KEY (sdkappid, user_id) REFERENCES im_accounts (sdkappid, user_id)
);
INSERT INTO im_sessions_new (token_digest, sdkappid, user_id, platform, state, created_at,
    ended_at)
SELECT token_digest, sdkappid, user_id, platform, state, created_at, ended_at
FROM im_sessions ORDER BY created_at, rowid;
DROP TABLE im_sessions;
ALTER TABLE im_sessions_new RENAME TO im_sessions;
CREATE INDEX im_sessions_user ON im_sessions (sdkappid, user_id, state);",
    },
    // f8e03a0 → 69085ee: when MiPush reported a token invalid.
    Edit {
        version: 8,
        was: "dbc38dcd3f6fd3a9a3ebd2ffbe9bc86f61c79497c0c15ff1c8b5bc287355fb525cb7a02b2440fb4198d1e30162d7a1f5",
        sql: "ALTER TABLE device_tokens ADD COLUMN bad_at BIGINT;",
    },
];

/// The same edits on PostgreSQL, which alters the tables in place.
const POSTGRES: &[Edit] = &[
    Edit {
        version: 7,
        was: "74be171cd54729077572da01bfaaf92c006cc47b6ffac2d03e7bd30fceb0fabfbca90ce776de7dd80824dd81c1ba968a",
        sql: "DROP INDEX push_records_time;
CREATE INDEX push_records_time ON push_records (sdkappid, created_at, outcome);",
    },
    Edit {
        version: 7,
        was: "8995564dced572a1367c197da0e3c0b6006be45a8f92c04b7c521995aac744504525b562e7db8aed1e2259cdfc10483c",
        sql: "ALTER TABLE push_records ALTER COLUMN certificate_id DROP NOT NULL;
ALTER TABLE push_records ADD COLUMN msg_key TEXT;",
    },
    Edit {
        version: 8,
        was: "d7af5873742fa521e3402f19f625a2e3862f642c4d7b6abf8b00886ecc25872a231824916f37f5ff1d7bc9126b60467c",
        sql: "ALTER TABLE im_sessions DROP CONSTRAINT im_sessions_pkey;
ALTER TABLE im_sessions ALTER COLUMN token_digest SET NOT NULL;
ALTER TABLE im_sessions ADD CONSTRAINT im_sessions_token_digest_key UNIQUE (token_digest);
ALTER TABLE im_sessions ADD COLUMN id BIGINT;
UPDATE im_sessions SET id = numbered.n FROM (
    SELECT token_digest, row_number() OVER (ORDER BY created_at, token_digest) AS n
    FROM im_sessions
) numbered WHERE im_sessions.token_digest = numbered.token_digest;
ALTER TABLE im_sessions ALTER COLUMN id SET NOT NULL;
ALTER TABLE im_sessions ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY;
ALTER TABLE im_sessions ADD CONSTRAINT im_sessions_pkey PRIMARY KEY (id);
SELECT setval(pg_get_serial_sequence('im_sessions', 'id'), COALESCE(MAX(id), 0) + 1, false)
FROM im_sessions;",
    },
    Edit {
        version: 8,
        was: "002112e0631002e3914e9e32e6c3f8219a663bbb7272f7a803a200e7f8d98f0e84dcc351908076d099fb25eb07f136c8",
        sql: "ALTER TABLE device_tokens ADD COLUMN bad_at BIGINT;",
    },
];

/// What to do to one applied migration: swap `was` for `now` after running `sql`.
#[derive(Debug)]
struct Repair {
    version: i64,
    was: Vec<u8>,
    now: Vec<u8>,
    sql: String,
}

/// The repairs the applied migrations need: for each whose checksum is a known old one, the
/// edits from that one on. Unknown checksums are left for the migrator to refuse.
fn plan(edits: &[Edit], migrator: &Migrator, applied: &[(i64, Vec<u8>)]) -> Vec<Repair> {
    let mut repairs = Vec::new();
    for (version, checksum) in applied {
        let Some(now) = migrator.iter().find(|m| m.version == *version) else {
            continue;
        };
        let history: Vec<&Edit> = edits.iter().filter(|e| e.version == *version).collect();
        let hex = to_hex(checksum);
        if let Some(from) = history.iter().position(|e| e.was == hex) {
            repairs.push(Repair {
                version: *version,
                was: checksum.clone(),
                now: now.checksum.to_vec(),
                sql: history[from..]
                    .iter()
                    .map(|e| e.sql)
                    .collect::<Vec<_>>()
                    .join("\n"),
            });
        }
    }
    repairs
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The two engines' pools, each with its own SQL for the edits.
pub(super) enum Target<'a> {
    Sqlite(&'a SqlitePool),
    Postgres(&'a PgPool),
}

/// Brings migrations applied from since-edited files up to the files' current text; a no-op on
/// a new database or one that needs nothing. Run it before `Migrator::run`.
pub(super) async fn repair(target: Target<'_>, migrator: &Migrator) -> anyhow::Result<()> {
    // Each repair's first statement swaps the checksum only if it is still the old one: it
    // takes the row's write lock, so an instance starting at the same time waits and then
    // finds nothing left to do.
    const SWAP: &str =
        "UPDATE _sqlx_migrations SET checksum = $1 WHERE version = $2 AND checksum = $3";
    const APPLIED: &str = "SELECT version, checksum FROM _sqlx_migrations ORDER BY version";
    match target {
        Target::Sqlite(pool) => {
            let exists: Option<(String,)> = sqlx::query_as(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
            )
            .fetch_optional(pool)
            .await?;
            if exists.is_none() {
                return Ok(());
            }
            let applied: Vec<(i64, Vec<u8>)> = sqlx::query_as(APPLIED).fetch_all(pool).await?;
            let repairs = plan(SQLITE, migrator, &applied);
            if repairs.is_empty() {
                return Ok(());
            }
            let mut tx = pool.begin().await?;
            for r in &repairs {
                let swapped = sqlx::query(SWAP)
                    .bind(&r.now)
                    .bind(r.version)
                    .bind(&r.was)
                    .execute(&mut *tx)
                    .await?;
                if swapped.rows_affected() == 1 {
                    sqlx::raw_sql(&r.sql).execute(&mut *tx).await?;
                    log(r);
                }
            }
            tx.commit().await?;
        }
        Target::Postgres(pool) => {
            let (exists,): (bool,) =
                sqlx::query_as("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
                    .fetch_one(pool)
                    .await?;
            if !exists {
                return Ok(());
            }
            let applied: Vec<(i64, Vec<u8>)> = sqlx::query_as(APPLIED).fetch_all(pool).await?;
            let repairs = plan(POSTGRES, migrator, &applied);
            if repairs.is_empty() {
                return Ok(());
            }
            let mut tx = pool.begin().await?;
            for r in &repairs {
                let swapped = sqlx::query(SWAP)
                    .bind(&r.now)
                    .bind(r.version)
                    .bind(&r.was)
                    .execute(&mut *tx)
                    .await?;
                if swapped.rows_affected() == 1 {
                    sqlx::raw_sql(&r.sql).execute(&mut *tx).await?;
                    log(r);
                }
            }
            tx.commit().await?;
        }
    }
    Ok(())
}

fn log(r: &Repair) {
    tracing::warn!(
        version = r.version,
        was = %to_hex(&r.was),
        "migration was edited after this database applied it: applied the edit's schema change \
         and recorded the current checksum"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every edit's old checksum is one the file really had, and never the current one.
    #[test]
    fn old_checksums_are_not_the_current_ones() {
        for (edits, migrator) in [
            (SQLITE, &super::super::SQLITE_MIGRATIONS),
            (POSTGRES, &super::super::POSTGRES_MIGRATIONS),
        ] {
            for e in edits {
                assert_eq!(e.was.len(), 96);
                let now = migrator.iter().find(|m| m.version == e.version).unwrap();
                assert_ne!(to_hex(&now.checksum), e.was, "version {}", e.version);
            }
        }
    }

    #[test]
    fn a_database_on_the_oldest_file_gets_every_later_edit() {
        let migrator = &super::super::SQLITE_MIGRATIONS;
        let oldest = hex_to_bytes(SQLITE[0].was);
        let current = migrator.iter().find(|m| m.version == 8).unwrap();
        let applied = vec![(7, oldest), (8, current.checksum.to_vec())];
        let repairs = plan(SQLITE, migrator, &applied);
        assert_eq!(repairs.len(), 1, "{repairs:?}");
        assert!(repairs[0].sql.starts_with("DROP INDEX push_records_time;"));
        assert!(repairs[0].sql.contains("RENAME TO push_records;"));
        assert!(!repairs[0].sql.contains("im_sessions"));
    }

    fn hex_to_bytes(hex: &str) -> Vec<u8> {
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect()
    }
}
