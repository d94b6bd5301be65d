//! Bounds on CSV imports: one at a time per workspace and a few per node. An
//! import holds its file and every parsed row until its single write, so memory
//! grows with the number running; the slot is taken before the body is read, so
//! a refused or waiting request holds no file, and the body must arrive in time
//! so a slow sender cannot keep a slot.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use artel_core::user::User;
use artel_core::workspace::WorkspaceId;
use artel_core::Error;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::crm::clients::{self, ClientRecord};
use crate::crm::csv_io::{self, ImportReport, ImportRequest};
use crate::error::{ApiError, ApiResult};
use crate::extract::Json;
use crate::state::AppState;

/// Imports one workspace may run at once (on one node).
pub const PER_WORKSPACE: usize = 1;
/// Imports one node runs at once, all workspaces together.
pub const PER_NODE: usize = 2;
/// How long an import waits for a node slot before being told to retry.
const WAIT: Duration = Duration::from_secs(5);
/// How long the client has to send the body once it holds a slot.
const BODY_TIMEOUT: Duration = Duration::from_secs(60);
/// What a refused import is told to wait, in seconds.
const RETRY_AFTER_SECS: u64 = 5;

/// The imports running on this node.
pub struct ImportSlots {
    node: Arc<Semaphore>,
    running: Mutex<HashMap<WorkspaceId, usize>>,
}

impl Default for ImportSlots {
    fn default() -> Self {
        Self { node: Arc::new(Semaphore::new(PER_NODE)), running: Mutex::new(HashMap::new()) }
    }
}

/// A running import; its slots free when dropped.
pub struct ImportSlot {
    slots: Arc<ImportSlots>,
    workspace: WorkspaceId,
    _node: Option<OwnedSemaphorePermit>,
}

impl Drop for ImportSlot {
    fn drop(&mut self) {
        let mut running = self.slots.running.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = running.get_mut(&self.workspace) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                running.remove(&self.workspace);
            }
        }
    }
}

impl ImportSlots {
    /// A slot for an import in `workspace`, or `RateLimited` when the workspace
    /// already runs its share or the node stays full for a while.
    pub async fn acquire(self: &Arc<Self>, workspace: WorkspaceId) -> Result<ImportSlot, Error> {
        let busy = || Error::RateLimited { retry_after_secs: RETRY_AFTER_SECS };
        {
            let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
            let n = running.entry(workspace).or_insert(0);
            if *n >= PER_WORKSPACE {
                return Err(busy());
            }
            *n += 1;
        }
        let mut slot = ImportSlot { slots: self.clone(), workspace, _node: None };
        match tokio::time::timeout(WAIT, self.node.clone().acquire_owned()).await {
            Ok(Ok(permit)) => slot._node = Some(permit),
            Ok(Err(_)) => return Err(Error::Internal("import slots closed".into())),
            Err(_) => return Err(busy()),
        }
        Ok(slot)
    }

    /// Imports of the workspace running now (tests wait on it).
    pub fn running(&self, workspace: WorkspaceId) -> usize {
        self.running.lock().unwrap_or_else(|p| p.into_inner()).get(&workspace).copied().unwrap_or(0)
    }
}

/// Checks who may import, takes a slot, then reads and runs the import.
pub async fn import_request<T: ClientRecord>(
    state: &AppState,
    actor: &User,
    req: Request,
) -> ApiResult<ImportReport> {
    clients::can_use(actor)?;
    let _slot = state.imports.acquire(actor.workspace_id).await?;
    let Json(body) = tokio::time::timeout(BODY_TIMEOUT, Json::<ImportRequest>::from_request(req, state))
        .await
        .map_err(|_| {
            ApiError::new(StatusCode::REQUEST_TIMEOUT, "request_timeout", "the file did not arrive in time")
        })??;
    csv_io::import::<T>(state, actor, body).await
}
