//! The HTTP front end: listeners, keep-alive HTTP/1.1 connections, one invocation per request,
//! one access-log line per request, and a clean stop on SIGINT or SIGTERM.
//!
//! hyper parses the request; its own limits are set above the ALB's so that the ALB's limits
//! (checked by [`event::build`]) are the ones a client meets. What hyper
//! still answers itself is listed in the README.

mod trace;

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::ext::ReasonPhrase;
use hyper::header::{HeaderName, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode, Version};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use crate::access_log::{self, Entry};
use crate::event::{self, EventOptions, MAX_BODY, RawRequest, Refusal};
use crate::invoke::Invoker;
use crate::options::Options;
use crate::response::{self, HttpResponse};
use crate::via::FrontDoor;
use alb_client_ip::config::Config;
use alb_client_ip::handler;
use trace::TraceRoots;

/// hyper's read buffer: above the ALB's 64 KiB header limit (and 16 KiB request line), so that
/// requests between the two get the ALB's 400 rather than hyper's 431.
pub const READ_BUFFER: usize = 256 * 1024;
/// Most header lines hyper accepts; more get hyper's 431.
pub const MAX_HEADER_COUNT: usize = 2048;
/// How long a stop waits for requests in flight.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// What every request needs.
struct State {
    event: EventOptions,
    /// `--explain`: the function's settings the explanation reads the chain under.
    explain: Option<Config>,
    invoker: Invoker,
    timeout: Duration,
    idle_timeout: Duration,
    trace_roots: TraceRoots,
}

/// Binds every listener, prints each URL on stdout, then serves until SIGINT or SIGTERM.
pub async fn run(options: Options, invoker: Invoker) -> io::Result<()> {
    let Options {
        listen,
        event,
        timeout,
        idle_timeout,
        via,
        explain,
        ..
    } = options;
    let (tx, mut accepted) = mpsc::channel::<(TcpStream, SocketAddr, u16, Option<FrontDoor>)>(64);
    let mut acceptors = Vec::new();
    // The ALB's own listeners, then the front door's (`--via`).
    let listeners = listen.iter().map(|addr| (addr, None)).chain(
        via.iter()
            .flat_map(|v| v.listen.iter().map(|addr| (addr, Some(v.door)))),
    );
    for (addr, door) in listeners {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}")))?;
        let local = listener.local_addr()?;
        match door {
            None => println!("local-alb: listening on http://{local}/"),
            Some(door) => println!(
                "local-alb: {door} edge listening on http://{local}/ (connects from {})",
                door.edge_address()
            ),
        }
        let tx = tx.clone();
        acceptors.push(tokio::spawn(async move {
            loop {
                match listener.accept().await {
                    Ok((stream, peer)) => {
                        if tx.send((stream, peer, local.port(), door)).await.is_err() {
                            break;
                        }
                    }
                    // Out of descriptors and the like: wait a moment rather than spin.
                    Err(e) => {
                        eprintln!("local-alb: accept on {local}: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
            }
        }));
    }
    drop(tx);
    use std::io::Write as _;
    let _ = io::stdout().flush();

    // The function's settings from this environment (a refused one was reported at start when
    // in-process); explained under the default otherwise.
    let explain =
        explain.then(|| Config::from_lookup(|k| std::env::var(k).ok()).unwrap_or_default());
    let state = Arc::new(State {
        event,
        explain,
        invoker,
        timeout,
        idle_timeout,
        trace_roots: TraceRoots::default(),
    });
    let graceful = GracefulShutdown::new();
    let mut builder = http1::Builder::new();
    builder
        .keep_alive(true)
        .max_buf_size(READ_BUFFER)
        .max_headers(MAX_HEADER_COUNT)
        .timer(TokioTimer::new())
        .header_read_timeout(idle_timeout);

    let stop = stop_signal();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            signal = &mut stop => {
                eprintln!("local-alb: {signal}, stopping");
                break;
            }
            next = accepted.recv() => {
                let Some((stream, peer, port, door)) = next else { break };
                let _ = stream.set_nodelay(true);
                let state = Arc::clone(&state);
                let service =
                    service_fn(move |req| handle(Arc::clone(&state), peer, port, door, req));
                let conn = builder.serve_connection(TokioIo::new(stream), service);
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    // A client that goes away mid-request is not the server's problem.
                    let _ = conn.await;
                });
            }
        }
    }
    for acceptor in acceptors {
        acceptor.abort();
    }
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        eprintln!("local-alb: connections still open after {SHUTDOWN_GRACE:?}, closing them");
    }
    Ok(())
}

/// Resolves on the first SIGINT or SIGTERM, naming it.
async fn stop_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            return tokio::select! {
                _ = tokio::signal::ctrl_c() => "SIGINT",
                _ = term.recv() => "SIGTERM",
            };
        }
    }
    let _ = tokio::signal::ctrl_c().await;
    "SIGINT"
}

async fn handle(
    state: Arc<State>,
    peer: SocketAddr,
    listener_port: u16,
    door: Option<FrontDoor>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let started = Instant::now();
    let time = SystemTime::now();
    let (mut parts, body) = request.into_parts();
    // Through the front door: its hops' rewrites, and the ALB's peer is the last hop.
    let alb_peer = match door {
        Some(door) => door.forward(peer, &mut parts.headers),
        None => peer,
    };
    let target = parts.uri.to_string();
    let version = match parts.version {
        Version::HTTP_10 => "HTTP/1.0",
        _ => "HTTP/1.1",
    };
    let headers: Vec<(&[u8], &[u8])> = parts
        .headers
        .iter()
        .map(|(n, v)| (n.as_str().as_bytes(), v.as_bytes()))
        .collect();
    let user_agent = parts
        .headers
        .get("user-agent")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default();

    let trace_root = state.trace_roots.next(time);
    let trace_log = format!("Root={trace_root}");

    // Read at most one byte more than the ALB forwards: enough to know the body is too large.
    // A client that stops sending gets the ALB's 408 after the idle timeout.
    let body = tokio::time::timeout(
        state.idle_timeout,
        Limited::new(body, MAX_BODY + 1).collect(),
    )
    .await;
    let (body, too_large) = match body {
        Ok(Ok(collected)) => (collected.to_bytes(), false),
        Ok(Err(_)) => (Bytes::new(), true),
        Err(_) => {
            let response = error_page(408);
            access_log::write(&Entry {
                time,
                peer,
                method: parts.method.as_str(),
                target: &target,
                status: 408,
                target_status: None,
                duration: started.elapsed(),
                received: 0,
                sent: body_len(&response),
                user_agent: &user_agent,
                trace_id: &trace_log,
                reason: Some(
                    "RequestTimeout: the body did not arrive within the idle timeout".into(),
                ),
            });
            return Ok(response);
        }
    };
    let raw = RawRequest {
        method: parts.method.as_str().as_bytes(),
        uri: &parts.uri,
        version,
        headers: &headers,
        body: &body,
        peer: alb_peer,
        listener_port,
        trace_root: &trace_root,
    };
    let built = match event::build(&raw, &state.event) {
        // Head refusals (400, 463) come first, as at the ALB; then the body limit.
        Ok(_) if too_large => Err(Refusal::BodyTooLarge { len: MAX_BODY + 1 }),
        other => other,
    };

    let mut entry = Entry {
        time,
        peer,
        method: parts.method.as_str(),
        target: &target,
        status: 0,
        target_status: None,
        duration: Duration::ZERO,
        received: body.len(),
        sent: 0,
        user_agent: &user_agent,
        trace_id: &trace_log,
        reason: None,
    };
    let explanation = match (&state.explain, &built) {
        (Some(config), Ok(event)) => {
            serde_json::from_slice::<Box<serde_json::value::RawValue>>(event)
                .ok()
                .map(|raw| handler::explanation(config, &handler::read(config, &raw)))
        }
        _ => None,
    };
    let response = respond(&state, built, &mut entry).await;
    entry.status = response.status().as_u16();
    entry.sent = body_len(&response);
    entry.duration = started.elapsed();
    access_log::write(&entry);
    if let Some(explanation) = explanation {
        access_log::write_explain(&trace_log, &explanation);
    }
    Ok(response)
}

/// The client's response to a built event (or a refusal): the function's, translated, or the
/// load balancer's error page, with the reason written into `entry`.
async fn respond(
    state: &State,
    built: Result<Vec<u8>, Refusal>,
    entry: &mut Entry<'_>,
) -> Response<Full<Bytes>> {
    let event = match built {
        Ok(event) => event,
        Err(refusal) => {
            entry.reason = Some(format!("{}: {refusal}", refusal.reason()));
            return error_page(refusal.status());
        }
    };
    let payload = match state.invoker.invoke(event, state.timeout).await {
        Ok(payload) => payload,
        Err(e) => {
            entry.reason = Some(format!("{}: {e}", e.reason()));
            return error_page(e.status());
        }
    };
    match response::translate(&payload, state.event.multi_value_headers) {
        Ok(translated) => {
            entry.target_status = Some(translated.status);
            to_hyper(translated)
        }
        Err(e) => {
            entry.reason = Some(format!("{}: {e}", e.reason()));
            error_page(502)
        }
    }
}

fn body_len(response: &Response<Full<Bytes>>) -> usize {
    use hyper::body::Body as _;
    response
        .body()
        .size_hint()
        .exact()
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(0)
}

fn status_of(code: u16) -> (StatusCode, Option<ReasonPhrase>) {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_GATEWAY);
    // hyper writes "<none>" for codes it has no reason phrase for (463 among them).
    let reason = match (code, status.canonical_reason()) {
        (463, _) => ReasonPhrase::try_from(&b"X-Forwarded-For Too Long"[..]).ok(),
        (_, None) => ReasonPhrase::try_from(&b"Unknown"[..]).ok(),
        _ => None,
    };
    (status, reason)
}

/// The load balancer's own answer: a small HTML page, as the ALB sends.
fn error_page(code: u16) -> Response<Full<Bytes>> {
    let (status, reason) = status_of(code);
    let title = match (&reason, status.canonical_reason()) {
        (Some(r), _) => format!("{code} {}", String::from_utf8_lossy(r.as_bytes())),
        (None, Some(r)) => format!("{code} {r}"),
        (None, None) => code.to_string(),
    };
    let html = format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n</body>\r\n</html>\r\n"
    );
    let mut response = Response::new(Full::new(Bytes::from(html)));
    *response.status_mut() = status;
    if let Some(reason) = reason {
        response.extensions_mut().insert(reason);
    }
    let headers = response.headers_mut();
    headers.insert("server", HeaderValue::from_static("awselb/2.0"));
    headers.insert(
        "content-type",
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

fn to_hyper(translated: HttpResponse) -> Response<Full<Bytes>> {
    let (status, default_reason) = status_of(translated.status);
    let mut response = Response::new(Full::new(Bytes::from(translated.body)));
    *response.status_mut() = status;
    let reason = translated
        .reason
        .and_then(|r| ReasonPhrase::try_from(r.into_bytes()).ok())
        .or(default_reason);
    if let Some(reason) = reason {
        response.extensions_mut().insert(reason);
    }
    let headers = response.headers_mut();
    for (name, value) in translated.headers {
        // `translate` has already refused anything HTTP cannot carry.
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            headers.append(name, value);
        }
    }
    response
}
