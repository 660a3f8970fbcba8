//! A rate limiter keyed by the client address the front door vouches for.
//!
//! `ClientIpLayer` resolves each request; a middleware then charges the request to its client's
//! budget in a `governor` keyed rate limiter. A request whose address cannot be vouched for is
//! refused with a 400: it is never charged to a shared fallback key (one caller could then
//! exhaust everyone's budget, or a forger could dodge their own).
//!
//! Keys: an IPv4 client is its address; an IPv6 client is its /64, because one host usually holds
//! a whole /64 and would otherwise get a fresh budget with each address it picks.
//!
//! On Lambda each execution environment holds its own limiter, so the budget is per environment
//! (concurrent environments each allow the quota): a brake on a noisy client, not a global quota.
//! A global one needs shared state (DynamoDB, ElastiCache) keyed the same way.
//!
//! Configuration: `TRUSTED_PROXY_COUNT` or `TRUSTED_PROXY_CIDRS`, as in the `axum_lambda`
//! example. Its tests run with `cargo test -p lambda-client-ip --all-features`.

use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json, Router};
use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota};
use lambda_client_ip::{ClientIpLayer, Resolution, TrustPolicy};
use serde_json::json;

type Limiter = DefaultKeyedRateLimiter<IpAddr>;

/// Past this many keys, keys whose budget is full again are dropped, so a flood of addresses
/// cannot grow the limiter without bound.
const PRUNE_ABOVE: usize = 10_000;

/// The app: the limiter guards every route. `ClientIpLayer` is added last, so it runs first.
fn app(policy: TrustPolicy, quota: Quota) -> Router {
    let limiter = Arc::new(Limiter::keyed(quota));
    Router::new()
        .fallback(hello)
        .layer(middleware::from_fn_with_state(limiter, rate_limit))
        .layer(ClientIpLayer::new(policy))
}

async fn hello(Extension(Resolution(result)): Extension<Resolution>) -> Response {
    match result {
        Ok(client) => Json(json!({ "client_ip": client.to_string() })).into_response(),
        // The limiter let nothing unresolved through.
        Err(err) => refuse(StatusCode::BAD_REQUEST, err.code(), &err.to_string()),
    }
}

/// The key a client is charged to: its IPv4 address, or its IPv6 /64.
fn budget_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(v6.to_bits() & !u128::from(u64::MAX))),
    }
}

async fn rate_limit(State(limiter): State<Arc<Limiter>>, request: Request, next: Next) -> Response {
    let client = match request.extensions().get::<Resolution>() {
        Some(Resolution(Ok(client))) => client.ip(),
        Some(Resolution(Err(err))) => {
            return refuse(StatusCode::BAD_REQUEST, err.code(), &err.to_string());
        }
        None => {
            let message = "ClientIpLayer must wrap the rate limiter.";
            return refuse(StatusCode::INTERNAL_SERVER_ERROR, "no_resolution", message);
        }
    };
    if limiter.len() > PRUNE_ABOVE {
        limiter.retain_recent();
    }
    match limiter.check_key(&budget_key(client)) {
        Ok(()) => next.run(request).await,
        Err(not_until) => {
            let wait = not_until.wait_time_from(limiter.clock().now());
            let mut response = refuse(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "Too many requests from this address; retry later.",
            );
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            response
        }
    }
}

fn refuse(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(json!({ "error": code, "message": message }))).into_response()
}

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
    // 60 requests a minute per client, in bursts of up to 20.
    let quota = Quota::per_minute(NonZeroU32::MIN.saturating_add(59))
        .allow_burst(NonZeroU32::MIN.saturating_add(19));
    lambda_http::run(app(policy_from_env()?, quota)).await
}

#[cfg(test)]
mod tests {
    use lambda_client_ip::ProxyCount;
    use serde_json::Value;
    use tower::ServiceExt;

    use super::*;

    /// Two requests per client per hour: the third within a test is always refused.
    fn two_per_hour() -> Quota {
        Quota::per_hour(NonZeroU32::MIN.saturating_add(1))
    }

    /// An ALB event (as `lambda_http` hands it over) whose X-Forwarded-For is `chain`.
    fn alb_event(chain: Option<&str>) -> lambda_http::Request {
        let headers = match chain {
            Some(chain) => json!({ "x-forwarded-for": chain }),
            None => json!({}),
        };
        let event = json!({
            "requestContext": {"elb": {"targetGroupArn":
                "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/lambda/49e9d65c45c6791a"}},
            "httpMethod": "GET", "path": "/", "queryStringParameters": {},
            "headers": headers, "body": "", "isBase64Encoded": false
        });
        lambda_http::request::from_str(&event.to_string()).unwrap()
    }

    async fn send(app: &Router, chain: Option<&str>) -> (StatusCode, Value) {
        let response = app.clone().oneshot(alb_event(chain)).await.unwrap();
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), 4096)
            .await
            .unwrap();
        (status, serde_json::from_slice(&body).unwrap())
    }

    async fn status(app: &Router, chain: &str) -> StatusCode {
        send(app, Some(chain)).await.0
    }

    #[tokio::test]
    async fn two_clients_have_separate_budgets() {
        let app = app(TrustPolicy::default(), two_per_hour());
        let (a, b) = ("198.51.100.7", "203.0.113.50");
        assert_eq!(status(&app, a).await, StatusCode::OK);
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
        let direct = app(TrustPolicy::default(), two_per_hour());
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
        let one_proxy = TrustPolicy::Count(ProxyCount::new(1).unwrap());
        let ranges = TrustPolicy::Ranges("203.0.113.0/24".parse().unwrap());
        for policy in [one_proxy, ranges] {
            let app = app(policy, two_per_hour());
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
        let app = app(TrustPolicy::default(), two_per_hour());
        assert_eq!(status(&app, "2001:db8:1:2::1").await, StatusCode::OK);
        assert_eq!(status(&app, "2001:db8:1:2::2").await, StatusCode::OK);
        assert_eq!(
            status(&app, "2001:db8:1:2:abcd::3").await,
            StatusCode::TOO_MANY_REQUESTS
        );
        assert_eq!(status(&app, "2001:db8:1:3::1").await, StatusCode::OK);
    }

    #[tokio::test]
    async fn unresolvable_requests_are_refused_and_charged_to_nobody() {
        let app = app(TrustPolicy::default(), two_per_hour());
        for _ in 0..5 {
            let (status, body) = send(&app, None).await;
            assert_eq!(
                (status, &body["error"]),
                (StatusCode::BAD_REQUEST, &json!("no_client_address"))
            );
            let (status, body) = send(&app, Some("198.51.100.7, unknown")).await;
            assert_eq!(
                (status, &body["error"]),
                (StatusCode::BAD_REQUEST, &json!("invalid_entry"))
            );
        }
        // Neither refusal spent anyone's budget: there is no shared fallback key.
        assert_eq!(status(&app, "198.51.100.7").await, StatusCode::OK);
        assert_eq!(status(&app, "0.0.0.0").await, StatusCode::BAD_REQUEST);
        assert_eq!(status(&app, "198.51.100.7").await, StatusCode::OK);
    }

    #[tokio::test]
    async fn a_refusal_says_when_to_retry() {
        let app = app(TrustPolicy::default(), two_per_hour());
        for _ in 0..2 {
            app.clone()
                .oneshot(alb_event(Some("198.51.100.7")))
                .await
                .unwrap();
        }
        let response = app.oneshot(alb_event(Some("198.51.100.7"))).await.unwrap();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        let retry_after: u64 = response.headers()[header::RETRY_AFTER]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        // Two an hour: one comes back every 30 minutes.
        assert!((1..=1800).contains(&retry_after), "{retry_after}");
    }

    #[test]
    fn budget_keys() {
        let key = |s: &str| budget_key(s.parse().unwrap()).to_string();
        assert_eq!(key("198.51.100.7"), "198.51.100.7");
        assert_eq!(key("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::");
    }
}
