//! Shared pieces of the fuzz targets: turning fuzzer bytes into trust policies and plausible
//! X-Forwarded-For entries, and the oracles every answer must satisfy.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use alb_client_ip::config::Config;
use alb_client_ip::handler::handle_bytes;
use arbitrary::Arbitrary;
use ipnet::IpNet;
use lambda_client_ip::{ProxyCount, TrustPolicy, TrustedRanges, parse_entry};
use serde_json::error::Category;

/// Any trust policy the resolver can be given: a count (0 to 30) or any set of ranges. A range
/// `TrustedRanges` refuses (`/0`, host bits, all of IPv4-mapped space) is left out, so every
/// input still gives a policy.
#[derive(Arbitrary, Debug, Clone)]
pub enum PolicyInput {
    /// A hop count, taken modulo 31.
    Count(u8),
    /// Trusted networks.
    Ranges(Vec<NetInput>),
}

/// One trusted network.
#[derive(Arbitrary, Debug, Clone)]
pub struct NetInput {
    v6: bool,
    bits: u128,
    prefix: u8,
}

impl NetInput {
    fn net(&self) -> IpNet {
        let net = if self.v6 {
            IpNet::new(IpAddr::V6(Ipv6Addr::from(self.bits)), self.prefix % 129)
        } else {
            IpNet::new(
                IpAddr::V4(Ipv4Addr::from(self.bits as u32)),
                self.prefix % 33,
            )
        };
        net.map(|n| n.trunc())
            .unwrap_or_else(|_| IpNet::from(IpAddr::V4(Ipv4Addr::LOCALHOST)))
    }
}

impl PolicyInput {
    /// The policy.
    pub fn policy(&self) -> TrustPolicy {
        match self {
            Self::Count(n) => TrustPolicy::Count(ProxyCount::new(n % 31).unwrap_or_default()),
            Self::Ranges(nets) => {
                let accepted = nets
                    .iter()
                    .map(NetInput::net)
                    .filter(|&net| TrustedRanges::new([net]).is_ok());
                let ranges = TrustedRanges::new(accepted).expect("each range is accepted alone");
                TrustPolicy::Ranges(ranges)
            }
        }
    }
}

/// One entry of a chain: either arbitrary text or an address in one of the forms proxies write,
/// so that the fuzzer reaches the interesting paths without having to guess an address.
#[derive(Arbitrary, Debug, Clone)]
pub enum Entry {
    /// Anything at all.
    Raw(String),
    /// IPv4, optionally with a port.
    V4([u8; 4], Option<u16>),
    /// IPv6 in some spelling: bracketed or not, upper case or not, with a zone, with a port.
    V6 {
        /// The address.
        addr: [u8; 16],
        /// Bracketed (then a port may follow).
        bracket: bool,
        /// Upper case.
        upper: bool,
        /// A zone id (any text).
        zone: Option<String>,
        /// A port (only written when bracketed).
        port: Option<u16>,
    },
    /// An address of a small fixed pool, so that repeats and trusted hits are common.
    Pool(u8),
    /// A piece of padding: spaces and tabs around the next entry.
    Padded(u8, Box<Entry>),
}

const POOL: [&str; 8] = [
    "10.0.0.1",
    "192.0.2.1",
    "2001:db8::1",
    "::ffff:10.0.0.1",
    "127.0.0.1",
    "0.0.0.0",
    "unknown",
    "",
];

impl Entry {
    /// The entry as text.
    pub fn render(&self) -> String {
        match self {
            Self::Raw(s) => s.clone(),
            Self::V4(o, port) => {
                let ip = Ipv4Addr::from(*o);
                match port {
                    Some(p) => format!("{ip}:{p}"),
                    None => ip.to_string(),
                }
            }
            Self::V6 {
                addr,
                bracket,
                upper,
                zone,
                port,
            } => {
                let mut s = Ipv6Addr::from(*addr).to_string();
                if *upper {
                    s = s.to_uppercase();
                }
                if let Some(z) = zone {
                    s = format!("{s}%{z}");
                }
                if *bracket {
                    s = format!("[{s}]");
                    if let Some(p) = port {
                        s = format!("{s}:{p}");
                    }
                }
                s
            }
            Self::Pool(i) => POOL[usize::from(*i) % POOL.len()].to_owned(),
            Self::Padded(n, inner) => {
                let pad: String = (0..n % 4)
                    .map(|i| if (n >> (i + 2)) & 1 == 0 { ' ' } else { '\t' })
                    .collect();
                format!("{pad}{}{pad}", inner.render())
            }
        }
    }
}

/// Joins entries as one header line, with the separators proxies use (", " or ",").
pub fn line(entries: &[Entry], tight: bool) -> String {
    let sep = if tight { "," } else { ", " };
    entries
        .iter()
        .map(Entry::render)
        .collect::<Vec<_>>()
        .join(sep)
}

/// What a response said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// 200 with a client address.
    Client(IpAddr),
    /// 200 health check.
    Healthy,
    /// 400 with this error code.
    Refused(String),
}

fn has_null(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::Null => true,
        serde_json::Value::Array(a) => a.iter().any(has_null),
        serde_json::Value::Object(o) => o.values().any(has_null),
        _ => false,
    }
}

/// The function on raw payload bytes, as the Lambda runtime runs it: the response bytes, or
/// `None` when the runtime would refuse the payload before the handler (it is not JSON; the ALB
/// answers 502). Panics when anything else fails, JSON refused for its content included.
pub fn invoke(config: &Config, payload: &[u8]) -> Option<Vec<u8>> {
    match handle_bytes(config, payload) {
        Ok(response) => Some(response),
        Err(e) => {
            let not_json = matches!(e.classify(), Category::Syntax | Category::Eof);
            assert!(not_json, "the handler failed on a payload: {e}");
            None
        }
    }
}

/// The oracle for every function response: valid JSON of the ALB response shape, status 200 or
/// 400 with the matching description, both header maps holding exactly the JSON content type and
/// `no-store`, no `null` anywhere, and a JSON body that says one of the three documented things.
/// Panics (a fuzz finding) otherwise.
pub fn check_response(bytes: &[u8]) -> Answer {
    let v: serde_json::Value = serde_json::from_slice(bytes).expect("response is JSON");
    assert!(!has_null(&v), "response holds a null: {v}");
    let status = v["statusCode"].as_u64().expect("statusCode is a number");
    let want_desc = match status {
        200 => "200 OK",
        400 => "400 Bad Request",
        other => panic!("status {other} is neither 200 nor 400"),
    };
    assert_eq!(v["statusDescription"], want_desc);
    assert_eq!(v["isBase64Encoded"], false);
    let fixed =
        serde_json::json!({"content-type": "application/json", "cache-control": "no-store"});
    assert_eq!(v["headers"], fixed, "headers: {v}");
    let multi =
        serde_json::json!({"content-type": ["application/json"], "cache-control": ["no-store"]});
    assert_eq!(v["multiValueHeaders"], multi, "multiValueHeaders: {v}");
    let body: serde_json::Value =
        serde_json::from_str(v["body"].as_str().expect("body is a string")).expect("body is JSON");
    assert!(!has_null(&body), "body holds a null: {body}");
    match status {
        200 => {
            if let Some(ip) = body.get("client_ip") {
                let text = ip.as_str().expect("client_ip is a string");
                let (addr, port) = parse_entry(text.as_bytes()).expect("client_ip parses");
                assert_eq!(port, None, "client_ip carries no port: {text}");
                assert_eq!(addr.to_string(), text, "client_ip is canonical");
                Answer::Client(addr)
            } else {
                assert_eq!(body["status"], "healthy", "200 body: {body}");
                Answer::Healthy
            }
        }
        _ => {
            let code = body["error"].as_str().expect("error code is a string");
            assert!(body["message"].is_string(), "400 body: {body}");
            Answer::Refused(code.to_owned())
        }
    }
}
