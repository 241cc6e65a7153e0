"""A bounded, read-only client of the OCI distribution API (standard library only).

- Every manifest and blob is re-hashed against the digest it was asked for; a tag is resolved to a
  digest once and everything after that is read by digest.
- Sizes are capped (`MAX_MANIFEST_BYTES`, the caller's `max_bytes` for blobs) before and while reading.
- Each request has a timeout; 429, 5xx and connection errors are retried with exponential backoff and
  jitter (honouring a short `Retry-After`), then raise `RegistryError`.
- Redirects (ECR serves blobs from S3 through a 307) are followed by hand, and the Authorization
  header is dropped when the redirect leaves the registry's host, as S3 rejects a second credential.
- Referrers: the OCI 1.1 referrers API, and where a registry lacks it (404), the referrers tag schema
  (an index tagged `sha256-<hex>`), as Notation and ORAS do.
"""

from __future__ import annotations

import json
import random
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.message import Message
from typing import Any

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

MAX_MANIFEST_BYTES = 4 * 1024 * 1024
"""The OCI distribution spec's recommended manifest size limit (ECR's is the same)."""
MAX_ATTEMPTS = 4
TIMEOUT_SECONDS = 10.0
MAX_REDIRECTS = 3
MAX_REFERRER_PAGES = 10
MAX_RETRY_AFTER_SECONDS = 5.0
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})

Authorizer = Callable[[], str | None]
"""Returns the Authorization header value for the registry (None for an anonymous registry)."""


class RegistryError(RuntimeError):
    """The registry could not be read (after retries), or sent something that fails verification."""


class NotFoundError(RegistryError):
    """The registry answered 404: the repository, manifest or blob does not exist."""


@dataclass(frozen=True)
class _Response:
    status: int
    headers: Message
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
        opener: Callable[[urllib.request.Request, float], Any] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._host = urllib.parse.urlsplit(self.base_url).netloc
        self._authorizer = authorizer
        self._timeout = timeout
        self._max_attempts = max_attempts
        self._sleep = sleep
        self._open = opener or _open_without_redirects

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
        where = f"GET {urllib.parse.urlsplit(request.full_url).path}"
        try:
            with self._open(request, self._timeout) as response:
                return _Response(response.status, response.headers, _read_capped(response, max_bytes, where))
        except urllib.error.HTTPError as error:
            status = error.code
            if status in (301, 302, 303, 307, 308):
                return _Response(status, error.headers, b"")
            if status in RETRYABLE_STATUS:
                raise _Retryable(f"HTTP {status}", _retry_after(error.headers)) from None
            detail = error.read(2048).decode("utf-8", "replace")
            if status == 404:
                raise NotFoundError(f"{where}: 404 {detail[:300]}") from None
            raise RegistryError(f"{where}: HTTP {status} {detail[:300]}") from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            raise _Retryable(f"{where}: {getattr(error, 'reason', error)}", None) from None


class _Retryable(Exception):
    def __init__(self, reason: str, delay: float | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.delay = delay


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # the 3xx surfaces as an HTTPError, followed by RegistryReader._follow


_OPENER = urllib.request.build_opener(_NoRedirect())


def _open_without_redirects(request: urllib.request.Request, timeout: float) -> Any:
    return _OPENER.open(request, timeout=timeout)


def _read_capped(response: Any, max_bytes: int, where: str) -> bytes:
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise RegistryError(f"{where}: {declared} bytes exceeds the {max_bytes}-byte limit")
    body: bytes = response.read(max_bytes + 1)
    if len(body) > max_bytes:
        raise RegistryError(f"{where}: the body exceeds the {max_bytes}-byte limit")
    return body


def _media_type(headers: Message) -> str | None:
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


def _retry_after(headers: Mapping[str, str] | Message | None) -> float | None:
    value = headers.get("Retry-After") if headers is not None else None
    if value and value.strip().isdigit():
        return min(float(value.strip()), MAX_RETRY_AFTER_SECONDS)
    return None


def _backoff(attempt: int) -> float:
    """Full jitter over 0.2 s, 0.4 s, 0.8 s ... (capped at 3 s)."""
    return random.uniform(0, min(3.0, 0.2 * 2 ** (attempt - 1)))
