//! Every fixture in `events/` through the handler, compared with the expected responses beside it.
//!
//! `events/NAME.json` is an invocation payload; `events/NAME.expected.json` is a list of
//! `{"env": {...}, "response": {...}}` cases: the configuration and the exact ALB response. An
//! event without an expected file fails the test. `UPDATE_EXPECTED=1` rewrites the responses from
//! the current code (then review the diff).

mod support;

use std::fs;

use alb_client_ip::config::Config;
use alb_client_ip::handler;
use lambda_runtime::{Context, LambdaEvent};
use serde_json::Value;
use serde_json::value::RawValue;
use support::{contract, fixtures};

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

#[tokio::test]
async fn every_event_answers_as_expected() {
    let update = std::env::var_os("UPDATE_EXPECTED").is_some();
    let mut checked = 0;
    for mut fixture in fixtures::load() {
        for case in &mut fixture.cases {
            let got = respond(&config_from(&case["env"]), &fixture.payload).await;
            if update {
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
            let want: Value =
                serde_json::from_str(case["response"]["body"].as_str().unwrap()).unwrap();
            assert_eq!(body, want, "{} with env {env}", fixture.name);
            assert!(explained["setting"].is_string(), "{explained}");
            assert!(explained["chain"].is_array(), "{explained}");
            if !want.get("error").is_some_and(|e| e == "malformed_event") {
                assert!(explained["suggestion"].is_string(), "{explained}");
                assert!(explained["counts"].is_array(), "{explained}");
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
        ("worked-example", "keep the default (TRUSTED_PROXY_COUNT=0)"),
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
            "CLIENT_IP_HEADER=forwarded with TRUSTED_PROXY_COUNT=0",
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
