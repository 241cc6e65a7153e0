"""The finding state store (DynamoDB): the last finding imported per finding `Id`.

It lets the pipeline skip unchanged results, keep `CreatedAt`/`FirstObservedAt` across updates,
make `UpdatedAt` strictly increase, and re-send the last finding when archiving a vanished resource.
A record holds the finding as `findings.to_document` writes it (`Format` 2); records written before
(format 1 held the ASFF finding) are read through `asff.from_asff`.
"""

from __future__ import annotations

import json
import time
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from provenance_guard.asff import from_asff
from provenance_guard.findings import Finding, format_time, from_document, to_document

PARTITION_KEY = "FindingId"
RESOURCE_KEY = "ResourceArn"
RESOURCE_INDEX = "ByResource"
"""Table layout, shared with the stack (stacks/constructs/findings_store.py) and the emulator."""
BATCH_GET_LIMIT = 100
TRANSACTION_LIMIT = 100
MAX_UNPROCESSED_ROUNDS = 8
RECORD_FORMAT = "2"


@dataclass(frozen=True)
class FindingRecord:
    finding_id: str
    resource_arn: str
    control_id: str
    status: str
    record_state: str
    fingerprint: str
    created_at: str
    updated_at: str
    finding: Finding


class StateStoreError(RuntimeError):
    """DynamoDB did not process every key after all retries."""


class FindingStateStore:
    def __init__(self, dynamodb: Any, table_name: str) -> None:
        self._dynamodb = dynamodb
        self._table = table_name

    def get_many(self, finding_ids: Iterable[str]) -> dict[str, FindingRecord]:
        """Records for the ids that have one; missing ids are simply absent."""
        ids = sorted(set(finding_ids))
        records: dict[str, FindingRecord] = {}
        for start in range(0, len(ids), BATCH_GET_LIMIT):
            keys = [{"FindingId": {"S": i}} for i in ids[start : start + BATCH_GET_LIMIT]]
            request: dict[str, Any] = {self._table: {"Keys": keys, "ConsistentRead": True}}
            for attempt in range(MAX_UNPROCESSED_ROUNDS):
                response = self._dynamodb.batch_get_item(RequestItems=request)
                for item in response.get("Responses", {}).get(self._table, []):
                    record = _from_item(item)
                    records[record.finding_id] = record
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
                time.sleep(min(2.0, 0.05 * 2**attempt))
            else:
                raise StateStoreError(f"DynamoDB left {len(request[self._table]['Keys'])} keys unprocessed")
        return records

    def for_resource(self, resource_arn: str) -> list[FindingRecord]:
        records: list[FindingRecord] = []
        paginator = self._dynamodb.get_paginator("query")
        for page in paginator.paginate(
            TableName=self._table,
            IndexName=RESOURCE_INDEX,
            KeyConditionExpression="ResourceArn = :arn",
            ExpressionAttributeValues={":arn": {"S": resource_arn}},
        ):
            records.extend(_from_item(item) for item in page.get("Items", []))
        return records

    def active_resources(self, account: str, region: str, arn_prefix: str | None = None) -> set[str]:
        """ARNs of the resources with ACTIVE findings in one account and Region, optionally only those
        starting with `arn_prefix` (the images of a deleted repository).

        A filtered scan reading keys and three attributes: the sweep's reconciliation runs it once a
        day, and a deleted repository (CloudTrail DeleteRepository) is rare; no index serves either."""
        return set(self.iter_active_resources(account, region, arn_prefix))

    def iter_active_resources(self, account: str, region: str, arn_prefix: str | None = None) -> Iterator[str]:
        """`active_resources`, page by page as the scan reads them (an ARN once per ACTIVE finding)."""
        condition = "RecordState = :active AND Account = :account AND #region = :region"
        values = {":active": {"S": "ACTIVE"}, ":account": {"S": account}, ":region": {"S": region}}
        if arn_prefix is not None:
            condition += " AND begins_with(ResourceArn, :prefix)"
            values[":prefix"] = {"S": arn_prefix}
        paginator = self._dynamodb.get_paginator("scan")
        for page in paginator.paginate(
            TableName=self._table,
            ProjectionExpression="ResourceArn",
            FilterExpression=condition,
            ExpressionAttributeNames={"#region": "Region"},
            ExpressionAttributeValues=values,
        ):
            yield from (item["ResourceArn"]["S"] for item in page.get("Items", []))

    def save_many(self, findings: Iterable[tuple[Finding, str]]) -> None:
        """Store findings just imported, up to 100 per DynamoDB transaction, with the same condition as
        `save`. A transaction fails whole when one condition fails (a concurrent newer write): that
        chunk is then saved item by item, so every other finding is still stored."""
        from botocore.exceptions import ClientError

        items = list(findings)
        for start in range(0, len(items), TRANSACTION_LIMIT):
            chunk = items[start : start + TRANSACTION_LIMIT]
            if len(chunk) == 1:
                self.save(*chunk[0])
                continue
            try:
                self._dynamodb.transact_write_items(TransactItems=[{"Put": self._put(f, fp)} for f, fp in chunk])
            except ClientError as error:
                if error.response["Error"]["Code"] != "TransactionCanceledException":
                    raise
                for finding, fingerprint in chunk:
                    self.save(finding, fingerprint)

    def _put(self, finding: Finding, fingerprint: str) -> dict[str, Any]:
        return {
            "TableName": self._table,
            "Item": _to_item(finding, fingerprint),
            "ConditionExpression": "attribute_not_exists(FindingId) OR UpdatedAt < :updated",
            "ExpressionAttributeValues": {":updated": {"S": format_time(finding.updated_at)}},
        }

    def save(self, finding: Finding, fingerprint: str) -> None:
        """Store the finding just imported. A concurrent newer write wins (ours is dropped)."""
        from botocore.exceptions import ClientError

        try:
            self._dynamodb.put_item(**self._put(finding, fingerprint))
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise


def next_updated_at(previous: str | None, now: datetime) -> datetime:
    """`now`, or 1 ms after `previous` when the clock has not moved past it (Security Hub ignores
    an update whose UpdatedAt is not strictly later)."""
    if previous is None:
        return now
    last = datetime.fromisoformat(previous.replace("Z", "+00:00"))
    return max(now, last + timedelta(milliseconds=1))


def _to_item(finding: Finding, fingerprint: str) -> dict[str, Any]:
    body = zlib.compress(json.dumps(to_document(finding), separators=(",", ":")).encode())
    return {
        "FindingId": {"S": finding.id},
        "ResourceArn": {"S": finding.resource.arn},
        "ControlId": {"S": finding.control_id},
        "Status": {"S": finding.status.value},
        "RecordState": {"S": finding.record_state.value},
        "Fingerprint": {"S": fingerprint},
        "Account": {"S": finding.resource.account},
        "Region": {"S": finding.resource.region},
        "CreatedAt": {"S": format_time(finding.created_at)},
        "UpdatedAt": {"S": format_time(finding.updated_at)},
        "Format": {"S": RECORD_FORMAT},
        "Finding": {"B": body},
    }


def _finding(item: Mapping[str, Any]) -> Finding:
    document: Mapping[str, Any] = json.loads(zlib.decompress(item["Finding"]["B"]))
    if item.get("Format", {}).get("S") == RECORD_FORMAT:
        return from_document(document)
    return from_asff(document)


def _from_item(item: Mapping[str, Any]) -> FindingRecord:
    return FindingRecord(
        finding_id=item["FindingId"]["S"],
        resource_arn=item["ResourceArn"]["S"],
        control_id=item["ControlId"]["S"],
        status=item["Status"]["S"],
        record_state=item["RecordState"]["S"],
        fingerprint=item["Fingerprint"]["S"],
        created_at=item["CreatedAt"]["S"],
        updated_at=item["UpdatedAt"]["S"],
        finding=_finding(item),
    )
