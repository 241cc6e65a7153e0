"""`provenance-guard replay`: routes EventBridge events through the stack's own rules to the real
handlers, in this process, against an AWS endpoint (the emulator), as SQS would deliver them.

Each function's own queue is modelled too: what a function sends back to itself (the "Recheck" pages of
a blast radius) is delivered to it right after its invocation, as SQS would, for `OWN_QUEUE_ROUNDS`
rounds at most; messages sent with a delay (provisional results, judged again minutes later on AWS) are
dropped: replay does not wait for them."""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import logging
import os
import sys
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from provenance_guard_cli.backing import Backing
from provenance_guard_cli.routes import PROJECT_ROOT, Route

OWN_QUEUE_ROUNDS = 3
OWN_QUEUE_RULE = "own queue (Recheck)"


@dataclass(frozen=True)
class Invocation:
    function: str
    rule: str
    failed_records: int


@dataclass
class EventResult:
    label: str
    detail_type: str
    invocations: list[Invocation] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    notifications: list[dict[str, Any]] = field(default_factory=list)
    """What SNS delivered: `subject`, `message` (the plain text people read) and filterable `attributes`."""


@dataclass(frozen=True)
class LocalContext:
    """The attributes of the Lambda context object that Powertools reads."""

    function_name: str
    aws_request_id: str
    invoked_function_arn: str
    memory_limit_in_mb: int = 512

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 60_000


class Replayer:
    def __init__(self, routes: Sequence[Route], backing: Backing) -> None:
        self._routes = routes
        self._backing = backing
        self._modules: dict[str, ModuleType] = {}

    def replay(self, event: Mapping[str, Any], label: str) -> EventResult:
        result = EventResult(label, str(event.get("detail-type", "?")))
        before = self._findings_index()
        for route in self._routes:
            if route.matches(event):
                response = self._invoke(route.function, event)
                failed = len(response.get("batchItemFailures", []))
                result.invocations.append(Invocation(route.function, route.rule, failed))
                result.invocations.extend(self._own_queue(route.function))
        result.findings = [f for f in self._findings() if before.get(f["Id"]) != f["UpdatedAt"]]
        result.notifications = self._drain_notifications()
        return result

    def _own_queue(self, function: str) -> list[Invocation]:
        """Deliver what the function sent to its own queue back to it; then drop what is left (delayed)."""
        sqs, url = self._client("sqs"), self._backing.own_queue_url(function)
        invocations: list[Invocation] = []
        for _ in range(OWN_QUEUE_ROUNDS):
            messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
            if not messages:
                break
            for message in messages:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                response = self._invoke(function, json.loads(message["Body"]))
                invocations.append(Invocation(function, OWN_QUEUE_RULE, len(response.get("batchItemFailures", []))))
        left = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesDelayed"])
        if int(left["Attributes"].get("ApproximateNumberOfMessagesDelayed", "0")):
            with contextlib.suppress(sqs.exceptions.PurgeQueueInProgress):
                sqs.purge_queue(QueueUrl=url)
        return invocations

    def _invoke(self, function: str, event: Mapping[str, Any]) -> dict[str, Any]:
        module = self._handler_module(function)
        region = str(event.get("region", self._backing.region))
        account = str(event.get("account", "123456789012"))
        body = json.dumps(event)
        record = {
            "messageId": str(uuid.uuid4()),
            "receiptHandle": "local",
            "body": body,
            "attributes": {"ApproximateReceiveCount": "1"},
            "messageAttributes": {},
            "md5OfBody": hashlib.md5(body.encode()).hexdigest(),  # SQS's own body checksum
            "eventSource": "aws:sqs",
            "eventSourceARN": f"arn:aws:sqs:{region}:{account}:provenance-guard-{function}",
            "awsRegion": region,
        }
        context = LocalContext(
            function_name=f"provenance-guard-{function}",
            aws_request_id=str(uuid.uuid4()),
            invoked_function_arn=f"arn:aws:lambda:{region}:{account}:function:provenance-guard-{function}",
        )
        with _environment(self._backing.environment(function)):
            from provenance_guard.service import default_service

            default_service.cache_clear()
            try:
                response: dict[str, Any] = module.lambda_handler({"Records": [record]}, context)
            finally:
                default_service.cache_clear()
        return response

    def _handler_module(self, function: str) -> ModuleType:
        if function not in self._modules:
            path = PROJECT_ROOT / "functions" / function / "handler.py"
            spec = importlib.util.spec_from_file_location(f"provenance_guard_functions.{function}", path)
            if spec is None or spec.loader is None:
                raise ImportError(f"cannot load {path}")
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            _send_handler_logs_to_stderr()
            self._modules[function] = module
        return self._modules[function]

    def _client(self, service: str) -> Any:
        import boto3

        return boto3.client(  # type: ignore[call-overload]
            service, endpoint_url=self._backing.endpoint_url, region_name=self._backing.region
        )

    def _findings(self) -> list[dict[str, Any]]:
        findings: list[dict[str, Any]] = []
        for page in self._client("securityhub").get_paginator("get_findings").paginate():
            findings.extend(page["Findings"])
        return findings

    def _findings_index(self) -> dict[str, str]:
        return {f["Id"]: f["UpdatedAt"] for f in self._findings()}

    def _drain_notifications(self) -> list[dict[str, Any]]:
        sqs = self._client("sqs")
        notifications: list[dict[str, Any]] = []
        while True:
            messages = sqs.receive_message(
                QueueUrl=self._backing.capture_queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
            ).get("Messages", [])
            if not messages:
                return notifications
            for message in messages:
                envelope = json.loads(message["Body"])
                notifications.append(
                    {
                        "subject": envelope.get("Subject", ""),
                        "message": envelope["Message"],
                        "attributes": {k: v.get("Value") for k, v in envelope.get("MessageAttributes", {}).items()},
                    }
                )
                sqs.delete_message(QueueUrl=self._backing.capture_queue_url, ReceiptHandle=message["ReceiptHandle"])


class _CurrentStderr:
    """Whatever `sys.stderr` is at the time of writing (tests and tools swap it)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def _send_handler_logs_to_stderr() -> None:
    """Lambda collects stdout; here stdout carries the command's own output (`--json`)."""
    for handler in logging.getLogger("provenance-guard").handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(_CurrentStderr())


@contextlib.contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
