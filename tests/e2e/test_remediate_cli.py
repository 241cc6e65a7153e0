"""`provenance-guard remediate` against an account (the emulator, through AWS_ENDPOINT_URL): a dry run that
prints the exact change and changes nothing, then `--apply`, verified and recorded in the finding."""

from __future__ import annotations

import pytest

from provenance_guard.collect.ami import AMI
from provenance_guard.findings import finding_id
from provenance_guard.model import ResourceRef
from provenance_guard_cli.main import main
from provenance_guard_cli.sample_account import ACCOUNT, REGION

pytestmark = pytest.mark.e2e


@pytest.fixture
def public_ami(emulator, client, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", emulator.url)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    client("securityhub").enable_security_hub()
    ec2 = client("ec2")
    image = ec2.register_image(Name="debug-tools", ImdsSupport="v2.0")["ImageId"]
    ec2.modify_image_attribute(ImageId=image, LaunchPermission={"Add": [{"Group": "all"}]})
    arn = f"arn:aws:ec2:{REGION}::image/{image}"
    main(["evaluate", "--import", "--resource", arn])  # imports the findings (PG.AMI.3 FAILED)
    return image


def launch_permissions(client, image):
    return client("ec2").describe_image_attribute(ImageId=image, Attribute="launchPermission")["LaunchPermissions"]


def test_a_dry_run_prints_the_exact_change_and_changes_nothing(public_ami, client, capsys):
    fid = finding_id(ResourceRef(AMI, public_ami, ACCOUNT, REGION), "PG.AMI.3")
    capsys.readouterr()

    assert main(["remediate", "--finding", fid]) == 0

    out = capsys.readouterr().out
    assert f"aws ec2 modify-image-attribute --image-id {public_ami} --launch-permission 'Remove=[group:all]'" in out
    assert "dry run: nothing changed" in out
    assert launch_permissions(client, public_ami) == [{"Group": "all"}]


def test_apply_fixes_verifies_and_records_it_in_the_finding(public_ami, client, capsys):
    fid = finding_id(ResourceRef(AMI, public_ami, ACCOUNT, REGION), "PG.AMI.3")

    assert main(["remediate", "--finding", fid, "--apply"]) == 0

    assert "RESOLVED" in capsys.readouterr().out
    assert launch_permissions(client, public_ami) == []
    (finding,) = client("securityhub").get_findings(Filters={"Id": [{"Value": fid, "Comparison": "EQUALS"}]})[
        "Findings"
    ]
    assert finding["Compliance"]["Status"] == "PASSED"
    assert finding["Workflow"]["Status"] == "RESOLVED"
    assert "(terminal): RESOLVED" in finding["Note"]["Text"]


def test_a_control_and_a_resource_name_the_target_too(public_ami, capsys):
    arn = f"arn:aws:ec2:{REGION}::image/{public_ami}"
    assert main(["remediate", "--control", "PG.LAMBDA.1", "--resource", arn]) == 1
    assert "declares no remediation" in capsys.readouterr().out


def test_an_unknown_finding_cannot_run(public_ami, capsys):
    assert main(["remediate", "--finding", "provenance-guard/PG.AMI.3/nope"]) == 2
    assert "has no finding" in capsys.readouterr().err
