//! The two errors: [`ResolveError`] (a request no address can be vouched for in) and
//! [`SourceError`] (a source refused when it is built). Each is an enum of refusal kinds whose
//! variants hold the offending values as types, so a caller can match on what went wrong.

use std::fmt;
use std::net::IpAddr;

use http::HeaderName;
use ipnet::IpNet;

use crate::preset::Preset;

/// Why no client address can be vouched for in this request, so it belongs in a 4xx answer, never
/// an invocation error. Each refusal is about the request as the source reads it: a source that
/// does not match the deployment (a count too high, ranges that hold the client's own network)
/// refuses every honest request with the same code, `chain_too_short` or `all_trusted`, and then
/// the setting, not the clients, is wrong (`Source::explain`, feature `explain`, shows which).
///
/// Owns its data (`'static`), so `?` carries it into any error type. Request text it quotes is
/// cut to 64 characters and written with its control characters escaped, so the message is safe
/// to log and to send back.
///
/// ```
/// use http::HeaderMap;
/// use lambda_client_ip::{Peer, ResolveError, Source};
///
/// let mut headers = HeaderMap::new();
/// headers.insert("x-forwarded-for", "192.0.2.1, unknown".parse()?);
/// let err = Source::default().resolve(&headers, Peer::Appended).unwrap_err();
/// assert!(matches!(&err, ResolveError::InvalidEntry { position: 0, .. }));
/// assert_eq!(err.code(), "invalid_entry");
/// assert_eq!(
///     err.to_string(),
///     r#"The x-forwarded-for entry at position 0 from the right ("unknown") is not a client's IP address."#
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum ResolveError {
    /// There is neither a forwarding chain nor a peer address.
    #[error("The request has no X-Forwarded-For header and no peer address is known.")]
    NoAddress,
    /// The chain holds fewer entries than a proxy count needs.
    #[error("The forwarding chain holds {entries} {} but the trusted proxy count needs at least {needed}.", if *entries == 1 { "address" } else { "addresses" })]
    ChainTooShort {
        /// Entries present, the peer included.
        entries: usize,
        /// Entries the count needs: the trusted proxies plus the client.
        needed: usize,
    },
    /// An entry the source had to read holds no address a client can have.
    #[error(
        "The {header} entry at position {position} from the right ({entry:?}) is not a client's IP address."
    )]
    InvalidEntry {
        /// The chain it stands in: `x-forwarded-for` or `forwarded`.
        header: HeaderName,
        /// Its position from the right, starting at 0.
        position: usize,
        /// The entry as received, trimmed and cut to 64 characters.
        entry: String,
    },
    /// Every entry is inside the trusted ranges, so none of them is the client.
    #[error(
        "Every address in the forwarding chain ({entries}) is a trusted proxy, so none of them is the client."
    )]
    AllTrusted {
        /// Entries present, the peer included.
        entries: usize,
    },
    /// The proxy that writes the single-address header delivered the request, but the header is
    /// missing (for `forwarded`: the request has no `Forwarded` header).
    #[error("The request came through the proxy that writes {header}, but has no {header} header.")]
    HeaderMissing {
        /// The header's name.
        header: HeaderName,
    },
    /// The single-address header appears more than once, or holds a list.
    #[error(
        "The {header} header must hold one address, but it appears more than once or holds a list."
    )]
    HeaderRepeated {
        /// The header's name.
        header: HeaderName,
    },
    /// The single-address header is empty or does not hold an address in its format.
    #[error(
        "The {header} header ({value:?}) does not hold a client's address in the form its proxy writes."
    )]
    HeaderInvalid {
        /// The header's name.
        header: HeaderName,
        /// The value as received, cut to 64 characters.
        value: String,
    },
    /// The single-address header names an address inside the trusted ranges: a proxy, never the
    /// client (behind two CDNs, the first one's edge).
    #[error("The {header} header names \"{address}\", a trusted proxy, not the client.")]
    HeaderTrusted {
        /// The header's name.
        header: HeaderName,
        /// The address it holds.
        address: IpAddr,
    },
    /// `CF-Connecting-IPv6`, read for a Pseudo IPv4, appears more than once or holds a list.
    #[error(
        "Cloudflare wrote a Pseudo IPv4 address for an IPv6 visitor, and the CF-Connecting-IPv6 header must hold that visitor's one address, but it appears more than once or holds a list."
    )]
    Ipv6HeaderRepeated,
    /// `CF-Connecting-IPv6`, read for a Pseudo IPv4, does not hold one IPv6 address a client can
    /// have.
    #[error(
        "Cloudflare wrote a Pseudo IPv4 address for an IPv6 visitor, but the CF-Connecting-IPv6 header ({value:?}) does not hold an IPv6 address a client can have."
    )]
    Ipv6HeaderInvalid {
        /// The value as received, cut to 64 characters.
        value: String,
    },
    /// Cloudflare delivered the request with a Pseudo IPv4 (class E) address in place of an IPv6
    /// visitor's, and no `CF-Connecting-IPv6` header holding the real one.
    #[error(
        "Cloudflare wrote the Pseudo IPv4 address \"{address}\" for an IPv6 visitor but sent no CF-Connecting-IPv6 header."
    )]
    PseudoIpv4 {
        /// The made-up address.
        address: IpAddr,
    },
}

impl ResolveError {
    /// A stable, machine-readable code, one per variant: `no_client_address`, `chain_too_short`,
    /// `invalid_entry`, `all_trusted`, `client_header_missing`, `client_header_repeated`,
    /// `client_header_invalid`, `client_header_trusted`, `pseudo_ipv4_without_ipv6`,
    /// `cf_connecting_ipv6_repeated` or `cf_connecting_ipv6_invalid`.
    ///
    /// ```
    /// use lambda_client_ip::{Peer, Source};
    /// let err = Source::default().resolve(&http::HeaderMap::new(), Peer::Appended).unwrap_err();
    /// assert_eq!(err.code(), "no_client_address");
    /// ```
    pub const fn code(&self) -> &'static str {
        match self {
            Self::NoAddress => "no_client_address",
            Self::ChainTooShort { .. } => "chain_too_short",
            Self::InvalidEntry { .. } => "invalid_entry",
            Self::AllTrusted { .. } => "all_trusted",
            Self::HeaderMissing { .. } => "client_header_missing",
            Self::HeaderRepeated { .. } => "client_header_repeated",
            Self::HeaderInvalid { .. } => "client_header_invalid",
            Self::HeaderTrusted { .. } => "client_header_trusted",
            Self::PseudoIpv4 { .. } => "pseudo_ipv4_without_ipv6",
            Self::Ipv6HeaderRepeated => "cf_connecting_ipv6_repeated",
            Self::Ipv6HeaderInvalid { .. } => "cf_connecting_ipv6_invalid",
        }
    }
}

/// Why a [`Source`](crate::Source) is refused: one kind of refusal per variant, holding the
/// values refused. Its message speaks of the constructor's arguments and names the fix;
/// `Source::from_lookup` (feature `env`) words the same refusal in its variables, as a
/// `SettingError`.
///
/// ```
/// use lambda_client_ip::{Preset, Source, SourceError};
/// let err = Source::header("cf-connecting-ip", "cloudfront".parse()?).unwrap_err();
/// assert!(matches!(&err, SourceError::WriterNotTrusted { cdn: Preset::Cloudflare, .. }));
/// assert!(err.to_string().starts_with(r#"The header "cf-connecting-ip" is written by cloudflare"#));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// The name is not an HTTP header name.
    NotAHeaderName {
        /// The name as given, cut to 64 characters.
        name: String,
    },
    /// The name misspells a header a proxy writes (`cf_connecting_ip`, `HTTP_X_REAL_IP`,
    /// `cf-conecting-ip`).
    Misspelled {
        /// The name as given, cut to 64 characters.
        name: String,
        /// The header meant.
        meant: HeaderName,
    },
    /// `x-forwarded-for` or `forwarded`: a chain, not a single-address header.
    Chain {
        /// The chain's name.
        header: HeaderName,
    },
    /// `Fastly-Client-IP`: Fastly keeps a value the client sent, so anyone can choose it.
    ClientWritable {
        /// The header's name.
        header: HeaderName,
    },
    /// `CF-Connecting-IPv6`: every source reads it for Cloudflare's Pseudo IPv4 addresses.
    PseudoIpv4Header,
    /// A single-address header with no trusted range: anyone who reaches the front door could
    /// write it.
    NoTrustedRange {
        /// The header's name.
        header: HeaderName,
    },
    /// A CDN's header, with none of that CDN's ranges among the trusted ones.
    WriterNotTrusted {
        /// The header's name.
        header: HeaderName,
        /// The CDN that writes it.
        cdn: Preset,
    },
    /// A header of your own proxy, with ranges of a CDN shared by all its customers, any of whom
    /// could send the header through it.
    SharedCdn {
        /// The header's name.
        header: HeaderName,
        /// The shared CDN.
        cdn: Preset,
    },
    /// [`VpcLink::Subnets`](crate::VpcLink::Subnets) with no range.
    NoVpcLinkSubnet,
    /// A name with a character other than ASCII letters, digits and hyphens: an ALB that drops
    /// invalid header fields (`routing.http.drop_invalid_header_fields.enabled`) drops the header,
    /// so it could never be read and every request would be refused.
    DroppedByAlb {
        /// The header's name.
        header: HeaderName,
        /// The name with hyphens for the characters the ALB refuses (`x-client-ip`).
        dashed: String,
    },
    /// A VPC link subnet overlapping a bundled list: a network shared by every customer of its
    /// provider (a CDN, or Global Accelerator's edges), any of whom could send a `Forwarded`
    /// through it that would be believed.
    VpcLinkShared {
        /// The list it overlaps.
        list: Preset,
        /// The list's published network it overlaps.
        net: IpNet,
    },
}

/// How a refusal names what was set: a typed constructor's arguments, or environment variables.
pub(crate) struct Words<'a> {
    /// The header as set: `The header "x-real-ip"`, or `CLIENT_IP_HEADER="X-Real-IP"`.
    pub(crate) set: &'a str,
    /// The trusted ranges: `the set of trusted ranges`, or `TRUSTED_PROXY_CIDRS="fastly"`.
    pub(crate) ranges: &'a str,
    /// What a header with no trusted range needs: `trusted ranges`, or `TRUSTED_PROXY_CIDRS to
    /// be set`.
    pub(crate) need_ranges: &'a str,
    /// How to read X-Forwarded-For instead.
    pub(crate) xff: &'a str,
    /// What comes before a header's name to read it instead.
    pub(crate) read_header: &'a str,
    /// What comes before a preset's name to trust it.
    pub(crate) trust: &'a str,
    /// The VPC link's subnets: `VpcLink::Subnets`, or `VPC_LINK_CIDRS`.
    pub(crate) link: &'a str,
}

const TYPED: Words<'static> = Words {
    set: "",
    ranges: "the set of trusted ranges",
    need_ranges: "trusted ranges",
    xff: "X-Forwarded-For (Source::x_forwarded_for)",
    read_header: "the header ",
    trust: "the preset ",
    link: "VpcLink::Subnets",
};

impl SourceError {
    /// The refusal in `words`, one sentence: its text in `source_errors.txt`, each `{name}` in it
    /// replaced by the phrase or the refused value of that name.
    pub(crate) fn write(&self, f: &mut fmt::Formatter<'_>, w: &Words<'_>) -> fmt::Result {
        let (key, values): (&str, &[(&str, &dyn fmt::Display)]) = match self {
            Self::NotAHeaderName { .. } => ("not-a-header-name", &[]),
            Self::Misspelled { meant, .. } => ("misspelled", &[("meant", meant)]),
            Self::Chain { .. } => ("chain", &[]),
            Self::ClientWritable { .. } => ("client-writable", &[]),
            Self::PseudoIpv4Header => ("pseudo-ipv4-header", &[]),
            Self::NoTrustedRange { .. } => ("no-trusted-range", &[]),
            Self::WriterNotTrusted { cdn, .. } => ("writer-not-trusted", &[("cdn", cdn)]),
            Self::SharedCdn { header, cdn } => match cdn.header() {
                Some((own, _)) => (
                    "shared-cdn-with-header",
                    &[("header", header), ("cdn", cdn), ("own", own)],
                ),
                None => ("shared-cdn", &[("header", header), ("cdn", cdn)]),
            },
            Self::NoVpcLinkSubnet => ("no-vpc-link-subnet", &[]),
            Self::DroppedByAlb { dashed, .. } => ("dropped-by-alb", &[("dashed", dashed)]),
            Self::VpcLinkShared { list, net } => {
                ("vpc-link-shared", &[("list", list), ("net", net)])
            }
        };
        let words: [(&str, &dyn fmt::Display); 7] = [
            ("set", &w.set),
            ("ranges", &w.ranges),
            ("need_ranges", &w.need_ranges),
            ("xff", &w.xff),
            ("read_header", &w.read_header),
            ("trust", &w.trust),
            ("link", &w.link),
        ];
        let mut lines = include_str!("source_errors.txt").lines();
        let sentence = lines.find_map(|line| line.strip_prefix(key)?.strip_prefix(": "));
        // Split at its braces, a sentence alternates text and names: text, name, text, …
        for (i, piece) in sentence.unwrap_or_default().split(['{', '}']).enumerate() {
            match values.iter().chain(&words).find(|(n, _)| *n == piece) {
                Some((_, value)) if i % 2 == 1 => value.fmt(f)?,
                _ => f.write_str(piece)?,
            }
        }
        Ok(())
    }
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let header = match self {
            Self::NotAHeaderName { name } | Self::Misspelled { name, .. } => name.as_str(),
            Self::Chain { header }
            | Self::ClientWritable { header }
            | Self::NoTrustedRange { header }
            | Self::WriterNotTrusted { header, .. }
            | Self::SharedCdn { header, .. }
            | Self::DroppedByAlb { header, .. } => header.as_str(),
            Self::PseudoIpv4Header => "cf-connecting-ipv6",
            Self::NoVpcLinkSubnet | Self::VpcLinkShared { .. } => "",
        };
        let set = format!("The header {header:?}");
        self.write(f, &Words { set: &set, ..TYPED })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_has_its_sentence_with_every_name_filled() {
        let known = "set ranges need_ranges xff read_header trust link meant cdn header own dashed list net";
        for line in include_str!("source_errors.txt").lines() {
            let names = line.split(['{', '}']).skip(1).step_by(2);
            for name in names.filter(|_| !line.starts_with('#')) {
                assert!(known.split(' ').any(|k| k == name), "{name}: {line}");
            }
        }
        let (h, name) = (
            || HeaderName::from_static("x-real-ip"),
            || "x_real_ip".to_owned(),
        );
        let mut every = vec![
            SourceError::NotAHeaderName { name: name() },
            SourceError::Misspelled {
                name: name(),
                meant: h(),
            },
            SourceError::Chain { header: h() },
            SourceError::ClientWritable { header: h() },
            SourceError::PseudoIpv4Header,
            SourceError::NoTrustedRange { header: h() },
            SourceError::NoVpcLinkSubnet,
            SourceError::DroppedByAlb {
                header: h(),
                dashed: name(),
            },
        ];
        // Each list, with a header of its own and without.
        for cdn in Preset::ALL {
            let net = "10.0.0.0/8".parse().unwrap();
            every.push(SourceError::WriterNotTrusted { header: h(), cdn });
            every.push(SourceError::SharedCdn { header: h(), cdn });
            every.push(SourceError::VpcLinkShared { list: cdn, net });
        }
        for error in every {
            let message = error.to_string();
            let found = ["The header \"", "VpcLink::Subnets "].map(|s| message.starts_with(s));
            assert!(found.contains(&true), "{error:?}: {message}");
            assert!(
                message.ends_with('.') && !message.contains(['{', '}']),
                "{message}"
            );
        }
    }
}
