//! Wording of system messages, in the actor's language. Every name and title in
//! them is quoted as text (`md`): a deal title must not become a live link.

use artel_core::markdown::escape as md;
use artel_core::user::{Language, User};

pub fn deal_created(actor: &User, title: &str, stage: &str) -> String {
    match actor.language {
        Language::Ru => {
            format!("{} создал(а) сделку «{}» на этапе «{}»", md(&actor.name), md(title), md(stage))
        }
        Language::En => {
            format!("{} created the deal “{}” in stage “{}”", md(&actor.name), md(title), md(stage))
        }
    }
}

pub fn deal_moved(actor: &User, from: &str, to: &str) -> String {
    match actor.language {
        Language::Ru => {
            format!("{} перевел(а) сделку с этапа «{}» на этап «{}»", md(&actor.name), md(from), md(to))
        }
        Language::En => format!("{} moved the deal from “{}” to “{}”", md(&actor.name), md(from), md(to)),
    }
}

pub fn deal_owner_changed(actor: &User, owner: &str) -> String {
    match actor.language {
        Language::Ru => format!("{} назначил(а) ответственным: {}", md(&actor.name), md(owner)),
        Language::En => format!("{} made {} responsible for the deal", md(&actor.name), md(owner)),
    }
}

pub fn deal_archived(actor: &User, archived: bool) -> String {
    match (actor.language, archived) {
        (Language::Ru, true) => format!("{} отправил(а) сделку в архив", md(&actor.name)),
        (Language::Ru, false) => format!("{} вернул(а) сделку из архива", md(&actor.name)),
        (Language::En, true) => format!("{} archived the deal", md(&actor.name)),
        (Language::En, false) => format!("{} restored the deal", md(&actor.name)),
    }
}
