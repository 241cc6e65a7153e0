"""Builders shared by the CodeArtifact emulator tests (plain functions over a boto3 client)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

DOMAIN = "acme"


def resource_type_of(raised: pytest.ExceptionInfo[ClientError]) -> str | None:
    """The ``resourceType`` member of a ResourceNotFoundException / ConflictException."""
    response: dict[str, Any] = dict(raised.value.response)
    return response.get("resourceType")


def error_of(raised: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    """(error code, HTTP status) of a `pytest.raises(ClientError)` result."""
    response = raised.value.response
    return str(response["Error"]["Code"]), int(response["ResponseMetadata"]["HTTPStatusCode"])


def pypi_mirror(codeartifact: Any, domain: str = DOMAIN) -> None:
    """`domain` with ``pypi-store`` (external connection ``public:pypi``) upstream of ``app``."""
    codeartifact.create_domain(domain=domain)
    codeartifact.create_repository(domain=domain, repository="pypi-store")
    codeartifact.associate_external_connection(domain=domain, repository="pypi-store", externalConnection="public:pypi")
    codeartifact.create_repository(domain=domain, repository="app", upstreams=[{"repositoryName": "pypi-store"}])


def group(codeartifact: Any, pattern: str, domain: str = DOMAIN, **restrictions: str) -> dict[str, Any]:
    """Create the package group `pattern` and set `restrictions` (``PUBLISH="ALLOW"``, ...); its description."""
    codeartifact.create_package_group(domain=domain, packageGroup=pattern)
    if not restrictions:
        described: dict[str, Any] = codeartifact.describe_package_group(domain=domain, packageGroup=pattern)[
            "packageGroup"
        ]
        return described
    updated = codeartifact.update_package_group_origin_configuration(
        domain=domain, packageGroup=pattern, restrictions=restrictions
    )
    result: dict[str, Any] = updated["packageGroup"]
    return result


def restrictions_of(description: dict[str, Any]) -> dict[str, tuple[str, str, str | None]]:
    """restriction type -> (mode, effectiveMode, pattern inherited from)."""
    return {
        kind: (value["mode"], value["effectiveMode"], value.get("inheritedFrom", {}).get("pattern"))
        for kind, value in description["originConfiguration"]["restrictions"].items()
    }
