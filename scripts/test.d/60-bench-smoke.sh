# Benchmarks and the cold-start harness still work: every criterion bench of the function runs
# once (`--test`: no measurement), and the cold-start harness starts the release binary a few
# times (beside the bare echo floor, and for a few warm invocations) under testkit's fake Runtime
# API and exits 0 only if every answer was the expected one.
# No wall-clock limit is asserted: timings on a shared CI machine prove nothing.
set -euo pipefail
cargo bench -p alb-client-ip --bench handler -- --test
cargo bench -p lambda-client-ip --bench resolver -- --test
cargo build --release -p alb-client-ip --bin alb-client-ip --example echo
cargo build --release -p testkit --bin fake-runtime-api
python3 tools/coldstart/coldstart.py --targets alb-client-ip,echo --runs 3 --warmup 0 \
  --warm 20 --warm-rounds 1
