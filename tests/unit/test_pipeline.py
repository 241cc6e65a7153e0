"""pipeline.py end to end in moto: documented events -> collect -> controls -> Security Hub, state, SNS."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import boto3
import pytest

from provenance_guard import publish
from provenance_guard.asff import from_asff, to_asff
from provenance_guard.collect.ami import AMI
from provenance_guard.findings import finding_id, format_time
from provenance_guard.model import ResourceRef
from provenance_guard.notify import Transition
from provenance_guard.pipeline import PublishError, RunReport, WorkError
from provenance_guard.service import Service
from provenance_guard.state import FindingRecord, FindingStateStore
from provenance_guard.triggers import parse_event
from provenance_guard.work import Action, Work
from tests.unit.ecr_support import image_ref
from tests.unit.support import (
    ACCOUNT,
    OTHER_ACCOUNT,
    T0,
    FakeClock,
    Inbox,
    ami_event,
    ami_ref,
    cloudtrail_image_event,
)

PUBLIC = [{"Group": "all"}]
PROBES = frozenset({"PG.AMI.1", "PG.AMI.3"})
"""The controls these tests judge with. Work is narrowed to them so that the pipeline's behaviour is
tested independently of which other AMI controls the registry holds (they have their own tests)."""


def probe(work: list[Work]) -> list[Work]:
    return [replace(w, controls=(w.controls or PROBES) & PROBES) if w.action is Action.EVALUATE else w for w in work]


def run(service: Service, event: dict[str, Any]) -> RunReport:
    return service.pipeline.run(probe(parse_event(event)))


def ids(image_id: str) -> dict[str, str]:
    ref = ami_ref(image_id)
    return {control: finding_id(ref, control) for control in ("PG.AMI.1", "PG.AMI.3")}


def hub(securityhub: Any) -> dict[str, dict[str, Any]]:
    """Every finding Security Hub holds, by Id."""
    found: dict[str, dict[str, Any]] = {}
    for page in securityhub.get_paginator("get_findings").paginate():
        found.update({f["Id"]: f for f in page["Findings"]})
    return found


@pytest.fixture
def store(dynamodb: Any, findings_table: str) -> FindingStateStore:
    return FindingStateStore(dynamodb, findings_table)


def records(store: FindingStateStore, image_id: str) -> dict[str, FindingRecord]:
    return {r.control_id: r for r in store.for_resource(ami_ref(image_id).arn)}


def test_a_new_failure_is_imported_and_notified(
    service: Service, make_ami: Callable[..., str], securityhub: Any, notifications: Inbox, store: FindingStateStore
) -> None:
    image = make_ami(launch_permissions=PUBLIC)
    report = run(service, ami_event(image))

    assert {(e.verdict.control_id, e.verdict.status.value) for e in report.evaluated} == {
        ("PG.AMI.1", "PASSED"),
        ("PG.AMI.3", "FAILED"),
    }
    assert (report.imported, report.unchanged, report.securityhub_calls) == (2, 0, 1)
    findings = hub(securityhub)
    expected = ids(image)
    assert findings[expected["PG.AMI.1"]]["Compliance"]["Status"] == "PASSED"
    public = findings[expected["PG.AMI.3"]]
    assert public["Compliance"]["Status"] == "FAILED"
    assert public["Severity"]["Label"] == "CRITICAL"
    assert public["Resources"][0]["Id"] == f"arn:aws:ec2:us-east-1::image/{image}"
    assert public["CreatedAt"] == public["UpdatedAt"] == format_time(T0)
    assert {c: r.status for c, r in records(store, image).items()} == {"PG.AMI.1": "PASSED", "PG.AMI.3": "FAILED"}

    assert [(n.transition, to_asff(n.finding)["Id"]) for n in report.notified] == [
        (Transition.NEW_FAILURE, expected["PG.AMI.3"])
    ]
    [body] = notifications.bodies()
    assert (body["control"], body["severity"], body["transition"]) == ("PG.AMI.3", "CRITICAL", "NEW_FAILURE")


def test_an_unchanged_result_is_not_imported_again(
    service: Service, make_ami: Callable[..., str], securityhub: Any, notifications: Inbox, clock: FakeClock
) -> None:
    image = make_ami(launch_permissions=PUBLIC)
    run(service, ami_event(image))
    notifications.messages()
    before = hub(securityhub)

    clock.advance(hours=6)
    report = run(service, ami_event(image))

    assert (report.imported, report.unchanged, report.securityhub_calls) == (0, 2, 0)
    assert report.notified == []
    assert notifications.messages() == []
    assert {i: f["UpdatedAt"] for i, f in hub(securityhub).items()} == {i: f["UpdatedAt"] for i, f in before.items()}


def test_a_status_change_keeps_created_at_and_notifies_the_resolution(
    service: Service,
    make_ami: Callable[..., str],
    ec2: Any,
    securityhub: Any,
    notifications: Inbox,
    clock: FakeClock,
) -> None:
    image = make_ami(launch_permissions=PUBLIC)
    run(service, ami_event(image))
    notifications.messages()

    later = clock.advance(hours=2)
    ec2.modify_image_attribute(ImageId=image, LaunchPermission={"Remove": PUBLIC})
    report = run(service, cloudtrail_image_event("cloudtrail-ec2-resetimageattribute.json", image))

    assert [e.verdict.control_id for e in report.evaluated] == ["PG.AMI.3"]
    assert report.imported == 1
    finding = hub(securityhub)[ids(image)["PG.AMI.3"]]
    assert finding["Compliance"]["Status"] == "PASSED"
    assert finding["CreatedAt"] == finding["FirstObservedAt"] == format_time(T0)
    assert finding["UpdatedAt"] == finding["LastObservedAt"] == format_time(later)
    assert [n.transition for n in report.notified] == [Transition.RESOLVED]
    [body] = notifications.bodies()
    assert (body["transition"], body["control"], body["status"]) == ("RESOLVED", "PG.AMI.3", "PASSED")


def test_updated_at_strictly_increases_with_a_frozen_clock(
    service: Service, make_ami: Callable[..., str], ec2: Any, securityhub: Any, store: FindingStateStore
) -> None:
    image = make_ami(launch_permissions=PUBLIC)
    sharing = cloudtrail_image_event("cloudtrail-ec2-modifyimageattribute-public.json", image)
    run(service, sharing)
    stamps = [records(store, image)["PG.AMI.3"].updated_at]
    for change in ("Remove", "Add", "Remove"):
        ec2.modify_image_attribute(ImageId=image, LaunchPermission={change: PUBLIC})
        assert run(service, sharing).imported == 1
        stamps.append(records(store, image)["PG.AMI.3"].updated_at)

    assert stamps == [format_time(T0 + timedelta(milliseconds=ms)) for ms in range(4)]
    finding = hub(securityhub)[ids(image)["PG.AMI.3"]]
    assert finding["UpdatedAt"] == stamps[-1]
    assert finding["CreatedAt"] == format_time(T0)


def test_a_deregistered_ami_has_its_findings_archived(
    service: Service,
    make_ami: Callable[..., str],
    ec2: Any,
    securityhub: Any,
    notifications: Inbox,
    store: FindingStateStore,
    clock: FakeClock,
) -> None:
    image = make_ami(launch_permissions=PUBLIC)
    run(service, ami_event(image))
    notifications.messages()
    later = clock.advance(minutes=10)
    ec2.deregister_image(ImageId=image)

    report = run(service, ami_event(image, "deregistered"))

    assert sorted(report.archived) == sorted(ids(image).values())
    assert report.imported == 2
    assert report.notified == []
    assert notifications.messages() == []
    for finding_key in ids(image).values():
        finding = hub(securityhub)[finding_key]
        assert finding["RecordState"] == "ARCHIVED"
        assert finding["UpdatedAt"] == format_time(later)
        assert finding["CreatedAt"] == format_time(T0)
    assert {r.record_state for r in records(store, image).values()} == {"ARCHIVED"}

    again = run(service, ami_event(image, "deregistered"))  # at-least-once delivery: a duplicate
    assert (again.archived, again.imported, again.securityhub_calls) == ([], 0, 0)


def test_archiving_an_ami_never_seen_does_nothing(service: Service, store: FindingStateStore) -> None:
    report = run(service, ami_event("ami-0000000000000000f", "deregistered"))
    assert (report.archived, report.imported, report.securityhub_calls) == ([], 0, 0)


def test_evaluating_a_vanished_ami_archives_its_findings(
    service: Service, make_ami: Callable[..., str], ec2: Any, securityhub: Any, clock: FakeClock
) -> None:
    image = make_ami(launch_permissions=PUBLIC)
    run(service, ami_event(image))
    clock.advance(minutes=1)
    ec2.deregister_image(ImageId=image)

    report = run(service, ami_event(image))  # a late "available" event

    assert report.vanished == [ami_ref(image)]
    assert report.evaluated == []
    assert sorted(report.archived) == sorted(ids(image).values())
    assert {hub(securityhub)[i]["RecordState"] for i in ids(image).values()} == {"ARCHIVED"}


def test_an_archived_ami_available_again_is_active_again_and_notifies_again(
    service: Service,
    make_ami: Callable[..., str],
    ec2: Any,
    securityhub: Any,
    notifications: Inbox,
    store: FindingStateStore,
    clock: FakeClock,
) -> None:
    image = make_ami(launch_permissions=PUBLIC)
    run(service, ami_event(image))
    notifications.messages()
    clock.advance(hours=1)
    ec2.disable_image(ImageId=image)
    assert len(run(service, ami_event(image, "disabled")).archived) == 2

    back = clock.advance(hours=1)
    ec2.enable_image(ImageId=image)
    ec2.modify_image_attribute(ImageId=image, LaunchPermission={"Add": PUBLIC})
    report = run(service, ami_event(image))

    assert report.imported == 2
    for finding_key in ids(image).values():
        finding = hub(securityhub)[finding_key]
        assert finding["RecordState"] == "ACTIVE"
        assert finding["CreatedAt"] == format_time(T0)
        assert finding["UpdatedAt"] == format_time(back)
    assert {r.record_state for r in records(store, image).values()} == {"ACTIVE"}
    assert [n.transition for n in report.notified] == [Transition.NEW_FAILURE]
    assert [b["control"] for b in notifications.bodies()] == ["PG.AMI.3"]


def test_an_unchanged_finding_is_refreshed_after_30_days(
    service: Service,
    make_ami: Callable[..., str],
    securityhub: Any,
    notifications: Inbox,
    clock: FakeClock,
) -> None:
    image = make_ami(launch_permissions=PUBLIC)
    run(service, ami_event(image))
    notifications.messages()

    clock.advance(days=29, hours=23)
    assert run(service, ami_event(image)).unchanged == 2

    refreshed_at = clock.advance(hours=1)
    report = run(service, ami_event(image))

    assert (report.imported, report.unchanged) == (2, 0)
    assert report.notified == []
    assert notifications.messages() == []
    finding = hub(securityhub)[ids(image)["PG.AMI.3"]]
    assert finding["UpdatedAt"] == format_time(refreshed_at)
    assert finding["CreatedAt"] == format_time(T0)


def test_only_the_sharing_control_runs_for_launch_permission_changes(
    service: Service, make_ami: Callable[..., str]
) -> None:
    image = make_ami(launch_permissions=[{"UserId": OTHER_ACCOUNT}])
    report = run(service, cloudtrail_image_event("cloudtrail-ec2-modifyimageattribute-account.json", image))
    [evaluated] = report.evaluated
    assert (evaluated.verdict.control_id, evaluated.verdict.status.value) == ("PG.AMI.3", "FAILED")
    assert evaluated.verdict.reasons[0].code == "UNEXPECTED_SHARE"


def test_an_exempted_failure_is_imported_as_informational_and_not_notified(
    make_service: Callable[..., Service],
    make_ami: Callable[..., str],
    securityhub: Any,
    notifications: Inbox,
) -> None:
    service = make_service(
        {
            "exemptions": [
                {
                    "controls": ["PG.AMI.3"],
                    "tags": {"exemption": ["public-demo"]},
                    "reason": "public demo image, SEC-42",
                    "expires": "2025-03-01",
                }
            ]
        }
    )
    image = make_ami(tags={"exemption": "public-demo"}, launch_permissions=PUBLIC)
    report = run(service, ami_event(image))

    finding = hub(securityhub)[ids(image)["PG.AMI.3"]]
    assert from_asff(finding).exempted
    assert finding["Compliance"]["Status"] == "FAILED"
    assert finding["Severity"]["Label"] == "INFORMATIONAL"
    assert finding["Compliance"]["StatusReasons"][-1]["ReasonCode"] == "EXEMPTED"
    assert report.notified == []
    assert notifications.messages() == []


def test_an_expired_exemption_notifies_the_failure(
    make_service: Callable[..., Service],
    make_ami: Callable[..., str],
    securityhub: Any,
    notifications: Inbox,
    clock: FakeClock,
) -> None:
    exemption = {"controls": ["PG.AMI.3"], "resources": ["*"], "reason": "r", "expires": "2025-01-20"}
    service = make_service({"exemptions": [exemption]})
    image = make_ami(launch_permissions=PUBLIC)
    run(service, ami_event(image))
    assert notifications.messages() == []

    clock.advance(days=10)
    report = run(service, ami_event(image))

    finding = hub(securityhub)[ids(image)["PG.AMI.3"]]
    assert not from_asff(finding).exempted
    assert finding["Severity"]["Label"] == "CRITICAL"
    assert [n.transition for n in report.notified] == [Transition.NEW_FAILURE]


def test_failures_below_the_minimum_severity_are_imported_but_not_notified(
    make_service: Callable[..., Service], make_ami: Callable[..., str], notifications: Inbox
) -> None:
    service = make_service({"ami": {"trusted_owners": ["amazon"]}, "notifications": {"min_severity": "CRITICAL"}})
    report = run(service, ami_event(make_ami()))
    assert [(e.verdict.control_id, e.verdict.status.value) for e in report.evaluated] == [
        ("PG.AMI.1", "FAILED"),
        ("PG.AMI.3", "PASSED"),
    ]
    assert report.imported == 2
    assert report.notified == []
    assert notifications.messages() == []


def test_without_a_topic_nothing_is_notified_but_findings_are_imported(
    make_service: Callable[..., Service], make_ami: Callable[..., str], notifications: Inbox
) -> None:
    service = make_service(topic=False)
    report = run(service, ami_event(make_ami(launch_permissions=PUBLIC)))
    assert report.imported == 2
    assert report.notified == []
    assert notifications.messages() == []


def test_findings_are_imported_into_the_resources_region(service: Service, securityhub: Any) -> None:
    region = "eu-west-1"
    image = boto3.client("ec2", region_name=region).register_image(Name="eu-golden")["ImageId"]
    regional_hub = boto3.client("securityhub", region_name=region)
    regional_hub.enable_security_hub(EnableDefaultStandards=False)
    event = ami_event(image)
    event["region"] = region
    event["resources"] = [f"arn:aws:ec2:{region}::image/{image}"]
    ref = ResourceRef(AMI, image, ACCOUNT, region)

    with contextlib.suppress(PublishError):
        run(service, event)

    assert set(hub(regional_hub)) == {finding_id(ref, c) for c in PROBES}
    assert not set(hub(securityhub)) & set(hub(regional_hub))


# --- Security Hub refusing findings ---------------------------------------------------------------


@pytest.fixture
def emulated_securityhub() -> None:
    """The project's emulator makes moto's Security Hub check the hub and the ProductArn like AWS
    (moto 5.2.5 accepts any finding): refused findings come back in FailedFindings (InvalidAccess)."""
    pytest.importorskip("provenance_guard_cli.emulator.faults", reason="the project's emulator is not available")
    from provenance_guard_cli.emulator import install

    install()


def test_findings_security_hub_refuses_as_invalid_are_rejected_not_retried_and_not_recorded(
    emulated_securityhub: None, service: Service, make_ami: Callable[..., str], store: FindingStateStore
) -> None:
    image = make_ami(launch_permissions=PUBLIC)
    # The same image also named in another account's event (e.g. a forwarded event): findings for
    # that account cannot be imported from this one, however often they are sent (InvalidAccess).
    foreign = ami_ref(image, account=OTHER_ACCOUNT)
    work = probe([Work(Action.EVALUATE, ami_ref(image)), Work(Action.EVALUATE, foreign)])

    report = service.pipeline.run(work)

    refused = {finding_id(foreign, c) for c in ("PG.AMI.1", "PG.AMI.3")}
    assert {f.finding_id for f in report.rejected_findings} == refused
    assert {f.error_code for f in report.rejected_findings} == {"InvalidAccess"}
    assert report.imported == 2
    assert set(records(store, image)) == {"PG.AMI.1", "PG.AMI.3"}  # this account's were imported
    assert all(to_asff(r.finding)["AwsAccountId"] == ACCOUNT for r in records(store, image).values())
    assert store.get_many(refused) == {}


def test_findings_refused_for_a_reason_that_can_pass_raise_publish_error_and_are_not_recorded(
    service: Service,
    make_ami: Callable[..., str],
    failed_findings: Callable[..., None],
    store: FindingStateStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(publish, "_backoff", lambda round_number: 0.0)  # the rounds' jitter, not their number
    image = make_ami(launch_permissions=PUBLIC)
    doomed = finding_id(ami_ref(image), "PG.AMI.3")
    failed_findings(doomed, "InternalException", publish.MAX_FAILED_FINDING_ROUNDS)

    with pytest.raises(PublishError) as raised:
        run(service, ami_event(image))

    assert [(f.finding_id, f.error_code) for f in raised.value.failed] == [(doomed, "InternalException")]
    assert "1 findings were not imported" in str(raised.value)
    assert raised.value.report.imported == 1
    assert set(records(store, image)) == {"PG.AMI.1"}


def test_a_hub_that_is_not_enabled_refuses_everything_and_nothing_is_recorded(
    emulated_securityhub: None,
    service: Service,
    make_ami: Callable[..., str],
    securityhub: Any,
    notifications: Inbox,
    store: FindingStateStore,
) -> None:
    """Security Hub answers InvalidAccess for every finding: rejected, not retried (AWS gives the same code
    for a finding of another account). Nothing is recorded, so the next evaluation once the hub is
    enabled again (the daily sweep at the latest) imports everything."""
    securityhub.disable_security_hub()
    image = make_ami(launch_permissions=PUBLIC)
    report = run(service, ami_event(image))
    assert {f.finding_id for f in report.rejected_findings} == set(ids(image).values())
    assert {f.error_code for f in report.rejected_findings} == {"InvalidAccess"}
    assert records(store, image) == {}
    assert notifications.messages() == []

    securityhub.enable_security_hub(EnableDefaultStandards=False)
    report = run(service, ami_event(image))
    assert report.imported == 2
    assert [n.transition for n in report.notified] == [Transition.NEW_FAILURE]


def test_one_item_that_cannot_be_judged_costs_the_others_nothing(
    service: Service,
    make_ami: Callable[..., str],
    securityhub: Any,
    store: FindingStateStore,
    emulator_faults: Callable[..., None],
) -> None:
    """An ECR image whose DescribeImages is refused fails alone: the AMI of the same batch is published,
    then WorkError names the image (the record is retried; the AMI is unchanged by then)."""
    image = make_ami(launch_permissions=PUBLIC)
    broken = image_ref()
    emulator_faults("ecr", "DescribeImages", "AccessDeniedException")
    batch = [Work(Action.EVALUATE, broken), Work(Action.EVALUATE, ami_ref(image))]

    with pytest.raises(WorkError) as raised:
        service.pipeline.run(batch)

    assert [ref for ref, _ in raised.value.failed] == [broken]
    assert "AccessDeniedException" in str(raised.value)
    judged = records(store, image)
    assert {"PG.AMI.1", "PG.AMI.3"} <= set(judged)
    assert {to_asff(r.finding)["Id"] for r in judged.values()} <= set(hub(securityhub))
    assert service.pipeline.run([Work(Action.EVALUATE, ami_ref(image))]).unchanged == len(judged)
