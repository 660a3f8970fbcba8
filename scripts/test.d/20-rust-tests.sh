# Unit, doc and integration tests. The function test runs the *release* binary under a minimal
# Lambda Runtime API (tests/runtime_api.rs), so it is built first and handed over by path.
set -euo pipefail
cargo build --release --bin alb-client-ip
export ALB_CLIENT_IP_BIN="$PWD/target/release/alb-client-ip"
cargo test --workspace
