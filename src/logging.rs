//! The function's log lines: Lambda's text format, or JSON with `AWS_LAMBDA_LOG_FORMAT=JSON`, at
//! the level of `AWS_LAMBDA_LOG_LEVEL` or `RUST_LOG` (default `INFO`).
//!
//! Never coloured: Lambda's stdout is not a terminal, and ANSI codes in CloudWatch are noise.
//! Request values reach a log line only through [`crate::event::Printable`].

use std::str::FromStr;

use lambda_runtime::tracing::subscriber;
use subscriber::filter::{EnvFilter, LevelFilter};
use subscriber::fmt::MakeWriter;

/// Installs the global subscriber, writing to `writer` (stdout under Lambda).
pub fn init<W>(writer: W)
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let var = |name| std::env::var(name).ok();
    let level = var("AWS_LAMBDA_LOG_LEVEL").or_else(|| var("RUST_LOG"));
    let level = level
        .and_then(|l| LevelFilter::from_str(&l).ok())
        .unwrap_or(LevelFilter::INFO);
    let filter = EnvFilter::builder()
        .with_default_directive(level.into())
        .from_env_lossy();
    let fmt = subscriber::fmt()
        .with_target(false)
        .without_time()
        .with_ansi(false)
        .with_env_filter(filter)
        .with_writer(writer);
    let json = var("AWS_LAMBDA_LOG_FORMAT").is_some_and(|f| f.eq_ignore_ascii_case("json"));
    if json {
        fmt.json().init();
    } else {
        fmt.init();
    }
}
