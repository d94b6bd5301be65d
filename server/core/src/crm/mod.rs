//! The CRM: clients (contacts and companies), funnels (pipelines with stages),
//! deals on them, and the change history of every record. Rules live here; the
//! store keeps the rows and the API speaks HTTP.

pub mod client;
pub mod custom_field;
pub mod custom_text;
pub mod deal;
pub mod entity;
pub mod history;
pub mod money;
pub mod pipeline;
pub mod task;
