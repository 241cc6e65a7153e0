"""GetFindings: AwsSecurityFindingFilters, SortCriteria and MaxResults/NextToken pagination.

String filters follow the StringFilter documentation: EQUALS/PREFIX/CONTAINS on one field are ORed,
NOT_EQUALS/PREFIX_NOT_EQUALS/NOT_CONTAINS are ANDed, a positive and a negative set combine with AND,
and the forbidden mixes (EQUALS with NOT_EQUALS, CONTAINS with anything else, ...) are rejected.
A filter on a list-valued field (``Resources[].Id``, ``Types``) matches when any element matches.
Filter names this emulator does not evaluate are rejected with InvalidInputException rather than
silently ignored.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from .securityhub_asff import parse_timestamp
from .securityhub_store import invalid_input

STRING_FILTERS: dict[str, str] = {
    "ProductArn": "ProductArn",
    "AwsAccountId": "AwsAccountId",
    "AwsAccountName": "AwsAccountName",
    "Id": "Id",
    "GeneratorId": "GeneratorId",
    "Region": "Region",
    "Type": "Types[]",
    "SeverityLabel": "Severity.Label",
    "Title": "Title",
    "Description": "Description",
    "RecommendationText": "Remediation.Recommendation.Text",
    "SourceUrl": "SourceUrl",
    "ProductName": "ProductName",
    "CompanyName": "CompanyName",
    "ResourceType": "Resources[].Type",
    "ResourceId": "Resources[].Id",
    "ResourcePartition": "Resources[].Partition",
    "ResourceRegion": "Resources[].Region",
    "ResourceAwsEc2InstanceImageId": "Resources[].Details.AwsEc2Instance.ImageId",
    "ComplianceStatus": "Compliance.Status",
    "ComplianceSecurityControlId": "Compliance.SecurityControlId",
    "ComplianceAssociatedStandardsId": "Compliance.AssociatedStandards[].StandardsId",
    "VerificationState": "VerificationState",
    "WorkflowStatus": "Workflow.Status",
    "RecordState": "RecordState",
    "RelatedFindingsId": "RelatedFindings[].Id",
    "RelatedFindingsProductArn": "RelatedFindings[].ProductArn",
    "NoteText": "Note.Text",
    "NoteUpdatedBy": "Note.UpdatedBy",
    "FindingProviderFieldsSeverityLabel": "FindingProviderFields.Severity.Label",
    "FindingProviderFieldsTypes": "FindingProviderFields.Types[]",
}
MAP_FILTERS: dict[str, str] = {
    "ProductFields": "ProductFields",
    "UserDefinedFields": "UserDefinedFields",
    "ResourceTags": "Resources[].Tags",
    "ResourceDetailsOther": "Resources[].Details.Other",
}
DATE_FILTERS: dict[str, str] = {
    "FirstObservedAt": "FirstObservedAt",
    "LastObservedAt": "LastObservedAt",
    "CreatedAt": "CreatedAt",
    "UpdatedAt": "UpdatedAt",
    "NoteUpdatedAt": "Note.UpdatedAt",
}
NUMBER_FILTERS: dict[str, str] = {
    "SeverityNormalized": "Severity.Normalized",
    "Confidence": "Confidence",
    "Criticality": "Criticality",
}
BOOLEAN_FILTERS: dict[str, str] = {"Sample": "Sample"}

_POSITIVE: dict[str, Callable[[str, str], bool]] = {
    "EQUALS": lambda value, wanted: value == wanted,
    "PREFIX": lambda value, wanted: value.startswith(wanted),
    "CONTAINS": lambda value, wanted: wanted in value,
}
_NEGATIVE: dict[str, Callable[[str, str], bool]] = {
    "NOT_EQUALS": _POSITIVE["EQUALS"],
    "PREFIX_NOT_EQUALS": _POSITIVE["PREFIX"],
    "NOT_CONTAINS": _POSITIVE["CONTAINS"],
}


def values_at(data: Any, path: str) -> list[Any]:
    """Leaf values at a dotted path; ``name[]`` steps into every element of a list."""
    current = [data]
    for part in path.split("."):
        name = part.removesuffix("[]")
        found: list[Any] = []
        for item in current:
            value = item.get(name) if isinstance(item, dict) else None
            if part.endswith("[]") and isinstance(value, list):
                found.extend(value)
            elif value is not None:
                found.append(value)
        current = found
    return current


def query(findings: list[dict[str, Any]], params: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    filters: dict[str, list[dict[str, Any]]] = {k: v for k, v in (params.get("Filters") or {}).items() if v}
    if len(filters) > 10:
        raise invalid_input("You can filter by up to 10 finding attributes")
    for name, conditions in filters.items():
        if len(conditions) > 20:
            raise invalid_input(f"Filter {name} has more than 20 values")
        if name in STRING_FILTERS:
            _check_comparisons(name, conditions, {*_POSITIVE, *_NEGATIVE})
        elif name in MAP_FILTERS:
            _check_comparisons(name, conditions, {"EQUALS", "NOT_EQUALS", "CONTAINS", "NOT_CONTAINS"})
        elif not (name in DATE_FILTERS or name in NUMBER_FILTERS or name in BOOLEAN_FILTERS):
            raise invalid_input(f"The provenance-guard emulator does not evaluate the filter {name}")
    matching = [finding for finding in findings if all(_matches(finding, n, c) for n, c in filters.items())]
    for criterion in reversed(params.get("SortCriteria") or []):
        matching = _sorted(matching, str(criterion.get("Field")), criterion.get("SortOrder") == "desc")
    return _page(matching, params.get("MaxResults"), params.get("NextToken"))


def _check_comparisons(name: str, conditions: list[dict[str, Any]], allowed: set[str]) -> None:
    comparisons = {condition.get("Comparison") for condition in conditions}
    unknown = comparisons - allowed
    if unknown:
        raise invalid_input(f"Filter {name}: unsupported comparison(s) {sorted(map(str, unknown))}")
    if ("CONTAINS" in comparisons or "NOT_CONTAINS" in comparisons) and len(comparisons) > 1:
        raise invalid_input(f"Filter {name}: CONTAINS and NOT_CONTAINS can't be combined with other comparisons")
    if "EQUALS" in comparisons and comparisons & {"NOT_EQUALS", "PREFIX_NOT_EQUALS"}:
        raise invalid_input(f"Filter {name}: EQUALS can't be combined with NOT_EQUALS or PREFIX_NOT_EQUALS")


def _matches(finding: dict[str, Any], name: str, conditions: list[dict[str, Any]]) -> bool:
    if name in STRING_FILTERS:
        values = [str(value) for value in values_at(finding, STRING_FILTERS[name])]
        return _string_match(values, conditions)
    if name in MAP_FILTERS:
        maps = [item for item in values_at(finding, MAP_FILTERS[name]) if isinstance(item, dict)]
        return _map_match(maps, conditions)
    if name in DATE_FILTERS:
        dates = [parse_timestamp(value) for value in values_at(finding, DATE_FILTERS[name])]
        return any(_date_match(date, condition) for date in dates for condition in conditions)
    if name in NUMBER_FILTERS:
        numbers = [float(value) for value in values_at(finding, NUMBER_FILTERS[name])]
        return any(_number_match(number, condition) for number in numbers for condition in conditions)
    flags = values_at(finding, BOOLEAN_FILTERS[name])
    return any(flag == condition.get("Value") for flag in flags for condition in conditions)


def _string_match(values: list[str], conditions: list[dict[str, Any]]) -> bool:
    return _combine(conditions, lambda _: values)


def _map_match(maps: list[dict[str, Any]], conditions: list[dict[str, Any]]) -> bool:
    return _combine(conditions, lambda condition: [str(m[condition["Key"]]) for m in maps if condition.get("Key") in m])


def _combine(conditions: list[dict[str, Any]], values_for: Callable[[dict[str, Any]], list[str]]) -> bool:
    """Positive comparisons ORed, then negative comparisons ANDed."""
    positive = [c for c in conditions if c["Comparison"] in _POSITIVE]
    negative = [c for c in conditions if c["Comparison"] in _NEGATIVE]
    if positive and not any(
        _POSITIVE[c["Comparison"]](value, str(c.get("Value"))) for c in positive for value in values_for(c)
    ):
        return False
    return not any(_NEGATIVE[c["Comparison"]](value, str(c.get("Value"))) for c in negative for value in values_for(c))


def _date_match(value: datetime, condition: dict[str, Any]) -> bool:
    date_range = condition.get("DateRange")
    if date_range:
        if date_range.get("Unit", "DAYS") != "DAYS":
            raise invalid_input("DateRange.Unit must be DAYS")
        boundary = datetime.now(UTC) - timedelta(days=int(date_range.get("Value", 0)))
        return value < boundary if date_range.get("Comparison") == "OLDER_THAN" else value >= boundary
    start, end = condition.get("Start"), condition.get("End")
    if start is None and end is None:
        raise invalid_input("A DateFilter needs Start/End or DateRange")
    after_start = start is None or value >= parse_timestamp(start, "Start")
    return after_start and (end is None or value <= parse_timestamp(end, "End"))


def _number_match(value: float, condition: dict[str, Any]) -> bool:
    tests: dict[str, Callable[[float, float], bool]] = {
        "Eq": lambda v, x: v == x,
        "Gte": lambda v, x: v >= x,
        "Lte": lambda v, x: v <= x,
        "Gt": lambda v, x: v > x,
        "Lt": lambda v, x: v < x,
    }
    return all(test(value, float(condition[key])) for key, test in tests.items() if condition.get(key) is not None)


def _sorted(findings: list[dict[str, Any]], field: str, descending: bool) -> list[dict[str, Any]]:
    path = STRING_FILTERS.get(field) or DATE_FILTERS.get(field) or NUMBER_FILTERS.get(field) or field
    present = [f for f in findings if values_at(f, path)]
    missing = [f for f in findings if not values_at(f, path)]
    return sorted(present, key=lambda f: values_at(f, path)[0], reverse=descending) + missing


def _page(items: list[dict[str, Any]], max_results: Any, token: Any) -> tuple[list[dict[str, Any]], str | None]:
    limit = 100 if max_results is None else int(max_results)
    if not 1 <= limit <= 100:
        raise invalid_input("MaxResults must be a number between 1 and 100")
    start = 0
    if token:
        try:
            start = int(json.loads(base64.urlsafe_b64decode(str(token).encode()))["offset"])
        except (ValueError, KeyError, TypeError):
            raise invalid_input("The NextToken is invalid") from None
    end = start + limit
    next_token = base64.urlsafe_b64encode(json.dumps({"offset": end}).encode()).decode() if end < len(items) else None
    return items[start:end], next_token
