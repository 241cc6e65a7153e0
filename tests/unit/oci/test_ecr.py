"""Registry readers for ECR: host names, Basic credentials from GetAuthorizationToken (moto), cached."""

from __future__ import annotations

import base64
from typing import Any

import boto3

from provenance_guard.clients import ClientFactory
from provenance_guard.oci.ecr import EcrRegistries, EcrTokenCache, registry_host
from tests.unit.support import ACCOUNT, REGION


class CountingEcr:
    def __init__(self) -> None:
        self.client = boto3.client("ecr", region_name=REGION)
        self.calls = 0

    def __call__(self) -> Any:
        self.calls += 1
        return self.client


def test_registry_hosts():
    assert registry_host(ACCOUNT, "eu-west-1") == f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com"
    assert registry_host(ACCOUNT, "cn-north-1") == f"{ACCOUNT}.dkr.ecr.cn-north-1.amazonaws.com.cn"


def test_the_token_is_fetched_once_and_refreshed_before_it_expires(aws):
    ecr = CountingEcr()
    now = [0.0]
    tokens = EcrTokenCache(ecr, clock=lambda: now[0])

    first = tokens()
    assert first.startswith("Basic ")
    assert base64.b64decode(first.removeprefix("Basic ")).decode().startswith("AWS:")
    now[0] = 1.0
    assert tokens() == first
    assert ecr.calls == 1
    expires = ecr.client.get_authorization_token()["authorizationData"][0]["expiresAt"].timestamp()
    now[0] = expires - 60  # inside the refresh margin
    tokens()
    assert ecr.calls == 2


def test_one_reader_per_registry_or_the_override_for_all(aws):
    clients = ClientFactory()
    registries = EcrRegistries(clients)
    reader = registries.reader(ACCOUNT, REGION)
    assert reader.base_url == f"https://{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"
    assert registries.reader(ACCOUNT, REGION) is reader
    local = EcrRegistries(clients, "http://127.0.0.1:5001/")
    assert local.reader(ACCOUNT, REGION).base_url == "http://127.0.0.1:5001"
    assert local.reader("444455556666", "eu-west-1") is local.reader(ACCOUNT, REGION)


def test_a_refused_token_is_a_registry_error(aws, emulator_faults):
    """An SCP or a missing permission makes the image unreadable through the registry (recorded on the
    snapshot), not a crash of its whole evaluation."""
    import pytest

    from provenance_guard.oci.registry import RegistryError

    emulator_faults("ecr", "GetAuthorizationToken", "AccessDeniedException")
    with pytest.raises(RegistryError, match="ecr:GetAuthorizationToken: AccessDeniedException"):
        EcrTokenCache(CountingEcr())()
