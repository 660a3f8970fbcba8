//! Hostile chains, straight into the resolver, as a table: header values as bytes (a value that
//! is not UTF-8 is an entry that is not an address, keeping its position), the policy, the peer,
//! and the one answer. Case names state the outcome. Every error message is checked to be one
//! short sentence with no raw control character, U+2028 or U+2029.

// A test crate: a panic is the failure report.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::net::IpAddr;

use lambda_client_ip::{ProxyCount, ResolveError, TrustPolicy, resolve};

fn count(n: u8) -> TrustPolicy {
    TrustPolicy::Count(ProxyCount::new(n).unwrap())
}

fn ranges(list: &str) -> TrustPolicy {
    TrustPolicy::Ranges(list.parse().unwrap())
}

/// The answer: the address and its position, or the error's code and (for an invalid entry) its
/// position.
type Answer = Result<(String, usize), (&'static str, Option<usize>)>;

fn ok(ip: &str, position: usize) -> Answer {
    Ok((ip.to_owned(), position))
}

fn invalid_at(position: usize) -> Answer {
    Err(("invalid_entry", Some(position)))
}

fn fail(code: &'static str) -> Answer {
    Err((code, None))
}

/// A case: its name (the outcome, as a statement), the header values, the peer, the policy, the
/// answer.
type Case<'a> = (
    &'a str,
    &'a [&'a [u8]],
    Option<&'a str>,
    TrustPolicy,
    Answer,
);

fn run(cases: &[Case]) {
    let mut wrong = Vec::new();
    for (name, values, peer, policy, want) in cases {
        let peer = peer.map(|p| p.parse::<IpAddr>().unwrap());
        let got = match resolve(*values, peer, policy) {
            Ok(client) => Ok((client.ip().to_string(), client.position())),
            Err(e) => {
                let message = e.to_string();
                let raw = message
                    .chars()
                    .any(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}'));
                if raw || message.chars().count() > 200 || !message.ends_with('.') {
                    wrong.push(format!("{name}: the message is not safe: {message:?}"));
                }
                let position = match e {
                    ResolveError::InvalidEntry { position, .. } => Some(position),
                    _ => None,
                };
                Err((e.code(), position))
            }
        };
        if &got != want {
            wrong.push(format!("{name}: got {got:?}, want {want:?}"));
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

#[test]
fn values_that_are_not_utf8_keep_their_position() {
    run(&[
        (
            "bytes that are not UTF-8 left of the client are never read",
            &[b"\xff\xfe, 192.0.2.1, 198.51.100.2"],
            None,
            count(1),
            ok("192.0.2.1", 1),
        ),
        (
            "Fail: a byte that is not UTF-8 in the client's entry",
            &[b"192.0.2.1\xff, 198.51.100.2"],
            None,
            count(1),
            invalid_at(1),
        ),
        (
            "Fail: bytes that are not UTF-8 right of the client",
            &[b"192.0.2.1, \xc0\xae"],
            None,
            count(1),
            invalid_at(0),
        ),
        (
            "a whole value that is not UTF-8 left of the client is never read",
            &[b"192.0.2.1", b"\x80", b"198.51.100.2"],
            None,
            count(0),
            ok("198.51.100.2", 0),
        ),
        (
            "Fail: a whole value that is not UTF-8 is one entry, at its own position",
            &[b"192.0.2.1", b"\x80", b"198.51.100.2"],
            None,
            count(1),
            invalid_at(1),
        ),
        (
            "Fail: range mode: a whole value that is not UTF-8 is one entry on the walk",
            &[b"192.0.2.1", b"\x80\x81", b"198.51.100.2"],
            None,
            ranges("198.51.100.0/24"),
            invalid_at(1),
        ),
        (
            "Fail: an overlong ',' (C0 AC) does not split an entry",
            &[b"6.6.6.6\xc0\xac192.0.2.1, 198.51.100.2"],
            None,
            count(1),
            invalid_at(1),
        ),
        (
            "Fail: a Latin-1 no-break space (A0) is not trimmed",
            &[b"\xa0192.0.2.1"],
            None,
            count(0),
            invalid_at(0),
        ),
        (
            "Fail: a UTF-8 byte order mark before the address",
            &[b"\xef\xbb\xbf192.0.2.1"],
            None,
            count(0),
            invalid_at(0),
        ),
        (
            "Fail: an address in UTF-16",
            &[b"1\x009\x002\x00.\x000\x00.\x002\x00.\x001\x00"],
            None,
            count(0),
            invalid_at(0),
        ),
        (
            "Fail: a surrogate encoded in UTF-8 (CESU-8)",
            &[b"\xed\xa0\x80192.0.2.1"],
            None,
            count(0),
            invalid_at(0),
        ),
        (
            "range mode: bytes that are not UTF-8 left of the client are never read",
            &[b"\xff, 192.0.2.1, 10.0.0.1"],
            None,
            ranges("10.0.0.0/8"),
            ok("192.0.2.1", 1),
        ),
        (
            "Fail: range mode: bytes that are not UTF-8 among the trusted entries",
            &[b"192.0.2.1, \xff, 10.0.0.1"],
            None,
            ranges("10.0.0.0/8"),
            invalid_at(1),
        ),
        (
            "an untrusted peer is the client, whatever the chain holds",
            &[b"\xff\xff"],
            Some("198.51.100.1"),
            ranges("10.0.0.0/8"),
            ok("198.51.100.1", 0),
        ),
        (
            "Fail: behind a trusted peer, a value that is not UTF-8 is position 1",
            &[b"\xff\xff"],
            Some("10.0.0.1"),
            ranges("10.0.0.0/8"),
            invalid_at(1),
        ),
        (
            "Fail: no value and no peer is no address",
            &[],
            None,
            count(0),
            fail("no_client_address"),
        ),
        (
            "Fail: an empty value is one empty entry",
            &[b""],
            None,
            count(0),
            invalid_at(0),
        ),
        (
            "Fail: bytes that are not UTF-8 never fill a chain that is too short",
            &[b"\xff,192.0.2.1"],
            None,
            count(2),
            invalid_at(1),
        ),
        (
            "Fail: a chain of addresses too short for the count",
            &[b"192.0.2.1", b"198.51.100.2"],
            None,
            count(2),
            fail("chain_too_short"),
        ),
        (
            "Fail: control characters encoded in UTF-8 are entries, escaped in the message",
            &[b"\x1b[31m\xc2\x85\xe2\x80\xa8\xe2\x80\xa9\x7f"],
            None,
            count(0),
            invalid_at(0),
        ),
    ]);
}

#[test]
fn the_entry_quoted_is_the_value_read_lossily_and_cut_short() {
    let chain: [&[u8]; 1] = [b" 192.0.2.1\xff , 198.51.100.2"];
    let err = resolve(chain, None, &count(1)).unwrap_err();
    assert_eq!(
        err,
        ResolveError::InvalidEntry {
            position: 1,
            entry: "192.0.2.1\u{fffd}".into()
        }
    );
    let long = [b'\xff'; 1000];
    let err = resolve([long.as_slice()], None, &count(0)).unwrap_err();
    assert_eq!(
        err,
        ResolveError::InvalidEntry {
            position: 0,
            entry: "\u{fffd}".repeat(64)
        }
    );
}

#[test]
fn count_mode_never_reads_left_of_the_client() {
    // If any of the 300,000 entries on the left were parsed, this would be invalid_entry.
    let left = b"not-an-address,\xff,".repeat(150_000);
    let chain = [left.as_slice(), b"203.0.113.9, 198.51.100.2"];
    let got = resolve(chain, None, &count(1)).unwrap();
    assert_eq!(
        (got.ip().to_string(), got.position()),
        ("203.0.113.9".into(), 1)
    );
}
