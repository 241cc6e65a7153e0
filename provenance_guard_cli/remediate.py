"""`provenance-guard remediate`: one finding's remediation from a terminal, with the caller's credentials
(CONTROLS.md §6.4): a dry run that prints the exact change unless `--apply`; with `--apply`, the same
re-checks, write, verifying evaluation (imported to Security Hub) and Note/Workflow as the deployed function.
The policy's remediation mode is not required here: the person running it decides."""

from __future__ import annotations

from dataclasses import dataclass

from provenance_guard.asff import from_asff
from provenance_guard.clients import ClientFactory
from provenance_guard.collect.kinds import ref_from_arn
from provenance_guard.model import Reason, ResourceRef
from provenance_guard.remediation.engine import Outcome, RemediationResult
from provenance_guard.service import build_service
from provenance_guard.settings import Settings

SUCCESS = frozenset({Outcome.RESOLVED, Outcome.PLANNED, Outcome.NOT_FAILING})


class RemediateError(RuntimeError):
    """The command cannot run as asked (no such finding, not an ARN, no region)."""


@dataclass(frozen=True)
class RemediateOptions:
    policy: str
    region: str | None
    finding: str | None
    control: str | None
    resource: str | None
    apply: bool
    table: str | None = None
    registry_url: str | None = None


def remediate(options: RemediateOptions) -> RemediationResult:
    clients = ClientFactory()
    region = options.region or clients.client("sts").meta.region_name
    if not region:
        raise RemediateError("no region: pass --region or configure one (AWS_DEFAULT_REGION)")
    account = clients.client("sts", region).get_caller_identity()["Account"]
    settings = Settings(
        table_name=options.table or "",
        topic_arn=None,
        policy_parameter=None,
        policy_file=options.policy,
        function="cli-remediate",
        registry_url=options.registry_url,
    )
    service = build_service(settings, clients, read_only=not options.apply)
    control, ref, reasons = _target(options, clients, account, region)
    return service.remediator.remediate(
        control, ref, reasons=reasons, apply=options.apply, requested_by="terminal", enforce_mode=False
    )


def _target(
    options: RemediateOptions, clients: ClientFactory, account: str, region: str
) -> tuple[str, ResourceRef, tuple[Reason, ...] | None]:
    if options.finding:
        found = clients.client("securityhub", region).get_findings(
            Filters={"Id": [{"Value": options.finding, "Comparison": "EQUALS"}]}
        )["Findings"]
        if not found:
            raise RemediateError(f"Security Hub in {region} has no finding {options.finding}")
        finding = from_asff(found[0])
        return finding.control_id, finding.resource, finding.reasons
    if not (options.control and options.resource):
        raise RemediateError("name a finding (--finding ID) or a control and a resource (--control C --resource ARN)")
    ref = ref_from_arn(options.resource, account)
    if ref is None:
        raise RemediateError(f"{options.resource} is not the ARN of a resource provenance-guard judges")
    return options.control, ref, None


def describe(result: RemediationResult, applied: bool) -> str:
    lines = [f"{result.control_id} on {result.resource.arn}: {result.outcome.value}", f"  {result.detail}"]
    if result.change is not None:
        lines += [
            f"  before: {result.change.before}",
            f"  after:  {result.change.after}",
            f"  call:   {result.change.call}",
        ]
    if result.outcome is Outcome.PLANNED and not applied:
        lines.append("  dry run: nothing changed; run again with --apply to make the change")
    if result.workflow:
        lines.append(f"  the finding's Workflow is now {result.workflow}, with a Note saying what was done")
    return "\n".join(lines)
