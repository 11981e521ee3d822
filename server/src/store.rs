//! All SQL. One dialect for both engines (through sqlx's `Any` driver): `$n` placeholders
//! (`?` in long statements, see [`Engine::sql`]), BIGINT integers, Unix-second timestamps, no
//! booleans. The same tests run on SQLite and PostgreSQL.

pub mod accounts;
pub mod apps;
pub mod audit;
pub mod certificates;
pub mod device_tokens;
pub mod messages;
mod migrations;
pub mod outbox;
pub mod push;
pub mod quota;
pub mod receipts;
pub mod sandbox;
pub mod sessions;
pub mod tokens;
pub mod users;

use std::fmt::Write as _;
use std::str::FromStr;

use anyhow::Context;
use sqlx::any::AnyPoolOptions;
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::{AnyPool, PgPool, SqlitePool};

use crate::config::DatabaseSettings;

/// The database behind the store, plus the same database for the session store, which needs
/// the engine's own pool type.
#[derive(Clone, Debug)]
pub struct Database {
    pub pool: AnyPool,
    /// Where the writes that happen all the time go (the push pipeline's, the sandbox's): on
    /// SQLite one connection, so that writers wait their turn here, in order, instead of in
    /// SQLite's busy handler, whose sleeps of 1 to 100 ms left the pipeline idle most of the
    /// time under load (SQLite has one writer at a time either way); on PostgreSQL the pool.
    pub writer: AnyPool,
    pub sessions: SessionPool,
}

#[derive(Clone, Debug)]
pub enum SessionPool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Why a statement failed, as far as callers care.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unique constraint violated")]
    Unique,
    #[error(transparent)]
    Other(#[from] sqlx::Error),
}

impl StoreError {
    pub(crate) fn from_sqlx(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(d) if d.is_unique_violation() => Self::Unique,
            _ => Self::Other(e),
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// The engine behind a connection, for the one thing the shared dialect writes differently:
/// the parameters of long statements (multi-row INSERTs, `IN` lists).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    pub(crate) fn of(conn: &sqlx::AnyConnection) -> Self {
        Self::named(conn.backend_name() == "SQLite")
    }

    pub(crate) fn of_pool(pool: &sqlx::AnyPool) -> Self {
        Self::named(pool.connect_options().database_url.scheme() == "sqlite")
    }

    fn named(sqlite: bool) -> Self {
        if sqlite { Self::Sqlite } else { Self::Postgres }
    }

    /// `sql`, written with `?` for every parameter in the order they are bound, as this engine
    /// takes it: SQLite as is, PostgreSQL with `$1, $2, …`. SQLite finds each `$n` by walking
    /// the statement's list of parameter names, when it parses and again when it binds, so a
    /// statement of `$n` costs the square of its parameters (a send to 10,000 users spent 1.5 s
    /// binding statements of 7,000); an anonymous `?` has no name to look up. (The statements
    /// given here hold no `?` of their own: no string literals with one, no JSON operators.)
    pub(crate) fn sql(self, sql: &str) -> String {
        match self {
            Self::Sqlite => sql.to_owned(),
            Self::Postgres => {
                let mut out = String::with_capacity(sql.len() + sql.len() / 2);
                for (n, part) in sql.split('?').enumerate() {
                    if n > 0 {
                        write!(out, "${n}").expect("writing to a String cannot fail");
                    }
                    out.push_str(part);
                }
                out
            }
        }
    }
}

/// Rows per multi-row statement: 500, fewer where a row has more than 20 parameters, so that a
/// statement binds at most 10,000 (SQLite takes 32,766, PostgreSQL 65,535).
pub(crate) fn rows_per_statement(params_per_row: usize) -> usize {
    (10_000 / params_per_row.max(1)).clamp(1, CHUNK)
}

/// `n` copies of `row` (such as `(?, ?, 'pending')`), comma-separated: the VALUES of a
/// multi-row INSERT.
pub(crate) fn rows(row: &str, n: usize) -> String {
    vec![row; n].join(", ")
}

/// `n` parameters, comma-separated: an `IN` list.
pub(crate) fn params(n: usize) -> String {
    rows("?", n)
}

/// The ids a multi-row `INSERT … RETURNING id` gave, in VALUES order (one statement's rows get
/// ascending ids in that order on both engines).
pub(crate) async fn inserted_ids<'q>(
    insert: sqlx::query::QueryAs<'q, sqlx::Any, (i64,), sqlx::any::AnyArguments<'q>>,
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
) -> StoreResult<Vec<i64>> {
    let mut ids: Vec<i64> = insert
        .fetch_all(&mut **tx)
        .await
        .map_err(StoreError::from_sqlx)?
        .into_iter()
        .map(|(id,)| id)
        .collect();
    ids.sort_unstable();
    Ok(ids)
}

/// Items per `IN` list, and rows per multi-row statement at most.
pub(crate) const CHUNK: usize = 500;

/// How long a request waits for a database connection before it answers 503.
const UNREACHABLE_AFTER: std::time::Duration = std::time::Duration::from_secs(5);

/// The SQLite writer's page cache: 64 MiB instead of SQLite's 2 MiB. A fan-out's inserts into
/// indexes keyed by regId or hash land on random pages, which missed the small cache and were
/// read back from the file (and a big transaction's dirty pages spilled to the WAL before it
/// committed). The memory is taken only as pages are used. Readers keep the default: their cache
/// is emptied whenever another connection writes.
const SQLITE_WRITER_CACHE: &str = "PRAGMA cache_size = -65536";

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

impl Database {
    /// Connects, creating a SQLite file and its directory if needed, and applies migrations.
    pub async fn connect(settings: &DatabaseSettings) -> anyhow::Result<Self> {
        sqlx::any::install_default_drivers();
        let url = settings.url.as_str();
        let sessions = if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .context("DATABASE_URL is not a valid SQLite URL")?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .busy_timeout(std::time::Duration::from_secs(10));
            let file = options.get_filename().to_path_buf();
            if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating database directory {}", dir.display()))?;
            }
            let pool = SqlitePoolOptions::new()
                .max_connections(4)
                .acquire_timeout(UNREACHABLE_AFTER)
                .connect_with(options)
                .await
                .with_context(|| format!("opening SQLite database {}", file.display()))?;
            migrations::repair(migrations::Target::Sqlite(&pool), &SQLITE_MIGRATIONS)
                .await
                .context("repairing edited SQLite migrations")?;
            SQLITE_MIGRATIONS
                .run(&pool)
                .await
                .context("applying SQLite migrations")?;
            SessionPool::Sqlite(pool)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool = PgPoolOptions::new()
                .max_connections(4)
                .acquire_timeout(UNREACHABLE_AFTER)
                .connect(url)
                .await
                .context("connecting to PostgreSQL")?;
            migrations::repair(migrations::Target::Postgres(&pool), &POSTGRES_MIGRATIONS)
                .await
                .context("repairing edited PostgreSQL migrations")?;
            POSTGRES_MIGRATIONS
                .run(&pool)
                .await
                .context("applying PostgreSQL migrations")?;
            SessionPool::Postgres(pool)
        } else {
            anyhow::bail!("DATABASE_URL must start with sqlite: or postgres:");
        };
        let sqlite = url.starts_with("sqlite:");
        let relaxed = sqlite && !settings.sqlite_sync_full;
        let open = |connections: u32, writer: bool| {
            AnyPoolOptions::new()
                .max_connections(connections)
                .acquire_timeout(UNREACHABLE_AFTER)
                .after_connect(move |conn, _| {
                    Box::pin(async move {
                        if sqlite {
                            // Sorts (the outbox claim's order) stay in memory.
                            sqlx::query("PRAGMA temp_store = MEMORY")
                                .execute(&mut *conn)
                                .await?;
                        }
                        if sqlite && writer {
                            sqlx::query(SQLITE_WRITER_CACHE).execute(&mut *conn).await?;
                        }
                        if relaxed {
                            sqlx::query("PRAGMA synchronous = NORMAL")
                                .execute(conn)
                                .await?;
                        }
                        Ok(())
                    })
                })
                .connect(url)
        };
        let pool = open(settings.max_connections, false)
            .await
            .context("opening the database")?;
        let writer = if sqlite {
            open(1, true).await.context("opening the database")?
        } else {
            pool.clone()
        };
        Ok(Self {
            pool,
            writer,
            sessions,
        })
    }

    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_statements_keep_anonymous_parameters_on_sqlite_and_number_them_on_postgres() {
        let sql = format!(
            "INSERT INTO t (a, b, c) VALUES {} ON CONFLICT (a) DO NOTHING",
            rows("(?, ?, 'x')", 3)
        );
        assert_eq!(
            Engine::Sqlite.sql(&sql),
            "INSERT INTO t (a, b, c) VALUES (?, ?, 'x'), (?, ?, 'x'), (?, ?, 'x') \
             ON CONFLICT (a) DO NOTHING"
        );
        assert_eq!(
            Engine::Postgres.sql(&sql),
            "INSERT INTO t (a, b, c) VALUES ($1, $2, 'x'), ($3, $4, 'x'), ($5, $6, 'x') \
             ON CONFLICT (a) DO NOTHING"
        );
        assert_eq!(
            Engine::Postgres.sql(&format!("WHERE a = ? AND b IN ({})", params(2))),
            "WHERE a = $1 AND b IN ($2, $3)"
        );
    }

    #[test]
    fn a_statement_binds_at_most_ten_thousand_parameters_in_at_most_500_rows() {
        assert_eq!(rows_per_statement(1), 500);
        assert_eq!(rows_per_statement(18), 500);
        assert_eq!(rows_per_statement(30), 333);
        assert_eq!(rows_per_statement(20_000), 1);
    }
}
