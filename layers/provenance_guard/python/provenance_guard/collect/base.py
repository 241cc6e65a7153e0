"""What every resource kind gives the pipeline: a snapshot, its collector, expander and inventory, and
the AWS reads each of those makes (the stack derives each function's IAM policy from them).

A kind is described once, by a `Kind` beside its collector, and registered in `collect.kinds`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from provenance_guard.clients import ClientFactory
from provenance_guard.model import ResourceKind, ResourceRef
from provenance_guard.work import Work

if TYPE_CHECKING:
    from provenance_guard.oci.ecr import EcrRegistries
    from provenance_guard.policy import Policy

T = TypeVar("T")
logger = logging.getLogger(__name__)


class Snapshot(Protocol):
    @property
    def ref(self) -> ResourceRef: ...

    @property
    def tags(self) -> Mapping[str, str]: ...

    def asff_details(self) -> Mapping[str, Any]: ...


class ActiveResources(Protocol):
    """What an expander may ask the finding state (`state.FindingStateStore`): which resources of an
    account and Region still have ACTIVE findings (a deleted repository's images)."""

    def active_resources(self, account: str, region: str, arn_prefix: str | None = None) -> set[str]: ...


class Collector(Protocol):
    def collect(self, ref: ResourceRef) -> Snapshot | None:
        """The resource's snapshot, or None when the resource no longer exists."""
        ...


Expander = Callable[[ResourceRef], list[Work]]
"""The work a resource stands for (an Image Builder image -> the AMIs it distributed)."""
Inventory = Callable[[ClientFactory, str], Iterator[str]]
"""Names (`ResourceRef.name`) of every resource of one kind in one Region, paged."""
PolicyInventory = Callable[[ClientFactory, str, "Policy"], Iterator[str]]
"""Names of the resources of one kind in one Region that the policy makes worth listing, paged (the package
versions of the policy's internal namespaces, not every version a mirror of a public registry holds)."""
Listing = Callable[[ClientFactory, str], Iterator[tuple[str, Mapping[str, Any]]]]
"""Like an `Inventory`, each name with the JSON-safe entry the list call returned for it (what its
collector would otherwise read again, per resource): a sweep page carries the entries to the collector."""


def jsonable(entry: Mapping[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    """The `keys` of a list entry that it has, with datetimes as ISO-8601 strings (a page is JSON)."""
    return {key: _json_value(entry[key]) for key in keys if key in entry}


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {k: _json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    return value


def entry_time(value: Any) -> datetime | None:
    """A time of an AWS answer (a datetime) or of a list entry carried by a page (its ISO-8601 string)."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


IN_USE_BY = "InUseBy"
IN_USE_BY_FIRST = "InUseBy.First"
USAGE_EVIDENCE = frozenset({IN_USE_BY, IN_USE_BY_FIRST})
"""Evidence keys of "in use by" (CONTROLS.md §6.1, blast radius): what uses an artifact changes as tasks and
instances come and go, so these keys are refreshed on their own schedule (`pipeline.USAGE_REFRESH`)."""
FIRST_USERS_SHOWN = 5


@dataclass(frozen=True)
class Users:
    """What uses one artifact (an image digest, an AMI): found by the kinds' `Usage` finders."""

    refs: tuple[ResourceRef, ...]
    """Sorted by ARN; at most what the finders' bounds let them find."""
    complete: bool = True
    """False when a finder stopped at its bound or could not read everything (then `refs` is a lower bound)."""

    def __add__(self, other: Users) -> Users:
        refs = sorted(set(self.refs) | set(other.refs), key=lambda ref: ref.arn)
        return Users(tuple(refs), self.complete and other.complete)

    def evidence(self) -> dict[str, str]:
        """The "in use by" evidence: counts per kind, and the first few ARNs."""
        counts: dict[str, int] = {}
        for ref in self.refs:
            counts[ref.kind.value] = counts.get(ref.kind.value, 0) + 1
        summary = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items())) or "nothing found"
        if not self.complete:
            summary += " (at least: the search was bounded or partly unreadable)"
        shown = ", ".join(ref.arn for ref in self.refs[:FIRST_USERS_SHOWN]) or "-"
        return {IN_USE_BY: summary, IN_USE_BY_FIRST: shown[:1000]}


UsersFinder = Callable[[ResourceRef], Users]


@dataclass(frozen=True)
class Usage:
    """How to find the resources that use artifacts of one kind (the running tasks of an image digest, the
    instances and launch templates of an AMI), and the artifact controls their own verdicts depend on: a
    change of one of those re-judges them (blast radius)."""

    artifact: ResourceKind
    finds: tuple[ResourceKind, ...]
    controls: frozenset[str]
    finder: Callable[[Collection], UsersFinder]
    reads: tuple[str, ...]


class RunCache:
    """What one pipeline run reads once: registry settings, repository tags, manifests, images read
    twice, and the list entries a sweep page carries. The pipeline clears it as each run starts, so the
    next run (the next event) reads everything again."""

    def __init__(self) -> None:
        self._values: dict[Hashable, Any] = {}
        self._listed: dict[ResourceRef, Mapping[str, Any]] = {}

    def put_listed(self, ref: ResourceRef, entry: Mapping[str, Any]) -> None:
        """Record what the inventory's list call returned for `ref` (a sweep page's entry)."""
        self._listed[ref] = entry

    def listed(self, ref: ResourceRef) -> Mapping[str, Any] | None:
        """The list entry of `ref` in this run, or None (an event: read it fresh)."""
        return self._listed.get(ref)

    def once(self, key: Hashable, read: Callable[[], T]) -> T:
        if key not in self._values:
            self._values[key] = read()
        value: T = self._values[key]
        return value

    def clear(self) -> None:
        self._values.clear()
        self._listed.clear()


class LazyTags(Mapping[str, str]):
    """A resource's tags, read on first use only: exemptions by tag are their only reader, and they look
    at a FAILED result's tags when the policy has such an exemption (most results never need them)."""

    def __init__(self, read: Callable[[], Mapping[str, str]]) -> None:
        self._read: Callable[[], Mapping[str, str]] | None = read
        self._tags: Mapping[str, str] = {}

    def _loaded(self) -> Mapping[str, str]:
        if self._read is not None:
            self._tags, self._read = dict(self._read()), None
        return self._tags

    def __getitem__(self, key: str) -> str:
        return self._loaded()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._loaded())

    def __len__(self) -> int:
        return len(self._loaded())

    def __repr__(self) -> str:
        return "LazyTags(unread)" if self._read is not None else f"LazyTags({self._tags!r})"


class Collection:
    """Builds each kind's collector and expander on first use, for one service; they share the clients,
    the OCI registries, the finding state (an expander may read it) and the run cache."""

    def __init__(
        self,
        clients: ClientFactory,
        registries: EcrRegistries,
        kinds: Mapping[ResourceKind, Kind],
        state: ActiveResources | None = None,
        usage: Sequence[Usage] = (),
    ) -> None:
        self.clients = clients
        self.registries = registries
        self.state = state
        self.run = RunCache()
        self._kinds = kinds
        self._collectors: dict[ResourceKind, Collector | None] = {}
        self._expanders: dict[ResourceKind, Expander | None] = {}
        self._shared: dict[type[Any], Any] = {}
        self._usage = tuple(usage)
        self._finders: dict[int, UsersFinder] = {}

    def collector(self, kind: ResourceKind) -> Collector | None:
        if kind not in self._collectors:
            build = self._kinds[kind].collector if kind in self._kinds else None
            self._collectors[kind] = build(self) if build else None
        return self._collectors[kind]

    def expander(self, kind: ResourceKind) -> Expander | None:
        if kind not in self._expanders:
            build = self._kinds[kind].expander if kind in self._kinds else None
            self._expanders[kind] = build(self) if build else None
        return self._expanders[kind]

    def users(self, ref: ResourceRef) -> Users | None:
        """What uses the artifact `ref`, once per run; None when no finder looks for users of its kind."""
        finders = [(index, usage) for index, usage in enumerate(self._usage) if usage.artifact is ref.kind]
        if not finders:
            return None
        return self.run.once((Users, ref), lambda: self._find(ref, finders))

    def _find(self, ref: ResourceRef, finders: list[tuple[int, Usage]]) -> Users:
        """A finder that cannot read (denied, throttled past the retries) leaves the answer incomplete; the
        artifact is still judged."""
        from botocore.exceptions import BotoCoreError, ClientError

        found = Users(())
        for index, usage in finders:
            if index not in self._finders:
                self._finders[index] = usage.finder(self)
            try:
                found = found + self._finders[index](ref)
            except (BotoCoreError, ClientError) as error:
                finds = "/".join(kind.value for kind in usage.finds)
                logger.warning("cannot find the %s resources using %s: %s", finds, ref.arn, error)
                found = found + Users((), complete=False)
        return found

    def shared(self, cls: type[T], build: Callable[[Collection], T]) -> T:
        """One instance of `cls` for every collector of this service (a reader several kinds use)."""
        if cls not in self._shared:
            self._shared[cls] = build(self)
        value: T = self._shared[cls]
        return value


@dataclass(frozen=True)
class Kind:
    """Everything the pipeline, the sweep and the stack need to know about one resource kind."""

    resource: ResourceKind
    collector: Callable[[Collection], Collector] | None = None
    collector_reads: tuple[str, ...] = ()
    expander: Callable[[Collection], Expander] | None = None
    """Kinds that stand for other work (a registry-wide change -> its repositories) have one."""
    expander_reads: tuple[str, ...] = ()
    inventory: Inventory | None = None
    """Kinds the sweep re-checks have one; their vanished resources' findings are archived."""
    inventory_reads: tuple[str, ...] = ()
    policy_inventory: PolicyInventory | None = None
    """Instead of `inventory`, for a kind the sweep lists only in part: a resource with ACTIVE findings it
    does not list is evaluated again (archived if gone), never archived unseen."""
    listing: Listing | None = None
    """The inventory with each resource's list entry, for kinds whose collector can use it (the
    sweep pages it); `inventory` stays the names alone."""
    uses: tuple[ResourceKind, ...] = ()
    """Kinds whose collectors this kind's collector reads through (an instance -> its AMI)."""

    @property
    def judged(self) -> bool:
        return self.collector is not None

    @property
    def inventoried(self) -> bool:
        return self.inventory is not None or self.policy_inventory is not None

    def names(self, clients: ClientFactory, region: str, policy: Policy | None) -> Iterator[str] | None:
        """The sweep's inventory of this kind; None when it needs the policy and has none."""
        if self.inventory is not None:
            return self.inventory(clients, region)
        if self.policy_inventory is None or policy is None:
            return None
        return self.policy_inventory(clients, region, policy)
