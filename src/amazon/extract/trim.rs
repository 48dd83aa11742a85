//! Leaving the below-the-fold half of a product page unparsed.
//!
//! Parsing is most of the cost of reading a page, and about half of a
//! detail page is description, A+ content, reviews and carousels that come
//! after the product and its buy box. The page is cut at the first such
//! section, but only when nothing a reader consults follows the cut: no
//! element with a consulted id ([`is_consulted`]: the buy box, price blocks,
//! title, buy forms, …), none of the indexed classes, none of the
//! [`CONSULTED_TAGS`] (canonical link, Open Graph tags, a captcha form).
//! The readers see the same elements either way, so the answer cannot
//! change; a page where the check fails is parsed whole.
//!
//! This rests on one layout fact: the below-the-fold sections are never
//! nested inside the buy box or a price block (they follow the product
//! container), so cutting at one cannot truncate a block a reader opens.
//!
//! Only the parse is trimmed: scans of the raw page (marketplace ids in
//! scripts, error-page phrases) still read all of it.

use super::dom::{CONSULTED_TAGS, INDEXED_CLASSES, is_consulted};

/// Sections that follow the product, its price and its buy box.
const BELOW_THE_FOLD: &[&str] = &[
    "productDescription_feature_div",
    "productDescription",
    "aplus_feature_div",
    "aplus",
    "detailBullets_feature_div",
    "prodDetails",
    "productDetails_feature_div",
    "similarities_feature_div",
    "HLCXComparisonWidget_feature_div",
    "reviewsMedley",
    "customerReviews",
    "customer-reviews_feature_div",
    "rhf",
    "navFooter",
];

/// The part of `html` to parse: all of it, or the part before the first
/// below-the-fold section when nothing consulted follows it.
pub(super) fn parse_extent(html: &str) -> &str {
    let mut cut = None;
    for (at, id) in ids(html) {
        match cut {
            None if BELOW_THE_FOLD.contains(&id) => cut = Some(tag_start(html, at)),
            Some(_) if is_consulted(tag_name(html, tag_start(html, at)), id) => return html,
            _ => {}
        }
    }
    let Some(cut) = cut else {
        return html;
    };
    let tail = &html[cut..];
    let consulted_later =
        INDEXED_CLASSES.iter().any(|c| tail.contains(c)) || has_consulted_tag(tail);
    if consulted_later { html } else { &html[..cut] }
}

/// Whether `html` has a tag from [`CONSULTED_TAGS`] (name in any case).
fn has_consulted_tag(html: &str) -> bool {
    let mut from = 0;
    while let Some(lt) = html[from..].find('<') {
        let start = from + lt;
        from = start + 1;
        let name = tag_name(html, start);
        let Some((_, phrases)) = CONSULTED_TAGS
            .iter()
            .find(|(t, _)| t.eq_ignore_ascii_case(name))
        else {
            continue;
        };
        let end = html[start..].find('>').map_or(html.len(), |e| start + e);
        let tag = html[start..end].to_ascii_lowercase();
        if phrases.iter().any(|p| tag.contains(p)) {
            return true;
        }
    }
    false
}

/// Whitespace between attributes, as the HTML tokenizer counts it.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0c')
}

/// Where the tag holding the attribute at `at` starts (its `<`).
fn tag_start(html: &str, at: usize) -> usize {
    html[..at].rfind('<').unwrap_or(0)
}

/// The element name of the tag starting at `start`, as written (an
/// upper-case `INPUT` then counts as consulted: stricter, never looser).
fn tag_name(html: &str, start: usize) -> &str {
    let name = html.get(start + 1..).unwrap_or("");
    let end = name
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(name.len());
    &name[..end]
}

/// Every `id` attribute value in `html` with its byte offset, in order:
/// quoted with `"` or `'`, or unquoted. A plain byte scan: it may also find
/// ids inside scripts or comments, which only makes the check stricter.
fn ids(html: &str) -> impl Iterator<Item = (usize, &str)> {
    let bytes = html.as_bytes();
    let mut from = 0;
    std::iter::from_fn(move || {
        loop {
            let eq = from + html.get(from..)?.find('=')?;
            from = eq + 1;
            // ` id=`, ` ID =`: names are case-insensitive and may have
            // spaces around `=`; `data-csa-c-id=` and the like are other
            // attributes.
            let name_end = html[..eq].trim_end_matches(is_space).len();
            let named_id = name_end >= 3
                && bytes[name_end - 1].eq_ignore_ascii_case(&b'd')
                && bytes[name_end - 2].eq_ignore_ascii_case(&b'i')
                && matches!(
                    bytes[name_end - 3],
                    b'/' | b' ' | b'\t' | b'\n' | b'\r' | b'\x0c'
                );
            if !named_id {
                continue;
            }
            let at = name_end - 2;
            let rest = html[from..].trim_start_matches(is_space);
            let value = match rest.as_bytes().first() {
                Some(q @ (b'"' | b'\'')) => {
                    let inner = &rest[1..];
                    inner.find(char::from(*q)).map(|end| &inner[..end])
                }
                Some(_) => {
                    let end = rest
                        .find(|c: char| c.is_ascii_whitespace() || c == '>')
                        .unwrap_or(rest.len());
                    Some(&rest[..end])
                }
                None => None,
            };
            if let Some(v) = value {
                return Some((at, v));
            }
        }
    })
}
