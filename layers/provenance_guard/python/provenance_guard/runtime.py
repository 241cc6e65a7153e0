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

from provenance_guard import blast_radius, recheck
from provenance_guard.collect.kinds import USAGE
from provenance_guard.model import ResourceRef
from provenance_guard.pipeline import RunReport
from provenance_guard.service import Service, default_service
from provenance_guard.sweep import SweepScope, page_work, plan_pages, send_pages
from provenance_guard.triggers import parse_event
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


def handle_sqs_batch(event: Mapping[str, Any], service: Service, *, sweep: bool = False) -> dict[str, Any]:
    """The Lambda response for an SQS event source with ReportBatchItemFailures."""
    records = event.get("Records")
    if not isinstance(records, list):
        logger.error("not an SQS batch; nothing to do", extra={"event": _clip(event)})
        metrics.add_metric(name="EventsRejected", unit=MetricUnit.Count, value=1)
        return {"batchItemFailures": []}
    failures = []
    for record in records:
        if not _process(record, service, sweep):
            failures.append({"itemIdentifier": record.get("messageId", "")})
    return {"batchItemFailures": failures}


def _process(record: Mapping[str, Any], service: Service, sweep: bool) -> bool:
    """True when the record is done with (processed, or knowingly skipped); False to have SQS retry it."""
    body = record.get("body", "")
    try:
        event = json.loads(body)
        for batch in _batches(event, service, sweep):
            report = service.pipeline.run(batch)
            _record_metrics(report)
            if report.provisional and not sweep:
                _recheck_later(report.provisional, event, service)
            if report.changed and not sweep:
                _recheck_users(report, service)
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


def _batches(event: Any, service: Service, sweep: bool) -> Iterator[list[Work]]:
    """The record's work, in the batches the pipeline runs one at a time: the work it names, or, for a
    sweep request, each page of the sweep (sent to the sweep's queue when it has one)."""
    work = parse_event(event, SWEEP_FUNCTION if sweep else None)
    sweeps = [w.resource for w in work if w.action is Action.SWEEP]
    if len(sweeps) < len(work) or not sweeps:
        yield [w for w in work if w.action is not Action.SWEEP]
    for ref in sweeps:
        if not sweep:
            raise EventError("a sweep request reached a function that does not sweep")
        scope = SweepScope(ref.account, ref.region, ref.partition)
        pages = plan_pages(service.clients, service.state, scope)
        queue_url = service.settings.sweep_queue_url
        if queue_url is None:  # no queue to fan out to: each page here and now, one after the other
            yield from (page_work(message) for message in pages)
            continue
        sent = send_pages(service.clients.client("sqs"), queue_url, pages)
        logger.info("sweep planned", extra={"pages": sent, "account": scope.account, "region": scope.region})


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


def _recheck_users(report: RunReport, service: Service) -> None:
    """Blast radius: queue the re-judging of what uses an artifact whose verdict changed (see
    `provenance_guard.blast_radius`). The sweep judges every user anyway, so it sends none; a failure to
    look up or queue is logged, not retried (the artifact's own results are already published)."""
    queue_url = service.settings.recheck_queue_url
    if queue_url is None:
        return
    try:
        fanout = blast_radius.affected(report.changed, service.collection, USAGE)
        sent = blast_radius.schedule(service.clients.client("sqs"), queue_url, fanout)
    except Exception:
        logger.exception("blast-radius rechecks not queued; the daily sweep will judge the users")
        return
    if fanout.users or fanout.incomplete:
        logger.info(
            "blast-radius rechecks queued",
            extra={
                "users": [r.arn for r in fanout.users[:20]],
                "count": len(fanout.users),
                "skipped": fanout.skipped,
                "incomplete": [r.arn for r in fanout.incomplete],
                "messages": sent,
            },
        )
        metrics.add_metric(name="BlastRadiusRechecks", unit=MetricUnit.Count, value=len(fanout.users))


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
