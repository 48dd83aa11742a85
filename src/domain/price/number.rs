//! Numbers inside price text: where they start and end, and which of `.`
//! and `,` is the decimal separator.
//!
//! Scanning is deliberately permissive (it keeps every separator it sees);
//! meaning is given afterwards by checking each reading against the rules
//! of digit grouping, so "1.234,56", "1,234.56", "1 234,56", "1'234.56" and
//! "2,37,097.00" are read without knowing the locale, and only a lone
//! separator followed by exactly three digits ("1,234") needs a hint.

use crate::domain::money::Amount;

/// A separator between two runs of digits, as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Sep {
    Dot,
    Comma,
    /// Any white space, including the no-break spaces French prices use.
    Space,
    /// Swiss grouping: `1'049.95`.
    Apostrophe,
}

impl Sep {
    /// The separator a decimal-separator hint names (`'€'` names none).
    fn from_hint(c: char) -> Option<Sep> {
        match c {
            '.' => Some(Sep::Dot),
            ',' => Some(Sep::Comma),
            _ => None,
        }
    }
}

/// Characters written for digits and separators in other scripts, mapped to
/// ASCII one for one so that character positions stay the same.
pub(super) fn normalize_char(c: char) -> char {
    match c {
        // Full-width digits (Japanese and Chinese pages).
        '\u{ff10}'..='\u{ff19}' => ascii_digit(u32::from(c) - 0xff10),
        // Arabic-Indic and Eastern Arabic-Indic digits.
        '\u{0660}'..='\u{0669}' => ascii_digit(u32::from(c) - 0x0660),
        '\u{06f0}'..='\u{06f9}' => ascii_digit(u32::from(c) - 0x06f0),
        '\u{ff0c}' | '\u{066c}' => ',',
        '\u{ff0e}' | '\u{066b}' => '.',
        other => other,
    }
}

fn ascii_digit(d: u32) -> char {
    char::from_digit(d, 10).unwrap_or('0')
}

/// White space of any width (shops group digits with no-break spaces), and
/// the invisible direction marks Arabic and Hebrew prices carry.
pub(super) fn is_space(c: char) -> bool {
    const DIRECTION_MARKS: [char; 12] = [
        '\u{200e}', '\u{200f}', '\u{061c}', '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}',
        '\u{202e}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}',
    ];
    c.is_whitespace() || DIRECTION_MARKS.contains(&c)
}

/// A run of digits and separators found in the text, not yet given a meaning.
#[derive(Debug, Clone)]
pub(super) struct NumberText {
    /// Index (in chars) of the first character: a leading separator or a digit.
    pub start: usize,
    /// Index just past the last character that belongs to the number.
    pub end: usize,
    /// `.`/`,` written right before the first digit (`$.75`, `$..75`).
    lead: Vec<Sep>,
    /// Runs of digits; one more than `seps`.
    groups: Vec<String>,
    seps: Vec<Sep>,
    /// Digits after a euro sign that stands for the decimal point (`35€99`).
    euro_fraction: Option<String>,
    /// A dash written in place of the cents (`1.899,-`, `105. –`): the number
    /// is whole and the separator before the dash was the decimal one.
    dash_cents: bool,
}

/// Every number in `chars`, left to right.
///
/// `decimal_hint` is only consulted for the euro sign: `'€'` says the sign is
/// the decimal point (`1250€60`).
pub(super) fn scan(chars: &[char], decimal_hint: Option<char>) -> Vec<NumberText> {
    let single_euro = chars.iter().filter(|&&c| c == '€').count() == 1;
    let mut found = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            let floor = found.last().map_or(0, |n: &NumberText| n.end);
            let number = scan_one(chars, floor, i, decimal_hint, single_euro);
            i = number.end.max(i + 1);
            found.push(number);
        } else {
            i += 1;
        }
    }
    found
}

fn digits_at(chars: &[char], from: usize) -> usize {
    chars.get(from..).map_or(0, |rest| {
        rest.iter().take_while(|c| c.is_ascii_digit()).count()
    })
}

fn collect(chars: &[char], from: usize, len: usize) -> String {
    chars[from..from + len].iter().collect()
}

fn decimal_sep(c: char) -> Option<Sep> {
    match c {
        '.' => Some(Sep::Dot),
        ',' => Some(Sep::Comma),
        _ => None,
    }
}

/// Reads the number whose first digit is at `first_digit`; `floor` is where
/// the previous number ended, which leading separators may not reach past.
fn scan_one(
    chars: &[char],
    floor: usize,
    first_digit: usize,
    decimal_hint: Option<char>,
    single_euro: bool,
) -> NumberText {
    let at = |k: usize| chars.get(k).copied();

    // Separators right before the first digit: "$.75" is 0.75, but the dot
    // in "Rs.1,599" ends an abbreviation, so a letter before them cancels.
    let mut start = first_digit;
    let mut lead = Vec::new();
    while let Some(sep) = start
        .checked_sub(1)
        .filter(|&k| k >= floor)
        .and_then(|k| decimal_sep(chars[k]))
    {
        lead.insert(0, sep);
        start -= 1;
    }
    if start > 0 && chars[start - 1].is_alphanumeric() {
        lead.clear();
        start = first_digit;
    }

    let mut j = first_digit;
    let n = digits_at(chars, j);
    let mut groups = vec![collect(chars, j, n)];
    let mut seps = Vec::new();
    let mut dash_cents = false;
    j += n;
    while let Some(c) = at(j) {
        if let Some(sep) = decimal_sep(c) {
            let n = digits_at(chars, j + 1);
            if n > 0 {
                seps.push(sep);
                groups.push(collect(chars, j + 1, n));
                j += 1 + n;
                continue;
            }
            let mut k = j + 1;
            while at(k).is_some_and(is_space) {
                k += 1;
            }
            // "$119. 95", "1.837, 32 €": cents set off by a stray space.
            if k > j + 1 && digits_at(chars, k) == 2 {
                seps.push(sep);
                groups.push(collect(chars, k, 2));
                j = k + 2;
            } else if matches!(at(k), Some('-' | '–' | '—')) {
                dash_cents = true;
                j = k + 1;
            }
            break;
        }
        match c {
            '\'' | '’' if digits_at(chars, j + 1) > 0 => {
                let n = digits_at(chars, j + 1);
                seps.push(Sep::Apostrophe);
                groups.push(collect(chars, j + 1, n));
                j += 1 + n;
            }
            // A space groups thousands only between whole groups of three,
            // so "2.00 100" stays two numbers and "1 770,00" stays one.
            c if is_space(c)
                && digits_at(chars, j + 1) == 3
                && space_group_fits(&groups, &seps) =>
            {
                seps.push(Sep::Space);
                groups.push(collect(chars, j + 1, 3));
                j += 4;
            }
            _ => break,
        }
    }

    let mut number = NumberText {
        start,
        end: j,
        lead,
        groups,
        seps,
        euro_fraction: None,
        dash_cents,
    };
    if at(j) == Some('€') && !dash_cents && grouping_valid(&number.groups, &number.seps) {
        number.read_euro_fraction(chars, decimal_hint, single_euro);
    }
    number
}

impl NumberText {
    /// "35€99", "35€ 99": cents after a euro sign written as the decimal point.
    /// With a `'€'` hint any digits glued to the sign count; without one only
    /// two digits do, and only when the text holds a single euro sign (so
    /// "99 € 79 €" is two prices, not 99.79).
    fn read_euro_fraction(
        &mut self,
        chars: &[char],
        decimal_hint: Option<char>,
        single_euro: bool,
    ) {
        let sign = self.end;
        let glued = digits_at(chars, sign + 1);
        if decimal_hint == Some('€') && glued > 0 {
            self.euro_fraction = Some(collect(chars, sign + 1, glued));
            self.end = sign + 1 + glued;
            return;
        }
        let mut k = sign + 1;
        while chars.get(k).copied().is_some_and(is_space) {
            k += 1;
        }
        let n = digits_at(chars, k);
        let fits = match decimal_hint {
            Some('€') => (1..=2).contains(&n),
            None => single_euro && n == 2,
            Some(_) => false,
        };
        if fits {
            self.euro_fraction = Some(collect(chars, k, n));
            self.end = k + n;
        }
    }

    /// True when the number was written with a euro sign inside it.
    pub fn contains_euro_sign(&self) -> bool {
        self.euro_fraction.is_some()
    }

    /// True when every digit is zero ("0,00").
    pub fn is_zero(&self) -> bool {
        self.groups
            .iter()
            .chain(&self.euro_fraction)
            .all(|g| g.chars().all(|c| c == '0'))
    }

    /// True when some reading of the separators is a well-formed number;
    /// "15.08.2017" has none and is a date, not a price.
    pub fn is_well_formed(&self) -> bool {
        self.amount(None, None).is_some()
    }

    /// The value, choosing the decimal separator.
    ///
    /// When the text allows only one reading it wins over the hint. Only a
    /// lone `.` or `,` followed by exactly three digits is ambiguous; then a
    /// currency without minor units (JPY) makes it grouping, else the hint
    /// decides, else a three-decimal currency (KWD) makes it decimal, else it
    /// is grouping, as on most shops ("1,234" is 1234).
    pub fn amount(&self, decimal_hint: Option<char>, exponent: Option<u8>) -> Option<Amount> {
        let digits: String = self.groups.concat();
        if let Some(fraction) = &self.euro_fraction {
            return decimal(&digits, fraction);
        }
        if self.dash_cents {
            return grouping_valid(&self.groups, &self.seps)
                .then(|| decimal(&digits, ""))
                .flatten();
        }
        if !self.lead.is_empty() {
            // "$.75", "$..75" are cents; with a hint, "..75,333" is a fraction
            // only if the hinted separator leads and does not appear later.
            let lead_is_decimal = match decimal_hint.and_then(Sep::from_hint) {
                Some(h) => self.lead.contains(&h) && !self.seps.contains(&h),
                None => self.seps.is_empty(),
            };
            if lead_is_decimal {
                return decimal("0", &digits);
            }
        }

        let whole_ok = grouping_valid(&self.groups, &self.seps);
        let last = self
            .seps
            .last()
            .copied()
            .filter(|s| matches!(s, Sep::Dot | Sep::Comma));
        let decimal_ok = last.is_some_and(|last| {
            let n = self.seps.len();
            self.seps.iter().filter(|&&s| s == last).count() == 1
                && grouping_valid(&self.groups[..n], &self.seps[..n - 1])
        });
        let as_decimal = match (whole_ok, decimal_ok) {
            (false, false) => return None,
            (true, false) => false,
            (false, true) => true,
            (true, true) => {
                if exponent == Some(0) {
                    false
                } else if let Some(h) = decimal_hint {
                    Sep::from_hint(h) == last
                } else {
                    exponent == Some(3)
                }
            }
        };
        if as_decimal {
            let n = self.groups.len();
            decimal(&self.groups[..n - 1].concat(), &self.groups[n - 1])
        } else {
            decimal(&digits, "")
        }
    }
}

fn decimal(whole: &str, fraction: &str) -> Option<Amount> {
    Amount::from_decimal_str(&format!("{whole}.{fraction}"))
}

/// Whether a new space-separated group of three may follow: only after
/// space-grouped whole groups ("1 234 567"), never after a decimal part.
fn space_group_fits(groups: &[String], seps: &[Sep]) -> bool {
    seps.iter().all(|&s| s == Sep::Space)
        && groups
            .first()
            .is_some_and(|g| g.len() <= 3 && !g.starts_with('0'))
        && groups.iter().skip(1).all(|g| g.len() == 3)
}

/// Whether `groups` joined by `seps` is a well-formed whole number: one kind
/// of separator, a first group of one to three digits with no leading zero,
/// then groups of three (or Indian lakh grouping: `2,37,097`).
pub(super) fn grouping_valid(groups: &[String], seps: &[Sep]) -> bool {
    let Some((&kind, _)) = seps.split_first() else {
        return true;
    };
    if seps.iter().any(|&s| s != kind) {
        return false;
    }
    let (first, rest) = match groups.split_first() {
        Some((first, rest)) if !first.starts_with('0') => (first, rest),
        _ => return false,
    };
    let western = first.len() <= 3 && rest.iter().all(|g| g.len() == 3);
    let lakh = kind == Sep::Comma
        && first.len() <= 2
        && rest.split_last().is_some_and(|(last, middle)| {
            last.len() == 3 && !middle.is_empty() && middle.iter().all(|g| g.len() == 2)
        });
    western || lakh
}
