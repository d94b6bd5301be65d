//! Group commit of new messages (`MessageStore::append_messages`) in a fixed number
//! of statements per batch instead of several per message. On SQLite every
//! statement is a hand-off to the connection's worker thread, on Postgres a network
//! round trip, and the single write transaction is held across all of them, so the
//! statement count per batch is what bounds durable sends per second.
//!
//! A batch runs: lock its chats and move their `last_seq` and `last_activity_at`
//! on by its messages (one statement, chat rows first as `events.rs` requires),
//! check that the authors who must be members of their chats are
//! (`author_must_be_member`; one statement, for people's sends), then insert
//! the messages, their mentions and their events (one multi-row insert each).
//! Thread replies and attachments, which few messages have, keep a statement per
//! message. A batch written again after an idempotency-key race
//! locks first, looks its keys up, and advances the chats last (three statements).
//! On Postgres a batch of plain messages skips all of this for a single statement
//! (`append_one_statement.rs`); the rest come here.

use std::collections::{BTreeMap, HashMap, HashSet};

use artel_core::chat::ChatId;
use artel_core::event::{ChatChange, ChatEvent};
use artel_core::message::{Appended, Message, MessageId, NewMessage};
use artel_core::user::UserId;
use artel_core::workspace::WorkspaceId;
use artel_core::{StoreError, StoreResult};
use chrono::{DateTime, Utc};
use sqlx::types::Json;

use crate::errors::{backend, on_unique};
use crate::rows::{prefixed, MessageRow, MESSAGE_COLUMNS};
use crate::{PostgresStore, SqliteStore};

/// Rows per multi-row statement (a power of two, see `statements`). A message row
/// binds 13 parameters; SQLite allows 32,766 and Postgres 65,535 per statement.
const ROWS_PER_STATEMENT: usize = 128;

/// One multi-row statement: its items and the number of rows it is written for.
struct Chunk<'a, T> {
    items: &'a [T],
    /// A power of two ≥ `items.len()`; the rows past the items are padding.
    rows: usize,
}

impl<T> Chunk<'_, T> {
    /// The items, then the last one again for every padding row.
    fn padded(&self) -> impl Iterator<Item = &T> {
        let last = self.items.last();
        self.items.iter().chain(std::iter::repeat_n(last, self.rows - self.items.len()).flatten())
    }

    /// Each row with whether it is a real one (`false` for padding).
    fn rows_kept(&self) -> impl Iterator<Item = (&T, bool)> {
        self.padded().enumerate().map(|(i, item)| (item, i < self.items.len()))
    }
}

/// Splits `items` into statements of `ROWS_PER_STATEMENT` rows, the last one padded
/// up to a power of two (100 rows go as one statement of 128). Each distinct row
/// count is a distinct statement text: with any count from 1 to 128 the
/// connection's statement cache (100 entries) kept evicting them and every batch
/// paid to prepare its big inserts again, so row counts are powers of two, 8 texts
/// per statement kind. Padding instead of splitting (100 as 64 + 32 + 4) keeps a
/// batch at one statement per kind: on SQLite each statement is a hand-off to the
/// writer's thread, on Postgres a round trip, and both wait in line with every
/// other task, so a batch's statement count is most of its time. Padding rows
/// repeat the last item; statements either tolerate the repeat (`in` lists) or
/// filter padding out with a `keep` column (inserts).
fn statements<T>(items: &[T]) -> Vec<Chunk<'_, T>> {
    items
        .chunks(ROWS_PER_STATEMENT)
        .map(|items| Chunk { items, rows: items.len().next_power_of_two() })
        .collect()
}

/// How a statement names its parameters. Postgres numbers them (`$1`, `$2`, …).
/// SQLite gets anonymous `?`s, bound in order of appearance: sqlx looks up every
/// parameter's name on each execution, and SQLite finds a name by walking the list
/// of all of them, so a 1,536-parameter insert written with `$n` cost O(n²) per
/// execution (and again when prepared). Anonymous parameters have no name to find.
#[derive(Clone, Copy)]
pub(crate) enum Params {
    Numbered,
    Anonymous,
}

impl Params {
    /// The placeholder of the `n`th parameter (1-based) in order of appearance.
    pub(crate) fn at(self, n: usize) -> String {
        match self {
            Params::Numbered => format!("${n}"),
            Params::Anonymous => "?".to_string(),
        }
    }

    /// `(p1, p2, …), (…), …`: `rows` tuples of `columns` parameters, bound row by row.
    pub(crate) fn rows(self, rows: usize, columns: usize) -> String {
        (0..rows)
            .map(|r| {
                let row: Vec<String> = (1..=columns).map(|c| self.at(r * columns + c)).collect();
                format!("({})", row.join(", "))
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// `select` of `rows` rows of `columns` values each, plus a last boolean
    /// parameter per row that says whether to keep it: an insert's source with
    /// its padding rows filtered out (see `statements`).
    fn kept_rows(self, rows: usize, columns: usize) -> String {
        let values = self.rows(rows, columns + 1);
        match self {
            // SQLite names the columns of a `values` list column1, column2, …
            Params::Anonymous => {
                let cols: Vec<String> = (1..=columns).map(|c| format!("column{c}")).collect();
                format!("select {} from (values {values}) where column{}", cols.join(", "), columns + 1)
            }
            Params::Numbered => {
                let cols: Vec<String> = (1..=columns).map(|c| format!("c{c}")).collect();
                format!(
                    "select {} from (values {values}) as v ({}, keep) where keep",
                    cols.join(", "),
                    cols.join(", ")
                )
            }
        }
    }

    /// `p1, p2, …` for a list of `count` values.
    fn list(self, count: usize) -> String {
        (1..=count).map(|n| self.at(n)).collect::<Vec<_>>().join(", ")
    }
}

/// A chat the batch writes to.
pub(crate) struct ChatTake {
    pub(crate) workspace: WorkspaceId,
    /// `last_seq` before the batch: the batch's messages take the next ones.
    pub(crate) base: i64,
    /// New messages of the batch in this chat.
    pub(crate) count: i64,
    /// Latest `created_at` among the batch's new messages in this chat.
    pub(crate) activity: Option<DateTime<Utc>>,
}

/// What becomes of one message of the batch.
pub(crate) enum Slot<'a> {
    /// Written now; index into the batch's new messages (`fresh`).
    New(usize),
    /// Its key names a message committed before.
    Committed(&'a Message),
    /// Its key repeats that of an earlier message of this batch (index into the new messages).
    Repeat(usize),
}

/// Why a batch with an author who must be a member was refused.
pub(crate) const NOT_A_MEMBER: &str = "you are not a member of this chat, or it is archived";

/// The distinct (chat, author) pairs of the messages whose author must be a
/// member of their chat; `NotAllowed` if one of them has no author.
fn members_to_check(batch: &[NewMessage]) -> StoreResult<Vec<(ChatId, UserId)>> {
    let mut pairs = Vec::new();
    for item in batch.iter().filter(|m| m.author_must_be_member) {
        pairs.push((item.chat_id, item.author_id.ok_or(StoreError::NotAllowed(NOT_A_MEMBER))?));
    }
    pairs.sort_unstable();
    pairs.dedup();
    Ok(pairs)
}

/// The idempotency key of a message, if it has one.
fn key_of(item: &NewMessage) -> Option<(UserId, &str)> {
    Some((item.author_id?, item.client_msg_id.as_deref()?))
}

/// How an `update chats` of a batch moves each chat's `last_seq`.
#[derive(Clone, Copy)]
enum Advance {
    /// To a given value (the rows are locked already).
    To,
    /// On by a given count, returning `id, workspace_id, last_seq` (the new one).
    /// The update locks the rows itself; `ordered_lock` first locks them in id
    /// order, which two writers of the same chats need so as not to deadlock
    /// (Postgres; SQLite has one writer).
    By { ordered_lock: bool },
}

/// The `update chats` of `rows` chats: `last_seq` as `advance` says, and
/// `last_activity_at` moved forward to each chat's time (a null time keeps it).
/// Parameters, in order: the ids (ordered lock only); `(id, seq or count)` per
/// chat; `(id, time, time)` per chat; the ids again (without the ordered lock).
/// Every value is bound where it appears (none is reused), so the same text
/// works with anonymous parameters. A padding row repeats the last chat with the
/// same values: a `case` takes its first matching arm and `in` ignores the repeat.
fn advance_sql(params: Params, rows: usize, advance: Advance) -> String {
    let mut n = 0;
    let mut next = || {
        n += 1;
        params.at(n)
    };
    let ordered_lock = matches!(advance, Advance::By { ordered_lock: true });
    let mut sql = String::new();
    if ordered_lock {
        let ids: Vec<String> = (0..rows).map(|_| next()).collect();
        sql.push_str(&format!(
            "with locked as materialized (select id from chats where id in ({}) order by id for update) ",
            ids.join(", ")
        ));
    }
    sql.push_str(match advance {
        Advance::To => "update chats set last_seq = case id",
        Advance::By { .. } => "update chats set last_seq = last_seq + case id",
    });
    for _ in 0..rows {
        sql.push_str(&format!(" when {} then {}", next(), next()));
    }
    sql.push_str(" end, last_activity_at = case id");
    for _ in 0..rows {
        let (id, at, again) = (next(), next(), next());
        sql.push_str(&format!(
            " when {id} then case when last_activity_at < {at} then {again} else last_activity_at end"
        ));
    }
    if ordered_lock {
        sql.push_str(" end where id in (select id from locked)");
    } else {
        let ids: Vec<String> = (0..rows).map(|_| next()).collect();
        sql.push_str(&format!(" end where id in ({})", ids.join(", ")));
    }
    if let Advance::By { .. } = advance {
        sql.push_str(" returning id, workspace_id, last_seq");
    }
    sql
}

/// Notes each chat's `base` from the `(id, workspace, last_seq)` rows a lock
/// statement returned for `expected` chats; `advanced`: the returned `last_seq`
/// already counts the batch's messages. `NotFound("chat")` if a chat is missing or
/// in another workspace.
pub(crate) fn note_bases(
    chats: &mut BTreeMap<ChatId, ChatTake>,
    rows: Vec<(ChatId, WorkspaceId, i64)>,
    expected: usize,
    advanced: bool,
) -> StoreResult<()> {
    if rows.len() != expected {
        return Err(StoreError::NotFound("chat"));
    }
    for (id, workspace, last_seq) in rows {
        match chats.get_mut(&id) {
            Some(take) if take.workspace == workspace => {
                take.base = if advanced { last_seq - take.count } else { last_seq };
            }
            _ => return Err(StoreError::NotFound("chat")),
        }
    }
    Ok(())
}

/// The chats a batch writes to, each with its workspace; `NotFound("chat")` if one
/// chat id comes with two workspaces (a chat named with another workspace is not
/// found there).
pub(crate) fn chats_of(batch: &[NewMessage]) -> StoreResult<BTreeMap<ChatId, ChatTake>> {
    let mut chats: BTreeMap<ChatId, ChatTake> = BTreeMap::new();
    for item in batch {
        let take = chats.entry(item.chat_id).or_insert(ChatTake {
            workspace: item.workspace_id,
            base: 0,
            count: 0,
            activity: None,
        });
        if take.workspace != item.workspace_id {
            return Err(StoreError::NotFound("chat"));
        }
    }
    Ok(chats)
}

/// What becomes of each message of the batch (slots, in batch order), and each new
/// message's place in its chat in batch order (its seq once the chat's base is
/// known). Counts the new messages and their latest time into `chats`.
#[allow(clippy::type_complexity)]
pub(crate) fn plan<'a>(
    batch: &'a [NewMessage],
    chats: &mut BTreeMap<ChatId, ChatTake>,
    committed: &'a HashMap<(UserId, String), Message>,
) -> StoreResult<(Vec<Slot<'a>>, Vec<(&'a NewMessage, i64)>)> {
    let mut slots = Vec::with_capacity(batch.len());
    let mut places: Vec<(&NewMessage, i64)> = Vec::with_capacity(batch.len());
    let mut first_with_key: HashMap<(UserId, &str), usize> = HashMap::new();
    for item in batch {
        if let Some(key) = key_of(item) {
            if let Some(message) = committed.get(&(key.0, key.1.to_string())) {
                slots.push(Slot::Committed(message));
                continue;
            }
            if let Some(first) = first_with_key.get(&key) {
                slots.push(Slot::Repeat(*first));
                continue;
            }
            first_with_key.insert(key, places.len());
        }
        let take = chats.get_mut(&item.chat_id).ok_or(StoreError::NotFound("chat"))?;
        take.count += 1;
        take.activity = Some(take.activity.map_or(item.created_at, |a| a.max(item.created_at)));
        slots.push(Slot::New(places.len()));
        places.push((item, take.count));
    }
    Ok((slots, places))
}

/// The stored form of a new message with its seq (attachments are linked later).
pub(crate) fn message_of(item: &NewMessage, seq: i64) -> Message {
    Message {
        id: item.id,
        workspace_id: item.workspace_id,
        chat_id: item.chat_id,
        seq,
        author_id: item.author_id,
        kind: item.kind,
        body: item.body.clone(),
        thread_root_id: item.thread_root_id,
        client_msg_id: item.client_msg_id.clone(),
        mentions: item.mentions.clone(),
        mentions_all: item.mentions_all,
        created_at: item.created_at,
        edited_at: None,
        deleted_at: None,
        pinned_at: None,
        reply_count: 0,
        last_reply_at: None,
        attachments: Vec::new(),
        notice: item.notice.clone(),
    }
}

/// The `MessageCreated` event of a message just written.
pub(crate) fn created_event(message: &Message) -> ChatEvent {
    ChatEvent {
        workspace_id: message.workspace_id,
        chat_id: message.chat_id,
        seq: message.seq,
        created_at: message.created_at,
        change: ChatChange::MessageCreated { message: message.clone() },
    }
}

/// Each sender's answer, in batch order: a new message with its event, or the
/// message its key already names (no event).
pub(crate) fn answers(
    slots: Vec<Slot<'_>>,
    fresh: &[(&NewMessage, Message)],
    events: Vec<ChatEvent>,
) -> Vec<Appended> {
    let mut events = events.into_iter().map(Some).collect::<Vec<_>>();
    slots
        .into_iter()
        .map(|slot| match slot {
            Slot::New(i) => Appended { message: fresh[i].1.clone(), event: events[i].take() },
            Slot::Committed(message) => Appended { message: message.clone(), event: None },
            Slot::Repeat(i) => Appended { message: fresh[i].1.clone(), event: None },
        })
        .collect()
}

macro_rules! impl_append {
    ($store:ty, $db:ty, $params:expr, $lock_chats:literal, $ordered_lock:expr) => {
        impl $store {
            /// The whole of `append_messages`, in one transaction.
            ///
            /// Senders look their idempotency key up before queueing a send
            /// (`send_context`), so a key committed meanwhile is rare: only a retry
            /// racing its first attempt. The batch is therefore first written without
            /// looking its keys up (a statement less per batch); the unique index
            /// on `(author_id, client_msg_id)` turns such a race into `Conflict`,
            /// the transaction rolls back, and the batch is written again, this time
            /// answering those keys with the messages already committed.
            pub(crate) async fn append_batch(&self, batch: &[NewMessage]) -> StoreResult<Vec<Appended>> {
                match self.append_first_try(batch).await {
                    Err(StoreError::Conflict(_)) => {
                        tracing::debug!(size = batch.len(), "a key was committed meanwhile: batch written again");
                        self.append_batch_once(batch, true).await
                    }
                    other => other,
                }
            }

            pub(crate) async fn append_batch_once(
                &self,
                batch: &[NewMessage],
                look_up_keys: bool,
            ) -> StoreResult<Vec<Appended>> {
                if batch.is_empty() {
                    return Ok(Vec::new());
                }
                // Phase timings for the debug log (`RUST_LOG=artel_store::append=debug`).
                let started = std::time::Instant::now();
                let mut writer = self.write.acquire().await?;
                let mut tx = sqlx::Connection::begin(&mut *writer).await.map_err(backend)?;
                let begun = started.elapsed();
                let mut chats = chats_of(batch)?;
                // A retry looks its keys up under the chat locks, so it knows its
                // new messages only afterwards and advances the chats last.
                let committed = if look_up_keys {
                    Self::lock_chats(&mut tx, &mut chats).await?;
                    Self::committed_keys(&mut tx, batch).await?
                } else {
                    HashMap::new()
                };
                let (slots, places) = plan(batch, &mut chats, &committed)?;
                if !look_up_keys {
                    // The usual case: one statement locks the chats and moves them on.
                    Self::reserve_seqs(&mut tx, &mut chats).await?;
                }
                // Under the chats' locks: every membership change and archive
                // locks its chat first, so none is under way, and this
                // statement's snapshot (Postgres takes one per statement) has
                // every one committed before.
                Self::check_members(&mut tx, batch).await?;
                let locked = started.elapsed();
                let mut fresh: Vec<(&NewMessage, Message)> = places
                    .into_iter()
                    .map(|(item, place)| {
                        let base = chats.get(&item.chat_id).map_or(0, |t| t.base);
                        (item, message_of(item, base + place))
                    })
                    .collect();

                // Replies count on their roots before the insert, so a missing root is
                // `NotFound("message")` rather than a foreign-key failure; replies to a
                // root written by this same batch count after it.
                let written: HashSet<MessageId> = fresh.iter().map(|(item, _)| item.id).collect();
                let in_batch = |item: &NewMessage| item.thread_root_id.is_some_and(|r| written.contains(&r));
                for (item, _) in fresh.iter().filter(|(item, _)| !in_batch(item)) {
                    Self::count_reply(&mut tx, item).await?;
                }
                let before_insert = started.elapsed();
                Self::insert_messages(&mut tx, &fresh).await?;
                let inserted = started.elapsed();
                for (item, _) in fresh.iter().filter(|(item, _)| in_batch(item)) {
                    Self::count_reply(&mut tx, item).await?;
                }
                Self::insert_batch_mentions(&mut tx, &fresh).await?;
                for (item, message) in fresh.iter_mut() {
                    message.attachments = Self::link_attachments(&mut tx, item).await?;
                }
                let events: Vec<ChatEvent> = fresh.iter().map(|(_, m)| created_event(m)).collect();
                Self::insert_events(&mut tx, &events).await?;
                let evented = started.elapsed();
                if look_up_keys {
                    Self::advance_chats(&mut tx, &chats).await?;
                }
                let advanced = started.elapsed();
                tx.commit().await.map_err(on_unique("message"))?;
                drop(writer);
                let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
                tracing::debug!(
                    size = batch.len(),
                    chats = chats.len(),
                    begin = ms(begun),
                    lock = ms(locked - begun),
                    replies = ms(before_insert - locked),
                    messages = ms(inserted - before_insert),
                    events = ms(evented - inserted),
                    advance = ms(advanced - evented),
                    commit = ms(started.elapsed() - advanced),
                    "append phases (ms)"
                );

                Ok(answers(slots, &fresh, events))
            }

            /// Locks the batch's chats in id order and reads their `last_seq`;
            /// `NotFound("chat")` if one is not in its workspace.
            async fn lock_chats(
                tx: &mut sqlx::Transaction<'_, $db>,
                chats: &mut BTreeMap<ChatId, ChatTake>,
            ) -> StoreResult<()> {
                let ids: Vec<ChatId> = chats.keys().copied().collect();
                for chunk in statements(&ids) {
                    // Padding repeats an id, which an `in` list ignores.
                    let sql = $lock_chats.replace("{ids}", &$params.list(chunk.rows));
                    let mut query = sqlx::query_as::<_, (ChatId, WorkspaceId, i64)>(&sql);
                    for id in chunk.padded() {
                        query = query.bind(*id);
                    }
                    let rows = query.fetch_all(&mut **tx).await.map_err(backend)?;
                    note_bases(chats, rows, chunk.items.len(), false)?;
                }
                Ok(())
            }

            /// `NotAllowed` unless every author who must be a member of their
            /// chat is one, and the chat is not archived. A chat that is not
            /// there at all is left to the chats' lock (`NotFound`).
            async fn check_members(tx: &mut sqlx::Transaction<'_, $db>, batch: &[NewMessage]) -> StoreResult<()> {
                let pairs = members_to_check(batch)?;
                for chunk in statements(&pairs) {
                    let sql = format!(
                        "with k (chat_id, user_id) as (values {}) \
                         select count(*) from k join chats c on c.id = k.chat_id \
                         where c.archived_at is not null or not exists ( \
                             select 1 from chat_members m where m.chat_id = k.chat_id and m.user_id = k.user_id)",
                        $params.rows(chunk.rows, 2),
                    );
                    let mut query = sqlx::query_scalar::<_, i64>(&sql);
                    for (chat, user) in chunk.padded() {
                        query = query.bind(*chat).bind(*user);
                    }
                    if query.fetch_one(&mut **tx).await.map_err(backend)? > 0 {
                        return Err(StoreError::NotAllowed(NOT_A_MEMBER));
                    }
                }
                Ok(())
            }

            /// Messages already committed under the batch's idempotency keys, by key.
            /// Run under the chat locks and in the write transaction; a concurrent
            /// writer (another node) that commits the same key meanwhile makes the
            /// insert fail with `Conflict`, never a second message.
            async fn committed_keys(
                tx: &mut sqlx::Transaction<'_, $db>,
                batch: &[NewMessage],
            ) -> StoreResult<HashMap<(UserId, String), Message>> {
                let mut keys: Vec<(UserId, &str)> = batch.iter().filter_map(key_of).collect();
                keys.sort_unstable();
                keys.dedup();
                let mut found = HashMap::new();
                for chunk in statements(&keys) {
                    // A joined list of keys: each row is one probe of the unique
                    // (author_id, client_msg_id) index on both engines.
                    let sql = format!(
                        "with k (author_id, client_msg_id) as (values {}) \
                         select {} from k join messages m \
                         on m.author_id = k.author_id and m.client_msg_id = k.client_msg_id",
                        $params.rows(chunk.rows, 2),
                        prefixed(MESSAGE_COLUMNS, "m"),
                    );
                    let mut query = sqlx::query_as::<_, MessageRow>(&sql);
                    for (author, key) in chunk.padded() {
                        query = query.bind(*author).bind(*key);
                    }
                    for row in query.fetch_all(&mut **tx).await.map_err(backend)? {
                        let mut message: Message = row.try_into()?;
                        let (Some(author), Some(key)) = (message.author_id, message.client_msg_id.clone()) else {
                            continue;
                        };
                        // A padding row repeats a key: its match comes twice.
                        if found.contains_key(&(author, key.clone())) {
                            continue;
                        }
                        let workspace = message.workspace_id;
                        Self::fill_attachments(tx, workspace, std::slice::from_mut(&mut message)).await?;
                        found.insert((author, key), message);
                    }
                }
                Ok(found)
            }

            async fn insert_messages(
                tx: &mut sqlx::Transaction<'_, $db>,
                fresh: &[(&NewMessage, Message)],
            ) -> StoreResult<()> {
                // Rows go in idempotency-key order, whatever their seqs: two batches
                // in flight at once (on one node or two) that share keys then wait on
                // each other's keys in the same order and cannot deadlock.
                let mut rows: Vec<&Message> = fresh.iter().map(|(_, m)| m).collect();
                rows.sort_by(|a, b| (a.author_id, &a.client_msg_id).cmp(&(b.author_id, &b.client_msg_id)));
                for chunk in statements(&rows) {
                    let sql = format!(
                        "insert into messages (id, workspace_id, chat_id, seq, author_id, kind, body, \
                         thread_root_id, client_msg_id, mentions, mentions_all, created_at, notice) {}",
                        $params.kept_rows(chunk.rows, 13)
                    );
                    let mut query = sqlx::query(&sql);
                    for (m, keep) in chunk.rows_kept() {
                        query = query
                            .bind(m.id)
                            .bind(m.workspace_id)
                            .bind(m.chat_id)
                            .bind(m.seq)
                            .bind(m.author_id)
                            .bind(m.kind.as_str())
                            .bind(&m.body)
                            .bind(m.thread_root_id)
                            .bind(m.client_msg_id.as_deref())
                            .bind(Json(&m.mentions))
                            .bind(m.mentions_all)
                            .bind(m.created_at)
                            .bind(m.notice.as_ref().map(|n| Json(n.to_json())))
                            .bind(keep);
                    }
                    query.execute(&mut **tx).await.map_err(on_unique("message"))?;
                }
                Ok(())
            }

            /// A thread reply bumps its root's `reply_count` and `last_reply_at`;
            /// `NotFound("message")` unless the root is a top-level message of its chat.
            async fn count_reply(tx: &mut sqlx::Transaction<'_, $db>, item: &NewMessage) -> StoreResult<()> {
                let Some(root) = item.thread_root_id else { return Ok(()) };
                let done = sqlx::query(
                    "update messages set reply_count = reply_count + 1, \
                     last_reply_at = case when last_reply_at is null or last_reply_at < $4 \
                       then $4 else last_reply_at end \
                     where id = $1 and chat_id = $2 and workspace_id = $3 and thread_root_id is null",
                )
                .bind(root)
                .bind(item.chat_id)
                .bind(item.workspace_id)
                .bind(item.created_at)
                .execute(&mut **tx)
                .await
                .map_err(backend)?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound("message"));
                }
                Ok(())
            }

            async fn insert_batch_mentions(
                tx: &mut sqlx::Transaction<'_, $db>,
                fresh: &[(&NewMessage, Message)],
            ) -> StoreResult<()> {
                let rows: Vec<(&Message, &UserId)> =
                    fresh.iter().flat_map(|(_, m)| m.mentions.iter().map(move |u| (m, u))).collect();
                for chunk in statements(&rows) {
                    let sql = format!(
                        "insert into message_mentions (message_id, user_id, chat_id) {} \
                         on conflict (message_id, user_id) do nothing",
                        $params.kept_rows(chunk.rows, 3)
                    );
                    let mut query = sqlx::query(&sql);
                    for ((m, user), keep) in chunk.rows_kept() {
                        query = query.bind(m.id).bind(**user).bind(m.chat_id).bind(keep);
                    }
                    query.execute(&mut **tx).await.map_err(backend)?;
                }
                Ok(())
            }

            async fn insert_events(tx: &mut sqlx::Transaction<'_, $db>, events: &[ChatEvent]) -> StoreResult<()> {
                for chunk in statements(events) {
                    let sql = format!(
                        "insert into chat_events (chat_id, seq, workspace_id, message_id, payload, created_at) {}",
                        $params.kept_rows(chunk.rows, 6)
                    );
                    let mut query = sqlx::query(&sql);
                    for (event, keep) in chunk.rows_kept() {
                        let message = match &event.change {
                            ChatChange::MessageCreated { message } => Some(message.id),
                            _ => None,
                        };
                        query = query
                            .bind(event.chat_id)
                            .bind(event.seq)
                            .bind(event.workspace_id)
                            .bind(message)
                            .bind(Json(&event.change))
                            .bind(event.created_at)
                            .bind(keep);
                    }
                    query.execute(&mut **tx).await.map_err(backend)?;
                }
                Ok(())
            }

            /// Locks the batch's chats and moves each one's `last_seq` on by its
            /// new messages, in one statement, and notes each chat's `base`;
            /// `NotFound("chat")` if one is not in its workspace (the caller's
            /// transaction then rolls back).
            async fn reserve_seqs(
                tx: &mut sqlx::Transaction<'_, $db>,
                chats: &mut BTreeMap<ChatId, ChatTake>,
            ) -> StoreResult<()> {
                let rows: Vec<(ChatId, i64, Option<DateTime<Utc>>)> =
                    chats.iter().map(|(id, take)| (*id, take.count, take.activity)).collect();
                for chunk in statements(&rows) {
                    let sql = advance_sql($params, chunk.rows, Advance::By { ordered_lock: $ordered_lock });
                    let mut query = sqlx::query_as::<_, (ChatId, WorkspaceId, i64)>(&sql);
                    if $ordered_lock {
                        for (id, _, _) in chunk.padded() {
                            query = query.bind(*id);
                        }
                    }
                    for (id, count, _) in chunk.padded() {
                        query = query.bind(*id).bind(*count);
                    }
                    for (id, _, at) in chunk.padded() {
                        query = query.bind(*id).bind(*at).bind(*at);
                    }
                    if !$ordered_lock {
                        for (id, _, _) in chunk.padded() {
                            query = query.bind(*id);
                        }
                    }
                    let rows = query.fetch_all(&mut **tx).await.map_err(backend)?;
                    note_bases(chats, rows, chunk.items.len(), true)?;
                }
                Ok(())
            }

            /// After `lock_chats`: stores each written chat's new `last_seq` and
            /// moves its `last_activity_at` forward, one statement for all of them.
            async fn advance_chats(
                tx: &mut sqlx::Transaction<'_, $db>,
                chats: &BTreeMap<ChatId, ChatTake>,
            ) -> StoreResult<()> {
                let written: Vec<(ChatId, i64, DateTime<Utc>)> = chats
                    .iter()
                    .filter_map(|(id, take)| take.activity.map(|at| (*id, take.base + take.count, at)))
                    .collect();
                for chunk in statements(&written) {
                    let sql = advance_sql($params, chunk.rows, Advance::To);
                    let mut query = sqlx::query(&sql);
                    for (id, seq, _) in chunk.padded() {
                        query = query.bind(*id).bind(*seq);
                    }
                    for (id, _, at) in chunk.padded() {
                        query = query.bind(*id).bind(*at).bind(*at);
                    }
                    for (id, _, _) in chunk.padded() {
                        query = query.bind(*id);
                    }
                    query.execute(&mut **tx).await.map_err(backend)?;
                }
                Ok(())
            }
        }
    };
}

// SQLite has one writer, so an update that changes nothing takes the write lock at
// once (a read first would have to upgrade it later). Postgres locks the rows in id
// order, as every multi-chat writer must, so that two nodes' batches cannot deadlock.
impl_append!(
    SqliteStore,
    sqlx::Sqlite,
    Params::Anonymous,
    "update chats set last_seq = last_seq where id in ({ids}) returning id, workspace_id, last_seq",
    false
);
impl_append!(
    PostgresStore,
    sqlx::Postgres,
    Params::Numbered,
    "select id, workspace_id, last_seq from chats where id in ({ids}) order by id for update",
    true
);

impl SqliteStore {
    /// A batch's first attempt. Every statement on SQLite is a hand-off to the
    /// writer's thread in this process, not a network round trip, so the batch
    /// goes the usual way (`append_batch_once`); Postgres writes most batches in
    /// one statement instead (`append_one_statement.rs`).
    async fn append_first_try(&self, batch: &[NewMessage]) -> StoreResult<Vec<Appended>> {
        self.append_batch_once(batch, false).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_are_padded_to_powers_of_two_in_order() {
        for n in [0usize, 1, 2, 3, 100, 127, 128, 129, 300] {
            let items: Vec<usize> = (0..n).collect();
            let parts = statements(&items);
            let real: Vec<usize> = parts.iter().flat_map(|p| p.items.iter().copied()).collect();
            assert_eq!(real, items, "n = {n}: every item once, in order");
            for p in &parts {
                assert!(p.rows.is_power_of_two() && p.rows <= ROWS_PER_STATEMENT, "n = {n}: {}", p.rows);
                assert!(
                    p.rows >= p.items.len() && p.rows < 2 * p.items.len(),
                    "n = {n}: padded past the next power"
                );
                let padded: Vec<usize> = p.padded().copied().collect();
                assert_eq!(padded.len(), p.rows);
                assert!(
                    padded[p.items.len()..].iter().all(|x| Some(x) == p.items.last()),
                    "padding repeats the last"
                );
                let kept = p.rows_kept().filter(|(_, keep)| *keep).count();
                assert_eq!(kept, p.items.len(), "only real rows are kept");
            }
        }
        let rows: Vec<usize> = statements(&[0u8; 300]).iter().map(|p| p.rows).collect();
        assert_eq!(rows, vec![128, 128, 64]);
        assert_eq!(statements(&[0u8; 100]).len(), 1, "100 rows are one statement");
    }

    #[test]
    fn kept_rows_filter_padding_on_both_engines() {
        assert_eq!(
            Params::Anonymous.kept_rows(2, 2),
            "select column1, column2 from (values (?, ?, ?), (?, ?, ?)) where column3"
        );
        assert_eq!(
            Params::Numbered.kept_rows(1, 2),
            "select c1, c2 from (values ($1, $2, $3)) as v (c1, c2, keep) where keep"
        );
    }

    #[test]
    fn advance_locks_in_order_only_where_asked() {
        assert_eq!(
            advance_sql(Params::Numbered, 1, Advance::By { ordered_lock: true }),
            "with locked as materialized (select id from chats where id in ($1) order by id for update) \
             update chats set last_seq = last_seq + case id when $2 then $3 end, \
             last_activity_at = case id when $4 then case when last_activity_at < $5 then $6 \
             else last_activity_at end end where id in (select id from locked) \
             returning id, workspace_id, last_seq"
        );
        assert_eq!(
            advance_sql(Params::Anonymous, 1, Advance::To),
            "update chats set last_seq = case id when ? then ? end, \
             last_activity_at = case id when ? then case when last_activity_at < ? then ? \
             else last_activity_at end end where id in (?)"
        );
    }

    #[test]
    fn anonymous_parameters_have_no_numbers() {
        assert_eq!(Params::Numbered.rows(2, 2), "($1, $2), ($3, $4)");
        assert_eq!(Params::Anonymous.rows(2, 2), "(?, ?), (?, ?)");
        assert_eq!(Params::Numbered.list(3), "$1, $2, $3");
    }
}
