//! A single-address header set by a CDN (`CloudFront-Viewer-Address`, `CF-Connecting-IP`, …),
//! believed only when the CDN itself delivered the request.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use crate::policy::{PolicyError, ProxyCount, TrustPolicy, TrustedRanges};
use crate::resolve::{ClientIp, ResolveError, parse_entry, port, resolve, shorten};

/// A header in which a CDN in front of the front door writes the one address it saw.
///
/// The header is believed only when the request was delivered by an address inside the trusted
/// ranges (the CDN's: see [`Preset`](crate::Preset)). Anyone who reaches the front door directly
/// can send the header too, so without that check it would name whatever the caller chose.
///
/// The value is read like an X-Forwarded-For entry (an address, optionally with a port), except
/// for `CloudFront-Viewer-Address`, which CloudFront writes as `ip:port` with the port required
/// and an IPv6 address unbracketed (`2001:db8::1:46532`, split at the last colon; the bracketed
/// form is accepted too).
///
/// ```
/// use lambda_client_ip::ClientHeader;
///
/// let header: ClientHeader = "CF-Connecting-IP".parse()?;
/// assert_eq!(header.name(), "cf-connecting-ip");
/// assert!("x forwarded".parse::<ClientHeader>().is_err());
/// # Ok::<(), lambda_client_ip::PolicyError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientHeader {
    name: String,
}

/// The header name CloudFront writes the viewer's address and source port in.
const CLOUDFRONT_VIEWER_ADDRESS: &str = "cloudfront-viewer-address";

impl ClientHeader {
    /// The header's name, lower-case.
    ///
    /// ```
    /// use lambda_client_ip::ClientHeader;
    /// let header: ClientHeader = "True-Client-IP".parse()?;
    /// assert_eq!(header.name(), "true-client-ip");
    /// # Ok::<(), lambda_client_ip::PolicyError>(())
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Resolves the client from this header.
    ///
    /// `chain` and `peer` are what [`resolve`](crate::resolve) takes; they only say who delivered
    /// the request: the peer when you have the socket, else the chain's last entry (the one an ALB
    /// appends). When that address is outside `ranges`, the request did not come through the CDN
    /// and the address itself is the answer. Otherwise `values`, every value of the header in
    /// order, must hold exactly one address: a missing header, an empty one, a repeated one or a
    /// list is refused. An answer read from the header is at position 1 (the CDN's peer is 0).
    ///
    /// ```
    /// use lambda_client_ip::{ClientHeader, TrustedRanges};
    ///
    /// let cdn: TrustedRanges = "cloudfront".parse()?;
    /// let header: ClientHeader = "cloudfront-viewer-address".parse()?;
    ///
    /// // Delivered by a CloudFront origin-facing address: the header is believed, port and all.
    /// let client = header.resolve(["6.6.6.6, 130.176.0.12"], None, &cdn, ["203.0.113.9:46532"])?;
    /// assert_eq!((client.ip().to_string(), client.port()), ("203.0.113.9".into(), Some(46532)));
    ///
    /// // Sent straight to the ALB with a forged header: the caller's own address.
    /// let client = header.resolve(["198.51.100.66"], None, &cdn, ["203.0.113.9:46532"])?;
    /// assert_eq!(client.ip().to_string(), "198.51.100.66");
    ///
    /// // Through the CDN, but the header is missing: refused, never guessed.
    /// let none: [&str; 0] = [];
    /// let err = header.resolve(["130.176.0.12"], None, &cdn, none).unwrap_err();
    /// assert_eq!(err.code(), "client_header_missing");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn resolve<C, V>(
        &self,
        chain: C,
        peer: Option<IpAddr>,
        ranges: &TrustedRanges,
        values: V,
    ) -> Result<ClientIp, ResolveError>
    where
        C: IntoIterator,
        C::IntoIter: DoubleEndedIterator,
        C::Item: AsRef<[u8]>,
        V: IntoIterator,
        V::Item: AsRef<[u8]>,
    {
        let delivered_by = resolve(chain, peer, &TrustPolicy::Count(ProxyCount::default()))?;
        if !ranges.contains(delivered_by.ip()) {
            return Ok(delivered_by);
        }
        let header = || self.name.clone();
        let mut values = values.into_iter();
        let value = match (values.next(), values.next()) {
            (None, _) => return Err(ResolveError::HeaderMissing { header: header() }),
            (Some(_), Some(_)) => return Err(ResolveError::HeaderRepeated { header: header() }),
            (Some(value), None) => value,
        };
        let value = value.as_ref();
        if value.contains(&b',') {
            return Err(ResolveError::HeaderRepeated { header: header() });
        }
        let parsed = if self.name == CLOUDFRONT_VIEWER_ADDRESS {
            parse_viewer_address(value)
        } else {
            parse_entry(value)
        };
        let (ip, port) = parsed.ok_or_else(|| ResolveError::HeaderInvalid {
            header: header(),
            value: shorten(value),
        })?;
        Ok(ClientIp::new(ip, port, 1))
    }
}

/// `ip:port` with the port required: `198.51.100.10:46532`, `2001:db8::1:46532` (IPv6 split at
/// the last colon), or `[2001:db8::1]:46532`.
fn parse_viewer_address(value: &[u8]) -> Option<(IpAddr, Option<u16>)> {
    let text = std::str::from_utf8(value).ok()?.trim_matches([' ', '\t']);
    if text.starts_with('[') {
        return parse_entry(text.as_bytes()).filter(|(_, port)| port.is_some());
    }
    let (host, digits) = text.rsplit_once(':')?;
    if host.contains('%') || host.ends_with([' ', '\t']) {
        return None;
    }
    match parse_entry(host.as_bytes())? {
        (ip, None) => Some((ip, Some(port(digits)?))),
        (_, Some(_)) => None,
    }
}

impl FromStr for ClientHeader {
    type Err = PolicyError;

    /// A header name (an HTTP token: letters, digits and ``!#$%&'*+-.^_`|~``), in any case.
    /// `x-forwarded-for` and `forwarded` are refused: they are chains, not single addresses.
    ///
    /// ```
    /// use lambda_client_ip::ClientHeader;
    /// assert!("cf-connecting-ip".parse::<ClientHeader>().is_ok());
    /// let err = "X-Forwarded-For".parse::<ClientHeader>().unwrap_err();
    /// assert!(err.to_string().contains("a chain"));
    /// ```
    fn from_str(text: &str) -> Result<Self, PolicyError> {
        let name = text.trim().to_ascii_lowercase();
        let fail = |reason| PolicyError::Header {
            value: text.chars().take(64).collect(),
            reason,
        };
        let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
        if name.is_empty() || !name.bytes().all(token) {
            return Err(fail("is not a header name"));
        }
        if name == "x-forwarded-for" || name == "forwarded" {
            return Err(fail("is a chain, not a single-address header"));
        }
        Ok(Self { name })
    }
}

impl fmt::Display for ClientHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(name: &str) -> ClientHeader {
        name.parse().unwrap()
    }

    fn answer(
        name: &str,
        chain: &str,
        values: &[&str],
    ) -> Result<(String, Option<u16>, usize), &'static str> {
        let cdn: TrustedRanges = "130.176.0.0/16, 2600:9000::/28".parse().unwrap();
        header(name)
            .resolve([chain], None, &cdn, values)
            .map(|c| (c.ip().to_string(), c.port(), c.position()))
            .map_err(|e| e.code())
    }

    #[test]
    fn single_address_headers() {
        let cva = "cloudfront-viewer-address";
        let cf = "cf-connecting-ip";
        let ok = |ip: &str, port| Ok((ip.to_owned(), port, 1));
        let peer = |ip: &str| Ok((ip.to_owned(), None, 0));
        type Case<'a> = (
            &'a str,
            &'a str,
            &'a [&'a str],
            Result<(String, Option<u16>, usize), &'static str>,
        );
        let cases: &[(&str, Case)] = &[
            (
                "viewer address, IPv4",
                (
                    cva,
                    "130.176.0.1",
                    &["203.0.113.9:46532"],
                    ok("203.0.113.9", Some(46532)),
                ),
            ),
            (
                "viewer address, bare IPv6",
                (
                    cva,
                    "130.176.0.1",
                    &["2001:db8::1:46532"],
                    ok("2001:db8::1", Some(46532)),
                ),
            ),
            (
                "viewer address, bracketed IPv6",
                (
                    cva,
                    "130.176.0.1",
                    &["[2001:db8::1]:46532"],
                    ok("2001:db8::1", Some(46532)),
                ),
            ),
            (
                "viewer address from an IPv6 edge",
                (
                    cva,
                    "2600:9000:1::5",
                    &["192.0.2.1:80"],
                    ok("192.0.2.1", Some(80)),
                ),
            ),
            (
                "Fail: viewer address without a port",
                (
                    cva,
                    "130.176.0.1",
                    &["203.0.113.9"],
                    Err("client_header_invalid"),
                ),
            ),
            (
                "Fail: viewer address, port 0",
                (
                    cva,
                    "130.176.0.1",
                    &["203.0.113.9:0"],
                    Err("client_header_invalid"),
                ),
            ),
            (
                "Fail: viewer address, IPv6 with a zone",
                (
                    cva,
                    "130.176.0.1",
                    &["fe80::1%eth0:80"],
                    Err("client_header_invalid"),
                ),
            ),
            (
                "connecting IP",
                (cf, "130.176.0.1", &["2001:DB8::7"], ok("2001:db8::7", None)),
            ),
            (
                "connecting IP with a port",
                (
                    cf,
                    "130.176.0.1",
                    &["192.0.2.1:8080"],
                    ok("192.0.2.1", Some(8080)),
                ),
            ),
            (
                "around the CDN: the peer",
                (
                    cf,
                    "6.6.6.6, 198.51.100.66",
                    &["1.2.3.4"],
                    peer("198.51.100.66"),
                ),
            ),
            (
                "around the CDN, no header: the peer",
                (cf, "198.51.100.66", &[], peer("198.51.100.66")),
            ),
            (
                "Fail: missing",
                (cf, "130.176.0.1", &[], Err("client_header_missing")),
            ),
            (
                "Fail: empty",
                (cf, "130.176.0.1", &[""], Err("client_header_invalid")),
            ),
            (
                "Fail: repeated",
                (
                    cf,
                    "130.176.0.1",
                    &["192.0.2.1", "192.0.2.1"],
                    Err("client_header_repeated"),
                ),
            ),
            (
                "Fail: a list",
                (
                    cf,
                    "130.176.0.1",
                    &["192.0.2.1, 192.0.2.2"],
                    Err("client_header_repeated"),
                ),
            ),
            (
                "Fail: not an address",
                (
                    cf,
                    "130.176.0.1",
                    &["unknown"],
                    Err("client_header_invalid"),
                ),
            ),
            (
                "Fail: the peer entry invalid",
                (
                    cf,
                    "130.176.0.1, nope",
                    &["192.0.2.1"],
                    Err("invalid_entry"),
                ),
            ),
            (
                "Fail: no chain at all",
                (cf, "", &["192.0.2.1"], Err("invalid_entry")),
            ),
        ];
        for (case, (name, chain, values, want)) in cases {
            assert_eq!(answer(name, chain, values), *want, "{case}");
        }
    }

    #[test]
    fn names_are_tokens_in_any_case() {
        assert_eq!(header(" CF-Connecting-IP ").name(), "cf-connecting-ip");
        assert_ne!(header("cf_connecting_ip"), header("cf-connecting-ip"));
        for bad in [
            "",
            "x forwarded",
            "a\u{9b}b",
            "forwarded",
            "X-Forwarded-For",
            "a:b",
        ] {
            let err = bad.parse::<ClientHeader>().unwrap_err().to_string();
            assert!(!err.contains('\u{9b}'), "{err:?}");
        }
    }

    #[test]
    fn messages_name_the_header_and_quote_the_value_escaped() {
        let cdn: TrustedRanges = "130.176.0.0/16".parse().unwrap();
        let err = header("true-client-ip")
            .resolve(["130.176.0.1"], None, &cdn, ["\u{1b}[31mred"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("true-client-ip"), "{err}");
        assert!(!err.chars().any(char::is_control), "{err:?}");
    }
}
