"""Helpers for the infrastructure tier: walking the synthesized template, and EventBridge matching.

Not fixtures: plain values and functions over the template JSON (see conftest.py for the session
synth). The template is navigated by its wiring (rule -> queue -> event source mapping -> function),
never by logical-id names, so renaming a construct does not silently empty a test.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provenance_guard import settings

if TYPE_CHECKING:
    from aws_cdk import App, Stack
    from aws_cdk.assertions import Template

    from stacks.config import StackConfig

PROJECT_ROOT = Path(__file__).resolve().parents[2]
EVENTS = PROJECT_ROOT / "tests" / "fixtures" / "events"

FUNCTION = "AWS::Lambda::Function"
CUSTOM_RESOURCE_PROVIDER = "AWS679f53fac002430cb0da5b7982bd2287"
"""CDK's AwsCustomResource singleton (the initial sweep after deployment)."""
ESM = "AWS::Lambda::EventSourceMapping"
QUEUE = "AWS::SQS::Queue"
RULE = "AWS::Events::Rule"
TOPIC = "AWS::SNS::Topic"
TOPIC_POLICY = "AWS::SNS::TopicPolicy"
KEY = "AWS::KMS::Key"
TABLE = "AWS::DynamoDB::Table"
PARAMETER = "AWS::SSM::Parameter"
LOG_GROUP = "AWS::Logs::LogGroup"
ALARM = "AWS::CloudWatch::Alarm"
ROLE = "AWS::IAM::Role"
POLICY = "AWS::IAM::Policy"
LAYER = "AWS::Lambda::LayerVersion"

ENV_CONSTANTS = {value for name, value in vars(settings).items() if name.startswith("ENV_")}
"""Every environment variable name the layer's Settings knows (provenance_guard.settings.ENV_*)."""


def get_att(logical_id: str, attribute: str = "Arn") -> dict[str, Any]:
    return {"Fn::GetAtt": [logical_id, attribute]}


def ref(logical_id: str) -> dict[str, Any]:
    return {"Ref": logical_id}


def referenced_ids(value: Any) -> set[str]:
    """Logical ids a template value points at through Ref / Fn::GetAtt (pseudo parameters excluded)."""
    found: set[str] = set()
    if isinstance(value, Mapping):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str) and not inner.startswith("AWS::"):
                found.add(inner)
            elif key == "Fn::GetAtt" and isinstance(inner, list):
                found.add(str(inner[0]))
            else:
                found |= referenced_ids(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= referenced_ids(inner)
    return found


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@dataclass(frozen=True)
class StackModel:
    """The synthesized template, with the few navigation steps the tests need."""

    template: Mapping[str, Any]

    @property
    def resources(self) -> Mapping[str, Any]:
        resources: Mapping[str, Any] = self.template["Resources"]
        return resources

    def of_type(self, resource_type: str) -> dict[str, Mapping[str, Any]]:
        return {lid: r for lid, r in self.resources.items() if r["Type"] == resource_type}

    def props(self, logical_id: str) -> Mapping[str, Any]:
        properties: Mapping[str, Any] = self.resources[logical_id].get("Properties", {})
        return properties

    def only(self, resource_type: str) -> str:
        found = list(self.of_type(resource_type))
        assert len(found) == 1, f"expected exactly one {resource_type}, found {found}"
        return found[0]

    # -- functions and their wiring -------------------------------------------------------------

    def function_names(self) -> dict[str, str]:
        """PROVENANCE_GUARD_FUNCTION value -> logical id of the function (the service's own functions;
        CDK's custom-resource provider is not one of them)."""
        names: dict[str, str] = {}
        for lid, resource in self.of_type(FUNCTION).items():
            if lid.startswith(CUSTOM_RESOURCE_PROVIDER):
                continue
            variables = resource["Properties"].get("Environment", {}).get("Variables", {})
            name = variables.get(settings.ENV_FUNCTION)
            assert isinstance(name, str), f"{lid} has no literal {settings.ENV_FUNCTION}"
            assert name not in names, f"two functions are named {name}"
            names[name] = lid
        return names

    def function_id(self, name: str) -> str:
        return self.function_names()[name]

    def environment(self, function_id: str) -> Mapping[str, Any]:
        variables: Mapping[str, Any] = self.props(function_id)["Environment"]["Variables"]
        return variables

    def event_source_mapping(self, function_id: str) -> str:
        found = [lid for lid, r in self.of_type(ESM).items() if r["Properties"]["FunctionName"] == ref(function_id)]
        assert len(found) == 1, f"{function_id} should have exactly one event source mapping, has {found}"
        return found[0]

    def queue_of(self, function_id: str) -> str:
        source = self.props(self.event_source_mapping(function_id))["EventSourceArn"]
        (queue_id,) = referenced_ids(source)
        assert self.resources[queue_id]["Type"] == QUEUE
        return queue_id

    def function_of_queue(self, queue_id: str) -> str | None:
        """The PROVENANCE_GUARD_FUNCTION name of the function consuming `queue_id`, if any."""
        for resource in self.of_type(ESM).values():
            if resource["Properties"]["EventSourceArn"] == get_att(queue_id):
                (function_id,) = referenced_ids(resource["Properties"]["FunctionName"])
                name: str = self.environment(function_id)[settings.ENV_FUNCTION]
                return name
        return None

    def dead_letter_queue_of(self, queue_id: str) -> str:
        redrive = self.props(queue_id)["RedrivePolicy"]
        (dlq_id,) = referenced_ids(redrive["deadLetterTargetArn"])
        return dlq_id

    def role_of(self, function_id: str) -> str:
        (role_id,) = referenced_ids(self.props(function_id)["Role"])
        assert self.resources[role_id]["Type"] == ROLE
        return role_id

    def log_group_of(self, function_id: str) -> str:
        (log_group_id,) = referenced_ids(self.props(function_id)["LoggingConfig"]["LogGroup"])
        return log_group_id

    def identity_statements(self, role_id: str) -> list[Mapping[str, Any]]:
        """Every statement granted to the role: attached AWS::IAM::Policy documents and inline policies."""
        statements: list[Mapping[str, Any]] = []
        for resource in self.of_type(POLICY).values():
            if ref(role_id) in resource["Properties"].get("Roles", []):
                statements.extend(resource["Properties"]["PolicyDocument"]["Statement"])
        for inline in self.props(role_id).get("Policies", []):
            statements.extend(inline["PolicyDocument"]["Statement"])
        return statements

    # -- EventBridge rules ----------------------------------------------------------------------

    def rules(self) -> Iterator[tuple[str, Mapping[str, Any]]]:
        yield from ((lid, r["Properties"]) for lid, r in self.of_type(RULE).items())

    def pattern_rules(self) -> dict[str, Mapping[str, Any]]:
        return {lid: p for lid, p in self.rules() if "EventPattern" in p}

    def rule_targets(self, rule_id: str) -> list[str]:
        """Logical ids of the rule's targets."""
        targets = self.props(rule_id).get("Targets", [])
        return [target_id for target in targets for target_id in referenced_ids(target["Arn"])]

    def rule_dead_letter_queues(self, rule_id: str) -> list[str | None]:
        """For each of the rule's targets, the logical id of its EventBridge dead-letter queue (or None)."""
        found: list[str | None] = []
        for target in self.props(rule_id).get("Targets", []):
            config = target.get("DeadLetterConfig")
            found.append(next(iter(referenced_ids(config["Arn"]))) if config else None)
        return found

    def delivery_dead_letter_queues(self) -> set[str]:
        """Every queue a rule target names as its dead-letter queue."""
        return {dlq for rule_id, _ in self.rules() for dlq in self.rule_dead_letter_queues(rule_id) if dlq}

    def rule_functions(self, rule_id: str) -> set[str]:
        """Function names a rule delivers to: rule target (a queue) -> ESM -> function env var."""
        names = set()
        for target_id in self.rule_targets(rule_id):
            assert self.resources[target_id]["Type"] == QUEUE, f"{rule_id} targets a non-queue {target_id}"
            name = self.function_of_queue(target_id)
            assert name is not None, f"{rule_id} targets {target_id}, which no function consumes"
            names.add(name)
        return names


@dataclass(frozen=True)
class Synth:
    """The session's synthesized app (see conftest.py)."""

    app: App
    stack: Stack
    template: Template
    model: StackModel
    outdir: Path
    """The cloud assembly: <stack>.template.json, <stack>.assets.json, asset.* dirs, validation-report.json."""
    context: dict[str, Any]
    config: StackConfig


# -- EventBridge matching -------------------------------------------------------------------------


def load_event(name: str) -> dict[str, Any]:
    """One documented AWS sample event from tests/fixtures/events (see SOURCES.md there)."""
    event: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text())
    return event


def fixture_names() -> list[str]:
    return sorted(path.stem for path in EVENTS.glob("*.json"))
