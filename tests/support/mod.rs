//! Helpers shared by the integration tests.

pub mod runtime_api;
