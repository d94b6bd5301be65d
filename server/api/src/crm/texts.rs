//! The body of a notice: its text in the actor's language and time zone, kept
//! for search, push and clients that do not word notices themselves (clients
//! that do word them for each reader, from `Notice`). Every name and title is
//! quoted as text (`md`): a deal title must not become a live link. Russian
//! avoids past-tense verbs, whose ending would have to guess the actor's gender.

use artel_core::crm::entity::EntityKind;
use artel_core::crm::money;
use artel_core::crm::task::{self, TaskPriority};
use artel_core::markdown::escape as md;
use artel_core::notice::Notice;
use artel_core::user::{Language, User};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Tz;

const MONTHS_RU: [&str; 12] = [
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
];
const MONTHS_EN: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// The notice as the actor would read it.
pub fn body(actor: &User, notice: &Notice) -> String {
    let tz = task::zone(&actor.time_zone);
    let ru = actor.language == Language::Ru;
    let name = md(&actor.name);
    let q = |s: &str| if ru { format!("«{}»", md(s)) } else { format!("“{}”", md(s)) };
    match notice {
        Notice::DealCreated { title, stage, amount_minor, currency, owner_name, .. } => {
            let amount = match (amount_minor, currency) {
                (Some(a), Some(c)) => format!(" ({})", show_amount(*a, c)),
                _ => String::new(),
            };
            let owner = owner_name.as_deref().map(md);
            if ru {
                let owner = owner.map(|o| format!(", ответственный — {o}")).unwrap_or_default();
                format!("{name}: открыта сделка {}{amount}, этап {}{owner}", q(title), q(stage))
            } else {
                let owner = owner.map(|o| format!(", owner {o}")).unwrap_or_default();
                format!("{name} opened the deal {}{amount} in {}{owner}", q(title), q(stage))
            }
        }
        Notice::DealMoved { title, from, to, .. } => {
            if ru {
                format!("{name}: сделка {} перемещена с этапа {} на {}", q(title), q(from), q(to))
            } else {
                format!("{name} moved {} from {} to {}", q(title), q(from), q(to))
            }
        }
        Notice::DealArchived { title, archived, .. } => match (ru, archived) {
            (true, true) => format!("{name}: сделка {} отправлена в архив", q(title)),
            (true, false) => format!("{name}: сделка {} возвращена из архива", q(title)),
            (false, true) => format!("{name} archived the deal {}", q(title)),
            (false, false) => format!("{name} restored the deal {}", q(title)),
        },
        Notice::OwnerChanged { record, title, owner_name, .. } => {
            let owner = md(owner_name);
            if ru {
                let what = match record {
                    EntityKind::Deal => "сделку",
                    EntityKind::Contact => "контакт",
                    EntityKind::Company => "компанию",
                    EntityKind::Task => "задачу",
                };
                format!("{name}: ответственный за {what} {} — {owner}", q(title))
            } else {
                format!("{name} made {owner} responsible for {}", q(title))
            }
        }
        Notice::TaskCreated { title, assignee_names, due_at, due_date, priority, .. } => {
            let who = assignee_names.iter().map(|n| md(n)).collect::<Vec<_>>().join(", ");
            let due = match (due_at, due_date) {
                (Some(at), _) => Some(moment(*at, tz, ru)),
                (None, Some(d)) => Some(day(*d, ru)),
                _ => None,
            };
            let mut out;
            if ru {
                out = format!("{name}: задача {}", q(title));
                if !who.is_empty() {
                    out.push_str(&format!(", исполнитель — {who}"));
                }
                if let Some(d) = due {
                    out.push_str(&format!(", срок — {d}"));
                }
                if *priority != TaskPriority::Normal {
                    out.push_str(&format!(", приоритет — {}", priority_ru(*priority)));
                }
            } else {
                out = format!("{name} set the task {}", q(title));
                if !who.is_empty() {
                    out.push_str(&format!(" for {who}"));
                }
                if let Some(d) = due {
                    out.push_str(&format!(", due {d}"));
                }
                if *priority != TaskPriority::Normal {
                    out.push_str(&format!(", {} priority", priority));
                }
            }
            out
        }
        Notice::TaskCompleted { title, next_due_at, .. } => {
            let next = next_due_at.map(|at| moment(at, tz, ru));
            match (ru, next) {
                (true, None) => format!("{name}: задача {} выполнена", q(title)),
                (true, Some(n)) => format!("{name}: задача {} выполнена, следующая — {n}", q(title)),
                (false, None) => format!("{name} completed the task {}", q(title)),
                (false, Some(n)) => {
                    format!("{name} completed the task {}; the next one is due {n}", q(title))
                }
            }
        }
        Notice::TaskAssigned { title, assignee_names, .. } => {
            let who = assignee_names.iter().map(|n| md(n)).collect::<Vec<_>>().join(", ");
            if ru {
                format!("{name}: исполнитель задачи {} — {who}", q(title))
            } else {
                format!("{name} assigned {} to {who}", q(title))
            }
        }
        Notice::CommandUndone { line } => {
            let line = md(&format!("/{line}"));
            if ru {
                format!("{name}: команда {line} отменена")
            } else {
                format!("{name} undid {line}")
            }
        }
        Notice::Hook { name, .. } => md(name),
    }
}

/// "8 декабря 2026, 15:00 (Europe/Moscow)": the zone is said, since the body is
/// read in other zones too.
fn moment(at: DateTime<Utc>, tz: Tz, ru: bool) -> String {
    format!("{} ({})", local_moment(at, tz, ru), tz.name())
}

/// "8 декабря 2026, 15:00" in `tz`: for a reader in that zone.
pub fn local_moment(at: DateTime<Utc>, tz: Tz, ru: bool) -> String {
    let local = at.with_timezone(&tz);
    format!("{}, {}", day(local.date_naive(), ru), local.format("%H:%M"))
}

/// "8 декабря 2026" / "8 Dec 2026".
pub fn day(d: NaiveDate, ru: bool) -> String {
    let m = usize::try_from(d.month0()).unwrap_or(0);
    if ru {
        format!("{} {} {}", d.day(), MONTHS_RU[m % 12], d.year())
    } else {
        format!("{} {} {}", d.day(), MONTHS_EN[m % 12], d.year())
    }
}

pub fn priority_ru(p: TaskPriority) -> &'static str {
    match p {
        TaskPriority::Low => "низкий",
        TaskPriority::Normal => "обычный",
        TaskPriority::High => "высокий",
        TaskPriority::Urgent => "срочно",
    }
}

/// "150000.00 RUB", "1500 JPY".
pub fn show_amount(minor: i64, currency: &str) -> String {
    match money::exponent(currency) {
        0 => format!("{minor} {currency}"),
        e => {
            let unit = 10_i64.pow(u32::from(e));
            format!("{}.{:0width$} {currency}", minor / unit, minor % unit, width = usize::from(e))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn user(lang: Language, tz: &str) -> User {
        User {
            id: Uuid::nil(),
            workspace_id: Uuid::nil(),
            email: "a@x".into(),
            name: "Anna".into(),
            role: artel_core::user::Role::Member,
            time_zone: tz.into(),
            language: lang,
            password_hash: String::new(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
            deactivated_at: None,
            bot: false,
        }
    }

    fn task(due_at: Option<DateTime<Utc>>) -> Notice {
        Notice::TaskCreated {
            task_id: Uuid::nil(),
            title: "Позвонить".into(),
            assignee_ids: vec![],
            assignee_names: vec![],
            due_at,
            due_date: None,
            priority: TaskPriority::Normal,
        }
    }

    #[test]
    fn a_task_reads_as_a_person_would_write_it_in_the_actors_zone() {
        let at = "2026-12-08T12:00:00Z".parse().ok();
        assert_eq!(
            body(&user(Language::Ru, "Europe/Moscow"), &task(at)),
            "Anna: задача «Позвонить», срок — 8 декабря 2026, 15:00 (Europe/Moscow)"
        );
        assert_eq!(
            body(&user(Language::En, "Europe/London"), &task(at)),
            "Anna set the task “Позвонить”, due 8 Dec 2026, 12:00 (Europe/London)"
        );
    }

    #[test]
    fn russian_wording_has_no_gender_guess() {
        let moved =
            Notice::DealMoved { deal_id: Uuid::nil(), title: "T".into(), from: "A".into(), to: "B".into() };
        let text = body(&user(Language::Ru, "UTC"), &moved);
        assert!(!text.contains("(а)"), "{text}");
    }
}
