"""`provenance-guard evaluate` against an account (the emulator, through AWS_ENDPOINT_URL as a user's
shell would point it), read-only unless --import, and --fail-on as a delivery-pipeline gate."""

from __future__ import annotations

import json
import re

import pytest

from provenance_guard_cli.main import main
from provenance_guard_cli.sample_account import REGION, UNTRUSTED_ACCOUNT

pytestmark = pytest.mark.e2e


@pytest.fixture
def account(emulator, client, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", emulator.url)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    ec2 = client("ec2")
    good = ec2.register_image(Name="good-image", ImdsSupport="v2.0")["ImageId"]
    public = ec2.register_image(Name="public-image", ImdsSupport="v2.0")["ImageId"]
    ec2.modify_image_attribute(ImageId=public, LaunchPermission={"Add": [{"Group": "all"}]})
    foreign = ec2.register_image(
        Name="foreign-image",
        TagSpecifications=[
            {"ResourceType": "image", "Tags": [{"Key": "emulator:owner-id", "Value": UNTRUSTED_ACCOUNT}]}
        ],
    )["ImageId"]
    return {"good": good, "public": public, "foreign": foreign}


def test_evaluate_is_read_only_and_prints_json(account, client, capsys):
    client("securityhub").enable_security_hub()
    assert main(["evaluate", "--json"]) == 0

    findings = json.loads(capsys.readouterr().out)
    by_resource = {
        (f["Resources"][0]["Id"].rsplit("/", 1)[-1], f["Compliance"]["SecurityControlId"]): f for f in findings
    }
    assert by_resource[(account["public"], "PG.AMI.3")]["Compliance"]["Status"] == "FAILED"
    assert by_resource[(account["good"], "PG.AMI.1")]["Compliance"]["Status"] == "PASSED"
    assert client("securityhub").get_findings()["Findings"] == []  # nothing imported


def test_fail_on_critical_fails_the_gate_for_a_public_ami(account, capsys):
    assert main(["evaluate", "--fail-on", "CRITICAL"]) == 1
    captured = capsys.readouterr()
    assert re.search(r"PG\.AMI\.3\s+FAILED", captured.out)
    assert "at or above CRITICAL failed" in captured.err


def test_fail_on_is_satisfied_when_nothing_that_severe_fails(account, client, capsys):
    client("ec2").reset_image_attribute(ImageId=account["public"], Attribute="launchPermission")
    assert main(["evaluate", "--fail-on", "CRITICAL"]) == 0


def test_evaluate_named_resources_only(account, capsys):
    arn = f"arn:aws:ec2:{REGION}::image/{account['foreign']}"
    assert main(["evaluate", "--json", "--resource", arn]) == 0
    findings = json.loads(capsys.readouterr().out)
    assert {f["Resources"][0]["Id"] for f in findings} == {arn}
    assert {f["Compliance"]["Status"] for f in findings if f["Compliance"]["SecurityControlId"] == "PG.AMI.1"} == {
        "FAILED"
    }


def test_evaluate_rejects_an_arn_it_cannot_judge(account, capsys):
    assert main(["evaluate", "--resource", "arn:aws:s3:::bucket"]) == 2
    assert "is not the ARN of" in capsys.readouterr().err


def test_import_writes_the_findings_to_security_hub(account, client, capsys):
    client("securityhub").enable_security_hub()
    assert main(["evaluate", "--import"]) == 0
    imported = client("securityhub").get_findings(MaxResults=100)["Findings"]
    # the inventory is the AMIs the account owns (a foreign AMI is judged through instances launched from it)
    assert {f["Resources"][0]["Id"].rsplit("/", 1)[-1] for f in imported} == {account["good"], account["public"]}
