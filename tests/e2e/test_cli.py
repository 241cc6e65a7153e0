"""The command line as a user runs it: `controls`, `policy validate`, `replay`, `demo`."""

from __future__ import annotations

import json
import re

import pytest

from provenance_guard_cli.main import main
from provenance_guard_cli.routes import PROJECT_ROOT
from provenance_guard_cli.sample_account import DEMO_POLICY

pytestmark = pytest.mark.e2e
ALL_AMI_CONTROLS = {"PG.AMI.1", "PG.AMI.2", "PG.AMI.3", "PG.AMI.4", "PG.AMI.5", "PG.AMI.6"}
FIXTURES = PROJECT_ROOT / "tests" / "fixtures" / "events"


def test_controls_lists_the_registry_as_json(capsys):
    assert main(["controls", "--json"]) == 0
    controls = {c["id"]: c for c in json.loads(capsys.readouterr().out)}
    assert controls["PG.AMI.3"]["severity"] == "HIGH"
    assert "ec2:DescribeImageAttribute" in controls["PG.AMI.3"]["permissions"]
    assert controls["PG.AMI.1"]["remediation"]["url"].startswith("https://docs.aws.amazon.com/")


def test_controls_table(capsys):
    assert main(["controls"]) == 0
    assert "PG.AMI.1" in capsys.readouterr().out


@pytest.mark.parametrize("policy", [PROJECT_ROOT / "policy.yaml", DEMO_POLICY], ids=["shipped", "demo"])
def test_policy_validate_accepts_the_shipped_and_the_demo_policy(policy, capsys):
    assert main(["policy", "validate", str(policy)]) == 0
    assert "valid" in capsys.readouterr().out


def test_policy_validate_names_the_field(tmp_path, capsys):
    bad = tmp_path / "policy.yaml"
    bad.write_text("version: 1\nami:\n  max_age_days: ninety\n")
    assert main(["policy", "validate", str(bad)]) == 1
    assert "ami.max_age_days" in capsys.readouterr().err


def test_policy_validate_reports_yaml_syntax_errors(tmp_path, capsys):
    bad = tmp_path / "policy.yaml"
    bad.write_text("ami: [unclosed\n")
    assert main(["policy", "validate", str(bad)]) == 1
    assert "not valid YAML" in capsys.readouterr().err


def test_replay_prints_functions_and_findings_as_json(emulator, client, template_path, capsys):
    image = client("ec2").register_image(Name="replayed-image")["ImageId"]
    event = json.loads((FIXTURES / "ec2-ami-state-change-available.json").read_text())
    event.update(account="123456789012", region="us-east-1")
    event["detail"]["ImageId"] = image
    event_file = PROJECT_ROOT / "build" / "e2e-replay-event.json"
    event_file.parent.mkdir(exist_ok=True)
    event_file.write_text(json.dumps(event))

    code = main(["replay", "--endpoint-url", emulator.url, "--template", str(template_path), "--json", str(event_file)])

    [result] = json.loads(capsys.readouterr().out)
    assert code == 0
    assert [f["function"] for f in result["functions"]] == ["ami_events"]
    assert {f["Compliance"]["SecurityControlId"] for f in result["findings"]} == ALL_AMI_CONTROLS


def test_replay_rejects_a_file_that_is_not_json(emulator, template_path, tmp_path, capsys):
    broken = tmp_path / "event.json"
    broken.write_text("{not json")
    assert main(["replay", "--endpoint-url", emulator.url, "--template", str(template_path), str(broken)]) == 2
    assert "cannot be read as JSON" in capsys.readouterr().err


def test_demo_prints_real_findings_and_notifications(emulator, template_path, capsys):
    # moto's backends are per process: the demo's own server shares them with `emulator`, which resets them.
    assert main(["demo", "--template", str(template_path)]) == 0
    out = capsys.readouterr().out
    assert "CRITICAL PG.AMI.3 FAILED" in out
    assert "PG.AMI.3 now PASSES" in out
    assert re.search(r"PG\.AMI\.1 +FAILED", out)  # the findings table (its column width follows the longest id)
    assert "PG.EC2.1 FAILED" in out
    assert "(archived)" in out
    assert "Notifications sent (0)" not in out
    # the Lambda family: a signed function passes, and each way of going wrong fails
    assert "finding: PG.LAMBDA.3 PASSED               HIGH          billing-api" in out
    assert "PG.LAMBDA.1 FAILED: report-export" in out  # unsigned, no code signing config
    assert "UntrustedArtifactOnDeployment is Warn" in out
    assert "PG.LAMBDA.2 FAILED: billing-api" in out  # an untrusted publisher allowed
    assert "PG.LAMBDA.4 FAILED: pdf-render" in out  # a layer from another account
    assert "finding: PG.LAMBDA.5 FAILED               MEDIUM        nightly-cleanup" in out  # deprecated runtime
    # the container family: a hardened repository's clean image, a mutable unscanned repository, an image
    # over the CVE threshold, an image from an untrusted base
    assert "local OCI registry (docker-registry)" in out
    assert re.search(r"PG\.ECR\.1\s+PASSED\s+MEDIUM\s+repository/payments/api", out)
    assert re.search(r"PG\.ECR\.5\s+PASSED", out)
    assert re.search(r"PG\.ECR\.1\s+FAILED\s+MEDIUM\s+repository/sandbox/tools", out)
    # the demo policy remediates PG.ECR.2 automatically: the mutable repository is made immutable at once
    assert "remediation PG.ECR.2 RESOLVED: repository/sandbox/tools" in out
    assert re.search(r"PG\.ECR\.2\s+PASSED\s+MEDIUM\s+repository/sandbox/tools", out)
    assert "--image-tag-mutability IMMUTABLE_WITH_EXCLUSION" in out
    assert re.search(r"PG\.ECR\.5\s+FAILED\s+CRITICAL\s+payments/worker@sha256:", out)
    assert "CRITICAL PG.ECR.5 FAILED: payments/worker@sha256:" in out
    assert re.search(r"PG\.ECR\.4\s+FAILED\s+MEDIUM\s+payments/reports@sha256:", out)


def test_replay_reads_images_from_the_registry_it_is_given(emulator, client, template_path, local_registry, capsys):
    from provenance_guard_cli.local_registry import RegistryPusher, image_manifest, push_image
    from provenance_guard_cli.sample_containers import image_pushed

    ecr = client("ecr")
    ecr.create_repository(repositoryName="replayed/app", imageTagMutability="IMMUTABLE")
    pusher = RegistryPusher(local_registry)
    labels = {"org.opencontainers.image.base.name": "public.ecr.aws/docker/library/alpine:3.20"}
    digest = push_image(ecr, pusher, "replayed/app", image_manifest(pusher, "replayed/app", labels=labels), "v1").digest
    event_file = PROJECT_ROOT / "build" / "e2e-replay-ecr-event.json"
    event_file.parent.mkdir(exist_ok=True)
    event_file.write_text(json.dumps(image_pushed("replayed/app", digest, "v1")))

    # the demo policy trusts public.ecr.aws/docker/library, the shipped one only this account's ECR
    arguments = ["replay", "--endpoint-url", emulator.url, "--registry-url", local_registry]
    arguments += ["--policy", str(DEMO_POLICY)]
    code = main([*arguments, "--template", str(template_path), "--json", str(event_file)])

    [result] = json.loads(capsys.readouterr().out)
    assert code == 0
    assert [f["function"] for f in result["functions"]] == ["image_push"]
    provenance = [f for f in result["findings"] if f["Compliance"]["SecurityControlId"] == "PG.ECR.4"]
    assert [f["Compliance"]["Status"] for f in provenance] == ["PASSED"]


def test_a_missing_template_is_a_clear_error_not_a_traceback(emulator, tmp_path, capsys):
    event_file = tmp_path / "event.json"
    event_file.write_text((FIXTURES / "ec2-ami-state-change-available.json").read_text())
    code = main(["replay", "--endpoint-url", emulator.url, "--template", str(tmp_path / "none.json"), str(event_file)])
    assert code == 2
    assert "provenance-guard replay: FileNotFoundError" in capsys.readouterr().err


def test_an_unreachable_endpoint_is_a_clear_error(template_path, tmp_path, capsys):
    event_file = tmp_path / "event.json"
    event_file.write_text((FIXTURES / "ec2-ami-state-change-available.json").read_text())
    arguments = ["replay", "--endpoint-url", "http://127.0.0.1:9", "--template", str(template_path), str(event_file)]
    assert main(arguments) == 2
    assert "provenance-guard replay: EndpointConnectionError" in capsys.readouterr().err


def test_a_port_out_of_range_is_refused_by_the_parser(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["emulator", "--port", "99999"])
    assert exit_.value.code == 2
    assert "is not a port number" in capsys.readouterr().err


def test_controls_lists_a_frameworks_mapping(capsys):
    assert main(["controls", "--framework", "NIST-800-53", "--json"]) == 0
    mapping = json.loads(capsys.readouterr().out)
    assert mapping["title"] == "NIST SP 800-53 Rev. 5"
    by_id = {r["id"]: r for r in mapping["requirements"]}
    assert by_id["CM-14"]["title"] == "Signed Components"
    assert "PG.ECR.3" in by_id["CM-14"]["controls"]
    assert "PG.LAMBDA.1" in by_id["CM-14"]["controls"]


def test_controls_refuses_an_unknown_framework(capsys):
    assert main(["controls", "--framework", "iso-27001"]) == 2
    assert "unknown framework 'iso-27001'" in capsys.readouterr().err
