//! The `local-alb` command: parse the options, build the invoker, serve.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::SystemTime;

use alb_client_ip::STALE_PRESET;
use alb_client_ip::config::Config;
use lambda_client_ip::Preset;
use local_alb::invoke::Invoker;
use local_alb::options::{self, Target};
use local_alb::server;

fn main() -> ExitCode {
    let options = match options::parse(std::env::args_os().skip(1)) {
        Ok(options) => options,
        // Help and version print to stdout and exit 0; a bad argument names the flag and the
        // value on stderr and exits 2.
        Err(e) => e.exit(),
    };
    let invoker = match &options.target {
        Target::InProcess => match Config::from_lookup(|k| std::env::var(k).ok()) {
            Ok(config) => {
                // The function's own log lines, as under Lambda, when a level is asked for;
                // otherwise stderr carries only the access log.
                if ["AWS_LAMBDA_LOG_LEVEL", "RUST_LOG"]
                    .iter()
                    .any(|v| std::env::var_os(v).is_some())
                {
                    lambda_runtime::tracing::init_default_subscriber_with_writer(std::io::stderr);
                }
                // The start line says so when insiders can forge the answer.
                let (source, warning) = (&config.source, config.source.start_warning());
                let warning = warning.map(|w| format!("; WARN: {w}")).unwrap_or_default();
                eprintln!("local-alb: alb-client-ip in-process, {source}{warning}");
                report_presets();
                Invoker::InProcess(Arc::new(config))
            }
            Err(e) => {
                eprintln!("local-alb: the function's configuration is refused: {e}");
                return ExitCode::from(78);
            }
        },
        Target::Lambda { invocation_url } => match Invoker::lambda(invocation_url) {
            Ok(invoker) => {
                eprintln!("local-alb: invoking {invocation_url}");
                invoker
            }
            Err(e) => {
                eprintln!("local-alb: --lambda-url: {e}");
                return ExitCode::from(2);
            }
        },
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("local-alb: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let served = runtime.block_on(server::run(options, invoker));
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("local-alb: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The date of every bundled preset `TRUSTED_PROXY_CIDRS` names, and whether it is stale, as the
/// function logs them at cold start: a user testing locally learns it before deploying.
fn report_presets() {
    let cidrs = std::env::var("TRUSTED_PROXY_CIDRS").unwrap_or_default();
    let now = SystemTime::now();
    for preset in cidrs
        .split(',')
        .filter_map(|item| item.parse::<Preset>().ok())
    {
        let (published, age_days) = (preset.published(), preset.age_days(now));
        let said = if preset.is_stale(now) {
            STALE_PRESET
        } else {
            "ranges in use"
        };
        eprintln!("local-alb: preset={preset} published={published} age_days={age_days}: {said}");
    }
}
