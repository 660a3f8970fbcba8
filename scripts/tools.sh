# The external tools the test command needs, each pinned here and nowhere else, and the functions
# that install one when it is missing. Sourced by the test steps: `source scripts/tools.sh`, then
# `need_python_tools [NAME...]`, `need_apt nginx`, `need_cargo_fuzz`, `need_rust_target TARGET`.
#
# - Python tools go into a virtual environment of the project's own, .venv/ (never the system's
#   Python, whose other packages they would upgrade); it is put first on PATH.
# - Debian packages (nginx, wrk, curl) come at the version of the machine's Debian release.
# - Rust targets and the nightly toolchain come from rustup; cargo-fuzz from crates.io.

TOOLS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$TOOLS_ROOT/.venv"

# Python tools (PyPI), installed together so pip resolves them as one set.
PYTHON_TOOLS=(
  cargo-lambda==1.9.2       # cargo lambda build / watch / invoke
  ziglang==0.17.1           # the cross-linker cargo lambda uses for arm64
  cfn-lint==1.58.0          # template checks
  aws-sam-translator==1.115.0
  aws-sam-cli==1.170.0      # sam build, sam validate --lint
  awslambdaric==4.2.2       # the Python recipe in tools/coldstart (benchmarks only)
  pytest==9.2.0             # local-alb's end-to-end tests (local-alb/tests/e2e/)
)
CARGO_FUZZ_VERSION=0.13.2

# Puts .venv/bin first on PATH, creating the environment and installing the named PYTHON_TOOLS
# (all of them without a name) when .venv does not hold exactly those pinned versions:
# `need_python_tools pytest cargo-lambda`.
need_python_tools() {
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  local tools=() tool name want have
  for tool in "${PYTHON_TOOLS[@]%%#*}"; do
    tool=${tool%% *}
    if (($# == 0)); then
      tools+=("$tool")
    else
      for name in "$@"; do [ "${tool%%==*}" = "$name" ] && tools+=("$tool"); done
    fi
  done
  want=$(printf '%s\n' "${tools[@]}" | tr 'A-Z_' 'a-z-' | sort)
  have=$("$VENV/bin/python" -m pip freeze --disable-pip-version-check 2>/dev/null | tr 'A-Z_' 'a-z-' | sort)
  if [ -n "$(comm -23 <(echo "$want") <(echo "$have"))" ]; then
    echo "    installing into .venv: ${tools[*]}"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input "${tools[@]}"
  fi
  export PATH="$VENV/bin:$PATH" VIRTUAL_ENV="$VENV"
  hash -r
}

# Installs the named Debian packages whose command is missing (package name = command name).
need_apt() {
  local missing=() pkg
  for pkg in "$@"; do command -v "$pkg" >/dev/null || missing+=("$pkg"); done
  ((${#missing[@]})) || return 0
  echo "    installing with apt-get: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

need_cargo_fuzz() {
  rustup run nightly rustc --version >/dev/null 2>&1 || rustup toolchain install nightly --profile minimal
  if [ "$(cargo fuzz --version 2>/dev/null)" != "cargo-fuzz $CARGO_FUZZ_VERSION" ]; then
    cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
  fi
}

need_rust_target() {
  local target
  for target in "$@"; do
    rustup target list --installed | grep -qx "$target" || rustup target add "$target"
  done
}
