//! Golden tests of the two translations.
//!
//! `tests/golden/events/*.json`: `{"request": ..., "options": ..., "event": <expected>}`: the raw
//! request, the load-balancer attributes, and the exact event the ALB would send.
//! `tests/golden/responses/*.json`: `{"multi_value_headers": bool, "payload": <function output>,
//! "expected": {"status", "reason", "headers", "body"} | {"bad_gateway": "<reason>"}}`.
//!
//! `UPDATE_GOLDEN=1 cargo test -p local-alb --test golden` rewrites the expected parts from the
//! current code; review the diff before committing it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use aws_lambda_events::alb::AlbTargetGroupRequest;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use clap::ValueEnum;
use local_alb::event::{self, EventOptions, RawRequest, Uri, XffMode};
use local_alb::response;
use serde_json::{Value, json};

const TRACE_ROOT: &str = "1-67891233-abcdef012345678912345678";

fn golden_dir(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(kind)
}

fn cases(kind: &str) -> Vec<(PathBuf, Value)> {
    let mut files: Vec<PathBuf> = fs::read_dir(golden_dir(kind))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 5, "no golden files in {kind}");
    files
        .into_iter()
        .map(|p| {
            let v = serde_json::from_str(&fs::read_to_string(&p).unwrap()).unwrap();
            (p, v)
        })
        .collect()
}

fn update() -> bool {
    std::env::var_os("UPDATE_GOLDEN").is_some()
}

fn write_back(path: &Path, case: &Value) {
    let mut text = serde_json::to_string_pretty(case).unwrap();
    text.push('\n');
    fs::write(path, text).unwrap();
}

fn options(v: &Value) -> EventOptions {
    let flag = |k: &str| v.get(k).and_then(Value::as_bool).unwrap_or(false);
    EventOptions {
        xff_mode: v
            .get("xff_mode")
            .and_then(Value::as_str)
            .map_or(XffMode::Append, |m| XffMode::from_str(m, false).unwrap()),
        xff_client_port: flag("xff_client_port"),
        multi_value_headers: flag("multi_value_headers"),
        drop_invalid_header_fields: flag("drop_invalid_header_fields"),
        ..EventOptions::default()
    }
}

fn build_from(request: &Value, options: &EventOptions) -> Result<Value, u16> {
    let s = |k: &str| request[k].as_str().unwrap().to_owned();
    let headers: Vec<(Vec<u8>, Vec<u8>)> = request["headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|pair| {
            (
                pair[0].as_str().unwrap().as_bytes().to_vec(),
                pair[1].as_str().unwrap().as_bytes().to_vec(),
            )
        })
        .collect();
    let headers: Vec<(&[u8], &[u8])> = headers
        .iter()
        .map(|(n, v)| (n.as_slice(), v.as_slice()))
        .collect();
    let body = match (request.get("body"), request.get("body_base64")) {
        (Some(text), _) => text.as_str().unwrap().as_bytes().to_vec(),
        (None, Some(b64)) => STANDARD.decode(b64.as_str().unwrap()).unwrap(),
        (None, None) => Vec::new(),
    };
    let method = s("method");
    let target = s("target");
    let peer: SocketAddr = s("peer").parse().unwrap();
    let raw = RawRequest {
        method: method.as_bytes(),
        uri: &target.parse::<Uri>().unwrap(),
        version: "HTTP/1.1",
        headers: &headers,
        body: &body,
        peer,
        listener_port: request["listener_port"].as_u64().unwrap() as u16,
        trace_root: TRACE_ROOT,
    };
    event::build(&raw, options)
        .map(|bytes| serde_json::from_slice(&bytes).unwrap())
        .map_err(|r| r.status())
}

#[test]
fn events_match_their_golden_files() {
    let mut failures = Vec::new();
    for (path, mut case) in cases("events") {
        let got = match build_from(&case["request"], &options(&case["options"])) {
            Ok(event) => {
                // What a real ALB sends reads as aws_lambda_events' type: so must ours.
                if let Err(e) = serde_json::from_value::<AlbTargetGroupRequest>(event.clone()) {
                    failures.push(format!(
                        "{}: not an AlbTargetGroupRequest: {e}",
                        path.display()
                    ));
                }
                event
            }
            Err(status) => json!({ "refusal": status }),
        };
        if update() {
            case["event"] = got;
            write_back(&path, &case);
        } else if case["event"] != got {
            failures.push(format!(
                "{}:\n  want {}\n  got  {}",
                path.display(),
                case["event"],
                got
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn translate_case(case: &Value) -> Value {
    let payload = match (&case["payload"], case.get("payload_raw")) {
        (_, Some(raw)) => raw.as_str().unwrap().as_bytes().to_vec(),
        (v, None) => serde_json::to_vec(v).unwrap(),
    };
    let multi = case["multi_value_headers"].as_bool().unwrap_or(false);
    match response::translate(&payload, multi) {
        Ok(r) => json!({
            "status": r.status,
            "reason": r.reason,
            "headers": r.headers,
            "body": String::from_utf8_lossy(&r.body),
        }),
        Err(e) => json!({ "bad_gateway": e.reason(), "why": e.to_string() }),
    }
}

#[test]
fn responses_match_their_golden_files() {
    let mut failures = Vec::new();
    for (path, mut case) in cases("responses") {
        let got = translate_case(&case);
        if update() {
            case["expected"] = got;
            write_back(&path, &case);
        } else if case["expected"] != got {
            failures.push(format!(
                "{}:\n  want {}\n  got  {}",
                path.display(),
                case["expected"],
                got
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every file whose name starts with `bad-gateway-` must give a 502, whatever the golden file
/// says: a regenerated golden file cannot silently turn one of them into a success.
#[test]
fn bad_gateway_cases_stay_bad_gateway() {
    let mut seen = 0;
    for (path, case) in cases("responses") {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let got = translate_case(&case);
        if name.starts_with("bad-gateway-") {
            seen += 1;
            assert!(got.get("bad_gateway").is_some(), "{name}: {got}");
        } else {
            assert!(got.get("status").is_some(), "{name}: {got}");
        }
    }
    assert!(seen >= 10, "only {seen} bad-gateway cases");
}

static ROOT: LazyLock<Uri> = LazyLock::new(|| Uri::from_static("/"));

fn plain_request<'a>(headers: &'a [(&'a [u8], &'a [u8])], body: &'a [u8]) -> RawRequest<'a> {
    RawRequest {
        method: b"POST",
        uri: &ROOT,
        version: "HTTP/1.1",
        headers,
        body,
        peer: "192.0.2.10:40000".parse().unwrap(),
        listener_port: 80,
        trace_root: TRACE_ROOT,
    }
}

#[test]
fn limits_are_the_albs() {
    let xff = |n: usize| vec!["1.1.1.1"; n].join(", ");
    let (xff30, xff31) = (xff(30), xff(31));
    // "GET " + target + " HTTP/1.1" is exactly 16 KiB.
    let line_ok = format!("/{}", "a".repeat(16 * 1024 - 14));
    let line_long = format!("{line_ok}a");
    let uri_ok: Uri = line_ok.parse().unwrap();
    let uri_long: Uri = line_long.parse().unwrap();
    let asterisk: Uri = "*".parse().unwrap();
    let value_ok = "v".repeat(16 * 1024 - 3);
    let value_long = format!("{value_ok}v");
    let mib = vec![b'x'; 1024 * 1024];
    let mib_plus = vec![b'x'; 1024 * 1024 + 1];
    // Four lines of "a: <value>" plus CRLF: exactly 64 KiB, then 8 bytes over.
    let block_value = "v".repeat(16 * 1024 - 5);
    let ok_block: Vec<(&[u8], &[u8])> = (0..4)
        .map(|_| (&b"a"[..], block_value.as_bytes()))
        .collect();
    let big_block: Vec<(&[u8], &[u8])> = (0..4).map(|_| (&b"a"[..], value_ok.as_bytes())).collect();

    let h30: &[(&[u8], &[u8])] = &[(b"x-forwarded-for", xff30.as_bytes())];
    let h31: &[(&[u8], &[u8])] = &[(b"x-forwarded-for", xff31.as_bytes())];
    let h31_two_lines: &[(&[u8], &[u8])] = &[
        (b"x-forwarded-for", xff30.as_bytes()),
        (b"X-Forwarded-For", b"2.2.2.2"),
    ];
    let line_ok_header: &[(&[u8], &[u8])] = &[(b"a", value_ok.as_bytes())];
    let line_long_header: &[(&[u8], &[u8])] = &[(b"a", value_long.as_bytes())];

    type Case<'a> = (&'a str, RawRequest<'a>, Result<(), u16>);
    let cases: Vec<Case> = vec![
        ("30 addresses pass", plain_request(h30, b""), Ok(())),
        (
            "Fail: 31 addresses are refused with 463",
            plain_request(h31, b""),
            Err(463),
        ),
        (
            "Fail: 31 addresses over two lines are refused with 463",
            plain_request(h31_two_lines, b""),
            Err(463),
        ),
        (
            "a request line of exactly 16 KiB passes",
            RawRequest {
                method: b"GET",
                uri: &uri_ok,
                ..plain_request(&[], b"")
            },
            Ok(()),
        ),
        (
            "Fail: a request line over 16 KiB is refused with 400",
            RawRequest {
                method: b"GET",
                uri: &uri_long,
                ..plain_request(&[], b"")
            },
            Err(400),
        ),
        (
            "a header line of exactly 16 KiB passes",
            plain_request(line_ok_header, b""),
            Ok(()),
        ),
        (
            "Fail: a header line over 16 KiB is refused with 400",
            plain_request(line_long_header, b""),
            Err(400),
        ),
        (
            "a header block of exactly 64 KiB passes",
            plain_request(&ok_block, b""),
            Ok(()),
        ),
        (
            "Fail: a header block over 64 KiB is refused with 400",
            plain_request(&big_block, b""),
            Err(400),
        ),
        (
            "a body of exactly 1 MiB passes",
            plain_request(&[], &mib),
            Ok(()),
        ),
        (
            "Fail: a body over 1 MiB is refused with 413",
            plain_request(&[], &mib_plus),
            Err(413),
        ),
        (
            "Fail: 463 is checked before the body size",
            plain_request(h31, &mib_plus),
            Err(463),
        ),
        (
            "Fail: an asterisk target is not forwarded",
            RawRequest {
                uri: &asterisk,
                ..plain_request(&[], b"")
            },
            Err(400),
        ),
    ];
    for (name, request, want) in cases {
        let got = event::build(&request, &EventOptions::default())
            .map(|_| ())
            .map_err(|r| r.status());
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn a_large_binary_body_round_trips_through_base64() {
    let body: Vec<u8> = (0..=255u8).cycle().take(1024 * 1024).collect();
    let headers: &[(&[u8], &[u8])] = &[(b"content-type", b"application/octet-stream")];
    let event: Value = serde_json::from_slice(
        &event::build(&plain_request(headers, &body), &EventOptions::default()).unwrap(),
    )
    .unwrap();
    assert_eq!(event["isBase64Encoded"], true);
    assert_eq!(
        STANDARD.decode(event["body"].as_str().unwrap()).unwrap(),
        body
    );
}

#[test]
fn a_response_over_one_mib_is_a_bad_gateway_and_one_just_under_is_not() {
    let wrap = |n: usize| {
        let prefix = r#"{"statusCode":200,"body":""#;
        let suffix = r#""}"#;
        let filler = "x".repeat(n - prefix.len() - suffix.len());
        format!("{prefix}{filler}{suffix}")
    };
    let at_limit = wrap(1024 * 1024);
    assert_eq!(at_limit.len(), 1024 * 1024);
    assert!(response::translate(at_limit.as_bytes(), false).is_ok());
    let over = wrap(1024 * 1024 + 1);
    assert_eq!(
        response::translate(over.as_bytes(), false)
            .unwrap_err()
            .reason(),
        "LambdaResponseTooLarge"
    );
}

#[test]
fn building_never_panics_on_odd_bytes() {
    let odd: &[&[u8]] = &[
        b"",
        b"\xff\xfe",
        b"\0",
        b"/\xc3(",
        b"http://",
        b"://",
        b"?",
        b"#",
    ];
    for &a in odd {
        for &b in odd {
            let headers: &[(&[u8], &[u8])] =
                &[(a, b), (b"x-forwarded-for", b), (b"x-amzn-trace-id", a)];
            let request = RawRequest {
                method: a,
                uri: &Uri::try_from(b).unwrap_or_default(),
                ..plain_request(headers, a)
            };
            for multi in [false, true] {
                let options = EventOptions {
                    multi_value_headers: multi,
                    drop_invalid_header_fields: multi,
                    ..EventOptions::default()
                };
                let _ = event::build(&request, &options);
            }
            let _ = response::translate(a, false);
            let _ = response::translate(b, true);
        }
    }
}
