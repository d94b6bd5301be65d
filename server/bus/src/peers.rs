//! Notices nodes leaving the channel. A node that dies (kill -9, a lost host)
//! takes with it whatever it committed and had not yet published: its own
//! sockets had those events, the other nodes never will. Redis counts the
//! channel's subscribers, one connection per node; when the count falls, the
//! node's subscribers get a `Gap` and the hub catches its sockets up from the
//! database, where everything the dead node acknowledged already is.

use std::time::Duration;

use artel_core::ports::bus::Delivery;
use redis::aio::MultiplexedConnection;
use tokio::sync::broadcast;

use crate::redis_bus::command_connection;

/// How often the count is read: bounds how late a dead node's last events
/// reach the others. One tiny command per node per period.
const CHECK_EVERY: Duration = Duration::from_millis(200);

pub(crate) async fn watch(
    client: redis::Client,
    channel: String,
    out: broadcast::Sender<Delivery>,
    counted: tokio::sync::watch::Sender<Option<i64>>,
) {
    let mut tick = tokio::time::interval(CHECK_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut connection: Option<MultiplexedConnection> = None;
    let mut last: Option<i64> = None;
    loop {
        tick.tick().await;
        match subscribers(&client, &mut connection, &channel).await {
            Ok(count) => {
                if last.is_some_and(|before| count < before) {
                    tracing::info!(nodes = count, "a node left the bus; catching up from the database");
                    let _ = out.send(Delivery::Gap);
                }
                last = Some(count);
                counted.send_replace(last);
            }
            Err(e) => {
                // Redis is away: the resubscription reports the gap, and the
                // count starts afresh on a restarted Redis.
                tracing::debug!(error = %e, "redis subscriber count unavailable");
                connection = None;
                last = None;
                counted.send_replace(None);
            }
        }
    }
}

async fn subscribers(
    client: &redis::Client,
    connection: &mut Option<MultiplexedConnection>,
    channel: &str,
) -> redis::RedisResult<i64> {
    let conn = match connection {
        Some(conn) => conn,
        None => connection.insert(command_connection(client).await?),
    };
    let (_, count): (String, i64) = redis::cmd("PUBSUB").arg("NUMSUB").arg(channel).query_async(conn).await?;
    Ok(count)
}
