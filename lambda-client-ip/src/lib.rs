#![doc = include_str!("../README.md")]

mod entry;
mod error;
mod explain;
mod forwarded;
mod policy;
mod preset;
mod source;

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
pub use explain::{
    Binding, CountAnswer, EXPLAINED_POSITIONS, ExplainedHop, Explanation, FrontDoorPeer, Suggestion,
};
pub use policy::{MAX_PROXY_COUNT, PolicyError, ProxyCount, TrustPolicy, TrustedRanges};
pub use preset::{Preset, UnknownPreset};
pub use source::{ClientIp, Peer, Source, VpcLink};

#[cfg(feature = "tower_governor")]
pub use governor::ClientIpKey;
#[cfg(feature = "lambda_http")]
pub use lambda::RequestClientIp;
#[cfg(feature = "tower")]
pub use layer::{ClientIpLayer, ClientIpRejection, ClientIpService};
