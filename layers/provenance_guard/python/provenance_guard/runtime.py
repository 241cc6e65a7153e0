"""Runs one SQS batch of EventBridge events through the pipeline, one record at a time.

Every failure is classified once, by `provenance_guard.failures`:
- Permanent: the record is not a usable event (an SQS record that is not an object, a `body` that is
  not a string, not JSON, or holds text that is not valid Unicode; an envelope or detail `parse_event`
  refuses: an account that is not 12 digits, a Region no partition has, ...), or AWS refuses its work
  as invalid (botocore's parameter validation, an invalid Region, ValidationException, InvalidInput,
  InvalidParameter*, InvalidAccess). Logged as "event rejected" with the reason and the body, counted
  (metric EventsRejected) and dropped on the first receive: a retry cannot fix it.
  Within a record, an item AWS refuses as invalid ("item rejected", ItemsRejected) or a finding
  Security Hub refuses as invalid ("finding rejected", FindingsRejected) is logged and counted the
  same way; the other items are processed, and the record is not retried for it.
- Transient: throttling, 5xx, timeouts, connection errors (after the client's own retries), findings
  Security Hub did not take for a reason that can pass, and anything unexpected: the record is reported
  in `batchItemFailures`; SQS retries it and, after maxReceiveCount, moves it to the dead-letter queue
  (whose depth raises an alarm). The other records of the batch are unaffected.

Every log line of a record carries its `messageId`. Log lines cannot fail: text UTF-8 cannot encode
(a lone surrogate) is written as a JSON escape, never dropped (`log_lines.encodable_json`).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

from aws_lambda_powertools import Logger, Metrics, single_metric
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.functions import is_metrics_disabled
from aws_lambda_powertools.utilities.typing import LambdaContext

from provenance_guard import blast_radius, recheck, tracing
from provenance_guard.collect.kinds import USAGE
from provenance_guard.failures import Failure, classify, reason
from provenance_guard.findings import Finding
from provenance_guard.log_lines import clip, encodable_json
from provenance_guard.model import ResourceRef
from provenance_guard.pipeline import PublishError, RunReport, WorkError
from provenance_guard.regions import partition_of
from provenance_guard.remediation.automatic import automatic_requests
from provenance_guard.service import Service, default_service
from provenance_guard.sweep import SweepScope, page_work, plan_pages, send_pages
from provenance_guard.triggers import parse_event
from provenance_guard.triggers.remediation import FUNCTION as REMEDIATION_FUNCTION
from provenance_guard.triggers.remediation import request
from provenance_guard.triggers.sweep import FUNCTION as SWEEP_FUNCTION
from provenance_guard.work import Action, EventError, Work

NAMESPACE = "ProvenanceGuard"
logger = Logger(service="provenance-guard", json_serializer=encodable_json)
metrics = Metrics(namespace=NAMESPACE, service="provenance-guard")


@logger.inject_lambda_context(log_event=False)
@metrics.log_metrics
@tracing.capture_lambda_handler
def sqs_lambda_handler(event: dict[str, Any], context: LambdaContext, service: Service | None = None) -> dict[str, Any]:
    """The entry point of every event-family function (each `functions/<name>/handler.py`)."""
    return handle_sqs_batch(event, service or default_service())


@logger.inject_lambda_context(log_event=False)
@metrics.log_metrics
@tracing.capture_lambda_handler
def sweep_lambda_handler(
    event: dict[str, Any], context: LambdaContext, service: Service | None = None
) -> dict[str, Any]:
    """The sweep function's entry point: each record is a scheduled or on-demand sweep request."""
    return handle_sqs_batch(event, service or default_service(), sweep=True)


@logger.inject_lambda_context(log_event=False)
@metrics.log_metrics
@tracing.capture_lambda_handler
def remediation_lambda_handler(
    event: dict[str, Any], context: LambdaContext, service: Service | None = None
) -> dict[str, Any]:
    """The remediation function's entry point: only its own triggers are accepted."""
    return handle_sqs_batch(event, service or default_service(), only=REMEDIATION_FUNCTION)


def handle_sqs_batch(
    event: Mapping[str, Any], service: Service, *, sweep: bool = False, only: str | None = None
) -> dict[str, Any]:
    """The Lambda response for an SQS event source with ReportBatchItemFailures."""
    records = event.get("Records") if isinstance(event, Mapping) else None
    if not isinstance(records, list):
        _reject("not an SQS batch; nothing to do", event)
        return {"batchItemFailures": []}
    failures = []
    for record in records:
        if not isinstance(record, Mapping):
            _reject(f"an SQS record is an object, not a {type(record).__name__}", record)
            continue
        logger.append_keys(messageId=record.get("messageId"))
        try:
            if not _process(record, service, sweep, only):
                failures.append({"itemIdentifier": record.get("messageId", "")})
        finally:
            logger.remove_keys(["messageId"])
    return {"batchItemFailures": failures}


def _process(record: Mapping[str, Any], service: Service, sweep: bool, only: str | None = None) -> bool:
    """True when the record is done with (processed, or rejected for good); False to have SQS retry it."""
    body = record.get("body")
    try:
        event = event_of(body)
        for batch in _batches(event, service, sweep, only):
            report = _run(service, batch)
            _remediate_automatically(report.new_failures, service)
            if report.provisional and not sweep:
                _recheck_later(report.provisional, event, service)
            if report.changed and not sweep:
                _recheck_users(report, service)
    except Exception as error:
        if classify(error) is Failure.PERMANENT:
            _reject(reason(error), body)
            return True
        logger.exception("processing failed; SQS will retry the record", extra={"reason": reason(error)})
        metrics.add_metric(name="RecordsFailed", unit=MetricUnit.Count, value=1)
        return False
    return True


def event_of(body: object) -> Any:
    """The JSON value an SQS record's body holds; `EventError` when it is not a string of JSON text that
    is valid Unicode (a JSON `\\ud800` escape decodes to a lone surrogate, which no AWS API can take)."""
    if not isinstance(body, str):
        raise EventError(f"the SQS record's body is {type(body).__name__}, not a string")
    try:
        event = json.loads(body)
    except (ValueError, RecursionError) as error:  # JSONDecodeError, an over-long integer, too deep
        raise EventError(f"the body is not usable JSON: {type(error).__name__}: {str(error)[:200]}") from None
    try:
        json.dumps(event, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as error:
        raise EventError(f"the event holds text that is not valid Unicode: {error.reason}") from None
    except RecursionError:
        raise EventError("the event is nested too deeply") from None
    return event


def _run(service: Service, batch: list[Work]) -> RunReport:
    """One pipeline run; its rejections are logged and counted whether or not the record is retried."""
    try:
        report = service.pipeline.run(batch)
    except (WorkError, PublishError) as error:
        _record_rejections(error.report)
        raise
    _record_rejections(report)
    _record_metrics(report)
    return report


def _reject(why: str, body: object) -> None:
    logger.warning("event rejected", extra={"reason": why, "body": clip(body)})
    metrics.add_metric(name="EventsRejected", unit=MetricUnit.Count, value=1)


def _record_rejections(report: RunReport) -> None:
    for ref, why in report.rejected_items:
        logger.warning("item rejected", extra={"resource": ref.arn, "reason": why})
    for finding in report.rejected_findings:
        logger.warning(
            "finding rejected",
            extra={"finding": finding.finding_id, "reason": f"{finding.error_code}: {finding.error_message}"},
        )
    if report.rejected_items:
        metrics.add_metric(name="ItemsRejected", unit=MetricUnit.Count, value=len(report.rejected_items))
    if report.rejected_findings:
        metrics.add_metric(name="FindingsRejected", unit=MetricUnit.Count, value=len(report.rejected_findings))


def _batches(event: Any, service: Service, sweep: bool, only: str | None = None) -> Iterator[list[Work]]:
    """The record's work, in the batches the pipeline runs one at a time: the work it names, or, for a
    sweep request, each page of the sweep (sent to the sweep's queue when it has one)."""
    own_region = service.settings.region
    partition = partition_of(own_region) if own_region else None
    work = parse_event(event, SWEEP_FUNCTION if sweep else only, partition)
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
