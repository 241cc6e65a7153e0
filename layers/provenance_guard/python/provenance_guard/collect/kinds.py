"""The registered resource kinds: one line per module that defines kinds (its `KINDS`).

Everything that must know every kind derives it from here: ARN parsing, the sweep's inventories, the
service's collectors and expanders, the stack's IAM policies.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from provenance_guard.collect import (
    account,
    ami,
    codeartifact_domain,
    codeartifact_package,
    codeartifact_repository,
    ecr_image,
    ecr_repository,
    imagebuilder_image,
    instance,
    lambda_function,
)
from provenance_guard.collect.base import Kind
from provenance_guard.model import ResourceKind, ResourceRef

KINDS: Mapping[ResourceKind, Kind] = {
    kind.resource: kind
    for kind in (
        *account.KINDS,
        *ami.KINDS,
        *imagebuilder_image.KINDS,
        *instance.KINDS,
        *ecr_repository.KINDS,
        *ecr_image.KINDS,
        *lambda_function.KINDS,
        *codeartifact_domain.KINDS,
        *codeartifact_repository.KINDS,
        *codeartifact_package.KINDS,
    )
}
_BY_VALUE = {kind.value: kind for kind in KINDS}


class UnknownKindError(LookupError):
    """No registered kind has that name."""


def kind_named(value: str) -> ResourceKind:
    """The kind whose `value` is `value` (as sweep pages and rechecks name it)."""
    try:
        return _BY_VALUE[value]
    except KeyError:
        raise UnknownKindError(f"{value!r} is not a resource kind ({', '.join(sorted(_BY_VALUE))})") from None


def ref_from_arn(arn: str, account: str) -> ResourceRef | None:
    """The `ResourceRef` whose canonical ARN is `arn` (the inverse of `ResourceRef.arn`), or None for an
    ARN of no judged kind. `account` fills in what an AMI ARN does not carry."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    _, partition, service, region, arn_account, resource = parts
    for kind, descriptor in KINDS.items():
        if kind.arn is None or not descriptor.judged:
            continue
        name = kind.arn.parse(service, resource)
        if name is not None:
            return ResourceRef(kind, name, arn_account or account, region, partition)
    return None


def reads(
    collects: Iterable[ResourceKind], expands: Iterable[ResourceKind] = (), *, inventories: bool = False
) -> set[str]:
    """What a function may call: the reads of the collectors of `collects` and of the kinds they read
    through, of the expanders of `expands`, and (with `inventories`) of every inventory."""
    found: set[str] = set()
    pending = list(collects)
    seen: set[ResourceKind] = set()
    while pending:
        kind = pending.pop()
        if kind not in seen:
            seen.add(kind)
            found.update(KINDS[kind].collector_reads)
            pending.extend(KINDS[kind].uses)
    for kind in expands:
        found.update(KINDS[kind].expander_reads)
    if inventories:
        found.update(read for descriptor in inventoried() for read in descriptor.inventory_reads)
    return found


def inventoried() -> list[Kind]:
    """The kinds the sweep re-checks, in registration order."""
    return [kind for kind in KINDS.values() if kind.inventoried]
