//! Every fixture in `events/` through the handler, compared with the expected responses beside it.
//!
//! `events/NAME.json` is an invocation payload; `events/NAME.expected.json` is a list of
//! `{"env": {...}, "response": {...}}` cases: the configuration and the exact ALB response. An
//! event without an expected file fails the test. `UPDATE_EXPECTED=1` rewrites the responses from
//! the current code (then review the diff).
//!
//! The answer of every case (the client address or the refusal's code) is also written by hand in
//! `events/ANSWERS`, and both the expected file and the code must give it: a regenerated file
//! cannot change an answer unless that line is changed too.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod support;

use std::fs;

use alb_client_ip::config::Config;
use alb_client_ip::handler;
use lambda_runtime::{Context, LambdaEvent};
use serde_json::value::RawValue;
use serde_json::{Value, json};
use support::fixtures;
use testkit::contract;

fn config_from(env: &Value) -> Config {
    Config::from_lookup(|k| env.get(k).and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|e| panic!("fixture env {env} is refused: {e}"))
}

async fn respond(config: &Config, payload: &[u8]) -> Value {
    // The same path as lambda_runtime: deserialize the payload type, call the handler.
    let event: Box<RawValue> = serde_json::from_slice(payload).expect("fixtures are JSON");
    let response = handler::handle(config, LambdaEvent::new(event, Context::default()))
        .await
        .expect("the handler never fails");
    serde_json::to_value(response).unwrap()
}

/// `events/ANSWERS`: (fixture, setting, answer) per line, the setting as an `env` object.
fn hand_written_answers() -> Vec<(String, Value, contract::Answer)> {
    let text = fs::read_to_string(fixtures::events_dir().join("ANSWERS")).unwrap();
    let lines = text.lines().map(str::trim);
    let lines = lines.filter(|l| !l.is_empty() && !l.starts_with('#'));
    lines
        .map(|line| {
            let [fixture, setting, answer] = line.split(" | ").collect::<Vec<_>>()[..] else {
                panic!("events/ANSWERS: {line:?} is not `fixture | setting | answer`");
            };
            let mut env = serde_json::Map::new();
            for pair in setting.split("; ").filter(|p| *p != "-") {
                let (var, value) = pair.split_once('=').expect("VAR=VALUE");
                env.insert(var.to_owned(), value.into());
            }
            let answer = match answer {
                "healthy" => contract::Answer::Healthy,
                ip if ip.parse::<std::net::IpAddr>().is_ok() => contract::Answer::client(ip),
                code => contract::Answer::Refused(code.to_owned()),
            };
            (fixture.to_owned(), Value::Object(env), answer)
        })
        .collect()
}

/// The hand-written answer of one case.
fn hand_written(
    answers: &[(String, Value, contract::Answer)],
    name: &str,
    env: &Value,
) -> contract::Answer {
    let mut matching = answers.iter().filter(|(f, e, _)| f == name && e == env);
    match (matching.next(), matching.next()) {
        (Some((.., answer)), None) => answer.clone(),
        (None, _) => panic!("events/ANSWERS has no line for {name} with env {env}"),
        (Some(_), Some(_)) => panic!("events/ANSWERS has two lines for {name} with env {env}"),
    }
}

/// Every case's expected response, and the code's own, answer what `events/ANSWERS` says, and
/// every line there is a case.
#[tokio::test]
async fn every_case_answers_its_hand_written_answer() {
    let answers = hand_written_answers();
    let mut cases = 0;
    for fixture in fixtures::load() {
        for case in &fixture.cases {
            let context = format!("{} with env {}", fixture.name, case["env"]);
            let want = hand_written(&answers, &fixture.name, &case["env"]);
            let expected = contract::check(&case["response"], &context);
            assert_eq!(
                expected, want,
                "{context}: the expected file disagrees with events/ANSWERS"
            );
            let got = respond(&config_from(&case["env"]), &fixture.payload).await;
            let got = contract::check(&got, &context);
            assert_eq!(
                got, want,
                "{context}: the code disagrees with events/ANSWERS"
            );
            cases += 1;
        }
    }
    assert_eq!(
        cases,
        answers.len(),
        "events/ANSWERS has lines that name no case"
    );
}

#[tokio::test]
async fn every_event_answers_as_expected() {
    let update = std::env::var_os("UPDATE_EXPECTED").is_some();
    let answers = hand_written_answers();
    let mut checked = 0;
    for mut fixture in fixtures::load() {
        for case in &mut fixture.cases {
            let got = respond(&config_from(&case["env"]), &fixture.payload).await;
            if update {
                // Regenerating rewrites the responses, never the hand-written answers.
                let context = format!("{} with env {}", fixture.name, case["env"]);
                let want = hand_written(&answers, &fixture.name, &case["env"]);
                assert_eq!(
                    contract::check(&got, &context),
                    want,
                    "{context}: events/ANSWERS"
                );
                case["response"] = got;
            } else {
                assert_eq!(
                    got, case["response"],
                    "{} with env {}",
                    fixture.name, case["env"]
                );
            }
            checked += 1;
        }
        if update {
            fs::write(
                &fixture.expected_path,
                serde_json::to_string_pretty(&fixture.cases).unwrap() + "\n",
            )
            .unwrap();
        }
    }
    assert!(checked >= 15);
}

/// The contract, checked on every fixture's expected response, so a wrong golden file cannot
/// slip in through `UPDATE_EXPECTED`.
#[test]
fn expected_responses_keep_the_contract() {
    for fixture in fixtures::load() {
        for case in &fixture.cases {
            contract::check(
                &case["response"],
                &format!("{} {}", fixture.name, case["env"]),
            );
        }
    }
}

/// Explain mode on: every fixture keeps the contract, answers what it answers with explain off,
/// and carries the explanation; explain off, the answers above are byte for byte the same.
#[tokio::test]
async fn explain_mode_adds_one_member_and_changes_nothing_else() {
    let mut checked = 0;
    for fixture in fixtures::load() {
        for case in &fixture.cases {
            let mut env = case["env"].clone();
            env["CLIENT_IP_EXPLAIN"] = "true".into();
            let got = respond(&config_from(&env), &fixture.payload).await;
            contract::check(&got, &fixture.name);
            let mut body: Value = serde_json::from_str(got["body"].as_str().unwrap()).unwrap();
            let explained = body
                .as_object_mut()
                .and_then(|b| b.remove("explain"))
                .unwrap_or_else(|| panic!("{}: no explain member", fixture.name));
            let mut want: Value =
                serde_json::from_str(case["response"]["body"].as_str().unwrap()).unwrap();
            want.as_object_mut().unwrap().remove("explain");
            assert_eq!(body, want, "{} with env {env}", fixture.name);
            assert!(explained["setting"].is_string(), "{explained}");
            // A payload that could not be read has nothing to explain but the setting.
            let unread = want
                .get("error")
                .is_some_and(|e| e == "malformed_event" || e == "conflicting_headers");
            if unread {
                assert!(explained["event"].is_string(), "{explained}");
            } else {
                assert!(explained["reads"].is_string(), "{explained}");
                assert!(explained["hops"].is_array(), "{explained}");
                assert!(explained["more"].is_u64(), "{explained}");
                assert!(explained["counts"].is_array(), "{explained}");
                assert!(explained["peer"]["kind"].is_string(), "{explained}");
                assert!(explained["suggestion"].is_string(), "{explained}");
            }
            checked += 1;
        }
    }
    assert!(checked >= 15);
}

/// The setting explain mode suggests, for each topology a fixture stands for.
#[tokio::test]
async fn explain_mode_names_the_setting_for_each_topology() {
    let cases = [
        (
            "spoofed-leftmost",
            "keep the default (TRUSTED_PROXY_COUNT=0), which answers 198.51.100.77",
        ),
        // The viewer API Gateway reported as sourceIp, left of its own CloudFront edge.
        (
            "api-gateway-rest-edge-optimized",
            "TRUSTED_PROXY_COUNT=1 answers 54.240.196.186",
        ),
        (
            "cloudfront",
            "TRUSTED_PROXY_CIDRS=cloudfront answers 203.0.113.50",
        ),
        (
            "cloudflare",
            "TRUSTED_PROXY_CIDRS=cloudflare answers 203.0.113.77",
        ),
        (
            "forwarded-vpc-link",
            "CLIENT_IP_HEADER=forwarded TRUSTED_PROXY_COUNT=0 VPC_LINK_CIDRS=<the VPC link's subnets, which hold 10.0.12.34> answers 203.0.113.195",
        ),
    ];
    let fixtures = fixtures::load();
    let explain_on = config_from(&serde_json::json!({"CLIENT_IP_EXPLAIN": "true"}));
    for (name, want) in cases {
        let fixture = fixtures
            .iter()
            .find(|f| f.name == name)
            .unwrap_or_else(|| panic!("no fixture {name}"));
        let got = respond(&explain_on, &fixture.payload).await;
        let body: Value = serde_json::from_str(got["body"].as_str().unwrap()).unwrap();
        let suggestion = body["explain"]["suggestion"].as_str().unwrap();
        assert!(suggestion.contains(want), "{name}: {suggestion}");
    }
}

/// The README's worked example: the default answers the ALB's own entry, a count of 2 the client,
/// and the same event without X-Forwarded-For answers its `sourceIp`.
#[tokio::test]
async fn the_readme_worked_example() {
    let fixtures = fixtures::load();
    let answer_of = |name: &str, env: Value| {
        let fixture = fixtures.iter().find(|f| f.name == name).unwrap();
        let case = fixture.cases.iter().find(|c| c["env"] == env);
        let case = case.unwrap_or_else(|| panic!("{name} has no case with env {env}"));
        contract::check(&case["response"], name)
    };
    let client = contract::Answer::client;
    assert_eq!(
        answer_of("worked-example", json!({})),
        client("150.172.238.178")
    );
    let two = json!({"TRUSTED_PROXY_COUNT": "2"});
    assert_eq!(answer_of("worked-example", two), client("203.0.113.195"));
    assert_eq!(
        answer_of("worked-example-no-forwarded-for", json!({})),
        client("70.41.3.18")
    );
}

/// Explain mode on a chain of 2,000 entries: the answer lists 32 positions and counts the rest,
/// and stays small.
#[tokio::test]
async fn explain_mode_on_a_long_chain_stays_small() {
    let fixtures = fixtures::load();
    let fixture = fixtures
        .iter()
        .find(|f| f.name == "explain-long-chain")
        .unwrap();
    for case in &fixture.cases {
        let got = respond(&config_from(&case["env"]), &fixture.payload).await;
        let body = got["body"].as_str().unwrap();
        assert!(body.len() < 16 * 1024, "{} bytes", body.len());
        let body: Value = serde_json::from_str(body).unwrap();
        assert_eq!(
            body["explain"]["hops"].as_array().unwrap().len(),
            32,
            "{body}"
        );
        assert_eq!(body["explain"]["more"], 2000 - 32, "{body}");
        assert!(
            body["explain"]["counts"].as_array().unwrap().len() <= 31,
            "{body}"
        );
    }
    assert!(fixture.payload.len() > 20_000, "the chain is long");
}
