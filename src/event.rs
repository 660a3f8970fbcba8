//! The invocation payload: what the answer reads from it, and why it refuses the rest.
//!
//! The handler takes the payload raw (any JSON the Lambda runtime hands over), so that nothing is
//! refused before the handler can answer: a payload we cannot read becomes an HTTP 400, never a
//! runtime error the ALB would turn into a bare 502. [`Request::read`] reads, with serde derive:
//!
//! - `headers` (name → string) and `multiValueHeaders` (name → array of strings): every value must
//!   have that type, or the event is refused. `null` in place of a map counts as no map (API
//!   Gateway REST sends `"headers": null`). They become one `http::HeaderMap`. A name that is not
//!   an HTTP header name is another header than the one it imitates, so it is left out; in a
//!   value, a byte HTTP forbids (CR, LF and the other ASCII controls) becomes U+FFFD, which keeps
//!   every comma, and so every position, where it was, and which no address contains.
//! - `requestContext.identity.sourceIp` (API Gateway REST) and `requestContext.http.sourceIp`
//!   (HTTP API, Function URLs): an IP address when present (`null` is absent), `ip:port` accepted. An ALB event
//!   carries neither; with one, the library's [`Peer::AppendedAndReported`] applies.
//! - Everything else (`body`, `path`, the query, …) is skipped whatever its type or content.
//!
//! Refused as `malformed_event`: a payload that is not a JSON object; an object the answer reads
//! given as an array or with a value of the wrong type; a `sourceIp` given twice or that is not an
//! address; an empty list in `multiValueHeaders` for a header the answer reads. Refused as
//! `conflicting_headers`: a header the answer reads twice in one map, in any spelling (JSON leaves
//! the meaning of a repeated key open), or in both maps with copies that disagree. Both maps (as
//! API Gateway REST and some test tools send) are used when the single value equals the
//! multi-value list's last item, which is how both are filled from one request.

use std::fmt;

use aws_lambda_events::http::{HeaderMap, HeaderName, HeaderValue};
use lambda_client_ip::{Peer, parse_entry};
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::printable;

/// A refusal: a stable code and one sentence, request text escaped.
pub type Refused = (&'static str, String);

/// What the answer reads from an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Every header, single- and multi-value, as one map.
    pub headers: HeaderMap,
    /// The peer the event's front door implies.
    pub peer: Peer,
}

#[derive(serde::Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Payload {
    headers: Option<Object<String>>,
    multi_value_headers: Option<Object<Vec<String>>>,
    request_context: Option<Object<Box<RawValue>>>,
}

/// A JSON object's entries in order, repeats kept: a derived map would silently keep one of two
/// copies of a key, where the rules above refuse them. The one visitor derive cannot replace.
struct Object<V>(Vec<(String, V)>);

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Object<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entries<V>(std::marker::PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for Entries<V> {
            type Value = Object<V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(Object(entries))
            }
        }
        deserializer.deserialize_map(Entries(std::marker::PhantomData))
    }
}

impl<V> Object<V> {
    /// The values named `name`, in any case.
    fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a V> {
        let named = self
            .0
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name));
        named.map(|(_, v)| v)
    }
}

const TWICE: &str = "twice, or in both header maps with copies that disagree";

fn conflict(name: &HeaderName) -> Refused {
    let message = format!("The event carries the header {:?} {TWICE}.", name.as_str());
    ("conflicting_headers", message)
}

fn malformed(reason: &str) -> Refused {
    let reason = printable(reason, 128);
    let message = format!("The payload is not an event this function understands: {reason}.");
    ("malformed_event", message)
}

impl Request {
    /// Reads an event; `strict` names the headers the answer reads, whose repeats are refused.
    pub fn read(payload: &RawValue, strict: &[&str]) -> Result<Self, Refused> {
        if !payload.get().trim_start().starts_with('{') {
            return Err(malformed("it is not a JSON object"));
        }
        // serde_path_to_error names the field that is wrong (`headers.accept: invalid type…`).
        let mut json = serde_json::Deserializer::from_str(payload.get());
        let payload: Payload =
            serde_path_to_error::deserialize(&mut json).map_err(|e| malformed(&e.to_string()))?;
        let single = payload.headers.unwrap_or(Object(vec![]));
        let multi = payload.multi_value_headers.unwrap_or(Object(vec![]));
        let mut headers = HeaderMap::new();
        let names = single.0.iter().map(|(n, _)| n);
        for name in names.chain(multi.0.iter().map(|(n, _)| n)) {
            let Ok(key) = HeaderName::from_bytes(name.as_bytes()) else {
                continue;
            };
            let (ones, lists): (Vec<_>, Vec<_>) =
                (single.all(name).collect(), multi.all(name).collect());
            let values: Vec<&String> = match (ones.as_slice(), lists.as_slice()) {
                _ if headers.contains_key(&key) => continue,
                (_, [list, ..]) if !strict.contains(&key.as_str()) => list.iter().collect(),
                (ones, []) if !strict.contains(&key.as_str()) => ones.to_vec(),
                ([_, _, ..], _) | (_, [_, _, ..]) => return Err(conflict(&key)),
                (_, [list]) if list.is_empty() => {
                    return Err(malformed(&format!("{key} is an empty list")));
                }
                ([one], [list]) if list.last() != Some(one) => return Err(conflict(&key)),
                (_, [list]) => list.iter().collect(),
                (ones, []) => ones.to_vec(),
            };
            let forbidden = |c: char| c.is_ascii_control() && c != '\t';
            let replaced = values.iter().map(|v| v.replace(forbidden, "\u{fffd}"));
            for value in replaced.filter_map(|v| HeaderValue::from_bytes(v.as_bytes()).ok()) {
                headers.append(&key, value);
            }
        }
        let mut reported = None;
        let context = payload.request_context.unwrap_or(Object(vec![]));
        let doors = context
            .0
            .iter()
            .filter(|(d, _)| d == "identity" || d == "http");
        for (door, raw) in doors {
            let shape = |e: &dyn fmt::Display| malformed(&format!("requestContext.{door}: {e}"));
            let fields: Option<Object<Box<RawValue>>> =
                serde_json::from_str(raw.get()).map_err(|e| shape(&e))?;
            let found: Vec<_> = fields.iter().flat_map(|f| f.all("sourceIp")).collect();
            if context.all(door).nth(1).is_some() || found.len() > 1 {
                return Err(shape(&"given twice"));
            }
            for raw in found {
                let text: Option<String> =
                    serde_json::from_str(raw.get()).map_err(|e| shape(&e))?;
                let Some(text) = text else { continue }; // null: absent
                let ip = parse_entry(text.as_bytes())
                    .ok_or_else(|| shape(&"sourceIp is not an address"))?;
                if reported.replace(ip.0).is_some() {
                    return Err(shape(&"a second sourceIp"));
                }
            }
        }
        let peer = reported.map_or(Peer::Appended, Peer::AppendedAndReported);
        Ok(Self { headers, peer })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(json: &str) -> Result<Request, Refused> {
        let raw: Box<RawValue> = serde_json::from_str(json).unwrap();
        Request::read(&raw, &["x-forwarded-for", "user-agent"])
    }

    #[test]
    fn headers_of_both_maps_become_one_map_and_source_ip_the_peer() {
        let got = read(
            r#"{"headers": {"X-Forwarded-For": "192.0.2.1", "accept": "a"},
            "multiValueHeaders": {"x-forwarded-for": ["192.0.2.9", "192.0.2.1"], "b": ["1", "2"]},
            "requestContext": {"requestId": "x", "http": {"sourceIp": "192.0.2.7:4431"}}}"#,
        )
        .unwrap();
        let xff: Vec<&[u8]> = got
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .map(|v| v.as_bytes())
            .collect();
        assert_eq!(xff, [&b"192.0.2.9"[..], b"192.0.2.1"]);
        assert_eq!(got.headers.get_all("b").iter().count(), 2);
        assert_eq!(
            got.peer,
            Peer::AppendedAndReported("192.0.2.7".parse().unwrap())
        );
        let got = read(r#"{"headers": null, "requestContext": {"identity": {"sourceIp": null}}}"#);
        assert_eq!(got.unwrap().peer, Peer::Appended);
    }

    #[test]
    fn control_characters_become_replacement_characters_and_keep_every_comma() {
        let got =
            read(r#"{"headers": {"x-forwarded-for": "6.6.6.6\r\n, 192.0.2.1\u0000"}}"#).unwrap();
        let value = got.headers.get("x-forwarded-for").unwrap().as_bytes();
        assert_eq!(
            value,
            "6.6.6.6\u{fffd}\u{fffd}, 192.0.2.1\u{fffd}".as_bytes()
        );
    }

    #[test]
    fn refusals() {
        let cases = [
            ("Fail: not an object", "[]", "malformed_event"),
            (
                "Fail: a non-string header",
                r#"{"headers": {"a": 5}}"#,
                "malformed_event",
            ),
            (
                "Fail: a read header twice",
                r#"{"headers": {"x-forwarded-for": "1.1.1.1", "X-Forwarded-For": "2.2.2.2"}}"#,
                "conflicting_headers",
            ),
            (
                "Fail: maps that disagree",
                r#"{"headers": {"user-agent": "a"}, "multiValueHeaders": {"user-agent": ["b"]}}"#,
                "conflicting_headers",
            ),
            (
                "Fail: an empty list",
                r#"{"multiValueHeaders": {"x-forwarded-for": []}}"#,
                "malformed_event",
            ),
            (
                "Fail: sourceIp not an address",
                r#"{"requestContext": {"identity": {"sourceIp": "a"}}}"#,
                "malformed_event",
            ),
            (
                "Fail: sourceIp twice",
                r#"{"requestContext": {"identity": {"sourceIp": "192.0.2.1", "sourceIp": "192.0.2.2"}}}"#,
                "malformed_event",
            ),
            (
                "Fail: sourceIp in two doors",
                r#"{"requestContext": {"identity": {"sourceIp": "192.0.2.1"}, "http": {"sourceIp": "192.0.2.2"}}}"#,
                "malformed_event",
            ),
        ];
        for (case, json, code) in cases {
            assert_eq!(read(json).map(|_| ()).unwrap_err().0, code, "{case}");
        }
        let unread_twice = r#"{"headers": {"accept": "a", "Accept": "b"}}"#;
        assert!(
            read(unread_twice).is_ok(),
            "headers the answer does not read are not checked"
        );
    }
}
