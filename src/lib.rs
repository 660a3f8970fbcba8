//! # alb-client-ip
//!
//! The function: a thin `lambda_runtime` handler behind an AWS Application Load Balancer that
//! answers `{"client_ip": "..."}` with the address the trusted part of X-Forwarded-For vouches
//! for. The resolver and its trust policies are the [`lambda_client_ip`] library; this crate is
//! the reference deployment of it.
//!
//! Modules, from the outside in:
//! - [`config`]: the environment, validated once at cold start into a library `TrustPolicy`;
//! - [`event`]: the raw invocation payload, read with serde derive, so bad input becomes a 400;
//! - [`handler`]: event → resolver → `AlbTargetGroupResponse`;
//! - [`logging`]: one log line per request, Lambda's text or JSON format, request text escaped.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

pub mod config;
pub mod event;
pub mod handler;
pub mod logging;
