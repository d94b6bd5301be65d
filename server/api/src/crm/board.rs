//! Board notifications: a deal or task write logs the board changes it causes
//! (the card as it now is, or its removal) in its own transaction — the use case
//! builds them with `deal_changes` / `task_changes` and hands them to the store —
//! then publishes the logged events, so every watcher's board updates live, in
//! order, on every node, and a crash between commit and publish loses nothing:
//! watchers catch up from the log. Stage edits (a "reload" hint) still log right
//! after their change.

use artel_core::crm::deal::{Deal, DealClients};
use std::collections::HashMap;

use artel_core::crm::entity::{EntityKind, EntityRef};
use artel_core::crm::task::{summarise, DealTaskSummary, Task, TaskStatus};
use artel_core::event::{BoardAppend, BoardChange, BoardEvent};
use artel_core::ports::crm::ClientNames;
use artel_core::ports::tasks::TaskFilter;
use uuid::Uuid;

use crate::state::AppState;

/// Records and publishes one change on a board.
pub async fn record(state: &AppState, workspace: Uuid, pipeline: Uuid, change: BoardChange) {
    match state.store.append_board_event(workspace, pipeline, &change, state.clock.now()).await {
        Ok(event) => state.committer.publish_board(event),
        Err(e) => tracing::warn!(error = %e, %pipeline, "could not record a board change"),
    }
}

/// Publishes board events a write has committed.
pub fn publish(state: &AppState, events: Vec<BoardEvent>) {
    for event in events {
        state.committer.publish_board(event);
    }
}

/// What the deal's card shows of its tasks (empty when they cannot be read:
/// the card is still worth sending).
pub async fn tasks_of(state: &AppState, deal: &Deal) -> DealTaskSummary {
    let filter = TaskFilter {
        deals: vec![deal.id],
        statuses: vec![TaskStatus::Open, TaskStatus::InProgress],
        limit: 0, // all of them: the count must be exact
        ..TaskFilter::default()
    };
    match state.store.list_tasks(deal.workspace_id, &filter).await {
        Ok(tasks) => summarise(&tasks),
        Err(e) => {
            tracing::warn!(error = %e, deal = %deal.id, "could not read a deal's tasks for its card");
            DealTaskSummary::default()
        }
    }
}

/// The names of the deal's client, for its card (none when it has no client,
/// or they cannot be read: the card is still worth sending).
pub async fn clients_of(state: &AppState, deal: &Deal) -> Option<DealClients> {
    if deal.contact_id.is_none() && deal.company_id.is_none() {
        return None;
    }
    match client_names(state, deal.workspace_id, std::slice::from_ref(deal)).await {
        Ok(names) => Some(names.of(deal)),
        Err(e) => {
            tracing::warn!(error = %e, deal = %deal.id, "could not read a deal's client for its card");
            None
        }
    }
}

/// The names of many deals' clients, in one read (a board, a page of the list).
pub async fn client_names(
    state: &AppState,
    workspace: Uuid,
    deals: &[Deal],
) -> artel_core::Result<ClientNames> {
    let contacts: Vec<Uuid> = deals.iter().filter_map(|d| d.contact_id).collect();
    let companies: Vec<Uuid> = deals.iter().filter_map(|d| d.company_id).collect();
    if contacts.is_empty() && companies.is_empty() {
        return Ok(ClientNames::default());
    }
    Ok(state.store.client_names(workspace, &contacts, &companies).await?)
}

/// The board changes a task write causes: a task of a deal changes the deal's
/// card (open tasks, next task) — both deals' cards when the task moved between
/// them. The summary is computed with `after` in place of the stored task, since
/// the write has not happened yet.
pub async fn task_changes(state: &AppState, before: Option<&Task>, after: &Task) -> Vec<BoardAppend> {
    let mut deals: Vec<Uuid> = Vec::new();
    for t in before.into_iter().chain(std::iter::once(after)) {
        if let Some(EntityRef { kind: EntityKind::Deal, id }) = t.entity {
            if !deals.contains(&id) {
                deals.push(id);
            }
        }
    }
    let mut out = Vec::new();
    for id in deals {
        let deal = match state.store.get_deal(after.workspace_id, id).await {
            Ok(deal) => deal,
            Err(e) => {
                tracing::debug!(error = %e, deal = %id, "no card to update for a task");
                continue;
            }
        };
        if deal.archived_at.is_some() {
            continue; // not on any board
        }
        let filter = TaskFilter {
            deals: vec![deal.id],
            statuses: vec![TaskStatus::Open, TaskStatus::InProgress],
            limit: 0,
            ..TaskFilter::default()
        };
        let mut tasks = match state.store.list_tasks(deal.workspace_id, &filter).await {
            Ok(tasks) => tasks,
            Err(e) => {
                tracing::warn!(error = %e, deal = %deal.id, "could not read a deal's tasks for its card");
                continue;
            }
        };
        tasks.retain(|t| t.id != after.id);
        if after.entity == Some(EntityRef { kind: EntityKind::Deal, id: deal.id }) {
            tasks.push(after.clone());
        }
        let summary = summarise(&tasks);
        let clients = clients_of(state, &deal).await;
        out.push(BoardAppend {
            pipeline_id: deal.pipeline_id,
            change: BoardChange::DealUpserted { deal: Box::new(deal), tasks: Some(summary), clients },
        });
    }
    out
}

/// Task summaries of many deals at once (the board).
pub async fn tasks_of_many(
    state: &AppState,
    workspace: Uuid,
    deals: &[Uuid],
) -> artel_core::Result<HashMap<Uuid, DealTaskSummary>> {
    let mut by_deal: HashMap<Uuid, Vec<Task>> = HashMap::new();
    for chunk in deals.chunks(500) {
        let filter = TaskFilter {
            deals: chunk.to_vec(),
            statuses: vec![TaskStatus::Open, TaskStatus::InProgress],
            limit: 0,
            ..TaskFilter::default()
        };
        for t in state.store.list_tasks(workspace, &filter).await? {
            if let Some(e) = t.entity {
                by_deal.entry(e.id).or_default().push(t);
            }
        }
    }
    Ok(by_deal.into_iter().map(|(id, tasks)| (id, summarise(&tasks))).collect())
}

/// The board changes one deal write causes, to log with it.
pub async fn deal_changes(state: &AppState, before: Option<&Deal>, after: &Deal) -> Vec<BoardAppend> {
    let mut out = Vec::new();
    if let Some(b) = before {
        if b.pipeline_id != after.pipeline_id && b.archived_at.is_none() {
            out.push(BoardAppend {
                pipeline_id: b.pipeline_id,
                change: BoardChange::DealRemoved { deal_id: b.id },
            });
        }
    }
    let change = if after.archived_at.is_some() {
        if before.is_some_and(|b| b.archived_at.is_some()) {
            return out;
        }
        BoardChange::DealRemoved { deal_id: after.id }
    } else {
        BoardChange::DealUpserted {
            deal: Box::new(after.clone()),
            tasks: Some(tasks_of(state, after).await),
            clients: clients_of(state, after).await,
        }
    };
    out.push(BoardAppend { pipeline_id: after.pipeline_id, change });
    out
}
