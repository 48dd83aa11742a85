//! Linking an address to a user: the verification email (a signed link and a
//! 6-digit code, both good for 24 hours, at most 3 emails a day), confirming
//! by code or by link, unlinking, and the one-click unsubscribe.
//!
//! Codes are stored only as keyed hashes; a verification row takes at most
//! [`MAX_CODE_ATTEMPTS`] wrong codes.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};

use super::address::EmailAddress;
use super::render::{CODE_MARK, LINK_MARK, simple_message};
use super::smtp::{Mailer, SmtpFailure};
use super::token::{self, Purpose, TokenError};
use super::{EmailLinkError, LinkOutcome, Links, VERIFY_VALID_FOR, missing_settings};
use crate::app::App;
use crate::i18n::{self, Key, t};
use crate::store::entities::{destinations, email_verifications, users};
use crate::tracking::{self, DestinationKind, DestinationRef};

/// Verification emails per user in any 24 hours.
pub const MAX_PER_DAY: u64 = 3;
/// Wrong codes one verification takes before it stops accepting any.
pub const MAX_CODE_ATTEMPTS: i32 = 5;

/// Six ASCII digits, nothing else (spaces around are fine).
pub fn looks_like_code(text: &str) -> bool {
    let t = text.trim();
    t.len() == 6 && t.bytes().all(|b| b.is_ascii_digit())
}

/// Sends a verification email for `address` to `user`.
pub async fn request_link(
    app: &App,
    user: &users::Model,
    address: &str,
) -> Result<LinkOutcome, EmailLinkError> {
    let address = EmailAddress::parse(address).ok_or(EmailLinkError::Invalid)?;
    let (Some(cfg), Some(links)) = (app.config.email.as_ref(), Links::from_config(&app.config))
    else {
        tracing::warn!(
            missing = %missing_settings(&app.config).join(", "),
            "a user asked for email alerts, but email is not configured"
        );
        return Err(EmailLinkError::NotConfigured);
    };
    let mailer = Mailer::new(cfg)?;
    let now = Utc::now();
    let code = format!("{:06}", rand::random_range(0..1_000_000u32));
    let expires = now + VERIFY_VALID_FOR;
    // Insert first, then count: two requests at once cannot both slip under
    // the limit.
    let row = email_verifications::ActiveModel {
        user_id: Set(user.id),
        address: Set(address.to_string()),
        code_hash: Set(token::code_hash(links.secret(), user.id, &code)),
        attempts: Set(0),
        expires_at: Set(expires),
        created_at: Set(now),
        used_at: Set(None),
        ..Default::default()
    }
    .insert(&app.db)
    .await?;
    let today = email_verifications::Entity::find()
        .filter(email_verifications::Column::UserId.eq(user.id))
        .filter(email_verifications::Column::CreatedAt.gt(now - chrono::Duration::days(1)))
        .count(&app.db)
        .await?;
    if today > MAX_PER_DAY {
        email_verifications::Entity::delete_by_id(row.id)
            .exec(&app.db)
            .await?;
        return Err(EmailLinkError::TooMany);
    }

    let locale = i18n::supported(Some(&user.locale));
    let link = links.verify_url(user.id, row.id, expires);
    let text = t(
        locale,
        Key::EmailVerifyBody,
        &[("link", LINK_MARK), ("code", CODE_MARK)],
    );
    let to =
        lettre::message::Mailbox::new(None, address.as_str().parse().map_err(anyhow::Error::from)?);
    let message = simple_message(
        mailer.from(),
        to,
        &t(locale, Key::EmailVerifySubject, &[]),
        &text,
        Some(&link),
        Some(&code),
    )
    .map_err(anyhow::Error::from)?;
    match mailer.send(message).await {
        Ok(()) => {
            supersede(app, user.id, Some(row.id), now).await?;
            tracing::info!(user.id = user.id, "verification email sent");
            Ok(LinkOutcome::Sent {
                address: address.to_string(),
            })
        }
        Err(e) => {
            // A refused recipient counts against the limit; our own trouble does not.
            if !matches!(e, SmtpFailure::RecipientRefused(_)) {
                email_verifications::Entity::delete_by_id(row.id)
                    .exec(&app.db)
                    .await?;
            }
            tracing::warn!(user.id = user.id, error = %e, "verification email not sent");
            Err(EmailLinkError::Send(e.to_string()))
        }
    }
}

/// The user's newest verification that still takes a code or a link.
async fn pending(
    app: &App,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<Option<email_verifications::Model>, sea_orm::DbErr> {
    email_verifications::Entity::find()
        .filter(email_verifications::Column::UserId.eq(user_id))
        .filter(email_verifications::Column::UsedAt.is_null())
        .filter(email_verifications::Column::ExpiresAt.gt(now))
        .order_by_desc(email_verifications::Column::Id)
        .one(&app.db)
        .await
}

/// True when the user has a verification waiting for its code, so a chat
/// message that [`looks_like_code`] should go to [`confirm_code`] (also
/// once it took too many wrong codes: the answer then says to start over).
pub async fn pending_code(app: &App, user: &users::Model) -> bool {
    match pending(app, user.id, Utc::now()).await {
        Ok(Some(_)) => true,
        Ok(None) => false,
        Err(e) => {
            tracing::warn!(user.id = user.id, error = %e, "could not look up a pending email code");
            false
        }
    }
}

/// Confirms the pending address with the 6-digit code from the email;
/// returns the address now linked.
pub async fn confirm_code(
    app: &App,
    user: &users::Model,
    code: &str,
) -> Result<String, EmailLinkError> {
    let Some(links) = Links::from_config(&app.config) else {
        return Err(EmailLinkError::NotConfigured);
    };
    if !looks_like_code(code) {
        return Err(EmailLinkError::BadCode);
    }
    let now = Utc::now();
    let Some(row) = pending(app, user.id, now).await? else {
        return Err(EmailLinkError::BadCode);
    };
    if row.attempts >= MAX_CODE_ATTEMPTS {
        return Err(EmailLinkError::CodeLocked);
    }
    let given = token::code_hash(links.secret(), user.id, code.trim());
    if !token::same_hash(&row.code_hash, &given) {
        let attempts = row.attempts;
        let mut m: email_verifications::ActiveModel = row.into();
        m.attempts = Set(attempts + 1);
        m.update(&app.db).await?;
        return Err(if attempts + 1 >= MAX_CODE_ATTEMPTS {
            EmailLinkError::CodeLocked
        } else {
            EmailLinkError::BadCode
        });
    }
    confirm(app, &row, now)
        .await?
        .ok_or(EmailLinkError::BadCode)
}

/// Why a link from an email did nothing.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// Forged, damaged, or for another purpose.
    #[error("invalid link")]
    Invalid,
    /// Expired, already used, or superseded by a newer verification.
    #[error("expired link")]
    Expired,
    #[error("email links are not configured")]
    NotConfigured,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sea_orm::DbErr> for LinkError {
    fn from(e: sea_orm::DbErr) -> Self {
        LinkError::Internal(e.into())
    }
}

impl From<TokenError> for LinkError {
    fn from(e: TokenError) -> Self {
        match e {
            TokenError::Invalid => LinkError::Invalid,
            TokenError::Expired => LinkError::Expired,
        }
    }
}

/// The verification a link names, with its user, while it can still be used.
pub async fn verification_for_link(
    app: &App,
    token: &str,
) -> Result<(email_verifications::Model, users::Model), LinkError> {
    let links = Links::from_config(&app.config).ok_or(LinkError::NotConfigured)?;
    let now = Utc::now();
    let claims = token::verify(links.secret(), token, Purpose::Verify, now)?;
    let id: i64 = claims.subject.parse().map_err(|_| LinkError::Invalid)?;
    let row = email_verifications::Entity::find_by_id(id)
        .one(&app.db)
        .await?
        .filter(|r| r.user_id == claims.user_id)
        .ok_or(LinkError::Invalid)?;
    if row.used_at.is_some() || row.expires_at <= now {
        return Err(LinkError::Expired);
    }
    let user = users::Entity::find_by_id(row.user_id)
        .one(&app.db)
        .await?
        .ok_or(LinkError::Invalid)?;
    Ok((row, user))
}

/// Confirms the address of a verification link.
pub async fn confirm_link(app: &App, token: &str) -> Result<users::Model, LinkError> {
    let (row, user) = verification_for_link(app, token).await?;
    confirm(app, &row, Utc::now())
        .await?
        .ok_or(LinkError::Expired)?;
    Ok(user)
}

/// Links `row`'s address to its user; `None` when another request used the
/// row first.
async fn confirm(
    app: &App,
    row: &email_verifications::Model,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<String>> {
    let claimed = email_verifications::Entity::update_many()
        .col_expr(email_verifications::Column::UsedAt, Expr::value(now))
        .filter(email_verifications::Column::Id.eq(row.id))
        .filter(email_verifications::Column::UsedAt.is_null())
        .exec(&app.db)
        .await?;
    if claimed.rows_affected != 1 {
        return Ok(None);
    }
    users::Entity::update_many()
        .col_expr(users::Column::Email, Expr::value(row.address.clone()))
        .col_expr(users::Column::EmailVerifiedAt, Expr::value(now))
        .col_expr(
            users::Column::EmailBouncingAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(users::Column::Id.eq(row.user_id))
        .exec(&app.db)
        .await?;
    // Fan-out finds the email destination by its address.
    let dest = DestinationRef {
        kind: DestinationKind::Email,
        address: row.address.clone(),
    };
    let dest = tracking::ensure_destination(app, &dest, Some(row.user_id))
        .await
        .map_err(|e| anyhow::anyhow!("email destination: {e}"))?;
    if dest.paused_at.is_some() {
        destinations::Entity::update_many()
            .col_expr(
                destinations::Column::PausedAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(
                destinations::Column::PausedReason,
                Expr::value(Option::<String>::None),
            )
            .filter(destinations::Column::Id.eq(dest.id))
            .exec(&app.db)
            .await?;
    }
    supersede(app, row.user_id, None, now).await?;
    tracing::info!(user.id = row.user_id, "email address confirmed");
    Ok(Some(row.address.clone()))
}

/// Retires the user's unused verifications, except `keep`.
async fn supersede(
    app: &App,
    user_id: i64,
    keep: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    let mut q = email_verifications::Entity::update_many()
        .col_expr(email_verifications::Column::UsedAt, Expr::value(now))
        .filter(email_verifications::Column::UserId.eq(user_id))
        .filter(email_verifications::Column::UsedAt.is_null());
    if let Some(id) = keep {
        q = q.filter(email_verifications::Column::Id.ne(id));
    }
    q.exec(&app.db).await?;
    Ok(())
}

/// `/email off`: no more email alerts, and pending codes stop working.
pub async fn unlink(app: &App, user: &users::Model) -> anyhow::Result<()> {
    unlink_user(app, user.id).await
}

async fn unlink_user(app: &App, user_id: i64) -> anyhow::Result<()> {
    users::Entity::update_many()
        .col_expr(users::Column::Email, Expr::value(Option::<String>::None))
        .col_expr(
            users::Column::EmailVerifiedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            users::Column::EmailBouncingAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(users::Column::Id.eq(user_id))
        .exec(&app.db)
        .await?;
    supersede(app, user_id, None, Utc::now()).await?;
    tracing::info!(user.id = user_id, "email alerts turned off");
    Ok(())
}

/// The user an unsubscribe link names, and whether the address it was sent
/// to is still the one linked (otherwise there is nothing left to stop).
pub async fn unsubscribe_target(app: &App, token: &str) -> Result<(users::Model, bool), LinkError> {
    let links = Links::from_config(&app.config).ok_or(LinkError::NotConfigured)?;
    let claims = token::verify(links.secret(), token, Purpose::Unsubscribe, Utc::now())?;
    let user = users::Entity::find_by_id(claims.user_id)
        .one(&app.db)
        .await?
        .ok_or(LinkError::Invalid)?;
    let current = user
        .email
        .as_deref()
        .is_some_and(|a| token::same_hash(&token::address_tag(links.secret(), a), &claims.subject));
    Ok((user, current))
}

/// One-click unsubscribe (RFC 8058): stops alert emails to the address the
/// link was sent to. Idempotent.
pub async fn unsubscribe(app: &App, token: &str) -> Result<users::Model, LinkError> {
    let (user, current) = unsubscribe_target(app, token).await?;
    if current {
        unlink_user(app, user.id).await?;
    }
    Ok(user)
}
