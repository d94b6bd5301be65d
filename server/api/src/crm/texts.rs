//! Wording of system messages, in the actor's language.

use artel_core::user::{Language, User};

pub fn deal_created(actor: &User, title: &str, stage: &str) -> String {
    match actor.language {
        Language::Ru => format!("{} создал(а) сделку «{title}» на этапе «{stage}»", actor.name),
        Language::En => format!("{} created the deal “{title}” in stage “{stage}”", actor.name),
    }
}

pub fn deal_moved(actor: &User, from: &str, to: &str) -> String {
    match actor.language {
        Language::Ru => format!("{} перевел(а) сделку с этапа «{from}» на этап «{to}»", actor.name),
        Language::En => format!("{} moved the deal from “{from}” to “{to}”", actor.name),
    }
}

pub fn deal_owner_changed(actor: &User, owner: &str) -> String {
    match actor.language {
        Language::Ru => format!("{} назначил(а) ответственным: {owner}", actor.name),
        Language::En => format!("{} made {owner} responsible for the deal", actor.name),
    }
}

pub fn deal_archived(actor: &User, archived: bool) -> String {
    match (actor.language, archived) {
        (Language::Ru, true) => format!("{} отправил(а) сделку в архив", actor.name),
        (Language::Ru, false) => format!("{} вернул(а) сделку из архива", actor.name),
        (Language::En, true) => format!("{} archived the deal", actor.name),
        (Language::En, false) => format!("{} restored the deal", actor.name),
    }
}
