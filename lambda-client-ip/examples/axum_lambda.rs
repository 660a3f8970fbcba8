//! An axum app on `lambda_http` that answers the caller's address.
//!
//! `ClientIpLayer` resolves every request once, reading the front door's peer from the request
//! context (ALB, API Gateway REST or HTTP API, Function URL); the handler takes the `ClientIp`
//! extractor and answers `{"client_ip": "..."}`, or a 400 `{"error": code, "message": ...}` when
//! the address cannot be vouched for. The same Router served on a socket (`serve_locally`, with
//! `ConnectInfo`) answers the socket's peer: copied into either server, it believes no forged
//! X-Forwarded-For.
//!
//! Configuration: the source is read from the environment by `Source::from_lookup`
//! (`TRUSTED_PROXY_COUNT`, `TRUSTED_PROXY_CIDRS`, `CLIENT_IP_HEADER`); a refused setting stops the
//! function before it serves anything, with a message naming the variable and its value.
//!
//! OpenTelemetry: each request runs inside a `request` span that declares the fields
//! `ClientIpLayer` records under OpenTelemetry's HTTP names (`client.address`, `client.port`,
//! `error.type`), and `tracing-opentelemetry` exports that span with them as attributes. `main`
//! exports to stdout; for a collector (the ADOT Lambda layer, an OTLP endpoint) hand `telemetry`
//! `opentelemetry-otlp`'s exporter instead. These crates are the example's own: the library
//! depends on none of them.
//!
//! It is a `lambda_http` function like any other (`cargo build --release -p lambda-client-ip
//! --example axum_lambda --features lambda_http,axum`, then package the binary as `bootstrap`);
//! its tests run with `cargo test -p lambda-client-ip --all-features`.

use std::net::SocketAddr;

use axum::extract::Request;
use axum::http::header;
use axum::middleware::{Next, from_fn};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use lambda_client_ip::{ClientIp, ClientIpLayer, ClientIpRejection, Source};
use opentelemetry::trace::TracerProvider;
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanExporter};
use serde_json::json;
use tokio::net::TcpListener;
use tracing::field::Empty;
use tracing::{Instrument, Subscriber};
use tracing_subscriber::layer::SubscriberExt;

/// The app: every path answers the client address.
fn app(source: Source) -> Router {
    Router::new()
        .fallback(client_ip)
        .layer(ClientIpLayer::new(source))
        // Added last, so it runs first: the span is current when `ClientIpLayer` records on it.
        .layer(from_fn(request_span))
}

/// Runs the request inside a span that declares what `ClientIpLayer` records: `tracing` keeps
/// only the fields a span declared.
async fn request_span(request: Request, next: Next) -> Response {
    let span = tracing::info_span!(
        "request",
        otel.kind = "server",
        http.request.method = %request.method(),
        client.address = Empty,
        client.port = Empty,
        error.type = Empty
    );
    next.run(request).instrument(span).await
}

/// A subscriber that exports every span through `exporter` as an OpenTelemetry span, its fields
/// as attributes, and the provider to flush before the process ends.
fn telemetry(
    exporter: impl SpanExporter + 'static,
) -> (SdkTracerProvider, impl Subscriber + Send + Sync) {
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter)
        .build();
    let tracer = tracing_opentelemetry::layer().with_tracer(provider.tracer("axum_lambda"));
    (provider, tracing_subscriber::registry().with(tracer))
}

/// The extractor's rejection is already a JSON answer (400 refused, 500 wired wrong); taking the
/// `Result` lets the handler add its own headers to both outcomes.
async fn client_ip(client: Result<ClientIp, ClientIpRejection>) -> Response {
    // The answer depends on who asks: no cache may keep it.
    let no_store = [(header::CACHE_CONTROL, "no-store")];
    match client {
        Ok(client) => (no_store, Json(json!({ "client_ip": client.to_string() }))).into_response(),
        Err(refused) => (no_store, refused).into_response(),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let source = Source::from_lookup(|name| std::env::var(name).ok())?;
    let (provider, subscriber) = telemetry(opentelemetry_stdout::SpanExporter::default());
    tracing::subscriber::set_global_default(subscriber)?;
    let served = match std::env::var("LISTEN") {
        // Local development (`LISTEN=127.0.0.1:3000`): the same Router on a socket.
        Ok(addr) => serve_locally(app(source), TcpListener::bind(addr).await?).await,
        Err(_) => lambda_http::run(app(source)).await,
    };
    provider.shutdown()?;
    served
}

/// Serves `app` on `listener`, each request's peer recorded as `ConnectInfo`.
async fn serve_locally(app: Router, listener: TcpListener) -> Result<(), lambda_http::Error> {
    let app = app.into_make_service_with_connect_info::<SocketAddr>();
    Ok(axum::serve(listener, app).await?)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use axum::http::StatusCode;
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

    /// The source `main` would build from this environment.
    fn env(vars: &[(&str, &str)]) -> Source {
        let vars: HashMap<&str, &str> = vars.iter().copied().collect();
        Source::from_lookup(|name| vars.get(name).map(|v| (*v).to_owned())).unwrap()
    }

    fn count(n: &str) -> Source {
        env(&[("TRUSTED_PROXY_COUNT", n)])
    }

    /// Sends `event` through the app, as `lambda_http::run` would hand it over.
    async fn invoke(source: Source, event: &str) -> (StatusCode, Value) {
        let request = lambda_http::request::from_str(event).unwrap();
        let response = app(source).oneshot(request).await.unwrap();
        let status = response.status();
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
        let body = axum::body::to_bytes(response.into_body(), 4096)
            .await
            .unwrap();
        (status, serde_json::from_slice(&body).unwrap())
    }

    /// Held by every test that runs the app, one at a time: the OpenTelemetry test sets a
    /// subscriber for its thread, and tracing registers a callsite with the subscribers present
    /// when it is first hit, so another test hitting the request span at that moment could leave
    /// it disabled for the subscriber (tracing's callsite interest cache).
    static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

    fn ok(ip: &str) -> (StatusCode, Value) {
        (StatusCode::OK, json!({ "client_ip": ip }))
    }

    #[tokio::test]
    async fn every_front_door_answers_the_address_it_vouches_for() {
        let _serial = SERIAL.lock().await;
        let cases = [
            (
                "ALB, single-value headers: the entry the ALB appended",
                ALB_SINGLE,
                count("0"),
                "198.51.100.7",
            ),
            (
                "ALB, multi-value headers: one proxy, lines joined in order",
                ALB_MULTI,
                count("1"),
                "198.51.100.7",
            ),
            (
                "REST regional: one proxy, the chain ends in the proxy",
                REST_REGIONAL,
                count("1"),
                "198.51.100.7",
            ),
            (
                "REST edge-optimized: count 0 is AWS's CloudFront edge",
                REST_EDGE,
                count("0"),
                "130.176.12.34",
            ),
            (
                "REST edge-optimized: count 1 reads past the edge",
                REST_EDGE,
                count("1"),
                "198.51.100.7",
            ),
            (
                "HTTP API: the peer it appended",
                HTTP_API,
                count("0"),
                "198.51.100.7",
            ),
            (
                "Function URL: count 0 is the CloudFront edge",
                FUNCTION_URL,
                count("0"),
                "130.176.12.34",
            ),
            (
                "Function URL behind CloudFront: one proxy",
                FUNCTION_URL,
                count("1"),
                "198.51.100.7",
            ),
        ];
        for (case, event, source, want) in cases {
            assert_eq!(invoke(source, event).await, ok(want), "{case}");
        }
    }

    #[tokio::test]
    async fn ranges_skip_the_proxies_they_name() {
        let _serial = SERIAL.lock().await;
        for list in ["203.0.113.0/24, 130.176.0.0/16", "203.0.113.10, cloudfront"] {
            let source = env(&[("TRUSTED_PROXY_CIDRS", list)]);
            for event in [
                ALB_SINGLE,
                ALB_MULTI,
                REST_REGIONAL,
                REST_EDGE,
                HTTP_API,
                FUNCTION_URL,
            ] {
                assert_eq!(
                    invoke(source.clone(), event).await,
                    ok("198.51.100.7"),
                    "{list}"
                );
            }
        }
    }

    #[tokio::test]
    async fn refusals_are_a_400_with_a_code_and_a_message() {
        let _serial = SERIAL.lock().await;
        let (status, body) = invoke(count("2"), REST_EDGE).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(
            body,
            json!({
                "error": "chain_too_short",
                "message": "The forwarding chain holds 2 addresses but the trusted proxy count needs at least 3.",
            })
        );

        let (status, body) = invoke(count("1"), HTTP_API).await;
        assert_eq!(
            (status, &body["error"]),
            (StatusCode::BAD_REQUEST, &json!("chain_too_short"))
        );

        let no_forwarded_for =
            ALB_SINGLE.replace(r#""x-forwarded-for""#, r#""x-not-forwarded-for""#);
        let (status, body) = invoke(count("0"), &no_forwarded_for).await;
        assert_eq!(
            (status, &body["error"]),
            (StatusCode::BAD_REQUEST, &json!("no_client_address"))
        );

        let garbage = ALB_SINGLE.replace("198.51.100.7", "unknown");
        let (status, body) = invoke(count("0"), &garbage).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(
            body["message"],
            r#"The x-forwarded-for entry at position 0 from the right ("unknown") is not a client's IP address."#
        );
    }

    #[tokio::test]
    async fn without_forwarded_for_api_gateway_reports_the_peer() {
        let _serial = SERIAL.lock().await;
        // An HTTP API event without X-Forwarded-For: `sourceIp` stands in as position 0.
        let mut event: Value = serde_json::from_str(HTTP_API).unwrap();
        event["headers"]
            .as_object_mut()
            .unwrap()
            .remove("x-forwarded-for");
        let event = event.to_string();
        assert_eq!(invoke(count("0"), &event).await, ok("198.51.100.7"));
        let (status, body) = invoke(count("1"), &event).await;
        assert_eq!(
            (status, &body["error"]),
            (StatusCode::BAD_REQUEST, &json!("chain_too_short"))
        );
    }

    #[tokio::test]
    async fn on_a_socket_the_same_app_answers_the_peer_not_a_forged_chain() {
        let _serial = SERIAL.lock().await;
        use tokio::io::{AsyncReadExt, AsyncWriteExt};

        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(serve_locally(app(count("0")), listener));
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let request =
            "GET / HTTP/1.1\r\nhost: x\r\nx-forwarded-for: 6.6.6.6\r\nconnection: close\r\n\r\n";
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        assert!(
            response.ends_with(r#"{"client_ip":"127.0.0.1"}"#),
            "{response}"
        );
    }

    /// The request span as OpenTelemetry exports it: the client, never the leftmost entry, as
    /// `client.address`; a refusal's code as `error.type`.
    #[tokio::test]
    async fn the_request_span_is_exported_with_the_client_as_attributes() {
        let _serial = SERIAL.lock().await;
        use opentelemetry::KeyValue;
        use opentelemetry_sdk::trace::InMemorySpanExporter;

        let exporter = InMemorySpanExporter::default();
        let (provider, subscriber) = telemetry(exporter.clone());
        let _default = tracing::subscriber::set_default(subscriber);
        assert_eq!(invoke(count("1"), ALB_MULTI).await, ok("198.51.100.7"));
        let (status, _) = invoke(count("30"), ALB_MULTI).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        provider.force_flush().unwrap();
        let spans = exporter.get_finished_spans().unwrap();
        let attributes: Vec<Vec<String>> = spans
            .iter()
            .filter(|span| span.name == "request")
            .map(|span| {
                let named = |kv: &&KeyValue| {
                    ["client.", "error."]
                        .iter()
                        .any(|p| kv.key.as_str().starts_with(p))
                };
                let pairs = span.attributes.iter().filter(named);
                pairs.map(|kv| format!("{}={}", kv.key, kv.value)).collect()
            })
            .collect();
        assert_eq!(
            attributes,
            [
                vec!["client.address=198.51.100.7"],
                vec!["error.type=chain_too_short"]
            ]
        );
    }

    #[test]
    fn a_refused_environment_names_the_variable_and_its_value() {
        let vars = HashMap::from([("TRUSTED_PROXY_CIDRS", "10.0.0.1/8")]);
        let err = Source::from_lookup(|name| vars.get(name).map(|v| (*v).to_owned())).unwrap_err();
        assert!(
            err.to_string()
                .starts_with(r#"TRUSTED_PROXY_CIDRS="10.0.0.1/8" is not accepted"#),
            "{err}"
        );
    }
}
