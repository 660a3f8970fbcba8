//! A `tower_governor` rate limiter keyed by the client address the front door vouches for.
//!
//! `ClientIpLayer` resolves each request; `tower_governor`'s `GovernorLayer` then charges it to
//! its client's budget, keyed by `ClientIpKey`. The order matters: `ClientIpLayer` is added last,
//! so it runs first (the other way round every request is a 500 naming this fix). A request whose address cannot be vouched
//! for is refused with a 400 JSON answer: it is never charged to a shared fallback key (one caller
//! could then exhaust everyone's budget, or a forger could dodge their own).
//!
//! Keys: an IPv4 client is its address; an IPv6 client is its /64 (`ClientIpKey::default()`),
//! because one host usually holds a whole /64 and would otherwise get a fresh budget with each
//! address it picks. Other prefixes: `ClientIpKey::default().with_ipv4_prefix(24)?` (clients
//! behind a carrier-grade NAT's pool) or `.with_ipv6_prefix(56)?`; a length longer than the
//! family's addresses is refused.
//!
//! On Lambda each execution environment holds its own limiter, so the budget is per environment
//! (concurrent environments each allow the quota): a brake on a noisy client, not a global quota.
//! A global one needs shared state (DynamoDB, ElastiCache) keyed the same way. A long-lived
//! environment may call `config.limiter().retain_recent()` now and then to drop full budgets.
//!
//! Configuration: the source is read from the environment by `Source::from_lookup`
//! (`TRUSTED_PROXY_COUNT`, `TRUSTED_PROXY_CIDRS`, `CLIENT_IP_HEADER`). Its tests run with
//! `cargo test -p lambda-client-ip --all-features`.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Response, StatusCode, header};
use axum::response::IntoResponse;
use axum::{Json, Router};
use lambda_client_ip::{ClientIp, ClientIpKey, ClientIpLayer, Source};
use serde_json::json;
use tower_governor::governor::{GovernorConfig, GovernorConfigBuilder};
use tower_governor::{GovernorError, GovernorLayer};

type Config = GovernorConfig<ClientIpKey, governor::middleware::NoOpMiddleware>;

/// A quota of `burst` requests, one more coming back every `period`.
fn quota(period: Duration, burst: u32) -> Arc<Config> {
    let config = GovernorConfigBuilder::default()
        .period(period)
        .burst_size(burst)
        .key_extractor(ClientIpKey::default())
        .finish();
    Arc::new(config.unwrap_or_else(|| unreachable!("a period and a burst above zero")))
}

/// The app: the limiter guards every route. `ClientIpLayer` is added last, so it runs first.
fn app(source: Source, config: Arc<Config>) -> Router {
    Router::new()
        .fallback(hello)
        .layer(GovernorLayer::new(config).error_handler(refuse))
        .layer(ClientIpLayer::new(source))
}

async fn hello(client: ClientIp) -> impl IntoResponse {
    Json(json!({ "client_ip": client.to_string() }))
}

/// The limiter's refusals as JSON: a 429 that says when to retry, or the key's own 400 answer.
fn refuse(error: GovernorError) -> Response<Body> {
    match error {
        GovernorError::TooManyRequests { wait_time, headers } => {
            let body = json!({
                "error": "rate_limited",
                "message": "Too many requests from this address; retry later.",
            });
            let mut response = (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
            let retry_after = wait_time.max(1);
            response.headers_mut().extend(headers.unwrap_or_default());
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, retry_after.into());
            response
        }
        other => {
            let (parts, body) = other.into_response().into_parts();
            Response::from_parts(parts, Body::from(body))
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let source = Source::from_lookup(|name| std::env::var(name).ok())?;
    // 60 requests a minute per client, in bursts of up to 20.
    lambda_http::run(app(source, quota(Duration::from_secs(1), 20))).await
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use serde_json::Value;
    use tower::ServiceExt;

    use super::*;

    /// Two requests per client, one back every 30 minutes: the third within a test is refused.
    fn two_per_hour() -> Arc<Config> {
        quota(Duration::from_secs(1800), 2)
    }

    /// The source `main` would build from this environment.
    fn env(vars: &[(&str, &str)]) -> Source {
        let vars: HashMap<&str, &str> = vars.iter().copied().collect();
        Source::from_lookup(|name| vars.get(name).map(|v| (*v).to_owned())).unwrap()
    }

    /// The ALB sample event of tests/events/ with `chain` as its X-Forwarded-For.
    fn alb_event(chain: Option<&str>) -> lambda_http::Request {
        let mut event: Value =
            serde_json::from_str(include_str!("../tests/events/alb-single-value.json")).unwrap();
        let headers = event["headers"].as_object_mut().unwrap();
        match chain {
            Some(chain) => headers.insert("x-forwarded-for".into(), json!(chain)),
            None => headers.remove("x-forwarded-for"),
        };
        lambda_http::request::from_str(&event.to_string()).unwrap()
    }

    /// The HTTP API sample event of tests/events/, without X-Forwarded-For, reporting `source_ip`.
    fn http_api_event(source_ip: &str) -> lambda_http::Request {
        let mut event: Value =
            serde_json::from_str(include_str!("../tests/events/apigw-http-v2.json")).unwrap();
        event["headers"]
            .as_object_mut()
            .unwrap()
            .remove("x-forwarded-for");
        event["requestContext"]["http"]["sourceIp"] = json!(source_ip);
        lambda_http::request::from_str(&event.to_string()).unwrap()
    }

    async fn send_request(app: &Router, request: lambda_http::Request) -> (StatusCode, Value) {
        let response = app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), 4096)
            .await
            .unwrap();
        (status, serde_json::from_slice(&body).unwrap())
    }

    async fn send(app: &Router, chain: Option<&str>) -> (StatusCode, Value) {
        send_request(app, alb_event(chain)).await
    }

    async fn status(app: &Router, chain: &str) -> StatusCode {
        send(app, Some(chain)).await.0
    }

    #[tokio::test]
    async fn two_clients_have_separate_budgets() {
        let app = app(Source::default(), two_per_hour());
        let (a, b) = ("198.51.100.7", "203.0.113.50");
        assert_eq!(
            send(&app, Some(a)).await,
            (StatusCode::OK, json!({ "client_ip": a }))
        );
        assert_eq!(status(&app, a).await, StatusCode::OK);
        assert_eq!(
            send(&app, Some(a)).await,
            (
                StatusCode::TOO_MANY_REQUESTS,
                json!({ "error": "rate_limited", "message": "Too many requests from this address; retry later." })
            )
        );
        // A's spent budget is A's alone.
        assert_eq!(status(&app, b).await, StatusCode::OK);
        assert_eq!(status(&app, b).await, StatusCode::OK);
        assert_eq!(status(&app, b).await, StatusCode::TOO_MANY_REQUESTS);
    }

    #[tokio::test]
    async fn a_forged_leftmost_entry_does_not_buy_a_fresh_budget() {
        // Client → the ALB directly: the ALB appends the client's address, whatever it sent.
        let direct = app(Source::default(), two_per_hour());
        assert_eq!(status(&direct, "198.51.100.7").await, StatusCode::OK);
        assert_eq!(status(&direct, "198.51.100.7").await, StatusCode::OK);
        for forged in [
            "192.0.2.1, 198.51.100.7",
            "192.0.2.2, 192.0.2.3, 198.51.100.7",
        ] {
            assert_eq!(
                status(&direct, forged).await,
                StatusCode::TOO_MANY_REQUESTS,
                "{forged}"
            );
        }

        // Client → a proxy of yours (203.0.113.10) → the ALB, trusted by count or by range.
        let one_proxy = env(&[("TRUSTED_PROXY_COUNT", "1")]);
        let ranges = env(&[("TRUSTED_PROXY_CIDRS", "203.0.113.0/24")]);
        for source in [one_proxy, ranges] {
            let app = app(source, two_per_hour());
            assert_eq!(
                status(&app, "198.51.100.7, 203.0.113.10").await,
                StatusCode::OK
            );
            assert_eq!(
                status(&app, "198.51.100.7, 203.0.113.10").await,
                StatusCode::OK
            );
            let forged = "192.0.2.1, 198.51.100.7, 203.0.113.10";
            assert_eq!(status(&app, forged).await, StatusCode::TOO_MANY_REQUESTS);
            // The proxy's other clients keep their own budgets.
            assert_eq!(
                status(&app, "198.51.100.8, 203.0.113.10").await,
                StatusCode::OK
            );
        }
    }

    #[tokio::test]
    async fn an_ipv6_client_cannot_hop_addresses_within_its_64() {
        let app = app(Source::default(), two_per_hour());
        assert_eq!(status(&app, "2001:db8:1:2::1").await, StatusCode::OK);
        assert_eq!(status(&app, "2001:db8:1:2::2").await, StatusCode::OK);
        assert_eq!(
            status(&app, "2001:db8:1:2:abcd::3").await,
            StatusCode::TOO_MANY_REQUESTS
        );
        assert_eq!(status(&app, "2001:db8:1:3::1").await, StatusCode::OK);
    }

    #[tokio::test]
    async fn api_gateway_without_forwarded_for_is_keyed_by_its_reported_peer() {
        let app = app(Source::default(), two_per_hour());
        for _ in 0..2 {
            let (status, body) = send_request(&app, http_api_event("198.51.100.9")).await;
            assert_eq!(
                (status, body),
                (StatusCode::OK, json!({ "client_ip": "198.51.100.9" }))
            );
        }
        let (status, _) = send_request(&app, http_api_event("198.51.100.9")).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        let (status, _) = send_request(&app, http_api_event("198.51.100.10")).await;
        assert_eq!(status, StatusCode::OK);
    }

    #[tokio::test]
    async fn unresolvable_requests_are_refused_and_charged_to_nobody() {
        let app = app(Source::default(), two_per_hour());
        for _ in 0..5 {
            let (status, body) = send(&app, None).await;
            assert_eq!(
                (status, &body["error"]),
                (StatusCode::BAD_REQUEST, &json!("no_client_address"))
            );
            assert!(
                body["message"].as_str().is_some_and(|m| m.ends_with('.')),
                "{body}"
            );
            let (status, body) = send(&app, Some("198.51.100.7, unknown")).await;
            assert_eq!(
                (status, &body["error"]),
                (StatusCode::BAD_REQUEST, &json!("invalid_entry"))
            );
            let (status, body) = send(&app, Some("255.255.255.255")).await;
            assert_eq!(
                (status, &body["error"]),
                (StatusCode::BAD_REQUEST, &json!("invalid_entry"))
            );
        }
        // No refusal spent anyone's budget: there is no shared fallback key.
        assert_eq!(status(&app, "198.51.100.7").await, StatusCode::OK);
        assert_eq!(status(&app, "0.0.0.0").await, StatusCode::BAD_REQUEST);
        assert_eq!(status(&app, "198.51.100.7").await, StatusCode::OK);
    }

    #[tokio::test]
    async fn a_refusal_says_when_to_retry() {
        let app = app(Source::default(), two_per_hour());
        for _ in 0..2 {
            app.clone()
                .oneshot(alb_event(Some("198.51.100.7")))
                .await
                .unwrap();
        }
        let response = app.oneshot(alb_event(Some("198.51.100.7"))).await.unwrap();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
        let retry_after: u64 = response.headers()[header::RETRY_AFTER]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        // Two an hour: one comes back every 30 minutes.
        assert!((1..=1800).contains(&retry_after), "{retry_after}");
    }
}
