//! Storage for automation: the job queue (claimed with leases), webhooks and
//! their delivery log, secret incoming hooks, stage rules, and the queries the
//! time-based triggers sweep with.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::automation::hook::{ChatHook, LeadKey, LeadRecord};
use crate::automation::job::{Job, JobStats, JobStatus};
use crate::automation::rule::StageRule;
use crate::automation::webhook::{IntegrationSettings, Webhook, WebhookDelivery};
use crate::ports::store::StoreResult;
use crate::workspace::WorkspaceId;

#[async_trait]
pub trait JobStore: Send + Sync {
    /// Inserts a job; false (and nothing written) when its dedupe key exists.
    async fn enqueue_job(&self, job: &Job) -> StoreResult<bool>;
    /// Reads a job (tests and diagnostics).
    async fn get_job(&self, id: Uuid) -> StoreResult<Job>;
    /// Claims up to `limit` due jobs (pending, `run_at <= now`, lease free or
    /// expired) for `owner` until `lease_until`, counting the attempt; a job is
    /// claimed by one caller only.
    async fn claim_jobs(
        &self,
        owner: Uuid,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<Job>>;
    /// Claims these jobs for `owner` until `lease_until` (those still pending with
    /// their lease free or expired, whatever their `run_at`): a write running its
    /// own subscriber jobs right after its commit.
    async fn claim_jobs_by_id(
        &self,
        ids: &[Uuid],
        owner: Uuid,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> StoreResult<Vec<Job>>;
    /// A domain event from the outbox.
    async fn domain_event(&self, id: Uuid) -> StoreResult<crate::domain_event::DomainEvent>;
    /// Marks a claimed job done (false if the lease was lost meanwhile).
    async fn finish_job(&self, id: Uuid, owner: Uuid, now: DateTime<Utc>) -> StoreResult<bool>;
    /// Releases a claimed job to run again at `run_at`, keeping the error.
    async fn retry_job(
        &self,
        id: Uuid,
        owner: Uuid,
        run_at: DateTime<Utc>,
        error: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Gives a claimed job up for good.
    async fn fail_job(&self, id: Uuid, owner: Uuid, error: &str, now: DateTime<Utc>) -> StoreResult<bool>;
    /// The workspace's jobs in `status`, most recently changed first: the dead
    /// letters (failed) an admin looks at, or what waits (pending).
    async fn list_jobs(&self, workspace: WorkspaceId, status: JobStatus, limit: i64)
        -> StoreResult<Vec<Job>>;
    /// How the workspace's queue stands at `now`.
    async fn job_stats(&self, workspace: WorkspaceId, now: DateTime<Utc>) -> StoreResult<JobStats>;
    /// Puts a failed job back in the queue, due at `now`, with one more attempt
    /// allowed; false (nothing changed) when it is not a failed job of the workspace.
    async fn requeue_failed_job(
        &self,
        workspace: WorkspaceId,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Deletes finished jobs of the given kinds last changed before `before`, and
    /// domain events created before it; returns how many rows went. Failed jobs
    /// stay (they are the dead letters), and so do kinds not named: their
    /// dedupe keys are what keeps a rule occurrence from running twice.
    async fn prune_jobs(&self, kinds: &[&str], before: DateTime<Utc>) -> StoreResult<u64>;
    /// Jobs of the workspace whose dedupe key starts with `prefix`, oldest first.
    async fn jobs_by_key_prefix(&self, workspace: WorkspaceId, prefix: &str) -> StoreResult<Vec<Job>>;
}

#[async_trait]
pub trait IntegrationStore: Send + Sync {
    /// The workspace's integration settings (defaults when never set).
    async fn integration_settings(&self, workspace: WorkspaceId) -> StoreResult<IntegrationSettings>;
    /// Replaces the workspace's integration settings.
    async fn set_integration_settings(
        &self,
        workspace: WorkspaceId,
        settings: IntegrationSettings,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Inserts a webhook.
    async fn create_webhook(&self, webhook: &Webhook) -> StoreResult<()>;
    /// Reads a webhook of the workspace.
    async fn get_webhook(&self, workspace: WorkspaceId, id: Uuid) -> StoreResult<Webhook>;
    /// The workspace's webhooks, oldest first.
    async fn list_webhooks(&self, workspace: WorkspaceId) -> StoreResult<Vec<Webhook>>;
    /// Replaces a webhook's name, URL, events and active flag.
    async fn update_webhook(&self, webhook: &Webhook) -> StoreResult<()>;
    /// Deletes a webhook and its delivery log.
    async fn delete_webhook(&self, workspace: WorkspaceId, id: Uuid) -> StoreResult<()>;
    /// Appends to a webhook's delivery log.
    async fn record_delivery(&self, delivery: &WebhookDelivery) -> StoreResult<()>;
    /// A webhook's latest deliveries, newest first.
    async fn list_deliveries(
        &self,
        workspace: WorkspaceId,
        webhook: Uuid,
        limit: i64,
    ) -> StoreResult<Vec<WebhookDelivery>>;
    /// Inserts an incoming hook.
    async fn create_hook(&self, hook: &ChatHook) -> StoreResult<()>;
    /// The hook whose secret hashes to `token_hash`, revoked or not, any workspace.
    async fn find_hook_by_token_hash(&self, token_hash: &str) -> StoreResult<ChatHook>;
    /// The workspace's hooks, oldest first.
    async fn list_hooks(&self, workspace: WorkspaceId) -> StoreResult<Vec<ChatHook>>;
    /// Revokes a hook (its URL stops working); `NotFound` if not in the workspace.
    async fn revoke_hook(&self, workspace: WorkspaceId, id: Uuid, now: DateTime<Utc>) -> StoreResult<()>;
}

/// Idempotency keys of website leads, shared by every node.
#[async_trait]
pub trait LeadKeyStore: Send + Sync {
    /// Claims `key` for a lead through `hook` at `now`, first forgetting the hook's
    /// keys made before `expired_before` and claims left unfinished before `stale_before`.
    async fn claim_lead_key(
        &self,
        workspace: WorkspaceId,
        hook: Uuid,
        key: &str,
        now: DateTime<Utc>,
        expired_before: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> StoreResult<LeadKey>;
    /// Records the lead made under a claimed key.
    async fn finish_lead_key(&self, hook: Uuid, key: &str, lead: &LeadRecord) -> StoreResult<()>;
    /// Gives a claimed key up (the lead failed), so a retry may claim it.
    async fn release_lead_key(&self, hook: Uuid, key: &str) -> StoreResult<()>;
}

#[async_trait]
pub trait RuleStore: Send + Sync {
    /// Inserts a rule.
    async fn create_rule(&self, rule: &StageRule) -> StoreResult<()>;
    /// Reads a rule of the workspace.
    async fn get_rule(&self, workspace: WorkspaceId, id: Uuid) -> StoreResult<StageRule>;
    /// The stage's rules, oldest first.
    async fn list_rules(&self, workspace: WorkspaceId, stage: Uuid) -> StoreResult<Vec<StageRule>>;
    /// Replaces a rule's trigger, action, active flag and author.
    async fn update_rule(&self, rule: &StageRule) -> StoreResult<()>;
    /// Deletes a rule.
    async fn delete_rule(&self, workspace: WorkspaceId, id: Uuid) -> StoreResult<()>;
    /// Active rules with this trigger kind, in every workspace (time-based sweeps).
    async fn active_rules_by_trigger(&self, trigger_kind: &str, limit: i64) -> StoreResult<Vec<StageRule>>;
    /// Deals (not archived) in the stage since before `entered_before`: (deal, entered at).
    async fn deals_idle_in_stage(
        &self,
        workspace: WorkspaceId,
        stage: Uuid,
        entered_before: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<(Uuid, DateTime<Utc>)>>;
    /// Open tasks past due linked to deals in the stage: (task, deal, due at).
    async fn overdue_deal_tasks(
        &self,
        workspace: WorkspaceId,
        stage: Uuid,
        now: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<(Uuid, Uuid, DateTime<Utc>)>>;
}
