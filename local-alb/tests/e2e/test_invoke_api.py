"""local-alb --lambda-url in front of a stand-in Lambda Invoke API (scripts/e2e/fake_lambda.py):
the event it sends is the ALB's, and every bad answer becomes the ALB's 502 or 504."""

import json
import re

import pytest

from support import curl

BAD_ANSWERS = ["null-body", "number-header", "no-status", "too-big", "not-json", "error", "crash"]


@pytest.fixture
def via_fake(start_alb, fake_lambda):
    return start_alb(
        "via-fake", "--listen", "127.0.0.1:0", "--lambda-url", fake_lambda,
        "--function-name", "stand-in", "--timeout", "1", "--xff-client-port",
    )


def test_the_event_sent_through_the_invoke_api_is_the_albs_with_the_client_port(via_fake):
    status, body = curl(via_fake.url("/echo?a=1&a=2"), "-H", "X-Forwarded-For: 6.6.6.6")
    assert status == "200", body
    event = json.loads(body)
    h = event["headers"]
    assert re.fullmatch(r"6\.6\.6\.6, 127\.0\.0\.1:\d+", h["x-forwarded-for"]), h["x-forwarded-for"]
    assert event["queryStringParameters"] == {"a": "2"}, event["queryStringParameters"]
    assert h["x-forwarded-proto"] == "http" and h["x-amzn-trace-id"].startswith("Root=1-"), h
    assert event["requestContext"]["elb"]["targetGroupArn"].startswith("arn:aws:elasticloadbalancing:")


@pytest.mark.parametrize("case", BAD_ANSWERS)
def test_a_malformed_or_failed_function_answer_is_a_502(via_fake, case):
    status, body = curl(via_fake.url(f"/{case}"))
    assert status == "502", body[:300]


def test_a_function_slower_than_the_timeout_is_a_504(via_fake):
    status, body = curl(via_fake.url("/slow"))
    assert status == "504", body[:300]


def test_a_base64_body_is_decoded(via_fake):
    status, body = curl(via_fake.url("/binary"))
    assert status == "200"
    assert body == bytes(range(256))


def test_the_access_log_has_one_line_per_request_with_the_reason(via_fake):
    paths = ["/echo", *(f"/{case}" for case in BAD_ANSWERS), "/slow", "/binary"]
    for path in paths:
        curl(via_fake.url(path))
    log = via_fake.log_text()
    lines = [line for line in log.splitlines() if line.startswith("http ")]
    assert len(lines) == len(paths) == 10, f"{len(lines)} access-log lines for {len(paths)} requests"
    assert re.search(r'" 502 - .*LambdaResponseNull', log), "the access log does not explain the null"
    assert re.search(r'" 504 - .*Timeout', log), "the access log does not explain the 504"
