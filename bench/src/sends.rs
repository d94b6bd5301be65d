//! Durable sends per second, closed loop: each socket keeps up to `window` sends
//! in flight and paces itself under the server's per-socket frame limit, so the
//! server's commit path, not a refusal, decides the throughput. An ack means the
//! message is committed (group commit), so acked sends/s is the durable rate.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio::sync::{watch, Semaphore};
use tokio_tungstenite::tungstenite::Message;

use crate::cli::SendsArgs;
use crate::frames::{send_frame, MsgId};
use crate::load::MAX_SOCKET_RATE;
use crate::recv::{self, Shared};
use crate::stats::{add_process_figures, print_process_figures, print_result, round2};
use crate::ws::{open_all, Dialer, Ws};
use crate::{proc, setup};

pub async fn run(a: SendsArgs) -> Result<()> {
    let t = &a.target;
    let n = a.connections;
    if n == 0 || a.window == 0 || a.duration <= 0.0 {
        bail!("--connections, --window and --duration must be positive");
    }
    if a.socket_rate <= 0.0 || a.socket_rate > MAX_SOCKET_RATE {
        bail!("--socket-rate must be in (0, {MAX_SOCKET_RATE}]: the server allows 30 frames/s per socket");
    }
    proc::raise_nofile_limit()?;
    let dialer = Dialer::new(&t.url, n, t.source_addrs).await?;
    let (users, rooms) = setup::populate(t, n, a.room_size).await?;
    let sockets = open_all(&dialer, n, t.connect_concurrency, |i| users[i].token.clone()).await?;

    let origin = Instant::now() + Duration::from_secs(1);
    let warm = Duration::from_secs_f64(a.warmup);
    let shared = Arc::new(Shared::new(origin, warm, warm + Duration::from_secs_f64(a.duration)));
    let (stop_tx, stop_rx) = watch::channel(false);
    let sampler = tokio::spawn(proc::sample_window(shared.clone(), t.server_pid.clone()));
    let interval = Duration::from_secs_f64(1.0 / a.socket_rate);
    let mut senders = Vec::with_capacity(n);
    let mut readers = Vec::with_capacity(n);
    for (i, ws) in sockets.into_iter().enumerate() {
        let (sink, stream) = ws.split();
        let room = rooms.iter().find(|r| r.members.contains(&i)).map(|r| (r.id.clone(), r.members.len()));
        let Some((chat_id, room_size)) = room else { bail!("socket {i} has no room") };
        let window = Arc::new(Semaphore::new(a.window));
        // Stagger the sockets' first sends over one pacing interval.
        let start = origin + interval.mul_f64(i as f64 / n as f64);
        let pace = Pace { socket: i as u32, chat_id, start, interval, size: a.message_size };
        senders.push(tokio::spawn(send_closed_loop(shared.clone(), pace, window.clone(), sink)));
        let reader = recv::read(shared.clone(), stream, room_size as u64, Some(window), stop_rx.clone());
        readers.push(tokio::spawn(reader));
    }
    let cap = n as f64 * a.socket_rate;
    eprintln!(
        "sends: {n} sockets, window {} each, ≤ {}/s per socket (client-side cap {cap:.0}/s), warm-up {} s, measure {} s",
        a.window, a.socket_rate, a.warmup, a.duration
    );
    let mut sinks = Vec::with_capacity(n);
    for s in senders {
        sinks.push(s.await?);
    }
    recv::drain(&shared, Duration::from_secs(10)).await;
    let _ = stop_tx.send(true);
    let (total, closed) = recv::gather(readers).await?;
    let (before, after) = sampler.await?;
    drop(sinks);

    let secs = shared.window_secs();
    let acked_per_sec = total.acks_in_window as f64 / secs;
    let capped = acked_per_sec >= 0.9 * cap;
    let mut result = json!({
        "mode": "sends",
        "nodes": dialer.nodes(),
        "connections": n,
        "room_size": a.room_size,
        "window": a.window,
        "socket_rate": a.socket_rate,
        "client_cap_per_sec": cap,
        "message_size": a.message_size,
        "measured_secs": a.duration,
        "sent": shared.sent.load(Relaxed),
        "acked": shared.acked.load(Relaxed),
        "refused": shared.refused.load(Relaxed),
        "acked_sends_per_sec": round2(acked_per_sec),
        "deliveries_per_sec": round2(total.deliveries_in_window as f64 / secs),
        "send_to_ack": total.ack.summary(),
        "capped_by_client_pacing": capped,
        "errors": total.errors.to_json(),
        "sockets_closed_early": closed.len(),
    });
    add_process_figures(&mut result, before, after, total.acks_in_window, "server_cpu_us_per_send");

    println!(
        "== sends: {} node(s), {n} sockets × window {}, ≤ {}/s per socket",
        dialer.nodes(),
        a.window,
        a.socket_rate
    );
    println!(
        "sent {} acked {} refused {}   acked sends/s {acked_per_sec:.0}",
        result["sent"], result["acked"], result["refused"]
    );
    println!("send→ack {} (closed loop: from the actual send)", total.ack.line());
    print_process_figures(&result);
    if total.errors.total() > 0 {
        println!("error frames: {}", result["errors"]);
    }
    if capped {
        println!(
            "NOTE: {acked_per_sec:.0}/s is within 10% of the client-side cap ({cap:.0}/s = sockets × per-socket \
             rate); the per-socket frame limit, not the server, bounds this figure: rerun with more --connections"
        );
    }
    if !closed.is_empty() {
        println!("{} sockets ended early, e.g. {}", closed.len(), closed[0]);
    }
    print_result(&result);
    Ok(())
}

struct Pace {
    socket: u32,
    chat_id: String,
    start: Instant,
    interval: Duration,
    size: usize,
}

/// Sends whenever the window has room, never faster than one per interval: a
/// socket that waited on its window does not catch up in a burst.
async fn send_closed_loop(
    shared: Arc<Shared>,
    p: Pace,
    window: Arc<Semaphore>,
    mut sink: SplitSink<Ws, Message>,
) -> SplitSink<Ws, Message> {
    let mut next = p.start;
    for k in 0u32.. {
        let Ok(permit) = window.acquire().await else { break };
        // The reader returns the slot when the ack (or a refusal) arrives.
        permit.forget();
        next = next.max(Instant::now());
        tokio::time::sleep_until(next.into()).await;
        let at_us = shared.now_us();
        if at_us >= shared.to_us {
            break;
        }
        let frame = send_frame(&p.chat_id, &MsgId { sender: p.socket, k, at_us }, p.size);
        if sink.send(Message::Text(frame.into())).await.is_err() {
            break;
        }
        if shared.measured(at_us) {
            shared.sent.fetch_add(1, Relaxed);
        }
        next += p.interval;
    }
    sink
}
