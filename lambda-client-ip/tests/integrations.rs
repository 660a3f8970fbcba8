//! The integrations: `ClientIp` as an axum extractor (its refusal a 400 JSON answer),
//! `ClientIpLayer::connect_info` (the socket's peer as position 0), and `ClientIpKey`, the
//! `tower_governor` key.

// A test crate: a panic is the failure report.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::net::{IpAddr, SocketAddr};

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::routing::get;
use http::{Request, StatusCode, header};
use lambda_client_ip::{
    ClientIp, ClientIpKey, ClientIpLayer, Peer, ProxyCount, ResolveError, Source,
};
use serde_json::Value;
use tower::ServiceExt;
use tower_governor::GovernorError;
use tower_governor::key_extractor::KeyExtractor;

async fn answer(client: ClientIp) -> String {
    format!("{client} {}", client.position())
}

/// Sends `request` through `app`: the status, the content type, and the body.
async fn send(app: Router, request: Request<Body>) -> (StatusCode, Option<String>, String) {
    let response = app.oneshot(request).await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned());
    let body = axum::body::to_bytes(response.into_body(), 64 * 1024)
        .await
        .unwrap();
    (
        status,
        content_type,
        String::from_utf8(body.to_vec()).unwrap(),
    )
}

fn request(xff: Option<&str>) -> Request<Body> {
    let mut builder = Request::builder();
    if let Some(xff) = xff {
        builder = builder.header("x-forwarded-for", xff);
    }
    builder.body(Body::empty()).unwrap()
}

/// A refusal's body: JSON with the code and the message, and nothing raw in it.
fn refusal(body: &str, code: &str) -> Value {
    assert!(
        !body.chars().any(char::is_control),
        "raw control character in {body:?}"
    );
    let json: Value = serde_json::from_str(body).unwrap();
    let object = json.as_object().unwrap();
    assert_eq!(object.len(), 2, "{body}");
    assert_eq!(json["error"], code, "{body}");
    assert!(
        json["message"].as_str().is_some_and(|m| m.ends_with('.')),
        "{body}"
    );
    json
}

#[tokio::test]
async fn the_extractor_without_the_layer_refuses_with_400_json() {
    let app = Router::new().route("/", get(answer));
    let (status, content_type, body) = send(app, request(Some("203.0.113.9"))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(content_type.as_deref(), Some("application/json"));
    let json = refusal(&body, "no_client_address");
    assert_eq!(json["message"], ResolveError::NoAddress.to_string());
}

#[tokio::test]
async fn the_extractor_answers_what_the_layer_resolved() {
    let app = Router::new()
        .route("/", get(answer))
        .layer(ClientIpLayer::appended(Source::x_forwarded_for(
            ProxyCount::new(1).unwrap(),
        )));
    let (status, _, body) =
        send(app.clone(), request(Some("6.6.6.6, 203.0.113.9, 10.0.0.1"))).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "203.0.113.9 1"));
    let (status, _, body) = send(app, request(Some("10.0.0.1"))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    refusal(&body, "chain_too_short");
}

#[tokio::test]
async fn a_refusal_quoting_request_text_is_valid_json_with_nothing_raw() {
    let app = Router::new()
        .route("/", get(answer))
        .layer(ClientIpLayer::appended(Source::default()));
    for entry in [
        "\u{85}\u{9b}\u{2028}\u{2029}",
        r#"" , "error": "forged"#,
        r"\u0000\\",
        "\u{202e}1.2.3.4",
        "\t tab\tand\ttabs\t",
    ] {
        let (status, content_type, body) = send(app.clone(), request(Some(entry))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{entry:?}");
        assert_eq!(content_type.as_deref(), Some("application/json"));
        let json = refusal(&body, "invalid_entry");
        let mut headers = http::HeaderMap::new();
        headers.insert("x-forwarded-for", entry.parse().unwrap());
        let err = Source::default()
            .resolve(&headers, Peer::Appended)
            .unwrap_err();
        assert_eq!(json["message"], err.to_string(), "{entry:?}");
        assert!(
            !body.contains('\u{2028}') && !body.contains('\u{2029}'),
            "{body:?}"
        );
    }
}

#[tokio::test]
async fn connect_info_is_the_socket_peer_at_position_zero() {
    let app = |source| {
        Router::new()
            .route("/", get(answer))
            .layer(ClientIpLayer::connect_info(source))
    };
    let with_socket = |xff: Option<&str>, peer: &str| {
        let mut request = request(xff);
        let peer: SocketAddr = peer.parse().unwrap();
        request.extensions_mut().insert(ConnectInfo(peer));
        request
    };
    let cases = [
        (
            "the socket's peer, the forged chain ignored",
            Source::default(),
            with_socket(Some("6.6.6.6"), "192.0.2.1:5000"),
            Ok("192.0.2.1 0"),
        ),
        (
            "IPv4-mapped socket peers are IPv4",
            Source::default(),
            with_socket(None, "[::ffff:192.0.2.1]:5000"),
            Ok("192.0.2.1 0"),
        ),
        (
            "behind an ALB on ECS: count 1 reads the entry the ALB appended",
            Source::x_forwarded_for(ProxyCount::new(1).unwrap()),
            with_socket(Some("6.6.6.6, 203.0.113.9"), "10.0.0.7:5000"),
            Ok("203.0.113.9 1"),
        ),
        (
            "behind an ALB on ECS: its subnets walked past",
            Source::x_forwarded_for(
                "10.0.0.0/16"
                    .parse::<lambda_client_ip::TrustedRanges>()
                    .unwrap(),
            ),
            with_socket(Some("6.6.6.6, 203.0.113.9"), "10.0.0.7:5000"),
            Ok("203.0.113.9 1"),
        ),
        (
            "Fail: without ConnectInfo",
            Source::default(),
            request(Some("203.0.113.9")),
            Err("no_client_address"),
        ),
    ];
    for (name, source, request, want) in cases {
        let (status, _, body) = send(app(source), request).await;
        match want {
            Ok(want) => assert_eq!((status, body.as_str()), (StatusCode::OK, want), "{name}"),
            Err(code) => {
                assert_eq!(status, StatusCode::BAD_REQUEST, "{name}");
                refusal(&body, code);
            }
        }
    }
}

#[test]
fn the_governor_key_is_the_resolved_address() {
    let mut request = Request::new(());
    let mut headers = http::HeaderMap::new();
    headers.insert("x-forwarded-for", "203.0.113.9:443".parse().unwrap());
    let client = Source::default().resolve(&headers, Peer::Appended);
    request.extensions_mut().insert(client);
    let key = ClientIpKey.extract(&request).unwrap();
    assert_eq!(key, "203.0.113.9".parse::<IpAddr>().unwrap());
}

#[test]
fn the_governor_key_refuses_with_a_400_json_answer() {
    let refused = |request: &Request<()>| match ClientIpKey.extract(request) {
        Err(GovernorError::Other { code, msg, headers }) => {
            let content_type = headers.and_then(|h| h.get(header::CONTENT_TYPE).cloned());
            (code, msg.unwrap_or_default(), content_type)
        }
        other => panic!("{other:?}"),
    };
    // A refusal resolved by the layer.
    let mut request = Request::new(());
    let err: Result<ClientIp, ResolveError> = Err(ResolveError::AllTrusted { entries: 2 });
    request.extensions_mut().insert(err);
    let (code, body, content_type) = refused(&request);
    assert_eq!(code, StatusCode::BAD_REQUEST);
    assert_eq!(content_type.unwrap(), "application/json");
    let json = refusal(&body, "all_trusted");
    assert_eq!(
        json["message"],
        ResolveError::AllTrusted { entries: 2 }.to_string()
    );
    // No layer: refused, never keyed under a shared fallback.
    let (code, body, _) = refused(&Request::new(()));
    assert_eq!(code, StatusCode::BAD_REQUEST);
    refusal(&body, "no_client_address");
}
