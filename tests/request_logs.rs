//! What the real function process logs about each request: the outcome on the `request` span
//! under OpenTelemetry's names, the client beside the ALB's peer, and the one WARN that blames the
//! setting when an execution environment's first requests are all refused alike.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod support;

use std::io::Read;
use std::process::Child;

use alb_client_ip::handler::{FIRST_REQUESTS, SETTING_FAULT};
use serde_json::Value;
use support::function_binary;
use testkit::runtime_api::RuntimeApi;

/// Starts the function with JSON logs and `env`, sends each payload, and returns its log lines.
fn logs_of(env: &[(&str, &str)], payloads: &[&[u8]]) -> Vec<Value> {
    let mut api = RuntimeApi::start();
    let mut env = env.to_vec();
    env.push(("AWS_LAMBDA_LOG_FORMAT", "JSON"));
    let child = testkit::runtime_api::spawn_function(&function_binary(), &api, &env);
    for payload in payloads {
        api.invoke_ok(payload);
    }
    let stdout = finish(child);
    let lines = stdout.lines();
    lines
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
        .collect()
}

/// Kills the process and returns its stdout.
fn finish(mut child: Child) -> String {
    let _ = child.kill();
    let _ = child.wait();
    let mut text = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text
}

/// The line whose message is `message`.
fn line<'a>(lines: &'a [Value], message: &str) -> &'a Value {
    let found = lines.iter().find(|l| l["fields"]["message"] == message);
    found.unwrap_or_else(|| panic!("no {message:?} line in {lines:#?}"))
}

#[test]
fn the_log_line_carries_the_client_beside_the_albs_peer_under_opentelemetry_names() {
    let answered = br#"{"headers": {"x-forwarded-for": "6.6.6.6, 203.0.113.195:4711, 70.41.3.18, 150.172.238.178", "x-amzn-trace-id": "Root=1-67891233-abcdef012345678912345678"}}"#;
    let refused = br#"{"headers": {"x-forwarded-for": "nope, 150.172.238.178"}}"#;
    let lines = logs_of(&[("TRUSTED_PROXY_COUNT", "2")], &[answered, refused]);
    let chosen = line(&lines, "client address");
    let span = &chosen["span"];
    assert_eq!(span["name"], "request", "{chosen}");
    assert_eq!(span["client.address"], "203.0.113.195", "{chosen}");
    assert_eq!(span["client.port"], 4711, "{chosen}");
    // The ALB's peer: position 0, never the leftmost entry.
    assert_eq!(span["alb.peer.address"], "150.172.238.178", "{chosen}");
    assert!(span.get("error.type").is_none(), "{chosen}");
    assert_eq!(chosen["fields"]["position"], 2);
    let trace = &chosen["fields"]["trace_id"];
    assert_eq!(trace, "Root=1-67891233-abcdef012345678912345678");
    let refusal = line(&lines, "refused");
    assert_eq!(refusal["span"]["error.type"], "invalid_entry", "{refusal}");
    assert!(refusal["span"].get("client.address").is_none(), "{refusal}");
    assert_eq!(refusal["span"]["alb.peer.address"], "150.172.238.178");
    // Raw header values only at debug level.
    let all = format!("{lines:?}");
    assert!(
        !all.contains("70.41.3.18") && !all.contains("6.6.6.6"),
        "{all}"
    );
}

/// A count one too high refuses every honest request with `chain_too_short`.
const ONE_HOP: &[u8] = br#"{"headers": {"x-forwarded-for": "203.0.113.195"}}"#;

/// The WARN lines that blame the setting.
fn setting_warnings(lines: &[Value]) -> Vec<&Value> {
    let warned = lines
        .iter()
        .filter(|l| l["fields"]["message"] == SETTING_FAULT);
    warned.collect()
}

#[test]
fn first_requests_all_refused_alike_blame_the_setting_once() {
    let payloads = vec![ONE_HOP; 2 * FIRST_REQUESTS];
    let lines = logs_of(&[("TRUSTED_PROXY_COUNT", "1")], &payloads);
    let warned = setting_warnings(&lines);
    assert_eq!(warned.len(), 1, "{lines:#?}");
    let warning = warned[0];
    assert_eq!(warning["level"], "WARN");
    assert_eq!(warning["fields"]["error.type"], "chain_too_short");
    assert_eq!(warning["fields"]["requests"], FIRST_REQUESTS);
    let fix = warning["fields"]["fix"].as_str().unwrap();
    assert!(fix.contains("TRUSTED_PROXY_COUNT"), "{fix}");
    assert!(SETTING_FAULT.contains("CLIENT_IP_EXPLAIN=true"));
    // The docs state the threshold the code uses.
    let docs = include_str!("../docs/deploy.md");
    assert!(docs.contains(&format!("**first {FIRST_REQUESTS} requests**")));
    // It comes after the last of the first requests, not before.
    let position = |l: &Value| lines.iter().position(|x| x == l).unwrap();
    let refusals: Vec<usize> = lines
        .iter()
        .filter(|l| l["fields"]["message"] == "refused")
        .map(position)
        .collect();
    assert_eq!(refusals.len(), 2 * FIRST_REQUESTS);
    assert!(
        position(warning) > refusals[FIRST_REQUESTS - 1],
        "{lines:#?}"
    );
    assert!(position(warning) < refusals[FIRST_REQUESTS], "{lines:#?}");
    // Ranges that hold the clients' own network: `all_trusted` on every request.
    let lines = logs_of(&[("TRUSTED_PROXY_CIDRS", "203.0.113.0/24")], &payloads);
    let warned = setting_warnings(&lines);
    assert_eq!(warned.len(), 1, "{lines:#?}");
    assert_eq!(warned[0]["fields"]["error.type"], "all_trusted");
}

#[test]
fn no_blame_for_the_setting_when_a_first_request_is_answered_or_refused_for_its_own_reasons() {
    let health = br#"{"headers": {"user-agent": "ELB-HealthChecker/2.0"}}"#;
    let two_hops = br#"{"headers": {"x-forwarded-for": "203.0.113.195, 70.41.3.18"}}"#;
    let garbage = br#"{"headers": {"x-forwarded-for": "nope, 70.41.3.18"}}"#;
    let mut one_answered = vec![ONE_HOP; FIRST_REQUESTS - 1];
    one_answered.push(two_hops);
    one_answered.extend(vec![ONE_HOP; FIRST_REQUESTS]);
    // Health checks do not count: five refusals among them still warn.
    let mut with_health = vec![&health[..]; 3];
    with_health.extend(vec![ONE_HOP; FIRST_REQUESTS]);
    let cases: [(&str, Vec<&[u8]>, usize); 3] = [
        ("one of the first requests answered", one_answered, 0),
        ("a client's garbage", vec![garbage; FIRST_REQUESTS], 0),
        ("health checks aside", with_health, 1),
    ];
    for (case, payloads, want) in cases {
        let lines = logs_of(&[("TRUSTED_PROXY_COUNT", "1")], &payloads);
        assert_eq!(setting_warnings(&lines).len(), want, "{case}: {lines:#?}");
    }
}

/// Each front door that hides the client is named once per execution environment: a Global
/// Accelerator edge does not silence VPC Lattice, and a repeat of either logs nothing more.
#[test]
fn each_front_door_that_hides_the_client_is_warned_about_once() {
    let accelerator = br#"{"headers": {"x-forwarded-for": "3.2.48.17"}}"#;
    let lattice = br#"{"headers": {"x-forwarded-for": "10.1.2.3, 169.254.171.33"}}"#;
    let lines = logs_of(&[], &[accelerator, lattice, accelerator, lattice]);
    let warned: Vec<&str> = lines
        .iter()
        .filter(|l| l["fields"]["message"] == "the ALB's peer is not a client")
        .map(|l| l["fields"]["topology"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(warned.len(), 2, "{lines:#?}");
    assert!(warned[0].starts_with("Global Accelerator"), "{warned:?}");
    assert!(warned[1].starts_with("VPC Lattice"), "{warned:?}");
}
