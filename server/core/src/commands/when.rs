//! Dates and times as people type them in a command, in Russian or English, read
//! in the issuer's time zone against an injected "now": `завтра 15:00`,
//! `через 2 дня`, `в пятницу`, `25.12`, `tomorrow 3pm`, `next monday`, `in 2h`,
//! `2026-12-01 10:00`. A date without a time stays a calendar date (a date-only
//! due date); anything with a time, or a span in hours or minutes, is a moment.
//!
//! The parser must consume every word it is given, so the command grammar can
//! try spans of a line and take the one that is a date, leaving the rest as text.

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

use crate::crm::task::local_to_utc;

/// The most words a date expression spans ("в следующую пятницу в 15:00").
pub const MAX_WORDS: usize = 6;
/// Relative spans further out than this are refused (typos like `через 20000 дней`).
const MAX_DAYS_AHEAD: i64 = 3660;

/// What a date expression means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// A calendar date, no time of day.
    Date(NaiveDate),
    /// A moment.
    At(DateTime<Utc>),
}

impl When {
    /// The moment, with a date-only value read at `default_time` local time in `tz`.
    pub fn moment(self, tz: Tz, default_time: NaiveTime) -> DateTime<Utc> {
        match self {
            When::At(t) => t,
            When::Date(d) => local_to_utc(d.and_time(default_time), tz),
        }
    }
}

/// Where "now" is: the moment and the reader's zone.
#[derive(Debug, Clone, Copy)]
pub struct Now {
    pub at: DateTime<Utc>,
    pub tz: Tz,
}

impl Now {
    fn today(&self) -> NaiveDate {
        self.at.with_timezone(&self.tz).date_naive()
    }
}

/// Parses the whole of `words` as one date expression, or `None`.
pub fn parse(words: &[&str], now: Now) -> Option<When> {
    if words.is_empty() || words.len() > MAX_WORDS {
        return None;
    }
    let words: Vec<String> = words.iter().map(|w| normalise(w)).collect();
    let words: Vec<&str> = words.iter().map(String::as_str).filter(|w| !w.is_empty()).collect();
    if words.is_empty() {
        return None;
    }
    if let Some(w) = relative(&words, now) {
        return Some(w);
    }
    // date [time] | time date
    if let (Some(date), time) = split_date_time(&words, now) {
        return Some(combine(date, time, now));
    }
    if let (Some(date), time) = split_time_date(&words, now) {
        return Some(combine(date, time, now));
    }
    // Only a time: today if still ahead, else tomorrow.
    if let Some(time) = time_part(&words, false) {
        let today = now.today();
        let at = local_to_utc(today.and_time(time), now.tz);
        let at =
            if at > now.at { at } else { local_to_utc((today + Duration::days(1)).and_time(time), now.tz) };
        return Some(When::At(at));
    }
    None
}

fn combine(date: NaiveDate, time: Option<NaiveTime>, now: Now) -> When {
    match time {
        Some(t) => When::At(local_to_utc(date.and_time(t), now.tz)),
        None => When::Date(date),
    }
}

/// `date` alone or `date time`: the date is a prefix of the words.
fn split_date_time(words: &[&str], now: Now) -> (Option<NaiveDate>, Option<NaiveTime>) {
    for cut in (1..=words.len()).rev() {
        if let Some(date) = date_part(&words[..cut], now) {
            if cut == words.len() {
                return (Some(date), None);
            }
            if let Some(time) = time_part(&words[cut..], true) {
                return (Some(date), Some(time));
            }
        }
    }
    (None, None)
}

/// `time date`: "15:00 завтра", "at 3pm tomorrow".
fn split_time_date(words: &[&str], now: Now) -> (Option<NaiveDate>, Option<NaiveTime>) {
    for cut in 1..words.len() {
        if let Some(time) = time_part(&words[..cut], false) {
            if let Some(date) = date_part(&words[cut..], now) {
                return (Some(date), Some(time));
            }
        }
    }
    (None, None)
}

/// Lower case, `ё` as `е`, without the punctuation people put after a date.
fn normalise(word: &str) -> String {
    word.trim_matches(|c: char| matches!(c, ',' | ';' | '!' | '?' | '(' | ')'))
        .trim_end_matches('.')
        .to_lowercase()
        .replace('ё', "е")
}

/// "через 2 дня", "in 2h", "через час", "in 30 minutes", "через неделю [в 10:00]".
fn relative(words: &[&str], now: Now) -> Option<When> {
    let (first, rest) = words.split_first()?;
    if !matches!(*first, "через" | "in") {
        return None;
    }
    // The span: a count and a unit ("2 дня", "2h", "час", "an hour"), then maybe a time.
    for cut in (1..=rest.len().min(3)).rev() {
        let Some(span) = span(&rest[..cut]) else { continue };
        let tail = &rest[cut..];
        return match span {
            Span::Minutes(m) if tail.is_empty() => Some(When::At(now.at + Duration::minutes(m))),
            Span::Minutes(_) => None,
            Span::Days(d) => {
                let date = now.today().checked_add_signed(Duration::days(d))?;
                let time = if tail.is_empty() { None } else { Some(time_part(tail, true)?) };
                Some(combine(date, time, now))
            }
            Span::Months(m) => {
                let date = now.today().checked_add_months(Months::new(m))?;
                let time = if tail.is_empty() { None } else { Some(time_part(tail, true)?) };
                Some(combine(date, time, now))
            }
        };
    }
    None
}

enum Span {
    Minutes(i64),
    Days(i64),
    Months(u32),
}

fn span(words: &[&str]) -> Option<Span> {
    let (count, unit) = match words {
        // "2h", "30m", "3d", "2ч", "30мин"
        [one] => match split_number(one) {
            Some((n, unit)) if !unit.is_empty() => (n, unit),
            _ => (1, *one),
        },
        ["a" | "an" | "one", unit] => (1, *unit),
        [n, unit] => (number(n)?, *unit),
        _ => return None,
    };
    if count <= 0 {
        return None;
    }
    let minutes = |m: i64| (m <= MAX_DAYS_AHEAD * 24 * 60).then_some(Span::Minutes(m));
    let days = |d: i64| (d <= MAX_DAYS_AHEAD).then_some(Span::Days(d));
    match unit {
        "m" | "min" | "mins" | "minute" | "minutes" | "мин" | "минута" | "минуту" | "минуты" | "минут" => {
            minutes(count)
        }
        "h" | "hr" | "hrs" | "hour" | "hours" | "ч" | "час" | "часа" | "часов" => {
            minutes(count.checked_mul(60)?)
        }
        "полчаса" if count == 1 && words.len() == 1 => Some(Span::Minutes(30)),
        "d" | "day" | "days" | "д" | "день" | "дня" | "дней" => days(count),
        "w" | "week" | "weeks" | "нед" | "неделя" | "неделю" | "недели" | "недель" => {
            days(count.checked_mul(7)?)
        }
        "month" | "months" | "мес" | "месяц" | "месяца" | "месяцев" => {
            u32::try_from(count).ok().filter(|m| *m <= 120).map(Span::Months)
        }
        _ => None,
    }
}

/// "2h" → (2, "h"); "15" → (15, "").
fn split_number(word: &str) -> Option<(i64, &str)> {
    let digits = word.find(|c: char| !c.is_ascii_digit()).unwrap_or(word.len());
    if digits == 0 || digits > 6 {
        return None;
    }
    Some((word[..digits].parse().ok()?, &word[digits..]))
}

fn number(word: &str) -> Option<i64> {
    if word.is_empty() || word.len() > 6 || !word.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    word.parse().ok()
}

/// The calendar-date part of an expression.
fn date_part(words: &[&str], now: Now) -> Option<NaiveDate> {
    let today = now.today();
    match words {
        ["today" | "сегодня"] => Some(today),
        ["tomorrow" | "tmrw" | "завтра"] => Some(today + Duration::days(1)),
        ["послезавтра"] | ["day", "after", "tomorrow"] => Some(today + Duration::days(2)),
        // A lone weekday only by its full name: "sun" or "ср" alone are too often something else.
        [one] => weekday(one, false).map(|w| next_weekday(today, w)).or_else(|| numeric_date(one, today)),
        ["в" | "во" | "on" | "next" | "this", day] => weekday(day, true).map(|w| next_weekday(today, w)),
        ["в" | "во", "следующий" | "следующую" | "следующее", day]
        | ["on", "next", day]
        | ["следующий" | "следующую" | "следующее", day] => {
            weekday(day, true).map(|w| next_weekday(today, w))
        }
        ["on", rest @ ..] => date_part(rest, now).filter(|_| rest.len() <= 2),
        [a, b] => month_day(a, b, None, today),
        [a, b, year] => month_day(a, b, Some(year), today),
        _ => None,
    }
}

/// The next `day` strictly after `today` ("в пятницу" on a Friday is next week's).
fn next_weekday(today: NaiveDate, day: Weekday) -> NaiveDate {
    let ahead = (7 + day.num_days_from_monday() as i64 - today.weekday().num_days_from_monday() as i64) % 7;
    today + Duration::days(if ahead == 0 { 7 } else { ahead })
}

fn weekday(word: &str, short_ok: bool) -> Option<Weekday> {
    let full = match word {
        "monday" | "понедельник" => Some(Weekday::Mon),
        "tuesday" | "вторник" => Some(Weekday::Tue),
        "wednesday" | "среда" | "среду" => Some(Weekday::Wed),
        "thursday" | "четверг" => Some(Weekday::Thu),
        "friday" | "пятница" | "пятницу" => Some(Weekday::Fri),
        "saturday" | "суббота" | "субботу" => Some(Weekday::Sat),
        "sunday" | "воскресенье" => Some(Weekday::Sun),
        _ => None,
    };
    if full.is_some() || !short_ok {
        return full;
    }
    Some(match word {
        "mon" | "пн" => Weekday::Mon,
        "tue" | "tues" | "вт" => Weekday::Tue,
        "wed" | "ср" => Weekday::Wed,
        "thu" | "thur" | "thurs" | "чт" => Weekday::Thu,
        "fri" | "пт" => Weekday::Fri,
        "sat" | "сб" => Weekday::Sat,
        "sun" | "вс" => Weekday::Sun,
        _ => return None,
    })
}

/// `25.12`, `25.12.2026`, `25.12.26`, `2026-12-01`. A day and month without a
/// year is the next such date from today on.
fn numeric_date(word: &str, today: NaiveDate) -> Option<NaiveDate> {
    if let Ok(d) = NaiveDate::parse_from_str(word, "%Y-%m-%d") {
        return (word.len() == 10).then_some(d);
    }
    let parts: Vec<&str> = word.split('.').collect();
    let num = |s: &str| -> Option<u32> {
        (!s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok())?
    };
    match parts.as_slice() {
        [d, m] if d.len() <= 2 && m.len() <= 2 => upcoming(num(d)?, num(m)?, today),
        [d, m, y] if d.len() <= 2 && m.len() <= 2 && (y.len() == 2 || y.len() == 4) => {
            let y = num(y)?;
            let y = if y < 100 { 2000 + y } else { y };
            NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, num(m)?, num(d)?)
        }
        _ => None,
    }
}

/// The next `day`.`month` on or after today.
fn upcoming(day: u32, month: u32, today: NaiveDate) -> Option<NaiveDate> {
    let this_year = NaiveDate::from_ymd_opt(today.year(), month, day);
    match this_year {
        Some(d) if d >= today => Some(d),
        // Past this year (or 29.02 in a short year): the next year it exists.
        _ => (1..=8).find_map(|n| NaiveDate::from_ymd_opt(today.year() + n, month, day)),
    }
}

/// "25 декабря", "25 dec", "dec 25", "december 25 2027".
fn month_day(a: &str, b: &str, year: Option<&&str>, today: NaiveDate) -> Option<NaiveDate> {
    let (day, month) = match (number(a), month(b), month(a), number(b)) {
        (Some(d), Some(m), _, _) | (_, _, Some(m), Some(d)) => (d, m),
        _ => return None,
    };
    let day = u32::try_from(day).ok()?;
    match year {
        None => upcoming(day, month, today),
        Some(y) => {
            let y = number(y).filter(|y| (1970..=9999).contains(y))?;
            NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, month, day)
        }
    }
}

fn month(word: &str) -> Option<u32> {
    let m = match word {
        "января" | "январь" | "янв" | "january" | "jan" => 1,
        "февраля" | "февраль" | "фев" | "february" | "feb" => 2,
        "марта" | "март" | "мар" | "march" | "mar" => 3,
        "апреля" | "апрель" | "апр" | "april" | "apr" => 4,
        "мая" | "май" | "may" => 5,
        "июня" | "июнь" | "июн" | "june" | "jun" => 6,
        "июля" | "июль" | "июл" | "july" | "jul" => 7,
        "августа" | "август" | "авг" | "august" | "aug" => 8,
        "сентября" | "сентябрь" | "сен" | "сент" | "september" | "sep" | "sept" => 9,
        "октября" | "октябрь" | "окт" | "october" | "oct" => 10,
        "ноября" | "ноябрь" | "ноя" | "november" | "nov" => 11,
        "декабря" | "декабрь" | "дек" | "december" | "dec" => 12,
        _ => return None,
    };
    Some(m)
}

/// The time-of-day part: "15:00", "в 15:00", "at 3pm", "3:30 pm", "утром",
/// "in the evening". A bare hour ("в 15") counts only after a date
/// (`after_date`), so "в 2 этапа" in a task title is not read as 02:00.
fn time_part(words: &[&str], after_date: bool) -> Option<NaiveTime> {
    let hour = |h| NaiveTime::from_hms_opt(h, 0, 0);
    match words {
        ["утром" | "morning"] | ["in", "the", "morning"] => hour(9),
        ["днем" | "полдень" | "noon"] | ["в", "полдень"] | ["at", "noon"] => hour(12),
        ["afternoon"] | ["in", "the", "afternoon"] => hour(14),
        ["вечером" | "evening" | "tonight"] | ["in", "the", "evening"] => hour(18),
        ["в" | "во" | "at" | "к", rest @ ..] if !rest.is_empty() => clock(rest, after_date),
        _ => clock(words, false),
    }
}

/// "15:00", "3pm", "3 pm", "3:30pm", "15 часов", "15ч"; a bare hour when `bare_ok`.
fn clock(words: &[&str], bare_ok: bool) -> Option<NaiveTime> {
    let (word, suffix) = match words {
        [one] => (*one, ""),
        [one, suffix] => (*one, *suffix),
        _ => return None,
    };
    let (main, ampm) = match suffix {
        "" => strip_ampm(word),
        "am" | "a.m" | "pm" | "p.m" => (word, Some(suffix.starts_with('p'))),
        "часов" | "часа" | "час" | "ч" | "утра" | "дня" | "вечера" => {
            let pm = matches!(suffix, "дня" | "вечера");
            let h = number(word)?;
            let h = if pm && (1..12).contains(&h) { h + 12 } else { h };
            return NaiveTime::from_hms_opt(u32::try_from(h).ok()?, 0, 0);
        }
        _ => return None,
    };
    let (h, m) = match main.split_once(':').or_else(|| main.split_once('.').filter(|_| ampm.is_some())) {
        Some((h, m)) if m.len() == 2 => (number(h)?, number(m)?),
        Some(_) => return None,
        None => match split_number(main) {
            Some((h, "")) if ampm.is_some() || bare_ok => (h, 0),
            Some((h, "ч" | "h")) => (h, 0),
            _ => return None,
        },
    };
    let h = match ampm {
        None => h,
        Some(_) if !(1..=12).contains(&h) => return None,
        Some(false) => h % 12,
        Some(true) => h % 12 + 12,
    };
    NaiveTime::from_hms_opt(u32::try_from(h).ok()?, u32::try_from(m).ok()?, 0)
}

fn strip_ampm(word: &str) -> (&str, Option<bool>) {
    for (suffix, pm) in [("am", false), ("pm", true), ("a.m", false), ("p.m", true)] {
        if let Some(main) = word.strip_suffix(suffix) {
            if !main.is_empty() {
                return (main, Some(pm));
            }
        }
    }
    (word, None)
}

/// Shows a value in the reader's zone: "24.11.2026 11:00" or "24.11.2026".
pub fn show(when: When, tz: Tz) -> String {
    match when {
        When::Date(d) => d.format("%d.%m.%Y").to_string(),
        When::At(t) => t.with_timezone(&tz).format("%d.%m.%Y %H:%M").to_string(),
    }
}

/// A date-only value as the store keeps it: that date at 00:00 UTC.
pub fn date_as_utc(date: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&date.and_time(NaiveTime::MIN))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone(name: &str) -> Tz {
        name.parse().expect("known zone")
    }

    /// Monday 2026-11-23 10:00 in the given zone.
    fn monday(tz: Tz) -> Now {
        Now { at: local(tz, 2026, 11, 23, 10, 0), tz }
    }

    fn local(tz: Tz, y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        tz.with_ymd_and_hms(y, m, d, h, min, 0).single().expect("unambiguous").with_timezone(&Utc)
    }

    fn date(y: i32, m: u32, d: u32) -> When {
        When::Date(NaiveDate::from_ymd_opt(y, m, d).expect("date"))
    }

    fn p(text: &str, now: Now) -> Option<When> {
        let words: Vec<&str> = text.split_whitespace().collect();
        parse(&words, now)
    }

    #[test]
    fn russian_and_english_forms() {
        for tz in [zone("Europe/Moscow"), zone("America/New_York"), zone("Asia/Tokyo"), Tz::UTC] {
            let now = monday(tz);
            let at = |d, h, m| When::At(local(tz, 2026, 11, d, h, m));
            let cases: Vec<(&str, When)> = vec![
                ("завтра 15:00", at(24, 15, 0)),
                ("завтра в 15:00", at(24, 15, 0)),
                ("завтра в 15", at(24, 15, 0)),
                ("Завтра, 9:30", at(24, 9, 30)),
                ("сегодня", date(2026, 11, 23)),
                ("сегодня вечером", at(23, 18, 0)),
                ("послезавтра", date(2026, 11, 25)),
                ("через 2 дня", date(2026, 11, 25)),
                ("через неделю", date(2026, 11, 30)),
                ("через неделю в 10:00", at(30, 10, 0)),
                ("в пятницу", date(2026, 11, 27)),
                ("в пт", date(2026, 11, 27)),
                ("во вторник в 11:00", at(24, 11, 0)),
                ("в следующий понедельник", date(2026, 11, 30)),
                ("25.12", date(2026, 12, 25)),
                ("25.12.2027", date(2027, 12, 25)),
                ("01.01", date(2027, 1, 1)),
                ("25 декабря", date(2026, 12, 25)),
                ("25 декабря 10:00", When::At(local(tz, 2026, 12, 25, 10, 0))),
                ("в 15:00", at(23, 15, 0)),
                ("15:00 завтра", at(24, 15, 0)),
                ("завтра в 3 дня", at(24, 15, 0)),
                ("tomorrow 3pm", at(24, 15, 0)),
                ("tomorrow at 3:30 pm", at(24, 15, 30)),
                ("tomorrow", date(2026, 11, 24)),
                ("next monday", date(2026, 11, 30)),
                ("friday", date(2026, 11, 27)),
                ("on friday at 9am", at(27, 9, 0)),
                ("dec 25", date(2026, 12, 25)),
                ("25 dec", date(2026, 12, 25)),
                ("2026-12-01 10:00", When::At(local(tz, 2026, 12, 1, 10, 0))),
                ("2026-12-01", date(2026, 12, 1)),
                ("in 2 days", date(2026, 11, 25)),
                ("in a week", date(2026, 11, 30)),
                ("at 9am", at(24, 9, 0)),
                ("12am tomorrow", at(24, 0, 0)),
                ("через месяц", date(2026, 12, 23)),
            ];
            for (text, want) in cases {
                assert_eq!(p(text, now), Some(want), "{text} in {tz}");
            }
        }
    }

    #[test]
    fn spans_in_hours_and_minutes_are_moments() {
        let now = monday(zone("Europe/Moscow"));
        for (text, minutes) in [
            ("in 2h", 120),
            ("in 2 hours", 120),
            ("in an hour", 60),
            ("in 30m", 30),
            ("in 45 minutes", 45),
            ("через час", 60),
            ("через 2 часа", 120),
            ("через 30 минут", 30),
            ("через полчаса", 30),
            ("через 3ч", 180),
        ] {
            assert_eq!(p(text, now), Some(When::At(now.at + Duration::minutes(minutes))), "{text}");
        }
    }

    #[test]
    fn not_dates() {
        let now = monday(Tz::UTC);
        for text in [
            "",
            "в",
            "in",
            "2",
            "в 2",
            "call",
            "через",
            "через -2 дня",
            "in 0 days",
            "25:00",
            "31.02",
            "32.01",
            "tomorrow 25:00",
            "13pm",
            "через 99999 дней",
            "2026-13-01",
            "next",
            "банк",
            "in 2 banks",
            "в банк",
            "2026-1-1",
        ] {
            assert_eq!(p(text, now), None, "{text:?}");
        }
    }

    #[test]
    fn a_time_already_past_today_means_tomorrow() {
        let tz = zone("Europe/Moscow");
        let now = monday(tz); // 10:00
        assert_eq!(p("9:00", now), Some(When::At(local(tz, 2026, 11, 24, 9, 0))));
        assert_eq!(p("11:00", now), Some(When::At(local(tz, 2026, 11, 23, 11, 0))));
    }

    #[test]
    fn the_same_words_mean_the_zone_of_the_reader() {
        // 23:30 UTC on Monday is already Tuesday in Moscow: "tomorrow" is Wednesday there.
        let at = Utc.with_ymd_and_hms(2026, 11, 23, 23, 30, 0).single().expect("utc");
        let msk = Now { at, tz: zone("Europe/Moscow") };
        let ny = Now { at, tz: zone("America/New_York") };
        assert_eq!(p("tomorrow", msk), Some(date(2026, 11, 25)));
        assert_eq!(p("tomorrow", ny), Some(date(2026, 11, 24)));
    }

    #[test]
    fn dst_edges_in_new_york() {
        let tz = zone("America/New_York");
        // Saturday 2026-03-07 12:00 EST; clocks go forward on Sunday 03-08 at 02:00.
        let now = Now { at: local(tz, 2026, 3, 7, 12, 0), tz };
        // 10:00 on the Sunday is EDT (UTC-4), not EST.
        assert_eq!(
            p("tomorrow 10:00", now),
            Some(When::At(Utc.with_ymd_and_hms(2026, 3, 8, 14, 0, 0).single().expect("utc")))
        );
        // 02:30 does not exist that night: the first moment after the gap.
        assert_eq!(
            p("tomorrow 2:30", now),
            Some(When::At(Utc.with_ymd_and_hms(2026, 3, 8, 7, 0, 0).single().expect("utc")))
        );
        // "in 2h" is two real hours, across the jump.
        let night = Now { at: Utc.with_ymd_and_hms(2026, 3, 8, 6, 30, 0).single().expect("utc"), tz };
        assert_eq!(p("in 2h", night), Some(When::At(night.at + Duration::hours(2))));
        // Clocks go back on 2026-11-01: 01:30 happens twice; the earlier one is taken.
        let before = Now { at: local(tz, 2026, 10, 31, 12, 0), tz };
        assert_eq!(
            p("tomorrow 1:30", before),
            Some(When::At(Utc.with_ymd_and_hms(2026, 11, 1, 5, 30, 0).single().expect("utc")))
        );
    }

    #[test]
    fn a_date_only_value_reads_at_a_default_time() {
        let tz = zone("Asia/Tokyo");
        let nine = NaiveTime::from_hms_opt(9, 0, 0).expect("time");
        assert_eq!(date(2026, 11, 24).moment(tz, nine), local(tz, 2026, 11, 24, 9, 0));
    }
}
