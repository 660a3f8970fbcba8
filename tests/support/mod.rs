//! Helpers shared by the function's integration tests; the rest (the response contract, the
//! generators, the fake Runtime API) is the `testkit` crate.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
#![allow(dead_code)]

pub mod fixtures;

use std::path::PathBuf;

/// The function binary under test: `ALB_CLIENT_IP_BIN` (the test script points it at the release
/// build), else the binary cargo built for this test run.
pub fn function_binary() -> PathBuf {
    std::env::var_os("ALB_CLIENT_IP_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_alb-client-ip")))
}
