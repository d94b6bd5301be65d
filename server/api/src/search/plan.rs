//! From a searcher and a parsed query to one `IndexQuery` per kind, with the
//! searcher's permissions as filters: messages only from chats they are a
//! member of now (public channels they have not joined are not searched —
//! their content is read after joining, as in the chat API), records only of
//! their workspace and as visible to them (guests: no clients, only their
//! deals and tasks). Operators naming chats, people, deals or stages are
//! resolved among what the searcher can see; a name that resolves to nothing
//! matches nothing, so an operator can never reveal what exists elsewhere.

use std::collections::BTreeSet;

use artel_core::crm::deal::DealVisibility;
use artel_core::ports::crm::DealFilter;
use artel_core::search::query::ParsedQuery;
use artel_core::search::{DealScope, IndexFilter, IndexQuery, SearchKind, SearchSort};
use artel_core::user::{Role, User};
use chrono::{NaiveDate, TimeZone, Utc};
use uuid::Uuid;

use crate::commands::resolve::{best, norm, person_names};
use crate::error::ApiResult;
use crate::state::AppState;

/// Upper bound on deals read to resolve `deal:` or a member's own deals.
const MAX_DEALS: i64 = 5000;

fn start_of(d: NaiveDate) -> Option<chrono::DateTime<Utc>> {
    d.and_hms_opt(0, 0, 0).map(|t| Utc.from_utc_datetime(&t))
}

/// What the operators and the searcher's rights resolve to.
struct Scope {
    member_chats: Vec<Uuid>,
    /// `in:` chats (among mine), when given.
    in_chats: Option<Vec<Uuid>>,
    authors: Option<Vec<Uuid>>,
    /// `deal:` deals (among those I see) and their chats, when given.
    deals: Option<Vec<Uuid>>,
    deal_chats: Option<Vec<Uuid>>,
    stages: Option<Vec<Uuid>>,
    /// Records restriction for deals and tasks (`None`: sees all).
    deal_restrict: Option<(Uuid, DealScope)>,
    task_restrict: Option<(Uuid, DealScope)>,
}

async fn visible_deals(
    state: &AppState,
    user: &User,
    visibility: DealVisibility,
    text: Option<&str>,
) -> ApiResult<Vec<artel_core::crm::deal::Deal>> {
    let mut filter = DealFilter::for_viewer(user, visibility);
    filter.text = text.map(str::to_string);
    filter.include_archived = true;
    filter.limit = MAX_DEALS;
    Ok(state.store.list_deals(user.workspace_id, &filter).await?)
}

async fn scope(state: &AppState, user: &User, q: &ParsedQuery) -> ApiResult<Scope> {
    let ws = state.store.get_workspace(user.workspace_id).await?;
    let visibility = ws.settings.deal_visibility;
    let member_chats = state.store.member_chat_ids(user.workspace_id, user.id).await?;
    let in_chats = if q.in_chats.is_empty() {
        None
    } else {
        let mine = state.store.member_chat_names(user.workspace_id, user.id).await?;
        let mut ids = BTreeSet::new();
        for typed in &q.in_chats {
            let typed = norm(typed);
            ids.extend(mine.iter().filter(|(_, name)| norm(name) == typed).map(|(id, _)| *id));
        }
        Some(ids.into_iter().collect())
    };
    let authors = if q.from.is_empty() {
        None
    } else {
        // Guests know only the people of their chats.
        let people = if user.role == Role::Guest {
            let mut seen = BTreeSet::new();
            let mut people = Vec::new();
            for chat in &member_chats {
                for m in state.store.list_members(user.workspace_id, *chat).await? {
                    if seen.insert(m.user_id) {
                        people.push(state.store.get_user(user.workspace_id, m.user_id).await?);
                    }
                }
            }
            people
        } else {
            state.store.list_users(user.workspace_id).await?
        };
        let mut ids = BTreeSet::new();
        for typed in &q.from {
            ids.extend(best(&people, typed, person_names).into_iter().map(|u| u.id));
        }
        Some(ids.into_iter().collect())
    };
    let (deals, deal_chats) = if q.deals.is_empty() {
        (None, None)
    } else {
        let mut ids = BTreeSet::new();
        let mut chats = BTreeSet::new();
        for typed in &q.deals {
            let found = visible_deals(state, user, visibility, Some(typed)).await?;
            for d in best(&found, typed, |d| vec![d.title.clone()]) {
                ids.insert(d.id);
                chats.extend(d.chat_id);
            }
        }
        (Some(ids.into_iter().collect()), Some(chats.into_iter().collect()))
    };
    let stages = if q.stages.is_empty() {
        None
    } else {
        let mut ids = BTreeSet::new();
        for p in state.store.list_pipelines(user.workspace_id, false).await? {
            for s in state.store.list_stages(user.workspace_id, p.id).await? {
                if q.stages.iter().any(|t| norm(t) == norm(&s.name)) {
                    ids.insert(s.id);
                }
            }
        }
        Some(ids.into_iter().collect())
    };
    let restricted = match user.role {
        Role::Owner | Role::Admin => false,
        Role::Guest => true,
        Role::Member => visibility == DealVisibility::Own,
    };
    let deal_restrict = restricted.then_some((user.id, DealScope::None));
    let task_restrict = match user.role {
        Role::Owner | Role::Admin => None,
        Role::Guest => Some((user.id, DealScope::None)),
        Role::Member if visibility == DealVisibility::All => Some((user.id, DealScope::Any)),
        Role::Member => {
            let mine = visible_deals(state, user, visibility, None).await?;
            Some((user.id, DealScope::Ids(mine.into_iter().map(|d| d.id).collect())))
        }
    };
    Ok(Scope { member_chats, in_chats, authors, deals, deal_chats, stages, deal_restrict, task_restrict })
}

fn intersect(a: Vec<Uuid>, b: &Option<Vec<Uuid>>) -> Vec<Uuid> {
    match b {
        Some(b) => a.into_iter().filter(|x| b.contains(x)).collect(),
        None => a,
    }
}

/// One query per requested kind the operators allow; kinds that cannot match
/// (a guest's clients, a message-only operator on records…) are left out.
pub async fn plan(
    state: &AppState,
    user: &User,
    q: &ParsedQuery,
    kinds: &[SearchKind],
    sort: SearchSort,
    limit: usize,
    offset: usize,
) -> ApiResult<Vec<IndexQuery>> {
    let s = scope(state, user, q).await?;
    let base = IndexFilter {
        before: q.before.and_then(start_of),
        after: q.after.and_then(start_of),
        ..IndexFilter::default()
    };
    let mut words = q.words.clone();
    let prefix = if q.prefix_last { words.pop() } else { None };
    let mut out = Vec::new();
    for &kind in kinds {
        let filter = match kind {
            SearchKind::Message => {
                if s.stages.is_some() {
                    continue;
                }
                let chats = intersect(intersect(s.member_chats.clone(), &s.in_chats), &s.deal_chats);
                IndexFilter {
                    chat_ids: Some(chats),
                    author_ids: s.authors.clone(),
                    has_file: q.has_file,
                    has_link: q.has_link,
                    is_thread: q.is_thread,
                    ..base.clone()
                }
            }
            SearchKind::Deal => {
                if q.message_only() {
                    continue;
                }
                IndexFilter {
                    deal_ids: s.deals.clone(),
                    stage_ids: s.stages.clone(),
                    restrict_to: s.deal_restrict.clone(),
                    ..base.clone()
                }
            }
            SearchKind::Task => {
                if q.message_only() || s.stages.is_some() {
                    continue;
                }
                IndexFilter {
                    deal_ids: s.deals.clone(),
                    restrict_to: s.task_restrict.clone(),
                    ..base.clone()
                }
            }
            SearchKind::Contact | SearchKind::Company => {
                if user.role == Role::Guest || q.message_only() || s.stages.is_some() || s.deals.is_some() {
                    continue;
                }
                base.clone()
            }
        };
        out.push(IndexQuery {
            workspace_id: user.workspace_id,
            kind,
            words: words.clone(),
            prefix: prefix.clone(),
            phrases: q.phrases.clone(),
            excluded: q.excluded.clone(),
            keys: q.keys.clone(),
            filter,
            sort,
            limit,
            offset,
        });
    }
    Ok(out)
}
