# A short load test on loopback: local-alb with the function in-process under wrk for 10 s
# (LOAD_SECONDS), failing on any non-2xx response, socket error or growing memory.
# The full 30 s run and its numbers: scripts/load.sh and the README's "Hardening" section.
set -euo pipefail
bash scripts/load.sh "${LOAD_SECONDS:-10}" 4
