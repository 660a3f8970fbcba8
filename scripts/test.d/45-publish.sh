# The library is publishable as it stands: metadata, packaged files, a build from the package.
# `cargo publish --dry-run` reads crates.io's index, so it runs in the full suite, not in the
# quick tier, which stays offline.
set -euo pipefail
cargo publish -p lambda-client-ip --dry-run --allow-dirty --quiet
