//! Deal use cases: create (with its chat), edit, move between stages, archive.
//! Every change bumps the version (stale writes get 409), records history and,
//! where people care, posts a system message into the deal's chat.

use artel_core::crm::client::tags;
use artel_core::crm::deal::{Deal, DealId, DealPatch};
use artel_core::crm::entity::{EntityKind, EntityRef};
use artel_core::crm::history::{diff, HistoryEntry};
use artel_core::crm::money;
use artel_core::crm::pipeline::{Stage, StageId};
use artel_core::domain_event::Change;
use artel_core::notice::Notice;
use artel_core::user::{Role, User, UserId};
use artel_core::workspace::Workspace;
use artel_core::{Error, Result, StoreError};
use chrono::NaiveDate;
use serde_json::json;
use uuid::Uuid;

use crate::crm::{board, custom_fields, deal_chat};
use crate::events;
use crate::state::AppState;

/// Gap between card positions, so most moves need no renumbering.
const POSITION_STEP: i64 = 1024;
/// Fields whose changes are bookkeeping, not history.
const NOT_HISTORY: &[&str] =
    &["id", "workspace_id", "version", "updated_at", "created_at", "created_by", "chat_id", "position"];

pub struct NewDeal {
    pub title: String,
    pub amount_minor: Option<i64>,
    pub currency: Option<String>,
    pub pipeline_id: Option<Uuid>,
    pub stage_id: Option<Uuid>,
    pub owner_id: Option<UserId>,
    pub participants: Vec<UserId>,
    pub contact_id: Option<Uuid>,
    pub company_id: Option<Uuid>,
    pub expected_close_date: Option<NaiveDate>,
    pub tags: Vec<String>,
    /// Custom field values. `Some` (the API) checks them and the required fields;
    /// `None` (commands, automation, lead capture) starts without any.
    pub custom: Option<serde_json::Map<String, serde_json::Value>>,
}

/// The deal if `user` may see it; a deal one may not see does not exist (404).
pub async fn visible(state: &AppState, user: &User, id: DealId) -> Result<(Deal, Workspace)> {
    let deal = state.store.get_deal(user.workspace_id, id).await.map_err(not_found)?;
    let workspace = state.store.get_workspace(user.workspace_id).await?;
    if !deal.visible_to(user, workspace.settings.deal_visibility) {
        return Err(Error::NotFound("deal"));
    }
    Ok((deal, workspace))
}

/// Editing: anyone who sees the deal, except guests (read-only).
fn can_edit(user: &User) -> Result<()> {
    if user.role == Role::Guest {
        return Err(Error::forbidden("guests cannot change deals"));
    }
    Ok(())
}

fn not_found(e: StoreError) -> Error {
    match e {
        StoreError::NotFound(_) => Error::NotFound("deal"),
        other => other.into(),
    }
}

/// Active users of the workspace, or a 422 naming the field.
async fn people(state: &AppState, actor: &User, field: &str, ids: &[UserId]) -> Result<Vec<UserId>> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        match state.store.get_user(actor.workspace_id, *id).await {
            Ok(u) if u.is_active() => {
                if !out.contains(&u.id) {
                    out.push(u.id);
                }
            }
            Ok(_) | Err(StoreError::NotFound(_)) => {
                return Err(Error::invalid(field, format!("{id} is not an active user of this workspace")))
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(out)
}

/// Checks the client links point at this workspace's records.
async fn check_clients(
    state: &AppState,
    actor: &User,
    contact: Option<Uuid>,
    company: Option<Uuid>,
) -> Result<()> {
    if let Some(id) = contact {
        state.store.get_contact(actor.workspace_id, id).await.map_err(|e| match e {
            StoreError::NotFound(_) => Error::invalid("contact_id", "no such contact"),
            other => other.into(),
        })?;
    }
    if let Some(id) = company {
        state.store.get_company(actor.workspace_id, id).await.map_err(|e| match e {
            StoreError::NotFound(_) => Error::invalid("company_id", "no such company"),
            other => other.into(),
        })?;
    }
    Ok(())
}

/// The stage (of this workspace) a deal goes to, with the pipeline check.
async fn stage(
    state: &AppState,
    actor: &User,
    pipeline: Option<Uuid>,
    stage: Option<StageId>,
) -> Result<Stage> {
    let ws = actor.workspace_id;
    let invalid_stage = || Error::invalid("stage_id", "no such stage in this pipeline");
    let stage = match (pipeline, stage) {
        (_, Some(stage_id)) => state.store.get_stage(ws, stage_id).await.map_err(|e| match e {
            StoreError::NotFound(_) => invalid_stage(),
            other => other.into(),
        })?,
        (Some(pipeline_id), None) => {
            let stages = state.store.list_stages(ws, pipeline_id).await.map_err(|e| match e {
                StoreError::NotFound(_) => Error::invalid("pipeline_id", "no such pipeline"),
                other => other.into(),
            })?;
            stages.into_iter().next().ok_or_else(|| Error::invalid("pipeline_id", "no such pipeline"))?
        }
        (None, None) => {
            let pipelines = state.store.list_pipelines(ws, false).await?;
            let first =
                pipelines.first().ok_or_else(|| Error::invalid("pipeline_id", "create a pipeline first"))?;
            state.store.list_stages(ws, first.id).await?.into_iter().next().ok_or_else(invalid_stage)?
        }
    };
    if pipeline.is_some_and(|p| p != stage.pipeline_id) {
        return Err(invalid_stage());
    }
    let pipeline = state.store.get_pipeline(ws, stage.pipeline_id).await?;
    if pipeline.archived_at.is_some() {
        return Err(Error::invalid("pipeline_id", "the pipeline is archived"));
    }
    Ok(stage)
}

fn title(raw: &str) -> Result<String> {
    let t = raw.trim();
    if t.is_empty() {
        return Err(Error::invalid("title", "must not be empty"));
    }
    if t.chars().count() > 200 || t.chars().any(char::is_control) {
        return Err(Error::invalid("title", "must be at most 200 characters, without control characters"));
    }
    Ok(t.to_string())
}

fn entry(
    deal: &Deal,
    actor: &User,
    field: &str,
    old: serde_json::Value,
    new: serde_json::Value,
) -> HistoryEntry {
    HistoryEntry {
        id: Uuid::now_v7(),
        workspace_id: deal.workspace_id,
        entity: EntityRef { kind: EntityKind::Deal, id: deal.id },
        actor_id: Some(actor.id),
        at: deal.updated_at,
        field: field.to_string(),
        old,
        new,
    }
}

/// Creates a deal at the top of its stage, with its chat and a first history entry.
pub async fn create(state: &AppState, actor: &User, input: NewDeal) -> Result<Deal> {
    can_edit(actor)?;
    let workspace = state.store.get_workspace(actor.workspace_id).await?;
    let title = title(&input.title)?;
    let amount_minor = input.amount_minor.unwrap_or(0);
    let currency = match input.currency.as_deref() {
        Some(c) => money::currency(c)?,
        None => workspace.settings.default_currency.clone(),
    };
    money::Money::new(amount_minor, &currency)?;
    let stage = stage(state, actor, input.pipeline_id, input.stage_id).await?;
    let owner = people(state, actor, "owner_id", &[input.owner_id.unwrap_or(actor.id)]).await?[0];
    let mut participants = people(state, actor, "participants", &input.participants).await?;
    participants.retain(|p| *p != owner);
    check_clients(state, actor, input.contact_id, input.company_id).await?;
    let tags = tags(&input.tags)?;
    let custom = match &input.custom {
        Some(values) => {
            custom_fields::check(state, actor, EntityKind::Deal, &serde_json::Map::new(), Some(values))
                .await?
        }
        None => serde_json::Map::new(),
    };
    let now = state.clock.now();
    let top = state.store.stage_positions(actor.workspace_id, stage.id).await?.first().map(|(_, p)| *p);
    let mut deal = Deal {
        id: Uuid::now_v7(),
        workspace_id: actor.workspace_id,
        title,
        amount_minor,
        currency,
        pipeline_id: stage.pipeline_id,
        stage_id: stage.id,
        position: top.map(|p| p - POSITION_STEP).unwrap_or(0),
        owner_id: owner,
        participants,
        contact_id: input.contact_id,
        company_id: input.company_id,
        expected_close_date: input.expected_close_date,
        loss_reason: None,
        tags,
        custom,
        chat_id: None,
        version: 1,
        created_by: actor.id,
        created_at: now,
        updated_at: now,
        stage_entered_at: now,
        closed_at: stage.kind.is_closed().then_some(now),
        archived_at: None,
    };
    deal.chat_id = Some(deal_chat::create(state, actor, &deal).await?);
    let created = entry(
        &deal,
        actor,
        "created",
        serde_json::Value::Null,
        json!({"title": deal.title, "stage_id": stage.id}),
    );
    let changes = board::deal_changes(state, None, &deal).await;
    // Webhooks, stage rules, the chat's notice and the owner's push follow from
    // the event (see `crate::events`).
    let outbox = events::outbox_for(
        state,
        actor,
        Change::DealCreated { deal: Box::new(deal.clone()), stage: Box::new(stage) },
    );
    let logged = state.store.create_deal(&deal, &[created], &changes, &outbox).await?;
    board::publish(state, logged);
    events::run_now(state, &outbox).await;
    Ok(deal)
}

/// The notice of a new deal: its stage, amount (if any) and owner (if not the actor).
pub async fn created_notice(state: &AppState, actor: &User, deal: &Deal, stage: &str) -> Result<Notice> {
    let owner_name = if deal.owner_id == actor.id {
        None
    } else {
        Some(state.store.get_user(deal.workspace_id, deal.owner_id).await?.name)
    };
    Ok(Notice::DealCreated {
        deal_id: deal.id,
        title: deal.title.clone(),
        stage: stage.to_string(),
        amount_minor: (deal.amount_minor != 0).then_some(deal.amount_minor),
        currency: (deal.amount_minor != 0).then(|| deal.currency.clone()),
        owner_id: owner_name.is_some().then_some(deal.owner_id),
        owner_name,
    })
}

/// The notice of a deal going from one stage to another.
pub fn moved_notice(deal: &Deal, from: &Stage, to: &Stage) -> Notice {
    Notice::DealMoved {
        deal_id: deal.id,
        title: deal.title.clone(),
        from: from.name.clone(),
        to: to.name.clone(),
    }
}

/// Applies an edit based on `expected_version`.
pub async fn update(
    state: &AppState,
    actor: &User,
    id: DealId,
    expected_version: i64,
    patch: DealPatch,
) -> Result<Deal> {
    can_edit(actor)?;
    let (before, _) = visible(state, actor, id).await?;
    check_version(&before, expected_version)?;
    let mut after = before.clone();
    if let Some(t) = &patch.title {
        after.title = title(t)?;
    }
    if let Some(c) = &patch.currency {
        after.currency = money::currency(c)?;
    }
    if let Some(a) = patch.amount_minor {
        after.amount_minor = a;
    }
    money::Money::new(after.amount_minor, &after.currency)?;
    if let Some(owner) = patch.owner_id {
        after.owner_id = people(state, actor, "owner_id", &[owner]).await?[0];
    }
    if let Some(p) = &patch.participants {
        after.participants = people(state, actor, "participants", p).await?;
    }
    let owner = after.owner_id;
    after.participants.retain(|p| *p != owner);
    if let Some(c) = patch.contact_id {
        after.contact_id = c;
    }
    if let Some(c) = patch.company_id {
        after.company_id = c;
    }
    check_clients(state, actor, patch.contact_id.flatten(), patch.company_id.flatten()).await?;
    if let Some(d) = patch.expected_close_date {
        after.expected_close_date = d;
    }
    if let Some(r) = &patch.loss_reason {
        after.loss_reason = r.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(str::to_string);
        if after.loss_reason.as_ref().is_some_and(|r| r.chars().count() > 500) {
            return Err(Error::invalid("loss_reason", "must be at most 500 characters"));
        }
    }
    if let Some(t) = &patch.tags {
        after.tags = tags(t)?;
    }
    if let Some(values) = &patch.custom {
        after.custom =
            custom_fields::check(state, actor, EntityKind::Deal, &before.custom, Some(values)).await?;
    }
    save(state, actor, &before, after, None, 0).await
}

/// Moves the card to a stage (of any pipeline of the workspace) and to `index`
/// within that stage's column (0 = top; `None` = top).
pub async fn move_to(
    state: &AppState,
    actor: &User,
    id: DealId,
    expected_version: i64,
    stage_id: StageId,
    index: Option<usize>,
) -> Result<Deal> {
    move_to_at_depth(state, actor, id, expected_version, stage_id, index, 0).await
}

/// `move_to` for a move that stage automation makes at `depth` (rules triggered
/// by it run one level deeper; past the limit none run).
pub async fn move_to_at_depth(
    state: &AppState,
    actor: &User,
    id: DealId,
    expected_version: i64,
    stage_id: StageId,
    index: Option<usize>,
    depth: u8,
) -> Result<Deal> {
    can_edit(actor)?;
    let (before, _) = visible(state, actor, id).await?;
    check_version(&before, expected_version)?;
    let target = stage(state, actor, None, Some(stage_id)).await?;
    let mut after = before.clone();
    after.position = position_at(state, actor, &before, target.id, index.unwrap_or(0)).await?;
    let from = if before.stage_id == target.id {
        None
    } else {
        Some(state.store.get_stage(actor.workspace_id, before.stage_id).await?)
    };
    after.pipeline_id = target.pipeline_id;
    after.stage_id = target.id;
    save(state, actor, &before, after, from.map(|f| (f, target)), depth).await
}

/// Archives or restores a deal.
pub async fn set_archived(
    state: &AppState,
    actor: &User,
    id: DealId,
    expected_version: i64,
    archived: bool,
) -> Result<Deal> {
    can_edit(actor)?;
    let (before, _) = visible(state, actor, id).await?;
    check_version(&before, expected_version)?;
    if before.archived_at.is_some() == archived {
        return Ok(before);
    }
    let mut after = before.clone();
    after.archived_at = archived.then(|| state.clock.now());
    save(state, actor, &before, after, None, 0).await
}

fn check_version(deal: &Deal, expected: i64) -> Result<()> {
    if deal.version != expected {
        return Err(Error::conflict(
            "stale_version",
            format!("the deal changed meanwhile (version {} now, {expected} given); reload it", deal.version),
        ));
    }
    Ok(())
}

/// A position for the card at `index` in the stage's column (the card itself
/// left out), renumbering the column when neighbours leave no room.
async fn position_at(
    state: &AppState,
    actor: &User,
    deal: &Deal,
    stage: StageId,
    index: usize,
) -> Result<i64> {
    let ws = actor.workspace_id;
    let mut column: Vec<(DealId, i64)> =
        state.store.stage_positions(ws, stage).await?.into_iter().filter(|(id, _)| *id != deal.id).collect();
    let index = index.min(column.len());
    let pick = |col: &[(DealId, i64)]| -> Option<i64> {
        match (index.checked_sub(1).and_then(|i| col.get(i)), col.get(index)) {
            (None, None) => Some(0),
            (None, Some((_, next))) => Some(next - POSITION_STEP),
            (Some((_, prev)), None) => Some(prev + POSITION_STEP),
            (Some((_, prev)), Some((_, next))) => (next - prev > 1).then(|| prev + (next - prev) / 2),
        }
    };
    if let Some(p) = pick(&column) {
        return Ok(p);
    }
    for (i, entry) in column.iter_mut().enumerate() {
        entry.1 = i64::try_from(i).unwrap_or(i64::MAX / 2) * POSITION_STEP;
    }
    state.store.set_positions(ws, &column).await?;
    pick(&column).ok_or_else(|| Error::Internal("no room in the column after renumbering".into()))
}

/// Writes the new state (version + 1) with its history, keeps the chat in step,
/// and tells the chat what moved.
async fn save(
    state: &AppState,
    actor: &User,
    before: &Deal,
    mut after: Deal,
    moved: Option<(Stage, Stage)>,
    depth: u8,
) -> Result<Deal> {
    let now = state.clock.now();
    after.version = before.version + 1;
    after.updated_at = now;
    if let Some((_, to)) = &moved {
        after.stage_entered_at = now;
        after.closed_at = to.kind.is_closed().then_some(now);
    }
    let history = diff(
        after.workspace_id,
        EntityRef { kind: EntityKind::Deal, id: after.id },
        Some(actor.id),
        now,
        &serde_json::to_value(before).map_err(|e| Error::Internal(e.to_string()))?,
        &serde_json::to_value(&after).map_err(|e| Error::Internal(e.to_string()))?,
        &[NOT_HISTORY, &["stage_entered_at", "closed_at"]].concat(),
    );
    let changes = board::deal_changes(state, Some(before), &after).await;
    // The chat's notices and members, webhooks, stage rules and pushes follow
    // from the event (see `crate::events`).
    let change = Change::DealUpdated {
        before: Box::new(before.clone()),
        after: Box::new(after.clone()),
        moved: moved.map(Box::new),
        depth,
    };
    let outbox = events::outbox_for(state, actor, change);
    let logged =
        state.store.update_deal(&after, before.version, &history, &changes, &outbox).await.map_err(|e| {
            match e {
                StoreError::Conflict(_) => {
                    Error::conflict("stale_version", "the deal changed meanwhile; reload it")
                }
                other => other.into(),
            }
        })?;
    board::publish(state, logged);
    events::run_now(state, &outbox).await;
    Ok(after)
}

/// Pushes "this deal is yours now" to its owner (unless they did it).
pub(crate) fn push_assigned(state: &AppState, actor: &User, deal: &Deal) {
    let n = crate::push::planner::record_notification(
        deal.workspace_id,
        deal.owner_id,
        Some(actor.id),
        artel_core::push::PushKind::DealAssigned,
        &deal.title,
        &actor.name,
        deal.id,
    );
    if let Some(n) = n {
        state.push.notify(n);
    }
}
