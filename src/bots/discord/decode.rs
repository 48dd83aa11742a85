//! Reading an interaction body into serenity's `Interaction`.
//!
//! serenity's deserializers can panic on input Discord would never send
//! (serenity 0.12.5 slices a 32-byte avatar hash at byte offsets, so one with
//! a multi-byte character panics), and the body has only been checked for a
//! signature by then. A body that panics the decoder is refused like any
//! other unreadable body, instead of dropping the connection mid-request.

use std::panic::{AssertUnwindSafe, catch_unwind};

use serenity::all::Interaction;

/// Why an interaction body could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("{0}")]
    Json(#[from] serde_json::Error),
    #[error("the interaction decoder panicked")]
    Panicked,
}

/// The interaction in `body`, or why it is unreadable. Never panics.
pub fn interaction(body: &[u8]) -> Result<Interaction, DecodeError> {
    match catch_unwind(AssertUnwindSafe(|| {
        serde_json::from_slice::<Interaction>(body)
    })) {
        Ok(parsed) => Ok(parsed?),
        Err(_) => Err(DecodeError::Panicked),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ping whose user has a 32-byte avatar hash with a two-byte
    /// character at bytes 25..27 (found by `cargo fuzz run discord`).
    fn ping_with_avatar(avatar: &str) -> String {
        serde_json::json!({
            "type": 1,
            "id": "1409514738479665318",
            "application_id": "1360871728770846733",
            "token": "t",
            "version": 1,
            "attachment_size_limit": 10485760,
            "user": {"id": "506759329068613643", "username": "u", "avatar": avatar,
                     "discriminator": "0", "global_name": null},
        })
        .to_string()
    }

    #[test]
    fn a_hash_that_panics_serenity_is_unreadable() {
        let bad = ping_with_avatar("0c901cb92b1ff3d05fc8dac51\u{313}e60eb");
        assert_eq!(bad.len() - ping_with_avatar("").len(), 32);
        assert!(matches!(
            interaction(bad.as_bytes()),
            Err(DecodeError::Panicked)
        ));
    }

    #[test]
    fn a_good_ping_still_reads() {
        let good = ping_with_avatar("0c901cb92b1ff3d05fc8dac51e60eb00");
        assert!(matches!(
            interaction(good.as_bytes()),
            Ok(Interaction::Ping(_))
        ));
        assert!(matches!(
            interaction(b"{\"type\": 1"),
            Err(DecodeError::Json(_))
        ));
    }
}
