"""The optional management-events trail (`provenance-guard:create-trail`): off by default, and when on it
passes cdk-nag's AwsSolutions pack without acknowledgements and cfn-lint without findings."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from aws_cdk import App
from cfnlint.api import lint

from stacks.application import build_app
from stacks.config import ConfigError, StackConfig
from tests.infra.conftest import cdk_context
from tests.infra.support import KEY, PROJECT_ROOT, StackModel, get_att, ref

pytestmark = pytest.mark.infra

TRAIL = "AWS::CloudTrail::Trail"
BUCKET = "AWS::S3::Bucket"
BUCKET_POLICY = "AWS::S3::BucketPolicy"


@pytest.fixture(scope="module")
def with_trail(tmp_path_factory: pytest.TempPathFactory) -> tuple[StackModel, Any]:
    context = {**cdk_context(), "provenance-guard:create-trail": True}
    outdir = tmp_path_factory.mktemp("cdk.out-trail")
    build_app(App(context=context, outdir=str(outdir))).synth()  # raises on an unacknowledged cdk-nag finding
    template = json.loads((outdir / "ProvenanceGuard.template.json").read_text())
    return StackModel(template), outdir


def test_no_trail_by_default(model: StackModel, synth: Any) -> None:
    assert synth.config.create_trail is False
    assert model.of_type(TRAIL) == {}
    assert model.of_type(BUCKET) == {}


def test_the_trail_logs_write_management_events_everywhere_with_validation_and_kms(
    with_trail: tuple[StackModel, Any],
) -> None:
    model, _ = with_trail
    (trail,) = model.of_type(TRAIL).values()
    props = trail["Properties"]
    assert props["IsMultiRegionTrail"] is True
    assert props["IsLogging"] is True
    assert props["EnableLogFileValidation"] is True
    assert props["IncludeGlobalServiceEvents"] is True
    assert props["EventSelectors"] == [{"IncludeManagementEvents": True, "ReadWriteType": "WriteOnly"}]
    assert props["KMSKeyId"] == get_att(model.only(KEY))
    assert "CloudWatchLogsLogGroupArn" not in props


def test_the_buckets_are_private_ssl_only_and_the_trail_bucket_is_access_logged(
    with_trail: tuple[StackModel, Any],
) -> None:
    model, _ = with_trail
    trail = next(iter(model.of_type(TRAIL).values()))["Properties"]
    trail_bucket_id = trail["S3BucketName"]["Ref"]
    buckets = model.of_type(BUCKET)
    assert len(buckets) == 2
    for bucket in buckets.values():
        props = bucket["Properties"]
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
        assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert "AccessControl" not in props, "log delivery is granted by bucket policy, not ACLs"
        assert bucket["DeletionPolicy"] == "Retain"
    (access_logs_id,) = set(buckets) - {trail_bucket_id}
    assert buckets[trail_bucket_id]["Properties"]["LoggingConfiguration"]["DestinationBucketName"] == ref(
        access_logs_id
    )
    for policy in model.of_type(BUCKET_POLICY).values():
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        assert {"Bool": {"aws:SecureTransport": "false"}} in [
            s.get("Condition") for s in statements if s["Effect"] == "Deny"
        ]


def test_cloudtrail_may_write_the_bucket_and_use_the_key_for_this_account_only(
    with_trail: tuple[StackModel, Any],
) -> None:
    model, _ = with_trail
    trail_bucket_id = next(iter(model.of_type(TRAIL).values()))["Properties"]["S3BucketName"]["Ref"]
    policy = next(p for p in model.of_type(BUCKET_POLICY).values() if p["Properties"]["Bucket"] == ref(trail_bucket_id))
    cloudtrail_actions = {
        action
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement.get("Principal") == {"Service": "cloudtrail.amazonaws.com"}
        for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    }
    assert cloudtrail_actions == {"s3:GetBucketAcl", "s3:PutObject"}
    key_statements = model.props(model.only(KEY))["KeyPolicy"]["Statement"]
    cloudtrail = [s for s in key_statements if s.get("Principal") == {"Service": "cloudtrail.amazonaws.com"}]
    assert {s["Sid"]: s["Action"] for s in cloudtrail} == {
        "CloudTrailEncryptsLogFiles": "kms:GenerateDataKey*",
        "CloudTrailDescribesKey": "kms:DescribeKey",
    }
    for statement in cloudtrail:
        assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}


def test_the_trail_passes_cdk_nag_without_acknowledgements(with_trail: tuple[StackModel, Any]) -> None:
    _, outdir = with_trail
    report = json.loads((outdir / "validation-report.json").read_text())
    (plugin,) = [p for p in report["pluginReports"] if p["pluginName"] == "AwsSolutions"]
    assert plugin["conclusion"] == "success"
    trail_acknowledgements = [
        v for v in plugin["suppressedViolations"] if "ManagementEventsTrail" in json.dumps(v["violatingConstructs"])
    ]
    assert trail_acknowledgements == []


def test_the_template_with_the_trail_is_cfn_lint_clean(
    with_trail: tuple[StackModel, Any], tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, outdir = with_trail
    settings = yaml.safe_load((PROJECT_ROOT / ".cfnlintrc.yaml").read_text()) or {}
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    matches = lint((outdir / "ProvenanceGuard.template.json").read_text(), regions=settings.get("regions"))
    assert [
        f"{m.rule.id} {m.path_string}" for m in matches if m.rule.id not in set(settings.get("ignore_checks", []))
    ] == []


@pytest.mark.parametrize(("value", "expected"), [(True, True), (False, False), ("true", True), ("False", False)])
def test_the_flag_accepts_json_booleans_and_cli_strings(value: Any, expected: bool) -> None:
    assert StackConfig.from_context({"provenance-guard:create-trail": value}).create_trail is expected


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_the_flag_rejects_anything_else(value: Any) -> None:
    with pytest.raises(ConfigError, match="provenance-guard:create-trail must be true or false"):
        StackConfig.from_context({"provenance-guard:create-trail": value})
