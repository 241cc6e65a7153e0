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
    chat_message,
    console_url,
    message,
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


def test_render_new_failure_as_plain_text() -> None:
    finding = make_finding(verdict=PUBLIC, image="ami-0abcdef1234567890")
    entry = render(Notification(Transition.NEW_FAILURE, finding))
    assert entry["Subject"] == "[provenance-guard] CRITICAL PG.AMI.3 FAILED: image/ami-0abcdef1234567890"
    control = registry.get("PG.AMI.3")
    assert entry["Message"] == (
        f"PG.AMI.3 FAILED (CRITICAL): {control.title}\n"
        "\n"
        "Resource: arn:aws:ec2:us-east-1::image/ami-0abcdef1234567890\n"
        f"Account:  {finding.resource.account}\n"
        f"Region:   {REGION}\n"
        "\n"
        "Why:\n"
        "  - the AMI is public\n"
        "\n"
        "What to do:\n"
        f"  {control.remediation_by_reason['PUBLIC']}\n"
        f"  Documentation: {control.remediation_url}\n"
        "\n"
        "The finding in Security Hub:\n"
        f"{console_url(finding)}\n"
        "\n"
        f"Finding id: {finding.id}\n"
    )
    assert entry["MessageAttributes"] == {
        "severity": {"DataType": "String", "StringValue": "CRITICAL"},
        "control": {"DataType": "String", "StringValue": "PG.AMI.3"},
        "transition": {"DataType": "String", "StringValue": "NEW_FAILURE"},
    }


def test_remediation_follows_the_reason() -> None:
    share = Verdict.failed("PG.AMI.3", (Reason("UNEXPECTED_SHARE", "shared with account 999988887777"),), {})
    _, public = message(Notification(Transition.NEW_FAILURE, make_finding(verdict=PUBLIC)))
    _, shared = message(Notification(Transition.NEW_FAILURE, make_finding(verdict=share)))
    assert "Remove=[{Group=all}]" in public
    assert "ami.allowed_share_targets" not in public
    assert "ami.allowed_share_targets" in shared
    assert "Group=all" not in shared


def test_render_resolved_carries_no_remediation() -> None:
    finding = make_finding("PASSED")
    entry = render(Notification(Transition.RESOLVED, finding))
    assert " PG.AMI.1 now PASSES: " in entry["Subject"]
    text = entry["Message"]
    assert text.startswith(f"PG.AMI.1 now PASSES (HIGH): {finding.title}\n")
    assert "Why it passes now:\n  - trusted\n" in text
    assert "What to do" not in text
    assert finding.remediation_text not in text
    assert finding.remediation_url not in text
    assert entry["MessageAttributes"]["transition"] == {"DataType": "String", "StringValue": "RESOLVED"}


def test_the_console_link_is_never_cut_or_wrapped() -> None:
    long_ref = ResourceRef(LAMBDA_FUNCTION, "f" * 64, "111122223333", REGION)
    verdict = Verdict.failed("PG.LAMBDA.1", (Reason("NOT_ENFORCED", "x" * 300),), {})
    finding = build_finding(registry.get("PG.LAMBDA.1"), verdict, long_ref, observed_at=T0)
    _, text = message(Notification(Transition.NEW_FAILURE, finding))
    assert console_url(finding) in text.splitlines()
    assert len(console_url(finding)) > 110  # where the demo used to cut it


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
    assert envelope["Message"] == render(sent[0])["Message"]
    assert f"Resource: {finding.resource.arn}\n" in envelope["Message"]
    assert console_url(finding) in envelope["Message"].splitlines()
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
    delivered = {e["Message"].rsplit("Finding id: ", 1)[1].strip() for e in notifications.messages()}
    assert delivered == {n.finding.id for n in batch}


def test_nothing_to_send_makes_no_call(notifier: SnsNotifier, notifications: Inbox) -> None:
    assert notifier.send([], Severity.LOW) == []
    assert notifications.messages() == []


def test_sns_refusal_raises(notifier: SnsNotifier) -> None:
    finding = replace(make_finding(), reasons=(Reason("X", "x" * 300_000),))
    with pytest.raises(NotificationError, match="SNS refused 1 notifications"):
        notifier.send([Notification(Transition.NEW_FAILURE, finding)], Severity.LOW)


# --- chat channels (AWS Chatbot custom notifications) -------------------------------------------------


def test_the_chat_notification_follows_chatbots_custom_notification_schema() -> None:
    """AWS Chatbot "Custom notifications": version 1.0, source custom, content with client-markdown text."""
    notification = Notification(Transition.NEW_FAILURE, make_finding(verdict=PUBLIC, image="ami-0abcdef1234567890"))
    chat = chat_message(notification)
    assert (chat["version"], chat["source"]) == ("1.0", "custom")
    assert chat["content"]["textType"] == "client-markdown"
    assert chat["content"]["title"] == "CRITICAL PG.AMI.3 FAILED: image/ami-0abcdef1234567890"
    assert "the AMI is public" in chat["content"]["description"]
    assert notification.finding.remediation_text in chat["content"]["nextSteps"]
    assert chat["content"]["nextSteps"][-1].endswith(console_url(notification.finding))
    assert chat["metadata"]["relatedResources"] == [notification.finding.resource.arn]


def test_a_resolved_chat_notification_carries_no_remediation() -> None:
    chat = chat_message(Notification(Transition.RESOLVED, make_finding("PASSED")))
    assert len(chat["content"]["nextSteps"]) == 1
    assert "now PASSES" in chat["content"]["title"]


def test_with_chat_channels_email_gets_the_text_and_https_the_chat_notification() -> None:
    notification = Notification(Transition.NEW_FAILURE, make_finding(verdict=PUBLIC))
    entry = render(notification, chat=True)
    assert entry["MessageStructure"] == "json"
    structured = json.loads(entry["Message"])
    _, text = message(notification)
    assert structured["default"] == structured["email"] == text
    assert json.loads(structured["https"]) == chat_message(notification)
    assert "MessageStructure" not in render(notification)


def test_a_queue_subscriber_receives_the_text_when_chat_channels_subscribe(
    notifier: SnsNotifier, notifications: Inbox
) -> None:
    notification = Notification(Transition.NEW_FAILURE, make_finding(verdict=PUBLIC))
    notifier.send([notification], Severity.HIGH, chat=True)
    [envelope] = notifications.messages()
    assert envelope["Message"] == message(notification)[1]
