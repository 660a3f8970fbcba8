"""template.yaml, as CloudFormation gets it after the SAM translation, keeps the settings the
client address depends on (cfn-lint checks that it is valid; it cannot know that an ALB which
*preserves* X-Forwarded-For lets every client choose its address). Run by the deploy step of
the test command, which translates the template first and names the file in TRANSLATED_TEMPLATE;
alone: `.venv/bin/python -m pytest tests/deploy` translates it itself.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from template_checks import (
    check_ingress,
    check_parameters,
    check_resources,
    check_rules,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    path = os.environ.get("TRANSLATED_TEMPLATE")
    if not path:
        path = tmp_path_factory.mktemp("template") / "translated.json"
        translate = [sys.executable, ROOT / "scripts" / "sam_translate.py", ROOT / "template.yaml", path]
        subprocess.run([str(a) for a in translate], check=True, timeout=120)
    return json.loads(Path(path).read_text(encoding="utf-8"))


def problems(check, template):
    found = []
    check(template, lambda ok, message: ok or found.append(message))
    return found


def test_the_function_the_alb_attributes_the_permission_and_the_target_group_are_in_place(template):
    assert problems(check_resources, template) == []


def test_the_parameters_accept_the_documented_values_and_refuse_the_rest(template):
    assert problems(check_parameters, template) == []


def test_the_rules_refuse_at_deploy_time_what_the_function_refuses_at_cold_start(template):
    assert problems(check_rules, template) == []


def test_only_the_chosen_front_door_can_reach_the_listeners(template):
    assert problems(check_ingress, template) == []
