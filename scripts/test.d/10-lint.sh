# Formatting and lints, warnings as errors.
set -euo pipefail
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt
cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings
# fuzz/ is its own crate (outside the workspace), so it is checked on its own.
cargo fmt --manifest-path fuzz/Cargo.toml --check
cargo clippy --manifest-path fuzz/Cargo.toml --all-targets -- -D warnings
