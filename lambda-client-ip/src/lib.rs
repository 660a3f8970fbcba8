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
