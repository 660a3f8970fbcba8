//! Properties of the handler: the same request, however the ALB may shape the event, gets the
//! same answer, and that answer is the one the generated chain stands for. Every response goes
//! through `contract::check`. The resolver's own properties live with the library
//! (lambda-client-ip/tests/properties.rs).
//!
//! The oracle shares no code with the function: every generated entry carries the address it
//! stands for (worked out from how it was written, not by parsing it), and the answer under a
//! count of N is the entry N from the right when it and every entry right of it are addresses.
//!
//! The generators make answers the common case (invalid entries are rare right of the client and
//! common left of it). Each property counts the cases answered with an address and prints the
//! fraction (`--nocapture` shows it); `most_generated_cases_reach_an_answer` asserts it is at
//! least a half, on a fixed seed.
//!
//! 512 cases per property, or `PROPTEST_CASES` when set.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use alb_client_ip::config::Config;
use alb_client_ip::handler::handle_bytes;
use lambda_client_ip::{ProxyCount, Source};
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config as ProptestConfig, TestRunner};
use serde_json::{Map, Value, json};
use testkit::contract::{self, Answer};
use testkit::entry::{Entry, invalid_controls, valid};
use testkit::tally::{Property, Tally, assert_most_cases_answer, report, run};

// ---------------------------------------------------------------------------------------------
// Generated chains, each entry with the address it stands for (`testkit::entry`). Entries are
// text: a JSON event carries nothing else. The invalid ones include ASCII controls, which the
// function replaces with U+FFFD.

/// Text that is no address: the hostile kinds, with the controls an event can carry.
fn invalid() -> impl Strategy<Value = Entry> {
    invalid_controls()
}

/// A proxy count and a chain meant for it: `n + 1` entries on the right that are addresses but
/// for one in thirty, anything on the left, cut into header lines at `cuts`; one time in ten the
/// chain is cut too short (never to nothing: an empty list is a malformed event).
#[derive(Debug, Clone)]
struct Case {
    n: u8,
    entries: Vec<Entry>,
    /// `cuts[i]`: entry `i` starts a new line.
    cuts: Vec<bool>,
    /// How the header's name is spelt.
    name: String,
}

fn case() -> impl Strategy<Value = Case> {
    let n = prop_oneof![3 => 0u8..=1, 2 => 2u8..=4];
    n.prop_flat_map(|n| {
        let read = usize::from(n) + 1;
        let short = if n > 0 {
            prop::option::weighted(0.1, 1..read).boxed()
        } else {
            Just(None).boxed()
        };
        (
            Just(n),
            vec(prop_oneof![2 => valid(), 1 => invalid()], 0..4),
            vec(prop_oneof![29 => valid(), 1 => invalid()], read),
            short,
            vec(prop::bool::weighted(0.3), read + 4),
            vec(any::<bool>(), "x-forwarded-for".len()),
        )
    })
    .prop_map(|(n, left, read, short, mut cuts, upper)| {
        let mut entries = left;
        entries.extend(read);
        if let Some(keep) = short {
            entries = entries.split_off(entries.len() - keep);
        }
        cuts.truncate(entries.len());
        let name = "x-forwarded-for"
            .chars()
            .zip(upper)
            .map(|(c, up)| if up { c.to_ascii_uppercase() } else { c })
            .collect();
        Case {
            n,
            entries,
            cuts,
            name,
        }
    })
}

impl Case {
    fn config(&self) -> Config {
        Config {
            source: Source::x_forwarded_for(ProxyCount::new(self.n).unwrap()),
            explain: false,
        }
    }

    /// The whole chain as one value.
    fn joined(&self) -> String {
        let texts: Vec<&str> = self.entries.iter().map(Entry::text).collect();
        texts.join(", ")
    }

    /// The chain as several lines, cut at `cuts`.
    fn lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = Vec::new();
        for (e, &cut) in self.entries.iter().zip(&self.cuts) {
            match lines.last_mut() {
                Some(line) if !cut => {
                    line.push(',');
                    line.push_str(e.text());
                }
                _ => lines.push(e.text().to_owned()),
            }
        }
        lines
    }

    /// The oracle: the entry N from the right, when it and every entry right of it are
    /// addresses.
    fn want(&self) -> Answer {
        let n = usize::from(self.n);
        for (i, e) in self.entries.iter().rev().enumerate().take(n + 1) {
            match &e.want {
                None => return Answer::Refused("invalid_entry".into()),
                Some((ip, _port)) if i == n => return Answer::Client(ip.to_string()),
                Some(_) => {}
            }
        }
        Answer::Refused("chain_too_short".into())
    }
}

// ---------------------------------------------------------------------------------------------
// Running the properties, counting the cases answered with an address.

fn answer(config: &Config, event: &Value, context: &str) -> Answer {
    let out = handle_bytes(config, &serde_json::to_vec(event).unwrap()).expect("the event is JSON");
    match contract::check_bytes(&out, context) {
        // A class E entry where the count reads, with a Cloudflare address right of it, is a
        // Pseudo IPv4 (the pools can draw one): for the oracle, an entry that is no address.
        Answer::Refused(code) if code == "pseudo_ipv4_without_ipv6" => {
            Answer::Refused("invalid_entry".into())
        }
        answer => answer,
    }
}

/// 512 cases per property, or `PROPTEST_CASES` when set (`ProptestConfig::default` reads it). A
/// failure is kept in `proptest-regressions/` as the `proptest!` macro keeps it.
fn config() -> ProptestConfig {
    let cases = match std::env::var_os("PROPTEST_CASES") {
        Some(_) => ProptestConfig::default().cases,
        None => 512,
    };
    ProptestConfig {
        cases,
        source_file: Some(file!()),
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Properties.

/// The chain as one value or several lines, in the single-value map, the multi-value map or
/// both, under any spelling of the name: one answer, the oracle's.
fn same_answer_in_every_shape(runner: &mut TestRunner) -> Tally {
    run(runner, case(), |c| {
        let config = c.config();
        let (name, joined, lines) = (c.name.as_str(), c.joined(), c.lines());
        let last = lines.last().unwrap();
        let events = [
            json!({ "headers": { name: joined } }),
            json!({ "multiValueHeaders": { name: [joined] } }),
            json!({ "multiValueHeaders": { name: lines } }),
            json!({ "headers": { name: last }, "multiValueHeaders": { name: lines } }),
            json!({ "headers": { "x-forwarded-for": last }, "multiValueHeaders": { name: lines } }),
        ];
        let want = c.want();
        for event in &events {
            let got = answer(&config, event, &event.to_string());
            prop_assert_eq!(&got, &want, "{}", event);
        }
        Ok(matches!(want, Answer::Client(_)))
    })
}

/// A JSON value of any shape, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        any::<String>().prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            btree_map(any::<String>(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Headers the answer never depends on, with any text as values: names lower case, so none is
/// a second spelling of another. A health-checker user agent is among them: with a chain, it
/// changes nothing.
fn other_headers() -> impl Strategy<Value = Vec<(String, String)>> {
    let name = prop_oneof![
        select(vec![
            "user-agent",
            "x-amzn-trace-id",
            "accept",
            "host",
            "x-forwarded-proto",
            "forwarded",
            "x-real-ip"
        ])
        .prop_map(str::to_owned),
        "[a-z][a-z0-9-]{0,15}",
    ];
    let value = prop_oneof![
        Just("ELB-HealthChecker/2.0".to_owned()),
        Just("for=6.6.6.6".to_owned()),
        any::<String>(),
    ];
    vec((name, value), 0..6)
}

/// Headers and fields the answer does not read never change it, whatever they hold.
fn unread_fields_change_nothing(runner: &mut TestRunner) -> Tally {
    let strategy = (
        case(),
        other_headers(),
        btree_map(
            select(vec![
                "body",
                "path",
                "httpMethod",
                "queryStringParameters",
                "isBase64Encoded",
                "x",
            ]),
            any_json(),
            0..4,
        ),
        any::<String>(),
        any::<bool>(),
    );
    run(runner, strategy, |(c, others, fields, arn, multi)| {
        let config = c.config();
        let chain = |headers: &mut Map<String, Value>| {
            if multi {
                headers.insert(c.name.clone(), json!(c.lines()));
            } else {
                headers.insert(c.name.clone(), json!(c.joined()));
            }
        };
        let key = if multi {
            "multiValueHeaders"
        } else {
            "headers"
        };
        let mut plain = Map::new();
        chain(&mut plain);
        let plain = json!({ key: plain });

        let mut headers = Map::new();
        for (name, value) in &others {
            if name != "x-forwarded-for" {
                let value = if multi { json!([value]) } else { json!(value) };
                headers.insert(name.clone(), value);
            }
        }
        chain(&mut headers);
        let mut busy = Map::new();
        for (field, value) in fields {
            busy.insert(field.to_owned(), value);
        }
        busy.insert(key.to_owned(), Value::Object(headers));
        busy.insert(
            "requestContext".to_owned(),
            json!({ "elb": { "targetGroupArn": arn } }),
        );
        let busy = Value::Object(busy);

        let want = answer(&config, &plain, &plain.to_string());
        prop_assert_eq!(&want, &c.want());
        prop_assert_eq!(
            answer(&config, &busy, &busy.to_string()),
            want.clone(),
            "{}",
            busy
        );
        Ok(matches!(want, Answer::Client(_)))
    })
}

const PROPERTIES: &[(&str, Property)] = &[
    (
        "one_header_as_lines_or_values_in_either_map_gives_one_answer",
        same_answer_in_every_shape,
    ),
    (
        "headers_and_fields_the_answer_does_not_read_change_nothing",
        unread_fields_change_nothing,
    ),
];

fn property(name: &str) {
    let (_, property) = PROPERTIES.iter().find(|(n, _)| *n == name).unwrap();
    report(name, property(&mut TestRunner::new(config())));
}

#[test]
fn one_header_as_lines_or_values_in_either_map_gives_one_answer() {
    property("one_header_as_lines_or_values_in_either_map_gives_one_answer");
}

#[test]
fn headers_and_fields_the_answer_does_not_read_change_nothing() {
    property("headers_and_fields_the_answer_does_not_read_change_nothing");
}

/// The generators make answers the common case: on a fixed seed, at least half the cases of
/// every property are answered with an address.
#[test]
fn most_generated_cases_reach_an_answer() {
    assert_most_cases_answer(PROPERTIES, 500);
}
