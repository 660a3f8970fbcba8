//! Addresses as proxies write them into X-Forwarded-For, each with the address and port it
//! stands for (worked out from how it was written, never by parsing it), and text that is no
//! address by construction. The writing is plain functions ([`write_v4`], [`write_v6`]), shared
//! by the proptest strategies here and the fuzz crate's `arbitrary` entries.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// What an entry must parse to: the canonical address and the port, or `None` when it is no
/// client's address.
pub type Meaning = Option<(IpAddr, Option<u16>)>;

/// An entry as bytes, and what it must parse to.
#[derive(Clone, PartialEq, Eq)]
pub struct Entry {
    /// The entry as written.
    pub bytes: Vec<u8>,
    /// What it must parse to.
    pub want: Meaning,
}

impl Entry {
    /// The entry as text; panics when it is not UTF-8 (only [`invalid_bytes`] makes those).
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.bytes).expect("a text entry")
    }
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "b\"{}\" => {:?}", self.bytes.escape_ascii(), self.want)
    }
}

/// `ip` as a canonical answer writes it: IPv4-mapped IPv6 is IPv4.
pub fn canonical(ip: IpAddr) -> IpAddr {
    ip.to_canonical()
}

/// IPv4 class E, 240.0.0.0 to 255.255.255.255 (broadcast included), in either form.
pub fn class_e(ip: IpAddr) -> bool {
    matches!(canonical(ip), IpAddr::V4(a) if a.octets()[0] >= 240)
}

/// The address a canonical answer gives for `ip`, or `None` when no TCP client can have it: the
/// census's rows with no client, written out here apart from it: "this network" 0.0.0.0/8, the
/// unspecified `::`, multicast, class E and discard-only 100::/64 (RFC 6666) are no client's.
pub fn meant(ip: IpAddr) -> Option<IpAddr> {
    let ip = canonical(ip);
    let no_client = match ip {
        IpAddr::V4(a) => a.octets()[0] == 0 || a.is_multicast() || class_e(ip),
        IpAddr::V6(a) => {
            a.is_unspecified() || a.is_multicast() || a.segments()[..4] == [0x100, 0, 0, 0]
        }
    };
    (!no_client).then_some(ip)
}

/// IPv4 as a proxy writes it, with a port or not.
pub fn write_v4(a: Ipv4Addr, port: Option<u16>) -> (String, Meaning) {
    let text = match port {
        Some(p) => format!("{a}:{p}"),
        None => a.to_string(),
    };
    let want = meant(IpAddr::V4(a)).filter(|_| port != Some(0));
    (text, want.map(|ip| (ip, port)))
}

/// How an IPv6 address is written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct V6Form {
    /// All eight groups, uncompressed.
    pub full: bool,
    /// Upper-case hex digits.
    pub upper: bool,
    /// A zone (`%eth0`); the entry means an address only when the zone is 1 to 64 RFC 6874
    /// unreserved characters.
    pub zone: Option<String>,
    /// In brackets, and then with this port or not (a port is written only in brackets).
    pub bracket: Option<Option<u16>>,
}

/// IPv6 written in `form`.
pub fn write_v6(a: Ipv6Addr, form: &V6Form) -> (String, Meaning) {
    let mut text = if form.full {
        let s = a.segments();
        format!(
            "{:x}:{:x}:{:x}:{:x}:{:x}:{:x}:{:x}:{:x}",
            s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]
        )
    } else {
        a.to_string()
    };
    if form.upper {
        text = text.to_uppercase();
    }
    let mut valid = true;
    if let Some(z) = &form.zone {
        let unreserved = |c: char| c.is_ascii_alphanumeric() || "-._~".contains(c);
        valid &= !z.is_empty() && z.len() <= 64 && z.chars().all(unreserved);
        text = format!("{text}%{z}");
    }
    let mut port = None;
    if let Some(p) = form.bracket {
        text = format!("[{text}]");
        if let Some(p) = p {
            text = format!("{text}:{p}");
            valid &= p != 0;
            port = Some(p);
        }
    }
    let want = meant(IpAddr::V6(a)).filter(|_| valid).map(|ip| (ip, port));
    (text, want)
}

/// Text that is no client's address however it is read: each is refused by the entry parser, and
/// each can stand in a header value.
pub const NOT_ADDRESSES: &[&str] = &[
    "",
    "unknown",
    "_hidden",
    "evil.example",
    "２０３.0.113.9",
    "\u{202e}203.0.113.9",
    "\u{2028}",
    "\u{85}",
    "0.0.0.0",
    "::",
    "224.0.0.1",
    "255.255.255.255",
    "240.0.0.1",
    "[2001:db8::1",
    "203.0.113.9:0",
    "203.0.113.9:65536",
    "fe80::1%\"}",
];

/// Text that is no address and that no header value can hold: ASCII control characters (an
/// event can carry them).
pub const CONTROL_TEXT: &[&str] = &["\u{1b}[31m"];

#[cfg(feature = "proptest")]
pub use strategies::*;

#[cfg(feature = "proptest")]
mod strategies {
    use super::*;

    use proptest::collection::vec;
    use proptest::prelude::*;
    use proptest::sample::{Index, select};

    /// A small pool of IPv4 addresses, so that repeats and trusted entries are common.
    pub fn pool_v4() -> impl Strategy<Value = Ipv4Addr> + Clone {
        prop_oneof![
            any::<[u8; 4]>().prop_map(Ipv4Addr::from),
            (0u8..4, 0u8..4).prop_map(|(a, b)| Ipv4Addr::new(10, 0, a, b)),
            (0u8..4).prop_map(|b| Ipv4Addr::new(192, 0, 2, b)),
        ]
    }

    /// A small pool of IPv6 addresses, IPv4-mapped ones and loopback among them.
    pub fn pool_v6() -> impl Strategy<Value = Ipv6Addr> + Clone {
        prop_oneof![
            any::<u128>().prop_map(Ipv6Addr::from),
            (0u16..4).prop_map(|b| Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, b)),
            pool_v4().prop_map(|a| a.to_ipv6_mapped()),
            Just(Ipv6Addr::LOCALHOST),
        ]
    }

    /// Any address, from the pools.
    pub fn address() -> impl Strategy<Value = IpAddr> + Clone {
        prop_oneof![
            pool_v4().prop_map(IpAddr::V4),
            pool_v6().prop_map(IpAddr::V6)
        ]
    }

    /// An address from anywhere (almost never inside small trusted networks).
    pub fn anywhere() -> impl Strategy<Value = IpAddr> + Clone {
        prop_oneof![
            any::<u32>().prop_map(|a| IpAddr::V4(a.into())),
            any::<u128>().prop_map(|a| IpAddr::V6(a.into())),
        ]
    }

    /// An address a TCP client can have (the answer side of a generated chain).
    pub fn client_address() -> impl Strategy<Value = IpAddr> + Clone {
        address().prop_filter_map("no client's address", meant)
    }

    /// Up to two spaces or tabs. (Built from characters: a regex strategy is parsed each time it
    /// is made, and `written` makes its strategies once per entry.)
    pub fn blanks() -> impl Strategy<Value = String> {
        vec(select(vec![' ', '\t']), 0..=2).prop_map(String::from_iter)
    }

    /// An IPv6 zone: 1 to 10 RFC 6874 unreserved characters.
    pub fn zone() -> impl Strategy<Value = String> {
        let unreserved: Vec<char> = ('a'..='z')
            .chain('A'..='Z')
            .chain('0'..='9')
            .chain("._~-".chars())
            .collect();
        vec(select(unreserved), 1..=10).prop_map(String::from_iter)
    }

    /// How IPv6 is written: compressed or in full, either case, a zone one time in five, in
    /// brackets with or without a port.
    pub fn v6_form() -> impl Strategy<Value = V6Form> {
        (
            any::<bool>(),
            any::<bool>(),
            prop::option::weighted(0.2, zone()),
            prop::option::of(prop::option::of(1u16..=65535)),
        )
            .prop_map(|(full, upper, zone, bracket)| V6Form {
                full,
                upper,
                zone,
                bracket,
            })
    }

    /// `ip` written as a proxy might write it: IPv4 plain, with a port or IPv4-mapped; IPv6 in
    /// any [`v6_form`]. Spaces and tabs around it.
    pub fn written(ip: IpAddr) -> impl Strategy<Value = Entry> {
        let text_and_want = match ip {
            IpAddr::V4(a) => prop_oneof![
                3 => prop::option::of(1u16..=65535).prop_map(move |port| write_v4(a, port)),
                1 => v6_form().prop_map(move |f| write_v6(a.to_ipv6_mapped(), &f)),
            ]
            .boxed(),
            IpAddr::V6(a) => v6_form().prop_map(move |f| write_v6(a, &f)).boxed(),
        };
        (text_and_want, blanks(), blanks()).prop_map(|((text, want), l, r)| Entry {
            bytes: format!("{l}{text}{r}").into_bytes(),
            want,
        })
    }

    /// An address from the pools, written as a proxy might write it (UTF-8 text).
    pub fn valid() -> impl Strategy<Value = Entry> {
        address().prop_flat_map(written)
    }

    /// Text that is no address, by construction, every one of which can stand in a header
    /// value: [`invalid_with`] the suffixes U+0085, U+00A0 and U+2028.
    pub fn invalid_text() -> impl Strategy<Value = Entry> {
        invalid_with(&["\u{85}", "\u{a0}", "\u{2028}"])
    }

    /// [`invalid_text`], with the ASCII control characters a header value cannot hold (an event
    /// can carry them; the function replaces them with U+FFFD): [`CONTROL_TEXT`] among the
    /// [`NOT_ADDRESSES`], and control characters as suffixes.
    pub fn invalid_controls() -> impl Strategy<Value = Entry> {
        let texts = [NOT_ADDRESSES, CONTROL_TEXT].concat();
        let suffixes = [
            "\r\n",
            "\u{0}",
            "\u{b}",
            "\u{1b}[31m",
            "\u{85}",
            "\u{a0}",
            "\u{2028}",
        ];
        invalid_among(texts, suffixes.to_vec())
    }

    /// [`invalid_controls`], and one time in four an entry with a byte that is not UTF-8: every
    /// kind of entry that is no address, for the entry parser on its own.
    pub fn invalid_anywhere() -> impl Strategy<Value = Entry> {
        prop_oneof![3 => invalid_controls(), 1 => not_utf8()]
    }

    /// Text that is no address: the [`NOT_ADDRESSES`], names, malformed addresses, and an address
    /// followed by one of `suffixes`.
    pub fn invalid_with(suffixes: &[&'static str]) -> impl Strategy<Value = Entry> {
        invalid_among(NOT_ADDRESSES.to_vec(), suffixes.to_vec())
    }

    fn invalid_among(
        texts: Vec<&'static str>,
        suffixes: Vec<&'static str>,
    ) -> impl Strategy<Value = Entry> {
        let v4 = any::<[u8; 4]>().prop_map(Ipv4Addr::from);
        let v6 = any::<u128>().prop_map(Ipv6Addr::from);
        prop_oneof![
            select(texts).prop_map(str::to_owned),
            (
                vec(select(('a'..='z').collect::<Vec<_>>()), 1..=10),
                select(vec!["com", "internal"])
            )
                .prop_map(|(name, tld)| format!("{}.{tld}", String::from_iter(name))),
            (1u8..=99, any::<[u8; 3]>())
                .prop_map(|(a, r)| format!("0{a}.{}.{}.{}", r[0], r[1], r[2])),
            any::<[u8; 3]>().prop_map(|o| format!("{}.{}.{}", o[0], o[1], o[2])),
            (v4.clone(), 65536u32..1_000_000).prop_map(|(a, p)| format!("{a}:{p}")),
            v4.clone().prop_map(|a| format!("{a}:0")),
            v4.clone().prop_map(|a| format!("{a}:+80")),
            v4.clone().prop_map(|a| format!("[{a}]")),
            v4.clone().prop_map(|a| format!("{a} :80")),
            v4.clone().prop_map(|a| format!("{a}/24")),
            v4.clone().prop_map(|a| format!("\"{a}\"")),
            (v4, select(suffixes)).prop_map(|(a, c)| format!("{a}{c}")),
            v6.clone().prop_map(|a| format!("[{a}")),
            v6.clone().prop_map(|a| format!("{a}]")),
            v6.clone().prop_map(|a| format!("[{a}]x")),
            v6.clone().prop_map(|a| format!("[{a}]:80:80")),
            v6.clone().prop_map(|a| format!("{a}%")),
            v6.clone().prop_map(|a| format!("{a}%a b")),
            v6.clone().prop_map(|a| format!("{a}%../../etc")),
            v6.prop_map(|a| format!("{a}%{}", "z".repeat(65))),
        ]
        .prop_map(|text: String| Entry {
            bytes: text.into_bytes(),
            want: None,
        })
    }

    /// [`invalid_text`], and one time in four an entry with a byte that is not UTF-8 (which only
    /// a `HeaderMap`, never a JSON event, can carry).
    pub fn invalid_bytes() -> impl Strategy<Value = Entry> {
        prop_oneof![3 => invalid_text(), 1 => not_utf8()]
    }

    /// A [`valid`] entry with one byte of 0x80 or above inserted somewhere: never UTF-8 (a
    /// continuation byte with no lead, or a lead byte with no continuation), so no address.
    pub fn not_utf8() -> impl Strategy<Value = Entry> {
        (valid(), any::<Index>(), 0x80u8..=0xff).prop_map(|(e, at, byte)| {
            let mut bytes = e.bytes;
            bytes.insert(at.index(bytes.len() + 1), byte);
            Entry { bytes, want: None }
        })
    }
}
