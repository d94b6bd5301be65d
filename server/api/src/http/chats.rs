//! Chats: create (channel, group, direct), my chats, browse, read, change,
//! join/leave, members, read marks.

use artel_core::chat::{Chat, ChatKind, ChatMember, ChatPatch, MemberRole};
use artel_core::event::{Audience, ChatEvent, Envelope, Ephemeral};
use artel_core::user::{Role, User};
use artel_core::{permissions, validate, Error, StoreError};
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::ApiResult;
use crate::extract::{Json, Path};
use crate::messaging::send::chat_not_found;
use crate::messaging::wire::{ChatDto, ChatSummaryDto};
use crate::state::AppState;

/// Most people added when a chat is created.
const MAX_INITIAL_MEMBERS: usize = 500;
const MAX_DESCRIPTION_CHARS: usize = 1000;

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NewChatKind {
    Channel,
    Group,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateChat {
    pub kind: NewChatKind,
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Channels only; groups are always private.
    #[serde(default)]
    pub is_private: bool,
    /// People to add besides the creator.
    #[serde(default)]
    pub member_ids: Vec<Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenDirect {
    pub user_id: Uuid,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChatUpdate {
    pub name: Option<String>,
    pub description: Option<String>,
    pub archived: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddMember {
    pub user_id: Uuid,
    pub role: Option<MemberRole>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkRead {
    pub seq: i64,
}

#[derive(Debug, serde::Serialize, ToSchema)]
pub struct MemberDto {
    pub user_id: Uuid,
    pub role: MemberRole,
    pub joined_at: chrono::DateTime<chrono::Utc>,
    pub last_read_seq: i64,
}

impl From<&ChatMember> for MemberDto {
    fn from(m: &ChatMember) -> Self {
        Self { user_id: m.user_id, role: m.role, joined_at: m.joined_at, last_read_seq: m.last_read_seq }
    }
}

/// The chat and the caller's membership, or 404 when the caller may not even
/// know the chat exists.
pub async fn load_chat(
    state: &AppState,
    user: &User,
    id: Uuid,
) -> artel_core::Result<(Chat, Option<ChatMember>)> {
    let chat = state.store.get_chat(user.workspace_id, id).await.map_err(chat_not_found)?;
    let member = state.store.get_member(user.workspace_id, id, user.id).await?;
    if !permissions::can_see_chat(user, &chat, member.as_ref()) {
        return Err(Error::NotFound("chat"));
    }
    Ok((chat, member))
}

/// Publishes committed chat events in order (through the committer's stream).
fn publish(state: &AppState, events: impl IntoIterator<Item = ChatEvent>) {
    state.committer.publish(events.into_iter().collect());
}

/// Tells these users' sockets to follow a chat they were put into at creation.
async fn announce_joined(state: &AppState, chat: &Chat, users: &[Uuid]) {
    for user in users {
        let envelope = Envelope::ephemeral(
            chat.workspace_id,
            Audience::Users { user_ids: vec![*user] },
            Ephemeral::JoinedChat { chat_id: chat.id, user_id: *user },
        );
        if let Err(e) = state.bus.publish(&envelope).await {
            tracing::warn!(error = %e, "could not announce a new chat");
        }
    }
}

/// Gives a new workspace its first public channel, which every invited person joins
/// (Slack's #general): a new team has somewhere to say hello on day one.
pub async fn create_default_channel(state: &AppState, owner: &User) -> artel_core::Result<Chat> {
    let (name, description) = match owner.language {
        artel_core::user::Language::Ru => {
            ("общий", "Канал для всей команды: сюда попадает каждый новый участник.")
        }
        artel_core::user::Language::En => {
            ("general", "The whole team's channel: everyone who joins lands here.")
        }
    };
    let now = state.clock.now();
    let chat = Chat {
        id: Uuid::now_v7(),
        workspace_id: owner.workspace_id,
        kind: ChatKind::Channel,
        name: Some(name.to_string()),
        description: description.to_string(),
        is_private: false,
        direct_key: None,
        entity: None,
        created_by: owner.id,
        created_at: now,
        updated_at: now,
        archived_at: None,
        last_seq: 0,
        last_activity_at: now,
    };
    let member = ChatMember {
        chat_id: chat.id,
        user_id: owner.id,
        role: MemberRole::Owner,
        joined_at: now,
        last_read_seq: 0,
    };
    let event = state.store.create_chat(&chat, &[member]).await?;
    state.store.add_default_chat(owner.workspace_id, chat.id, now).await?;
    publish(state, [event]);
    Ok(chat)
}

/// Puts a person who just joined the workspace into its default channels. Best
/// effort: a channel archived or made private since is skipped, and a failure
/// here must not undo an accepted invite.
pub async fn join_default_chats(state: &AppState, user: &User) {
    let chats = match state.store.default_chats(user.workspace_id).await {
        Ok(chats) => chats,
        Err(e) => {
            tracing::warn!(error = %e, user = %user.id, "could not read the default channels");
            return;
        }
    };
    for id in chats {
        let joined = async {
            let chat = state.store.get_chat(user.workspace_id, id).await?;
            if permissions::can_join(user, &chat).is_err() {
                return Ok::<_, StoreError>(None);
            }
            state
                .store
                .add_member(user.workspace_id, id, user.id, MemberRole::Member, None, state.clock.now())
                .await
        }
        .await;
        match joined {
            Ok(event) => publish(state, event),
            Err(e) => {
                tracing::warn!(error = %e, user = %user.id, chat = %id, "could not join a default channel")
            }
        }
    }
}

/// Checks that every id is an active user of the workspace.
async fn workspace_users(state: &AppState, actor: &User, ids: &[Uuid]) -> artel_core::Result<Vec<User>> {
    let mut users = Vec::with_capacity(ids.len());
    for id in ids {
        match state.store.get_user(actor.workspace_id, *id).await {
            Ok(u) if u.is_active() => users.push(u),
            Ok(_) | Err(StoreError::NotFound(_)) => {
                return Err(Error::invalid(
                    "member_ids",
                    format!("{id} is not an active user of this workspace"),
                ))
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(users)
}

/// Creates a channel or a group chat; the creator becomes its owner.
#[utoipa::path(post, path = "/chats", tag = "chats", security(("bearer" = [])), request_body = CreateChat,
    responses((status = 201, body = ChatDto), (status = 403, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn create_chat(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(req): Json<CreateChat>,
) -> ApiResult<(StatusCode, Json<ChatDto>)> {
    let me = &auth.user;
    if me.role == Role::Guest {
        return Err(Error::forbidden("guests cannot create chats").into());
    }
    let name = validate::display_name("name", &req.name)?;
    if req.description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(Error::invalid(
            "description",
            format!("must be at most {MAX_DESCRIPTION_CHARS} characters"),
        )
        .into());
    }
    let mut ids: Vec<Uuid> = req.member_ids.iter().copied().filter(|id| *id != me.id).collect();
    ids.sort();
    ids.dedup();
    if ids.len() > MAX_INITIAL_MEMBERS {
        return Err(
            Error::invalid("member_ids", format!("at most {MAX_INITIAL_MEMBERS} people at once")).into()
        );
    }
    let others = workspace_users(&state, me, &ids).await?;
    let now = state.clock.now();
    let kind = match req.kind {
        NewChatKind::Channel => ChatKind::Channel,
        NewChatKind::Group => ChatKind::Group,
    };
    let chat = Chat {
        id: Uuid::now_v7(),
        workspace_id: me.workspace_id,
        kind,
        name: Some(name),
        description: req.description.trim().to_string(),
        is_private: kind == ChatKind::Group || req.is_private,
        direct_key: None,
        entity: None,
        created_by: me.id,
        created_at: now,
        updated_at: now,
        archived_at: None,
        last_seq: 0,
        last_activity_at: now,
    };
    let member =
        |user_id, role| ChatMember { chat_id: chat.id, user_id, role, joined_at: now, last_read_seq: 0 };
    let mut members = vec![member(me.id, MemberRole::Owner)];
    members.extend(others.iter().map(|u| member(u.id, MemberRole::Member)));
    let event = state.store.create_chat(&chat, &members).await?;
    let created = match &event.change {
        artel_core::event::ChatChange::ChatUpdated { chat } => chat.clone(),
        _ => chat,
    };
    let user_ids: Vec<Uuid> = members.iter().map(|m| m.user_id).collect();
    announce_joined(&state, &created, &user_ids).await;
    publish(&state, [event]);
    Ok((StatusCode::CREATED, Json(ChatDto::from(&created))))
}

/// Opens (creating on first use) the direct chat with another person.
#[utoipa::path(post, path = "/chats/direct", tag = "chats", security(("bearer" = [])), request_body = OpenDirect,
    responses((status = 200, body = ChatDto), (status = 201, body = ChatDto), (status = 422, body = crate::error::ErrorBody)))]
pub async fn open_direct(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(req): Json<OpenDirect>,
) -> ApiResult<(StatusCode, Json<ChatDto>)> {
    let me = &auth.user;
    if req.user_id == me.id {
        return Err(Error::invalid("user_id", "pick someone other than yourself").into());
    }
    let other = workspace_users(&state, me, &[req.user_id])
        .await
        .map_err(|_| Error::invalid("user_id", "not an active user of this workspace"))?;
    let other = &other[0];
    if me.role == Role::Guest || other.role == Role::Guest {
        // Guests talk only where they were invited; a direct line needs an admin's say.
        return Err(Error::forbidden("direct chats with guests are not available").into());
    }
    let key = Chat::direct_key_for(me.id, other.id);
    if let Some(existing) = state.store.find_direct_chat(me.workspace_id, &key).await? {
        return Ok((StatusCode::OK, Json(ChatDto::from(&existing))));
    }
    let now = state.clock.now();
    let chat = Chat {
        id: Uuid::now_v7(),
        workspace_id: me.workspace_id,
        kind: ChatKind::Direct,
        name: None,
        description: String::new(),
        is_private: true,
        direct_key: Some(key.clone()),
        entity: None,
        created_by: me.id,
        created_at: now,
        updated_at: now,
        archived_at: None,
        last_seq: 0,
        last_activity_at: now,
    };
    let members: Vec<ChatMember> = [me.id, other.id]
        .iter()
        .map(|&user_id| ChatMember {
            chat_id: chat.id,
            user_id,
            role: MemberRole::Member,
            joined_at: now,
            last_read_seq: 0,
        })
        .collect();
    match state.store.create_chat(&chat, &members).await {
        Ok(event) => {
            announce_joined(&state, &chat, &[me.id, other.id]).await;
            publish(&state, [event]);
            let created = state.store.get_chat(me.workspace_id, chat.id).await?;
            Ok((StatusCode::CREATED, Json(ChatDto::from(&created))))
        }
        // Both people opened it at the same moment: the other request won.
        Err(StoreError::Conflict(_)) => {
            let existing =
                state.store.find_direct_chat(me.workspace_id, &key).await?.ok_or(Error::NotFound("chat"))?;
            Ok((StatusCode::OK, Json(ChatDto::from(&existing))))
        }
        Err(e) => Err(e.into()),
    }
}

/// My chats, most recent activity first, with unread and mention counts.
#[utoipa::path(get, path = "/chats", tag = "chats", security(("bearer" = [])),
    responses((status = 200, body = Vec<ChatSummaryDto>)))]
pub async fn my_chats(State(state): State<AppState>, auth: AuthUser) -> ApiResult<Json<Vec<ChatSummaryDto>>> {
    let me = &auth.user;
    let chats = state.store.list_my_chats(me.workspace_id, me.id).await?;
    let muted: std::collections::HashSet<Uuid> =
        state.store.chats_muted_by(me.workspace_id, me.id).await?.into_iter().collect();
    let summaries = chats
        .iter()
        .map(|s| ChatSummaryDto { muted: muted.contains(&s.chat.id), ..ChatSummaryDto::from(s) })
        .collect();
    Ok(Json(summaries))
}

/// Public channels one can join (not for guests).
#[utoipa::path(get, path = "/chats/browse", tag = "chats", security(("bearer" = [])),
    responses((status = 200, body = Vec<ChatDto>), (status = 403, body = crate::error::ErrorBody)))]
pub async fn browse(State(state): State<AppState>, auth: AuthUser) -> ApiResult<Json<Vec<ChatDto>>> {
    if auth.user.role == Role::Guest {
        return Err(Error::forbidden("guests see only the chats they were added to").into());
    }
    let chats = state.store.list_public_channels(auth.user.workspace_id).await?;
    Ok(Json(chats.iter().map(ChatDto::from).collect()))
}

/// One chat.
#[utoipa::path(get, path = "/chats/{id}", tag = "chats", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Chat id")),
    responses((status = 200, body = ChatDto), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_chat(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<ChatDto>> {
    let (chat, _) = load_chat(&state, &auth.user, id).await?;
    Ok(Json(ChatDto::from(&chat)))
}

/// Renames, re-describes, archives or unarchives a chat (its owners and admins).
#[utoipa::path(patch, path = "/chats/{id}", tag = "chats", security(("bearer" = [])), request_body = ChatUpdate,
    params(("id" = Uuid, Path, description = "Chat id")),
    responses((status = 200, body = ChatDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn update_chat(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
    Json(req): Json<ChatUpdate>,
) -> ApiResult<Json<ChatDto>> {
    let (chat, member) = load_chat(&state, &auth.user, id).await?;
    permissions::can_manage_chat(&auth.user, &chat, member.as_ref())?;
    if let Some(archived) = req.archived {
        crate::crm::deal_chat::check_archive_change(&state, &chat, archived).await?;
    }
    let now = state.clock.now();
    if let Some(d) = &req.description {
        if d.chars().count() > MAX_DESCRIPTION_CHARS {
            return Err(Error::invalid(
                "description",
                format!("must be at most {MAX_DESCRIPTION_CHARS} characters"),
            )
            .into());
        }
    }
    let patch = ChatPatch {
        name: req.name.as_deref().map(|n| validate::display_name("name", n)).transpose()?,
        description: req.description.map(|d| d.trim().to_string()),
        archived_at: req.archived.map(|a| if a { Some(chat.archived_at.unwrap_or(now)) } else { None }),
    };
    let (chat, event) = state.store.update_chat(auth.user.workspace_id, id, &patch, now).await?;
    publish(&state, [event]);
    Ok(Json(ChatDto::from(&chat)))
}

/// Joins a public channel.
#[utoipa::path(post, path = "/chats/{id}/join", tag = "chats", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Chat id")),
    responses((status = 204), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
              (status = 409, description = "The chat is archived (`chat_archived`)", body = crate::error::ErrorBody)))]
pub async fn join(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    let (chat, member) = load_chat(&state, &auth.user, id).await?;
    if member.is_some() {
        return Ok(StatusCode::NO_CONTENT);
    }
    permissions::can_join(&auth.user, &chat)?;
    let me = &auth.user;
    let event = state
        .store
        .add_member(me.workspace_id, id, me.id, MemberRole::Member, Some(me.id), state.clock.now())
        .await?;
    publish(&state, event);
    Ok(StatusCode::NO_CONTENT)
}

/// Leaves a chat (not a direct one).
#[utoipa::path(post, path = "/chats/{id}/leave", tag = "chats", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Chat id")),
    responses((status = 204), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn leave(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    let (chat, member) = load_chat(&state, &auth.user, id).await?;
    if chat.kind == ChatKind::Direct {
        return Err(Error::forbidden("direct chats cannot be left").into());
    }
    if member.is_none() {
        return Ok(StatusCode::NO_CONTENT);
    }
    let me = &auth.user;
    let event = state.store.remove_member(me.workspace_id, id, me.id, Some(me.id), state.clock.now()).await?;
    publish(&state, event);
    Ok(StatusCode::NO_CONTENT)
}

/// Members of a chat (members only).
#[utoipa::path(get, path = "/chats/{id}/members", tag = "chats", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Chat id")),
    responses((status = 200, body = Vec<MemberDto>), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody)))]
pub async fn list_members(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Vec<MemberDto>>> {
    let (_, member) = load_chat(&state, &auth.user, id).await?;
    permissions::can_read_chat(member.as_ref())?;
    let members = state.store.list_members(auth.user.workspace_id, id).await?;
    Ok(Json(members.iter().map(MemberDto::from).collect()))
}

/// Adds a person to a channel or group.
#[utoipa::path(post, path = "/chats/{id}/members", tag = "chats", security(("bearer" = [])), request_body = AddMember,
    params(("id" = Uuid, Path, description = "Chat id")),
    responses((status = 204), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
              (status = 409, description = "The chat is archived (`chat_archived`)", body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn add_member(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
    Json(req): Json<AddMember>,
) -> ApiResult<StatusCode> {
    let (chat, member) = load_chat(&state, &auth.user, id).await?;
    permissions::can_add_members(&auth.user, &chat, member.as_ref())?;
    let role = req.role.unwrap_or(MemberRole::Member);
    if role != MemberRole::Member {
        permissions::can_act_on_chat_role(&auth.user, &chat, member.as_ref(), role)?;
    }
    let target = workspace_users(&state, &auth.user, &[req.user_id])
        .await
        .map_err(|_| Error::invalid("user_id", "not an active user of this workspace"))?;
    let me = &auth.user;
    let event = state
        .store
        .add_member(me.workspace_id, id, target[0].id, role, Some(me.id), state.clock.now())
        .await?;
    publish(&state, event);
    Ok(StatusCode::NO_CONTENT)
}

/// Removes a person from a channel or group (chat owners and admins).
#[utoipa::path(delete, path = "/chats/{id}/members/{user_id}", tag = "chats", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Chat id"), ("user_id" = Uuid, Path, description = "User id")),
    responses((status = 204), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn remove_member(
    State(state): State<AppState>,
    auth: AuthUser,
    Path((id, user_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    let (chat, member) = load_chat(&state, &auth.user, id).await?;
    if user_id != auth.user.id {
        permissions::can_manage_chat(&auth.user, &chat, member.as_ref())?;
        let target = state.store.get_member(auth.user.workspace_id, id, user_id).await?;
        let target = target.ok_or(Error::NotFound("member"))?;
        permissions::can_act_on_chat_role(&auth.user, &chat, member.as_ref(), target.role)?;
    } else if chat.kind == ChatKind::Direct {
        return Err(Error::forbidden("direct chats cannot be left").into());
    }
    let me = &auth.user;
    match state.store.remove_member(me.workspace_id, id, user_id, Some(me.id), state.clock.now()).await? {
        Some(event) => {
            publish(&state, [event]);
            Ok(StatusCode::NO_CONTENT)
        }
        None => Err(Error::NotFound("member").into()),
    }
}

/// Moves my read mark in a chat.
#[utoipa::path(post, path = "/chats/{id}/read", tag = "chats", security(("bearer" = [])), request_body = MarkRead,
    params(("id" = Uuid, Path, description = "Chat id")),
    responses((status = 200, body = MemberDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody)))]
pub async fn mark_read(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
    Json(req): Json<MarkRead>,
) -> ApiResult<Json<MemberDto>> {
    let (_, member) = load_chat(&state, &auth.user, id).await?;
    permissions::can_read_chat(member.as_ref())?;
    let me = &auth.user;
    let member = state.store.mark_read(me.workspace_id, id, me.id, req.seq).await?;
    let envelope = Envelope::ephemeral(
        me.workspace_id,
        Audience::Chat { chat_id: id },
        Ephemeral::ReadUpTo { chat_id: id, user_id: me.id, seq: member.last_read_seq },
    );
    let _ = state.bus.publish(&envelope).await;
    Ok(Json(MemberDto::from(&member)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenEntityChat {
    pub kind: artel_core::crm::entity::EntityKind,
    pub id: Uuid,
}

/// Opens the discussion chat of a deal, contact or company (created on first
/// use for clients); the caller becomes a member.
#[utoipa::path(post, path = "/chats/entity", tag = "chats", security(("bearer" = [])), request_body = OpenEntityChat,
    responses((status = 200, body = ChatDto), (status = 201, body = ChatDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn open_entity_chat(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(req): Json<OpenEntityChat>,
) -> ApiResult<(StatusCode, Json<ChatDto>)> {
    let entity = artel_core::crm::entity::EntityRef { kind: req.kind, id: req.id };
    let (chat, created) = crate::crm::entity_chat::open(&state, &auth.user, entity).await?;
    Ok((if created { StatusCode::CREATED } else { StatusCode::OK }, Json(ChatDto::from(&chat))))
}
