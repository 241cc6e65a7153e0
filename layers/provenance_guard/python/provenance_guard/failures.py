"""Which failures a retry can fix: one classification for every handler path (an SQS record, one item of
its work, one finding Security Hub refused). See docs/decisions/permanent-and-transient-failures.md.

PERMANENT (rejected at once with the reason, counted, never retried):
- `EventError`: the event or message is malformed (the parsers' and `regions.check_scope`'s reasons);
- botocore's own validation of a request: `ParamValidationError` and the `ValidationError` family
  (`InvalidRegionError`, `UnknownKeyError`, `RangeError`, ...), and `UnknownRegionError`;
- an AWS error answer about what the request named (`PERMANENT_CODES`, any `InvalidParameter*` code,
  EC2's `*.Malformed` ids), unless it came with a 5xx status;
- a finding Security Hub refused with `InvalidInput` or `InvalidAccess` (`PERMANENT_FINDING_CODES`).

TRANSIENT (retried; for SQS: the record is reported in `batchItemFailures`, and after maxReceiveCount it
reaches the DLQ, whose depth raises an alarm): throttling, 5xx, timeouts and connection errors (the
client's `standard` retry mode has already retried them), and every failure not listed above: a missing
permission or a bug should raise that alarm, not vanish into a log.
"""

from __future__ import annotations

from enum import StrEnum

from provenance_guard.work import EventError


class Failure(StrEnum):
    PERMANENT = "permanent"
    TRANSIENT = "transient"


PERMANENT_CODES = frozenset(
    {
        "ValidationException",  # JSON-protocol services (Inspector, Lambda, ECR, DynamoDB, ...)
        "ValidationError",  # query-protocol services (SNS, STS, ...)
        "InvalidInput",
        "InvalidInputException",  # Security Hub
        "InvalidAccess",
        "InvalidAccessException",  # Security Hub
        "InvalidRequestException",  # Image Builder: a malformed request
        "SerializationException",
    }
)
PERMANENT_CODE_PREFIXES = ("InvalidParameter",)
"""InvalidParameterValue (EC2), InvalidParameterValueException (Image Builder, Lambda),
InvalidParameterException (ECR, Image Builder), InvalidParameterCombination(Exception)."""
PERMANENT_CODE_SUFFIXES = (".Malformed",)
"""EC2: InvalidAMIID.Malformed, InvalidInstanceID.Malformed, ..."""
PERMANENT_FINDING_CODES = frozenset({"InvalidInput", "InvalidAccess", "FindingTooLarge"})
"""`FailedFindings[].ErrorCode` of BatchImportFindings (FindingTooLarge: the publisher's own size check)."""


def classify(error: BaseException) -> Failure:
    """Whether a retry could ever make the work that raised `error` succeed."""
    if isinstance(error, EventError):
        return Failure.PERMANENT
    from botocore.exceptions import ClientError, ParamValidationError, UnknownRegionError, ValidationError

    if isinstance(error, ParamValidationError | ValidationError | UnknownRegionError):
        return Failure.PERMANENT
    if isinstance(error, ClientError):
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return classify_code(str(error.response.get("Error", {}).get("Code", "")), status)
    return Failure.TRANSIENT


def classify_code(code: str, status: int | None = None) -> Failure:
    """An AWS error code (and HTTP status): permanent when it says the request named something invalid."""
    if status is not None and status >= 500:
        return Failure.TRANSIENT
    if code in PERMANENT_CODES or code.startswith(PERMANENT_CODE_PREFIXES) or code.endswith(PERMANENT_CODE_SUFFIXES):
        return Failure.PERMANENT
    return Failure.TRANSIENT


def classify_finding_code(code: str) -> Failure:
    """A finding Security Hub returned in `FailedFindings` (after the publisher's own retry rounds)."""
    return Failure.PERMANENT if code in PERMANENT_FINDING_CODES else Failure.TRANSIENT


def reason(error: BaseException) -> str:
    """What went wrong, in one line for a log or a report: the AWS error code and message, botocore's
    message, or the exception's own."""
    from botocore.exceptions import ClientError

    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        operation = f" ({error.operation_name})" if error.operation_name else ""
        return f"{details.get('Code', '?')}: {details.get('Message', '')}{operation}"[:1000]
    if isinstance(error, EventError):
        return str(error)[:1000]
    return f"{type(error).__name__}: {error}"[:1000]
