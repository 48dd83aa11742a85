//! Views as Telegram messages: HTML with every piece of outside text escaped,
//! inline keyboards, and Telegram's length limits (1,024 characters for a
//! caption, 4,096 for a message) met by shortening the title, never a price.

use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use crate::bots::core::{Button, ButtonTarget, View, shorten};

pub const CAPTION_MAX: usize = 1024;
pub const MESSAGE_MAX: usize = 4096;

/// Text made safe for `parse_mode=HTML`.
pub use crate::notify::escape_html as escape;

/// Telegram counts the text after entity parsing, in UTF-16 code units;
/// counting the markup too keeps us safely inside the limit.
fn length(s: &str) -> usize {
    s.encode_utf16().count()
}

/// The view as HTML within `max` characters: the title bold (and a link
/// when there is one); a title that does not fit is shortened first.
pub fn html(view: &View, max: usize) -> String {
    let mut title_chars = 120usize;
    loop {
        let text = compose(view, title_chars);
        if length(&text) <= max || title_chars <= 8 {
            return cut(text, max);
        }
        title_chars = title_chars * 2 / 3;
    }
}

fn compose(view: &View, title_chars: usize) -> String {
    let render_title = |t: &str| format!("<b>{}</b>", escape(&shorten(t, title_chars)));
    let (title, lines) = view.render(escape, render_title);
    let mut out = String::new();
    if let Some(title) = title {
        match (&view.url, view.product_title.is_none()) {
            (Some(url), true) => out.push_str(&format!(
                "<b><a href=\"{}\">{}</a></b>",
                escape(url),
                escape_once_shortened(view, title_chars)
            )),
            _ if view.product_title.is_some() => out.push_str(&title),
            _ => out.push_str(&format!("<b>{title}</b>")),
        }
        out.push('\n');
    }
    out.push_str(&lines.join("\n"));
    out.trim_end().to_string()
}

/// A card's own title (not a `%{title}` placeholder), escaped and shortened.
fn escape_once_shortened(view: &View, title_chars: usize) -> String {
    escape(&shorten(
        view.title.as_deref().unwrap_or_default(),
        title_chars,
    ))
}

/// Last resort for text that still does not fit (a very long list): cut
/// whole lines from the end.
fn cut(mut text: String, max: usize) -> String {
    while length(&text) > max {
        match text.rfind('\n') {
            Some(i) => text.truncate(i),
            None => {
                let keep: String = text.chars().take(max.saturating_sub(1)).collect();
                return format!("{keep}…");
            }
        }
    }
    text
}

pub fn keyboard(rows: &[Vec<Button>]) -> Option<InlineKeyboardMarkup> {
    let rows: Vec<Vec<InlineKeyboardButton>> = rows
        .iter()
        .map(|row| {
            row.iter()
                .filter_map(|b| match &b.target {
                    ButtonTarget::Action(a) => {
                        Some(InlineKeyboardButton::callback(b.label.clone(), a.encode()))
                    }
                    ButtonTarget::Url(u) => url::Url::parse(u)
                        .ok()
                        .map(|u| InlineKeyboardButton::url(b.label.clone(), u)),
                })
                .collect::<Vec<_>>()
        })
        .filter(|r| !r.is_empty())
        .collect();
    (!rows.is_empty()).then(|| InlineKeyboardMarkup::new(rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outside_text_is_escaped_and_long_titles_are_shortened_not_prices() {
        let view = View {
            title: Some("<b>Cheap</b> & cheerful ".repeat(100)),
            url: Some("https://www.amazon.de/dp/B01LZ79682?tag=a&b".into()),
            lines: vec!["Price: 12,99 €".into()],
            ..View::default()
        };
        let text = html(&view, CAPTION_MAX);
        assert!(length(&text) <= CAPTION_MAX, "{}", length(&text));
        assert!(
            text.contains("&lt;b&gt;Cheap&lt;/b&gt; &amp; cheerful"),
            "{text}"
        );
        assert!(text.contains("href=\"https://www.amazon.de/dp/B01LZ79682?tag=a&amp;b\""));
        assert!(text.ends_with("Price: 12,99 €"), "{text}");
    }

    #[test]
    fn alert_titles_fill_the_placeholder_escaped() {
        let view = View {
            title: Some("📉 Price drop: %{title}".into()),
            lines: vec!["€12.99 → €9.99 (−23%)".into()],
            product_title: Some("Kettle <b>2000</b> & more".into()),
            ..View::default()
        };
        let text = html(&view, CAPTION_MAX);
        assert_eq!(
            text,
            "📉 Price drop: <b>Kettle &lt;b&gt;2000&lt;/b&gt; &amp; more</b>\n€12.99 → €9.99 (−23%)"
        );
    }
}
