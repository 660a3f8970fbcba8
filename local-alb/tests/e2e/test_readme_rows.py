"""The README's table "Which setting do I need?", executed: every row's setting is parsed exactly as
written, local-alb (the function in-process, configured as the deployed function is) is started
with it and must start, and a client sends a forged X-Forwarded-For chain the way the row's last
column says (through its `--via` door, through nginx, or straight to the ALB's port) and must get
the answer the row documents: its own address, or, where the row says there is no client
address, the address of the hop in front.

The grammar of the setting column: `all unset`, or `VAR=VALUE` code spans to set, optionally
followed by `optional` and more of them; a remark in parentheses or after a colon is allowed;
`the library:` in front marks a row for library users (no ALB). Every variable not named stays
unset. Each row runs once with its required variables, and once more with the optional ones.

Placeholders (`<…>`) get a value chosen here, in PLACEHOLDERS, with why. Rows that local-alb has
no door for, but that a hop from one address can stand in for, are in STAND_INS: the request
comes from STAND_IN_ADDRESS carrying what that hop writes.
"""

import re
from pathlib import Path

import pytest

from support import ROOT, body_of

README = ROOT / "README.md"
CLIENT = "127.0.0.4"
FORGED = "X-Forwarded-For: 6.6.6.6, 198.51.100.7"
NGINX_ADDRESS = "127.0.0.53"  # nginx's upstream connections come from here (as in test_nginx.py)
STAND_IN_ADDRESS = "127.0.0.53"  # a hop local-alb has no door for connects from here

# (variable, placeholder) -> the value the test types, and why.
PLACEHOLDERS = {
    # nginx, your own proxy: the address nginx connects to the ALB from.
    ("TRUSTED_PROXY_CIDRS", "<its addresses>"): NGINX_ADDRESS,
    # Akamai: its ranges for the property; the stand-in edge connects from this one address.
    ("TRUSTED_PROXY_CIDRS", "<Akamai's ranges>"): f"{STAND_IN_ADDRESS}/32",
    # REST API VPC links: the subnets the NLB or the VPC link's ENIs live in, holding the stand-in.
    ("TRUSTED_PROXY_CIDRS", "<the NLB's subnets>"): "127.0.0.48/28",
    ("TRUSTED_PROXY_CIDRS", "<the VPC link's subnets>"): "127.0.0.48/28",
    # HTTP API: local-alb's apigw-http door connects from 10.0.1.25 (via.rs, VPC_LINK_ADDRESS).
    ("VPC_LINK_CIDRS", "<the VPC link's subnets>"): "10.0.1.0/24",
    # VPC Lattice: the link-local range of its prefix list; the lattice door connects from it.
    ("TRUSTED_PROXY_CIDRS", "<Lattice's prefix lists>"): "169.254.171.0/24",
}

# topology -> (headers the stand-in hop sends, the documented answer).
STAND_INS = {
    "Akamai → ALB": (["-H", "True-Client-IP: 203.0.113.7", "-H", FORGED], "203.0.113.7"),
    "NLB → ALB for PrivateLink": (["-H", FORGED], STAND_IN_ADDRESS),
    "REST API (regional) → VPC link V1 → NLB → ALB": (["-H", "X-Forwarded-For: 6.6.6.6, 203.0.113.7"], "203.0.113.7"),
    "REST API (regional) → VPC link V2 → ALB": (["-H", "X-Forwarded-For: 6.6.6.6, 203.0.113.7"], "203.0.113.7"),
}

ASSIGNMENT = r"`([A-Z][A-Z_]*)=([^`]+)`"
ASSIGNMENTS = rf"{ASSIGNMENT}(?: {ASSIGNMENT})*"
REMARK = r"(?: \([^)+]*\))?"  # a remark, never "(+ another setting)"
SETTING = re.compile(
    rf"^(?P<library>the library: )?(?:all unset(?P<none>: .*)?|(?P<required>{ASSIGNMENTS}){REMARK}"
    rf"(?:; optional (?P<optional>{ASSIGNMENTS}){REMARK})?)$"
)


def section(text, heading):
    """The lines of the section under `heading`, up to the next heading of any level."""
    lines = text.splitlines()
    start = lines.index(heading) + 1
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("#")), len(lines))
    return lines[start:end]


def table_rows(lines):
    """The cells of every row of the first table in `lines`, header and rule left out."""
    rows = [line for line in lines if line.startswith("|")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[2:]]


def variables():
    """The function's variables, as the README's Configuration table lists them."""
    rows = table_rows(section(README.read_text(), "## Configuration"))
    return {name for row in rows for name in re.findall(r"`([A-Z_]+)`", row[0])}


def assignments(text):
    return dict(re.findall(ASSIGNMENT, text or ""))


def readme_rows():
    rows = table_rows(section(README.read_text(), "## Which setting do I need?"))
    assert len(rows) >= 15, rows
    return [pytest.param(row, id=re.match(r"\[([^\]]+)\]", row[0]).group(1)) for row in rows]


def typed(name, value):
    """A value as a reader types it: a placeholder becomes the test's value for it."""
    if "<" not in value:
        return value
    assert (name, value) in PLACEHOLDERS, f"{name}={value}: no test value for this placeholder"
    return PLACEHOLDERS[(name, value)]


def settings_of(row):
    """(required settings, optional settings, whether the row says no client address exists)."""
    cell = row[1]
    parsed = SETTING.match(cell)
    assert parsed, f"the setting {cell!r} is not in the table's grammar (see this file's docstring)"
    required, optional = assignments(parsed["required"]), assignments(parsed["optional"])
    known = variables()
    for name, value in {**required, **optional}.items():
        assert name in known, f"{name} is not a variable of the Configuration table ({sorted(known)})"
        assert value.strip() == value and value, f"{name}={value!r}"
    settings = {k: typed(k, v) for k, v in required.items()}
    extra = {k: typed(k, v) for k, v in optional.items()}
    return settings, extra, "no client address" in cell


def door_of(row):
    """('via', NAME), ('direct',), ('nginx',) or ('none',), from the local-alb column."""
    cell = row[3]
    via = re.match(r"^`--via ([a-z-]+)`", cell)
    if via:
        return ("via", via.group(1))
    if cell == "port 3000":
        return ("direct",)
    if cell == "nginx in front of port 3000":
        return ("nginx",)
    assert cell == "–", f"the local-alb column {cell!r} is not one the test knows"
    return ("none",)


def answer(start_alb, request, topology, row, settings, no_client):
    """Starts local-alb with `settings` and returns (what the client got, what the row documents),
    or None for a row with nothing to send a request through."""
    door = door_of(row)
    if door[0] == "via":
        alb = start_alb(
            topology, "--listen", "127.0.0.1:0", "--via", door[1], "--via-listen", "127.0.0.1:0", **settings
        )
        edge = re.search(r"connects from (\S+)\)", alb.process.output()).group(1)
        got = body_of(f"http://127.0.0.1:{alb.edge_port}/", "-H", FORGED, source=CLIENT)
        return got, edge if no_client else CLIENT
    alb = start_alb(topology, **settings)
    if door[0] == "direct":
        return body_of(alb.url(), "-H", FORGED, source=CLIENT), CLIENT
    if door[0] == "nginx":
        [front] = request.getfixturevalue("nginx")(NGINX_ADDRESS, alb.port)
        got = body_of(f"http://127.0.0.1:{front}/", "-H", FORGED, source=CLIENT)
        return got, NGINX_ADDRESS if no_client else CLIENT
    if topology in STAND_INS:
        headers, want = STAND_INS[topology]
        return body_of(alb.url(), *headers, source=STAND_IN_ADDRESS), want
    assert row[1].startswith("the library:"), f"{topology}: no door, no stand-in, and not the library's"
    return None


@pytest.mark.parametrize("row", readme_rows())
def test_the_readme_setting_starts_and_answers_the_documented_client(start_alb, request, row):
    topology = re.match(r"\[([^\]]+)\]", row[0]).group(1)
    required, optional, no_client = settings_of(row)
    variants = [required] + ([{**required, **optional}] if optional else [])
    for settings in variants:
        result = answer(start_alb, request, topology, row, settings, no_client)
        if result is not None:
            got, want = result
            assert got.startswith(f'{{"client_ip":"{want}"'), f"{topology} under {settings}: {got}"


def test_every_stand_in_and_placeholder_names_a_row_of_the_readme():
    text = README.read_text()
    for topology in STAND_INS:
        assert f"[{topology}]" in text, topology
    for name, placeholder in PLACEHOLDERS:
        assert f"`{name}={placeholder}`" in text, (name, placeholder)


def test_the_readme_setting_grammar_refuses_the_ambiguous_forms_it_replaced():
    for ambiguous in [
        "nothing (count 0)",
        "`CLIENT_IP_HEADER=forwarded`, count 0; a CDN in front: + `TRUSTED_PROXY_CIDRS=cloudflare`",
        "`TRUSTED_PROXY_CIDRS=cloudfront` (+ header)",
        "`CLIENT_IP_HEADER=true-client-ip` + Akamai's ranges",
    ]:
        assert not SETTING.match(ambiguous), ambiguous
    assert SETTING.match("`TRUSTED_PROXY_CIDRS=cloudfront`; optional `CLIENT_IP_HEADER=cloudfront-viewer-address`")
