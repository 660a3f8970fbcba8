//! Explain's suggestion never contradicts the walk: every fixture in `events/`, explained under
//! every setting the README's table "Which setting do I need?" documents. Whenever explain
//! suggests a setting, that setting, applied to the same request through the function, answers
//! what the suggestion promised (the client, or the refusal), and the advice names the setting's
//! variables and that answer. The settings are read from the table, so a new row is covered
//! without a change here.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod support;

use std::collections::BTreeMap;

use alb_client_ip::config::Config;
use alb_client_ip::handler;
use lambda_client_ip::{CountAnswer, Suggestion};
use serde_json::value::RawValue;
use support::fixtures;
use testkit::contract::{self, Answer};

/// What a placeholder of the table (`<its addresses>`, `<the VPC link's subnets>`) is typed as
/// here: a network of your own, where the fixtures' private hops are.
const YOURS: &str = "10.0.0.0/8";

type Setting = BTreeMap<String, String>;

/// Every row's setting, parsed as written: once with the variables it needs, once more with its
/// optional ones. A code span that sets nothing (a header named in a remark) is skipped.
fn documented_settings() -> Vec<(String, Setting)> {
    let readme = std::fs::read_to_string(fixtures::events_dir().join("../README.md")).unwrap();
    let section = readme.split("## Which setting do I need?").nth(1).unwrap();
    let table = section.split("\n#").next().unwrap();
    let mut settings = Vec::new();
    for line in table.lines().filter(|l| l.starts_with("| [")) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let topology = cells[0].trim_start_matches('[').split(']').next().unwrap();
        let mut vars = Setting::new();
        for (i, part) in cells[1].split("optional").enumerate() {
            for span in part.split('`').skip(1).step_by(2) {
                let Some((var, value)) = span.split_once('=') else {
                    continue;
                };
                let value = if value.starts_with('<') { YOURS } else { value };
                vars.insert(var.to_owned(), value.to_owned());
            }
            let which = if i == 0 { "" } else { ", optional ones set" };
            settings.push((format!("{topology}{which}"), vars.clone()));
        }
    }
    settings
}

/// The settings the advice names for a suggestion, in the function's variables: the suggestion
/// itself, and for trusted ranges the count it offers beside them.
fn named(s: &Suggestion) -> Vec<Setting> {
    let items = s.proxies.iter().map(ToString::to_string);
    let items: Vec<String> = items
        .chain(s.presets.iter().map(ToString::to_string))
        .collect();
    let mut base = Setting::new();
    if let Some(link) = s.vpc_link {
        base.insert("CLIENT_IP_HEADER".into(), "forwarded".into());
        base.insert("VPC_LINK_CIDRS".into(), link.to_string());
    }
    let mut by_count = base.clone();
    by_count.insert("TRUSTED_PROXY_COUNT".into(), s.count.to_string());
    if items.is_empty() {
        return vec![by_count];
    }
    let mut by_ranges = base;
    by_ranges.insert("TRUSTED_PROXY_CIDRS".into(), items.join(","));
    match s.vpc_link {
        Some(_) => vec![by_ranges],
        None => vec![by_ranges, by_count],
    }
}

/// What the function answers to `raw` under `setting`.
fn answer(setting: &Setting, raw: &RawValue) -> Answer {
    let config = Config::from_lookup(|k| setting.get(k).cloned())
        .unwrap_or_else(|e| panic!("the suggested {setting:?} is refused: {e}"));
    let response = serde_json::to_value(handler::respond(&config, raw)).unwrap();
    contract::check(&response, &format!("{setting:?}"))
}

#[test]
fn every_suggestion_applied_answers_what_it_promised() {
    let settings = documented_settings();
    assert!(settings.len() >= 20, "{settings:?}");
    let (mut checked, mut wrong) = (0, Vec::new());
    for fixture in fixtures::load() {
        let raw: Box<RawValue> = serde_json::from_slice(&fixture.payload).unwrap();
        for (row, vars) in &settings {
            let config = Config::from_lookup(|k| vars.get(k).cloned())
                .unwrap_or_else(|e| panic!("{row}: {vars:?} is refused: {e}"));
            let Ok(request) = handler::read(&config, &raw) else {
                continue;
            };
            let explained = config.source.explain(&request.headers, request.peer);
            let Some(s) = &explained.suggestion else {
                continue;
            };
            let advice = handler::advice(&explained);
            let promised = match &s.answer {
                CountAnswer::ClientIp(ip) => Answer::client(&ip.to_string()),
                CountAnswer::Refused(e) => Answer::refused(e.code()),
                other => panic!("{other:?}"),
            };
            let said = match &promised {
                Answer::Client(ip) => format!("answers {ip}"),
                _ => "refuses this request".to_owned(),
            };
            let context = format!("{} under {row}", fixture.name);
            if !advice.contains(&said) {
                wrong.push(format!(
                    "{context}: the advice does not say {said:?}: {advice}"
                ));
            }
            for setting in named(s) {
                for (var, value) in &setting {
                    let shown = match var.as_str() {
                        // A placeholder holding the VPC link's address.
                        "VPC_LINK_CIDRS" => {
                            format!("{var}=<the VPC link's subnets, which hold {value}>")
                        }
                        _ => format!("{var}={value}"),
                    };
                    if !advice.contains(&shown) {
                        wrong.push(format!(
                            "{context}: the advice does not name {shown}: {advice}"
                        ));
                    }
                }
                let got = answer(&setting, &raw);
                // A count beside ranges answers the same client, or refuses as they do.
                let same = match (&got, &promised) {
                    (Answer::Refused(_), Answer::Refused(_)) => {
                        setting.contains_key("TRUSTED_PROXY_COUNT") || got == promised
                    }
                    _ => got == promised,
                };
                if !same {
                    wrong.push(format!("{context}: {setting:?} answers {got:?}, the suggestion promised {promised:?}: {advice}"));
                }
                checked += 1;
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(checked >= 500, "only {checked} suggestions checked");
}

/// The cases the suggestion once got wrong, each named with the answer it must promise.
#[test]
fn the_suggestions_once_wrong_promise_the_walks_answer() {
    let cases = [
        // AWS's edge-optimized sample: the edge is outside the origin-facing preset; count 0
        // answers it, the documented count 1 the viewer API Gateway reports as sourceIp.
        (
            "api-gateway-rest-edge-optimized",
            "",
            "TRUSTED_PROXY_COUNT=1 answers 54.240.196.186",
        ),
        // A Pseudo IPv4: Cloudflare's setting answers the visitor's IPv6 address.
        (
            "cloudflare-pseudo-ipv4",
            "TRUSTED_PROXY_CIDRS=cloudflare",
            "TRUSTED_PROXY_CIDRS=cloudflare answers 2001:db8:85a3::8a2e:370:7334",
        ),
        // Through the VPC link: the VPC link named, and the element API Gateway appended.
        (
            "forwarded-vpc-link",
            "CLIENT_IP_HEADER=forwarded TRUSTED_PROXY_COUNT=0 VPC_LINK_CIDRS=10.0.12.0/24",
            "CLIENT_IP_HEADER=forwarded TRUSTED_PROXY_COUNT=0 VPC_LINK_CIDRS=<the VPC link's subnets, which hold 10.0.12.34> answers 203.0.113.195",
        ),
        // A public peer delivering Forwarded: a VPC numbered from public space names its link.
        (
            "forwarded-around-the-vpc-link",
            "",
            "VPC_LINK_CIDRS=<the VPC link's subnets, which hold 198.51.100.66> answers 6.6.6.6",
        ),
    ];
    let fixtures = fixtures::load();
    for (name, setting, want) in cases {
        let fixture = fixtures.iter().find(|f| f.name == name).unwrap();
        let raw: Box<RawValue> = serde_json::from_slice(&fixture.payload).unwrap();
        let vars: Setting = setting
            .split_whitespace()
            .map(|pair| pair.split_once('=').unwrap())
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let config = Config::from_lookup(|k| vars.get(k).cloned()).unwrap();
        let request = handler::read(&config, &raw).unwrap();
        let explained = config.source.explain(&request.headers, request.peer);
        let advice = handler::advice(&explained);
        assert!(advice.contains(want), "{name}: {advice}");
        assert!(!advice.contains("holds no"), "{name}: {advice}");
    }
}
