//! Custom field values as spreadsheet text, for CSV export and import. The text
//! form is what a person would type in Excel ("1 500,50 RUB", "01.12.2026",
//! "Сайт, Звонок"); `from_text` turns a cell into the JSON shape the REST API
//! takes, so the import then checks it with the very same `custom_field::apply`
//! a REST write goes through. User fields are read and written as e-mails by
//! the caller (which knows the workspace's people), not here.

use chrono::NaiveDate;
use serde_json::{json, Number, Value};

use crate::crm::custom_field::{FieldDef, FieldKind};
use crate::crm::money;

/// A stored (canonical) value as a cell. User fields give the id; the caller
/// shows an e-mail instead.
pub fn to_text(def: &FieldDef, value: &Value) -> String {
    match (def.kind, value) {
        (_, Value::Null) => String::new(),
        (FieldKind::Number, Value::Number(n)) => n.to_string(),
        (FieldKind::Money, Value::Object(o)) => {
            let amount = o.get("amount_minor").and_then(Value::as_i64).unwrap_or(0);
            let currency = o.get("currency").and_then(Value::as_str).unwrap_or("");
            format!("{} {currency}", major_units(amount, money::exponent(currency)))
        }
        (FieldKind::List, Value::Array(items)) => {
            items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", ")
        }
        (_, Value::String(s)) => s.clone(),
        // A value of another shape than the kind's (written before a definition
        // changed): still shown rather than lost.
        (_, other) => other.to_string(),
    }
}

/// `amount_minor` with the currency's decimals: 150050, 2 → "1500.50".
fn major_units(amount: i64, exponent: u8) -> String {
    if exponent == 0 {
        return amount.to_string();
    }
    let scale = 10_i64.pow(u32::from(exponent));
    let sign = if amount < 0 { "-" } else { "" };
    let abs = amount.unsigned_abs();
    let scale = scale.unsigned_abs();
    format!("{sign}{}.{:0width$}", abs / scale, abs % scale, width = usize::from(exponent))
}

/// A non-empty cell as the JSON value a REST client would send for the field,
/// or why the text cannot be one. Checking the value itself (ranges, options,
/// currencies, lengths) is left to `custom_field::apply`.
pub fn from_text(def: &FieldDef, text: &str) -> Result<Value, String> {
    let t = text.trim();
    match def.kind {
        FieldKind::Text | FieldKind::Link | FieldKind::User => Ok(Value::String(t.to_string())),
        FieldKind::Number => number(t).ok_or_else(|| "must be a number".to_string()),
        FieldKind::Money => money_value(t),
        FieldKind::Date => date(t).ok_or_else(|| "must be a date YYYY-MM-DD or DD.MM.YYYY".to_string()),
        FieldKind::List if def.multiple => Ok(Value::Array(
            t.split([',', ';', '\n'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| Value::String(s.to_string()))
                .collect(),
        )),
        FieldKind::List => Ok(Value::String(t.to_string())),
    }
}

/// Digits as typed in either locale: spaces (also no-break ones) group
/// thousands, and a lone comma is the decimal mark.
fn normalise_number(t: &str) -> String {
    let s: String = t.chars().filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}')).collect();
    if s.contains(',') && !s.contains('.') {
        s.replacen(',', ".", 1)
    } else {
        s
    }
}

fn number(t: &str) -> Option<Value> {
    let s = normalise_number(t);
    if let Ok(i) = s.parse::<i64>() {
        return Some(Value::Number(i.into()));
    }
    let f = s.parse::<f64>().ok().filter(|f| f.is_finite())?;
    Number::from_f64(f).map(Value::Number)
}

/// "1 500,50 RUB", "RUB 1500.50", "1500 rub" → `{"amount_minor", "currency"}`.
/// Exact: the amount is read as a decimal, never through a float.
fn money_value(t: &str) -> Result<Value, String> {
    const SHAPE: &str = "must be an amount and a currency, e.g. 1500.50 RUB";
    let mut currency = None;
    let mut amount = String::new();
    for word in t.split_whitespace() {
        if word.chars().all(|c| c.is_ascii_alphabetic()) {
            if currency.replace(word).is_some() {
                return Err(SHAPE.into());
            }
        } else {
            amount.push_str(word);
        }
    }
    let currency = currency.ok_or(SHAPE)?;
    let code = money::currency(currency)
        .map_err(|_| format!("{currency:?} is not a supported ISO 4217 currency code"))?;
    let exponent = usize::from(money::exponent(&code));
    let amount = normalise_number(&amount);
    let (negative, digits) = match amount.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, amount.as_str()),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() || !whole.chars().chain(fraction.chars()).all(|c| c.is_ascii_digit()) {
        return Err(SHAPE.into());
    }
    if fraction.len() > exponent {
        return Err(format!("{code} has {exponent} decimal places"));
    }
    let minor: String = format!("{whole}{fraction:0<exponent$}");
    let minor: i64 = minor.parse().map_err(|_| "amount is too large".to_string())?;
    // A negative amount goes on to the common check, which refuses it in its words.
    let minor = if negative { -minor } else { minor };
    Ok(json!({"amount_minor": minor, "currency": code}))
}

fn date(t: &str) -> Option<Value> {
    let d = NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(t, "%d.%m.%Y"))
        .ok()?;
    Some(Value::String(d.format("%Y-%m-%d").to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crm::custom_field::apply;
    use crate::crm::entity::EntityKind;
    use chrono::DateTime;
    use serde_json::Map;
    use uuid::Uuid;

    fn def(key: &str, kind: FieldKind, multiple: bool) -> FieldDef {
        FieldDef {
            id: Uuid::nil(),
            workspace_id: Uuid::nil(),
            entity: EntityKind::Contact,
            key: key.into(),
            label: key.into(),
            kind,
            options: if kind == FieldKind::List {
                vec!["Сайт".into(), "Звонок".into()]
            } else {
                vec![]
            },
            multiple,
            required: false,
            position: 0,
            created_at: DateTime::UNIX_EPOCH,
        }
    }

    /// Text → checked value → text gives the same text back (canonical form).
    #[test]
    fn cells_round_trip_through_the_common_check() {
        let cases = [
            (def("n", FieldKind::Number, false), "2.5", "2.5"),
            (def("n", FieldKind::Number, false), "1 500,25", "1500.25"),
            (def("n", FieldKind::Number, false), "-7", "-7"),
            (def("b", FieldKind::Money, false), "1 500,50 rub", "1500.50 RUB"),
            (def("b", FieldKind::Money, false), "USD 3", "3.00 USD"),
            (def("b", FieldKind::Money, false), "1500 JPY", "1500 JPY"),
            (def("d", FieldKind::Date, false), "01.12.2026", "2026-12-01"),
            (def("d", FieldKind::Date, false), "2026-12-01", "2026-12-01"),
            (def("l", FieldKind::List, false), "сайт", "Сайт"),
            (def("l", FieldKind::List, true), "Звонок; сайт, звонок", "Звонок, Сайт"),
            (def("t", FieldKind::Text, false), " привет ", "привет"),
        ];
        for (d, cell, shown) in cases {
            let raw = from_text(&d, cell).unwrap_or_else(|e| panic!("{cell}: {e}"));
            let mut patch = Map::new();
            patch.insert(d.key.clone(), raw);
            let checked = apply(std::slice::from_ref(&d), &Map::new(), &patch)
                .unwrap_or_else(|e| panic!("{cell}: {e}"));
            assert_eq!(to_text(&d, &checked.values[&d.key]), shown, "{cell}");
        }
    }

    #[test]
    fn bad_cells_say_why() {
        let money = def("b", FieldKind::Money, false);
        for bad in ["1500", "1500 RUB USD", "12.345 RUB", "1,2,3 RUB", "abc RUB", "10 XQZ"] {
            assert!(from_text(&money, bad).is_err(), "{bad}");
        }
        assert!(from_text(&def("n", FieldKind::Number, false), "двенадцать").is_err());
        assert!(from_text(&def("d", FieldKind::Date, false), "31.02.2026").is_err());
        // A negative amount is read, then refused by the common check.
        let raw = from_text(&money, "-5 RUB").expect("read");
        let mut patch = Map::new();
        patch.insert("b".into(), raw);
        assert!(apply(&[money], &Map::new(), &patch).is_err());
    }
}
