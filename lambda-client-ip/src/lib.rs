// Rustdoc reads these link definitions before the README's (the first definition of a label
// wins), so the crate's own docs link to their own items at this version; the README read alone,
// on GitHub or crates.io, keeps its absolute links.
#![doc = "[`Source`]: crate::Source"]
#![doc = "[`Source::from_lookup`]: crate::Source::from_lookup"]
#![doc = "[`ResolveError`]: crate::ResolveError"]
#![doc = "[`SourceError`]: crate::SourceError"]
#![doc = "[`SettingError`]: crate::SettingError"]
#![doc = "[`Preset`]: crate::Preset"]
#![doc = "[`Peer`]: crate::Peer"]
#![doc = "[`Peer::Appended`]: crate::Peer::Appended"]
#![doc = "[`Peer::AppendedAndReported`]: crate::Peer::AppendedAndReported"]
#![doc = "[`Peer::Socket`]: crate::Peer::Socket"]
#![doc = "[`ClientIp`]: crate::ClientIp"]
#![cfg_attr(
    feature = "lambda_http",
    doc = "[`RequestClientIp`]: crate::lambda::RequestClientIp"
)]
#![cfg_attr(
    feature = "tower",
    doc = "[`ClientIpLayer`]: crate::layer::ClientIpLayer"
)]
#![cfg_attr(
    feature = "tower",
    doc = "[`ClientIpRejection`]: crate::layer::ClientIpRejection"
)]
#![cfg_attr(
    feature = "tower_governor",
    doc = "[`ClientIpKey`]: crate::governor::ClientIpKey"
)]
#![doc = include_str!("../README.md")]

// The layers, each importing only those before it (tests/layout.rs checks): networks (private
// and special-purpose space) and names (near misses); entry and forwarded (parsing one entry);
// preset and ranges (the trusted networks); error; source (the evidence and its constructors);
// walk (the per-request resolver); setting (the environment text); explain (the setup aid).
mod entry;
mod error;
mod forwarded;
mod names;
mod networks;
mod preset;
mod ranges;
mod setting;
mod source;
mod walk;

#[cfg(feature = "explain")]
mod explain;

#[cfg(feature = "axum")]
pub mod axum;
#[cfg(feature = "tower_governor")]
pub mod governor;
#[cfg(feature = "lambda_http")]
pub mod lambda;
#[cfg(feature = "tower")]
pub mod layer;

pub use entry::parse_entry;
pub use error::{ResolveError, SourceError};
#[cfg(feature = "explain")]
pub use explain::{
    Binding, CountAnswer, EXPLAINED_POSITIONS, ExplainedHop, Explanation, FrontDoorPeer, Suggestion,
};
pub use preset::{Preset, UnknownPreset};
pub use ranges::{MAX_PROXY_COUNT, PolicyError, ProxyCount, TrustPolicy, TrustedRanges};
pub use setting::SettingError;
pub use source::{Source, VpcLink};
pub use walk::{ClientIp, Peer};

#[cfg(feature = "tower_governor")]
pub use governor::ClientIpKey;
#[cfg(feature = "lambda_http")]
pub use lambda::RequestClientIp;
#[cfg(feature = "tower")]
pub use layer::{ClientIpLayer, ClientIpRejection, ClientIpService};
