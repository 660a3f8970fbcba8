//! Calling the function: alb-client-ip's handler in-process, or any function through the Lambda
//! Invoke API. Both take event bytes and give response bytes, so the rest of the load balancer
//! cannot tell them apart.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::access_log::escape;
use alb_client_ip::config::Config;
use alb_client_ip::handler::handle_bytes;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::{Method, Request, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// The Invoke API refuses synchronous responses over 6 MB; read no more than that.
const MAX_INVOKE_RESPONSE: usize = 6 * 1024 * 1024;

/// Where invocations go.
#[derive(Clone)]
pub enum Invoker {
    /// alb-client-ip's handler in this process, through
    /// [`handle_bytes`]: the same bytes in and out as
    /// under the Lambda runtime.
    InProcess(Arc<Config>),
    /// A function behind the Lambda Invoke API.
    Lambda {
        /// `{base}/2015-03-31/functions/{name}/invocations`.
        url: Uri,
        /// A pooled HTTP/1 client (connections are kept alive between invocations).
        client: Client<HttpConnector, Full<Bytes>>,
    },
}

/// Why an invocation gave no response payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvokeError {
    /// The function did not answer within the timeout (the client gets 504).
    Timeout,
    /// The function failed: an unhandled error, a crash, or an Invoke API error (502).
    Function(String),
    /// The Invoke API could not be reached (502).
    Unreachable(String),
}

impl InvokeError {
    /// The status the load balancer answers with.
    pub const fn status(&self) -> u16 {
        match self {
            Self::Timeout => 504,
            Self::Function(_) | Self::Unreachable(_) => 502,
        }
    }

    /// A short machine-readable reason, for the access log.
    pub const fn reason(&self) -> &'static str {
        match self {
            Self::Timeout => "Timeout",
            Self::Function(_) => "LambdaUnhandled",
            Self::Unreachable(_) => "LambdaUnreachable",
        }
    }
}

impl fmt::Display for InvokeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Timeout => f.write_str("the function did not answer in time"),
            Self::Function(why) => write!(f, "the function failed: {why}"),
            Self::Unreachable(why) => write!(f, "the function could not be reached: {why}"),
        }
    }
}

impl std::error::Error for InvokeError {}

impl Invoker {
    /// An invoker for the Invoke API at `invocation_url`.
    pub fn lambda(invocation_url: &str) -> Result<Self, String> {
        let url: Uri = invocation_url
            .parse()
            .map_err(|e| format!("{invocation_url:?} is not a URL: {e}"))?;
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build_http();
        Ok(Self::Lambda { url, client })
    }

    /// Invokes the function with `event` and returns its response payload.
    pub async fn invoke(&self, event: Vec<u8>, timeout: Duration) -> Result<Vec<u8>, InvokeError> {
        let call = async {
            match self {
                Self::InProcess(config) => {
                    let config = Arc::clone(config);
                    tokio::task::spawn_blocking(move || handle_bytes(&config, &event))
                        .await
                        .map_err(|e| InvokeError::Function(format!("the handler panicked: {e}")))?
                        // The Lambda runtime refuses a payload that is not JSON before the
                        // handler runs: an invocation error, which the ALB answers with 502.
                        .map_err(|e| InvokeError::Function(format!("the event is not JSON: {e}")))
                }
                Self::Lambda { url, client } => invoke_api(client, url, event).await,
            }
        };
        tokio::time::timeout(timeout, call)
            .await
            .unwrap_or(Err(InvokeError::Timeout))
    }
}

async fn invoke_api(
    client: &Client<HttpConnector, Full<Bytes>>,
    url: &Uri,
    event: Vec<u8>,
) -> Result<Vec<u8>, InvokeError> {
    let request = Request::builder()
        .method(Method::POST)
        .uri(url.clone())
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(event)))
        .map_err(|e| InvokeError::Unreachable(e.to_string()))?;
    let response = client
        .request(request)
        .await
        .map_err(|e| InvokeError::Unreachable(format!("{e:?}")))?;
    let status = response.status();
    let function_error = response
        .headers()
        .get("x-amz-function-error")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let body = Limited::new(response.into_body(), MAX_INVOKE_RESPONSE)
        .collect()
        .await
        .map_err(|e| InvokeError::Function(format!("reading the response: {e}")))?
        .to_bytes();
    if let Some(kind) = function_error {
        return Err(InvokeError::Function(format!("{kind}: {}", snippet(&body))));
    }
    if !status.is_success() {
        return Err(InvokeError::Function(format!(
            "Invoke API answered {status}: {}",
            snippet(&body)
        )));
    }
    Ok(body.to_vec())
}

/// How much of a payload an error message quotes, in bytes and then characters.
const SNIPPET: usize = 200;

/// The start of a payload, one line, for error messages.
fn snippet(body: &[u8]) -> String {
    escape(
        &String::from_utf8_lossy(body.get(..SNIPPET).unwrap_or(body)),
        SNIPPET,
    )
}
