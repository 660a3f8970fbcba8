# Benchmarks and the cold-start harness still work: every criterion bench of the function runs
# once (`--test`: no measurement), and the cold-start harness starts the release binary a few
# times (beside the bare echo floor, and for a few warm invocations) under its own Runtime API and
# exits 0 only if every answer was the expected one.
# No wall-clock limit is asserted: timings on a shared CI machine prove nothing.
set -euo pipefail
cargo bench -p alb-client-ip --bench resolver --bench handler --bench long_header -- --test
cargo build --release -p alb-client-ip --bin alb-client-ip --example echo
python3 tools/coldstart/coldstart.py --targets alb-client-ip,echo --runs 3 --warmup 0 \
  --warm 20 --warm-rounds 1
