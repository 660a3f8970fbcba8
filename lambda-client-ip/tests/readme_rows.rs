//! The rows of the README's table "Which setting do I need?" marked `the library:`, executed: each
//! row's setting, parsed as written, through the library (`RequestClientIp` on a `lambda_http`
//! request) on the sample events of that front door, and on requests that tell the setting apart
//! from its plausible mistakes (a count for ranges, another count, another preset):
//!
//! - the front door's own sample events: the answer its section of docs/topologies.md gives;
//! - a caller that goes around the front door, or that is another CDN's edge: its own address,
//!   whatever it forged;
//! - for every bundled preset the front door does not put in front, a caller from that preset's
//!   first address forging an entry: answered its own address (a preset trusted by mistake
//!   believes the forged entry).
//!
//! The local-alb end-to-end test (`local-alb/tests/e2e/test_readme_rows.py`) runs the other rows
//! and checks that every library row is named here.
// A test crate: a panic is the failure report.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;
use std::net::IpAddr;

use lambda_client_ip::{Preset, RequestClientIp, Source};
use serde_json::Value;

const README: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md");
const EVENTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/events");

/// The library rows: (topology, the variables the setting column sets).
fn library_rows() -> Vec<(String, BTreeMap<String, String>)> {
    let text = std::fs::read_to_string(README).unwrap();
    let table = text
        .split("## Which setting do I need?")
        .nth(1)
        .expect("the README has the section")
        .split("\n#")
        .next()
        .unwrap();
    let mut rows = Vec::new();
    for line in table.lines().filter(|l| l.starts_with("| [")) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let Some(setting) = cells[1].strip_prefix("the library: ") else {
            continue;
        };
        let topology = cells[0][1..cells[0].find(']').unwrap()].to_owned();
        let mut vars = BTreeMap::new();
        if setting != "all unset" {
            for span in setting.split('`').skip(1).step_by(2) {
                let (var, value) = span.split_once('=').expect("`VAR=VALUE`");
                vars.insert(var.to_owned(), value.to_owned());
            }
            assert!(!vars.is_empty(), "{topology}: {setting:?} sets nothing");
        }
        rows.push((topology, vars));
    }
    rows
}

/// A sample event, with its X-Forwarded-For (every spelling, single- and multi-value) and its
/// `sourceIp` replaced when given.
fn event(path: &str, chain: Option<&str>, source_ip: Option<&str>) -> String {
    let mut event: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    fn rewrite(value: &mut Value, chain: Option<&str>, source_ip: Option<&str>) {
        match value {
            Value::Object(map) => {
                for (key, inner) in map.iter_mut() {
                    match (key.to_ascii_lowercase().as_str(), chain, source_ip) {
                        ("x-forwarded-for", Some(c), _) if inner.is_array() => {
                            *inner = Value::from(vec![c]);
                        }
                        ("x-forwarded-for", Some(c), _) => *inner = Value::from(c),
                        ("sourceip", _, Some(ip)) => *inner = Value::from(ip),
                        _ => rewrite(inner, chain, source_ip),
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|i| rewrite(i, chain, source_ip)),
            _ => {}
        }
    }
    rewrite(&mut event, chain, source_ip);
    event.to_string()
}

/// The library's answer: the address, or the refusal's code.
fn answer(event: &str, source: &Source) -> String {
    let request = lambda_http::request::from_str(event).unwrap_or_else(|e| panic!("{e}: {event}"));
    match request.client_ip(source) {
        Ok(client) => client.to_string(),
        Err(e) => e.code().to_owned(),
    }
}

/// The first address of a preset: where that CDN's edge connects from.
fn edge(preset: Preset) -> IpAddr {
    preset
        .nets()
        .find(|net| net.addr().is_ipv4())
        .and_then(|net| net.hosts().next())
        .unwrap()
}

/// One request: what it is, the event, and the answer the row documents.
type Probe = (String, String, String);

/// The requests of each library row, by topology; `None` for a row this test does not know,
/// which fails.
fn probes(topology: &str) -> Option<Vec<Probe>> {
    let file = |name: &str| format!("{EVENTS}/{name}");
    let probe = |what: &str, event: String, want: &str| (what.to_owned(), event, want.to_owned());
    // A caller from each preset's edge, forging an entry: with no CDN of that preset in front,
    // the answer is the caller (`in_front` appended after it, as that door appends).
    let foreign = |base: &str, in_front: &[&str], want_front: bool| -> Vec<Probe> {
        Preset::ALL
            .into_iter()
            .map(|preset| {
                let ip = edge(preset).to_string();
                let mut chain = vec!["192.0.2.200", ip.as_str()];
                chain.extend_from_slice(in_front);
                let source = if want_front { in_front[0] } else { ip.as_str() };
                let what = format!("a caller from {preset}'s edge {ip}");
                probe(
                    &what,
                    event(base, Some(&chain.join(", ")), Some(source)),
                    &ip,
                )
            })
            .collect()
    };
    let regional = file("apigw-rest-regional.json");
    let edge_optimized = file("apigw-rest-edge-optimized.json");
    let function_url = file("function-url-behind-cloudfront.json");
    let cloudfront_edge = edge(Preset::CloudFront).to_string();
    Some(match topology {
        // The caller API Gateway saw, P0, whatever stands left of it.
        "REST API, regional → Lambda" => [
            vec![probe(
                "a client behind a proxy of its own (tests/events)",
                event(&regional, None, None),
                "203.0.113.10",
            )],
            foreign(&regional, &[], false),
        ]
        .concat(),
        // P1, left of API Gateway's own CloudFront edge, whatever its address: AWS's sample's
        // (54.182.214.83) is outside the origin-facing `cloudfront` preset, the captured ones
        // (70.132.0.0/18, 130.176.0.0/16) inside it.
        "REST API, edge-optimized → Lambda" => [
            vec![
                probe(
                    "the edge-optimized sample (tests/events)",
                    event(&edge_optimized, None, None),
                    "198.51.100.7",
                ),
                probe(
                    "the chain of events/api-gateway-rest-edge-optimized.json, a real edge",
                    event(
                        &edge_optimized,
                        Some("54.240.196.186, 54.182.214.83"),
                        Some("54.240.196.186"),
                    ),
                    "54.240.196.186",
                ),
                probe(
                    "the chain of events/api-gateway-rest-edge-optimized-captured.json",
                    event(
                        &edge_optimized,
                        Some("198.51.100.23, 70.132.33.131"),
                        Some("198.51.100.23"),
                    ),
                    "198.51.100.23",
                ),
            ],
            foreign(&edge_optimized, &["54.182.214.83"], true),
            foreign(&edge_optimized, &["70.132.33.131"], true),
        ]
        .concat(),
        // Left of CloudFront's entry; a caller around CloudFront is answered its own address.
        "CloudFront OAC → Function URL" => [
            vec![
                probe(
                    "through CloudFront (tests/events)",
                    event(&function_url, None, None),
                    "198.51.100.7",
                ),
                probe(
                    "a caller around CloudFront, forging CloudFront's entry",
                    event(
                        &function_url,
                        Some(&format!("192.0.2.200, {cloudfront_edge}, 198.51.100.66")),
                        Some("198.51.100.66:50123"),
                    ),
                    "198.51.100.66",
                ),
            ],
            foreign(&function_url, &[], false)
                .into_iter()
                .filter(|(what, ..)| !what.contains("cloudfront's"))
                .collect(),
        ]
        .concat(),
        _ => return None,
    })
}

#[test]
fn every_library_row_of_the_readme_answers_only_as_documented() {
    let rows = library_rows();
    assert!(rows.len() >= 3, "{rows:?}");
    let mut wrong = Vec::new();
    for (topology, vars) in &rows {
        let source = Source::from_lookup(|k| vars.get(k).cloned())
            .unwrap_or_else(|e| panic!("{topology}: {vars:?} is refused: {e}"));
        let probes =
            probes(topology).unwrap_or_else(|| panic!("{topology}: no requests for this row"));
        for (what, event, want) in probes {
            let got = answer(&event, &source);
            if got != want {
                wrong.push(format!(
                    "{topology} under {vars:?}: {what}: {got} (documented: {want})"
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
