"""The README's table "Which setting do I need?", executed: every row's setting is parsed exactly as
written, local-alb (the function in-process, configured as the deployed function is) is started
with it and must start, and each row gets the requests that tell its setting apart from the
plausible mistakes (a count for ranges, another count, another preset):

- a client through the row's door (its `--via` door, nginx, or straight to the ALB's port),
  forging an X-Forwarded-For chain: the answer the row documents, its own address or, where the
  row says there is no client address, the hop in front. A wrong preset answers the door's edge,
  a count too high the forged entry;
- a caller going around the door (straight to the ALB, from AROUND), forging a chain and the
  header the row reads: its own address. A count believes the forged entry;
- a request through each CDN door that the row's own door does not put in front (CDN_DOORS,
  DOOR_PRESETS; taken from the local-alb column, never from the setting under test): that edge's
  address, since whoever is behind another CDN could write anything. An extra preset believes it;
- where the door has two hops, a client through the inner hop alone (INNER_DOORS), around the
  outer one: its own address. A count that skips the outer hop believes the forged entry;
- rows that reuse a plain door get requests only their setting answers correctly (ROW_REQUESTS),
  and the sample events of their topology through the function (ROW_EVENTS, with alb-explain).

Rows marked `the library:` have no ALB: `lambda-client-ip/tests/readme_rows.rs` runs them through
the library on the sample events of their front door; here it is only checked that it names each.

The grammar of the setting column: `all unset`, or `VAR=VALUE` code spans to set, optionally
followed by `optional` and more of them; a remark in parentheses or after a colon is allowed;
`the library:` in front marks a row for library users (no ALB). Every variable not named stays
unset. Each row runs once with its required variables, and once more with the optional ones.

Placeholders (`<…>`) get a value chosen here, in PLACEHOLDERS, with why. Rows that local-alb has
no door for, but that a hop from one address can stand in for, are in STAND_INS: the request
comes from STAND_IN_ADDRESS carrying what that hop writes.
"""

import os
import re
import subprocess
from pathlib import Path

import pytest

from support import ROOT, body_of, clean_env

README = ROOT / "README.md"
LIBRARY_TEST = ROOT / "lambda-client-ip" / "tests" / "readme_rows.rs"
CLIENT = "127.0.0.4"
AROUND = "127.0.0.5"  # a caller that reaches the ALB around the row's door
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

# The CDN doors whose edge connects from an address of a bundled preset: --via name -> preset.
CDN_DOORS = {"cloudfront": "cloudfront", "cloudflare": "cloudflare", "fastly": "fastly",
                 "global-accelerator": "globalaccelerator"}
# The presets of the CDNs each door puts in front, from local-alb's column of the table (never
# from the setting under test): every other CDN's edge is one the row must not trust.
DOOR_PRESETS = {
    "cloudfront": {"cloudfront"},
    "cloudflare": {"cloudflare"},
    "fastly": {"fastly"},
    "cloudflare-cloudfront": {"cloudflare", "cloudfront"},
    "cloudflare-apigw-http": {"cloudflare"},
    "cloudfront-apigw-http": {"cloudfront"},
    "global-accelerator": {"globalaccelerator"},
}
# A door of two hops, and its inner hop alone: a client that goes around the outer one.
INNER_DOORS = {"cloudflare-cloudfront": "cloudfront", "cloudflare-apigw-http": "apigw-http",
               "cloudfront-apigw-http": "apigw-http"}

# What a caller forges in the header a row reads (CLIENT_IP_HEADER), besides X-Forwarded-For.
FORGED_HEADER = {
    "forwarded": "Forwarded: for=6.6.6.6",
    "true-client-ip": "True-Client-IP: 6.6.6.6",
    "cf-connecting-ip": "CF-Connecting-IP: 6.6.6.6",
    "cloudfront-viewer-address": "CloudFront-Viewer-Address: 6.6.6.6:4711",
}

# topology -> requests only that row's setting answers correctly: (how, headers, the answer), how
# being "door" (through the row's door from CLIENT), "around" (straight to the ALB from AROUND) or
# "via NAME" (through local-alb's door NAME from CLIENT). "edge of NAME" is the address door NAME
# connects to the ALB from.
ROW_REQUESTS = {
    # An IPv4 visitor who forges CF-Connecting-IPv6: the header is read only for a Pseudo IPv4.
    "Cloudflare Pseudo IPv4": [("door", ["-H", "CF-Connecting-IPv6: 2001:db8::66"], CLIENT)],
    # Preservation on: P0 is the client, even when it forges an accelerator's edge as the last
    # entry; with preservation off (the accelerator's edge as the peer) nobody is believed.
    "Global Accelerator, preservation on": [
        ("around", ["-H", "X-Forwarded-For: 6.6.6.6, 3.2.48.17"], AROUND),
        ("via global-accelerator", ["-H", FORGED], "edge of global-accelerator"),
    ],
    # The NLB passes the client through: a chain ending in an NLB node's private address is forged.
    "NLB → ALB, internet clients": [("around", ["-H", "X-Forwarded-For: 6.6.6.6, 10.0.0.5"], AROUND)],
    # No CDN in front of the API: a caller of the API that is a CDN's edge is the answer.
    "HTTP API → VPC link → internal ALB": [
        ("via cloudflare-apigw-http", ["-H", FORGED], "edge of cloudflare"),
        ("via cloudfront-apigw-http", ["-H", FORGED], "edge of cloudfront"),
    ],
    # One CDN in front of the API: the other CDN's edge calling the API is the answer.
    "Cloudflare → HTTP API → VPC link → internal ALB": [
        ("via cloudfront-apigw-http", ["-H", FORGED], "edge of cloudfront"),
    ],
    "CloudFront → HTTP API → VPC link → internal ALB": [
        ("via cloudflare-apigw-http", ["-H", FORGED], "edge of cloudflare"),
    ],
}

# topology -> sample events of events/ and the answer the row's setting gives each (a client
# address or a refusal code), through the function (alb-explain, the same handler).
ROW_EVENTS = {
    "Cloudflare Pseudo IPv4": [
        ("cloudflare-pseudo-ipv4", "2001:db8:85a3::8a2e:370:7334"),
        ("cloudflare-pseudo-ipv4-without-ipv6", "pseudo_ipv4_without_ipv6"),
    ],
    "Global Accelerator, preservation off": [("global-accelerator", "3.2.48.17")],
    # API Gateway's last for= is CloudFront's: count 0 answers it, the cloudfront walk the viewer.
    "HTTP API → VPC link → internal ALB": [("forwarded-cloudfront-http-api", "64.252.138.139")],
    "CloudFront → HTTP API → VPC link → internal ALB": [
        ("forwarded-cloudfront-http-api", "2001:db8:3a42:b7b0:9971:120a:391f:f585"),
    ],
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


def all_rows():
    rows = table_rows(section(README.read_text(), "## Which setting do I need?"))
    assert len(rows) >= 15, rows
    return rows


def topology_of(row):
    return re.match(r"\[([^\]]+)\]", row[0]).group(1)


def readme_rows():
    """The rows with an ALB, once with their required settings and once more with the optional
    ones; the library's rows run in the library's test."""
    rows = [row for row in all_rows() if not row[1].startswith("the library:")]
    cases = [pytest.param(row, False, id=topology_of(row)) for row in rows]
    optional = [row for row in rows if "; optional " in row[1]]
    return cases + [pytest.param(row, True, id=f"{topology_of(row)}, optional too") for row in optional]


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


def label(topology, n):
    return f"{re.sub(r'[^A-Za-z0-9]+', '-', topology)}-{n}"


def edge_of(alb):
    return re.search(r"connects from (\S+)\)", alb.process.output()).group(1)


def client_of(body):
    """The address a response body answers, or its refusal code."""
    found = re.match(r'\{"(?:client_ip|error)":"([^"]+)"', body)
    return found.group(1) if found else body


class Row:
    """One row of the table under one of its settings: starts local-alb as the row says and sends
    the requests that tell the setting apart."""

    def __init__(self, start_alb, request, row, settings, no_client):
        self.start_alb, self.request, self.row = start_alb, request, row
        self.topology, self.settings, self.no_client = topology_of(row), settings, no_client
        self.started = 0

    def alb(self, *options):
        self.started += 1
        return self.start_alb(label(self.topology, self.started), *options, **self.settings)

    def via(self, door):
        return self.alb("--listen", "127.0.0.1:0", "--via", door, "--via-listen", "127.0.0.1:0")

    def through_door(self, headers):
        """(what a client through the row's door got, what the row documents)."""
        door = door_of(self.row)
        if door[0] == "via":
            alb = self.via(door[1])
            got = body_of(f"http://127.0.0.1:{alb.edge_port}/", *headers, source=CLIENT)
            return got, edge_of(alb) if self.no_client else CLIENT
        alb = self.alb()
        if door[0] == "direct":
            return body_of(alb.url(), *headers, source=CLIENT), CLIENT
        if door[0] == "nginx":
            [front] = self.request.getfixturevalue("nginx")(NGINX_ADDRESS, alb.port)
            got = body_of(f"http://127.0.0.1:{front}/", *headers, source=CLIENT)
            return got, NGINX_ADDRESS if self.no_client else CLIENT
        assert self.topology in STAND_INS, f"{self.topology}: no door and no stand-in"
        stand_in, want = STAND_INS[self.topology]
        return body_of(alb.url(), *stand_in, source=STAND_IN_ADDRESS), want

    def around(self, headers):
        """What a caller got that went around the door, straight to the ALB from AROUND."""
        return body_of(self.alb().url(), *headers, source=AROUND)

    def forged(self):
        """The caller's forged chain, and the header the row reads if it reads one."""
        header = FORGED_HEADER.get(self.settings.get("CLIENT_IP_HEADER", "").lower())
        return ["-H", FORGED] + (["-H", header] if header else [])

    def foreign_doors(self):
        """The CDN doors that the row's own door does not put in front."""
        own = door_of(self.row)
        in_front = DOOR_PRESETS.get(own[1], set()) if own[0] == "via" else set()
        return [door for door, preset in CDN_DOORS.items() if preset not in in_front]

    def edge(self, door):
        """The address `door` connects to the ALB from."""
        return edge_of(self.via(door))

    def check(self):
        """Every request of the row: [(what was sent, what came back, the answer it must be)]."""
        results = []
        got, want = self.through_door(self.forged())
        results.append(("a client through the door", got, want))
        results.append(("a caller around the door", self.around(self.forged()), AROUND))
        for door in self.foreign_doors():
            alb = self.via(door)
            got = body_of(f"http://127.0.0.1:{alb.edge_port}/", "-H", FORGED, source=CLIENT)
            results.append((f"a client through an untrusted {door}", got, edge_of(alb)))
        own = door_of(self.row)
        requests = list(ROW_REQUESTS.get(self.topology, []))
        if own[0] == "via" and own[1] in INNER_DOORS:
            requests.append((f"via {INNER_DOORS[own[1]]}", ["-H", FORGED], CLIENT))
        for how, headers, want in requests:
            if how == "door":
                got, _ = self.through_door(headers)
            elif how == "around":
                got = self.around(headers)
            else:
                alb = self.via(how.removeprefix("via "))
                got = body_of(f"http://127.0.0.1:{alb.edge_port}/", *headers, source=CLIENT)
            if want.startswith("edge of "):
                want = self.edge(want.removeprefix("edge of "))
            results.append((f"{how} with {headers}", got, want))
        for event, want in ROW_EVENTS.get(self.topology, []):
            results.append((f"events/{event}.json", explain_answer(event, self.settings), want))
        return results


def explain_answer(event, settings):
    """The function's answer to a sample event under `settings`, from alb-explain."""
    binary = Path(os.environ.get("LOCAL_ALB_BIN", ROOT / "target/release/local-alb")).with_name("alb-explain")
    argv = [binary, "--event", ROOT / "events" / f"{event}.json"] + [f"{k}={v}" for k, v in settings.items()]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=30, env=clean_env())
    assert done.returncode == 0, done.stderr
    return re.search(r"^answer: (.*)$", done.stdout, re.M).group(1)


@pytest.mark.parametrize("row,with_optional", readme_rows())
def test_the_readme_setting_answers_only_as_that_row_documents(start_alb, request, row, with_optional):
    required, optional, no_client = settings_of(row)
    settings = {**required, **optional} if with_optional else required
    wrong = [
        f"{what}: {got} (the row documents {want})"
        for what, got, want in Row(start_alb, request, row, settings, no_client).check()
        if client_of(got) != want
    ]
    assert not wrong, f"{topology_of(row)} under {settings}:\n" + "\n".join(wrong)


def test_every_library_row_is_run_by_the_library_test():
    names = LIBRARY_TEST.read_text()
    for row in all_rows():
        if row[1].startswith("the library:"):
            assert f'"{topology_of(row)}"' in names, f"{topology_of(row)}: not in {LIBRARY_TEST.name}"


def test_every_row_request_and_event_names_a_row_of_the_readme():
    topologies = {topology_of(row) for row in all_rows()}
    assert set(ROW_REQUESTS) | set(ROW_EVENTS) <= topologies


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
