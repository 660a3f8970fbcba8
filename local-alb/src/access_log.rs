//! One access-log line per request on stderr, in the spirit of the ALB access log:
//!
//! ```text
//! http 2026-11-24T23:10:00.123456Z 127.0.0.2:41234 "GET /?a=1 HTTP/1.1" 200 200 0.000412 0 27 "curl/8.5.0" "Root=1-..." -
//! ```
//!
//! Fields: type, time, client:port, request line, the load balancer's status, the target's
//! status (`-` when the function gave none), seconds spent, request body bytes, response body
//! bytes, user agent, trace id, and the reason when the load balancer answered for the target
//! (`-` otherwise). Quoted fields have `"`, `\` and control characters escaped, so a client
//! cannot forge a line.

use std::fmt::Write as _;
use std::io::Write as _;
use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Longest request target written to the log, in characters.
const MAX_LOGGED_TARGET: usize = 1024;

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
    let target: String = entry.target.chars().take(MAX_LOGGED_TARGET).collect();
    let _ = write!(
        line,
        "http {} {} \"{} {} HTTP/1.1\" {} {} {}.{:06} {} {} \"{}\" \"{}\" {}",
        timestamp(entry.time),
        entry.peer,
        escape(entry.method),
        escape(&target),
        entry.status,
        entry
            .target_status
            .map_or_else(|| "-".to_owned(), |s| s.to_string()),
        entry.duration.as_secs(),
        entry.duration.subsec_micros(),
        entry.received,
        entry.sent,
        escape(entry.user_agent),
        escape(entry.trace_id),
        entry
            .reason
            .as_deref()
            .map_or_else(|| "-".to_owned(), |r| format!("\"{}\"", escape(r))),
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

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

/// RFC 3339 UTC time with microseconds.
fn timestamp(time: SystemTime) -> String {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:06}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        since.subsec_micros()
    )
}

/// Days since 1970-01-01 to (year, month, day), after Howard Hinnant's `civil_from_days`.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

/// Writes explain mode's line for a request, after its access-log line: the trace id, then the
/// explanation as one line of JSON (request text in it is already escaped).
pub fn write_explain(trace_id: &str, explanation: &serde_json::Value) {
    let line = format!("explain \"{}\" {explanation}\n", escape(trace_id));
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(20_416), (2025, 11, 24));
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
            r#"http 1970-01-01T00:00:01.500000Z 127.0.0.2:4000 "GET /\"\u{a} http HTTP/1.1" 502 - 0.001234 0 0 "ua\"x" "Root=1" "LambdaResponseNull: body is null""#
        );
    }
}
