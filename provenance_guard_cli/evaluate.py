"""`provenance-guard evaluate`: the controls against a live account, with the user's credentials.

The same inventory and pipeline as the deployed sweep, read-only unless `--import`. It streams: the
inventory yields pages of `PAGE_SIZE` resources (`sweep.plan_pages`), each page is evaluated and handed to
the outputs, and only the page's findings are held at a time, so memory stays flat whatever the account's
size. `--resource` lists are paged the same way.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from provenance_guard.clients import ClientFactory
from provenance_guard.collect.base import Kind
from provenance_guard.collect.kinds import inventoried, ref_from_arn
from provenance_guard.controls import registry
from provenance_guard.findings import Finding
from provenance_guard.model import ResourceKind, ResourceRef, partition_for_region
from provenance_guard.service import Service, build_service
from provenance_guard.settings import Settings
from provenance_guard.sweep import PAGE_SIZE, SweepScope, page_work, plan_pages
from provenance_guard.work import Action, Work


class EvaluateError(RuntimeError):
    """The command cannot run as asked (an ARN of no judged kind, an unknown control, no Region)."""


@dataclass(frozen=True)
class EvaluateOptions:
    policy: str
    regions: Sequence[str] = ()
    """Empty: the Region of the user's AWS configuration."""
    resources: Sequence[str] = ()
    """Only these ARNs (empty: the whole inventory)."""
    controls: Sequence[str] = ()
    """Only these control ids (empty: every control)."""
    do_import: bool = False
    table: str | None = None
    profile: str | None = None
    role_arn: str | None = None
    registry_url: str | None = None


class Progress(Protocol):
    def found(self, count: int) -> None:
        """`count` more resources are queued for evaluation."""

    def inventory_done(self) -> None: ...

    def evaluated(self, count: int) -> None: ...


@dataclass
class PageOutcome:
    """What one page gave: its findings (only this page's), and what the run did with them."""

    findings: list[Finding]
    missing: list[ResourceRef] = field(default_factory=list)
    imported: int = 0
    unchanged: int = 0
    archived: int = 0


@dataclass(frozen=True)
class Target:
    account: str
    regions: tuple[str, ...]


class Evaluation:
    """One `evaluate` run: resolves who and where, then streams page outcomes."""

    def __init__(self, options: EvaluateOptions, clients: ClientFactory | None = None) -> None:
        self.options = options
        if options.registry_url and not options.registry_url.startswith(("http://", "https://")):
            raise EvaluateError(f"--registry-url must be an http(s) URL, got {options.registry_url!r}")
        self.controls = _control_ids(options.controls)
        self._clients = clients or _clients(options)
        caller = self._clients.client("sts")
        regions = tuple(dict.fromkeys(options.regions)) or (
            (caller.meta.region_name,) if caller.meta.region_name else ()
        )
        if not regions:
            raise EvaluateError("no Region: pass --regions or configure one (AWS_DEFAULT_REGION or your profile)")
        self.target = Target(caller.get_caller_identity()["Account"], regions)
        self._refs = [_resource_ref(arn, self.target.account) for arn in options.resources]
        settings = Settings(
            table_name=options.table or "",
            topic_arn=None,
            policy_parameter=None,
            policy_file=options.policy,
            function="cli-evaluate",
            registry_url=options.registry_url,
        )
        self._service: Service = build_service(settings, self._clients, read_only=not options.do_import)

    def pages(self, progress: Progress | None = None) -> Iterator[PageOutcome]:
        work_pages = self._resource_pages() if self._refs else self._inventory_pages()
        for page in _counted(work_pages, progress):
            report = self._service.pipeline.run(page)
            findings = [e.finding for e in report.evaluated]
            if progress is not None:
                progress.evaluated(len({w.resource for w in page if w.action is Action.EVALUATE}))
            missing = report.vanished if self._refs else []
            yield PageOutcome(findings, missing, report.imported, report.unchanged, len(report.archived))

    def _inventory_pages(self) -> Iterator[list[Work]]:
        kinds = _kinds_judged_by(self.controls)
        state = self._service.state if self.options.do_import and self.controls is None else None
        for region in self.target.regions:
            scope = SweepScope(self.target.account, region, partition_for_region(region))
            for message in plan_pages(self._clients, state, scope, kinds, policy=self._service.policy()):
                yield [_restricted(work, self.controls) for work in page_work(message)]

    def _resource_pages(self) -> Iterator[list[Work]]:
        """The named resources, `PAGE_SIZE` at a time, one kind and Region per page (as the sweep pages)."""
        groups: dict[tuple[ResourceKind, str], list[ResourceRef]] = {}
        for ref in self._refs:
            groups.setdefault((ref.kind, ref.region), []).append(ref)
        for refs in groups.values():
            unique = list(dict.fromkeys(refs))
            for start in range(0, len(unique), PAGE_SIZE):
                yield [Work(Action.EVALUATE, ref, self.controls) for ref in unique[start : start + PAGE_SIZE]]


def _counted(pages: Iterator[list[Work]], progress: Progress | None) -> Iterator[list[Work]]:
    for page in pages:
        if progress is not None:
            progress.found(sum(w.action is Action.EVALUATE for w in page))
        yield page
    if progress is not None:
        progress.inventory_done()


def _clients(options: EvaluateOptions) -> ClientFactory:
    if options.profile is None and options.role_arn is None:
        return ClientFactory()
    from provenance_guard_cli.credentials import evaluation_session

    return ClientFactory(evaluation_session(options.profile, options.role_arn))


def _control_ids(requested: Sequence[str]) -> frozenset[str] | None:
    if not requested:
        return None
    wanted = {c.strip().upper() for c in requested}
    unknown = sorted(c for c in wanted if c not in registry)
    if unknown:
        raise EvaluateError(f"no such control: {', '.join(unknown)} (`provenance-guard controls` lists them)")
    return frozenset(wanted)


def _kinds_judged_by(controls: frozenset[str] | None) -> list[Kind] | None:
    if controls is None:
        return None
    judged = {registry.get(c).resource_kind for c in controls}
    return [kind for kind in inventoried() if kind.resource in judged]


def _restricted(work: Work, controls: frozenset[str] | None) -> Work:
    return (
        work if controls is None or work.action is not Action.EVALUATE else Work(work.action, work.resource, controls)
    )


def _resource_ref(arn: str, account: str) -> ResourceRef:
    ref = ref_from_arn(arn.strip(), account)
    if ref is None:
        kinds = "an AMI, EC2 instance, ECR repository or image, or Lambda function"
        raise EvaluateError(f"{arn} is not the ARN of {kinds} (the kinds provenance-guard judges)")
    return ref
