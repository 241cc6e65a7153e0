"""Re-evaluating provisional results: a verdict that is expected to change without an event announcing
it (ECR managed signing still in progress when the image's push is judged) is judged again a little
later, so it does not wait for the daily sweep.

The event-driven function sends the resources back to its own queue as "Recheck" messages (an
EventBridge-shaped envelope, like the sweep's pages), delayed by each of `DELAYS_SECONDS`. A Recheck's
own results never schedule another, so the work is bounded: at most two extra evaluations per event.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from provenance_guard.events import Action, Envelope, EventError, Work
from provenance_guard.model import ResourceKind, ResourceRef

logger = logging.getLogger(__name__)

SOURCE = "provenance-guard"
DETAIL_TYPE = "Recheck"
DELAYS_SECONDS = (120, 900)
"""Two minutes (managed signing usually completes within it), then SQS's longest delay."""
MAX_NAMES = 25


def is_recheck(event: Mapping[str, Any]) -> bool:
    return event.get("source") == SOURCE and event.get("detail-type") == DETAIL_TYPE


def messages(refs: Sequence[ResourceRef]) -> list[dict[str, Any]]:
    """Recheck messages naming `refs`, one per account, Region and kind (at most MAX_NAMES names each)."""
    groups: dict[tuple[str, str, str, ResourceKind], list[str]] = {}
    for ref in refs:
        groups.setdefault((ref.account, ref.region, ref.partition, ref.kind), []).append(ref.name)
    found = []
    for (account, region, partition, kind), names in groups.items():
        for start in range(0, len(names), MAX_NAMES):
            detail = {"kind": kind.value, "names": names[start : start + MAX_NAMES], "partition": partition}
            found.append(
                {
                    "version": "0",
                    "source": SOURCE,
                    "detail-type": DETAIL_TYPE,
                    "account": account,
                    "region": region,
                    "resources": [],
                    "detail": detail,
                }
            )
    return found


def schedule(sqs: Any, queue_url: str, refs: Sequence[ResourceRef]) -> int:
    """Send the rechecks of `refs` to `queue_url`, once per delay; returns how many messages SQS took."""
    entries = [
        {"Id": f"{delay}-{index}", "MessageBody": json.dumps(message, separators=(",", ":")), "DelaySeconds": delay}
        for delay in DELAYS_SECONDS
        for index, message in enumerate(messages(refs))
    ]
    sent = 0
    for start in range(0, len(entries), 10):
        response = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries[start : start + 10])
        sent += len(response.get("Successful", []))
        for failed in response.get("Failed", []):
            logger.warning("a recheck was not queued; the daily sweep will judge it", extra={"failed": failed})
    return sent


def recheck_work(detail: Mapping[str, Any], envelope: Envelope) -> list[Work]:
    """The work of a Recheck message: evaluate each named resource."""
    try:
        kind = ResourceKind(detail["kind"])
        names = detail["names"]
        if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
            raise TypeError("names is not a list of names")
    except (KeyError, ValueError, TypeError) as error:
        raise EventError(f"malformed recheck: {error!r}") from None
    return [Work(Action.EVALUATE, envelope.ref(kind, name)) for name in names]


PARSERS = {(SOURCE, DETAIL_TYPE): recheck_work}
