"""A bounded, read-only client of the OCI distribution API (HTTP through `oci.transport`'s pools).

- Every manifest and blob is re-hashed against the digest it was asked for; a tag is resolved to a
  digest once and everything after that is read by digest.
- Sizes are capped (`MAX_MANIFEST_BYTES`, the caller's `max_bytes` for blobs) before and while reading.
- Each request has a timeout; 429, 5xx, timeouts and dropped connections are retried with exponential
  backoff and jitter (honouring a short `Retry-After`), then raise `RegistryError`.
- A host that cannot be connected to at all (DNS failure, connection refused) is not retried: it is
  marked unreachable for `UNREACHABLE_SECONDS`, logged once with what to fix, and every read of it in
  that time fails at once with `RegistryUnreachableError`, without another connection attempt.
- Redirects (ECR serves blobs from S3 through a 307) are followed by hand, and the Authorization
  header is dropped when the redirect leaves the registry's host, as S3 rejects a second credential.
- Referrers: the OCI 1.1 referrers API, and where a registry lacks it (404), the referrers tag schema
  (an index tagged `sha256-<hex>`), as Notation and ORAS do.
"""

from __future__ import annotations

import json
import logging
import random
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from provenance_guard.oci import transport
from provenance_guard.oci.manifest import (
    DIGEST,
    MANIFEST_TYPES,
    OCI_INDEX,
    Descriptor,
    Manifest,
    ManifestError,
    parse_manifest,
    verify_digest,
)
from provenance_guard.oci.transport import CannotConnectError, Headers, Response, TransportError

logger = logging.getLogger(__name__)

MAX_MANIFEST_BYTES = 4 * 1024 * 1024
"""The OCI distribution spec's recommended manifest size limit (ECR's is the same)."""
MAX_ATTEMPTS = 4
TIMEOUT_SECONDS = 10.0
MAX_REDIRECTS = 3
MAX_REFERRER_PAGES = 10
MAX_RETRY_AFTER_SECONDS = 5.0
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
UNREACHABLE_SECONDS = 300.0
"""How long a host that refused or could not be resolved is failed without trying it again."""

Authorizer = Callable[[], str | None]
"""Returns the Authorization header value for the registry (None for an anonymous registry)."""


class RegistryError(RuntimeError):
    """The registry could not be read (after retries), or sent something that fails verification."""


class NotFoundError(RegistryError):
    """The registry answered 404: the repository, manifest or blob does not exist."""


class RegistryUnreachableError(RegistryError):
    """No connection to the registry could be made (DNS failure, connection refused): not retried."""


Opener = Callable[[urllib.request.Request, float], Response]


@dataclass(frozen=True)
class _Response:
    status: int
    headers: Headers
    body: bytes


class RegistryReader:
    """Reads one registry (`base_url`, e.g. `https://<account>.dkr.ecr.<region>.amazonaws.com`)."""

    def __init__(
        self,
        base_url: str,
        authorizer: Authorizer | None = None,
        *,
        timeout: float = TIMEOUT_SECONDS,
        max_attempts: int = MAX_ATTEMPTS,
        sleep: Callable[[float], None] = time.sleep,
        opener: Opener | None = None,
        clock: Callable[[], float] = time.monotonic,
        unreachable_hint: str = "",
    ) -> None:
        """`unreachable_hint` ends the one line logged when the registry cannot be reached (the setting
        that points the reader elsewhere)."""
        self.base_url = base_url.rstrip("/")
        self._host = urllib.parse.urlsplit(self.base_url).netloc
        self._authorizer = authorizer
        self._timeout = timeout
        self._max_attempts = max_attempts
        self._sleep = sleep
        self._open = opener or transport.open_pooled
        self._clock = clock
        self._hint = unreachable_hint
        self._unreachable: dict[str, tuple[float, str]] = {}
        """host -> (until when, why) for hosts no connection could be made to."""

    def manifest(self, repository: str, reference: str) -> Manifest:
        """The manifest or index at `reference` (a digest, or a tag resolved to the digest served)."""
        response = self._get(f"/v2/{repository}/manifests/{reference}", ", ".join(MANIFEST_TYPES), MAX_MANIFEST_BYTES)
        if DIGEST.match(reference):
            digest = reference
        else:
            digest = response.headers.get("Docker-Content-Digest") or ""
            if not DIGEST.match(digest):
                raise RegistryError(f"{repository}:{reference}: the registry sent no Docker-Content-Digest")
        try:
            verify_digest(response.body, digest)
            return parse_manifest(response.body, digest, _media_type(response.headers))
        except ManifestError as error:
            raise RegistryError(f"{repository}@{digest}: {error}") from None

    def blob(self, repository: str, digest: str, max_bytes: int) -> bytes:
        """The blob `digest`, at most `max_bytes` long, verified against its digest."""
        response = self._get(f"/v2/{repository}/blobs/{digest}", "*/*", max_bytes)
        try:
            verify_digest(response.body, digest)
        except ManifestError as error:
            raise RegistryError(f"{repository} blob {digest}: {error}") from None
        return response.body

    def referrers(self, repository: str, digest: str, artifact_type: str | None = None) -> list[Descriptor]:
        """Descriptors of the manifests whose `subject` is `digest` (signatures, SBOMs, ...)."""
        query = f"?{urllib.parse.urlencode({'artifactType': artifact_type})}" if artifact_type else ""
        path: str | None = f"/v2/{repository}/referrers/{digest}{query}"
        found: list[Descriptor] = []
        pages = 0
        while path and pages < MAX_REFERRER_PAGES:
            try:
                response = self._get(path, OCI_INDEX, MAX_MANIFEST_BYTES)
            except NotFoundError:
                if pages:
                    break
                return self._referrers_by_tag(repository, digest, artifact_type)
            found.extend(_index_entries(response.body, f"referrers of {repository}@{digest}"))
            path = _next_link(response.headers.get("Link"))
            pages += 1
        return [d for d in found if artifact_type is None or d.artifact_type == artifact_type]

    def _referrers_by_tag(self, repository: str, digest: str, artifact_type: str | None) -> list[Descriptor]:
        algorithm, _, encoded = digest.partition(":")
        try:
            index = self.manifest(repository, f"{algorithm}-{encoded}")
        except NotFoundError:
            return []
        entries = index.manifests
        return [d for d in entries if artifact_type is None or d.artifact_type == artifact_type]

    def _get(self, path: str, accept: str, max_bytes: int) -> _Response:
        url = self.base_url + path
        self._fail_fast(self._host)
        authorization = self._authorizer() if self._authorizer else None
        for attempt in range(1, self._max_attempts + 1):
            try:
                return self._follow(url, accept, authorization, max_bytes)
            except _Retryable as retry:
                if attempt == self._max_attempts:
                    raise RegistryError(f"GET {path}: {retry.reason} after {attempt} attempts") from None
                self._sleep(retry.delay if retry.delay is not None else _backoff(attempt))
        raise AssertionError("unreachable")

    def _follow(self, url: str, accept: str, authorization: str | None, max_bytes: int) -> _Response:
        for _ in range(MAX_REDIRECTS + 1):
            headers = {"Accept": accept, "User-Agent": "provenance-guard"}
            if authorization and urllib.parse.urlsplit(url).netloc == self._host:
                headers["Authorization"] = authorization
            response = self._request(urllib.request.Request(url, headers=headers), max_bytes)
            if response.status in (301, 302, 303, 307, 308):
                location = response.headers.get("Location")
                if not location:
                    raise RegistryError(f"GET {url}: redirect without a Location")
                url = urllib.parse.urljoin(url, location)
                continue
            return response
        raise RegistryError(f"GET {url}: more than {MAX_REDIRECTS} redirects")

    def _request(self, request: urllib.request.Request, max_bytes: int) -> _Response:
        split = urllib.parse.urlsplit(request.full_url)
        where = f"GET {split.path}"
        self._fail_fast(split.netloc)
        try:
            with self._open(request, self._timeout) as response:
                status, headers = response.status, response.headers
                if status in (301, 302, 303, 307, 308) or status in RETRYABLE_STATUS:
                    body = b""
                elif status >= 400:
                    body = response.read(2048)
                else:
                    body = _read_capped(response, max_bytes, where)
        except CannotConnectError as error:
            raise self._mark_unreachable(split, str(error)) from None
        except (TransportError, TimeoutError, ConnectionError) as error:
            raise _Retryable(f"{where}: {error}", None) from None
        if status in RETRYABLE_STATUS:
            raise _Retryable(f"HTTP {status}", _retry_after(headers))
        if status >= 400 and status not in (301, 302, 303, 307, 308):
            detail = body.decode("utf-8", "replace")[:300]
            if status == 404:
                raise NotFoundError(f"{where}: 404 {detail}")
            raise RegistryError(f"{where}: HTTP {status} {detail}")
        return _Response(status, headers, body)

    def _fail_fast(self, host: str) -> None:
        down = self._unreachable.get(host)
        if down is not None:
            until, why = down
            if self._clock() < until:
                raise RegistryUnreachableError(why)
            del self._unreachable[host]

    def _mark_unreachable(self, url: urllib.parse.SplitResult, reason: str) -> RegistryUnreachableError:
        """Remember the host as unreachable and log it once; the error every read of it now raises."""
        why = f"registry {url.scheme}://{url.netloc} is unreachable ({reason})"
        self._unreachable[url.netloc] = (self._clock() + UNREACHABLE_SECONDS, why)
        logger.error(
            "%s: images are not read through it for the next %d s, their results NOT_AVAILABLE%s",
            why,
            UNREACHABLE_SECONDS,
            f"; {self._hint}" if self._hint else "",
        )
        return RegistryUnreachableError(why)


class _Retryable(Exception):
    def __init__(self, reason: str, delay: float | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.delay = delay


def _read_capped(response: Response, max_bytes: int, where: str) -> bytes:
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise RegistryError(f"{where}: {declared} bytes exceeds the {max_bytes}-byte limit")
    body: bytes = response.read(max_bytes + 1)
    if len(body) > max_bytes:
        raise RegistryError(f"{where}: the body exceeds the {max_bytes}-byte limit")
    return body


def _media_type(headers: Headers) -> str | None:
    value = headers.get("Content-Type")
    return value.split(";")[0].strip() if value else None


def _index_entries(raw: bytes, what: str) -> list[Descriptor]:
    try:
        document = json.loads(raw)
        manifest = parse_manifest(raw, "referrers", document.get("mediaType") or OCI_INDEX)
        return list(manifest.manifests)
    except (ValueError, AttributeError) as error:
        raise RegistryError(f"{what}: not an image index: {error}") from None


def _next_link(link: str | None) -> str | None:
    """The path of a `Link: <...>; rel="next"` header (OCI pagination), if any."""
    if not link:
        return None
    for part in link.split(","):
        target, _, params = part.partition(";")
        if 'rel="next"' in params.replace(" ", ""):
            url = urllib.parse.urlsplit(target.strip().strip("<>"))
            return url.path + (f"?{url.query}" if url.query else "")
    return None


def _retry_after(headers: Headers) -> float | None:
    value = headers.get("Retry-After")
    if value and value.strip().isdigit():
        return min(float(value.strip()), MAX_RETRY_AFTER_SECONDS)
    return None


def _backoff(attempt: int) -> float:
    """Full jitter over 0.2 s, 0.4 s, 0.8 s ... (capped at 3 s)."""
    return random.uniform(0, min(3.0, 0.2 * 2 ** (attempt - 1)))
