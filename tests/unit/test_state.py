"""state.py: the DynamoDB finding state store (moto) and the strictly increasing UpdatedAt."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from provenance_guard.controls import registry
from provenance_guard.findings import Finding, RecordState, build_finding, fingerprint, format_time
from provenance_guard.model import Reason, Verdict
from provenance_guard.state import FindingStateStore, next_updated_at
from tests.unit.support import T0, ami_ref


def make_finding(image: int, control: str = "PG.AMI.1", updated: datetime = T0) -> Finding:
    verdict = Verdict.failed(control, (Reason("WHY", "because"),), {"Seen": "x"})
    built = build_finding(registry.get(control), verdict, ami_ref(f"ami-{image:017x}"), observed_at=T0)
    return replace(built, updated_at=updated)


@pytest.fixture
def store(dynamodb: Any, findings_table: str) -> FindingStateStore:
    return FindingStateStore(dynamodb, findings_table)


class BatchGetLog:
    def __init__(self, client: Any) -> None:
        self.key_counts: list[int] = []
        client.meta.events.register("before-parameter-build.dynamodb.BatchGetItem", self._record)

    def _record(self, params: dict[str, Any], **_: Any) -> None:
        self.key_counts.extend(len(request["Keys"]) for request in params["RequestItems"].values())


def test_save_then_get_returns_the_whole_record(store: FindingStateStore) -> None:
    finding = make_finding(1)
    store.save(finding, fingerprint(finding))
    record = store.get_many([finding.id])[finding.id]
    assert record.finding == finding
    assert record.fingerprint == fingerprint(finding)
    assert record.resource_arn == finding.resource.arn
    assert (record.control_id, record.status, record.record_state) == ("PG.AMI.1", "FAILED", "ACTIVE")
    assert (record.created_at, record.updated_at) == (format_time(finding.created_at), format_time(finding.updated_at))


def test_get_many_reads_more_than_100_ids_in_batches(store: FindingStateStore, dynamodb: Any) -> None:
    findings = [make_finding(i) for i in range(230)]
    for finding in findings:
        store.save(finding, fingerprint(finding))
    missing = [make_finding(1000 + i).id for i in range(20)]
    wanted = [f.id for f in findings] + missing + [findings[0].id]  # a duplicate, too
    log = BatchGetLog(dynamodb)
    records = store.get_many(wanted)
    assert set(records) == {f.id for f in findings}
    assert all(records[f.id].finding == f for f in findings)
    assert log.key_counts == [100, 100, 50]


def test_get_many_of_nothing_makes_no_call(store: FindingStateStore, dynamodb: Any) -> None:
    log = BatchGetLog(dynamodb)
    assert store.get_many([]) == {}
    assert log.key_counts == []


def test_for_resource_lists_every_finding_of_that_resource(store: FindingStateStore) -> None:
    mine = [make_finding(1, "PG.AMI.1"), make_finding(1, "PG.AMI.3")]
    other = make_finding(2, "PG.AMI.1")
    for finding in [*mine, other]:
        store.save(finding, fingerprint(finding))
    records = store.for_resource(mine[0].resource.arn)
    assert sorted(r.finding_id for r in records) == sorted(f.id for f in mine)
    assert store.for_resource("arn:aws:ec2:us-east-1::image/ami-0000000000000000f") == []


def test_an_older_update_does_not_overwrite_a_newer_one(store: FindingStateStore) -> None:
    newer = make_finding(1, updated=T0 + timedelta(minutes=5))
    older = replace(make_finding(1, updated=T0), record_state=RecordState.ARCHIVED)
    store.save(newer, "newer")
    store.save(older, "older")  # a concurrent, slower writer: dropped, not an error
    record = store.get_many([newer.id])[newer.id]
    assert (record.fingerprint, record.updated_at, record.record_state) == (
        "newer",
        format_time(newer.updated_at),
        "ACTIVE",
    )


def test_an_equal_updated_at_does_not_overwrite(store: FindingStateStore) -> None:
    first = make_finding(1)
    store.save(first, "first")
    store.save(replace(first, record_state=RecordState.ARCHIVED), "second")
    assert store.get_many([first.id])[first.id].fingerprint == "first"


def test_a_newer_update_overwrites(store: FindingStateStore) -> None:
    first = make_finding(1)
    store.save(first, "first")
    later = replace(make_finding(1, updated=T0 + timedelta(milliseconds=1)), record_state=RecordState.ARCHIVED)
    store.save(later, "later")
    record = store.get_many([first.id])[first.id]
    assert (record.fingerprint, record.record_state) == ("later", "ARCHIVED")


def test_other_dynamodb_errors_are_raised(dynamodb: Any) -> None:
    store = FindingStateStore(dynamodb, "no-such-table")
    finding = make_finding(1)
    with pytest.raises(ClientError) as raised:
        store.save(finding, fingerprint(finding))
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"


# --- next_updated_at ------------------------------------------------------------------------------


def test_first_update_is_now() -> None:
    assert next_updated_at(None, T0) == T0


def test_now_when_the_clock_moved_on() -> None:
    assert next_updated_at("2025-01-15T11:59:59.999Z", T0) == T0


def test_one_millisecond_later_when_the_clock_stands_still() -> None:
    assert next_updated_at(format_time(T0), T0) == T0 + timedelta(milliseconds=1)


def test_one_millisecond_later_when_the_clock_went_backwards() -> None:
    later = T0 + timedelta(seconds=30)
    assert next_updated_at(format_time(later), T0) == later + timedelta(milliseconds=1)


def test_strictly_increasing_over_many_updates_with_a_frozen_clock() -> None:
    stamps: list[str] = []
    previous = None
    for _ in range(50):
        moment = next_updated_at(previous, T0)
        previous = format_time(moment)
        stamps.append(previous)
    assert stamps == sorted(stamps)
    assert len(set(stamps)) == 50
    assert stamps[-1] == "2025-01-15T12:00:00.049Z"


def test_result_is_timezone_aware_utc() -> None:
    moment = next_updated_at("2025-01-15T12:00:00.000Z", T0 - timedelta(hours=1))
    assert moment.tzinfo is not None
    assert moment.utcoffset() == timedelta(0)
    assert moment == datetime(2025, 1, 15, 12, 0, 0, 1000, tzinfo=UTC)


def test_save_many_writes_up_to_100_findings_per_transaction(store: FindingStateStore, dynamodb: Any) -> None:
    calls: list[int] = []
    dynamodb.meta.events.register(
        "before-parameter-build.dynamodb.TransactWriteItems",
        lambda params, **_: calls.append(len(params["TransactItems"])),
    )
    findings = [make_finding(i) for i in range(150)]

    store.save_many((f, f"fp-{i}") for i, f in enumerate(findings))

    assert calls == [100, 50]
    records = store.get_many(f.id for f in findings)
    assert {records[f.id].fingerprint for f in findings} == {f"fp-{i}" for i in range(150)}


def test_save_many_keeps_a_newer_record_and_still_saves_the_rest(store: FindingStateStore) -> None:
    """One failed condition cancels the whole transaction: the chunk is saved item by item instead."""
    newer = make_finding(1, updated=T0 + timedelta(minutes=5))
    store.save(newer, "newer")
    older, other = make_finding(1), make_finding(2)

    store.save_many([(older, "older"), (other, "other")])

    records = store.get_many([newer.id, other.id])
    assert records[newer.id].fingerprint == "newer"
    assert records[other.id].fingerprint == "other"
