//! The real function process under a minimal Lambda Runtime API: what Lambda runs is what is
//! tested, not only the handler function.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod support;

use std::collections::BTreeMap;
use std::io::Read;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use alb_client_ip::STALE_PRESET;
use lambda_client_ip::Preset;
use serde_json::{Value, json};
use support::{fixtures, function_binary};
use testkit::runtime_api::{Posted, RuntimeApi};

/// Starts the function under test against `api`.
fn spawn_function(api: &RuntimeApi, env: &[(&str, &str)]) -> Child {
    testkit::runtime_api::spawn_function(&function_binary(), api, env)
}

const WORKED_EXAMPLE: &[u8] = br#"{"headers": {"x-forwarded-for": "203.0.113.195, 70.41.3.18, 150.172.238.178"}, "requestContext": {"identity": {"sourceIp": "70.41.3.18"}}}"#;

fn body_of(response: &Value) -> Value {
    serde_json::from_str(response["body"].as_str().unwrap()).unwrap()
}

/// Everything left in a child's pipe.
fn drain(pipe: Option<impl Read>) -> String {
    let mut text = String::new();
    pipe.unwrap().read_to_string(&mut text).unwrap();
    text
}

/// Kills the process and returns what it printed.
fn finish(mut child: Child) -> (String, String) {
    let _ = child.kill();
    let _ = child.wait();
    (drain(child.stdout.take()), drain(child.stderr.take()))
}

/// Waits for a process that should exit on its own, with a bound.
fn wait_exit(mut child: Child) -> (i32, String) {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return (status.code().unwrap_or(-1), drain(child.stderr.take()));
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the process did not exit"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn worked_example_through_the_real_process() {
    for (env, want) in [
        (vec![], "150.172.238.178"),
        (vec![("TRUSTED_PROXY_COUNT", "2")], "203.0.113.195"),
    ] {
        let mut api = RuntimeApi::start();
        let child = spawn_function(&api, &env);
        let response = api.invoke_ok(WORKED_EXAMPLE);
        assert_eq!(response["statusCode"], 200);
        assert_eq!(
            body_of(&response),
            json!({ "client_ip": want }),
            "env {env:?}"
        );
        let (_, stderr) = finish(child);
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

/// Every fixture in events/, grouped by configuration, one process per configuration: the
/// process answers exactly what the handler test expects.
#[test]
fn every_fixture_through_the_real_process() {
    let mut by_env: BTreeMap<String, Vec<(String, Vec<u8>, Value)>> = BTreeMap::new();
    for fixture in fixtures::load() {
        for case in fixture.cases {
            by_env.entry(case["env"].to_string()).or_default().push((
                fixture.name.clone(),
                fixture.payload.clone(),
                case["response"].clone(),
            ));
        }
    }
    assert!(by_env.len() >= 3);
    for (env, cases) in by_env {
        let env_map: BTreeMap<String, String> = serde_json::from_str(&env).unwrap();
        let env_vec: Vec<(&str, &str)> = env_map
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let mut api = RuntimeApi::start();
        let child = spawn_function(&api, &env_vec);
        for (name, payload, want) in &cases {
            let got = api.invoke_ok(payload);
            assert_eq!(&got, want, "{name} with {env}");
        }
        let (_, stderr) = finish(child);
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

/// Any payload the runtime hands over gets an HTTP answer from the real binary, never an
/// invocation error (which the ALB would turn into a bare 502).
#[test]
fn every_json_payload_gets_an_http_answer_not_an_invocation_error() {
    let mut api = RuntimeApi::start();
    let child = spawn_function(&api, &[]);
    let cases: &[(&[u8], u16)] = &[
        (b"[]", 400),
        (b"\"x\"", 400),
        (b"null", 400),
        (b"42", 400),
        (br#"{"headers": 5}"#, 400),
        (br#"{"headers": {"x-forwarded-for": ["1.1.1.1"]}}"#, 400),
        (br#"{"multiValueHeaders": {"x-forwarded-for": [null]}}"#, 400),
        (br#"{"requestContext": {"identity": {"sourceIp": false}}}"#, 400),
        (br#"{"headers": {"x-forwarded-for": "1.1.1.1", "X-FORWARDED-FOR": "2.2.2.2"}}"#, 400),
        // JSON that serde reads as a value but not as text: numbers beyond f64 and lone UTF-16
        // surrogates. In fields the answer never reads they change nothing.
        (br#"{"headers": {"x-forwarded-for": "1.1.1.1"}, "body": 1e400}"#, 200),
        (br#"{"headers": {"x-forwarded-for": "1.1.1.1"}, "body": "\ud800"}"#, 200),
        (br#"{"headers": {"x-forwarded-for": "1.1.1.1"}, "n": 123456789012345678901234567890123456789012}"#, 200),
        (br#"{"headers": {"x-forwarded-for": "\udc00"}}"#, 400),
        (br#"{"headers": {"x-forwarded-for": 1e400}}"#, 400),
        (b"1e400", 400),
        (br#""\ud800""#, 400),
        // A key the answer reads, given twice at any level, also when the first copy is null.
        (br#"{"headers": null, "headers": {"x-forwarded-for": "1.1.1.1"}}"#, 400),
        // (A door given twice, the first null, is read: a bug of src/event.rs, see
        // tests/hostile.rs's ignored doors_given_as_arrays_or_twice_are_refused.)
        (br#"{"requestContext": {"http": {"sourceIp": "1.1.1.1", "sourceIp": "1.1.1.1"}}}"#, 400),
        (br#"{"multiValueHeaders": {"x-forwarded-for": []}}"#, 400),
    ];
    for (payload, status) in cases {
        let shown = String::from_utf8_lossy(payload);
        match api.invoke(payload) {
            Posted::Response(_, body) => {
                let response: Value = serde_json::from_slice(&body).unwrap();
                assert_eq!(response["statusCode"], *status, "{shown}");
                let body = body_of(&response);
                match status {
                    200 => assert_eq!(body["client_ip"], "1.1.1.1", "{shown}"),
                    _ => assert!(body["error"].is_string(), "{shown}"),
                }
            }
            Posted::Error(_, e) => {
                panic!(
                    "{shown} became an invocation error: {}",
                    String::from_utf8_lossy(&e)
                )
            }
        }
    }
    // Still alive and answering after all of that.
    assert_eq!(api.invoke_ok(WORKED_EXAMPLE)["statusCode"], 200);
    finish(child);
}

/// Request text never reaches a log line with raw control characters: not in the text format
/// (a forged line, ANSI colours), not in the JSON format (C1 controls and U+2028/U+2029 are legal
/// in JSON strings but break line-based readers), and a refusal's line holds `message` once.
#[test]
fn logs_never_carry_raw_control_characters_from_the_request() {
    let hostile: &[&[u8]] = &[
        br#"{"headers": {"x-forwarded-for": "\u001b[31mred, 192.0.2.1", "x-amzn-trace-id": "Root=1\u0085\u2028\u2029x"}}"#,
        br#"{"headers": {"x-forwarded-for": "192.0.2.1, 1.1.1.1\r\nINFO forged line\u009b"}}"#,
        br#"{"headers": {"x-forwarded-for": "192.0.2.1", "X-Forwarded-For": "x"}, "multiValueHeaders": {"a\u0085": 5}}"#,
        br#"{"headers": {"\u001b[2Jx-forwarded-for\r\n": "192.0.2.1", "X-FORWARDED-FOR": "1"}}"#,
    ];
    for format in ["TEXT", "JSON"] {
        let mut api = RuntimeApi::start();
        let child = spawn_function(
            &api,
            &[
                ("AWS_LAMBDA_LOG_FORMAT", format),
                ("AWS_LAMBDA_LOG_LEVEL", "debug"),
            ],
        );
        for payload in hostile {
            let response = api.invoke_ok(payload);
            testkit::contract::check(&response, &String::from_utf8_lossy(payload));
        }
        let (stdout, _) = finish(child);
        let raw: Vec<char> = stdout
            .chars()
            .filter(|&c| (c.is_control() && c != '\n') || matches!(c, '\u{2028}' | '\u{2029}'))
            .collect();
        assert!(raw.is_empty(), "{format}: raw {raw:?} in {stdout}");
        assert!(!stdout.contains("\nINFO forged"), "{format}: a forged line");
        if format == "JSON" {
            for line in stdout.lines() {
                let _: Value =
                    serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}"));
                assert!(
                    line.matches("\"message\":").count() <= 1,
                    "a key twice: {line}"
                );
            }
            assert!(
                stdout.contains("\"error.type\":\"invalid_entry\""),
                "{stdout}"
            );
        }
    }
}

/// A bundled preset is named at cold start with its snapshot's date, as a warning once it is
/// stale, and answers from the CDN's origin-facing addresses only.
#[test]
fn a_preset_logs_its_snapshot_date_at_cold_start() {
    let mut api = RuntimeApi::start();
    let child = spawn_function(
        &api,
        &[
            ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
            ("TRUSTED_PROXY_CIDRS", "cloudfront, 10.0.0.0/8"),
        ],
    );
    let through_cdn =
        api.invoke_ok(br#"{"headers": {"x-forwarded-for": "6.6.6.6, 203.0.113.50,130.176.0.12"}}"#);
    assert_eq!(body_of(&through_cdn), json!({"client_ip": "203.0.113.50"}));
    let around_it =
        api.invoke_ok(br#"{"headers": {"x-forwarded-for": "203.0.113.50, 198.51.100.66"}}"#);
    assert_eq!(body_of(&around_it), json!({"client_ip": "198.51.100.66"}));
    let (stdout, _) = finish(child);
    let preset = Preset::CloudFront;
    let line: Value = stdout
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .find(|l: &Value| l["fields"]["preset"] == "cloudfront")
        .unwrap_or_else(|| panic!("no preset line in {stdout}"));
    assert_eq!(line["fields"]["published"], preset.published());
    let stale = preset.is_stale(std::time::SystemTime::now());
    assert_eq!(line["level"], if stale { "WARN" } else { "INFO" }, "{line}");
}

/// `VPC_LINK_CIDRS=any-private-address-insiders-can-forge` starts, and says at cold start, as a
/// warning, who can then forge the answer; the VPC link's subnets start without it.
#[test]
fn the_any_private_address_opt_in_is_a_warning_at_cold_start() {
    let warnings = |link: &str| {
        let mut api = RuntimeApi::start();
        let child = spawn_function(
            &api,
            &[
                ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
                ("CLIENT_IP_HEADER", "forwarded"),
                ("TRUSTED_PROXY_COUNT", "0"),
                ("VPC_LINK_CIDRS", link),
            ],
        );
        let event = br#"{"headers": {"forwarded": "for=6.6.6.6", "x-forwarded-for": "10.0.2.5"}}"#;
        let answer = body_of(&api.invoke_ok(event));
        let (stdout, _) = finish(child);
        let lines: Vec<Value> = stdout
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .filter(|l: &Value| l["level"] == "WARN")
            .collect();
        (answer, lines)
    };
    let (answer, lines) = warnings("any-private-address-insiders-can-forge");
    // An insider at 10.0.2.5 forging Forwarded is believed: the risk the warning names.
    assert_eq!(answer, json!({"client_ip": "6.6.6.6"}));
    let said = lines.iter().filter_map(|l| l["fields"]["message"].as_str());
    let said: Vec<&str> = said.collect();
    let warned = said.iter().any(|m| {
        m.contains("VPC_LINK_CIDRS=any-private-address-insiders-can-forge")
            && m.contains("any machine in the VPC or a peered network")
    });
    assert!(warned, "{said:?}");
    let (answer, lines) = warnings("10.0.1.0/24");
    assert_eq!(answer, json!({"client_ip": "10.0.2.5"}));
    assert!(lines.is_empty(), "{lines:?}");
}

#[test]
fn a_refused_configuration_names_the_variable_and_value_and_does_not_start() {
    let api = RuntimeApi::start();
    let cases: &[(&[(&str, &str)], &str)] = &[
        (
            &[("TRUSTED_PROXY_COUNT", "31")],
            "TRUSTED_PROXY_COUNT=\"31\"",
        ),
        (&[("TRUSTED_PROXY_CIDRS", "10.0.0.0/8,nope")], "\"nope\""),
        (
            &[("TRUSTED_PROXY_CIDRS", "cloudfrnt")],
            "did you mean \"cloudfront\"?",
        ),
        // A near miss of a CDN's header would read a header anyone can send.
        (
            &[
                ("CLIENT_IP_HEADER", "cf_connecting_ip"),
                ("TRUSTED_PROXY_CIDRS", "cloudflare"),
            ],
            "did you mean \"cf-connecting-ip\"?",
        ),
        // Every customer of a shared CDN can send a header it does not write itself.
        (
            &[
                ("CLIENT_IP_HEADER", "x-real-ip"),
                ("TRUSTED_PROXY_CIDRS", "cloudfront"),
            ],
            "CLIENT_IP_HEADER=cloudfront-viewer-address",
        ),
        (
            &[
                ("CLIENT_IP_HEADER", "true-client-ip"),
                ("TRUSTED_PROXY_CIDRS", "10.0.0.0/8, fastly"),
            ],
            "holds ranges of fastly",
        ),
        (
            &[
                ("CLIENT_IP_HEADER", "cf-connecting-ipv6"),
                ("TRUSTED_PROXY_CIDRS", "cloudflare"),
            ],
            "CLIENT_IP_HEADER=\"cf-connecting-ipv6\"",
        ),
        (&[("TRUSTED_PROXY_CIDRS", "010.0.0.0/8")], "leading zero"),
        (
            &[(
                "TRUSTED_PROXY_CIDRS",
                "0.0.0.0/2, 64.0.0.0/3, 96.0.0.0/4, 112.0.0.0/5, 120.0.0.0/6, 124.0.0.0/7, 126.0.0.0/8, 128.0.0.0/2, 192.0.0.0/3",
            )],
            "every public address of IPv4",
        ),
        (
            &[("VPC_LINK_CIDRS", "10.0.1.0/24")],
            "VPC_LINK_CIDRS=\"10.0.1.0/24\" is read only with CLIENT_IP_HEADER=forwarded",
        ),
        (&[("CLIENT_IP_EXPLAIN", "yes")], "CLIENT_IP_EXPLAIN=\"yes\""),
        (
            &[("CLIENT_IP_HEADER", "forwarded")],
            "CLIENT_IP_HEADER=\"forwarded\"",
        ),
        (
            &[
                ("CLIENT_IP_HEADER", "forwarded"),
                ("TRUSTED_PROXY_COUNT", "0"),
            ],
            "CLIENT_IP_HEADER=\"forwarded\" needs VPC_LINK_CIDRS: set it to the VPC link's subnets",
        ),
        (
            &[
                ("CLIENT_IP_HEADER", "cf-connecting-ip"),
                ("TRUSTED_PROXY_CIDRS", "cloudfront"),
            ],
            "TRUSTED_PROXY_CIDRS=\"cloudfront\"",
        ),
        (
            &[
                ("CLIENT_IP_HEADER", "fastly-client-ip"),
                ("TRUSTED_PROXY_CIDRS", "fastly"),
            ],
            "CLIENT_IP_HEADER=\"fastly-client-ip\"",
        ),
        (
            &[
                ("TRUSTED_PROXY_COUNT", "1"),
                ("TRUSTED_PROXY_CIDRS", "10.0.0.0/8"),
            ],
            "are both set",
        ),
        (
            &[("CLIENT_IP_RANGES_FILE", "/nonexistent/ranges.txt")],
            "CLIENT_IP_RANGES_FILE=\"/nonexistent/ranges.txt\" is not accepted: the file cannot be read",
        ),
        (
            &[(
                "CLIENT_IP_RANGES_FILE",
                concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"),
            )],
            "is not a canonical CIDR",
        ),
    ];
    for (env, needle) in cases {
        let child = spawn_function(&api, env);
        let (code, stderr) = wait_exit(child);
        assert_eq!(code, 78, "{stderr}");
        assert!(stderr.contains(needle), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn outside_lambda_it_says_how_to_run_locally_and_exits_2() {
    let child = Command::new(function_binary())
        .env_clear()
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let (code, stderr) = wait_exit(child);
    assert_eq!(code, 2);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("AWS_LAMBDA_RUNTIME_API"), "{stderr}");
    assert!(stderr.contains("local-alb"), "{stderr}");
    assert!(!stderr.contains("panicked"));
}

#[test]
fn the_cold_start_logs_the_date_and_staleness_of_each_trusted_preset() {
    let mut api = RuntimeApi::start();
    let env = [("TRUSTED_PROXY_CIDRS", "cloudfront, 10.0.0.0/8, fastly")];
    let child = spawn_function(&api, &env);
    api.invoke_ok(WORKED_EXAMPLE);
    let (stdout, stderr) = finish(child);
    let logs = format!("{stdout}{stderr}");
    let now = std::time::SystemTime::now();
    for preset in [Preset::CloudFront, Preset::Fastly] {
        let line = logs
            .lines()
            .find(|l| l.contains(&format!("preset={preset} ")))
            .unwrap_or_else(|| panic!("no line for {preset}: {logs}"));
        assert!(line.contains(preset.published()), "{line}");
        let stale = preset.is_stale(now);
        assert_eq!(line.contains(STALE_PRESET), stale, "{line}");
        assert_eq!(line.contains("WARN"), stale, "{line}");
    }
    assert!(!logs.contains("preset=cloudflare"), "{logs}");
}
