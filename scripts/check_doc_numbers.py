#!/usr/bin/env python3
"""Checks that every number with a unit in the Markdown files users and contributors read (every
tracked *.md but the dated records of DATED) comes from somewhere that is checked. Each must be:

- a fact of the code, restated: compared with the value in the code it restates (CODE_FACTS),
  never with a comment about it;
- the size of a saved file, compared with the file (FILE_SIZES);
- a fact of AWS's or an example size, named in OTHER_FACTS with what it is.

Facts without a unit (a count, a limit) are found by their wording, so every pattern of the three
lists must match at least once: a reworded fact fails the check rather than leaving it. Any other
number with a unit fails: a measured figure belongs in BENCHMARKS.md, as a dated record of one run
with its command, which this check leaves alone. Usage: check_doc_numbers.py. Exits 1 listing
every problem as FILE:LINE: why.
"""

import os
import re
import subprocess
import sys

ROOT = os.path.realpath(os.path.join(os.path.dirname(__file__), ".."))
# Markdown files whose figures are dated records, each true of its date, and why.
DATED = {
    "BENCHMARKS.md": "dated records of past runs, each with its command",
    "CHANGELOG.md": "release notes, each entry true of its release",
}
TRACKED = subprocess.run(["git", "ls-files", "*.md"], cwd=ROOT, capture_output=True, text=True, check=True)
DOCS = sorted(name for name in TRACKED.stdout.split() if name not in DATED)

UNITS = r"KiB|MiB|GiB|kB|MB|GB|bytes|ms|µs|ns|seconds|minutes|hours|days|cases|runs|rules"
# "30 s" is a duration; "400s" are statuses.
NUMBER = re.compile(rf"(?<![\w.,-])(\d[\d,]*(?:\.\d+)?)(?:[ -]?(?:{UNITS})|[ -]s)\b")


def source(path, pattern):
    """The number `pattern`'s first group captures in `path`: digits, or a product of them
    (`16 * 1024`)."""
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        found = re.search(pattern, f.read())
    if not found:
        sys.exit(f"check_doc_numbers: {path} no longer matches {pattern!r}: update this script")
    value = 1
    for factor in found.group(1).split("*"):
        value *= int(factor.strip().replace("_", ""))
    return value


KIB, MIB = 1024, 1024 * 1024
PRODUCT = r"([\d_ *]+);"

# (a pattern of the docs whose first group is the number, its unit, where the code says it)
CODE_FACTS = [
    (r"0 to (\d+): the client", 1, "lambda-client-ip/src/ranges.rs", r"MAX_PROXY_COUNT: u8 = " + PRODUCT),
    (r"463 for more than (\d+) addresses", 1, "local-alb/src/event.rs", r"MAX_FORWARDED_FOR: usize = " + PRODUCT),
    (r"more than (\d+) incoming addresses", 1, "local-alb/src/event.rs", r"MAX_FORWARDED_FOR: usize = " + PRODUCT),
    (r"more than (\d+) days old", 1, "lambda-client-ip/src/preset.rs", r"STALE_AFTER_DAYS: u64 = " + PRODUCT),
    (r"the list is (\d+) days old", 1, "lambda-client-ip/src/preset.rs", r"STALE_AFTER_DAYS: u64 = " + PRODUCT),
    (r"lists at most (\d+) positions", 1, "lambda-client-ip/src/explain.rs", r"EXPLAINED_POSITIONS: usize = " + PRODUCT),
    (r"up to (\d+) s, exit", 1, "local-alb/src/server.rs", r"SHUTDOWN_GRACE: Duration = Duration::from_secs\((\d+)\)"),
    (r"a head over (\d+) KiB", KIB, "local-alb/src/server.rs", r"READ_BUFFER: usize = " + PRODUCT),
    (r"request line over (\d+) KiB", KIB, "local-alb/src/event.rs", r"MAX_REQUEST_LINE: usize = " + PRODUCT),
    (r"one header line over (\d+) KiB", KIB, "local-alb/src/event.rs", r"MAX_HEADER_LINE: usize = " + PRODUCT),
    (r"caps one header at (\d+) KiB", KIB, "local-alb/src/event.rs", r"MAX_HEADER_LINE: usize = " + PRODUCT),
    (r"header block over (\d+) KiB", KIB, "local-alb/src/event.rs", r"MAX_HEADER_BLOCK: usize = " + PRODUCT),
    (r"a body over (\d+) MiB", MIB, "local-alb/src/event.rs", r"MAX_BODY: usize = " + PRODUCT),
    (r"a response over (\d+) MiB", MIB, "local-alb/src/response.rs", r"MAX_RESPONSE: usize = " + PRODUCT),
    # The number of cases the code sets when PROPTEST_CASES is unset (its doc comment is not read).
    (r"(\d+) cases each", 1, "lambda-client-ip/tests/properties.rs", r"None => (\d+),\s*\};\s*Config \{\s*cases,"),
    (r"growing more than (\d+) MiB", 1, "scripts/load.sh", r"-gt \$\(\((\d+) \* 1024\)\)"),
    (r"runs it for (\d+) s \(`scripts/test.d/55-load.sh`\)", 1, "scripts/test.d/55-load.sh", r"LOAD_SECONDS:-(\d+)"),
]

# (a pattern of the docs whose first group is a size in bytes, the file it is the size of)
FILE_SIZES = [
    (r"`f88d14c1[0-9a-f]*`\s+\((\d[\d,]*) bytes\)", "data/published-ranges/aws-ip-ranges.globalaccelerator.json"),
    (r"compact JSON on one line, (\d[\d,]*) bytes", "data/published-ranges/fastly-public-ip-list.json"),
]

# (a pattern of the docs, what it is); the pattern covers the number.
OTHER_FACTS = [
    (r"about 55 of the default 60 rules", "AWS: the prefix list's weight against a security group's default rule quota"),
    (r"a 16 KiB header costs what a short one does", "an example size"),
    (r"a 16 KiB header costs what a 50-byte one does", "an example size"),
    (r"a target over 64 KiB (414)", "hyper's own limit on the request target"),
    (r"a 16 KiB header, 300,000", "the size of a hostile test input"),
    (r"scripts/load.sh 30 4` runs it for 30 seconds", "the arguments of the command shown"),
    (r"the ALB answers a bare 502 above 1 MB", "AWS: the largest response a Lambda target may give an ALB"),
    (r"commits about every 30 minutes", "a third party's schedule, as observed"),
]


def line_of(text, at):
    return text.count("\n", 0, at) + 1


def check() -> list[str]:
    problems = []
    matched = set()
    for name in DOCS:
        with open(os.path.join(ROOT, name), encoding="utf-8") as f:
            text = f.read()
        covered = []
        for pattern, unit, path, code in CODE_FACTS:
            for match in re.finditer(pattern.replace(" ", r"\s+"), text):
                matched.add(pattern)
                covered.append(match.span())
                want = source(path, code)
                if int(match.group(1).replace(",", "")) * unit != want:
                    problems.append(f"{name}:{line_of(text, match.start())}: {match.group(0)!r}: "
                                    f"the code says {want / unit:g} ({path})")
        for pattern, path in FILE_SIZES:
            for match in re.finditer(pattern.replace(" ", r"\s+"), text):
                matched.add(pattern)
                covered.append(match.span())
                size = os.path.getsize(os.path.join(ROOT, path))
                if int(match.group(1).replace(",", "")) != size:
                    problems.append(f"{name}:{line_of(text, match.start())}: {match.group(0)!r}: "
                                    f"{path} is {size:,} bytes")
        for pattern, _ in OTHER_FACTS:
            for match in re.finditer(re.escape(pattern).replace(r"\ ", r"\s+"), text):
                matched.add(pattern)
                covered.append(match.span())
        for match in NUMBER.finditer(text):
            if not any(start <= match.start() and match.end() <= end for start, end in covered):
                problems.append(f"{name}:{line_of(text, match.start())}: {match.group(0)!r}: a number no "
                                "script checks; restate a constant (scripts/check_doc_numbers.py) or move "
                                "the measurement to BENCHMARKS.md as a dated record")
    every = [p for p, *_ in CODE_FACTS] + [p for p, _ in FILE_SIZES] + [p for p, _ in OTHER_FACTS]
    for pattern in every:
        if pattern not in matched:
            problems.append(f"scripts/check_doc_numbers.py: {pattern!r} matches no doc: the fact was "
                            "reworded or removed; update the pattern (or drop it with the fact)")
    return problems


def main() -> int:
    problems = check()
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"check_doc_numbers: {len(DOCS)} files, "
          + (f"{len(problems)} problems" if problems else "every number is checked"),
          file=sys.stderr if problems else sys.stdout)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
