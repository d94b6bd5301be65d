//! SQLite WAL checkpoints off the commit path.
//!
//! By default SQLite checkpoints inside whichever commit pushes the WAL past 1,000
//! pages: that commit copies the WAL back into the database file and syncs it
//! before returning. Small group commits write a few dozen pages each, so under
//! sustained sends every few commits one carried a whole checkpoint, and every send
//! queued behind it waited too (the p99 of send→ack; BENCHMARKS.md, fan-out). Here
//! a task with its own connection runs a PASSIVE
//! checkpoint every `EVERY`: PASSIVE never takes the write lock, so commits go on
//! while it copies and syncs, and copying 100 ms of WAL at once writes each hot
//! page (chat rows, index roots) once per round instead of once per 1,000 pages.
//!
//! The WAL starts over only when a checkpoint finished with no commit meanwhile;
//! under sustained load it keeps growing until the writer's backstop below runs
//! a checkpoint itself, which copies what came since the last round. Rounds of
//! 100 ms keep that residue, and the pause it causes, small (longer rounds left
//! noticeable pauses under sustained sends; BENCHMARKS.md, fan-out).
//!
//! The writer keeps a much larger automatic checkpoint (`WRITER_AUTOCHECKPOINT_PAGES`)
//! as a backstop, so the WAL stays bounded even if this task cannot connect.

use std::time::Duration;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};
use tokio::sync::oneshot;

/// How often the WAL is copied back into the database file (see above).
const EVERY: Duration = Duration::from_millis(100);
/// The writer's own automatic checkpoint threshold (pages of 4 KiB): only reached
/// when the background checkpoints fall behind or stop.
pub(crate) const WRITER_AUTOCHECKPOINT_PAGES: u32 = 16_384;

/// Stops the checkpoint task when the last clone of the store drops it.
pub(crate) struct Checkpointer {
    stop: std::sync::Mutex<Option<oneshot::Sender<()>>>,
}

impl Checkpointer {
    /// Starts the task on the current runtime with a connection of its own.
    pub(crate) fn start(options: SqliteConnectOptions) -> Self {
        let (stop, stopped) = oneshot::channel();
        tokio::spawn(run(options, stopped));
        Self { stop: std::sync::Mutex::new(Some(stop)) }
    }

    pub(crate) fn stop(&self) {
        if let Ok(mut stop) = self.stop.lock() {
            if let Some(stop) = stop.take() {
                let _ = stop.send(());
            }
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn run(options: SqliteConnectOptions, mut stopped: oneshot::Receiver<()>) {
    let mut conn = match options.connect().await {
        Ok(conn) => conn,
        Err(e) => {
            tracing::warn!(error = %e, "no background WAL checkpoints: the writer checkpoints itself");
            return;
        }
    };
    let mut tick = tokio::time::interval(EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            _ = tick.tick() => {
                // (busy, WAL frames, frames copied); busy only means a reader held
                // back part of the WAL, which the next round copies.
                let done = sqlx::query_as::<_, (i64, i64, i64)>("pragma wal_checkpoint(PASSIVE)")
                    .fetch_one(&mut conn)
                    .await;
                if let Err(e) = done {
                    tracing::debug!(error = %e, "WAL checkpoint failed; retrying next round");
                }
            }
        }
    }
    let _ = conn.close().await;
}
