//! `/deal`: a new deal (with its chat) through the deal service; typed in a
//! contact's or company's chat, the deal is that client's.

use artel_core::commands::deal::DealCommand;
use artel_core::commands::CommandName;
use artel_core::crm::entity::{EntityKind, EntityRef};
use artel_core::markdown::escape as md;
use serde_json::json;

use crate::commands::apply::say;
use crate::commands::reply::CommandFailure;
use crate::commands::undo::Undo;
use crate::commands::{resolve, Applied, Ctx, Outcome};
use crate::crm::{deals, texts};
use crate::http::crm_dto::DealDto;
use crate::state::AppState;

pub async fn run(state: &AppState, ctx: &Ctx, c: DealCommand) -> Outcome {
    let u = &ctx.user;
    let lang = u.language;
    let pipeline = match c.pipeline.as_deref() {
        Some(name) => Some(resolve::pipeline(state, u, Some(name), CommandName::Deal).await?),
        None => None,
    };
    let owner = match &c.owner {
        Some(who) => Some(resolve::person(state, u, who, CommandName::Deal).await?),
        None => None,
    };
    let workspace =
        state.store.get_workspace(u.workspace_id).await.map_err(|e| CommandFailure::plain(e.into()))?;
    let currency = c
        .amount
        .as_ref()
        .and_then(|a| a.currency.clone())
        .unwrap_or_else(|| workspace.settings.default_currency.clone());
    let amount_minor = match &c.amount {
        Some(a) => Some(a.minor_units(&currency).ok_or_else(|| {
            CommandFailure::coded(
                "bad_amount",
                say(u, format!("{currency} has no fractions"), format!("у {currency} нет дробной части")),
                CommandName::Deal,
                lang,
            )
        })?),
        None => None,
    };
    let (contact_id, company_id) = match ctx.entity() {
        Some(EntityRef { kind: EntityKind::Contact, id }) => (Some(id), None),
        Some(EntityRef { kind: EntityKind::Company, id }) => (None, Some(id)),
        _ => (None, None),
    };
    let input = deals::NewDeal {
        title: c.title,
        amount_minor,
        currency: Some(currency.clone()),
        pipeline_id: pipeline.as_ref().map(|p| p.id),
        stage_id: None,
        owner_id: owner.as_ref().map(|o| o.id),
        participants: Vec::new(),
        contact_id,
        company_id,
        expected_close_date: None,
        tags: Vec::new(),
        custom: None,
    };
    let deal = deals::create(state, u, input).await?;
    let stage = state
        .store
        .get_stage(u.workspace_id, deal.stage_id)
        .await
        .map_err(|e| CommandFailure::plain(e.into()))?;
    let amount = texts::show_amount(deal.amount_minor, &deal.currency);
    let owner_name = md(&owner.map(|o| o.name).unwrap_or_else(|| u.name.clone()));
    let (title, stage_name) = (md(&deal.title), md(&stage.name));
    let text = say(
        u,
        format!("💼 Deal “{title}” ({amount}) opened in “{stage_name}”, owner {owner_name}"),
        format!(
            "💼 Сделка «{title}» ({amount}) открыта на этапе «{stage_name}», ответственный — {owner_name}"
        ),
    );
    // Its own chat heard of it from the deal service; this chat hears it too.
    let notice = deals::created_notice(state, u, &deal, &stage.name).await?;
    Ok(Applied {
        post: Some(notice),
        told: false,
        text,
        data: json!({ "deal": DealDto::from(&deal) }),
        undo: Some(Undo::ArchiveDeal { deal_id: deal.id, version: deal.version }),
    })
}
