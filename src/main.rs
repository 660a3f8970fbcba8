//! The Lambda function: read the configuration once, start logging, serve events.

use std::process::ExitCode;
use std::time::SystemTime;

use alb_client_ip::{STALE_PRESET, config::Config, handler};
use lambda_client_ip::Preset;
use lambda_runtime::service_fn;

/// What running the binary by hand gets, instead of `lambda_runtime`'s panic.
const NOT_LAMBDA: &str = "not running under a Lambda runtime (AWS_LAMBDA_RUNTIME_API unset); run it locally with `cargo run --release -p local-alb` or `cargo lambda watch`.";

/// Ends the process with `code` and one line on stderr.
fn exit(code: u8, message: String) -> ExitCode {
    eprintln!("alb-client-ip: {message}");
    ExitCode::from(code)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let config = match Config::from_lookup(|name| std::env::var(name).ok()) {
        Ok(config) => config,
        Err(e) => return exit(78, format!("refusing to start: {e}")), // EX_CONFIG
    };
    // lambda_runtime panics outside Lambda: say what this is instead.
    if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_none() {
        return exit(2, NOT_LAMBDA.to_owned());
    }
    lambda_runtime::tracing::init_default_subscriber();
    tracing::info!(source = %config.source, "configured");
    if let Some(warning) = config.source.start_warning() {
        tracing::warn!("{warning}");
    }
    let cidrs = std::env::var("TRUSTED_PROXY_CIDRS").unwrap_or_default();
    for preset in cidrs.split(',').filter_map(|s| s.parse::<Preset>().ok()) {
        let (published, age_days) = (preset.published(), preset.age_days(SystemTime::now()));
        if preset.is_stale(SystemTime::now()) {
            tracing::warn!(%preset, published, age_days, "{STALE_PRESET}");
        } else {
            tracing::info!(%preset, published, age_days, "ranges in use");
        }
    }
    let served = lambda_runtime::run(service_fn(|event| handler::handle(&config, event))).await;
    served.map_or_else(
        |e| exit(1, format!("runtime stopped: {e}")),
        |()| ExitCode::SUCCESS,
    )
}
