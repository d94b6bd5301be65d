//! The commands that only show something to the issuer (nothing is posted or
//! changed): `/client`, `/stages`, `/help`.

use artel_core::commands::names::SPECS;
use artel_core::commands::CommandName;
use artel_core::crm::client::{Company, Contact};
use artel_core::crm::entity::{EntityKind, EntityRef};
use artel_core::markdown::escape as md;
use serde_json::json;

use crate::commands::apply::say;
use crate::commands::reply::CommandFailure;
use crate::commands::{resolve, Applied, Ctx, Outcome};
use crate::crm::clients;
use crate::http::companies::CompanyDto;
use crate::http::contacts::ContactDto;
use crate::http::crm_dto::StageDto;
use crate::state::AppState;

fn shown(text: String, data: serde_json::Value) -> Applied {
    Applied { text, post: None, told: false, data, undo: None }
}

/// `/client`: the client card of the chat's deal (its contact and company), or
/// of the chat's contact or company.
pub async fn client(state: &AppState, ctx: &Ctx) -> Outcome {
    let u = &ctx.user;
    let (contact_id, company_id) = match ctx.entity() {
        Some(EntityRef { kind: EntityKind::Deal, .. }) => match ctx.deal(state).await? {
            Some(deal) => (deal.contact_id, deal.company_id),
            None => (None, None),
        },
        Some(EntityRef { kind: EntityKind::Contact, id }) => (Some(id), None),
        Some(EntityRef { kind: EntityKind::Company, id }) => (None, Some(id)),
        _ => (None, None),
    };
    if contact_id.is_none() && company_id.is_none() {
        return Err(CommandFailure::coded(
            "no_client",
            say(u, "this chat has no client".into(), "у этого чата нет клиента".into()),
            CommandName::Client,
            u.language,
        ));
    }
    let contact = match contact_id {
        Some(id) => Some(clients::get::<Contact>(state, u, id).await?),
        None => None,
    };
    let company = match company_id {
        Some(id) => Some(clients::get::<Company>(state, u, id).await?),
        None => None,
    };
    let mut lines = Vec::new();
    if let Some(c) = &contact {
        lines.push(card_line(
            &c.name,
            &c.phones.iter().map(|p| p.e164.clone()).collect::<Vec<_>>(),
            &c.emails,
        ));
    }
    if let Some(c) = &company {
        lines.push(card_line(
            &c.name,
            &c.phones.iter().map(|p| p.e164.clone()).collect::<Vec<_>>(),
            &c.emails,
        ));
    }
    Ok(shown(
        lines.join("\n"),
        json!({
            "contact": contact.as_ref().map(ContactDto::from),
            "company": company.as_ref().map(CompanyDto::from),
        }),
    ))
}

fn card_line(name: &str, phones: &[String], emails: &[String]) -> String {
    let mut parts = vec![format!("👤 {}", md(name))];
    parts.extend(phones.iter().map(|p| md(p)));
    parts.extend(emails.iter().map(|e| md(e)));
    parts.join(" · ")
}

/// `/stages`: the stages of the named pipeline, else of the chat's deal, else
/// of the first pipeline; the deal's current stage is marked.
pub async fn stages(state: &AppState, ctx: &Ctx, pipeline: Option<String>) -> Outcome {
    let u = &ctx.user;
    let deal = ctx.deal(state).await?;
    let pipeline = match (pipeline.as_deref(), &deal) {
        (None, Some(d)) => state
            .store
            .get_pipeline(u.workspace_id, d.pipeline_id)
            .await
            .map_err(|e| CommandFailure::plain(e.into()))?,
        (typed, _) => resolve::pipeline(state, u, typed, CommandName::Stages).await?,
    };
    let stages = state
        .store
        .list_stages(u.workspace_id, pipeline.id)
        .await
        .map_err(|e| CommandFailure::plain(e.into()))?;
    let current = deal.as_ref().filter(|d| d.pipeline_id == pipeline.id).map(|d| d.stage_id);
    let list: Vec<String> = stages
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mark = if Some(s.id) == current { " ◀" } else { "" };
            format!("{}. {}{mark}", i + 1, md(&s.name))
        })
        .collect();
    Ok(shown(
        format!("{}:\n{}", md(&pipeline.name), list.join("\n")),
        json!({
            "pipeline_id": pipeline.id,
            "pipeline": pipeline.name,
            "current_stage_id": current,
            "stages": stages.iter().map(StageDto::from).collect::<Vec<_>>(),
        }),
    ))
}

/// `/help [command]`.
pub fn help(ctx: &Ctx, topic: Option<CommandName>) -> Applied {
    let lang = ctx.user.language;
    let specs: Vec<_> = SPECS.iter().filter(|s| topic.is_none_or(|t| t == s.name)).collect();
    let text = specs
        .iter()
        .map(|s| format!("{} — {}", s.name.usage(lang), s.name.about(lang)))
        .collect::<Vec<_>>()
        .join("\n");
    shown(text, json!({ "commands": super::super::complete::command_list(lang, topic) }))
}
