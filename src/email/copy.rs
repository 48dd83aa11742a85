//! The words of an alert email: the subject and one short personal paragraph.
//! A language model may write them ([`super::ai`]); this module holds the
//! facts they are written from and the template in the user's language that
//! is used whenever the model is absent, slow or wrong. [`super::guard`]
//! decides whether a model's text may be shown at all.

use super::guard::{accept, defang, shorten};
use crate::domain::{Currency, Money};
use crate::i18n::{self, Key, t};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertKind {
    PriceDrop,
    BackInStock,
}

impl AlertKind {
    pub fn parse(kind: &str) -> Option<AlertKind> {
        match kind {
            "price_drop" => Some(AlertKind::PriceDrop),
            "back_in_stock" => Some(AlertKind::BackInStock),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::PriceDrop => "price_drop",
            AlertKind::BackInStock => "back_in_stock",
        }
    }
}

/// What an alert email says, all from our own data. Prices in minor units.
#[derive(Debug, Clone)]
pub struct Facts {
    pub kind: AlertKind,
    /// One of [`i18n::LOCALES`].
    pub locale: &'static str,
    pub title: String,
    pub first_name: Option<String>,
    pub currency: Currency,
    pub old_minor: Option<i64>,
    pub new_minor: Option<i64>,
    pub target_minor: Option<i64>,
    pub low_90d: Option<i64>,
    pub high_90d: Option<i64>,
    pub lowest_90d: bool,
}

impl Facts {
    pub fn money(&self, minor: i64) -> String {
        i18n::format_money(Money::from_minor(minor, self.currency), self.locale)
    }

    pub fn money_or_dash(&self, minor: Option<i64>) -> String {
        minor.map_or_else(|| "—".to_string(), |m| self.money(m))
    }

    /// The drop in whole percent (rounded), when there is one.
    pub fn drop_percent(&self) -> Option<i64> {
        match (self.old_minor, self.new_minor) {
            (Some(old), Some(new)) if old > 0 && new < old => {
                let pct = (i128::from(old - new) * 100 + i128::from(old) / 2) / i128::from(old);
                i64::try_from(pct).ok()
            }
            _ => None,
        }
    }

    /// Every amount the email may name: ours, and the saving.
    pub(crate) fn amounts(&self) -> Vec<i64> {
        let mut v: Vec<i64> = [
            self.old_minor,
            self.new_minor,
            self.target_minor,
            self.low_90d,
            self.high_90d,
        ]
        .into_iter()
        .flatten()
        .collect();
        if let (Some(old), Some(new)) = (self.old_minor, self.new_minor)
            && old > new
        {
            v.push(old - new);
        }
        v
    }
}

/// The subject and paragraph, and who wrote each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copy {
    pub subject: String,
    pub paragraph: String,
    pub subject_by_model: bool,
    pub paragraph_by_model: bool,
}

/// Longest subject and paragraph shown, in characters.
pub const SUBJECT_MAX: usize = 90;
pub const PARAGRAPH_MAX: usize = 400;
/// Longest product title inside a template subject.
const TITLE_IN_SUBJECT: usize = 60;

pub fn template_subject(f: &Facts) -> String {
    let title = shorten(&defang(&f.title), TITLE_IN_SUBJECT);
    let key = match f.kind {
        AlertKind::PriceDrop => Key::EmailDropSubject,
        AlertKind::BackInStock => Key::EmailBackSubject,
    };
    let price = f.money_or_dash(f.new_minor);
    t(f.locale, key, &[("title", &title), ("price", &price)])
}

pub fn template_paragraph(f: &Facts) -> String {
    match (f.kind, f.old_minor) {
        (AlertKind::PriceDrop, Some(old)) => t(
            f.locale,
            Key::EmailDropText,
            &[
                ("old", &f.money(old)),
                ("new", &f.money_or_dash(f.new_minor)),
            ],
        ),
        _ => t(
            f.locale,
            Key::EmailBackText,
            &[("price", &f.money_or_dash(f.new_minor))],
        ),
    }
}

/// The template for both parts.
pub fn template(f: &Facts) -> Copy {
    Copy {
        subject: template_subject(f),
        paragraph: template_paragraph(f),
        subject_by_model: false,
        paragraph_by_model: false,
    }
}

/// The model's `subject` and `paragraph` where the guard accepts them, the
/// template for each part it refuses.
pub fn merge(f: &Facts, subject: Option<&str>, paragraph: Option<&str>) -> Copy {
    let subject = subject.and_then(|s| accept(f, s, SUBJECT_MAX));
    let paragraph = paragraph.and_then(|p| accept(f, p, PARAGRAPH_MAX));
    Copy {
        subject_by_model: subject.is_some(),
        paragraph_by_model: paragraph.is_some(),
        subject: subject.unwrap_or_else(|| template_subject(f)),
        paragraph: paragraph.unwrap_or_else(|| template_paragraph(f)),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A price drop of an Echo Dot from €13.49 to €11.49, target €12.00.
    pub(crate) fn facts(locale: &'static str) -> Facts {
        Facts {
            kind: AlertKind::PriceDrop,
            locale,
            title: "Echo Dot (5th Gen, 2022)".into(),
            first_name: Some("Ada".into()),
            currency: Currency::EUR,
            old_minor: Some(1349),
            new_minor: Some(1149),
            target_minor: Some(1200),
            low_90d: Some(1149),
            high_90d: Some(1599),
            lowest_90d: true,
        }
    }

    #[test]
    fn the_template_speaks_the_users_language_with_our_prices() {
        let f = facts("de");
        let c = template(&f);
        assert_eq!(
            c.subject,
            "Preis gesunken: Echo Dot (5th Gen, 2022) jetzt für 11,49\u{a0}€"
        );
        assert_eq!(
            c.paragraph,
            "Gute Nachricht: Der Preis ist von 13,49\u{a0}€ auf 11,49\u{a0}€ gefallen."
        );
        assert_eq!(f.drop_percent(), Some(15));
    }

    #[test]
    fn model_parts_fall_back_one_at_a_time() {
        let f = facts("fr");
        let c = merge(
            &f,
            Some("Bonne affaire, Ada !"),
            Some("C'est gratuit sur evil.example"),
        );
        assert!(c.subject_by_model && !c.paragraph_by_model);
        assert_eq!(c.subject, "Bonne affaire, Ada !");
        assert_eq!(c.paragraph, template_paragraph(&f));
        let c = merge(&f, None, None);
        assert_eq!(c, template(&f));
    }
}
