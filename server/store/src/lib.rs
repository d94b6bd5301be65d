//! artel-store: the `Store` port on SQLite (single node, zero set-up) and on
//! PostgreSQL (cluster). Both engines run the same SQL text: it is written once per
//! operation inside a macro and stamped out for each engine, so the two can only
//! differ where the schema files say so (blob vs uuid, text vs timestamptz).

mod append;
mod append_one_statement;
mod attachments;
mod boards;
mod bots;
mod chats;
mod checkpoint;
mod client_merge;
mod clients;
mod commands;
mod conns;
mod crm_rows;
mod custom_fields;
mod deals;
mod engine;
mod errors;
mod events;
mod history;
mod integrations;
mod invites;
mod jobs;
mod lead_keys;
mod messages;
mod outbox;
mod password_resets;
mod pipelines;
mod push;
mod rate_limits;
mod rows;
mod rules;
mod search;
mod send_contexts;
mod sessions;
mod tasks;
mod users;
mod workspaces;

pub use engine::{connect, migrate_only, PostgresStore, SqliteStore, StoreConfig};
