//! Dev-only helpers for the function's tests, benches and fuzz targets, and for the library's
//! tests: one copy of each.
//!
//! - [`contract`]: the response contract every function answer keeps, checked by walking JSON;
//! - [`entry`]: addresses written as proxies write them, each with the address it stands for,
//!   and text that is no address, by construction (proptest strategies with the `proptest`
//!   feature, the default);
//! - [`tally`]: counting the generated cases that reach an answer, so no property is vacuous;
//! - [`runtime_api`]: a minimal Lambda Runtime API on loopback, to run a function binary as
//!   Lambda would (and the `fake-runtime-api` binary built on it);
//! - `fuzz` (the `arbitrary` feature): policies and entries read from fuzzer bytes.

// Test code: a panic is the failure report.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[cfg(feature = "contract")]
pub mod contract;
pub mod entry;
#[cfg(feature = "arbitrary")]
pub mod fuzz;
pub mod runtime_api;
#[cfg(feature = "proptest")]
pub mod tally;
