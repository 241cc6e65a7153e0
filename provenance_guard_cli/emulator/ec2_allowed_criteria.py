"""Whether an AMI meets an account's Allowed AMIs criteria, as the EC2 user guide ("ec2-allowed-amis",
"How criteria are evaluated") and the ``ImageCriterionRequest`` reference describe it.

* AMIs the account owns are always allowed.
* ``ImageCriteria`` is an OR of ``ImageCriterion``; a criterion is an AND of the parameters it sets;
  a list parameter matches when any of its values does.
* ``ImageProviders``: an owner alias (``amazon``, ``aws-marketplace``, ``aws-backup-vault``) or a
  12-digit owner account; ``none`` allows only the account's own AMIs (so it matches no other AMI).
* ``ImageNames``: exact names or ``*`` / ``?`` wildcards (every other character is literal).
* ``MarketplaceProductCodes``: one of the AMI's product codes.
* ``CreationDateCondition.MaximumDaysSinceCreated``: created at most that many days ago.
* ``DeprecationTimeCondition.MaximumDaysSinceDeprecated``: not deprecated, or deprecated less than that
  many days ago (``0`` excludes every deprecated AMI).
* ``ImageWatermarks``: at least one of the AMI's watermarks satisfies one filter, i.e. every field the
  filter sets: ``WatermarkKey`` and ``SourceImageRegion`` (wildcards ``*`` / ``?``),
  ``MaximumDaysSinceSourceImageCreated``, ``MaximumDaysSinceWatermarkCreated``.
* ``ScanResultCondition``: the AMI was scanned (never scanned is never allowed), its highest finding
  severity is at most ``MaximumSeverityLabel`` (no findings passes), the scan is at most
  ``MaxDaysSinceLastFindingScan`` days old, and no ``<Severity>FixAvailableSince`` is older than the
  matching ``MaxDaysSince<Severity>FixAvailable``.

Day limits compare elapsed time with whole days (``now - t <= N days``); where AWS rounds is not
documented.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from . import ec2_image_model as model
from . import ec2_image_scans as scans
from . import ec2_image_watermarks as watermarks

Criterion = Mapping[str, Any]


def is_allowed(ami: Any, account: str, criteria: Sequence[Criterion], now: datetime) -> bool:
    if ami.owner_id == account:
        return True
    return any(matches(ami, criterion, now) for criterion in criteria)


def matches(ami: Any, criterion: Criterion, now: datetime) -> bool:
    return all(check(ami, criterion[member], now) for member, check in _CHECKS.items() if member in criterion)


def wildcard(pattern: str) -> re.Pattern[str]:
    """AWS's name wildcards: ``*`` any run of characters, ``?`` one character, nothing else special."""
    parts = (".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern)
    return re.compile("".join(parts), re.DOTALL)


def _within(moment: datetime, days: int, now: datetime) -> bool:
    return now - moment <= timedelta(days=days)


def _provider(ami: Any, providers: list[str], now: datetime) -> bool:
    return any(provider != "none" and provider in (ami.owner_alias, ami.owner_id) for provider in providers)


def _name(ami: Any, names: list[str], now: datetime) -> bool:
    return ami.name is not None and any(wildcard(name).fullmatch(ami.name) for name in names)


def _product_code(ami: Any, codes: list[str], now: datetime) -> bool:
    return any(code in ami.product_codes for code in codes)


def _creation(ami: Any, condition: Mapping[str, int], now: datetime) -> bool:
    return _within(watermarks.creation_time(ami), condition["MaximumDaysSinceCreated"], now)


def _deprecation(ami: Any, condition: Mapping[str, int], now: datetime) -> bool:
    deprecate_at = model.extras(ami).deprecate_at
    if deprecate_at is None or deprecate_at > now:
        return True
    return now - deprecate_at < timedelta(days=condition["MaximumDaysSinceDeprecated"])


def _watermark_filter(mark: watermarks.Watermark, wanted: Mapping[str, Any], now: datetime) -> bool:
    checks: dict[str, Callable[[Any], bool]] = {
        "WatermarkKey": lambda key: bool(wildcard(key).fullmatch(mark.key)),
        "SourceImageRegion": lambda region: bool(wildcard(region).fullmatch(mark.source_image_region)),
        "MaximumDaysSinceSourceImageCreated": lambda days: _within(mark.source_image_creation_time, days, now),
        "MaximumDaysSinceWatermarkCreated": lambda days: _within(mark.watermark_creation_time, days, now),
    }
    return all(check(wanted[field]) for field, check in checks.items() if field in wanted)


def _watermarks(ami: Any, filters: list[Mapping[str, Any]], now: datetime) -> bool:
    return any(_watermark_filter(mark, wanted, now) for mark in watermarks.watermarks(ami) for wanted in filters)


def _scan(ami: Any, condition: Mapping[str, Any], now: datetime) -> bool:
    results = scans.scan_results(ami)
    if results is None:
        return False
    highest = results.get("HighestFindingSeverityLabel")
    limit = condition.get("MaximumSeverityLabel")
    if limit is not None and highest is not None and scans.SEVERITIES.index(highest) > scans.SEVERITIES.index(limit):
        return False
    scan_age = condition.get("MaxDaysSinceLastFindingScan")
    if scan_age is not None and not _within(results["FindingScanDate"], scan_age, now):
        return False
    for severity, member in scans.FIX_AVAILABLE_SINCE.items():
        days = condition.get(f"MaxDaysSince{severity.capitalize()}FixAvailable")
        if days is not None and member in results and not _within(results[member], days, now):
            return False
    return True


_CHECKS: dict[str, Callable[[Any, Any, datetime], bool]] = {
    "ImageProviders": _provider,
    "ImageNames": _name,
    "MarketplaceProductCodes": _product_code,
    "CreationDateCondition": _creation,
    "DeprecationTimeCondition": _deprecation,
    "ImageWatermarks": _watermarks,
    "ScanResultCondition": _scan,
}
