"""What asks for a remediation (CONTROLS.md §6.4):

- `Security Hub Findings - Custom Action` for the custom action `ProvenanceGuardFix`, with the findings an
  analyst selected in the Security Hub console (AWS's documented event format: `resources` names the
  action's ARN, `detail.findings` the findings as ASFF); only this product's own findings of this account
  and Region are acted on, others are skipped and logged;
- `Remediation Requested`, which a function sends to the remediation queue when a control in `automatic`
  mode newly fails.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from provenance_guard.asff import NotOurFindingError, from_asff, product_arn
from provenance_guard.collect.kinds import UnknownKindError, kind_named
from provenance_guard.findings import PRODUCT, Finding
from provenance_guard.model import Reason, ResourceRef
from provenance_guard.triggers.base import Delivery, Envelope, Trigger, required
from provenance_guard.work import Action, EventError, Work

logger = logging.getLogger(__name__)

FUNCTION = "remediation"
CUSTOM_ACTION_ID = "ProvenanceGuardFix"
"""The custom action's id (at most 20 alphanumeric characters); its ARN ends `:action/custom/<id>`."""
SOURCE = "provenance-guard"
REQUESTED = "Remediation Requested"


def custom_action_arn(partition: str, region: str, account: str) -> str:
    return f"arn:{partition}:securityhub:{region}:{account}:action/custom/{CUSTOM_ACTION_ID}"


def custom_action(detail: Mapping[str, Any], envelope: Envelope) -> list[Work]:
    """The selected findings of this product, each to be remediated if it still fails for its reasons."""
    action_arn = custom_action_arn(envelope.partition, envelope.region, envelope.account)
    if action_arn not in envelope.resources:
        raise EventError(f"the event's resources do not name this account's custom action {action_arn}")
    findings = detail.get("findings")
    if not isinstance(findings, list):
        raise EventError("detail.findings is missing or not a list")
    work = []
    for asff in findings:
        finding = _ours(asff, envelope)
        if finding is not None:
            work.append(_remediate(finding.control_id, finding.resource, finding.reasons))
    return work


def _ours(asff: object, envelope: Envelope) -> Finding | None:
    if not isinstance(asff, Mapping):
        raise EventError("an entry of detail.findings is not an object")
    try:
        finding = from_asff(asff)
    except NotOurFindingError as error:
        logger.info("a selected finding is not provenance-guard's; skipped", extra={"reason": str(error)})
        return None
    except (KeyError, TypeError, ValueError) as error:
        raise EventError(f"a selected finding is not a readable ASFF finding: {error!r}") from None
    ref = finding.resource
    if (ref.account, ref.region) != (envelope.account, envelope.region) or asff.get("ProductArn") != product_arn(ref):
        logger.info("a selected finding of another account, Region or product; skipped", extra={"id": finding.id})
        return None
    return finding


def remediation_requested(detail: Mapping[str, Any], envelope: Envelope) -> list[Work]:
    control = required(detail, "control")
    try:
        kind = kind_named(required(detail, "kind"))
    except UnknownKindError as error:
        raise EventError(str(error)) from None
    reasons = detail.get("reasons")
    if not isinstance(reasons, list) or not all(
        isinstance(r, Mapping) and isinstance(r.get("code"), str) and isinstance(r.get("description"), str)
        for r in reasons
    ):
        raise EventError("detail.reasons is not a list of {code, description}")
    ref = ResourceRef(kind, required(detail, "name"), envelope.account, envelope.region, envelope.partition)
    return [_remediate(control, ref, tuple(Reason(r["code"], r["description"]) for r in reasons))]


def request(finding: Finding) -> dict[str, Any]:
    """The `Remediation Requested` message for a finding that newly failed."""
    ref = finding.resource
    return {
        "version": "0",
        "source": SOURCE,
        "detail-type": REQUESTED,
        "account": ref.account,
        "region": ref.region,
        "resources": [ref.arn],
        "detail": {
            "control": finding.control_id,
            "kind": ref.kind.value,
            "name": ref.name,
            "reasons": [{"code": r.code, "description": r.description} for r in finding.reasons],
            "product": PRODUCT,
        },
    }


def _remediate(control_id: str, ref: ResourceRef, reasons: Sequence[Reason]) -> Work:
    return Work(Action.REMEDIATE, ref, frozenset({control_id}), tuple(reasons))


TRIGGERS = (
    Trigger(
        "RemediationCustomAction",
        f"Security Hub custom action {CUSTOM_ACTION_ID}: remediate the selected provenance-guard findings",
        FUNCTION,
        source="aws.securityhub",
        detail_type="Security Hub Findings - Custom Action",
        detail={"actionName": [CUSTOM_ACTION_ID]},
        parse=custom_action,
    ),
    Trigger(
        "RemediationRequested",
        "A control in automatic mode newly failed: remediate it (sent by the functions to the remediation queue)",
        FUNCTION,
        source=SOURCE,
        detail_type=REQUESTED,
        parse=remediation_requested,
        delivery=Delivery.QUEUE,
    ),
)
