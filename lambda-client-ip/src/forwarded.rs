//! RFC 7239 `Forwarded`, read from the right: for API Gateway HTTP APIs in front of an internal
//! ALB through a VPC link, where API Gateway writes the client into `Forwarded` and
//! X-Forwarded-For holds only API Gateway's own private address.

use std::net::IpAddr;

use crate::policy::ProxyCount;
use crate::resolve::{ClientIp, ResolveError, port, shorten, trim};

/// Resolves the client from every `Forwarded` line of a request, in the order received: the
/// `for=` of the element at position `count` from the right (0: the element the front door
/// appended).
///
/// - The lines are read as one list, in order, the last line's elements rightmost. Elements split
///   on commas outside quoted strings, and quotes pair **from the right** and never across lines,
///   so an unterminated quote in the part the client wrote cannot swallow the elements proxies
///   appended.
/// - Pairs split on `;`; parameter names match in any case; values may be quoted.
/// - An element is valid with exactly one `for`, holding an IPv4 address or a bracketed IPv6
///   address, optionally with a port (digits, or an obfuscated `_name`, which is dropped).
/// - `unknown`, an obfuscated node (`_hidden`), an empty element and a missing or repeated `for`
///   keep their position and are an error when the count has to read them: the elements right of
///   the client (the trusted ones) and the client's own.
///
/// ```
/// use lambda_client_ip::{resolve_forwarded, ProxyCount};
///
/// let lines = [r#"for=6.6.6.6;proto=http, for="[2001:db8::7]:4711";by=10.0.0.1"#];
/// let client = resolve_forwarded(lines, ProxyCount::new(0).unwrap())?;
/// assert_eq!((client.ip().to_string(), client.port()), ("2001:db8::7".into(), Some(4711)));
///
/// // A quote the client left open swallows only the client's own part.
/// let client = resolve_forwarded([r#"for="6.6.6.6, for=192.0.2.60"#], ProxyCount::new(0).unwrap())?;
/// assert_eq!(client.ip().to_string(), "192.0.2.60");
///
/// let err = resolve_forwarded(["for=unknown"], ProxyCount::new(0).unwrap()).unwrap_err();
/// assert_eq!(err.code(), "invalid_entry");
/// let none: [&str; 0] = [];
/// assert_eq!(resolve_forwarded(none, ProxyCount::new(0).unwrap()).unwrap_err().code(), "client_header_missing");
/// # Ok::<(), lambda_client_ip::ResolveError>(())
/// ```
pub fn resolve_forwarded<I>(lines: I, count: ProxyCount) -> Result<ClientIp, ResolveError>
where
    I: IntoIterator,
    I::IntoIter: DoubleEndedIterator,
    I::Item: AsRef<[u8]>,
{
    let target = usize::from(count.get());
    let mut position = 0;
    let mut any_line = false;
    for line in lines.into_iter().rev() {
        any_line = true;
        for element in split_from_right(line.as_ref(), b',') {
            let (ip, port) =
                parse_element(element).ok_or_else(|| ResolveError::InvalidElement {
                    position,
                    element: shorten(trim(element)),
                })?;
            if position == target {
                return Ok(ClientIp::new(ip, port, position));
            }
            position += 1;
        }
    }
    if !any_line {
        return Err(ResolveError::HeaderMissing {
            header: "forwarded".to_owned(),
        });
    }
    Err(ResolveError::ChainTooShort {
        entries: position,
        needed: target + 1,
    })
}

/// The pieces of `bytes` between separators outside quoted strings, rightmost first. Quotes are
/// paired from the right; a quote after an odd run of backslashes is escaped.
fn split_from_right(bytes: &[u8], separator: u8) -> Vec<&[u8]> {
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

/// The address and port of an element's one `for=`, or `None` when it has none, several, or one
/// that is not an address.
fn parse_element(element: &[u8]) -> Option<(IpAddr, Option<u16>)> {
    let mut found = None;
    for pair in split_from_right(element, b';') {
        let pair = std::str::from_utf8(trim(pair)).ok()?;
        if pair.is_empty() {
            continue;
        }
        let (name, value) = pair.split_once('=')?;
        if !name.trim_matches([' ', '\t']).eq_ignore_ascii_case("for") {
            continue;
        }
        if found.is_some() {
            return None;
        }
        found = Some(unquote(value.trim_matches([' ', '\t']))?);
    }
    parse_node(&found?)
}

/// A token as it is, or a quoted string with its quoted pairs (`\x`) undone.
fn unquote(value: &str) -> Option<String> {
    let Some(inner) = value.strip_prefix('"') else {
        return (!value.contains(['"', '\\'])).then(|| value.to_owned());
    };
    let inner = inner.strip_suffix('"')?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(chars.next()?),
            '"' => return None,
            c => out.push(c),
        }
    }
    Some(out)
}

/// `IPv4`, `IPv4:port`, `[IPv6]`, `[IPv6]:port`; a port of digits, or obfuscated (`_name`).
fn parse_node(node: &str) -> Option<(IpAddr, Option<u16>)> {
    let (ip, after) = match node.strip_prefix('[') {
        Some(rest) => {
            let (v6, after) = rest.split_once(']')?;
            (IpAddr::V6(v6.parse().ok()?), after)
        }
        None => {
            let (v4, after) = node.split_at(node.find(':').unwrap_or(node.len()));
            (IpAddr::V4(v4.parse().ok()?), after)
        }
    };
    let port = match after.strip_prefix(':') {
        None if after.is_empty() => None,
        None => return None,
        Some(obfuscated) if obfuscated.starts_with('_') => {
            let valid = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
            if obfuscated.len() < 2 || !obfuscated.chars().all(valid) {
                return None;
            }
            None
        }
        Some(digits) => Some(port(digits)?),
    };
    let ip = ip.to_canonical();
    (!ip.is_unspecified()).then_some((ip, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(lines: &[&str], count: u8) -> Result<(String, Option<u16>, usize), &'static str> {
        resolve_forwarded(lines, ProxyCount::new(count).unwrap())
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
                "Fail: bare IPv6",
                (&[r#"for="2001:db8::1""#], 0, Err("invalid_entry")),
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
        let err = resolve_forwarded(
            ["for=\u{1b}[31m, for=192.0.2.1"],
            ProxyCount::new(1).unwrap(),
        )
        .unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("position 1"), "{msg}");
        assert!(!msg.chars().any(char::is_control), "{msg:?}");
    }
}
