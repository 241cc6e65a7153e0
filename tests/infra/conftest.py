"""Infrastructure tier: the real CDK app, synthesized once per session exactly as app.py builds it.

`import stacks` must come before anything imports aws_cdk: it points jsii at the project's Node.js.
The synth writes its cloud assembly (template, staged assets, cdk-nag's validation-report.json) to a
temporary outdir, so the tier never touches ./cdk.out. Synthesis raises if cdk-nag finds anything
unacknowledged, so the session fixture itself is the nag gate for the real app.
"""

from __future__ import annotations

import stacks  # noqa: F401  # isort: skip - selects the project's Node.js for jsii before aws_cdk loads

# isort: split
import json
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk.assertions import Template

from stacks.application import build_app
from stacks.config import StackConfig
from tests.infra.support import PROJECT_ROOT, StackModel, Synth


def cdk_context() -> dict[str, Any]:
    context: dict[str, Any] = json.loads((PROJECT_ROOT / "cdk.json").read_text())["context"]
    return context


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    context = cdk_context()
    outdir = tmp_path_factory.mktemp("cdk.out")
    app = build_app(App(context=context, outdir=str(outdir)))
    config = StackConfig.from_context(context)
    stack = app.node.find_child(config.stack_name)
    assert isinstance(stack, Stack)
    app.synth()  # raises RuntimeError("ValidationFailed: ...") on an unacknowledged cdk-nag finding
    template = Template.from_stack(stack)  # reuses the assembly just synthesized
    return Synth(app, stack, template, StackModel(template.to_json()), outdir, context, config)


@pytest.fixture(scope="session")
def template(synth: Synth) -> Template:
    return synth.template


@pytest.fixture(scope="session")
def model(synth: Synth) -> StackModel:
    return synth.model
