//! artel-bus: the `Bus` port. `LocalBus` fans out inside one process; `RedisBus`
//! carries envelopes between nodes over Redis pub/sub. Chosen by `REDIS_URL`.

mod listener;
mod local;
mod outbox;
mod peers;
mod redis_bus;
mod wire;

use std::sync::Arc;

use artel_core::{Bus, BusError};

pub use local::LocalBus;
pub use redis_bus::RedisBus;

/// How many envelopes a slow subscriber may fall behind before it skips ahead
/// and is told of the gap (the hub then catches its sockets up from the store).
pub const SUBSCRIBER_BUFFER: usize = 16_384;

/// `Some(url)` → Redis pub/sub on `channel`, `None` → in-process.
pub async fn connect(redis_url: Option<&str>, channel: &str) -> Result<Arc<dyn Bus>, BusError> {
    match redis_url.map(str::trim).filter(|u| !u.is_empty()) {
        Some(url) => Ok(Arc::new(RedisBus::connect(url, channel).await?)),
        None => Ok(Arc::new(LocalBus::new())),
    }
}
