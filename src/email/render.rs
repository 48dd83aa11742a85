//! Turning an alert into an email: a plain-text part and an HTML part (with
//! the price chart inline as a `cid:` image), the RFC 8058 one-click
//! unsubscribe headers, and a Message-ID derived from the outbox key so a
//! retried send is recognisably the same message.
//!
//! Every piece of outside text (product title, the model's words, the user's
//! name, URLs) is HTML-escaped here; prices come only from [`Facts`].

use lettre::Message;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};

use super::copy::{AlertKind, Copy, Facts};
use super::guard::defang;
use crate::i18n::{Key, t};

/// The Content-ID of the chart image (without angle brackets).
pub const CHART_CID: &str = "price-chart@pricewatch";

/// Everything one alert email shows.
pub struct AlertView<'a> {
    pub facts: &'a Facts,
    pub copy: &'a Copy,
    /// The canonical product URL (with the affiliate tag, when configured).
    pub product_url: String,
    pub image_url: Option<String>,
    /// The one-click unsubscribe URL; `None` without PUBLIC_URL / JWT_SECRET.
    pub unsubscribe_url: Option<String>,
    pub chart_png: Option<Vec<u8>>,
}

/// Outside text made safe in the HTML part and our pages (double-quoted
/// attributes only).
pub use crate::notify::escape_html as escape;

/// A product image we are willing to reference: an absolute https URL.
pub fn safe_image_url(raw: Option<&str>) -> Option<String> {
    let url = url::Url::parse(raw?).ok()?;
    (url.scheme() == "https" && url.host_str().is_some()).then(|| url.to_string())
}

fn greeting(f: &Facts) -> String {
    match f.first_name.as_deref().filter(|n| !n.trim().is_empty()) {
        Some(name) => t(f.locale, Key::EmailGreeting, &[("name", name)]),
        None => t(f.locale, Key::EmailGreetingAnon, &[]),
    }
}

/// "−15%" (en) or "−15 %" (de), from our own prices, as in chat.
fn change(f: &Facts) -> Option<String> {
    f.drop_percent()?;
    Some(crate::bots::core::percent_change(
        f.locale,
        f.old_minor?,
        f.new_minor?,
    ))
}

/// The facts block as lines of plain text, in order.
fn fact_lines(f: &Facts) -> Vec<String> {
    let mut lines = Vec::new();
    match (f.kind, f.old_minor, f.new_minor) {
        (AlertKind::PriceDrop, Some(old), Some(new)) => lines.push(t(
            f.locale,
            Key::AlertPriceChange,
            &[
                ("old", &f.money(old)),
                ("new", &f.money(new)),
                ("change", &change(f).unwrap_or_default()),
            ],
        )),
        _ => lines.push(t(
            f.locale,
            Key::ProductPrice,
            &[("price", &f.money_or_dash(f.new_minor))],
        )),
    }
    if let Some(target) = f.target_minor {
        lines.push(t(
            f.locale,
            Key::AlertTarget,
            &[("target", &f.money(target))],
        ));
    }
    if f.lowest_90d {
        lines.push(t(f.locale, Key::AlertLowest90Days, &[]));
    }
    if let (Some(low), Some(high)) = (f.low_90d, f.high_90d) {
        lines.push(t(
            f.locale,
            Key::EmailRange90d,
            &[("low", &f.money(low)), ("high", &f.money(high))],
        ));
    }
    lines
}

/// Why the reader got this email, in one sentence.
fn why(f: &Facts) -> String {
    match (f.kind, f.target_minor) {
        (AlertKind::BackInStock, _) => t(f.locale, Key::EmailWhyStock, &[]),
        (AlertKind::PriceDrop, Some(target)) => t(
            f.locale,
            Key::EmailWhyTarget,
            &[("target", &f.money(target))],
        ),
        (AlertKind::PriceDrop, None) => t(f.locale, Key::EmailWhyAny, &[]),
    }
}

pub fn alert_text(v: &AlertView) -> String {
    let f = v.facts;
    let mut s = String::new();
    s.push_str(&greeting(f));
    s.push_str("\n\n");
    s.push_str(&v.copy.paragraph);
    s.push_str("\n\n");
    s.push_str(&defang(&f.title));
    s.push('\n');
    for line in fact_lines(f) {
        s.push_str(&line);
        s.push('\n');
    }
    s.push('\n');
    s.push_str(&format!(
        "{}: {}\n\n",
        t(f.locale, Key::ButtonBuy, &[]),
        v.product_url
    ));
    s.push_str("-- \n");
    s.push_str(&why(f));
    s.push('\n');
    if let Some(url) = &v.unsubscribe_url {
        s.push_str(&format!(
            "{}: {url}\n",
            t(f.locale, Key::EmailUnsubscribeLink, &[])
        ));
    }
    s
}

pub fn alert_html(v: &AlertView) -> String {
    let f = v.facts;
    let e = |s: &str| escape(s);
    let mut facts_html = String::new();
    for (i, line) in fact_lines(f).iter().enumerate() {
        let style = if i == 0 {
            "margin:0 0 6px;font-size:20px;font-weight:bold"
        } else {
            "margin:0 0 4px;font-size:14px"
        };
        facts_html.push_str(&format!("<p style=\"{style}\">{}</p>", e(line)));
    }
    let image = v.image_url.as_deref().map_or_else(String::new, |src| {
        format!(
            "<td width=\"130\" valign=\"top\" style=\"padding-right:16px\">\
             <img src=\"{}\" width=\"120\" alt=\"\" style=\"display:block;max-width:120px;height:auto\"></td>",
            e(src)
        )
    });
    let chart = if v.chart_png.is_some() {
        format!(
            "<p style=\"margin:20px 0\"><img src=\"cid:{CHART_CID}\" alt=\"{}\" width=\"552\" \
             style=\"display:block;width:100%;max-width:552px;height:auto;border:0\"></p>",
            e(&t(f.locale, Key::EmailChartAlt, &[]))
        )
    } else {
        String::new()
    };
    let unsubscribe = v
        .unsubscribe_url
        .as_deref()
        .map_or_else(String::new, |url| {
            format!(
                "<br><a href=\"{}\" style=\"color:#666\">{}</a>",
                e(url),
                e(&t(f.locale, Key::EmailUnsubscribeLink, &[]))
            )
        });
    format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{subject}</title></head>\n\
<body style=\"margin:0;padding:0;background:#f3f4f6;font-family:Arial,Helvetica,sans-serif;color:#1f2937\">\n\
<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\"><tr><td align=\"center\" style=\"padding:24px 12px\">\n\
<table role=\"presentation\" width=\"600\" cellpadding=\"0\" cellspacing=\"0\" style=\"max-width:600px;background:#ffffff;border-radius:8px\"><tr><td style=\"padding:24px\">\n\
<p style=\"margin:0 0 12px\">{greeting}</p>\n\
<p style=\"margin:0 0 20px;line-height:1.5\">{paragraph}</p>\n\
<table role=\"presentation\" cellpadding=\"0\" cellspacing=\"0\"><tr>{image}<td valign=\"top\">\
<p style=\"margin:0 0 8px;font-size:15px\">{title}</p>{facts_html}</td></tr></table>\n\
{chart}\n\
<p style=\"margin:20px 0\"><a href=\"{url}\" style=\"display:inline-block;background:#f59e0b;color:#111827;\
padding:12px 24px;border-radius:6px;text-decoration:none;font-weight:bold\">{buy}</a></p>\n\
<p style=\"margin:24px 0 0;font-size:12px;color:#6b7280;line-height:1.5\">{why}{unsubscribe}</p>\n\
</td></tr></table>\n</td></tr></table>\n</body></html>\n",
        lang = f.locale,
        subject = e(&v.copy.subject),
        greeting = e(&greeting(f)),
        paragraph = e(&v.copy.paragraph),
        title = e(&defang(&f.title)),
        url = e(&v.product_url),
        buy = e(&t(f.locale, Key::ButtonBuy, &[])),
        why = e(&why(f)),
    )
}

fn header(name: &'static str, value: String) -> HeaderValue {
    HeaderValue::new(HeaderName::new_from_ascii_str(name), value)
}

/// The alert email, ready for SMTP.
pub fn alert_message(
    v: &AlertView,
    from: Mailbox,
    to: Mailbox,
    message_id: String,
) -> anyhow::Result<Message> {
    let mut builder = Message::builder()
        .from(from)
        .to(to)
        .subject(v.copy.subject.clone())
        .message_id(Some(message_id))
        .raw_header(header("Auto-Submitted", "auto-generated".into()));
    if let Some(url) = &v.unsubscribe_url {
        builder = builder
            .raw_header(header("List-Unsubscribe", format!("<{url}>")))
            .raw_header(header(
                "List-Unsubscribe-Post",
                "List-Unsubscribe=One-Click".into(),
            ));
    }
    let html = SinglePart::html(alert_html(v));
    let text = MultiPart::alternative().singlepart(SinglePart::plain(alert_text(v)));
    // The chart travels beside the HTML that shows it (multipart/related).
    let body = match &v.chart_png {
        Some(png) => {
            let png_type = ContentType::parse("image/png")
                .map_err(|e| anyhow::anyhow!("image/png content type: {e}"))?;
            text.multipart(MultiPart::related().singlepart(html).singlepart(
                Attachment::new_inline(CHART_CID.to_string()).body(png.clone(), png_type),
            ))
        }
        None => text.singlepart(html),
    };
    Ok(builder.multipart(body)?)
}

/// A short email with a text and an HTML part: the verification email and
/// the CLI's test email. In `text`, `\u{1}link\u{1}` and `\u{1}code\u{1}`
/// mark where the link and the code go.
pub fn simple_message(
    from: Mailbox,
    to: Mailbox,
    subject: &str,
    text_with_marks: &str,
    link: Option<&str>,
    code: Option<&str>,
) -> Result<Message, lettre::error::Error> {
    let text = text_with_marks
        .replace(LINK_MARK, link.unwrap_or_default())
        .replace(CODE_MARK, code.unwrap_or_default());
    let mut html_body = String::new();
    for para in escape(text_with_marks).split("\n\n") {
        let para = para
            .replace('\n', "<br>")
            .replace(
                LINK_MARK,
                &link.map_or_else(String::new, |l| {
                    format!(
                        "<a href=\"{0}\" style=\"display:inline-block;margin:8px 0;background:#f59e0b;\
                         color:#111827;padding:10px 20px;border-radius:6px;text-decoration:none;\
                         font-weight:bold\">{0}</a>",
                        escape(l)
                    )
                }),
            )
            .replace(
                CODE_MARK,
                &code.map_or_else(String::new, |c| {
                    format!(
                        "<strong style=\"font-size:22px;letter-spacing:4px\">{}</strong>",
                        escape(c)
                    )
                }),
            );
        html_body.push_str(&format!(
            "<p style=\"margin:0 0 14px;line-height:1.5\">{para}</p>\n"
        ));
    }
    let html = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{}</title></head>\n\
<body style=\"font-family:Arial,Helvetica,sans-serif;color:#1f2937;padding:24px\">\n{html_body}</body></html>\n",
        escape(subject)
    );
    Message::builder()
        .from(from)
        .to(to)
        .subject(subject)
        .raw_header(header("Auto-Submitted", "auto-generated".into()))
        .multipart(MultiPart::alternative_plain_html(text, html))
}

/// Placeholders for [`simple_message`]: control characters survive
/// translation and escaping untouched.
pub const LINK_MARK: &str = "\u{1}link\u{1}";
pub const CODE_MARK: &str = "\u{1}code\u{1}";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outside_text_is_escaped_and_prices_are_ours() {
        let mut f = super::super::copy::tests::facts("en");
        f.title = "Kettle <b>& \"Co\"</b> at evil.example".into();
        f.first_name = Some("<Ada>".into());
        let copy = super::super::copy::template(&f);
        let v = AlertView {
            facts: &f,
            copy: &copy,
            product_url: "https://www.amazon.de/dp/B01LZ79682?tag=x-21".into(),
            image_url: safe_image_url(Some("https://m.media-amazon.com/images/I/a\".jpg")),
            unsubscribe_url: Some("https://pw.example/email/unsubscribe?token=a.b".into()),
            chart_png: Some(vec![1, 2, 3]),
        };
        let html = alert_html(&v);
        assert!(!html.contains("<b>"), "{html}");
        assert!(html.contains("Kettle &lt;b&gt;&amp; &quot;Co&quot;&lt;/b&gt;"));
        assert!(html.contains("Hi &lt;Ada&gt;,"));
        assert!(html.contains("€13.49 → €11.49 (−15%)"));
        assert!(html.contains("src=\"cid:price-chart@pricewatch\""));
        assert!(html.contains("href=\"https://www.amazon.de/dp/B01LZ79682?tag=x-21\""));
        assert!(!html.contains("evil.example"));
        assert!(html.contains("%22.jpg"), "image URL is percent-encoded");
        let text = alert_text(&v);
        assert!(text.contains("Your target: €12.00"), "{text}");
        assert!(text.contains("Last 90 days: lowest €11.49, highest €15.99"));
        assert!(text.contains("costs €12.00 or less"));
        assert!(safe_image_url(Some("http://x.example/a.jpg")).is_none());
        assert!(safe_image_url(Some("javascript:alert(1)")).is_none());
    }

    #[test]
    fn back_in_stock_says_so_in_the_readers_language() {
        let mut f = super::super::copy::tests::facts("it");
        f.kind = AlertKind::BackInStock;
        f.old_minor = None;
        f.target_minor = None;
        f.lowest_90d = false;
        let copy = super::super::copy::template(&f);
        assert_eq!(
            copy.subject,
            "Di nuovo disponibile: Echo Dot (5th Gen, 2022) a 11,49\u{a0}€"
        );
        let v = AlertView {
            facts: &f,
            copy: &copy,
            product_url: "https://www.amazon.it/dp/B01LZ79682".into(),
            image_url: None,
            unsubscribe_url: None,
            chart_png: None,
        };
        let text = alert_text(&v);
        assert!(text.contains("Prezzo: 11,49\u{a0}€"), "{text}");
        assert!(
            text.contains("quando questo prodotto torna disponibile"),
            "{text}"
        );
        assert!(!text.contains("→"));
        let html = alert_html(&v);
        assert!(!html.contains("cid:"), "no chart, no broken image");
        assert!(!html.contains("unsubscribe"));
    }
}
