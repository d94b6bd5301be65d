//! The REST API under `/api/v1`: one module per resource. Routes are registered
//! through utoipa-axum so the OpenAPI document is built from the same list and
//! cannot drift from what is served.

pub mod attachments;
pub mod auth;
pub mod bots;
pub mod chats;
pub mod client_merge;
pub mod commands;
pub mod companies;
pub mod contacts;
pub mod crm_dto;
pub mod custom_fields;
pub mod deal_cursor;
pub mod deals;
pub mod dto;
pub mod files;
pub mod headers;
pub mod health;
pub mod hooks;
pub mod invites;
pub mod jobs;
pub mod lead_web;
pub mod me;
pub mod messages;
pub mod openapi;
pub mod password_resets;
pub mod pipelines;
pub mod push;
pub mod rules;
pub mod search;
pub mod setup;
pub mod tasks;
pub mod timelines;
pub mod users;
pub mod web_ui;
pub mod webhooks;
pub mod workspace;

use axum::Router;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// The API routes and the OpenAPI document describing them.
pub fn api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let routes = OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(health::health))
        .routes(routes!(health::ready))
        .routes(routes!(setup::status, setup::setup))
        .routes(routes!(auth::login))
        .routes(routes!(auth::refresh))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::logout_all))
        .routes(routes!(me::get_me, me::update_me))
        .routes(routes!(me::change_password))
        .routes(routes!(me::list_sessions))
        .routes(routes!(me::revoke_session))
        .routes(routes!(users::list_users))
        .routes(routes!(users::get_user, users::update_user))
        .routes(routes!(users::deactivate_user))
        .routes(routes!(users::reactivate_user))
        .routes(routes!(password_resets::create))
        .routes(routes!(password_resets::lookup))
        .routes(routes!(password_resets::use_reset))
        .routes(routes!(invites::create_invite, invites::list_invites))
        .routes(routes!(invites::revoke_invite))
        .routes(routes!(invites::lookup_invite))
        .routes(routes!(invites::accept_invite))
        .routes(routes!(chats::create_chat, chats::my_chats))
        .routes(routes!(chats::open_direct))
        .routes(routes!(chats::open_entity_chat))
        .routes(routes!(chats::browse))
        .routes(routes!(chats::get_chat, chats::update_chat))
        .routes(routes!(chats::join))
        .routes(routes!(chats::leave))
        .routes(routes!(chats::list_members, chats::add_member))
        .routes(routes!(chats::remove_member))
        .routes(routes!(chats::mark_read))
        .routes(routes!(messages::send, messages::history))
        .routes(routes!(messages::thread))
        .routes(routes!(messages::events))
        .routes(routes!(messages::edit, messages::delete))
        .routes(routes!(messages::edits))
        .routes(routes!(messages::react, messages::unreact))
        .routes(routes!(messages::pin, messages::unpin))
        .routes(routes!(messages::pins))
        .routes(routes!(messages::read_by))
        .routes(attachments::upload_route())
        .routes(routes!(attachments::download))
        .routes(routes!(files::list))
        .routes(routes!(workspace::get, workspace::update))
        .routes(routes!(pipelines::list, pipelines::create_pipeline))
        .routes(routes!(pipelines::get, pipelines::update))
        .routes(routes!(pipelines::add_stage))
        .routes(routes!(pipelines::update_stage, pipelines::delete_stage))
        .routes(routes!(pipelines::reorder))
        .routes(routes!(pipelines::board))
        .routes(routes!(custom_fields::list, custom_fields::create))
        .routes(routes!(custom_fields::update, custom_fields::delete))
        .routes(routes!(deals::create, deals::list))
        .routes(routes!(deals::get, deals::update, deals::delete))
        .routes(routes!(deals::move_deal))
        .routes(routes!(deals::archive))
        .routes(routes!(deals::restore))
        .routes(routes!(deals::history))
        .routes(routes!(deals::timeline))
        .routes(routes!(contacts::create, contacts::list))
        .routes(routes!(contacts::get, contacts::update, contacts::delete))
        .routes(routes!(contacts::archive))
        .routes(routes!(contacts::restore))
        .routes(routes!(contacts::history))
        .routes(routes!(contacts::duplicates))
        .routes(routes!(client_merge::merge_contacts))
        .routes(routes!(contacts::export))
        .routes(contacts::import_route())
        .routes(routes!(companies::create, companies::list))
        .routes(routes!(companies::get, companies::update, companies::delete))
        .routes(routes!(companies::archive))
        .routes(routes!(companies::restore))
        .routes(routes!(companies::history))
        .routes(routes!(companies::duplicates))
        .routes(routes!(client_merge::merge_companies))
        .routes(routes!(companies::export))
        .routes(companies::import_route())
        .routes(routes!(tasks::create, tasks::list))
        .routes(routes!(tasks::mine))
        .routes(routes!(tasks::get, tasks::update))
        .routes(routes!(tasks::complete))
        .routes(routes!(tasks::reopen))
        .routes(routes!(tasks::subtasks))
        .routes(routes!(tasks::history))
        .routes(routes!(timelines::contact))
        .routes(routes!(timelines::company))
        .routes(routes!(timelines::task))
        .routes(routes!(commands::list))
        .routes(routes!(commands::complete_line))
        .routes(routes!(commands::undo_command))
        .routes(routes!(webhooks::get_settings, webhooks::put_settings))
        .routes(routes!(webhooks::create, webhooks::list))
        .routes(routes!(webhooks::get, webhooks::update, webhooks::delete))
        .routes(routes!(webhooks::deliveries))
        .routes(routes!(jobs::stats))
        .routes(routes!(jobs::list))
        .routes(routes!(jobs::retry))
        .routes(routes!(hooks::create, hooks::list))
        .routes(routes!(hooks::revoke))
        .routes(routes!(hooks::incoming))
        .routes(routes!(hooks::lead))
        .routes(routes!(rules::list, rules::create))
        .routes(routes!(rules::update, rules::delete))
        .routes(routes!(bots::list, bots::create))
        .routes(routes!(bots::rename))
        .routes(routes!(bots::list_tokens, bots::create_token))
        .routes(routes!(bots::revoke_token))
        .routes(routes!(crate::ws::upgrade))
        .routes(routes!(crate::ws::presence))
        .routes(routes!(search::search))
        .routes(routes!(push::key))
        .routes(routes!(push::subscribe, push::list))
        .routes(routes!(push::unsubscribe))
        .routes(routes!(push::get_settings, push::put_settings))
        .routes(routes!(push::mute));
    let (router, mut doc) = routes.split_for_parts();
    utoipa::Modify::modify(&openapi::CommonErrors, &mut doc);
    (router, doc)
}
