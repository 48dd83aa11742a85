//! What a user types as a watch's target: a price ("19,99 €"), a discount
//! ("-15%") or "any drop", parsed once at the chat edge.
//!
//! The target is read in the product's currency: a bare number takes it, a
//! symbol or code must agree with it. Prices go through
//! [`parse_price`](super::price::parse_price), so "19,99", "1.234,56" and
//! "1,234.56" are all read as a shopper means them, and stay exact.

use super::money::{Amount, Currency, Money};
use super::price::{PriceHint, parse_price};

/// The largest discount a user may ask for; beyond it a typo ("-99%") is
/// likelier than a real wish, and the watch would never fire.
pub const MAX_PERCENT: u8 = 90;

/// A watch's target as the user chose it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// Alert when the price is at or below this amount.
    Price(Money),
    /// Alert when the price is at least this many percent (1..=90) below the
    /// reference price (the price when the watch was set).
    PercentBelow(u8),
    /// Alert on any real drop below the reference price.
    AnyDrop,
}

/// Why a target was refused. The `Display` text is a short English sentence
/// telling the user what to type; bots localize by variant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("Type a target price like 19.99, a discount like -15%, or \"any\".")]
    Empty,
    #[error(
        "I couldn't read that. Type a target price like 19.99, a discount like -15%, or \"any\"."
    )]
    Unreadable,
    #[error("The target price must be above zero.")]
    NotPositive,
    #[error(
        "This product is priced in {expected}; type the target in {expected}, or without a currency."
    )]
    WrongCurrency {
        expected: Currency,
        /// The symbol or code as the user wrote it (`$`, `USD`).
        found: String,
    },
    #[error("Type a whole discount between 1% and 90%, like -15%.")]
    PercentOutOfRange,
    #[error("{}", too_many_decimals(.currency))]
    TooManyDecimals { currency: Currency },
    #[error("That target price is too large.")]
    TooLarge,
}

impl Target {
    /// Reads what the user typed, for a product priced in `currency`.
    ///
    /// Accepts prices with or without a symbol or code ("19.99", "19,99 €",
    /// "EUR 19.99", "$5" for any dollar currency), discounts ("-15%", "15 %",
    /// "−15%" with a Unicode minus) and "any" / "any drop" in any case.
    pub fn parse(input: &str, currency: Currency) -> Result<Target, TargetError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(TargetError::Empty);
        }
        let words: Vec<String> = input.split_whitespace().map(str::to_lowercase).collect();
        if matches!(words.as_slice(), [w] if w == "any")
            || matches!(words.as_slice(), [a, d] if a == "any" && d == "drop")
        {
            return Ok(Target::AnyDrop);
        }
        match input.strip_suffix(['%', '％', '٪']) {
            Some(number) => parse_percent(number),
            None => parse_price_target(input, currency),
        }
    }

    /// A discount target, checked as [`Target::parse`] checks "-15%" (for
    /// targets read back from storage).
    pub fn percent_below(percent: u8) -> Result<Target, TargetError> {
        if (1..=MAX_PERCENT).contains(&percent) {
            Ok(Target::PercentBelow(percent))
        } else {
            Err(TargetError::PercentOutOfRange)
        }
    }

    /// The target as a fixed price in minor units, given the reference price
    /// (the price when the watch was set).
    ///
    /// - `Price` is its own amount; the reference is not needed.
    /// - `PercentBelow(p)` is `reference × (100 − p) / 100`, rounded to the
    ///   **nearest** minor unit, halves up (2.27 at -5% is 2.1565, so 2.16;
    ///   19.99 at -15% is 16.9915, so 16.99), and at least one unit below
    ///   the reference. Integer arithmetic in `i128`.
    ///   This is the one figure a card's button shows, the confirmation and
    ///   `/list` repeat, the watch stores and the alert rule compares with
    ///   (`price ≤ target`): compute it here and nowhere else.
    /// - `AnyDrop` is `None`: it is not a fixed price but "any drop below the
    ///   reference, larger than noise", which [`crate::domain::alert`] judges.
    ///
    /// `PercentBelow` without a reference is also `None` and must not be
    /// stored as "any drop": set a percent target only once the price is known.
    pub fn resolve(&self, reference: Option<Money>) -> Option<i64> {
        match *self {
            Target::Price(money) => Some(money.minor()),
            Target::PercentBelow(percent) => {
                let reference = reference?.minor();
                let keep = i128::from(100u8.saturating_sub(percent));
                // ⌊(x·keep + 50) / 100⌋: the nearest unit, a half rounds up;
                // never the reference itself (0.10 at -5% is 0.09, not 0.10).
                let nearest = (i128::from(reference) * keep + 50).div_euclid(100);
                let below = (i128::from(reference) - 1).max(0);
                i64::try_from(nearest.min(below)).ok()
            }
            Target::AnyDrop => None,
        }
    }
}

/// "15", "-15", "−15", "- 15" (the `%` already removed).
fn parse_percent(number: &str) -> Result<Target, TargetError> {
    let number = number.trim();
    let number = number
        .strip_prefix(['-', '−', '–', '—'])
        .unwrap_or(number)
        .trim_start();
    if let Some(digits) = ascii_digits(number).filter(|d| !d.is_empty()) {
        // All digits: a parse error can only be overflow, out of range too.
        let percent = digits
            .parse::<u8>()
            .map_err(|_| TargetError::PercentOutOfRange)?;
        return Target::percent_below(percent);
    }
    // "15.5%" is a percentage, just not a whole one.
    let is_fraction = number
        .split_once(['.', ','])
        .is_some_and(|(whole, fraction)| {
            ascii_digits(whole).is_some() && ascii_digits(fraction).is_some_and(|f| !f.is_empty())
        });
    Err(if is_fraction {
        TargetError::PercentOutOfRange
    } else {
        TargetError::Unreadable
    })
}

fn parse_price_target(input: &str, currency: Currency) -> Result<Target, TargetError> {
    let hint = PriceHint {
        decimal_separator: None,
        currency: Some(currency),
    };
    let parsed = parse_price(input, &hint).ok_or(TargetError::Unreadable)?;
    if let Some(written) = &parsed.currency_text
        && parsed.currency != Some(currency)
    {
        return Err(TargetError::WrongCurrency {
            expected: currency,
            found: written.clone(),
        });
    }

    // `parse_price` reads the first price inside any text and ignores a
    // minus; a target must be the number alone, and a minus is a mistake.
    let rest = match &parsed.currency_text {
        Some(written) => input.replacen(written.as_str(), "", 1),
        None => input.to_string(),
    };
    let rest = rest.trim();
    if rest.starts_with(['-', '−', '–', '—']) {
        return Err(TargetError::NotPositive);
    }
    if !is_just(rest, &parsed.amount) {
        return Err(TargetError::Unreadable);
    }
    if is_ambiguous(rest, currency) {
        return Err(TargetError::TooManyDecimals { currency });
    }

    if parsed.amount.mantissa() == 0 {
        return Err(TargetError::NotPositive);
    }
    match Money::from_amount(parsed.amount, currency) {
        Some(money) => Ok(Target::Price(money)),
        None if parsed.amount.normalized().scale() > currency.exponent() => {
            Err(TargetError::TooManyDecimals { currency })
        }
        None => Err(TargetError::TooLarge),
    }
}

/// Whether `text` is exactly the number `amount` was read from: digits and
/// separators only, the same digits (so "19.99 20" is refused, not read as
/// 19.99), and at most a trailing dash for the cents ("19,-").
fn is_just(text: &str, amount: &Amount) -> bool {
    let text = text
        .strip_suffix(['-', '–', '—'])
        .filter(|before| before.trim_end().ends_with(['.', ',']))
        .unwrap_or(text);
    let is_separator =
        |c: char| matches!(c, '.' | ',' | '\'' | '’' | '．' | '，') || c.is_whitespace();
    let mut digits = String::new();
    for c in text.chars() {
        match to_ascii_digit(c) {
            Some(d) => digits.push(d),
            None if is_separator(c) => {}
            None => return false,
        }
    }
    let written = digits.trim_start_matches('0');
    let read = amount.mantissa().to_string();
    !digits.is_empty() && written == read.trim_start_matches('0')
}

/// Whether `text` (digits and separators) could be a price with more
/// decimals than `currency` has as well as a whole number: a lone `.` or
/// `,` before exactly three digits ("19.999", "1,000") in a currency with
/// one or two minor digits. A German "19.999" is 19999 and an American one
/// is 19.999; a target is never read the larger way by guess. Grouping is
/// accepted where only one reading exists: with both separators
/// ("1.234,56"), repeated ("1,234,567"), with spaces ("1 234"), and in
/// currencies without minor units ("¥1,234") or with three ("1.500 KWD").
fn is_ambiguous(text: &str, currency: Currency) -> bool {
    // A storefront that shows whole units (₹2,335) has only one reading:
    // the separator groups thousands, as the price was shown.
    if !(1..=2).contains(&currency.exponent()) || currency.shows_whole_units() {
        return false;
    }
    let is_point = |c: char| matches!(c, '.' | ',' | '．' | '，');
    let mut points = text.char_indices().filter(|(_, c)| is_point(*c));
    let (Some((at, point)), None) = (points.next(), points.next()) else {
        return false;
    };
    let after = &text[at + point.len_utf8()..];
    after.chars().count() == 3 && after.chars().all(|c| to_ascii_digit(c).is_some())
}

/// The text as ASCII digits when it is only digits (ASCII or full-width).
fn ascii_digits(text: &str) -> Option<String> {
    text.chars().map(to_ascii_digit).collect()
}

fn to_ascii_digit(c: char) -> Option<char> {
    match c {
        '0'..='9' => Some(c),
        // Full-width digits, as Japanese and Chinese keyboards type them.
        '０'..='９' => char::from_digit(u32::from(c) - u32::from('０'), 10),
        _ => None,
    }
}

/// "EUR prices have at most 2 decimals; type a price like 19.99."
fn too_many_decimals(currency: &Currency) -> String {
    match currency.exponent() {
        0 => format!("{currency} prices have no decimals; type a price like 1234."),
        1 => format!("{currency} prices have at most 1 decimal; type a price like 19.9."),
        e => format!(
            "{currency} prices have at most {e} decimals; type a price like 19.{}.",
            "9".repeat(usize::from(e))
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cur(code: &str) -> Currency {
        let Some(currency) = Currency::parse(code) else {
            panic!("{code} is not a currency code");
        };
        currency
    }

    fn price(minor: i64, code: &str) -> Result<Target, TargetError> {
        Ok(Target::Price(Money::from_minor(minor, cur(code))))
    }

    #[test]
    fn parse_accepts_what_users_type() {
        let cases: &[(&str, &str, Result<Target, TargetError>)] = &[
            ("₹2,335", "INR", price(233500, "INR")),
            ("19.99", "EUR", price(1999, "EUR")),
            ("19,99", "EUR", price(1999, "EUR")),
            ("19,99", "USD", price(1999, "USD")),
            ("  19.99  ", "EUR", price(1999, "EUR")),
            ("€19.99", "EUR", price(1999, "EUR")),
            ("19,99 €", "EUR", price(1999, "EUR")),
            ("19,99€", "EUR", price(1999, "EUR")),
            ("EUR 19.99", "EUR", price(1999, "EUR")),
            ("eur 19,99", "EUR", price(1999, "EUR")),
            ("19.99 EUR", "EUR", price(1999, "EUR")),
            ("$5", "USD", price(500, "USD")),
            ("$5", "CAD", price(500, "CAD")),
            ("$5", "AUD", price(500, "AUD")),
            ("$5", "MXN", price(500, "MXN")),
            ("$5", "SGD", price(500, "SGD")),
            ("CDN$ 5.77", "CAD", price(577, "CAD")),
            ("1.234,56", "EUR", price(123_456, "EUR")),
            ("1,234.56", "EUR", price(123_456, "EUR")),
            ("1.234,56", "USD", price(123_456, "USD")),
            ("1 234,56 €", "EUR", price(123_456, "EUR")),
            ("1\u{a0}234,56", "EUR", price(123_456, "EUR")),
            ("£12", "GBP", price(1200, "GBP")),
            ("0.50", "USD", price(50, "USD")),
            ("$.75", "USD", price(75, "USD")),
            ("19,-", "EUR", price(1900, "EUR")),
            ("1234", "JPY", price(1234, "JPY")),
            ("¥1,234", "JPY", price(1234, "JPY")),
            ("1234円", "JPY", price(1234, "JPY")),
            ("１２３４", "JPY", price(1234, "JPY")),
            ("1234.00", "JPY", price(1234, "JPY")),
            ("₹2,37,097", "INR", price(23_709_700, "INR")),
            ("1.500", "KWD", price(1500, "KWD")),
            // Grouping where only one reading exists (issue 11, item 5).
            ("19.999,00", "EUR", price(1_999_900, "EUR")),
            ("19,999.00", "USD", price(1_999_900, "USD")),
            ("1.234.567", "EUR", price(123_456_700, "EUR")),
            ("1,234,567", "USD", price(123_456_700, "USD")),
            ("1 234", "EUR", price(123_400, "EUR")),
            ("$1,234.5", "USD", price(123_450, "USD")),
            ("19.999", "JPY", price(19_999, "JPY")),
            ("19.99", "USD", price(1999, "USD")),
            ("19,9", "EUR", price(1990, "EUR")),
            ("-15%", "EUR", Ok(Target::PercentBelow(15))),
            ("15%", "EUR", Ok(Target::PercentBelow(15))),
            ("15 %", "EUR", Ok(Target::PercentBelow(15))),
            ("−15%", "EUR", Ok(Target::PercentBelow(15))),
            ("- 15 %", "EUR", Ok(Target::PercentBelow(15))),
            ("1%", "EUR", Ok(Target::PercentBelow(1))),
            ("90%", "EUR", Ok(Target::PercentBelow(90))),
            ("１５％", "JPY", Ok(Target::PercentBelow(15))),
            ("any", "EUR", Ok(Target::AnyDrop)),
            ("ANY", "EUR", Ok(Target::AnyDrop)),
            ("any drop", "EUR", Ok(Target::AnyDrop)),
            ("Any  Drop", "EUR", Ok(Target::AnyDrop)),
        ];
        for (input, code, want) in cases {
            assert_eq!(
                &Target::parse(input, cur(code)),
                want,
                "{input:?} in {code}"
            );
        }
    }

    #[test]
    fn parse_refuses_with_a_reason() {
        use TargetError::*;
        let wrong = |found: &str, code: &str| WrongCurrency {
            expected: cur(code),
            found: found.to_string(),
        };
        let cases: &[(&str, &str, TargetError)] = &[
            ("", "EUR", Empty),
            ("   ", "EUR", Empty),
            ("cheap", "EUR", Unreadable),
            ("any price", "EUR", Unreadable),
            ("anything", "EUR", Unreadable),
            ("%", "EUR", Unreadable),
            ("-%", "EUR", Unreadable),
            ("+15%", "EUR", Unreadable),
            ("ten %", "EUR", Unreadable),
            ("about 19.99", "EUR", Unreadable),
            ("19.99 or 20", "EUR", Unreadable),
            ("19.99 20", "EUR", Unreadable),
            ("19.99 euros", "EUR", Unreadable),
            ("15.08.2017", "EUR", Unreadable),
            ("€19.99 $", "EUR", Unreadable),
            ("0", "EUR", NotPositive),
            ("0,00 €", "EUR", NotPositive),
            ("-19.99", "EUR", NotPositive),
            ("−19,99 €", "EUR", NotPositive),
            ("€-5", "EUR", NotPositive),
            ("$19.99", "EUR", wrong("$", "EUR")),
            ("19.99 USD", "EUR", wrong("USD", "EUR")),
            ("£19.99", "EUR", wrong("£", "EUR")),
            ("€19.99", "USD", wrong("€", "USD")),
            ("CA$19.99", "USD", wrong("CA$", "USD")),
            ("¥1234", "EUR", wrong("¥", "EUR")),
            ("19 kr", "EUR", wrong("kr", "EUR")),
            ("0%", "EUR", PercentOutOfRange),
            ("-0%", "EUR", PercentOutOfRange),
            ("91%", "EUR", PercentOutOfRange),
            ("-100%", "EUR", PercentOutOfRange),
            ("99999999999%", "EUR", PercentOutOfRange),
            ("15.5%", "EUR", PercentOutOfRange),
            ("-15,5 %", "EUR", PercentOutOfRange),
            (
                "1234.5",
                "JPY",
                TooManyDecimals {
                    currency: cur("JPY"),
                },
            ),
            (
                "¥1234.50",
                "JPY",
                TooManyDecimals {
                    currency: cur("JPY"),
                },
            ),
            (
                "19.9999",
                "EUR",
                TooManyDecimals {
                    currency: cur("EUR"),
                },
            ),
            (
                "0.001",
                "EUR",
                TooManyDecimals {
                    currency: cur("EUR"),
                },
            ),
            // A lone separator before three digits: decimals the currency
            // does not have, or a thousands separator? Never guessed.
            (
                "19.999",
                "USD",
                TooManyDecimals {
                    currency: cur("USD"),
                },
            ),
            (
                "$19.999",
                "USD",
                TooManyDecimals {
                    currency: cur("USD"),
                },
            ),
            (
                "19,999",
                "USD",
                TooManyDecimals {
                    currency: cur("USD"),
                },
            ),
            (
                "1,000",
                "USD",
                TooManyDecimals {
                    currency: cur("USD"),
                },
            ),
            (
                "19.999",
                "EUR",
                TooManyDecimals {
                    currency: cur("EUR"),
                },
            ),
            (
                "19.999 €",
                "EUR",
                TooManyDecimals {
                    currency: cur("EUR"),
                },
            ),
            (
                "１９．９９９",
                "EUR",
                TooManyDecimals {
                    currency: cur("EUR"),
                },
            ),
            (
                "£1.234",
                "GBP",
                TooManyDecimals {
                    currency: cur("GBP"),
                },
            ),
            (
                "1,234.567",
                "USD",
                TooManyDecimals {
                    currency: cur("USD"),
                },
            ),
            (
                "1 234,567",
                "EUR",
                TooManyDecimals {
                    currency: cur("EUR"),
                },
            ),
            // Groups that are not groups of three.
            ("1,23,45", "USD", Unreadable),
            ("12.34.567", "EUR", Unreadable),
            ("99999999999999999999", "EUR", TooLarge),
        ];
        for (input, code, want) in cases {
            assert_eq!(
                Target::parse(input, cur(code)),
                Err(want.clone()),
                "{input:?} in {code}"
            );
        }
    }

    #[test]
    fn errors_tell_the_user_what_to_type() {
        let jpy = TargetError::TooManyDecimals {
            currency: Currency::JPY,
        };
        assert_eq!(
            jpy.to_string(),
            "JPY prices have no decimals; type a price like 1234."
        );
        let eur = TargetError::TooManyDecimals {
            currency: Currency::EUR,
        };
        assert_eq!(
            eur.to_string(),
            "EUR prices have at most 2 decimals; type a price like 19.99."
        );
        let wrong = TargetError::WrongCurrency {
            expected: Currency::EUR,
            found: "$".into(),
        };
        assert_eq!(
            wrong.to_string(),
            "This product is priced in EUR; type the target in EUR, or without a currency."
        );
    }

    #[test]
    #[rustfmt::skip]
    fn resolve_gives_the_effective_target() {
        use Target::{AnyDrop, PercentBelow};
        let eur = |minor| Some(Money::from_minor(minor, Currency::EUR));
        let yen = |minor| Some(Money::from_minor(minor, Currency::JPY));
        let fixed = Target::Price(Money::from_minor(1999, Currency::EUR));
        let cases: &[(&str, Target, Option<Money>, Option<i64>)] = &[
            ("price ignores the reference", fixed, eur(5000), Some(1999)),
            ("price without a reference", fixed, None, Some(1999)),
            ("15% off 20.00", PercentBelow(15), eur(2000), Some(1700)),
            // 1999 × 85 / 100 = 1699.15: the nearest cent is below.
            ("15% off 19.99 rounds to nearest", PercentBelow(15), eur(1999), Some(1699)),
            // 227 × 95 / 100 = 215.65: the nearest cent is above (issue 12).
            ("5% off 2.27 rounds to nearest", PercentBelow(5), eur(227), Some(216)),
            // 662 × 90 / 100 = 595.8: £5.96, as the Discord card showed.
            ("10% off 6.62 rounds to nearest", PercentBelow(10), eur(662), Some(596)),
            // 1299 × 80 / 100 = 1039.2.
            ("20% off 12.99", PercentBelow(20), eur(1299), Some(1039)),
            // 30 × 95 / 100 = 28.5: a half rounds up.
            ("a half rounds up", PercentBelow(5), eur(30), Some(29)),
            // 10 × 95 / 100 = 9.5, but a discount stays below the price.
            ("never the price itself", PercentBelow(5), eur(10), Some(9)),
            ("33% off 0.99", PercentBelow(33), eur(99), Some(66)),
            ("90% off 0.05", PercentBelow(90), eur(5), Some(1)),
            ("90% off 0.04", PercentBelow(90), eur(4), Some(0)),
            ("10% off ¥1,999", PercentBelow(10), yen(1999), Some(1799)),
            ("10% off ¥1,995", PercentBelow(10), yen(1995), Some(1796)),
            ("huge reference", PercentBelow(50), eur(i64::MAX), Some(i64::MAX / 2 + 1)),
            ("percent needs a reference", PercentBelow(15), None, None),
            ("any drop is not a fixed price", AnyDrop, eur(2000), None),
            ("any drop without a reference", AnyDrop, None, None),
        ];
        for (name, target, reference, want) in cases {
            assert_eq!(target.resolve(*reference), *want, "{name}");
        }
    }

    #[test]
    fn percent_constructor_checks_the_range() {
        assert_eq!(Target::percent_below(15), Ok(Target::PercentBelow(15)));
        assert_eq!(
            Target::percent_below(0),
            Err(TargetError::PercentOutOfRange)
        );
        assert_eq!(
            Target::percent_below(91),
            Err(TargetError::PercentOutOfRange)
        );
    }
}
