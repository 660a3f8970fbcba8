//! The integrations on a socket server: `ClientIpLayer` (the peer the server recorded), `ClientIp`
//! as an axum extractor (a refusal a 400 JSON answer, a wiring error a 500), and `ClientIpKey`, the
//! `tower_governor` key. The Lambda side is in doors.rs and the examples.

// A test crate: a panic is the failure report.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::net::{IpAddr, SocketAddr};

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::routing::get;
use http::{Request, StatusCode, header};
use lambda_client_ip::layer::SocketPeer;
use lambda_client_ip::{
    ClientIp, ClientIpKey, ClientIpLayer, ClientIpRejection, Peer, ProxyCount, ResolveError, Source,
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

/// A request with `xff` as its X-Forwarded-For and no peer recorded.
fn request(xff: Option<&str>) -> Request<Body> {
    let mut builder = Request::builder();
    if let Some(xff) = xff {
        builder = builder.header("x-forwarded-for", xff);
    }
    builder.body(Body::empty()).unwrap()
}

/// A request as a socket server hands it over: its peer recorded as `ConnectInfo`.
fn with_socket(xff: Option<&str>, peer: &str) -> Request<Body> {
    let mut request = request(xff);
    let peer: SocketAddr = peer.parse().unwrap();
    request.extensions_mut().insert(ConnectInfo(peer));
    request
}

fn app(source: Source) -> Router {
    Router::new()
        .route("/", get(answer))
        .layer(ClientIpLayer::new(source))
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

/// A wiring error's answer: a 500 JSON body with `code` and a message naming the fix.
fn miswired(response: (StatusCode, Option<String>, String), code: &str, fix: &str) {
    let (status, content_type, body) = response;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
    assert_eq!(content_type.as_deref(), Some("application/json"));
    let json = refusal(&body, code);
    assert!(json["message"].as_str().unwrap().contains(fix), "{body}");
}

#[tokio::test]
async fn the_layer_on_a_socket_server_answers_the_socket_peer_not_a_forged_chain() {
    // 0.2.0's first example, `ClientIpLayer::appended`, answered 6.6.6.6 here.
    let forged = with_socket(Some("6.6.6.6"), "192.0.2.1:5000");
    let (status, _, body) = send(app(Source::default()), forged).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "192.0.2.1 0"));
}

#[tokio::test]
async fn the_layer_without_a_recorded_peer_answers_500_never_the_chain() {
    // 0.2.0's `ClientIpLayer::lambda` treated a request without a Lambda context as appended by a
    // front door, and answered 6.6.6.6.
    let response = send(app(Source::default()), request(Some("6.6.6.6"))).await;
    miswired(
        response,
        "client_ip_no_peer",
        "into_make_service_with_connect_info",
    );
}

#[tokio::test]
async fn a_missing_layer_is_a_500_naming_the_fix_not_a_400() {
    // 0.2.0 answered 400 no_client_address, blaming the client.
    let app = Router::new().route("/", get(answer));
    let response = send(app, with_socket(Some("203.0.113.9"), "192.0.2.1:5000")).await;
    miswired(
        response,
        "client_ip_layer_missing",
        ".layer(ClientIpLayer::new(source))",
    );
}

#[tokio::test]
async fn a_route_added_after_the_layer_is_a_500_naming_the_order() {
    // `.layer()` wraps only the routes added before it.
    let app = Router::new()
        .route("/", get(answer))
        .layer(ClientIpLayer::new(Source::default()))
        .route("/late", get(answer));
    let mut late = with_socket(None, "192.0.2.1:5000");
    *late.uri_mut() = "/late".parse().unwrap();
    let response = send(app.clone(), late).await;
    miswired(
        response,
        "client_ip_layer_missing",
        "layer added last runs first",
    );
    let (status, _, body) = send(app, with_socket(None, "192.0.2.1:5000")).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "192.0.2.1 0"));
}

#[tokio::test]
async fn the_extractor_answers_what_the_layer_resolved() {
    let app = app(Source::x_forwarded_for(ProxyCount::new(1).unwrap()));
    let alb = |xff| with_socket(Some(xff), "10.0.0.1:5000");
    let (status, _, body) = send(app.clone(), alb("6.6.6.6, 203.0.113.9")).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "203.0.113.9 1"));
    let (status, _, body) = send(app, with_socket(None, "10.0.0.1:5000")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    refusal(&body, "chain_too_short");
}

#[tokio::test]
async fn a_refusal_quoting_request_text_is_valid_json_with_nothing_raw() {
    // One proxy in front of the socket: the entry it appended is read.
    let app = app(Source::x_forwarded_for(ProxyCount::new(1).unwrap()));
    for entry in [
        "\u{85}\u{9b}\u{2028}\u{2029}",
        r#"" , "error": "forged"#,
        r"\u0000\\",
        "\u{202e}1.2.3.4",
        "\t tab\tand\ttabs\t",
    ] {
        let request = with_socket(Some(entry), "10.0.0.1:5000");
        let (status, content_type, body) = send(app.clone(), request).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{entry:?}");
        assert_eq!(content_type.as_deref(), Some("application/json"));
        let json = refusal(&body, "invalid_entry");
        let mut headers = http::HeaderMap::new();
        headers.insert("x-forwarded-for", entry.parse().unwrap());
        let err = Source::x_forwarded_for(ProxyCount::new(1).unwrap())
            .resolve(&headers, Peer::Socket("10.0.0.1".parse().unwrap()))
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
    let cases = [
        (
            "IPv4-mapped socket peers are IPv4",
            Source::default(),
            with_socket(None, "[::ffff:192.0.2.1]:5000"),
            "192.0.2.1 0",
        ),
        (
            "behind an ALB on ECS: count 1 reads the entry the ALB appended",
            Source::x_forwarded_for(ProxyCount::new(1).unwrap()),
            with_socket(Some("6.6.6.6, 203.0.113.9"), "10.0.0.7:5000"),
            "203.0.113.9 1",
        ),
        (
            "behind an ALB on ECS: its subnets walked past",
            Source::x_forwarded_for(
                "10.0.0.0/16"
                    .parse::<lambda_client_ip::TrustedRanges>()
                    .unwrap(),
            ),
            with_socket(Some("6.6.6.6, 203.0.113.9"), "10.0.0.7:5000"),
            "203.0.113.9 1",
        ),
    ];
    for (name, source, request, want) in cases {
        let (status, _, body) = send(app(source), request).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, want), "{name}");
    }
}

/// The key `ClientIpKey` gives a request `ClientIpLayer` resolved from a socket peer `peer`.
async fn key(key: ClientIpKey, peer: &str) -> Result<IpAddr, GovernorError> {
    let service = tower::ServiceBuilder::new()
        .layer(ClientIpLayer::new(Source::default()))
        .service_fn(move |request: Request<Body>| async move {
            Ok::<_, std::convert::Infallible>(key.extract(&request))
        });
    service.oneshot(with_socket(None, peer)).await.unwrap()
}

#[tokio::test]
async fn the_governor_key_charges_an_ipv6_client_by_its_64() {
    // 0.2.0 keyed each IPv6 address apart: a host hopping addresses in its /64 had fresh budgets.
    let per_64 = ClientIpKey::default();
    let a = key(per_64, "[2001:db8:1:2::1]:5000").await.unwrap();
    let b = key(per_64, "[2001:db8:1:2:abcd:ef01:2345:6789]:5000")
        .await
        .unwrap();
    let other = key(per_64, "[2001:db8:1:3::1]:5000").await.unwrap();
    assert_eq!((a, b), ("2001:db8:1:2::".parse().unwrap(), a));
    assert_ne!(a, other);
    let ipv4 = key(per_64, "198.51.100.7:5000").await.unwrap();
    assert_eq!(ipv4, "198.51.100.7".parse::<IpAddr>().unwrap());
}

#[tokio::test]
async fn the_governor_key_prefix_is_configurable() {
    let host = "[2001:db8:1:2:3:4:5:6]:5000";
    for (len, want) in [
        (48, "2001:db8:1::"),
        (56, "2001:db8:1::"),
        (0, "::"),
        (128, "2001:db8:1:2:3:4:5:6"),
    ] {
        let per = ClientIpKey::default().with_ipv6_prefix(len).unwrap();
        let got = key(per, host).await.unwrap();
        assert_eq!(got, want.parse::<IpAddr>().unwrap(), "/{len}");
        // The IPv6 prefix leaves IPv4 clients keyed by their address.
        let ipv4 = key(per, "198.51.100.7:5000").await.unwrap();
        assert_eq!(ipv4, "198.51.100.7".parse::<IpAddr>().unwrap(), "/{len}");
    }
}

#[tokio::test]
async fn the_governor_key_groups_ipv4_clients_by_a_prefix_beside_ipv6() {
    // Behind a carrier-grade NAT one subscriber may come from any address of the pool.
    let per_24 = ClientIpKey::default()
        .with_ipv4_prefix(24)
        .unwrap()
        .with_ipv6_prefix(56)
        .unwrap();
    let a = key(per_24, "198.51.100.7:5000").await.unwrap();
    let b = key(per_24, "198.51.100.250:5000").await.unwrap();
    let other = key(per_24, "198.51.101.7:5000").await.unwrap();
    assert_eq!((a, b), ("198.51.100.0".parse().unwrap(), a));
    assert_ne!(a, other);
    let v6 = key(per_24, "[2001:db8:1:2ff::1]:5000").await.unwrap();
    assert_eq!(v6, "2001:db8:1:200::".parse::<IpAddr>().unwrap());
    // An IPv4-mapped peer is an IPv4 client, keyed by the IPv4 prefix.
    let mapped = key(per_24, "[::ffff:198.51.100.9]:5000").await.unwrap();
    assert_eq!(mapped, a);
    for (len, want) in [(0, "0.0.0.0"), (16, "198.51.0.0"), (32, "198.51.100.7")] {
        let per = ClientIpKey::default().with_ipv4_prefix(len).unwrap();
        let got = key(per, "198.51.100.7:5000").await.unwrap();
        assert_eq!(got, want.parse::<IpAddr>().unwrap(), "/{len}");
    }
}

#[test]
fn the_governor_key_refuses_a_prefix_longer_than_its_family() {
    use lambda_client_ip::governor::PrefixLenError;

    // 0.3.0's `ClientIpKey::ipv6_prefix(200)` silently keyed each address.
    let key = ClientIpKey::default();
    assert_eq!(key.with_ipv4_prefix(33), Err(PrefixLenError::Ipv4(33)));
    assert_eq!(key.with_ipv6_prefix(129), Err(PrefixLenError::Ipv6(129)));
    assert_eq!(
        key.with_ipv6_prefix(u8::MAX),
        Err(PrefixLenError::Ipv6(255))
    );
    // An IPv6 length is not an IPv4 one.
    assert_eq!(key.with_ipv4_prefix(64), Err(PrefixLenError::Ipv4(64)));
    let message = PrefixLenError::Ipv4(64).to_string();
    assert!(
        message.contains("IPv4") && message.contains("64"),
        "{message}"
    );
    assert!(key.with_ipv4_prefix(32).is_ok() && key.with_ipv6_prefix(128).is_ok());
    assert_eq!(key.with_ipv4_prefix(32).unwrap(), key);
    assert_eq!(key.with_ipv6_prefix(64).unwrap(), key);
}

#[test]
fn the_governor_key_refuses_with_a_400_and_a_missing_layer_with_a_500() {
    let refused = |request: &Request<()>| match ClientIpKey::default().extract(request) {
        Err(GovernorError::Other { code, msg, headers }) => {
            let content_type = headers.and_then(|h| h.get(header::CONTENT_TYPE).cloned());
            (code, msg.unwrap_or_default(), content_type)
        }
        other => panic!("{other:?}"),
    };
    // A refusal resolved by the layer.
    let mut request = Request::new(());
    let err: Result<ClientIp, ClientIpRejection> =
        Err(ClientIpRejection::Refused(ResolveError::AllTrusted {
            entries: 2,
        }));
    request.extensions_mut().insert(err);
    let (code, body, content_type) = refused(&request);
    assert_eq!(code, StatusCode::BAD_REQUEST);
    assert_eq!(content_type.unwrap(), "application/json");
    let json = refusal(&body, "all_trusted");
    assert_eq!(
        json["message"],
        ResolveError::AllTrusted { entries: 2 }.to_string()
    );
    // No layer: a 500 naming the order, never keyed under a shared fallback.
    let (code, body, _) = refused(&Request::new(()));
    assert_eq!(code, StatusCode::INTERNAL_SERVER_ERROR);
    refusal(&body, "client_ip_layer_missing");
}

#[tokio::test]
async fn a_governor_that_runs_before_the_layer_is_a_500_naming_the_order() {
    use std::sync::Arc;
    use tower_governor::GovernorLayer;
    use tower_governor::governor::GovernorConfigBuilder;

    let config = || {
        let config = GovernorConfigBuilder::default()
            .per_second(1)
            .burst_size(5)
            .key_extractor(ClientIpKey::default())
            .finish();
        Arc::new(config.unwrap())
    };
    // Wrong: the governor, added last, runs first and finds nothing resolved.
    let wrong = Router::new()
        .route("/", get(answer))
        .layer(ClientIpLayer::new(Source::default()))
        .layer(GovernorLayer::new(config()));
    let response = send(wrong, with_socket(None, "192.0.2.1:5000")).await;
    miswired(response, "client_ip_layer_missing", "GovernorLayer");
    // Right: `ClientIpLayer` added last.
    let right = Router::new()
        .route("/", get(answer))
        .layer(GovernorLayer::new(config()))
        .layer(ClientIpLayer::new(Source::default()));
    let (status, _, body) = send(right, with_socket(None, "192.0.2.1:5000")).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "192.0.2.1 0"));
}

#[tokio::test]
async fn an_app_tested_with_mock_connect_info_answers_the_mocked_peer() {
    use axum::extract::connect_info::MockConnectInfo;

    // As axum teaches: the Router served with `into_make_service_with_connect_info`, tested with
    // `MockConnectInfo`. 0.3.0 answered every such request 500 client_ip_no_peer.
    let mocked = SocketAddr::from(([192, 0, 2, 1], 5000));
    let app = app(Source::default()).layer(MockConnectInfo(mocked));
    let (status, _, body) = send(app.clone(), request(Some("6.6.6.6"))).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "192.0.2.1 0"));
    // A real `ConnectInfo` takes precedence, as it does for axum's own extractor.
    let (status, _, body) = send(app, with_socket(None, "198.51.100.7:5000")).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "198.51.100.7 0"));
}

/// A request as a server that is not axum hands it over: its peer recorded as `SocketPeer`.
fn with_socket_peer(xff: Option<&str>, peer: &str) -> Request<Body> {
    let mut request = request(xff);
    let peer: SocketAddr = peer.parse().unwrap();
    request.extensions_mut().insert(SocketPeer(peer));
    request
}

#[tokio::test]
async fn a_socket_peer_is_read_as_connect_info_is() {
    let (status, _, body) = send(
        app(Source::default()),
        with_socket_peer(Some("6.6.6.6"), "192.0.2.1:5000"),
    )
    .await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "192.0.2.1 0"));
    let behind_alb = app(Source::x_forwarded_for(ProxyCount::new(1).unwrap()));
    let request = with_socket_peer(Some("6.6.6.6, 203.0.113.9"), "10.0.0.7:5000");
    let (status, _, body) = send(behind_alb, request).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "203.0.113.9 1"));
}

#[tokio::test]
async fn a_socket_peer_beside_axums_peer_is_a_wiring_error() {
    use axum::extract::connect_info::MockConnectInfo;

    // Two recorders, even of one address: the server is wired twice, and neither is chosen.
    let mut both = with_socket(None, "192.0.2.1:5000");
    both.extensions_mut()
        .insert(SocketPeer("192.0.2.1:5000".parse().unwrap()));
    let response = send(app(Source::default()), both).await;
    miswired(response, "client_ip_no_peer", "SocketPeer");
    let mocked = MockConnectInfo(SocketAddr::from(([192, 0, 2, 1], 5000)));
    let app = app(Source::default()).layer(mocked);
    let response = send(app, with_socket_peer(None, "198.51.100.7:5000")).await;
    miswired(response, "client_ip_no_peer", "SocketPeer");
}
