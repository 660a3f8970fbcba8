//! Shared pieces of the fuzz targets: the function on raw bytes, and its response checked against
//! the contract the function's tests use (`testkit::contract`). Sources, policies and entries
//! read from fuzzer bytes are `testkit::fuzz`'s.

use alb_client_ip::config::Config;
use alb_client_ip::handler::handle_bytes;
use lambda_client_ip::{Source, TrustPolicy};
use serde_json::error::Category;

pub use testkit::contract::Answer;
pub use testkit::fuzz::{Entry, PolicyInput, Reads, SourceInput, line};

/// The function's configuration reading X-Forwarded-For under `policy`, explain mode off.
pub fn config(policy: TrustPolicy) -> Config {
    Config {
        source: Source::x_forwarded_for(policy),
        explain: false,
    }
}

/// The function on raw payload bytes, as the Lambda runtime runs it: the response bytes, or
/// `None` when the runtime would refuse the payload before the handler (it is not JSON; the ALB
/// answers 502). Panics when anything else fails, JSON refused for its content included.
pub fn invoke(config: &Config, payload: &[u8]) -> Option<Vec<u8>> {
    match handle_bytes(config, payload) {
        Ok(response) => Some(response),
        Err(e) => {
            let not_json = matches!(e.classify(), Category::Syntax | Category::Eof);
            assert!(not_json, "the handler failed on a payload: {e}");
            None
        }
    }
}

/// The contract every function response keeps (`testkit::contract::check`): panics, a fuzz
/// finding, when a line of it is broken; else what the response answered.
pub fn check_response(bytes: &[u8]) -> Answer {
    testkit::contract::check_bytes(bytes, "the function's response")
}
