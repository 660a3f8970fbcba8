//! Trace roots for the requests the server forwards: the arrival second and 96 bits that differ
//! for every request of the process ([`event::trace_root`] writes them out).

use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::event;

/// Hands out one trace root per request.
#[derive(Debug, Default)]
pub(super) struct TraceRoots {
    random: RandomState,
    counter: AtomicU64,
}

impl TraceRoots {
    /// The next request's root (`1-xxxxxxxx-…`), for a request that arrived at `time`.
    pub(super) fn next(&self, time: SystemTime) -> String {
        let seconds = time
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let random =
            u128::from(self.random.hash_one(n)) << 32 | u128::from(self.random.hash_one(!n));
        event::trace_root(u32::try_from(seconds).unwrap_or(u32::MAX), random)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn roots_carry_the_second_and_differ() {
        let roots = TraceRoots::default();
        let time = UNIX_EPOCH + Duration::from_secs(0x6789_1233);
        let (a, b) = (roots.next(time), roots.next(time));
        assert!(
            a.starts_with("1-67891233-") && b.starts_with("1-67891233-"),
            "{a} {b}"
        );
        assert_eq!(a.len(), 35);
        assert_ne!(a, b);
    }
}
