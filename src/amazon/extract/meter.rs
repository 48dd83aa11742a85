//! The reader's work limit: every element a reader visits (walking down a
//! subtree, up the ancestors, along an accordion's rows, through text) is
//! counted, and once a read has used its allowance the walks come up empty
//! and the page is refused as too complex.
//!
//! The depth and element limits alone leave a product of the two (a
//! candidate price searched per ancestor, an accordion's rows per row), so
//! the count bounds what they cannot. The meter is per thread: one read runs
//! on one thread from start to end ([`within`]), and a walk outside a read
//! (a unit test asking for an element's text) is never limited.

use std::cell::Cell;

/// Elements a read may visit per element of the page, on top of
/// [`BASE_VISITS`]. Real pages use under 1 (see `bench pages`).
pub(super) const VISITS_PER_ELEMENT: u64 = 10;

/// Visits every read may use, however small the page.
pub(super) const BASE_VISITS: u64 = 100_000;

thread_local! {
    /// Visits left in the read running on this thread, if one is.
    static LEFT: Cell<Option<u64>> = const { Cell::new(None) };
    /// Whether the running read ran out.
    static SPENT: Cell<bool> = const { Cell::new(false) };
}

/// The allowance for a page of `elements` elements.
pub(super) fn allowance(elements: usize) -> u64 {
    BASE_VISITS.saturating_add(VISITS_PER_ELEMENT.saturating_mul(elements as u64))
}

/// Runs one read with `allowance` visits. Returns what it produced and the
/// visits it used, or `None` when it ran out (its answer then rests on
/// walks cut short, and is not an answer).
pub(super) fn within<T>(allowance: u64, read: impl FnOnce() -> T) -> Option<(T, u64)> {
    /// Ends the read's metering even if `read` unwinds.
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            LEFT.set(None);
            SPENT.set(false);
        }
    }
    let _reset = Reset;
    LEFT.set(Some(allowance));
    SPENT.set(false);
    let out = read();
    let left = LEFT.get().unwrap_or(0);
    (!SPENT.get()).then(|| (out, allowance.saturating_sub(left)))
}

/// Counts one visit; false once the running read has used its allowance.
pub(super) fn visit() -> bool {
    match LEFT.get() {
        None => true,
        Some(0) => {
            SPENT.set(true);
            false
        }
        Some(n) => {
            LEFT.set(Some(n - 1));
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_that_runs_out_has_no_answer() {
        let walk = |n: usize| (0..n).take_while(|_| visit()).count();
        assert_eq!(within(10, || walk(5)), Some((5, 5)));
        assert_eq!(within(10, || walk(50)), None);
        // Outside a read nothing is limited, and the last read left no trace.
        assert_eq!(walk(50), 50);
        assert_eq!(within(10, || walk(10)), Some((10, 10)));
    }
}
