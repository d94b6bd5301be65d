//! `/move`: in a deal's chat the words name a stage of that deal's pipeline;
//! elsewhere (or when they are no stage there) they name a deal and a stage,
//! and every cut of the words is tried against the deals the issuer may see.

use artel_core::commands::move_deal::MoveCommand;
use artel_core::commands::CommandName;
use artel_core::crm::deal::Deal;
use artel_core::crm::pipeline::Stage;
use artel_core::markdown::escape as md;
use serde_json::json;

use crate::commands::apply::say;
use crate::commands::reply::CommandFailure;
use crate::commands::undo::Undo;
use crate::commands::{resolve, Applied, Ctx, Outcome};
use crate::crm::deals;
use crate::http::crm_dto::DealDto;
use crate::state::AppState;

/// Deals looked at per reading of the words.
const PER_READING: i64 = 20;

pub async fn run(state: &AppState, ctx: &Ctx, c: MoveCommand) -> Outcome {
    let lang = ctx.user.language;
    let (deal, stage) = match ctx.deal(state).await? {
        Some(deal) if c.split.is_none() => {
            let stages = stages_of(state, &deal).await?;
            match resolve::stage(&stages, &c.whole(), CommandName::Move, lang) {
                Ok(stage) => (deal, stage.clone()),
                // "/move Other deal won" typed in a deal's chat still works.
                Err(first) => match elsewhere(state, ctx, &c).await {
                    Ok(found) => found,
                    Err(_) => return Err(first),
                },
            }
        }
        _ => elsewhere(state, ctx, &c).await?,
    };
    if deal.stage_id == stage.id {
        return Err(CommandFailure::coded(
            "same_stage",
            say(
                &ctx.user,
                format!("«{}» is already in «{}»", deal.title, stage.name),
                format!("сделка «{}» уже на этапе «{}»", deal.title, stage.name),
            ),
            CommandName::Move,
            lang,
        ));
    }
    let from = deal.stage_id;
    let from_stage =
        state.store.get_stage(deal.workspace_id, from).await.map_err(|e| CommandFailure::plain(e.into()))?;
    let moved = deals::move_to(state, &ctx.user, deal.id, deal.version, stage.id, None).await?;
    let u = &ctx.user;
    let text = say(
        u,
        format!("➡️ “{}” is now in “{}”", md(&moved.title), md(&stage.name)),
        format!("➡️ Сделка «{}» теперь на этапе «{}»", md(&moved.title), md(&stage.name)),
    );
    // The deal's own chat already got the service's notice.
    let told = moved.chat_id == Some(ctx.chat.id);
    Ok(Applied {
        post: (!told).then(|| deals::moved_notice(&moved, &from_stage, &stage)),
        told,
        text,
        data: json!({ "deal": DealDto::from(&moved) }),
        undo: Some(Undo::MoveDeal { deal_id: moved.id, version: moved.version, stage_id: from }),
    })
}

async fn stages_of(state: &AppState, deal: &Deal) -> Result<Vec<Stage>, CommandFailure> {
    state
        .store
        .list_stages(deal.workspace_id, deal.pipeline_id)
        .await
        .map_err(|e| CommandFailure::plain(e.into()))
}

/// `<deal> <stage>`: the one (deal, stage) pair some cut of the words names.
async fn elsewhere(state: &AppState, ctx: &Ctx, c: &MoveCommand) -> Result<(Deal, Stage), CommandFailure> {
    let u = &ctx.user;
    let lang = u.language;
    let readings = c.readings();
    if readings.is_empty() {
        return Err(CommandFailure::coded(
            "no_deal",
            say(
                u,
                "this is not a deal's chat: write /move <deal> <stage>".into(),
                "это не чат сделки: напишите /этап <сделка> <этап>".into(),
            ),
            CommandName::Move,
            lang,
        ));
    }
    let mut found: Vec<(Deal, Stage)> = Vec::new();
    let mut some_deal: Option<(Deal, String)> = None;
    for (deal_text, stage_text) in readings {
        for deal in resolve::deals(state, u, &deal_text, PER_READING).await? {
            let stages = stages_of(state, &deal).await?;
            let fits = resolve::best(&stages, &stage_text, |s| vec![s.name.clone()]);
            if let [stage] = fits.as_slice() {
                if !found.iter().any(|(d, s)| d.id == deal.id && s.id == stage.id) {
                    found.push((deal.clone(), (*stage).clone()));
                }
            } else if some_deal.is_none() {
                some_deal = Some((deal, stage_text.clone()));
            }
        }
    }
    if found.len() > 1 {
        // The same deal read two ways ("a" + "b c", "a b" + "c") is still one
        // deal: the first reading (the shortest deal part) wins.
        let first = found[0].0.id;
        if found.iter().all(|(d, _)| d.id == first) {
            found.truncate(1);
        }
    }
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => match some_deal {
            Some((deal, stage_text)) => {
                let stages = stages_of(state, &deal).await?;
                Err(resolve::stage(&stages, &stage_text, CommandName::Move, lang).err().unwrap_or_else(
                    || CommandFailure::coded("unknown_stage", stage_text.clone(), CommandName::Move, lang),
                ))
            }
            None => Err(CommandFailure::coded(
                "unknown_deal",
                say(
                    u,
                    format!("no deal fits «{}»", c.whole()),
                    format!("не нашлось сделки по «{}»", c.whole()),
                ),
                CommandName::Move,
                lang,
            )),
        },
        _ => {
            let titles: Vec<String> = found.iter().take(5).map(|(d, _)| format!("«{}»", d.title)).collect();
            Err(CommandFailure::coded(
                "ambiguous_deal",
                say(
                    u,
                    format!("which deal: {}? Quote its title: /move \"title\" stage", titles.join(", ")),
                    format!(
                        "какая сделка: {}? Возьмите название в кавычки: /этап «название» этап",
                        titles.join(", ")
                    ),
                ),
                CommandName::Move,
                lang,
            ))
        }
    }
}
