//! `alb-explain`, the offline explain command, as a process: an event file and a raw header line
//! explained under a setting, and refusals that name what is wrong.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::PathBuf;
use std::process::{Command, Output};

fn alb_explain(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_alb-explain"))
        .args(args)
        .env_remove("TRUSTED_PROXY_COUNT")
        .env_remove("TRUSTED_PROXY_CIDRS")
        .env_remove("CLIENT_IP_HEADER")
        .env_remove("VPC_LINK_CIDRS")
        .output()
        .unwrap()
}

fn event(name: &str) -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../events");
    root.join(name).to_string_lossy().into_owned()
}

#[test]
fn an_event_file_is_explained_as_a_table() {
    let out = alb_explain(&["--event", &event("cloudfront.json")]);
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{table}");
    assert!(
        table.starts_with("setting: X-Forwarded-For, 0 trusted proxies\n"),
        "{table}"
    );
    let row = table.lines().find(|l| l.starts_with("0 ")).unwrap();
    for cell in ["130.176.0.12", "cloudfront", "no"] {
        assert!(row.contains(cell), "{row}");
    }
    assert!(
        table.contains("answer: {\"client_ip\":\"130.176.0.12\"}"),
        "{table}"
    );
    // The peer in the words a user configures, never a Rust name such as Cdn(CloudFront).
    assert!(
        table.contains("the ALB's peer: a cloudfront address (the bundled preset cloudfront)\n"),
        "{table}"
    );
    assert!(
        table.contains("TRUSTED_PROXY_CIDRS=cloudfront answers 203.0.113.50"),
        "{table}"
    );
}

#[test]
fn a_header_line_under_a_setting() {
    let out = alb_explain(&[
        "--header",
        "6.6.6.6, 203.0.113.7, unknown, 10.0.0.5:443",
        "TRUSTED_PROXY_COUNT=1",
    ]);
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{table}");
    assert!(
        table.starts_with("setting: X-Forwarded-For, 1 trusted proxy\n"),
        "{table}"
    );
    let row = table.lines().find(|l| l.starts_with("1 ")).unwrap();
    assert!(row.contains("unknown") && row.contains("invalid"), "{row}");
    assert!(row.contains("refused: invalid_entry"), "{row}");
    assert!(table.contains("\"error\":\"invalid_entry\""), "{table}");
    assert!(
        table.contains("the ALB's peer: a private address\n"),
        "{table}"
    );
}

#[test]
fn a_header_mode_setting_explains_the_header_it_reads() {
    let out = alb_explain(&[
        "--event",
        &event("cloudfront-viewer-address.json"),
        "TRUSTED_PROXY_CIDRS=cloudfront",
        "CLIENT_IP_HEADER=cloudfront-viewer-address",
    ]);
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{table}");
    assert!(
        table.contains("reads: cloudfront-viewer-address ("),
        "{table}"
    );
    let row = table.lines().find(|l| l.starts_with("0 ")).unwrap();
    assert!(row.contains("cloudfront") && row.contains("yes"), "{row}");
}

#[test]
fn a_long_chain_is_listed_to_a_bound() {
    let chain = vec!["203.0.113.9"; 500].join(",");
    let out = alb_explain(&["--header", &chain]);
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{table}");
    assert!(
        table.contains("… and 468 more positions to the left, not listed"),
        "{table}"
    );
    assert!(table.lines().count() < 60, "{table}");
}

#[test]
fn refusals_name_what_is_wrong() {
    for (args, needle) in [
        (
            &["--header", "x", "TRUSTED_PROXY_COUNT=99"][..],
            "TRUSTED_PROXY_COUNT=\"99\"",
        ),
        (
            &["--header", "x", "COUNT"][..],
            "\"COUNT\" is not VAR=VALUE",
        ),
        (&["--event", "/nonexistent.json"][..], "cannot read --event"),
        (&[][..], "--event"),
    ] {
        let out = alb_explain(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
}

#[test]
fn a_global_accelerator_peer_is_named_as_the_front_door_is() {
    let out = alb_explain(&["--event", &event("global-accelerator.json")]);
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{table}");
    assert!(
        table.contains(
            "the ALB's peer: a global-accelerator edge (the bundled list globalaccelerator)"
        ),
        "{table}"
    );
    assert!(!table.contains("GlobalAccelerator"), "{table}");
}

/// The table of an event under a setting, the command having succeeded.
fn explained(name: &str, settings: &[&str]) -> String {
    let path = event(name);
    let mut args = vec!["--event", path.as_str()];
    args.extend_from_slice(settings);
    let out = alb_explain(&args);
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{name}: {table}");
    table
}

#[test]
fn the_binding_and_the_bundled_lists_dates_are_shown() {
    let table = explained(
        "forwarded-vpc-link.json",
        &[
            "CLIENT_IP_HEADER=forwarded",
            "TRUSTED_PROXY_COUNT=0",
            "VPC_LINK_CIDRS=10.0.12.0/24",
        ],
    );
    assert!(
        table.contains(
            "\nbinding: held: the writer of forwarded delivered the request from position 0\n"
        ),
        "{table}"
    );
    let lists = table
        .lines()
        .find(|l| l.starts_with("bundled lists: "))
        .unwrap();
    for preset in lambda_client_ip::Preset::ALL {
        let dated = format!("{preset} {}", preset.published());
        assert!(lists.contains(&dated), "{dated}: {lists}");
    }
    // A forged CF-Connecting-IP from around Cloudflare: the binding fails, and the answer is read
    // from X-Forwarded-For, which `reads` says.
    let table = explained(
        "cf-connecting-ip-through-cloudfront.json",
        &[
            "CLIENT_IP_HEADER=cf-connecting-ip",
            "TRUSTED_PROXY_CIDRS=cloudflare",
        ],
    );
    assert!(
        table.contains("reads: x-forwarded-for (cf-connecting-ip not believed: 6.6.6.6)\nbinding: failed at position 0"),
        "{table}"
    );
}

#[test]
fn values_print_as_sent() {
    let table = explained(
        "forwarded-ipv6.json",
        &[
            "CLIENT_IP_HEADER=forwarded",
            "TRUSTED_PROXY_COUNT=0",
            "VPC_LINK_CIDRS=10.0.12.0/24",
        ],
    );
    assert!(table.contains(r#" for="[2001:db8::2]:4711" "#), "{table}");
    assert!(!table.contains(r#"\""#), "{table}");
    // A control character a request carries is escaped, never printed raw.
    let out = alb_explain(&["--header", "6.6.6.6\u{85}, 203.0.113.7"]);
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.contains(r"6.6.6.6\u{85}"), "{table}");
    assert!(!table.contains('\u{85}'), "{table}");
}

#[test]
fn the_suggestion_promises_the_answer_of_the_setting_it_names() {
    for (name, settings, want) in [
        // The documented count 1, never the default that answers AWS's own edge.
        (
            "api-gateway-rest-edge-optimized.json",
            &[][..],
            "TRUSTED_PROXY_COUNT=1 answers 54.240.196.186",
        ),
        // The visitor's IPv6 address behind a Pseudo IPv4.
        (
            "cloudflare-pseudo-ipv4.json",
            &["TRUSTED_PROXY_CIDRS=cloudflare"][..],
            "TRUSTED_PROXY_CIDRS=cloudflare answers 2001:db8:85a3::8a2e:370:7334",
        ),
        // Forwarded from a public peer: a VPC numbered from public space names its link.
        (
            "forwarded-around-the-vpc-link.json",
            &[][..],
            "VPC_LINK_CIDRS=<the VPC link's subnets, which hold 198.51.100.66> answers 6.6.6.6",
        ),
    ] {
        let table = explained(name, settings);
        let suggestion = table
            .lines()
            .find(|l| l.starts_with("suggestion: "))
            .unwrap();
        assert!(suggestion.contains(want), "{name}: {suggestion}");
        assert!(!suggestion.contains("holds no"), "{name}: {suggestion}");
    }
}
