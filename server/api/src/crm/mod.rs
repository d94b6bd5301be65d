//! CRM use cases that span several ports: a deal with its chat, stage moves with
//! their system messages and history, visibility checks. HTTP handlers (and later
//! slash-commands and automation) call these, so every entry point follows the
//! same rules.

pub mod board;
pub mod client_merge;
pub mod clients;
pub mod csv_io;
pub mod custom_fields;
pub mod deal_chat;
pub mod deals;
pub mod entity_chat;
pub mod import_limits;
pub mod record_chat;
pub mod reminders;
pub mod task_live;
pub mod tasks;
pub mod texts;
