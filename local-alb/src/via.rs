//! Front doors in front of the ALB (`--via NAME`): requests that arrive on the `--via-listen`
//! listener pass through one or more simulated hops, each rewriting the request as that service
//! does, and then reach the ALB from the last hop's address, as if that service had connected.
//! Requests to the ALB's own `--listen` listeners go around the front door: whatever they forge,
//! the ALB appends their real address, which is the path a caller who bypasses it takes.
//!
//! A [`FrontDoor`] is a list of [`Hop`]s, applied in order. Each hop sees the previous hop's
//! address (the client's, for the first) as its peer, rewrites the headers and connects onwards
//! from its own [source](Hop::source) address. The names and what reaches the ALB:
//!
//! | `--via` | hops | the ALB's peer | the client is |
//! |---|---|---|---|
//! | `cloudfront` | CloudFront | `cloudfront` preset | P1; `CloudFront-Viewer-Address` |
//! | `cloudflare` | Cloudflare | `cloudflare` preset | P1; `CF-Connecting-IP` |
//! | `fastly` | Fastly | `fastly` preset | P1 (`Fastly-Client-IP` is forgeable) |
//! | `cloudflare-cloudfront` | Cloudflare, CloudFront | `cloudfront` preset | P2 |
//! | `apigw-http` | API Gateway HTTP API + VPC link | 10.0.0.0/8 | last `for=` of `Forwarded` |
//! | `cloudflare-apigw-http` | Cloudflare, API Gateway | 10.0.0.0/8 | one `for=` left of the last |
//! | `cloudfront-apigw-http` | CloudFront, API Gateway | 10.0.0.0/8 | one `for=` left of the last |
//! | `global-accelerator` | Global Accelerator, no client IP preservation | `globalaccelerator` preset | nowhere |
//! | `lattice` | VPC Lattice | 169.254.171.0/24 | P1, private to the caller's VPC |
//!
//! What each hop does, as far as the client address goes:
//! - **CloudFront** appends its peer to X-Forwarded-For (no space after the comma), sets
//!   `CloudFront-Viewer-Address` to `ip:port` (IPv6 unbracketed), replacing a client's own, and
//!   removes `X-Real-IP`. Every other header passes through, `CF-Connecting-IP` included, so a
//!   value forged by whoever reached CloudFront survives.
//! - **Cloudflare** appends its peer the same way, sets `CF-Connecting-IP` (replacing a client's
//!   own) and removes `X-Real-IP`.
//! - **Fastly** appends its peer to X-Forwarded-For and sets `Fastly-Client-IP` only if the
//!   request has none, so a client-set value survives (Fastly's documented default, without VCL
//!   that overwrites it).
//! - **API Gateway HTTP API → VPC link**: the X-Forwarded-For entries that arrive become RFC 7239
//!   `for=` elements, in order, then API Gateway appends `for=<peer>;host=<Host>;proto=http`
//!   (`http`: the simulated listener is plain HTTP). IPv6 is written `for="[v6]"`; anything that
//!   is not an address or a token is quoted. X-Forwarded-For is removed, so the ALB creates a new
//!   one holding only the VPC link's address. A client-sent `Forwarded` header is kept in front
//!   of the new elements; what API Gateway does with one is not documented.
//! - **Global Accelerator** without client IP preservation forwards at layer 4: no header changes,
//!   and the ALB's peer is an edge (POP) address from the `globalaccelerator` preset.
//! - **VPC Lattice** appends its peer to `x-forwarded-for` and sets `x-forwarded-for-port` and
//!   `x-forwarded-for-proto`. Whether Lattice appends to a client's X-Forwarded-For or replaces it
//!   is not documented; the simulation appends, the case in which a client-written entry reaches
//!   the function. Lattice removes client-sent `x-amzn-lattice-*` headers and adds
//!   `x-amzn-lattice-network: SourceVpcArn=…` naming the caller's VPC.
//!
//! Each hop keeps the client's source port on its own connection, so the ports stay readable.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use hyper::HeaderMap;
use hyper::header::{HeaderName, HeaderValue};
use lambda_client_ip::Preset;

/// The address the simulated VPC link connects to the internal ALB from (an ENI in the VPC):
/// `VPC_LINK_CIDRS=10.0.1.0/24` names its subnet.
pub const VPC_LINK_ADDRESS: Ipv4Addr = Ipv4Addr::new(10, 0, 1, 25);
/// The address the simulated VPC Lattice connects to the ALB from: inside `169.254.171.0/24`, the
/// link-local range of the `com.amazonaws.<region>.vpc-lattice` managed prefix list.
pub const LATTICE_ADDRESS: Ipv4Addr = Ipv4Addr::new(169, 254, 171, 33);
/// The caller's VPC that the simulated VPC Lattice names in `x-amzn-lattice-network`.
pub const LATTICE_SOURCE_VPC: &str = "arn:aws:ec2:us-east-1:123456789012:vpc/vpc-0123456789abcdef0";

/// A front door that can stand in front of the local ALB, named as `--via` takes it.
///
/// ```
/// use clap::ValueEnum;
/// use local_alb::via::{FrontDoor, Hop};
/// let door = FrontDoor::from_str("cloudflare-cloudfront", false).unwrap();
/// assert_eq!(door.hops(), [Hop::Cloudflare, Hop::CloudFront]);
/// assert_eq!(door.to_string(), "cloudflare-cloudfront");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FrontDoor {
    /// Amazon CloudFront.
    #[value(name = "cloudfront")]
    CloudFront,
    /// Cloudflare.
    Cloudflare,
    /// Fastly.
    Fastly,
    /// Cloudflare in front of CloudFront.
    #[value(name = "cloudflare-cloudfront")]
    CloudflareCloudFront,
    /// API Gateway HTTP API, through a VPC link, to an internal ALB.
    #[value(name = "apigw-http")]
    ApiGatewayHttp,
    /// Cloudflare in front of an API Gateway HTTP API, then a VPC link.
    #[value(name = "cloudflare-apigw-http")]
    CloudflareApiGatewayHttp,
    /// CloudFront in front of an API Gateway HTTP API, then a VPC link.
    #[value(name = "cloudfront-apigw-http")]
    CloudFrontApiGatewayHttp,
    /// AWS Global Accelerator with client IP preservation off.
    GlobalAccelerator,
    /// Amazon VPC Lattice.
    Lattice,
}

/// One service on the way to the ALB: one rewrite, one source address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hop {
    /// Amazon CloudFront's edge.
    CloudFront,
    /// Cloudflare's edge.
    Cloudflare,
    /// Fastly's edge.
    Fastly,
    /// API Gateway HTTP API and its VPC link.
    ApiGatewayHttp,
    /// A Global Accelerator edge without client IP preservation.
    GlobalAccelerator,
    /// VPC Lattice.
    Lattice,
}

impl FrontDoor {
    /// The hops a request passes, the client's first.
    pub const fn hops(self) -> &'static [Hop] {
        match self {
            Self::CloudFront => &[Hop::CloudFront],
            Self::Cloudflare => &[Hop::Cloudflare],
            Self::Fastly => &[Hop::Fastly],
            Self::CloudflareCloudFront => &[Hop::Cloudflare, Hop::CloudFront],
            Self::ApiGatewayHttp => &[Hop::ApiGatewayHttp],
            Self::CloudflareApiGatewayHttp => &[Hop::Cloudflare, Hop::ApiGatewayHttp],
            Self::CloudFrontApiGatewayHttp => &[Hop::CloudFront, Hop::ApiGatewayHttp],
            Self::GlobalAccelerator => &[Hop::GlobalAccelerator],
            Self::Lattice => &[Hop::Lattice],
        }
    }

    /// The address the ALB sees the front door connect from: the last hop's.
    pub fn edge_address(self) -> IpAddr {
        self.hops()
            .last()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |hop| hop.source())
    }

    /// Rewrites `headers` as every hop does, in order, for a request from `client`, and returns
    /// the peer the ALB then sees: the last hop, connecting from its source with the client's
    /// port.
    pub fn forward(self, client: SocketAddr, headers: &mut HeaderMap) -> SocketAddr {
        let mut peer = SocketAddr::new(client.ip().to_canonical(), client.port());
        for hop in self.hops() {
            hop.rewrite(peer, headers);
            peer = SocketAddr::new(hop.source(), client.port());
        }
        peer
    }
}

impl std::fmt::Display for FrontDoor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use clap::ValueEnum as _;
        match self.to_possible_value() {
            Some(value) => f.write_str(value.get_name()),
            None => write!(f, "{self:?}"),
        }
    }
}

impl Hop {
    /// The bundled list this hop's source address comes from, if it has one.
    pub const fn preset(self) -> Option<Preset> {
        match self {
            Self::CloudFront => Some(Preset::CloudFront),
            Self::Cloudflare => Some(Preset::Cloudflare),
            Self::Fastly => Some(Preset::Fastly),
            Self::GlobalAccelerator => Some(Preset::GlobalAccelerator),
            Self::ApiGatewayHttp | Self::Lattice => None,
        }
    }

    /// The address the hop connects onwards from: the first host of its preset's first IPv4
    /// range, or [`VPC_LINK_ADDRESS`] and [`LATTICE_ADDRESS`].
    pub fn source(self) -> IpAddr {
        match self {
            Self::ApiGatewayHttp => IpAddr::V4(VPC_LINK_ADDRESS),
            Self::Lattice => IpAddr::V4(LATTICE_ADDRESS),
            _ => self
                .preset()
                .and_then(|preset| preset.nets().find(|net| net.addr().is_ipv4()))
                .and_then(|net| net.hosts().next())
                .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
        }
    }

    /// Rewrites `headers` as this hop does for a request from `peer`.
    pub fn rewrite(self, peer: SocketAddr, headers: &mut HeaderMap) {
        let ip = peer.ip();
        match self {
            Self::CloudFront => {
                append_forwarded_for(headers, ip);
                headers.remove("x-real-ip");
                set(
                    headers,
                    "cloudfront-viewer-address",
                    &format!("{ip}:{}", peer.port()),
                );
            }
            Self::Cloudflare => {
                append_forwarded_for(headers, ip);
                headers.remove("x-real-ip");
                set(headers, "cf-connecting-ip", &ip.to_string());
            }
            Self::Fastly => {
                append_forwarded_for(headers, ip);
                if !headers.contains_key("fastly-client-ip") {
                    set(headers, "fastly-client-ip", &ip.to_string());
                }
            }
            Self::ApiGatewayHttp => to_forwarded(headers, ip),
            Self::GlobalAccelerator => {}
            Self::Lattice => {
                append_forwarded_for(headers, ip);
                set(headers, "x-forwarded-for-port", &peer.port().to_string());
                set(headers, "x-forwarded-for-proto", "http");
                let forged: Vec<HeaderName> = headers
                    .keys()
                    .filter(|name| name.as_str().starts_with("x-amzn-lattice-"))
                    .cloned()
                    .collect();
                for name in forged {
                    headers.remove(name);
                }
                let network = format!("SourceVpcArn={LATTICE_SOURCE_VPC}");
                set(headers, "x-amzn-lattice-network", &network);
            }
        }
    }
}

/// Replaces every value of `name` with `value` (left alone if `value` cannot be a header value).
fn set(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(HeaderName::from_static(name), value);
    }
}

/// Joins the X-Forwarded-For lines with `,` and appends `ip`, as one line.
fn append_forwarded_for(headers: &mut HeaderMap, ip: IpAddr) {
    let mut chain: Vec<u8> = Vec::new();
    for value in headers.get_all("x-forwarded-for") {
        chain.extend_from_slice(value.as_bytes());
        chain.push(b',');
    }
    chain.extend_from_slice(ip.to_string().as_bytes());
    if let Ok(value) = HeaderValue::from_bytes(&chain) {
        headers.insert("x-forwarded-for", value);
    }
}

/// API Gateway HTTP API's conversion: X-Forwarded-For entries become `for=` elements after any
/// client-sent `Forwarded` ones, then `for=<ip>;host=<Host>;proto=http`; X-Forwarded-For goes.
fn to_forwarded(headers: &mut HeaderMap, ip: IpAddr) {
    let mut elements: Vec<String> = headers
        .get_all("forwarded")
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_owned())
        .filter(|v| !v.is_empty())
        .collect();
    for value in headers.get_all("x-forwarded-for") {
        let text = String::from_utf8_lossy(value.as_bytes());
        elements.extend(
            text.split(',')
                .map(str::trim)
                .filter(|e| !e.is_empty())
                .map(|e| format!("for={}", node(e))),
        );
    }
    let host = headers
        .get("host")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default();
    let mut own = format!("for={}", node(&ip.to_string()));
    if !host.is_empty() {
        own.push_str(";host=");
        own.push_str(&value(&host));
    }
    own.push_str(";proto=http");
    elements.push(own);
    headers.remove("x-forwarded-for");
    headers.remove("forwarded");
    set(headers, "forwarded", &elements.join(", "));
}

/// An RFC 7239 node: IPv4 bare, IPv6 as `"[v6]"`, anything else as a token or a quoted string.
fn node(entry: &str) -> String {
    match entry.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Ok(IpAddr::V6(v6)) => format!("\"[{v6}]\""),
        Err(_) => value(entry),
    }
}

/// An RFC 7239 value: the text as a token when it is one, otherwise quoted.
fn value(text: &str) -> String {
    let tchar = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if !text.is_empty() && text.chars().all(tchar) {
        return text.to_owned();
    }
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for c in text.chars() {
        if c == '"' || c == '\\' {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('"');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::ValueEnum;

    fn forward(
        door: FrontDoor,
        client: &str,
        sent: &[(&str, &str)],
    ) -> (SocketAddr, Vec<(String, String)>) {
        let mut headers = HeaderMap::new();
        for (name, value) in sent {
            headers.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        let peer = door.forward(client.parse().unwrap(), &mut headers);
        let mut seen: Vec<(String, String)> = headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned()))
            .collect();
        seen.sort();
        (peer, seen)
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    fn in_preset(preset: Preset, ip: IpAddr) -> bool {
        preset.nets().any(|net| net.contains(&ip))
    }

    /// Whether `ip` is an IPv4 address starting with `prefix` (whole octets).
    fn in_net(prefix: &[u8], ip: IpAddr) -> bool {
        matches!(ip, IpAddr::V4(v4) if v4.octets().starts_with(prefix))
    }

    fn edge(preset: Preset) -> String {
        let hop = [
            Hop::CloudFront,
            Hop::Cloudflare,
            Hop::Fastly,
            Hop::GlobalAccelerator,
        ]
        .into_iter()
        .find(|h| h.preset() == Some(preset))
        .unwrap();
        hop.source().to_string()
    }

    #[test]
    fn every_hop_connects_from_its_own_range() {
        for hop in [
            Hop::CloudFront,
            Hop::Cloudflare,
            Hop::Fastly,
            Hop::GlobalAccelerator,
        ] {
            let preset = hop.preset().unwrap();
            assert!(in_preset(preset, hop.source()), "{hop:?} {}", hop.source());
        }
        assert!(in_net(&[10], Hop::ApiGatewayHttp.source()));
        assert!(in_net(&[169, 254, 171], Hop::Lattice.source()));
        for door in FrontDoor::value_variants() {
            let last = door.hops().last().unwrap();
            assert_eq!(door.edge_address(), last.source(), "{door}");
        }
    }

    #[test]
    fn cloudfront_appends_sets_the_viewer_address_and_connects_from_its_range() {
        let (peer, seen) = forward(
            FrontDoor::CloudFront,
            "[2001:db8::7]:46532",
            &[
                ("x-forwarded-for", "1.2.3.4"),
                ("x-forwarded-for", "5.6.7.8"),
                ("cloudfront-viewer-address", "6.6.6.6:1"),
                ("cf-connecting-ip", "6.6.6.6"),
                ("x-real-ip", "6.6.6.6"),
            ],
        );
        assert_eq!(
            seen,
            pairs(&[
                // Forged, and passed through: CloudFront does not write it.
                ("cf-connecting-ip", "6.6.6.6"),
                ("cloudfront-viewer-address", "2001:db8::7:46532"),
                ("x-forwarded-for", "1.2.3.4,5.6.7.8,2001:db8::7"),
            ])
        );
        assert!(in_preset(Preset::CloudFront, peer.ip()), "{peer}");
    }

    #[test]
    fn cloudflare_sets_cf_connecting_ip() {
        let (peer, seen) = forward(
            FrontDoor::Cloudflare,
            "127.0.0.5:4000",
            &[("cf-connecting-ip", "6.6.6.6")],
        );
        assert_eq!(
            seen,
            pairs(&[
                ("cf-connecting-ip", "127.0.0.5"),
                ("x-forwarded-for", "127.0.0.5"),
            ])
        );
        assert!(in_preset(Preset::Cloudflare, peer.ip()), "{peer}");
        assert_eq!(peer.port(), 4000);
    }

    #[test]
    fn fastly_appends_and_sets_its_header_only_when_absent() {
        let (peer, seen) = forward(FrontDoor::Fastly, "127.0.0.5:4000", &[]);
        assert_eq!(
            seen,
            pairs(&[
                ("fastly-client-ip", "127.0.0.5"),
                ("x-forwarded-for", "127.0.0.5"),
            ])
        );
        assert!(in_preset(Preset::Fastly, peer.ip()), "{peer}");
        let (_, seen) = forward(
            FrontDoor::Fastly,
            "127.0.0.5:4000",
            &[
                ("fastly-client-ip", "6.6.6.6"),
                ("x-forwarded-for", "7.7.7.7"),
            ],
        );
        assert_eq!(
            seen,
            pairs(&[
                // A client-set value survives.
                ("fastly-client-ip", "6.6.6.6"),
                ("x-forwarded-for", "7.7.7.7,127.0.0.5"),
            ])
        );
    }

    #[test]
    fn cloudflare_then_cloudfront_puts_the_visitor_at_p2() {
        let (peer, seen) = forward(
            FrontDoor::CloudflareCloudFront,
            "127.0.0.5:4000",
            &[
                ("x-forwarded-for", "9.9.9.9"),
                ("cf-connecting-ip", "6.6.6.6"),
            ],
        );
        let cf = edge(Preset::Cloudflare);
        assert_eq!(
            seen,
            pairs(&[
                ("cf-connecting-ip", "127.0.0.5"),
                ("cloudfront-viewer-address", &format!("{cf}:4000")),
                ("x-forwarded-for", &format!("9.9.9.9,127.0.0.5,{cf}")),
            ])
        );
        assert!(in_preset(Preset::CloudFront, peer.ip()), "{peer}");
    }

    #[test]
    fn api_gateway_converts_x_forwarded_for_into_forwarded() {
        let (peer, seen) = forward(
            FrontDoor::ApiGatewayHttp,
            "[2001:db8::7]:4000",
            &[
                ("host", "api.example.com"),
                ("x-forwarded-for", "1.2.3.4, 2001:db8::1"),
                ("x-forwarded-for", "junk\"x"),
            ],
        );
        assert_eq!(
            seen,
            pairs(&[
                (
                    "forwarded",
                    r#"for=1.2.3.4, for="[2001:db8::1]", for="junk\"x", for="[2001:db8::7]";host=api.example.com;proto=http"#
                ),
                ("host", "api.example.com"),
            ])
        );
        assert!(in_net(&[10], peer.ip()), "{peer}");
        // A client's own Forwarded stays in front; a host with a port is quoted.
        let (_, seen) = forward(
            FrontDoor::ApiGatewayHttp,
            "127.0.0.5:4000",
            &[("host", "127.0.0.1:3001"), ("forwarded", "for=6.6.6.6")],
        );
        assert_eq!(
            seen,
            pairs(&[
                (
                    "forwarded",
                    r#"for=6.6.6.6, for=127.0.0.5;host="127.0.0.1:3001";proto=http"#
                ),
                ("host", "127.0.0.1:3001"),
            ])
        );
    }

    #[test]
    fn cloudflare_then_api_gateway_puts_the_visitor_one_element_left() {
        let (peer, seen) = forward(
            FrontDoor::CloudflareApiGatewayHttp,
            "127.0.0.5:4000",
            &[("host", "api.example.com")],
        );
        let cf = edge(Preset::Cloudflare);
        assert_eq!(
            seen,
            pairs(&[
                ("cf-connecting-ip", "127.0.0.5"),
                (
                    "forwarded",
                    &format!("for=127.0.0.5, for={cf};host=api.example.com;proto=http")
                ),
                ("host", "api.example.com"),
            ])
        );
        assert!(in_net(&[10], peer.ip()), "{peer}");
    }

    #[test]
    fn cloudfront_then_api_gateway_puts_the_viewer_one_element_left() {
        let (peer, seen) = forward(
            FrontDoor::CloudFrontApiGatewayHttp,
            "[2001:db8::7]:4000",
            &[("host", "api.example.com"), ("x-forwarded-for", "6.6.6.6")],
        );
        // API Gateway's last `for=` is CloudFront's origin-facing address, not the viewer.
        let cf = edge(Preset::CloudFront);
        assert_eq!(
            seen,
            pairs(&[
                ("cloudfront-viewer-address", "2001:db8::7:4000"),
                (
                    "forwarded",
                    &format!(
                        r#"for=6.6.6.6, for="[2001:db8::7]", for={cf};host=api.example.com;proto=http"#
                    )
                ),
                ("host", "api.example.com"),
            ])
        );
        assert!(in_net(&[10], peer.ip()), "{peer}");
    }

    #[test]
    fn global_accelerator_changes_nothing_but_the_peer() {
        let sent = [
            ("cf-connecting-ip", "6.6.6.6"),
            ("x-forwarded-for", "6.6.6.6"),
        ];
        let (peer, seen) = forward(FrontDoor::GlobalAccelerator, "127.0.0.5:4000", &sent);
        assert_eq!(seen, pairs(&sent));
        assert!(in_preset(Preset::GlobalAccelerator, peer.ip()), "{peer}");
        assert!(!in_preset(Preset::CloudFront, peer.ip()), "{peer}");
    }

    #[test]
    fn lattice_appends_names_the_vpc_and_drops_forged_identity_headers() {
        let (peer, seen) = forward(
            FrontDoor::Lattice,
            "127.0.0.5:4000",
            &[
                ("x-forwarded-for", "6.6.6.6"),
                ("x-amzn-lattice-network", "SourceVpcArn=forged"),
                ("x-amzn-lattice-identity", "Principal=forged"),
            ],
        );
        assert_eq!(
            seen,
            pairs(&[
                (
                    "x-amzn-lattice-network",
                    &format!("SourceVpcArn={LATTICE_SOURCE_VPC}")
                ),
                ("x-forwarded-for", "6.6.6.6,127.0.0.5"),
                ("x-forwarded-for-port", "4000"),
                ("x-forwarded-for-proto", "http"),
            ])
        );
        assert!(in_net(&[169, 254, 171], peer.ip()), "{peer}");
    }

    #[test]
    fn names() {
        let names: Vec<String> = FrontDoor::value_variants()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            names,
            [
                "cloudfront",
                "cloudflare",
                "fastly",
                "cloudflare-cloudfront",
                "apigw-http",
                "cloudflare-apigw-http",
                "cloudfront-apigw-http",
                "global-accelerator",
                "lattice",
            ]
        );
        assert_eq!(
            FrontDoor::from_str("CloudFront", true),
            Ok(FrontDoor::CloudFront)
        );
        assert!(FrontDoor::from_str("akamai", true).is_err());
    }
}
