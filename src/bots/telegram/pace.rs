//! Telegram's per-minute limit for basic groups, which teloxide's throttle
//! cannot see.
//!
//! The throttle tells chats apart by id alone: supergroups and channels
//! (ids below −10¹²) get `messages_per_min_channel_or_supergroup`, while
//! private chats *and* basic groups share `messages_per_min_chat`. So the
//! limits we give it ([`crate::app::Tuning`]) let private chats run at the
//! per-second pace (Telegram's ~1 a second), and basic groups are held to
//! the group limit here, before each send.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use teloxide::types::ChatId;

const MINUTE: Duration = Duration::from_secs(60);

/// Messages a minute per group, set with the process's Bot API client
/// ([`super::client`]). Not read back from the throttle: its `limits()`
/// is only answered while requests flow, so it can wait forever.
static GROUP_PER_MIN: AtomicU32 = AtomicU32::new(20);

pub fn set_group_limit(per_min: u32) {
    GROUP_PER_MIN.store(per_min, Ordering::Relaxed);
}

/// When each basic group was last sent to, within the last minute.
static SENT: LazyLock<Mutex<HashMap<ChatId, VecDeque<Instant>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// A group that is neither a supergroup nor a channel (negative id above −10¹²).
pub fn is_basic_group(chat: ChatId) -> bool {
    chat.0 < 0 && !chat.is_channel_or_supergroup()
}

/// Waits until `chat` may be sent another message: at once for private
/// chats, supergroups and channels (the throttle paces those), and within
/// the group limit for basic groups.
pub async fn before_send(chat: ChatId) {
    if !is_basic_group(chat) {
        return;
    }
    let per_min = GROUP_PER_MIN.load(Ordering::Relaxed);
    loop {
        let wait = {
            let mut sent = SENT.lock().unwrap_or_else(|e| e.into_inner());
            let times = sent.entry(chat).or_default();
            take_slot(times, Instant::now(), per_min)
        };
        match wait {
            None => return,
            Some(d) => tokio::time::sleep(d).await,
        }
    }
}

/// Records a send at `now` and returns `None` when fewer than `per_min`
/// went out in the minute before; else how long until the oldest of them
/// leaves the window.
fn take_slot(sent: &mut VecDeque<Instant>, now: Instant, per_min: u32) -> Option<Duration> {
    while sent
        .front()
        .is_some_and(|t| now.saturating_duration_since(*t) >= MINUTE)
    {
        sent.pop_front();
    }
    if sent.len() < usize::try_from(per_min).unwrap_or(usize::MAX) {
        sent.push_back(now);
        return None;
    }
    let oldest = sent.front().copied().unwrap_or(now);
    Some(
        (oldest + MINUTE)
            .saturating_duration_since(now)
            .max(Duration::from_millis(10)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_basic_groups_are_paced_here() {
        assert!(!is_basic_group(ChatId(4242)), "private chat");
        assert!(is_basic_group(ChatId(-4_009_329_427)), "basic group");
        assert!(!is_basic_group(ChatId(-1_001_234_567_890)), "supergroup");
    }

    #[test]
    fn twenty_a_minute_then_wait_for_the_oldest() {
        let start = Instant::now();
        let mut sent = VecDeque::new();
        for i in 0..20 {
            let at = start + Duration::from_secs(i);
            assert_eq!(take_slot(&mut sent, at, 20), None, "message {i}");
        }
        let at = start + Duration::from_secs(20);
        assert_eq!(take_slot(&mut sent, at, 20), Some(Duration::from_secs(40)));
        // A minute after the first, one slot is free again.
        let at = start + Duration::from_secs(60);
        assert_eq!(take_slot(&mut sent, at, 20), None);
        assert_eq!(sent.len(), 20);
    }
}
