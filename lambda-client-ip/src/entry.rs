//! One entry of a chain: parsing an address as proxies write it, and the rule for which addresses
//! can be a client at all.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::networks::can_be_client;

/// At most this many characters of an offending value are kept in an error or an explanation.
const ECHO_LIMIT: usize = 64;

/// Request text made safe to quote: not UTF-8 replaced by U+FFFD, cut to 64 characters.
/// (Control characters are escaped where it is written out, by `Debug` formatting.)
pub(crate) fn shorten(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(trim(bytes));
    text.chars().take(ECHO_LIMIT).collect()
}

/// Parses one X-Forwarded-For entry into a canonical address and the port it carries, or `None`
/// when it is not one, or holds an address no client can have.
///
/// Accepted, surrounded by spaces or tabs or not: `IPv4`, `IPv4:port`, IPv6 in any case,
/// `[IPv6]`, `[IPv6]:port`, IPv6 with a zone (`fe80::1%eth0`, zone dropped). Refused: addresses
/// that cannot be a client, the one rule every answer is held to, read from the crate's census
/// of networks ("this network" `0.0.0.0/8`, `::`, multicast, `240.0.0.0/4` with broadcast, and
/// discard-only `100::/64`; loopback, link-local and documentation space can be a client),
/// hostnames, `unknown`, obfuscated tokens (`_hidden`), leading-zero or short IPv4 forms, inner
/// whitespace, ports outside 1 to 65535, zones with characters outside RFC 6874's unreserved set,
/// and bytes that are not UTF-8.
///
/// ```
/// use lambda_client_ip::parse_entry;
///
/// let ip = |s: &str| parse_entry(s.as_bytes()).map(|(ip, port)| (ip.to_string(), port));
/// assert_eq!(ip(" 2001:DB8::21f:5bff:febf:ce22:8a2e "), Some(("2001:db8:0:21f:5bff:febf:ce22:8a2e".into(), None)));
/// assert_eq!(ip("[::ffff:192.0.2.1]:443"), Some(("192.0.2.1".into(), Some(443))));
/// assert_eq!(ip("192.0.2.1:8080"), Some(("192.0.2.1".into(), Some(8080))));
/// assert_eq!(ip("010.0.0.1"), None);
/// assert_eq!(ip("unknown"), None);
/// assert_eq!(ip("254.252.239.103"), None); // class E: a Pseudo IPv4, never a TCP client
/// assert_eq!(ip("224.0.0.1"), None);
/// assert_eq!(ip("0.1.2.3"), None); // "this network", RFC 791
/// assert_eq!(ip("::1"), Some(("::1".into(), None))); // loopback: a same-host proxy's peer
/// assert_eq!(parse_entry(b"192.0.2.\xff"), None);
/// ```
pub fn parse_entry(entry: &[u8]) -> Option<(IpAddr, Option<u16>)> {
    parse_any(entry).filter(|(ip, _)| can_be_client(*ip))
}

/// [`parse_entry`] without the rule on which addresses can be a client.
pub(crate) fn parse_any(entry: &[u8]) -> Option<(IpAddr, Option<u16>)> {
    // The common entry first, as the ALB appends it after ", ": no trim needed.
    if let Some(parsed) = dotted_quad(entry.strip_prefix(b" ").unwrap_or(entry)) {
        return Some(parsed);
    }
    let entry = trim(entry);
    let s = std::str::from_utf8(entry).ok()?;
    // A bare address is the common case (what the ALB appends without the client-port option).
    let (ip, port) = if let Ok(ip) = s.parse::<IpAddr>() {
        (ip, None)
    } else if let Some(rest) = s.strip_prefix('[') {
        let (inner, after) = rest.split_once(']')?;
        let port = match after {
            "" => None,
            _ => Some(port(after.strip_prefix(':')?.as_bytes())?),
        };
        (IpAddr::V6(parse_v6(inner)?), port)
    } else {
        // One colon: IPv4 with a port. More: IPv6 with a zone, which cannot carry a port.
        let (host, p) = s.split_once(':')?;
        if p.contains(':') {
            (IpAddr::V6(parse_v6(s)?), None)
        } else {
            let v4 = host.parse::<Ipv4Addr>().ok()?;
            (IpAddr::V4(v4), Some(port(p.as_bytes())?))
        }
    };
    Some((ip.to_canonical(), port))
}

/// An IPv6 address, with a zone of RFC 6874's unreserved characters or none (the zone dropped).
fn parse_v6(s: &str) -> Option<Ipv6Addr> {
    let Some((host, zone)) = s.split_once('%') else {
        return s.parse().ok();
    };
    let unreserved = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
    let valid = !zone.is_empty() && zone.len() <= 64 && zone.bytes().all(unreserved);
    valid.then(|| host.parse().ok()).flatten()
}

/// The fast path for the common entry, `IPv4` or `IPv4:port`, read from the bytes as they are;
/// `None` for anything else, which the full parse then decides. The full parse gives every answer
/// given here.
fn dotted_quad(entry: &[u8]) -> Option<(IpAddr, Option<u16>)> {
    let (a, rest) = octet(entry)?;
    let (b, rest) = octet(rest.strip_prefix(b".")?)?;
    let (c, rest) = octet(rest.strip_prefix(b".")?)?;
    let (d, rest) = octet(rest.strip_prefix(b".")?)?;
    let port = match rest {
        [] => None,
        [b':', digits @ ..] => Some(port(digits)?),
        _ => return None,
    };
    Some((IpAddr::V4(Ipv4Addr::new(a, b, c, d)), port))
}

/// The octet `bytes` start with, one to three ASCII digits with a value up to 255 and no leading
/// zero, as std's `Ipv4Addr` reads, and the bytes after it.
fn octet(bytes: &[u8]) -> Option<(u8, &[u8])> {
    let digit = |b: &u8| u32::from(b - b'0');
    let (value, rest) = match bytes {
        [a @ b'1'..=b'9', b @ b'0'..=b'9', c @ b'0'..=b'9', rest @ ..] => {
            (digit(a) * 100 + digit(b) * 10 + digit(c), rest)
        }
        [a @ b'1'..=b'9', b @ b'0'..=b'9', rest @ ..] => (digit(a) * 10 + digit(b), rest),
        [a @ b'0'..=b'9', rest @ ..] => (digit(a), rest),
        _ => return None,
    };
    let ends = !matches!(rest, [b'0'..=b'9', ..]);
    Some((u8::try_from(value).ok().filter(|_| ends)?, rest))
}

/// One to five ASCII digits with a value from 1 to 65535.
fn port(digits: &[u8]) -> Option<u16> {
    let digit = |n: u32, b: &u8| b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0'));
    let valid = (1..=5).contains(&digits.len());
    let value = valid.then(|| digits.iter().try_fold(0, digit))??;
    u16::try_from(value).ok().filter(|&p| p != 0)
}

/// `entry` without the spaces and tabs around it.
pub(crate) fn trim(mut entry: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = entry {
        entry = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = entry {
        entry = rest;
    }
    entry
}

/// `ip:port` with the port required, as CloudFront writes `CloudFront-Viewer-Address`:
/// `198.51.100.10:46532`, `[2001:db8::1]:46532`, or `2001:db8::1:46532` (IPv6 unbracketed, split
/// at the last colon).
pub(crate) fn parse_viewer_address(value: &[u8]) -> Option<(IpAddr, Option<u16>)> {
    let with_port = parse_any(value).filter(|(_, port)| port.is_some());
    with_port.or_else(|| {
        let (host, digits) = std::str::from_utf8(trim(value)).ok()?.rsplit_once(':')?;
        let ip = IpAddr::V6(host.parse().ok()?).to_canonical();
        Some((ip, Some(port(digits.as_bytes())?)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::collection::vec;
    use proptest::prelude::*;
    use proptest::sample::select;

    /// The parse as it was before the dotted-quad fast path: the oracle the fast path must match.
    mod oracle {
        use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

        pub(super) fn parse_any(entry: &[u8]) -> Option<(IpAddr, Option<u16>)> {
            let s = std::str::from_utf8(trim(entry)).ok()?;
            let (ip, port) = if let Ok(ip) = s.parse::<IpAddr>() {
                (ip, None)
            } else if let Some(rest) = s.strip_prefix('[') {
                let (inner, after) = rest.split_once(']')?;
                let port = match after {
                    "" => None,
                    _ => Some(port(after.strip_prefix(':')?)?),
                };
                (IpAddr::V6(parse_v6(inner)?), port)
            } else {
                let (host, p) = s.split_once(':')?;
                if p.contains(':') {
                    (IpAddr::V6(parse_v6(s)?), None)
                } else {
                    (IpAddr::V4(host.parse::<Ipv4Addr>().ok()?), Some(port(p)?))
                }
            };
            Some((ip.to_canonical(), port))
        }

        fn parse_v6(s: &str) -> Option<Ipv6Addr> {
            let host = match s.split_once('%') {
                Some((host, zone)) => {
                    let unreserved =
                        |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
                    if zone.is_empty() || zone.len() > 64 || !zone.bytes().all(unreserved) {
                        return None;
                    }
                    host
                }
                None => s,
            };
            host.parse().ok()
        }

        pub(super) fn port(digits: &str) -> Option<u16> {
            let valid =
                (1..=5).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
            valid
                .then(|| digits.parse().ok())
                .flatten()
                .filter(|&p| p != 0)
        }

        pub(super) fn trim(entry: &[u8]) -> &[u8] {
            let blank = |b: &u8| matches!(b, b' ' | b'\t');
            let start = entry.iter().position(|b| !blank(b)).unwrap_or(entry.len());
            let end = entry
                .iter()
                .rposition(|b| !blank(b))
                .map_or(start, |i| i + 1);
            entry.get(start..end).unwrap_or_default()
        }
    }

    /// Text close to `a.b.c.d[:port]`: two to five dots between groups of zero to four digits
    /// (a leading zero now and then), an optional port of zero to six digits, blanks around.
    fn near_ipv4() -> impl Strategy<Value = String> {
        let group = prop_oneof![
            4 => "[0-9]{0,4}",
            1 => "0[0-9]{0,3}",
            2 => (0u16..=300).prop_map(|n| n.to_string()),
        ];
        let port = prop::option::of(prop_oneof![
            "[0-9]{0,6}",
            (0u32..=70000).prop_map(|n| n.to_string())
        ]);
        ("[ \t]{0,2}", vec(group, 3..=6), port, "[ \t]{0,2}").prop_map(
            |(before, groups, port, after)| {
                let port = port.map(|p| format!(":{p}")).unwrap_or_default();
                format!("{before}{}{port}{after}", groups.join("."))
            },
        )
    }

    proptest! {
        #[test]
        fn parse_any_matches_the_oracle_on_any_bytes(bytes in vec(any::<u8>(), 0..48)) {
            prop_assert_eq!(parse_any(&bytes), oracle::parse_any(&bytes));
        }

        #[test]
        fn parse_any_matches_the_oracle_near_ipv4(text in near_ipv4()) {
            let bytes = text.as_bytes();
            prop_assert_eq!(parse_any(bytes), oracle::parse_any(bytes), "{:?}", text);
        }

        #[test]
        fn trim_and_port_match_the_oracle(bytes in vec(select(b" \t0159:.a\xff".to_vec()), 0..12)) {
            prop_assert_eq!(trim(&bytes), oracle::trim(&bytes));
            if let Ok(digits) = std::str::from_utf8(&bytes) {
                prop_assert_eq!(port(digits.as_bytes()), oracle::port(digits));
            }
        }
    }

    #[test]
    fn dotted_quad_edges_answer_as_before() {
        type Case<'a> = (&'a str, Option<(&'a str, Option<u16>)>);
        let cases: &[Case] = &[
            ("0.0.0.0", Some(("0.0.0.0", None))),
            ("255.255.255.255", Some(("255.255.255.255", None))),
            ("256.0.0.1", None),
            ("1.2.3", None),
            ("1.2.3.4.5", None),
            ("01.2.3.4", None),
            ("1.2.3.04", None),
            ("1.2.3.4:0", None),
            ("1.2.3.4:65535", Some(("1.2.3.4", Some(65535)))),
            ("1.2.3.4:65536", None),
            ("1.2.3.4:", None),
            (" 1.2.3.4 ", Some(("1.2.3.4", None))),
            ("\t1.2.3.4:80\t", Some(("1.2.3.4", Some(80)))),
            ("1.2.3.4:080", Some(("1.2.3.4", Some(80)))),
            ("1.2.3.4:00080", Some(("1.2.3.4", Some(80)))),
            ("1.2.3.4:000080", None),
            ("1.2.3.4: 80", None),
            ("1.2.3.4:+80", None),
            ("1.2.3.4:80:80", None),
            ("1..3.4", None),
            ("1.2.3.4.", None),
            ("1.2.3.1000", None),
        ];
        for (input, want) in cases {
            let got = parse_any(input.as_bytes());
            assert_eq!(got, oracle::parse_any(input.as_bytes()), "{input:?}");
            let want = want.map(|(ip, port)| (ip.parse::<IpAddr>().unwrap(), port));
            assert_eq!(got, want, "{input:?}");
        }
    }

    #[test]
    fn entry_table() {
        type Case<'a> = (&'a str, &'a [u8], Option<(&'a str, Option<u16>)>);
        let cases: &[Case] = &[
            ("IPv4", b"192.0.2.1", Some(("192.0.2.1", None))),
            (
                "IPv4 with spaces",
                b" \t192.0.2.1 ",
                Some(("192.0.2.1", None)),
            ),
            (
                "IPv4 with port",
                b"192.0.2.1:443",
                Some(("192.0.2.1", Some(443))),
            ),
            (
                "IPv6 upper-case",
                b"2001:DB8::1",
                Some(("2001:db8::1", None)),
            ),
            (
                "IPv6 bracketed",
                b"[2001:db8::1]",
                Some(("2001:db8::1", None)),
            ),
            (
                "IPv6 with port",
                b"[2001:db8::1]:80",
                Some(("2001:db8::1", Some(80))),
            ),
            ("IPv6 with zone", b"fe80::1%eth0", Some(("fe80::1", None))),
            (
                "IPv4-mapped",
                b"::ffff:192.0.2.1",
                Some(("192.0.2.1", None)),
            ),
            ("Fail: unspecified IPv4", b"0.0.0.0", None),
            ("Fail: unspecified IPv6", b"[::]:80", None),
            ("Fail: class E", b"240.0.0.1", None),
            ("Fail: Pseudo IPv4", b"254.252.239.103", None),
            ("Fail: broadcast", b"255.255.255.255", None),
            ("Fail: IPv4 multicast", b"239.1.2.3", None),
            ("Fail: IPv6 multicast", b"ff02::1", None),
            ("Fail: mapped multicast", b"::ffff:224.0.0.1", None),
            ("Fail: port zero", b"192.0.2.1:0", None),
            ("Fail: port too large", b"192.0.2.1:65536", None),
            ("Fail: six-digit port", b"192.0.2.1:000080", None),
            ("Fail: empty port", b"192.0.2.1:", None),
            (
                "Fail: bare IPv6 with port",
                b"2001:db8::1:80:80:80:80:80",
                None,
            ),
            ("Fail: inner space", b"192.0.2. 1", None),
            ("Fail: newline", b"192.0.2.1\n", None),
            ("Fail: zone with slash", b"fe80::1%../../x", None),
            ("Fail: CIDR", b"192.0.2.0/24", None),
            ("Fail: two ports", b"192.0.2.1:80:80", None),
            ("Fail: not UTF-8", b"192.0.2.1\xff", None),
            ("Fail: quoted", b"\"192.0.2.1\"", None),
            ("Fail: leading zero", b"010.0.0.1", None),
            ("Fail: unknown", b"unknown", None),
        ];
        for (case, input, want) in cases {
            let got = parse_entry(input).map(|(ip, port)| (ip.to_string(), port));
            let want = want.map(|(ip, port)| (ip.to_string(), port));
            assert_eq!(got, want, "{case}");
        }
    }

    #[test]
    fn viewer_address_table() {
        let cases: &[(&str, Option<(&str, u16)>)] = &[
            ("198.51.100.10:46532", Some(("198.51.100.10", 46532))),
            ("2001:db8::1:46532", Some(("2001:db8::1", 46532))),
            ("[2001:db8::1]:46532", Some(("2001:db8::1", 46532))),
            ("198.51.100.10", None),
            ("[2001:db8::1]", None),
            ("2001:db8::1%eth0:4", None),
            ("198.51.100.10:0", None),
        ];
        for (input, want) in cases {
            let got = parse_viewer_address(input.as_bytes())
                .map(|(ip, port)| (ip.to_string(), port.unwrap_or(0)));
            let want = want.map(|(ip, port)| (ip.to_owned(), port));
            assert_eq!(got, want, "{input}");
        }
    }
}
