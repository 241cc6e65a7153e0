#!/usr/bin/env python3
"""CDK entry point: configuration from cdk.json context and policy.yaml; no AWS calls at synth."""

from __future__ import annotations

import stacks  # noqa: F401 - selects the project's Node.js for jsii; must load before aws_cdk

# isort: split
import os

from aws_cdk import App

from stacks.application import build_app

if __name__ == "__main__":
    # The CDK CLI passes CDK_OUTDIR; `python app.py` on its own writes to ./cdk.out as the CLI would.
    build_app(App(outdir=os.environ.get("CDK_OUTDIR", "cdk.out"))).synth()
