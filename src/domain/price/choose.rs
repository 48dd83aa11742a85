//! Which number in the text is the price.
//!
//! Text around a price holds other numbers: discounts ("40% OFF"),
//! thresholds ("Orders $49+"), quantities ("2 Litre", "Qty: 1"), ratings
//! ("4.5 out of 5 stars"), dates ("July, 2004", "25-09"), ranges ("From 26
//! to 50 €") and old prices ("Was $120.00 Now $60.00"). A number with a
//! currency beside it is taken as a price first; the rules that set numbers
//! aside apply only to numbers without one.

use super::currency::Mention;
use super::number::{NumberText, is_space};

/// The number chosen as the price and the currency mentions beside it.
pub(super) struct Choice<'a> {
    pub number: &'a NumberText,
    pub mentions: Vec<&'a Mention>,
}

/// A number and the currency mentions written beside it.
struct Seen<'a> {
    number: &'a NumberText,
    beside: Vec<&'a Mention>,
}

/// Picks the price among well-formed `numbers`: the number after "Now" when
/// the text also has a "Was" price; else the first number beside a currency
/// (a plain ISO code that is also a word, like "TOP", counting less than a
/// symbol); else the first standing on its own; else the first at all (so
/// the "07" in "B07" is not preferred over a free-standing "29").
pub(super) fn choose<'a>(
    chars: &[char],
    numbers: &'a [NumberText],
    mentions: &'a [Mention],
) -> Option<Choice<'a>> {
    let mut all: Vec<Seen> = numbers
        .iter()
        .filter(|n| !is_percent_or_threshold(chars, n))
        .map(|n| Seen {
            number: n,
            beside: mentions_beside(chars, n, mentions),
        })
        .collect();
    settle_shared_mentions(&mut all);
    let dates = date_parts(chars, &all);
    let codes = hyphenated_without_currency(chars, &all);
    let seen: Vec<Seen> = all
        .into_iter()
        .enumerate()
        .filter(|(i, s)| {
            let set_aside = dates[*i]
                || codes[*i]
                || is_measurement(chars, s.number)
                || is_quantity(chars, s.number);
            !s.beside.is_empty() || !set_aside
        })
        .map(|(_, s)| s)
        .collect();
    let pick = |i: usize| {
        Some(Choice {
            number: seen[i].number,
            mentions: seen[i].beside.clone(),
        })
    };

    if let Some(now) = now_price(chars, &seen) {
        return pick(now);
    }
    let rank = |i: usize| {
        let s = &seen[i];
        if s.beside.iter().any(|m| !m.wordlike) {
            0
        } else if !s.beside.is_empty() {
            1
        } else if s.number.start == 0 || !chars[s.number.start - 1].is_alphabetic() {
            2
        } else {
            3
        }
    };
    let best = (0..seen.len()).min_by_key(|&i| (rank(i), i))?;

    // "From 26 to 50 €", "10 - 20 €": a currency written once after a range
    // belongs to both ends, and the range starts at the first.
    let currency_after = seen[best]
        .beside
        .iter()
        .all(|m| m.start >= seen[best].number.end);
    if rank(best) == 0 && best > 0 && currency_after {
        let previous = &seen[best - 1];
        if previous.beside.is_empty() && is_range_between(chars, previous.number, seen[best].number)
        {
            return Some(Choice {
                number: previous.number,
                mentions: seen[best].beside.clone(),
            });
        }
    }
    pick(best)
}

/// A symbol between two numbers belongs to the nearer one ("Qty: 1 $24.99"
/// is $24.99), or to the first when both are as near ("3,49 zł 1,75 zł").
fn settle_shared_mentions(seen: &mut [Seen]) {
    for i in 1..seen.len() {
        let (left, right) = seen.split_at_mut(i);
        let (before, after) = (&mut left[i - 1], &mut right[0]);
        let shared: Vec<&Mention> = before
            .beside
            .iter()
            .filter(|m| {
                m.start >= before.number.end && after.beside.iter().any(|a| std::ptr::eq(*a, **m))
            })
            .copied()
            .collect();
        for m in shared {
            let gap_before = m.start - before.number.end;
            let gap_after = after.number.start.saturating_sub(m.end);
            if gap_after < gap_before {
                before.beside.retain(|b| !std::ptr::eq(*b, m));
            } else {
                after.beside.retain(|a| !std::ptr::eq(*a, m));
            }
        }
    }
}

/// The mentions beside `n`, plus a code written before a symbol that is
/// beside it: "NZD $100.70" is in NZD.
fn mentions_beside<'a>(
    chars: &[char],
    n: &NumberText,
    mentions: &'a [Mention],
) -> Vec<&'a Mention> {
    let mut beside: Vec<&Mention> = mentions.iter().filter(|m| is_beside(chars, n, m)).collect();
    if let Some(symbol) = beside.iter().find(|m| m.end <= n.start).copied() {
        let code = mentions.iter().rev().find(|m| {
            m.end <= symbol.start && chars[m.end..symbol.start].iter().all(|&c| is_space(c))
        });
        beside.extend(code);
    }
    beside
}

/// A mention directly before the number (separated only by spaces, `:` or
/// `.`, as in "US$:12.99" and "Rs.1,599"), directly after it (spaces only),
/// or inside it ("35€99").
fn is_beside(chars: &[char], n: &NumberText, m: &Mention) -> bool {
    if m.end <= n.start {
        chars[m.end..n.start]
            .iter()
            .all(|&c| is_space(c) || c == ':' || c == '.')
    } else if m.start >= n.end {
        chars[n.end..m.start].iter().all(|&c| is_space(c))
    } else {
        n.contains_euro_sign() && m.start >= n.start && m.end <= n.end
    }
}

/// "40% OFF" is a discount and "$49+" a threshold, not prices.
fn is_percent_or_threshold(chars: &[char], n: &NumberText) -> bool {
    let next = chars[n.end..].iter().find(|&&c| !is_space(c));
    matches!(next, Some('%' | '٪')) || chars.get(n.end) == Some(&'+')
}

fn is_range_between(chars: &[char], first: &NumberText, second: &NumberText) -> bool {
    let between: String = chars[first.end..second.start].iter().collect();
    matches!(
        between.trim().to_lowercase().as_str(),
        "-" | "–" | "—" | "~" | "to" | "bis" | "à" | "a" | "до" | "tot" | "till"
    )
}

/// "Was $120.00 Now $60.00": the current price is the one after "now". A
/// zero there is a template with no sale filled in, not a free item.
fn now_price(chars: &[char], seen: &[Seen]) -> Option<usize> {
    let after = |i: usize, word: &str| {
        let from = i.checked_sub(1).map_or(0, |p| seen[p].number.end);
        words(&chars[from..seen[i].number.start])
            .last()
            .is_some_and(|w| w == word)
    };
    (0..seen.len()).find(|&i| after(i, "was"))?;
    (0..seen.len()).find(|&i| after(i, "now") && !seen[i].number.is_zero())
}

/// Words after a number that make it a measurement, a count or a rating
/// rather than money: "16.00 ft", "2 Litre", "1,234 ratings".
const NOT_MONEY_AFTER: &str = "\
    ft feet foot inch inches yd yard yards mm cm km meter meters metre metres sqft mg kg \
    lb lbs oz fl ml cl ltr liter liters litre litres gal gallon gallons mah hz khz ghz \
    kb mb gb tb pcs pieces pack ct count star stars rating ratings review reviews sterne \
    bewertungen étoiles évaluations estrellas valoraciones stelle recensioni";

/// "16.00 ft", "2 Litre", "4.5 out of 5 stars", "1,234 ratings".
fn is_measurement(chars: &[char], n: &NumberText) -> bool {
    let skip = |from: usize, f: fn(&char) -> bool| {
        from + chars[from..].iter().take_while(|c| f(c)).count()
    };
    let start = skip(n.end, |c| is_space(*c));
    let Some(first) = word_from(chars, start) else {
        return false;
    };
    let second = word_from(
        chars,
        skip(skip(start, |c| c.is_alphabetic()), |c| is_space(*c)),
    );
    is_listed(NOT_MONEY_AFTER, &first) || (first == "out" && second.as_deref() == Some("of"))
}

/// Labels before a number that make it a count of items: "Qty: 1",
/// "мин. заказ: 1" (minimum order).
const QUANTITY_LABELS: &str = "\
    qty quantity order menge anzahl quantité cantidad quantità ilość заказ количество";

fn is_quantity(chars: &[char], n: &NumberText) -> bool {
    let gap = chars[..n.start]
        .iter()
        .rev()
        .take_while(|&&c| is_space(c) || c == ':' || c == '.')
        .count();
    word_until(chars, n.start - gap).is_some_and(|w| is_listed(QUANTITY_LABELS, &w))
}

/// English month names, whole and abbreviated.
const MONTHS: &str = "\
    january february march april may june july august september october november \
    december jan feb mar apr jun jul aug sep sept oct nov dec";

/// Numbers that are part of a written date: next to a month name ("July,
/// 2004", "15 July") or following such a number ("July 15, 2024").
fn date_parts(chars: &[char], seen: &[Seen]) -> Vec<bool> {
    let is_month = |w: Option<String>| w.is_some_and(|w| is_listed(MONTHS, &w));
    let mut parts: Vec<bool> = Vec::with_capacity(seen.len());
    for (i, s) in seen.iter().enumerate() {
        let gap_before = chars[..s.number.start]
            .iter()
            .rev()
            .take_while(|&&c| is_space(c) || c == ',' || c == '.')
            .count();
        let word_before = word_until(chars, s.number.start - gap_before);
        let gap_after = chars[s.number.end..]
            .iter()
            .take_while(|&&c| is_space(c) || c == '.')
            .count();
        let word_after = word_from(chars, s.number.end + gap_after);
        let follows_part = i > 0
            && parts[i - 1]
            && chars[seen[i - 1].number.end..s.number.start]
                .iter()
                .all(|&c| is_space(c) || c == ',');
        parts.push(is_month(word_before) || is_month(word_after) || follows_part);
    }
    parts
}

/// Numbers joined by bare hyphens with no currency near any of them are
/// dates, codes or phone numbers ("25-09", "2004-07-01"). With a currency
/// ("10-20 €") they are a range and stay.
fn hyphenated_without_currency(chars: &[char], seen: &[Seen]) -> Vec<bool> {
    let mut marked = vec![false; seen.len()];
    let mut start = 0;
    while start < seen.len() {
        let mut end = start;
        while end + 1 < seen.len()
            && chars[seen[end].number.end..seen[end + 1].number.start] == ['-']
        {
            end += 1;
        }
        if end > start && seen[start..=end].iter().all(|s| s.beside.is_empty()) {
            marked[start..=end].fill(true);
        }
        start = end + 1;
    }
    marked
}

/// Whether `word` is one of the space-separated words in `list`.
fn is_listed(list: &str, word: &str) -> bool {
    list.split_whitespace().any(|w| w == word)
}

/// Lower-cased runs of letters, in order.
fn words(chars: &[char]) -> impl Iterator<Item = String> + '_ {
    chars
        .split(|c| !c.is_alphabetic())
        .filter(|w| !w.is_empty())
        .map(|w| w.iter().collect::<String>().to_lowercase())
}

/// The word (lower-cased) starting exactly at `start`, if a letter is there.
fn word_from(chars: &[char], start: usize) -> Option<String> {
    let rest = chars.get(start..)?;
    let len = rest.iter().take_while(|c| c.is_alphabetic()).count();
    (len > 0).then(|| rest[..len].iter().collect::<String>().to_lowercase())
}

/// The word (lower-cased) ending exactly at `end`, if a letter is there.
fn word_until(chars: &[char], end: usize) -> Option<String> {
    let before = chars.get(..end)?;
    let len = before
        .iter()
        .rev()
        .take_while(|c| c.is_alphabetic())
        .count();
    (len > 0).then(|| {
        before[end - len..]
            .iter()
            .collect::<String>()
            .to_lowercase()
    })
}
