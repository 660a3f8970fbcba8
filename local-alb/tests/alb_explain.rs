//! `alb-explain`, the offline explain command, as a process: an event file and a raw header line
//! explained under a setting, and refusals that name what is wrong.

use std::path::PathBuf;
use std::process::{Command, Output};

fn alb_explain(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_alb-explain"))
        .args(args)
        .env_remove("TRUSTED_PROXY_COUNT")
        .env_remove("TRUSTED_PROXY_CIDRS")
        .env_remove("CLIENT_IP_HEADER")
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
    for cell in ["130.176.0.12", "the front door", "cloudfront"] {
        assert!(row.contains(cell), "{row}");
    }
    assert!(
        table.contains("answer: {\"client_ip\":\"130.176.0.12\"}"),
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
    assert!(row.contains("invalid: unknown"), "{row}");
    assert!(row.contains("a trusted proxy"), "{row}");
    assert!(table.contains("\"error\":\"invalid_entry\""), "{table}");
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
