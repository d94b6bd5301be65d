//! Open-loop fan-out load. Every socket is one user in one room and sends on a
//! fixed schedule (message k of socket i at origin + (i + k·N)/R seconds), whether
//! or not earlier sends were acked. Latency is measured from the *scheduled* time,
//! so a server (or client) that falls behind shows up as latency instead of
//! silently lowering the offered rate (no coordinated omission).

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;

use crate::cli::LoadArgs;
use crate::frames::{send_frame, MsgId};
use crate::recv::{drain, gather, read, Shared};
use crate::stats::{add_process_figures, print_process_figures, print_result, round2};
use crate::ws::{open_all, Dialer, Ws};
use crate::{proc, setup};

/// The server allows 30 frames/s per socket; stay clear of it so a send is
/// never refused for pacing reasons (that would read as a loss).
pub const MAX_SOCKET_RATE: f64 = 25.0;

pub async fn run(a: LoadArgs) -> Result<()> {
    let t = &a.target;
    let n = a.connections;
    if n == 0 || a.rate <= 0.0 || a.duration <= 0.0 {
        bail!("--connections, --rate and --duration must be positive");
    }
    let per_socket = a.rate / n as f64;
    if per_socket > MAX_SOCKET_RATE {
        bail!(
            "{per_socket:.1} sends/s per socket would exceed the server's per-socket frame limit \
             (30/s; the bench keeps under {MAX_SOCKET_RATE}/s): use at least {} --connections",
            (a.rate / MAX_SOCKET_RATE).ceil()
        );
    }
    proc::raise_nofile_limit()?;
    let dialer = Dialer::new(&t.url, n, t.source_addrs).await?;
    let (users, rooms) = setup::populate(t, n, a.room_size).await?;
    let mut room_of = vec![0usize; n];
    for (r, room) in rooms.iter().enumerate() {
        for &m in &room.members {
            room_of[m] = r;
        }
    }
    let sockets = open_all(&dialer, n, t.connect_concurrency, |i| users[i].token.clone()).await?;

    // Start a moment after everything is connected so no socket starts late.
    let origin = Instant::now() + Duration::from_secs(1);
    let warm = Duration::from_secs_f64(a.warmup);
    let shared = Arc::new(Shared::new(origin, warm, warm + Duration::from_secs_f64(a.duration)));
    let (stop_tx, stop_rx) = watch::channel(false);
    let sampler = tokio::spawn(proc::sample_window(shared.clone(), t.server_pid.clone()));

    let interval = Duration::from_secs_f64(n as f64 / a.rate);
    let mut senders = Vec::with_capacity(n);
    let mut readers = Vec::with_capacity(n);
    for (i, ws) in sockets.into_iter().enumerate() {
        let (sink, stream) = ws.split();
        let room = &rooms[room_of[i]];
        let plan = Plan {
            socket: i as u32,
            chat_id: room.id.clone(),
            first: Duration::from_secs_f64(i as f64 / a.rate),
            interval,
            size: a.message_size,
        };
        senders.push(tokio::spawn(send_on_schedule(shared.clone(), plan, sink)));
        let room_size = room.members.len() as u64;
        readers.push(tokio::spawn(read(shared.clone(), stream, room_size, None, stop_rx.clone())));
    }
    eprintln!(
        "load: {n} sockets in {} rooms of {}, {} msg/s ({per_socket:.2}/s per socket), warm-up {} s, measure {} s",
        rooms.len(),
        a.room_size,
        a.rate,
        a.warmup,
        a.duration
    );

    let mut sinks = Vec::with_capacity(n);
    for s in senders {
        sinks.push(s.await?);
    }
    drain(&shared, Duration::from_secs_f64(a.drain)).await;
    let _ = stop_tx.send(true);
    let (total, closed) = gather(readers).await?;
    let (before, after) = sampler.await?;
    drop(sinks);

    let secs = shared.window_secs();
    let expected = shared.expected.load(Relaxed);
    let delivered = shared.delivered.load(Relaxed);
    let deliveries_per_sec = total.deliveries_in_window as f64 / secs;
    let mut result = json!({
        "mode": "load",
        "nodes": dialer.nodes(),
        "connections": n,
        "room_size": a.room_size,
        "rooms": rooms.len(),
        "offered_msgs_per_sec": a.rate,
        "message_size": a.message_size,
        "measured_secs": a.duration,
        "sent": shared.sent.load(Relaxed),
        "acked": shared.acked.load(Relaxed),
        "refused": shared.refused.load(Relaxed),
        "acks_per_sec": round2(total.acks_in_window as f64 / secs),
        "deliveries_per_sec": round2(deliveries_per_sec),
        "expected_deliveries": expected,
        "delivered": delivered,
        "lost_deliveries": expected.saturating_sub(delivered),
        "duplicate_deliveries": total.duplicates,
        "send_to_ack": total.ack.summary(),
        "send_to_delivery": total.delivery.summary(),
        "errors": total.errors.to_json(),
        "sockets_closed_early": closed.len(),
    });
    add_process_figures(&mut result, before, after, total.deliveries_in_window, "server_cpu_us_per_delivery");

    println!(
        "== load: {} node(s), {n} sockets, rooms of {}, {} msg/s offered",
        dialer.nodes(),
        a.room_size,
        a.rate
    );
    println!(
        "sent {} acked {} refused {}   acks/s {:.0}   deliveries/s {:.0}",
        result["sent"], result["acked"], result["refused"], result["acks_per_sec"], deliveries_per_sec
    );
    println!("send→ack      {}", total.ack.line());
    println!("send→delivery {}", total.delivery.line());
    println!(
        "deliveries expected {expected}, received {delivered}, lost {}, duplicated {}",
        expected.saturating_sub(delivered),
        total.duplicates
    );
    print_process_figures(&result);
    if total.errors.total() > 0 {
        println!("error frames: {}", result["errors"]);
    }
    if !closed.is_empty() {
        println!("{} sockets ended early, e.g. {}", closed.len(), closed[0]);
    }
    print_result(&result);
    Ok(())
}

struct Plan {
    socket: u32,
    chat_id: String,
    /// Offset of this socket's first send from the origin.
    first: Duration,
    interval: Duration,
    size: usize,
}

/// Sends on the fixed schedule until the measured window ends; returns the sink
/// so the socket stays open while acks and deliveries drain.
async fn send_on_schedule(
    shared: Arc<Shared>,
    plan: Plan,
    mut sink: SplitSink<Ws, Message>,
) -> SplitSink<Ws, Message> {
    for k in 0u32.. {
        let at = plan.first + plan.interval * k;
        let at_us = at.as_micros() as u64;
        if at_us >= shared.to_us {
            break;
        }
        tokio::time::sleep_until((shared.origin + at).into()).await;
        let id = MsgId { sender: plan.socket, k, at_us };
        let frame = send_frame(&plan.chat_id, &id, plan.size);
        if sink.send(Message::Text(frame.into())).await.is_err() {
            break; // the reader reports why the socket ended
        }
        if shared.measured(at_us) {
            shared.sent.fetch_add(1, Relaxed);
        }
    }
    sink
}
