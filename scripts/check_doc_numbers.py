#!/usr/bin/env python3
"""Checks that every number with a unit in the user and contributor docs (README.md, docs/,
CONTRIBUTING.md, local-alb/README.md) comes from somewhere that is checked. Each must be one of:

- a fact of the code, restated: compared with the constant it restates (CODE_FACTS);
- a fact of AWS's or an example size, named in OTHER_FACTS with what it is;
- a measurement of the test tiers in CONTRIBUTING.md (MEASURED), compared within a factor of two
  with the last figure scripts/measure.sh or scripts/test wrote under target/measured/, when one
  has been written on this checkout.

Any other number fails: a figure no script produces is removed in favour of the command that
measures it. BENCHMARKS.md holds dated records of past runs, each with its command, and is not
checked. Usage: check_doc_numbers.py. Exits 1 listing every problem as FILE:LINE: why.
"""

import glob
import os
import re
import sys

ROOT = os.path.realpath(os.path.join(os.path.dirname(__file__), ".."))
DOCS = ["README.md", "CONTRIBUTING.md", "local-alb/README.md", *sorted(glob.glob("docs/*.md", root_dir=ROOT))]

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
    (r"more than (\d+) days old", 1, "lambda-client-ip/src/preset.rs", r"STALE_AFTER_DAYS: u64 = " + PRODUCT),
    (r"up to (\d+) s, exit", 1, "local-alb/src/server.rs", r"SHUTDOWN_GRACE: Duration = Duration::from_secs\((\d+)\)"),
    (r"a head over (\d+) KiB", KIB, "local-alb/src/server.rs", r"READ_BUFFER: usize = " + PRODUCT),
    (r"request line over (\d+) KiB", KIB, "local-alb/src/event.rs", r"MAX_REQUEST_LINE: usize = " + PRODUCT),
    (r"one header line over (\d+) KiB", KIB, "local-alb/src/event.rs", r"MAX_HEADER_LINE: usize = " + PRODUCT),
    (r"header block over (\d+) KiB", KIB, "local-alb/src/event.rs", r"MAX_HEADER_BLOCK: usize = " + PRODUCT),
    (r"a body over (\d+) MiB", MIB, "local-alb/src/event.rs", r"MAX_BODY: usize = " + PRODUCT),
    (r"a response over (\d+) MiB", MIB, "local-alb/src/response.rs", r"MAX_RESPONSE: usize = " + PRODUCT),
    (r"(\d+) cases each", 1, "lambda-client-ip/tests/properties.rs", r"(\d+) cases per property"),
    (r"\((?:count and range mode, )?(\d+) s budget", 1, "tests/process_hostile.rs", r"BUDGET: Duration = Duration::from_secs\((\d+)\)"),
    (r"growing more than (\d+) MiB", 1, "scripts/load.sh", r"\$\(\((\d+) \* 1024\)\)"),
    (r"runs it for (\d+) s \(`scripts/test.d/55-load.sh`\)", 1, "scripts/test.d/55-load.sh", r"LOAD_SECONDS:-(\d+)"),
]

# (a pattern of the docs, what it is); the pattern covers the number.
OTHER_FACTS = [
    (r"about 55 of the default 60 rules", "AWS: the prefix list's weight against a security group's default rule quota"),
    (r"a 16 KiB header costs what a short one does", "an example size"),
    (r"a target over 64 KiB (414)", "hyper's own limit on the request target"),
    (r"a 16 KiB header, 300,000", "the size of a hostile test input"),
    (r"scripts/load.sh 30 4` runs it for 30 seconds", "the arguments of the command shown"),
]

# (the pattern in CONTRIBUTING.md, the file under target/measured/, its unit in the docs)
MEASURED = [
    (r"run with no network: \*\*(\d[\d,]*) s\*\*", "quick"),
    (r"`bash scripts/test`, the full suite: \*\*(\d[\d,]*) s\*\*", "full"),
    (r"`fuzz/target/`\): \*\*(\d+(?:\.\d+)?) GB\*\*", "disk"),
]


def check() -> list[str]:
    problems = []
    for name in DOCS:
        with open(os.path.join(ROOT, name), encoding="utf-8") as f:
            text = f.read()
        covered = []
        for pattern, unit, path, code in CODE_FACTS:
            for match in re.finditer(pattern.replace(" ", r"\s+"), text):
                covered.append(match.span())
                want = source(path, code)
                if int(match.group(1).replace(",", "")) * unit != want:
                    line = text.count("\n", 0, match.start()) + 1
                    problems.append(f"{name}:{line}: {match.group(0)!r}: the code says {want / unit:g} ({path})")
        for pattern, _ in OTHER_FACTS:
            covered += [m.span() for m in re.finditer(re.escape(pattern).replace(r"\ ", r"\s+"), text)]
        for pattern, measured in MEASURED:
            for match in re.finditer(pattern, text) if name == "CONTRIBUTING.md" else []:
                covered.append(match.span())
                path = os.path.join(ROOT, "target", "measured", measured)
                if not os.path.exists(path):
                    continue
                with open(path, encoding="utf-8") as f:
                    last = float(f.read().strip())
                written = float(match.group(1).replace(",", ""))
                if not last / 2 <= written <= last * 2:
                    line = text.count("\n", 0, match.start()) + 1
                    problems.append(f"{name}:{line}: {match.group(0)!r}: the last measurement was {last:g} "
                                    f"(target/measured/{measured}): write that")
        for match in NUMBER.finditer(text):
            if not any(start <= match.start() and match.end() <= end for start, end in covered):
                line = text.count("\n", 0, match.start()) + 1
                problems.append(f"{name}:{line}: {match.group(0)!r}: a number no script checks; restate a "
                                "constant (scripts/check_doc_numbers.py) or give the command that measures it")
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
