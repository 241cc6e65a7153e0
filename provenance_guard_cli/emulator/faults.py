"""Fault injection: make the next N calls of an operation fail with a chosen AWS error.

In-process::

    inject_faults("securityhub", "BatchImportFindings", "TooManyRequestsException", count=3)

Against a running emulator server (any process), the same through HTTP at :data:`FAULTS_PATH`:
``POST`` a JSON object ``{"service", "operation", "error_code", "count", "status"?, "message"?}``,
``GET`` lists pending faults, ``DELETE`` clears them (``EmulatorServer.inject_faults`` wraps this).
moto's server hands only ``/moto-api/...`` paths to non-AWS handlers, hence the prefix.

The error is serialised in the service's own protocol (EC2 XML, JSON, ...), so botocore raises a
``ClientError`` with that code and, for throttling/5xx codes, applies its retry policy: each retry
consumes one injected fault. ``operation`` is the API name (``DescribeImages`` or
``describe_images``); ``service`` is the boto3 service name (``ec2``, ``securityhub``, ``lambda``).

The same interception point counts every request (:mod:`.request_counts`).
"""

from __future__ import annotations

import json
import threading
import warnings
from dataclasses import asdict, dataclass
from typing import Any

from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult, BaseResponse
from moto.core.utils import camelcase_to_underscores
from moto.moto_api._internal import urls as moto_api_urls

from . import request_counts
from .patches import add_url_path, original, patch_attr

FAULTS_PATH = "/moto-api/provenance-guard/faults"

DEFAULT_STATUS: dict[str, int] = {
    "ThrottlingException": 429,
    "TooManyRequestsException": 429,
    "LimitExceededException": 429,
    "RequestLimitExceeded": 503,
    "Throttling": 400,
    "InternalException": 500,
    "InternalError": 500,
    "InternalFailure": 500,
    "InternalServerException": 500,
    "ServiceException": 500,
    "ServiceUnavailable": 503,
    "ServiceUnavailableException": 503,
}


@dataclass
class Fault:
    service: str
    operation: str
    error_code: str
    count: int
    status: int
    message: str


class InjectedFault(ServiceException):
    """Defined outside ``moto.*`` so moto serialises it with the called service's model only."""


_lock = threading.Lock()
_faults: list[Fault] = []


def _operation_key(operation: str) -> str:
    return operation if "_" in operation or operation.islower() else camelcase_to_underscores(operation)


def inject_faults(
    service: str,
    operation: str,
    error_code: str,
    count: int = 1,
    *,
    status: int | None = None,
    message: str | None = None,
) -> None:
    """Make the next ``count`` calls of ``service``/``operation`` fail with ``error_code``."""
    if count < 1:
        raise ValueError("count must be at least 1")
    fault = Fault(
        service=service.lower(),
        operation=_operation_key(operation),
        error_code=error_code,
        count=count,
        status=status if status is not None else DEFAULT_STATUS.get(error_code, 400),
        message=message or f"Injected fault: {error_code}",
    )
    with _lock:
        _faults.append(fault)


def clear_faults() -> None:
    with _lock:
        _faults.clear()


def pending_faults() -> list[dict[str, Any]]:
    with _lock:
        return [asdict(fault) for fault in _faults]


def take_fault(services: set[str], operation: str) -> Fault | None:
    """Consume one pending fault matching the call, oldest first."""
    key = _operation_key(operation)
    with _lock:
        for fault in _faults:
            if fault.service in services and fault.operation == key:
                fault.count -= 1
                if fault.count == 0:
                    _faults.remove(fault)
                return fault
    return None


def _call_action(self: Any) -> Any:
    action = self._get_action()
    if action:
        request_counts.record(str(self.boto3_service_name), action)
    services = {str(self.service_name).lower(), str(self.boto3_service_name).lower()}
    fault = take_fault(services, action) if action else None
    if fault is None:
        return original(BaseResponse, "call_action")(self)
    with warnings.catch_warnings():
        # moto warns when a code is absent from the service model (e.g. ThrottlingException); expected here.
        warnings.simplefilter("ignore")
        _, headers, body = self.serialized(ActionResult(InjectedFault(fault.error_code, fault.message)))
    return fault.status, headers, body


def faults_endpoint(request: Any, full_url: str, headers: Any) -> tuple[int, dict[str, str], str]:
    json_headers = {"Content-Type": "application/json"}
    if request.method == "GET":
        return 200, json_headers, json.dumps({"faults": pending_faults()})
    if request.method == "DELETE":
        clear_faults()
        return 200, json_headers, json.dumps({"faults": []})
    if request.method != "POST":
        return 405, json_headers, json.dumps({"error": "use GET, POST or DELETE"})
    try:
        spec = json.loads(request.data or b"{}")
        inject_faults(
            str(spec["service"]),
            str(spec["operation"]),
            str(spec["error_code"]),
            int(spec.get("count", 1)),
            status=int(spec["status"]) if spec.get("status") is not None else None,
            message=spec.get("message"),
        )
    except (KeyError, TypeError, ValueError) as error:
        return 400, json_headers, json.dumps({"error": f"invalid fault: {error!r}"})
    return 200, json_headers, json.dumps({"faults": pending_faults()})


def install() -> None:
    patch_attr(BaseResponse, "call_action", _call_action)
    add_url_path(moto_api_urls.url_paths, "{0}" + FAULTS_PATH + "$", faults_endpoint)
