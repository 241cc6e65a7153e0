"""The one path from work to findings, used by every handler, the sweep, `replay` and `evaluate`.

collect (AWS reads) -> evaluate (pure controls) -> findings -> state diff -> sinks (Security Hub) -> notifiers.

Per-item failures are classified by `provenance_guard.failures`: an item AWS refuses as invalid (a
ValidationException, an InvalidParameter* answer, botocore's parameter validation, ...) and a finding
Security Hub refuses as invalid (InvalidInput, InvalidAccess) are permanent: listed in the report
(`rejected_items`, `rejected_findings`) for the caller to log and count, never retried. Transient ones
raise `WorkError` / `PublishError` once everything else is published, so the record is retried.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from provenance_guard.collect.base import USAGE_EVIDENCE, Collection, Snapshot
from provenance_guard.controls.registry import ControlRegistry, EvaluationContext
from provenance_guard.exemptions import find_exemption
from provenance_guard.failures import Failure, classify, classify_finding_code, reason
from provenance_guard.findings import Finding, build_finding, finding_id, fingerprint
from provenance_guard.model import ResourceRef, Status, Verdict
from provenance_guard.notify import Notification, Notifier, Transition, transition
from provenance_guard.policy import Policy
from provenance_guard.publish import FailedFinding, Sink
from provenance_guard.state import FindingRecord, FindingStateStore, next_updated_at
from provenance_guard.work import Action, Work

logger = logging.getLogger(__name__)

REFRESH_AFTER = timedelta(days=30)
"""Unchanged findings are re-imported this long after their last update, well inside Security
Hub's 90-day retention of findings that are never updated."""
USAGE_REFRESH = timedelta(days=1)
"""A finding whose only change is its "in use by" evidence (tasks and instances come and go) is
re-imported at most this often; any other change re-imports it at once, with the current usage."""


class PublishError(RuntimeError):
    """Some findings were not imported for a reason that can pass; the work must be retried (and reaches
    the DLQ if it keeps failing). `report` is the run's report up to then (its rejections included)."""

    def __init__(self, failed: Sequence[FailedFinding], report: RunReport | None = None) -> None:
        super().__init__(
            f"{len(failed)} findings were not imported: "
            + "; ".join(f"{f.finding_id}: {f.error_code} {f.error_message}" for f in failed[:5])
        )
        self.failed = list(failed)
        self.report = report or RunReport()


class WorkError(RuntimeError):
    """Some items could not be expanded or evaluated for a reason that can pass; every other item's
    results were published. The record is retried (reaching the DLQ if it keeps failing); the items
    already done are then unchanged. `report` is the run's report (its rejections included)."""

    def __init__(self, failed: Sequence[tuple[ResourceRef, str]], report: RunReport | None = None) -> None:
        super().__init__(
            f"{len(failed)} items could not be judged: " + "; ".join(f"{ref.arn}: {why}" for ref, why in failed[:5])
        )
        self.failed = list(failed)
        self.report = report or RunReport()


@dataclass(frozen=True)
class Evaluated:
    ref: ResourceRef
    verdict: Verdict
    finding: Finding


@dataclass
class RunReport:
    evaluated: list[Evaluated] = field(default_factory=list)
    archived: list[str] = field(default_factory=list)
    vanished: list[ResourceRef] = field(default_factory=list)
    imported: int = 0
    unchanged: int = 0
    notified: list[Notification] = field(default_factory=list)
    new_failures: list[Finding] = field(default_factory=list)
    """Findings imported by this run that newly fail (whether or not their severity is notified)."""
    securityhub_calls: int = 0
    rejected_items: list[tuple[ResourceRef, str]] = field(default_factory=list)
    """Items AWS refused as invalid (a permanent failure, with its reason): never retried."""
    rejected_findings: list[FailedFinding] = field(default_factory=list)
    """Findings Security Hub refused as invalid (InvalidInput, InvalidAccess): never retried."""
    changed: list[Finding] = field(default_factory=list)
    """Imported findings whose status, severity or record state changed (or that are new): what the
    resources using an artifact depend on (blast radius)."""

    @property
    def provisional(self) -> list[ResourceRef]:
        """Resources with a provisional verdict, to evaluate again shortly (each once)."""
        return list(dict.fromkeys(e.ref for e in self.evaluated if e.verdict.provisional))


@dataclass(frozen=True)
class _Candidate:
    finding: Finding
    previous: FindingRecord | None


class Pipeline:
    def __init__(
        self,
        *,
        registry: ControlRegistry,
        collection: Collection,
        policy: Callable[[], Policy],
        state: FindingStateStore | None,
        sinks: Sequence[Sink],
        notifiers: Sequence[Notifier],
        clock: Callable[[], datetime],
    ) -> None:
        """No sinks: a read-only evaluation (nothing is published, recorded or notified)."""
        self._registry = registry
        self._collection = collection
        self._policy = policy
        self._state = state
        self._sinks = tuple(sinks)
        self._notifiers = tuple(notifiers)
        self._clock = clock

    def run(self, work: Sequence[Work]) -> RunReport:
        """Evaluate or archive every item, then publish what changed. Raises `PublishError` after
        recording what did get imported, so a retry redoes only the rest; raises `WorkError` after
        publishing everything else when some items failed (one resource's error never costs the
        others their results)."""
        self._collection.run.clear()
        for item in work:
            if item.listed is not None:
                self._collection.run.put_listed(item.resource, item.listed)
        report = RunReport()
        now = self._clock()
        policy = self._policy()
        fresh: list[Finding] = []
        quiet: set[str] = set()
        archive_refs: list[ResourceRef] = []
        failed: list[tuple[ResourceRef, str]] = []
        for item in self._expand(work, failed, report):
            if item.action is not Action.EVALUATE:
                archive_refs.append(item.resource)
                continue
            try:
                evaluated = self._evaluate(item, policy, now)
            except Exception as error:
                _failed(item, error, failed, report)
                continue
            if evaluated is None:
                report.vanished.append(item.resource)
                archive_refs.append(item.resource)
            else:
                report.evaluated.extend(evaluated)
                fresh.extend(e.finding for e in evaluated)
                quiet.update(e.finding.id for e in evaluated if e.verdict.quiet)
        candidates = self._diff(fresh, quiet, now, report) + self._archivals(archive_refs, now, report)
        self._publish(candidates, report, policy)
        if failed:
            raise WorkError(failed, report)
        return report

    def _expand(self, work: Sequence[Work], failed: list[tuple[ResourceRef, str]], report: RunReport) -> list[Work]:
        expanded: list[Work] = []
        for item in work:
            if item.action is not Action.EXPAND:
                expanded.append(item)
                continue
            expander = self._collection.expander(item.resource.kind)
            if expander is None:
                raise LookupError(f"nothing expands {item.resource.kind.value} resources")
            try:
                found = expander(item.resource)
            except Exception as error:
                _failed(item, error, failed, report)
                continue
            expanded += [_restricted(f, item.controls) for f in found if f.action is not Action.EXPAND]
        return expanded

    def _evaluate(self, item: Work, policy: Policy, now: datetime) -> list[Evaluated] | None:
        ref = item.resource
        controls = [c for c in self._registry.for_kind(ref.kind) if item.controls is None or c.id in item.controls]
        if not controls:
            logger.warning("no controls judge %s resources yet; nothing to evaluate for %s", ref.kind.value, ref.arn)
            return []
        collector = self._collection.collector(ref.kind)
        if collector is None:
            raise LookupError(f"no collector for {ref.kind.value} resources")
        snapshot = collector.collect(ref)
        if snapshot is None:
            logger.info("%s no longer exists; archiving its findings", ref.arn)
            return None
        context = EvaluationContext(ref.account, ref.region, ref.partition, now)
        verdicts = [v for v in (control.evaluate(snapshot, policy, context) for control in controls) if v is not None]
        users = self._collection.users(ref) if verdicts else None
        if users is not None:
            verdicts = [replace(v, evidence={**v.evidence, **users.evidence()}) for v in verdicts]
        return [Evaluated(ref, v, self._finding(v.control_id, v, snapshot, policy, now)) for v in verdicts]

    def _finding(self, control_id: str, verdict: Verdict, snapshot: Snapshot, policy: Policy, now: datetime) -> Finding:
        exemption = None
        if verdict.status is Status.FAILED:
            exemption = find_exemption(policy.exemptions, control_id, snapshot.ref.arn, snapshot.tags, now.date())
        return build_finding(
            self._registry.get(control_id),
            verdict,
            snapshot.ref,
            observed_at=now,
            exemption=exemption,
            resource_details=snapshot.asff_details(),
        )

    def _diff(self, fresh: list[Finding], quiet: set[str], now: datetime, report: RunReport) -> list[_Candidate]:
        previous = self._state.get_many(f.id for f in fresh) if self._state else {}
        candidates = []
        for finding in fresh:
            record = previous.get(finding.id)
            if finding.id in quiet and (record is None or record.record_state != "ACTIVE"):
                report.unchanged += 1  # a quiet pass with no ACTIVE finding to update: nothing to record
                continue
            if record is not None:
                if (
                    record.fingerprint == fingerprint(finding)
                    and record.record_state == "ACTIVE"
                    and not _stale(record, now)
                    and (_usage(record.finding) == _usage(finding) or not _stale(record, now, USAGE_REFRESH))
                ):
                    report.unchanged += 1
                    continue
                finding = replace(
                    finding,
                    created_at=record.finding.created_at,
                    first_observed_at=record.finding.first_observed_at,
                    updated_at=next_updated_at(record.updated_at, now),
                )
            candidates.append(_Candidate(finding, record))
        return candidates

    def _archivals(self, refs: list[ResourceRef], now: datetime, report: RunReport) -> list[_Candidate]:
        # Finding ids are deterministic, so a consistent read of the base table finds every finding of
        # the resource, even one imported a moment ago (the ByResource index is eventually consistent).
        ids = [finding_id(ref, control.id) for ref in refs for control in self._registry.for_kind(ref.kind)]
        candidates = []
        for record in self._state.get_many(ids).values() if self._state else ():
            if record.record_state != "ARCHIVED":
                updated = next_updated_at(record.updated_at, now)
                candidates.append(_Candidate(record.finding.archived(updated), record))
                report.archived.append(record.finding_id)
        return candidates

    def _publish(self, candidates: list[_Candidate], report: RunReport, policy: Policy) -> None:
        if not candidates or not self._sinks:  # nothing new, or a read-only evaluation
            return
        findings = [c.finding for c in candidates]
        imported_ids = {c.finding.id for c in candidates}
        failed: list[FailedFinding] = []
        for sink in self._sinks:
            result = sink.publish(findings)
            report.securityhub_calls += result.calls
            imported_ids &= set(result.imported)
            failed += result.failed
        imported = [c for c in candidates if c.finding.id in imported_ids]
        report.changed.extend(c.finding for c in imported if _changed(c))
        notifications = [n for n in map(_notification, imported) if n is not None]
        report.new_failures.extend(n.finding for n in notifications if n.transition is Transition.NEW_FAILURE)
        for notifier in self._notifiers if notifications else ():
            # Before saving state: if a notifier fails, the retry re-imports and notifies again.
            chat = bool(policy.notifications.chat)
            report.notified.extend(notifier.send(notifications, policy.notifications.min_severity, chat))
        if self._state is not None:
            self._state.save_many((c.finding, fingerprint(c.finding)) for c in imported)
        report.imported += len(imported)
        report.rejected_findings += [f for f in failed if classify_finding_code(f.error_code) is Failure.PERMANENT]
        retry = [f for f in failed if classify_finding_code(f.error_code) is Failure.TRANSIENT]
        if retry:
            raise PublishError(retry, report)


def _failed(item: Work, error: Exception, failed: list[tuple[ResourceRef, str]], report: RunReport) -> None:
    if classify(error) is Failure.PERMANENT:
        logger.warning("cannot judge %s, and a retry would not change that: %s", item.resource.arn, reason(error))
        report.rejected_items.append((item.resource, reason(error)))
        return
    logger.exception("cannot judge %s; the other items go on", item.resource.arn)
    failed.append((item.resource, reason(error)[:300]))


def _notification(candidate: _Candidate) -> Notification | None:
    finding, previous = candidate.finding, candidate.previous
    if not finding.active:
        return None
    change = transition(
        previous.status if previous else None,
        previous.record_state if previous else None,
        finding,
        previous_exempted=previous is not None and previous.finding.exempted,
    )
    return Notification(change, finding) if change else None


def _restricted(work: Work, controls: frozenset[str] | None) -> Work:
    """Work an expansion produced, limited to the controls the expanded item asked for."""
    if controls is None:
        return work
    return replace(work, controls=controls if work.controls is None else work.controls & controls)


def _stale(record: FindingRecord, now: datetime, after: timedelta = REFRESH_AFTER) -> bool:
    updated = datetime.fromisoformat(record.updated_at.replace("Z", "+00:00"))
    return now - updated >= after


def _usage(finding: Finding) -> dict[str, str]:
    return {key: value for key, value in finding.evidence.items() if key in USAGE_EVIDENCE}


def _changed(candidate: _Candidate) -> bool:
    """New, or a different status, severity or record state than the finding last imported."""
    previous, finding = candidate.previous, candidate.finding
    if previous is None:
        return True
    return (previous.status, previous.record_state, previous.finding.severity) != (
        finding.status.value,
        finding.record_state.value,
        finding.severity,
    )
