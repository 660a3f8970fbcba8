//! RFC 7239 `Forwarded`, split and parsed from the right: for API Gateway HTTP APIs in front of
//! an internal ALB through a VPC link, where API Gateway writes the client into `Forwarded` and
//! X-Forwarded-For holds only API Gateway's own private address.
//!
//! - The lines are read as one list, in order, the last line's elements rightmost. Elements split
//!   on commas outside quoted strings, and quotes pair **from the right** and never across lines,
//!   so an unterminated quote in the part the client wrote cannot swallow the elements proxies
//!   appended.
//! - Pairs split on `;`; parameter names match in any case; values may be quoted.
//! - An element is valid with exactly one `for`, holding an IPv4 address or a bracketed IPv6
//!   address, optionally with a port (digits, or an obfuscated `_name`, which is dropped), or a
//!   bare IPv6 address (the form RFC 7239 forbids, which API Gateway's undocumented IPv6 form may
//!   take). A bare IPv6 address is read whole, never as an address and a port: `2001:db8::1:4711`
//!   is the address `2001:db8::1:4711`, as in X-Forwarded-For, because nothing can tell the two
//!   readings apart; a writer that adds a port must bracket the address.
//! - `unknown`, an obfuscated node (`_hidden`), an empty element and a missing or repeated `for`
//!   keep their position and are an error when the source has to read them.

use std::net::IpAddr;

use crate::entry::{parse_any, trim};

/// The pieces of `bytes` between `separator`s, rightmost first, each found lazily from the right:
/// at least one (the leftmost, possibly empty). With `quotes`, a separator inside a quoted string
/// does not split: quotes pair from the right, and a quote after an odd run of backslashes is
/// escaped.
pub(crate) fn split_from_right(bytes: &[u8], separator: u8, quotes: bool) -> RSplit<'_> {
    RSplit {
        rest: Some(bytes),
        separator,
        quotes,
    }
}

/// The iterator of [`split_from_right`]: the bytes left to split, `None` once the leftmost piece
/// is out.
pub(crate) struct RSplit<'a> {
    rest: Option<&'a [u8]>,
    separator: u8,
    quotes: bool,
}

impl<'a> Iterator for RSplit<'a> {
    type Item = &'a [u8];

    #[inline(always)]
    fn next(&mut self) -> Option<&'a [u8]> {
        let rest = self.rest.take()?;
        let at = match self.quotes {
            true => unquoted_rfind(rest, self.separator),
            false => memchr::memrchr(self.separator, rest),
        };
        let Some(at) = at else { return Some(rest) };
        self.rest = rest.get(..at);
        rest.get(at + 1..)
    }
}

/// Where the last `separator` outside quoted strings stands in `bytes`. Quotes pair from the
/// right, and a quote after an odd run of backslashes is escaped. A piece ends at a separator
/// outside quotes, so each search starts outside them.
fn unquoted_rfind(bytes: &[u8], separator: u8) -> Option<usize> {
    let mut quoted = false;
    for (i, &b) in bytes.iter().enumerate().rev() {
        if b == separator && !quoted {
            return Some(i);
        }
        if b == b'"' {
            let before = bytes.get(..i).unwrap_or_default();
            let backslashes = before.iter().rev().take_while(|&&c| c == b'\\').count();
            quoted ^= backslashes % 2 == 0;
        }
    }
    None
}

/// The address and port of an element's one `for=`, or `None` when it has none, several, or one
/// that is not an address.
pub(crate) fn parse_element(element: &[u8]) -> Option<(IpAddr, Option<u16>)> {
    let (mut node, mut repeated) = (None, false);
    for pair in split_from_right(element, b';', true) {
        let (name, value) = match std::str::from_utf8(trim(pair)).ok()? {
            "" => continue,
            pair => pair.split_once('=')?,
        };
        if name.trim_matches([' ', '\t']).eq_ignore_ascii_case("for") {
            repeated |= node.replace(value.trim_matches([' ', '\t'])).is_some();
        }
    }
    node.filter(|_| !repeated).and_then(parse_node)
}

/// Hands each byte of a value to `push`: a token as it is, a quoted string with its quoted pairs
/// (`\x`) undone; `None` when it is neither, or `push` refuses a byte. Read byte by byte, as the
/// bytes after a character's first are never `\` or `"`, a quoted pair of any character is undone
/// whole.
fn unquote(value: &[u8], mut push: impl FnMut(u8) -> Option<()>) -> Option<()> {
    let Some(inner) = value.strip_prefix(b"\"") else {
        let token = |&b: &u8| (!matches!(b, b'"' | b'\\')).then(|| push(b))?;
        return value.iter().try_for_each(token);
    };
    let mut bytes = inner.strip_suffix(b"\"")?.iter();
    while let Some(&b) = bytes.next() {
        push(match b {
            b'\\' => *bytes.next()?,
            b'"' => return None,
            b => b,
        })?;
    }
    Some(())
}

/// `IPv4`, `IPv4:port`, `[IPv6]`, `[IPv6]:port`, bare IPv6; a port of digits, or obfuscated
/// (`_name`, dropped). Zones and surrounding blanks are refused.
///
/// No address holds `_` and no name holds `:`, so in a valid node the first `_` is the one after
/// the last `:`, and starts the obfuscated port: the node is unquoted into a buffer up to it, and
/// the name after it, of any length, is only checked. The longest address before it is 53 bytes,
/// `[0000:0000:0000:0000:0000:ffff:255.255.255.255]:65535`: one that does not fit in 64 is none.
fn parse_node(value: &str) -> Option<(IpAddr, Option<u16>)> {
    let valid = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-');
    // `name`: `None` before the obfuscated port, then whether it has a character.
    let (mut host, mut len, mut name) = ([0; 64], 0_usize, None);
    unquote(value.as_bytes(), |b| {
        match name {
            Some(_) => name = Some(valid(b).then_some(true)?),
            None if b == b'_' => {
                len = len.checked_sub(1).filter(|&l| host.get(l) == Some(&b':'))?;
                name = Some(false);
            }
            None => {
                *host.get_mut(len)? = b;
                len += 1;
            }
        }
        Some(())
    })?;
    let host = host.get(..len)?;
    let plain = name != Some(false) && !host.iter().any(|b| matches!(b, b'%' | b' ' | b'\t'));
    plain.then(|| parse_any(host)).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ClientIp, Peer, ProxyCount, ResolveError, Source, VpcLink};
    use http::{HeaderMap, HeaderValue};
    use proptest::collection::vec;
    use proptest::prelude::*;
    use proptest::sample::select;

    /// The split and the element parse as they were before they stopped allocating: the oracles
    /// the lazy versions must match.
    mod oracle {
        use std::net::IpAddr;

        use crate::entry::{parse_any, trim};

        pub(super) fn split_from_right(bytes: &[u8], separator: u8) -> Vec<&[u8]> {
            let mut pieces = Vec::new();
            let mut end = bytes.len();
            let mut quoted = false;
            for (i, &b) in bytes.iter().enumerate().rev() {
                if b == b'"' {
                    let before = bytes.get(..i).unwrap_or_default();
                    let backslashes = before.iter().rev().take_while(|&&c| c == b'\\').count();
                    if backslashes % 2 == 0 {
                        quoted = !quoted;
                    }
                } else if b == separator && !quoted {
                    pieces.push(bytes.get(i + 1..end).unwrap_or_default());
                    end = i;
                }
            }
            pieces.push(bytes.get(..end).unwrap_or_default());
            pieces
        }

        pub(super) fn parse_element(element: &[u8]) -> Option<(IpAddr, Option<u16>)> {
            let mut found = Vec::new();
            for pair in split_from_right(element, b';') {
                let (name, value) = match std::str::from_utf8(trim(pair)).ok()? {
                    "" => continue,
                    pair => pair.split_once('=')?,
                };
                if name.trim_matches([' ', '\t']).eq_ignore_ascii_case("for") {
                    found.push(value.trim_matches([' ', '\t']));
                }
            }
            match found.as_slice() {
                [node] => parse_node(&unquote(node)?),
                _ => None,
            }
        }

        fn unquote(value: &str) -> Option<String> {
            let Some(inner) = value.strip_prefix('"') else {
                return (!value.contains(['"', '\\'])).then(|| value.to_owned());
            };
            let (mut out, mut chars) = (String::new(), inner.strip_suffix('"')?.chars());
            while let Some(c) = chars.next() {
                out.push(match c {
                    '\\' => chars.next()?,
                    '"' => return None,
                    c => c,
                });
            }
            Some(out)
        }

        fn parse_node(node: &str) -> Option<(IpAddr, Option<u16>)> {
            let valid = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
            let node = match node.rsplit_once(":_") {
                Some((host, name)) if name.chars().all(valid) && !name.is_empty() => host,
                Some(_) => return None,
                None => node,
            };
            let plain = !node.contains(['%', ' ', '\t']);
            plain.then(|| parse_any(node.as_bytes())).flatten()
        }
    }

    /// Text built from the pieces `Forwarded` is made of, and the ones that break it: quotes and
    /// backslashes (runs of them), separators, names in any case, addresses (the longest valid
    /// ones among them), brackets, ports, obfuscated names short and long, blanks, and bytes that
    /// are not UTF-8 or not ASCII.
    fn forwarded_like() -> impl Strategy<Value = Vec<u8>> {
        let marks: &[&[u8]] = &[b"\"", b"\\", b"\\\\", b",", b";", b"=", b":", b"_", b" "];
        let words: &[&[u8]] = &[
            b"for=",
            b"FOR=",
            b"For =",
            b"by=",
            b"[",
            b"]",
            b"\t",
            b"_obf",
            b":_p1",
            b"::",
            b"192.0.2.1",
            b"10.0.0.1",
            b"2001:db8::1",
            b"0000:0000:0000:0000:0000:ffff:",
            b"255.255.255.255",
            b"2001:db8:0:0:0:0:0:1",
            b"80",
            b"65535",
            b"65536",
            b"0",
            b"01",
            b"%",
            b"%25eth0",
            b"unknown",
            b"x",
            b"-",
            b".",
            b"\xff",
            b"\xc3\xa9",
            &[b'a'; 80],
        ];
        let part = prop_oneof![select(marks), select(words)];
        vec(part, 0..24).prop_map(|parts| parts.concat())
    }

    /// A `for` pair close to a valid one: an address (some of the longest), a joint that is
    /// mostly `:`, a port of digits or an obfuscated name of any length, quoted or not, some bytes
    /// escaped.
    fn for_value() -> impl Strategy<Value = Vec<u8>> {
        let host = select(vec![
            "192.0.2.1",
            "[2001:db8::1]",
            "[0000:0000:0000:0000:0000:ffff:255.255.255.255]",
            "[0000:0000:0000:0000:0000:0000:0000:0001]",
            "2001:db8::1",
        ]);
        let joint = select(vec![":", ":", ":", "", "0", "::", "]:", "%"]);
        let port = prop_oneof!["[0-9]{1,6}", "[1-6][0-9]{4}", "_[a-zA-Z0-9._:-]{0,80}"];
        let port = prop::option::of(port);
        let escape = vec(any::<bool>(), 0..100);
        let parts = (host, joint, port, any::<bool>(), escape);
        parts.prop_map(|(host, joint, port, quote, escape)| {
            let node = match port {
                Some(port) => format!("{host}{joint}{port}"),
                None => host.to_owned(),
            };
            if !quote {
                return format!("for={node}").into_bytes();
            }
            let mut out = b"for=\"".to_vec();
            for (i, b) in node.bytes().enumerate() {
                if escape.get(i).copied().unwrap_or(false) {
                    out.push(b'\\');
                }
                out.push(b);
            }
            out.push(b'"');
            out
        })
    }

    fn agree(bytes: &[u8]) -> Result<(), TestCaseError> {
        let pieces: Vec<&[u8]> = split_from_right(bytes, b',', true).collect();
        prop_assert_eq!(&pieces, &oracle::split_from_right(bytes, b','));
        let pairs: Vec<&[u8]> = split_from_right(bytes, b';', true).collect();
        prop_assert_eq!(pairs, oracle::split_from_right(bytes, b';'));
        // Without quotes, it is X-Forwarded-For's split: std's, from the right.
        let plain: Vec<&[u8]> = split_from_right(bytes, b',', false).collect();
        prop_assert_eq!(plain, bytes.rsplit(|&b| b == b',').collect::<Vec<_>>());
        prop_assert_eq!(parse_element(bytes), oracle::parse_element(bytes));
        for piece in pieces {
            prop_assert_eq!(parse_element(piece), oracle::parse_element(piece));
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn split_and_parse_match_the_oracles_on_any_bytes(bytes in vec(any::<u8>(), 0..64)) {
            agree(&bytes)?;
        }

        #[test]
        fn split_and_parse_match_the_oracles_on_forwarded_like_text(bytes in forwarded_like()) {
            agree(&bytes)?;
        }

        #[test]
        fn parse_matches_the_oracle_on_for_values(value in for_value(), extra in forwarded_like()) {
            agree(&value)?;
            agree(&[value.as_slice(), b";", &extra].concat())?;
        }
    }

    #[test]
    fn the_longest_nodes_parse() {
        let longest = r#"for="[0000:0000:0000:0000:0000:ffff:255.255.255.255]:65535""#;
        assert_eq!(longest.len(), 4 + 2 + 53);
        let long_name = format!(r#"for="[2001:db8::1]:_{}""#, "a".repeat(1000));
        let escaped = format!(r#"for="[2001:db8::1]\:\_{}""#, r"\b".repeat(1000));
        for element in [longest, &long_name, &escaped] {
            let got = parse_element(element.as_bytes());
            assert!(got.is_some(), "{element}");
            assert_eq!(got, oracle::parse_element(element.as_bytes()), "{element}");
        }
    }

    /// `lines` as the `Forwarded` lines of a request, in order, delivered by a VPC link.
    fn headers(lines: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", HeaderValue::from_static("10.0.1.17"));
        for line in lines {
            headers.append("forwarded", HeaderValue::from_str(line).unwrap());
        }
        headers
    }

    fn resolve(lines: &[&str], count: u8) -> Result<ClientIp, ResolveError> {
        let source =
            Source::forwarded(ProxyCount::new(count).unwrap(), VpcLink::AnyPrivateAddress).unwrap();
        source.resolve(&headers(lines), Peer::Appended)
    }

    fn answer(lines: &[&str], count: u8) -> Result<(String, Option<u16>, usize), &'static str> {
        resolve(lines, count)
            .map(|c| (c.ip().to_string(), c.port(), c.position()))
            .map_err(|e| e.code())
    }

    #[test]
    fn elements_from_the_right() {
        let ok = |ip: &str, port, position| Ok((ip.to_owned(), port, position));
        type Case<'a> = (
            &'a [&'a str],
            u8,
            Result<(String, Option<u16>, usize), &'static str>,
        );
        let cases: &[(&str, Case)] = &[
            (
                "one element",
                (&["for=192.0.2.60"], 0, ok("192.0.2.60", None, 0)),
            ),
            (
                "RFC 7239 example",
                (
                    &[r#"for=192.0.2.43, for="[2001:db8:cafe::17]""#],
                    0,
                    ok("2001:db8:cafe::17", None, 0),
                ),
            ),
            (
                "count 1",
                (
                    &["for=192.0.2.43, for=198.51.100.17"],
                    1,
                    ok("192.0.2.43", None, 1),
                ),
            ),
            (
                "lines joined in order",
                (
                    &["for=192.0.2.43", "for=198.51.100.17;by=10.0.0.1"],
                    1,
                    ok("192.0.2.43", None, 1),
                ),
            ),
            (
                "name in any case, spaces",
                (
                    &[" proto=https ; For = 192.0.2.1 "],
                    0,
                    ok("192.0.2.1", None, 0),
                ),
            ),
            (
                "IPv4 with a port, quoted",
                (
                    &[r#"for="192.0.2.1:8080""#],
                    0,
                    ok("192.0.2.1", Some(8080), 0),
                ),
            ),
            (
                "obfuscated port dropped",
                (
                    &[r#"for="[2001:db8::1]:_p1""#],
                    0,
                    ok("2001:db8::1", None, 0),
                ),
            ),
            (
                "escaped quote inside a value elsewhere",
                (&[r#"for=192.0.2.1;x="a\",b""#], 0, ok("192.0.2.1", None, 0)),
            ),
            (
                "comma inside quotes",
                (
                    &[r#"for=192.0.2.9, for=192.0.2.1;x="a,b""#],
                    1,
                    ok("192.0.2.9", None, 1),
                ),
            ),
            (
                "unterminated quote left of the client",
                (
                    &[r#"for="6.6.6.6, for=192.0.2.1, for=10.0.0.1"#],
                    1,
                    ok("192.0.2.1", None, 1),
                ),
            ),
            (
                "mapped IPv6 canonical",
                (
                    &[r#"for="[::ffff:192.0.2.1]""#],
                    0,
                    ok("192.0.2.1", None, 0),
                ),
            ),
            (
                "invalid left of the client never read",
                (&["for=unknown, for=192.0.2.1"], 0, ok("192.0.2.1", None, 0)),
            ),
            ("Fail: unknown", (&["for=unknown"], 0, Err("invalid_entry"))),
            (
                "Fail: obfuscated node",
                (&["for=_hidden"], 0, Err("invalid_entry")),
            ),
            (
                "Fail: empty element",
                (&["for=192.0.2.1,"], 0, Err("invalid_entry")),
            ),
            ("Fail: empty line", (&[""], 0, Err("invalid_entry"))),
            (
                "Fail: no for",
                (&["by=10.0.0.1;proto=http"], 0, Err("invalid_entry")),
            ),
            (
                "Fail: for twice",
                (&["for=192.0.2.1;for=192.0.2.2"], 0, Err("invalid_entry")),
            ),
            (
                "a bare IPv6 address, which cannot be read as another, is accepted",
                (&[r#"for="2001:db8::1""#], 0, ok("2001:db8::1", None, 0)),
            ),
            (
                "a bare IPv6 address unquoted is accepted",
                (&["for=2001:DB8::1"], 0, ok("2001:db8::1", None, 0)),
            ),
            (
                "a bracketed IPv6 address with a port",
                (
                    &[r#"for="[2001:db8::1]:4711""#],
                    0,
                    ok("2001:db8::1", Some(4711), 0),
                ),
            ),
            (
                "Fail: a bare IPv6 address with a port",
                (
                    &[r#"for="2001:db8:0:0:0:0:0:1:4711""#],
                    0,
                    Err("invalid_entry"),
                ),
            ),
            (
                "a bracketed IPv6 address unquoted is accepted",
                (&["for=[2001:db8::1]"], 0, ok("2001:db8::1", None, 0)),
            ),
            (
                "Fail: IPv6 with a zone",
                (&[r#"for="[fe80::1%25eth0]""#], 0, Err("invalid_entry")),
            ),
            (
                "Fail: port 0",
                (&[r#"for="192.0.2.1:0""#], 0, Err("invalid_entry")),
            ),
            (
                "Fail: unspecified",
                (&["for=0.0.0.0"], 0, Err("invalid_entry")),
            ),
            (
                "Fail: hostname",
                (&["for=proxy.example"], 0, Err("invalid_entry")),
            ),
            (
                "Fail: trusted element invalid",
                (&["for=192.0.2.1, for=unknown"], 1, Err("invalid_entry")),
            ),
            (
                "Fail: too short",
                (&["for=192.0.2.1"], 1, Err("chain_too_short")),
            ),
            ("Fail: no header", (&[], 0, Err("client_header_missing"))),
        ];
        for (case, (lines, count, want)) in cases {
            assert_eq!(answer(lines, *count), *want, "{case}");
        }
    }

    #[test]
    fn an_invalid_element_is_quoted_escaped_with_its_position() {
        // A header value cannot hold C0 controls; C1 controls and U+2028 arrive as UTF-8.
        let err = resolve(&["for=\u{9b}31m\u{2028}, for=192.0.2.1"], 1).unwrap_err();
        assert_eq!(
            err,
            ResolveError::InvalidEntry {
                header: http::HeaderName::from_static("forwarded"),
                position: 1,
                entry: "for=\u{9b}31m\u{2028}".to_owned(),
            }
        );
        let msg = err.to_string();
        assert!(msg.contains("forwarded entry at position 1"), "{msg}");
        assert!(
            !msg.chars().any(|c| c.is_control() || c == '\u{2028}'),
            "{msg:?}"
        );
    }

    #[test]
    fn split_pairs_quotes_from_the_right_and_honours_escapes() {
        let split = |s: &str, sep| -> Vec<String> {
            split_from_right(s.as_bytes(), sep, true)
                .map(|p| String::from_utf8_lossy(p).into_owned())
                .collect()
        };
        let cases: &[(&str, &str, u8, &[&str])] = &[
            ("one piece", "for=a", b',', &["for=a"]),
            ("empty", "", b',', &[""]),
            ("rightmost first", "a,b,c", b',', &["c", "b", "a"]),
            ("trailing separator", "a,", b',', &["", "a"]),
            (
                "comma in quotes",
                r#"a,x="b,c""#,
                b',',
                &[r#"x="b,c""#, "a"],
            ),
            (
                "escaped quote stays inside",
                r#"a,x="b\",c""#,
                b',',
                &[r#"x="b\",c""#, "a"],
            ),
            (
                "escaped backslash ends the quote",
                r#"x="b\\",c"#,
                b',',
                &["c", r#"x="b\\""#],
            ),
            (
                "an unterminated quote swallows only to its left",
                r#""a,b,c"#,
                b',',
                &["c", "b", "\"a"],
            ),
            ("pairs", "for=a;by=b", b';', &["by=b", "for=a"]),
        ];
        for (case, input, sep, want) in cases {
            assert_eq!(split(input, *sep), *want, "{case}");
        }
    }

    #[test]
    fn elements_parse_to_their_one_for() {
        let parse = |s: &str| parse_element(s.as_bytes()).map(|(ip, port)| (ip.to_string(), port));
        let some = |ip: &str, port| Some((ip.to_owned(), port));
        /// A case: its name, the element, and the address and port it parses to.
        type Case<'a> = (&'a str, &'a str, Option<(String, Option<u16>)>);
        let cases: &[Case] = &[
            ("IPv4", "for=192.0.2.1", some("192.0.2.1", None)),
            (
                "with other pairs",
                "by=10.0.0.1;for=192.0.2.1;proto=https",
                some("192.0.2.1", None),
            ),
            (
                "quoted IPv4 with port",
                r#"for="192.0.2.1:80""#,
                some("192.0.2.1", Some(80)),
            ),
            (
                "bracketed IPv6",
                r#"for="[2001:db8::1]""#,
                some("2001:db8::1", None),
            ),
            (
                "bracketed IPv6 with port",
                r#"for="[2001:db8::1]:80""#,
                some("2001:db8::1", Some(80)),
            ),
            ("bare IPv6", "for=2001:db8::1", some("2001:db8::1", None)),
            (
                "obfuscated port dropped",
                r#"for="192.0.2.1:_abc""#,
                some("192.0.2.1", None),
            ),
            (
                "quoted pair undone",
                r#"for="192.0.2.\1""#,
                some("192.0.2.1", None),
            ),
            (
                "mapped IPv6 canonical",
                r#"for="[::ffff:192.0.2.1]""#,
                some("192.0.2.1", None),
            ),
            (
                "unspecified parses (the walk refuses it)",
                "for=0.0.0.0",
                some("0.0.0.0", None),
            ),
            (
                "Fail: bare IPv6 with a port",
                "for=2001:db8:0:0:0:0:0:1:80",
                None,
            ),
            ("Fail: bare IPv6 with a zone", "for=fe80::1%eth0", None),
            ("Fail: bracketed IPv4", r#"for="[192.0.2.1]""#, None),
            (
                "Fail: obfuscated port too short",
                r#"for="192.0.2.1:_""#,
                None,
            ),
            (
                "Fail: obfuscated port with a slash",
                r#"for="192.0.2.1:_a/b""#,
                None,
            ),
            ("Fail: port 65536", r#"for="192.0.2.1:65536""#, None),
            (
                "Fail: text after the address",
                r#"for="[2001:db8::1]x""#,
                None,
            ),
            ("Fail: unknown", "for=unknown", None),
            ("Fail: obfuscated node", "for=_hidden", None),
            ("Fail: no for", "by=192.0.2.1", None),
            ("Fail: two fors", "for=192.0.2.1;FOR=192.0.2.2", None),
            ("Fail: a pair without '='", "for=192.0.2.1;secure", None),
            ("Fail: an unquoted quote", r#"for=192.0.2.1""#, None),
            (
                "Fail: an unterminated quoted value",
                r#"for="192.0.2.1"#,
                None,
            ),
            (
                "Fail: a replacement character",
                "for=192.0.2.1\u{fffd}",
                None,
            ),
        ];
        for (case, input, want) in cases {
            assert_eq!(parse(input), *want, "{case}");
        }
        assert_eq!(
            parse_element(b"for=192.0.2.1\xff"),
            None,
            "bytes that are not UTF-8"
        );
    }
}
