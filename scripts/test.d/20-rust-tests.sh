# Unit, doc and integration tests. The function test runs the *release* binary under a minimal
# Lambda Runtime API (tests/runtime_api.rs), so it is built first and handed over by path.
# `-p alb-client-ip` keeps local-alb out of the build: with both workspace members selected,
# cargo would unify their features (tokio signal, hyper server) into the function binary.
set -euo pipefail
cargo build --release -p alb-client-ip --bin alb-client-ip
export ALB_CLIENT_IP_BIN="$PWD/target/release/alb-client-ip"
cargo test --workspace
