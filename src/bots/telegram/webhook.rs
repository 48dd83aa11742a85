//! The guard in front of teloxide's webhook route: the secret header is
//! compared, in constant time, before a byte of the body is read; the body
//! is bounded; and an update we cannot read is logged without its content,
//! since it may hold a person's message. Only readable updates reach
//! teloxide's listener.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use secrecy::{ExposeSecret, SecretString};

const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";
/// An update is a few kilobytes; this leaves ample room.
const MAX_BODY: usize = 1024 * 1024;

/// `router` (teloxide's webhook route) behind the secret check.
pub fn guard(router: axum::Router, secret: SecretString) -> axum::Router {
    router.layer(axum::middleware::from_fn_with_state(
        Arc::new(secret),
        check,
    ))
}

async fn check(State(secret): State<Arc<SecretString>>, req: Request, next: Next) -> Response {
    let given = req
        .headers()
        .get(SECRET_HEADER)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if !same_secret(given, secret.expose_secret().as_bytes()) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY) {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    if let Err(e) = serde_json::from_slice::<teloxide::types::Update>(&bytes) {
        // Where it broke, never what it said: serde's message quotes values.
        tracing::warn!(
            error.kind = ?e.classify(),
            error.line = e.line(),
            error.column = e.column(),
            body.bytes = bytes.len(),
            "unreadable Telegram update dropped (its content is not logged)"
        );
        // 200, so Telegram does not send it again and again.
        return StatusCode::OK.into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// Whether `given` equals `expected`, in a time that depends only on the
/// length of `expected`, so the answer's timing tells nothing about how
/// much of a guess was right.
fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    let mut diff = given.len() ^ expected.len();
    for (i, e) in expected.iter().enumerate() {
        diff |= usize::from(given.get(i).copied().unwrap_or(0) ^ e);
    }
    diff == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_secret_matches() {
        let secret = b"s3cret-token_value";
        assert!(same_secret(secret, secret));
        for guess in [
            &b""[..],
            b"s3cret-token_valu",
            b"s3cret-token_valuf",
            b"s3cret-token_value ",
            b"S3cret-token_value",
            b"s3cret-token_value\0",
        ] {
            assert!(!same_secret(guess, secret), "{guess:?}");
        }
    }
}
