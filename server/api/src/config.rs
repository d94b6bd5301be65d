//! Configuration: one clap tree, every option also an environment variable. The
//! doc comments are the `--help` text. Secrets are wrapped so `Debug` never shows them.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::builder::BoolishValueParser;
use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(name = "artel", version, about = "Artel: team messenger with a CRM inside")]
pub struct Cli {
    #[command(flatten)]
    pub data: DataConfig,
    /// Log format: human-readable text or one JSON object per line.
    #[arg(long, env = "ARTEL_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

// Parsed once at start-up and matched once: the size of the largest variant
// costs nothing, and boxing it would only complicate every caller.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (migrations run first).
    Serve(ServeConfig),
    /// Run database migrations and exit.
    Migrate,
    /// Administration tasks.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Rebuild the search index from the database (with a progress bar).
    Reindex(SearchConfig),
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a workspace and its owner (works at any time, unlike first-run setup).
    CreateOwner(CreateOwnerArgs),
    /// Add a new JWT signing key; the old ones keep verifying until removed.
    RotateJwtKey,
}

#[derive(Debug, Args)]
pub struct CreateOwnerArgs {
    /// Workspace display name.
    #[arg(long)]
    pub workspace: String,
    /// Workspace slug (a-z, 0-9, '-'); derived from the name when omitted.
    #[arg(long)]
    pub slug: Option<String>,
    /// Owner's e-mail (the sign-in name).
    #[arg(long)]
    pub email: String,
    /// Owner's display name.
    #[arg(long)]
    pub name: String,
    /// Owner's password. Prefer the environment variable or --password-stdin so it
    /// does not end up in shell history.
    #[arg(long, env = "ARTEL_OWNER_PASSWORD", hide_env_values = true)]
    pub password: Option<Secret>,
    /// Read the password from the first line of standard input.
    #[arg(long, conflicts_with = "password", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub password_stdin: bool,
    /// Owner's time zone (IANA name).
    #[arg(long, default_value = "Europe/Moscow")]
    pub time_zone: String,
    /// Owner's interface language: ru or en.
    #[arg(long, default_value = "ru")]
    pub language: String,
}

/// Where state lives; shared by every subcommand.
#[derive(Debug, Clone, Args)]
pub struct DataConfig {
    /// Data directory: SQLite file, keys, uploads, search index.
    #[arg(long, env = "ARTEL_DATA_DIR", default_value = "./data", global = true)]
    pub data_dir: PathBuf,
    /// Database URL. Unset: SQLite in the data directory. `postgres://…` for cluster mode.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, global = true)]
    pub database_url: Option<Secret>,
    /// Maximum pooled database connections. Unset: 16 on Postgres; on SQLite,
    /// read connections = twice the CPU cores (each is a thread doing CPU work).
    #[arg(long, env = "ARTEL_DB_MAX_CONNECTIONS", global = true)]
    pub db_max_connections: Option<u32>,
    /// JWT signing secret (at least 32 bytes). Unset: a key generated on first start
    /// and kept in the data directory. Set it on every node of a cluster.
    #[arg(long, env = "ARTEL_JWT_SECRET", hide_env_values = true, global = true)]
    pub jwt_secret: Option<Secret>,
}

#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// Address to listen on.
    #[arg(long, env = "ARTEL_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Public base URL of this server, used in invite links.
    #[arg(long, env = "ARTEL_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Lifetime of access tokens, in seconds.
    #[arg(long, env = "ARTEL_ACCESS_TOKEN_TTL_SECS", default_value_t = 900)]
    pub access_token_ttl_secs: u64,
    /// Lifetime of a sign-in session (refresh-token family), in days.
    #[arg(long, env = "ARTEL_SESSION_TTL_DAYS", default_value_t = 30)]
    pub session_ttl_days: u64,
    /// Failed sign-ins allowed per account within the window before it is locked out.
    #[arg(long, env = "ARTEL_LOGIN_MAX_FAILURES_PER_ACCOUNT", default_value_t = 5)]
    pub login_max_failures_per_account: u32,
    /// Failed sign-ins allowed per client address within the window.
    #[arg(long, env = "ARTEL_LOGIN_MAX_FAILURES_PER_IP", default_value_t = 30)]
    pub login_max_failures_per_ip: u32,
    /// Rate-limit window, in seconds.
    #[arg(long, env = "ARTEL_LOGIN_WINDOW_SECS", default_value_t = 900)]
    pub login_window_secs: u64,
    /// Take the client address from X-Forwarded-For (only behind a trusted proxy).
    #[arg(long, env = "ARTEL_TRUST_PROXY_HEADERS", default_value_t = false, action = ArgAction::SetTrue,
        value_parser = BoolishValueParser::new())]
    pub trust_proxy_headers: bool,
    /// Maximum size of a JSON request body, in bytes.
    #[arg(long, env = "ARTEL_MAX_JSON_BYTES", default_value_t = 64 * 1024)]
    pub max_json_bytes: usize,
    /// Largest accepted attachment upload, in bytes (413 above).
    #[arg(long, env = "ARTEL_MAX_UPLOAD_BYTES", default_value_t = 25 * 1024 * 1024)]
    pub max_upload_bytes: u64,
    /// Redis URL for cluster fan-out between nodes. Unset: in-process fan-out (single node).
    #[arg(long, env = "REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<Secret>,
    /// Redis pub/sub channel the nodes of one cluster share.
    #[arg(long, env = "ARTEL_REDIS_CHANNEL", default_value = "artel:events")]
    pub redis_channel: String,
    /// Browser origins, besides this server itself, allowed to open WebSockets
    /// (comma-separated, e.g. https://chat.example.com).
    #[arg(long, env = "ARTEL_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,
    /// Directory of the built web client (index.html and assets/). Unset: web/dist
    /// when it exists (scripts/run.sh builds it), else the API is served alone.
    #[arg(long, env = "ARTEL_WEB_DIR")]
    pub web_dir: Option<std::path::PathBuf>,
    /// Directory of the built mobile client (PWA), served under /m/. Unset:
    /// mobile/dist when it has index.html (scripts/run.sh builds it).
    #[arg(long, env = "ARTEL_MOBILE_DIR")]
    pub mobile_dir: Option<std::path::PathBuf>,
    /// Argon2id memory cost in KiB (OWASP: 19456). Raising it rehashes passwords at next sign-in.
    #[arg(long, env = "ARTEL_ARGON2_MEMORY_KIB", default_value_t = 19_456, hide = true)]
    pub argon2_memory_kib: u32,
    /// Argon2id iterations (OWASP: 2).
    #[arg(long, env = "ARTEL_ARGON2_ITERATIONS", default_value_t = 2, hide = true)]
    pub argon2_iterations: u32,
    /// Memory all password hashes running at once may take, in MiB: with the
    /// default 19 MiB per hash, 64 lets 3 run together; sign-ins past that wait
    /// briefly, then get 429 with Retry-After.
    #[arg(long, env = "ARTEL_ARGON2_MAX_MEMORY_MIB", default_value_t = 64)]
    pub argon2_max_memory_mib: u64,
    /// Web Push VAPID private key (base64url P-256 scalar). Unset: generated on
    /// first start and kept in the data directory. Set the same on every node.
    #[arg(long, env = "ARTEL_VAPID_PRIVATE_KEY", hide_env_values = true)]
    pub vapid_private_key: Option<Secret>,
    /// VAPID contact (`mailto:` or `https:` URL) push services may use to reach
    /// the operator. Unset: the public URL, else mailto:admin@localhost.
    #[arg(long, env = "ARTEL_VAPID_SUBJECT")]
    pub vapid_subject: Option<String>,
    /// Longest a push service may take to accept one push, in seconds.
    #[arg(long, env = "ARTEL_PUSH_TIMEOUT_SECS", default_value_t = 10)]
    pub push_timeout_secs: u64,
    /// Pushes about one chat to one device are at most one per this many seconds;
    /// what arrives meanwhile is sent as one push with a count.
    #[arg(long, env = "ARTEL_PUSH_COLLAPSE_SECS", default_value_t = 10)]
    pub push_collapse_secs: u64,
    /// Accept plain-http push endpoints on loopback addresses (tests only).
    #[arg(long, env = "ARTEL_PUSH_ALLOW_HTTP_LOOPBACK", default_value_t = false, hide = true,
        action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub push_allow_http_loopback: bool,
    #[command(flatten)]
    pub search: SearchConfig,
}

/// Where the search index lives: Meilisearch when `MEILI_URL` is set, else an
/// embedded index in the data directory.
#[derive(Debug, Clone, Default, Args)]
pub struct SearchConfig {
    /// Meilisearch URL (cluster mode), e.g. http://meili:7700. Unset: embedded index in <data-dir>/search.
    #[arg(long, env = "MEILI_URL")]
    pub meili_url: Option<String>,
    /// Meilisearch API key (the master key or an admin key).
    #[arg(long, env = "ARTEL_MEILI_KEY", hide_env_values = true)]
    pub meili_key: Option<Secret>,
    /// Meilisearch index name (one per Artel cluster).
    #[arg(long, env = "ARTEL_MEILI_INDEX", default_value = "artel")]
    pub meili_index: String,
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: None,
            access_token_ttl_secs: 900,
            session_ttl_days: 30,
            login_max_failures_per_account: 5,
            login_max_failures_per_ip: 30,
            login_window_secs: 900,
            trust_proxy_headers: false,
            max_json_bytes: 64 * 1024,
            max_upload_bytes: 25 * 1024 * 1024,
            redis_url: None,
            redis_channel: "artel:events".to_string(),
            allowed_origins: Vec::new(),
            web_dir: None,
            mobile_dir: None,
            argon2_memory_kib: 19_456,
            argon2_iterations: 2,
            argon2_max_memory_mib: 64,
            vapid_private_key: None,
            vapid_subject: None,
            push_timeout_secs: 10,
            push_collapse_secs: 10,
            push_allow_http_loopback: false,
            search: SearchConfig { meili_index: "artel".into(), ..SearchConfig::default() },
        }
    }
}

/// A string that never shows itself in `Debug` output or logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_string()))
    }
}

impl DataConfig {
    /// The storage part, in the shape artel-store wants.
    pub fn store_config(&self) -> artel_store::StoreConfig {
        artel_store::StoreConfig {
            database_url: self.database_url.as_ref().map(|s| s.expose().to_string()),
            data_dir: self.data_dir.clone(),
            max_connections: self.db_max_connections,
        }
    }
}
