"""publish.py: BatchImportFindings within Security Hub's limits, retrying what can pass, against moto."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from provenance_guard.asff import to_asff
from provenance_guard.controls import registry
from provenance_guard.findings import build_finding
from provenance_guard.model import Reason, Verdict
from provenance_guard.publish import (
    MAX_BYTES_PER_CALL,
    MAX_BYTES_PER_FINDING,
    MAX_FAILED_FINDING_ROUNDS,
    RateLimiter,
    SecurityHubPublisher,
    batches,
)
from tests.unit.support import T0, FakeMonotonic, ami_ref


def make_finding(index: int, padding: int = 0) -> dict[str, Any]:
    """A real ASFF finding (for image ami-<index>), optionally padded to a given size."""
    verdict = Verdict.failed("PG.AMI.1", (Reason("UNTRUSTED_OWNER", "untrusted"),), {"Padding": "-"})
    built = to_asff(build_finding(registry.get("PG.AMI.1"), verdict, ami_ref(f"ami-{index:017x}"), observed_at=T0))
    if padding:
        built["Resources"][0]["Details"] = {"Other": {f"Pad{i}": "p" * 1000 for i in range(padding // 1000)}}
    return built


def size(finding: Mapping[str, Any]) -> int:
    return len(json.dumps(finding, separators=(",", ":")).encode())


class CallLog:
    """The BatchImportFindings requests a client made (a botocore `before-parameter-build` handler)."""

    def __init__(self, client: Any) -> None:
        self.calls: list[list[str]] = []
        client.meta.events.register("before-parameter-build.securityhub.BatchImportFindings", self._record)

    def _record(self, params: dict[str, Any], **_: Any) -> None:
        self.calls.append([f["Id"] for f in params["Findings"]])


@pytest.fixture
def fake_time() -> FakeMonotonic:
    return FakeMonotonic()


@pytest.fixture
def publisher(securityhub: Any, fake_time: FakeMonotonic) -> SecurityHubPublisher:
    limiter = RateLimiter(5.0, clock=fake_time, sleep=fake_time.sleep)
    return SecurityHubPublisher(lambda region: securityhub, limiter, sleep=fake_time.sleep)


def stored_ids(securityhub: Any) -> set[str]:
    ids: set[str] = set()
    for page in securityhub.get_paginator("get_findings").paginate():
        ids.update(f["Id"] for f in page["Findings"])
    return ids


# --- batches --------------------------------------------------------------------------------------


def test_batches_hold_at_most_100_findings() -> None:
    findings = [make_finding(i) for i in range(250)]
    split = list(batches(findings))
    assert [len(b) for b in split] == [100, 100, 50]
    assert [f["Id"] for b in split for f in b] == [f["Id"] for f in findings]


def test_batches_hold_at_most_6_mb() -> None:
    findings = [make_finding(i, padding=230_000) for i in range(60)]
    assert all(200_000 < size(f) <= MAX_BYTES_PER_FINDING for f in findings)
    split = list(batches(findings))
    per_call = MAX_BYTES_PER_CALL // size(findings[0])
    assert [len(b) for b in split] == [per_call, per_call, 60 - 2 * per_call]
    assert all(sum(size(f) for f in b) <= MAX_BYTES_PER_CALL for b in split)
    assert sum(len(b) for b in split) == 60


def test_batches_of_nothing() -> None:
    assert list(batches([])) == []


# --- publish --------------------------------------------------------------------------------------


def test_publishes_every_finding_in_batches_of_100(publisher: SecurityHubPublisher, securityhub: Any) -> None:
    log = CallLog(securityhub)
    findings = [make_finding(i) for i in range(150)]
    result = publisher.publish(findings)
    assert result.calls == 2
    assert [len(c) for c in log.calls] == [100, 50]
    assert sorted(result.imported) == sorted(f["Id"] for f in findings)
    assert result.failed == []
    assert stored_ids(securityhub) == {f["Id"] for f in findings}


def test_a_finding_over_240_kb_is_reported_failed_and_not_sent(
    publisher: SecurityHubPublisher, securityhub: Any
) -> None:
    log = CallLog(securityhub)
    too_big = make_finding(1, padding=250_000)
    assert size(too_big) > MAX_BYTES_PER_FINDING
    fine = make_finding(2)
    result = publisher.publish([too_big, fine])
    assert result.imported == [fine["Id"]]
    [failure] = result.failed
    assert (failure.finding_id, failure.error_code) == (too_big["Id"], "FindingTooLarge")
    assert f"> {MAX_BYTES_PER_FINDING}" in failure.error_message
    assert log.calls == [[fine["Id"]]]
    assert stored_ids(securityhub) == {fine["Id"]}


def test_only_oversized_findings_make_no_call(publisher: SecurityHubPublisher, securityhub: Any) -> None:
    log = CallLog(securityhub)
    result = publisher.publish([make_finding(1, padding=250_000)])
    assert (result.calls, log.calls, result.imported) == (0, [], [])
    assert len(result.failed) == 1


@pytest.mark.parametrize("code", ["ThrottlingException", "InternalException", "LimitExceededException"])
def test_a_retryable_failed_finding_is_retried_then_imported(
    securityhub: Any, failed_findings: Callable[..., None], fake_time: FakeMonotonic, code: str
) -> None:
    backoffs: list[float] = []
    limiter = RateLimiter(5.0, clock=fake_time, sleep=fake_time.sleep)
    publisher = SecurityHubPublisher(lambda region: securityhub, limiter, sleep=backoffs.append)
    log = CallLog(securityhub)
    flaky, steady = make_finding(1), make_finding(2)
    failed_findings(flaky["Id"], code, 2)
    result = publisher.publish([flaky, steady])
    assert log.calls == [[flaky["Id"], steady["Id"]], [flaky["Id"]], [flaky["Id"]]]
    assert sorted(result.imported) == sorted([flaky["Id"], steady["Id"]])
    assert result.failed == []
    assert result.calls == 3
    assert stored_ids(securityhub) == {flaky["Id"], steady["Id"]}
    # jittered exponential backoff between rounds: uniform(0, 0.25 * 2**round)
    assert len(backoffs) == 2
    assert 0 <= backoffs[0] <= 0.25
    assert 0 <= backoffs[1] <= 0.5


def test_a_failed_finding_that_keeps_failing_is_reported_after_the_last_round(
    publisher: SecurityHubPublisher, securityhub: Any, failed_findings: Callable[..., None]
) -> None:
    log = CallLog(securityhub)
    stuck = make_finding(1)
    failed_findings(stuck["Id"], "TooManyRequestsException", 10)
    result = publisher.publish([stuck])
    assert len(log.calls) == MAX_FAILED_FINDING_ROUNDS
    assert result.imported == []
    [failure] = result.failed
    assert (failure.finding_id, failure.error_code) == (stuck["Id"], "TooManyRequestsException")


def test_a_non_retryable_failed_finding_is_reported_at_once(
    publisher: SecurityHubPublisher, securityhub: Any, failed_findings: Callable[..., None]
) -> None:
    log = CallLog(securityhub)
    refused, fine = make_finding(1), make_finding(2)
    failed_findings(refused["Id"], "InvalidAccess", 1)
    result = publisher.publish([refused, fine])
    assert len(log.calls) == 1
    assert result.imported == [fine["Id"]]
    [failure] = result.failed
    assert (failure.finding_id, failure.error_code, failure.error_message) == (
        refused["Id"],
        "InvalidAccess",
        "InvalidAccess",
    )


def test_moto_rejects_a_finding_without_resources_as_invalid_input(
    publisher: SecurityHubPublisher, securityhub: Any
) -> None:
    broken = {**make_finding(1), "Resources": []}
    result = publisher.publish([broken, make_finding(2)])
    assert [f.finding_id for f in result.failed] == [broken["Id"]]
    assert result.failed[0].error_code in {"InvalidInput", "InvalidInputException"}
    assert result.calls == 1  # not retryable


# --- rate limiter ---------------------------------------------------------------------------------


def test_rate_limiter_spaces_calls_by_the_interval() -> None:
    time = FakeMonotonic()
    limiter = RateLimiter(5.0, clock=time, sleep=time.sleep)
    starts = []
    for _ in range(5):
        limiter.acquire()
        starts.append(time.now)
    assert time.sleeps == pytest.approx([0.2, 0.2, 0.2, 0.2])
    assert [round(b - a, 6) for a, b in itertools.pairwise(starts)] == [0.2] * 4


def test_rate_limiter_does_not_wait_when_calls_are_already_spaced() -> None:
    time = FakeMonotonic()
    limiter = RateLimiter(2.0, clock=time, sleep=time.sleep)
    for _ in range(3):
        limiter.acquire()
        time.now += 1.0
    assert time.sleeps == []


def test_rate_limiter_reserves_slots_for_concurrent_callers() -> None:
    # A clock that does not advance while callers wait: each caller is given the next free slot.
    waits: list[float] = []
    limiter = RateLimiter(10.0, clock=lambda: 50.0, sleep=waits.append)
    for _ in range(4):
        limiter.acquire()
    assert waits == pytest.approx([0.1, 0.2, 0.3])


def test_publisher_calls_are_rate_limited(securityhub: Any, fake_time: FakeMonotonic) -> None:
    limiter = RateLimiter(4.0, clock=fake_time, sleep=fake_time.sleep)
    publisher = SecurityHubPublisher(lambda region: securityhub, limiter, sleep=fake_time.sleep)
    result = publisher.publish([make_finding(i) for i in range(301)])
    assert result.calls == 4
    assert fake_time.sleeps == pytest.approx([0.25, 0.25, 0.25])
