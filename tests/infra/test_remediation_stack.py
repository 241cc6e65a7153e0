"""The remediation function (CONTROLS.md §6.4) in a stack whose policy turns remediation on: the custom
action, the route of AWS's documented custom-action event, the function's writes (exactly the enabled
actions' declarations), and, in automatic mode, the other functions' right to queue remediations. The
shipped policy turns nothing on, so the shipped stack has no remediation at all."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk.assertions import Template

from provenance_guard import remediation
from provenance_guard.settings import ENV_REMEDIATION_QUEUE_URL
from provenance_guard_cli.emulator.event_patterns import matches
from stacks.application import build_app
from stacks.config import StackConfig
from stacks.triggers import FUNCTIONS
from tests.infra.conftest import cdk_context
from tests.infra.support import StackModel, as_list, load_event

pytestmark = pytest.mark.infra

ACTION_TARGET = "AWS::SecurityHub::ActionTarget"
POLICY = """version: 1
remediation:
  PG.AMI.3: on-demand
  PG.ECR.2: automatic
  PG.PKG.2: on-demand
"""
ENABLED = {"PG.AMI.3", "PG.ECR.2", "PG.PKG.2"}


def synthesize(tmp_path: Path, policy: str) -> StackModel:
    path = tmp_path / "policy.yaml"
    path.write_text(policy)
    context: dict[str, Any] = {**cdk_context(), "provenance-guard:policy": str(path)}
    app = build_app(App(context=context, outdir=str(tmp_path / "cdk.out")))
    stack = app.node.find_child(StackConfig.from_context(context).stack_name)
    assert isinstance(stack, Stack)
    app.synth()  # cdk-nag: raises on an unacknowledged finding
    return StackModel(Template.from_stack(stack).to_json())


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> StackModel:
    return synthesize(tmp_path_factory.mktemp("remediation"), POLICY)


def role_actions(model: StackModel, function: str) -> set[str]:
    statements = model.identity_statements(model.role_of(model.function_id(function)))
    return {action for statement in statements for action in as_list(statement["Action"])}


def test_the_custom_action_is_created(model: StackModel) -> None:
    (action,) = model.of_type(ACTION_TARGET).values()
    assert action["Properties"]["Id"] == "ProvenanceGuardFix"
    assert len(action["Properties"]["Name"]) <= 20


def test_the_documented_custom_action_event_reaches_only_the_remediation_function(model: StackModel) -> None:
    event = load_event("securityhub-findings-custom-action")
    routed = {
        name
        for rule_id, props in model.pattern_rules().items()
        if matches(props["EventPattern"], event)
        for name in model.rule_functions(rule_id)
    }
    assert routed == {"remediation"}
    other = {**event, "detail": {**event["detail"], "actionName": "SendToTicketing"}}
    assert not any(matches(props["EventPattern"], other) for props in model.pattern_rules().values())


def test_the_remediation_role_may_write_exactly_what_the_enabled_actions_declare(model: StackModel) -> None:
    writes = remediation.permissions(ENABLED)
    actions = role_actions(model, "remediation")
    declared_elsewhere = remediation.permissions(set(remediation.ACTIONS) - ENABLED)
    assert writes <= actions
    assert not (declared_elsewhere - writes) & actions
    assert "securityhub:BatchUpdateFindings" in actions


def test_in_automatic_mode_every_function_may_queue_remediations(model: StackModel) -> None:
    remediation_queue = model.queue_of(model.function_id("remediation"))
    for spec in FUNCTIONS:
        variables = model.environment(model.function_id(spec.name))
        assert ENV_REMEDIATION_QUEUE_URL in variables, spec.name
        assert remediation_queue in str(variables[ENV_REMEDIATION_QUEUE_URL])
        assert "sqs:SendMessage" in role_actions(model, spec.name)


def test_on_demand_only_queues_nothing(tmp_path: Path) -> None:
    model = synthesize(tmp_path, "version: 1\nremediation:\n  PG.AMI.3: on-demand\n")
    assert model.of_type(ACTION_TARGET)
    for spec in FUNCTIONS:
        assert ENV_REMEDIATION_QUEUE_URL not in model.environment(model.function_id(spec.name))
    assert "ecr:PutImageTagMutability" not in role_actions(model, "remediation")


def test_the_shipped_policy_deploys_no_remediation(synth: Any) -> None:
    assert synth.model.of_type(ACTION_TARGET) == {}
    assert "remediation" not in synth.model.function_names()


def test_the_writes_are_scoped_to_the_resource_types_they_change(model: StackModel) -> None:
    """Each write is granted on the ARNs its action declares; only a write whose action takes no resource type
    (codeartifact:CreatePackageGroup) is granted on *."""
    statements = model.identity_statements(model.role_of(model.function_id("remediation")))
    for write in (w for control_id in sorted(ENABLED) for w in remediation.ACTIONS[control_id].writes):
        (statement,) = [s for s in statements if write.permission in as_list(s["Action"])]
        assert as_list(statement["Action"]) == [write.permission]
        resources = as_list(statement["Resource"])
        if not write.resources:
            assert resources == ["*"], write.permission
            continue
        assert len(resources) == len(write.resources)
        for resource, declared in zip(resources, write.resources, strict=True):
            suffix = declared.split("{account}:")[-1].split("::")[-1]
            assert suffix in str(resource), (write.permission, resource)
    unscoped = [w.permission for c in ENABLED for w in remediation.ACTIONS[c].writes if not w.resources]
    assert unscoped == ["codeartifact:CreatePackageGroup"]
