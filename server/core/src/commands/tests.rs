//! Table tests for every command in both languages, and a property test: no
//! input makes the parser panic.

use chrono::{NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;
use uuid::Uuid;

use super::deal::Amount;
use super::*;
use crate::crm::task::TaskPriority;

fn now() -> Now {
    let tz: Tz = "Europe/Moscow".parse().expect("zone");
    // Monday 2026-11-23 12:00 Moscow.
    Now { at: tz.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).single().expect("time").with_timezone(&Utc), tz }
}

fn at(d: u32, h: u32, m: u32) -> When {
    let tz = now().tz;
    When::At(tz.with_ymd_and_hms(2026, 11, d, h, m, 0).single().expect("time").with_timezone(&Utc))
}

fn date(y: i32, m: u32, d: u32) -> When {
    When::Date(NaiveDate::from_ymd_opt(y, m, d).expect("date"))
}

fn p(line: &str) -> Result<Command, CommandError> {
    match classify(line) {
        Line::Command(c) => parse(c, now()),
        other => panic!("{line:?} is not a command: {other:?}"),
    }
}

fn name(n: &str) -> PersonRef {
    PersonRef::Name(n.into())
}

fn task(title: &str, who: &[&str], due: Option<When>, pri: Option<TaskPriority>) -> Command {
    Command::Task(task::TaskCommand {
        title: title.into(),
        assignees: who.iter().map(|w| name(w)).collect(),
        due,
        priority: pri,
    })
}

#[test]
fn lines_are_classified() {
    assert_eq!(classify("hello"), Line::Text);
    assert_eq!(classify(" /task x"), Line::Text);
    assert_eq!(classify("//task x"), Line::Literal("/task x"));
    assert_eq!(classify("/task x"), Line::Command("task x"));
}

#[test]
fn task_commands() {
    use TaskPriority::*;
    let id = Uuid::now_v7();
    let cases: Vec<(&str, Command)> = vec![
        ("/task call back tomorrow 11:00 @boris", task("call back", &["boris"], Some(at(24, 11, 0)), None)),
        (
            "/задача перезвонить завтра в 11:00 @boris !срочно",
            task("перезвонить", &["boris"], Some(at(24, 11, 0)), Some(Urgent)),
        ),
        (
            "/Задача отправить КП в пятницу !высокий",
            task("отправить КП", &[], Some(date(2026, 11, 27)), Some(High)),
        ),
        ("/task send invoice !low", task("send invoice", &[], None, Some(Low))),
        (
            "/task prepare contract next monday !normal @anna @boris",
            task("prepare contract", &["anna", "boris"], Some(date(2026, 11, 30)), Some(Normal)),
        ),
        ("/task call in 2h", task("call", &[], Some(at(23, 14, 0)), None)),
        ("/задача созвон через 2 дня", task("созвон", &[], Some(date(2026, 11, 25)), None)),
        (
            "/задача встреча 25.12 10:00 в офисе",
            task(
                "встреча в офисе",
                &[],
                Some(When::At(
                    now()
                        .tz
                        .with_ymd_and_hms(2026, 12, 25, 10, 0, 0)
                        .single()
                        .expect("t")
                        .with_timezone(&Utc),
                )),
                None,
            ),
        ),
        ("/задача сделать в 2 этапа", task("сделать в 2 этапа", &[], None, None)),
        ("/task \"call tomorrow\" friday", task("call tomorrow", &[], Some(date(2026, 11, 27)), None)),
    ];
    for (line, want) in cases {
        assert_eq!(p(line).as_ref(), Ok(&want), "{line}");
    }
    let Ok(Command::Task(t)) = p(&format!("/task x <@{id}>")) else { panic!("task") };
    assert_eq!(t.assignees, vec![PersonRef::Id(id)]);
    for (line, code) in [
        ("/task", ErrorCode::MissingArgument),
        ("/задача @anna завтра", ErrorCode::MissingArgument),
        ("/task call !someday", ErrorCode::BadPriority),
        ("/задача звонок !важнее", ErrorCode::BadPriority),
        ("/task x #sales", ErrorCode::UnexpectedArgument),
    ] {
        assert_eq!(p(line).map_err(|e| e.code), Err(code), "{line}");
    }
}

#[test]
fn move_commands() {
    let mv = |words: &[&str], split| {
        Command::Move(move_deal::MoveCommand { words: words.iter().map(|w| w.to_string()).collect(), split })
    };
    for (line, want) in [
        ("/move negotiation", mv(&["negotiation"], None)),
        ("/этап Переговоры", mv(&["Переговоры"], None)),
        ("/перенести договор", mv(&["договор"], None)),
        ("/move Pumps for Acme won", mv(&["Pumps", "for", "Acme", "won"], None)),
        ("/move \"Pumps for Acme\" won", mv(&["Pumps for Acme", "won"], Some(1))),
        ("/этап Насосы -> Договор", mv(&["Насосы", "Договор"], Some(1))),
        ("/этап «Насосы для Ромашки» Новая заявка", mv(&["Насосы для Ромашки", "Новая", "заявка"], Some(1))),
    ] {
        assert_eq!(p(line).as_ref(), Ok(&want), "{line}");
    }
    let Ok(Command::Move(m)) = p("/move a b c") else { panic!("move") };
    assert_eq!(m.readings(), vec![("a".into(), "b c".into()), ("a b".into(), "c".into())]);
    assert_eq!(m.whole(), "a b c");
    for (line, code) in [
        ("/move", ErrorCode::MissingArgument),
        ("/этап", ErrorCode::MissingArgument),
        ("/move -> won", ErrorCode::MissingArgument),
        ("/move won @anna", ErrorCode::UnexpectedArgument),
    ] {
        assert_eq!(p(line).map_err(|e| e.code), Err(code), "{line}");
    }
}

#[test]
fn deal_commands() {
    let deal =
        |title: &str, amount: Option<(i64, Option<&str>)>, owner: Option<&str>, pipeline: Option<&str>| {
            Command::Deal(deal::DealCommand {
                title: title.into(),
                amount: amount.map(|(h, c)| Amount { hundredths: h, currency: c.map(String::from) }),
                owner: owner.map(name),
                pipeline: pipeline.map(String::from),
            })
        };
    for (line, want) in [
        (
            "/deal Pumps for Acme 150000 @anna #sales",
            deal("Pumps for Acme", Some((15_000_000, None)), Some("anna"), Some("sales")),
        ),
        (
            "/сделка Поставка насосов 1,5м @anna",
            deal("Поставка насосов", Some((150_000_000, None)), Some("anna"), None),
        ),
        ("/сделка Ремонт 50к₽", deal("Ремонт", Some((5_000_000, Some("RUB"))), None, None)),
        ("/deal Audit $1200.50", deal("Audit", Some((120_050, Some("USD"))), None, None)),
        ("/deal Audit 5000 eur", deal("Audit", Some((500_000, Some("EUR"))), None, None)),
        ("/deal Order of 42 units", deal("Order of 42 units", None, None, None)),
        ("/deal 2027 renewal", deal("2027 renewal", None, None, None)),
        ("/сделка Сервис #вторичные_продажи", deal("Сервис", None, None, Some("вторичные продажи"))),
    ] {
        assert_eq!(p(line).as_ref(), Ok(&want), "{line}");
    }
    for (line, code) in [
        ("/deal", ErrorCode::MissingArgument),
        ("/сделка @anna #sales", ErrorCode::MissingArgument),
        ("/deal X 1.2.3", ErrorCode::BadAmount),
        ("/deal X 99999999999999999", ErrorCode::BadAmount),
        ("/deal X @a @b", ErrorCode::UnexpectedArgument),
        ("/deal X !high", ErrorCode::UnexpectedArgument),
    ] {
        assert_eq!(p(line).map_err(|e| e.code), Err(code), "{line}");
    }
    let a = Amount { hundredths: 150_000, currency: None };
    assert_eq!(a.minor_units("RUB"), Some(150_000));
    assert_eq!(a.minor_units("JPY"), Some(1_500));
    assert_eq!(Amount { hundredths: 150_050, currency: None }.minor_units("JPY"), None);
}

#[test]
fn assign_done_remind() {
    let assign = |n: &str| Command::Assign(assign::AssignCommand { person: name(n) });
    assert_eq!(p("/assign @anna"), Ok(assign("anna")));
    assert_eq!(p("/назначить @борис"), Ok(assign("борис")));
    assert_eq!(p("/назначить борис"), Ok(assign("борис")));
    assert_eq!(p("/assign").map_err(|e| e.code), Err(ErrorCode::MissingArgument));
    assert_eq!(p("/assign @a @b").map_err(|e| e.code), Err(ErrorCode::UnexpectedArgument));

    let done = |t: Option<&str>| Command::Done(done::DoneCommand { text: t.map(String::from) });
    assert_eq!(p("/done"), Ok(done(None)));
    assert_eq!(p("/готово"), Ok(done(None)));
    assert_eq!(p("/выполнено позвонить"), Ok(done(Some("позвонить"))));
    assert_eq!(p("/done @x").map_err(|e| e.code), Err(ErrorCode::UnexpectedArgument));

    let remind = |w: When, t: &str| Command::Remind(remind::RemindCommand { when: w, text: t.into() });
    assert_eq!(p("/remind in 2h send the contract"), Ok(remind(at(23, 14, 0), "send the contract")));
    assert_eq!(p("/напомнить завтра в 15:00 позвонить Ивану"), Ok(remind(at(24, 15, 0), "позвонить Ивану")));
    assert_eq!(p("/напомнить через час проверить почту"), Ok(remind(at(23, 13, 0), "проверить почту")));
    assert_eq!(p("/remind send the contract tomorrow"), Ok(remind(date(2026, 11, 24), "send the contract")));
    for (line, code) in [
        ("/remind", ErrorCode::MissingArgument),
        ("/напомнить завтра", ErrorCode::MissingArgument),
        ("/remind someday call", ErrorCode::BadDate),
        ("/напомнить когда-нибудь позвонить", ErrorCode::BadDate),
    ] {
        assert_eq!(p(line).map_err(|e| e.code), Err(code), "{line}");
    }
}

#[test]
fn info_commands() {
    assert_eq!(p("/client"), Ok(Command::Client));
    assert_eq!(p("/клиент"), Ok(Command::Client));
    assert_eq!(p("/client x").map_err(|e| e.code), Err(ErrorCode::UnexpectedArgument));
    assert_eq!(p("/stages"), Ok(Command::Stages { pipeline: None }));
    assert_eq!(p("/этапы #продажи"), Ok(Command::Stages { pipeline: Some("продажи".into()) }));
    assert_eq!(p("/help"), Ok(Command::Help { topic: None }));
    assert_eq!(p("/помощь задача"), Ok(Command::Help { topic: Some(CommandName::Task) }));
    assert_eq!(p("/help /move"), Ok(Command::Help { topic: Some(CommandName::Move) }));
    assert_eq!(p("/help nope").map_err(|e| e.code), Err(ErrorCode::UnknownCommand));
    assert_eq!(p("/undo"), Ok(Command::Undo));
    assert_eq!(p("/отменить"), Ok(Command::Undo));
    assert_eq!(p("/отмена"), Ok(Command::Undo));
    assert_eq!(p("/undo everything").map_err(|e| e.code), Err(ErrorCode::UnexpectedArgument));
}

#[test]
fn unknown_and_oversized_lines() {
    let e = p("/frobnicate now").expect_err("unknown");
    assert_eq!(e.code, ErrorCode::UnknownCommand);
    assert!(e.message(crate::user::Language::En).contains("//frobnicate"));
    assert!(e.usage(crate::user::Language::Ru).contains("/задача"));
    assert_eq!(p("/").map_err(|e| e.code), Err(ErrorCode::UnknownCommand));
    let long = format!("/task {}", "x ".repeat(1500));
    assert_eq!(p(&long).map_err(|e| e.code), Err(ErrorCode::TooLong));
    let many = format!("/task {}", "x ".repeat(300));
    assert_eq!(p(&many).map_err(|e| e.code), Err(ErrorCode::TooLong));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn no_line_panics(line in "\\PC{0,120}") {
        let _ = parse(&line, now());
    }

    #[test]
    fn no_command_shaped_line_panics(
        cmd in prop::sample::select(vec!["task", "задача", "move", "этап", "deal", "сделка", "assign",
            "done", "remind", "напомнить", "stages", "help"]),
        words in prop::collection::vec(prop_oneof![
            "[a-zа-я0-9:.,!@#$€₽«»\"<>-]{0,12}",
            prop::sample::select(vec!["завтра", "в", "15:00", "через", "2", "дня", "tomorrow", "3pm",
                "next", "monday", "in", "2h", "25.12", "!high", "@anna", "#sales", "->", "\"", "«"]).prop_map(String::from),
        ], 0..12),
    ) {
        let line = format!("{cmd} {}", words.join(" "));
        let _ = parse(&line, now());
    }

    #[test]
    fn dates_never_panic(words in prop::collection::vec("[a-zа-я0-9:.]{0,8}", 0..7), secs in 0i64..4_000_000_000) {
        let tz: Tz = "America/New_York".parse().expect("zone");
        let at = Utc.timestamp_opt(secs, 0).single().expect("time");
        let refs: Vec<&str> = words.iter().map(String::as_str).collect();
        let _ = when::parse(&refs, Now { at, tz });
    }
}
