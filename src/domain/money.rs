//! Money in integer minor units, currencies, and exact decimal amounts.
//!
//! Prices never pass through `f64`: text is parsed into an exact [`Amount`]
//! (a decimal mantissa and scale), which becomes [`Money`] once the currency,
//! and so its minor-unit exponent, is known.

use std::cmp::Ordering;
use std::fmt;

/// An ISO 4217 currency code such as `EUR`, with its minor-unit exponent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

/// Currencies whose minor unit is not 1/100 (ISO 4217).
const EXPONENTS: &[(&str, u8)] = &[
    ("JPY", 0),
    ("KRW", 0),
    ("CLP", 0),
    ("ISK", 0),
    ("VND", 0),
    ("HUF", 2),
    ("BHD", 3),
    ("KWD", 3),
    ("OMR", 3),
    ("JOD", 3),
    ("TND", 3),
    ("IQD", 3),
    ("LYD", 3),
];

impl Currency {
    pub const USD: Currency = Currency(*b"USD");
    pub const EUR: Currency = Currency(*b"EUR");
    pub const GBP: Currency = Currency(*b"GBP");
    pub const CAD: Currency = Currency(*b"CAD");
    pub const JPY: Currency = Currency(*b"JPY");
    pub const INR: Currency = Currency(*b"INR");

    /// Parses a three-letter ISO 4217 code (any case).
    pub fn parse(code: &str) -> Option<Currency> {
        let b = code.trim().as_bytes();
        if b.len() != 3 || !b.iter().all(u8::is_ascii_alphabetic) {
            return None;
        }
        Some(Currency([
            b[0].to_ascii_uppercase(),
            b[1].to_ascii_uppercase(),
            b[2].to_ascii_uppercase(),
        ]))
    }

    pub fn code(&self) -> &str {
        // Constructed only from ASCII letters.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    /// Digits after the decimal point in this currency's minor unit (JPY: 0, EUR: 2).
    pub fn exponent(&self) -> u8 {
        EXPONENTS
            .iter()
            .find(|(c, _)| c.as_bytes() == self.0)
            .map_or(2, |(_, e)| *e)
    }

    /// Whether the storefront shows whole units only, as Amazon.in does
    /// (`₹2,37,097`, no paise); a price with a non-zero minor part still
    /// shows it rather than being rounded.
    pub fn shows_whole_units(&self) -> bool {
        self.code() == "INR"
    }

    /// The symbol a shopper sees, where one is conventional.
    pub fn symbol(&self) -> &str {
        match self.code() {
            "USD" => "$",
            "EUR" => "€",
            "GBP" => "£",
            "JPY" => "¥",
            "INR" => "₹",
            "CAD" => "CA$",
            "AUD" => "A$",
            "MXN" => "MX$",
            "BRL" => "R$",
            "SGD" => "S$",
            "TRY" => "₺",
            "PLN" => "zł",
            "SEK" => "kr",
            other => other,
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// An exact non-negative decimal number: `mantissa / 10^scale`.
///
/// This is what price text parses into before a currency is attached.
#[derive(Debug, Clone, Copy)]
pub struct Amount {
    mantissa: u128,
    scale: u8,
}

impl Amount {
    /// Largest scale we keep; more fraction digits than this are not a price.
    pub const MAX_SCALE: u8 = 30;

    pub fn new(mantissa: u128, scale: u8) -> Option<Amount> {
        (scale <= Self::MAX_SCALE).then_some(Amount { mantissa, scale })
    }

    /// Parses a plain decimal such as `1234.50` (digits, at most one `.`).
    pub fn from_decimal_str(s: &str) -> Option<Amount> {
        let s = s.trim();
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        if int.is_empty() && frac.is_empty() {
            return None;
        }
        if !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
            return None;
        }
        let mut m: u128 = 0;
        for b in int.bytes().chain(frac.bytes()) {
            m = m.checked_mul(10)?.checked_add(u128::from(b - b'0'))?;
        }
        Amount::new(m, u8::try_from(frac.len()).ok()?)
    }

    pub fn mantissa(&self) -> u128 {
        self.mantissa
    }

    pub fn scale(&self) -> u8 {
        self.scale
    }

    /// The same number with trailing fractional zeros removed (`12.50` -> `12.5`).
    pub fn normalized(&self) -> Amount {
        let mut a = *self;
        while a.scale > 0 && a.mantissa.is_multiple_of(10) {
            a.mantissa /= 10;
            a.scale -= 1;
        }
        a
    }

    /// Converts to integer minor units with `exponent` fraction digits.
    /// `None` when that would lose a non-zero digit or overflow `i64`.
    pub fn to_minor(&self, exponent: u8) -> Option<i64> {
        let n = self.normalized();
        if n.scale > exponent {
            return None;
        }
        let factor = 10u128.checked_pow(u32::from(exponent - n.scale))?;
        i64::try_from(n.mantissa.checked_mul(factor)?).ok()
    }
}

impl PartialEq for Amount {
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (self.normalized(), other.normalized());
        a.mantissa == b.mantissa && a.scale == b.scale
    }
}

impl Eq for Amount {}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.mantissa.to_string();
        let scale = usize::from(self.scale);
        if scale == 0 {
            return f.write_str(&digits);
        }
        let padded = format!("{digits:0>width$}", width = scale + 1);
        let (int, frac) = padded.split_at(padded.len() - scale);
        write!(f, "{int}.{frac}")
    }
}

/// An amount of money in the currency's minor unit (cents, pence; yen for JPY).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    minor: i64,
    currency: Currency,
}

impl Money {
    pub fn from_minor(minor: i64, currency: Currency) -> Money {
        Money { minor, currency }
    }

    /// Money from an exact amount; `None` if the amount has more fraction
    /// digits than the currency allows (`12.345` EUR) or is too large.
    pub fn from_amount(amount: Amount, currency: Currency) -> Option<Money> {
        Some(Money {
            minor: amount.to_minor(currency.exponent())?,
            currency,
        })
    }

    pub fn minor(&self) -> i64 {
        self.minor
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// Compares two amounts of the same currency; `None` across currencies.
    pub fn compare(&self, other: &Money) -> Option<Ordering> {
        (self.currency == other.currency).then(|| self.minor.cmp(&other.minor))
    }

    /// Major units as a plain decimal string: `12.99`, `1234` for JPY, `-0.50`.
    pub fn to_decimal_string(&self) -> String {
        let exp = usize::from(self.currency.exponent());
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs().to_string();
        if exp == 0 {
            return format!("{sign}{abs}");
        }
        let padded = format!("{abs:0>width$}", width = exp + 1);
        let (int, frac) = padded.split_at(padded.len() - exp);
        format!("{sign}{int}.{frac}")
    }

    /// How a shopper would read it, with the currency's symbol and the
    /// conventional separators for `style` (`12,99 €`, `$1,234.56`).
    pub fn display(&self, style: NumberStyle) -> String {
        let plain = self.to_decimal_string();
        let (sign, plain) = match plain.strip_prefix('-') {
            Some(rest) => ("-", rest.to_string()),
            None => ("", plain),
        };
        let (int, frac) = plain.split_once('.').unwrap_or((&plain, ""));
        let frac = if self.currency.shows_whole_units() && frac.bytes().all(|b| b == b'0') {
            ""
        } else {
            frac
        };
        let (group, decimal) = match style {
            NumberStyle::DotDecimal => (',', '.'),
            NumberStyle::CommaDecimal => ('.', ','),
            NumberStyle::SpaceGroupCommaDecimal => ('\u{202f}', ','),
        };
        // English readers of the Indian storefront group in lakhs and crores
        // (2,37,097), as Amazon.in and en-IN do; other languages keep their own.
        let indian = self.currency == Currency::INR && style == NumberStyle::DotDecimal;
        let grouped = group_digits(int, group, indian);
        let number = if frac.is_empty() {
            grouped
        } else {
            format!("{grouped}{decimal}{frac}")
        };
        let symbol = self.currency.symbol();
        if style == NumberStyle::DotDecimal {
            if symbol.chars().count() > 1 && symbol.chars().all(|c| c.is_ascii_alphabetic()) {
                format!("{sign}{symbol} {number}")
            } else {
                format!("{sign}{symbol}{number}")
            }
        } else {
            format!("{sign}{number}\u{a0}{symbol}")
        }
    }
}

/// `int` (ASCII digits) with `sep` between thousands, or in Indian style
/// between the last three digits and then every two (`2,37,097`).
fn group_digits(int: &str, sep: char, indian: bool) -> String {
    let mut out = String::with_capacity(int.len() + int.len() / 2);
    for (i, c) in int.chars().enumerate() {
        let left = int.len() - i;
        let boundary = if indian {
            left == 3 || (left > 3 && (left - 3).is_multiple_of(2))
        } else {
            left.is_multiple_of(3)
        };
        if i > 0 && boundary {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

/// How numbers are written: `1,234.56` (en), `1.234,56` (de, es, it), `1 234,56` (fr, sv, pl).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NumberStyle {
    DotDecimal,
    CommaDecimal,
    SpaceGroupCommaDecimal,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amt(s: &str) -> Amount {
        Amount::from_decimal_str(s).unwrap()
    }

    #[test]
    fn amounts_compare_by_value() {
        assert_eq!(amt("644.00"), amt("644"));
        assert_eq!(amt("12.50"), amt("12.5"));
        assert_ne!(amt("12.05"), amt("12.5"));
        assert_eq!(amt("0.5").to_string(), "0.5");
        assert_eq!(amt("007.5").normalized().to_string(), "7.5");
        assert_eq!(amt(".05").to_string(), "0.05");
        assert!(Amount::from_decimal_str("1.2.3").is_none());
        assert!(Amount::from_decimal_str("").is_none());
        assert!(Amount::from_decimal_str("12a").is_none());
    }

    #[test]
    fn minor_units_follow_the_currency_exponent() {
        let eur = Currency::EUR;
        let jpy = Currency::JPY;
        assert_eq!(Money::from_amount(amt("12.99"), eur).unwrap().minor(), 1299);
        assert_eq!(Money::from_amount(amt("12"), eur).unwrap().minor(), 1200);
        assert_eq!(Money::from_amount(amt("1234"), jpy).unwrap().minor(), 1234);
        assert_eq!(
            Money::from_amount(amt("1234.00"), jpy).unwrap().minor(),
            1234
        );
        assert!(Money::from_amount(amt("1234.5"), jpy).is_none());
        assert!(Money::from_amount(amt("12.345"), eur).is_none());
        assert!(Money::from_amount(amt("99999999999999999999"), eur).is_none());
    }

    #[test]
    fn decimal_strings_in_major_units() {
        assert_eq!(
            Money::from_minor(1299, Currency::EUR).to_decimal_string(),
            "12.99"
        );
        assert_eq!(
            Money::from_minor(5, Currency::USD).to_decimal_string(),
            "0.05"
        );
        assert_eq!(
            Money::from_minor(-50, Currency::USD).to_decimal_string(),
            "-0.50"
        );
        assert_eq!(
            Money::from_minor(1234, Currency::JPY).to_decimal_string(),
            "1234"
        );
        let kwd = Currency::parse("kwd").unwrap();
        assert_eq!(Money::from_minor(1500, kwd).to_decimal_string(), "1.500");
    }

    #[test]
    fn display_uses_symbol_and_separators() {
        let m = Money::from_minor(123_456, Currency::USD);
        assert_eq!(m.display(NumberStyle::DotDecimal), "$1,234.56");
        let e = Money::from_minor(123_456, Currency::EUR);
        assert_eq!(e.display(NumberStyle::CommaDecimal), "1.234,56\u{a0}€");
        assert_eq!(
            e.display(NumberStyle::SpaceGroupCommaDecimal),
            "1\u{202f}234,56\u{a0}€"
        );
        let y = Money::from_minor(1234, Currency::JPY);
        assert_eq!(y.display(NumberStyle::DotDecimal), "¥1,234");
        let s = Money::from_minor(2600, Currency::parse("AED").unwrap());
        assert_eq!(s.display(NumberStyle::DotDecimal), "AED 26.00");
    }

    #[test]
    fn rupees_are_whole_and_grouped_in_lakhs_for_english_readers() {
        let inr = |minor| Money::from_minor(minor, Currency::INR);
        let cases = [
            (inr(23_709_700), NumberStyle::DotDecimal, "₹2,37,097"),
            (
                inr(12_345_678_900),
                NumberStyle::DotDecimal,
                "₹12,34,56,789",
            ),
            (inr(99_900), NumberStyle::DotDecimal, "₹999"),
            (inr(100_000), NumberStyle::DotDecimal, "₹1,000"),
            (inr(9_950), NumberStyle::DotDecimal, "₹99.50"),
            (inr(-150_000), NumberStyle::DotDecimal, "-₹1,500"),
            (inr(23_709_700), NumberStyle::CommaDecimal, "237.097\u{a0}₹"),
            (
                inr(23_709_700),
                NumberStyle::SpaceGroupCommaDecimal,
                "237\u{202f}097\u{a0}₹",
            ),
            (
                Money::from_minor(1_234_567, Currency::JPY),
                NumberStyle::DotDecimal,
                "¥1,234,567",
            ),
            (
                Money::from_minor(123_456_700, Currency::USD),
                NumberStyle::DotDecimal,
                "$1,234,567.00",
            ),
        ];
        for (money, style, want) in cases {
            assert_eq!(money.display(style), want, "{money:?} {style:?}");
        }
    }

    #[test]
    fn comparing_currencies_is_explicit() {
        let a = Money::from_minor(100, Currency::EUR);
        let b = Money::from_minor(200, Currency::EUR);
        let c = Money::from_minor(100, Currency::USD);
        assert_eq!(a.compare(&b), Some(Ordering::Less));
        assert_eq!(a.compare(&c), None);
    }

    #[test]
    fn currency_codes() {
        assert_eq!(Currency::parse("eur"), Some(Currency::EUR));
        assert!(Currency::parse("EURO").is_none());
        assert!(Currency::parse("E1R").is_none());
        assert_eq!(Currency::JPY.exponent(), 0);
        assert_eq!(Currency::EUR.exponent(), 2);
    }
}
