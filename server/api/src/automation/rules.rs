//! Running stage automation. Triggers become durable jobs whose dedupe key names
//! the occurrence (rule, deal, and the moment the deal entered the stage or the
//! task fell due), so each occurrence runs once however many nodes notice it and
//! however often they restart. A run re-checks that the deal is still where the
//! trigger saw it, acts as the admin who wrote the rule, and records itself in the
//! deal's history. Moves made by rules carry a depth; past `MAX_DEPTH` no further
//! rule runs, so two rules moving a deal back and forth stop.

use artel_core::automation::job::Job;
use artel_core::automation::rule::{self, Action, Assignee, StageRule, Trigger, MAX_DEPTH};
use artel_core::crm::deal::{Deal, DealPatch};
use artel_core::crm::entity::{EntityKind, EntityRef};
use artel_core::crm::history::HistoryEntry;
use artel_core::message::{MessageKind, NewMessage};
use artel_core::user::{Language, User};
use artel_core::StoreError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::automation::jobs::{self, JobError};
use crate::automation::outbound::{self, TargetError};
use crate::crm::tasks::NewTask;
use crate::state::AppState;

pub const RULE_JOB: &str = "rule_run";
pub const CALL_JOB: &str = "rule_call";
/// Rules of one trigger kind examined per sweep.
const SWEEP_RULES: i64 = 500;
/// Deals or tasks per rule per sweep; the rest come next time.
const SWEEP_ITEMS: i64 = 200;

/// What a rule run carries.
#[derive(Debug, Serialize, Deserialize)]
struct Run {
    rule_id: Uuid,
    deal_id: Uuid,
    stage_id: Uuid,
    /// When the deal entered the stage as the trigger saw it.
    entered_at: DateTime<Utc>,
    #[serde(default)]
    task_id: Option<Uuid>,
    depth: u8,
}

/// Queues the runs of the rules on the stage a deal just entered (the rules
/// subscriber of deal events calls it; see `crate::events::rules`).
pub(crate) async fn queue_entered(state: &AppState, deal: &Deal, depth: u8) -> Result<(), StoreError> {
    let rules = state.store.list_rules(deal.workspace_id, deal.stage_id).await?;
    for r in rules.iter().filter(|r| r.active && r.trigger == Trigger::DealEnteredStage) {
        if depth > MAX_DEPTH {
            tracing::info!(deal = %deal.id, rule = %r.id, "automation depth limit reached; rule not run");
            record(state, r, deal.id, json!({"skipped": "depth_limit", "depth": depth})).await?;
            continue;
        }
        // The depth is part of the occurrence: a chain can bring a deal back
        // within the same microsecond (and does, under a test clock).
        let key =
            format!("rule:{}:enter:{}:{}:{depth}", r.id, deal.id, deal.stage_entered_at.timestamp_micros());
        queue(state, r, deal.id, deal.stage_entered_at, None, depth, key).await?;
    }
    Ok(())
}

async fn queue(
    state: &AppState,
    r: &StageRule,
    deal: Uuid,
    entered_at: DateTime<Utc>,
    task_id: Option<Uuid>,
    depth: u8,
    key: String,
) -> Result<bool, StoreError> {
    let run = Run { rule_id: r.id, deal_id: deal, stage_id: r.stage_id, entered_at, task_id, depth };
    let payload = serde_json::to_value(&run).map_err(|e| StoreError::Backend(e.to_string()))?;
    jobs::enqueue(state, r.workspace_id, RULE_JOB, payload, Some(key), chrono::Duration::zero(), 5).await
}

/// Finds idle deals and overdue tasks for the time-based rules and queues their
/// runs (already queued occurrences are skipped by their keys).
pub async fn sweep(state: &AppState) -> Result<(), StoreError> {
    let now = state.clock.now();
    for r in state.store.active_rules_by_trigger("deal_idle_in_stage", SWEEP_RULES).await? {
        let Trigger::DealIdleInStage { days } = r.trigger else { continue };
        let before = now - chrono::Duration::days(i64::from(days));
        for (deal, entered) in
            state.store.deals_idle_in_stage(r.workspace_id, r.stage_id, before, SWEEP_ITEMS).await?
        {
            let key = format!("rule:{}:idle:{deal}:{}", r.id, entered.timestamp_micros());
            queue(state, &r, deal, entered, None, 0, key).await?;
        }
    }
    for r in state.store.active_rules_by_trigger("deal_task_overdue", SWEEP_RULES).await? {
        for (task, deal, due) in
            state.store.overdue_deal_tasks(r.workspace_id, r.stage_id, now, SWEEP_ITEMS).await?
        {
            let key = format!("rule:{}:overdue:{task}:{}", r.id, due.timestamp_micros());
            let entered = state.store.get_deal(r.workspace_id, deal).await?.stage_entered_at;
            queue(state, &r, deal, entered, Some(task), 0, key).await?;
        }
    }
    Ok(())
}

/// Runs one rule occurrence.
pub async fn run(state: &AppState, job: &Job) -> Result<(), JobError> {
    let run: Run = serde_json::from_value(job.payload.clone())
        .map_err(|e| JobError::Fatal(format!("bad rule payload: {e}")))?;
    let ws = job.workspace_id;
    let r = match state.store.get_rule(ws, run.rule_id).await {
        Ok(r) if r.active => r,
        Ok(_) | Err(StoreError::NotFound(_)) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    let deal = match state.store.get_deal(ws, run.deal_id).await {
        Ok(d) => d,
        Err(StoreError::NotFound(_)) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    // The deal moved on (or left and came back) since the trigger: that occurrence is over.
    if deal.stage_id != run.stage_id || deal.stage_entered_at != run.entered_at || deal.archived_at.is_some()
    {
        return Ok(());
    }
    let actor = match state.store.get_user(ws, r.created_by).await {
        Ok(u) if u.is_active() && u.role.is_admin() => u,
        Ok(_) | Err(StoreError::NotFound(_)) => {
            return Err(JobError::Fatal("the rule's author can no longer run automation".into()))
        }
        Err(e) => return Err(e.into()),
    };
    if let Trigger::DealIdleInStage { days } = r.trigger {
        let stage = state.store.get_stage(ws, deal.stage_id).await?;
        post(state, &deal, idle_nudge(actor.language, days, &stage.name)).await?;
    }
    let done = act(state, &r, &actor, &deal, run.depth, job.id).await?;
    record(state, &r, deal.id, json!({"trigger": r.trigger, "action": done, "job_id": job.id})).await?;
    Ok(())
}

/// Carries out the action; returns what to record.
async fn act(
    state: &AppState,
    r: &StageRule,
    actor: &User,
    deal: &Deal,
    depth: u8,
    job: Uuid,
) -> Result<serde_json::Value, JobError> {
    match &r.action {
        Action::CreateTask { title, assignee, due_in_hours } => {
            let assignee = match assignee {
                Assignee::DealOwner => deal.owner_id,
                Assignee::User { user_id } => *user_id,
            };
            let due = due_in_hours
                .map(|h| (state.clock.now() + chrono::Duration::hours(i64::from(h))).to_rfc3339());
            let task = crate::crm::tasks::create(
                state,
                actor,
                NewTask {
                    title: rule::render(title, &deal.title).chars().take(200).collect(),
                    description: None,
                    assignees: Some(vec![assignee]),
                    due,
                    priority: None,
                    kind: None,
                    entity: Some(EntityRef { kind: EntityKind::Deal, id: deal.id }),
                    parent_id: None,
                    recurrence: None,
                    reminders: Vec::new(),
                },
            )
            .await?;
            Ok(json!({"type": "create_task", "task_id": task.id}))
        }
        Action::PostMessage { text } => {
            // The admin's text is markdown; the deal's title in it is quoted as text.
            post(state, deal, rule::render(text, &artel_core::markdown::escape(&deal.title))).await?;
            Ok(json!({"type": "post_message"}))
        }
        Action::SetOwner { user_id } => {
            if deal.owner_id != *user_id {
                let patch = DealPatch { owner_id: Some(*user_id), ..DealPatch::default() };
                crate::crm::deals::update(state, actor, deal.id, deal.version, patch).await?;
            }
            Ok(json!({"type": "set_owner", "user_id": user_id}))
        }
        Action::MoveToStage { stage_id } => {
            if deal.stage_id == *stage_id {
                return Ok(
                    json!({"type": "move_to_stage", "stage_id": stage_id, "skipped": "already_there"}),
                );
            }
            if depth >= MAX_DEPTH {
                return Ok(json!({"type": "move_to_stage", "stage_id": stage_id, "skipped": "depth_limit"}));
            }
            crate::crm::deals::move_to_at_depth(
                state,
                actor,
                deal.id,
                deal.version,
                *stage_id,
                None,
                depth + 1,
            )
            .await?;
            Ok(json!({"type": "move_to_stage", "stage_id": stage_id, "depth": depth + 1}))
        }
        Action::CallWebhook { url } => {
            let payload = json!({"url": url, "rule_id": r.id, "deal": deal});
            jobs::enqueue(
                state,
                r.workspace_id,
                CALL_JOB,
                payload,
                Some(format!("call:{job}")),
                chrono::Duration::zero(),
                6,
            )
            .await?;
            Ok(json!({"type": "call_webhook"}))
        }
    }
}

/// A message from Artel in the deal's chat.
async fn post(state: &AppState, deal: &Deal, body: String) -> Result<(), JobError> {
    let Some(chat) = deal.chat_id else { return Ok(()) };
    let message = NewMessage {
        id: Uuid::now_v7(),
        workspace_id: deal.workspace_id,
        chat_id: chat,
        author_id: None,
        kind: MessageKind::Bot,
        body,
        thread_root_id: None,
        client_msg_id: None,
        mentions: Vec::new(),
        mentions_all: false,
        created_at: state.clock.now(),
        attachment_ids: Vec::new(),
        author_must_be_member: false,
        notice: None,
    };
    state.committer.append(message).await?;
    Ok(())
}

/// "No movement for 5 days", in the rule author's language.
pub fn idle_nudge(language: Language, days: u32, stage: &str) -> String {
    let stage = artel_core::markdown::escape(stage);
    match language {
        Language::Ru => format!("Сделка без движения {days} {} на этапе «{stage}»", days_ru(days)),
        Language::En => {
            format!("No movement for {days} day{} in stage “{stage}”", if days == 1 { "" } else { "s" })
        }
    }
}

fn days_ru(n: u32) -> &'static str {
    match (n % 10, n % 100) {
        (1, r) if r != 11 => "день",
        (2..=4, r) if !(12..=14).contains(&r) => "дня",
        _ => "дней",
    }
}

/// A history entry on the deal: which rule ran and what it did.
async fn record(
    state: &AppState,
    r: &StageRule,
    deal: Uuid,
    what: serde_json::Value,
) -> Result<(), StoreError> {
    let entry = HistoryEntry {
        id: Uuid::now_v7(),
        workspace_id: r.workspace_id,
        entity: EntityRef { kind: EntityKind::Deal, id: deal },
        actor_id: Some(r.created_by),
        at: state.clock.now(),
        field: "automation".into(),
        old: serde_json::Value::Null,
        new: json!({"rule_id": r.id, "result": what}),
    };
    state.store.append_history(&[entry]).await?;
    // The run's history entry is written after its effect (whose own board event
    // has gone out already): one more card event tells open deal cards that the
    // history grew, so "the rule made a task" shows without a reload.
    match state.store.get_deal(r.workspace_id, deal).await {
        Ok(d) if d.archived_at.is_none() => {
            for append in crate::crm::board::deal_changes(state, None, &d).await {
                crate::crm::board::record(state, d.workspace_id, append.pipeline_id, append.change).await;
            }
        }
        Ok(_) => {}
        Err(e) => tracing::debug!(error = %e, %deal, "no card to refresh after a rule run"),
    }
    Ok(())
}

/// A rule's `call_webhook`: POSTs the deal to the URL (SSRF rules as webhooks).
pub async fn call(state: &AppState, job: &Job) -> Result<(), JobError> {
    let url = job.payload["url"].as_str().unwrap_or_default();
    let url = outbound::parse_url("url", url).map_err(|e| JobError::Fatal(e.to_string()))?;
    let settings = state.store.integration_settings(job.workspace_id).await?;
    let addr = outbound::resolve(&url, settings.allow_private_targets).await.map_err(|e| match e {
        TargetError::Refused(m) => JobError::Fatal(m),
        TargetError::Unresolvable(m) => JobError::Retry(m),
    })?;
    let body =
        json!({"event": "automation.rule", "rule_id": job.payload["rule_id"], "deal": job.payload["deal"]});
    let body = serde_json::to_vec(&body).map_err(|e| JobError::Fatal(e.to_string()))?;
    // Signed under the rule's secret the way webhooks are, so the receiver can
    // tell this call from a forged one; a rule deleted since has nothing to sign with.
    let rule_id = job.payload["rule_id"].as_str().and_then(|s| s.parse::<Uuid>().ok());
    let rule_id = rule_id.ok_or_else(|| JobError::Fatal("the job names no rule".into()))?;
    let rule = match state.store.get_rule(job.workspace_id, rule_id).await {
        Ok(r) => r,
        Err(StoreError::NotFound(_)) => return Err(JobError::Fatal("the rule was deleted".into())),
        Err(e) => return Err(e.into()),
    };
    let unix = state.clock.now().timestamp();
    let headers = [
        ("x-artel-signature", outbound::signature(&rule.secret, unix, &body)),
        ("x-artel-event", "automation.rule".to_string()),
        ("x-artel-delivery", job.id.to_string()),
        ("x-artel-attempt", job.attempts.to_string()),
    ];
    let result = outbound::post(&url, addr, &headers, body).await;
    if result.ok() {
        Ok(())
    } else {
        Err(JobError::Retry(result.error.unwrap_or_else(|| "call failed".into())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nudges_in_both_languages() {
        assert_eq!(idle_nudge(Language::En, 5, "Offer"), "No movement for 5 days in stage “Offer”");
        assert_eq!(idle_nudge(Language::En, 1, "Offer"), "No movement for 1 day in stage “Offer”");
        assert_eq!(idle_nudge(Language::Ru, 5, "КП"), "Сделка без движения 5 дней на этапе «КП»");
        assert_eq!(idle_nudge(Language::Ru, 2, "КП"), "Сделка без движения 2 дня на этапе «КП»");
        assert_eq!(idle_nudge(Language::Ru, 21, "КП"), "Сделка без движения 21 день на этапе «КП»");
        assert_eq!(idle_nudge(Language::Ru, 11, "КП"), "Сделка без движения 11 дней на этапе «КП»");
    }
}
