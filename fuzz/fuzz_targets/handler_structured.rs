//! The whole handler on structured events: JSON built from the fuzzer's bytes, so that the input
//! gets past the JSON parser and reaches the header maps, the request context and the resolver,
//! with right and wrong types, odd header spellings and plausible chains.
//!
//! The source is fuzzed too (X-Forwarded-For, Forwarded or a single-address header, by count or
//! by ranges, presets among them), and explain mode is on or off.
//!
//! Oracles: the response has the documented shape (`check_response`, explain member included); a
//! client address is always one that appears in the event (in a header the source may read, or
//! the source address), never invented; a health-check answer never hides an X-Forwarded-For.
#![no_main]

use std::net::IpAddr;

use alb_client_ip::config::Config;
use alb_client_ip::handler::handle_bytes;
use alb_client_ip_fuzz::{Answer, Entry, SourceInput, check_response, line};
use arbitrary::Arbitrary;
use lambda_client_ip::parse_entry;
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value, json};

#[derive(Arbitrary, Debug)]
enum Json {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

impl Json {
    fn value(&self, depth: u8) -> Value {
        if depth > 6 {
            return Value::Null;
        }
        match self {
            Self::Null => Value::Null,
            Self::Bool(b) => json!(b),
            Self::Int(i) => json!(i),
            Self::Float(f) => json!(f),
            Self::Str(s) => json!(s),
            Self::Arr(a) => Value::Array(a.iter().map(|j| j.value(depth + 1)).collect()),
            Self::Obj(o) => Value::Object(
                o.iter()
                    .map(|(k, v)| (k.clone(), v.value(depth + 1)))
                    .collect(),
            ),
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Name {
    /// X-Forwarded-For, its letters' case flipped by the bits.
    ForwardedFor(u16),
    Underscored,
    UserAgent,
    TraceId,
    Forwarded,
    CfConnectingIp,
    CfConnectingIpv6,
    ViewerAddress,
    RealIp,
    Other(String),
}

impl Name {
    fn render(&self) -> String {
        match self {
            Self::ForwardedFor(bits) => "x-forwarded-for"
                .chars()
                .enumerate()
                .map(|(i, c)| {
                    if (bits >> (i % 16)) & 1 == 1 {
                        c.to_ascii_uppercase()
                    } else {
                        c
                    }
                })
                .collect(),
            Self::Underscored => "x_forwarded_for".into(),
            Self::UserAgent => "user-agent".into(),
            Self::TraceId => "x-amzn-trace-id".into(),
            Self::Forwarded => "Forwarded".into(),
            Self::CfConnectingIp => "cf-connecting-ip".into(),
            Self::CfConnectingIpv6 => "CF-Connecting-IPv6".into(),
            Self::ViewerAddress => "cloudfront-viewer-address".into(),
            Self::RealIp => "x-real-ip".into(),
            Self::Other(s) => s.clone(),
        }
    }
}

#[derive(Arbitrary, Debug)]
enum HeaderValue {
    Lines(Vec<(Vec<Entry>, bool)>),
    HealthChecker,
    Text(String),
    Json(Json),
}

impl HeaderValue {
    fn value(&self, multi: bool) -> Value {
        match self {
            Self::Lines(lines) => {
                let lines: Vec<String> = lines.iter().map(|(e, t)| line(e, *t)).collect();
                if multi {
                    json!(lines)
                } else {
                    json!(lines.join(", "))
                }
            }
            Self::HealthChecker if multi => json!(["ELB-HealthChecker/2.0"]),
            Self::HealthChecker => json!("ELB-HealthChecker/2.0"),
            Self::Text(s) if multi => json!([s]),
            Self::Text(s) => json!(s),
            Self::Json(j) => j.value(1),
        }
    }
}

#[derive(Arbitrary, Debug)]
enum HeaderMap {
    Null,
    Wrong(Json),
    Map(Vec<(Name, HeaderValue)>),
}

impl HeaderMap {
    fn value(&self, multi: bool) -> Value {
        match self {
            Self::Null => Value::Null,
            Self::Wrong(j) => j.value(1),
            Self::Map(items) => Value::Object(
                items
                    .iter()
                    .map(|(n, v)| (n.render(), v.value(multi)))
                    .collect(),
            ),
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Source {
    Entry(Entry),
    Json(Json),
}

#[derive(Arbitrary, Debug)]
enum Context {
    Elb,
    Identity(Source),
    Http(Source),
    Wrong(Json),
}

#[derive(Arbitrary, Debug)]
struct Input {
    source: SourceInput,
    explain: bool,
    headers: Option<HeaderMap>,
    multi: Option<HeaderMap>,
    context: Option<Context>,
    extra: Vec<(String, Json)>,
}

impl Input {
    fn event(&self) -> Value {
        let mut top = Map::new();
        for (k, v) in &self.extra {
            top.insert(k.clone(), v.value(1));
        }
        if let Some(h) = &self.headers {
            top.insert("headers".into(), h.value(false));
        }
        if let Some(h) = &self.multi {
            top.insert("multiValueHeaders".into(), h.value(true));
        }
        let source = |s: &Source| match s {
            Source::Entry(e) => json!({ "sourceIp": e.render() }),
            Source::Json(j) => json!({ "sourceIp": j.value(2) }),
        };
        if let Some(c) = &self.context {
            let ctx = match c {
                Context::Elb => {
                    json!({"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:x"}})
                }
                Context::Identity(s) => json!({ "identity": source(s) }),
                Context::Http(s) => json!({ "http": source(s) }),
                Context::Wrong(j) => j.value(1),
            };
            top.insert("requestContext".into(), ctx);
        }
        Value::Object(top)
    }
}

/// The addresses a piece of header text holds: each token between separators
/// (`,;="` and blanks) parsed as an entry, and as `ip:port` with the port taken off (the
/// unbracketed IPv6 form of CloudFront-Viewer-Address).
fn addresses(text: &str, out: &mut Vec<IpAddr>) {
    let separators = |c: char| matches!(c, ',' | ';' | '=' | '"' | ' ' | '\t');
    for token in text.split(separators) {
        out.extend(parse_entry(token.as_bytes()).map(|(ip, _port)| ip));
        if let Some((host, _port)) = token.rsplit_once(':') {
            out.extend(parse_entry(host.as_bytes()).map(|(ip, _port)| ip));
        }
    }
}

/// Every address the event could justify: those in each string value of a header any source may
/// read (under any spelling), and the source addresses; and whether X-Forwarded-For is there.
fn candidates(event: &Value) -> (Vec<IpAddr>, bool) {
    let mut found = Vec::new();
    let mut any_forwarded_for = false;
    for map in ["headers", "multiValueHeaders"] {
        let Some(Value::Object(h)) = event.get(map) else {
            continue;
        };
        for (name, v) in h {
            let list: Vec<&str> = match v {
                Value::String(s) => vec![s.as_str()],
                Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                _ => vec![],
            };
            if name.eq_ignore_ascii_case("x-forwarded-for") && !list.is_empty() {
                any_forwarded_for = true;
            }
            for s in list {
                addresses(s, &mut found);
            }
        }
    }
    for holder in ["identity", "http"] {
        if let Some(s) = event
            .get("requestContext")
            .and_then(|c| c.get(holder))
            .and_then(|h| h.get("sourceIp"))
            .and_then(Value::as_str)
        {
            found.extend(parse_entry(s.as_bytes()).map(|(ip, _port)| ip));
        }
    }
    (found, any_forwarded_for)
}

fuzz_target!(|input: Input| {
    let event = input.event();
    let bytes = serde_json::to_vec(&event).expect("a Value serializes");
    let config = Config {
        source: input.source.source(),
        explain: input.explain,
    };
    let response = handle_bytes(&config, &bytes).expect("a JSON payload gets a response");
    let answer = check_response(&response);
    let (found, any_forwarded_for) = candidates(&event);
    match answer {
        Answer::Client(addr) => {
            let addr: IpAddr = addr.parse().expect("the contract checked it");
            assert!(found.contains(&addr), "{addr} invented from {event}");
        }
        Answer::Healthy => assert!(!any_forwarded_for, "health answer despite a chain: {event}"),
        Answer::Refused(_) => {}
    }
});
