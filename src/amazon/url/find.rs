//! Finding links in chat text: which substrings of a message are worth
//! handing to [`parse`](super::parse).

use super::parse::{HostClass, host_class, trim_link};

/// URL-ish substrings of a chat message: `http(s)://` links to anywhere, and
/// scheme-less links on Amazon hosts (`amazon.de/dp/…`, `amzn.to/…`). Order
/// is kept, duplicates dropped, wrapping punctuation trimmed.
pub fn find_links(text: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for token in text.split(|c: char| c.is_whitespace() || is_separator(c)) {
        if let Some(link) = link_in(token)
            && !found.iter().any(|f| f == link)
        {
            found.push(link.to_string());
        }
    }
    found
}

/// Characters that end a link in chat text (they never appear raw in one).
fn is_separator(c: char) -> bool {
    matches!(
        c,
        '<' | '>'
            | '"'
            | '`'
            | '{'
            | '}'
            | '|'
            | '\\'
            | '^'
            | '「'
            | '」'
            | '『'
            | '』'
            | '（'
            | '）'
            | '【'
            | '】'
            | '、'
            | '。'
            | '，'
            | '：'
            | '；'
            | '！'
            | '？'
            | '“'
            | '”'
            | '‘'
            | '’'
            | '«'
            | '»'
    )
}

/// The link in one whitespace-free token, if any.
fn link_in(token: &str) -> Option<&str> {
    let lower = token.to_ascii_lowercase();
    // ASCII lower-casing keeps byte offsets, so `i` indexes `token` too.
    let start = ["https://", "http://"]
        .iter()
        .filter_map(|p| lower.find(p))
        .min();
    if let Some(i) = start {
        let link = trim_link(&token[i..]);
        return link
            .split_once("://")
            .is_some_and(|(_, rest)| !rest.is_empty())
            .then_some(link);
    }
    // Scheme-less: only on an Amazon host, and only with a path, so that
    // "I shop at amazon.de." or "file.txt" are not links.
    let link = trim_link(token);
    let (host, path) = link.split_once('/')?;
    if path.is_empty() {
        return None;
    }
    let host = host.to_ascii_lowercase();
    matches!(
        host_class(host.trim_end_matches('.')),
        HostClass::Store(_) | HostClass::Short | HostClass::Unsupported(_)
    )
    .then_some(link)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::amazon::url::parse;

    #[test]
    fn links_in_chat_text() {
        let cases: &[(&str, &[&str])] = &[
            (
                "Look: https://amzn.to/3iZ9vyT and (amazon.de/dp/B01LZ79682). Also https://amzn.to/3iZ9vyT!",
                &["https://amzn.to/3iZ9vyT", "amazon.de/dp/B01LZ79682"],
            ),
            (
                "[Echo](https://www.amazon.com/dp/B0DLFMFBJW) <https://a.co/d/4rHgKH3>",
                &[
                    "https://www.amazon.com/dp/B0DLFMFBJW",
                    "https://a.co/d/4rHgKH3",
                ],
            ),
            (
                "see www.amazon.co.uk/dp/B00EO4NN5C, and \"https://example.com/page\".",
                &["www.amazon.co.uk/dp/B00EO4NN5C", "https://example.com/page"],
            ),
            ("no links: amazon.de, e.g. file.txt or example.com/x", &[]),
            ("https:// nothing", &[]),
            (
                "リンク：https://www.amazon.co.jp/dp/B0064CZ1XE。ありがとう",
                &["https://www.amazon.co.jp/dp/B0064CZ1XE"],
            ),
            (
                "/cupon ASDASD 123€ https://www.amazon.es/gp/aw/d/B06XFWF7J4/ref=ox?smid=A1&psc=1",
                &["https://www.amazon.es/gp/aw/d/B06XFWF7J4/ref=ox?smid=A1&psc=1"],
            ),
            ("HTTPS://AMZN.TO/3iZ9vyT?", &["HTTPS://AMZN.TO/3iZ9vyT"]),
            (
                "amzn.eu/d/5dF49o2\nsmile.amazon.com/dp/B07YFDCGQV",
                &["amzn.eu/d/5dF49o2", "smile.amazon.com/dp/B07YFDCGQV"],
            ),
            (
                "https://en.wikipedia.org/wiki/Amazon_(company))",
                &["https://en.wikipedia.org/wiki/Amazon_(company)"],
            ),
        ];
        for (text, want) in cases {
            assert_eq!(find_links(text), *want, "{text}");
        }
        // What find_links returns from chat, parse accepts.
        for link in find_links(cases[0].0) {
            assert!(parse(&link).is_ok(), "{link}");
        }
    }
}
