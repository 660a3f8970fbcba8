# Deployability, offline: the Lambda zips for arm64 and x86-64, `sam build`, and template.yaml
# checked by cfn-lint (as SAM and as the CloudFormation SAM translates it to), by our own tests
# of the settings the client address depends on (tests/deploy, pytest), and by `sam validate --lint`. No AWS credentials or
# network beyond PyPI are used. Installs what is missing (scripts/tools.sh); safe to run again.
set -euo pipefail

step_started=$SECONDS
timed() { # timed LABEL: prints how long the part since the previous call took
  echo "    [40-deploy] $1: $((SECONDS - step_started)) s"
  step_started=$SECONDS
}

# --- tools ---------------------------------------------------------------------------------
source scripts/tools.sh
need_python_tools
need_rust_target aarch64-unknown-linux-gnu x86_64-unknown-linux-gnu
timed "tools"

# --- the deployment zips -------------------------------------------------------------------
# -p and --bin: the workspace also holds local-alb, which must never be packaged and whose
# features cargo would otherwise unify into the function's dependencies. The arm64 zip goes
# to the documented place (target/lambda/alb-client-ip/bootstrap.zip) and is checked before the
# x86-64 one, which gets a folder of its own.
cargo lambda build --release --arm64 --output-format zip -p alb-client-ip --bin alb-client-ip
python3 scripts/check_lambda_zip.py target/lambda/alb-client-ip/bootstrap.zip arm64
timed "arm64 build"
cargo lambda build --release --x86-64 --output-format zip -p alb-client-ip --bin alb-client-ip \
  --lambda-dir target/lambda-x86-64
python3 scripts/check_lambda_zip.py target/lambda-x86-64/alb-client-ip/bootstrap.zip x86-64
timed "x86-64 build"

# --- the template --------------------------------------------------------------------------
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"

# `sam build` as a deployer runs it: the template's Metadata must make it build the function
# (and only it) for arm64. It builds in the source tree with cargo lambda and `--bin` (SAM has
# no way to pass `-p`, so local-alb's features are unified in and the function is recompiled).
sam build --template template.yaml --build-dir "$work/sam-build" --cache-dir "$work/sam-cache" \
  </dev/null
python3 scripts/check_lambda_zip.py "$work/sam-build/Function" arm64
timed "sam build"

cfn-lint template.yaml
python3 scripts/sam_translate.py template.yaml "$work/translated.json"
cfn-lint "$work/translated.json"
TRANSLATED_TEMPLATE="$work/translated.json" python -m pytest tests/deploy -q
sam validate --lint --template template.yaml </dev/null

# The linters must be able to fail here: a target group of an unknown type is refused by each.
sed 's/TargetType: lambda$/TargetType: lambada/' template.yaml >"$work/broken.yaml"
grep -q 'TargetType: lambada' "$work/broken.yaml"
python3 scripts/sam_translate.py "$work/broken.yaml" "$work/broken.json" >/dev/null
for check in "cfn-lint $work/broken.yaml" "cfn-lint $work/broken.json" \
  "sam validate --lint --template $work/broken.yaml"; do
  if $check >/dev/null 2>&1 </dev/null; then
    echo "40-deploy: '$check' accepted a template with TargetType: lambada" >&2
    exit 1
  fi
done
timed "template checks"
