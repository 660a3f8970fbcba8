//! One access-log line per request on stderr, in the spirit of the ALB access log:
//!
//! ```text
//! http 2026-11-24T23:10:00.123456Z 127.0.0.2:41234 "GET /?a=1 HTTP/1.1" 200 200 0.000412 0 27 "curl/8.5.0" "Root=1-..." -
//! ```
//!
//! Fields: type, time, client:port, request line, the load balancer's status, the target's
//! status (`-` when the function gave none), seconds spent, request body bytes, response body
//! bytes, user agent, trace id, and the reason when the load balancer answered for the target
//! (`-` otherwise). Quoted fields go through [`escape`], so a client cannot forge a line.

use std::fmt::Write as _;
use std::io::Write as _;
use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Longest request text (target, user agent, reason) written to the log, in characters.
pub const MAX_LOGGED_TEXT: usize = 1024;
/// The last second humantime formats (9999-12-31T23:59:59Z).
const LAST_FORMATTED_SECOND: u64 = 253_402_300_799;

/// What one request did.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    /// When the request arrived.
    pub time: SystemTime,
    /// The client's address and port.
    pub peer: SocketAddr,
    /// The method.
    pub method: &'a str,
    /// The request target.
    pub target: &'a str,
    /// The status the client got.
    pub status: u16,
    /// The status the function returned, when it returned a usable response.
    pub target_status: Option<u16>,
    /// Time from arrival to the response.
    pub duration: Duration,
    /// Request body size.
    pub received: usize,
    /// Response body size.
    pub sent: usize,
    /// The `user-agent` header.
    pub user_agent: &'a str,
    /// The `x-amzn-trace-id` sent to the function.
    pub trace_id: &'a str,
    /// Why the load balancer answered instead of the function, e.g. `LambdaResponseNull: body is null`.
    pub reason: Option<String>,
}

/// Formats an entry as one line (without the newline).
pub fn format(entry: &Entry<'_>) -> String {
    let mut line = String::with_capacity(256);
    let quoted = |text: &str| escape(text, MAX_LOGGED_TEXT);
    let _ = write!(
        line,
        "http {} {} \"{} {} HTTP/1.1\" {} {} {}.{:06} {} {} \"{}\" \"{}\" {}",
        timestamp(entry.time),
        entry.peer,
        quoted(entry.method),
        quoted(entry.target),
        entry.status,
        entry
            .target_status
            .map_or_else(|| "-".to_owned(), |s| s.to_string()),
        entry.duration.as_secs(),
        entry.duration.subsec_micros(),
        entry.received,
        entry.sent,
        quoted(entry.user_agent),
        quoted(entry.trace_id),
        entry
            .reason
            .as_deref()
            .map_or_else(|| "-".to_owned(), |r| format!("\"{}\"", quoted(r))),
    );
    line
}

/// Writes an entry to stderr as one line.
pub fn write(entry: &Entry<'_>) {
    let mut line = format(entry);
    line.push('\n');
    // A closed stderr must not take the server down.
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// Request text made safe for one log line: the function's own escaper, so the two never differ.
pub use alb_client_ip::printable as escape;

/// RFC 3339 UTC time with microseconds. Times outside 1970 to 9999 (a clock set far wrong) are
/// written as the nearest of the two.
fn timestamp(time: SystemTime) -> String {
    let last = UNIX_EPOCH + Duration::from_secs(LAST_FORMATTED_SECOND);
    humantime::format_rfc3339_micros(time.clamp(UNIX_EPOCH, last)).to_string()
}

/// Writes explain mode's line for a request, after its access-log line: the trace id, then the
/// explanation as one line of JSON (request text in it is already escaped).
pub fn write_explain(trace_id: &str, explanation: &serde_json::Value) {
    let line = format!(
        "explain \"{}\" {explanation}\n",
        escape(trace_id, MAX_LOGGED_TEXT)
    );
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        let day = |days: u64| timestamp(UNIX_EPOCH + Duration::from_secs(days * 86_400 + 1));
        assert_eq!(day(0), "1970-01-01T00:00:01.000000Z");
        assert_eq!(day(11_016), "2000-02-29T00:00:01.000000Z");
        assert_eq!(day(20_416), "2025-11-24T00:00:01.000000Z");
        let far = UNIX_EPOCH + Duration::from_secs(LAST_FORMATTED_SECOND + 86_400);
        assert_eq!(timestamp(far), "9999-12-31T23:59:59.000000Z");
        let before = UNIX_EPOCH - Duration::from_secs(1);
        assert_eq!(timestamp(before), "1970-01-01T00:00:00.000000Z");
    }

    #[test]
    fn long_text_is_cut() {
        let long = "a".repeat(MAX_LOGGED_TEXT + 10);
        assert_eq!(escape(&long, MAX_LOGGED_TEXT).len(), MAX_LOGGED_TEXT);
    }

    #[test]
    fn a_line_cannot_be_forged() {
        let entry = Entry {
            time: UNIX_EPOCH + Duration::from_micros(1_500_000),
            peer: "127.0.0.2:4000".parse().unwrap(),
            method: "GET",
            target: "/\"\n http",
            status: 502,
            target_status: None,
            duration: Duration::from_micros(1234),
            received: 0,
            sent: 0,
            user_agent: "ua\"x",
            trace_id: "Root=1",
            reason: Some("LambdaResponseNull: body is null".into()),
        };
        assert_eq!(
            format(&entry),
            r#"http 1970-01-01T00:00:01.500000Z 127.0.0.2:4000 "GET /\"\n http HTTP/1.1" 502 - 0.001234 0 0 "ua\"x" "Root=1" "LambdaResponseNull: body is null""#
        );
    }
}
