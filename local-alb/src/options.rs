//! The command line, parsed by clap into [`Options`], every value checked before the server
//! starts. A bad argument is a clap error naming the flag and the value (exit status 2).

use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;

use crate::event::{EventOptions, XffMode};
use crate::via::FrontDoor;

/// Default listener.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:3000";
/// Default function name for `--lambda-url`.
pub const DEFAULT_FUNCTION_NAME: &str = "alb-client-ip";
/// Default `--timeout`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default `--via-listen`: where the simulated front door listens.
pub const DEFAULT_VIA_LISTEN: &str = "127.0.0.1:3001";
/// Default `--idle-timeout`, the ALB's default `idle_timeout.timeout_seconds`.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// Where the function runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// alb-client-ip's handler, called in this process.
    InProcess,
    /// Any function, through the Lambda Invoke API.
    Lambda {
        /// The full invocation URL: `{base}/2015-03-31/functions/{name}/invocations`.
        invocation_url: String,
    },
}

/// A front door in front of the ALB (`--via`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Via {
    /// Which front door: one hop or a chain.
    pub door: FrontDoor,
    /// Where it listens; requests there go through its hops, then the ALB.
    pub listen: Vec<SocketAddr>,
}

/// Everything the command line says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// The addresses to listen on (at least one).
    pub listen: Vec<SocketAddr>,
    /// Where the function runs.
    pub target: Target,
    /// How events are built.
    pub event: EventOptions,
    /// How long the function may take before the client gets a 504.
    pub timeout: Duration,
    /// How long a client may stay silent before a request head or in the middle of a body.
    pub idle_timeout: Duration,
    /// A front door in front of the ALB, if any.
    pub via: Option<Via>,
    /// Write explain mode's explanation of every event into the access log.
    pub explain: bool,
}

/// A local Application Load Balancer in front of a Lambda function.
///
/// In-process, the function reads its configuration (TRUSTED_PROXY_COUNT, TRUSTED_PROXY_CIDRS,
/// CLIENT_IP_HEADER, RUST_LOG) from this process's environment, as the deployed function does.
#[derive(Debug, Parser)]
#[command(name = "local-alb", version)]
struct Cli {
    /// Address to serve on; repeat for several (IPv6 as [::1]:3000)
    #[arg(long, value_name = "ADDR", default_value = DEFAULT_LISTEN)]
    listen: Vec<SocketAddr>,
    /// Invoke a function through the Lambda Invoke API at URL (e.g. http://127.0.0.1:9000 for
    /// `cargo lambda watch`) instead of running alb-client-ip in-process
    #[arg(long, value_name = "URL", value_parser = lambda_url)]
    lambda_url: Option<String>,
    /// Function name for --lambda-url
    #[arg(long, value_name = "NAME", default_value = DEFAULT_FUNCTION_NAME, value_parser = function_name)]
    function_name: String,
    /// X-Forwarded-For processing mode
    #[arg(long, value_name = "MODE", value_enum, default_value_t = XffMode::Append)]
    xff_mode: XffMode,
    /// Append the client's port too (ip:port, [v6]:port)
    #[arg(long)]
    xff_client_port: bool,
    /// Send multiValueHeaders / multiValueQueryStringParameters
    #[arg(long)]
    multi_value_headers: bool,
    /// Drop header names that are not [-A-Za-z0-9]+
    #[arg(long)]
    drop_invalid_header_fields: bool,
    /// Answer 504 when the function takes longer than SECS
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = seconds, allow_negative_numbers = true)]
    timeout: Duration,
    /// Close a connection idle this long before a request head, and answer 408 to a body that
    /// does not arrive in time
    #[arg(long, value_name = "SECS", default_value = "60", value_parser = seconds, allow_negative_numbers = true)]
    idle_timeout: Duration,
    /// requestContext.elb.targetGroupArn of the events
    #[arg(long, value_name = "ARN", value_parser = arn)]
    target_group_arn: Option<String>,
    /// Put a front door (a CDN, a chain of them, API Gateway, Global Accelerator, VPC Lattice) in
    /// front of the ALB. Requests to --via-listen are rewritten as it rewrites them and reach the
    /// ALB from an address in its range; requests to --listen go around it
    #[arg(long, value_name = "NAME", value_enum)]
    via: Option<FrontDoor>,
    /// Where the front door of --via listens [default: 127.0.0.1:3001]; repeat for several
    #[arg(long, value_name = "ADDR", requires = "via")]
    via_listen: Vec<SocketAddr>,
    /// After each request's access-log line, write an `explain` line: the event's
    /// X-Forwarded-For chain explained under the function's settings (from this environment)
    #[arg(long)]
    explain: bool,
}

fn lambda_url(v: &str) -> Result<String, &'static str> {
    v.strip_prefix("http://")
        .is_some_and(|rest| !rest.is_empty() && !rest.contains(['?', '#', ' ']))
        .then(|| v.to_owned())
        .ok_or("expected an http:// URL such as http://127.0.0.1:9000")
}

fn function_name(v: &str) -> Result<String, &'static str> {
    (!v.is_empty()
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_:.".contains(&b)))
    .then(|| v.to_owned())
    .ok_or("expected a function name of letters, digits, - _ : .")
}

fn seconds(v: &str) -> Result<Duration, &'static str> {
    v.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0 && *s <= 86_400.0)
        .map(Duration::from_secs_f64)
        .ok_or("expected a number of seconds above 0")
}

fn arn(v: &str) -> Result<String, &'static str> {
    v.starts_with("arn:")
        .then(|| v.to_owned())
        .ok_or("expected an ARN (arn:...)")
}

/// Parses the arguments (without the program name). `--help` and `--version` come back as
/// errors whose [`clap::Error::exit`] prints them and exits 0; real errors exit 2.
///
/// ```
/// use local_alb::options::parse;
/// let o = parse(["--listen", "[::1]:8080", "--xff-mode", "remove"]).unwrap();
/// assert_eq!(o.listen[0].to_string(), "[::1]:8080");
/// let err = parse(["--timeout", "soon"]).unwrap_err().to_string();
/// assert!(err.contains("'soon'") && err.contains("--timeout"), "{err}");
/// ```
pub fn parse<I, S>(args: I) -> Result<Options, clap::Error>
where
    I: IntoIterator<Item = S>,
    S: Into<std::ffi::OsString> + Clone,
{
    let cli = Cli::try_parse_from(
        std::iter::once(std::ffi::OsString::from("local-alb"))
            .chain(args.into_iter().map(Into::into)),
    )?;
    let target = match cli.lambda_url {
        None => Target::InProcess,
        Some(base) => Target::Lambda {
            invocation_url: format!(
                "{}/2015-03-31/functions/{}/invocations",
                base.trim_end_matches('/'),
                cli.function_name
            ),
        },
    };
    let mut event = EventOptions {
        xff_mode: cli.xff_mode,
        xff_client_port: cli.xff_client_port,
        multi_value_headers: cli.multi_value_headers,
        drop_invalid_header_fields: cli.drop_invalid_header_fields,
        ..EventOptions::default()
    };
    if let Some(arn) = cli.target_group_arn {
        event.target_group_arn = arn;
    }
    let via = match cli.via {
        None => None,
        Some(door) if cli.via_listen.is_empty() => Some(Via {
            door,
            listen: DEFAULT_VIA_LISTEN.parse().into_iter().collect(),
        }),
        Some(door) => Some(Via {
            door,
            listen: cli.via_listen,
        }),
    };
    Ok(Options {
        listen: cli.listen,
        target,
        event,
        timeout: cli.timeout,
        idle_timeout: cli.idle_timeout,
        via,
        explain: cli.explain,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serve(args: &[&str]) -> Options {
        parse(args.iter().copied()).unwrap()
    }

    #[test]
    fn defaults() {
        let o = serve(&[]);
        assert_eq!(o.listen, vec!["127.0.0.1:3000".parse().unwrap()]);
        assert_eq!(o.target, Target::InProcess);
        assert_eq!(o.event, EventOptions::default());
        assert_eq!(o.timeout, DEFAULT_TIMEOUT);
        assert_eq!(o.idle_timeout, DEFAULT_IDLE_TIMEOUT);
        assert_eq!(o.via, None);
    }

    #[test]
    fn via_a_front_door() {
        let o = serve(&["--via", "cloudfront"]);
        let default: SocketAddr = DEFAULT_VIA_LISTEN.parse().unwrap();
        assert_eq!(
            o.via,
            Some(Via {
                door: FrontDoor::CloudFront,
                listen: vec![default]
            })
        );
        let o = serve(&["--via=cloudflare-apigw-http", "--via-listen", "[::1]:4001"]);
        let via = o.via.unwrap();
        assert_eq!(via.door, FrontDoor::CloudflareApiGatewayHttp);
        assert_eq!(via.listen, vec!["[::1]:4001".parse().unwrap()]);
        for bad in [&["--via", "akamai"][..], &["--via-listen", "127.0.0.1:1"]] {
            assert!(parse(bad.iter().copied()).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn every_flag() {
        let o = serve(&[
            "--listen",
            "127.0.0.1:1",
            "--listen=[::1]:2",
            "--lambda-url",
            "http://127.0.0.1:9000/",
            "--function-name",
            "fn",
            "--xff-mode",
            "preserve",
            "--xff-client-port",
            "--multi-value-headers",
            "--drop-invalid-header-fields",
            "--timeout",
            "0.5",
            "--idle-timeout=2",
        ]);
        assert_eq!(o.listen.len(), 2);
        assert_eq!(
            o.target,
            Target::Lambda {
                invocation_url: "http://127.0.0.1:9000/2015-03-31/functions/fn/invocations".into()
            }
        );
        assert_eq!(o.event.xff_mode, XffMode::Preserve);
        assert!(
            o.event.xff_client_port
                && o.event.multi_value_headers
                && o.event.drop_invalid_header_fields
        );
        assert_eq!(o.timeout, Duration::from_millis(500));
        assert_eq!(o.idle_timeout, Duration::from_secs(2));
    }

    #[test]
    fn refusals_name_the_flag_and_value() {
        let cases: &[(&[&str], &[&str])] = &[
            (
                &["--listen", "localhost:3000"],
                &["--listen", "'localhost:3000'"],
            ),
            (
                &["--xff-mode", "drop"],
                &["--xff-mode", "'drop'", "append, preserve, remove"],
            ),
            (&["--timeout", "0"], &["--timeout", "'0'"]),
            (&["--timeout", "NaN"], &["--timeout", "'NaN'"]),
            (&["--idle-timeout", "-1"], &["--idle-timeout", "'-1'"]),
            (
                &["--lambda-url", "https://x"],
                &["--lambda-url", "'https://x'"],
            ),
            (&["--function-name", "a/b"], &["--function-name", "'a/b'"]),
            (
                &["--target-group-arn", "tg"],
                &["--target-group-arn", "'tg'"],
            ),
            (&["--timeout"], &["--timeout"]),
            (&["--bogus"], &["'--bogus'"]),
            (&["--xff-client-port=yes"], &["--xff-client-port"]),
        ];
        for (args, want) in cases {
            let err = parse(args.iter().copied()).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{args:?}");
            let msg = err.to_string();
            for needle in *want {
                assert!(msg.contains(needle), "{args:?}: {msg}");
            }
        }
    }

    #[test]
    fn the_readmes_name_the_default_listeners() {
        // Where the doors and the ALB listen, as the READMEs tell a user to connect.
        for (name, readme) in [
            ("README.md", include_str!("../../README.md")),
            ("local-alb/README.md", include_str!("../README.md")),
        ] {
            for default in [DEFAULT_LISTEN, DEFAULT_VIA_LISTEN] {
                assert!(readme.contains(default), "{name} does not say {default}");
            }
        }
    }

    #[test]
    fn help_is_not_an_error_exit() {
        let err = parse(["--listen", "1.2.3.4:5", "-h"]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::DisplayHelp);
        assert_eq!(err.exit_code(), 0);
        assert!(err.to_string().contains("--xff-mode"));
    }
}
