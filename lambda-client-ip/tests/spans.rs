//! `ClientIpLayer` records its outcome on the request span under OpenTelemetry's names, as a
//! subscriber sees it: `client.address` and `client.port` for an answer, `error.type` for a
//! refusal; never the leftmost entry.

// A test crate: a panic is the failure report.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use http::Request;
use lambda_client_ip::layer::SocketPeer;
use lambda_client_ip::{ClientIpLayer, ProxyCount, Source};
use tower::{ServiceBuilder, ServiceExt, service_fn};
use tracing::field::{Empty, Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Instrument, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

/// Every value recorded on a span after it was created, as `name=value`.
#[derive(Clone, Default)]
struct Recorded(Arc<Mutex<Vec<String>>>);

impl Visit for Recorded {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let line = format!("{}={value:?}", field.name());
        self.0.lock().unwrap().push(line);
    }
}

impl<S: Subscriber> Layer<S> for Recorded {
    fn on_new_span(&self, _: &Attributes<'_>, _: &Id, _: Context<'_, S>) {}

    fn on_record(&self, _: &Id, values: &Record<'_>, _: Context<'_, S>) {
        values.record(&mut self.clone());
    }
}

/// What the layer records on the request span for a request from `peer` with `xff`.
async fn recorded(source: Source, peer: &str, xff: &str) -> Vec<String> {
    let recorded = Recorded::default();
    let subscriber = tracing_subscriber::registry().with(recorded.clone());
    let _default = tracing::subscriber::set_default(subscriber);
    let span = tracing::info_span!(
        "request",
        client.address = Empty,
        client.port = Empty,
        error.type = Empty
    );
    let service = ServiceBuilder::new()
        .layer(ClientIpLayer::new(source))
        .service(service_fn(|_: Request<()>| async {
            Ok::<_, Infallible>(())
        }));
    let mut request = Request::new(());
    request
        .headers_mut()
        .insert("x-forwarded-for", xff.parse().unwrap());
    request
        .extensions_mut()
        .insert(SocketPeer(peer.parse().unwrap()));
    service.oneshot(request).instrument(span).await.unwrap();
    recorded.0.lock().unwrap().clone()
}

#[tokio::test(flavor = "current_thread")]
async fn an_answer_is_recorded_as_client_address_and_port() {
    let one = Source::x_forwarded_for(ProxyCount::new(1).unwrap());
    let lines = recorded(one, "10.0.0.7:443", "6.6.6.6, 203.0.113.9:4711").await;
    assert_eq!(lines, ["client.address=203.0.113.9", "client.port=4711"]);
}

#[tokio::test(flavor = "current_thread")]
async fn the_client_is_never_the_leftmost_entry_and_no_port_is_made_up() {
    let lines = recorded(
        Source::default(),
        "198.51.100.7:50000",
        "6.6.6.6, 203.0.113.9",
    )
    .await;
    assert_eq!(lines, ["client.address=198.51.100.7"]);
}

#[tokio::test(flavor = "current_thread")]
async fn a_refusal_is_recorded_as_error_type_and_no_client() {
    let two = Source::x_forwarded_for(ProxyCount::new(2).unwrap());
    let lines = recorded(two, "10.0.0.7:443", "203.0.113.9").await;
    assert_eq!(lines, ["error.type=\"chain_too_short\""]);
}
