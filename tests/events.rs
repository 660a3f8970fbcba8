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
