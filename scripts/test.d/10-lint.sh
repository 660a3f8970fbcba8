# Formatting, lints and rustdoc, warnings as errors, for every workspace member and every feature
# combination of the library that users build (none, each integration, all). Every check runs
# even after one fails (scripts/test-step.sh): the summary names each failure.
set -uo pipefail
source scripts/test-step.sh
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt
check cargo fmt --all --check
check cargo clippy --workspace --all-targets --all-features -- -D warnings
check cargo clippy -p lambda-client-ip --no-default-features -- -D warnings
for feature in lambda_http tower axum tower_governor serde; do
  check cargo clippy -p lambda-client-ip --no-default-features --features "$feature" -- -D warnings
done
RUSTDOCFLAGS="-D warnings" check cargo doc --workspace --all-features --no-deps --quiet
# fuzz/ is its own crate (outside the workspace), so it is checked on its own.
check cargo fmt --manifest-path fuzz/Cargo.toml --check
check cargo clippy --manifest-path fuzz/Cargo.toml --all-targets -- -D warnings
# Every link, anchor, path and section the docs, scripts and messages name exists.
check python3 scripts/check_links.py
# Every number with a unit in the docs restates a constant of the code or a recorded measurement.
check python3 scripts/check_doc_numbers.py
# The library README's crate counts are what the command it gives prints.
check python3 scripts/check_crate_counts.py
finish
