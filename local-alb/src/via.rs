//! A CDN hop in front of the ALB (`--via cloudfront`, `--via cloudflare`): requests that arrive on
//! the edge listener are rewritten as the CDN rewrites them, then reach the ALB from an address
//! inside the CDN's bundled range preset, as if the CDN had connected.
//!
//! What each CDN does to a viewer request, as far as the client address goes:
//! - CloudFront appends the viewer's address to X-Forwarded-For (no space after the comma),
//!   sets `CloudFront-Viewer-Address` to `ip:port` (IPv6 unbracketed) and removes `X-Real-IP`;
//!   a viewer's own `CloudFront-Viewer-Address` is replaced.
//! - Cloudflare appends the visitor's address the same way and sets `CF-Connecting-IP`,
//!   replacing a visitor's own.
//!
//! Requests to the ALB's own listeners go around the CDN: whatever they forge, the ALB appends
//! their real address, which is the path a caller who bypasses the CDN takes.

use std::fmt;
use std::net::{IpAddr, SocketAddr};

use hyper::HeaderMap;
use hyper::header::{HeaderName, HeaderValue};
use lambda_client_ip::Preset;

/// A CDN that can stand in front of the local ALB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cdn {
    /// Amazon CloudFront.
    CloudFront,
    /// Cloudflare.
    Cloudflare,
}

impl Cdn {
    /// The CDN by its preset's name (`cloudfront`, `cloudflare`).
    pub fn parse(name: &str) -> Option<Self> {
        match name.parse::<Preset>().ok()? {
            Preset::CloudFront => Some(Self::CloudFront),
            Preset::Cloudflare => Some(Self::Cloudflare),
            _ => None,
        }
    }

    /// The bundled list of the addresses this CDN connects to origins from.
    pub fn preset(self) -> Preset {
        match self {
            Self::CloudFront => Preset::CloudFront,
            Self::Cloudflare => Preset::Cloudflare,
        }
    }

    /// The address the simulated edge connects to the ALB from: the first host of the preset's
    /// first IPv4 range.
    pub fn edge_address(self) -> IpAddr {
        self.preset()
            .nets()
            .find(|net| net.addr().is_ipv4())
            .and_then(|net| net.hosts().next())
            .unwrap_or(IpAddr::from([0, 0, 0, 0]))
    }

    /// The header this CDN writes the client's address in.
    fn client_header(self) -> HeaderName {
        HeaderName::from_static(match self {
            Self::CloudFront => "cloudfront-viewer-address",
            Self::Cloudflare => "cf-connecting-ip",
        })
    }

    /// Rewrites `headers` as the CDN does for a request from `client`, and returns the peer the
    /// ALB then sees: the edge, connecting from `edge_address` with the client's port.
    pub fn forward(self, client: SocketAddr, headers: &mut HeaderMap) -> SocketAddr {
        let ip = client.ip().to_canonical();
        let mut chain: Vec<u8> = Vec::new();
        for value in headers.get_all("x-forwarded-for") {
            chain.extend_from_slice(value.as_bytes());
            chain.push(b',');
        }
        chain.extend_from_slice(ip.to_string().as_bytes());
        let written = match self {
            Self::CloudFront => format!("{ip}:{}", client.port()),
            Self::Cloudflare => ip.to_string(),
        };
        headers.remove("x-forwarded-for");
        headers.remove("x-real-ip");
        if let Ok(value) = HeaderValue::from_bytes(&chain) {
            headers.insert("x-forwarded-for", value);
        }
        if let Ok(value) = HeaderValue::from_str(&written) {
            headers.insert(self.client_header(), value);
        }
        SocketAddr::new(self.edge_address(), client.port())
    }
}

impl fmt::Display for Cdn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.preset().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forward(
        cdn: Cdn,
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
        let peer = cdn.forward(client.parse().unwrap(), &mut headers);
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

    #[test]
    fn cloudfront_appends_sets_the_viewer_address_and_connects_from_its_range() {
        let (peer, seen) = forward(
            Cdn::CloudFront,
            "[2001:db8::7]:46532",
            &[
                ("x-forwarded-for", "1.2.3.4"),
                ("x-forwarded-for", "5.6.7.8"),
                ("cloudfront-viewer-address", "6.6.6.6:1"),
                ("x-real-ip", "6.6.6.6"),
            ],
        );
        assert_eq!(
            seen,
            pairs(&[
                ("cloudfront-viewer-address", "2001:db8::7:46532"),
                ("x-forwarded-for", "1.2.3.4,5.6.7.8,2001:db8::7"),
            ])
        );
        assert!(Preset::CloudFront.ranges().contains(peer.ip()), "{peer}");
    }

    #[test]
    fn cloudflare_sets_cf_connecting_ip() {
        let (peer, seen) = forward(
            Cdn::Cloudflare,
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
        assert!(Preset::Cloudflare.ranges().contains(peer.ip()), "{peer}");
        assert_eq!(peer.port(), 4000);
    }

    #[test]
    fn names() {
        assert_eq!(Cdn::parse("CloudFront"), Some(Cdn::CloudFront));
        assert_eq!(Cdn::parse("akamai"), None);
        assert_eq!(Cdn::Cloudflare.to_string(), "cloudflare");
    }
}
