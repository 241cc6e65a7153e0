"""Remediation outcomes on the findings topic, as text: what was done (or why nothing was), to what, and
where to look. Exempted findings are said to be skipped, never skipped silently."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from provenance_guard.notify import chat_notification, finding_url, sns_message
from provenance_guard.remediation.engine import Outcome, RemediationResult

MAX_SUBJECT = 99


class SnsRemediationNotice:
    def __init__(self, sns: Any, topic_arn: str, chat: Callable[[], bool] = lambda: False) -> None:
        """`chat`: whether chat channels subscribe (the policy says so), read at each notice."""
        self._sns = sns
        self._topic_arn = topic_arn
        self._chat = chat

    def __call__(self, result: RemediationResult) -> None:
        self._sns.publish(TopicArn=self._topic_arn, **render(result, self._chat()))


def render(result: RemediationResult, chat: bool = False) -> dict[str, Any]:
    name = result.resource.arn.rsplit(":", 1)[-1]
    subject = f"[provenance-guard] remediation {result.control_id} {result.outcome.value}: {name}"
    lines = [
        f"Remediation of {result.control_id} on {result.resource.arn}: {result.outcome.value}.",
        result.detail,
    ]
    if result.change is not None:
        lines += [f"Before: {result.change.before}", f"After: {result.change.after}", f"Call: {result.change.call}"]
    if result.outcome is Outcome.EXEMPTED:
        lines.append("Exempted findings are never remediated; the exemption is in the policy (exemptions).")
    url = finding_url(result.resource.region, result.finding_id)
    lines.append(f"Finding: {url}")
    text = "\n".join(lines)
    notification = None
    if chat:
        notification = chat_notification(
            identifier=result.finding_id,
            title=subject.removeprefix("[provenance-guard] "),
            description="\n".join(lines[:-1]),
            next_steps=[f"The finding in Security Hub: {url}"],
            keywords=[result.control_id, f"REMEDIATION_{result.outcome.value}"],
            resources=[result.resource.arn],
        )
    return {
        "Subject": subject.encode("ascii", "replace").decode().replace("\n", " ")[:MAX_SUBJECT],
        **sns_message(text, notification),
        "MessageAttributes": {
            "control": {"DataType": "String", "StringValue": result.control_id},
            "transition": {"DataType": "String", "StringValue": f"REMEDIATION_{result.outcome.value}"},
        },
    }
