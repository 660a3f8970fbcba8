//! The real function process, under the minimal Runtime API of `tests/support`, fed thousands of
//! hostile events in a row: every one must be answered with a response (never an `/error` post,
//! which the ALB would show as a bare 502), the response must be a 200 or 400 of the documented
//! shape, and the process must still be running at the end.

mod support;

use std::io::Read;
use std::process::Child;

use serde_json::{Value, json};
use support::runtime_api::{Posted, RuntimeApi, spawn_function};

/// A small deterministic generator (xorshift64*), so a failure names a reproducible event.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const PIECES: &[&str] = &[
    "203.0.113.9",
    "10.0.0.1",
    "[2001:db8::1]:443",
    "2001:DB8::21F:5BFF:FEBF:CE22:8A2E",
    "::ffff:10.0.0.1",
    "fe80::1%eth0",
    "fe80::1%\"}",
    "unknown",
    "",
    " ",
    "\u{0}",
    "\r\n",
    "２０３.0.113.9",
    "😀",
    "[2001:db8::1",
    "203.0.113.9:99999",
    "0.0.0.0",
    "::",
    "evil.example",
    "\\u0000",
];

fn chain(rng: &mut Rng) -> String {
    let longest = if rng.below(4) == 0 { 40 } else { 4 };
    let n = 1 + rng.below(longest);
    (0..n)
        // Mostly addresses, so that answers as well as refusals are exercised.
        .map(|_| match rng.below(4) {
            0 => *rng.pick(PIECES),
            _ => *rng.pick(&PIECES[..6]),
        })
        .collect::<Vec<_>>()
        .join(if rng.below(2) == 0 { ", " } else { "," })
}

fn wrong_value(rng: &mut Rng) -> Value {
    match rng.below(6) {
        0 => Value::Null,
        1 => json!(rng.next()),
        2 => json!(true),
        3 => json!([chain(rng), 5]),
        4 => json!({ "x": chain(rng) }),
        _ => json!(-1.5),
    }
}

/// One hostile payload.
fn hostile(rng: &mut Rng) -> Vec<u8> {
    let name = *rng.pick(&[
        "x-forwarded-for",
        "X-Forwarded-For",
        "X-FORWARDED-FOR",
        "x_forwarded_for",
        "x-forwarded-for ",
    ]);
    let event = match rng.below(12) {
        0 => json!({ "headers": { name: chain(rng) } }),
        1 => json!({ "multiValueHeaders": { name: [chain(rng), chain(rng)] } }),
        2 => json!({ "headers": { name: chain(rng), "X-Forwarded-For": chain(rng) } }),
        3 => json!({
            "headers": { name: chain(rng) },
            "multiValueHeaders": { name: [chain(rng)] },
        }),
        4 => json!({ "headers": { name: wrong_value(rng) } }),
        5 => json!({ "headers": wrong_value(rng), "multiValueHeaders": wrong_value(rng) }),
        6 => json!({ "requestContext": { "identity": { "sourceIp": wrong_value(rng) } } }),
        7 => json!({ "requestContext": { "http": { "sourceIp": *rng.pick(PIECES) } } }),
        8 => {
            json!({ "headers": { "user-agent": "ELB-HealthChecker/2.0", name: wrong_value(rng) } })
        }
        9 => {
            // A long header: 16 KiB of forged entries in front of a short chain.
            let left = "198.51.100.7, ".repeat(1170);
            json!({ "headers": { name: format!("{left}{}", chain(rng)) } })
        }
        10 => {
            // Deep nesting in fields the function never reads. (Payloads that are not JSON, or
            // nest deeper than serde_json's limit of 128, are refused by the runtime before the
            // handler runs; the ALB never sends one, see SECURITY.md.)
            let depth = 1 + rng.below(100);
            let nested = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
            let body: Value = serde_json::from_str(&nested).unwrap();
            json!({ "body": body, "path": {"a": [1, {"b": null}]}, "headers": { name: chain(rng) } })
        }
        _ => wrong_value(rng),
    };
    serde_json::to_vec(&event).unwrap()
}

fn feed(env: &[(&str, &str)], events: usize, seed: u64) {
    let mut api = RuntimeApi::start();
    let mut child: Child = spawn_function(&api, env);
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
    let mut rng = Rng(seed);
    let mut statuses = [0usize; 2];
    for i in 0..events {
        let payload = hostile(&mut rng);
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
        assert!(
            !String::from_utf8_lossy(&body).contains("null"),
            "event {i}: null in {response}"
        );
        let inner: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
        match response["statusCode"].as_u64() {
            Some(200) => {
                assert!(inner["client_ip"].is_string() || inner["status"] == "healthy");
                statuses[0] += 1;
            }
            Some(400) => {
                assert!(inner["error"].is_string(), "event {i}: {inner}");
                statuses[1] += 1;
            }
            other => panic!("event {i}: status {other:?} for {}", shown()),
        }
    }
    assert!(
        child.try_wait().unwrap().is_none(),
        "the process exited after {events} events"
    );
    // Both outcomes occurred, so the generator is not producing only one kind of event.
    assert!(
        statuses[0] > events / 20 && statuses[1] > events / 20,
        "{statuses:?}"
    );
    let _ = child.kill();
    let _ = child.wait();
    let (stdout, stderr) = (stdout.join().unwrap(), stderr.join().unwrap());
    assert!(!stderr.contains("panicked"), "{stderr}");
    // Every event left its one log line.
    assert!(
        stdout.lines().count() >= events,
        "{} log lines",
        stdout.lines().count()
    );
}

#[test]
fn thousands_of_hostile_events_in_count_mode_never_crash_or_error() {
    feed(&[("TRUSTED_PROXY_COUNT", "1")], 3000, 0x9E37_79B9_7F4A_7C15);
}

#[test]
fn thousands_of_hostile_events_in_range_mode_never_crash_or_error() {
    feed(
        &[("TRUSTED_PROXY_CIDRS", "10.0.0.0/8, 2001:db8::/32")],
        3000,
        0xD1B5_4A32_D192_ED03,
    );
}
