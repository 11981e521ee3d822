//! Migrations are append-only, and databases made from the files as they were before 0007 and
//! 0008 were edited in place still start (server/src/store/migrations.rs repairs them).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use reqwest::StatusCode;
use sha2::{Digest, Sha384};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Connection};

use crate::support::{Engine, fresh_database, spawn_on, test_dir};

fn migrations_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations")
}

fn engine_dir(engine: &str) -> PathBuf {
    migrations_dir().join(engine)
}

/// `engine version name` → sha384 (hex) of every `.sql` file under migrations/.
fn files() -> BTreeMap<(String, String, String), String> {
    let mut out = BTreeMap::new();
    for engine in ["sqlite", "postgres"] {
        for entry in std::fs::read_dir(engine_dir(engine)).unwrap() {
            let path = entry.unwrap().path();
            let file = path.file_name().unwrap().to_str().unwrap().to_owned();
            let Some(stem) = file.strip_suffix(".sql") else {
                continue;
            };
            let (version, name) = stem
                .split_once('_')
                .unwrap_or_else(|| panic!("{engine}/{file}: not <version>_<name>.sql"));
            let sha = hex(&Sha384::digest(std::fs::read(&path).unwrap()));
            out.insert(
                (engine.to_owned(), version.to_owned(), name.to_owned()),
                sha,
            );
        }
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// migrations/checksums.txt: `engine version name sha384` per landed migration.
fn landed() -> BTreeMap<(String, String, String), String> {
    let text = std::fs::read_to_string(migrations_dir().join("checksums.txt")).unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            assert_eq!(
                f.len(),
                4,
                "checksums.txt: `{l}` is not `engine version name sha384`"
            );
            ((f[0].into(), f[1].into(), f[2].into()), f[3].into())
        })
        .collect()
}

#[test]
fn a_migration_that_landed_never_changes() {
    let files = files();
    let mut problems = Vec::new();
    for ((engine, version, name), sha) in landed() {
        match files.get(&(engine.clone(), version.clone(), name.clone())) {
            None => problems.push(format!(
                "migrations/{engine}/{version}_{name}.sql landed and is gone: restore it (a \
                 database that applied it no longer starts)"
            )),
            Some(now) if *now != sha => problems.push(format!(
                "migrations/{engine}/{version}_{name}.sql changed after it landed: restore it \
                 and put the change in a new migration (databases that applied it keep the old \
                 checksum, and sqlx refuses to start on them)"
            )),
            Some(_) => {}
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_new_migration_is_added_to_the_list() {
    let landed = landed();
    let missing: Vec<String> = files()
        .into_iter()
        .filter(|(key, _)| !landed.contains_key(key))
        .map(|((engine, version, name), sha)| format!("{engine} {version} {name} {sha}"))
        .collect();
    assert!(
        missing.is_empty(),
        "new migrations: append these lines to migrations/checksums.txt (from then on the files \
         may not change):\n{}",
        missing.join("\n")
    );
}

#[test]
fn sqlite_and_postgres_hold_the_same_migrations() {
    let names = |engine: &str| -> BTreeSet<(String, String)> {
        files()
            .into_keys()
            .filter(|(e, _, _)| e == engine)
            .map(|(_, v, n)| (v, n))
            .collect()
    };
    let (sqlite, postgres) = (names("sqlite"), names("postgres"));
    assert_eq!(
        sqlite.difference(&postgres).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "in migrations/sqlite only: write the PostgreSQL version too"
    );
    assert_eq!(
        postgres.difference(&sqlite).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "in migrations/postgres only: write the SQLite version too"
    );
    let versions: Vec<&String> = sqlite.iter().map(|(v, _)| v).collect();
    let unique: BTreeSet<&String> = versions.iter().copied().collect();
    assert_eq!(
        versions.len(),
        unique.len(),
        "two migrations share a version"
    );
}

/// The migrations a database had applied at a commit: the files that have not changed since
/// come from migrations/, the edited ones from fixtures/migrations/ as they were then.
struct History {
    commit: &'static str,
    files: &'static [&'static str],
}

const BEFORE_TIME_INDEX: History = History {
    commit: "909ad87",
    files: &["0007_push_records.909ad87"],
};
const BEFORE_OUTBOX: History = History {
    commit: "f0d09d0",
    files: &["0007_push_records.56821eb", "0008_im_accounts.f0d09d0"],
};
const BEFORE_BAD_AT: History = History {
    commit: "f8e03a0",
    files: &[
        "0007_push_records",
        "0008_im_accounts.f8e03a0",
        "0009_im_messages",
    ],
};

fn engine_name(engine: Engine) -> &'static str {
    match engine {
        Engine::Sqlite => "sqlite",
        Engine::Postgres => "postgres",
    }
}

/// A database migrated as the app at `history.commit` left it.
async fn old_database(engine: Engine, history: &History, dir: &Path) -> String {
    let name = engine_name(engine);
    let tree = dir.join(format!("migrations-{}", history.commit));
    std::fs::create_dir_all(&tree).unwrap();
    let unchanged = [
        "0001_console_users",
        "0002_apps",
        "0003_api_tokens",
        "0004_audit_events",
        "0005_sandbox",
        "0006_push_certificates",
    ];
    for file in unchanged.iter().chain(history.files) {
        let (stem, source) = match file.split_once('.') {
            Some((stem, _)) => (
                stem,
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("tests/api/fixtures/migrations")
                    .join(name)
                    .join(format!("{file}.sql")),
            ),
            None => (*file, engine_dir(name).join(format!("{file}.sql"))),
        };
        std::fs::copy(&source, tree.join(format!("{stem}.sql")))
            .unwrap_or_else(|e| panic!("{}: {e}", source.display()));
    }
    let migrator = Migrator::new(tree.as_path()).await.unwrap();
    let url = fresh_database(engine, dir).await;
    match engine {
        Engine::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
            migrator.run(&mut conn).await.unwrap();
        }
        Engine::Postgres => {
            let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
            migrator.run(&mut conn).await.unwrap();
        }
    }
    url
}

async fn any_pool(url: &str) -> AnyPool {
    sqlx::any::install_default_drivers();
    AnyPool::connect(url).await.unwrap()
}

async fn exec(pool: &AnyPool, sql: &str) {
    sqlx::raw_sql(sql)
        .execute(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// Tables, columns, keys, indexes and recorded migrations, one line each, for comparing a
/// repaired database with a new one. PostgreSQL's column order is left out: it adds a column
/// at the end, where a new table has it first.
async fn schema(engine: Engine, url: &str) -> Vec<String> {
    let queries: &[&str] = match engine {
        Engine::Sqlite => &[
            "SELECT m.name || '.' || p.name || ' ' || p.type || ' notnull=' || p.\"notnull\" \
             || ' default=' || coalesce(p.dflt_value, '-') || ' pk=' || p.pk \
             FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' \
             ORDER BY m.name, p.cid",
            "SELECT m.name || ' index ' || l.name || ' unique=' || l.\"unique\" || ' origin=' \
             || l.origin || ' (' || (SELECT group_concat(c, ',') FROM (SELECT coalesce(i.name, \
             '?') AS c FROM pragma_index_info(l.name) i ORDER BY i.seqno)) || ')' \
             FROM sqlite_master m JOIN pragma_index_list(m.name) l WHERE m.type = 'table' \
             ORDER BY 1",
            "SELECT 'sql ' || name || ': ' || sql FROM sqlite_master \
             WHERE type = 'index' AND sql IS NOT NULL ORDER BY name",
            "SELECT m.name || ' references ' || f.\"table\" || ' ' || f.\"from\" || '->' \
             || coalesce(f.\"to\", '?') FROM sqlite_master m \
             JOIN pragma_foreign_key_list(m.name) f WHERE m.type = 'table' ORDER BY 1",
            "SELECT 'migration ' || version || ' ' || description || ' ' || hex(checksum) \
             || ' ' || success FROM _sqlx_migrations ORDER BY version",
        ],
        Engine::Postgres => &[
            "SELECT (table_name || '.' || column_name || ' ' || data_type || ' null=' \
             || is_nullable || ' default=' || coalesce(column_default, '-') || ' identity=' \
             || is_identity || ' ' || coalesce(identity_generation, '-') || ' ' \
             || coalesce(pg_get_serial_sequence(quote_ident(table_name), column_name), '-'))::text \
             FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY 1",
            "SELECT (conrelid::regclass::text || ' ' || conname || ' ' \
             || pg_get_constraintdef(oid))::text FROM pg_constraint \
             WHERE connamespace = current_schema()::regnamespace ORDER BY 1",
            "SELECT (indexname || ' ' || indexdef)::text FROM pg_indexes \
             WHERE schemaname = current_schema() ORDER BY 1",
            "SELECT ('migration ' || version || ' ' || description || ' ' \
             || encode(checksum, 'hex') || ' ' || success)::text FROM _sqlx_migrations \
             ORDER BY version",
        ],
    };
    let pool = any_pool(url).await;
    let mut lines = Vec::new();
    for q in queries {
        let rows: Vec<(String,)> = sqlx::query_as(q)
            .fetch_all(&pool)
            .await
            .unwrap_or_else(|e| panic!("{q}: {e}"));
        lines.extend(rows.into_iter().map(|(l,)| l));
    }
    pool.close().await;
    lines
}

/// A database from the app at `history.commit`, with rows in it, starts under this app; its
/// schema is then that of a new database and its rows are kept.
async fn an_old_database_starts(engine: Engine, history: History) {
    let dir = test_dir();
    let url = old_database(engine, &history, &dir).await;
    let has_sessions = history.files.iter().any(|f| f.starts_with("0008"));
    let old = any_pool(&url).await;
    // Ids as the engines hand them out; the second record is deleted, so the next id is 3, not 2.
    exec(
        &old,
        "INSERT INTO apps (sdkappid, name, secret_key, created_at, updated_at) \
         VALUES (1400000001, 'Demo', 'sealed', 1, 1); \
         INSERT INTO push_certificates (sdkappid, vendor, unique_key, created_at, updated_at) \
         VALUES (1400000001, 'xiaomi', 'com.example.im', 1, 1); \
         INSERT INTO push_records (created_at, sdkappid, certificate_id, kind, reg_id, title, \
         description, outcome, attempts, latency_ms) \
         VALUES (100, 1400000001, 1, 'test', 'reg-1', 'Hi', 'There', 'accepted', 1, 12); \
         INSERT INTO push_records (created_at, sdkappid, certificate_id, kind, reg_id, title, \
         description, outcome, attempts, latency_ms) \
         VALUES (101, 1400000001, 1, 'test', 'reg-gone', 'Hi', 'There', 'accepted', 1, 12); \
         DELETE FROM push_records WHERE reg_id = 'reg-gone';",
    )
    .await;
    if has_sessions {
        // Inserted newest first: where the repair gives logins their ids, it numbers them in
        // the order they were made.
        exec(
            &old,
            "INSERT INTO im_accounts (sdkappid, user_id, created_at) VALUES (1400000001, 'alice', 1); \
             INSERT INTO im_sessions (token_digest, sdkappid, user_id, platform, state, created_at) \
             VALUES ('digest-later', 1400000001, 'alice', 'android', 'active', 300); \
             INSERT INTO im_sessions (token_digest, sdkappid, user_id, platform, state, created_at, \
             ended_at) VALUES ('digest-earlier', 1400000001, 'alice', 'android', 'kicked', 200, 300); \
             INSERT INTO device_tokens (certificate_id, token, sdkappid, user_id, session_digest, \
             reported_at) VALUES (1, 'reg-1', 1400000001, 'alice', 'digest-later', 300);",
        )
        .await;
    }
    old.close().await;
    let before = schema(engine, &url).await;

    let app = spawn_on(url.clone(), dir).await;
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), StatusCode::OK);

    let new_dir = test_dir();
    let new_url = fresh_database(engine, &new_dir).await;
    let _new = spawn_on(new_url.clone(), new_dir).await;
    let (repaired, new) = (schema(engine, &url).await, schema(engine, &new_url).await);
    assert_ne!(
        before, new,
        "the database from {} is not an old one",
        history.commit
    );
    let only = |a: &[String], b: &[String]| -> Vec<String> {
        a.iter().filter(|l| !b.contains(l)).cloned().collect()
    };
    assert!(
        repaired == new,
        "repaired database from {} differs from a new one\nonly repaired:\n{}\nonly new:\n{}",
        history.commit,
        only(&repaired, &new).join("\n"),
        only(&new, &repaired).join("\n"),
    );

    let pool = any_pool(&url).await;
    let kept: Vec<(i64, i64, String)> =
        sqlx::query_as("SELECT id, certificate_id, reg_id FROM push_records")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(kept, [(1, 1, "reg-1".to_owned())]);
    // What the edits added: a record with no certificate and a MsgKey; ids go on after the
    // highest ever handed out.
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO push_records (created_at, sdkappid, certificate_id, kind, reg_id, title, \
         description, outcome, reason, attempts, latency_ms, msg_key) \
         VALUES (200, 1400000001, NULL, 'offline', '', 'Hi', 'There', 'skipped', 'no_token', 0, \
         0, 'key-1') RETURNING id",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(id, 3);
    if has_sessions {
        let sessions: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, token_digest FROM im_sessions ORDER BY id")
                .fetch_all(&pool)
                .await
                .unwrap();
        let numbered_by_repair = history.files.contains(&"0008_im_accounts.f0d09d0");
        let (first, second) = if numbered_by_repair {
            ("digest-earlier", "digest-later")
        } else {
            ("digest-later", "digest-earlier")
        };
        assert_eq!(sessions, [(1, first.to_owned()), (2, second.to_owned())]);
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO im_sessions (token_digest, sdkappid, user_id, platform, state, \
             created_at) VALUES ('digest-next', 1400000001, 'alice', 'ios', 'active', 400) \
             RETURNING id",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(id, 3);
        let duplicate = sqlx::query(
            "INSERT INTO im_sessions (token_digest, sdkappid, user_id, platform, state, \
             created_at) VALUES ('digest-next', 1400000001, 'alice', 'ios', 'active', 500)",
        )
        .execute(&pool)
        .await;
        assert!(duplicate.is_err(), "token_digest stays unique");
        let (bad_at,): (Option<i64>,) =
            sqlx::query_as("SELECT bad_at FROM device_tokens WHERE token = 'reg-1'")
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(bad_at, None);
    }
    pool.close().await;

    // Started again: nothing left to repair, and it still starts.
    let dir = test_dir();
    let again = spawn_on(url.clone(), dir).await;
    assert_eq!(again.get("/healthz").await.status(), StatusCode::OK);
    assert_eq!(schema(engine, &url).await, new);
}

mod sqlite {
    use super::*;

    #[tokio::test]
    async fn a_database_from_before_the_time_index_edit_starts() {
        an_old_database_starts(Engine::Sqlite, BEFORE_TIME_INDEX).await;
    }

    #[tokio::test]
    async fn a_database_from_before_the_outbox_edits_starts() {
        an_old_database_starts(Engine::Sqlite, BEFORE_OUTBOX).await;
    }

    #[tokio::test]
    async fn a_database_from_before_bad_at_starts() {
        an_old_database_starts(Engine::Sqlite, BEFORE_BAD_AT).await;
    }
}

mod postgres {
    use super::*;

    #[tokio::test]
    async fn a_database_from_before_the_time_index_edit_starts() {
        an_old_database_starts(Engine::Postgres, BEFORE_TIME_INDEX).await;
    }

    #[tokio::test]
    async fn a_database_from_before_the_outbox_edits_starts() {
        an_old_database_starts(Engine::Postgres, BEFORE_OUTBOX).await;
    }

    #[tokio::test]
    async fn a_database_from_before_bad_at_starts() {
        an_old_database_starts(Engine::Postgres, BEFORE_BAD_AT).await;
    }
}
