//! A source replaced while the layer serves (feature `tower`): [`SharedSource`].

use std::sync::Arc;

use arc_swap::{ArcSwap, Guard};

use crate::Source;

/// A [`Source`] a long-running server replaces while it serves.
///
/// [`ClientIpLayer::shared`](crate::ClientIpLayer::shared) reads the current one for each
/// request, without a lock (an [`arc_swap::ArcSwap`] load, which allocates only the first time
/// a thread loads: a slot arc-swap keeps for it), and [`store`](Self::store) swaps in another.
/// A request already being resolved finishes with the source it started with; the next one
/// reads the new one. Clones share the source.
///
/// Its use: trusted ranges kept fresh without a restart. A task fetches a ranges file now and
/// then, builds a source from its lists (`RangesFile::ranges`, feature `lists`) and stores it; on
/// any failure it stores nothing, so the last good source stays in force and no request fails
/// (the `refresh_ranges` example). Swapping covers the sources built from ranges
/// ([`Source::x_forwarded_for`], [`Source::forwarded`]). A CDN's header ([`Source::header`]) is
/// bound to its writer by the lists in force when it was built, which only a ranges file
/// installed at start changes.
///
/// ```
/// use lambda_client_ip::{ClientIpLayer, ProxyCount, SharedSource, Source};
/// let shared = SharedSource::new(Source::default());
/// let layer = ClientIpLayer::shared(shared.clone());
/// // While `layer` serves: the requests from now on read X-Forwarded-For behind one proxy.
/// shared.store(Source::x_forwarded_for(ProxyCount::new(1).unwrap()));
/// assert_eq!(shared.load().to_string(), "X-Forwarded-For, 1 trusted proxy");
/// ```
#[derive(Debug, Clone, Default)]
pub struct SharedSource(Arc<ArcSwap<Source>>);

impl SharedSource {
    /// Holds `source` until another is stored.
    pub fn new(source: Source) -> Self {
        Self(Arc::new(ArcSwap::from_pointee(source)))
    }

    /// Replaces the source for every request that arrives afterwards, through every layer
    /// sharing it.
    pub fn store(&self, source: Source) {
        self.0.store(Arc::new(source));
    }

    /// The source in force now.
    pub fn load(&self) -> Arc<Source> {
        self.0.load_full()
    }

    /// The source in force now, for one request: no lock, no reference count touched.
    pub(crate) fn current(&self) -> Guard<Arc<Source>> {
        self.0.load()
    }
}
