//! A minimal Lambda Runtime API, enough to run a function binary as Lambda would.
//!
//! It serves `GET /2018-06-01/runtime/invocation/next` from a queue the test fills, and records
//! what the function posts to `.../response` and `.../error`. HTTP/1.1 with keep-alive, bodies by
//! `Content-Length` or chunked. Listens on 127.0.0.1 only.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

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
    posted: Receiver<(Posted, Instant)>,
    polls: Arc<Mutex<Vec<Instant>>>,
    counter: u64,
}

impl RuntimeApi {
    /// Starts the API on a free loopback port.
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let local = listener.local_addr().unwrap();
        // With the loopback interface down (a fresh network namespace) binding works but nothing
        // connects: say so now, not as "no answer" 20 s later. The serving thread reads this
        // connection's EOF and drops it.
        if let Err(e) = TcpStream::connect_timeout(&local, Duration::from_secs(5)) {
            panic!(
                "cannot connect to {local} ({e}): the loopback interface is down; bring it up with `ip link set lo up` (in a namespace of your own: `unshare -rn sh -c 'ip link set lo up && ...'`)"
            );
        }
        let address = local.to_string();
        let (events_tx, events_rx) = channel::<(String, Vec<u8>)>();
        let (posted_tx, posted_rx) = channel::<(Posted, Instant)>();
        let events_rx = Arc::new(Mutex::new(events_rx));
        let polls = Arc::new(Mutex::new(Vec::new()));
        let polled = Arc::clone(&polls);
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let events_rx = Arc::clone(&events_rx);
                let posted_tx = posted_tx.clone();
                let polled = Arc::clone(&polled);
                thread::spawn(move || serve(stream, &events_rx, &posted_tx, &polled));
            }
        });
        Self {
            address,
            events: events_tx,
            posted: posted_rx,
            polls,
            counter: 0,
        }
    }

    /// When each `GET .../invocation/next` arrived, in order.
    pub fn polls(&self) -> Vec<Instant> {
        self.polls.lock().unwrap().clone()
    }

    /// Queues one event and waits for what the function posts for it.
    pub fn invoke(&mut self, payload: &[u8]) -> Posted {
        self.invoke_timed(payload, Duration::from_secs(20)).0
    }

    /// Queues one event and waits up to `timeout` for what the function posts for it, and when
    /// the post arrived.
    pub fn invoke_timed(&mut self, payload: &[u8], timeout: Duration) -> (Posted, Instant) {
        let id = self.queue(payload);
        match self.posted(&id, timeout) {
            Ok(Some(posted)) => posted,
            Ok(None) => panic!("no answer within {timeout:?} for {id}"),
            Err(e) => panic!("{e}"),
        }
    }

    /// Queues one event for the next `GET .../invocation/next`; returns its request id.
    pub fn queue(&mut self, payload: &[u8]) -> String {
        self.counter += 1;
        let id = format!("req-{:06}", self.counter);
        self.events.send((id.clone(), payload.to_vec())).unwrap();
        id
    }

    /// Waits up to `timeout` for what the function posts for `id`, and when it arrived: `None`
    /// when nothing arrived in time; an error when a post for another invocation arrived.
    pub fn posted(&self, id: &str, timeout: Duration) -> Result<Option<(Posted, Instant)>, String> {
        match self.posted.recv_timeout(timeout) {
            Ok((posted, at)) => {
                let got_id = match &posted {
                    Posted::Response(i, _) | Posted::Error(i, _) => i,
                };
                if got_id != id {
                    return Err(format!("the answer for {id} belongs to {got_id}"));
                }
                Ok(Some((posted, at)))
            }
            Err(RecvTimeoutError::Timeout) => Ok(None),
            Err(RecvTimeoutError::Disconnected) => Err("runtime API stopped".to_owned()),
        }
    }

    /// Queues one event and returns the response JSON, failing on an error post.
    pub fn invoke_ok(&mut self, payload: &[u8]) -> serde_json::Value {
        match self.invoke(payload) {
            Posted::Response(_, body) => serde_json::from_slice(&body).unwrap(),
            Posted::Error(_, body) => {
                panic!(
                    "the function posted an error: {}",
                    String::from_utf8_lossy(&body)
                )
            }
        }
    }
}

/// Starts `binary` against `api` with nothing but the Lambda environment plus `env`, its stdout
/// and stderr piped.
pub fn spawn_function(binary: &Path, api: &RuntimeApi, env: &[(&str, &str)]) -> Child {
    let mut cmd = Command::new(binary);
    cmd.env_clear();
    for (k, v) in lambda_env(&api.address) {
        cmd.env(k, v);
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.spawn().unwrap()
}

/// The environment Lambda gives a function whose Runtime API is at `address`.
pub fn lambda_env(address: &str) -> [(&'static str, String); 5] {
    [
        ("AWS_LAMBDA_RUNTIME_API", address.to_owned()),
        ("AWS_LAMBDA_FUNCTION_NAME", "alb-client-ip".to_owned()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128".to_owned()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
        ("AWS_REGION", "us-east-1".to_owned()),
    ]
}

fn serve(
    stream: TcpStream,
    events: &Mutex<Receiver<(String, Vec<u8>)>>,
    posted: &Sender<(Posted, Instant)>,
    polls: &Mutex<Vec<Instant>>,
) {
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
        let now = Instant::now();
        if method == "GET" && path == "/2018-06-01/runtime/invocation/next" {
            polls.lock().unwrap().push(now);
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
            let _ = posted.send((record, now));
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
