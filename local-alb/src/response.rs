//! From the function's response bytes to the HTTP response the client gets.
//!
//! [`translate`] is pure and never panics. It accepts what the ALB accepts and answers
//! [`BadGateway`] (a bare 502 to the client) for everything the ALB rejects:
//! - a payload over 1 MiB, or one that is not a JSON object;
//! - a JSON `null` in any field;
//! - no `statusCode`, or one that is not an integer from 100 to 599;
//! - `headers` that is not an object of strings, `multiValueHeaders` that is not an object of
//!   arrays of strings, or a header name or value HTTP cannot carry;
//! - `body` that is not a string, `isBase64Encoded` that is not a boolean, or a body marked
//!   base64 that does not decode.
//!
//! Which header field is used follows the target group's mode: `headers` in single-value mode,
//! `multiValueHeaders` in multi-value mode (each falling back to the other when it is absent);
//! both are type-checked either way. `content-length`, `transfer-encoding` and `connection` from
//! the function are dropped: the load balancer frames the response itself.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value};

/// Largest response payload the ALB accepts from a Lambda function, in bytes.
pub const MAX_RESPONSE: usize = 1024 * 1024;

/// The HTTP response for the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// The status code, 100 to 599.
    pub status: u16,
    /// The reason phrase from `statusDescription` (the text after the code), when it has one
    /// that is valid on a status line.
    pub reason: Option<String>,
    /// Header lines in order: lower-case names as the function gave them, values as strings.
    pub headers: Vec<(String, String)>,
    /// The body bytes (decoded when `isBase64Encoded` was true).
    pub body: Vec<u8>,
}

/// Why the ALB answers 502 instead of the function's response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BadGateway {
    /// The payload is larger than [`MAX_RESPONSE`].
    TooLarge {
        /// Its size in bytes.
        len: usize,
    },
    /// The payload is not JSON, or not a JSON object.
    NotAnObject,
    /// A field holds JSON `null`.
    Null {
        /// The field.
        field: String,
    },
    /// `statusCode` is absent.
    MissingStatusCode,
    /// A field has a type or value the ALB does not accept.
    Invalid {
        /// The field.
        field: String,
        /// What it must be.
        expected: &'static str,
    },
}

impl BadGateway {
    /// A short machine-readable reason, for the access log.
    pub const fn reason(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "LambdaResponseTooLarge",
            Self::NotAnObject => "LambdaInvalidResponse",
            Self::Null { .. } => "LambdaResponseNull",
            Self::MissingStatusCode => "LambdaMissingStatusCode",
            Self::Invalid { .. } => "LambdaInvalidResponse",
        }
    }
}

impl fmt::Display for BadGateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge { len } => {
                write!(
                    f,
                    "the response is {len} bytes, over the {MAX_RESPONSE}-byte limit"
                )
            }
            Self::NotAnObject => f.write_str("the response is not a JSON object"),
            Self::Null { field } => write!(f, "{field} is null"),
            Self::MissingStatusCode => f.write_str("statusCode is missing"),
            Self::Invalid { field, expected } => write!(f, "{field} must be {expected}"),
        }
    }
}

impl std::error::Error for BadGateway {}

/// Translates the function's response payload into the client's HTTP response.
///
/// ```
/// use local_alb::response::translate;
/// let ok = translate(br#"{"statusCode":200,"statusDescription":"200 OK","headers":{"content-type":"text/plain"},"body":"hi","isBase64Encoded":false}"#, false).unwrap();
/// assert_eq!((ok.status, ok.body.as_slice()), (200, &b"hi"[..]));
///
/// // The ALB answers a bare 502 for a null anywhere.
/// assert!(translate(br#"{"statusCode":200,"body":null}"#, false).is_err());
/// ```
pub fn translate(payload: &[u8], multi_value_headers: bool) -> Result<HttpResponse, BadGateway> {
    if payload.len() > MAX_RESPONSE {
        return Err(BadGateway::TooLarge { len: payload.len() });
    }
    let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(payload) else {
        return Err(BadGateway::NotAnObject);
    };
    if let Some((field, _)) = object.iter().find(|(_, v)| v.is_null()) {
        return Err(BadGateway::Null {
            field: field.clone(),
        });
    }

    let status = match object.get("statusCode") {
        None => return Err(BadGateway::MissingStatusCode),
        Some(code) => code
            .as_u64()
            .and_then(|c| u16::try_from(c).ok())
            .filter(|c| (100..=599).contains(c))
            .ok_or_else(|| invalid("statusCode", "an integer from 100 to 599"))?,
    };
    let reason = match object.get("statusDescription") {
        None => None,
        Some(Value::String(s)) => reason_phrase(s, status),
        Some(_) => return Err(invalid("statusDescription", "a string")),
    };

    let single = single_headers(&object)?;
    let multi = multi_headers(&object)?;
    let chosen = if multi_value_headers {
        multi.or(single)
    } else {
        single.or(multi)
    }
    .unwrap_or_default();
    let mut headers = Vec::with_capacity(chosen.len());
    for (name, value) in chosen {
        if !is_token(&name) {
            return Err(invalid("a header name", "an HTTP token"));
        }
        if !is_field_value(&value) {
            return Err(invalid(&name, "a value without control characters"));
        }
        let name = name.to_ascii_lowercase();
        if matches!(
            name.as_str(),
            "content-length" | "transfer-encoding" | "connection"
        ) {
            continue;
        }
        headers.push((name, value));
    }

    let is_base64 = match object.get("isBase64Encoded") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(invalid("isBase64Encoded", "a boolean")),
    };
    let body = match object.get("body") {
        None => Vec::new(),
        Some(Value::String(s)) if is_base64 => STANDARD
            .decode(s)
            .map_err(|_| invalid("body", "valid base64 when isBase64Encoded is true"))?,
        Some(Value::String(s)) => s.clone().into_bytes(),
        Some(_) => return Err(invalid("body", "a string")),
    };

    Ok(HttpResponse {
        status,
        reason,
        headers,
        body,
    })
}

fn invalid(field: &str, expected: &'static str) -> BadGateway {
    BadGateway::Invalid {
        field: field.to_owned(),
        expected,
    }
}

type Headers = Vec<(String, String)>;

fn single_headers(object: &Map<String, Value>) -> Result<Option<Headers>, BadGateway> {
    let Some(value) = object.get("headers") else {
        return Ok(None);
    };
    let Value::Object(map) = value else {
        return Err(invalid("headers", "an object"));
    };
    map.iter()
        .map(|(name, value)| match value {
            Value::String(s) => Ok((name.clone(), s.clone())),
            _ => Err(invalid(&format!("headers.{name}"), "a string")),
        })
        .collect::<Result<_, _>>()
        .map(Some)
}

fn multi_headers(object: &Map<String, Value>) -> Result<Option<Headers>, BadGateway> {
    let Some(value) = object.get("multiValueHeaders") else {
        return Ok(None);
    };
    let Value::Object(map) = value else {
        return Err(invalid("multiValueHeaders", "an object"));
    };
    let mut out = Vec::new();
    for (name, values) in map {
        let Value::Array(items) = values else {
            return Err(invalid(
                &format!("multiValueHeaders.{name}"),
                "an array of strings",
            ));
        };
        for item in items {
            match item {
                Value::String(s) => out.push((name.clone(), s.clone())),
                _ => {
                    return Err(invalid(
                        &format!("multiValueHeaders.{name}"),
                        "an array of strings",
                    ));
                }
            }
        }
    }
    Ok(Some(out))
}

/// The reason phrase of a `statusDescription` such as `"200 OK"`: the text after the code and a
/// space, kept only when it is printable ASCII (what a status line can carry).
fn reason_phrase(description: &str, status: u16) -> Option<String> {
    let code = status.to_string();
    let reason = description.strip_prefix(code.as_str())?.strip_prefix(' ')?;
    let printable = reason.bytes().all(|b| b == b' ' || b.is_ascii_graphic());
    (printable && !reason.is_empty()).then(|| reason.to_owned())
}

fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

fn is_field_value(value: &str) -> bool {
    value
        .bytes()
        .all(|b| b == b'\t' || (b >= 0x20 && b != 0x7f))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_phrases() {
        assert_eq!(reason_phrase("200 OK", 200).as_deref(), Some("OK"));
        assert_eq!(
            reason_phrase("404 Not Here", 404).as_deref(),
            Some("Not Here")
        );
        assert_eq!(reason_phrase("201 OK", 200), None);
        assert_eq!(reason_phrase("200", 200), None);
        assert_eq!(reason_phrase("200 \u{1}", 200), None);
    }
}
