# End-to-end tests of local-alb with real processes (local-alb/tests/e2e/, pytest): clients
# bound to distinct loopback source addresses and ::1, a real nginx in front (the "same IP for
# every machine" bug, reproduced and fixed), a CDN edge, two network namespaces as two machines,
# a stand-in Invoke API for every 502/504 case, and `cargo lambda watch` behind --lambda-url.
#
# Traffic goes only to 127.0.0.0/8, ::1 and namespaces the tests create; the fixtures stop
# every process they start. Installs nginx and curl (apt-get), pytest and cargo-lambda (.venv)
# when missing (scripts/tools.sh). Arguments go to pytest: `bash scripts/test e2e -- -k nginx`.
# A skipped test fails the run (conftest.py lists each with its reason) unless E2E_ALLOW_SKIPS=1
# says this machine cannot run it: the namespace test needs root, which CI has.
set -euo pipefail
source scripts/tools.sh
need_apt nginx curl
need_python_tools pytest cargo-lambda
cargo build --release -p local-alb
export LOCAL_ALB_BIN=$PWD/target/release/local-alb
status=0
python -m pytest local-alb/tests/e2e "$@" || status=$?
# pytest exits 5 when it collected no test: a run that tested nothing has not passed.
if [ "$status" = 5 ]; then
  echo "30-local-alb-e2e: pytest collected no test" >&2
  exit 1
fi
exit "$status"
