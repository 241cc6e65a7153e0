"""HTTP for the OCI data path: one urllib3 pool manager per process, so each registry host gets one
kept-alive connection and every host shares one SSL context (the CA store is loaded once, not per
request); `urllib3` is imported on the first request, not when the layer loads.

`open_pooled` answers every status with a response (a 404 or a 307 is not an exception) and raises
`CannotConnectError` when no connection could be made (DNS failure, connection refused, host
unreachable) and `TransportError` for what may pass on a retry (a timeout, a dropped connection).
"""

from __future__ import annotations

import ssl
import threading
import urllib.request
from types import TracebackType
from typing import Any, Protocol

POOL_HOSTS = 32
"""Hosts kept pooled at once (the account's registries and the S3 hosts that serve ECR's blobs)."""


class Headers(Protocol):
    def get(self, key: str, /) -> str | None: ...


class Response(Protocol):
    """What an opener answers: the status, the headers and a bounded read of the body."""

    status: int
    headers: Headers

    def read(self, amount: int) -> bytes: ...

    def __enter__(self) -> Response: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None: ...


class CannotConnectError(OSError):
    """No connection to the host could be made: the same will happen on an immediate retry."""


class TransportError(OSError):
    """The request failed in a way a retry may not repeat (a timeout, a dropped connection)."""


class _PooledResponse:
    """A urllib3 response whose connection goes back to the pool when its body was read to the end,
    and is closed otherwise (a body cut at the size cap is not drained)."""

    def __init__(self, response: Any) -> None:
        self._response = response
        self.status: int = response.status
        self.headers: Headers = response.headers
        self._complete = False

    def read(self, amount: int) -> bytes:
        from urllib3.exceptions import HTTPError

        try:
            data: bytes = self._response.read(amount)
        except (HTTPError, OSError) as error:  # a read timeout, a connection dropped mid-body
            raise TransportError(str(error)) from None
        self._complete = len(data) < amount
        return data

    def __enter__(self) -> _PooledResponse:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if self._complete and exc is None:
            self._response.release_conn()
        else:
            self._response.close()


_lock = threading.Lock()
_pools: Any = None


def _pool_manager() -> Any:
    global _pools
    with _lock:
        if _pools is None:
            import urllib3

            context = ssl.create_default_context()
            context.minimum_version = ssl.TLSVersion.TLSv1_2
            _pools = urllib3.PoolManager(num_pools=POOL_HOSTS, maxsize=1, block=False, ssl_context=context)
        return _pools


def open_pooled(request: urllib.request.Request, timeout: float) -> _PooledResponse:
    """GET `request` (its URL and headers) through the process's pools, without retries or redirects."""
    from urllib3.exceptions import HTTPError, NewConnectionError

    try:
        response = _pool_manager().request(
            request.get_method(),
            request.full_url,
            headers=dict(request.header_items()),
            timeout=timeout,
            retries=False,
            redirect=False,
            preload_content=False,
        )
    except NewConnectionError as error:  # NameResolutionError is one
        raise CannotConnectError(_reason(error)) from None
    except (HTTPError, OSError) as error:
        raise TransportError(str(error)) from None
    return _PooledResponse(response)


def _reason(error: Exception) -> str:
    """The cause without urllib3's connection repr: `Failed to resolve 'x' ([Errno -2] Name or service not known)`."""
    text = str(error)
    return text.split(": ", 1)[1] if ": " in text else text
