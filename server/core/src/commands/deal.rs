//! `/deal <title> [amount] [@owner] [#pipeline]` (`/сделка`): a new deal (and
//! its chat) in the first stage. The amount is the last word when it is a
//! number: `150000`, `150 000` is not (write `150000` or `150k`), `1.5m`, `50к`,
//! `$1200`, `1200€`, `99.90`, `5000 usd`.

use crate::commands::error::{CommandError, ErrorCode};
use crate::commands::grammar::{self, PersonRef, Token};
use crate::commands::names::CommandName;
use crate::crm::money;

/// Amounts above this (in major units) are refused as typos.
const MAX_MAJOR: i64 = 10_000_000_000_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DealCommand {
    pub title: String,
    pub amount: Option<Amount>,
    pub owner: Option<PersonRef>,
    pub pipeline: Option<String>,
}

/// An amount in hundredths of the major unit (cents of a dollar, kopecks of a
/// rouble), with the currency when the issuer named one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Amount {
    pub hundredths: i64,
    pub currency: Option<String>,
}

impl Amount {
    /// Minor units of `currency` (exponent 2 or 0); `None` when a fraction
    /// does not fit (yen cents).
    pub fn minor_units(&self, currency: &str) -> Option<i64> {
        match money::exponent(currency) {
            0 => (self.hundredths % 100 == 0).then_some(self.hundredths / 100),
            2 => Some(self.hundredths),
            e => self.hundredths.checked_mul(10_i64.checked_pow(u32::from(e).checked_sub(2)?)?),
        }
    }
}

pub fn parse(mut tokens: Vec<Token>) -> Result<DealCommand, CommandError> {
    let err = |code, d: &str| CommandError::new(code, Some(CommandName::Deal), d);
    if tokens.iter().any(|t| matches!(t, Token::Priority(_))) {
        return Err(err(ErrorCode::UnexpectedArgument, "!priority"));
    }
    let people = grammar::people(&tokens);
    if people.len() > 1 {
        return Err(err(ErrorCode::UnexpectedArgument, "a second @owner"));
    }
    let pipeline = grammar::last_tag(&tokens);
    tokens.retain(|t| matches!(t, Token::Word { .. }));
    let plain = |t: Option<&Token>| match t {
        Some(Token::Word { text, quoted: false }) => Some(text.clone()),
        _ => None,
    };
    let mut amount = None;
    if let Some(last) = plain(tokens.last()) {
        // "5000 usd": a currency code after the number.
        let code = money::currency(&last).ok().filter(|_| tokens.len() >= 3);
        let before = tokens.len().checked_sub(2).and_then(|i| plain(tokens.get(i)));
        if let (Some(code), Some(number)) = (code, before) {
            if let Some(mut a) = parse_amount(&number)? {
                a.currency = Some(code);
                amount = Some(a);
                tokens.truncate(tokens.len() - 2);
            }
        }
        if amount.is_none() && tokens.len() >= 2 {
            if let Some(a) = parse_amount(&last)? {
                amount = Some(a);
                tokens.pop();
            }
        }
    }
    let title = grammar::text(&tokens);
    if title.trim().is_empty() {
        return Err(err(ErrorCode::MissingArgument, "title"));
    }
    Ok(DealCommand { title, amount, owner: people.into_iter().next(), pipeline })
}

/// `Ok(None)`: not an amount at all (a word of the title); `Err`: looks like
/// one but is broken or too big.
pub fn parse_amount(raw: &str) -> Result<Option<Amount>, CommandError> {
    let bad = || CommandError::new(ErrorCode::BadAmount, Some(CommandName::Deal), raw);
    let mut s = raw.to_lowercase();
    let mut currency = None;
    for (mark, code) in [
        ("$", "USD"),
        ("€", "EUR"),
        ("₽", "RUB"),
        ("руб", "RUB"),
        ("р", "RUB"),
        ("rub", "RUB"),
        ("usd", "USD"),
        ("eur", "EUR"),
    ] {
        if let Some(rest) = s.strip_prefix(mark).or_else(|| s.strip_suffix(mark)) {
            if rest.starts_with(|c: char| c.is_ascii_digit()) && rest.ends_with(|c: char| c.is_alphanumeric())
            {
                s = rest.to_string();
                currency = Some(code.to_string());
                break;
            }
        }
    }
    if !s.starts_with(|c: char| c.is_ascii_digit()) {
        return Ok(None);
    }
    let (number, scale) = match s.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ',')) {
        None => (s.as_str(), 1),
        Some(i) => match &s[i..] {
            "k" | "к" | "тыс" => (&s[..i], 1_000),
            "m" | "м" | "млн" | "mln" => (&s[..i], 1_000_000),
            _ => return Ok(None),
        },
    };
    let number = number.replace(',', ".");
    let (whole, frac) = number.split_once('.').unwrap_or((&number, ""));
    if whole.is_empty() || whole.len() > 15 || frac.len() > 2 || frac.contains('.') {
        return Err(bad());
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let frac: i64 = if frac.is_empty() { 0 } else { format!("{frac:0<2}").parse().map_err(|_| bad())? };
    let hundredths = whole
        .checked_mul(100)
        .and_then(|w| w.checked_add(frac))
        .and_then(|h| h.checked_mul(scale))
        .filter(|h| *h <= MAX_MAJOR * 100)
        .ok_or_else(bad)?;
    Ok(Some(Amount { hundredths, currency }))
}
