"""The sweep: re-checks the whole inventory through the same pipeline as the events, fanned out.

1. A scheduled or "Sweep Requested" event starts a sweep (`triggers.sweep`). `plan_pages` pages through
   the inventory of every kind that has one and cuts the resources into "Sweep Page" messages of
   `PAGE_SIZE` resources.
2. It then reconciles: resources with ACTIVE findings that the inventory no longer lists get archive
   pages (only for kinds the sweep inventories, and only when every inventory completed). A kind whose
   inventory the policy bounds (CodeArtifact package versions of the internal namespaces) lists only part
   of its resources: those it does not list get evaluation pages instead (gone ones are archived then).
3. Each page is a message on the sweep queue, evaluated by the pipeline like any event: the work of
   one Lambda invocation stays small whatever the account's size, and SQS retries a failed page alone.
   Without a queue (the CLI, replay), pages run in the same process, one after the other.
   A page whose kind, action, names, account, Region or partition is malformed is an `EventError`
   (rejected, never retried), found before any AWS call is made for it.
4. A kind with a `listing` has its page carry what the list call returned for each resource
   (`listed`, within `LISTED_BUDGET_BYTES`), and its collector uses that instead of reading each
   resource again; a page older than `LISTED_MAX_AGE` when it is evaluated reads everything afresh.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from provenance_guard.clients import ClientFactory
from provenance_guard.collect.base import Kind
from provenance_guard.collect.kinds import UnknownKindError, inventoried, kind_named, ref_from_arn
from provenance_guard.model import ResourceKind, ResourceRef
from provenance_guard.policy import Policy
from provenance_guard.regions import check_scope
from provenance_guard.state import FindingStateStore
from provenance_guard.work import Action, EventError, Work

PAGE_SOURCE = ("provenance-guard", "Sweep Page")
PAGE_SIZE = 25
LISTED_BUDGET_BYTES = 128 * 1024
"""The most JSON one page's list entries may take (an SQS message holds 256 KiB); entries beyond it
stay out of the page, and their resources are read afresh."""
LISTED_MAX_AGE = timedelta(minutes=15)
"""A page evaluated later than this after its listing (SQS retries, a backlog) reads afresh."""


@dataclass(frozen=True)
class SweepScope:
    account: str
    region: str
    partition: str

    def ref(self, kind: ResourceKind, name: str) -> ResourceRef:
        return ResourceRef(kind, name, self.account, self.region, self.partition)


def plan_pages(
    clients: ClientFactory,
    state: FindingStateStore | None,
    scope: SweepScope,
    kinds: Iterable[Kind] | None = None,
    policy: Policy | None = None,
) -> Iterator[dict[str, Any]]:
    """Every page of the sweep: evaluation pages for the inventory of every inventoried kind (or of
    `kinds`), then archive pages for the resources that still have ACTIVE findings but are gone (when
    `state` is given). Kinds whose inventory needs the policy are skipped without one."""
    seen: dict[ResourceKind, set[str]] = {}
    partial: set[ResourceKind] = set()
    for descriptor in inventoried() if kinds is None else kinds:
        kind = descriptor.resource
        assert descriptor.inventoried, f"{kind} has no inventory"
        entries = _entries(descriptor, clients, scope.region, policy)
        if entries is None:
            continue
        if descriptor.inventory is None:
            partial.add(kind)
        yield from _evaluation_pages(scope, kind, entries, seen.setdefault(kind, set()))
    if state is None:
        return
    # The scan streams: only the vanished resources are kept (each ARN once, as it has several findings).
    gone: dict[ResourceKind, set[str]] = {}
    for arn in state.iter_active_resources(scope.account, scope.region):
        ref = ref_from_arn(arn, scope.account)
        if ref is not None and ref.kind in seen and ref.name not in seen[ref.kind]:
            gone.setdefault(ref.kind, set()).add(ref.name)
    for kind, names in gone.items():
        vanished = sorted(names)
        action = Action.EVALUATE if kind in partial else Action.ARCHIVE
        for start in range(0, len(vanished), PAGE_SIZE):
            yield page(scope, kind, action, vanished[start : start + PAGE_SIZE])


def _evaluation_pages(
    scope: SweepScope, kind: ResourceKind, entries: Iterable[tuple[str, Mapping[str, Any] | None]], names: set[str]
) -> Iterator[dict[str, Any]]:
    """Pages of `PAGE_SIZE` names, each carrying the list entries that fit `LISTED_BUDGET_BYTES`; every
    name is added to `names` (what reconciliation compares the state with)."""
    batch: list[str] = []
    listed: dict[str, Mapping[str, Any]] = {}
    size = 0
    for name, entry in entries:
        names.add(name)
        batch.append(name)
        if entry is not None and size + (length := len(page_body(entry))) <= LISTED_BUDGET_BYTES:
            listed[name] = entry
            size += length
        if len(batch) == PAGE_SIZE:
            yield page(scope, kind, Action.EVALUATE, batch, listed=listed)
            batch, listed, size = [], {}, 0
    if batch:
        yield page(scope, kind, Action.EVALUATE, batch, listed=listed)


def _entries(
    descriptor: Kind, clients: ClientFactory, region: str, policy: Policy | None
) -> Iterator[tuple[str, Mapping[str, Any] | None]] | None:
    """Each name of the kind's inventory with its list entry (None without a listing); None when the
    inventory needs the policy and there is none."""
    if descriptor.listing is not None:
        return descriptor.listing(clients, region)
    names = descriptor.names(clients, region, policy)
    return None if names is None else ((name, None) for name in names)


def page(
    scope: SweepScope,
    kind: ResourceKind,
    action: Action,
    names: list[str],
    detail_type: str = PAGE_SOURCE[1],
    *,
    listed: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """A "Sweep Page" message (or, with `detail_type`, another message naming resources, such as a
    recheck): an EventBridge-shaped envelope, so logs and replay read it like any event. `listed`: the
    list entries of some of `names`, stamped with the time they were read."""
    detail: dict[str, Any] = {"kind": kind.value, "action": action.value, "names": names, "partition": scope.partition}
    if listed:
        detail["listed"] = dict(listed)
        detail["listedAt"] = datetime.now(UTC).isoformat()
    return {
        "version": "0",
        "source": PAGE_SOURCE[0],
        "detail-type": detail_type,
        "account": scope.account,
        "region": scope.region,
        "resources": [],
        "detail": detail,
    }


def page_work(event: Mapping[str, Any]) -> list[Work]:
    """The work of one "Sweep Page" message; `EventError` if it is malformed."""
    detail = event.get("detail")
    if not isinstance(detail, Mapping):
        raise EventError("a sweep page has no detail object")
    return named_work(detail, event.get("account"), event.get("region"))


def named_work(detail: Mapping[str, Any], account: object, region: object) -> list[Work]:
    """The work a page's detail names (`kind`, `action`, `names`, `partition`) in `account` and `region`;
    `EventError` if malformed: an account that is not a 12-digit id, a Region or partition AWS does not
    have, or a Region of another partition are rejected here, before any AWS call."""
    try:
        kind = kind_named(detail["kind"])
        action = Action(detail["action"])
        if action not in (Action.EVALUATE, Action.ARCHIVE):
            raise ValueError(f"a page evaluates or archives, not {action.value}")
        names = detail["names"]
        if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
            raise TypeError("names is not a list of names")
        partition = detail["partition"]
        if not isinstance(partition, str):
            raise TypeError(f"partition is a {type(partition).__name__}, not a string")
        listed = _listed(detail)
    except (KeyError, ValueError, TypeError, UnknownKindError) as error:
        raise EventError(f"malformed page of work: {error!r}") from None
    scope = SweepScope(*check_scope(account, region, partition, whose="the page's"))
    return [Work(action, scope.ref(kind, name), listed=listed.get(name)) for name in names]


def _listed(detail: Mapping[str, Any]) -> Mapping[str, Mapping[str, Any]]:
    """The page's list entries by name; none when it has none or they are older than `LISTED_MAX_AGE`."""
    listed = detail.get("listed")
    if listed is None:
        return {}
    if not isinstance(listed, Mapping) or not all(isinstance(e, Mapping) for e in listed.values()):
        raise TypeError("listed is not an object of list entries by name")
    read_at = datetime.fromisoformat(str(detail.get("listedAt")))
    if read_at.tzinfo is None:
        raise ValueError("listedAt has no time zone")
    return listed if datetime.now(UTC) - read_at <= LISTED_MAX_AGE else {}


def page_body(message: Mapping[str, Any]) -> str:
    return json.dumps(message, separators=(",", ":"))


class SweepQueueError(RuntimeError):
    """SQS refused some sweep pages; the sweep request is retried (pages already sent are harmless twice)."""


def send_pages(sqs: Any, queue_url: str, pages: Iterable[dict[str, Any]], delay_seconds: int = 0) -> int:
    """Send the pages to `queue_url`, ten per call (each delayed by `delay_seconds`); returns how many
    were sent. `SweepQueueError` when SQS refuses some."""
    sent = 0
    batch: list[dict[str, Any]] = []
    for message in pages:
        batch.append(message)
        if len(batch) == 10:
            sent += _send(sqs, queue_url, batch, delay_seconds)
            batch = []
    if batch:
        sent += _send(sqs, queue_url, batch, delay_seconds)
    return sent


def _send(sqs: Any, queue_url: str, batch: list[dict[str, Any]], delay_seconds: int) -> int:
    entries = [
        {"Id": str(index), "MessageBody": page_body(message), "DelaySeconds": delay_seconds}
        for index, message in enumerate(batch)
    ]
    response = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
    if response.get("Failed"):
        raise SweepQueueError(f"SQS refused {len(response['Failed'])} pages: {response['Failed'][:3]}")
    return len(entries)
