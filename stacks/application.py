"""Builds the CDK app (used by app.py, the tests and `provenance-guard replay`)."""

from __future__ import annotations

import os

from aws_cdk import Annotations, App, Environment, Stack, Validations
from cdk_nag import AwsSolutionsChecks

from stacks.config import StackConfig
from stacks.provenance_guard_stack import ProvenanceGuardStack


def build_app(app: App | None = None) -> App:
    """The app with its stack(s), and cdk-nag's AwsSolutions pack as a synth-time gate.

    Multi-Region: one complete stack per Region listed in `provenance-guard:regions`. Each Region's
    events, sweep, state and findings stay in that Region (Security Hub's cross-Region aggregation
    gathers the findings); no event crosses a Region boundary.
    """
    app = app or App()
    config = StackConfig.from_context(app.node.get_all_context())
    stacks: list[Stack] = []
    if not config.regions:
        stacks.append(ProvenanceGuardStack(app, config.stack_name, config=config, env=Environment()))
    for region in config.regions:
        # The CDK CLI sets CDK_DEFAULT_ACCOUNT from the deploying credentials (no AWS call here).
        env = Environment(account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=region)
        stacks.append(ProvenanceGuardStack(app, f"{config.stack_name}-{region}", config=config, env=env))
    for stack in stacks:
        for number, warning in enumerate(config.policy_warnings):
            Annotations.of(stack).add_warning_v2(f"provenance-guard:policy-{number}", warning)
    Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True))
    return app
