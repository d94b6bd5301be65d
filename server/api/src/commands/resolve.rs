//! Names typed in a command → records of the workspace: people (`@anna`),
//! stages, pipelines and deals. Matching ignores case and `ё`/`е`; an exact
//! match wins, else a unique prefix, else a unique substring. Nothing found and
//! several found are different errors, each saying what was tried.

use artel_core::commands::{CommandName, PersonRef};
use artel_core::crm::deal::Deal;
use artel_core::crm::pipeline::{Pipeline, Stage};
use artel_core::ports::crm::DealFilter;
use artel_core::user::{Language, User};
use artel_core::StoreError;

use crate::commands::reply::CommandFailure;
use crate::state::AppState;

/// Most candidates named in an "ambiguous" answer.
const NAMED: usize = 5;

/// The comparable form of a name.
pub fn norm(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase().replace('ё', "е")
}

/// How well `name` fits what was typed: 3 exact, 2 prefix (of the name or of a
/// word in it), 1 substring, 0 not at all.
pub fn fit(name: &str, typed: &str) -> u8 {
    let (n, t) = (norm(name), norm(typed));
    if t.is_empty() {
        return 0;
    }
    if n == t {
        3
    } else if n.starts_with(&t) || n.split(' ').any(|w| w.starts_with(&t)) {
        2
    } else if n.contains(&t) {
        1
    } else {
        0
    }
}

/// The best-fitting items: all those with the top score (none when nothing fits).
pub fn best<'a, T>(items: &'a [T], typed: &str, names: impl Fn(&T) -> Vec<String>) -> Vec<&'a T> {
    let scored: Vec<(u8, &T)> = items
        .iter()
        .map(|i| (names(i).iter().map(|n| fit(n, typed)).max().unwrap_or(0), i))
        .filter(|(s, _)| *s > 0)
        .collect();
    let top = scored.iter().map(|(s, _)| *s).max().unwrap_or(0);
    scored.into_iter().filter(|(s, _)| *s == top).map(|(_, i)| i).collect()
}

fn listing<T>(items: &[&T], name: impl Fn(&T) -> String) -> String {
    items.iter().take(NAMED).map(|i| format!("«{}»", name(i))).collect::<Vec<_>>().join(", ")
}

fn say(lang: Language, en: String, ru: String) -> String {
    match lang {
        Language::En => en,
        Language::Ru => ru,
    }
}

/// The names a person is known by: full name, each word of it, e-mail and its local part.
pub fn person_names(u: &User) -> Vec<String> {
    let mut names = vec![u.name.clone(), u.email.clone()];
    if let Some((local, _)) = u.email.split_once('@') {
        names.push(local.to_string());
    }
    names.push(u.name.replace(' ', ""));
    names
}

/// An active user of the workspace named by `who`.
pub async fn person(
    state: &AppState,
    actor: &User,
    who: &PersonRef,
    command: CommandName,
) -> Result<User, CommandFailure> {
    let lang = actor.language;
    let unknown = |typed: &str| {
        CommandFailure::coded(
            "unknown_person",
            say(lang, format!("nobody called @{typed} here"), format!("нет такого сотрудника: @{typed}")),
            command,
            lang,
        )
    };
    let known = crate::directory::known_people(state, actor).await.map_err(CommandFailure::plain)?;
    match who {
        PersonRef::Id(id) => match state.store.get_user(actor.workspace_id, *id).await {
            Ok(u) if u.is_active() && crate::directory::knows(&known, u.id) => Ok(u),
            Ok(_) | Err(StoreError::NotFound(_)) => Err(unknown(&id.to_string())),
            Err(e) => Err(CommandFailure::plain(e.into())),
        },
        PersonRef::Name(typed) => {
            let users: Vec<User> = state
                .store
                .list_users(actor.workspace_id)
                .await
                .map_err(|e| CommandFailure::plain(e.into()))?
                .into_iter()
                .filter(|u| u.is_active() && crate::directory::knows(&known, u.id))
                .collect();
            let found = best(&users, typed, person_names);
            match found.as_slice() {
                [one] => Ok((*one).clone()),
                [] => Err(unknown(typed)),
                many => Err(CommandFailure::coded(
                    "ambiguous_person",
                    say(
                        lang,
                        format!(
                            "@{typed} could be {}; type more of the name",
                            listing(many, |u: &User| u.name.clone())
                        ),
                        format!("@{typed} — это {}? Уточните имя", listing(many, |u: &User| u.name.clone())),
                    ),
                    command,
                    lang,
                )),
            }
        }
    }
}

/// The stage of `stages` named by `typed`.
pub fn stage<'a>(
    stages: &'a [Stage],
    typed: &str,
    command: CommandName,
    lang: Language,
) -> Result<&'a Stage, CommandFailure> {
    let found = best(stages, typed, |s| vec![s.name.clone()]);
    let all = || stages.iter().map(|s| format!("«{}»", s.name)).collect::<Vec<_>>().join(", ");
    match found.as_slice() {
        [one] => Ok(*one),
        [] => Err(CommandFailure::coded(
            "unknown_stage",
            say(
                lang,
                format!("no stage «{typed}»; the stages are {}", all()),
                format!("нет этапа «{typed}»; есть этапы: {}", all()),
            ),
            command,
            lang,
        )),
        many => Err(CommandFailure::coded(
            "ambiguous_stage",
            say(
                lang,
                format!("«{typed}» could be {}", listing(many, |s: &Stage| s.name.clone())),
                format!("«{typed}» — это {}?", listing(many, |s: &Stage| s.name.clone())),
            ),
            command,
            lang,
        )),
    }
}

/// The workspace's (unarchived) pipeline named by `typed`, or the first one.
pub async fn pipeline(
    state: &AppState,
    actor: &User,
    typed: Option<&str>,
    command: CommandName,
) -> Result<Pipeline, CommandFailure> {
    let lang = actor.language;
    let pipelines = state
        .store
        .list_pipelines(actor.workspace_id, false)
        .await
        .map_err(|e| CommandFailure::plain(e.into()))?;
    let Some(typed) = typed else {
        return pipelines.into_iter().next().ok_or_else(|| {
            CommandFailure::coded(
                "no_pipeline",
                say(lang, "there is no pipeline yet".into(), "воронок пока нет".into()),
                command,
                lang,
            )
        });
    };
    let found = best(&pipelines, typed, |p| vec![p.name.clone()]);
    match found.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(CommandFailure::coded(
            "unknown_pipeline",
            say(lang, format!("no pipeline «{typed}»"), format!("нет воронки «{typed}»")),
            command,
            lang,
        )),
        many => Err(CommandFailure::coded(
            "ambiguous_pipeline",
            say(
                lang,
                format!("«{typed}» could be {}", listing(many, |p: &Pipeline| p.name.clone())),
                format!("«{typed}» — это {}?", listing(many, |p: &Pipeline| p.name.clone())),
            ),
            command,
            lang,
        )),
    }
}

/// Open deals the actor may see whose title fits `typed`, best fits only.
pub async fn deals(
    state: &AppState,
    actor: &User,
    typed: &str,
    limit: i64,
) -> Result<Vec<Deal>, CommandFailure> {
    let workspace =
        state.store.get_workspace(actor.workspace_id).await.map_err(|e| CommandFailure::plain(e.into()))?;
    let mut filter = DealFilter::for_viewer(actor, workspace.settings.deal_visibility);
    filter.text = Some(typed.to_string());
    filter.limit = limit;
    let found = state
        .store
        .list_deals(actor.workspace_id, &filter)
        .await
        .map_err(|e| CommandFailure::plain(e.into()))?;
    Ok(best(&found, typed, |d| vec![d.title.clone()]).into_iter().cloned().collect())
}
