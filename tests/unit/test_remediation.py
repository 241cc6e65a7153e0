"""Remediation (CONTROLS.md §6.4): each action against the emulator before and after, the re-checks that
stop an action (changed since selection, exempted, not failing, mode off, not fixable by the action), a
refused write, dry runs, the Note and Workflow written into the finding, and the notification."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import boto3
import pytest

from provenance_guard.collect.ami import AMI
from provenance_guard.collect.ecr_repository import ECR_REPOSITORY
from provenance_guard.findings import finding_id
from provenance_guard.model import Reason, ResourceRef
from provenance_guard.remediation import ACTIONS, permissions
from provenance_guard.remediation.engine import Outcome
from provenance_guard.service import Service
from provenance_guard.work import Action, Work
from tests.unit.support import ACCOUNT, REGION, Inbox, ami_ref

PUBLIC = [{"Group": "all"}]
FOREIGN = "444455556666"
REMEDIATE_ALL = dict.fromkeys(("PG.AMI.3", "PG.AMI.5", "PG.ECR.1", "PG.ECR.2"), "on-demand")


def judged(service: Service, ref: ResourceRef) -> None:
    service.pipeline.run([Work(Action.EVALUATE, ref)])


def hub_finding(securityhub: Any, ref: ResourceRef, control_id: str) -> dict[str, Any]:
    found = securityhub.get_findings(Filters={"Id": [{"Value": finding_id(ref, control_id), "Comparison": "EQUALS"}]})
    (finding,) = found["Findings"]
    return dict(finding)


def reasons_of(securityhub: Any, ref: ResourceRef, control_id: str) -> tuple[Reason, ...]:
    finding = hub_finding(securityhub, ref, control_id)
    return tuple(Reason(r["ReasonCode"], r["Description"]) for r in finding["Compliance"]["StatusReasons"])


def launch_permissions(ec2: Any, image_id: str) -> list[Mapping[str, str]]:
    return list(ec2.describe_image_attribute(ImageId=image_id, Attribute="launchPermission")["LaunchPermissions"])


@pytest.fixture
def ecr(aws: None) -> Any:
    return boto3.client("ecr", region_name=REGION)


def test_every_action_fixes_a_registered_control_and_declares_its_writes() -> None:
    from provenance_guard.controls import registry

    assert set(ACTIONS) >= {"PG.AMI.3", "PG.AMI.5", "PG.ECR.1", "PG.ECR.2"}
    for control_id, action in ACTIONS.items():
        assert control_id in registry
        assert action.permissions
        assert all(":" in p for p in action.permissions)
    assert permissions({"PG.AMI.3", "PG.LAMBDA.1"}) == {"ec2:ModifyImageAttribute"}


@pytest.mark.parametrize("control_id", ["PG.LAMBDA.1", "PG.LAMBDA.3", "PG.EC2.1", "PG.ECR.3", "PG.ECR.5"])
def test_controls_whose_fix_would_break_a_workload_declare_none(control_id: str) -> None:
    assert control_id not in ACTIONS


def test_a_public_ami_is_unshared_verified_and_resolved_with_a_note(
    make_service: Callable[..., Service], make_ami: Callable[..., str], ec2: Any, securityhub: Any, notifications: Inbox
) -> None:
    service = make_service({"remediation": REMEDIATE_ALL, "ami": {"allowed_share_targets": []}})
    image = make_ami(launch_permissions=[*PUBLIC, {"UserId": FOREIGN}])
    judged(service, ami_ref(image))
    notifications.messages()

    result = service.remediator.remediate(
        "PG.AMI.3", ami_ref(image), reasons=reasons_of(securityhub, ami_ref(image), "PG.AMI.3")
    )

    assert result.outcome is Outcome.RESOLVED
    assert launch_permissions(ec2, image) == []
    assert not ec2.describe_images(ImageIds=[image])["Images"][0]["Public"]
    finding = hub_finding(securityhub, ami_ref(image), "PG.AMI.3")
    assert finding["Compliance"]["Status"] == "PASSED"
    assert finding["Workflow"]["Status"] == "RESOLVED"
    assert "remove launch permissions group:all, account:444455556666" in finding["Note"]["Text"]
    assert "Before: group:all, account:444455556666 (public)" in finding["Note"]["Text"]
    assert finding["Note"]["UpdatedBy"] == "provenance-guard"
    subjects = [m["Subject"] for m in notifications.messages()]
    assert any("remediation PG.AMI.3 RESOLVED" in s for s in subjects)


def test_a_dry_run_says_what_it_would_do_and_changes_nothing(
    make_service: Callable[..., Service], make_ami: Callable[..., str], ec2: Any, securityhub: Any
) -> None:
    service = make_service({"remediation": REMEDIATE_ALL})
    image = make_ami(launch_permissions=PUBLIC)
    judged(service, ami_ref(image))

    result = service.remediator.remediate("PG.AMI.3", ami_ref(image), apply=False)

    assert result.outcome is Outcome.PLANNED
    assert result.change is not None
    assert result.change.call == (
        f"aws ec2 modify-image-attribute --image-id {image} --launch-permission 'Remove=[group:all]'"
    )
    assert launch_permissions(ec2, image) == [{"Group": "all"}]
    assert "Note" not in hub_finding(securityhub, ami_ref(image), "PG.AMI.3")


def test_a_finding_that_changed_since_it_was_selected_is_left_alone(
    make_service: Callable[..., Service], make_ami: Callable[..., str], ec2: Any, securityhub: Any
) -> None:
    service = make_service({"remediation": REMEDIATE_ALL})
    image = make_ami(launch_permissions=[{"UserId": FOREIGN}])
    judged(service, ami_ref(image))
    selected = reasons_of(securityhub, ami_ref(image), "PG.AMI.3")
    ec2.modify_image_attribute(ImageId=image, LaunchPermission={"Add": PUBLIC})  # it changed meanwhile

    result = service.remediator.remediate("PG.AMI.3", ami_ref(image), reasons=selected)

    assert result.outcome is Outcome.CHANGED
    assert "it now fails: the AMI is public" in result.detail
    assert {p.get("Group") or p.get("UserId") for p in launch_permissions(ec2, image)} == {"all", FOREIGN}
    note = hub_finding(securityhub, ami_ref(image), "PG.AMI.3")["Note"]["Text"]
    assert "CHANGED" in note


def test_an_exempted_finding_is_never_remediated_and_the_notification_says_so(
    make_service: Callable[..., Service], make_ami: Callable[..., str], ec2: Any, notifications: Inbox
) -> None:
    exemption = {"controls": ["PG.AMI.3"], "resources": ["*"], "reason": "public demo, SEC-7", "expires": "2025-03-01"}
    service = make_service({"remediation": REMEDIATE_ALL, "exemptions": [exemption]})
    image = make_ami(launch_permissions=PUBLIC)
    judged(service, ami_ref(image))
    notifications.messages()

    result = service.remediator.remediate("PG.AMI.3", ami_ref(image))

    assert result.outcome is Outcome.EXEMPTED
    assert launch_permissions(ec2, image) == [{"Group": "all"}]
    (message,) = notifications.messages()
    assert "remediation PG.AMI.3 EXEMPTED" in message["Subject"]
    assert "Exempted findings are never remediated" in message["Message"]
    assert "public demo, SEC-7" in message["Message"]


def test_a_refused_write_changes_nothing_and_notes_why(
    make_service: Callable[..., Service],
    make_ami: Callable[..., str],
    ec2: Any,
    securityhub: Any,
    emulator_faults: Callable[..., None],
) -> None:
    service = make_service({"remediation": REMEDIATE_ALL})
    image = make_ami(launch_permissions=PUBLIC)
    judged(service, ami_ref(image))
    emulator_faults("ec2", "ModifyImageAttribute", "UnauthorizedOperation", count=1)

    result = service.remediator.remediate("PG.AMI.3", ami_ref(image))

    assert result.outcome is Outcome.NOT_FIXED
    assert "UnauthorizedOperation" in result.detail
    assert launch_permissions(ec2, image) == [{"Group": "all"}]
    finding = hub_finding(securityhub, ami_ref(image), "PG.AMI.3")
    assert finding["Workflow"]["Status"] == "NOTIFIED"
    assert "NOT_FIXED" in finding["Note"]["Text"]
    assert finding["Compliance"]["Status"] == "FAILED"


def test_an_ami_without_a_deprecation_time_gets_one(
    make_service: Callable[..., Service], make_ami: Callable[..., str], ec2: Any, securityhub: Any
) -> None:
    service = make_service({"remediation": REMEDIATE_ALL, "ami": {"require_deprecation_time": True}})
    image = make_ami()
    judged(service, ami_ref(image))

    result = service.remediator.remediate("PG.AMI.5", ami_ref(image))

    assert result.outcome is Outcome.RESOLVED, result.detail
    assert ec2.describe_images(ImageIds=[image])["Images"][0].get("DeprecationTime")
    assert hub_finding(securityhub, ami_ref(image), "PG.AMI.5")["Workflow"]["Status"] == "RESOLVED"


def test_a_repository_without_scanning_scans_on_push(
    make_service: Callable[..., Service], ecr: Any, securityhub: Any
) -> None:
    service = make_service({"remediation": REMEDIATE_ALL})
    ecr.create_repository(repositoryName="team/app", imageScanningConfiguration={"scanOnPush": False})
    ref = ResourceRef(ECR_REPOSITORY, "team/app", ACCOUNT, REGION)
    judged(service, ref)

    result = service.remediator.remediate("PG.ECR.1", ref)

    assert result.outcome is Outcome.RESOLVED, result.detail
    repository = ecr.describe_repositories(repositoryNames=["team/app"])["repositories"][0]
    assert repository["imageScanningConfiguration"]["scanOnPush"] is True


def test_scan_on_push_cannot_fix_a_registry_under_enhanced_scanning(
    make_service: Callable[..., Service], ecr: Any, securityhub: Any
) -> None:
    service = make_service({"remediation": REMEDIATE_ALL})
    ecr.put_registry_scanning_configuration(scanType="ENHANCED", rules=[])
    ecr.create_repository(repositoryName="team/app")
    ref = ResourceRef(ECR_REPOSITORY, "team/app", ACCOUNT, REGION)
    judged(service, ref)

    result = service.remediator.remediate("PG.ECR.1", ref)

    assert result.outcome is Outcome.NOT_REMEDIABLE
    assert "'Turn on scan on push' cannot fix this failure" in result.detail


def test_a_mutable_repository_becomes_immutable_except_the_allowed_tags(
    make_service: Callable[..., Service], ecr: Any, securityhub: Any
) -> None:
    service = make_service({"remediation": REMEDIATE_ALL, "container": {"allowed_mutable_tags": ["latest"]}})
    ecr.create_repository(repositoryName="team/app", imageTagMutability="MUTABLE")
    ref = ResourceRef(ECR_REPOSITORY, "team/app", ACCOUNT, REGION)
    judged(service, ref)

    result = service.remediator.remediate("PG.ECR.2", ref)

    assert result.outcome is Outcome.RESOLVED, result.detail
    repository = ecr.describe_repositories(repositoryNames=["team/app"])["repositories"][0]
    assert repository["imageTagMutability"] == "IMMUTABLE_WITH_EXCLUSION"
    assert repository["imageTagMutabilityExclusionFilters"] == [{"filter": "latest", "filterType": "WILDCARD"}]


@pytest.mark.parametrize(
    ("control_id", "policy", "outcome"),
    [
        ("PG.AMI.3", {}, Outcome.DISABLED),
        ("PG.AMI.1", {"remediation": {"PG.AMI.1": "on-demand"}}, Outcome.NO_ACTION),
        ("PG.AMI.3", {"remediation": REMEDIATE_ALL}, Outcome.NOT_FAILING),
    ],
)
def test_what_is_not_remediated(
    make_service: Callable[..., Service],
    make_ami: Callable[..., str],
    control_id: str,
    policy: dict[str, Any],
    outcome: Outcome,
) -> None:
    service = make_service(policy)
    image = make_ami()  # private, not shared
    judged(service, ami_ref(image))
    assert service.remediator.remediate(control_id, ami_ref(image)).outcome is outcome


def test_a_vanished_resource_is_gone(make_service: Callable[..., Service], aws: None) -> None:
    service = make_service({"remediation": REMEDIATE_ALL})
    result = service.remediator.remediate("PG.AMI.3", ResourceRef(AMI, "ami-0123456789abcdef0", ACCOUNT, REGION))
    assert result.outcome is Outcome.GONE


def test_the_note_survives_the_providers_next_import(
    make_service: Callable[..., Service], make_ami: Callable[..., str], securityhub: Any, clock: Any
) -> None:
    service = make_service({"remediation": REMEDIATE_ALL})
    image = make_ami(launch_permissions=PUBLIC)
    judged(service, ami_ref(image))
    service.remediator.remediate("PG.AMI.3", ami_ref(image))
    clock.advance(days=31)  # the refresh re-imports the unchanged PASSED finding

    judged(service, ami_ref(image))

    finding = hub_finding(securityhub, ami_ref(image), "PG.AMI.3")
    assert finding["UpdatedAt"] > finding["CreatedAt"]
    assert finding["Workflow"]["Status"] == "RESOLVED"
    assert "RESOLVED" in finding["Note"]["Text"]
    assert json.dumps(finding["Note"])  # kept as the customer's field
