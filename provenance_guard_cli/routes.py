"""The deployed stack's own routing, read from its synthesized CloudFormation template:
EventBridge rule pattern -> SQS queue -> event source mapping -> function."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from provenance_guard.settings import ENV_FUNCTION

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Route:
    rule: str
    pattern: str
    """The rule's EventPattern, as JSON."""
    function: str
    """The function's name in the project (functions/<name>/handler.py)."""

    def matches(self, event: Mapping[str, Any]) -> bool:
        from provenance_guard_cli.emulator.event_patterns import matches

        return matches(self.pattern, event)


class TemplateError(RuntimeError):
    """The template does not have the shape the stack synthesizes."""


def routes_from_template(template: Mapping[str, Any]) -> list[Route]:
    resources: Mapping[str, Any] = template["Resources"]
    queue_to_function: dict[str, str] = {}
    for resource in resources.values():
        if resource["Type"] == "AWS::Lambda::EventSourceMapping":
            props = resource["Properties"]
            queue = _get_att(props["EventSourceArn"])
            function_id = props["FunctionName"]["Ref"]
            queue_to_function[queue] = _function_name(resources, function_id)
    routes = []
    for logical_id, resource in sorted(resources.items()):
        props = resource.get("Properties", {})
        if resource["Type"] != "AWS::Events::Rule" or "EventPattern" not in props:
            continue
        for target in props.get("Targets", []):
            queue = _get_att(target["Arn"])
            if queue not in queue_to_function:
                raise TemplateError(f"rule {logical_id} targets {queue}, which feeds no function")
            routes.append(Route(logical_id, json.dumps(props["EventPattern"]), queue_to_function[queue]))
    if not routes:
        raise TemplateError("the template has no EventBridge rules with patterns")
    return routes


def load_template(path: Path | None = None, policy: Path | None = None) -> dict[str, Any]:
    """The synthesized template at `path`, or a fresh synth of the project's app (with `policy`, which
    decides what the stack deploys, e.g. the remediation function) into build/replay.out."""
    data: dict[str, Any] = json.loads((path or synthesize(PROJECT_ROOT / "build" / "replay.out", policy)).read_text())
    return data


def synthesize(outdir: Path, policy: Path | None = None) -> Path:
    """Synthesize the project's app with cdk.json's context (and `policy` instead of the shipped one) into
    `outdir`; the template of its first stack (whatever `provenance-guard:stack-name` and
    `provenance-guard:regions` name it)."""
    from aws_cdk import App

    import stacks  # noqa: F401 - selects the project's Node.js before aws_cdk loads
    from stacks.application import build_app

    context = json.loads((PROJECT_ROOT / "cdk.json").read_text()).get("context", {})
    if policy is not None:
        context["provenance-guard:policy"] = str(policy.resolve())
    assembly = build_app(App(outdir=str(outdir), context=context)).synth()
    return outdir / assembly.stacks[0].template_file


def _get_att(value: Mapping[str, Any]) -> str:
    try:
        return str(value["Fn::GetAtt"][0])
    except (KeyError, TypeError, IndexError):
        raise TemplateError(f"expected Fn::GetAtt, got {value!r}") from None


def _function_name(resources: Mapping[str, Any], logical_id: str) -> str:
    variables = resources[logical_id]["Properties"].get("Environment", {}).get("Variables", {})
    if ENV_FUNCTION not in variables:
        raise TemplateError(f"function {logical_id} has no {ENV_FUNCTION} variable")
    return str(variables[ENV_FUNCTION])
