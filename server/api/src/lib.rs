//! artel: the server. Configuration and CLI, the HTTP API, the WebSocket hub,
//! authentication, and serving the built clients. `run` starts exactly the
//! server the binary starts, so black-box tests exercise the real thing.

pub mod access;
pub mod admin;
pub mod auth;
pub mod automation;
pub mod cli;
pub mod commands;
pub mod compression;
pub mod config;
pub mod crm;
pub mod directory;
pub mod edge;
pub mod error;
pub mod events;
pub mod extract;
pub mod files;
pub mod http;
pub mod messaging;
pub mod passes;
pub mod push;
pub mod search;
pub mod server;
pub mod state;
pub mod telemetry;
pub mod text_guard;
pub mod ws;

pub use server::{router, run, run_with};
pub use state::AppState;
