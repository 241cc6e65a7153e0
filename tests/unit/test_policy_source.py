"""policy_source.py: the policy from a local YAML/JSON file, or from the SSM parameter (moto)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from provenance_guard.model import Severity
from provenance_guard.policy import Policy, PolicyError
from provenance_guard.policy_source import file_policy, load_policy_file, ssm_policy
from tests.unit.support import REGION

PARAMETER = "/provenance-guard/policy"


def test_yaml_file(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("version: 1\nami:\n  trusted_owners: [self]\nnotifications:\n  min_severity: CRITICAL\n")
    policy = load_policy_file(str(path))
    assert policy.ami.trusted_owners == ("self",)
    assert policy.notifications.min_severity is Severity.CRITICAL


def test_json_file(tmp_path: Path) -> None:
    path = tmp_path / "policy.json"
    path.write_text(json.dumps({"ami": {"max_age_days": 30}}))
    assert load_policy_file(str(path)).ami.max_age_days == 30


def test_an_empty_file_is_the_default_policy(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("# nothing configured yet\n")
    assert load_policy_file(str(path)) == Policy()


def test_an_invalid_file_fails_at_load_naming_the_field(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("ami:\n  max_age_days: ninety\n")
    with pytest.raises(PolicyError) as raised:
        file_policy(str(path))
    assert raised.value.path == "ami.max_age_days"


def test_a_file_policy_is_read_once(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("ami: {max_age_days: 30}\n")
    load = file_policy(str(path))
    path.write_text("ami: {max_age_days: 60}\n")
    assert load().ami.max_age_days == 30
    assert load() is load()


@pytest.fixture
def ssm(aws: None) -> Any:
    return boto3.client("ssm", region_name=REGION)


def put(ssm: Any, document: object) -> None:
    ssm.put_parameter(Name=PARAMETER, Value=json.dumps(document), Type="String", Overwrite=True)


def test_ssm_parameter(ssm: Any) -> None:
    put(ssm, {"ami": {"trusted_owners": ["amazon"]}})
    load = ssm_policy(PARAMETER, 300, ssm)
    assert load().ami.trusted_owners == ("amazon",)
    assert load() is load()  # parsed once while the text is unchanged


def test_ssm_changes_are_seen_once_the_cache_expires(ssm: Any) -> None:
    put(ssm, {"ami": {"max_age_days": 30}})
    load = ssm_policy(PARAMETER, 0, ssm)
    assert load().ami.max_age_days == 30
    put(ssm, {"ami": {"max_age_days": 45}})
    assert load().ami.max_age_days == 45


def test_ssm_changes_wait_for_the_cache(ssm: Any) -> None:
    put(ssm, {"ami": {"max_age_days": 30}})
    load = ssm_policy(PARAMETER, 300, ssm)
    assert load().ami.max_age_days == 30
    put(ssm, {"ami": {"max_age_days": 45}})
    assert load().ami.max_age_days == 30


def test_an_invalid_ssm_document_is_a_policy_error(ssm: Any) -> None:
    put(ssm, {"ami": {"trusted_owners": ["nobody"]}})
    with pytest.raises(PolicyError) as raised:
        ssm_policy(PARAMETER, 300, ssm)()
    assert raised.value.path == "ami.trusted_owners[0]"
