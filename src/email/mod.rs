//! Email alerts (issue #6): linking an address from chat (`/email`), the
//! verification link and 6-digit code, the alert email itself (text + HTML,
//! inline chart, one-click unsubscribe), words written by a language model
//! with a template fallback, and bounces.
//!
//! The bots call [`request_link`], [`confirm_code`], [`unlink`] and
//! [`pending_code`]; `App::build` registers [`EmailNotifier`] for the `email`
//! channel of the outbox; `http` serves the links in the emails.

pub mod address;
pub mod ai;
mod bounce;
pub mod copy;
pub mod guard;
pub mod http;
mod link;
mod notifier;
pub mod render;
pub mod smtp;
pub mod token;

use chrono::{DateTime, Utc};
use secrecy::ExposeSecret;

use crate::config::Config;

pub use link::{confirm_code, looks_like_code, pending_code, request_link, unlink};
pub use notifier::EmailNotifier;

/// What `/email <address>` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkOutcome {
    /// A verification email went to `address` (normalised: trimmed, domain
    /// lower-cased). The reply should say so, with [`crate::i18n::Key::EmailCodeHint`].
    Sent { address: String },
}

/// Why linking did not work; each has a chat text
/// (`email.invalid`, `email.too_many`, `email.not_configured`,
/// `email.bad_code`, `email.send_failed`, `error.generic`).
#[derive(Debug, thiserror::Error)]
pub enum EmailLinkError {
    #[error("not an email address")]
    Invalid,
    #[error("3 verification emails were sent today already")]
    TooMany,
    #[error("email is not configured (EMAIL_HOST, JWT_SECRET and PUBLIC_URL are needed)")]
    NotConfigured,
    #[error("wrong or expired code")]
    BadCode,
    /// Too many wrong codes: the pending verification takes none any more;
    /// a new `/email` starts over.
    #[error("too many wrong codes")]
    CodeLocked,
    /// The SMTP server refused or was unreachable. Never holds the address.
    #[error("sending failed: {0}")]
    Send(String),
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl From<sea_orm::DbErr> for EmailLinkError {
    fn from(e: sea_orm::DbErr) -> Self {
        EmailLinkError::Internal(e.into())
    }
}

/// How long a verification link and code work.
pub const VERIFY_VALID_FOR: chrono::Duration = chrono::Duration::hours(24);
/// How long an unsubscribe link works: mail providers may call it weeks later.
pub const UNSUBSCRIBE_VALID_FOR: chrono::Duration = chrono::Duration::days(180);

/// `PUBLIC_URL` and `JWT_SECRET`: what signed links need.
#[derive(Clone)]
pub struct Links {
    base: String,
    secret: Vec<u8>,
}

impl Links {
    pub fn from_config(config: &Config) -> Option<Links> {
        Some(Links {
            base: config
                .public_url
                .as_ref()?
                .as_str()
                .trim_end_matches('/')
                .to_string(),
            secret: config
                .jwt_secret
                .as_ref()?
                .expose_secret()
                .as_bytes()
                .to_vec(),
        })
    }

    pub(crate) fn secret(&self) -> &[u8] {
        &self.secret
    }

    pub fn verify_url(&self, user_id: i64, verification_id: i64, expires: DateTime<Utc>) -> String {
        let claims = token::Claims {
            purpose: token::Purpose::Verify,
            user_id,
            subject: verification_id.to_string(),
            expires: expires.timestamp(),
        };
        format!(
            "{}/email/verify?token={}",
            self.base,
            token::sign(&self.secret, &claims)
        )
    }

    pub fn unsubscribe_url(&self, user_id: i64, address: &str, now: DateTime<Utc>) -> String {
        let claims = token::Claims {
            purpose: token::Purpose::Unsubscribe,
            user_id,
            subject: token::address_tag(&self.secret, address),
            expires: (now + UNSUBSCRIBE_VALID_FOR).timestamp(),
        };
        format!(
            "{}/email/unsubscribe?token={}",
            self.base,
            token::sign(&self.secret, &claims)
        )
    }
}

/// The variables email linking needs that are missing, for the operator.
fn missing_settings(config: &Config) -> Vec<&'static str> {
    let mut missing = Vec::new();
    if config.email.is_none() {
        missing.push("EMAIL_HOST");
    }
    if config.jwt_secret.is_none() {
        missing.push("JWT_SECRET");
    }
    if config.public_url.is_none() {
        missing.push("PUBLIC_URL");
    }
    missing
}
