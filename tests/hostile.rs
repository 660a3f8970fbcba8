//! Hostile input, as a table: each case is an event an attacker (or a broken proxy) could make the
//! ALB deliver, the policy in force, and the one answer the function may give. Case names state
//! the outcome. Every response goes through `contract::check` (status, headers, no null, body
//! shape, no raw control character in a message), and no refusal echoes more than a short,
//! escaped excerpt of the input.
//!
//! Byte chains that are not UTF-8 cannot reach the function (a JSON string is UTF-8): the
//! resolver's own hostile table, in lambda-client-ip/tests/hostile.rs, has them.

mod support;

use alb_client_ip::config::Config;
use alb_client_ip::handler::handle_bytes;
use lambda_client_ip::{ProxyCount, TrustPolicy};
use serde_json::{Value, json};
use support::contract::{self, Answer};

fn count(n: u8) -> Config {
    Config::with_policy(TrustPolicy::Count(ProxyCount::new(n).unwrap()))
}

fn ranges(list: &str) -> Config {
    Config::with_policy(TrustPolicy::Ranges(list.parse().unwrap()))
}

/// The answer to one event, after `contract::check`.
fn answer(config: &Config, payload: &[u8], name: &str) -> Answer {
    let out = handle_bytes(config, payload).expect("the payload is JSON");
    let response: Value = serde_json::from_slice(&out).expect("the response is JSON");
    contract::check(&response, name)
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
fn forged_and_injected_entries() {
    run(&[
        (
            "a forged leftmost entry never becomes the client",
            count(0),
            xff("6.6.6.6, 203.0.113.9"),
            ok("203.0.113.9"),
        ),
        (
            "a forged leftmost entry is skipped behind one trusted proxy",
            count(1),
            xff("6.6.6.6, 198.51.100.1, 203.0.113.9"),
            ok("198.51.100.1"),
        ),
        (
            "a forged leftmost loopback address is never the client",
            count(0),
            xff("127.0.0.1, 203.0.113.9"),
            ok("203.0.113.9"),
        ),
        (
            "forged trusted-looking entries left of the client are ignored in range mode",
            ranges("10.0.0.0/8"),
            xff("10.0.0.9, 10.0.0.8, 198.51.100.7, 10.0.0.1"),
            ok("198.51.100.7"),
        ),
        (
            "a trusted-looking entry injected before the ALB's own entry does not hide the peer",
            ranges("10.0.0.0/8"),
            xff("10.0.0.1, 203.0.113.5"),
            ok("203.0.113.5"),
        ),
        (
            "an injected IPv4-mapped trusted address is still left of the peer",
            ranges("10.0.0.0/8"),
            xff("::ffff:10.0.0.1, 203.0.113.5"),
            ok("203.0.113.5"),
        ),
        (
            "a trusted address written in IPv4-mapped form by a proxy is still trusted",
            ranges("10.0.0.0/8"),
            xff("203.0.113.5, ::ffff:10.0.0.1"),
            ok("203.0.113.5"),
        ),
        (
            "Fail: a forged entry cannot fill a chain that is too short",
            count(2),
            xff("203.0.113.9"),
            fail("chain_too_short"),
        ),
        (
            "Fail: a chain made only of trusted addresses names no client",
            ranges("10.0.0.0/8"),
            xff("10.1.1.1, 10.2.2.2"),
            fail("all_trusted"),
        ),
        (
            "Fail: a health-checker user agent does not turn a chain into a health check",
            count(0),
            event(json!({"headers": {
                "user-agent": "ELB-HealthChecker/2.0", "x-forwarded-for": "bogus"}})),
            fail("invalid_entry"),
        ),
    ]);
}

#[test]
fn garbage_control_characters_and_unicode() {
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
            "Fail: no-break space padding is not trimmed",
            count(0),
            xff("\u{a0}203.0.113.9"),
            fail("invalid_entry"),
        ),
        (
            "Fail: an escape sequence in the entry",
            count(0),
            xff("\u{1b}[31m203.0.113.9"),
            fail("invalid_entry"),
        ),
        (
            "control characters left of the client are never read",
            count(0),
            xff("\u{0}\u{1}\u{7f}, 203.0.113.9"),
            ok("203.0.113.9"),
        ),
        (
            "Fail: fullwidth digits",
            count(0),
            xff("２０３.0.113.9"),
            fail("invalid_entry"),
        ),
        (
            "Fail: Arabic-Indic digits",
            count(0),
            xff("٢٠٣.0.113.9"),
            fail("invalid_entry"),
        ),
        (
            "Fail: a ratio sign posing as a colon in IPv6",
            count(0),
            xff("2001∶db8::1"),
            fail("invalid_entry"),
        ),
        (
            "Fail: a right-to-left override before the address",
            count(0),
            xff("\u{202e}203.0.113.9"),
            fail("invalid_entry"),
        ),
        (
            "emoji and accents left of the client are never read",
            count(0),
            xff("ü, 😀, 203.0.113.9"),
            ok("203.0.113.9"),
        ),
        (
            "Fail: a hostname",
            count(0),
            xff("evil.example"),
            fail("invalid_entry"),
        ),
        (
            "Fail: the literal unknown",
            count(0),
            xff("unknown"),
            fail("invalid_entry"),
        ),
        (
            "Fail: JSON in the header",
            count(0),
            xff(r#"{"client_ip":"1.1.1.1"}"#),
            fail("invalid_entry"),
        ),
        (
            "Fail: a quoted address",
            count(0),
            xff("\"203.0.113.9\""),
            fail("invalid_entry"),
        ),
        (
            "Fail: the unspecified address",
            count(0),
            xff("0.0.0.0"),
            fail("invalid_entry"),
        ),
        (
            "Fail: an empty header",
            count(0),
            xff(""),
            fail("invalid_entry"),
        ),
        (
            "Fail: only commas",
            count(0),
            xff(",,,"),
            fail("invalid_entry"),
        ),
    ]);
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

#[test]
fn thirty_and_thirty_one_entries() {
    run(&[
        (
            "30 entries with a count of 29 answer the leftmost",
            count(29),
            xff(&entries(30)),
            ok("198.51.100.1"),
        ),
        (
            "Fail: 30 entries are too short for a count of 30",
            count(30),
            xff(&entries(30)),
            fail("chain_too_short"),
        ),
        (
            "31 entries (30 forwarded, the most the ALB accepts, plus its own) answer a count of 30",
            count(30),
            xff(&entries(31)),
            ok("198.51.100.1"),
        ),
        (
            "31 entries with a count of 0 answer the ALB's own entry",
            count(0),
            xff(&entries(31)),
            ok("198.51.100.31"),
        ),
    ]);
}

#[test]
fn long_headers_and_many_entries() {
    let sixteen_k = format!("{}, 203.0.113.9", "x".repeat(16 * 1024 - 13));
    let one_entry = "1".repeat(16 * 1024);
    let many = format!("{}203.0.113.9, 198.51.100.2", "garbage,".repeat(300_000));
    let many_trusted = format!("{}203.0.113.9", "10.0.0.1, ".repeat(300_000));
    let all_trusted = vec!["10.0.0.1"; 300_000].join(",");
    run(&[
        (
            "a 16 KiB header with the client on the right is answered",
            count(0),
            xff(&sixteen_k),
            ok("203.0.113.9"),
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
            "range mode walks 300,000 trusted entries to the client",
            ranges("10.0.0.0/8"),
            xff(&many_trusted),
            ok("203.0.113.9"),
        ),
        (
            "Fail: 300,000 trusted entries and no client",
            ranges("10.0.0.0/8"),
            xff(&all_trusted),
            fail("all_trusted"),
        ),
    ]);
}

#[test]
fn absurd_ports() {
    run(&[
        (
            "Fail: port 65536",
            count(0),
            xff("203.0.113.9:65536"),
            fail("invalid_entry"),
        ),
        (
            "Fail: a 20-digit port",
            count(0),
            xff("203.0.113.9:99999999999999999999"),
            fail("invalid_entry"),
        ),
        (
            "Fail: a negative port",
            count(0),
            xff("203.0.113.9:-1"),
            fail("invalid_entry"),
        ),
        (
            "Fail: port 0",
            count(0),
            xff("203.0.113.9:0"),
            fail("invalid_entry"),
        ),
        (
            "Fail: a hexadecimal port",
            count(0),
            xff("203.0.113.9:0x50"),
            fail("invalid_entry"),
        ),
        (
            "Fail: two ports",
            count(0),
            xff("[2001:db8::1]:80:80"),
            fail("invalid_entry"),
        ),
        (
            "port 65535 is accepted and dropped",
            count(0),
            xff("203.0.113.9:65535"),
            ok("203.0.113.9"),
        ),
        (
            "a bare IPv6 address ending in what looks like a port is read as IPv6",
            count(0),
            xff("2001:db8::1:80"),
            ok("2001:db8::1:80"),
        ),
    ]);
}

#[test]
fn brackets_without_ends() {
    let mut cases = Vec::new();
    for bad in [
        "[2001:db8::1",
        "2001:db8::1]",
        "[[2001:db8::1]]",
        "[]",
        "[]:80",
        "[:80",
        "]",
        "[",
        "[2001:db8::1]]:80",
        "[2001:db8::1]:",
    ] {
        cases.push((bad, count(0), xff(bad), fail("invalid_entry")));
    }
    let names: Vec<String> = cases
        .iter()
        .map(|(bad, ..)| format!("Fail: {bad:?}"))
        .collect();
    let cases: Vec<_> = cases
        .into_iter()
        .zip(&names)
        .map(|((_, c, p, w), n)| (n.as_str(), c, p, w))
        .collect();
    run(&cases);
}

#[test]
fn zone_ids_that_try_to_smuggle_text() {
    run(&[
        (
            "a plain zone is accepted and dropped",
            count(0),
            xff("fe80::1%eth0"),
            ok("fe80::1"),
        ),
        (
            "a zone of 64 characters is accepted and dropped",
            count(0),
            xff(&format!("fe80::1%{}", "z".repeat(64))),
            ok("fe80::1"),
        ),
        (
            "Fail: a zone of 65 characters",
            count(0),
            xff(&format!("fe80::1%{}", "z".repeat(65))),
            fail("invalid_entry"),
        ),
        (
            "Fail: a comma in a zone starts a new entry, which is read first",
            count(0),
            xff("fe80::1%eth0,evil"),
            fail("invalid_entry"),
        ),
        (
            "a comma in a zone leaves the zone's address one position further left",
            count(1),
            xff("fe80::1%eth0,203.0.113.9"),
            ok("fe80::1"),
        ),
        (
            "Fail: a zone carrying JSON",
            count(0),
            xff(r#"fe80::1%"},"client_ip":"1.1.1.1"#),
            fail("invalid_entry"),
        ),
        (
            "Fail: a zone carrying a path",
            count(0),
            xff("fe80::1%../../etc/passwd"),
            fail("invalid_entry"),
        ),
        (
            "Fail: a zone carrying a newline",
            count(0),
            xff("fe80::1%eth0\nX-Injected: 1"),
            fail("invalid_entry"),
        ),
        (
            "Fail: a zone carrying a percent-encoded byte",
            count(0),
            xff("fe80::1%25eth0%00"),
            fail("invalid_entry"),
        ),
        (
            "Fail: a zone on IPv4",
            count(0),
            xff("203.0.113.9%eth0"),
            fail("invalid_entry"),
        ),
        (
            "Fail: an empty zone inside brackets",
            count(0),
            xff("[fe80::1%]:80"),
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
            fail("invalid_source_address"),
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
            fail("invalid_source_address"),
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
            "Fail: identity twice, the first null",
            r#"{"requestContext": {"identity": null, "identity": {"sourceIp": "203.0.113.9"}}}"#,
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
        (
            "Fail: identity is an array",
            json!({"requestContext": {"identity": ["192.0.2.1"]}}),
        ),
        (
            "Fail: http is an array",
            json!({"requestContext": {"http": ["192.0.2.1"]}}),
        ),
    ];
    let cases: Vec<Case> = cases
        .into_iter()
        .map(|(name, v)| (name, count(0), event(v), fail("malformed_event")))
        .collect();
    run(&cases);
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
