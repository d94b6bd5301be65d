//! Open-loop fan-out load. Every socket is one user in one room and sends on a
//! fixed schedule (message k of socket i at origin + (i + k·N)/R seconds), whether
//! or not earlier sends were acked. Latency is measured from the *scheduled* time,
//! so a server (or client) that falls behind shows up as latency instead of
//! silently lowering the offered rate (no coordinated omission).

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio::sync::{watch, Semaphore};
use tokio_tungstenite::tungstenite::Message;

use crate::cli::LoadArgs;
use crate::frames::{classify, send_frame, Frame, MsgId};
use crate::stats::{print_result, round2, ErrorCounts, Latency};
use crate::ws::{open_all, Dialer, Ws};
use crate::{proc, setup};

/// The server allows 30 frames/s per socket; stay clear of it so a send is
/// never refused for pacing reasons (that would read as a loss).
pub const MAX_SOCKET_RATE: f64 = 25.0;

/// The run's clock and the counters every socket task adds to.
pub struct Shared {
    pub origin: Instant,
    /// Messages scheduled (or sent) in [from_us, to_us) are measured.
    pub from_us: u64,
    pub to_us: u64,
    pub sent: AtomicU64,
    pub acked: AtomicU64,
    pub refused: AtomicU64,
    /// Σ room size over acked measured messages: the deliveries owed.
    pub expected: AtomicU64,
    /// Distinct (message, receiver) deliveries of measured messages.
    pub delivered: AtomicU64,
}

impl Shared {
    pub fn new(origin: Instant, from: Duration, to: Duration) -> Self {
        Self {
            origin,
            from_us: from.as_micros() as u64,
            to_us: to.as_micros() as u64,
            sent: AtomicU64::new(0),
            acked: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            expected: AtomicU64::new(0),
            delivered: AtomicU64::new(0),
        }
    }

    pub fn now_us(&self) -> u64 {
        Instant::now().saturating_duration_since(self.origin).as_micros() as u64
    }

    pub fn measured(&self, at_us: u64) -> bool {
        (self.from_us..self.to_us).contains(&at_us)
    }

    pub fn window_secs(&self) -> f64 {
        (self.to_us - self.from_us) as f64 / 1e6
    }
}

/// What one socket's reader saw.
#[derive(Default)]
pub struct ReaderReport {
    pub ack: Latency,
    pub delivery: Latency,
    /// Acks and deliveries *received* inside the measured window (throughput).
    pub acks_in_window: u64,
    pub deliveries_in_window: u64,
    pub duplicates: u64,
    pub errors: ErrorCounts,
    /// Why the socket ended before the run did, if it did.
    pub closed: Option<String>,
}

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
    let sampler = tokio::spawn(sample_window(shared.clone(), t.server_pid.clone()));

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

/// Reads acks and deliveries until told to stop, recording latency from the
/// time embedded in each message id.
pub async fn read(
    shared: Arc<Shared>,
    mut stream: SplitStream<Ws>,
    room_size: u64,
    window: Option<Arc<Semaphore>>,
    mut stop: watch::Receiver<bool>,
) -> ReaderReport {
    // Closed-loop senders wait on `window`; every answer to a send frees a slot.
    let answered = || {
        if let Some(w) = &window {
            w.add_permits(1);
        }
    };
    let mut r = ReaderReport::default();
    // (sender, k) of every bench message this socket received: duplicates show here.
    let mut seen: HashSet<u64> = HashSet::new();
    loop {
        let msg = tokio::select! {
            biased;
            _ = stop.changed() => break,
            msg = stream.next() => msg,
        };
        let text = match msg {
            Some(Ok(Message::Text(t))) => t,
            Some(Ok(Message::Close(f))) => {
                r.closed = Some(format!("closed by server: {f:?}"));
                break;
            }
            Some(Ok(_)) => continue,
            Some(Err(e)) => {
                r.closed = Some(format!("socket error: {e}"));
                break;
            }
            None => {
                r.closed = Some("socket ended".into());
                break;
            }
        };
        let now = shared.now_us();
        let in_window = shared.measured(now);
        match classify(&text) {
            Frame::Ack(id) => {
                answered();
                r.acks_in_window += u64::from(in_window);
                if shared.measured(id.at_us) {
                    r.ack.record(now.saturating_sub(id.at_us));
                    shared.acked.fetch_add(1, Relaxed);
                    shared.expected.fetch_add(room_size, Relaxed);
                }
            }
            Frame::Delivery(id) => {
                r.deliveries_in_window += u64::from(in_window);
                let first = seen.insert(id.key());
                if shared.measured(id.at_us) {
                    if first {
                        r.delivery.record(now.saturating_sub(id.at_us));
                        shared.delivered.fetch_add(1, Relaxed);
                    } else {
                        r.duplicates += 1;
                    }
                }
            }
            Frame::Error { code, msg_id } => {
                r.errors.add(code);
                if msg_id.is_some() {
                    answered();
                }
                if msg_id.is_some_and(|id| shared.measured(id.at_us)) {
                    shared.refused.fetch_add(1, Relaxed);
                }
            }
            Frame::Other => {}
        }
    }
    r
}

/// Merges the readers' reports; also returns why sockets ended early.
pub async fn gather(
    readers: Vec<tokio::task::JoinHandle<ReaderReport>>,
) -> Result<(ReaderReport, Vec<String>)> {
    let mut total = ReaderReport::default();
    let mut closed = Vec::new();
    for r in readers {
        let r = r.await?;
        total.ack.merge(&r.ack);
        total.delivery.merge(&r.delivery);
        total.acks_in_window += r.acks_in_window;
        total.deliveries_in_window += r.deliveries_in_window;
        total.duplicates += r.duplicates;
        total.errors.merge(&r.errors);
        closed.extend(r.closed);
    }
    Ok((total, closed))
}

/// Waits until every measured send is answered and every owed delivery has
/// arrived, or the drain time is up (then the rest counts as lost).
pub async fn drain(shared: &Shared, limit: Duration) {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        let answered = shared.acked.load(Relaxed) + shared.refused.load(Relaxed);
        if answered >= shared.sent.load(Relaxed)
            && shared.delivered.load(Relaxed) >= shared.expected.load(Relaxed)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Server, tool and whole-machine CPU at one moment.
#[derive(Debug, Clone, Copy)]
pub struct Moment {
    pub server: proc::Sample,
    pub tool_cpu: f64,
    pub machine_cpu: f64,
}

impl Moment {
    fn now(pids: &[u32]) -> Option<Self> {
        let server = proc::sample_or_warn(pids)?;
        Some(Self { server, tool_cpu: proc::own_cpu_secs(), machine_cpu: proc::machine_busy_secs() })
    }
}

/// Samples at the start and the end of the measured window.
pub async fn sample_window(shared: Arc<Shared>, pids: Vec<u32>) -> (Option<Moment>, Option<Moment>) {
    let at = |us: u64| shared.origin + Duration::from_micros(us);
    tokio::time::sleep_until(at(shared.from_us).into()).await;
    let before = Moment::now(&pids);
    tokio::time::sleep_until(at(shared.to_us).into()).await;
    (before, Moment::now(&pids))
}

/// Adds server CPU per unit of work, server RSS and the tool's own CPU share.
pub fn add_process_figures(
    result: &mut serde_json::Value,
    before: Option<Moment>,
    after: Option<Moment>,
    work: u64,
    per_key: &str,
) {
    let (Some(b), Some(e)) = (before, after) else { return };
    let secs = result["measured_secs"].as_f64().unwrap_or(1.0);
    let server = e.server.cpu_secs - b.server.cpu_secs;
    let tool = e.tool_cpu - b.tool_cpu;
    let machine = e.machine_cpu - b.machine_cpu;
    result["server_cpu_secs"] = json!(round2(server));
    result["server_cpu_cores"] = json!(round2(server / secs));
    result[per_key] = json!(proc::cpu_us_per(&b.server, &e.server, work).map(round2));
    result["server_rss_mib"] = json!(round2(e.server.rss_kib as f64 / 1024.0));
    result["server_peak_rss_mib"] = json!(round2(e.server.hwm_kib as f64 / 1024.0));
    result["tool_cpu_cores"] = json!(round2(tool / secs));
    // Everything else that ran meanwhile (Postgres and Redis count here too).
    result["other_cpu_cores"] = json!(round2(((machine - server - tool) / secs).max(0.0)));
}

pub fn print_process_figures(result: &serde_json::Value) {
    if result.get("server_cpu_secs").is_none() {
        return;
    }
    let per = result
        .as_object()
        .and_then(|o| o.iter().find(|(k, _)| k.ends_with("_per_delivery") || k.ends_with("_per_send")));
    println!(
        "server CPU {} cores ({}: {} µs)   server RSS {} MiB (peak {} MiB)   bench CPU {} cores   \
         other processes {} cores",
        result["server_cpu_cores"],
        per.map(|(k, _)| k.as_str()).unwrap_or("-"),
        per.map(|(_, v)| v.to_string()).unwrap_or_default(),
        result["server_rss_mib"],
        result["server_peak_rss_mib"],
        result["tool_cpu_cores"],
        result["other_cpu_cores"],
    );
}
