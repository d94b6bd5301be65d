//! Messaging: the send path (validation, group commit, publish), rendering and
//! the wire shapes shared by REST and the WebSocket hub.

pub mod committer;
pub mod render;
pub mod send;
pub mod send_checks;
pub mod system;
pub mod wire;
