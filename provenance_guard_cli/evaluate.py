"""`provenance-guard evaluate`: the controls against a live account, with the user's credentials.

The same inventory and pipeline as the deployed sweep; read-only unless `--import`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from provenance_guard.asff import to_asff
from provenance_guard.clients import ClientFactory
from provenance_guard.collect.kinds import ref_from_arn
from provenance_guard.model import Severity, Status, partition_for_region
from provenance_guard.pipeline import Evaluated
from provenance_guard.policy import Policy
from provenance_guard.service import build_service
from provenance_guard.settings import Settings
from provenance_guard.sweep import SweepScope, page_work, plan_pages
from provenance_guard.work import Action, Work


class EvaluateError(RuntimeError):
    """The command cannot run as asked (bad ARN, no region)."""


@dataclass(frozen=True)
class EvaluateOptions:
    policy: str
    region: str | None
    resources: Sequence[str]
    do_import: bool
    table: str | None


def evaluate(options: EvaluateOptions, progress: bool) -> list[Evaluated]:
    clients = ClientFactory()
    region = options.region or clients.client("sts").meta.region_name
    if not region:
        raise EvaluateError("no region: pass --region or configure one (AWS_DEFAULT_REGION)")
    account = clients.client("sts", region).get_caller_identity()["Account"]
    settings = Settings(
        table_name=options.table or "",
        topic_arn=None,
        policy_parameter=None,
        policy_file=options.policy,
        function="cli-evaluate",
    )
    service = build_service(settings, clients, read_only=not options.do_import)
    scope = SweepScope(account, region, partition_for_region(region))
    if options.resources:
        pages = _resource_pages(options.resources, account)
    else:
        pages = _inventory_pages(clients, scope, service.policy())
    results: list[Evaluated] = []
    total = sum(len(page) for page in pages)
    for page in pages:
        results.extend(service.pipeline.run(page).evaluated)
        if progress:
            done = len({e.ref for e in results})
            _progress(done, total)
    if progress:
        print(file=sys.stderr)
    return results


def failing_at_or_above(results: Sequence[Evaluated], threshold: Severity) -> list[Evaluated]:
    """FAILED results whose reported severity reaches `threshold` (exempted ones are INFORMATIONAL)."""
    return [
        e for e in results if e.finding.status is Status.FAILED and e.finding.reported_severity.rank >= threshold.rank
    ]


def _inventory_pages(clients: ClientFactory, scope: SweepScope, policy: Policy) -> list[list[Work]]:
    return [page_work(message) for message in plan_pages(clients, None, scope, policy=policy)]


def _resource_pages(arns: Sequence[str], account: str) -> list[list[Work]]:
    work: list[Work] = []
    for arn in arns:
        ref = ref_from_arn(arn, account)
        if ref is None:
            raise EvaluateError(
                f"{arn} is not the ARN of an AMI, instance, ECR repository or image, function, or CodeArtifact "
                "domain, repository or package version (its package ARN followed by /<version>)"
            )
        work.append(Work(Action.EVALUATE, ref))
    return [work]


def _progress(done: int, total: int, width: int = 30) -> None:
    filled = int(width * done / total) if total else width
    print(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} resources", end="", file=sys.stderr, flush=True)


def as_json(results: Sequence[Evaluated]) -> list[dict[str, Any]]:
    return [to_asff(e.finding) for e in results]
