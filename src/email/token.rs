//! Signed links: the verification link and the unsubscribe link carry a
//! compact, HMAC-SHA256-signed token (keyed with `JWT_SECRET`) instead of a
//! database lookup key, so a forged or edited link is refused before any query.
//!
//! Wire form: `base64url(payload) "." base64url(tag)`, where the payload is
//! `purpose.user_id.subject.expires_unix` and the tag covers a versioned
//! prefix plus the payload. Verification is constant-time (`ring::hmac::verify`).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use ring::hmac;

/// Separates these MACs from any other use of the same secret.
const DOMAIN: &[u8] = b"pricewatch-email-link-v1:";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Confirms a pending address; `subject` is the verification row id.
    Verify,
    /// Stops alert emails; `subject` is [`address_tag`] of the address.
    Unsubscribe,
}

impl Purpose {
    fn code(self) -> &'static str {
        match self {
            Purpose::Verify => "v",
            Purpose::Unsubscribe => "u",
        }
    }

    fn from_code(s: &str) -> Option<Purpose> {
        match s {
            "v" => Some(Purpose::Verify),
            "u" => Some(Purpose::Unsubscribe),
            _ => None,
        }
    }
}

/// What a token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    pub purpose: Purpose,
    pub user_id: i64,
    pub subject: String,
    /// Unix seconds.
    pub expires: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the link is damaged or was not signed by us")]
    Invalid,
    #[error("the link has expired")]
    Expired,
}

fn key(secret: &[u8]) -> hmac::Key {
    hmac::Key::new(hmac::HMAC_SHA256, secret)
}

fn signed_bytes(payload: &str) -> Vec<u8> {
    let mut data = DOMAIN.to_vec();
    data.extend_from_slice(payload.as_bytes());
    data
}

/// The token for `claims`. `subject` must not contain a dot.
pub fn sign(secret: &[u8], claims: &Claims) -> String {
    let payload = format!(
        "{}.{}.{}.{}",
        claims.purpose.code(),
        claims.user_id,
        claims.subject,
        claims.expires
    );
    let tag = hmac::sign(&key(secret), &signed_bytes(&payload));
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(payload.as_bytes()),
        URL_SAFE_NO_PAD.encode(tag.as_ref())
    )
}

/// The claims of a token we signed for `purpose` that has not expired at `now`.
pub fn verify(
    secret: &[u8],
    token: &str,
    purpose: Purpose,
    now: DateTime<Utc>,
) -> Result<Claims, TokenError> {
    let (payload_b64, tag_b64) = token.trim().split_once('.').ok_or(TokenError::Invalid)?;
    let payload = URL_SAFE_NO_PAD
        .decode(payload_b64)
        .map_err(|_| TokenError::Invalid)?;
    let tag = URL_SAFE_NO_PAD
        .decode(tag_b64)
        .map_err(|_| TokenError::Invalid)?;
    let payload = String::from_utf8(payload).map_err(|_| TokenError::Invalid)?;
    hmac::verify(&key(secret), &signed_bytes(&payload), &tag).map_err(|_| TokenError::Invalid)?;
    // Signed by us, so the fields are well formed; parse defensively anyway.
    let mut parts = payload.split('.');
    let claims = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(p), Some(user), Some(subject), Some(exp)) if parts.next().is_none() => Claims {
            purpose: Purpose::from_code(p).ok_or(TokenError::Invalid)?,
            user_id: user.parse().map_err(|_| TokenError::Invalid)?,
            subject: subject.to_string(),
            expires: exp.parse().map_err(|_| TokenError::Invalid)?,
        },
        _ => return Err(TokenError::Invalid),
    };
    if claims.purpose != purpose {
        return Err(TokenError::Invalid);
    }
    if claims.expires <= now.timestamp() {
        return Err(TokenError::Expired);
    }
    Ok(claims)
}

/// A keyed fingerprint of an address (32 hex digits): lets a token name the
/// address without carrying it in the URL.
pub fn address_tag(secret: &[u8], address: &str) -> String {
    let data = format!("address:{}", address.to_ascii_lowercase());
    hex(&hmac::sign(&key(secret), data.as_bytes()).as_ref()[..16])
}

/// The stored form of a verification code: a keyed hash, bound to the user,
/// so a leaked table reveals no code.
pub fn code_hash(secret: &[u8], user_id: i64, code: &str) -> String {
    let data = format!("code:{user_id}:{code}");
    hex(hmac::sign(&key(secret), data.as_bytes()).as_ref())
}

/// Compares two code hashes in constant time.
pub fn same_hash(a: &str, b: &str) -> bool {
    // Re-MAC both with a throwaway key and let ring compare: constant-time
    // whatever the inputs' lengths.
    let k = key(b"pricewatch-compare");
    let tag = hmac::sign(&k, a.as_bytes());
    hmac::verify(&k, b.as_bytes(), tag.as_ref()).is_ok()
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn claims(purpose: Purpose, expires: i64) -> Claims {
        Claims {
            purpose,
            user_id: 42,
            subject: "7".into(),
            expires,
        }
    }

    #[test]
    fn a_signed_token_verifies_until_it_expires() {
        let now = Utc::now();
        let c = claims(Purpose::Verify, now.timestamp() + 60);
        let t = sign(SECRET, &c);
        assert!(
            t.chars()
                .all(|ch| ch.is_ascii_alphanumeric() || "-_.".contains(ch))
        );
        assert_eq!(verify(SECRET, &t, Purpose::Verify, now), Ok(c));
        let later = now + chrono::Duration::seconds(61);
        assert_eq!(
            verify(SECRET, &t, Purpose::Verify, later),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn forged_edited_or_misused_tokens_are_refused() {
        let now = Utc::now();
        let t = sign(SECRET, &claims(Purpose::Verify, now.timestamp() + 60));
        // Another secret.
        assert_eq!(
            verify(
                b"another-secret-another-secret-xx",
                &t,
                Purpose::Verify,
                now
            ),
            Err(TokenError::Invalid)
        );
        // A verification link is not an unsubscribe link.
        assert_eq!(
            verify(SECRET, &t, Purpose::Unsubscribe, now),
            Err(TokenError::Invalid)
        );
        // Someone else's user id in an otherwise valid payload.
        let (_, tag) = t.split_once('.').unwrap();
        let forged_payload = URL_SAFE_NO_PAD.encode(format!("v.43.7.{}", now.timestamp() + 60));
        let forged = format!("{forged_payload}.{tag}");
        assert_eq!(
            verify(SECRET, &forged, Purpose::Verify, now),
            Err(TokenError::Invalid)
        );
        for junk in ["", ".", "abc", "a.b.c", "%%%.%%%", &t[..t.len() - 2]] {
            assert_eq!(
                verify(SECRET, junk, Purpose::Verify, now),
                Err(TokenError::Invalid),
                "{junk}"
            );
        }
    }

    #[test]
    fn hashes_are_keyed_and_compared_whole() {
        let a = code_hash(SECRET, 1, "123456");
        assert_eq!(a.len(), 64);
        assert_ne!(a, code_hash(SECRET, 2, "123456"));
        assert_ne!(a, code_hash(b"x", 1, "123456"));
        assert!(same_hash(&a, &code_hash(SECRET, 1, "123456")));
        assert!(!same_hash(&a, &a[..63]));
        assert_eq!(
            address_tag(SECRET, "Bob@Example.com"),
            address_tag(SECRET, "bob@example.com")
        );
        assert_eq!(address_tag(SECRET, "a@b.co").len(), 32);
    }
}
