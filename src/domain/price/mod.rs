//! Locale-aware parsing of price text as Amazon pages, other shops and users
//! write it: "$1,234.56", "1.234,56 €", "1 770,00 €", "₹2,37,097.00",
//! "CDN$ 5.77", "$6.24 / count".
//!
//! Owns three decisions: which number in the text is the price, which of
//! `.`/`,` is its decimal separator, and which currency the text names.
//! Amounts stay exact ([`Amount`]); nothing passes through `f64`.
//!
//! A minus sign is ignored: "- $44.99" on a shop is a dash before a price,
//! and a discount such as "-15%" is rejected as a percentage instead.

mod choose;
mod currency;
mod number;

use super::money::{Amount, Currency};
use currency::Mention;
use number::NumberText;

/// What the caller already knows about the text.
#[derive(Debug, Clone, Copy, Default)]
pub struct PriceHint {
    /// The decimal separator the source uses, when known (`'.'` or `','`;
    /// `'€'` for shops that write the euro sign as the decimal point).
    pub decimal_separator: Option<char>,
    /// The currency the source is in, when known (from the storefront).
    pub currency: Option<Currency>,
}

/// A price read from text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedPrice {
    pub amount: Amount,
    /// The currency as written (`€`, `EUR`, `CDN$`), if any.
    pub currency_text: Option<String>,
    /// The ISO currency that text names, when it names one unambiguously.
    pub currency: Option<Currency>,
}

/// A currency symbol or code read from text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrencyText {
    /// As written (`CDN$`, `€`, `kr`).
    pub text: String,
    /// The ISO currency it names, if it names one (`kr` needs the hint).
    pub currency: Option<Currency>,
}

/// Reads the first price in `text`.
///
/// "The first price" is the first number written next to a currency
/// ("3 issues for 14,85 EUR" is 14.85), or, when no number has a currency
/// beside it, the first number. Percentages ("40% OFF"), thresholds
/// ("$49+") and malformed numbers ("15.08.2017") are not prices. Text that
/// is just "Free" is a price of zero; text without a number is `None`.
pub fn parse_price(text: &str, hint: &PriceHint) -> Option<ParsedPrice> {
    let chars: Vec<char> = text.chars().map(number::normalize_char).collect();
    let mentions = currency::find_mentions(&chars);
    let numbers: Vec<NumberText> = number::scan(&chars, hint.decimal_separator)
        .into_iter()
        .filter(NumberText::is_well_formed)
        .collect();
    let Some(choice) = choose::choose(&chars, &numbers, &mentions) else {
        if !is_just_free(text) {
            return None;
        }
        return Some(ParsedPrice {
            amount: Amount::new(0, 0)?,
            currency_text: None,
            currency: None,
        });
    };
    let mention = best_mention(&choice.mentions).or_else(|| best_mention_anywhere(&mentions));
    let currency = mention.and_then(|m| m.currency(hint.currency));
    let exponent = currency.or(hint.currency).map(|c| c.exponent());
    let mut amount = choice.number.amount(hint.decimal_separator, exponent)?;
    if choice.mentions.iter().any(|m| m.is_cents()) {
        amount = Amount::new(amount.mantissa(), amount.scale().checked_add(2)?)?;
    }
    Some(ParsedPrice {
        amount,
        currency_text: mention.map(|m| m.text.clone()),
        currency,
    })
}

/// Reads a currency symbol or code on its own, such as Amazon's
/// `a-price-symbol` span, or the first one inside longer text.
pub fn parse_currency(text: &str, hint: &PriceHint) -> Option<CurrencyText> {
    let chars: Vec<char> = text.chars().collect();
    let mentions = currency::find_mentions(&chars);
    // A weak abbreviation ("TL") is still the currency when nothing else is
    // there, as in a span that holds only the symbol.
    let mention = best_mention_anywhere(&mentions).or(mentions.first())?;
    Some(CurrencyText {
        text: mention.text.clone(),
        currency: mention.currency(hint.currency),
    })
}

/// Joins the whole and fraction parts Amazon renders in separate spans
/// (`a-price-whole` "1,234." + `a-price-fraction` "56").
///
/// The spans already say where the decimal point is, so every separator in
/// `whole` is grouping ("1,234.", "1.234,", "1 234") and a trailing one is
/// the decimal separator Amazon puts inside the whole span. `fraction` is
/// empty for currencies without cents (JPY). Anything else in the spans
/// (letters, a second number) makes the result `None`.
pub fn parse_split_price(whole: &str, fraction: &str, hint: &PriceHint) -> Option<Amount> {
    // The hint is not needed: the markup, not the locale, places the point.
    let _ = hint;
    let is_sep = |c: char| matches!(c, '.' | ',' | '\'' | '’') || number::is_space(c);
    let whole: String = whole.chars().map(number::normalize_char).collect();
    let whole = whole.trim_matches(|c: char| !c.is_ascii_digit());
    if whole.is_empty() || !whole.chars().all(|c| c.is_ascii_digit() || is_sep(c)) {
        return None;
    }
    let digits: String = whole.chars().filter(char::is_ascii_digit).collect();
    let fraction: String = fraction
        .trim()
        .chars()
        .map(number::normalize_char)
        .collect();
    if !fraction.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Amount::from_decimal_str(&format!("{digits}.{fraction}"))
}

/// Text that says the item costs nothing, and nothing else ("Free!"). Longer
/// text such as "FREE delivery" is not a price: reading it as 0 would send a
/// price-drop alert for a shipping banner.
fn is_just_free(text: &str) -> bool {
    let word = text
        .trim_matches(|c: char| !c.is_alphanumeric())
        .to_lowercase();
    matches!(
        word.as_str(),
        "free" | "gratis" | "gratuit" | "kostenlos" | "gratuito"
    )
}

/// The most telling mention: one that names a single ISO currency, else the
/// first.
fn best_mention<'a>(near: &[&'a Mention]) -> Option<&'a Mention> {
    near.iter()
        .find(|m| m.is_specific())
        .or_else(|| near.first())
        .copied()
}

/// Like [`best_mention`] over the whole text, where an ISO code that is also
/// a word ("TOP") is too weak to count.
fn best_mention_anywhere(mentions: &[Mention]) -> Option<&Mention> {
    mentions
        .iter()
        .find(|m| m.is_specific())
        .or_else(|| mentions.iter().find(|m| !m.wordlike))
}

#[cfg(test)]
mod tests;
