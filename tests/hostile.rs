//! Hostile events, as a table: each case is an event an attacker (or a broken proxy) could make
//! the ALB deliver, the configuration in force, and the one answer the function may give. Case
//! names state the outcome. Every response goes through `testkit::contract::check` (status,
//! headers, no null, body shape, no raw control character in a message, a bounded message).
//!
//! Only the event's hostility is here: its shape, its maps, keys given twice, header names,
//! control characters in names and values, `sourceIp`. What an entry's text can hide (zones,
//! ports, brackets, fullwidth digits, bidi overrides, bytes that are not UTF-8, …) is the
//! resolver's, in lambda-client-ip/tests/hostile.rs.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use alb_client_ip::config::Config;
use alb_client_ip::handler::handle_bytes;
use lambda_client_ip::{ProxyCount, Source, TrustedRanges};
use serde_json::{Value, json};
use testkit::contract::{self, Answer};

fn count(n: u8) -> Config {
    Config {
        source: Source::x_forwarded_for(ProxyCount::new(n).unwrap()),
        explain: false,
    }
}

fn ranges(list: &str) -> Config {
    Config {
        source: Source::x_forwarded_for(list.parse::<TrustedRanges>().unwrap()),
        explain: false,
    }
}

/// The configuration the environment `env` describes.
fn env(env: &[(&str, &str)]) -> Config {
    Config::from_lookup(|k| {
        env.iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| (*v).to_owned())
    })
    .unwrap()
}

/// The answer to one event, after `contract::check`.
fn answer(config: &Config, payload: &[u8], name: &str) -> Answer {
    let out = handle_bytes(config, payload).expect("the payload is JSON");
    contract::check_bytes(&out, name)
}

/// The message of a refusal.
fn message(config: &Config, payload: &[u8]) -> String {
    let out = handle_bytes(config, payload).expect("the payload is JSON");
    let response: Value = serde_json::from_slice(&out).unwrap();
    contract::body(&response)["message"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn xff(chain: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({ "headers": { "x-forwarded-for": chain } })).unwrap()
}

fn event(v: Value) -> Vec<u8> {
    serde_json::to_vec(&v).unwrap()
}

fn ok(s: &str) -> Answer {
    Answer::Client(s.to_owned())
}

fn fail(code: &str) -> Answer {
    Answer::Refused(code.to_owned())
}

/// A case: its name (the outcome, as a statement), the configuration, the payload, the answer.
type Case<'a> = (&'a str, Config, Vec<u8>, Answer);

fn run(cases: &[Case]) {
    let mut wrong = Vec::new();
    for (name, config, payload, want) in cases {
        let got = answer(config, payload, name);
        if &got != want {
            wrong.push(format!("{name}: got {got:?}, want {want:?}"));
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

#[test]
fn a_health_checker_user_agent_is_a_health_check_only_without_a_chain() {
    let health = "ELB-HealthChecker/2.0";
    run(&[
        (
            "a health checker without a chain is answered healthy",
            count(0),
            event(json!({"headers": {"user-agent": health}})),
            Answer::Healthy,
        ),
        (
            "a health checker without a chain is healthy in every mode",
            count(3),
            event(json!({"multiValueHeaders": {"User-Agent": [health]}})),
            Answer::Healthy,
        ),
        (
            "Fail: a health-checker user agent does not turn a chain into a health check",
            count(0),
            event(json!({"headers": {"user-agent": health, "x-forwarded-for": "bogus"}})),
            fail("invalid_entry"),
        ),
        (
            "a health-checker user agent with a chain is answered as any request",
            count(0),
            event(json!({"headers": {"user-agent": health, "x-forwarded-for": "203.0.113.9"}})),
            ok("203.0.113.9"),
        ),
        (
            "Fail: user-agent twice is a conflict, not a health check",
            count(0),
            event(json!({"headers": {"user-agent": health, "User-Agent": "curl/8"}})),
            fail("conflicting_headers"),
        ),
    ]);
}

/// HTTP forbids ASCII control characters in a header value; an event can carry them. The
/// function replaces each with U+FFFD, which keeps every comma (and so every position) where it
/// was and which no address contains: an entry holding one is refused where it is read, and
/// never read left of the client.
#[test]
fn ascii_control_characters_in_values() {
    run(&[
        (
            "Fail: a NUL after the address",
            count(0),
            xff("203.0.113.9\u{0}"),
            fail("invalid_entry"),
        ),
        (
            "Fail: CR LF after the address",
            count(0),
            xff("203.0.113.9\r\n"),
            fail("invalid_entry"),
        ),
        (
            "Fail: vertical tab padding is not trimmed",
            count(0),
            xff("\u{b}203.0.113.9"),
            fail("invalid_entry"),
        ),
        (
            "Fail: an escape sequence in the entry",
            count(0),
            xff("\u{1b}[31m203.0.113.9"),
            fail("invalid_entry"),
        ),
        (
            "Fail: DEL after the address",
            count(0),
            xff("203.0.113.9\u{7f}"),
            fail("invalid_entry"),
        ),
        (
            "control characters left of the client are never read",
            count(0),
            xff("\u{0}\u{1}\u{7f}, 203.0.113.9"),
            ok("203.0.113.9"),
        ),
        (
            "a control character keeps the positions: the client one comma to its right",
            count(1),
            xff("6.6.6.6\u{0},198.51.100.1, 203.0.113.9"),
            ok("198.51.100.1"),
        ),
        (
            "Fail: a control character where the count reads, at its own position",
            count(1),
            xff("6.6.6.6, 198.51.100.1\u{0}, 203.0.113.9"),
            fail("invalid_entry"),
        ),
        (
            "a tab around the address is trimmed, as spaces are",
            count(0),
            xff("\t203.0.113.9\t"),
            ok("203.0.113.9"),
        ),
    ]);
    let said = message(&count(1), &xff("6.6.6.6, 198.51.100.1\u{0}, 203.0.113.9"));
    assert!(
        said.contains("position 1") && said.contains("198.51.100.1\u{fffd}"),
        "{said}"
    );
}

#[test]
fn header_names_differing_by_case_or_underscore() {
    let with = |headers: Value| event(json!({ "headers": headers }));
    run(&[
        (
            "an upper-case name is X-Forwarded-For",
            count(0),
            with(json!({"X-FORWARDED-FOR": "203.0.113.9"})),
            ok("203.0.113.9"),
        ),
        (
            "a mixed-case name is X-Forwarded-For",
            count(0),
            with(json!({"x-Forwarded-FOR": "203.0.113.9"})),
            ok("203.0.113.9"),
        ),
        (
            "Fail: an underscored name is another header, so there is no chain",
            count(0),
            with(json!({"x_forwarded_for": "203.0.113.9"})),
            fail("no_client_address"),
        ),
        (
            "an underscored name never outranks the real header",
            count(0),
            with(json!({"x_forwarded_for": "6.6.6.6", "x-forwarded-for": "203.0.113.9"})),
            ok("203.0.113.9"),
        ),
        (
            "Fail: a name with a trailing space is another header",
            count(0),
            with(json!({"x-forwarded-for ": "203.0.113.9"})),
            fail("no_client_address"),
        ),
        (
            "Fail: X-Forwarded-For under two spellings is a conflict, not a choice",
            count(0),
            with(json!({"x-forwarded-for": "203.0.113.9", "X-Forwarded-For": "6.6.6.6"})),
            fail("conflicting_headers"),
        ),
        (
            "Fail: two spellings even when they agree",
            count(0),
            with(json!({"x-forwarded-for": "203.0.113.9", "X-Forwarded-For": "203.0.113.9"})),
            fail("conflicting_headers"),
        ),
        (
            "Fail: the multi-value map may not contradict the single-value one",
            count(0),
            event(json!({
                "headers": {"x-forwarded-for": "6.6.6.6"},
                "multiValueHeaders": {"x-forwarded-for": ["203.0.113.9"]},
            })),
            fail("conflicting_headers"),
        ),
    ]);
}

fn entries(n: usize) -> String {
    (0..n)
        .map(|i| format!("198.51.100.{}", i + 1))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Large events: the event reader copes with a header of any length, and a refusal never echoes
/// more than a cut excerpt (`contract::check` bounds the message).
#[test]
fn long_headers_and_many_entries() {
    let one_entry = "1".repeat(16 * 1024);
    let many = format!("{}203.0.113.9, 198.51.100.2", "garbage,".repeat(300_000));
    run(&[
        (
            "31 entries (30 forwarded, the most the ALB accepts, plus its own) answer a count of 30",
            count(30),
            xff(&entries(31)),
            ok("198.51.100.1"),
        ),
        (
            "Fail: a 16 KiB entry is refused with a short message",
            count(0),
            xff(&one_entry),
            fail("invalid_entry"),
        ),
        (
            "300,000 entries: count mode reads only the N + 1 on the right (the rest is garbage)",
            count(1),
            xff(&many),
            ok("203.0.113.9"),
        ),
        (
            "Fail: 300,000 entries in one line of the multi-value map, a bad line where it reads",
            count(1),
            event(json!({"multiValueHeaders": {"x-forwarded-for": [many, "x", "198.51.100.3"]}})),
            fail("invalid_entry"),
        ),
    ]);
}

#[test]
fn events_where_fields_have_the_wrong_type() {
    let mut cases = vec![
        (
            "Fail: every field has the wrong type",
            count(0),
            event(json!({
                "httpMethod": 1, "path": [], "headers": 7, "multiValueHeaders": "x",
                "requestContext": true, "body": 3, "isBase64Encoded": "no",
                "queryStringParameters": 1, "multiValueQueryStringParameters": false,
            })),
            fail("malformed_event"),
        ),
        (
            "fields never read may have any type",
            count(0),
            event(json!({
                "httpMethod": 1, "path": [], "body": {"a": null}, "isBase64Encoded": "no",
                "queryStringParameters": null, "headers": {"x-forwarded-for": "203.0.113.9"},
            })),
            ok("203.0.113.9"),
        ),
        (
            "Fail: a null sourceIp counts as absent, as null headers do: no address",
            count(0),
            event(json!({"requestContext": {"http": {"sourceIp": null}}})),
            fail("no_client_address"),
        ),
        (
            "null headers mean no headers",
            count(0),
            event(json!({"headers": null, "multiValueHeaders": null,
                      "requestContext": {"http": {"sourceIp": "203.0.113.9"}}})),
            ok("203.0.113.9"),
        ),
    ];
    let wrong: &[(&str, Value)] = &[
        ("Fail: the payload is null", json!(null)),
        ("Fail: the payload is a number", json!(1)),
        ("Fail: the payload is a string", json!("x")),
        ("Fail: the payload is an array", json!([{"headers": {}}])),
        ("Fail: the payload is a boolean", json!(true)),
        ("Fail: headers is a number", json!({"headers": 1})),
        ("Fail: headers is an array", json!({"headers": []})),
        ("Fail: headers is a string", json!({"headers": "x"})),
        ("Fail: headers is a boolean", json!({"headers": false})),
        (
            "Fail: the chain is a number",
            json!({"headers": {"x-forwarded-for": 1}}),
        ),
        (
            "Fail: the chain is null",
            json!({"headers": {"x-forwarded-for": null}}),
        ),
        (
            "Fail: the chain is an object",
            json!({"headers": {"x-forwarded-for": {"a": "1.1.1.1"}}}),
        ),
        (
            "Fail: the chain is an array in the single-value map",
            json!({"headers": {"x-forwarded-for": ["1.1.1.1"]}}),
        ),
        (
            "Fail: another header's value is a number",
            json!({"headers": {"x-forwarded-for": "1.1.1.1", "accept": 1}}),
        ),
        (
            "Fail: multiValueHeaders is a string",
            json!({"multiValueHeaders": "x"}),
        ),
        (
            "Fail: a multi-value chain is a string",
            json!({"multiValueHeaders": {"x-forwarded-for": "1.1.1.1"}}),
        ),
        (
            "Fail: a multi-value chain holds a number",
            json!({"multiValueHeaders": {"x-forwarded-for": ["1.1.1.1", 2]}}),
        ),
        (
            "Fail: a multi-value chain holds null",
            json!({"multiValueHeaders": {"x-forwarded-for": [null]}}),
        ),
        (
            "Fail: a multi-value chain holds an array",
            json!({"multiValueHeaders": {"x-forwarded-for": [["1.1.1.1"]]}}),
        ),
        (
            "Fail: requestContext is a string",
            json!({"requestContext": "x"}),
        ),
        (
            "Fail: requestContext is a number",
            json!({"requestContext": 5}),
        ),
        (
            "Fail: identity is a string",
            json!({"requestContext": {"identity": "x"}}),
        ),
        (
            "Fail: sourceIp is a number",
            json!({"requestContext": {"identity": {"sourceIp": 5}}}),
        ),
        (
            "Fail: sourceIp is an array",
            json!({"requestContext": {"http": {"sourceIp": ["1.1.1.1"]}}}),
        ),
    ];
    for (name, v) in wrong {
        cases.push((name, count(0), event(v.clone()), fail("malformed_event")));
    }
    run(&cases);
}

#[test]
fn cr_lf_in_header_names_and_values() {
    let with = |headers: Value| event(json!({ "headers": headers }));
    run(&[
        (
            "Fail: CR LF in a value does not start a new header: the entry is refused",
            count(0),
            xff("203.0.113.9\r\nX-Forwarded-For: 6.6.6.6"),
            fail("invalid_entry"),
        ),
        (
            "Fail: a bare LF after the address",
            count(0),
            xff("203.0.113.9\n"),
            fail("invalid_entry"),
        ),
        (
            "Fail: a bare CR before the address",
            count(0),
            xff("\r203.0.113.9"),
            fail("invalid_entry"),
        ),
        (
            "CR LF left of the client is never read",
            count(0),
            xff("6.6.6.6\r\nX-Injected: 1, 203.0.113.9"),
            ok("203.0.113.9"),
        ),
        (
            "Fail: a name ending in CR LF is another header, so there is no chain",
            count(0),
            with(json!({"x-forwarded-for\r\n": "203.0.113.9"})),
            fail("no_client_address"),
        ),
        (
            "a name smuggling a second header line never outranks the real header",
            count(0),
            with(json!({"x-test\r\nx-forwarded-for": "6.6.6.6", "x-forwarded-for": "203.0.113.9"})),
            ok("203.0.113.9"),
        ),
        (
            "Fail: a name with CR LF and a value of the wrong type: refused, the name escaped",
            count(0),
            with(json!({"x-forwarded-for": "203.0.113.9", "evil\r\nname": 5})),
            fail("malformed_event"),
        ),
        (
            "multi-value: CR LF in a line left of the client is never read",
            count(0),
            event(
                json!({"multiValueHeaders": {"x-forwarded-for": ["6.6.6.6\r\n", "203.0.113.9"]}}),
            ),
            ok("203.0.113.9"),
        ),
        (
            "Fail: multi-value: CR LF in the line the count reads",
            count(1),
            event(
                json!({"multiValueHeaders": {"x-forwarded-for": ["6.6.6.6\r\n", "203.0.113.9"]}}),
            ),
            fail("invalid_entry"),
        ),
        (
            "CR LF in the trace id changes nothing",
            count(0),
            with(json!({"x-forwarded-for": "203.0.113.9", "x-amzn-trace-id": "Root=1\r\nX: y"})),
            ok("203.0.113.9"),
        ),
        (
            "Fail: CR LF in a source address",
            count(0),
            event(json!({"requestContext": {"identity": {"sourceIp": "192.0.2.1\r\n"}}})),
            fail("malformed_event"),
        ),
    ]);
}

/// C1 controls, U+2028 and U+2029 in every place a message can quote: `contract::check` fails
/// the case if one appears raw.
#[test]
fn c1_controls_and_line_separators_never_appear_raw_in_messages() {
    let evil = [
        "\u{85}",
        "\u{9b}",
        "\u{2028}",
        "\u{2029}",
        "\u{85}\u{9b}\u{2028}\u{2029}",
    ];
    let mut cases: Vec<(String, Config, Vec<u8>, Answer)> = Vec::new();
    for c in evil {
        let shown = c.escape_unicode().to_string();
        let mut case = |what: &str, payload: Value, want: Answer| {
            cases.push((
                format!("Fail: {shown} {what}"),
                count(0),
                event(payload),
                want,
            ));
        };
        case(
            "after the address",
            json!({"headers": {"x-forwarded-for": format!("203.0.113.9{c}")}}),
            fail("invalid_entry"),
        );
        case(
            "before the address",
            json!({"headers": {"x-forwarded-for": format!("{c}203.0.113.9")}}),
            fail("invalid_entry"),
        );
        case(
            "as the whole entry",
            json!({"headers": {"x-forwarded-for": c}}),
            fail("invalid_entry"),
        );
        case(
            "in a header name whose value has the wrong type",
            json!({"headers": {format!("a{c}b"): 1}}),
            fail("malformed_event"),
        );
        case(
            "in a multi-value header value of the wrong type",
            json!({"multiValueHeaders": {"a": format!("x{c}y")}}),
            fail("malformed_event"),
        );
        case(
            "in a source address",
            json!({"requestContext": {"http": {"sourceIp": format!("192.0.2.1{c}")}}}),
            fail("malformed_event"),
        );
        case(
            "in a zone",
            json!({"headers": {"x-forwarded-for": format!("fe80::1%eth{c}0")}}),
            fail("invalid_entry"),
        );
    }
    let cases: Vec<Case> = cases
        .iter()
        .map(|(name, config, payload, want)| {
            (name.as_str(), config.clone(), payload.clone(), want.clone())
        })
        .collect();
    run(&cases);
}

/// A key the answer reads given twice, at any level: JSON leaves the meaning open, so the event
/// is refused, also when the first copy is null. (Written as text: a JSON value cannot hold the
/// same key twice.)
#[test]
fn duplicate_keys_are_refused() {
    let raw = |text: &str| text.as_bytes().to_vec();
    let refused = |name, text| (name, count(0), raw(text), fail("malformed_event"));
    let conflict = |name, text| (name, count(0), raw(text), fail("conflicting_headers"));
    run(&[
        refused(
            "Fail: headers twice",
            r#"{"headers": {"x-forwarded-for": "6.6.6.6"}, "headers": {"x-forwarded-for": "203.0.113.9"}}"#,
        ),
        refused(
            "Fail: headers twice, the first null",
            r#"{"headers": null, "headers": {"x-forwarded-for": "203.0.113.9"}}"#,
        ),
        refused(
            "Fail: multiValueHeaders twice",
            r#"{"multiValueHeaders": {"x-forwarded-for": ["6.6.6.6"]}, "multiValueHeaders": {"x-forwarded-for": ["203.0.113.9"]}}"#,
        ),
        refused(
            "Fail: multiValueHeaders twice, the first null",
            r#"{"multiValueHeaders": null, "multiValueHeaders": {"x-forwarded-for": ["203.0.113.9"]}}"#,
        ),
        refused(
            "Fail: requestContext twice",
            r#"{"requestContext": {}, "requestContext": {"http": {"sourceIp": "203.0.113.9"}}}"#,
        ),
        refused(
            "Fail: requestContext twice, the first null",
            r#"{"requestContext": null, "requestContext": {"http": {"sourceIp": "203.0.113.9"}}}"#,
        ),
        refused(
            "Fail: http twice",
            r#"{"requestContext": {"http": {"sourceIp": "6.6.6.6"}, "http": {"sourceIp": "203.0.113.9"}}}"#,
        ),
        refused(
            "Fail: sourceIp twice",
            r#"{"requestContext": {"identity": {"sourceIp": "6.6.6.6", "sourceIp": "203.0.113.9"}}}"#,
        ),
        refused(
            "Fail: sourceIp twice, the first null",
            r#"{"requestContext": {"http": {"sourceIp": null, "sourceIp": "203.0.113.9"}}}"#,
        ),
        conflict(
            "Fail: x-forwarded-for twice, spelt the same",
            r#"{"headers": {"x-forwarded-for": "6.6.6.6", "x-forwarded-for": "203.0.113.9"}}"#,
        ),
        conflict(
            "Fail: x-forwarded-for twice in multiValueHeaders",
            r#"{"multiValueHeaders": {"x-forwarded-for": ["6.6.6.6"], "X-Forwarded-For": ["203.0.113.9"]}}"#,
        ),
        conflict(
            "Fail: user-agent twice",
            r#"{"headers": {"user-agent": "curl/8", "user-agent": "ELB-HealthChecker/2.0"}}"#,
        ),
        (
            "a key the answer never reads may repeat",
            count(0),
            raw(
                r#"{"body": "a", "body": "b", "headers": {"accept": "x", "accept": "y", "x-forwarded-for": "203.0.113.9"}}"#,
            ),
            ok("203.0.113.9"),
        ),
    ]);
}

#[test]
fn empty_forwarded_for_lists_are_refused() {
    run(&[
        (
            "Fail: an empty X-Forwarded-For list in multiValueHeaders is not \"no header\"",
            count(0),
            event(json!({"multiValueHeaders": {"x-forwarded-for": []}})),
            fail("malformed_event"),
        ),
        (
            "Fail: an empty list, whatever the single-value map says",
            count(0),
            event(json!({"headers": {"x-forwarded-for": "203.0.113.9"},
                         "multiValueHeaders": {"x-forwarded-for": []}})),
            fail("malformed_event"),
        ),
        (
            "Fail: an empty list does not make a health check",
            count(0),
            event(json!({"multiValueHeaders": {"x-forwarded-for": [],
                                               "user-agent": ["ELB-HealthChecker/2.0"]}})),
            fail("malformed_event"),
        ),
        (
            "Fail: an empty list under another spelling",
            count(0),
            event(json!({"multiValueHeaders": {"X-FORWARDED-FOR": []}})),
            fail("malformed_event"),
        ),
        (
            "Fail: a list holding one empty value is one empty entry",
            count(0),
            event(json!({"multiValueHeaders": {"x-forwarded-for": [""]}})),
            fail("invalid_entry"),
        ),
        (
            "an empty list under a header never read is no header at all",
            count(0),
            event(json!({"multiValueHeaders": {"accept": [], "x-forwarded-for": ["203.0.113.9"]}})),
            ok("203.0.113.9"),
        ),
    ]);
}

/// Objects the answer reads, given as arrays. serde derive would read a struct from a JSON array
/// (its fields in order), and `[{"sourceIp": ...}]` in place of `requestContext` would yield an
/// address: the event reader accepts objects only.
#[test]
fn objects_the_answer_reads_given_as_arrays() {
    let cases = [
        (
            "Fail: requestContext is an array",
            json!({"requestContext": []}),
        ),
        (
            "Fail: requestContext is an array holding an identity",
            json!({"requestContext": [{"sourceIp": "192.0.2.1"}]}),
        ),
    ];
    let cases: Vec<Case> = cases
        .into_iter()
        .map(|(name, v)| (name, count(0), event(v), fail("malformed_event")))
        .collect();
    run(&cases);
}

/// `identity` and `http` must be objects, given once: an array in place of one (which serde derive
/// would read field by field) and a repeated door, also after a `null`, are refused.
#[test]
fn doors_given_as_arrays_or_twice_are_refused() {
    let raw = |text: &str| text.as_bytes().to_vec();
    run(&[
        (
            "Fail: identity is an array",
            count(0),
            event(json!({"requestContext": {"identity": ["192.0.2.1"]}})),
            fail("malformed_event"),
        ),
        (
            "Fail: http is an array",
            count(0),
            event(json!({"requestContext": {"http": ["192.0.2.1"]}})),
            fail("malformed_event"),
        ),
        (
            "Fail: identity is an empty array",
            count(0),
            event(json!({"requestContext": {"identity": []}})),
            fail("malformed_event"),
        ),
        (
            "Fail: identity twice, the first null",
            count(0),
            raw(
                r#"{"requestContext": {"identity": null, "identity": {"sourceIp": "203.0.113.9"}}}"#,
            ),
            fail("malformed_event"),
        ),
    ]);
}

/// Bytes that are not JSON never reach the handler: the Lambda runtime refuses them first (an
/// invocation error, which the ALB answers with 502), and `handle_bytes` refuses them the same
/// way instead of answering.
#[test]
fn bytes_that_are_not_json_are_refused_before_the_handler() {
    let cases: &[(&str, &[u8])] = &[
        ("Fail: not JSON", b"x-forwarded-for: 1.1.1.1"),
        (
            "Fail: truncated JSON",
            br#"{"headers": {"x-forwarded-for": "1.1"#,
        ),
        ("Fail: empty payload", b""),
        (
            "Fail: invalid UTF-8 in a string",
            b"{\"headers\": {\"x-forwarded-for\": \"\xff\"}}",
        ),
        ("Fail: nesting 10,000 deep", &[b'['; 10_000]),
        ("Fail: two JSON values", br#"{} {}"#),
    ];
    for (name, bytes) in cases {
        assert!(handle_bytes(&count(0), bytes).is_err(), "{name}");
    }
}

/// `sourceIp` (API Gateway, Function URLs) is the front door's peer: used only when there is no
/// X-Forwarded-For, and an event whose `sourceIp` is not a client's address is malformed.
#[test]
fn source_ip_is_used_only_without_a_chain() {
    let both = |chain: &str, source: &str| {
        event(json!({"headers": {"x-forwarded-for": chain},
                     "requestContext": {"http": {"sourceIp": source}}}))
    };
    let alone =
        |door: &str, source: &str| event(json!({"requestContext": {door: {"sourceIp": source}}}));
    run(&[
        (
            "the chain wins over sourceIp",
            count(0),
            both("203.0.113.9", "198.51.100.1"),
            ok("203.0.113.9"),
        ),
        (
            "a count reads the chain, never sourceIp as an extra position",
            count(1),
            both("6.6.6.6, 203.0.113.9", "198.51.100.1"),
            ok("6.6.6.6"),
        ),
        (
            "Fail: a chain too short for the count is not padded with sourceIp",
            count(1),
            both("203.0.113.9", "198.51.100.1"),
            fail("chain_too_short"),
        ),
        (
            "without a chain, identity.sourceIp",
            count(0),
            alone("identity", "198.51.100.1"),
            ok("198.51.100.1"),
        ),
        (
            "without a chain, http.sourceIp",
            count(0),
            alone("http", "2001:DB8::1"),
            ok("2001:db8::1"),
        ),
        (
            "a port on sourceIp is accepted",
            count(0),
            alone("http", "198.51.100.1:443"),
            ok("198.51.100.1"),
        ),
        (
            "Fail: without a chain a count of 1 needs two positions",
            count(1),
            alone("http", "198.51.100.1"),
            fail("chain_too_short"),
        ),
        (
            "Fail: sourceIp in the trusted ranges and no chain",
            ranges("198.51.100.0/24"),
            alone("http", "198.51.100.1"),
            fail("all_trusted"),
        ),
        (
            "Fail: an unspecified sourceIp",
            count(0),
            alone("http", "0.0.0.0"),
            fail("malformed_event"),
        ),
        (
            "Fail: a class E sourceIp",
            count(0),
            alone("http", "240.0.0.1"),
            fail("malformed_event"),
        ),
        (
            "Fail: a multicast sourceIp",
            count(0),
            alone("identity", "ff02::1"),
            fail("malformed_event"),
        ),
        (
            "Fail: a hostname as sourceIp",
            count(0),
            alone("http", "evil.example"),
            fail("malformed_event"),
        ),
        (
            "Fail: an invalid sourceIp is malformed even beside a chain",
            count(0),
            both("203.0.113.9", "unknown"),
            fail("malformed_event"),
        ),
        (
            "Fail: sourceIp under both doors",
            count(0),
            event(
                json!({"requestContext": {"http": {"sourceIp": "198.51.100.1"},
                                            "identity": {"sourceIp": "198.51.100.1"}}}),
            ),
            fail("malformed_event"),
        ),
    ]);
}

/// The single-address headers and `Forwarded` are read from the same event maps: the same event
/// rules hold for them (repeats refused, control characters replaced).
#[test]
fn single_address_headers_and_forwarded_in_events() {
    let real_ip = || {
        env(&[
            ("CLIENT_IP_HEADER", "x-real-ip"),
            ("TRUSTED_PROXY_CIDRS", "10.0.0.0/8"),
        ])
    };
    let forwarded = || {
        env(&[
            ("CLIENT_IP_HEADER", "forwarded"),
            ("TRUSTED_PROXY_COUNT", "0"),
            ("VPC_LINK_CIDRS", "10.0.1.0/24"),
        ])
    };
    let cloudflare = || env(&[("TRUSTED_PROXY_CIDRS", "cloudflare")]);
    let headers = |h: Value| event(json!({ "headers": h }));
    run(&[
        (
            "x-real-ip from the proxy's peer",
            real_ip(),
            headers(json!({"x-forwarded-for": "10.0.0.7", "X-Real-IP": "203.0.113.9"})),
            ok("203.0.113.9"),
        ),
        (
            "Fail: x-real-ip with CR LF",
            real_ip(),
            headers(json!({"x-forwarded-for": "10.0.0.7", "x-real-ip": "203.0.113.9\r\n"})),
            fail("client_header_invalid"),
        ),
        (
            "Fail: x-real-ip under two spellings",
            real_ip(),
            headers(
                json!({"x-forwarded-for": "10.0.0.7", "x-real-ip": "203.0.113.9",
                           "X-Real-IP": "203.0.113.9"}),
            ),
            fail("conflicting_headers"),
        ),
        (
            "Fail: x-real-ip as two lines of the multi-value map",
            real_ip(),
            event(
                json!({"multiValueHeaders": {"x-forwarded-for": ["10.0.0.7"],
                                               "x-real-ip": ["203.0.113.9", "6.6.6.6"]}}),
            ),
            fail("client_header_repeated"),
        ),
        (
            "a caller who reaches the ALB directly gets its own address, whatever x-real-ip says",
            real_ip(),
            headers(json!({"x-forwarded-for": "198.51.100.66", "x-real-ip": "6.6.6.6"})),
            ok("198.51.100.66"),
        ),
        (
            "Forwarded from the event",
            forwarded(),
            headers(
                json!({"forwarded": "for=6.6.6.6, for=\"[2001:db8::7]:4711\"",
                           "x-forwarded-for": "10.0.1.17"}),
            ),
            ok("2001:db8::7"),
        ),
        (
            "Forwarded from a caller that went around the VPC link: its own address",
            forwarded(),
            headers(json!({"forwarded": "for=6.6.6.6", "x-forwarded-for": "198.51.100.66"})),
            ok("198.51.100.66"),
        ),
        (
            "Fail: Forwarded with CR LF in the element the count reads",
            forwarded(),
            headers(json!({"forwarded": "for=203.0.113.9\r\n", "x-forwarded-for": "10.0.1.17"})),
            fail("invalid_entry"),
        ),
        (
            "Fail: Forwarded under two spellings",
            forwarded(),
            headers(json!({"forwarded": "for=203.0.113.9", "Forwarded": "for=203.0.113.9"})),
            fail("conflicting_headers"),
        ),
        (
            "Fail: no Forwarded header",
            forwarded(),
            headers(json!({"x-forwarded-for": "10.0.1.17"})),
            fail("client_header_missing"),
        ),
        (
            "Fail: cf-connecting-ipv6 under two spellings",
            cloudflare(),
            headers(json!({"x-forwarded-for": "240.0.0.9, 104.16.0.1",
                           "cf-connecting-ipv6": "2001:db8::9", "CF-Connecting-IPv6": "2001:db8::9"})),
            fail("conflicting_headers"),
        ),
        (
            "Fail: cf-connecting-ipv6 with CR LF does not undo a Pseudo IPv4",
            cloudflare(),
            headers(json!({"x-forwarded-for": "240.0.0.9, 104.16.0.1",
                           "cf-connecting-ipv6": "2001:db8::9\r\n"})),
            fail("cf_connecting_ipv6_invalid"),
        ),
    ]);
}
