//! The invocation payload: what the handler reads from it, and why it refuses the rest.
//!
//! [`Event`] deserializes from **any** JSON value without failing, so a payload we do not
//! understand becomes an HTTP 400 answer instead of a runtime deserialization error (which the ALB
//! would turn into a bare 502). It reads only the fields the answer depends on, in one pass,
//! copying only the values it keeps:
//!
//! - `headers` (name → string) and `multiValueHeaders` (name → [string]): every value must have
//!   the documented type, in every header, or the event is refused: a header map that is not what
//!   the ALB builds means we cannot say who built the chain in it.
//! - `requestContext.identity.sourceIp` (API Gateway REST) and `requestContext.http.sourceIp`
//!   (HTTP API, Function URLs): strings when present.
//! - A JSON `null` in place of a map counts as an absent map (API Gateway REST sends
//!   `"headers": null` when there are none); `null` where a string is needed is refused.
//! - Fields the answer never reads (`body`, `path`, the query…) are skipped whatever their type:
//!   they cannot change the answer, and who may invoke the function at all is decided by IAM, not
//!   by the shape of the event.
//!
//! X-Forwarded-For may arrive in `headers` (single-value mode) or `multiValueHeaders` (multi-value
//! mode). When both carry it, as API Gateway REST and some test tools do, the multi-value list is
//! the complete one and is used if the single value equals its last item (which is how both are
//! filled from one request); any other combination, and the same header under two spellings in
//! one map, is refused as `conflicting_headers`: the ALB never produces it, and picking one would
//! be a guess.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// What the answer depends on, read from a well-formed event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fields {
    /// Every X-Forwarded-For value, in order. Empty when the request had none.
    pub forwarded_for: Vec<String>,
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
    /// A field has the wrong JSON type.
    WrongType {
        /// Where, as a dotted path (`headers.user-agent`).
        field: String,
        /// What it should be.
        expected: &'static str,
    },
    /// A top-level field we read appears twice.
    DuplicateField(&'static str),
    /// X-Forwarded-For is given more than once in ways that disagree.
    ConflictingForwardedFor,
}

impl Malformed {
    /// A stable, machine-readable code.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::ConflictingForwardedFor => "conflicting_headers",
            _ => "malformed_event",
        }
    }
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::WrongType { field, expected } => write!(
                f,
                "The payload is not an event this function understands: {} must be {expected}.",
                crate::client_ip::shorten(field)
            ),
            Self::DuplicateField(name) => write!(
                f,
                "The payload is not an event this function understands: {name} appears twice."
            ),
            Self::ConflictingForwardedFor => f.write_str(
                "The event carries X-Forwarded-For more than once and the copies disagree.",
            ),
        }
    }
}

/// An invocation payload: either the fields we need or the reason it cannot be answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event(pub Result<Fields, Malformed>);

impl Event {
    /// Reads an event from JSON bytes. Bytes that are not JSON at all are reported as malformed
    /// (the Lambda runtime never hands us such a payload; local tools might).
    pub fn from_slice(bytes: &[u8]) -> Self {
        serde_json::from_slice(bytes).unwrap_or_else(|_| {
            Self(Err(Malformed::WrongType {
                field: "the payload".into(),
                expected: "a JSON object",
            }))
        })
    }
}

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TopVisitor).map(Event)
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers shared by the visitors: each returns `Ok(Err(Malformed))` for a wrong type after
// consuming the value, so the surrounding map can still be read to its end.

fn wrong(field: impl Into<String>, expected: &'static str) -> Malformed {
    Malformed::WrongType {
        field: field.into(),
        expected,
    }
}

fn drain_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

fn drain_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

/// Implements the `visit_*` methods for the JSON types a visitor does not accept: each consumes
/// its input and answers `Ok(Err(self.refusal()))`, so the surrounding map can be read to its end.
/// The bracket names the one type the visitor handles itself (`null` is always handled by hand).
macro_rules! refuse_other_types {
    ([$($accepts:ident)*]) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> { Ok(Err(self.refusal())) }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> { Ok(Err(self.refusal())) }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> { Ok(Err(self.refusal())) }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> { Ok(Err(self.refusal())) }
        refuse_other_types!(@rest [$($accepts)*]);
    };
    (@rest [str]) => {
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> { drain_seq(seq)?; Ok(Err(self.refusal())) }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> { drain_map(map)?; Ok(Err(self.refusal())) }
    };
    (@rest [map]) => {
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> { Ok(Err(self.refusal())) }
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> { drain_seq(seq)?; Ok(Err(self.refusal())) }
    };
    (@rest [seq]) => {
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> { Ok(Err(self.refusal())) }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> { drain_map(map)?; Ok(Err(self.refusal())) }
    };
}

// ---------------------------------------------------------------------------------------------
// Top level.

#[derive(Default)]
struct Collected {
    headers: Option<Headers>,
    multi: Option<Headers>,
    source_ip: Option<String>,
    seen_context: bool,
}

struct TopVisitor;

impl TopVisitor {
    fn refusal(&self) -> Malformed {
        wrong("the payload", "a JSON object")
    }
}

impl<'de> Visitor<'de> for TopVisitor {
    type Value = Result<Fields, Malformed>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Err(self.refusal()))
    }

    refuse_other_types!([map]);

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut got = Collected::default();
        let mut problem: Option<Malformed> = None;
        while let Some(key) = map.next_key::<TopKey>()? {
            let outcome = match key {
                TopKey::Headers => {
                    let v = map.next_value_seed(HeadersSeed { multi: false })?;
                    store(&mut got.headers, v, "headers")
                }
                TopKey::MultiValueHeaders => {
                    let v = map.next_value_seed(HeadersSeed { multi: true })?;
                    store(&mut got.multi, v, "multiValueHeaders")
                }
                TopKey::RequestContext => {
                    let v = map.next_value_seed(ContextSeed)?;
                    if std::mem::replace(&mut got.seen_context, true) {
                        Err(Malformed::DuplicateField("requestContext"))
                    } else {
                        v.map(|ip| got.source_ip = ip)
                    }
                }
                TopKey::Other => map.next_value::<IgnoredAny>().map(|_| Ok(()))?,
            };
            if let Err(e) = outcome {
                problem.get_or_insert(e);
            }
        }
        Ok(match problem {
            Some(e) => Err(e),
            None => finish(got),
        })
    }
}

fn store(
    slot: &mut Option<Headers>,
    value: Result<Option<Headers>, Malformed>,
    name: &'static str,
) -> Result<(), Malformed> {
    let value = value?;
    if slot.is_some() {
        return Err(Malformed::DuplicateField(name));
    }
    *slot = value;
    Ok(())
}

fn finish(got: Collected) -> Result<Fields, Malformed> {
    let single = got.headers.unwrap_or_default();
    let multi = got.multi.unwrap_or_default();
    let forwarded_for = match (single.forwarded_for, multi.forwarded_for) {
        (None, None) => Vec::new(),
        (Some(one), None) => one,
        (None, Some(all)) => all,
        (Some(one), Some(all)) => {
            if one.len() == 1 && all.last() == one.first() {
                all
            } else {
                return Err(Malformed::ConflictingForwardedFor);
            }
        }
    };
    let user_agent = multi.user_agent.or(single.user_agent);
    Ok(Fields {
        forwarded_for,
        source_ip: got.source_ip,
        health_checker: user_agent.is_some_and(|ua| ua),
        trace_id: multi.trace_id.or(single.trace_id),
    })
}

enum TopKey {
    Headers,
    MultiValueHeaders,
    RequestContext,
    Other,
}

impl<'de> Deserialize<'de> for TopKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = TopKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<TopKey, E> {
                Ok(match s {
                    "headers" => TopKey::Headers,
                    "multiValueHeaders" => TopKey::MultiValueHeaders,
                    "requestContext" => TopKey::RequestContext,
                    _ => TopKey::Other,
                })
            }
        }
        d.deserialize_str(V)
    }
}

// ---------------------------------------------------------------------------------------------
// Header maps.

/// The headers we keep from one map.
#[derive(Default)]
struct Headers {
    forwarded_for: Option<Vec<String>>,
    /// `Some(true)` when the user agent is the ALB health checker.
    user_agent: Option<bool>,
    trace_id: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum HeaderKind {
    ForwardedFor,
    UserAgent,
    TraceId,
    Other,
}

struct HeaderName<'de> {
    kind: HeaderKind,
    /// Borrowed from the payload unless the name had JSON escapes; used only in error messages.
    name: Cow<'de, str>,
}

fn header_kind(s: &str) -> HeaderKind {
    if s.eq_ignore_ascii_case("x-forwarded-for") {
        HeaderKind::ForwardedFor
    } else if s.eq_ignore_ascii_case("user-agent") {
        HeaderKind::UserAgent
    } else if s.eq_ignore_ascii_case("x-amzn-trace-id") {
        HeaderKind::TraceId
    } else {
        HeaderKind::Other
    }
}

impl<'de> Deserialize<'de> for HeaderName<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = HeaderName<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a header name")
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Self::Value, E> {
                Ok(HeaderName {
                    kind: header_kind(s),
                    name: Cow::Borrowed(s),
                })
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
                Ok(HeaderName {
                    kind: header_kind(s),
                    name: Cow::Owned(s.to_owned()),
                })
            }
        }
        d.deserialize_str(V)
    }
}

struct HeadersSeed {
    multi: bool,
}

impl HeadersSeed {
    fn refusal(&self) -> Malformed {
        wrong(self.field(), "an object")
    }

    fn field(&self) -> &'static str {
        if self.multi {
            "multiValueHeaders"
        } else {
            "headers"
        }
    }
}

impl<'de> DeserializeSeed<'de> for HeadersSeed {
    type Value = Result<Option<Headers>, Malformed>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for HeadersSeed {
    type Value = Result<Option<Headers>, Malformed>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a header map")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Ok(None))
    }

    refuse_other_types!([map]);

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = Headers::default();
        let mut problem = None;
        while let Some(name) = map.next_key::<HeaderName>()? {
            let keep = name.kind != HeaderKind::Other;
            let values = if self.multi {
                map.next_value_seed(ListSeed { keep })?
            } else {
                map.next_value_seed(StrSeed { keep })
                    .map(|v| v.map(|s| vec![s]))?
            };
            let values = match values {
                Ok(v) => v,
                Err(()) => {
                    let what = if self.multi {
                        "an array of strings"
                    } else {
                        "a string"
                    };
                    let field = format!("{}.{}", self.field(), name.name);
                    problem.get_or_insert(Malformed::WrongType {
                        field,
                        expected: what,
                    });
                    continue;
                }
            };
            match name.kind {
                HeaderKind::ForwardedFor => {
                    if out.forwarded_for.replace(values).is_some() {
                        problem.get_or_insert(Malformed::ConflictingForwardedFor);
                    }
                }
                HeaderKind::UserAgent => {
                    out.user_agent = Some(
                        values
                            .last()
                            .is_some_and(|ua| ua.starts_with("ELB-HealthChecker/")),
                    );
                }
                HeaderKind::TraceId => out.trace_id = values.last().cloned(),
                HeaderKind::Other => {}
            }
        }
        Ok(match problem {
            Some(e) => Err(e),
            None => Ok(Some(out)),
        })
    }
}

/// A string value; `Err(())` for any other type. Copies the text only when `keep` is set.
struct StrSeed {
    keep: bool,
}

impl<'de> DeserializeSeed<'de> for StrSeed {
    type Value = Result<String, ()>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrSeed {
    type Value = Result<String, ()>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
        Ok(Ok(if self.keep {
            s.to_owned()
        } else {
            String::new()
        }))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Err(()))
    }
    refuse_other_types!([str]);
}

/// An array of strings; `Err(())` for anything else. Copies only when `keep` is set.
struct ListSeed {
    keep: bool,
}

impl<'de> DeserializeSeed<'de> for ListSeed {
    type Value = Result<Vec<String>, ()>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ListSeed {
    type Value = Result<Vec<String>, ()>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of strings")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        let mut ok = true;
        while let Some(item) = seq.next_element_seed(StrSeed { keep: self.keep })? {
            match item {
                Ok(s) if self.keep => out.push(s),
                Ok(_) => {}
                Err(()) => ok = false,
            }
        }
        Ok(if ok { Ok(out) } else { Err(()) })
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Err(()))
    }
    refuse_other_types!([seq]);
}

impl StrSeed {
    fn refusal(&self) {}
}

impl ListSeed {
    fn refusal(&self) {}
}

// ---------------------------------------------------------------------------------------------
// requestContext: only `identity.sourceIp` and `http.sourceIp` are read.

struct ContextSeed;

impl ContextSeed {
    fn refusal(&self) -> Malformed {
        wrong("requestContext", "an object")
    }
}

impl<'de> DeserializeSeed<'de> for ContextSeed {
    type Value = Result<Option<String>, Malformed>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ContextSeed {
    type Value = Result<Option<String>, Malformed>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Ok(None))
    }
    refuse_other_types!([map]);
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut source = None;
        let mut problem = None;
        while let Some(key) = map.next_key::<ContextKey>()? {
            let field = match key {
                ContextKey::Identity => "requestContext.identity",
                ContextKey::Http => "requestContext.http",
                ContextKey::Other => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            match map.next_value_seed(SourceHolderSeed { field })? {
                Ok(None) => {}
                Ok(Some(ip)) => {
                    if source.replace(ip).is_some() {
                        problem.get_or_insert(Malformed::DuplicateField(
                            "requestContext source address",
                        ));
                    }
                }
                Err(e) => {
                    problem.get_or_insert(e);
                }
            }
        }
        Ok(match problem {
            Some(e) => Err(e),
            None => Ok(source),
        })
    }
}

enum ContextKey {
    Identity,
    Http,
    Other,
}

impl<'de> Deserialize<'de> for ContextKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = ContextKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<ContextKey, E> {
                Ok(match s {
                    "identity" => ContextKey::Identity,
                    "http" => ContextKey::Http,
                    _ => ContextKey::Other,
                })
            }
        }
        d.deserialize_str(V)
    }
}

/// `identity` or `http`: an object whose `sourceIp`, when present, must be a string.
struct SourceHolderSeed {
    field: &'static str,
}

impl SourceHolderSeed {
    fn refusal(&self) -> Malformed {
        wrong(self.field, "an object")
    }
}

impl<'de> DeserializeSeed<'de> for SourceHolderSeed {
    type Value = Result<Option<String>, Malformed>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for SourceHolderSeed {
    type Value = Result<Option<String>, Malformed>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Ok(None))
    }
    refuse_other_types!([map]);
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut source = None;
        let mut problem = None;
        while let Some(key) = map.next_key::<SourceKey>()? {
            if let SourceKey::SourceIp = key {
                match map.next_value_seed(StrSeed { keep: true })? {
                    Ok(ip) if source.is_none() => source = Some(ip),
                    Ok(_) => {
                        problem.get_or_insert(Malformed::DuplicateField("sourceIp"));
                    }
                    Err(()) => {
                        problem.get_or_insert(Malformed::WrongType {
                            field: format!("{}.sourceIp", self.field),
                            expected: "a string",
                        });
                    }
                }
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(match problem {
            Some(e) => Err(e),
            None => Ok(source),
        })
    }
}

enum SourceKey {
    SourceIp,
    Other,
}

impl<'de> Deserialize<'de> for SourceKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = SourceKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<SourceKey, E> {
                Ok(if s == "sourceIp" {
                    SourceKey::SourceIp
                } else {
                    SourceKey::Other
                })
            }
        }
        d.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(json: &str) -> Result<Fields, Malformed> {
        Event::from_slice(json.as_bytes()).0
    }

    #[test]
    fn reads_single_value_headers() {
        let f = read(
            r#"{"headers":{"X-Forwarded-For":"1.1.1.1, 2.2.2.2","user-agent":"curl/8","x-amzn-trace-id":"Root=1-a"},"body":null}"#,
        )
        .unwrap();
        assert_eq!(f.forwarded_for, vec!["1.1.1.1, 2.2.2.2"]);
        assert_eq!(f.trace_id.as_deref(), Some("Root=1-a"));
        assert!(!f.health_checker);
    }

    #[test]
    fn reads_multi_value_headers_in_order() {
        let f = read(r#"{"multiValueHeaders":{"x-forwarded-for":["1.1.1.1, 2.2.2.2","3.3.3.3"]}}"#)
            .unwrap();
        assert_eq!(f.forwarded_for, vec!["1.1.1.1, 2.2.2.2", "3.3.3.3"]);
    }

    #[test]
    fn both_maps_agreeing_use_the_complete_list() {
        let f = read(
            r#"{"headers":{"x-forwarded-for":"3.3.3.3"},"multiValueHeaders":{"x-forwarded-for":["1.1.1.1","3.3.3.3"]}}"#,
        )
        .unwrap();
        assert_eq!(f.forwarded_for, vec!["1.1.1.1", "3.3.3.3"]);
    }

    #[test]
    fn reads_source_addresses() {
        let f =
            read(r#"{"requestContext":{"identity":{"sourceIp":"1.2.3.4","user":null}}}"#).unwrap();
        assert_eq!(f.source_ip.as_deref(), Some("1.2.3.4"));
        let f = read(r#"{"requestContext":{"http":{"sourceIp":"::1"}},"headers":null}"#).unwrap();
        assert_eq!(f.source_ip.as_deref(), Some("::1"));
        let f = read(r#"{"requestContext":{"elb":{"targetGroupArn":"arn"}}}"#).unwrap();
        assert_eq!(f.source_ip, None);
    }

    #[test]
    fn health_checker_is_recognised() {
        let f = read(r#"{"headers":{"user-agent":"ELB-HealthChecker/2.0"}}"#).unwrap();
        assert!(f.health_checker);
    }

    #[test]
    fn refusals() {
        let cases = [
            ("Fail: array payload", "[1,2]", "malformed_event"),
            ("Fail: string payload", "\"x\"", "malformed_event"),
            ("Fail: null payload", "null", "malformed_event"),
            ("Fail: not JSON", "{", "malformed_event"),
            (
                "Fail: headers is a string",
                r#"{"headers":"x"}"#,
                "malformed_event",
            ),
            (
                "Fail: header value number",
                r#"{"headers":{"user-agent":5}}"#,
                "malformed_event",
            ),
            (
                "Fail: unrelated header value null",
                r#"{"headers":{"accept":null}}"#,
                "malformed_event",
            ),
            (
                "Fail: xff array in single map",
                r#"{"headers":{"x-forwarded-for":["1.1.1.1"]}}"#,
                "malformed_event",
            ),
            (
                "Fail: multi value not array",
                r#"{"multiValueHeaders":{"x-forwarded-for":"1.1.1.1"}}"#,
                "malformed_event",
            ),
            (
                "Fail: multi item not string",
                r#"{"multiValueHeaders":{"accept":["a",1]}}"#,
                "malformed_event",
            ),
            (
                "Fail: source not string",
                r#"{"requestContext":{"identity":{"sourceIp":7}}}"#,
                "malformed_event",
            ),
            (
                "Fail: context is array",
                r#"{"requestContext":[]}"#,
                "malformed_event",
            ),
            (
                "Fail: headers twice",
                r#"{"headers":{},"headers":{}}"#,
                "malformed_event",
            ),
            (
                "Fail: two spellings",
                r#"{"headers":{"x-forwarded-for":"1.1.1.1","X-Forwarded-For":"2.2.2.2"}}"#,
                "conflicting_headers",
            ),
            (
                "Fail: maps disagree",
                r#"{"headers":{"x-forwarded-for":"9.9.9.9"},"multiValueHeaders":{"x-forwarded-for":["1.1.1.1"]}}"#,
                "conflicting_headers",
            ),
        ];
        for (case, json, code) in cases {
            assert_eq!(read(json).unwrap_err().code(), code, "{case}");
        }
    }

    #[test]
    fn unread_fields_of_any_type_are_ignored() {
        let f = read(r#"{"body":{"a":[1,null]},"path":7,"queryStringParameters":null,"headers":{"x-forwarded-for":"1.1.1.1"}}"#).unwrap();
        assert_eq!(f.forwarded_for, vec!["1.1.1.1"]);
    }

    #[test]
    fn underscore_spelling_is_a_different_header() {
        let f = read(r#"{"headers":{"x_forwarded_for":"6.6.6.6"}}"#).unwrap();
        assert!(f.forwarded_for.is_empty());
    }
}
