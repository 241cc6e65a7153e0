"""Builds the CDK app (used by app.py, the tests and `provenance-guard replay`)."""

from __future__ import annotations

from aws_cdk import App, Environment, Validations
from cdk_nag import AwsSolutionsChecks

from stacks.config import StackConfig
from stacks.provenance_guard_stack import ProvenanceGuardStack


def build_app(app: App | None = None) -> App:
    """The app with its one stack, and cdk-nag's AwsSolutions pack as a synth-time gate."""
    app = app or App()
    config = StackConfig.from_context(app.node.get_all_context())
    ProvenanceGuardStack(app, config.stack_name, config=config, env=Environment())
    Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True))
    return app
