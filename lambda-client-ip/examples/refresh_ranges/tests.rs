//! The refresher against a local HTTP server that serves lists: a good refresh, a failing, a
//! slow and a malformed one, with requests to the example's server answered throughout.

// A test: a panic is the failure report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;

/// A range Cloudflare's bundled list does not hold: a new edge the refresh brings.
const NEW_EDGE: &str = "104.32.0.1";
const NEW_RANGE: &str = "104.32.0.0/16";
/// The client behind that edge, and what every request says.
const CLIENT: &str = "203.0.113.9";
const CHAIN: &str = "203.0.113.9, 104.32.0.1";
/// The refresher's timeout in the tests; every other wait is bounded by `BOUND`.
const LIMIT: Duration = Duration::from_millis(300);
const BOUND: Duration = Duration::from_secs(10);

/// What the list server answers: a status, a delay before it, and a body.
type Reply = (u16, Duration, String);

/// Cloudflare's bundled list, bare lines as Cloudflare publishes it, and `extra`.
fn cloudflare_list(extra: &str) -> String {
    let lines: Vec<String> = Preset::Cloudflare.nets().map(|n| n.to_string()).collect();
    format!("{}\n{extra}\n", lines.join("\n"))
}

/// A local HTTP server answering every GET with the reply `next` holds at that moment.
async fn list_server(next: Arc<Mutex<Reply>>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let (status, delay, body) = next.lock().unwrap().clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                tokio::time::sleep(delay).await;
                let len = body.len();
                let answer = format!(
                    "HTTP/1.1 {status} X\r\ncontent-length: {len}\r\nconnection: close\r\n\r\n{body}"
                );
                let _ = stream.write_all(answer.as_bytes()).await;
            });
        }
    });
    addr
}

/// The example's server on loopback, the shared source its layer reads.
async fn app(shared: &SharedSource) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve(listener, ClientIpLayer::shared(shared.clone())));
    addr
}

/// A request through our own proxy (loopback) with `CHAIN`: the status line and the body.
async fn ask(app: SocketAddr) -> (String, String) {
    let exchange = async {
        let mut stream = TcpStream::connect(app).await.unwrap();
        let request = format!(
            "GET / HTTP/1.1\r\nhost: x\r\nx-forwarded-for: {CHAIN}\r\nconnection: close\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        response
    };
    let response = timeout(BOUND, exchange).await.expect("a request waited");
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    (head.lines().next().unwrap().to_owned(), body.to_owned())
}

/// The list server answering `first`, a refresher fetching from it, and the app.
async fn setup(first: Reply) -> (Arc<Mutex<Reply>>, Refresher, SocketAddr) {
    let next = Arc::new(Mutex::new(first));
    let lists = list_server(next.clone()).await;
    let url = format!("http://{lists}/ips").parse().unwrap();
    let own = "127.0.0.1".parse().unwrap();
    let refresher = Refresher::new(url, Preset::Cloudflare, own, LIMIT).unwrap();
    let app = app(&refresher.shared).await;
    (next, refresher, app)
}

fn ok(body: String) -> Reply {
    (200, Duration::ZERO, body)
}

/// Set up, then a good refresh: the new edge is trusted, the client answered.
async fn refreshed() -> (Arc<Mutex<Reply>>, Refresher, SocketAddr) {
    let (next, refresher, app) = setup(ok(cloudflare_list(NEW_RANGE))).await;
    assert!(refresher.refresh().await.is_ok());
    assert_eq!(ask(app).await, ("HTTP/1.1 200 OK".into(), CLIENT.into()));
    (next, refresher, app)
}

#[tokio::test]
async fn a_good_refresh_trusts_the_new_range_for_the_next_request() {
    let (_next, refresher, app) = setup(ok(cloudflare_list(NEW_RANGE))).await;
    // The bundled list: the new edge is not trusted, so it is taken for the client.
    assert_eq!(ask(app).await, ("HTTP/1.1 200 OK".into(), NEW_EDGE.into()));
    let trusted = refresher.refresh().await.unwrap();
    assert!(trusted > Preset::Cloudflare.nets().count());
    assert_eq!(ask(app).await, ("HTTP/1.1 200 OK".into(), CLIENT.into()));
}

#[tokio::test]
async fn a_failing_refresh_keeps_the_last_good_lists() {
    let (next, mut refresher, app) = refreshed().await;
    // A 500 whose body is a list (without the new range) is not believed either.
    *next.lock().unwrap() = (500, Duration::ZERO, cloudflare_list(""));
    let failure = refresher.refresh().await.unwrap_err();
    assert_eq!(failure, Failure::Status(StatusCode::INTERNAL_SERVER_ERROR));
    assert_eq!(ask(app).await, ("HTTP/1.1 200 OK".into(), CLIENT.into()));
    // Nobody listening: the connection is refused.
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/ips", closed.local_addr().unwrap());
    drop(closed);
    refresher.url = url.parse().unwrap();
    let failure = timeout(BOUND, refresher.refresh()).await.unwrap();
    assert_eq!(failure.unwrap_err().kind(), "fetch");
    assert_eq!(ask(app).await, ("HTTP/1.1 200 OK".into(), CLIENT.into()));
}

#[tokio::test]
async fn a_slow_refresh_times_out_and_requests_are_answered_meanwhile() {
    let (next, refresher, app) = refreshed().await;
    // A list without the new range, sent long after the timeout.
    *next.lock().unwrap() = (200, LIMIT * 4, cloudflare_list(""));
    let refresher = Arc::new(refresher);
    let pending = tokio::spawn({
        let refresher = refresher.clone();
        async move { refresher.refresh().await }
    });
    // While the refresh waits, requests are answered with the last good lists.
    assert_eq!(ask(app).await, ("HTTP/1.1 200 OK".into(), CLIENT.into()));
    let failure = timeout(BOUND, pending).await.unwrap().unwrap();
    assert_eq!(failure, Err(Failure::Timeout(LIMIT)));
    // Past the time the slow answer arrived: still the last good lists.
    tokio::time::sleep(LIMIT * 4).await;
    assert_eq!(ask(app).await, ("HTTP/1.1 200 OK".into(), CLIENT.into()));
}

#[tokio::test]
async fn a_malformed_refresh_keeps_the_last_good_lists() {
    let (next, mut refresher, app) = refreshed().await;
    let everything = "0.0.0.0/1\n128.0.0.0/1\n".to_owned();
    let not_cloudflare = "# fastly: x\n# published: 2099-01-01\n151.101.0.0/16\n".to_owned();
    let older = "# cloudflare: x\n# published: 2020-01-01\n104.16.0.0/13\n".to_owned();
    for body in [
        "<html><body>502 Bad Gateway</body></html>".to_owned(),
        "\u{1b}[31m<html>\r\n".to_owned(),
        String::new(),
        "{\"error\": \"throttled\"}".to_owned(),
        everything,
        not_cloudflare,
        older,
    ] {
        *next.lock().unwrap() = ok(body.clone());
        let failure = refresher.refresh().await.unwrap_err();
        assert_eq!(failure.kind(), "list", "{body}: {failure}");
        // Logged with its reason, and nothing the server sent as a raw control character.
        let line = refresher.report(&Err(failure)).unwrap();
        assert!(!line.contains(char::is_control), "{line}");
        refresher.logged = None;
        assert_eq!(
            ask(app).await,
            ("HTTP/1.1 200 OK".into(), CLIENT.into()),
            "{body}"
        );
    }
}

#[tokio::test]
async fn the_task_refreshes_while_the_server_serves() {
    let (_next, refresher, app) = setup(ok(cloudflare_list(NEW_RANGE))).await;
    tokio::spawn(refresher.run(Duration::from_millis(50)));
    let swapped = async {
        while ask(app).await.1 != CLIENT {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    timeout(BOUND, swapped)
        .await
        .expect("the task never stored the fresh lists");
}

#[tokio::test]
async fn each_kind_of_failure_is_logged_once_until_a_success() {
    let (_next, mut refresher, _app) = setup(ok(String::new())).await;
    let status = Err(Failure::Status(StatusCode::BAD_GATEWAY));
    let logged = refresher.report(&status).unwrap();
    assert!(
        logged.contains("failed (status), keeping the last good lists: answered 502"),
        "{logged}"
    );
    assert_eq!(refresher.report(&status), None);
    assert!(refresher.report(&Err(Failure::Timeout(LIMIT))).is_some());
    assert!(refresher.report(&Ok(3)).unwrap().contains("3 trusted"));
    assert!(refresher.report(&status).is_some());
}
