//! artel-core: the domain of Artel — types, rules, permissions and the port traits
//! that adapters (storage, fan-out, search, push) implement. No transport or
//! database code lives here, so every rule can be tested without either.

pub mod attachment;
pub mod automation;
pub mod bot;
pub mod chat;
pub mod clock;
pub mod commands;
pub mod crm;
pub mod domain_event;
pub mod error;
pub mod event;
pub mod invite;
pub mod markdown;
pub mod message;
pub mod notice;
pub mod password_reset;
pub mod permissions;
pub mod ports;
pub mod push;
pub mod search;
pub mod session;
pub mod user;
pub mod validate;
pub mod workspace;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{Error, Result};
pub use ports::bus::{Bus, BusError, Subscription};
pub use ports::store::{Store, StoreError, StoreResult};
