"""Registry readers for ECR: the account's registry endpoint with Basic credentials from
`ecr:GetAuthorizationToken` (cached until shortly before they expire), or one fixed registry URL
(`PROVENANCE_GUARD_REGISTRY_URL`) for tests and the demo."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from provenance_guard.clients import ClientFactory
from provenance_guard.oci.registry import RegistryError, RegistryReader
from provenance_guard.settings import ENV_REGISTRY_URL

GET_AUTHORIZATION_TOKEN = "ecr:GetAuthorizationToken"
READ_MANIFESTS = ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")
"""What the registry endpoint checks for manifest and blob GETs (besides the token)."""
OCI_PERMISSIONS = (GET_AUTHORIZATION_TOKEN, *READ_MANIFESTS)
TOKEN_REFRESH_MARGIN_SECONDS = 300.0
SETTING = f"{ENV_REGISTRY_URL} (provenance-guard evaluate and replay: --registry-url)"
ECR_HINT = f"if another registry serves these images (a mirror, a local registry), set {SETTING}"
OVERRIDE_HINT = f"check {SETTING}"


def registry_host(account: str, region: str) -> str:
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"{account}.dkr.ecr.{region}.{suffix}"


class EcrTokenCache:
    """`Basic <token>` for one Region's registry, fetched on first use and refreshed before expiry."""

    def __init__(self, ecr: Callable[[], Any], clock: Callable[[], float] = time.time) -> None:
        self._ecr = ecr
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires = 0.0

    def __call__(self) -> str:
        with self._lock:
            if self._token is None or self._clock() >= self._expires - TOKEN_REFRESH_MARGIN_SECONDS:
                data = self._fetch()
                self._token = f"Basic {data['authorizationToken']}"
                expires = data.get("expiresAt")
                self._expires = expires.timestamp() if isinstance(expires, datetime) else self._clock() + 3600
            return self._token

    def _fetch(self) -> Any:
        """The authorization data; an AWS error (after botocore's retries) is a `RegistryError`, so the
        image is recorded as unreadable through the registry rather than failing its whole evaluation."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return self._ecr().get_authorization_token()["authorizationData"][0]
        except ClientError as error:
            raise RegistryError(f"{GET_AUTHORIZATION_TOKEN}: {error.response['Error']['Code']}: {error}") from None
        except BotoCoreError as error:
            raise RegistryError(f"{GET_AUTHORIZATION_TOKEN}: {error}") from None


class EcrRegistries:
    """One `RegistryReader` per (account, Region), or the override registry for every image."""

    def __init__(self, clients: ClientFactory, override_url: str | None = None) -> None:
        self._clients = clients
        self._override = RegistryReader(override_url, unreachable_hint=OVERRIDE_HINT) if override_url else None
        self._readers: dict[tuple[str, str], RegistryReader] = {}

    def reader(self, account: str, region: str) -> RegistryReader:
        if self._override is not None:
            return self._override
        key = (account, region)
        if key not in self._readers:
            tokens = EcrTokenCache(lambda: self._clients.client("ecr", region))
            url = f"https://{registry_host(account, region)}"
            self._readers[key] = RegistryReader(url, tokens, unreachable_hint=ECR_HINT)
        return self._readers[key]
