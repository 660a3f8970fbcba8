//! Hostile chains, straight into the resolver, as tables: header values as bytes (a value that
//! is not UTF-8 is an entry that is not an address, keeping its position), the source, the peer,
//! and the one answer. Case names state the outcome; "Fail: ..." is a refusal. Every error
//! message is checked to be one short sentence with no raw control character, U+2028 or U+2029.
//!
//! A header value cannot hold ASCII control characters other than tab (`http` refuses them), so
//! those never reach the resolver: their table checks that `http` refuses the value and that
//! `parse_entry` refuses the entry.

// A test crate: a panic is the failure report.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::net::IpAddr;

use http::{HeaderMap, HeaderValue};
use lambda_client_ip::{
    Peer, ProxyCount, ResolveError, Source, TrustedRanges, VpcLink, parse_entry,
};

fn count(n: u8) -> Source {
    Source::x_forwarded_for(ProxyCount::new(n).unwrap())
}

fn ranges(list: &str) -> Source {
    Source::x_forwarded_for(list.parse::<TrustedRanges>().unwrap())
}

fn forwarded(n: u8) -> Source {
    Source::forwarded(ProxyCount::new(n).unwrap(), VpcLink::AnyPrivateAddress).unwrap()
}

/// The answer: the address, its port and its position, or the error's code and (for an invalid
/// entry) its position.
type Answer = Result<(String, Option<u16>, usize), (&'static str, Option<usize>)>;

fn ok(ip: &str, position: usize) -> Answer {
    Ok((ip.to_owned(), None, position))
}

fn ok_port(ip: &str, port: u16, position: usize) -> Answer {
    Ok((ip.to_owned(), Some(port), position))
}

fn invalid_at(position: usize) -> Answer {
    Err(("invalid_entry", Some(position)))
}

fn fail(code: &'static str) -> Answer {
    Err((code, None))
}

/// A case: its name (the outcome, as a statement), the header values, the socket's peer (none:
/// the front door appended it), the source, the answer.
type Case<'a> = (&'a str, Vec<Vec<u8>>, Option<&'a str>, Source, Answer);

/// Values from text.
fn text(values: &[&str]) -> Vec<Vec<u8>> {
    values.iter().map(|v| v.as_bytes().to_vec()).collect()
}

/// Values from bytes.
fn bytes(values: &[&[u8]]) -> Vec<Vec<u8>> {
    values.iter().map(|v| v.to_vec()).collect()
}

/// Whether a message is one short sentence that quotes nothing raw.
fn safe(message: &str) -> bool {
    let raw = message
        .chars()
        .any(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}'));
    !raw && message.chars().count() <= 200 && message.ends_with('.')
}

/// The chain's header: `forwarded` for a Forwarded source (delivered by a VPC link, whose address
/// the ALB appended to X-Forwarded-For), else X-Forwarded-For.
fn headers(source: &Source, values: &[Vec<u8>]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let name = if source.to_string().starts_with("Forwarded") {
        headers.insert("x-forwarded-for", HeaderValue::from_static("10.0.1.17"));
        "forwarded"
    } else {
        "x-forwarded-for"
    };
    for value in values {
        let value = HeaderValue::from_bytes(value).unwrap_or_else(|_| {
            panic!(
                "{:?} cannot be a header value",
                value.escape_ascii().to_string()
            )
        });
        headers.append(name, value);
    }
    headers
}

fn answer(source: &Source, values: &[Vec<u8>], peer: Option<&str>) -> (Answer, Option<String>) {
    let peer = peer.map_or(Peer::Appended, |p| {
        Peer::Socket(p.parse::<IpAddr>().unwrap())
    });
    match source.resolve(&headers(source, values), peer) {
        Ok(client) => (
            Ok((client.ip().to_string(), client.port(), client.position())),
            None,
        ),
        Err(e) => {
            let position = match e {
                ResolveError::InvalidEntry { position, .. } => Some(position),
                _ => None,
            };
            (Err((e.code(), position)), Some(e.to_string()))
        }
    }
}

fn run(cases: &[Case]) {
    let mut wrong = Vec::new();
    for (name, values, peer, source, want) in cases {
        let (got, message) = answer(source, values, *peer);
        if let Some(message) = message.filter(|m| !safe(m)) {
            wrong.push(format!("{name}: the message is not safe: {message:?}"));
        }
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
            bytes(&[b"\xff\xfe, 192.0.2.1, 198.51.100.2"]),
            None,
            count(1),
            ok("192.0.2.1", 1),
        ),
        (
            "Fail: a byte that is not UTF-8 in the client's entry",
            bytes(&[b"192.0.2.1\xff, 198.51.100.2"]),
            None,
            count(1),
            invalid_at(1),
        ),
        (
            "Fail: bytes that are not UTF-8 right of the client",
            bytes(&[b"192.0.2.1, \xc0\xae"]),
            None,
            count(1),
            invalid_at(0),
        ),
        (
            "a whole value that is not UTF-8 left of the client is never read",
            bytes(&[b"192.0.2.1", b"\x80", b"198.51.100.2"]),
            None,
            count(0),
            ok("198.51.100.2", 0),
        ),
        (
            "Fail: a whole value that is not UTF-8 is one entry, at its own position",
            bytes(&[b"192.0.2.1", b"\x80", b"198.51.100.2"]),
            None,
            count(1),
            invalid_at(1),
        ),
        (
            "Fail: range mode: a whole value that is not UTF-8 is one entry on the walk",
            bytes(&[b"192.0.2.1", b"\x80\x81", b"198.51.100.2"]),
            None,
            ranges("198.51.100.0/24"),
            invalid_at(1),
        ),
        (
            "Fail: an overlong ',' (C0 AC) does not split an entry",
            bytes(&[b"6.6.6.6\xc0\xac192.0.2.1, 198.51.100.2"]),
            None,
            count(1),
            invalid_at(1),
        ),
        (
            "Fail: a Latin-1 no-break space (A0) is not trimmed",
            bytes(&[b"\xa0192.0.2.1"]),
            None,
            count(0),
            invalid_at(0),
        ),
        (
            "Fail: a UTF-8 byte order mark before the address",
            bytes(&[b"\xef\xbb\xbf192.0.2.1"]),
            None,
            count(0),
            invalid_at(0),
        ),
        (
            "Fail: a surrogate encoded in UTF-8 (CESU-8)",
            bytes(&[b"\xed\xa0\x80192.0.2.1"]),
            None,
            count(0),
            invalid_at(0),
        ),
        (
            "range mode: bytes that are not UTF-8 left of the client are never read",
            bytes(&[b"\xff, 192.0.2.1, 10.0.0.1"]),
            None,
            ranges("10.0.0.0/8"),
            ok("192.0.2.1", 1),
        ),
        (
            "Fail: range mode: bytes that are not UTF-8 among the trusted entries",
            bytes(&[b"192.0.2.1, \xff, 10.0.0.1"]),
            None,
            ranges("10.0.0.0/8"),
            invalid_at(1),
        ),
        (
            "an untrusted socket peer is the client, whatever the chain holds",
            bytes(&[b"\xff\xff"]),
            Some("198.51.100.1"),
            ranges("10.0.0.0/8"),
            ok("198.51.100.1", 0),
        ),
        (
            "Fail: behind a trusted socket peer, a value that is not UTF-8 is position 1",
            bytes(&[b"\xff\xff"]),
            Some("10.0.0.1"),
            ranges("10.0.0.0/8"),
            invalid_at(1),
        ),
        (
            "Fail: no value and no peer is no address",
            vec![],
            None,
            count(0),
            fail("no_client_address"),
        ),
        (
            "Fail: an empty value is one empty entry",
            text(&[""]),
            None,
            count(0),
            invalid_at(0),
        ),
        (
            "Fail: bytes that are not UTF-8 never fill a chain that is too short",
            bytes(&[b"\xff,192.0.2.1"]),
            None,
            count(2),
            invalid_at(1),
        ),
        (
            "Fail: a chain of addresses too short for the count",
            text(&["192.0.2.1", "198.51.100.2"]),
            None,
            count(2),
            fail("chain_too_short"),
        ),
        (
            "Fail: C1 controls and line separators encoded in UTF-8 are entries, escaped in the message",
            bytes(&[b"[31m\xc2\x85\xc2\x9b\xe2\x80\xa8\xe2\x80\xa9"]),
            None,
            count(0),
            invalid_at(0),
        ),
    ]);
}

#[test]
fn forged_and_injected_entries() {
    run(&[
        (
            "a forged leftmost entry never becomes the client",
            text(&["6.6.6.6, 203.0.113.9"]),
            None,
            count(0),
            ok("203.0.113.9", 0),
        ),
        (
            "a forged leftmost entry is skipped behind one trusted proxy",
            text(&["6.6.6.6, 198.51.100.1, 203.0.113.9"]),
            None,
            count(1),
            ok("198.51.100.1", 1),
        ),
        (
            "a forged leftmost loopback address is never the client",
            text(&["127.0.0.1, 203.0.113.9"]),
            None,
            count(0),
            ok("203.0.113.9", 0),
        ),
        (
            "forged trusted-looking entries left of the client are ignored in range mode",
            text(&["10.0.0.9, 10.0.0.8, 198.51.100.7, 10.0.0.1"]),
            None,
            ranges("10.0.0.0/8"),
            ok("198.51.100.7", 1),
        ),
        (
            "a trusted-looking entry injected before the front door's own entry does not hide the peer",
            text(&["10.0.0.1, 203.0.113.5"]),
            None,
            ranges("10.0.0.0/8"),
            ok("203.0.113.5", 0),
        ),
        (
            "an injected IPv4-mapped trusted address is still left of the peer",
            text(&["::ffff:10.0.0.1, 203.0.113.5"]),
            None,
            ranges("10.0.0.0/8"),
            ok("203.0.113.5", 0),
        ),
        (
            "a trusted address written in IPv4-mapped form by a proxy is still trusted",
            text(&["203.0.113.5, ::ffff:10.0.0.1"]),
            None,
            ranges("10.0.0.0/8"),
            ok("203.0.113.5", 1),
        ),
        (
            "Fail: a forged entry cannot fill a chain that is too short",
            text(&["203.0.113.9"]),
            None,
            count(2),
            fail("chain_too_short"),
        ),
        (
            "Fail: a chain made only of trusted addresses names no client",
            text(&["10.1.1.1, 10.2.2.2"]),
            None,
            ranges("10.0.0.0/8"),
            fail("all_trusted"),
        ),
        (
            "Fail: a class E address the client forged where the count reads is invalid",
            text(&["240.0.0.1, 203.0.113.9"]),
            None,
            count(1),
            invalid_at(1),
        ),
        (
            "Fail: a multicast address where the count reads is invalid",
            text(&["224.0.0.1"]),
            None,
            count(0),
            invalid_at(0),
        ),
        (
            "Fail: broadcast where the count reads is invalid",
            text(&["255.255.255.255"]),
            None,
            count(0),
            invalid_at(0),
        ),
        (
            "Fail: an IPv6 multicast address where the walk reads is invalid",
            text(&["ff02::1, 10.0.0.1"]),
            None,
            ranges("10.0.0.0/8"),
            invalid_at(1),
        ),
        (
            "a class E address left of the client is never read",
            text(&["240.0.0.1, 203.0.113.9"]),
            None,
            count(0),
            ok("203.0.113.9", 0),
        ),
    ]);
}

#[test]
fn garbage_and_unicode() {
    let zero = |name, value: &str, want| (name, text(&[value]), None, count(0), want);
    run(&[
        zero("Fail: fullwidth digits", "２０３.0.113.9", invalid_at(0)),
        zero("Fail: Arabic-Indic digits", "٢٠٣.0.113.9", invalid_at(0)),
        zero(
            "Fail: a ratio sign posing as a colon in IPv6",
            "2001∶db8::1",
            invalid_at(0),
        ),
        zero(
            "Fail: a right-to-left override before the address",
            "\u{202e}203.0.113.9",
            invalid_at(0),
        ),
        zero(
            "Fail: a left-to-right mark after the address",
            "203.0.113.9\u{200e}",
            invalid_at(0),
        ),
        zero(
            "Fail: a zero-width space inside the address",
            "203.0.\u{200b}113.9",
            invalid_at(0),
        ),
        zero(
            "Fail: a no-break space padding is not trimmed",
            "\u{a0}203.0.113.9",
            invalid_at(0),
        ),
        zero(
            "emoji and accents left of the client are never read",
            "ü, 😀, 203.0.113.9",
            ok("203.0.113.9", 0),
        ),
        zero("Fail: a hostname", "evil.example", invalid_at(0)),
        zero("Fail: the literal unknown", "unknown", invalid_at(0)),
        zero("Fail: an obfuscated node", "_hidden", invalid_at(0)),
        zero(
            "Fail: JSON in the header",
            r#"{"client_ip":"1.1.1.1"}"#,
            invalid_at(0),
        ),
        zero("Fail: a quoted address", "\"203.0.113.9\"", invalid_at(0)),
        zero("Fail: the unspecified address", "0.0.0.0", invalid_at(0)),
        zero("Fail: the unspecified IPv6 address", "::", invalid_at(0)),
        zero("Fail: an empty header", "", invalid_at(0)),
        zero("Fail: only commas", ",,,", invalid_at(0)),
        zero("Fail: a short IPv4 form", "203.0.113", invalid_at(0)),
        zero("Fail: a leading zero", "203.0.113.09", invalid_at(0)),
        zero(
            "Fail: a hexadecimal IPv4 form",
            "0xcb.0.113.9",
            invalid_at(0),
        ),
        zero("Fail: an integer IPv4 form", "3405803785", invalid_at(0)),
        zero("Fail: a CIDR", "203.0.113.0/24", invalid_at(0)),
        zero("Fail: inner whitespace", "203.0.113. 9", invalid_at(0)),
        zero(
            "tabs and spaces around the address are trimmed",
            " \t203.0.113.9\t ",
            ok("203.0.113.9", 0),
        ),
        zero(
            "an upper-case IPv6 address is answered canonical",
            "2001:DB8::A",
            ok("2001:db8::a", 0),
        ),
        zero(
            "an IPv4-mapped address is answered as IPv4",
            "::FFFF:203.0.113.9",
            ok("203.0.113.9", 0),
        ),
    ]);
}

fn entries(n: usize) -> String {
    (0..n)
        .map(|i| format!("198.51.100.{}", i + 1))
        .collect::<Vec<_>>()
        .join(", ")
}

#[test]
fn thirty_and_thirty_one_entries() {
    run(&[
        (
            "30 entries with a count of 29 answer the leftmost",
            text(&[&entries(30)]),
            None,
            count(29),
            ok("198.51.100.1", 29),
        ),
        (
            "Fail: 30 entries are too short for a count of 30",
            text(&[&entries(30)]),
            None,
            count(30),
            fail("chain_too_short"),
        ),
        (
            "31 entries (30 forwarded, the most an ALB accepts, plus its own) answer a count of 30",
            text(&[&entries(31)]),
            None,
            count(30),
            ok("198.51.100.1", 30),
        ),
        (
            "31 entries with a count of 0 answer the front door's own entry",
            text(&[&entries(31)]),
            None,
            count(0),
            ok("198.51.100.31", 0),
        ),
    ]);
}

#[test]
fn long_headers_and_many_entries() {
    let sixteen_k = format!("{}, 203.0.113.9", "x".repeat(16 * 1024 - 13));
    let one_entry = "1".repeat(16 * 1024);
    let many = format!("{}203.0.113.9, 198.51.100.2", "garbage,".repeat(300_000));
    // The client leftmost, so the walk passes every trusted entry to reach it.
    let many_trusted = format!("203.0.113.9{}", ", 10.0.0.1".repeat(300_000));
    let all_trusted = vec!["10.0.0.1"; 300_000].join(",");
    run(&[
        (
            "a 16 KiB header with the client on the right is answered",
            text(&[&sixteen_k]),
            None,
            count(0),
            ok("203.0.113.9", 0),
        ),
        (
            "Fail: a 16 KiB entry is refused with a short message",
            text(&[&one_entry]),
            None,
            count(0),
            invalid_at(0),
        ),
        (
            "300,000 entries: count mode reads only the N + 1 on the right (the rest is garbage)",
            text(&[&many]),
            None,
            count(1),
            ok("203.0.113.9", 1),
        ),
        (
            "range mode walks 300,000 trusted entries to the client",
            text(&[&many_trusted]),
            None,
            ranges("10.0.0.0/8"),
            ok("203.0.113.9", 300_000),
        ),
        (
            "Fail: 300,000 trusted entries and no client",
            text(&[&all_trusted]),
            None,
            ranges("10.0.0.0/8"),
            fail("all_trusted"),
        ),
    ]);
}

#[test]
fn absurd_ports() {
    let zero = |name, value: &str, want| (name, text(&[value]), None, count(0), want);
    run(&[
        zero("Fail: port 65536", "203.0.113.9:65536", invalid_at(0)),
        zero(
            "Fail: a 20-digit port",
            "203.0.113.9:99999999999999999999",
            invalid_at(0),
        ),
        zero(
            "Fail: a six-digit port with leading zeros",
            "203.0.113.9:000080",
            invalid_at(0),
        ),
        zero("Fail: a negative port", "203.0.113.9:-1", invalid_at(0)),
        zero("Fail: a signed port", "203.0.113.9:+80", invalid_at(0)),
        zero("Fail: port 0", "203.0.113.9:0", invalid_at(0)),
        zero(
            "Fail: a hexadecimal port",
            "203.0.113.9:0x50",
            invalid_at(0),
        ),
        zero(
            "Fail: fullwidth port digits",
            "203.0.113.9:８０",
            invalid_at(0),
        ),
        zero("Fail: an empty port", "203.0.113.9:", invalid_at(0)),
        zero(
            "Fail: a space before the port",
            "203.0.113.9 :80",
            invalid_at(0),
        ),
        zero("Fail: two ports", "[2001:db8::1]:80:80", invalid_at(0)),
        zero("Fail: two IPv4 ports", "203.0.113.9:80:80", invalid_at(0)),
        zero(
            "port 65535 is accepted and kept",
            "203.0.113.9:65535",
            ok_port("203.0.113.9", 65535, 0),
        ),
        zero(
            "a five-digit port with a leading zero is accepted",
            "203.0.113.9:08080",
            ok_port("203.0.113.9", 8080, 0),
        ),
        zero(
            "a bracketed IPv6 port is kept",
            "[2001:db8::1]:443",
            ok_port("2001:db8::1", 443, 0),
        ),
        zero(
            "a bare IPv6 address ending in what looks like a port is read as IPv6",
            "2001:db8::1:80",
            ok("2001:db8::1:80", 0),
        ),
        zero(
            "Fail: a bare full IPv6 address with a port",
            "2001:db8:0:0:0:0:0:1:80",
            invalid_at(0),
        ),
    ]);
}

#[test]
fn brackets_without_ends() {
    let bad = [
        "[2001:db8::1",
        "2001:db8::1]",
        "[[2001:db8::1]]",
        "[]",
        "[]:80",
        "[:80",
        "]",
        "[",
        "[2001:db8::1]]:80",
        "[2001:db8::1]:",
        "[2001:db8::1] :80",
        "[203.0.113.9]",
        "[203.0.113.9]:80",
        "[2001:db8::1]x",
    ];
    let names: Vec<String> = bad.iter().map(|b| format!("Fail: {b:?}")).collect();
    let cases: Vec<Case> = bad
        .iter()
        .zip(&names)
        .map(|(b, name)| (name.as_str(), text(&[b]), None, count(0), invalid_at(0)))
        .collect();
    run(&cases);
}

#[test]
fn zone_ids_that_try_to_smuggle_text() {
    let zero = |name, value: &str, want| (name, text(&[value]), None, count(0), want);
    let long = format!("fe80::1%{}", "z".repeat(64));
    let too_long = format!("fe80::1%{}", "z".repeat(65));
    run(&[
        zero(
            "a plain zone is accepted and dropped",
            "fe80::1%eth0",
            ok("fe80::1", 0),
        ),
        zero(
            "a zone of 64 characters is accepted and dropped",
            &long,
            ok("fe80::1", 0),
        ),
        zero("Fail: a zone of 65 characters", &too_long, invalid_at(0)),
        zero(
            "a zone inside brackets with a port",
            "[fe80::1%eth0]:80",
            ok_port("fe80::1", 80, 0),
        ),
        zero(
            "Fail: a comma in a zone starts a new entry, which is read first",
            "fe80::1%eth0,evil",
            invalid_at(0),
        ),
        (
            "a comma in a zone leaves the zone's address one position further left",
            text(&["fe80::1%eth0,203.0.113.9"]),
            None,
            count(1),
            ok("fe80::1", 1),
        ),
        zero(
            "Fail: a zone carrying JSON",
            r#"fe80::1%"},"client_ip":"1.1.1.1"#,
            invalid_at(0),
        ),
        zero(
            "Fail: a zone carrying a path",
            "fe80::1%../../etc/passwd",
            invalid_at(0),
        ),
        zero(
            "Fail: a zone carrying a percent-encoded byte",
            "fe80::1%25eth0%00",
            invalid_at(0),
        ),
        zero(
            "Fail: a zone carrying a space",
            "fe80::1%a b",
            invalid_at(0),
        ),
        zero(
            "Fail: a zone carrying a C1 control",
            "fe80::1%eth\u{85}0",
            invalid_at(0),
        ),
        zero(
            "Fail: a zone carrying a line separator",
            "fe80::1%eth\u{2028}0",
            invalid_at(0),
        ),
        zero("Fail: a zone on IPv4", "203.0.113.9%eth0", invalid_at(0)),
        zero("Fail: an empty zone", "fe80::1%", invalid_at(0)),
        zero(
            "Fail: an empty zone inside brackets",
            "[fe80::1%]:80",
            invalid_at(0),
        ),
        zero(
            "Fail: a zone on a bare address with a port",
            "fe80::1%eth0:80",
            invalid_at(0),
        ),
    ]);
}

/// C1 controls, U+2028 and U+2029 in every place an entry can hold them: `run` fails the case if
/// one appears raw in the message.
#[test]
fn c1_controls_and_line_separators_never_appear_raw_in_messages() {
    let evil = [
        "\u{85}",
        "\u{9b}",
        "\u{2028}",
        "\u{2029}",
        "\u{85}\u{9b}\u{2028}\u{2029}",
    ];
    let mut names = Vec::new();
    let mut values = Vec::new();
    for c in evil {
        let shown = c.escape_unicode().to_string();
        for (what, value) in [
            ("after the address", format!("203.0.113.9{c}")),
            ("before the address", format!("{c}203.0.113.9")),
            ("as the whole entry", c.to_owned()),
            ("in a zone", format!("fe80::1%eth{c}0")),
            ("in a port", format!("203.0.113.9:8{c}0")),
        ] {
            names.push(format!("Fail: {shown} {what}"));
            values.push(value);
        }
    }
    let cases: Vec<Case> = names
        .iter()
        .zip(&values)
        .map(|(name, value)| (name.as_str(), text(&[value]), None, count(0), invalid_at(0)))
        .collect();
    run(&cases);
    // In a Forwarded element too.
    run(&[(
        "Fail: C1 controls in a Forwarded element are escaped",
        text(&["for=\"203.0.113.9\u{9b}\u{2028}\""]),
        None,
        forwarded(0),
        invalid_at(0),
    )]);
}

#[test]
fn forwarded_elements_that_try_to_hide_text() {
    let zero = |name, value: &str, want| (name, text(&[value]), None, forwarded(0), want);
    run(&[
        zero(
            "an IPv6 element with a port",
            r#"for="[2001:db8::1]:443""#,
            ok_port("2001:db8::1", 443, 0),
        ),
        zero(
            "Fail: a zone in a bracketed IPv6 element",
            r#"for="[fe80::1%25eth0]""#,
            invalid_at(0),
        ),
        zero(
            "Fail: a zone in a bare IPv6 element",
            "for=fe80::1%eth0",
            invalid_at(0),
        ),
        zero(
            "Fail: an unterminated bracket",
            r#"for="[2001:db8::1""#,
            invalid_at(0),
        ),
        zero(
            "Fail: fullwidth digits",
            "for=２０３.0.113.9",
            invalid_at(0),
        ),
        zero("Fail: a class E element", "for=240.0.0.1", invalid_at(0)),
        zero(
            "Fail: a multicast element",
            r#"for="[ff02::1]""#,
            invalid_at(0),
        ),
        zero(
            "Fail: a second for hidden in quotes is still two",
            r#"for=192.0.2.1;for="192.0.2.2""#,
            invalid_at(0),
        ),
        zero(
            "a comma hidden in quotes does not split the element",
            r#"for=192.0.2.1;x="a, for=6.6.6.6""#,
            ok("192.0.2.1", 0),
        ),
        (
            "an unterminated quote in the client's part never swallows the proxies' elements",
            text(&[r#"for="6.6.6.6, for=192.0.2.1"#, "for=10.0.0.1"]),
            None,
            forwarded(1),
            ok("192.0.2.1", 1),
        ),
    ]);
}

#[test]
fn the_entry_quoted_is_the_value_read_lossily_and_cut_short() {
    let chain = bytes(&[b" 192.0.2.1\xff , 198.51.100.2"]);
    let err = count(1)
        .resolve(&headers(&count(1), &chain), Peer::Appended)
        .unwrap_err();
    assert_eq!(
        err,
        ResolveError::InvalidEntry {
            header: http::HeaderName::from_static("x-forwarded-for"),
            position: 1,
            entry: "192.0.2.1\u{fffd}".into()
        }
    );
    let long = bytes(&[&[b'\xff'; 1000]]);
    let err = count(0)
        .resolve(&headers(&count(0), &long), Peer::Appended)
        .unwrap_err();
    assert_eq!(
        err,
        ResolveError::InvalidEntry {
            header: http::HeaderName::from_static("x-forwarded-for"),
            position: 0,
            entry: "\u{fffd}".repeat(64)
        }
    );
    assert!(safe(&err.to_string()), "{err}");
}

#[test]
fn count_mode_never_reads_left_of_the_client() {
    // If any of the 300,000 entries on the left were parsed, this would be invalid_entry.
    let left = b"not-an-address,\xff,".repeat(150_000);
    let chain = vec![left, b"203.0.113.9, 198.51.100.2".to_vec()];
    let got = count(1)
        .resolve(&headers(&count(1), &chain), Peer::Appended)
        .unwrap();
    assert_eq!(
        (got.ip().to_string(), got.position()),
        ("203.0.113.9".into(), 1)
    );
}

/// Control characters a header value cannot hold never reach the resolver: `http` refuses the
/// value, and `parse_entry` refuses the entry on its own.
#[test]
fn ascii_controls_are_refused_before_and_by_the_parser() {
    let cases: &[(&str, &[u8])] = &[
        ("Fail: a NUL after the address", b"203.0.113.9\x00"),
        ("Fail: CR LF after the address", b"203.0.113.9\r\n"),
        (
            "Fail: CR LF smuggling a second header",
            b"203.0.113.9\r\nX-Forwarded-For: 6.6.6.6",
        ),
        ("Fail: a bare LF after the address", b"203.0.113.9\n"),
        ("Fail: a bare CR before the address", b"\r203.0.113.9"),
        ("Fail: vertical tab padding", b"\x0b203.0.113.9"),
        ("Fail: form feed padding", b"\x0c203.0.113.9"),
        (
            "Fail: an escape sequence in the entry",
            b"\x1b[31m203.0.113.9",
        ),
        ("Fail: DEL after the address", b"203.0.113.9\x7f"),
        ("Fail: a newline in a zone", b"fe80::1%eth0\nX-Injected: 1"),
        (
            "Fail: an address in UTF-16",
            b"1\x009\x002\x00.\x000\x00.\x002\x00.\x001\x00",
        ),
    ];
    for (name, entry) in cases {
        assert!(
            HeaderValue::from_bytes(entry).is_err(),
            "{name}: http accepted it"
        );
        assert_eq!(parse_entry(entry), None, "{name}");
    }
}
