# A short load test on loopback: local-alb with the function in-process under wrk for 10 s
# (LOAD_SECONDS), failing on any non-2xx response, socket error or growing memory.
# Longer runs and what they measure: scripts/load.sh and docs/hardening.md#load.
set -euo pipefail
bash scripts/load.sh "${LOAD_SECONDS:-10}" 4
