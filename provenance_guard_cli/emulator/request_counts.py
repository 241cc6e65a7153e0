"""Request counting: how many AWS API requests the emulator served, per service and operation, so a
benchmark can count "requests per resource" at the emulator rather than in the client it measures.

Every request moto dispatches to a service response (``BaseResponse.call_action``, the interception
point `faults` already owns and which calls :func:`record`) is counted once, whether it then succeeds,
fails or is answered with an injected fault. Requests to ``/moto-api/...`` (reset, faults, these counts)
are not AWS requests and are not counted.

Against a running emulator server: ``GET`` :data:`COUNTS_PATH` returns ``{"requests": {"ec2:DescribeImages":
3, ...}, "total": N}``; ``DELETE`` returns them and resets them to zero (``EmulatorServer.request_counts`` wraps both).
Operation names are the API's own (``DescribeImages``); the service is boto3's name for it (``ec2``,
``ecr``, ``lambda``, ``sts``, ...).
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from typing import Any

from moto.core.utils import underscores_to_camelcase
from moto.moto_api._internal import urls as moto_api_urls

from .patches import add_url_path

COUNTS_PATH = "/moto-api/provenance-guard/requests"

_lock = threading.Lock()
_counts: Counter[str] = Counter()


def record(service: str, operation: str) -> None:
    """Count one request of ``service``/``operation`` (``describe_images`` or ``DescribeImages``)."""
    name = operation if "_" not in operation and not operation.islower() else _api_name(operation)
    with _lock:
        _counts[f"{service.lower()}:{name}"] += 1


def counts() -> dict[str, int]:
    with _lock:
        return dict(_counts.most_common())


def take() -> dict[str, int]:
    """The counts so far, and zero them (one step: no request is lost in between)."""
    with _lock:
        taken = dict(_counts.most_common())
        _counts.clear()
        return taken


def _api_name(operation: str) -> str:
    camel = underscores_to_camelcase(operation)
    return camel[:1].upper() + camel[1:]


def counts_endpoint(request: Any, full_url: str, headers: Any) -> tuple[int, dict[str, str], str]:
    json_headers = {"Content-Type": "application/json"}
    if request.method not in ("GET", "DELETE"):
        return 405, json_headers, json.dumps({"error": "use GET or DELETE"})
    found = take() if request.method == "DELETE" else counts()
    return 200, json_headers, json.dumps({"requests": found, "total": sum(found.values())})


def install() -> None:
    add_url_path(moto_api_urls.url_paths, "{0}" + COUNTS_PATH + "$", counts_endpoint)
