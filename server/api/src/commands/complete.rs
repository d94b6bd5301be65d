//! Autocomplete as a command is typed: for a partial line, the commands,
//! people, stages, pipelines, deals and priorities that fit, best first
//! (exact > prefix > substring; the user's language first). Each suggestion
//! says what to put from which character of the line on.

use artel_core::commands::names::SPECS;
use artel_core::commands::{grammar, CommandName, MAX_LINE_CHARS};
use artel_core::crm::task::TaskPriority;
use artel_core::user::{Language, User};
use artel_core::{Error, Result};
use serde::Serialize;
use utoipa::ToSchema;

use crate::commands::resolve::{self, fit, person_names};
use crate::commands::Ctx;
use crate::state::AppState;

/// Most suggestions returned.
const MAX_ITEMS: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SuggestionKind {
    Command,
    Person,
    Stage,
    Pipeline,
    Deal,
    Priority,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Suggestion {
    pub kind: SuggestionKind,
    /// The text to put in place of the line from `replace_from` on.
    pub insert: String,
    /// Character offset in the line where `insert` goes.
    pub replace_from: usize,
    /// What to show in the list.
    pub label: String,
    /// More about it (a command's usage, a person's e-mail).
    pub detail: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CommandInfo {
    pub name: CommandName,
    /// The name in the user's language, as typed after `/`.
    pub word: String,
    /// Every spelling that works.
    pub aliases: Vec<String>,
    pub usage: String,
    pub about: String,
}

/// The commands with usage in `lang` (one, when `only` is given).
pub fn command_list(lang: Language, only: Option<CommandName>) -> Vec<CommandInfo> {
    SPECS
        .iter()
        .filter(|s| only.is_none_or(|o| o == s.name))
        .map(|s| CommandInfo {
            name: s.name,
            word: s.name.word(lang).to_string(),
            aliases: [s.en, s.ru].iter().chain(s.aliases).map(|a| a.to_string()).collect(),
            usage: s.name.usage(lang).to_string(),
            about: s.name.about(lang).to_string(),
        })
        .collect()
}

struct Scored {
    score: u8,
    /// Among equal scores: the list's own order where it has one (stages in
    /// funnel order); 0 elsewhere, and then alphabetical.
    rank: usize,
    item: Suggestion,
}

/// Suggestions for a partial line typed in the context's chat.
pub async fn complete(state: &AppState, ctx: &Ctx, line: &str) -> Result<Vec<Suggestion>> {
    if line.chars().count() > MAX_LINE_CHARS {
        return Err(Error::invalid("line", format!("must be at most {MAX_LINE_CHARS} characters")));
    }
    let Some(rest) = line.strip_prefix('/') else { return Ok(Vec::new()) };
    if rest.starts_with('/') {
        return Ok(Vec::new()); // "//text" is a literal message
    }
    let u = &ctx.user;
    let Some(space) = rest.find(char::is_whitespace) else {
        return Ok(finish(commands(u.language, rest)));
    };
    let Some(name) = CommandName::lookup(&rest[..space]) else { return Ok(Vec::new()) };
    // The word being typed: after the last space.
    let last_start = line.rfind(char::is_whitespace).map_or(0, |i| i + 1);
    let last = &line[last_start..];
    let from = line[..last_start].chars().count();
    let mut out = Vec::new();
    if let Some(typed) = last.strip_prefix('@') {
        out = people(state, u, typed, from).await?;
    } else if let Some(typed) = last.strip_prefix('#') {
        out = pipelines(state, u, typed, from).await?;
    } else if let Some(typed) = last.strip_prefix('!') {
        out = priorities(u.language, typed, from);
    } else {
        let args = rest[space..].trim_start();
        let args_from = line.chars().count() - args.chars().count();
        match name {
            CommandName::Move => out = moves(state, ctx, args, args_from).await?,
            CommandName::Help => {
                out = commands(u.language, args.trim_start_matches('/'))
                    .into_iter()
                    .map(|mut s| {
                        s.item.insert = s.item.insert.trim_start_matches('/').to_string();
                        s.item.replace_from = args_from;
                        s
                    })
                    .collect()
            }
            CommandName::Stages => out = pipelines(state, u, args, args_from).await?,
            _ => {}
        }
    }
    Ok(finish(out))
}

fn finish(mut items: Vec<Scored>) -> Vec<Suggestion> {
    items.sort_by(|a, b| {
        b.score.cmp(&a.score).then_with(|| a.rank.cmp(&b.rank)).then_with(|| a.item.label.cmp(&b.item.label))
    });
    items.into_iter().take(MAX_ITEMS).map(|s| s.item).collect()
}

fn commands(lang: Language, typed: &str) -> Vec<Scored> {
    let mut out = Vec::new();
    for spec in SPECS {
        // Offer the spelling that fits best; the user's language on a tie.
        let mine = spec.name.word(lang);
        let mut spellings: Vec<&str> = vec![mine, spec.en, spec.ru];
        spellings.extend(spec.aliases);
        let best = spellings
            .iter()
            .map(|w| (if typed.is_empty() { 2 } else { fit(w, typed) }, *w))
            .max_by(|a, b| a.0.cmp(&b.0).then_with(|| (b.1 != mine).cmp(&(a.1 != mine))));
        let Some((score, word)) = best.filter(|(s, _)| *s > 0) else { continue };
        out.push(Scored {
            rank: 0,
            // Own language first among equals.
            score: score * 2 + u8::from(word == mine),
            item: Suggestion {
                kind: SuggestionKind::Command,
                insert: format!("/{word} "),
                replace_from: 0,
                label: format!("/{word}"),
                detail: Some(format!("{} — {}", spec.name.usage(lang), spec.name.about(lang))),
            },
        });
    }
    out
}

async fn people(state: &AppState, u: &User, typed: &str, from: usize) -> Result<Vec<Scored>> {
    let users = state.store.list_users(u.workspace_id).await?;
    let known = crate::directory::known_people(state, u).await?;
    Ok(users
        .iter()
        .filter(|p| p.is_active() && crate::directory::knows(&known, p.id))
        .filter_map(|p| {
            let score =
                if typed.is_empty() { 1 } else { person_names(p).iter().map(|n| fit(n, typed)).max()? };
            (score > 0).then(|| Scored {
                rank: 0,
                score,
                item: Suggestion {
                    kind: SuggestionKind::Person,
                    insert: format!("<@{}> ", p.id),
                    replace_from: from,
                    label: p.name.clone(),
                    detail: Some(p.email.clone()),
                },
            })
        })
        .collect())
}

async fn pipelines(state: &AppState, u: &User, typed: &str, from: usize) -> Result<Vec<Scored>> {
    let list = state.store.list_pipelines(u.workspace_id, false).await?;
    Ok(list
        .iter()
        .filter_map(|p| {
            let score = if typed.is_empty() { 1 } else { fit(&p.name, typed) };
            (score > 0).then(|| Scored {
                rank: 0,
                score,
                item: Suggestion {
                    kind: SuggestionKind::Pipeline,
                    insert: format!("#{} ", p.name.replace(' ', "_")),
                    replace_from: from,
                    label: p.name.clone(),
                    detail: None,
                },
            })
        })
        .collect())
}

fn priorities(lang: Language, typed: &str, from: usize) -> Vec<Scored> {
    let words: &[(&str, &str)] =
        &[("low", "низкий"), ("normal", "обычный"), ("high", "высокий"), ("urgent", "срочно")];
    words
        .iter()
        .filter_map(|(en, ru)| {
            let word = match lang {
                Language::En => *en,
                Language::Ru => *ru,
            };
            let score = if typed.is_empty() { 1 } else { fit(en, typed).max(fit(ru, typed)) };
            let p: TaskPriority = grammar::priority(en)?;
            (score > 0).then(|| Scored {
                rank: 0,
                score,
                item: Suggestion {
                    kind: SuggestionKind::Priority,
                    insert: format!("!{word} "),
                    replace_from: from,
                    label: format!("!{word}"),
                    detail: Some(p.to_string()),
                },
            })
        })
        .collect()
}

/// `/move …`: stages of the chat's deal; elsewhere deals, then (after a quoted
/// deal title) that deal's stages.
async fn moves(state: &AppState, ctx: &Ctx, args: &str, from: usize) -> Result<Vec<Scored>> {
    let u = &ctx.user;
    if let Some(deal) = ctx.deal(state).await? {
        let stages = state.store.list_stages(u.workspace_id, deal.pipeline_id).await?;
        return Ok(stage_items(u.language, &stages, args, from, deal.stage_id));
    }
    // `"deal title" stage…`: the deal is settled, complete the stage.
    if let Some(quoted) = args.strip_prefix('"') {
        if let Some(end) = quoted.find('"') {
            let title = &quoted[..end];
            let after = quoted[end + 1..].trim_start();
            let stage_from = from + args.chars().count() - after.chars().count();
            let found = resolve::deals(state, u, title, 5)
                .await
                .map_err(|f| Error::invalid("line", f.error.message))?;
            if let [deal] = found.as_slice() {
                let stages = state.store.list_stages(u.workspace_id, deal.pipeline_id).await?;
                return Ok(stage_items(u.language, &stages, after, stage_from, deal.stage_id));
            }
            return Ok(Vec::new());
        }
    }
    let typed = args.trim_start_matches('"');
    if typed.trim().is_empty() {
        return Ok(Vec::new());
    }
    let deals = resolve::deals(state, u, typed, MAX_ITEMS as i64)
        .await
        .map_err(|f| Error::invalid("line", f.error.message))?;
    Ok(deals
        .iter()
        .map(|d| Scored {
            rank: 0,
            score: fit(&d.title, typed),
            item: Suggestion {
                kind: SuggestionKind::Deal,
                insert: format!("\"{}\" ", d.title.replace('"', "'")),
                replace_from: from,
                label: d.title.clone(),
                detail: None,
            },
        })
        .collect())
}

/// The deal's other stages in funnel order (`list_stages` gives them so), the
/// kind in the user's words (the same as the pipeline editor's).
fn stage_items(
    lang: Language,
    stages: &[artel_core::crm::pipeline::Stage],
    typed: &str,
    from: usize,
    current: uuid::Uuid,
) -> Vec<Scored> {
    stages
        .iter()
        .enumerate()
        .filter(|(_, s)| s.id != current)
        .filter_map(|(position, s)| {
            let score = if typed.trim().is_empty() { 1 } else { fit(&s.name, typed) };
            (score > 0).then(|| Scored {
                rank: position,
                score,
                item: Suggestion {
                    kind: SuggestionKind::Stage,
                    insert: s.name.clone(),
                    replace_from: from,
                    label: s.name.clone(),
                    detail: Some(stage_kind_words(lang, s.kind).to_string()),
                },
            })
        })
        .collect()
}

fn stage_kind_words(lang: Language, kind: artel_core::crm::pipeline::StageKind) -> &'static str {
    use artel_core::crm::pipeline::StageKind::{Lost, Open, Won};
    match (lang, kind) {
        (Language::Ru, Open) => "в работе",
        (Language::Ru, Won) => "успех",
        (Language::Ru, Lost) => "провал",
        (Language::En, Open) => "open",
        (Language::En, Won) => "won",
        (Language::En, Lost) => "lost",
    }
}
