//! Trusted ranges kept fresh on a long-running server, without a restart and without a release.
//!
//! The server resolves every request with `ClientIpLayer::shared`, which reads the source a
//! `SharedSource` holds when the request arrives (no lock). A refresher task fetches a ranges
//! file from a URL every few minutes, parses it with `RangesFile::parse` (any form a ranges file
//! may take: Cloudflare's `ips-v4`/`ips-v6` here), makes the Cloudflare list trusted ranges with
//! `RangesFile::ranges` (validated as any trusted ranges are), adds our own proxies and stores
//! `Source::x_forwarded_for` of the whole into the `SharedSource`.
//!
//! A refresh that fails stores nothing, so the last good lists stay in force and no request ever
//! waits for a refresh or fails because of one: a connection refused, an answer other than 200, no
//! whole answer within the timeout (every fetch is bounded), a body that is not a ranges file (an
//! HTML error page), lists the library refuses (older than the bundled snapshot, or trusting
//! every public address). Each kind of failure is logged once, with its reason, until a refresh
//! succeeds again.
//!
//! The limit: a source reading a CDN's own header (`Source::header`) is bound to that CDN by the
//! lists in force when it is built, which only a ranges file installed at start
//! (`RangesFile::install`, `CLIENT_IP_RANGES_FILE`) changes; the refresher keeps X-Forwarded-For
//! ranges fresh. To stay small the example fetches over plain HTTP with hyper's client; fetch the
//! providers' HTTPS URLs with the client your server already uses (the rest is the same), or
//! serve them from a mirror you refresh.
//!
//! Serves on 127.0.0.1:3002: `cargo run -p lambda-client-ip --example refresh_ranges --features
//! tower,lists -- http://127.0.0.1:8000/ips.txt`, where `ips.txt` holds Cloudflare's lists (`cat
//! ips-v4 ips-v6`). Its tests serve lists from a local HTTP server, a good one and a failing, a
//! slow and a malformed one: `cargo test -p lambda-client-ip --example refresh_ranges --features
//! tower,lists`.

use std::fmt;
use std::time::{Duration, SystemTime};

use http_body_util::{BodyExt, Empty, Limited};
use hyper::body::Bytes;
use hyper::header::{CONNECTION, HOST};
use hyper::{Request, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use lambda_client_ip::{ClientIpLayer, Preset, RangesFile, SharedSource, Source, TrustedRanges};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{MissedTickBehavior, timeout};

// The hyper_server example's server: the peer `accept()` returned, recorded before the layer.
#[path = "../hyper_server/server.rs"]
mod server;
use server::serve;

/// How often the lists are fetched.
const EVERY: Duration = Duration::from_secs(300);
/// The longest a fetch may take, connection to last byte.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest list accepted (AWS's whole `ip-ranges.json` is a few MB).
const MAX_LIST: usize = 16 << 20;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let usage = "usage: refresh_ranges http://HOST[:PORT]/PATH (a Cloudflare ranges list)";
    let url: Uri = std::env::args().nth(1).ok_or(usage)?.parse()?;
    if url.scheme_str() != Some("http") || url.host().is_none() {
        return Err(usage.into());
    }
    // Our own proxy in front of the server; here the loopback a local client connects from.
    let own: TrustedRanges = "127.0.0.1".parse()?;
    let refresher = Refresher::new(url, Preset::Cloudflare, own, FETCH_TIMEOUT)?;
    let layer = ClientIpLayer::shared(refresher.shared.clone());
    tokio::spawn(refresher.run(EVERY));
    serve(TcpListener::bind("127.0.0.1:3002").await?, layer).await?;
    Ok(())
}

/// Fetches `preset`'s list from `url` and stores, in `shared`, a source trusting it and `own`.
struct Refresher {
    url: Uri,
    preset: Preset,
    own: TrustedRanges,
    timeout: Duration,
    shared: SharedSource,
    /// The kind of the failure last logged, until a refresh succeeds.
    logged: Option<&'static str>,
}

/// Why a refresh stored nothing: the last good source stays in force.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Failure {
    /// No connection, or it broke before the whole answer arrived (or the answer was too long).
    Fetch(String),
    /// An answer other than 200 OK, whatever its body.
    Status(StatusCode),
    /// No whole answer within the timeout.
    Timeout(Duration),
    /// An answer that is not a ranges file holding the preset's list, or a list refused.
    List(String),
}

impl Failure {
    fn kind(&self) -> &'static str {
        match self {
            Self::Fetch(_) => "fetch",
            Self::Status(_) => "status",
            Self::Timeout(_) => "timeout",
            Self::List(_) => "list",
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Fetch(reason) => write!(f, "no answer: {reason}"),
            Self::Status(status) => write!(f, "answered {status}"),
            Self::Timeout(limit) => write!(f, "no whole answer within {limit:?}"),
            Self::List(reason) => write!(f, "not a list we trust: {reason}"),
        }
    }
}

impl Refresher {
    /// Starts from the bundled (or installed) list of `preset` and `own`.
    fn new(
        url: Uri,
        preset: Preset,
        own: TrustedRanges,
        timeout: Duration,
    ) -> Result<Self, lambda_client_ip::PolicyError> {
        let first = TrustedRanges::new(preset.nets().chain(own.iter()))?;
        let shared = SharedSource::new(Source::x_forwarded_for(first));
        let logged = None;
        Ok(Self {
            url,
            preset,
            own,
            timeout,
            shared,
            logged,
        })
    }

    /// Refreshes now, then every `every`, logging each success and each kind of failure once.
    async fn run(mut self, every: Duration) {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let outcome = self.refresh().await;
            if let Some(line) = self.report(&outcome) {
                eprintln!("{line}");
            }
        }
    }

    /// One refresh: fetches, validates and, only when all of it succeeded, stores the new source.
    /// Answers the number of ranges now trusted.
    async fn refresh(&self) -> Result<usize, Failure> {
        let text = timeout(self.timeout, fetch(&self.url))
            .await
            .map_err(|_| Failure::Timeout(self.timeout))??;
        let list = |e: &dyn fmt::Display| Failure::List(e.to_string());
        let file = RangesFile::parse(&text, SystemTime::now()).map_err(|e| list(&e))?;
        let fresh = file.ranges(self.preset).ok_or_else(|| {
            let preset = self.preset;
            Failure::List(format!("it holds no {preset} list"))
        })?;
        let fresh = fresh.map_err(|e| list(&e))?;
        let ranges =
            TrustedRanges::new(fresh.iter().chain(self.own.iter())).map_err(|e| list(&e))?;
        let count = ranges.len();
        self.shared.store(Source::x_forwarded_for(ranges));
        Ok(count)
    }

    /// The line to log for `outcome`: every success, and a failure only when its kind differs from
    /// the last one logged since a success.
    fn report(&mut self, outcome: &Result<usize, Failure>) -> Option<String> {
        let url = &self.url;
        match outcome {
            Ok(count) => {
                self.logged = None;
                Some(format!("ranges refreshed from {url}: {count} trusted"))
            }
            Err(failure) if self.logged == Some(failure.kind()) => None,
            Err(failure) => {
                self.logged = Some(failure.kind());
                let kind = failure.kind();
                Some(format!(
                    "ranges refresh from {url} failed ({kind}), keeping the last good lists: {failure}"
                ))
            }
        }
    }
}

/// GETs `url` over HTTP/1.1 and answers its body, when the answer is 200 OK and at most
/// `MAX_LIST` bytes of UTF-8.
async fn fetch(url: &Uri) -> Result<String, Failure> {
    let broken = |e: &dyn fmt::Display| Failure::Fetch(e.to_string());
    let (Some(host), Some(authority)) = (url.host(), url.authority()) else {
        return Err(Failure::Fetch("the URL names no host".to_owned()));
    };
    let port = url.port_u16().unwrap_or(80);
    let stream = TcpStream::connect((host, port))
        .await
        .map_err(|e| broken(&e))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| broken(&e))?;
    // Ends with the exchange: when the answer is read, or when the fetch is dropped (timeout).
    tokio::spawn(connection);
    let path = url.path_and_query().map_or("/", |p| p.as_str());
    let request = Request::get(path)
        .header(HOST, authority.as_str())
        .header(CONNECTION, "close")
        .body(Empty::<Bytes>::new())
        .map_err(|e| broken(&e))?;
    let response = sender.send_request(request).await.map_err(|e| broken(&e))?;
    if response.status() != StatusCode::OK {
        return Err(Failure::Status(response.status()));
    }
    let body = Limited::new(response.into_body(), MAX_LIST).collect().await;
    let body = body.map_err(|e| broken(&*e))?.to_bytes();
    String::from_utf8(body.to_vec()).map_err(|e| Failure::List(e.to_string()))
}

#[cfg(test)]
mod tests;
