//! The command names in both languages, with their usage lines: what `/help`
//! shows, what autocomplete offers, and what an error answers with.

use serde::Serialize;
use utoipa::ToSchema;

use crate::user::Language;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CommandName {
    Task,
    Move,
    Deal,
    Assign,
    Done,
    Remind,
    Client,
    Stages,
    Help,
    Undo,
}

/// One command as people see it.
pub struct Spec {
    pub name: CommandName,
    pub en: &'static str,
    pub ru: &'static str,
    /// Further accepted spellings.
    pub aliases: &'static [&'static str],
    pub usage_en: &'static str,
    pub usage_ru: &'static str,
    pub about_en: &'static str,
    pub about_ru: &'static str,
}

pub const SPECS: &[Spec] = &[
    Spec {
        name: CommandName::Task,
        en: "task",
        ru: "задача",
        aliases: &["todo"],
        usage_en: "/task <text> [@person] [when] [!low|!normal|!high|!urgent]",
        usage_ru: "/задача <текст> [@кто] [когда] [!низкий|!обычный|!высокий|!срочно]",
        about_en: "Create a task (linked to this chat's deal or client), e.g. /task call back tomorrow 11:00 @anna !high",
        about_ru: "Создать задачу (по сделке или клиенту этого чата), например /задача перезвонить завтра 11:00 @anna !высокий",
    },
    Spec {
        name: CommandName::Move,
        en: "move",
        ru: "этап",
        aliases: &["перенести"],
        usage_en: "/move <stage> in a deal chat, /move <deal> <stage> elsewhere",
        usage_ru: "/этап <этап> в чате сделки, /этап <сделка> <этап> в других чатах",
        about_en: "Move a deal to another stage, e.g. /move negotiation",
        about_ru: "Перевести сделку на другой этап, например /этап переговоры",
    },
    Spec {
        name: CommandName::Deal,
        en: "deal",
        ru: "сделка",
        aliases: &[],
        usage_en: "/deal <title> [amount] [@owner] [#pipeline]",
        usage_ru: "/сделка <название> [сумма] [@ответственный] [#воронка]",
        about_en: "Create a deal with its chat, e.g. /deal Supply of pumps 150000 @anna",
        about_ru: "Создать сделку с чатом, например /сделка Поставка насосов 150000 @anna",
    },
    Spec {
        name: CommandName::Assign,
        en: "assign",
        ru: "назначить",
        aliases: &[],
        usage_en: "/assign @person",
        usage_ru: "/назначить @кто",
        about_en: "Make someone responsible for this chat's deal, task, contact or company",
        about_ru: "Назначить ответственного за сделку, задачу, контакт или компанию этого чата",
    },
    Spec {
        name: CommandName::Done,
        en: "done",
        ru: "готово",
        aliases: &["выполнено"],
        usage_en: "/done [task text]",
        usage_ru: "/готово [текст задачи]",
        about_en: "Complete this chat's task (or your open task of this deal that matches the text)",
        about_ru: "Выполнить задачу этого чата (или свою открытую задачу по сделке, подходящую под текст)",
    },
    Spec {
        name: CommandName::Remind,
        en: "remind",
        ru: "напомнить",
        aliases: &[],
        usage_en: "/remind <when> <text>",
        usage_ru: "/напомнить <когда> <текст>",
        about_en: "Remind yourself, e.g. /remind in 2h send the contract",
        about_ru: "Напомнить себе, например /напомнить через 2 часа отправить договор",
    },
    Spec {
        name: CommandName::Client,
        en: "client",
        ru: "клиент",
        aliases: &[],
        usage_en: "/client",
        usage_ru: "/клиент",
        about_en: "Show the client card of this chat's deal",
        about_ru: "Показать карточку клиента сделки этого чата",
    },
    Spec {
        name: CommandName::Stages,
        en: "stages",
        ru: "этапы",
        aliases: &[],
        usage_en: "/stages [#pipeline]",
        usage_ru: "/этапы [#воронка]",
        about_en: "List the stages of the deal's (or a) pipeline",
        about_ru: "Показать этапы воронки сделки (или указанной)",
    },
    Spec {
        name: CommandName::Help,
        en: "help",
        ru: "помощь",
        aliases: &["справка", "?"],
        usage_en: "/help [command]",
        usage_ru: "/помощь [команда]",
        about_en: "List the commands, or explain one",
        about_ru: "Список команд или описание одной",
    },
    Spec {
        name: CommandName::Undo,
        en: "undo",
        ru: "отменить",
        aliases: &["отмена"],
        usage_en: "/undo",
        usage_ru: "/отменить",
        about_en: "Undo your last command (within 5 minutes)",
        about_ru: "Отменить вашу последнюю команду (в течение 5 минут)",
    },
];

impl CommandName {
    /// The command a typed word names (either language, any case), if any.
    pub fn lookup(word: &str) -> Option<CommandName> {
        let w = word.to_lowercase().replace('ё', "е");
        SPECS.iter().find(|s| s.en == w || s.ru == w || s.aliases.contains(&w.as_str())).map(|s| s.name)
    }

    pub fn spec(self) -> &'static Spec {
        // Every variant has a spec: the table test below checks it.
        SPECS.iter().find(|s| s.name == self).unwrap_or(&SPECS[0])
    }

    pub fn as_str(self) -> &'static str {
        self.spec().en
    }

    /// The name in a language.
    pub fn word(self, lang: Language) -> &'static str {
        match lang {
            Language::Ru => self.spec().ru,
            Language::En => self.spec().en,
        }
    }

    pub fn usage(self, lang: Language) -> &'static str {
        match lang {
            Language::Ru => self.spec().usage_ru,
            Language::En => self.spec().usage_en,
        }
    }

    pub fn about(self, lang: Language) -> &'static str {
        match lang {
            Language::Ru => self.spec().about_ru,
            Language::En => self.spec().about_en,
        }
    }
}

/// Every usage line, one per command: the help an unknown command answers with.
pub fn all_usage(lang: Language) -> String {
    SPECS.iter().map(|s| s.name.usage(lang)).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_has_one_spec_and_no_spelling_is_shared() {
        let mut seen = std::collections::HashSet::new();
        for spec in SPECS {
            assert_eq!(spec.name.spec().en, spec.en);
            for w in [spec.en, spec.ru].iter().chain(spec.aliases) {
                assert!(seen.insert(*w), "{w} names two commands");
                assert_eq!(CommandName::lookup(w), Some(spec.name));
            }
        }
        assert_eq!(SPECS.len(), 10);
        assert_eq!(CommandName::lookup("ЗАДАЧА"), Some(CommandName::Task));
        assert_eq!(CommandName::lookup("nope"), None);
    }
}
