# Unit, doc and integration tests. The function test runs the *release* binary under a minimal
# Lambda Runtime API (tests/runtime_api.rs), so it is built first and handed over by path.
# `-p alb-client-ip` keeps every other member out of that build: cargo would otherwise unify
# their features (local-alb's tokio and hyper, the library's lambda_http) into the function.
# Every command runs even after one fails, and every test binary even after one fails
# (scripts/test-step.sh): the summary names each failure.
set -uo pipefail
source scripts/test-step.sh
check cargo build --release -p alb-client-ip --bin alb-client-ip
export ALB_CLIENT_IP_BIN="$PWD/target/release/alb-client-ip"
cargo_test --workspace --all-features
# The library's core alone (std and ipnet): its doctests and tests without any integration.
cargo_test -p lambda-client-ip --no-default-features
# The bundled range presets are exactly what the generator makes of the saved published files.
check python3 tools/presets.py --check
finish
