//! Money: integer minor units plus an ISO 4217 code. Never floating point.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{Error, Result};

/// Currencies with their minor-unit exponent. A closed list: a typo in a currency
/// code is an error, not a new currency. Covers the markets Artel's users work in.
const CURRENCIES: &[(&str, u8)] = &[
    ("RUB", 2),
    ("USD", 2),
    ("EUR", 2),
    ("KZT", 2),
    ("BYN", 2),
    ("UAH", 2),
    ("UZS", 2),
    ("KGS", 2),
    ("AMD", 2),
    ("AZN", 2),
    ("GEL", 2),
    ("TRY", 2),
    ("CNY", 2),
    ("GBP", 2),
    ("CHF", 2),
    ("AED", 2),
    ("INR", 2),
    ("JPY", 0),
    ("KRW", 0),
    ("PLN", 2),
    ("CZK", 2),
    ("SEK", 2),
    ("NOK", 2),
    ("CAD", 2),
    ("AUD", 2),
    ("ILS", 2),
    ("TJS", 2),
    ("MDL", 2),
    ("RSD", 2),
    ("THB", 2),
    ("VND", 0),
    ("HKD", 2),
    ("SGD", 2),
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Money {
    /// Amount in minor units (kopecks, cents), never negative.
    pub amount_minor: i64,
    /// ISO 4217 code, e.g. "RUB".
    pub currency: String,
}

/// Checks a currency code; returns it upper-cased.
pub fn currency(raw: &str) -> Result<String> {
    let code = raw.trim().to_ascii_uppercase();
    if CURRENCIES.iter().any(|(c, _)| *c == code) {
        Ok(code)
    } else {
        Err(Error::invalid("currency", format!("{raw:?} is not a supported ISO 4217 currency code")))
    }
}

/// Minor-unit exponent of a (valid) currency.
pub fn exponent(code: &str) -> u8 {
    CURRENCIES.iter().find(|(c, _)| *c == code).map(|(_, e)| *e).unwrap_or(2)
}

/// Largest amount accepted: 10^15 minor units (ten trillion roubles). Far above any
/// real deal, and low enough that sums over millions of deals cannot overflow.
pub const MAX_AMOUNT_MINOR: i64 = 1_000_000_000_000_000;

impl Money {
    pub fn new(amount_minor: i64, currency_code: &str) -> Result<Self> {
        if amount_minor < 0 {
            return Err(Error::invalid("amount_minor", "must not be negative"));
        }
        if amount_minor > MAX_AMOUNT_MINOR {
            return Err(Error::invalid("amount_minor", format!("must be at most {MAX_AMOUNT_MINOR}")));
        }
        Ok(Self { amount_minor, currency: currency(currency_code)? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currencies_are_checked() {
        assert_eq!(currency(" rub ").ok().as_deref(), Some("RUB"));
        assert!(currency("RUR").is_err());
        assert!(currency("").is_err());
        assert_eq!(exponent("JPY"), 0);
        assert!(Money::new(-1, "RUB").is_err());
        assert_eq!(Money::new(15_000, "usd").ok().map(|m| m.currency), Some("USD".to_string()));
    }
}
