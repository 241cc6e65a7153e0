"""`provenance-guard evaluate` against an account (the emulator, through AWS_ENDPOINT_URL as a user's
shell would point it): read-only unless --import, its output formats, and --fail-on as a delivery-pipeline
gate with its exit codes (0 nothing tripped, 1 tripped or a --resource that does not exist, 2 cannot run)."""

from __future__ import annotations

import csv
import io
import json
import re

import jsonschema
import pytest

from provenance_guard.sweep import PAGE_SIZE
from provenance_guard_cli.evaluate import EvaluateOptions, Evaluation
from provenance_guard_cli.main import main
from provenance_guard_cli.output.document import schema
from provenance_guard_cli.sample_account import REGION, UNTRUSTED_ACCOUNT

pytestmark = pytest.mark.e2e

POLICY = """\
version: 1
ami:
  trusted_owners: [self, amazon]
  require_deprecation_time: false
exemptions: {exemptions}
"""


@pytest.fixture
def policy(tmp_path):
    def write(exemptions: str = "[]") -> str:
        path = tmp_path / "policy.yaml"
        path.write_text(POLICY.format(exemptions=exemptions))
        return str(path)

    return write


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


def ami_arn(image: str) -> str:
    return f"arn:aws:ec2:{REGION}::image/{image}"


def test_evaluate_is_read_only_and_prints_a_versioned_json_document(account, client, policy, capsys):
    client("securityhub").enable_security_hub()
    assert main(["evaluate", "--policy", policy(), "--json"]) == 0

    document = json.loads(capsys.readouterr().out)
    jsonschema.validate(document, schema(), format_checker=jsonschema.FormatChecker())
    by_resource = {(f["resource"]["name"], f["control_id"]): f for f in document["findings"]}
    assert by_resource[(account["public"], "PG.AMI.3")]["status"] == "FAILED"
    assert by_resource[(account["good"], "PG.AMI.1")]["status"] == "PASSED"
    assert document["account"] == "123456789012"
    assert document["regions"] == [REGION]
    summary = document["summary"]
    assert summary["total"] == len(document["findings"])
    assert summary["by_status"]["FAILED"] >= 1
    assert summary["by_status_and_severity"]["FAILED"]["CRITICAL"] == 1
    assert summary["import"] is None
    assert client("securityhub").get_findings()["Findings"] == []  # nothing imported


def test_fail_on_trips_on_a_failed_result_and_says_which(account, policy, capsys):
    assert main(["evaluate", "--policy", policy(), "--fail-on", "critical"]) == 1  # case-insensitive
    captured = capsys.readouterr()
    assert re.search(r"PG\.AMI\.3\s+FAILED\s+CRITICAL", captured.out)
    assert "1 results at or above CRITICAL failed" in captured.err
    assert f"PG.AMI.3 FAILED CRITICAL {ami_arn(account['public'])}" in captured.err


def test_fail_on_is_satisfied_when_nothing_that_severe_fails(account, client, policy):
    client("ec2").reset_image_attribute(ImageId=account["public"], Attribute="launchPermission")
    assert main(["evaluate", "--policy", policy(), "--fail-on", "CRITICAL"]) == 0


def test_not_available_trips_the_gate_unless_unknown_results_are_allowed(account, policy, capsys):
    # PG.AMI.3 cannot be judged for an AMI another account owns: only its owner reads launch permissions
    arguments = ["evaluate", "--policy", policy(), "--resource", ami_arn(account["foreign"]), "--controls", "PG.AMI.3"]
    assert main([*arguments, "--fail-on", "HIGH"]) == 1
    captured = capsys.readouterr()
    assert re.search(r"PG\.AMI\.3\s+NOT_AVAILABLE\s+HIGH", captured.out)
    assert "could not be judged (NOT_AVAILABLE; --allow-unknown ignores them)" in captured.err
    assert main([*arguments, "--fail-on", "HIGH", "--allow-unknown"]) == 0


def test_an_exempted_failure_does_not_trip_the_gate_and_shows_its_real_severity(account, policy, capsys):
    exemption = (
        f'[{{controls: [PG.AMI.3], resources: ["{ami_arn(account["public"])}"], '
        'reason: "public demo image, SEC-42", expires: 2099-12-31}]'
    )
    code = main(["evaluate", "--policy", policy(exemption), "--controls", "PG.AMI.3", "--fail-on", "LOW"])
    out = capsys.readouterr().out
    assert code == 0
    assert re.search(r"PG\.AMI\.3\s+FAILED\s+CRITICAL", out)
    assert "(exempted)" in out
    assert "exempted until 2099-12-31: public demo image, SEC-42" in " ".join(out.split())


def test_a_resource_that_does_not_exist_is_reported_and_fails(account, policy, capsys):
    missing = ami_arn("ami-00000000000000000")
    assert main(["evaluate", "--policy", policy(), "--json", "--resource", missing, ami_arn(account["good"])]) == 1
    captured = capsys.readouterr()
    assert f"{missing}: no such resource" in captured.err
    document = json.loads(captured.out)
    assert document["summary"]["missing_resources"] == [missing]
    assert {f["resource"]["arn"] for f in document["findings"]} == {ami_arn(account["good"])}


def test_an_arn_of_no_judged_kind_cannot_run(account, policy, capsys):
    assert main(["evaluate", "--policy", policy(), "--resource", "arn:aws:s3:::bucket"]) == 2
    assert "is not the ARN of" in capsys.readouterr().err


def test_an_unknown_control_cannot_run(account, policy, capsys):
    assert main(["evaluate", "--policy", policy(), "--controls", "PG.AMI.99"]) == 2
    assert "no such control: PG.AMI.99" in capsys.readouterr().err


def test_controls_limit_the_results_and_the_inventory(account, policy, capsys):
    assert main(["evaluate", "--policy", policy(), "--json", "--controls", "pg.ami.3", "PG.AMI.6"]) == 0
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert {f["control_id"] for f in findings} == {"PG.AMI.3", "PG.AMI.6"}


def test_import_writes_the_findings_and_says_how_many(account, client, policy, capsys):
    client("securityhub").enable_security_hub()
    assert main(["evaluate", "--policy", policy(), "--import"]) == 0
    imported = client("securityhub").get_findings(MaxResults=100)["Findings"]
    # the inventory is the AMIs the account owns (a foreign AMI is judged through instances launched from it)
    assert {f["Resources"][0]["Id"].rsplit("/", 1)[-1] for f in imported} == {account["good"], account["public"]}
    assert f"Security Hub: {len(imported)} findings imported, 0 unchanged, 0 archived" in capsys.readouterr().err


def test_every_format_at_once_in_an_output_directory(account, policy, tmp_path, capsys):
    out = tmp_path / "out"
    formats = ["table", "json", "csv", "ocsf", "html", "asff"]
    assert main(["evaluate", "--policy", policy(), "--output-format", *formats, "--output-dir", str(out)]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(
        ["findings.txt", "findings.json", "findings.csv", "findings.ocsf.json", "findings.html", "findings.asff.json"]
    )
    document = json.loads((out / "findings.json").read_text())
    total = len(document["findings"])
    assert len(list(csv.DictReader(io.StringIO((out / "findings.csv").read_text())))) == total
    assert len(json.loads((out / "findings.ocsf.json").read_text())) == total
    assert len(json.loads((out / "findings.asff.json").read_text())) == total
    assert "<!DOCTYPE html>" in (out / "findings.html").read_text()
    assert "PG.AMI.3" in (out / "findings.txt").read_text()
    assert f"wrote {out / 'findings.json'}" in capsys.readouterr().err


def test_several_formats_need_an_output_directory(account, policy, capsys):
    assert main(["evaluate", "--policy", policy(), "--output-format", "json", "csv"]) == 2
    assert "need --output-dir" in capsys.readouterr().err


def test_resources_are_evaluated_a_page_at_a_time(account, client, policy):
    ec2 = client("ec2")
    images = [ec2.register_image(Name=f"bulk-{i}", ImdsSupport="v2.0")["ImageId"] for i in range(PAGE_SIZE + 5)]
    evaluation = Evaluation(EvaluateOptions(policy(), resources=[ami_arn(i) for i in images], controls=["PG.AMI.6"]))
    pages = [sorted(f.resource.name for f in outcome.findings) for outcome in evaluation.pages()]
    assert [len(p) for p in pages] == [PAGE_SIZE, 5]
    assert sorted(name for page in pages for name in page) == sorted(images)


def test_the_inventory_is_evaluated_a_page_at_a_time(account, client, policy):
    ec2 = client("ec2")
    for i in range(PAGE_SIZE * 2):
        ec2.register_image(Name=f"bulk-{i}", ImdsSupport="v2.0")
    evaluation = Evaluation(EvaluateOptions(policy(), controls=["PG.AMI.6"]))
    sizes = [len(outcome.findings) for outcome in evaluation.pages()]
    assert sizes == [PAGE_SIZE, PAGE_SIZE, 2]  # the 50 bulk AMIs and the two others the account owns


def test_a_profile_and_a_role_are_used_to_read_the_account(account, policy, tmp_path, monkeypatch, capsys):
    config = tmp_path / "config"
    config.write_text("[profile audit]\nregion = us-east-1\naws_access_key_id = a\naws_secret_access_key = b\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    role = "arn:aws:iam::123456789012:role/provenance-guard-audit"
    arguments = ["evaluate", "--policy", policy(), "--json", "--profile", "audit", "--role-arn", role]
    assert main([*arguments, "--controls", "PG.AMI.6"]) == 0
    assert json.loads(capsys.readouterr().out)["summary"]["total"] == 2


def test_an_unknown_profile_cannot_run(account, policy, capsys):
    assert main(["evaluate", "--policy", policy(), "--profile", "no-such-profile"]) == 2
    assert "ProfileNotFound" in capsys.readouterr().err


def test_images_are_read_from_the_registry_the_environment_names(
    account, client, tmp_path, local_registry, monkeypatch, capsys
):
    from provenance_guard_cli.local_registry import RegistryPusher, image_manifest, push_image

    ecr = client("ecr")
    ecr.create_repository(repositoryName="evaluated/app", imageTagMutability="IMMUTABLE")
    pusher = RegistryPusher(local_registry)
    labels = {"org.opencontainers.image.base.name": "public.ecr.aws/docker/library/alpine:3.20"}
    manifest = image_manifest(pusher, "evaluated/app", labels=labels)
    digest = push_image(ecr, pusher, "evaluated/app", manifest, "v1").digest
    trusted = tmp_path / "trusted.yaml"
    trusted.write_text("version: 1\ncontainer:\n  trusted_registries: [self, public.ecr.aws/docker/library]\n")
    monkeypatch.setenv("PROVENANCE_GUARD_REGISTRY_URL", local_registry)
    arn = f"arn:aws:ecr:{REGION}:123456789012:repository/evaluated/app/{digest}"

    code = main(["evaluate", "--policy", str(trusted), "--json", "--resource", arn, "--controls", "PG.ECR.4"])

    [finding] = json.loads(capsys.readouterr().out)["findings"]
    assert code == 0
    assert (finding["control_id"], finding["status"]) == ("PG.ECR.4", "PASSED")
    assert "public.ecr.aws/docker/library/alpine:3.20" in finding["reasons"][0]["description"]
