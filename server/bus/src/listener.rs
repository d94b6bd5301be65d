//! The node's subscriber connection: relays other nodes' messages into the local
//! broadcast for the node's lifetime, resubscribing after Redis restarts. What
//! went out while this node was not subscribed is lost to it, so every
//! resubscription is a `Gap`, sent once the new subscription is live: a catch-up
//! from the store after it misses nothing.

use std::time::Duration;

use artel_core::ports::bus::Delivery;
use futures_util::StreamExt;
use redis::aio::{PubSubSink, PubSubStream};
use tokio::sync::{broadcast, oneshot};
use uuid::Uuid;

use crate::redis_bus::{next_retry, RETRY_MIN};
use crate::wire;

/// How often a quiet subscription is checked, and how long the check may take:
/// a connection that died without a word (a dropped route) is noticed this late
/// at most, not after the kernel's keep-alive timeout.
const PING_EVERY: Duration = Duration::from_secs(5);
const PING_TIMEOUT: Duration = Duration::from_secs(3);
/// Longest a connection attempt with its SUBSCRIBE may take.
const SUBSCRIBE_TIMEOUT: Duration = Duration::from_secs(2);

pub(crate) async fn listen(
    client: redis::Client,
    channel: String,
    node: Uuid,
    out: broadcast::Sender<Delivery>,
    ready: oneshot::Sender<()>,
) {
    let mut ready = Some(ready);
    let mut wait = RETRY_MIN;
    let mut failures = 0u32;
    loop {
        match subscribe(&client, &channel).await {
            Ok((sink, stream)) => {
                if let Some(tx) = ready.take() {
                    let _ = tx.send(());
                } else {
                    tracing::info!(failures, "redis bus resubscribed");
                    let _ = out.send(Delivery::Gap);
                }
                wait = RETRY_MIN;
                failures = 0;
                relay(sink, stream, node, &out).await;
                tracing::warn!("redis bus subscription ended; reconnecting");
            }
            Err(e) => {
                failures += 1;
                // Once per outage at warn: retries come every few hundred ms.
                if failures == 1 {
                    tracing::warn!(error = %e, "redis bus connection failed; retrying");
                } else {
                    tracing::debug!(error = %e, failures, "redis bus connection failed");
                }
            }
        }
        tokio::time::sleep(wait).await;
        wait = next_retry(wait);
    }
}

async fn subscribe(client: &redis::Client, channel: &str) -> Result<(PubSubSink, PubSubStream), String> {
    let attempt = async {
        let (mut sink, stream) = client.get_async_pubsub().await?.split();
        sink.subscribe(channel).await?;
        Ok::<_, redis::RedisError>((sink, stream))
    };
    match tokio::time::timeout(SUBSCRIBE_TIMEOUT, attempt).await {
        Ok(Ok(pair)) => Ok(pair),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no answer within {SUBSCRIBE_TIMEOUT:?}")),
    }
}

/// Relays messages until the connection ends or stops answering.
async fn relay(
    mut sink: PubSubSink,
    mut stream: PubSubStream,
    node: Uuid,
    out: &broadcast::Sender<Delivery>,
) {
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    loop {
        tokio::select! {
            msg = stream.next() => {
                let Some(msg) = msg else { return };
                // Any traffic shows the connection is alive.
                ping.reset();
                let Ok(payload) = msg.get_payload::<String>() else { continue };
                match wire::decode(&payload) {
                    // This node's subscribers had its own envelopes at publish.
                    Ok(m) if m.from == Some(node) => {}
                    Ok(m) => {
                        for envelope in m.envelopes {
                            let _ = out.send(Delivery::Envelope(envelope));
                        }
                        if m.gap {
                            let _ = out.send(Delivery::Gap);
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "ignoring malformed bus message"),
                }
            }
            _ = ping.tick() => {
                match tokio::time::timeout(PING_TIMEOUT, sink.ping::<redis::Value>()).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => {
                        tracing::warn!(error = %e, "redis bus subscription failed its check");
                        return;
                    }
                    Err(_) => {
                        tracing::warn!("redis bus subscription silent; reconnecting");
                        return;
                    }
                }
            }
        }
    }
}
