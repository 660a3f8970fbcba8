//! # alb-client-ip
//!
//! The real address of the client behind an AWS Application Load Balancer, as trusted
//! infrastructure vouches for it: read from the **right** of X-Forwarded-For, validated,
//! canonical, never guessed.
//!
//! Behind an ALB a Lambda function never sees a socket. The only record of who connected is the
//! X-Forwarded-For header, and everything left of the entries your own proxies appended was
//! written by the client. Taking the first entry lets anyone claim any address.
//!
//! ```
//! use alb_client_ip::client_ip::{resolve, ProxyCount, TrustPolicy};
//!
//! // client → proxy → proxy → ALB: the ALB appended 150.172.238.178, the proxy it saw.
//! let chain = ["203.0.113.195, 70.41.3.18, 150.172.238.178"];
//! let alb_only = TrustPolicy::default();
//! assert_eq!(resolve(&chain, None, &alb_only).unwrap().addr.to_string(), "150.172.238.178");
//!
//! // Only when both proxies are yours is the leftmost entry the client.
//! let both_yours = TrustPolicy::Count(ProxyCount::new(2).unwrap());
//! assert_eq!(resolve(&chain, None, &both_yours).unwrap().addr.to_string(), "203.0.113.195");
//! ```
//!
//! Modules, from the inside out:
//! - [`client_ip`]: the pure resolver (no AWS types, no I/O);
//! - [`config`]: the environment, validated once at cold start;
//! - [`event`]: the invocation payload, read leniently so bad input becomes a 400, not a 502;
//! - [`handler`]: event → resolver → response.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

pub mod client_ip;
pub mod config;
pub mod event;
pub mod handler;
