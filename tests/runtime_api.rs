//! The real function process under a minimal Lambda Runtime API: what Lambda runs is what is
//! tested, not only the handler function.

mod support;

use std::collections::BTreeMap;
use std::io::Read;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::fixtures;
use support::runtime_api::{Posted, RuntimeApi, function_binary, spawn_function};

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

#[test]
fn payloads_that_are_not_events_get_a_400_not_an_error() {
    let mut api = RuntimeApi::start();
    let child = spawn_function(&api, &[]);
    for payload in [
        &b"[]"[..],
        b"\"x\"",
        b"null",
        b"42",
        br#"{"headers": 5}"#,
        br#"{"headers": {"x-forwarded-for": ["1.1.1.1"]}}"#,
        br#"{"multiValueHeaders": {"x-forwarded-for": [null]}}"#,
        br#"{"requestContext": {"identity": {"sourceIp": false}}}"#,
        br#"{"headers": {"x-forwarded-for": "1.1.1.1", "X-FORWARDED-FOR": "2.2.2.2"}}"#,
    ] {
        match api.invoke(payload) {
            Posted::Response(_, body) => {
                let response: Value = serde_json::from_slice(&body).unwrap();
                assert_eq!(
                    response["statusCode"],
                    400,
                    "{}",
                    String::from_utf8_lossy(payload)
                );
                assert!(body_of(&response)["error"].is_string());
            }
            Posted::Error(_, e) => panic!(
                "{} became an invocation error: {}",
                String::from_utf8_lossy(payload),
                String::from_utf8_lossy(&e)
            ),
        }
    }
    // Still alive and answering after all of that.
    assert_eq!(api.invoke_ok(WORKED_EXAMPLE)["statusCode"], 200);
    finish(child);
}

#[test]
fn json_logs_carry_the_address_how_it_was_chosen_and_the_trace_id() {
    let mut api = RuntimeApi::start();
    let child = spawn_function(
        &api,
        &[
            ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
            ("TRUSTED_PROXY_COUNT", "2"),
        ],
    );
    let event = br#"{"headers": {"x-forwarded-for": "203.0.113.195, 70.41.3.18, 150.172.238.178", "x-amzn-trace-id": "Root=1-67891233-abcdef012345678912345678"}}"#;
    api.invoke_ok(event);
    api.invoke_ok(br#"{"headers": {"x-forwarded-for": "nope"}}"#);
    let (stdout, _) = finish(child);
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
        .collect();
    let chosen = lines
        .iter()
        .find(|l| l["fields"]["client_ip"].is_string())
        .unwrap_or_else(|| panic!("no client line in {stdout}"));
    assert_eq!(chosen["fields"]["client_ip"], "203.0.113.195");
    assert_eq!(chosen["fields"]["chosen_by"], "position");
    assert_eq!(chosen["fields"]["position"], 2);
    assert_eq!(
        chosen["fields"]["trace_id"],
        "Root=1-67891233-abcdef012345678912345678"
    );
    let refused = lines
        .iter()
        .find(|l| l["fields"]["error"].is_string())
        .unwrap_or_else(|| panic!("no refusal line in {stdout}"));
    assert_eq!(refused["fields"]["error"], "invalid_entry");
    // Raw header values only at debug level.
    assert!(!stdout.contains("70.41.3.18"), "{stdout}");
}

#[test]
fn a_refused_configuration_names_the_variable_and_value_and_does_not_start() {
    let api = RuntimeApi::start();
    for (env, needle) in [
        (("TRUSTED_PROXY_COUNT", "31"), "TRUSTED_PROXY_COUNT=\"31\""),
        (("TRUSTED_PROXY_CIDRS", "10.0.0.0/8,nope"), "\"nope\""),
    ] {
        let child = spawn_function(&api, &[env]);
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
