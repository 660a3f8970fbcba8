//! An axum app on `lambda_http` that answers the caller's address.
//!
//! `ClientIpLayer` resolves every request once, reading the front door from the request context
//! (ALB, API Gateway REST or HTTP API, Function URL); the handler answers
//! `{"client_ip": "..."}`, or a 400 `{"error": code, "message": ...}` when the address cannot be
//! vouched for.
//!
//! Configuration, as the root project's function reads it (set at most one):
//! - `TRUSTED_PROXY_COUNT`: how many proxies of yours stand in front of the front door (0 to 30);
//! - `TRUSTED_PROXY_CIDRS`: their address ranges, comma-separated.
//!
//! It is a `lambda_http` function like any other (`cargo build --release --example axum_lambda
//! --features lambda_http,tower`, then package the binary as `bootstrap`); its tests run with
//! `cargo test -p lambda-client-ip --all-features`.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json, Router};
use lambda_client_ip::{ClientIpLayer, Resolution, TrustPolicy};
use serde_json::json;

/// The app: every path answers the client address.
fn app(policy: TrustPolicy) -> Router {
    Router::new()
        .fallback(client_ip)
        .layer(ClientIpLayer::new(policy))
}

async fn client_ip(Extension(Resolution(result)): Extension<Resolution>) -> Response {
    // The answer depends on who asks: no cache may keep it.
    let no_store = [(header::CACHE_CONTROL, "no-store")];
    match result {
        Ok(client) => (no_store, Json(json!({ "client_ip": client.to_string() }))).into_response(),
        Err(err) => (
            StatusCode::BAD_REQUEST,
            no_store,
            Json(json!({ "error": err.code(), "message": err.to_string() })),
        )
            .into_response(),
    }
}

/// The policy from the environment; a bad value stops the function before it serves anything.
fn policy_from_env() -> Result<TrustPolicy, lambda_http::Error> {
    let var = |name| {
        std::env::var(name)
            .ok()
            .filter(|v: &String| !v.trim().is_empty())
    };
    match (var("TRUSTED_PROXY_COUNT"), var("TRUSTED_PROXY_CIDRS")) {
        (Some(_), Some(_)) => {
            Err("set TRUSTED_PROXY_COUNT or TRUSTED_PROXY_CIDRS, not both".into())
        }
        (Some(count), None) => Ok(TrustPolicy::Count(count.parse()?)),
        (None, Some(ranges)) => Ok(TrustPolicy::Ranges(ranges.parse()?)),
        (None, None) => Ok(TrustPolicy::default()),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::run(app(policy_from_env()?)).await
}

#[cfg(test)]
mod tests {
    use lambda_client_ip::ProxyCount;
    use serde_json::Value;
    use tower::ServiceExt;

    use super::*;

    /// The sample events of tests/events/, one per front door.
    const ALB_SINGLE: &str = include_str!("../tests/events/alb-single-value.json");
    const ALB_MULTI: &str = include_str!("../tests/events/alb-multi-value.json");
    const REST_REGIONAL: &str = include_str!("../tests/events/apigw-rest-regional.json");
    const REST_EDGE: &str = include_str!("../tests/events/apigw-rest-edge-optimized.json");
    const HTTP_API: &str = include_str!("../tests/events/apigw-http-v2.json");
    const FUNCTION_URL: &str = include_str!("../tests/events/function-url-behind-cloudfront.json");

    fn count(n: u8) -> TrustPolicy {
        TrustPolicy::Count(ProxyCount::new(n).unwrap())
    }

    /// Sends `event` through the app, as `lambda_http::run` would hand it over.
    async fn invoke(policy: TrustPolicy, event: &str) -> (StatusCode, Value) {
        let request = lambda_http::request::from_str(event).unwrap();
        let response = app(policy).oneshot(request).await.unwrap();
        let status = response.status();
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
        let body = axum::body::to_bytes(response.into_body(), 4096)
            .await
            .unwrap();
        (status, serde_json::from_slice(&body).unwrap())
    }

    fn ok(ip: &str) -> (StatusCode, Value) {
        (StatusCode::OK, json!({ "client_ip": ip }))
    }

    #[tokio::test]
    async fn every_front_door_answers_the_address_it_vouches_for() {
        let cases = [
            (
                "ALB, single-value headers: the entry the ALB appended",
                ALB_SINGLE,
                count(0),
                "198.51.100.7",
            ),
            (
                "ALB, multi-value headers: one proxy, lines joined in order",
                ALB_MULTI,
                count(1),
                "198.51.100.7",
            ),
            (
                "REST regional: one proxy, the chain ends in sourceIp",
                REST_REGIONAL,
                count(1),
                "198.51.100.7",
            ),
            (
                "REST edge-optimized: sourceIp, not CloudFront's edge",
                REST_EDGE,
                count(0),
                "198.51.100.7",
            ),
            ("HTTP API: sourceIp", HTTP_API, count(0), "198.51.100.7"),
            (
                "Function URL: sourceIp as ip:port",
                FUNCTION_URL,
                count(0),
                "130.176.12.34",
            ),
            (
                "Function URL behind CloudFront: one proxy",
                FUNCTION_URL,
                count(1),
                "198.51.100.7",
            ),
        ];
        for (case, event, policy, want) in cases {
            assert_eq!(invoke(policy, event).await, ok(want), "{case}");
        }
    }

    #[tokio::test]
    async fn a_ranges_policy_skips_the_proxies_it_names() {
        let ranges = TrustPolicy::Ranges("203.0.113.0/24, 130.176.0.0/16".parse().unwrap());
        for event in [
            ALB_SINGLE,
            ALB_MULTI,
            REST_REGIONAL,
            REST_EDGE,
            HTTP_API,
            FUNCTION_URL,
        ] {
            assert_eq!(invoke(ranges.clone(), event).await, ok("198.51.100.7"));
        }
    }

    #[tokio::test]
    async fn refusals_are_a_400_with_a_code_and_a_message() {
        let (status, body) = invoke(count(1), REST_EDGE).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(
            body,
            json!({
                "error": "chain_too_short",
                "message": "The forwarding chain holds 1 address but the trusted proxy count needs at least 2.",
            })
        );

        let (status, body) = invoke(count(1), HTTP_API).await;
        assert_eq!(
            (status, &body["error"]),
            (StatusCode::BAD_REQUEST, &json!("chain_too_short"))
        );

        let no_forwarded_for =
            ALB_SINGLE.replace(r#""x-forwarded-for""#, r#""x-not-forwarded-for""#);
        let (status, body) = invoke(count(0), &no_forwarded_for).await;
        assert_eq!(
            (status, &body["error"]),
            (StatusCode::BAD_REQUEST, &json!("no_client_address"))
        );

        let garbage = ALB_SINGLE.replace("198.51.100.7", "unknown");
        let (status, body) = invoke(count(0), &garbage).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(
            body["message"],
            r#"The X-Forwarded-For entry at position 0 from the right ("unknown") is not an IP address."#
        );
    }
}
