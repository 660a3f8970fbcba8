//! The command line: parsed in one place into [`Options`], every value checked before the server
//! starts. A bad argument is an [`ArgError`] naming the flag and the value.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use crate::event::{EventOptions, XffMode};

/// The help text for `--help`.
pub const USAGE: &str = "\
local-alb: a local Application Load Balancer in front of a Lambda function.

Usage: local-alb [OPTIONS]

Options:
  --listen ADDR                  address to serve on; repeat for several (default 127.0.0.1:3000;
                                 IPv6 as [::1]:3000)
  --lambda-url URL               invoke a function through the Lambda Invoke API at URL
                                 (e.g. http://127.0.0.1:9000 for `cargo lambda watch`) instead of
                                 running alb-client-ip in-process
  --function-name NAME           function name for --lambda-url (default alb-client-ip)
  --xff-mode append|preserve|remove
                                 X-Forwarded-For processing mode (default append)
  --xff-client-port              append the client's port too (ip:port, [v6]:port)
  --multi-value-headers          send multiValueHeaders / multiValueQueryStringParameters
  --drop-invalid-header-fields   drop header names that are not [-A-Za-z0-9]+
  --timeout SECS                 answer 504 when the function takes longer (default 30)
  --idle-timeout SECS            close a connection idle this long before a request head, and
                                 answer 408 to a body that does not arrive in time (default 60)
  --target-group-arn ARN         requestContext.elb.targetGroupArn of the events
  -h, --help                     print this help

In-process, the function reads its configuration (TRUSTED_PROXY_COUNT, TRUSTED_PROXY_CIDRS,
RUST_LOG) from this process's environment, as the deployed function does.
";

/// Default listener.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:3000";
/// Default function name for `--lambda-url`.
pub const DEFAULT_FUNCTION_NAME: &str = "alb-client-ip";
/// Default `--timeout`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
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
}

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Serve with these options.
    Serve(Options),
    /// Print [`USAGE`] and exit.
    Help,
}

/// A command line that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArgError {
    /// A flag that does not exist.
    Unknown(String),
    /// A flag that needs a value was last.
    MissingValue(&'static str),
    /// A flag's value is not acceptable.
    BadValue {
        /// The flag.
        flag: &'static str,
        /// The value given.
        value: String,
        /// What it must be.
        expected: &'static str,
    },
}

impl fmt::Display for ArgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unknown(arg) => write!(f, "unknown argument {arg:?} (see --help)"),
            Self::MissingValue(flag) => write!(f, "{flag} needs a value (see --help)"),
            Self::BadValue {
                flag,
                value,
                expected,
            } => write!(f, "{flag} {value:?} is not accepted: expected {expected}"),
        }
    }
}

impl std::error::Error for ArgError {}

/// Parses the arguments (without the program name).
///
/// ```
/// use local_alb::options::{parse, Command};
/// let Command::Serve(o) = parse(["--listen", "[::1]:8080", "--xff-mode", "remove"]).unwrap() else { panic!() };
/// assert_eq!(o.listen[0].to_string(), "[::1]:8080");
/// let err = parse(["--timeout", "soon"]).unwrap_err();
/// assert_eq!(err.to_string(), "--timeout \"soon\" is not accepted: expected a number of seconds above 0");
/// ```
pub fn parse<I, S>(args: I) -> Result<Command, ArgError>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    let mut args = args.into_iter().map(Into::into);
    let mut listen = Vec::new();
    let mut lambda_url: Option<String> = None;
    let mut function_name = DEFAULT_FUNCTION_NAME.to_owned();
    let mut event = EventOptions::default();
    let mut timeout = DEFAULT_TIMEOUT;
    let mut idle_timeout = DEFAULT_IDLE_TIMEOUT;
    while let Some(arg) = args.next() {
        // Accept `--flag=value` as well as `--flag value`.
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &'static str| {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or(ArgError::MissingValue(name))
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--listen" => {
                let v = value("--listen")?;
                let addr = v.parse().map_err(|_| ArgError::BadValue {
                    flag: "--listen",
                    value: v.clone(),
                    expected: "IP:PORT, e.g. 127.0.0.1:3000 or [::1]:3000",
                })?;
                listen.push(addr);
            }
            "--lambda-url" => {
                let v = value("--lambda-url")?;
                let ok = v
                    .strip_prefix("http://")
                    .is_some_and(|rest| !rest.is_empty() && !rest.contains(['?', '#', ' ']));
                if !ok {
                    return Err(ArgError::BadValue {
                        flag: "--lambda-url",
                        value: v,
                        expected: "an http:// URL such as http://127.0.0.1:9000",
                    });
                }
                lambda_url = Some(v);
            }
            "--function-name" => {
                let v = value("--function-name")?;
                let ok = !v.is_empty()
                    && v.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-_:.".contains(&b));
                if !ok {
                    return Err(ArgError::BadValue {
                        flag: "--function-name",
                        value: v,
                        expected: "a function name of letters, digits, - _ : .",
                    });
                }
                function_name = v;
            }
            "--xff-mode" => {
                let v = value("--xff-mode")?;
                event.xff_mode = XffMode::parse(&v).ok_or_else(|| ArgError::BadValue {
                    flag: "--xff-mode",
                    value: v.clone(),
                    expected: "append, preserve or remove",
                })?;
            }
            "--timeout" => {
                let v = value("--timeout")?;
                timeout = v
                    .parse::<f64>()
                    .ok()
                    .filter(|s| s.is_finite() && *s > 0.0 && *s <= 86_400.0)
                    .map(Duration::from_secs_f64)
                    .ok_or_else(|| ArgError::BadValue {
                        flag: "--timeout",
                        value: v.clone(),
                        expected: "a number of seconds above 0",
                    })?;
            }
            "--idle-timeout" => {
                let v = value("--idle-timeout")?;
                idle_timeout = v
                    .parse::<f64>()
                    .ok()
                    .filter(|s| s.is_finite() && *s > 0.0 && *s <= 86_400.0)
                    .map(Duration::from_secs_f64)
                    .ok_or_else(|| ArgError::BadValue {
                        flag: "--idle-timeout",
                        value: v.clone(),
                        expected: "a number of seconds above 0",
                    })?;
            }
            "--target-group-arn" => {
                let v = value("--target-group-arn")?;
                if !v.starts_with("arn:") {
                    return Err(ArgError::BadValue {
                        flag: "--target-group-arn",
                        value: v,
                        expected: "an ARN (arn:...)",
                    });
                }
                event.target_group_arn = v;
            }
            "--xff-client-port" | "--multi-value-headers" | "--drop-invalid-header-fields"
                if inline.is_some() =>
            {
                return Err(ArgError::Unknown(arg));
            }
            "--xff-client-port" => event.xff_client_port = true,
            "--multi-value-headers" => event.multi_value_headers = true,
            "--drop-invalid-header-fields" => event.drop_invalid_header_fields = true,
            _ => return Err(ArgError::Unknown(arg)),
        }
    }
    if listen.is_empty() {
        listen.push(SocketAddr::from(([127, 0, 0, 1], 3000)));
    }
    let target = match lambda_url {
        None => Target::InProcess,
        Some(base) => Target::Lambda {
            invocation_url: format!(
                "{}/2015-03-31/functions/{function_name}/invocations",
                base.trim_end_matches('/')
            ),
        },
    };
    Ok(Command::Serve(Options {
        listen,
        target,
        event,
        timeout,
        idle_timeout,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serve(args: &[&str]) -> Options {
        match parse(args.iter().copied()).unwrap() {
            Command::Serve(o) => o,
            Command::Help => panic!("help"),
        }
    }

    #[test]
    fn defaults() {
        let o = serve(&[]);
        assert_eq!(o.listen, vec!["127.0.0.1:3000".parse().unwrap()]);
        assert_eq!(o.target, Target::InProcess);
        assert_eq!(o.event, EventOptions::default());
        assert_eq!(o.timeout, DEFAULT_TIMEOUT);
        assert_eq!(o.idle_timeout, DEFAULT_IDLE_TIMEOUT);
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
        let cases: &[(&[&str], &str)] = &[
            (
                &["--listen", "localhost:3000"],
                "--listen \"localhost:3000\"",
            ),
            (&["--xff-mode", "drop"], "--xff-mode \"drop\""),
            (&["--timeout", "0"], "--timeout \"0\""),
            (&["--timeout", "NaN"], "--timeout \"NaN\""),
            (&["--idle-timeout", "-1"], "--idle-timeout \"-1\""),
            (&["--lambda-url", "https://x"], "--lambda-url \"https://x\""),
            (&["--function-name", "a/b"], "--function-name \"a/b\""),
            (&["--timeout"], "--timeout needs a value"),
            (&["--bogus"], "unknown argument \"--bogus\""),
            (&["--xff-client-port=yes"], "unknown argument"),
        ];
        for (args, want) in cases {
            let err = parse(args.iter().copied()).unwrap_err().to_string();
            assert!(err.contains(want), "{args:?}: {err}");
        }
    }

    #[test]
    fn help() {
        assert_eq!(
            parse(["--listen", "1.2.3.4:5", "-h"]).unwrap(),
            Command::Help
        );
    }
}
