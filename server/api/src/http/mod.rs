//! The REST API under `/api/v1`: one module per resource. Routes are registered
//! through utoipa-axum so the OpenAPI document is built from the same list and
//! cannot drift from what is served.

pub mod auth;
pub mod chats;
pub mod dto;
pub mod health;
pub mod invites;
pub mod me;
pub mod messages;
pub mod openapi;
pub mod setup;
pub mod users;

use axum::Router;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// The API routes and the OpenAPI document describing them.
pub fn api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
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
        .routes(routes!(invites::create_invite, invites::list_invites))
        .routes(routes!(invites::revoke_invite))
        .routes(routes!(invites::lookup_invite))
        .routes(routes!(invites::accept_invite))
        .routes(routes!(chats::create_chat, chats::my_chats))
        .routes(routes!(chats::open_direct))
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
        .routes(routes!(crate::ws::upgrade))
        .routes(routes!(crate::ws::presence))
        .split_for_parts()
}
