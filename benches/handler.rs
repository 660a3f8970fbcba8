//! The whole handler, event bytes in to response bytes out, on the AWS sample ALB event
//! (`benches/events/`, single- and multi-value form), its parts, and reference lines:
//! `aws_lambda_events` deserializing the same bytes into `AlbTargetGroupRequest` and serializing
//! a small `AlbTargetGroupResponse`, which is what a typed handler would pay.
//!
//! - `handle_bytes`: what the Lambda runtime does around the handler, bytes to bytes;
//! - `respond`: the handler on the payload the runtime hands it (already a `RawValue`), its
//!   response serialized;
//! - `respond` with explain mode on: the same, with the `explain` member;
//! - `parts`: `handler::read` (the event into a `HeaderMap` and a peer) and `decide` (the
//!   library's resolver and the log line).
//!
//! Everything runs without a log subscriber (the log line is a no-op) except the last group,
//! `with info log to sink`, which installs the subscriber the binary installs
//! (`lambda_runtime::tracing::init_default_subscriber`, writing to a sink) and adds the one
//! formatted log line the function writes per request.
//!
//! `cargo bench --bench handler`; `cargo bench --bench handler -- --test` runs each once.

// A bench checks its inputs before timing them: a failed check is the report.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::hint::black_box;
use std::time::Duration;

use alb_client_ip::config::Config;
use alb_client_ip::handler::{decide, handle_bytes, read, respond};
use aws_lambda_events::alb::{AlbTargetGroupRequest, AlbTargetGroupResponse};
use aws_lambda_events::encodings::Body;
use aws_lambda_events::http::{HeaderMap, HeaderValue, header};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use serde_json::value::RawValue;

const SINGLE: &[u8] = include_bytes!("events/alb-sample.json");
const MULTI: &[u8] = include_bytes!("events/alb-sample-multi-value.json");
const EVENTS: [(&str, &[u8]); 2] = [("single-value", SINGLE), ("multi-value", MULTI)];

fn check(out: &[u8]) {
    let json: serde_json::Value = serde_json::from_slice(out).expect("response is JSON");
    assert_eq!(json["statusCode"], 200);
    assert_eq!(json["body"], r#"{"client_ip":"72.12.164.125"}"#);
}

fn raw(bytes: &[u8]) -> Box<RawValue> {
    serde_json::from_slice(bytes).expect("the sample is JSON")
}

fn whole_handler(c: &mut Criterion) {
    let config = Config::default();
    let mut group = c.benchmark_group("handle_bytes");
    for (name, bytes) in EVENTS {
        check(&handle_bytes(&config, bytes).expect("the sample is JSON"));
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_with_input(
            BenchmarkId::new("alb-client-ip", name),
            bytes,
            |b, bytes| b.iter(|| handle_bytes(&config, black_box(bytes))),
        );
    }
    group.finish();
    let mut group = c.benchmark_group("respond");
    for (name, bytes) in EVENTS {
        let payload = raw(bytes);
        check(&serde_json::to_vec(&respond(&config, &payload)).expect("serializes"));
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_with_input(
            BenchmarkId::new("respond + to_vec", name),
            &payload,
            |b, payload| b.iter(|| serde_json::to_vec(&respond(&config, black_box(payload)))),
        );
    }
    let explain = Config {
        explain: true,
        ..Config::default()
    };
    let payload = raw(SINGLE);
    let explained = serde_json::to_vec(&respond(&explain, &payload)).expect("serializes");
    assert!(String::from_utf8_lossy(&explained).contains("explain"));
    group.throughput(Throughput::Bytes(SINGLE.len() as u64));
    group.bench_with_input(
        BenchmarkId::new("respond + to_vec, explain on", "single-value"),
        &payload,
        |b, payload| b.iter(|| serde_json::to_vec(&respond(&explain, black_box(payload)))),
    );
    group.finish();
}

fn parts(c: &mut Criterion) {
    let config = Config::default();
    let mut group = c.benchmark_group("parts");
    for (name, bytes) in EVENTS {
        let payload = raw(bytes);
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_with_input(BenchmarkId::new("read", name), &payload, |b, payload| {
            b.iter(|| read(&config, black_box(payload)))
        });
    }
    group.throughput(Throughput::Elements(1));
    let request = read(&config, &raw(SINGLE));
    let decided = decide(&config, &request).expect("the sample is answered");
    assert_eq!(
        decided.map(|c| c.to_string()).as_deref(),
        Some("72.12.164.125")
    );
    group.bench_function("decide", |b| {
        b.iter(|| decide(&config, black_box(&request)))
    });
    group.finish();
}

/// Last: it installs the function's subscriber for the rest of the process.
fn with_log(c: &mut Criterion) {
    lambda_runtime::tracing::init_default_subscriber_with_writer(std::io::sink);
    let config = Config::default();
    let mut group = c.benchmark_group("handle_bytes");
    group.throughput(Throughput::Bytes(SINGLE.len() as u64));
    group.bench_function(
        BenchmarkId::new("alb-client-ip with info log to sink", "single-value"),
        |b| b.iter(|| handle_bytes(&config, black_box(SINGLE))),
    );
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
    targets = whole_handler, parts, reference, with_log
}
criterion_main!(benches);
