//! The links in our emails.
//!
//! - `GET /email/verify?token=…` shows the address and a confirm button;
//!   `POST` (the button) links it. A GET changes nothing, so a mail
//!   scanner that opens links cannot confirm an address for someone else.
//! - `GET /email/unsubscribe?token=…` shows a confirm button; `POST` stops
//!   alert emails. The POST is also RFC 8058 one-click unsubscribe: mail
//!   providers send `List-Unsubscribe=One-Click` to the URL from the
//!   `List-Unsubscribe` header, token in the query.
//!
//! A forged, damaged or expired token gets 400 and a page saying so.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use super::link::{self, LinkError};
use super::render::escape;
use crate::app::App;
use crate::i18n::{self, Key, t};

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/email/verify", get(verify_page).post(verify))
        .route(
            "/email/unsubscribe",
            get(unsubscribe_page).post(unsubscribe),
        )
}

#[derive(Debug, Deserialize)]
struct TokenQuery {
    #[serde(default)]
    token: String,
}

/// The reader's language from `Accept-Language`, for pages about links we
/// could not read.
fn browser_locale(headers: &HeaderMap) -> &'static str {
    let first = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .and_then(|v| v.split(';').next());
    i18n::supported(first)
}

/// A small self-contained page: a message and, optionally, a form that
/// POSTs back to `action` with one button.
fn page(status: StatusCode, locale: &str, message: &str, form: Option<(&str, &str)>) -> Response {
    let form = form.map_or_else(String::new, |(action, button)| {
        format!(
            "<form method=\"post\" action=\"{}\">\
             <button type=\"submit\" style=\"font-size:16px;padding:10px 22px;border:0;border-radius:6px;\
             background:#f59e0b;color:#111827;font-weight:bold;cursor:pointer\">{}</button></form>",
            escape(action),
            escape(button)
        )
    });
    let body = format!(
        "<!DOCTYPE html>\n<html lang=\"{locale}\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<meta name=\"robots\" content=\"noindex\"><title>pricewatch</title></head>\n\
<body style=\"font-family:Arial,Helvetica,sans-serif;color:#1f2937;max-width:520px;margin:48px auto;padding:0 16px\">\n\
<p style=\"font-size:18px;line-height:1.5\">{}</p>\n{form}\n</body></html>\n",
        escape(message)
    );
    (
        status,
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        Html(body),
    )
        .into_response()
}

fn refused(e: &LinkError, locale: &str, expired_key: Key) -> Response {
    match e {
        LinkError::Invalid => page(
            StatusCode::BAD_REQUEST,
            locale,
            &t(locale, Key::EmailLinkInvalid, &[]),
            None,
        ),
        LinkError::Expired => page(
            StatusCode::BAD_REQUEST,
            locale,
            &t(locale, expired_key, &[]),
            None,
        ),
        LinkError::NotConfigured => page(
            StatusCode::SERVICE_UNAVAILABLE,
            locale,
            &t(locale, Key::EmailNotConfigured, &[]),
            None,
        ),
        LinkError::Internal(err) => {
            tracing::warn!(error = %format!("{err:#}"), "email link failed");
            page(
                StatusCode::INTERNAL_SERVER_ERROR,
                locale,
                &t(locale, Key::ErrorGeneric, &[]),
                None,
            )
        }
    }
}

/// Where the confirm button posts: this path with the same token.
fn action(path: &str, token: &str) -> String {
    let token: String = url::form_urlencoded::byte_serialize(token.as_bytes()).collect();
    format!("{path}?token={token}")
}

async fn verify_page(
    State(app): State<Arc<App>>,
    Query(q): Query<TokenQuery>,
    headers: HeaderMap,
) -> Response {
    match link::verification_for_link(&app, &q.token).await {
        Ok((row, user)) => {
            let locale = i18n::supported(Some(&user.locale));
            page(
                StatusCode::OK,
                locale,
                &t(locale, Key::EmailVerifyConfirm, &[("email", &row.address)]),
                Some((
                    &action("/email/verify", &q.token),
                    &t(locale, Key::EmailVerifyButton, &[]),
                )),
            )
        }
        Err(e) => refused(&e, browser_locale(&headers), Key::EmailLinkExpired),
    }
}

async fn verify(
    State(app): State<Arc<App>>,
    Query(q): Query<TokenQuery>,
    headers: HeaderMap,
) -> Response {
    match link::confirm_link(&app, &q.token).await {
        Ok(user) => {
            let locale = i18n::supported(Some(&user.locale));
            page(
                StatusCode::OK,
                locale,
                &t(locale, Key::EmailVerified, &[]),
                None,
            )
        }
        Err(e) => refused(&e, browser_locale(&headers), Key::EmailLinkExpired),
    }
}

async fn unsubscribe_page(
    State(app): State<Arc<App>>,
    Query(q): Query<TokenQuery>,
    headers: HeaderMap,
) -> Response {
    match link::unsubscribe_target(&app, &q.token).await {
        Ok((user, current)) => {
            let locale = i18n::supported(Some(&user.locale));
            match user.email.as_deref().filter(|_| current) {
                Some(address) => page(
                    StatusCode::OK,
                    locale,
                    &t(locale, Key::EmailUnsubscribeConfirm, &[("email", address)]),
                    Some((
                        &action("/email/unsubscribe", &q.token),
                        &t(locale, Key::EmailUnsubscribeButton, &[]),
                    )),
                ),
                // That address gets no alerts any more: nothing to confirm.
                None => page(
                    StatusCode::OK,
                    locale,
                    &t(locale, Key::EmailUnsubscribed, &[]),
                    None,
                ),
            }
        }
        Err(e) => refused(&e, browser_locale(&headers), Key::EmailLinkInvalid),
    }
}

async fn unsubscribe(
    State(app): State<Arc<App>>,
    Query(q): Query<TokenQuery>,
    headers: HeaderMap,
) -> Response {
    match link::unsubscribe(&app, &q.token).await {
        Ok(user) => {
            let locale = i18n::supported(Some(&user.locale));
            page(
                StatusCode::OK,
                locale,
                &t(locale, Key::EmailUnsubscribed, &[]),
                None,
            )
        }
        Err(e) => refused(&e, browser_locale(&headers), Key::EmailLinkInvalid),
    }
}
