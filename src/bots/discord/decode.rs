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

    /// The shared fixture's DM `/track` command, its user's avatar hash
    /// replaced (`None` outside CI when the fixtures are missing).
    fn command_with_avatar(avatar: &str) -> Option<String> {
        let dir = crate::test_support::fixtures_dir()?.join("discord");
        let raw =
            std::fs::read_to_string(dir.join("application_command_dm_number_option.adapted.json"))
                .ok()?;
        let mut v: serde_json::Value = serde_json::from_str(&raw).ok()?;
        v["user"]["avatar"] = serde_json::json!(avatar);
        Some(v.to_string())
    }

    #[test]
    fn a_hash_that_panics_serenity_is_unreadable() {
        // 32 bytes with a two-byte character at bytes 25..27 (found by
        // `cargo fuzz run discord`).
        let hash = "0c901cb92b1ff3d05fc8dac51\u{313}e60eb";
        assert_eq!(hash.len(), 32);
        let (Some(bad), Some(good)) = (
            command_with_avatar(hash),
            command_with_avatar("0c901cb92b1ff3d05fc8dac51e60eb00"),
        ) else {
            return;
        };
        assert!(matches!(
            interaction(good.as_bytes()),
            Ok(Interaction::Command(_))
        ));
        assert!(matches!(
            interaction(bad.as_bytes()),
            Err(DecodeError::Panicked)
        ));
    }

    #[test]
    fn broken_json_is_a_json_error() {
        assert!(matches!(
            interaction(b"{\"type\": 1"),
            Err(DecodeError::Json(_))
        ));
    }
}
