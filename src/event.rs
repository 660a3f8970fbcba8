//! The invocation payload: what the answer reads from it, and why it refuses the rest.
//!
//! The handler takes the payload raw (any JSON the Lambda runtime hands over), so that nothing is
//! refused before the handler can answer: a payload we cannot read becomes an HTTP 400, never a
//! runtime error the ALB would turn into a bare 502. [`Request::read`] then reads only the fields
//! the answer depends on, with serde derive:
//!
//! - `headers` (name → string) and `multiValueHeaders` (name → array of strings): every value must have
//!   that type, or the event is refused; a header map that is not what the ALB builds means we
//!   cannot say who built the chain in it. `null` in place of a map counts as no map (API Gateway
//!   REST sends `"headers": null`).
//! - `requestContext.identity.sourceIp` (API Gateway REST) and `requestContext.http.sourceIp`
//!   (HTTP API, Function URLs): strings when present. An ALB event carries neither.
//! - Everything else (`body`, `path`, the query, …) is skipped whatever its type or content: it
//!   cannot change the answer. Who may invoke the function at all is decided by IAM.
//!
//! Refused as `malformed_event`: a payload that is not a JSON object; an object the answer reads
//! given as an array; a field the answer reads, at any level, given twice (also when the first
//! copy is `null`: JSON leaves the meaning of a repeated key open, and picking one would be a
//! guess); an empty X-Forwarded-For list in `multiValueHeaders` (that is not "no header").
//! Refused as `conflicting_headers`: a header the answer reads (`x-forwarded-for`, `user-agent`)
//! twice in one map, in any spelling; X-Forwarded-For in both maps that disagree. Both maps (as
//! API Gateway REST and some test tools send) are used when the single value equals the
//! multi-value list's last item, which is how both are filled from one request.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

/// What the answer depends on, read from a well-formed event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    /// Every X-Forwarded-For value, in order. Empty when the request had none.
    pub forwarded_for: Vec<String>,
    /// Every value of the configured client header (`CLIENT_IP_HEADER`), in order, when one is
    /// configured. Read by the same rules as X-Forwarded-For.
    pub client_header: Vec<String>,
    /// The source address the event itself carries, if any (never present in ALB events).
    pub source_ip: Option<String>,
    /// The `user-agent` header starts with `ELB-HealthChecker/`.
    pub health_checker: bool,
    /// The `x-amzn-trace-id` header, for the log line.
    pub trace_id: Option<String>,
}

/// Why a payload is not an event we can answer from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Malformed {
    /// The payload is not a JSON object.
    NotAnObject,
    /// The object does not have the shape of an event: serde's reason.
    Shape(String),
    /// A header the answer reads appears twice in one map, in any case.
    RepeatedHeader(String),
    /// A field of `requestContext` the answer reads appears twice.
    RepeatedField(String),
    /// `multiValueHeaders` holds an empty list for a header the answer reads.
    EmptyList(String),
    /// A header the answer reads is given in both header maps, and the copies disagree.
    ConflictingMaps(String),
}

impl Malformed {
    /// A stable, machine-readable code.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::RepeatedHeader(_) | Self::ConflictingMaps(_) => "conflicting_headers",
            _ => "malformed_event",
        }
    }
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const PREFIX: &str = "The payload is not an event this function understands";
        match self {
            Self::NotAnObject => write!(f, "{PREFIX}: it is not a JSON object."),
            // serde's reason may quote the request: escaped like every request value.
            Self::Shape(reason) => write!(f, "{PREFIX}: {}.", Printable(reason)),
            Self::RepeatedHeader(name) => {
                let name = Printable(name);
                write!(f, "The event carries the header {name:?} twice in one map.")
            }
            Self::RepeatedField(name) => {
                write!(
                    f,
                    "{PREFIX}: requestContext holds {:?} twice.",
                    Printable(name)
                )
            }
            Self::EmptyList(name) => {
                write!(
                    f,
                    "{PREFIX}: multiValueHeaders holds an empty {:?} list.",
                    Printable(name)
                )
            }
            Self::ConflictingMaps(name) => write!(
                f,
                "The event carries {:?} in both header maps and the copies disagree.",
                Printable(name)
            ),
        }
    }
}

/// Request text on its way out of the process (a message, a log line): control characters
/// (C0, C1, DEL, U+2028, U+2029, …) escaped by `std`'s `escape_debug`, cut to 128 characters.
/// Everything the function writes that came from a request goes through this, once.
pub struct Printable<'a>(pub &'a str);

impl fmt::Display for Printable<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const LIMIT: usize = 128;
        for c in self.0.chars().take(LIMIT) {
            write!(f, "{}", c.escape_debug())?;
        }
        if self.0.chars().nth(LIMIT).is_some() {
            f.write_str("…")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Printable<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

/// The event's shape, as far as the answer reads it. serde derive refuses a field given twice.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Payload {
    #[serde(default)]
    headers: Option<Object<String>>,
    #[serde(default)]
    multi_value_headers: Option<Object<Vec<String>>>,
    #[serde(default)]
    request_context: Option<Object<Box<RawValue>>>,
}

/// A header map, or another JSON object the answer reads into, with every entry kept in order.
/// Derive cannot say either rule this keeps: a map type would keep one of two entries whose names
/// differ only in case (or are equal) and lose the other without a word, and a derived struct
/// also reads itself from a JSON array, by position. So this is the one hand-written visitor,
/// and it accepts a JSON object only.
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
    /// The one value of `name` (any case); two entries for it are refused with `repeated`.
    fn one(&self, name: &str, repeated: fn(String) -> Malformed) -> Result<Option<&V>, Malformed> {
        let mut found = self.0.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name));
        match (found.next(), found.next()) {
            (Some(_), Some((second, _))) => Err(repeated(second.clone())),
            (first, None) => Ok(first.map(|(_, v)| v)),
            (None, Some(_)) => Ok(None),
        }
    }
}

/// `requestContext.<door>.sourceIp`: API Gateway REST puts it under `identity`, HTTP APIs and
/// Function URLs under `http`. `null` anywhere on the way means absent.
fn source_ip(context: &Object<Box<RawValue>>, door: &str) -> Result<Option<String>, Malformed> {
    let within = |path: &str, e: serde_json::Error| Malformed::Shape(format!("{path}: {e}"));
    let Some(raw) = context.one(door, Malformed::RepeatedField)? else {
        return Ok(None);
    };
    let fields: Option<Object<Box<RawValue>>> = serde_json::from_str(raw.get())
        .map_err(|e| within(&format!("requestContext.{door}"), e))?;
    let Some(raw) = fields
        .as_ref()
        .map(|f| f.one("sourceIp", Malformed::RepeatedField))
        .transpose()?
        .flatten()
    else {
        return Ok(None);
    };
    serde_json::from_str(raw.get())
        .map_err(|e| within(&format!("requestContext.{door}.sourceIp"), e))
}

/// Every value of header `name` (lower-case; matched in any case), in order, from either map or
/// both: the multi-value list when the single value equals its last item, as when both are
/// filled from one request.
fn values(
    single: &Object<String>,
    multi: &Object<Vec<String>>,
    name: &str,
) -> Result<Vec<String>, Malformed> {
    match (
        single.one(name, Malformed::RepeatedHeader)?,
        multi.one(name, Malformed::RepeatedHeader)?,
    ) {
        (_, Some(list)) if list.is_empty() => Err(Malformed::EmptyList(name.to_owned())),
        (Some(value), Some(list)) if list.last() != Some(value) => {
            Err(Malformed::ConflictingMaps(name.to_owned()))
        }
        (_, Some(list)) => Ok(list.clone()),
        (Some(value), None) => Ok(vec![value.clone()]),
        (None, None) => Ok(Vec::new()),
    }
}

impl Request {
    /// Reads what the answer needs from a raw payload; `client_header` is the configured header
    /// to read besides X-Forwarded-For, lower-case.
    pub fn read(payload: &RawValue, client_header: Option<&str>) -> Result<Self, Malformed> {
        if !payload.get().trim_start().starts_with('{') {
            return Err(Malformed::NotAnObject);
        }
        // The path (`headers.accept: invalid type…`) says which field is wrong; the crate is
        // already linked, since lambda_runtime reads payloads with it.
        let mut json = serde_json::Deserializer::from_str(payload.get());
        let payload: Payload = serde_path_to_error::deserialize(&mut json)
            .map_err(|e| Malformed::Shape(e.to_string()))?;
        let single = payload.headers.unwrap_or(Object(Vec::new()));
        let multi = payload.multi_value_headers.unwrap_or(Object(Vec::new()));

        let forwarded_for = values(&single, &multi, "x-forwarded-for")?;
        let client_header = match client_header {
            Some(name) => values(&single, &multi, name)?,
            None => Vec::new(),
        };
        let user_agent = match (
            single.one("user-agent", Malformed::RepeatedHeader)?,
            multi.one("user-agent", Malformed::RepeatedHeader)?,
        ) {
            (Some(value), _) => Some(value.as_str()),
            (None, Some(list)) => list.last().map(String::as_str),
            (None, None) => None,
        };
        let trace_id = match (
            single.one("x-amzn-trace-id", Malformed::RepeatedHeader),
            multi.one("x-amzn-trace-id", Malformed::RepeatedHeader),
        ) {
            (Ok(Some(value)), _) => Some(value.clone()),
            (_, Ok(Some(list))) => list.last().cloned(),
            _ => None,
        };
        let source_ip = match payload.request_context {
            Some(context) => match source_ip(&context, "identity")? {
                Some(ip) => Some(ip),
                None => source_ip(&context, "http")?,
            },
            None => None,
        };
        Ok(Self {
            forwarded_for,
            client_header,
            source_ip,
            health_checker: user_agent.is_some_and(|ua| ua.starts_with("ELB-HealthChecker/")),
            trace_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(json: &str) -> Result<Request, Malformed> {
        let raw: Box<RawValue> = serde_json::from_str(json).unwrap();
        Request::read(&raw, Some("cf-connecting-ip"))
    }

    #[test]
    fn reads_what_the_answer_needs() {
        let got = read(
            r#"{"headers": {"X-Forwarded-For": "192.0.2.1", "user-agent": "ELB-HealthChecker/2.0",
                "x-amzn-trace-id": "Root=1-x"}, "body": {"any": [1e999]}, "path": 5}"#,
        )
        .unwrap();
        assert_eq!(got.forwarded_for, ["192.0.2.1"]);
        assert!(got.health_checker);
        assert_eq!(got.trace_id.as_deref(), Some("Root=1-x"));
        let got = read(r#"{"requestContext": {"http": {"sourceIp": "192.0.2.9:4431"}}}"#).unwrap();
        assert_eq!(got.source_ip.as_deref(), Some("192.0.2.9:4431"));
        let got = read(r#"{"headers": null, "multiValueHeaders": null}"#).unwrap();
        assert_eq!(got, Request::default());
    }

    #[test]
    fn refusals() {
        let cases = [
            ("Fail: not an object", "[]", "malformed_event"),
            ("Fail: a number", "5", "malformed_event"),
            (
                "Fail: non-string header",
                r#"{"headers": {"a": 5}}"#,
                "malformed_event",
            ),
            (
                "Fail: lone surrogate in a header",
                r#"{"headers": {"a": "\ud800"}}"#,
                "malformed_event",
            ),
            (
                "Fail: headers twice",
                r#"{"headers": {}, "headers": {}}"#,
                "malformed_event",
            ),
            (
                "Fail: headers twice, first null",
                r#"{"headers": null, "headers": {}}"#,
                "malformed_event",
            ),
            (
                "Fail: sourceIp twice",
                r#"{"requestContext": {"identity": {"sourceIp": "192.0.2.1", "sourceIp": "192.0.2.2"}}}"#,
                "malformed_event",
            ),
            (
                "Fail: two spellings of X-Forwarded-For",
                r#"{"headers": {"x-forwarded-for": "192.0.2.1", "X-Forwarded-For": "192.0.2.2"}}"#,
                "conflicting_headers",
            ),
            (
                "Fail: empty multi-value list",
                r#"{"multiValueHeaders": {"x-forwarded-for": []}}"#,
                "malformed_event",
            ),
            (
                "Fail: the two maps disagree",
                r#"{"headers": {"x-forwarded-for": "192.0.2.1"}, "multiValueHeaders": {"x-forwarded-for": ["192.0.2.2"]}}"#,
                "conflicting_headers",
            ),
        ];
        for (case, json, code) in cases {
            assert_eq!(read(json).map_err(|e| e.code()), Err(code), "{case}");
        }
    }

    #[test]
    fn both_maps_agreeing_give_the_multi_value_list() {
        let got = read(
            r#"{"headers": {"x-forwarded-for": "192.0.2.2"},
                "multiValueHeaders": {"x-forwarded-for": ["192.0.2.1", "192.0.2.2"]}}"#,
        )
        .unwrap();
        assert_eq!(got.forwarded_for, ["192.0.2.1", "192.0.2.2"]);
    }

    #[test]
    fn messages_escape_request_text() {
        let quoting =
            read(r#"{"multiValueHeaders": {"a": "\u001b[31m\u2028\u0085"}}"#).unwrap_err();
        let made_up = Malformed::Shape("bad \u{1b}[31m\u{2028} value\r\n".into());
        for err in [quoting, made_up] {
            let msg = err.to_string();
            assert!(
                !msg.chars().any(|c| c.is_control() || c == '\u{2028}'),
                "{msg:?}"
            );
        }
    }
}
