//! The chat event log, shared by `ChatStore` and `MessageStore`: every change that
//! clients must see takes the chat's next `seq` and is stored with it, in the
//! transaction that makes the change.
//!
//! Gap-free `seq`: the counter is `chats.last_seq`, bumped with an `update … returning`
//! inside the write transaction. On Postgres the update holds the chat row's lock
//! until commit, so concurrent writers of one chat queue up and a rolled-back
//! transaction gives its number back; SQLite has a single writer anyway.
//!
//! Lock order (Postgres): a transaction locks its chat rows first (the seq bump),
//! then message rows. Every writer follows it, so writers cannot deadlock.

use artel_core::chat::ChatId;
use artel_core::event::{ChatChange, ChatEvent};
use artel_core::message::MessageId;
use artel_core::workspace::WorkspaceId;
use artel_core::{StoreError, StoreResult};
use chrono::{DateTime, Utc};
use sqlx::types::Json;

use crate::errors::backend;
use crate::{PostgresStore, SqliteStore};

macro_rules! impl_event_log {
    ($store:ty, $db:ty) => {
        impl $store {
            /// Takes the chat's next seq; `NotFound("chat")` if the chat is not in the workspace.
            pub(crate) async fn bump_seq(
                tx: &mut sqlx::Transaction<'_, $db>,
                workspace: WorkspaceId,
                chat: ChatId,
            ) -> StoreResult<i64> {
                sqlx::query_scalar(
                    "update chats set last_seq = last_seq + 1 where id = $1 and workspace_id = $2 \
                     returning last_seq",
                )
                .bind(chat)
                .bind(workspace)
                .fetch_optional(&mut **tx)
                .await
                .map_err(backend)?
                .ok_or(StoreError::NotFound("chat"))
            }

            /// Takes the next seq of the chat the message is in; `NotFound("message")`
            /// if the message is not in the workspace.
            pub(crate) async fn bump_seq_for_message(
                tx: &mut sqlx::Transaction<'_, $db>,
                workspace: WorkspaceId,
                message: MessageId,
            ) -> StoreResult<(ChatId, i64)> {
                sqlx::query_as(
                    "update chats set last_seq = last_seq + 1 where workspace_id = $2 and id = \
                     (select m.chat_id from messages m where m.id = $1 and m.workspace_id = $2) \
                     returning id, last_seq",
                )
                .bind(message)
                .bind(workspace)
                .fetch_optional(&mut **tx)
                .await
                .map_err(backend)?
                .ok_or(StoreError::NotFound("message"))
            }

            /// Stores an event whose seq was taken in this transaction.
            pub(crate) async fn insert_event(
                tx: &mut sqlx::Transaction<'_, $db>,
                event: &ChatEvent,
                message: Option<MessageId>,
            ) -> StoreResult<()> {
                sqlx::query(
                    "insert into chat_events (chat_id, seq, workspace_id, message_id, payload, created_at) \
                     values ($1, $2, $3, $4, $5, $6)",
                )
                .bind(event.chat_id)
                .bind(event.seq)
                .bind(event.workspace_id)
                .bind(message)
                .bind(Json(&event.change))
                .bind(event.created_at)
                .execute(&mut **tx)
                .await
                .map_err(backend)?;
                Ok(())
            }

            /// Builds and stores the event with the given seq.
            pub(crate) async fn record_event(
                tx: &mut sqlx::Transaction<'_, $db>,
                workspace: WorkspaceId,
                chat: ChatId,
                seq: i64,
                at: DateTime<Utc>,
                change: ChatChange,
                message: Option<MessageId>,
            ) -> StoreResult<ChatEvent> {
                let event = ChatEvent { workspace_id: workspace, chat_id: chat, seq, created_at: at, change };
                Self::insert_event(tx, &event, message).await?;
                Ok(event)
            }
        }
    };
}

impl_event_log!(SqliteStore, sqlx::Sqlite);
impl_event_log!(PostgresStore, sqlx::Postgres);
