//! Opening authenticated sockets: loopback targets only, source addresses spread
//! over 127.0.0.x, TCP_NODELAY, then the `auth` frame and the server's `ready`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

pub type Ws = WebSocketStream<TcpStream>;

/// Sockets per source address when the count is chosen automatically: well under
/// the ~28k ephemeral ports one address has.
const SOCKETS_PER_SOURCE: usize = 10_000;
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// Client read buffer. tungstenite's default (128 KiB) is zero-filled before the
/// first read, so every socket would keep 128 KiB resident: gigabytes for the
/// idle test's sockets, on the machine the server is measured on.
const READ_BUFFER: usize = 16 * 1024;

struct Node {
    addr: SocketAddr,
    ws_url: String,
}

pub struct Dialer {
    nodes: Vec<Node>,
    sources: Vec<IpAddr>,
}

impl Dialer {
    /// Resolves every URL and refuses anything that is not a loopback address:
    /// this tool generates real load and must never point at another machine.
    pub async fn new(urls: &[String], sockets: usize, source_addrs: u32) -> Result<Self> {
        let mut nodes = Vec::new();
        for url in urls {
            let hostport = url
                .strip_prefix("http://")
                .with_context(|| format!("{url}: only http:// URLs (loopback) are supported"))?
                .split('/')
                .next()
                .unwrap_or_default();
            let addr = tokio::net::lookup_host(hostport)
                .await
                .with_context(|| format!("resolving {hostport}"))?
                .next()
                .with_context(|| format!("{hostport} resolves to nothing"))?;
            if !addr.ip().is_loopback() {
                bail!("{url} is not a loopback address; artel-bench only targets this machine");
            }
            nodes.push(Node { addr, ws_url: format!("ws://{hostport}/api/v1/ws") });
        }
        if nodes.is_empty() {
            bail!("no --url given");
        }
        let n_sources = match source_addrs {
            0 => sockets.div_ceil(SOCKETS_PER_SOURCE).max(1),
            n => n as usize,
        };
        let sources = if nodes.iter().all(|n| n.addr.is_ipv4()) {
            // 127.0.0.2 upward: all of 127/8 is loopback on Linux, and a separate
            // source address gives a separate ephemeral-port space.
            (0..n_sources.min(250)).map(|i| IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2 + i as u8))).collect()
        } else {
            vec![IpAddr::from([0u16, 0, 0, 0, 0, 0, 0, 1])]
        };
        Ok(Self { nodes, sources })
    }

    pub fn nodes(&self) -> usize {
        self.nodes.len()
    }

    /// Socket `i` goes to node `i % nodes` from source `i % sources`; with several
    /// nodes the members of a room sit on different nodes, so fan-out crosses Redis.
    pub async fn open(&self, i: usize, token: &str) -> Result<Ws> {
        let node = &self.nodes[i % self.nodes.len()];
        let source = self.sources[i % self.sources.len()];
        let socket = if source.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
        socket.bind(SocketAddr::new(source, 0)).with_context(|| format!("binding {source}"))?;
        let stream = socket.connect(node.addr).await.with_context(|| format!("connecting {}", node.addr))?;
        // Frames are small and latency is what we measure: no Nagle delay.
        stream.set_nodelay(true)?;
        let config = WebSocketConfig::default().read_buffer_size(READ_BUFFER);
        let (mut ws, _) =
            tokio_tungstenite::client_async_with_config(node.ws_url.as_str(), stream, Some(config)).await?;
        let auth = json!({"type": "auth", "token": token});
        ws.send(Message::Text(auth.to_string().into())).await?;
        tokio::time::timeout(READY_TIMEOUT, wait_ready(&mut ws)).await.context("no ready within 30 s")??;
        Ok(ws)
    }
}

/// Largest `ready` frame seen: it carries per-workspace state (presence), so its
/// size shows what every new socket costs the server to encode and send.
pub static READY_MAX_BYTES: AtomicU64 = AtomicU64::new(0);

async fn wait_ready(ws: &mut Ws) -> Result<()> {
    while let Some(msg) = ws.next().await {
        match msg? {
            Message::Text(t) if t.starts_with(r#"{"type":"ready""#) => {
                READY_MAX_BYTES.fetch_max(t.len() as u64, Relaxed);
                return Ok(());
            }
            Message::Text(t) => bail!("expected ready, got {t}"),
            Message::Close(f) => bail!("closed before ready: {f:?}"),
            _ => {}
        }
    }
    bail!("socket ended before ready")
}

/// Opens sockets `0..count` (`token_of(i)` for socket `i`), `concurrency` at a
/// time, reporting progress; fails on the first socket that cannot be opened.
pub async fn open_all(
    dialer: &Dialer,
    count: usize,
    concurrency: usize,
    token_of: impl Fn(usize) -> String,
) -> Result<Vec<Ws>> {
    open_range(dialer, 0, count, concurrency, token_of).await
}

/// Opens sockets `from..to`; the index picks node and source address.
pub async fn open_range(
    dialer: &Dialer,
    from: usize,
    to: usize,
    concurrency: usize,
    token_of: impl Fn(usize) -> String,
) -> Result<Vec<Ws>> {
    use futures_util::{stream, TryStreamExt};
    let started = std::time::Instant::now();
    let token_of = &token_of;
    let count = to - from;
    let sockets: Vec<Ws> = stream::iter(from..to)
        .map(|i| async move {
            let ws = dialer.open(i, &token_of(i)).await.with_context(|| format!("socket {i}"))?;
            if (i + 1) % 2000 == 0 {
                eprintln!("  {} sockets open", i + 1);
            }
            Ok::<_, anyhow::Error>(ws)
        })
        .buffered(concurrency.max(1))
        .try_collect()
        .await?;
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "opened {count} sockets in {secs:.1} s ({:.0}/s); largest ready frame {} bytes",
        count as f64 / secs,
        READY_MAX_BYTES.load(Relaxed)
    );
    Ok(sockets)
}
