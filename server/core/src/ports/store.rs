//! The `Store` port: durable state. `SqliteStore` (single node) and `PostgresStore`
//! (cluster) in artel-store implement it with identical behaviour.
//!
//! Every method that reads or changes a workspace's object takes that workspace's id
//! and only ever touches rows of that workspace: isolation is enforced here, not
//! left to each caller.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::attachment::{Attachment, AttachmentId, ChatFile, ChatFileCursor};
use crate::chat::{Chat, ChatId, ChatMember, ChatPatch, ChatSummary, MemberRole};
use crate::event::ChatEvent;
use crate::invite::{Invite, InviteId};
use crate::message::{
    Appended, HistoryPage, Message, MessageId, NewMessage, Reaction, SendContext, SendContextRequest,
};
use crate::password_reset::{PasswordReset, PasswordResetId};
use crate::session::{RefreshToken, RotateOutcome, Session, SessionId};
use crate::user::{ProfileUpdate, Role, User, UserId};
use crate::workspace::{Workspace, WorkspaceId, WorkspaceSettings};

/// What a storage adapter can report. Adapters map their driver errors into this.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such row in this workspace.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A uniqueness rule was hit; names the thing that already exists.
    #[error("{0} already exists")]
    Conflict(&'static str),
    /// The input breaks a rule only the store can check atomically (e.g. an
    /// attachment that is not the author's to link); names the input field.
    #[error("{field} {reason}")]
    Invalid { field: &'static str, reason: &'static str },
    /// The actor may not do this (now); names the rule, e.g. a message whose
    /// author is no longer a member of its chat (`author_must_be_member`).
    #[error("not allowed: {0}")]
    NotAllowed(&'static str),
    /// The database could not be reached or dropped the connection (restart,
    /// failover, a killed backend, pool exhausted). A write that failed so may or
    /// may not have committed: only idempotent work is tried again.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// Anything else the backend said; logged, never shown to clients.
    #[error("storage backend: {0}")]
    Backend(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Workspaces (tenants).
#[async_trait]
pub trait WorkspaceStore: Send + Sync {
    /// Creates a workspace together with its first owner, atomically. With
    /// `first_run_only`, fails with `Conflict("workspace")` if any workspace exists
    /// (the public setup endpoint); concurrent callers cannot both succeed.
    async fn create_workspace(
        &self,
        workspace: &Workspace,
        owner: &User,
        first_run_only: bool,
    ) -> StoreResult<()>;
    /// Reads one workspace.
    async fn get_workspace(&self, id: WorkspaceId) -> StoreResult<Workspace>;
    /// Reads one workspace by its slug.
    async fn get_workspace_by_slug(&self, slug: &str) -> StoreResult<Workspace>;
    /// Number of workspaces on this server (first-run detection).
    async fn count_workspaces(&self) -> StoreResult<i64>;
    /// Renames the workspace and/or replaces its settings.
    async fn update_workspace(
        &self,
        id: WorkspaceId,
        name: Option<&str>,
        settings: Option<&WorkspaceSettings>,
        now: DateTime<Utc>,
    ) -> StoreResult<Workspace>;
}

/// User accounts.
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Inserts a user; `Conflict("user")` if the e-mail is taken in that workspace.
    async fn create_user(&self, user: &User) -> StoreResult<()>;
    /// Reads a user of the workspace.
    async fn get_user(&self, workspace: WorkspaceId, id: UserId) -> StoreResult<User>;
    /// All accounts with this (canonical) e-mail, across workspaces, for sign-in.
    async fn find_users_by_email(&self, email: &str) -> StoreResult<Vec<User>>;
    /// Users of the workspace, active first, then by name.
    async fn list_users(&self, workspace: WorkspaceId) -> StoreResult<Vec<User>>;
    /// Applies a profile change and returns the updated user.
    async fn update_profile(
        &self,
        workspace: WorkspaceId,
        id: UserId,
        change: &ProfileUpdate,
        now: DateTime<Utc>,
    ) -> StoreResult<User>;
    /// Replaces the password hash (rehash on login, password change).
    async fn set_password_hash(
        &self,
        workspace: WorkspaceId,
        id: UserId,
        hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Changes a user's role.
    async fn set_role(
        &self,
        workspace: WorkspaceId,
        id: UserId,
        role: Role,
        now: DateTime<Utc>,
    ) -> StoreResult<User>;
    /// Deactivates (`Some(time)`) or reactivates (`None`) a user. Deactivation also
    /// revokes every session of the user in the same transaction.
    async fn set_deactivated(
        &self,
        workspace: WorkspaceId,
        id: UserId,
        at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> StoreResult<User>;
}

/// Sign-in sessions and their refresh tokens.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Starts a session with its first refresh token.
    async fn create_session(&self, session: &Session, token: &RefreshToken) -> StoreResult<()>;
    /// Reads a session (live or not).
    async fn get_session(&self, id: SessionId) -> StoreResult<Session>;
    /// Spends the token with this hash and stores the one hashed `next_hash` in its
    /// family, atomically; a token spent before revokes the family (`Reused`).
    async fn rotate_refresh_token(
        &self,
        token_hash: &str,
        next_hash: &str,
        next_expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<RotateOutcome>;
    /// Live sessions of a user, newest first.
    async fn list_sessions(
        &self,
        workspace: WorkspaceId,
        user: UserId,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Session>>;
    /// Revokes one session of the user; `NotFound` if it is not theirs.
    async fn revoke_session(
        &self,
        workspace: WorkspaceId,
        user: UserId,
        id: SessionId,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Revokes every session of the user ("sign out everywhere"); returns how many.
    async fn revoke_user_sessions(
        &self,
        workspace: WorkspaceId,
        user: UserId,
        now: DateTime<Utc>,
    ) -> StoreResult<u64>;
}

/// Invites into a workspace.
#[async_trait]
pub trait InviteStore: Send + Sync {
    /// Stores a new invite.
    async fn create_invite(&self, invite: &Invite) -> StoreResult<()>;
    /// Reads an invite of the workspace.
    async fn get_invite(&self, workspace: WorkspaceId, id: InviteId) -> StoreResult<Invite>;
    /// Finds an invite by the hash of its secret token (any workspace).
    async fn find_invite_by_token_hash(&self, token_hash: &str) -> StoreResult<Invite>;
    /// Invites of the workspace that can still be accepted, newest first.
    async fn list_pending_invites(
        &self,
        workspace: WorkspaceId,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Invite>>;
    /// Marks the invite used by `user` and creates the user, atomically; fails with
    /// `Conflict("invite use")` if it was used, revoked or expired meanwhile.
    async fn accept_invite(&self, invite: InviteId, user: &User, now: DateTime<Utc>) -> StoreResult<()>;
    /// Revokes a pending invite.
    async fn revoke_invite(
        &self,
        workspace: WorkspaceId,
        id: InviteId,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
}

/// Password-reset links an admin makes for a person.
#[async_trait]
pub trait PasswordResetStore: Send + Sync {
    /// Stores a new reset link for its user; the user's earlier unused links stop
    /// working (only the newest one handed out is live).
    async fn create_password_reset(&self, reset: &PasswordReset) -> StoreResult<()>;
    /// Finds a reset link by the hash of its secret token (any workspace).
    async fn find_password_reset_by_token_hash(&self, token_hash: &str) -> StoreResult<PasswordReset>;
    /// Spends the link, sets the user's password hash and revokes every session of
    /// the user, atomically; `Conflict("password reset use")` if the link was used
    /// or expired meanwhile (nothing changes then).
    async fn use_password_reset(
        &self,
        workspace: WorkspaceId,
        id: PasswordResetId,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
}

/// One limit a hit counts against: at most `max` hits in `bucket` after `since`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit<'a> {
    pub bucket: &'a str,
    pub max: i64,
    pub since: DateTime<Utc>,
}

/// What `take_rate_limit` decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateDecision {
    /// The hit was counted against every limit.
    Taken,
    /// Nothing was counted: the limit at this index is full, and its oldest hit
    /// in the window is `oldest` (the bucket frees when that one ages out).
    Refused { limit: usize, oldest: DateTime<Utc> },
}

/// Rate limits a cluster shares (sign-in, password changes, incoming hooks).
/// Stored, so every node sees the same counts; a hit is counted atomically with
/// the check, so concurrent requests cannot all pass a limit they fill together.
#[async_trait]
pub trait RateLimitStore: Send + Sync {
    /// Counts one hit at `at` against every limit, all or none: refused when any
    /// limit already holds `max` hits. Hits at or before a limit's `since` are
    /// forgotten on the way.
    async fn take_rate_limit(&self, limits: &[RateLimit<'_>], at: DateTime<Utc>)
        -> StoreResult<RateDecision>;
    /// Hits in the bucket after `since`, and the oldest of them.
    async fn rate_limit_hits(
        &self,
        bucket: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<(i64, Option<DateTime<Utc>>)>;
    /// Takes back the bucket's newest hit (an attempt that turned out legitimate).
    async fn refund_rate_limit(&self, bucket: &str) -> StoreResult<()>;
    /// Forgets every hit of the bucket.
    async fn clear_rate_limit(&self, bucket: &str) -> StoreResult<()>;
    /// Deletes hits at or before `before` in every bucket (housekeeping).
    async fn prune_rate_limits(&self, before: DateTime<Utc>) -> StoreResult<u64>;
}

/// The whole storage port.
#[async_trait]
pub trait Store:
    WorkspaceStore
    + UserStore
    + SessionStore
    + InviteStore
    + PasswordResetStore
    + RateLimitStore
    + ChatStore
    + MessageStore
    + AttachmentStore
    + crate::ports::crm::PipelineStore
    + crate::ports::crm::DealStore
    + crate::ports::crm::ClientStore
    + crate::ports::crm::HistoryStore
    + crate::ports::crm::CustomFieldStore
    + crate::ports::crm::EntityChatStore
    + crate::ports::crm::BoardStore
    + crate::ports::tasks::TaskStore
    + crate::ports::commands::CommandStore
    + crate::ports::automation::JobStore
    + crate::ports::automation::IntegrationStore
    + crate::ports::automation::LeadKeyStore
    + crate::ports::automation::RuleStore
    + crate::ports::search::SearchSourceStore
    + crate::ports::bots::BotStore
    + crate::ports::push::PushStore
    + Send
    + Sync
{
    /// "sqlite" or "postgres", for logs and health output.
    fn engine(&self) -> &'static str;
    /// Checks the database answers (readiness).
    async fn ping(&self) -> StoreResult<()>;
    /// Closes the connection pool.
    async fn close(&self);
}

/// Chats, their members and read state. Every change that clients must see is
/// appended to the chat's event log with the next `seq` in the same transaction,
/// and returned so the caller can publish it.
#[async_trait]
pub trait ChatStore: Send + Sync {
    /// Creates a chat with its first members; appends `ChatUpdated { chat }` as seq 1.
    /// `Conflict("direct chat")` if a direct chat with the same `direct_key` exists.
    async fn create_chat(&self, chat: &Chat, members: &[ChatMember]) -> StoreResult<ChatEvent>;
    /// Reads a chat of the workspace.
    async fn get_chat(&self, workspace: WorkspaceId, id: ChatId) -> StoreResult<Chat>;
    /// The direct chat with this key, if any.
    async fn find_direct_chat(&self, workspace: WorkspaceId, direct_key: &str) -> StoreResult<Option<Chat>>;
    /// Renames, re-describes, archives or unarchives; appends `ChatUpdated`.
    async fn update_chat(
        &self,
        workspace: WorkspaceId,
        id: ChatId,
        patch: &ChatPatch,
        now: DateTime<Utc>,
    ) -> StoreResult<(Chat, ChatEvent)>;
    /// Public, unarchived channels of the workspace, by name (for "browse channels").
    async fn list_public_channels(&self, workspace: WorkspaceId) -> StoreResult<Vec<Chat>>;
    /// The chats the user is a member of, most recent activity first, with unread
    /// and mention counts (top-level messages by others after the read mark, not
    /// deleted) and the last top-level message.
    async fn list_my_chats(&self, workspace: WorkspaceId, user: UserId) -> StoreResult<Vec<ChatSummary>>;
    /// Ids of the chats the user is a member of (for the socket's audience checks).
    async fn member_chat_ids(&self, workspace: WorkspaceId, user: UserId) -> StoreResult<Vec<ChatId>>;
    /// The `last_seq` of each of these chats of the workspace, in one read (the
    /// hub's catch-up after a bus gap); chats not found are left out.
    async fn chat_last_seqs(
        &self,
        workspace: WorkspaceId,
        chats: &[ChatId],
    ) -> StoreResult<Vec<(ChatId, i64)>>;
    /// Ids and names of the user's named chats (`in:#chat` resolution: one scan
    /// of memberships, none of the unread counting `list_my_chats` does).
    async fn member_chat_names(
        &self,
        workspace: WorkspaceId,
        user: UserId,
    ) -> StoreResult<Vec<(ChatId, String)>>;
    /// The user's membership in the chat, if any.
    async fn get_member(
        &self,
        workspace: WorkspaceId,
        chat: ChatId,
        user: UserId,
    ) -> StoreResult<Option<ChatMember>>;
    /// Members of the chat, by join time.
    async fn list_members(&self, workspace: WorkspaceId, chat: ChatId) -> StoreResult<Vec<ChatMember>>;
    /// Adds a member (its `last_read_seq` is set to the chat's current `last_seq`);
    /// appends `MemberAdded`. `None` if already a member (nothing changes).
    async fn add_member(
        &self,
        workspace: WorkspaceId,
        chat: ChatId,
        user: UserId,
        role: MemberRole,
        by: Option<UserId>,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<ChatEvent>>;
    /// Removes a member; appends `MemberRemoved`. `None` if not a member.
    async fn remove_member(
        &self,
        workspace: WorkspaceId,
        chat: ChatId,
        user: UserId,
        by: Option<UserId>,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<ChatEvent>>;
    /// Changes a member's role in the chat; `NotFound("member")` if not a member.
    async fn set_member_role(
        &self,
        workspace: WorkspaceId,
        chat: ChatId,
        user: UserId,
        role: MemberRole,
    ) -> StoreResult<ChatMember>;
    /// Moves the read mark forward to `seq` (clamped to the chat's `last_seq`, never
    /// backwards); returns the membership after the change.
    async fn mark_read(
        &self,
        workspace: WorkspaceId,
        chat: ChatId,
        user: UserId,
        seq: i64,
    ) -> StoreResult<ChatMember>;
    /// Members whose read mark is at or past `seq`.
    async fn read_by(&self, workspace: WorkspaceId, chat: ChatId, seq: i64) -> StoreResult<Vec<UserId>>;
    /// Marks a chat of the workspace as one every new member joins (idempotent).
    async fn add_default_chat(
        &self,
        workspace: WorkspaceId,
        chat: ChatId,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// The chats every new member joins, oldest first.
    async fn default_chats(&self, workspace: WorkspaceId) -> StoreResult<Vec<ChatId>>;
}

/// Messages and the chat event log.
#[async_trait]
pub trait MessageStore: Send + Sync {
    /// Appends messages in one transaction (group commit), each getting the next
    /// `seq` of its chat and a `MessageCreated` event. A message whose
    /// `(author_id, client_msg_id)` exists already is not written again: the
    /// existing one is returned with `event: None`. A thread reply bumps its
    /// root's `reply_count` and `last_reply_at`. Results are in input order.
    /// `Conflict("message")` if a concurrent writer inserted the same
    /// `client_msg_id` meanwhile (nothing of the batch is written; retry).
    /// Each message's `attachment_ids` are linked to it, in that order, in the
    /// same transaction; `Invalid { field: "attachment_ids", .. }` (nothing of the
    /// batch is written) unless every one exists in the message's workspace and
    /// chat, was uploaded by its author, is not linked yet and is listed once.
    /// Messages carry their attachments wherever they are read (history, threads,
    /// pins, events, `get_message`); deleting a message deletes its attachments.
    /// `NotAllowed` (nothing of the batch is written) if a message with
    /// `author_must_be_member` has an author who is not a member of its chat, or
    /// its chat is archived.
    async fn append_messages(&self, batch: &[NewMessage]) -> StoreResult<Vec<Appended>>;
    /// Everything a send is checked against, in one read: the chat, the author's
    /// membership of it and the author's message with `client_msg_id` (if given).
    async fn send_context(
        &self,
        workspace: WorkspaceId,
        chat: ChatId,
        author: UserId,
        client_msg_id: Option<&str>,
    ) -> StoreResult<SendContext>;
    /// `send_context` for several sends at once, answered in their order. One read
    /// serves them all, except for sends to a chat that does not exist (rare),
    /// which are looked up one by one.
    async fn send_contexts(&self, requests: &[SendContextRequest]) -> StoreResult<Vec<SendContext>>;
    /// Reads a message of the workspace.
    async fn get_message(&self, workspace: WorkspaceId, id: MessageId) -> StoreResult<Message>;
    /// The author's message with this idempotency key, if any.
    async fn find_by_client_msg_id(
        &self,
        workspace: WorkspaceId,
        author: UserId,
        client_msg_id: &str,
    ) -> StoreResult<Option<Message>>;
    /// Replaces a message's body (the old one goes to the edit history); appends `MessageEdited`.
    async fn edit_message(
        &self,
        workspace: WorkspaceId,
        id: MessageId,
        body: &str,
        mentions: &[UserId],
        mentions_all: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<(Message, ChatEvent)>;
    /// Earlier bodies of a message with the time each was replaced, oldest first.
    async fn message_edits(
        &self,
        workspace: WorkspaceId,
        id: MessageId,
    ) -> StoreResult<Vec<(String, DateTime<Utc>)>>;
    /// Soft-deletes (empties the body, sets `deleted_at`); appends `MessageDeleted`.
    /// `NotFound` if already deleted.
    async fn delete_message(
        &self,
        workspace: WorkspaceId,
        id: MessageId,
        now: DateTime<Utc>,
    ) -> StoreResult<(Message, ChatEvent)>;
    /// A page of a chat's top-level messages (`thread: None`) or of one thread's
    /// replies, in ascending `seq`, at most `limit`.
    async fn history(
        &self,
        workspace: WorkspaceId,
        chat: ChatId,
        thread: Option<MessageId>,
        page: HistoryPage,
        limit: i64,
    ) -> StoreResult<Vec<Message>>;
    /// The chat's events with `seq > after`, ascending, at most `limit`.
    async fn events_since(
        &self,
        workspace: WorkspaceId,
        chat: ChatId,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<ChatEvent>>;
    /// Adds a reaction; appends `ReactionAdded`. `None` if it existed.
    async fn add_reaction(
        &self,
        workspace: WorkspaceId,
        message: MessageId,
        user: UserId,
        emoji: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<ChatEvent>>;
    /// Removes a reaction; appends `ReactionRemoved`. `None` if there was none.
    async fn remove_reaction(
        &self,
        workspace: WorkspaceId,
        message: MessageId,
        user: UserId,
        emoji: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<ChatEvent>>;
    /// Reactions on these messages, oldest first.
    async fn list_reactions(
        &self,
        workspace: WorkspaceId,
        messages: &[MessageId],
    ) -> StoreResult<Vec<Reaction>>;
    /// Pins or unpins; appends `MessagePinned` / `MessageUnpinned`. `None` if no change.
    async fn set_pinned(
        &self,
        workspace: WorkspaceId,
        message: MessageId,
        by: UserId,
        pinned: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<ChatEvent>>;
    /// Pinned messages of a chat, most recently pinned first.
    async fn list_pinned(&self, workspace: WorkspaceId, chat: ChatId) -> StoreResult<Vec<Message>>;
}

/// Uploaded files' records (the bytes are kept by the caller). Linking to a
/// message happens in `MessageStore::append_messages`.
#[async_trait]
pub trait AttachmentStore: Send + Sync {
    /// Stores a new, unlinked attachment (`message_id` is ignored);
    /// `NotFound("chat")` unless its chat and uploader are in its workspace.
    async fn create_attachment(&self, attachment: &Attachment) -> StoreResult<()>;
    /// Reads an attachment of the workspace.
    async fn get_attachment(&self, workspace: WorkspaceId, id: AttachmentId) -> StoreResult<Attachment>;
    /// Attachments linked to these messages, by message and then in their order.
    async fn list_attachments(
        &self,
        workspace: WorkspaceId,
        messages: &[MessageId],
    ) -> StoreResult<Vec<Attachment>>;
    /// A chat's sent files (thread replies' too; never unsent uploads or deleted
    /// messages'), newest message first and then in each message's order, up to
    /// `limit`, continuing after `after` when given.
    async fn list_chat_files(
        &self,
        workspace: WorkspaceId,
        chat: ChatId,
        after: Option<ChatFileCursor>,
        limit: i64,
    ) -> StoreResult<Vec<ChatFile>>;
}
