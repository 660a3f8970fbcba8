//! A minimal Lambda Runtime API, enough to run the real function binary as Lambda would.
//!
//! It serves `GET /2018-06-01/runtime/invocation/next` from a queue the test fills, and records
//! what the function posts to `.../response` and `.../error`. HTTP/1.1 with keep-alive, bodies by
//! `Content-Length` or chunked. Listens on 127.0.0.1 only.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What the function posted for one invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Posted {
    /// `POST /runtime/invocation/{id}/response`
    Response(String, Vec<u8>),
    /// `POST /runtime/invocation/{id}/error` or `/runtime/init/error`
    Error(String, Vec<u8>),
}

/// The running fake API.
pub struct RuntimeApi {
    /// `host:port`, the value of `AWS_LAMBDA_RUNTIME_API`.
    pub address: String,
    events: Sender<(String, Vec<u8>)>,
    posted: Receiver<Posted>,
    counter: u64,
}

impl RuntimeApi {
    /// Starts the API on a free loopback port.
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let (events_tx, events_rx) = channel::<(String, Vec<u8>)>();
        let (posted_tx, posted_rx) = channel::<Posted>();
        let events_rx = Arc::new(Mutex::new(events_rx));
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let events_rx = Arc::clone(&events_rx);
                let posted_tx = posted_tx.clone();
                thread::spawn(move || serve(stream, &events_rx, &posted_tx));
            }
        });
        Self {
            address,
            events: events_tx,
            posted: posted_rx,
            counter: 0,
        }
    }

    /// Queues one event and waits for what the function posts for it.
    pub fn invoke(&mut self, payload: &[u8]) -> Posted {
        self.counter += 1;
        let id = format!("req-{:06}", self.counter);
        self.events.send((id.clone(), payload.to_vec())).unwrap();
        match self.posted.recv_timeout(Duration::from_secs(20)) {
            Ok(posted) => {
                let got_id = match &posted {
                    Posted::Response(i, _) | Posted::Error(i, _) => i,
                };
                assert_eq!(got_id, &id, "the answer belongs to another invocation");
                posted
            }
            Err(RecvTimeoutError::Timeout) => panic!("no answer within 20 s for {id}"),
            Err(RecvTimeoutError::Disconnected) => panic!("runtime API stopped"),
        }
    }

    /// Queues one event and returns the response JSON, failing on an error post.
    pub fn invoke_ok(&mut self, payload: &[u8]) -> serde_json::Value {
        match self.invoke(payload) {
            Posted::Response(_, body) => serde_json::from_slice(&body).unwrap(),
            Posted::Error(_, body) => panic!(
                "the function posted an error: {}",
                String::from_utf8_lossy(&body)
            ),
        }
    }
}

/// The function binary under test: `ALB_CLIENT_IP_BIN` (the test script points it at the release
/// build), else the binary cargo built for this test run.
pub fn function_binary() -> PathBuf {
    std::env::var_os("ALB_CLIENT_IP_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_alb-client-ip")))
}

/// Starts the function against `api` with the Lambda environment plus `env`.
pub fn spawn_function(api: &RuntimeApi, env: &[(&str, &str)]) -> Child {
    let mut cmd = Command::new(function_binary());
    cmd.env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", &api.address)
        .env("AWS_LAMBDA_FUNCTION_NAME", "alb-client-ip")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.spawn().unwrap()
}

fn serve(stream: TcpStream, events: &Mutex<Receiver<(String, Vec<u8>)>>, posted: &Sender<Posted>) {
    // Each answer is written as a head and a body: without this, Nagle and delayed ACKs add
    // 40 ms to every invocation.
    let _ = stream.set_nodelay(true);
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    loop {
        let Some((method, path, headers)) = read_head(&mut reader) else {
            return;
        };
        let body = read_body(&mut reader, &headers);
        if method == "GET" && path == "/2018-06-01/runtime/invocation/next" {
            // Blocks until the test queues an event; the process is killed while waiting.
            let Ok((id, payload)) = events.lock().unwrap().recv() else {
                return;
            };
            let deadline = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_millis()
                + 30_000;
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLambda-Runtime-Aws-Request-Id: {id}\r\nLambda-Runtime-Deadline-Ms: {deadline}\r\nLambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:123456789012:function:alb-client-ip\r\nLambda-Runtime-Trace-Id: Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1\r\nContent-Length: {}\r\n\r\n",
                payload.len()
            );
            if writer.write_all(head.as_bytes()).is_err() || writer.write_all(&payload).is_err() {
                return;
            }
            continue;
        }
        let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let record = match parts.as_slice() {
            ["2018-06-01", "runtime", "invocation", id, "response"] => {
                Some(Posted::Response((*id).to_owned(), body))
            }
            ["2018-06-01", "runtime", "invocation", id, "error"] => {
                Some(Posted::Error((*id).to_owned(), body))
            }
            ["2018-06-01", "runtime", "init", "error"] => Some(Posted::Error("init".into(), body)),
            _ => None,
        };
        let status = if record.is_some() {
            "202 Accepted"
        } else {
            "404 Not Found"
        };
        let _ = writer.write_all(
            format!("HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n{{\"status\":\"OK\"}}\n").as_bytes(),
        );
        if let Some(record) = record {
            let _ = posted.send(record);
        }
    }
}

fn read_head(reader: &mut impl BufRead) -> Option<(String, String, HashMap<String, String>)> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut words = line.split_whitespace();
    let method = words.next()?.to_owned();
    let path = words.next()?.to_owned();
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).ok()? == 0 {
            return None;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
        }
    }
    Some((method, path, headers))
}

fn read_body(reader: &mut impl BufRead, headers: &HashMap<String, String>) -> Vec<u8> {
    let mut body = Vec::new();
    if let Some(len) = headers.get("content-length") {
        let len: usize = len.parse().unwrap();
        body.resize(len, 0);
        reader.read_exact(&mut body).unwrap();
    } else if headers
        .get("transfer-encoding")
        .is_some_and(|t| t.eq_ignore_ascii_case("chunked"))
    {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).unwrap();
            let size = usize::from_str_radix(size.trim().split(';').next().unwrap(), 16).unwrap();
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk).unwrap();
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    }
    body
}
