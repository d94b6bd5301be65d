//! `/assign @person`: the person becomes the owner of the chat's deal, contact
//! or company, or the assignee of the chat's task.

use artel_core::commands::assign::AssignCommand;
use artel_core::commands::CommandName;
use artel_core::crm::client::{Company, Contact};
use artel_core::crm::deal::DealPatch;
use artel_core::crm::entity::{EntityKind, EntityRef};
use artel_core::markdown::escape as md;
use artel_core::notice::Notice;
use artel_core::user::User;
use serde_json::json;

use crate::commands::apply::say;
use crate::commands::reply::CommandFailure;
use crate::commands::undo::Undo;
use crate::commands::{resolve, Applied, Ctx, Outcome};
use crate::crm::clients::{self, ClientPatch, ClientRecord};
use crate::crm::{deals, tasks};
use crate::http::companies::CompanyDto;
use crate::http::contacts::ContactDto;
use crate::http::crm_dto::DealDto;
use crate::http::tasks::TaskDto;
use crate::state::AppState;

pub async fn run(state: &AppState, ctx: &Ctx, c: AssignCommand) -> Outcome {
    let u = &ctx.user;
    let person = resolve::person(state, u, &c.person, CommandName::Assign).await?;
    match ctx.entity() {
        Some(EntityRef { kind: EntityKind::Deal, id }) => {
            let (deal, _) = deals::visible(state, u, id).await?;
            let patch = DealPatch { owner_id: Some(person.id), ..DealPatch::default() };
            let after = deals::update(state, u, deal.id, deal.version, patch).await?;
            let text = say(
                u,
                format!("👤 {} is now responsible for “{}”", md(&person.name), md(&after.title)),
                format!("👤 Ответственный за «{}» — {}", md(&after.title), md(&person.name)),
            );
            // The deal's chat heard of it from the deal service.
            let told = after.chat_id == Some(ctx.chat.id);
            let notice = Notice::OwnerChanged {
                record: EntityKind::Deal,
                record_id: after.id,
                title: after.title.clone(),
                owner_id: person.id,
                owner_name: person.name.clone(),
            };
            Ok(Applied {
                post: (!told).then_some(notice),
                told,
                text,
                data: json!({ "deal": DealDto::from(&after) }),
                undo: (deal.owner_id != after.owner_id).then(|| Undo::DealOwner {
                    deal_id: after.id,
                    version: after.version,
                    owner_id: deal.owner_id,
                    participants: Some(deal.participants.clone()),
                }),
            })
        }
        Some(EntityRef { kind: EntityKind::Task, id }) => {
            let task = tasks::visible(state, u, id).await?;
            let patch = tasks::TaskPatch { assignees: Some(vec![person.id]), ..tasks::TaskPatch::default() };
            let (after, _) = tasks::update(state, u, task.id, task.version, patch).await?;
            let text = say(
                u,
                format!("👤 “{}” is now {}'s task", md(&after.title), md(&person.name)),
                format!("👤 Исполнитель задачи «{}» — {}", md(&after.title), md(&person.name)),
            );
            // The task service tells no chat of a new assignee: this chat is told.
            let notice = Notice::TaskAssigned {
                task_id: after.id,
                title: after.title.clone(),
                assignee_ids: vec![person.id],
                assignee_names: vec![person.name.clone()],
            };
            Ok(Applied {
                post: Some(notice),
                told: false,
                text,
                data: json!({ "task": TaskDto::from(&after) }),
                undo: (task.assignees != after.assignees).then_some(Undo::TaskAssignees {
                    task_id: after.id,
                    version: after.version,
                    assignees: task.assignees.clone(),
                }),
            })
        }
        Some(EntityRef { kind: EntityKind::Contact, id }) => {
            let (after, undo) = client_owner::<Contact>(state, ctx, id, person.id).await?;
            Ok(client_applied(
                ctx,
                (EntityKind::Contact, id),
                &person,
                &after.name,
                json!({ "contact": ContactDto::from(&after) }),
                undo,
            ))
        }
        Some(EntityRef { kind: EntityKind::Company, id }) => {
            let (after, undo) = client_owner::<Company>(state, ctx, id, person.id).await?;
            Ok(client_applied(
                ctx,
                (EntityKind::Company, id),
                &person,
                &after.name,
                json!({ "company": CompanyDto::from(&after) }),
                undo,
            ))
        }
        _ => Err(CommandFailure::coded(
            "no_target",
            say(
                u,
                "nothing to assign here: use /assign in the chat of a deal, task, contact or company".into(),
                "здесь некого назначать: /назначить работает в чате сделки, задачи, контакта или компании"
                    .into(),
            ),
            CommandName::Assign,
            u.language,
        )),
    }
}

/// Makes `owner` the client's responsible person through the same service as
/// the REST API (who may own a client, history, duplicates untouched); the
/// undo puts the previous owner back.
async fn client_owner<T: ClientRecord>(
    state: &AppState,
    ctx: &Ctx,
    id: uuid::Uuid,
    owner: uuid::Uuid,
) -> Result<(T, Option<Undo>), CommandFailure> {
    let u = &ctx.user;
    let before: T = clients::get(state, u, id).await?;
    let patch = ClientPatch { owner_id: Some(Some(owner)), ..ClientPatch::default() };
    let after = clients::update::<T>(state, u, id, patch).await?.record;
    let previous = before.fields().owner_id;
    let undo = (previous != after.fields().owner_id).then_some(Undo::ClientOwner {
        kind: T::KIND,
        id,
        owner_id: owner,
        previous,
    });
    Ok((after, undo))
}

fn client_applied(
    ctx: &Ctx,
    record: (EntityKind, uuid::Uuid),
    person: &User,
    client: &str,
    data: serde_json::Value,
    undo: Option<Undo>,
) -> Applied {
    let u = &ctx.user;
    let text = say(
        u,
        format!("👤 {} is now responsible for “{}”", md(&person.name), md(client)),
        format!("👤 Ответственный за «{}» — {}", md(client), md(&person.name)),
    );
    // The client service posts nothing in the chat: this is everyone's notice.
    let notice = Notice::OwnerChanged {
        record: record.0,
        record_id: record.1,
        title: client.to_string(),
        owner_id: person.id,
        owner_name: person.name.clone(),
    };
    Applied { post: Some(notice), told: false, text, data, undo }
}
