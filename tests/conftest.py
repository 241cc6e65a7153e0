"""Shared by every test tier: the project's emulator, fake AWS credentials, no real endpoint, quiet Powertools."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from provenance_guard_cli.local_registry import RegistryPusher


@pytest.fixture(scope="session", autouse=True)
def project_emulator() -> None:
    """moto with the project's extensions (AWS behaviour moto lacks), in every tier and every order."""
    from provenance_guard_cli.emulator import install

    install()


@pytest.fixture(autouse=True)
def fake_aws_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test may reach a real AWS account: fake credentials, no profile, no endpoint override."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "ProvenanceGuard")
    monkeypatch.setenv("POWERTOOLS_DEV", "false")
    yield
    from provenance_guard.service import default_service

    default_service.cache_clear()


@pytest.fixture(scope="session")
def local_registry() -> Iterator[str]:
    """A real distribution registry (Debian's docker-registry) on loopback for the whole session; its URL.

    Started on first use only, stopped at the end of the session. The Makefile installs the package."""
    from provenance_guard_cli.local_registry import LocalRegistry

    with LocalRegistry() as registry:
        yield registry.url


@pytest.fixture
def pusher(local_registry: str) -> RegistryPusher:
    """Pushes blobs and manifests to the session's local registry (`RegistryPusher`)."""
    from provenance_guard_cli.local_registry import RegistryPusher

    return RegistryPusher(local_registry)
