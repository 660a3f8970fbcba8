//! The Lambda function: start tracing, read the configuration once, serve events.

use std::process::ExitCode;

use alb_client_ip::{config::Config, handler, logging};
use lambda_runtime::service_fn;

/// A bundled range snapshot older than this is reported at every cold start: the CDN may connect
/// from ranges it does not hold, and requests from those would be answered with the CDN's address.
const STALE_AFTER_DAYS: u64 = 90;

/// The variables `lambda_runtime` needs; it panics without them, so they are checked first.
const RUNTIME_VARS: [&str; 4] = [
    "AWS_LAMBDA_RUNTIME_API",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
];

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("alb-client-ip: refusing to start: {e}");
            return ExitCode::from(78); // EX_CONFIG
        }
    };
    let missing: Vec<&str> = RUNTIME_VARS
        .into_iter()
        .filter(|v| std::env::var_os(v).is_none())
        .collect();
    if !missing.is_empty() {
        eprintln!(
            "alb-client-ip: not running under a Lambda runtime ({} unset); run it locally with `cargo run --release -p local-alb` or `cargo lambda watch`.",
            missing.join(", ")
        );
        return ExitCode::from(2);
    }
    logging::init(std::io::stdout);
    tracing::info!(source = %config.source(), "configured");
    if let Some(ranges) = config.source().ranges() {
        for &preset in ranges.presets() {
            let age = preset.age_days(std::time::SystemTime::now());
            let published = preset.published();
            if age > STALE_AFTER_DAYS {
                tracing::warn!(%preset, published, age_days = age, "bundled ranges are more than {STALE_AFTER_DAYS} days old: build with a refreshed snapshot");
            } else {
                tracing::info!(%preset, published, age_days = age, "bundled ranges");
            }
        }
    }
    let config = &config;
    match lambda_runtime::run(service_fn(move |event| handler::handle(config, event))).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("alb-client-ip: runtime stopped: {e}");
            ExitCode::FAILURE
        }
    }
}
