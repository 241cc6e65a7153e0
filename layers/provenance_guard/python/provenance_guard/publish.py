"""Security Hub publisher: `BatchImportFindings` within every documented limit, losing nothing.

Limits (research/securityhub.md §4): ≤100 findings and ≤6 MB per call, ≤240 KB per finding,
10 requests/s per account and Region (burst 30). Throttling and 5xx on the call itself are retried
by the client's retry mode; findings returned in `FailedFindings` are retried here when the error
can pass, and otherwise reported to the caller, which must not record them as imported.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from provenance_guard.asff import to_asff
from provenance_guard.findings import Finding

logger = logging.getLogger(__name__)

MAX_FINDINGS_PER_CALL = 100
MAX_BYTES_PER_CALL = 6 * 1024 * 1024 - 64 * 1024
"""6 MB, less room for the request's own JSON around the findings."""
MAX_BYTES_PER_FINDING = 240 * 1024
DEFAULT_REQUESTS_PER_SECOND = 5.0
MAX_FAILED_FINDING_ROUNDS = 4
RETRYABLE_FAILURES = frozenset(
    {
        "InternalException",
        "InternalError",
        "ThrottlingException",
        "TooManyRequestsException",
        "LimitExceededException",
    }
)


@dataclass(frozen=True)
class FailedFinding:
    finding_id: str
    error_code: str
    error_message: str


@dataclass
class PublishResult:
    imported: list[str] = field(default_factory=list)
    failed: list[FailedFinding] = field(default_factory=list)
    calls: int = 0


class Sink(Protocol):
    """Where findings go (Security Hub; a file or the terminal are the command line's own outputs)."""

    def publish(self, findings: Sequence[Finding]) -> PublishResult:
        """Publish every finding; `imported` names those taken, `failed` those refused."""
        ...


class SecurityHubSink:
    """Findings rendered as ASFF, imported with `BatchImportFindings` (`SecurityHubPublisher`)."""

    def __init__(self, publisher: SecurityHubPublisher) -> None:
        self._publisher = publisher

    def publish(self, findings: Sequence[Finding]) -> PublishResult:
        return self._publisher.publish([to_asff(finding) for finding in findings])


class RateLimiter:
    """Spaces calls at least 1/rate seconds apart (process-wide, thread-safe)."""

    def __init__(
        self,
        requests_per_second: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._interval = 1.0 / requests_per_second
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> None:
        with self._lock:
            now = self._clock()
            wait = self._next - now
            self._next = max(now, self._next) + self._interval
        if wait > 0:
            self._sleep(wait)


class SecurityHubPublisher:
    """Imports each finding into its own Region's Security Hub (`securityhub_in(region)` gives the client)."""

    def __init__(
        self,
        securityhub_in: Callable[[str], Any],
        rate_limiter: RateLimiter | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._securityhub_in = securityhub_in
        self._limiter = rate_limiter or RateLimiter(DEFAULT_REQUESTS_PER_SECOND)
        self._sleep = sleep

    def publish(self, findings: Sequence[Mapping[str, Any]]) -> PublishResult:
        result = PublishResult()
        by_region: dict[str, list[Mapping[str, Any]]] = {}
        for finding in findings:
            by_region.setdefault(finding["Region"], []).append(finding)
        for region, regional in sorted(by_region.items()):
            self._publish_in(self._securityhub_in(region), regional, result)
        return result

    def _publish_in(self, client: Any, findings: Sequence[Mapping[str, Any]], result: PublishResult) -> None:
        pending: list[Mapping[str, Any]] = []
        for finding in findings:
            size = _size(finding)
            if size > MAX_BYTES_PER_FINDING:
                result.failed.append(
                    FailedFinding(finding["Id"], "FindingTooLarge", f"{size} bytes > {MAX_BYTES_PER_FINDING}")
                )
            else:
                pending.append(finding)
        for round_number in range(MAX_FAILED_FINDING_ROUNDS):
            retry: list[Mapping[str, Any]] = []
            for batch in batches(pending):
                last_round = round_number == MAX_FAILED_FINDING_ROUNDS - 1
                self._import(client, batch, result, retry, last_round=last_round)
            if not retry:
                break
            self._sleep(_backoff(round_number))
            pending = retry

    def _import(
        self,
        client: Any,
        batch: list[Mapping[str, Any]],
        result: PublishResult,
        retry: list[Mapping[str, Any]],
        *,
        last_round: bool,
    ) -> None:
        self._limiter.acquire()
        response = client.batch_import_findings(Findings=batch)
        result.calls += 1
        failed = {f["Id"]: f for f in response.get("FailedFindings", [])}
        for finding in batch:
            failure = failed.get(finding["Id"])
            if failure is None:
                result.imported.append(finding["Id"])
            elif failure.get("ErrorCode") in RETRYABLE_FAILURES and not last_round:
                retry.append(finding)
            else:
                logger.error("Security Hub rejected finding %s: %s", finding["Id"], failure)
                result.failed.append(
                    FailedFinding(finding["Id"], failure.get("ErrorCode", "?"), failure.get("ErrorMessage", ""))
                )


def batches(findings: Sequence[Mapping[str, Any]]) -> Iterator[list[Mapping[str, Any]]]:
    """Split into calls of ≤100 findings and ≤6 MB."""
    batch: list[Mapping[str, Any]] = []
    size = 0
    for finding in findings:
        finding_size = _size(finding)
        if batch and (len(batch) == MAX_FINDINGS_PER_CALL or size + finding_size > MAX_BYTES_PER_CALL):
            yield batch
            batch, size = [], 0
        batch.append(finding)
        size += finding_size
    if batch:
        yield batch


def _size(finding: Mapping[str, Any]) -> int:
    return len(json.dumps(finding, separators=(",", ":")).encode())


def _backoff(round_number: int) -> float:
    return random.uniform(0, min(8.0, 0.25 * 2**round_number))  # jitter, not crypto
