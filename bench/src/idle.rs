//! Idle sockets: how many authenticated sockets a server holds and what each
//! costs in resident memory. Sockets open in two halves so the report gives both
//! the average over all of them and the marginal cost of the second half (the
//! latter is less disturbed by memory the allocator kept from the setup phase).

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;

use crate::cli::IdleArgs;
use crate::stats::{print_result, round2};
use crate::ws::{open_all, open_range, Dialer, Ws};
use crate::{proc, setup};

pub async fn run(a: IdleArgs) -> Result<()> {
    let t = &a.target;
    let n = a.connections;
    if n < 2 {
        bail!("--connections must be at least 2");
    }
    let limit = proc::raise_nofile_limit()?;
    if n as u64 + 100 > limit {
        bail!("{n} sockets need more open files than this process may have ({limit}); lower --connections");
    }
    for &pid in &t.server_pid {
        if let Some(server_limit) = proc::nofile_limit_of(pid) {
            if n as u64 + 100 > server_limit {
                eprintln!(
                    "warning: server pid {pid} may open only {server_limit} files; start it from a shell \
                     with `ulimit -n $(ulimit -Hn)`"
                );
            }
        }
    }
    let settle = Duration::from_secs_f64(a.settle);
    let n_users = if a.users == 0 { n } else { a.users.min(n) };
    let dialer = Dialer::new(&t.url, n, t.source_addrs).await?;
    let (users, rooms) = setup::populate(t, n_users, a.room_size).await?;
    // Each socket follows the presence of its room-mates, as a client showing the
    // room's members does (a socket that follows no one gets no presence at all).
    let mut follows: Vec<Vec<&str>> = vec![Vec::new(); n_users];
    for room in &rooms {
        for &m in &room.members {
            follows[m].extend(room.members.iter().filter(|&&o| o != m).map(|&o| users[o].id.as_str()));
        }
    }
    let sub_of = |i: usize| json!({"type": "presence_sub", "user_ids": follows[i % n_users]}).to_string();

    let before = proc::settled_sample(&t.server_pid, settle).await;
    let token_of = |i: usize| users[i % n_users].token.clone();
    let (stop_tx, stop_rx) = watch::channel(false);
    let traffic = Arc::new(Traffic::default());
    let started = Instant::now();

    // First half, then the second; each socket is held by a task that only reads
    // (so the server's heartbeat pings are answered) until the run ends.
    let half = n / 2;
    let first = open_all(&dialer, half, t.connect_concurrency, &token_of).await?;
    let mut holders: Vec<_> = first
        .into_iter()
        .enumerate()
        .map(|(i, ws)| hold(ws, sub_of(i), stop_rx.clone(), traffic.clone()))
        .collect();
    let mid = proc::settled_sample(&t.server_pid, settle).await;
    let second = open_range(&dialer, half, n, t.connect_concurrency, token_of).await?;
    holders.extend(
        second
            .into_iter()
            .enumerate()
            .map(|(i, ws)| hold(ws, sub_of(half + i), stop_rx.clone(), traffic.clone())),
    );
    let open_secs = started.elapsed().as_secs_f64();
    let after = proc::settled_sample(&t.server_pid, settle).await;
    let tool_after = proc::sample_or_warn(&[std::process::id()]);

    eprintln!("holding {n} sockets for {} s", a.hold);
    tokio::time::sleep(Duration::from_secs_f64(a.hold)).await;
    let held = proc::sample_or_warn(&t.server_pid);
    let closed_early = traffic.closed.load(Relaxed);
    let (frames, bytes) = (traffic.frames.load(Relaxed), traffic.bytes.load(Relaxed));
    let _ = stop_tx.send(true);
    for h in holders {
        let _ = h.await;
    }

    let kib_per = |from: &Option<proc::Sample>, to: &Option<proc::Sample>, count: usize| match (from, to) {
        (Some(f), Some(t)) => json!(round2((t.rss_kib as f64 - f.rss_kib as f64) / count as f64)),
        _ => json!(null),
    };
    let rss_mib = |s: &Option<proc::Sample>| s.map(|s| round2(s.rss_kib as f64 / 1024.0));
    let result = json!({
        "mode": "idle",
        "nodes": dialer.nodes(),
        "connections": n,
        "users": n_users,
        "room_size": a.room_size,
        "open_secs": round2(open_secs),
        "sockets_per_sec": round2(n as f64 / open_secs),
        "held_secs": a.hold,
        "closed_during_hold": closed_early,
        "close_reasons": *traffic.reasons.lock().unwrap_or_else(|p| p.into_inner()),
        "frames_to_idle_sockets": frames,
        "largest_ready_frame_bytes": crate::ws::READY_MAX_BYTES.load(Relaxed),
        "mib_to_idle_sockets": round2(bytes as f64 / 1048576.0),
        "server_rss_mib_before": rss_mib(&before),
        "server_rss_mib_half": rss_mib(&mid),
        "server_rss_mib_after": rss_mib(&after),
        "server_rss_mib_after_hold": rss_mib(&held),
        "server_kib_per_socket": kib_per(&before, &after, n),
        "server_kib_per_socket_marginal": kib_per(&mid, &after, n - half),
        "bench_rss_mib": tool_after.map(|s| round2(s.rss_kib as f64 / 1024.0)),
    });
    println!("== idle: {} node(s), {n} sockets ({n_users} users, rooms of {})", dialer.nodes(), a.room_size);
    println!("opened in {open_secs:.1} s; {} closed during a {} s hold", closed_early, a.hold);
    if closed_early > 0 {
        println!("close reasons: {}", result["close_reasons"]);
    }
    println!(
        "idle sockets (each following its room-mates' presence) were sent {frames} frames ({:.1} MiB) \
         after their ready frame",
        bytes as f64 / 1048576.0
    );
    println!(
        "server RSS MiB: before {}  half {}  all {}  after hold {}",
        result["server_rss_mib_before"],
        result["server_rss_mib_half"],
        result["server_rss_mib_after"],
        result["server_rss_mib_after_hold"]
    );
    println!(
        "server KiB per idle socket: {} (all, from before)  {} (second half only)",
        result["server_kib_per_socket"], result["server_kib_per_socket_marginal"]
    );
    print_result(&result);
    Ok(())
}

/// What idle sockets were sent: an idle socket should receive next to nothing,
/// so frames here show server work that grows with the number of sockets.
#[derive(Default)]
struct Traffic {
    closed: AtomicU64,
    frames: AtomicU64,
    bytes: AtomicU64,
    /// Close codes (or "error"/"eof") of sockets the server ended.
    reasons: std::sync::Mutex<std::collections::BTreeMap<String, u64>>,
}

impl Traffic {
    fn ended(&self, reason: String) {
        self.closed.fetch_add(1, Relaxed);
        let mut r = self.reasons.lock().unwrap_or_else(|p| p.into_inner());
        *r.entry(reason).or_default() += 1;
    }
}

/// Sends `subscribe`, then reads (and so answers pings) until stopped; counts
/// frames and a socket the server closed.
fn hold(
    mut ws: Ws,
    subscribe: String,
    mut stop: watch::Receiver<bool>,
    traffic: Arc<Traffic>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if let Err(e) = ws.send(Message::text(subscribe)).await {
            traffic.ended(format!("error: {e}"));
            return;
        }
        loop {
            tokio::select! {
                _ = stop.changed() => break,
                msg = ws.next() => match msg {
                    Some(Ok(Message::Close(f))) => {
                        traffic.ended(f.map(|f| format!("{} {}", u16::from(f.code), f.reason)).unwrap_or_default());
                        return;
                    }
                    Some(Err(e)) => {
                        traffic.ended(format!("error: {e}"));
                        return;
                    }
                    None => {
                        traffic.ended("eof".into());
                        return;
                    }
                    Some(Ok(Message::Text(t))) => {
                        traffic.frames.fetch_add(1, Relaxed);
                        traffic.bytes.fetch_add(t.len() as u64, Relaxed);
                    }
                    Some(Ok(_)) => {}
                },
            }
        }
        let _ = ws.close(None).await;
    })
}
