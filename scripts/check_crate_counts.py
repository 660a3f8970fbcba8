#!/usr/bin/env python3
"""The "crates alone" column of lambda-client-ip/README.md is what its command prints.

For each row of the feature table (`(none)` or a feature's name, then the count in the last
column) runs the command the README gives,

    cargo tree -p lambda-client-ip --no-default-features [--features X] -e normal --prefix none --no-dedupe | sort -u | wc -l

(the crate itself counted) and fails, naming the row and both numbers, when they differ. Offline:
it reads Cargo.lock and the fetched crates only.
"""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "lambda-client-ip" / "README.md"
COMMAND = "cargo tree -p lambda-client-ip --no-default-features --features X -e normal --prefix none --no-dedupe | sort -u | wc -l"
ROW = re.compile(r"^\| (\(none\)|`(\w+)`) \|.*\| (\d+) \|$")


def count(feature):
    args = ["cargo", "tree", "--offline", "-q", "-p", "lambda-client-ip", "--no-default-features"]
    args += ["--features", feature] if feature else []
    args += ["-e", "normal", "--prefix", "none", "--no-dedupe"]
    out = subprocess.run(args, cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return len(set(out.splitlines()))


def main():
    text = README.read_text(encoding="utf-8")
    if COMMAND not in text:
        sys.exit(f"check_crate_counts: {README.relative_to(ROOT)} no longer gives the command `{COMMAND}`")
    rows = [m for m in map(ROW.match, text.splitlines()) if m]
    if len(rows) < 2:
        sys.exit("check_crate_counts: no feature table found")
    wrong = []
    for row in rows:
        feature, claimed = row.group(2), int(row.group(3))
        actual = count(feature)
        if actual != claimed:
            wrong.append(f"{feature or '(none)'}: the README says {claimed}, the command prints {actual}")
    if wrong:
        sys.exit("check_crate_counts: " + "; ".join(wrong))
    print(f"check_crate_counts: {len(rows)} rows, each the count its command prints")


if __name__ == "__main__":
    main()
