//! Shared state handed to every handler: the ports and the settings derived from
//! configuration. No globals: tests build as many independent states as they like.

use std::sync::Arc;

use anyhow::Context;
use artel_core::{Bus, Clock, Store, SystemClock};
use chrono::Duration;

use crate::auth::jwt::JwtKeys;
use crate::auth::password::Passwords;
use crate::config::{DataConfig, ServeConfig};
use crate::files::FileStore;
use crate::messaging::committer::Committer;
use crate::messaging::send_checks::SendChecks;
use crate::ws::hub::Hub;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub keys: Arc<JwtKeys>,
    pub passwords: Passwords,
    pub settings: Arc<Settings>,
    pub bus: Arc<dyn Bus>,
    pub hub: Arc<Hub>,
    pub committer: Committer,
    /// Reads the checks of concurrent sends together.
    pub send_checks: SendChecks,
    /// Attachment files, in the data dir.
    pub files: Arc<FileStore>,
    /// Job leases and the webhook cache (per node).
    pub automation: Arc<crate::automation::Automation>,
    /// CSV imports running on this node (bounded: each holds its whole file).
    pub imports: Arc<crate::crm::import_limits::ImportSlots>,
    /// The search backend and its indexer's flags.
    pub search: Arc<crate::search::Search>,
    /// Web Push: the sender, the planner's queue, the delivery worker.
    pub push: Arc<crate::push::Push>,
    /// Plain-http loopback push endpoints are accepted (tests).
    pub push_allow_http_loopback: bool,
    /// Finished passes of the reminder worker.
    pub reminder_passes: crate::passes::Passes,
}

/// Runtime settings, already validated and in the units the code uses.
#[derive(Debug, Clone)]
pub struct Settings {
    pub access_token_ttl: Duration,
    pub session_ttl: Duration,
    pub login_max_failures_per_account: i64,
    pub login_max_failures_per_ip: i64,
    pub login_window: Duration,
    pub trust_proxy_headers: bool,
    pub max_json_bytes: usize,
    pub max_upload_bytes: u64,
    pub public_url: Option<String>,
    pub allowed_origins: Vec<String>,
    /// The built web client to serve, if any.
    pub web_dir: Option<std::path::PathBuf>,
    /// The built mobile client (served under /m/), if any.
    pub mobile_dir: Option<std::path::PathBuf>,
}

impl Settings {
    pub fn from_config(c: &ServeConfig) -> anyhow::Result<Self> {
        anyhow::ensure!(c.access_token_ttl_secs >= 30, "access token TTL must be at least 30 s");
        anyhow::ensure!(c.session_ttl_days >= 1, "session TTL must be at least 1 day");
        anyhow::ensure!(c.login_window_secs >= 1, "login window must be at least 1 s");
        Ok(Self {
            access_token_ttl: Duration::seconds(
                i64::try_from(c.access_token_ttl_secs).context("access TTL")?,
            ),
            session_ttl: Duration::days(i64::try_from(c.session_ttl_days).context("session TTL")?),
            login_max_failures_per_account: i64::from(c.login_max_failures_per_account.max(1)),
            login_max_failures_per_ip: i64::from(c.login_max_failures_per_ip.max(1)),
            login_window: Duration::seconds(i64::try_from(c.login_window_secs).context("login window")?),
            trust_proxy_headers: c.trust_proxy_headers,
            max_json_bytes: c.max_json_bytes.max(1024),
            max_upload_bytes: c.max_upload_bytes.max(1),
            public_url: c.public_url.as_ref().map(|u| u.trim_end_matches('/').to_string()),
            allowed_origins: c
                .allowed_origins
                .iter()
                .map(|o| o.trim().trim_end_matches('/').to_string())
                .filter(|o| !o.is_empty())
                .collect(),
            web_dir: crate::http::web_ui::resolve_dir(c.web_dir.as_deref()),
            mobile_dir: crate::http::web_ui::resolve_dir_or(c.mobile_dir.as_deref(), "mobile/dist"),
        })
    }
}

impl AppState {
    /// Opens the store (running migrations), loads or creates the signing keys.
    pub async fn open(data: &DataConfig, serve: &ServeConfig, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        let settings = Settings::from_config(serve)?;
        let keys = JwtKeys::load_or_create(data)?;
        let passwords = Passwords::new(
            serve.argon2_memory_kib,
            serve.argon2_iterations,
            serve.argon2_max_memory_mib.saturating_mul(1024),
        )?;
        tracing::info!(
            at_once = passwords.parallel(),
            memory_kib_each = serve.argon2_memory_kib,
            "password hashing bounded"
        );
        let store = artel_store::connect(&data.store_config()).await.context("opening the database")?;
        let redis_url = serve.redis_url.as_ref().map(|s| s.expose().to_string());
        let bus = artel_bus::connect(redis_url.as_deref(), &serve.redis_channel)
            .await
            .context("connecting to Redis")?;
        let hub = Arc::new(Hub::default());
        let subscription = bus.subscribe().await.context("subscribing to the bus")?;
        tokio::spawn(hub.clone().run(subscription, store.clone()));
        tokio::spawn(hub.clone().run_presence(bus.clone()));
        tokio::spawn(hub.clone().run_presence_digests());
        let push = open_push(data, serve, store.clone(), clock.clone())?;
        let committer = Committer::start(store.clone(), bus.clone(), push.message_tap());
        let send_checks = SendChecks::start(store.clone());
        let files = Arc::new(FileStore::new(&data.data_dir));
        tokio::spawn({
            let files = files.clone();
            async move { files.sweep_temp().await }
        });
        let search = Arc::new(crate::search::Search::open(data, &serve.search).await?);
        if serve.redis_url.is_some() && serve.search.meili_url.is_none() {
            tracing::warn!(
                "cluster mode with the embedded search index: each node's index only sees what \
                 that node drains; set MEILI_URL so the nodes share one index"
            );
        }
        crate::search::indexer::start(store.clone(), search.clone());
        let state = Self {
            store,
            clock,
            keys: Arc::new(keys),
            passwords,
            settings: Arc::new(settings),
            bus,
            hub,
            committer,
            send_checks,
            files,
            automation: Arc::default(),
            imports: Arc::default(),
            search,
            push,
            push_allow_http_loopback: serve.push_allow_http_loopback,
            reminder_passes: crate::passes::Passes::default(),
        };
        crate::crm::reminders::start(state.clone());
        crate::automation::start(&state).await.context("starting automation")?;
        Ok(state)
    }

    /// The state the binary uses: wall-clock time.
    pub async fn open_default(data: &DataConfig, serve: &ServeConfig) -> anyhow::Result<Self> {
        Self::open(data, serve, Arc::new(SystemClock)).await
    }
}

/// Loads (or creates) the VAPID key and starts the push planner and worker.
fn open_push(
    data: &DataConfig,
    serve: &ServeConfig,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<Arc<crate::push::Push>> {
    let cluster = data.database_url.as_ref().is_some_and(|u| u.expose().starts_with("postgres"));
    if cluster && serve.vapid_private_key.is_none() {
        tracing::warn!(
            "no ARTEL_VAPID_PRIVATE_KEY on PostgreSQL: using this node's own key from its data dir; \
             set the same key on every node or pushes sent by other nodes are rejected"
        );
    }
    let keys = artel_push::VapidKeys::load_or_create(
        &data.data_dir,
        serve.vapid_private_key.as_ref().map(|s| s.expose()),
    )?;
    let subject = serve
        .vapid_subject
        .clone()
        .or_else(|| serve.public_url.clone().filter(|u| u.starts_with("https://")))
        .unwrap_or_else(|| "mailto:admin@localhost".to_string());
    anyhow::ensure!(
        subject.starts_with("mailto:") || subject.starts_with("https://"),
        "ARTEL_VAPID_SUBJECT must be a mailto: or https: URL"
    );
    anyhow::ensure!(serve.push_timeout_secs >= 1, "push timeout must be at least 1 s");
    let timeout = std::time::Duration::from_secs(serve.push_timeout_secs);
    let sender =
        Arc::new(artel_push::WebPushSender::new(keys, subject, timeout, serve.push_allow_http_loopback));
    let settings = crate::push::PushSettings {
        collapse: Duration::seconds(i64::try_from(serve.push_collapse_secs).context("push collapse window")?),
        timeout,
    };
    Ok(crate::push::Push::start(store, clock, sender, settings))
}
