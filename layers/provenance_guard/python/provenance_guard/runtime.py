"""Runs one SQS batch of EventBridge events through the pipeline, one record at a time.

- A record that is not a usable event is logged with the reason and skipped (metric EventsRejected):
  a retry cannot fix it, and the log line keeps the body.
- A record whose processing fails (AWS errors after the client's retries, findings Security Hub did
  not take) is reported in `batchItemFailures`: SQS retries it and, after maxReceiveCount, moves it
  to the dead-letter queue. The other records of the batch are unaffected.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer, single_metric
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.functions import is_metrics_disabled
from aws_lambda_powertools.utilities.typing import LambdaContext

from provenance_guard import recheck
from provenance_guard.findings import Finding
from provenance_guard.model import ResourceRef
from provenance_guard.pipeline import RunReport
from provenance_guard.remediation.automatic import automatic_requests
from provenance_guard.service import Service, default_service
from provenance_guard.sweep import SweepScope, page_work, plan_pages, send_pages
from provenance_guard.triggers import parse_event
from provenance_guard.triggers.remediation import FUNCTION as REMEDIATION_FUNCTION
from provenance_guard.triggers.remediation import request
from provenance_guard.triggers.sweep import FUNCTION as SWEEP_FUNCTION
from provenance_guard.work import Action, EventError, Work

NAMESPACE = "ProvenanceGuard"
logger = Logger(service="provenance-guard")
metrics = Metrics(namespace=NAMESPACE, service="provenance-guard")
tracer = Tracer(service="provenance-guard")


@logger.inject_lambda_context(log_event=False)
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def sqs_lambda_handler(event: dict[str, Any], context: LambdaContext, service: Service | None = None) -> dict[str, Any]:
    """The entry point of every event-family function (each `functions/<name>/handler.py`)."""
    return handle_sqs_batch(event, service or default_service())


@logger.inject_lambda_context(log_event=False)
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def sweep_lambda_handler(
    event: dict[str, Any], context: LambdaContext, service: Service | None = None
) -> dict[str, Any]:
    """The sweep function's entry point: each record is a scheduled or on-demand sweep request."""
    return handle_sqs_batch(event, service or default_service(), sweep=True)


@logger.inject_lambda_context(log_event=False)
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def remediation_lambda_handler(
    event: dict[str, Any], context: LambdaContext, service: Service | None = None
) -> dict[str, Any]:
    """The remediation function's entry point: only its own triggers are accepted."""
    return handle_sqs_batch(event, service or default_service(), only=REMEDIATION_FUNCTION)


def handle_sqs_batch(
    event: Mapping[str, Any], service: Service, *, sweep: bool = False, only: str | None = None
) -> dict[str, Any]:
    """The Lambda response for an SQS event source with ReportBatchItemFailures."""
    records = event.get("Records")
    if not isinstance(records, list):
        logger.error("not an SQS batch; nothing to do", extra={"event": _clip(event)})
        metrics.add_metric(name="EventsRejected", unit=MetricUnit.Count, value=1)
        return {"batchItemFailures": []}
    failures = []
    for record in records:
        if not _process(record, service, sweep, only):
            failures.append({"itemIdentifier": record.get("messageId", "")})
    return {"batchItemFailures": failures}


def _process(record: Mapping[str, Any], service: Service, sweep: bool, only: str | None = None) -> bool:
    """True when the record is done with (processed, or knowingly skipped); False to have SQS retry it."""
    body = record.get("body", "")
    try:
        event = json.loads(body)
        for batch in _batches(event, service, sweep, only):
            report = service.pipeline.run(batch)
            _record_metrics(report)
            _remediate_automatically(report.new_failures, service)
            if report.provisional and not sweep:
                _recheck_later(report.provisional, event, service)
    except (json.JSONDecodeError, EventError) as error:
        logger.warning(
            "event rejected",
            extra={"reason": str(error), "messageId": record.get("messageId"), "body": body[:8000]},
        )
        metrics.add_metric(name="EventsRejected", unit=MetricUnit.Count, value=1)
        return True
    except Exception:
        logger.exception("processing failed; SQS will retry the record", extra={"messageId": record.get("messageId")})
        metrics.add_metric(name="RecordsFailed", unit=MetricUnit.Count, value=1)
        return False
    return True


def _batches(event: Any, service: Service, sweep: bool, only: str | None = None) -> Iterator[list[Work]]:
    """The record's work, in the batches the pipeline runs one at a time: the work it names, or, for a
    sweep request, each page of the sweep (sent to the sweep's queue when it has one)."""
    work = parse_event(event, SWEEP_FUNCTION if sweep else only)
    for item in (w for w in work if w.action is Action.REMEDIATE):
        if only != REMEDIATION_FUNCTION:
            raise EventError("a remediation request reached a function that does not remediate")
        _remediate(item, service)
    work = [w for w in work if w.action is not Action.REMEDIATE]
    sweeps = [w.resource for w in work if w.action is Action.SWEEP]
    if len(sweeps) < len(work) or not sweeps:
        yield [w for w in work if w.action is not Action.SWEEP]
    for ref in sweeps:
        if not sweep:
            raise EventError("a sweep request reached a function that does not sweep")
        scope = SweepScope(ref.account, ref.region, ref.partition)
        pages = plan_pages(service.clients, service.state, scope, policy=service.policy())
        queue_url = service.settings.sweep_queue_url
        if queue_url is None:  # no queue to fan out to: each page here and now, one after the other
            yield from (page_work(message) for message in pages)
            continue
        sent = send_pages(service.clients.client("sqs"), queue_url, pages)
        logger.info("sweep planned", extra={"pages": sent, "account": scope.account, "region": scope.region})


def _remediate(item: Work, service: Service) -> None:
    (control_id,) = item.controls or (None,)
    if control_id is None:
        raise EventError("a remediation names exactly one control")
    result = service.remediator.remediate(control_id, item.resource, reasons=item.reasons)
    metrics.add_metric(
        name=f"Remediation{result.outcome.value.title().replace('_', '')}", unit=MetricUnit.Count, value=1
    )


def _remediate_automatically(failures: list[Finding], service: Service) -> None:
    """Queue (or, without a queue, run) the remediation of each new failure whose control is in
    `automatic` mode and declares an action."""
    requested = automatic_requests(failures, service.policy())
    if not requested:
        return
    queue_url = service.settings.remediation_queue_url
    if queue_url is None:
        for finding in requested:
            service.remediator.remediate(
                finding.control_id, finding.resource, reasons=finding.reasons, requested_by="automatic"
            )
        return
    sent = send_pages(service.clients.client("sqs"), queue_url, [request(finding) for finding in requested])
    logger.info("remediations queued", extra={"findings": [f.id for f in requested], "messages": sent})


def _recheck_later(refs: list[ResourceRef], event: Mapping[str, Any], service: Service) -> None:
    """Queue delayed re-evaluations of provisional results (not of a recheck's own: bounded). A failure
    to queue loses nothing the daily sweep does not redo, so it is logged, not retried."""
    queue_url = service.settings.recheck_queue_url
    if queue_url is None or recheck.is_recheck(event):
        return
    try:
        sent = recheck.schedule(service.clients.client("sqs"), queue_url, refs)
    except Exception:
        logger.exception("rechecks not queued; the daily sweep will judge them", extra={"count": len(refs)})
        return
    logger.info("rechecks queued", extra={"resources": [r.arn for r in refs], "messages": sent})
    metrics.add_metric(name="RechecksQueued", unit=MetricUnit.Count, value=sent)


def _record_metrics(report: RunReport) -> None:
    verdicts = Counter((e.verdict.control_id, e.verdict.status.value) for e in report.evaluated)
    for (control_id, status), count in sorted(verdicts.items()) if not is_metrics_disabled() else ():
        with single_metric(name="Verdicts", unit=MetricUnit.Count, value=count, namespace=NAMESPACE) as metric:
            metric.add_dimension(name="ControlId", value=control_id)
            metric.add_dimension(name="Status", value=status)
    metrics.add_metric(name="FindingsImported", unit=MetricUnit.Count, value=report.imported)
    metrics.add_metric(name="FindingsUnchanged", unit=MetricUnit.Count, value=report.unchanged)
    metrics.add_metric(name="FindingsArchived", unit=MetricUnit.Count, value=len(report.archived))
    metrics.add_metric(name="Notifications", unit=MetricUnit.Count, value=len(report.notified))
    logger.info(
        "work done",
        extra={
            "evaluated": len(report.evaluated),
            "imported": report.imported,
            "unchanged": report.unchanged,
            "archived": len(report.archived),
            "vanished": [r.arn for r in report.vanished],
            "notified": len(report.notified),
        },
    )


def _clip(value: Any) -> str:
    return json.dumps(value, default=str)[:8000]
