//! The API suite: the real server in-process on port 0, real HTTP, a fresh database per test,
//! every scenario on SQLite and on PostgreSQL.

mod apps;
mod auth;
mod certificates;
mod cli;
mod crash;
mod im;
mod migrations;
mod mipush;
mod offline;
mod outage;
mod properties;
mod push;
mod quota;
mod receipts;
mod sandbox_receipts;
mod security;
mod support;
mod users;
