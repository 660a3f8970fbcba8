//! The library's layout: each module imports only modules of the layers below it, so no module
//! imports one that imports it, and no file grows past the size one reader can hold.
//!
//! Read from the source: every `crate::name` a module's code names (a module, or an item
//! `lib.rs` re-exports from one) up to its `#[cfg(test)]`, comments and docs left out.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::BTreeMap;
use std::fs;

/// The layers, lowest first; a module may import only modules listed before it.
const LAYERS: [&str; 17] = [
    "networks",
    "names",
    "entry",
    "forwarded",
    "preset",
    "ranges",
    "error",
    "source",
    "walk",
    "lists",
    "setting",
    "explain",
    "layer/shared",
    "layer",
    "lambda",
    "axum",
    "governor",
];

/// A file's code up to its tests, comments and docs left out (a doc link imports nothing).
fn code(module: &str) -> String {
    let path = format!("{}/src/{module}.rs", env!("CARGO_MANIFEST_DIR"));
    let text = fs::read_to_string(path).unwrap();
    let code = text.split("#[cfg(test)]").next().unwrap().lines();
    let code = code.filter(|line| !line.trim_start().starts_with("//"));
    code.collect::<Vec<_>>().join("\n")
}

/// The module each name `lib.rs` re-exports comes from.
fn exported() -> BTreeMap<String, String> {
    let lib = code("lib");
    let mut names = BTreeMap::new();
    for statement in lib.split(';') {
        let Some(rest) = statement.trim().split("pub use ").nth(1) else {
            continue;
        };
        let (module, items) = rest.split_once("::").unwrap();
        let items = items.trim_matches(|c: char| c == '{' || c == '}' || c.is_whitespace());
        for item in items.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            names.insert(item.to_owned(), module.to_owned());
        }
    }
    names
}

/// The modules `module` imports: `crate::m`, `crate::Item` and `use crate::{a::x, Item}`.
fn imports(module: &str, exported: &BTreeMap<String, String>) -> Vec<String> {
    let text = code(module);
    let mut found = Vec::new();
    for (i, _) in text.match_indices("crate::") {
        let rest = &text[i + "crate::".len()..];
        let names: Vec<&str> = if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap()];
            group
                .split(',')
                .map(|n| n.trim().split("::").next().unwrap())
                .collect()
        } else {
            vec![
                rest.split(|c: char| !c.is_alphanumeric() && c != '_')
                    .next()
                    .unwrap(),
            ]
        };
        for name in names.into_iter().filter(|n| !n.is_empty()) {
            let target = exported
                .get(name)
                .cloned()
                .unwrap_or_else(|| name.to_owned());
            if LAYERS.contains(&target.as_str()) && target != module {
                found.push(target);
            }
        }
    }
    found
}

#[test]
fn every_module_imports_only_the_layers_below_it() {
    let exported = exported();
    let mut crossings = Vec::new();
    for (level, module) in LAYERS.iter().enumerate() {
        for import in imports(module, &exported) {
            let below = LAYERS.iter().position(|m| *m == import).unwrap() < level;
            if !below {
                crossings.push(format!("{module} imports {import}"));
            }
        }
    }
    assert!(
        crossings.is_empty(),
        "imports against the layers: {crossings:?}"
    );
}

#[test]
fn every_module_is_in_a_layer_and_every_file_is_readable() {
    let dir = format!("{}/src", env!("CARGO_MANIFEST_DIR"));
    for file in fs::read_dir(dir).unwrap() {
        let name = file.unwrap().file_name().into_string().unwrap();
        let Some(module) = name.strip_suffix(".rs") else {
            continue;
        };
        assert!(
            module == "lib" || LAYERS.contains(&module),
            "{module} is in no layer"
        );
        let lines = code(module)
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with("//"))
            .count();
        assert!(
            lines <= 400,
            "{module}.rs has {lines} code lines (at most 400)"
        );
    }
}

#[test]
fn a_module_importing_one_above_it_is_caught() {
    // The check itself: explain's names, seen from the walk, would cross the layers.
    let exported = exported();
    let below = |module: &str, import: &str| {
        LAYERS.iter().position(|m| *m == import) < LAYERS.iter().position(|m| *m == module)
    };
    assert_eq!(exported.get("Source").map(String::as_str), Some("source"));
    assert!(imports("walk", &exported).contains(&"source".to_owned()));
    assert!(!below("walk", "explain"));
}
