"""Declared permissions against real calls: every AWS call a collector, expander or inventory made in this
run of the unit tier (recorded by the `aws_calls` fixture) is among the reads of every function that
runs that component, and every registered component was exercised. The infrastructure tier compares the
same record with the synthesized template's roles (`tests/infra/test_recorded_calls.py`)."""

from __future__ import annotations

import pytest

from provenance_guard.collect.kinds import KINDS
from provenance_guard.collect.kinds import USAGE as USAGE_FINDERS
from stacks.triggers import FUNCTIONS, FunctionSpec
from tests.unit.aws_calls import COLLECTOR, EXPANDER, INVENTORY, USAGE, CallRecorder, Component

pytestmark = pytest.mark.after_all

STATE_TABLE = {"dynamodb:Scan", "dynamodb:Query", "dynamodb:BatchGetItem"}
"""The finding state table, which the stack grants every function (an expander reads which images of a
deleted repository have findings): wiring, not a declared read."""


def runs(spec: FunctionSpec, component: Component) -> bool:
    """Whether the function runs the component (the collectors of the kinds it judges and what they read
    through, the usage finders of the artifacts it judges, its expanders, and every inventory for the sweep)."""
    role, kind = component
    if role == EXPANDER:
        return kind in spec.expands
    if role == INVENTORY:
        return spec.fans_out
    if role == USAGE:
        return kind in spec.judged
    pending, seen = list(spec.judged), set()
    while pending:
        current = pending.pop()
        if current not in seen:
            seen.add(current)
            pending.extend(KINDS[current].uses)
    return kind in seen


def test_every_recorded_call_is_allowed_to_every_function_that_runs_it(
    whole_unit_tier: None, aws_calls: CallRecorder
) -> None:
    denied = {
        (spec.name, role, kind.value, action)
        for (role, kind), actions in aws_calls.calls.items()
        for spec in FUNCTIONS
        if runs(spec, (role, kind))
        for action in actions - set(spec.read_permissions) - STATE_TABLE
    }
    assert denied == set()


def test_every_collector_expander_and_inventory_was_exercised(whole_unit_tier: None, aws_calls: CallRecorder) -> None:
    registered = {
        (role, kind)
        for kind, descriptor in KINDS.items()
        for role, present in (
            (COLLECTOR, descriptor.collector),
            (EXPANDER, descriptor.expander),
            (INVENTORY, descriptor.inventory or descriptor.policy_inventory),
        )
        if present is not None
    } | {(USAGE, usage.artifact) for usage in USAGE_FINDERS}
    assert registered - aws_calls.calls.keys() == set()


def test_every_component_runs_in_some_function() -> None:
    for kind, descriptor in KINDS.items():
        for role, present in ((COLLECTOR, descriptor.collector), (EXPANDER, descriptor.expander)):
            if present is not None:
                assert any(runs(spec, (role, kind)) for spec in FUNCTIONS), (role, kind.value)
