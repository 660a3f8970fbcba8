# Formatting, lints and rustdoc, warnings as errors, for every workspace member and every feature
# combination of the library that users build (none, each integration, all).
set -euo pipefail
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt
cargo fmt --all --check
cargo clippy --workspace --all-targets --all-features -- -D warnings
cargo clippy -p lambda-client-ip --no-default-features -- -D warnings
for feature in lambda_http tower axum tower_governor serde; do
  cargo clippy -p lambda-client-ip --no-default-features --features "$feature" -- -D warnings
done
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --all-features --no-deps --quiet
# fuzz/ is its own crate (outside the workspace), so it is checked on its own.
cargo fmt --manifest-path fuzz/Cargo.toml --check
cargo clippy --manifest-path fuzz/Cargo.toml --all-targets -- -D warnings
# Every link, anchor, path and section the docs, scripts and messages name exists.
python3 scripts/check_links.py
# Every number with a unit in the docs restates a constant of the code or a recorded measurement.
python3 scripts/check_doc_numbers.py
