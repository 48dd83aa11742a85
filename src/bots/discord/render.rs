//! Views as Discord messages: embeds and buttons, Markdown in outside text
//! escaped, mentions made inert, and every button bound to the person it
//! was made for (`custom_id` = action `|` user id).

use serde_json::{Value, json};

use crate::bots::core::{Action, Button, ButtonTarget, View, shorten};

/// Embed limits: title 256, description 4,096; button labels 80.
const TITLE_MAX: usize = 256;
const DESCRIPTION_MAX: usize = 4000;
const LABEL_MAX: usize = 80;
/// pricewatch orange.
const COLOR: u32 = 0xFF9900;

/// Text that Discord shows literally: Markdown characters escaped, and
/// `@everyone`/`@here`/`<@…>` broken so they could not ping even if
/// `allowed_mentions` were ignored.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let mut line_start = true;
    for c in s.chars() {
        let special = matches!(
            c,
            '\\' | '*' | '_' | '~' | '`' | '|' | '>' | '#' | '[' | ']' | '(' | ')' | '<'
        );
        // A dash only starts a list at the beginning of a line.
        if special || (c == '-' && line_start) {
            out.push('\\');
        }
        line_start = c == '\n';
        out.push(c);
        if c == '@' {
            // A zero-width space keeps "@everyone" from being a mention.
            out.push('\u{200b}');
        }
    }
    out
}

/// `custom_id` for a button: the action and the user it belongs to.
pub fn custom_id(action: &Action, user_id: &str) -> String {
    format!("{}|{user_id}", action.encode())
}

/// The action and its owner from a `custom_id`; `None` if we did not make it.
pub fn parse_custom_id(id: &str) -> Option<(Action, String)> {
    let (action, user) = id.rsplit_once('|')?;
    if user.is_empty() || !user.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some((Action::decode(action)?, user.to_string()))
}

/// The view as one embed (title linking the product, picture as thumbnail).
pub fn embed(view: &View) -> Value {
    let (title, lines) = view.render(escape, |t| escape(&shorten(t, 200)));
    let mut e = json!({ "color": COLOR });
    if let Some(t) = title {
        e["title"] = json!(shorten(&t, TITLE_MAX));
    }
    if let Some(url) = &view.url {
        e["url"] = json!(url);
    }
    let mut description = lines.join("\n");
    if description.chars().count() > DESCRIPTION_MAX {
        description = shorten(&description, DESCRIPTION_MAX);
    }
    if !description.is_empty() {
        e["description"] = json!(description);
    }
    if let Some(img) = &view.image_url {
        e["thumbnail"] = json!({ "url": img });
    }
    e
}

/// Buttons in action rows of at most five, each bound to `user_id`.
pub fn components(rows: &[Vec<Button>], user_id: &str) -> Value {
    let mut out = Vec::new();
    for row in rows {
        for chunk in row.chunks(5) {
            let buttons: Vec<Value> = chunk
                .iter()
                .map(|b| {
                    let label = shorten(&b.label, LABEL_MAX);
                    match &b.target {
                        ButtonTarget::Action(a) => json!({
                            "type": 2, "style": 2, "label": label,
                            "custom_id": custom_id(a, user_id),
                        }),
                        ButtonTarget::Url(u) => json!({
                            "type": 2, "style": 5, "label": label, "url": u,
                        }),
                    }
                })
                .collect();
            out.push(json!({ "type": 1, "components": buttons }));
        }
    }
    // Discord allows five rows.
    out.truncate(5);
    Value::Array(out)
}

/// A message body: the view's embed and buttons, pinging nobody.
pub fn message(view: &View, user_id: &str, content: Option<&str>) -> Value {
    let mut body = json!({
        "embeds": [embed(view)],
        "components": components(&view.buttons, user_id),
        "allowed_mentions": { "parse": [] },
    });
    if let Some(c) = content {
        body["content"] = json!(escape(c));
    }
    body
}

/// A plain text answer, pinging nobody.
pub fn text(content: &str) -> Value {
    json!({
        "content": escape(&shorten(content, 1900)),
        "allowed_mentions": { "parse": [] },
        "components": [],
        "embeds": [],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outside_text_cannot_format_or_ping() {
        let e = escape("@everyone **FREE** [click](https://evil.example) <@123>");
        assert!(!e.contains("@everyone"));
        assert!(e.contains(r"\*\*FREE\*\*"));
        assert!(e.contains(r"\[click\]\(https:"));
        assert!(e.contains(r"\<@"));
    }

    #[test]
    fn buttons_belong_to_one_user() {
        let a = Action::Chart { watch_id: 5 };
        let id = custom_id(&a, "506759329068613643");
        assert_eq!(parse_custom_id(&id), Some((a, "506759329068613643".into())));
        assert_eq!(parse_custom_id("c:5"), None);
        assert_eq!(parse_custom_id("c:5|abc"), None);
        assert!(id.len() <= 100);
    }
}
