//! The whole handler, event bytes in to response bytes out, on the AWS sample ALB event
//! (`benches/events/`, single- and multi-value form), its parts, and reference lines:
//! `aws_lambda_events` deserializing the same bytes into `AlbTargetGroupRequest` and serializing
//! a small `AlbTargetGroupResponse`, which is what a typed handler would pay.
//!
//! `handle_bytes` runs without a tracing subscriber here (its log line is a no-op); the
//! `with info log to sink` line adds the one formatted log line the function writes per request.
//!
//! `cargo bench --bench handler`; `cargo bench --bench handler -- --test` runs each once.

use std::hint::black_box;
use std::time::Duration;

use alb_client_ip::config::Config;
use alb_client_ip::event::Event;
use alb_client_ip::handler::{decide, handle_bytes};
use aws_lambda_events::alb::{AlbTargetGroupRequest, AlbTargetGroupResponse};
use aws_lambda_events::encodings::Body;
use aws_lambda_events::http::{HeaderMap, HeaderValue, header};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

const SINGLE: &[u8] = include_bytes!("events/alb-sample.json");
const MULTI: &[u8] = include_bytes!("events/alb-sample-multi-value.json");
const EVENTS: [(&str, &[u8]); 2] = [("single-value", SINGLE), ("multi-value", MULTI)];

fn check(out: &[u8]) {
    let json: serde_json::Value = serde_json::from_slice(out).expect("response is JSON");
    assert_eq!(json["statusCode"], 200);
    assert_eq!(json["body"], r#"{"client_ip":"72.12.164.125"}"#);
}

fn whole_handler(c: &mut Criterion) {
    let config = Config::default();
    let mut group = c.benchmark_group("handle_bytes");
    for (name, bytes) in EVENTS {
        check(&handle_bytes(&config, bytes));
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_with_input(
            BenchmarkId::new("alb-client-ip", name),
            bytes,
            |b, bytes| b.iter(|| handle_bytes(&config, black_box(bytes))),
        );
    }
    // The function's real per-request log line, formatted and written to a sink.
    let subscriber = tracing_subscriber::fmt()
        .with_writer(std::io::sink)
        .with_max_level(tracing::Level::INFO)
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        group.throughput(Throughput::Bytes(SINGLE.len() as u64));
        group.bench_function(
            BenchmarkId::new("alb-client-ip with info log to sink", "single-value"),
            |b| b.iter(|| handle_bytes(&config, black_box(SINGLE))),
        );
    });
    group.finish();
}

fn parts(c: &mut Criterion) {
    let config = Config::default();
    let mut group = c.benchmark_group("parts");
    for (name, bytes) in EVENTS {
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_with_input(
            BenchmarkId::new("Event::from_slice", name),
            bytes,
            |b, bytes| b.iter(|| Event::from_slice(black_box(bytes))),
        );
    }
    group.throughput(Throughput::Elements(1));
    let event = Event::from_slice(SINGLE);
    group.bench_function("decide", |b| b.iter(|| decide(&config, black_box(&event))));
    let decision = decide(&config, &event);
    group.bench_function("response + to_vec", |b| {
        b.iter(|| serde_json::to_vec(&black_box(decision.clone()).response()))
    });
    // The same JSON through aws_lambda_events' typed response and its two http::HeaderMaps.
    group.bench_function("typed into_response + to_vec", |b| {
        b.iter(|| serde_json::to_vec(&black_box(decision.clone()).into_response()))
    });
    group.finish();
}

fn reference(c: &mut Criterion) {
    let mut group = c.benchmark_group("aws_lambda_events");
    for (name, bytes) in EVENTS {
        serde_json::from_slice::<AlbTargetGroupRequest>(bytes).expect("sample deserializes");
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_with_input(
            BenchmarkId::new("deserialize AlbTargetGroupRequest", name),
            bytes,
            |b, bytes| b.iter(|| serde_json::from_slice::<AlbTargetGroupRequest>(black_box(bytes))),
        );
    }
    group.throughput(Throughput::Elements(1));
    group.bench_function("serialize small AlbTargetGroupResponse", |b| {
        b.iter(|| {
            let mut headers = HeaderMap::with_capacity(1);
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
            let mut response = AlbTargetGroupResponse::default();
            response.status_code = 200;
            response.status_description = Some("200 OK".to_owned());
            response.headers = headers;
            response.body = Some(Body::Text(
                black_box("<h1>Hello from Lambda!</h1>").to_owned(),
            ));
            serde_json::to_vec(&response)
        })
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(700))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! {
    name = benches;
    config = config();
    targets = whole_handler, parts, reference
}
criterion_main!(benches);
