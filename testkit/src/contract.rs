//! The response contract of the function, checked by walking the JSON: one helper for every test
//! that holds a response (fixtures, the real process, hostile input, properties, fuzz targets).

use std::net::IpAddr;

use lambda_client_ip::{EXPLAINED_POSITIONS, parse_entry};
use serde_json::{Value, json};

/// The longest message a refusal may carry, in characters: a sentence of at most 200 characters
/// around request text that is cut to 128 characters before it is escaped (an escape is at most
/// 10 characters, `\u{10ffff}`). Request text is quoted cut, never whole.
pub const MESSAGE_LIMIT: usize = 200 + 128 * 10;

/// What a response answered, once it has been shown to keep the contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// 200 with `{"client_ip": ...}`, and `"client_port"` when the source recorded one.
    Client(String),
    /// 200 with `{"status": "healthy"}`.
    Healthy,
    /// 400 with `{"error": code, "message": ...}`.
    Refused(String),
}

impl Answer {
    /// An answer with this client address.
    pub fn client(ip: &str) -> Self {
        Self::Client(ip.to_owned())
    }

    /// A refusal with this code.
    pub fn refused(code: &str) -> Self {
        Self::Refused(code.to_owned())
    }

    /// The client address, when the answer is one.
    pub fn ip(&self) -> Option<IpAddr> {
        match self {
            Self::Client(ip) => ip.parse().ok(),
            _ => None,
        }
    }
}

/// [`check`] on response bytes.
pub fn check_bytes(response: &[u8], context: &str) -> Answer {
    let value: Value = serde_json::from_slice(response)
        .unwrap_or_else(|e| panic!("{context}: the response is not JSON ({e})"));
    check(&value, context)
}

/// The body of a response, parsed (after [`check`], or on its own).
pub fn body(response: &Value) -> Value {
    serde_json::from_str(response["body"].as_str().expect("body is a string"))
        .expect("body is JSON")
}

/// Checks every line of the contract and returns what the response answered. Panics, naming
/// `context` and the broken rule, when any line is broken:
/// - no JSON null anywhere, in the response or in its body;
/// - `statusCode` 200 or 400 with the matching `statusDescription`;
/// - `headers` and `multiValueHeaders` both hold exactly `content-type: application/json` and
///   `cache-control: no-store`;
/// - `isBase64Encoded` false, `body` a JSON object of one of the three shapes;
/// - a client address is canonical and one a TCP client can have (never unspecified,
///   multicast or class E), a port is 1 to 65535;
/// - a message holds no control character, U+2028 or U+2029, and is at most
///   [`MESSAGE_LIMIT`] characters;
/// - an `explain` member (explain mode) is an object listing at most
///   [`EXPLAINED_POSITIONS`] positions.
pub fn check(response: &Value, context: &str) -> Answer {
    assert_no_null(response, context, "response");
    let status = response["statusCode"].as_u64();
    let description = response["statusDescription"].as_str();
    match (status, description) {
        (Some(200), Some("200 OK")) | (Some(400), Some("400 Bad Request")) => {}
        other => panic!("{context}: status and description {other:?}"),
    }
    let fixed = json!({"content-type": "application/json", "cache-control": "no-store"});
    assert_eq!(response["headers"], fixed, "{context}: headers");
    let multi = json!({"content-type": ["application/json"], "cache-control": ["no-store"]});
    assert_eq!(
        response["multiValueHeaders"], multi,
        "{context}: multiValueHeaders"
    );
    assert_eq!(
        response["isBase64Encoded"], false,
        "{context}: isBase64Encoded"
    );
    let text = response["body"]
        .as_str()
        .unwrap_or_else(|| panic!("{context}: body is not a string"));
    let body: Value = serde_json::from_str(text)
        .unwrap_or_else(|e| panic!("{context}: body is not JSON ({e}): {text}"));
    assert_no_null(&body, context, "body");
    let object = body
        .as_object()
        .unwrap_or_else(|| panic!("{context}: body is not an object: {text}"));
    if let Some(explained) = object.get("explain") {
        assert!(
            explained.is_object(),
            "{context}: explain is not an object: {text}"
        );
        if let Some(hops) = explained.get("hops") {
            let hops = hops
                .as_array()
                .unwrap_or_else(|| panic!("{context}: hops: {text}"));
            assert!(
                hops.len() <= EXPLAINED_POSITIONS,
                "{context}: {} hops",
                hops.len()
            );
        }
    }
    let keys: Vec<&str> = object
        .keys()
        .map(String::as_str)
        .filter(|k| *k != "explain")
        .collect();
    match (status, keys.as_slice()) {
        (Some(200), ["client_ip"] | ["client_ip", "client_port"]) => {
            if let Some(port) = body.get("client_port") {
                let port = port.as_u64().unwrap_or_else(|| panic!("{context}: {text}"));
                assert!((1..=65535).contains(&port), "{context}: port {port}");
            }
            let ip = body["client_ip"]
                .as_str()
                .unwrap_or_else(|| panic!("{context}: {text}"));
            let parsed: IpAddr = ip
                .parse()
                .unwrap_or_else(|_| panic!("{context}: not an address: {ip}"));
            assert_eq!(parsed.to_string(), ip, "{context}: not canonical");
            assert_eq!(parsed, parsed.to_canonical(), "{context}: IPv4-mapped {ip}");
            // parse_entry refuses exactly the addresses no TCP client can have.
            assert_eq!(
                parse_entry(ip.as_bytes()),
                Some((parsed, None)),
                "{context}: {ip}"
            );
            Answer::Client(ip.to_owned())
        }
        (Some(200), ["status"]) if body["status"] == "healthy" => Answer::Healthy,
        (Some(400), ["error", "message"]) => {
            let code = body["error"]
                .as_str()
                .unwrap_or_else(|| panic!("{context}: {text}"));
            let message = body["message"]
                .as_str()
                .unwrap_or_else(|| panic!("{context}: {text}"));
            assert!(
                !message
                    .chars()
                    .any(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')),
                "{context}: raw control character in the message {message:?}"
            );
            assert!(
                message.chars().count() <= MESSAGE_LIMIT,
                "{context}: the message echoes too much: {message}"
            );
            Answer::Refused(code.to_owned())
        }
        _ => panic!("{context}: body {text} does not fit status {status:?}"),
    }
}

fn assert_no_null(value: &Value, context: &str, path: &str) {
    match value {
        Value::Null => panic!("{context}: null at {path}"),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                assert_no_null(item, context, &format!("{path}[{i}]"));
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                assert_no_null(item, context, &format!("{path}.{key}"));
            }
        }
        _ => {}
    }
}
