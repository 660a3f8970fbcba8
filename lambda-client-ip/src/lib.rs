//! The client address your own infrastructure vouches for, on AWS Lambda behind an Application
//! Load Balancer, API Gateway or a Function URL, or in any `http`/`tower` app.
//!
//! ```no_run
//! # #[cfg(feature = "lambda_http")]
//! # async fn handler(request: lambda_http::Request) -> Result<(), lambda_http::Error> {
//! use lambda_client_ip::{RequestClientIp, TrustPolicy};
//! let client = request.client_ip(&TrustPolicy::default())?;
//! println!("{} (port {:?})", client.ip(), client.port());
//! # Ok(()) }
//! ```
//!
//! Behind a load balancer a function never sees a socket. The only record of who connected is
//! X-Forwarded-For, and everything left of the entries your own infrastructure appended was
//! written by the client: the popular "take the first entry" lets anyone claim any address. This
//! crate reads the chain **from the right**, as far as a [`TrustPolicy`] says your infrastructure
//! wrote it, and answers a canonical address or a [`ResolveError`] with a stable code. It never
//! guesses.
//!
//! # Choosing a policy
//! - [`TrustPolicy::Count`]: `N` proxies of yours stand in front of the front door, and it cannot
//!   be reached around them. `0` (the default) trusts only the front door itself.
//! - [`TrustPolicy::Ranges`]: your proxies' (or your CDN's) address ranges. An entry is believed
//!   only when a peer inside them wrote it, so a caller who goes around the proxies still gets
//!   their own address. Prefer it when the ranges are known. A CDN's published ranges are
//!   bundled as [`Preset`]s: `"cloudfront"` or `"cloudflare"` in the list stands for them.
//!
//! Both policies are validated when built ([`ProxyCount`] and [`TrustedRanges`] parse from the
//! text an environment variable holds), so resolving fails only because of the request.
//!
//! Where X-Forwarded-For is not the record: [`ClientHeader`] reads a CDN's single-address header,
//! believed only from a peer inside the CDN's ranges, and [`resolve_forwarded`] reads RFC 7239
//! `Forwarded` by count (API Gateway HTTP API → VPC link → internal ALB).
//!
//! # Positions
//! Entries are numbered from the right, starting at 0. With no peer address (an ALB appends its
//! TCP peer to X-Forwarded-For itself) position 0 is the chain's last entry; with a peer (you have
//! the socket) the peer is position 0 and the chain starts at 1. An entry that is not an address
//! keeps its position and is an error only if the policy has to read it.
//!
//! # The core, with no dependency but `ipnet`
//! ```
//! use lambda_client_ip::{resolve, ProxyCount, TrustPolicy};
//!
//! // client → proxy → proxy → ALB: the ALB appended 150.172.238.178, the proxy it saw.
//! let chain = ["203.0.113.195, 70.41.3.18, 150.172.238.178"];
//! assert_eq!(resolve(chain, None, &TrustPolicy::default())?.to_string(), "150.172.238.178");
//!
//! // Only when both proxies are yours is the leftmost entry the client.
//! let both_yours = TrustPolicy::Count(ProxyCount::new(2).unwrap());
//! assert_eq!(resolve(chain, None, &both_yours)?.to_string(), "203.0.113.195");
//! # Ok::<(), lambda_client_ip::ResolveError>(())
//! ```
//!
//! # Examples
//! - [`examples/axum_lambda.rs`][axum]: an axum app on `lambda_http` behind `ClientIpLayer`,
//!   tested with AWS's sample events for every front door;
//! - [`examples/rate_limit_key.rs`][rate]: a `governor` rate limiter keyed by the resolved
//!   address, never by a shared fallback;
//! - [the `alb-client-ip` function][function]: a plain `lambda_runtime` handler on
//!   `aws_lambda_events` types that calls [`resolve`] on the ALB event's X-Forwarded-For values.
//!
//! [axum]: https://github.com/alb-client-ip/alb-client-ip/blob/main/lambda-client-ip/examples/axum_lambda.rs
//! [rate]: https://github.com/alb-client-ip/alb-client-ip/blob/main/lambda-client-ip/examples/rate_limit_key.rs
//! [function]: https://github.com/alb-client-ip/alb-client-ip/blob/main/src/handler.rs
//!
//! # Features
//! | feature | adds | dependencies |
//! |---|---|---|
//! | (default) | [`resolve`], the policies, the [`Preset`]s, [`ClientHeader`], [`resolve_forwarded`], [`parse_entry`] | `ipnet` |
//! | `http` | `resolve_headers`: from an `http::HeaderMap` | `http` |
//! | `lambda_http` | `RequestClientIp`: the front door read from `lambda_http`'s request context | `lambda_http` |
//! | `tower` | `ClientIpLayer`: resolve once per request into its extensions (axum, `lambda_http`) | `tower-layer`, `tower-service` |
#![cfg_attr(docsrs, feature(doc_cfg))]

mod client_header;
mod explain;
mod forwarded;
mod policy;
mod preset;
mod resolve;

#[cfg(feature = "http")]
mod headers;
#[cfg(feature = "lambda_http")]
mod lambda;
#[cfg(feature = "tower")]
mod layer;

pub use client_header::ClientHeader;
pub use explain::{ExplainedEntry, Explanation, Suggestion, Writer, explain};
pub use forwarded::resolve_forwarded;
pub use policy::{MAX_PROXY_COUNT, PolicyError, ProxyCount, TrustPolicy, TrustedRanges};
pub use preset::{Preset, UnknownPreset};
pub use resolve::{ClientIp, ResolveError, parse_entry, resolve};

#[cfg(feature = "http")]
pub use headers::{X_FORWARDED_FOR, resolve_headers};
#[cfg(feature = "lambda_http")]
pub use lambda::RequestClientIp;
#[cfg(feature = "tower")]
pub use layer::{ClientIpLayer, ClientIpService, Resolution};
