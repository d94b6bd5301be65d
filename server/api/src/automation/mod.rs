//! Automation and integrations: the durable job worker, outgoing webhooks,
//! incoming hooks (chat messages, website leads) and stage automation rules.

pub mod events;
pub mod hooks;
pub mod jobs;
pub mod outbound;
pub mod rules;
pub mod webhooks;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use artel_core::automation::webhook::Webhook;
use artel_core::workspace::WorkspaceId;
use uuid::Uuid;

use crate::state::AppState;

/// How long a node trusts its copy of a workspace's webhook list.
const WEBHOOK_CACHE_TTL: Duration = Duration::from_secs(5);

/// A workspace's webhook list as fetched, with when.
type CachedWebhooks = (Instant, Arc<Vec<Webhook>>);

/// Per-node automation state.
pub struct Automation {
    /// This node's name as a job lease owner.
    pub node_id: Uuid,
    webhooks: Mutex<HashMap<WorkspaceId, CachedWebhooks>>,
    /// Finished passes of the job worker (sweep, then the due jobs).
    pub passes: crate::passes::Passes,
}

impl Default for Automation {
    fn default() -> Self {
        Self {
            node_id: Uuid::now_v7(),
            webhooks: Mutex::new(HashMap::new()),
            passes: crate::passes::Passes::default(),
        }
    }
}

impl Automation {
    pub fn cached_webhooks(&self, workspace: WorkspaceId) -> Option<Arc<Vec<Webhook>>> {
        let map = self.webhooks.lock().unwrap_or_else(|p| p.into_inner());
        map.get(&workspace).filter(|(at, _)| at.elapsed() < WEBHOOK_CACHE_TTL).map(|(_, list)| list.clone())
    }

    pub fn cache_webhooks(&self, workspace: WorkspaceId, list: Arc<Vec<Webhook>>) {
        let mut map = self.webhooks.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 10_000 {
            map.retain(|_, (at, _)| at.elapsed() < WEBHOOK_CACHE_TTL);
        }
        map.insert(workspace, (Instant::now(), list));
    }

    pub fn invalidate_webhooks(&self, workspace: WorkspaceId) {
        self.webhooks.lock().unwrap_or_else(|p| p.into_inner()).remove(&workspace);
    }
}

/// Starts the job worker and the bus follower that feeds `message.created`.
pub async fn start(state: &AppState) -> anyhow::Result<()> {
    let subscription = state.bus.subscribe().await?;
    webhooks::follow_bus(state.clone(), subscription);
    jobs::start(state.clone());
    Ok(())
}
