//! Locale-aware parsing of price text as Amazon pages and users write it.
//! (Stub: being written.)

use super::money::{Amount, Currency};

/// What the caller already knows about the text.
#[derive(Debug, Clone, Copy, Default)]
pub struct PriceHint {
    /// The decimal separator the source uses, when known (`'.'` or `','`).
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

/// Reads the first price in `text`.
pub fn parse_price(text: &str, hint: &PriceHint) -> Option<ParsedPrice> {
    let _ = (text, hint);
    None
}

/// Joins the whole and fraction parts Amazon renders in separate spans
/// (`a-price-whole` "1,234." + `a-price-fraction` "56").
pub fn parse_split_price(whole: &str, fraction: &str, hint: &PriceHint) -> Option<Amount> {
    let _ = (whole, fraction, hint);
    None
}
