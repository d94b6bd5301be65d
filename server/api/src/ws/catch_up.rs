//! After a gap on the bus (Redis reconnected, the hub fell behind, a peer node
//! dropped or took unpublished events with it), events of any chat or board may
//! never arrive live. The hub then reads where each followed chat and board
//! stands in the store, in one query per workspace, and gives each following
//! socket that tip; a socket whose cursor is behind replays from the store.
//! Nothing waits for a next message in the chat, which in a quiet direct chat
//! may come hours later.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use artel_core::{Store, StoreError};
use uuid::Uuid;

use crate::ws::hub::Hub;

/// First and longest wait before reading again when the store fails.
const RETRY_MIN: Duration = Duration::from_millis(200);
const RETRY_MAX: Duration = Duration::from_secs(5);

/// Catches up after every gap for the hub's lifetime.
pub async fn run(hub: Arc<Hub>, store: Arc<dyn Store>) {
    loop {
        hub.gap().await;
        let started = Instant::now();
        let mut wait = RETRY_MIN;
        loop {
            match catch_up(&hub, store.as_ref()).await {
                Ok(followed) => {
                    tracing::info!(
                        followed,
                        ms = started.elapsed().as_secs_f64() * 1e3,
                        "sockets caught up after a bus gap"
                    );
                    break;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "catch-up after a bus gap failed; retrying");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(RETRY_MAX);
                }
            }
        }
    }
}

/// Tips every followed chat and board; returns how many were read.
async fn catch_up(hub: &Hub, store: &dyn Store) -> Result<usize, StoreError> {
    let mut count = 0;
    for (workspace, ids) in hub.followed() {
        // Sockets follow chats and boards alike by id: what is not a chat is a board.
        let chats = store.chat_last_seqs(workspace, &ids).await?;
        let found: HashSet<Uuid> = chats.iter().map(|(id, _)| *id).collect();
        count += chats.len();
        for (id, seq) in chats {
            hub.tip(workspace, id, seq);
        }
        let rest: Vec<Uuid> = ids.into_iter().filter(|id| !found.contains(id)).collect();
        if !rest.is_empty() {
            let boards = store.board_last_seqs(workspace, &rest).await?;
            count += boards.len();
            for (id, seq) in boards {
                hub.tip(workspace, id, seq);
            }
        }
    }
    Ok(count)
}
