//! The `email` channel of the outbox: one alert email per outbox row.
//!
//! Each send re-reads the watch's user (the address must still be linked,
//! confirmed and not bouncing), loads 90 days of prices for the chart and the
//! low/high, asks the model for words while the chart renders, and sends.
//!
//! Emails ride the `deliver` queue, whose concurrency comes from
//! `EMAIL_QUEUE_CONCURRENCY` (at least 4). A send runs under the delivery's
//! lease, so the model gets at most a third of `DELIVERY_LEASE_SECS`: a slow
//! model must never let the lease run out and another worker send again.

use std::time::{Duration as StdDuration, Instant};

use chrono::{Duration, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use super::ai::Copywriter;
use super::copy::{self, AlertKind, Facts};
use super::render::{AlertView, alert_message, safe_image_url};
use super::smtp::{Mailer, SmtpFailure};
use super::{Links, bounce};
use crate::config::Config;
use crate::domain::{Currency, ProductRef};
use crate::i18n;
use crate::jobs::Queues;
use crate::notify::chart::{ChartInput, render_png};
use crate::notify::{Delivery, Notifier, SendError};
use crate::store::entities::{price_points, users, watches};

pub struct EmailNotifier {
    db: DatabaseConnection,
    queues: Queues,
    mailer: Mailer,
    writer: Option<Copywriter>,
    links: Option<Links>,
    affiliate_tag: Option<String>,
    /// The most the model may take, retry included.
    model_budget: StdDuration,
}

impl EmailNotifier {
    /// The notifier when `EMAIL_HOST` is set; `None` otherwise.
    pub fn from_config(
        config: &Config,
        db: &DatabaseConnection,
        queues: &Queues,
    ) -> anyhow::Result<Option<EmailNotifier>> {
        let Some(email) = &config.email else {
            return Ok(None);
        };
        let links = Links::from_config(config);
        if links.is_none() {
            tracing::warn!(
                "EMAIL_HOST is set but PUBLIC_URL or JWT_SECRET is not: nobody can confirm an address, and alert emails carry no unsubscribe link"
            );
        }
        Ok(Some(EmailNotifier {
            db: db.clone(),
            queues: queues.clone(),
            mailer: Mailer::new(email)?,
            writer: config.openai.as_ref().map(Copywriter::new).transpose()?,
            links,
            affiliate_tag: config.amazon_affiliate_tag.clone(),
            model_budget: StdDuration::from_secs(config.delivery_lease_secs)
                .div_f64(3.0)
                .max(StdDuration::from_secs(1)),
        }))
    }
}

fn permanent(reason: impl Into<String>) -> SendError {
    SendError::Permanent {
        reason: reason.into(),
    }
}

fn transient(e: impl std::fmt::Display) -> SendError {
    SendError::Transient {
        reason: e.to_string(),
        retry_after: None,
    }
}

/// The first word of a display name, short, for "Hi Ada,".
fn first_name(user: &users::Model) -> Option<String> {
    let name = user.display_name.as_deref()?.split_whitespace().next()?;
    Some(name.chars().take(40).collect())
}

/// `<hash-of-key.alert@sender-domain>`: a retry of the same outbox row is the
/// same message to the receiving side.
fn message_id(key: &str, from: &lettre::message::Mailbox) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, key.as_bytes());
    let hex: String = digest.as_ref()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("<{hex}.alert@{}>", from.email.domain())
}

#[async_trait::async_trait]
impl Notifier for EmailNotifier {
    async fn send(&self, d: &Delivery) -> Result<(), SendError> {
        let Some(kind) = AlertKind::parse(&d.kind) else {
            return Err(permanent(format!("no email for alerts of kind {}", d.kind)));
        };
        let started = Instant::now();
        let p = &d.payload;
        let watch = match p.watch_id {
            Some(id) => watches::Entity::find_by_id(id)
                .one(&self.db)
                .await
                .map_err(transient)?,
            None => None,
        }
        .ok_or_else(|| permanent("the watch is gone"))?;
        let user = users::Entity::find_by_id(watch.user_id)
            .one(&self.db)
            .await
            .map_err(transient)?
            .ok_or_else(|| permanent("the user is gone"))?;
        let linked = user.email.as_deref() == Some(d.address.as_str())
            && user.email_verified_at.is_some()
            && user.email_bouncing_at.is_none();
        if !linked {
            return Err(permanent(
                "the address is no longer linked (unsubscribed, changed or bouncing)",
            ));
        }
        let Some(currency) = Currency::parse(&p.currency) else {
            return Err(permanent("unknown currency"));
        };
        let Some(url) = ProductRef::from_stored(&p.marketplace, &p.asin)
            .map(|r| r.buy_url(self.affiliate_tag.as_deref()))
        else {
            return Err(permanent("the product has no storefront/ASIN"));
        };
        let now = Utc::now();
        let points: Vec<(chrono::DateTime<Utc>, Option<i64>)> = price_points::Entity::find()
            .filter(price_points::Column::ProductId.eq(p.product_id))
            .filter(price_points::Column::ObservedAt.gte(now - Duration::days(90)))
            .order_by_asc(price_points::Column::ObservedAt)
            .all(&self.db)
            .await
            .map_err(transient)?
            .into_iter()
            .map(|pt| (pt.observed_at, pt.price_minor))
            .collect();
        let prices = points.iter().filter_map(|pt| pt.1).chain(p.new_price_minor);
        let (low, high) = prices.fold((None, None), |(lo, hi): (Option<i64>, Option<i64>), x| {
            (
                Some(lo.map_or(x, |l| l.min(x))),
                Some(hi.map_or(x, |h| h.max(x))),
            )
        });
        let locale = i18n::supported(Some(&p.locale));
        let facts = Facts {
            kind,
            locale,
            title: p.title.clone(),
            first_name: first_name(&user),
            currency,
            old_minor: p.old_price_minor,
            new_minor: p.new_price_minor,
            target_minor: p.target_minor,
            low_90d: low,
            high_90d: high,
            lowest_90d: p.lowest_90d,
        };

        // The words and the chart at the same time; neither can hold the alert.
        let chart = {
            let (title, target) = (p.title.clone(), p.target_minor);
            tokio::task::spawn_blocking(move || {
                render_png(&ChartInput {
                    title: &title,
                    currency,
                    style: i18n::number_style(locale),
                    points: &points,
                    now,
                    target_minor: target,
                    locale,
                })
            })
        };
        let words = async {
            match &self.writer {
                Some(w) => {
                    let draft = tokio::time::timeout(self.model_budget, w.draft(&facts))
                        .await
                        .ok()
                        .flatten()
                        .unwrap_or_default();
                    copy::merge(&facts, draft.subject.as_deref(), draft.paragraph.as_deref())
                }
                None => copy::template(&facts),
            }
        };
        let (words, chart) = tokio::join!(words, chart);
        let chart_png = match chart {
            Ok(Ok(png)) => Some(png),
            Ok(Err(e)) => {
                tracing::warn!(watch.id = watch.id, error = %e, "chart not rendered; sending without it");
                None
            }
            Err(e) => {
                tracing::warn!(watch.id = watch.id, error = %e, "chart task failed; sending without it");
                None
            }
        };
        let rendered_ms = started.elapsed().as_millis() as u64;

        let view = AlertView {
            facts: &facts,
            copy: &words,
            product_url: url,
            image_url: safe_image_url(p.image_url.as_deref()),
            unsubscribe_url: self
                .links
                .as_ref()
                .map(|l| l.unsubscribe_url(user.id, &d.address, now)),
            chart_png,
        };
        let to: lettre::Address = d
            .address
            .parse()
            .map_err(|_| permanent("the linked address does not parse"))?;
        let from = self.mailer.from();
        let message = alert_message(
            &view,
            from.clone(),
            lettre::message::Mailbox::new(None, to),
            message_id(&d.idempotency_key, &from),
        )
        .map_err(|e| permanent(format!("building the email: {e}")))?;
        match self.mailer.send(message).await {
            Ok(()) => {
                tracing::info!(
                    watch.id = watch.id,
                    user.id = user.id,
                    subject_by_model = words.subject_by_model,
                    paragraph_by_model = words.paragraph_by_model,
                    rendered_ms,
                    duration_ms = started.elapsed().as_millis() as u64,
                    "alert email sent"
                );
                Ok(())
            }
            Err(SmtpFailure::RecipientRefused(reason)) => {
                if let Err(e) = bounce::mark(&self.db, &self.queues, &d.address).await {
                    tracing::warn!(user.id = user.id, error = %format!("{e:#}"), "could not record a bounce");
                    return Err(transient(reason));
                }
                Err(permanent(format!("bounced: {reason}")))
            }
            Err(SmtpFailure::Transient(reason)) => Err(transient(reason)),
            Err(SmtpFailure::Permanent(reason)) => Err(permanent(reason)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_follow_the_outbox_key() {
        let from: lettre::message::Mailbox = "pw <alerts@example.com>".parse().unwrap();
        let a = message_id("w:1:pp:2:email", &from);
        assert_eq!(a, message_id("w:1:pp:2:email", &from));
        assert_ne!(a, message_id("w:1:pp:3:email", &from));
        assert!(
            a.starts_with('<') && a.ends_with(".alert@example.com>"),
            "{a}"
        );
    }
}
