//! Automation and integrations: durable jobs, outgoing webhooks, secret incoming
//! URLs (chat messages and website leads) and per-stage automation rules. Only
//! types and rules live here; running them is the API crate's business.

pub mod hook;
pub mod job;
pub mod rule;
pub mod ssrf;
pub mod webhook;
