//! `alb-explain`: explain mode offline. Takes an ALB event file or a raw X-Forwarded-For line and
//! a setting (the function's variables, as `VAR=VALUE` arguments, else this process's
//! environment), runs the function's handler with `CLIENT_IP_EXPLAIN=true`, and prints the chain
//! as a table: who can have written each entry, the presets it falls in, what every count would
//! answer, the answer under the setting, and the setting the chain suggests.
//!
//! ```sh
//! cargo run -p local-alb --bin alb-explain -- --event events/cloudfront.json
//! cargo run -p local-alb --bin alb-explain -- --header '6.6.6.6, 203.0.113.7, 10.0.0.5' TRUSTED_PROXY_COUNT=1
//! ```

use std::collections::BTreeMap;
use std::process::ExitCode;

use alb_client_ip::config::Config;
use alb_client_ip::handler;
use clap::Parser;
use serde_json::value::RawValue;
use serde_json::{Value, json};

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
        "CLIENT_IP_EXPLAIN" => Some("true".to_owned()),
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
    let body: Value = response
        .body
        .as_ref()
        .and_then(|b| serde_json::from_slice(b.as_ref()).ok())
        .unwrap_or(Value::Null);
    print!("{}", table(&body));
    ExitCode::SUCCESS
}

/// clap has already refused a command line with neither --event nor --header.
fn unreachable_usage() -> ! {
    eprintln!("alb-explain: give --event FILE or --header VALUE");
    std::process::exit(2)
}

/// The explanation as a table, then the answer and the suggestion.
fn table(body: &Value) -> String {
    let explain = &body["explain"];
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => "-".to_owned(),
        other => other.to_string(),
    };
    let mut rows = vec![[
        "position".to_owned(),
        "entry".to_owned(),
        "address".to_owned(),
        "written by".to_owned(),
        "presets".to_owned(),
        "count answers".to_owned(),
    ]];
    let empty = Vec::new();
    let counts = explain["counts"].as_array().unwrap_or(&empty);
    for (i, entry) in explain["chain"]
        .as_array()
        .unwrap_or(&empty)
        .iter()
        .enumerate()
    {
        let address = match (entry.get("address"), entry.get("invalid")) {
            (Some(ip), _) => match entry.get("port") {
                Some(port) => format!("{} port {port}", text(ip)),
                None => text(ip),
            },
            (None, Some(why)) => format!("invalid: {}", text(why)),
            (None, None) => "-".to_owned(),
        };
        let presets: Vec<String> = entry["presets"]
            .as_array()
            .unwrap_or(&empty)
            .iter()
            .map(text)
            .collect();
        let trusted = if entry["in_trusted_ranges"] == true {
            " (in trusted ranges)"
        } else {
            ""
        };
        let answers = counts.get(i).map_or_else(
            || "-".to_owned(),
            |c| match c.get("client_ip") {
                Some(ip) => text(ip),
                None => format!("refused: {}", text(&c["error"])),
            },
        );
        rows.push([
            text(&entry["position"]),
            text(&entry["entry"]),
            address,
            format!("{}{trusted}", text(&entry["written_by"])),
            if presets.is_empty() {
                "-".to_owned()
            } else {
                presets.join(", ")
            },
            answers,
        ]);
    }
    let widths: Vec<usize> = (0..6)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = format!("setting: {}\n\n", text(&explain["setting"]));
    for row in &rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    let mut answer = body.clone();
    if let Some(fields) = answer.as_object_mut() {
        fields.remove("explain");
    }
    out.push_str(&format!(
        "\nanswer: {answer}\nsuggestion: {}\n",
        text(&explain["suggestion"])
    ));
    out
}
