#!/usr/bin/env python3
"""Checks that every relative link in the tracked Markdown resolves: inline links, reference
definitions and HTML href/src must name an existing file or folder, and a #fragment one of the
target's headings (slugged as GitHub does) or an explicit name/id. Links with a scheme are not
checked (no network); code is skipped. Usage: check_links.py [FILE.md ...]. Exits 1 listing
every broken link as FILE:LINE: TARGET: why.
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
    files = [os.path.relpath(os.path.abspath(f), ROOT) for f in sys.argv[1:]] or tracked_markdown()
    problems = check(files)
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"check_links: {len(files)} files, "
          + (f"{len(problems)} broken links" if problems else "every relative link resolves"),
          file=sys.stderr if problems else sys.stdout)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
