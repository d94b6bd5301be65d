//! `MessageStore::send_contexts`: the checks of many sends in one read.
//!
//! Every send is checked against its chat, the author's membership and an earlier
//! message with its idempotency key before it is queued for the group commit. One
//! read per send was a hand-off to a SQLite reader thread (a Postgres round trip)
//! per message; sends that arrive together are now read together
//! (`messaging/send_checks.rs` in the server gathers them).

use std::collections::HashMap;

use artel_core::chat::{Chat, ChatMember};
use artel_core::message::{SendContext, SendContextRequest};
use artel_core::StoreResult;

use crate::append::Params;
use crate::errors::backend;
use crate::rows::{prefixed, SendContextRow, CHAT_COLUMNS};
use crate::{PostgresStore, SqliteStore};

/// Most sends read by one statement (5 parameters each).
const MAX_SENDS_PER_READ: usize = 128;

/// A `SendContextRow` with the index of the request it answers.
#[derive(sqlx::FromRow)]
struct IndexedRow {
    request: i64,
    #[sqlx(flatten)]
    context: SendContextRow,
}

/// The statement for `rows` requests: each request joined with its chat (inner
/// join: a request whose chat is not in its workspace gets no row), the author's
/// membership and the author's message with the key.
fn sql(params: Params, rows: usize) -> String {
    format!(
        "with r (request, workspace_id, chat_id, author_id, client_msg_id) as (values {}) \
         select r.request as request, {}, m.role as member_role, m.joined_at as member_joined_at, \
         m.last_read_seq as member_last_read_seq, x.id as existing_id \
         from r \
         join chats c on c.workspace_id = r.workspace_id and c.id = r.chat_id \
         left join chat_members m on m.chat_id = c.id and m.user_id = r.author_id \
             and m.workspace_id = r.workspace_id \
         left join messages x on x.author_id = r.author_id and x.client_msg_id = r.client_msg_id \
             and x.workspace_id = r.workspace_id",
        params.rows(rows, 5),
        prefixed(CHAT_COLUMNS, "c")
    )
}

/// Turns a row into the context it stands for; the earlier message, if any, is
/// read afterwards by the caller (from the id returned alongside).
pub(crate) fn context_of(
    author: artel_core::user::UserId,
    row: SendContextRow,
) -> StoreResult<(SendContext, Option<uuid::Uuid>)> {
    let chat: Chat = row.chat.try_into()?;
    let member = match (row.member_role, row.member_joined_at, row.member_last_read_seq) {
        (Some(role), Some(joined_at), Some(last_read_seq)) => Some(ChatMember {
            chat_id: chat.id,
            user_id: author,
            role: role.parse().map_err(artel_core::StoreError::Backend)?,
            joined_at,
            last_read_seq,
        }),
        _ => None,
    };
    Ok((SendContext { existing: None, chat: Some(chat), member }, row.existing_id))
}

macro_rules! impl_send_contexts {
    ($store:ty, $params:expr) => {
        impl $store {
            pub(crate) async fn read_send_contexts(
                &self,
                requests: &[SendContextRequest],
            ) -> StoreResult<Vec<SendContext>> {
                use artel_core::ports::store::MessageStore;
                let mut found: HashMap<usize, (SendContext, Option<uuid::Uuid>)> = HashMap::new();
                for (chunk_no, chunk) in requests.chunks(MAX_SENDS_PER_READ).enumerate() {
                    let first = chunk_no * MAX_SENDS_PER_READ;
                    // Padded to a power of two by repeating the last request (its
                    // row comes twice and says the same), so that a connection
                    // prepares a handful of statements, not one per batch size.
                    let rows = chunk.len().next_power_of_two();
                    let sql = sql($params, rows);
                    let mut query = sqlx::query_as::<_, IndexedRow>(&sql);
                    let last = chunk.len() - 1;
                    for i in 0..rows {
                        let i = i.min(last);
                        let request = &chunk[i];
                        query = query
                            .bind((first + i) as i64)
                            .bind(request.workspace)
                            .bind(request.chat)
                            .bind(request.author)
                            .bind(request.client_msg_id.as_deref());
                    }
                    let rows = query.fetch_all(&mut *self.read.acquire().await?).await.map_err(backend)?;
                    for row in rows {
                        let index = usize::try_from(row.request).unwrap_or(usize::MAX);
                        if let Some(request) = requests.get(index) {
                            found.insert(index, context_of(request.author, row.context)?);
                        }
                    }
                }
                let mut out = Vec::with_capacity(requests.len());
                for (index, request) in requests.iter().enumerate() {
                    let context = match found.remove(&index) {
                        Some((mut context, existing)) => {
                            if let Some(id) = existing {
                                context.existing = Some(self.get_message(request.workspace, id).await?);
                            }
                            context
                        }
                        // No such chat in the workspace: the single read also looks
                        // for a retry of a message sent to another chat.
                        None => {
                            self.send_context(
                                request.workspace,
                                request.chat,
                                request.author,
                                request.client_msg_id.as_deref(),
                            )
                            .await?
                        }
                    };
                    out.push(context);
                }
                Ok(out)
            }
        }
    };
}

impl_send_contexts!(SqliteStore, Params::Anonymous);
impl_send_contexts!(PostgresStore, Params::Numbered);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_values_row_per_request_on_both_engines() {
        let pg = sql(Params::Numbered, 2);
        assert!(pg.contains("values ($1, $2, $3, $4, $5), ($6, $7, $8, $9, $10))"), "{pg}");
        let lite = sql(Params::Anonymous, 2);
        assert!(lite.contains("values (?, ?, ?, ?, ?), (?, ?, ?, ?, ?))"), "{lite}");
        assert!(!lite.contains('$'), "SQLite gets anonymous parameters only");
    }
}
