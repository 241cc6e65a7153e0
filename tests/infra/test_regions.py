"""Multi-Region: `provenance-guard:regions` in cdk.json gives one complete stack per Region."""

from __future__ import annotations

import json

import pytest

import stacks  # noqa: F401 - the project's Node.js for jsii
from provenance_guard_cli.routes import PROJECT_ROOT

# isort: split
from aws_cdk import App

from stacks.application import build_app
from stacks.config import ConfigError, StackConfig

pytestmark = pytest.mark.infra


def context(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = json.loads((PROJECT_ROOT / "cdk.json").read_text())["context"]
    return {**base, **overrides}


def test_one_stack_per_listed_region_each_passing_the_nag_gate(tmp_path):
    app = build_app(
        App(outdir=str(tmp_path), context=context(**{"provenance-guard:regions": ["us-east-1", "eu-west-1"]}))
    )
    assembly = app.synth()  # raises if cdk-nag finds anything unacknowledged in either stack
    stacks_by_name = {s.stack_name: s for s in assembly.stacks}
    assert set(stacks_by_name) == {"ProvenanceGuard-us-east-1", "ProvenanceGuard-eu-west-1"}
    assert stacks_by_name["ProvenanceGuard-eu-west-1"].environment.region == "eu-west-1"


@pytest.mark.parametrize(
    "regions",
    ["useast1", {"us-east-1": 1}, [1], ["us-east-1", "us-east-1"], ["useast1"], ["us-east-1", "xx-nowhere-9"]],
)
def test_invalid_regions_stop_the_synth(regions):
    with pytest.raises(ConfigError):
        StackConfig.from_context(context(**{"provenance-guard:regions": regions}))


def test_regions_can_be_given_on_the_command_line():
    config = StackConfig.from_context(context(**{"provenance-guard:regions": "us-east-1, eu-west-1"}))
    assert config.regions == ("us-east-1", "eu-west-1")


def test_a_region_the_layers_botocore_does_not_know_stops_the_synth():
    """Its functions would reject every event of their own Region (provenance_guard.regions)."""
    with pytest.raises(ConfigError, match="the layer's botocore knows no Region xx-nowhere-9"):
        StackConfig.from_context(context(**{"provenance-guard:regions": ["xx-nowhere-9"]}))
