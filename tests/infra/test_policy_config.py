"""Synth and the policy: an invalid policy stops synth listing every error; warnings show as CDK warnings."""

from __future__ import annotations

import pytest

import stacks  # noqa: F401 - the project's Node.js for jsii

# isort: split
from aws_cdk.assertions import Annotations, Match

from stacks.config import ConfigError, StackConfig

pytestmark = pytest.mark.infra


def test_an_invalid_policy_fails_synth_listing_every_error(tmp_path):
    (tmp_path / "policy.yaml").write_text(
        "ami:\n  max_age_days: 0\n  approved_pipelines: ['arn:aws:imagebuildr:*:*:image-pipeline/x']\n"
        "exemptions:\n  - {controls: [PG.AMI.9], resources: ['*'], reason: r, expires: 2030-01-01}\n"
    )
    with pytest.raises(ConfigError) as raised:
        StackConfig.from_context({}, root=tmp_path)
    message = str(raised.value)
    assert "is invalid (3 errors;" in message
    for path in ("ami.approved_pipelines[0]", "ami.max_age_days", "exemptions[0].controls[0]"):
        assert f"\n  {path}: " in message


def test_policy_warnings_are_carried_by_the_config(tmp_path):
    (tmp_path / "policy.yaml").write_text(
        "exemptions:\n  - {resources: ['*'], reason: r, expires: 2001-01-01}\n"
        "notifications: {emails: [a@example.com]}\n"
    )
    config = StackConfig.from_context({}, root=tmp_path)
    assert config.policy_warnings == (
        "policy.yaml: exemptions[0].expires: expired on 2001-01-01: it no longer applies and its results count "
        "again; renew or remove it",
    )


def test_the_shipped_policys_warning_is_a_synth_warning(synth):
    warnings = Annotations.from_stack(synth.stack).find_warning(
        "*", Match.string_like_regexp("policy.yaml: notifications: .*no one will be notified")
    )
    assert len(warnings) == 1
