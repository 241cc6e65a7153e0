"""Notifications on transitions only: a new FAILED finding, or FAILED -> PASSED (SNS).

What people read is rendered in one place, `message` (a `Notification` -> subject and plain text), for
every channel that delivers it; `chat_message` gives the same content as an AWS Chatbot custom
notification for Slack and Microsoft Teams channels."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol
from urllib.parse import quote

from provenance_guard.findings import Finding
from provenance_guard.model import Severity, Status

SNS_BATCH_LIMIT = 10
MAX_SUBJECT = 99
"""SNS: "must be less than 100 characters"."""


class Transition(StrEnum):
    NEW_FAILURE = "NEW_FAILURE"
    RESOLVED = "RESOLVED"


@dataclass(frozen=True)
class Notification:
    transition: Transition
    finding: Finding


class Notifier(Protocol):
    def send(
        self, notifications: Sequence[Notification], min_severity: Severity, chat: bool = False
    ) -> list[Notification]:
        """Send the notifications at or above `min_severity` (`chat`: chat channels subscribe too);
        returns those sent."""
        ...


class NotificationError(RuntimeError):
    """SNS refused some notifications after the client's retries."""


def transition(
    previous_status: str | None,
    previous_record_state: str | None,
    finding: Finding,
    *,
    previous_exempted: bool = False,
) -> Transition | None:
    """The transition a freshly evaluated finding makes, if it is one worth telling people about.

    An exempted failure is not an open one: when its exemption expires, the failure is new news, and
    when it starts passing, nobody was waiting for a resolution.
    """
    status = finding.status
    was_open_failure = (
        previous_status == Status.FAILED.value and previous_record_state == "ACTIVE" and not previous_exempted
    )
    if status is Status.FAILED and not was_open_failure and not finding.exempted:
        return Transition.NEW_FAILURE
    if status is Status.PASSED and was_open_failure:
        return Transition.RESOLVED
    return None


def console_url(finding: Finding) -> str:
    return finding_url(finding.resource.region, finding.id)


def finding_url(region: str, finding_id: str) -> str:
    """The Security Hub console's page of one finding."""
    search = quote(f"Id=\\operator\\:EQUALS\\:{finding_id}", safe="")
    return f"https://{region}.console.aws.amazon.com/securityhub/home?region={region}#/findings?search={search}"


def message(notification: Notification) -> tuple[str, str]:
    """The (subject, plain-text body) people read, by e-mail or any other channel: what failed, why, on
    which resource, what to do about this reason, and the finding in the console (a link never cut or
    wrapped). A "now PASSES" message says what passes now and carries no remediation."""
    finding = notification.finding
    resource = finding.resource
    failed = notification.transition is Transition.NEW_FAILURE
    verb = "FAILED" if failed else "now PASSES"
    subject = f"[provenance-guard] {finding.severity.value} {finding.control_id} {verb}: {_short(resource.arn)}"
    lines = [
        f"{finding.control_id} {verb} ({finding.severity.value}): {finding.title}",
        "",
        f"Resource: {resource.arn}",
        f"Account:  {resource.account}",
        f"Region:   {resource.region}",
        "",
        "Why:" if failed else "Why it passes now:",
        *(f"  - {reason.description}" for reason in finding.reasons),
    ]
    if failed:
        lines += ["", "What to do:", f"  {finding.remediation_text}", f"  Documentation: {finding.remediation_url}"]
    lines += ["", "The finding in Security Hub:", console_url(finding), "", f"Finding id: {finding.id}"]
    return _ascii(subject)[:MAX_SUBJECT], "\n".join(lines) + "\n"


def chat_message(notification: Notification) -> dict[str, Any]:
    """The same message as a custom notification of AWS Chatbot (Amazon Q Developer in chat applications),
    which renders it in Slack's or Teams' markdown ("Custom notifications", event schema version 1.0)."""
    finding = notification.finding
    failed = notification.transition is Transition.NEW_FAILURE
    verb = "FAILED" if failed else "now PASSES"
    reasons = "\n".join(f"• {reason.description}" for reason in finding.reasons)
    steps = [finding.remediation_text, f"Documentation: {finding.remediation_url}"] if failed else []
    return chat_notification(
        identifier=finding.id,
        title=f"{finding.severity.value} {finding.control_id} {verb}: {_short(finding.resource.arn)}",
        description=f"*{finding.title}*\n`{finding.resource.arn}`\n{reasons}",
        next_steps=[*steps, f"The finding in Security Hub: {console_url(finding)}"],
        keywords=[finding.control_id, finding.severity.value, notification.transition.value],
        resources=[finding.resource.arn],
    )


def chat_notification(
    *, identifier: str, title: str, description: str, next_steps: list[str], keywords: list[str], resources: list[str]
) -> dict[str, Any]:
    return {
        "version": "1.0",
        "source": "custom",
        "id": identifier,
        "content": {
            "textType": "client-markdown",
            "title": title,
            "description": description,
            "nextSteps": next_steps,
            "keywords": keywords,
        },
        "metadata": {"summary": title, "eventType": "provenance-guard", "relatedResources": resources},
    }


def sns_message(text: str, chat: Mapping[str, Any] | None) -> dict[str, str]:
    """`Message` (and `MessageStructure`) of one publish: the text alone, or, when chat channels subscribe,
    the text for e-mail and every other protocol and the chat notification for HTTPS subscribers (AWS
    Chatbot subscribes over HTTPS)."""
    if chat is None:
        return {"Message": text}
    structured = {"default": text, "email": text, "https": json.dumps(chat, separators=(",", ":"))}
    return {"Message": json.dumps(structured), "MessageStructure": "json"}


def render(notification: Notification, chat: bool = False) -> dict[str, Any]:
    """One SNS `PublishBatch` entry: the readable subject and text (and, with `chat`, the chat channels'
    notification), and attributes subscribers can filter on."""
    finding = notification.finding
    subject, text = message(notification)
    return {
        "Subject": subject,
        **sns_message(text, chat_message(notification) if chat else None),
        "MessageAttributes": {
            "severity": {"DataType": "String", "StringValue": finding.severity.value},
            "control": {"DataType": "String", "StringValue": finding.control_id},
            "transition": {"DataType": "String", "StringValue": notification.transition.value},
        },
    }


class SnsNotifier:
    """Notifications on the findings topic (e-mail subscribers, and whatever else subscribes)."""

    def __init__(self, sns: Any, topic_arn: str) -> None:
        self._sns = sns
        self._topic_arn = topic_arn

    def send(
        self, notifications: Sequence[Notification], min_severity: Severity, chat: bool = False
    ) -> list[Notification]:
        """Publish the notifications at or above the policy's minimum severity (with `chat`, formatted for
        the chat channels too); returns those sent."""
        wanted = [n for n in notifications if n.finding.severity.rank >= min_severity.rank]
        for start in range(0, len(wanted), SNS_BATCH_LIMIT):
            chunk = wanted[start : start + SNS_BATCH_LIMIT]
            entries = [{"Id": f"n{index}", **render(n, chat)} for index, n in enumerate(chunk)]
            response = self._sns.publish_batch(TopicArn=self._topic_arn, PublishBatchRequestEntries=entries)
            if response.get("Failed"):
                raise NotificationError(f"SNS refused {len(response['Failed'])} notifications: {response['Failed']}")
        return wanted


def _ascii(text: str) -> str:
    return text.encode("ascii", "replace").decode().replace("\n", " ")


def _short(arn: str) -> str:
    """`image/ami-…`, `instance/i-…`, `repository/<name>`, or `<repository>@sha256:<12 hex>` for an image."""
    if ":repository/" in arn:
        repository, _, digest = arn.split(":repository/", 1)[1].partition("/sha256:")
        return f"{repository}@sha256:{digest[:12]}" if digest else f"repository/{repository}"
    return arn.rsplit(":", 1)[-1]
