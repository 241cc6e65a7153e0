"""``Image.ScanResults`` in DescribeImages (moto 5.2.5 has none), as Amazon Inspector would set it.

On AWS the member is present only for AMIs Inspector has scanned: ``FindingScanDate`` (the latest
scan), ``HighestFindingSeverityLabel`` (``informational`` ... ``critical``, findings with or without a
fix; absent when the scan found nothing) and ``<Severity>FixAvailableSince`` (the earliest time a fix
was reported for a finding of that severity; absent when none has a fix).

The emulator has no scanner, so a test or the demo says what Inspector found, per AMI: in-process with
:func:`set_scan_results`, or over HTTP at :data:`SCAN_RESULTS_PATH` (``POST`` a JSON object with
``imageId``, optional ``region`` (default us-east-1) and ``account`` (default moto's), and
``scanResults``: the ``ScanResults`` members by their AWS names, timestamps in ISO-8601, or ``null``
for an AMI never scanned). Results are checked for consistency: ``FindingScanDate`` is required, a
``<Severity>FixAvailableSince`` needs a highest severity at or above that severity and cannot be
later than the scan. Results live on the AMI, so deregistration and moto's reset forget them; a copy
or an image made from the AMI starts unscanned, as on AWS.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.ec2.models import ec2_backends
from moto.ec2.models.amis import Ami
from moto.moto_api._internal import urls as moto_api_urls

from .patches import add_url_path, patch_attr

SCAN_RESULTS_PATH = "/moto-api/provenance-guard/ec2/image-scan-results"
SEVERITIES = ("informational", "low", "medium", "high", "critical")
FIX_AVAILABLE_SINCE = {severity: f"{severity.capitalize()}FixAvailableSince" for severity in SEVERITIES}
MEMBERS = frozenset({"HighestFindingSeverityLabel", "FindingScanDate", *FIX_AVAILABLE_SINCE.values()})


class UnknownImageError(LookupError):
    """No AMI with that id in the account and Region."""


def set_scan_results(
    image_id: str,
    scan_results: Mapping[str, Any] | None,
    *,
    region: str = "us-east-1",
    account: str = DEFAULT_ACCOUNT_ID,
) -> None:
    """Say what Amazon Inspector found for the AMI (``None``: it was never scanned)."""
    ami = ec2_backends[account][region].amis.get(image_id)
    if ami is None:
        raise UnknownImageError(f"no AMI {image_id} in account {account}, Region {region}")
    ami.__dict__["_pg_scan_results"] = None if scan_results is None else parse_scan_results(scan_results)


def parse_scan_results(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The ``ScanResults`` shape from AWS member names, checked; ValueError says what is wrong."""
    unknown = sorted(set(spec) - MEMBERS)
    if unknown:
        raise ValueError(f"unknown ScanResults members {unknown}; known: {sorted(MEMBERS)}")
    if spec.get("FindingScanDate") is None:
        raise ValueError("FindingScanDate is required: the results are those of a scan")
    scanned = _timestamp(spec["FindingScanDate"], "FindingScanDate")
    results: dict[str, Any] = {"FindingScanDate": scanned}
    highest = spec.get("HighestFindingSeverityLabel")
    if highest is not None:
        if highest not in SEVERITIES:
            raise ValueError(f"HighestFindingSeverityLabel must be one of {SEVERITIES}, not {highest!r}")
        results["HighestFindingSeverityLabel"] = highest
    for severity, member in FIX_AVAILABLE_SINCE.items():
        if spec.get(member) is None:
            continue
        if highest is None or SEVERITIES.index(severity) > SEVERITIES.index(highest):
            raise ValueError(f"{member} needs a HighestFindingSeverityLabel of {severity} or above")
        since = _timestamp(spec[member], member)
        if since > scanned:
            raise ValueError(f"{member} cannot be later than FindingScanDate")
        results[member] = since
    return results


def _timestamp(value: object, member: str) -> datetime:
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{member} must be an ISO-8601 time, not {value!r}") from None
    else:
        raise ValueError(f"{member} must be an ISO-8601 time, not {value!r}")
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def scan_results(ami: Any) -> dict[str, Any] | None:
    found: dict[str, Any] | None = ami.__dict__.get("_pg_scan_results")
    return found


def scan_results_endpoint(request: Any, full_url: str, headers: Any) -> tuple[int, dict[str, str], str]:
    json_headers = {"Content-Type": "application/json"}
    if request.method != "POST":
        return 405, json_headers, json.dumps({"error": "POST the scan results of an AMI"})
    try:
        spec = json.loads(request.data or b"{}")
        if not isinstance(spec, dict) or "imageId" not in spec or "scanResults" not in spec:
            raise ValueError("needs imageId and scanResults (an object, or null for never scanned)")
        results = spec["scanResults"]
        if results is not None and not isinstance(results, dict):
            raise ValueError("scanResults must be an object or null")
        set_scan_results(
            str(spec["imageId"]),
            results,
            region=str(spec.get("region", "us-east-1")),
            account=str(spec.get("account", DEFAULT_ACCOUNT_ID)),
        )
    except UnknownImageError as error:
        return 404, json_headers, json.dumps({"error": str(error)})
    except ValueError as error:
        return 400, json_headers, json.dumps({"error": f"invalid scan results: {error}"})
    return 200, json_headers, json.dumps({"imageId": spec["imageId"], "scanned": results is not None})


def install() -> None:
    patch_attr(Ami, "scan_results", property(scan_results))
    add_url_path(moto_api_urls.url_paths, "{0}" + SCAN_RESULTS_PATH + "$", scan_results_endpoint)
