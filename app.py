#!/usr/bin/env python3
"""CDK entry point: configuration from cdk.json context and policy.yaml; no AWS calls at synth."""

from __future__ import annotations

import os

import stacks  # noqa: F401 - selects the project's Node.js for jsii before aws_cdk loads
from aws_cdk import App, Environment, Validations
from cdk_nag import AwsSolutionsChecks

from stacks.config import StackConfig
from stacks.provenance_guard_stack import ProvenanceGuardStack


def build_app(app: App | None = None) -> App:
    app = app or App()
    config = StackConfig.from_context(app.node.get_all_context())
    ProvenanceGuardStack(app, config.stack_name, config=config, env=Environment())
    Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True))
    return app


if __name__ == "__main__":
    # The CDK CLI passes CDK_OUTDIR; `python app.py` on its own writes to ./cdk.out as the CLI would.
    build_app(App(outdir=os.environ.get("CDK_OUTDIR", "cdk.out"))).synth()
