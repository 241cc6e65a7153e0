"""The AWS calls the unit tier recorded for each collector, expander and inventory (`tests/unit/aws_calls.py`,
written to build/recorded-aws-calls.json by a whole unit-tier run, which `make test` runs first) are
allowed by the synthesized role of every function that runs that component."""

from __future__ import annotations

import json

import pytest

from provenance_guard.collect.kinds import kind_named
from stacks.triggers import FUNCTIONS
from tests.infra.support import StackModel, as_list
from tests.unit.aws_calls import LOG_FILE
from tests.unit.test_permissions import runs

pytestmark = pytest.mark.infra


def role_actions(model: StackModel, function: str) -> set[str]:
    statements = model.identity_statements(model.role_of(model.function_id(function)))
    return {
        action for statement in statements if statement["Effect"] == "Allow" for action in as_list(statement["Action"])
    }


def test_every_recorded_call_is_allowed_by_the_synthesized_role(model: StackModel) -> None:
    if not LOG_FILE.exists():
        pytest.skip(f"{LOG_FILE} is written by a whole run of tests/unit (make test runs it first)")
    recorded = json.loads(LOG_FILE.read_text())
    assert recorded, "the unit tier recorded no call"
    denied = set()
    for spec in FUNCTIONS:
        allowed = role_actions(model, spec.name)
        for role, kinds in recorded.items():
            for kind, actions in kinds.items():
                if runs(spec, (role, kind_named(kind))):
                    denied |= {(spec.name, role, kind, action) for action in set(actions) - allowed}
    assert denied == set()
