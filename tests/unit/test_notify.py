"""notify.py: notifications on transitions only, rendered for people and filters, delivered via SNS."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from typing import Any
from urllib.parse import unquote

import boto3
import pytest

from provenance_guard.collect.lambda_function import LAMBDA_FUNCTION
from provenance_guard.controls import registry
from provenance_guard.findings import ExemptionApplied, Finding, build_finding
from provenance_guard.model import Reason, ResourceRef, Severity, Verdict
from provenance_guard.notify import (
    Notification,
    NotificationError,
    SnsNotifier,
    Transition,
    console_url,
    render,
    transition,
)
from tests.unit.support import REGION, T0, Inbox, ami_ref

PUBLIC = Verdict.failed("PG.AMI.3", (Reason("PUBLIC", "the AMI is public"),), {}, Severity.CRITICAL)
UNTRUSTED = Verdict.failed("PG.AMI.1", (Reason("UNTRUSTED_OWNER", "owner 444455556666 untrusted"),), {})


def make_finding(
    status: str = "FAILED", *, exempted: bool = False, verdict: Verdict | None = None, image: str = "ami-0abc"
) -> Finding:
    if verdict is None:
        verdict = {
            "FAILED": UNTRUSTED,
            "PASSED": Verdict.passed("PG.AMI.1", "trusted", {}),
            "NOT_AVAILABLE": Verdict.not_available("PG.AMI.1", "X", "cannot tell", {}),
        }[status]
    exemption = ExemptionApplied("legacy", date(2030, 1, 1)) if exempted else None
    return build_finding(registry.get(verdict.control_id), verdict, ami_ref(image), observed_at=T0, exemption=exemption)


@pytest.mark.parametrize(
    ("previous_exempted", "status", "expected"),
    [
        (True, "FAILED", Transition.NEW_FAILURE),  # the exemption expired: the failure counts again
        (True, "PASSED", None),  # nobody was told about the exempted failure
    ],
)
def test_transitions_after_an_exempted_failure(previous_exempted: bool, status: str, expected: Any) -> None:
    finding = make_finding(status)
    assert transition("FAILED", "ACTIVE", finding, previous_exempted=previous_exempted) is expected


@pytest.mark.parametrize(
    ("previous_status", "previous_state", "status", "exempted", "expected"),
    [
        (None, None, "FAILED", False, Transition.NEW_FAILURE),
        ("FAILED", "ACTIVE", "FAILED", False, None),
        ("FAILED", "ACTIVE", "PASSED", False, Transition.RESOLVED),
        ("FAILED", "ARCHIVED", "FAILED", False, Transition.NEW_FAILURE),
        ("FAILED", "ARCHIVED", "PASSED", False, None),
        ("PASSED", "ACTIVE", "FAILED", False, Transition.NEW_FAILURE),
        ("NOT_AVAILABLE", "ACTIVE", "FAILED", False, Transition.NEW_FAILURE),
        ("PASSED", "ACTIVE", "PASSED", False, None),
        (None, None, "PASSED", False, None),
        (None, None, "NOT_AVAILABLE", False, None),
        ("FAILED", "ACTIVE", "NOT_AVAILABLE", False, None),
        (None, None, "FAILED", True, None),
        ("PASSED", "ACTIVE", "FAILED", True, None),
    ],
)
def test_transition_table(
    previous_status: str | None, previous_state: str | None, status: str, exempted: bool, expected: Any
) -> None:
    assert transition(previous_status, previous_state, make_finding(status, exempted=exempted)) is expected


def test_render_new_failure() -> None:
    finding = make_finding(verdict=PUBLIC, image="ami-0abcdef1234567890")
    entry = render(Notification(Transition.NEW_FAILURE, finding))
    assert entry["Subject"] == "[provenance-guard] CRITICAL PG.AMI.3 FAILED: image/ami-0abcdef1234567890"
    body = json.loads(entry["Message"])
    control = registry.get("PG.AMI.3")
    assert body == {
        "transition": "NEW_FAILURE",
        "control": "PG.AMI.3",
        "title": f"PG.AMI.3 {control.title}",
        "status": "FAILED",
        "severity": "CRITICAL",
        "resource": "arn:aws:ec2:us-east-1::image/ami-0abcdef1234567890",
        "account": finding.resource.account,
        "region": REGION,
        "reasons": ["the AMI is public"],
        "remediation": {"Text": control.remediation_text, "Url": control.remediation_url},
        "finding_id": finding.id,
        "console_url": console_url(finding),
    }
    assert entry["MessageAttributes"] == {
        "severity": {"DataType": "String", "StringValue": "CRITICAL"},
        "control": {"DataType": "String", "StringValue": "PG.AMI.3"},
        "transition": {"DataType": "String", "StringValue": "NEW_FAILURE"},
    }


def test_render_resolved() -> None:
    entry = render(Notification(Transition.RESOLVED, make_finding("PASSED")))
    assert " PG.AMI.1 now PASSES: " in entry["Subject"]
    assert json.loads(entry["Message"])["transition"] == "RESOLVED"


def test_subject_is_short_ascii_without_line_breaks() -> None:
    ref = ResourceRef(LAMBDA_FUNCTION, "fünction-\n" + "x" * 120, "111122223333", REGION)
    verdict = Verdict.failed("PG.AMI.1", (Reason("X", "x"),), {})
    finding = build_finding(registry.get("PG.AMI.1"), verdict, ref, observed_at=T0)
    subject = render(Notification(Transition.NEW_FAILURE, finding))["Subject"]
    assert len(subject) <= 100
    assert subject.isascii()
    assert "\n" not in subject
    assert subject.startswith("[provenance-guard] HIGH PG.AMI.1 FAILED: f?nction- ")


def test_console_url_points_at_the_finding() -> None:
    finding = make_finding()
    url = console_url(finding)
    assert url.startswith(f"https://{REGION}.console.aws.amazon.com/securityhub/home?region={REGION}#/findings?search=")
    assert unquote(url.split("search=", 1)[1]) == f"Id=\\operator\\:EQUALS\\:{finding.id}"


# --- delivery through moto SNS -> SQS --------------------------------------------------------------


@pytest.fixture
def sns(notifications: Inbox) -> Any:
    return boto3.client("sns", region_name=REGION)


@pytest.fixture
def notifier(sns: Any, notifications: Inbox) -> SnsNotifier:
    return SnsNotifier(sns, notifications.topic_arn)


def test_delivered_to_subscribers_with_filterable_attributes(notifier: SnsNotifier, notifications: Inbox) -> None:
    finding = make_finding(verdict=PUBLIC)
    sent = notifier.send([Notification(Transition.NEW_FAILURE, finding)], Severity.HIGH)
    assert [n.finding.id for n in sent] == [finding.id]
    [envelope] = notifications.messages()
    assert envelope["Subject"] == render(sent[0])["Subject"]
    body = json.loads(envelope["Message"])
    assert (body["control"], body["severity"], body["finding_id"]) == ("PG.AMI.3", "CRITICAL", finding.id)
    assert body["resource"] == finding.resource.arn
    assert body["remediation"]["Url"].startswith("https://docs.aws.amazon.com/")
    assert body["console_url"] == console_url(finding)
    assert envelope["MessageAttributes"]["severity"] == {"Type": "String", "Value": "CRITICAL"}
    assert envelope["MessageAttributes"]["control"] == {"Type": "String", "Value": "PG.AMI.3"}


@pytest.mark.parametrize(
    ("minimum", "expected"),
    [
        (Severity.INFORMATIONAL, ["PG.AMI.3", "PG.AMI.1", "MEDIUM"]),
        (Severity.HIGH, ["PG.AMI.3", "PG.AMI.1"]),
        (Severity.CRITICAL, ["PG.AMI.3"]),
    ],
)
def test_only_findings_at_or_above_the_minimum_severity_are_sent(
    notifier: SnsNotifier, notifications: Inbox, minimum: Severity, expected: list[str]
) -> None:
    medium = make_finding(
        verdict=Verdict.failed("PG.AMI.1", (Reason("X", "x"),), {}, Severity.MEDIUM), image="ami-0med"
    )
    candidates = [
        Notification(Transition.NEW_FAILURE, make_finding(verdict=PUBLIC)),
        Notification(Transition.NEW_FAILURE, make_finding(image="ami-0high")),
        Notification(Transition.NEW_FAILURE, medium),
    ]
    sent = notifier.send(candidates, minimum)
    labels = ["MEDIUM" if n.finding is medium else n.finding.control_id for n in sent]
    assert labels == expected
    assert len(notifications.messages()) == len(expected)


def test_exempted_severity_is_judged_by_the_real_severity(notifier: SnsNotifier, notifications: Inbox) -> None:
    finding = make_finding(exempted=True)  # Label INFORMATIONAL, Original HIGH
    sent = notifier.send([Notification(Transition.RESOLVED, finding)], Severity.HIGH)
    assert len(sent) == 1
    assert notifications.messages()[0]["MessageAttributes"]["severity"]["Value"] == "HIGH"


def test_more_than_ten_notifications_are_sent_in_several_batches(
    sns: Any, notifier: SnsNotifier, notifications: Inbox
) -> None:
    calls: list[int] = []
    sns.meta.events.register(
        "before-parameter-build.sns.PublishBatch",
        lambda params, **_: calls.append(len(params["PublishBatchRequestEntries"])),
    )
    batch = [Notification(Transition.NEW_FAILURE, make_finding(image=f"ami-{i:04d}")) for i in range(23)]
    assert len(notifier.send(batch, Severity.LOW)) == 23
    assert calls == [10, 10, 3]
    delivered = {json.loads(e["Message"])["finding_id"] for e in notifications.messages()}
    assert delivered == {n.finding.id for n in batch}


def test_nothing_to_send_makes_no_call(notifier: SnsNotifier, notifications: Inbox) -> None:
    assert notifier.send([], Severity.LOW) == []
    assert notifications.messages() == []


def test_sns_refusal_raises(notifier: SnsNotifier) -> None:
    finding = replace(make_finding(), reasons=(Reason("X", "x" * 300_000),))
    with pytest.raises(NotificationError, match="SNS refused 1 notifications"):
        notifier.send([Notification(Transition.NEW_FAILURE, finding)], Severity.LOW)
