"""boto3 clients, created lazily and configured to retry throttling and 5xx with backoff.

botocore's `standard` retry mode retries throttling errors, 5xx and transient connection errors
with exponential backoff and full jitter; `max_attempts` counts the first call. What still fails after
that is classified by `provenance_guard.failures`: an answer that the request was invalid is permanent
(rejected, never retried by SQS), anything else is transient (the record is retried).
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import boto3

MAX_ATTEMPTS = 8
CONNECT_TIMEOUT_SECONDS = 5
READ_TIMEOUT_SECONDS = 20


class ClientFactory:
    """Hands out one client per (service, region); honours `AWS_ENDPOINT_URL` like boto3 itself."""

    def __init__(self, session: boto3.session.Session | None = None, max_attempts: int = MAX_ATTEMPTS) -> None:
        self._session = session
        self._max_attempts = max_attempts
        self._clients: dict[tuple[str, str | None], Any] = {}

    def client(self, service: str, region: str | None = None) -> Any:
        key = (service, region)
        if key not in self._clients:
            self._clients[key] = self._get_session().client(  # type: ignore[call-overload]
                service, region_name=region, config=_config(self._max_attempts)
            )
        return self._clients[key]

    def _get_session(self) -> boto3.session.Session:
        if self._session is None:
            import boto3

            self._session = boto3.session.Session()
        return self._session


@cache
def _config(max_attempts: int) -> Any:
    from botocore.config import Config

    return Config(
        retries={"mode": "standard", "total_max_attempts": max_attempts},
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
    )
