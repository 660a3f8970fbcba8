//! `alb-explain`: explain mode offline. Takes an ALB event file or a raw X-Forwarded-For line and
//! a setting (the function's variables, as `VAR=VALUE` arguments, else this process's
//! environment), and prints the library's explanation as a table: the chain the answer is read
//! from, position by position (its address, the presets it falls in, whether the setting trusts
//! it, what that count would answer), whether the writer of the evidence delivered the request
//! (the binding), what the ALB's peer is, the dates of the bundled lists, the function's answer
//! under the setting, and the setting the request suggests. Header values and entries print as
//! sent, with control and other unprintable characters escaped.
//!
//! ```sh
//! cargo run -p local-alb --bin alb-explain -- --event events/cloudfront.json
//! cargo run -p local-alb --bin alb-explain -- --header '6.6.6.6, 203.0.113.7, 10.0.0.5' TRUSTED_PROXY_COUNT=1
//! ```

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::SystemTime;

use alb_client_ip::config::Config;
use alb_client_ip::{STALE_PRESET, handler};
use clap::Parser;
use lambda_client_ip::{Binding, CountAnswer, Explanation, FrontDoorPeer, Preset};
use serde_json::json;
use serde_json::value::RawValue;

/// Explain how the function reads a request's X-Forwarded-For chain, and which setting it needs.
#[derive(Debug, Parser)]
#[command(name = "alb-explain", version)]
struct Cli {
    /// An ALB event (JSON), such as the files in events/
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with = "header",
        required_unless_present = "header"
    )]
    event: Option<String>,
    /// A raw X-Forwarded-For value, as the ALB hands it to the function
    #[arg(long, value_name = "VALUE")]
    header: Option<String>,
    /// The function's settings, e.g. TRUSTED_PROXY_COUNT=1 (default: this process's environment)
    #[arg(value_name = "VAR=VALUE")]
    settings: Vec<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let payload = match (&cli.event, &cli.header) {
        (Some(path), _) => match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) => {
                eprintln!("alb-explain: cannot read --event {path:?}: {e}");
                return ExitCode::from(2);
            }
        },
        (None, Some(value)) => json!({ "headers": { "x-forwarded-for": value } }).to_string(),
        (None, None) => unreachable_usage(),
    };
    let mut settings = BTreeMap::new();
    for setting in &cli.settings {
        let Some((var, value)) = setting.split_once('=') else {
            eprintln!("alb-explain: {setting:?} is not VAR=VALUE");
            return ExitCode::from(2);
        };
        settings.insert(var.to_owned(), value.to_owned());
    }
    let lookup = |name: &str| match name {
        _ if cli.settings.is_empty() => std::env::var(name).ok(),
        _ => settings.get(name).cloned(),
    };
    let config = match Config::from_lookup(lookup) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("alb-explain: the setting is refused: {e}");
            return ExitCode::from(2);
        }
    };
    let raw: Box<RawValue> = match serde_json::from_str(&payload) {
        Ok(raw) => raw,
        Err(e) => {
            eprintln!("alb-explain: the event is not JSON: {e}");
            return ExitCode::from(2);
        }
    };
    let response = handler::respond(&config, &raw);
    let answer = response
        .body
        .as_ref()
        .map(|b| String::from_utf8_lossy(b.as_ref()).into_owned());
    let explained = handler::read(&config, &raw)
        .map(|request| config.source.explain(&request.headers, request.peer));
    match explained {
        Ok(explained) => print!(
            "{}",
            table(&config, &explained, &answer.unwrap_or_default())
        ),
        Err((code, message)) => {
            eprintln!("alb-explain: the event is refused ({code}): {message}");
            return ExitCode::from(2);
        }
    }
    ExitCode::SUCCESS
}

/// clap has already refused a command line with neither --event nor --header.
fn unreachable_usage() -> ! {
    eprintln!("alb-explain: give --event FILE or --header VALUE");
    std::process::exit(2)
}

/// What the ALB's peer is, in the words a user configures: preset names as in
/// `TRUSTED_PROXY_CIDRS`, front doors as `local-alb --via` names them.
fn peer(peer: FrontDoorPeer) -> String {
    match peer {
        FrontDoorPeer::Cdn(preset) => format!("a {preset} address (the bundled preset {preset})"),
        FrontDoorPeer::GlobalAccelerator => {
            "a global-accelerator edge (the bundled list globalaccelerator): client IP preservation is off".to_owned()
        }
        FrontDoorPeer::Lattice => "a VPC Lattice address (link-local, 169.254.0.0/16)".to_owned(),
        FrontDoorPeer::Private => "a private address".to_owned(),
        FrontDoorPeer::Public => "a public address outside every bundled preset".to_owned(),
        FrontDoorPeer::Missing => "none: position 0 holds no address".to_owned(),
        // A kind added to the library later: its JSON name, never a Rust one.
        other => serde_json::to_value(other)
            .ok()
            .and_then(|v| v.get("kind")?.as_str().map(|kind| kind.replace('_', " ")))
            .unwrap_or_else(|| "not described".to_owned()),
    }
}

/// Whether the writer of the evidence delivered the request, in the words of the docs' "Confirm"
/// lines (`held`, `failed`).
fn binding(e: &Explanation) -> String {
    match e.binding {
        Binding::Walk => {
            "walk: X-Forwarded-For alone, every entry the walk passes checked by the setting"
                .to_owned()
        }
        Binding::Held(at) => format!(
            "held: the writer of {} delivered the request from position {at}",
            e.reads
        ),
        Binding::Failed(at) => format!(
            "failed at position {at}: the walk met no writer there, so the answer is read from X-Forwarded-For alone"
        ),
        // A kind added to the library later: its JSON form.
        other => serde_json::to_string(&other).unwrap_or_else(|_| "not described".to_owned()),
    }
}

/// The bundled lists' dates, and the staleness warning for those past it.
fn bundled_lists() -> String {
    let now = SystemTime::now();
    let dated = Preset::ALL.map(|p| format!("{p} {}", p.published()));
    let stale: Vec<&str> = Preset::ALL
        .into_iter()
        .filter(|p| p.is_stale(now))
        .map(Preset::name)
        .collect();
    let mut out = format!("bundled lists: {}", dated.join(", "));
    if !stale.is_empty() {
        out.push_str(&format!(" ({}: {STALE_PRESET})", stale.join(", ")));
    }
    out
}

/// The explanation as a table, then the answer and the suggestion.
fn table(config: &Config, e: &Explanation, answer: &str) -> String {
    let mut rows = vec![
        [
            "position",
            "entry",
            "address",
            "presets",
            "trusted",
            "count answers",
        ]
        .map(String::from),
    ];
    for (hop, count) in e
        .hops
        .iter()
        .zip(e.counts.iter().map(Some).chain(std::iter::repeat(None)))
    {
        let address = match (hop.address, hop.port) {
            (Some(ip), Some(port)) => format!("{ip} port {port}"),
            (Some(ip), None) => ip.to_string(),
            (None, _) => "invalid".to_owned(),
        };
        let presets: Vec<&str> = hop.presets.iter().map(|p| p.name()).collect();
        let answers = match count {
            Some(CountAnswer::ClientIp(ip)) => ip.to_string(),
            Some(CountAnswer::Refused(e)) => format!("refused: {}", e.code()),
            _ => "-".to_owned(),
        };
        rows.push([
            hop.position.to_string(),
            hop.entry.clone(),
            address,
            if presets.is_empty() {
                "-".to_owned()
            } else {
                presets.join(", ")
            },
            if hop.trusted { "yes" } else { "no" }.to_owned(),
            answers,
        ]);
    }
    let mut widths = [0; 6];
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = format!("setting: {}\nreads: {}", config.source, e.reads);
    // The single-address header as sent; not believed when its binding failed.
    if !e.header_values.is_empty() {
        let values = e.header_values.join(" | ");
        match config.source.header_name() {
            Some(header) if *header != e.reads => {
                out.push_str(&format!(" ({header} not believed: {values})"));
            }
            _ => out.push_str(&format!(" ({values})")),
        }
    }
    out.push_str(&format!("\nbinding: {}", binding(e)));
    out.push_str(&format!("\nthe ALB's peer: {}", peer(e.peer)));
    out.push_str(&format!("\n{}\n\n", bundled_lists()));
    for row in &rows {
        let cells: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    if e.more > 0 {
        out.push_str(&format!(
            "… and {} more positions to the left, not listed\n",
            e.more
        ));
    }
    out.push_str(&format!(
        "\nanswer: {answer}\nsuggestion: {}\n",
        handler::advice(e)
    ));
    out
}
