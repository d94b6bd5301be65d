//! The contract stories of the `Store` sub-ports the other store suites leave out:
//! jobs, the push queue, integrations (webhooks, incoming hooks, lead keys),
//! stage rules, bots, command runs, the search source, tasks and custom fields.
//! One module per sub-port, each story run against SQLite and Postgres on a fresh
//! database. Whatever one engine does, the other must do too; nothing of one
//! workspace is visible or changeable from another. One test binary rather than
//! one per port: each binary links the whole server.

mod support;

mod bots;
mod commands;
mod custom_fields;
mod integrations;
mod jobs;
mod names_order;
mod push_queue;
mod rules;
mod search_source;
mod tasks;
