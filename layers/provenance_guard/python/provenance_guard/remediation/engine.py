"""Remediating one finding (CONTROLS.md §6.4): re-read the resource, act only if it still fails the control
for the same reasons (and is not exempted), make the change, verify it with a fresh evaluation through the
normal pipeline, then record what happened in the finding (`Note`, `Workflow.Status` with
`BatchUpdateFindings`) and notify.

Outcomes never leave a change half-done: each action is one write, made only after every check passed;
a refused write changes nothing and is reported (`NOT_FIXED`, Workflow NOTIFIED).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from provenance_guard.asff import product_arn
from provenance_guard.clients import ClientFactory
from provenance_guard.collect.base import Collection
from provenance_guard.controls.registry import ControlRegistry, EvaluationContext
from provenance_guard.exemptions import find_exemption
from provenance_guard.findings import finding_id, format_time
from provenance_guard.model import Reason, ResourceRef, Status
from provenance_guard.pipeline import Pipeline
from provenance_guard.policy import Policy
from provenance_guard.remediation import ACTIONS
from provenance_guard.remediation.base import Change
from provenance_guard.work import Action, Work

logger = logging.getLogger(__name__)

UPDATED_BY = "provenance-guard"
MAX_NOTE = 512
"""`Note.Text` holds 1 to 512 characters."""


class Outcome(StrEnum):
    RESOLVED = "RESOLVED"
    """Changed, and the verifying evaluation passes."""
    NOT_FIXED = "NOT_FIXED"
    """Changed (or tried to) but the control still fails, or the write was refused."""
    PLANNED = "PLANNED"
    """A dry run: the change that would be made."""
    NOT_FAILING = "NOT_FAILING"
    """The resource no longer fails the control: nothing to do."""
    CHANGED = "CHANGED"
    """It fails for other reasons than when remediation was asked: nothing changed; ask again."""
    EXEMPTED = "EXEMPTED"
    """An exemption covers the failure: exempted findings are never remediated."""
    NOT_REMEDIABLE = "NOT_REMEDIABLE"
    """The control's action cannot fix this failure (the resource must be rebuilt or changed elsewhere)."""
    NO_ACTION = "NO_ACTION"
    """The control declares no remediation (a fix would break a workload)."""
    DISABLED = "DISABLED"
    """The policy's remediation mode for the control is `off`."""
    GONE = "GONE"
    """The resource no longer exists."""


@dataclass(frozen=True)
class RemediationResult:
    control_id: str
    resource: ResourceRef
    outcome: Outcome
    detail: str
    change: Change | None = None
    workflow: str | None = None
    """The `Workflow.Status` set on the finding (None: left as it was)."""

    @property
    def finding_id(self) -> str:
        return finding_id(self.resource, self.control_id)


Notify = Callable[[RemediationResult], None]


class Remediator:
    def __init__(
        self,
        *,
        registry: ControlRegistry,
        collection: Collection,
        policy: Callable[[], Policy],
        pipeline: Pipeline,
        clients: ClientFactory,
        clock: Callable[[], datetime],
        record: bool = True,
        notify: Sequence[Notify] = (),
    ) -> None:
        """`record`: write the outcome into the finding with BatchUpdateFindings (off for a read-only run)."""
        self._registry = registry
        self._collection = collection
        self._policy = policy
        self._pipeline = pipeline
        self._clients = clients
        self._clock = clock
        self._record = record
        self._notify = tuple(notify)

    def remediate(
        self,
        control_id: str,
        ref: ResourceRef,
        *,
        reasons: Sequence[Reason] | None = None,
        apply: bool = True,
        requested_by: str = "on-demand",
        enforce_mode: bool = True,
    ) -> RemediationResult:
        """Remediate `ref`'s failure of `control_id`; with `apply` False, only say what would change.
        `enforce_mode` False (the terminal, with the caller's own credentials) ignores the policy's mode."""
        result = self._decide(control_id, ref, reasons, apply, enforce_mode)
        if apply and result.outcome is not Outcome.PLANNED:
            self._finish(result, requested_by)
        logger.info(
            "remediation",
            extra={
                "control": control_id,
                "resource": ref.arn,
                "outcome": result.outcome.value,
                "detail": result.detail,
            },
        )
        return result

    def _decide(
        self, control_id: str, ref: ResourceRef, reasons: Sequence[Reason] | None, apply: bool, enforce_mode: bool
    ) -> RemediationResult:
        policy = self._policy()
        action = ACTIONS.get(control_id)
        if action is None:
            return RemediationResult(control_id, ref, Outcome.NO_ACTION, f"{control_id} declares no remediation")
        if enforce_mode and policy.remediation_mode(control_id) == "off":
            return RemediationResult(
                control_id, ref, Outcome.DISABLED, f"remediation of {control_id} is off in the policy (remediation)"
            )
        collector = self._collection.collector(ref.kind)
        if collector is None or control_id not in self._registry:
            return RemediationResult(control_id, ref, Outcome.NO_ACTION, f"nothing judges {ref.kind} resources")
        self._collection.run.clear()
        snapshot = collector.collect(ref)
        if snapshot is None:
            return RemediationResult(control_id, ref, Outcome.GONE, f"{ref.arn} no longer exists")
        now = self._clock()
        context = EvaluationContext(ref.account, ref.region, ref.partition, now)
        verdict = self._registry.get(control_id).evaluate(snapshot, policy, context)
        if verdict is None or verdict.status is not Status.FAILED:
            status = "not judged" if verdict is None else verdict.status.value
            return RemediationResult(control_id, ref, Outcome.NOT_FAILING, f"{control_id} is {status} now")
        exemption = find_exemption(policy.exemptions, control_id, ref.arn, snapshot.tags, now.date())
        if exemption is not None:
            why = f"exempted until {exemption.expires.isoformat()} ({exemption.reason}): not remediated"
            return RemediationResult(control_id, ref, Outcome.EXEMPTED, why)
        if reasons is not None and set(verdict.reasons) != set(reasons):
            now_failing = "; ".join(r.description for r in verdict.reasons)
            return RemediationResult(
                control_id,
                ref,
                Outcome.CHANGED,
                f"the finding changed since it was selected; it now fails: {now_failing}",
            )
        change = action.plan(snapshot, verdict, policy, context)
        if change is None:
            why = "; ".join(r.description for r in verdict.reasons)
            return RemediationResult(
                control_id, ref, Outcome.NOT_REMEDIABLE, f"'{action.title}' cannot fix this failure: {why}"
            )
        if not apply:
            return RemediationResult(control_id, ref, Outcome.PLANNED, change.summary, change)
        return self._apply(control_id, ref, change)

    def _apply(self, control_id: str, ref: ResourceRef, change: Change) -> RemediationResult:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            ACTIONS[control_id].apply(self._clients, ref, change)
        except (ClientError, BotoCoreError) as error:
            return RemediationResult(
                control_id, ref, Outcome.NOT_FIXED, f"{change.call} was refused: {error}"[:400], change, "NOTIFIED"
            )
        report = self._pipeline.run([Work(Action.EVALUATE, ref, frozenset({control_id}))])
        verdicts = [e.verdict for e in report.evaluated if e.verdict.control_id == control_id and e.ref == ref]
        if verdicts and verdicts[0].status is Status.PASSED:
            return RemediationResult(control_id, ref, Outcome.RESOLVED, change.summary, change, "RESOLVED")
        still = "; ".join(r.description for v in verdicts for r in v.reasons) or "no verdict"
        return RemediationResult(
            control_id, ref, Outcome.NOT_FIXED, f"{change.summary}, but it still fails: {still}", change, "NOTIFIED"
        )

    def _finish(self, result: RemediationResult, requested_by: str) -> None:
        if self._record and result.outcome not in (Outcome.NO_ACTION, Outcome.GONE):
            self._record_in_finding(result, requested_by)
        for notify in self._notify:
            notify(result)

    def _record_in_finding(self, result: RemediationResult, requested_by: str) -> None:
        ref = result.resource
        update: dict[str, Any] = {
            "FindingIdentifiers": [{"Id": result.finding_id, "ProductArn": product_arn(ref)}],
            "Note": {"Text": note_text(result, requested_by, self._clock())[:MAX_NOTE], "UpdatedBy": UPDATED_BY},
        }
        if result.workflow:
            update["Workflow"] = {"Status": result.workflow}
        response = self._clients.client("securityhub", ref.region).batch_update_findings(**update)
        for failure in response.get("UnprocessedFindings", []):
            logger.error("the finding's Note and Workflow were not updated", extra={"failure": failure})


def note_text(result: RemediationResult, requested_by: str, at: datetime) -> str:
    """What the finding's Note says: when, who asked, what changed (before and after) and how it ended."""
    head = f"{format_time(at)} provenance-guard remediation ({requested_by}): {result.outcome.value}."
    if result.change is None:
        return f"{head} {result.detail}"
    change = result.change
    return f"{head} {change.summary}. Before: {change.before}. After: {change.after}. {result.detail}"
