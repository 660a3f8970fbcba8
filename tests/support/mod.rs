//! Helpers shared by the integration tests.

pub mod contract;
pub mod fixtures;
pub mod runtime_api;
