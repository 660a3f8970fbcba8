//! The real function process, under the minimal Runtime API of `tests/support`, fed thousands of
//! hostile events in a row: every one must be answered with a response (never an `/error` post,
//! which the ALB would show as a bare 502) that keeps the contract (`contract::check`), and the
//! process must still be running at the end. Bounded by count: a fixed number of events per
//! policy, each waited for at most as long as the Runtime API's `invoke` allows (a hang guard,
//! not a measurement). How fast the function answers is measured in the benches, never here.
//!
//! The events are drawn from proptest strategies with a fixed seed, so a failure names a
//! reproducible event. Every event is JSON: bytes that are not JSON, or nest deeper than
//! serde_json's limit of 128, are refused by the runtime before the handler runs (the ALB never
//! sends one).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod support;

use std::io::Read;
use std::process::Child;
use std::time::Instant;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{Value, json};
use support::function_binary;
use testkit::contract::{self, Answer};
use testkit::runtime_api::{Posted, RuntimeApi, spawn_function};

/// Events per policy.
const EVENTS: usize = 3000;

const PIECES: &[&str] = &[
    // Addresses first: most pieces are drawn from these, so answers are exercised too.
    "203.0.113.9",
    "10.0.0.1",
    "[2001:db8::1]:443",
    "2001:DB8::21F:5BFF:FEBF:CE22:8A2E",
    "::ffff:10.0.0.1",
    "fe80::1%eth0",
    // Then the hostile ones.
    "fe80::1%\"}",
    "unknown",
    "",
    " ",
    "\u{0}",
    "\r\n",
    "203.0.113.9\r\nX-Injected: 1",
    "\u{85}",
    "\u{9b}31m",
    "\u{2028}",
    "\u{2029}",
    "\u{1b}[2J",
    "２０３.0.113.9",
    "😀",
    "[2001:db8::1",
    "203.0.113.9:99999",
    "0.0.0.0",
    "::",
    "evil.example",
    "\\u0000",
];

fn piece() -> impl Strategy<Value = &'static str> {
    prop_oneof![7 => select(PIECES[..6].to_vec()), 1 => select(PIECES)]
}

/// A chain: mostly short, sometimes longer than an ALB accepts.
fn chain() -> BoxedStrategy<String> {
    let len = prop_oneof![3 => 1usize..=4, 1 => 5usize..=40];
    (len, select(vec![", ", ","]))
        .prop_flat_map(|(len, sep)| vec(piece(), len).prop_map(move |p| p.join(sep)))
        .boxed()
}

/// A value of a type no header or source address may have.
fn wrong_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<u64>().prop_map(Value::from),
        Just(json!(true)),
        chain().prop_map(|c| json!([c, 5])),
        chain().prop_map(|c| json!({ "x": c })),
        Just(json!(-1.5)),
    ]
}

/// X-Forwarded-For, or a name that is not quite it.
fn name() -> impl Strategy<Value = &'static str> {
    select(vec![
        "x-forwarded-for",
        "X-Forwarded-For",
        "X-FORWARDED-FOR",
        "x_forwarded_for",
        "x-forwarded-for ",
        "x-forwarded-for\r\n",
        "x-forwarded-for\u{2028}",
    ])
}

/// Characters a message must never carry raw.
fn evil() -> impl Strategy<Value = &'static str> {
    select(vec![
        "\r\n",
        "\u{85}",
        "\u{9b}",
        "\u{2028}",
        "\u{2029}",
        "\u{1b}[31m",
    ])
}

/// Events built as JSON values.
fn as_value() -> impl Strategy<Value = Value> {
    let health = "ELB-HealthChecker/2.0";
    prop_oneof![
        (name(), chain()).prop_map(|(n, c)| json!({ "headers": { n: c } })),
        (name(), chain(), chain())
            .prop_map(|(n, a, b)| json!({ "multiValueHeaders": { n: [a, b] } })),
        (name(), chain(), chain())
            .prop_map(|(n, a, b)| json!({ "headers": { n: a, "X-Forwarded-For": b } })),
        (name(), chain(), chain(), any::<bool>()).prop_map(|(n, a, b, agree)| {
            let last = if agree { a.clone() } else { b.clone() };
            json!({ "headers": { n: a }, "multiValueHeaders": { n: [b, last] } })
        }),
        (name(), wrong_value()).prop_map(|(n, w)| json!({ "headers": { n: w } })),
        (wrong_value(), wrong_value())
            .prop_map(|(a, b)| json!({ "headers": a, "multiValueHeaders": b })),
        wrong_value().prop_map(|w| json!({ "requestContext": { "identity": { "sourceIp": w } } })),
        piece().prop_map(|p| json!({ "requestContext": { "http": { "sourceIp": p } } })),
        (name(), wrong_value())
            .prop_map(move |(n, w)| json!({ "headers": { "user-agent": health, n: w } })),
        Just(json!({ "headers": { "user-agent": health } })),
        (name(), chain()).prop_map(|(n, c)| {
            // A long header: 16 KiB of forged entries in front of a short chain.
            let left = "198.51.100.7, ".repeat(1170);
            json!({ "headers": { n: format!("{left}{c}") } })
        }),
        (1usize..=100, name(), chain()).prop_map(|(depth, n, c)| {
            // Deep nesting in fields the function never reads.
            let nested = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
            let body: Value = serde_json::from_str(&nested).unwrap();
            json!({ "body": body, "path": {"a": [1, {"b": null}]}, "headers": { n: c } })
        }),
        (evil(), name(), chain())
            .prop_map(|(e, n, c)| json!({ "headers": { format!("a{e}b"): 5, n: c } })),
        (evil(), chain())
            .prop_map(|(e, c)| json!({ "multiValueHeaders": { "a": format!("{e}{c}") } })),
        name().prop_map(|n| json!({ "multiValueHeaders": { n: [] } })),
        piece().prop_map(|p| json!({ "requestContext": [{ "sourceIp": p }] })),
        wrong_value(),
    ]
}

/// Events written as text: keys given twice, and JSON that serde reads as a value but not as
/// text (lone UTF-16 surrogates, numbers beyond f64).
fn as_text() -> impl Strategy<Value = String> {
    let templates = vec![
        r#"{"headers": {"x-forwarded-for": $CHAIN}, "headers": {"x-forwarded-for": $CHAIN}}"#,
        r#"{"headers": null, "headers": {"x-forwarded-for": $CHAIN}}"#,
        r#"{"multiValueHeaders": null, "multiValueHeaders": {"x-forwarded-for": [$CHAIN]}}"#,
        r#"{"headers": {"x-forwarded-for": $CHAIN, "x-forwarded-for": $CHAIN}}"#,
        r#"{"requestContext": null, "requestContext": {"http": {"sourceIp": $CHAIN}}}"#,
        r#"{"requestContext": {"identity": {"sourceIp": null, "sourceIp": $CHAIN}}}"#,
        r#"{"body": "a", "body": "b", "headers": {"x-forwarded-for": $CHAIN}}"#,
        r#"{"headers": {"x-forwarded-for": $CHAIN}, "body": "\ud800"}"#,
        r#"{"headers": {"x-forwarded-for": "\udc00"}}"#,
        r#"{"headers": {"x-forwarded-for": $CHAIN}, "body": 1e400}"#,
    ];
    (select(templates), chain()).prop_map(|(t, c)| t.replace("$CHAIN", &json!(c).to_string()))
}

fn hostile() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        6 => as_value().prop_map(|v| serde_json::to_vec(&v).unwrap()),
        1 => as_text().prop_map(String::into_bytes),
    ]
}

fn feed(env: &[(&str, &str)], seed: u8) {
    let started = Instant::now();
    let mut api = RuntimeApi::start();
    let mut child: Child = spawn_function(&function_binary(), &api, env);
    // One log line per event: drain both pipes, or the process blocks once they are full.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_string(&mut text);
            }
            text
        })
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]);
    let mut runner = TestRunner::new_with_rng(Config::default(), rng);
    let strategy = hostile();
    let (mut answered, mut refused) = (0, 0);
    for i in 0..EVENTS {
        let payload = strategy.new_tree(&mut runner).unwrap().current();
        let shown = || String::from_utf8_lossy(&payload[..payload.len().min(300)]).into_owned();
        let body = match api.invoke(&payload) {
            Posted::Response(_, body) => body,
            Posted::Error(_, e) => panic!(
                "event {i} (seed {seed}) became an invocation error {}: {}",
                String::from_utf8_lossy(&e),
                shown()
            ),
        };
        let response: Value = serde_json::from_slice(&body).unwrap();
        match contract::check(&response, &format!("event {i} (seed {seed}): {}", shown())) {
            Answer::Refused(_) => refused += 1,
            Answer::Client(_) | Answer::Healthy => answered += 1,
        }
    }
    assert!(
        child.try_wait().unwrap().is_none(),
        "the process exited after {EVENTS} events"
    );
    // Both outcomes occurred, so the generator is not producing only one kind of event.
    assert!(
        answered > EVENTS / 20 && refused > EVENTS / 20,
        "{answered} answered, {refused} refused"
    );
    println!(
        "{env:?}: {EVENTS} events in {:?}, {answered} answered, {refused} refused",
        started.elapsed()
    );
    let _ = child.kill();
    let _ = child.wait();
    let (stdout, stderr) = (stdout.join().unwrap(), stderr.join().unwrap());
    assert!(!stderr.contains("panicked"), "{stderr}");
    // Every event left its one log line.
    assert!(
        stdout.lines().count() >= EVENTS,
        "{} log lines",
        stdout.lines().count()
    );
}

#[test]
fn thousands_of_hostile_events_in_count_mode_never_crash_or_error() {
    feed(&[("TRUSTED_PROXY_COUNT", "1")], 1);
}

#[test]
fn thousands_of_hostile_events_in_range_mode_never_crash_or_error() {
    feed(&[("TRUSTED_PROXY_CIDRS", "10.0.0.0/8, 2001:db8::/32")], 2);
}
