//! The response contract, checked by walking the JSON: one helper for every test that holds a
//! response (fixtures, the real process, hostile input, properties).

#![allow(dead_code)]

use serde_json::{Value, json};

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

/// Checks every line of the contract and returns what the response answered. Panics, naming
/// `context` and the broken rule, when any line is broken:
/// - no JSON null anywhere, in the response or in its body;
/// - `statusCode` 200 or 400 with the matching `statusDescription`;
/// - `headers` and `multiValueHeaders` both hold exactly `content-type: application/json` and
///   `cache-control: no-store`;
/// - `isBase64Encoded` false, `body` a JSON object of one of the three shapes;
/// - a message holds no control character, U+2028 or U+2029, and is short (under 300
///   characters: request text is quoted cut, never whole).
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
    // Explain mode adds one member to every body; it is checked where it is asked for.
    if let Some(explained) = object.get("explain") {
        assert!(
            explained.is_object(),
            "{context}: explain is not an object: {text}"
        );
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
            let parsed: std::net::IpAddr = ip
                .parse()
                .unwrap_or_else(|_| panic!("{context}: not an address: {ip}"));
            assert_eq!(parsed.to_string(), ip, "{context}: not canonical");
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
                message.chars().count() < 300,
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
