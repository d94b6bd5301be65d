//! Group commit on Postgres in one statement, outside an explicit transaction.
//!
//! `append_batch_once` writes a batch in a transaction of five round trips
//! (`begin`, lock and advance the chats, insert the messages, insert their events,
//! `commit`). On one machine shared by two nodes, Postgres and Redis, each round
//! trip costs Postgres a wake-up, a portal and an executor start-up: under
//! sustained sends those took most of its CPU (docs/benchmarks/log-2026.md, "Where
//! Postgres's time goes"). A batch of plain messages (no thread reply, no attachment; the
//! mentions go along) is therefore sent as one statement of data-modifying CTEs,
//! which Postgres runs as one implicit transaction: it locks the chats in id order,
//! moves their `last_seq` on, and inserts the messages, their events and their
//! mentions with the seqs it just took. The arrays are bound whole (`unnest`), so
//! there is one statement text for any batch and the connection prepares it once.
//!
//! Nothing is written unless every chat of the batch is found in its workspace:
//! the chats' update is conditional on that, and the inserts take their seqs from
//! the update's rows. The statement then returns fewer chats than the batch has,
//! and the batch fails with `NotFound("chat")` having changed nothing. Likewise
//! when an author who must be a member (`author_must_be_member`) is not one, or
//! the chat was archived, now that the chats are locked: then the statement
//! returns a row without a chat, and the batch fails with `NotAllowed`. The
//! chats' lock re-reads the chat rows, but the statement's snapshot predates a
//! removal that committed while it waited for that lock; so the membership is
//! read `for key share`, which skips a member row deleted since (and waits for
//! a removal under way). A key
//! committed meanwhile fails the whole statement on the unique index, as it fails
//! the transaction, and `append_batch` writes the batch again the usual way.

use std::collections::HashMap;

use artel_core::chat::ChatId;
use artel_core::event::ChatChange;
use artel_core::message::{Appended, Message, NewMessage};
use artel_core::user::UserId;
use artel_core::workspace::WorkspaceId;
use artel_core::{StoreError, StoreResult};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::append::{answers, chats_of, created_event, message_of, note_bases, plan, NOT_A_MEMBER};
use crate::errors::on_unique;
use crate::PostgresStore;

/// Messages and their events take `base + place` for seq, `base` being the chat's
/// `last_seq` before this statement. An event's payload is the message serialised
/// with its place for seq, which `jsonb_set` replaces with the seq.
const APPEND_SQL: &str = "\
with b (id, workspace_id, chat_id, place, author_id, kind, body, client_msg_id, \
        mentions, mentions_all, created_at, payload, must_be_member) as ( \
    select * from unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::int8[], $5::uuid[], \
        $6::text[], $7::text[], $8::text[], $9::text[], $10::bool[], $11::timestamptz[], $12::text[], \
        $20::bool[]) \
), \
t (id, workspace_id, count, activity) as ( \
    select * from unnest($13::uuid[], $14::uuid[], $15::int8[], $16::timestamptz[]) \
), \
locked as materialized ( \
    select c.id, c.archived_at from chats c join t on t.id = c.id and t.workspace_id = c.workspace_id \
    where c.id = any($13::uuid[]) order by c.id for update of c \
), \
refused as ( \
    select b.id from b join locked l on l.id = b.chat_id \
    where b.must_be_member and (l.archived_at is not null or not exists ( \
        select 1 from chat_members cm where cm.chat_id = b.chat_id and cm.user_id = b.author_id \
        for key share)) \
), \
adv as ( \
    update chats c set last_seq = c.last_seq + t.count, \
        last_activity_at = greatest(c.last_activity_at, t.activity) \
    from t \
    where c.id = t.id and c.id = any($13::uuid[]) and c.id in (select id from locked) \
        and (select count(*) from locked) = cardinality($13::uuid[]) \
        and not exists (select 1 from refused) \
    returning c.id, c.workspace_id, c.last_seq, c.last_seq - t.count as base \
), \
m as ( \
    insert into messages (id, workspace_id, chat_id, seq, author_id, kind, body, client_msg_id, \
        mentions, mentions_all, created_at) \
    select b.id, b.workspace_id, b.chat_id, adv.base + b.place, b.author_id, b.kind, b.body, \
        b.client_msg_id, b.mentions::jsonb, b.mentions_all, b.created_at \
    from b join adv on adv.id = b.chat_id \
    order by b.author_id nulls first, b.client_msg_id nulls first \
), \
e as ( \
    insert into chat_events (chat_id, seq, workspace_id, message_id, payload, created_at) \
    select b.chat_id, adv.base + b.place, b.workspace_id, b.id, \
        jsonb_set(b.payload::jsonb, '{message,seq}', to_jsonb(adv.base + b.place)), b.created_at \
    from b join adv on adv.id = b.chat_id \
), \
mm as ( \
    insert into message_mentions (message_id, user_id, chat_id) \
    select x.message_id, x.user_id, x.chat_id \
    from unnest($17::uuid[], $18::uuid[], $19::uuid[]) as x (message_id, user_id, chat_id) \
    where exists (select 1 from adv) \
    on conflict (message_id, user_id) do nothing \
) \
(select id, workspace_id, last_seq from adv) \
union all (select null, null, -1 from refused limit 1)";

/// The batch's columns, one array per column (`unnest` turns them into rows).
#[derive(Default)]
struct Columns<'a> {
    id: Vec<Uuid>,
    workspace_id: Vec<WorkspaceId>,
    chat_id: Vec<ChatId>,
    place: Vec<i64>,
    author_id: Vec<Option<UserId>>,
    kind: Vec<&'static str>,
    body: Vec<&'a str>,
    client_msg_id: Vec<Option<&'a str>>,
    mentions: Vec<String>,
    mentions_all: Vec<bool>,
    created_at: Vec<DateTime<Utc>>,
    payload: Vec<String>,
    must_be_member: Vec<bool>,
}

impl PostgresStore {
    /// A batch's first attempt: in one statement when every new message is plain
    /// (no thread reply, no attachment, no notice), else the usual transaction.
    pub(crate) async fn append_first_try(&self, batch: &[NewMessage]) -> StoreResult<Vec<Appended>> {
        // Notices (a few system and hook messages) take the usual transaction,
        // so the hot path's statement stays as it is.
        let plain =
            |m: &NewMessage| m.thread_root_id.is_none() && m.attachment_ids.is_empty() && m.notice.is_none();
        if batch.is_empty() || !batch.iter().all(plain) {
            return self.append_batch_once(batch, false).await;
        }
        self.append_in_one_statement(batch).await
    }

    async fn append_in_one_statement(&self, batch: &[NewMessage]) -> StoreResult<Vec<Appended>> {
        let started = std::time::Instant::now();
        let mut chats = chats_of(batch)?;
        let committed = HashMap::new();
        let (slots, places) = plan(batch, &mut chats, &committed)?;
        // Each new message as it will be stored, with its place in its chat for
        // seq until the statement says where the chat's seqs start.
        let staged: Vec<(&NewMessage, Message)> =
            places.iter().map(|(item, place)| (*item, message_of(item, *place))).collect();

        let mut columns = Columns::default();
        let (mut mention_message, mut mention_user, mut mention_chat) = (Vec::new(), Vec::new(), Vec::new());
        for (item, message) in &staged {
            columns.id.push(message.id);
            columns.workspace_id.push(message.workspace_id);
            columns.chat_id.push(message.chat_id);
            columns.place.push(message.seq);
            columns.author_id.push(message.author_id);
            columns.kind.push(message.kind.as_str());
            columns.body.push(&item.body);
            columns.client_msg_id.push(item.client_msg_id.as_deref());
            columns.mentions.push(serde_json::to_string(&message.mentions).map_err(encode)?);
            columns.mentions_all.push(message.mentions_all);
            columns.created_at.push(message.created_at);
            let change = ChatChange::MessageCreated { message: message.clone() };
            columns.payload.push(serde_json::to_string(&change).map_err(encode)?);
            columns.must_be_member.push(item.author_must_be_member);
            for user in &message.mentions {
                mention_message.push(message.id);
                mention_user.push(*user);
                mention_chat.push(message.chat_id);
            }
        }
        // Every chat of the batch has a new message: no key is looked up here, so
        // only a repeat within the batch is not new, and its first is.
        let mut chat_ids = Vec::with_capacity(chats.len());
        let mut chat_workspaces = Vec::with_capacity(chats.len());
        let mut counts = Vec::with_capacity(chats.len());
        let mut activities = Vec::with_capacity(chats.len());
        for (id, take) in &chats {
            let Some(activity) = take.activity else {
                return Err(StoreError::Backend("a chat of the batch has no new message".into()));
            };
            chat_ids.push(*id);
            chat_workspaces.push(take.workspace);
            counts.push(take.count);
            activities.push(activity);
        }

        let mut writer = self.write.acquire().await?;
        let rows: Vec<(Option<ChatId>, Option<WorkspaceId>, i64)> = sqlx::query_as(APPEND_SQL)
            .bind(columns.id)
            .bind(columns.workspace_id)
            .bind(columns.chat_id)
            .bind(columns.place)
            .bind(columns.author_id)
            .bind(columns.kind)
            .bind(columns.body)
            .bind(columns.client_msg_id)
            .bind(columns.mentions)
            .bind(columns.mentions_all)
            .bind(columns.created_at)
            .bind(columns.payload)
            .bind(chat_ids)
            .bind(chat_workspaces)
            .bind(counts)
            .bind(activities)
            .bind(mention_message)
            .bind(mention_user)
            .bind(mention_chat)
            .bind(columns.must_be_member)
            .fetch_all(&mut *writer)
            .await
            .map_err(on_unique("message"))?;
        drop(writer);
        // A row without a chat is the mark of a refused author (nothing written).
        let rows: Vec<(ChatId, WorkspaceId, i64)> = rows
            .into_iter()
            .map(|row| match row {
                (Some(chat), Some(workspace), last_seq) => Ok((chat, workspace, last_seq)),
                _ => Err(StoreError::NotAllowed(NOT_A_MEMBER)),
            })
            .collect::<StoreResult<_>>()?;
        let expected = chats.len();
        note_bases(&mut chats, rows, expected, true)?;

        let fresh: Vec<(&NewMessage, Message)> = staged
            .into_iter()
            .map(|(item, mut message)| {
                message.seq += chats.get(&item.chat_id).map_or(0, |t| t.base);
                (item, message)
            })
            .collect();
        let events = fresh.iter().map(|(_, m)| created_event(m)).collect();
        tracing::debug!(
            size = batch.len(),
            chats = expected,
            ms = started.elapsed().as_secs_f64() * 1e3,
            "append in one statement"
        );
        Ok(answers(slots, &fresh, events))
    }
}

fn encode(e: serde_json::Error) -> StoreError {
    StoreError::Backend(format!("could not encode a message: {e}"))
}
