"""The registered resource kinds: one line per module that defines kinds (its `KINDS`).

Everything that must know every kind derives it from here: ARN parsing, the sweep's inventories, the
service's collectors and expanders, the stack's IAM policies.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from provenance_guard.collect import (
    account,
    ami,
    ami_usage,
    codeartifact_domain,
    codeartifact_package,
    codeartifact_repository,
    ecr_image,
    ecr_repository,
    ecs_service,
    ecs_task_definition,
    ecs_usage,
    imagebuilder_image,
    instance,
    lambda_function,
    lambda_image_usage,
    launch_template,
)
from provenance_guard.collect.base import Kind, Usage
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
        *ecs_task_definition.KINDS,
        *ecs_service.KINDS,
        *launch_template.KINDS,
    )
}
USAGE: tuple[Usage, ...] = (*ecs_usage.USAGE, *lambda_image_usage.USAGE, *ami_usage.USAGE)
"""How to find what uses an artifact: one line per module that declares finders (its `USAGE`)."""
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
    through, of the finders of what uses `collects` (the "in use by" evidence of an image or AMI), of the
    expanders of `expands`, and (with `inventories`) of every inventory."""
    found: set[str] = {read for usage in USAGE if usage.artifact in set(collects) for read in usage.reads}
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


def users_of(artifacts: Iterable[ResourceKind]) -> set[ResourceKind]:
    """The kinds whose resources use artifacts of these kinds (re-judged when an artifact's verdict changes)."""
    wanted = set(artifacts)
    return {kind for usage in USAGE if usage.artifact in wanted for kind in usage.finds}


def inventoried() -> list[Kind]:
    """The kinds the sweep re-checks, in registration order."""
    return [kind for kind in KINDS.values() if kind.inventoried]
