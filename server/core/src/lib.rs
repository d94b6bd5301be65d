//! artel-core: the domain of Artel — types, rules, permissions and the port traits
//! that adapters (storage, fan-out, search, push) implement. No transport or
//! database code lives here, so every rule can be tested without either.

pub mod clock;
pub mod error;
pub mod invite;
pub mod permissions;
pub mod ports;
pub mod session;
pub mod user;
pub mod validate;
pub mod workspace;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{Error, Result};
pub use ports::store::{Store, StoreError, StoreResult};
