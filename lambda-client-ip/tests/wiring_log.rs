//! A wiring error is logged once per kind per process, not once per request: its own test binary,
//! since the record of what was logged lives as long as the process.

// A test crate: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use http::{Request, StatusCode};
use lambda_client_ip::{ClientIp, ClientIpLayer, Source};
use tower::ServiceExt;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

/// Keeps the `code` field of every ERROR event.
#[derive(Clone, Default)]
struct Codes(Arc<Mutex<Vec<String>>>);

impl Visit for Codes {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "code" {
            self.0.lock().unwrap().push(value.to_owned());
        }
    }

    fn record_debug(&mut self, _: &Field, _: &dyn std::fmt::Debug) {}
}

impl Subscriber for Codes {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        *metadata.level() == Level::ERROR
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        event.record(&mut self.clone());
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[tokio::test]
async fn each_kind_of_wiring_error_is_logged_once_not_per_request() {
    let codes = Codes::default();
    let _guard = tracing::subscriber::set_default(codes.clone());
    let answer = get(|client: ClientIp| async move { client.to_string() });
    let no_layer = Router::new().route("/", answer.clone());
    let no_peer = Router::new()
        .route("/", answer)
        .layer(ClientIpLayer::new(Source::default()));
    for _ in 0..3 {
        for app in [no_layer.clone(), no_peer.clone()] {
            let response = app.oneshot(Request::new(Body::empty())).await.unwrap();
            assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        }
    }
    let logged = codes.0.lock().unwrap().clone();
    assert_eq!(logged, ["client_ip_layer_missing", "client_ip_no_peer"]);
}
