// Rustdoc reads these link definitions before the README's (the first definition of a label
// wins), so the crate's own docs link to their own items at this version; the README read alone,
// on GitHub or crates.io, keeps its absolute links. A feature's items are linked with it.
#![doc = include_str!("links/core.md")]
#![cfg_attr(feature = "env", doc = include_str!("links/env.md"))]
#![cfg_attr(feature = "lists", doc = include_str!("links/lists.md"))]
#![cfg_attr(feature = "lambda_http", doc = include_str!("links/lambda_http.md"))]
#![cfg_attr(feature = "tower", doc = include_str!("links/tower.md"))]
#![cfg_attr(feature = "tower_governor", doc = include_str!("links/tower_governor.md"))]
#![doc = include_str!("../README.md")]

// The layers, each importing only those before it (tests/layout.rs checks): networks (the census
// of networks, networks.txt) and names (near misses); entry and forwarded (parsing one entry);
// preset (the bundled lists, and which of them each trust slot takes) and ranges (the trusted
// networks); error; source (the evidence and its constructors); walk (the per-request resolver);
// lists (a ranges file); setting (the environment text); explain (the setup aid).
mod entry;
mod error;
mod forwarded;
mod names;
mod networks;
mod preset;
mod ranges;
mod source;
mod walk;

#[cfg(feature = "lists")]
mod lists;
#[cfg(feature = "env")]
mod setting;

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
#[cfg(feature = "lists")]
pub use lists::{RangesFile, RangesFileError};
pub use preset::{Preset, UnknownPreset};
pub use ranges::{MAX_PROXY_COUNT, PolicyError, ProxyCount, TrustPolicy, TrustedRanges};
#[cfg(feature = "env")]
pub use setting::{ANY_PRIVATE_ADDRESS, SettingError};
pub use source::{Source, VpcLink};
pub use walk::{ClientIp, Peer};

#[cfg(feature = "tower_governor")]
pub use governor::ClientIpKey;
#[cfg(feature = "lambda_http")]
pub use lambda::RequestClientIp;
#[cfg(feature = "tower")]
pub use layer::{ClientIpLayer, ClientIpRejection, ClientIpService, SharedSource};
