//! Command line: one subcommand per measurement, sharing the options that say
//! where the server is and how to get an owner account on it.

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "artel-bench",
    version,
    about = "Load generator for Artel's real-time path (loopback servers only)",
    long_about = "Load generator for Artel's real-time path. Every run creates its own users and \
                  rooms through the public API, so a server can be reused across runs. Only \
                  loopback addresses are accepted as targets."
)]
pub struct Cli {
    #[command(subcommand)]
    pub mode: Mode,
}

#[derive(Debug, Subcommand)]
pub enum Mode {
    /// Open-loop fan-out: R messages/s into rooms of M members; send→ack and
    /// send→delivery latency from the scheduled send time, lost and duplicate deliveries.
    Load(LoadArgs),
    /// Closed-loop durable sends: every socket keeps a window of sends in flight
    /// (paced under the server's per-socket frame limit); acked sends per second.
    Sends(SendsArgs),
    /// N authenticated idle sockets; server memory per idle socket.
    Idle(IdleArgs),
    /// Search on N generated messages (in-process server on a fresh data dir):
    /// reindex time, index size, query latency, send → searchable.
    Search(SearchArgs),
}

#[derive(Debug, Clone, Args)]
pub struct SearchArgs {
    /// Messages to generate.
    #[arg(long, default_value_t = 1_000_000)]
    pub messages: u64,
    /// Chats they are spread over.
    #[arg(long, default_value_t = 200)]
    pub chats: usize,
    /// Members besides the owner (every chat has all of them).
    #[arg(long, default_value_t = 5)]
    pub people: usize,
    /// Timed runs of each query.
    #[arg(long, default_value_t = 200)]
    pub repeats: usize,
    /// Sends timed until searchable.
    #[arg(long, default_value_t = 50)]
    pub probes: usize,
    /// Data dir (default: a temporary one, removed afterwards).
    #[arg(long)]
    pub data_dir: Option<std::path::PathBuf>,
    /// Postgres URL (default: SQLite in the data dir).
    #[arg(long)]
    pub database_url: Option<String>,
}

/// Where the server is and how the run gets an owner account.
#[derive(Debug, Clone, Args)]
pub struct Target {
    /// Server base URLs, comma-separated; sockets are spread over them round-robin
    /// (setup requests go to the first). Loopback addresses only.
    #[arg(long, value_delimiter = ',', default_value = "http://127.0.0.1:8080")]
    pub url: Vec<String>,
    /// Do first-run setup with the owner credentials below (fresh server).
    #[arg(long, conflicts_with = "login")]
    pub setup: bool,
    /// Sign in as an existing owner instead (server already set up).
    #[arg(long)]
    pub login: bool,
    #[arg(long, default_value = "owner@bench.test")]
    pub owner_email: String,
    #[arg(long, default_value = "bench-owner-password")]
    pub owner_password: String,
    #[arg(long, default_value = "Bench")]
    pub workspace: String,
    /// Server process ids (comma-separated) to sample CPU time and RSS from /proc.
    #[arg(long, value_delimiter = ',')]
    pub server_pid: Vec<u32>,
    /// HTTP requests in flight while creating users and rooms. Bounded because each
    /// accept hashes a password on the server's blocking pool.
    #[arg(long, default_value_t = 16)]
    pub setup_concurrency: usize,
    /// Sockets opening at once.
    #[arg(long, default_value_t = 64)]
    pub connect_concurrency: usize,
    /// Client source addresses (127.0.0.2, 127.0.0.3, …) to spread sockets over;
    /// 0 = one per 10,000 sockets. One address has only ~28k ephemeral ports.
    #[arg(long, default_value_t = 0)]
    pub source_addrs: u32,
}

#[derive(Debug, Clone, Args)]
pub struct LoadArgs {
    #[command(flatten)]
    pub target: Target,
    /// Sockets, one user each; every socket both sends and receives.
    #[arg(long, default_value_t = 100)]
    pub connections: usize,
    /// Members per room (N/M rooms; the last one may be smaller).
    #[arg(long, default_value_t = 10)]
    pub room_size: usize,
    /// Total messages per second over all sockets (open loop).
    #[arg(long, default_value_t = 100.0)]
    pub rate: f64,
    /// Message body size in bytes.
    #[arg(long, default_value_t = 100)]
    pub message_size: usize,
    /// Measured seconds (after the warm-up).
    #[arg(long, default_value_t = 20.0)]
    pub duration: f64,
    /// Seconds of load before measuring starts.
    #[arg(long, default_value_t = 5.0)]
    pub warmup: f64,
    /// Seconds to wait after the last send for outstanding acks and deliveries.
    #[arg(long, default_value_t = 10.0)]
    pub drain: f64,
}

#[derive(Debug, Clone, Args)]
pub struct SendsArgs {
    #[command(flatten)]
    pub target: Target,
    /// Sending sockets, one user each.
    #[arg(long, default_value_t = 400)]
    pub connections: usize,
    /// Members per room; 1 keeps fan-out (and client CPU) to the sender itself.
    #[arg(long, default_value_t = 1)]
    pub room_size: usize,
    /// Sends in flight per socket.
    #[arg(long, default_value_t = 8)]
    pub window: usize,
    /// Most frames per second per socket; keep under the server's 30/s limit.
    #[arg(long, default_value_t = 25.0)]
    pub socket_rate: f64,
    #[arg(long, default_value_t = 100)]
    pub message_size: usize,
    #[arg(long, default_value_t = 20.0)]
    pub duration: f64,
    #[arg(long, default_value_t = 5.0)]
    pub warmup: f64,
}

#[derive(Debug, Clone, Args)]
pub struct IdleArgs {
    #[command(flatten)]
    pub target: Target,
    /// Idle sockets to open.
    #[arg(long, default_value_t = 1000)]
    pub connections: usize,
    /// Distinct users behind the sockets (0 = one per socket); sockets share users
    /// round-robin, like one person with several devices.
    #[arg(long, default_value_t = 0)]
    pub users: usize,
    /// Members per room, so each socket follows a chat as a real client would.
    #[arg(long, default_value_t = 10)]
    pub room_size: usize,
    /// Seconds to hold the sockets open after the last one is ready (at least one
    /// server heartbeat, 20 s, to see that idle sockets survive it).
    #[arg(long, default_value_t = 30.0)]
    pub hold: f64,
    /// Seconds to let the server settle before each RSS sample.
    #[arg(long, default_value_t = 3.0)]
    pub settle: f64,
}
