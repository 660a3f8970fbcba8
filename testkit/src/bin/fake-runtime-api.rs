//! A fake Lambda Runtime API for timing a function as a whole process (tools/coldstart/): starts
//! the command with `AWS_LAMBDA_RUNTIME_API` pointing at a loopback listener, serves it the event
//! `--invocations` times in a row, checks the first answer, and prints one JSON line:
//!
//! - `first_poll_ms`: from just before the process is started to its first `GET .../next`;
//! - `answer_ms`: to its first `POST .../response`;
//! - `vm_hwm_kib`: its peak RSS (`VmHWM`) once the first answer is in;
//! - `cpu_us`: the CPU time it used, read once it polls after its last answer (the scheduler's
//!   `se.sum_exec_runtime` of each of its threads, else `utime + stime` in clock ticks), so the
//!   harness's own work never counts;
//! - `wall_ms`: from its first poll to its last answer;
//! - `problem`: why the run failed (`null` when it did not); the exit status is then 1.
//!
//! ```sh
//! fake-runtime-api --event benches/events/alb-sample.json --expect client-ip=72.12.164.125 \
//!     --invocations 1 -- target/release/alb-client-ip
//! ```
//!
//! The command inherits this process's environment (set the function's variables there), with
//! Lambda's own variables added where they are not set; its output goes to this process's
//! stderr.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::PathBuf;
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use testkit::runtime_api::{Posted, RuntimeApi, lambda_env};

const USAGE: &str = "usage: fake-runtime-api --event FILE [--invocations N] [--timeout SECONDS] [--expect echo|client-ip=IP] -- COMMAND [ARGS...]";

struct Args {
    event: PathBuf,
    invocations: usize,
    timeout: Duration,
    expect: Option<String>,
    command: Vec<String>,
}

fn args() -> Result<Args, String> {
    let mut argv = std::env::args().skip(1);
    let (mut event, mut invocations, mut timeout, mut expect) = (None, 1, 20.0, None);
    let mut command = Vec::new();
    while let Some(arg) = argv.next() {
        let mut value = || argv.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--event" => event = Some(PathBuf::from(value()?)),
            "--invocations" => invocations = value()?.parse().map_err(|e| format!("{e}"))?,
            "--timeout" => timeout = value()?.parse().map_err(|e| format!("{e}"))?,
            "--expect" => expect = Some(value()?),
            "--" => command.extend(argv.by_ref()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    let event = event.ok_or("--event is required")?;
    if command.is_empty() || invocations == 0 {
        return Err("a command and at least one invocation are required".to_owned());
    }
    let timeout = Duration::from_secs_f64(timeout);
    Ok(Args {
        event,
        invocations,
        timeout,
        expect,
        command,
    })
}

/// Kills the function however the run ends.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `None` when the answer is right, else why not.
fn check_answer(expect: Option<&str>, event: &[u8], answer: &[u8]) -> Option<String> {
    let shown = || String::from_utf8_lossy(&answer[..answer.len().min(300)]).into_owned();
    let Ok(got) = serde_json::from_slice::<Value>(answer) else {
        return Some(format!("the answer is not JSON: {}", shown()));
    };
    match expect {
        None => None,
        Some("echo") => {
            let event: Value = serde_json::from_slice(event).ok()?;
            (got != event).then(|| format!("the echo differs: {}", shown()))
        }
        Some(other) => {
            let want = other.strip_prefix("client-ip=").unwrap_or(other);
            let body: Option<Value> = got["body"]
                .as_str()
                .and_then(|b| serde_json::from_str(b).ok());
            let right = got["statusCode"] == 200 && body == Some(json!({ "client_ip": want }));
            (!right).then(|| format!("want client_ip {want}, got {}", shown()))
        }
    }
}

fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The CPU time the process used so far, in microseconds: the sum of its threads'
/// `se.sum_exec_runtime` (milliseconds, nanosecond digits) where the kernel reports it, else
/// `utime + stime` from `/proc/PID/stat` at 100 ticks a second.
fn cpu_us(pid: u32) -> Option<f64> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    let mut total = 0.0;
    let mut found = false;
    for task in tasks.flatten() {
        let Ok(sched) = std::fs::read_to_string(task.path().join("sched")) else {
            continue;
        };
        let line = sched.lines().find(|l| l.starts_with("se.sum_exec_runtime"));
        if let Some(ms) = line.and_then(|l| l.split(':').nth(1)?.trim().parse::<f64>().ok()) {
            total += ms * 1000.0;
            found = true;
        }
    }
    if found {
        return Some(total);
    }
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks * 10_000.0)
}

fn ms(from: Instant, to: Instant) -> f64 {
    to.duration_since(from).as_secs_f64() * 1e3
}

fn main() -> ExitCode {
    let args = match args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("fake-runtime-api: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let event = match std::fs::read(&args.event) {
        Ok(event) => event,
        Err(e) => {
            eprintln!("fake-runtime-api: {}: {e}", args.event.display());
            return ExitCode::from(2);
        }
    };
    let mut api = RuntimeApi::start();
    let mut result = json!({
        "invocations": args.invocations, "first_poll_ms": null, "answer_ms": null,
        "vm_hwm_kib": null, "cpu_us": null, "wall_ms": null, "problem": null,
    });
    let started = Instant::now();
    let mut command = Command::new(&args.command[0]);
    // The rest of Lambda's environment, where the caller did not set it.
    for (name, value) in lambda_env(&api.address) {
        if name == "AWS_LAMBDA_RUNTIME_API" || std::env::var_os(name).is_none() {
            command.env(name, value);
        }
    }
    let spawned = command
        .args(&args.command[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::from(std::io::stderr()))
        .stderr(Stdio::from(std::io::stderr()))
        .spawn();
    let mut child = match spawned {
        Ok(child) => Guard(child),
        Err(e) => {
            eprintln!("fake-runtime-api: {}: {e}", args.command[0]);
            return ExitCode::from(2);
        }
    };
    let pid = child.0.id();
    let deadline = started + args.timeout;
    let mut last = None;
    let problem = 'run: {
        for i in 0..args.invocations {
            let id = api.queue(&event);
            let (posted, at) = loop {
                match api.posted(&id, Duration::from_millis(20)) {
                    Ok(Some(posted)) => break posted,
                    Ok(None) => {}
                    Err(e) => break 'run Some(e),
                }
                if let Ok(Some(status)) = child.0.try_wait() {
                    break 'run Some(format!("the process exited ({status}) after {i} answers"));
                }
                if Instant::now() > deadline {
                    break 'run Some(format!("{i} answers within {:?}", args.timeout));
                }
            };
            let body = match posted {
                Posted::Response(_, body) => body,
                Posted::Error(_, body) => {
                    let shown = String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned();
                    break 'run Some(format!("the function reported an error: {shown}"));
                }
            };
            if i == 0 {
                result["answer_ms"] = json!(ms(started, at));
                result["vm_hwm_kib"] = json!(vm_hwm_kib(pid));
                if let Some(problem) = check_answer(args.expect.as_deref(), &event, &body) {
                    break 'run Some(problem);
                }
            }
            last = Some(at);
        }
        // The poll after the last answer: the function is idle, its last invocation counted whole.
        while api.polls().len() <= args.invocations && Instant::now() < deadline {
            std::thread::sleep(Duration::from_micros(200));
        }
        result["cpu_us"] = json!(cpu_us(pid));
        None
    };
    let polls = api.polls();
    if let Some(&first) = polls.first() {
        result["first_poll_ms"] = json!(ms(started, first));
        if let Some(last) = last {
            result["wall_ms"] = json!(ms(first, last));
        }
    }
    result["problem"] = json!(problem);
    drop(child);
    println!("{result}");
    if problem.is_some() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
