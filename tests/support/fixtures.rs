//! The fixtures in `events/`: each `NAME.json` payload with the cases of `NAME.expected.json`
//! beside it (`[{"env": {...}, "response": {...}}, ...]`). A payload without an expected file, or
//! an expected file listing no case, fails the test that loads them.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// One payload and the cases it is checked under.
pub struct Fixture {
    /// The file name without `.json`.
    pub name: String,
    /// The invocation payload.
    pub payload: Vec<u8>,
    /// Where the cases live (rewritten by `UPDATE_EXPECTED=1`).
    pub expected_path: PathBuf,
    /// `{"env": {...}, "response": {...}}` objects.
    pub cases: Vec<Value>,
}

/// The `events/` directory.
pub fn events_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("events")
}

/// Every fixture, sorted by name.
pub fn load() -> Vec<Fixture> {
    let mut payloads: Vec<PathBuf> = fs::read_dir(events_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_str().unwrap();
            name.ends_with(".json") && !name.ends_with(".expected.json")
        })
        .collect();
    payloads.sort();
    assert!(
        payloads.len() >= 10,
        "expected the scenario fixtures in events/"
    );
    payloads
        .into_iter()
        .map(|path| {
            let expected_path = path.with_extension("expected.json");
            let expected_text = fs::read_to_string(&expected_path).unwrap_or_else(|_| {
                panic!(
                    "{} has no expected file {}",
                    path.display(),
                    expected_path.display()
                )
            });
            let cases: Vec<Value> = serde_json::from_str(&expected_text).unwrap();
            assert!(
                !cases.is_empty(),
                "{} lists no case",
                expected_path.display()
            );
            Fixture {
                name: path.file_stem().unwrap().to_str().unwrap().to_owned(),
                payload: fs::read(&path).unwrap(),
                expected_path,
                cases,
            }
        })
        .collect()
}
