"""End-to-end tier: the emulator as an HTTP server, the synthesized stack's rules, the real handlers."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

import stacks  # noqa: F401 - the project's Node.js for jsii
from provenance_guard_cli.backing import Backing, ensure_backing
from provenance_guard_cli.emulator.server import EmulatorServer
from provenance_guard_cli.replay import Replayer
from provenance_guard_cli.routes import Route, routes_from_template, synthesize
from provenance_guard_cli.sample_account import DEMO_POLICY
from tests.e2e.policies import slice_document

REGION = "us-east-1"


@pytest.fixture(scope="session")
def template_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The stack as the demo policy deploys it (with its remediation function)."""
    return synthesize(tmp_path_factory.mktemp("cdk.out"), DEMO_POLICY)


@pytest.fixture(scope="session")
def routes(template_path: Path) -> list[Route]:
    import json

    return routes_from_template(json.loads(template_path.read_text()))


@pytest.fixture(scope="session")
def server() -> Iterator[EmulatorServer]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with EmulatorServer() as running:
        yield running


@pytest.fixture
def emulator(server: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[EmulatorServer]:
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    server.reset()
    yield server
    server.reset()


@pytest.fixture
def client(emulator: EmulatorServer) -> Any:
    def make(service: str) -> Any:
        return boto3.client(service, endpoint_url=emulator.url, region_name=REGION)

    return make


@pytest.fixture(scope="session")
def slice_policy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo policy without its remediation section: the slices judge what they push, nothing fixes it."""
    document = slice_document()
    path = tmp_path_factory.mktemp("policy") / "policy.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


@pytest.fixture
def backing(emulator: EmulatorServer, local_registry: str, slice_policy: Path) -> Backing:
    """The demo policy: it trusts the sample account's pipeline, share target and signing profiles."""
    return ensure_backing(emulator.url, REGION, slice_policy, local_registry)


@pytest.fixture
def replayer(routes: list[Route], backing: Backing) -> Replayer:
    return Replayer(routes, backing)
