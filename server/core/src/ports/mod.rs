//! Ports: the traits the domain needs from the outside world. Each has one
//! implementation per backend, and one contract test suite that all of them pass.

pub mod automation;
pub mod bots;
pub mod bus;
pub mod commands;
pub mod crm;
pub mod push;
pub mod search;
pub mod store;
pub mod tasks;
