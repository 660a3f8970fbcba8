# Formatting and lints, warnings as errors.
set -euo pipefail
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt
cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings
