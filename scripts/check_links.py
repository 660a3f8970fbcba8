#!/usr/bin/env python3
"""Checks that every relative link in the tracked Markdown resolves: inline links, reference
definitions and HTML href/src must name an existing file or folder, and a #fragment one of the
target's headings (slugged as GitHub does) or an explicit name/id, in the same file or another.
Links with a scheme are not checked (no network); code is skipped.

Then the references that are not links: the repository paths that the documentation's text and
code, the scripts, the Rust sources (messages and comments) and the template name
(`docs/deploy.md#refreshing-the-bundled-ranges`, `scripts/e2e/nginx.sh`), and every
`the README's "NAME" section`, must name a file, folder, heading or anchor that exists. Paths
made at run time (`target/`, `fuzz/corpus/`, `fuzz/artifacts/`) and the dated records
(CHANGELOG.md, BENCHMARKS.md) are left out.

Usage: check_links.py [FILE ...]. Exits 1 listing every broken one as FILE:LINE: TARGET: why.
"""

import os
import re
import subprocess
import sys
from urllib.parse import unquote

ROOT = os.path.realpath(os.path.join(os.path.dirname(__file__), ".."))

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
ATX = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
CODE_SPAN = re.compile(r"(`+)(.+?)\1")
# [text](target "title"), ![alt](target); the text may hold one level of brackets.
INLINE = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*(<[^>]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)"
                    r"(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)")
REFERENCE = re.compile(r"^ {0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)")
HTML_LINK = re.compile(r"<(?:a|img)\b[^>]*?\b(?:href|src)\s*=\s*[\"']([^\"']*)[\"']", re.I)
HTML_ANCHOR = re.compile(r"<[a-z]+\b[^>]*?\b(?:name|id)\s*=\s*[\"']([^\"']+)[\"']", re.I)
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def tracked_markdown() -> list[str]:
    out = subprocess.run(["git", "-C", ROOT, "ls-files", "-z", "--", "*.md"],
                         check=True, capture_output=True, text=True).stdout
    return [p for p in out.split("\0") if p and os.path.exists(os.path.join(ROOT, p))]


def lines_outside_code(text: str):
    """Yields (line number, line) for lines outside fenced code blocks, code spans blanked."""
    fence = None
    for number, line in enumerate(text.splitlines(), 1):
        match = FENCE.match(line)
        if fence:
            if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
                fence = None
            continue
        if match:
            fence = match.group(1)
            continue
        yield number, CODE_SPAN.sub(lambda m: " " * len(m.group(0)), line)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading's text."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)   # links and images: their text
    text = re.sub(r"<[^>]+>", "", text)                          # inline HTML
    text = text.replace("`", "")
    text = re.sub(r"(\*+|(?<!\w)_+|_+(?!\w))", "", text)         # emphasis, not snake_case
    text = text.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: str, cache: dict) -> set[str]:
    if path in cache:
        return cache[path]
    with open(path, encoding="utf-8") as f:
        text = f.read()
    found, seen = set(), {}
    previous = ""
    fence = None
    for line in text.splitlines():
        match = FENCE.match(line)
        if fence or match:
            if fence and match and match.group(1)[0] == fence[0] and \
                    len(match.group(1)) >= len(fence):
                fence = None
            elif not fence:
                fence = match.group(1)
            previous = ""
            continue
        heading = None
        atx = ATX.match(line)
        if atx:
            heading = atx.group(2)
        elif SETEXT.match(line) and previous.strip() and not previous.startswith((" " * 4, "\t")):
            heading = previous.strip()
        if heading is not None:
            base = slug(heading)
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
        found.update(HTML_ANCHOR.findall(line))
        previous = "" if atx else line
    cache[path] = found
    return found


def targets(line: str):
    for match in INLINE.finditer(line):
        yield match.group(1)
    match = REFERENCE.match(line)
    if match:
        yield match.group(1)
    yield from HTML_LINK.findall(line)


# Where the repository's own paths start; a path in a package (local-alb/, lambda-client-ip/) may
# also be written relative to it.
TOP = r"(?:docs|scripts|tools|events|data|local-alb|lambda-client-ip|testkit|fuzz|tests|benches|examples|src)"
REPO_PATH = re.compile(rf"(?<![\w/.<>$*{{-])({TOP}/[\w./-]*[\w/])(?![\w*<>{{])")
MD_REFERENCE = re.compile(r"(?<![\w/.<>$-])((?:[\w.-]+/)*[\w-]+\.md)(?:#([\w-]+))?(?![\w.])")
SECTION = re.compile(r"((?:[\w.-]+/)*[\w-]+\.md|README)'s \"([^\"]+)\" section")
MADE_AT_RUN_TIME = ("target/", "fuzz/corpus", "fuzz/artifacts", "fuzz/target", ".venv")
DATED_RECORDS = ("CHANGELOG.md", "BENCHMARKS.md")
SOURCES = ["*.rs", "*.sh", "*.py", "*.yaml", "*.toml", "*.md", "scripts/test"]


def tracked(patterns: list[str]) -> list[str]:
    out = subprocess.run(["git", "-C", ROOT, "ls-files", "-z", "--", *patterns],
                         check=True, capture_output=True, text=True).stdout
    return [p for p in out.split("\0") if p and os.path.exists(os.path.join(ROOT, p))]


def locate(name: str, path: str) -> str | None:
    """The file or folder `path` names when written in `name`: from the root, or from the
    folder of `name` or any folder above it."""
    folder = os.path.dirname(os.path.join(ROOT, name))
    candidates = [os.path.join(ROOT, path)]
    while folder.startswith(ROOT):
        candidates.append(os.path.join(folder, path))
        folder = os.path.dirname(folder)
    return next((c for c in candidates if os.path.exists(c)), None)


def check_references(files: list[str]) -> list[str]:
    """The paths, `FILE.md#anchor`s and `the README's "NAME" section`s that text names."""
    problems, cache = [], {}
    everything = tracked(["*"])
    for name in files:
        # The dated records, and this checker, whose docstring shows the forms it checks.
        if os.path.basename(name) in DATED_RECORDS or name == "scripts/check_links.py":
            continue
        with open(os.path.join(ROOT, name), encoding="utf-8") as f:
            text = f.read()
        for number, line in enumerate(text.splitlines(), 1):
            for path in REPO_PATH.findall(line):
                placeholder = re.search(r"\b[A-Z]{3,}\b", path)  # events/NAME.json
                if path.startswith(MADE_AT_RUN_TIME) or path.endswith(".md") or placeholder:
                    continue
                if locate(name, path) is None:
                    problems.append(f"{name}:{number}: {path}: no such file or folder")
            for path, anchor in MD_REFERENCE.findall(line):
                found = locate(name, path)
                if found is None and "/" not in path:  # a bare name, as in "its SOURCES.md"
                    found = next((os.path.join(ROOT, f) for f in everything
                                  if os.path.basename(f) == path), None)
                if found is None:
                    problems.append(f"{name}:{number}: {path}: no such file")
                elif anchor and anchor.lower() not in anchors(found, cache):
                    problems.append(f"{name}:{number}: {path}#{anchor}: no heading with that anchor")
            for path, heading in SECTION.findall(line):
                found = locate(name, "README.md" if path == "README" else path)
                if found is None or slug(heading) not in anchors(found, cache):
                    problems.append(f"{name}:{number}: {path}'s \"{heading}\" section: no such heading")
    return problems


def check(files: list[str]) -> list[str]:
    problems, cache = [], {}
    for name in files:
        source = os.path.join(ROOT, name)
        with open(source, encoding="utf-8") as f:
            text = f.read()
        for number, line in lines_outside_code(text):
            for target in targets(line):
                target = target.strip("<>")
                if not target or SCHEME.match(target) or target.startswith("//"):
                    continue
                path, _, fragment = target.partition("#")
                path = unquote(path.split("?", 1)[0])
                if path.startswith("/"):
                    resolved = os.path.join(ROOT, path.lstrip("/"))
                elif path:
                    resolved = os.path.normpath(os.path.join(os.path.dirname(source), path))
                else:
                    resolved = source
                where = f"{name}:{number}: {target}"
                if not os.path.realpath(resolved).startswith(ROOT + os.sep):
                    problems.append(f"{where}: points outside the repository")
                    continue
                if not os.path.exists(resolved):
                    problems.append(f"{where}: no such file or folder")
                    continue
                if fragment and resolved.endswith(".md") and os.path.isfile(resolved):
                    if unquote(fragment).lower() not in anchors(resolved, cache):
                        problems.append(f"{where}: no heading with the anchor #{fragment}")
    return problems


def main() -> int:
    given = [os.path.relpath(os.path.abspath(f), ROOT) for f in sys.argv[1:]]
    markdown = [f for f in given if f.endswith(".md")] if given else tracked_markdown()
    sources = given or tracked(SOURCES)
    problems = check(markdown) + check_references(sources)
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"check_links: {len(markdown)} Markdown files, {len(sources)} files' references, "
          + (f"{len(problems)} broken" if problems else "every link and reference resolves"),
          file=sys.stderr if problems else sys.stdout)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
