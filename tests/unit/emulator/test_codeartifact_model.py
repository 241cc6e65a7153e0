"""The CodeArtifact emulator against botocore's codeartifact/2018-09-22 model: operations, routes, the
members it reads, the shapes it returns, its errors and the enums it relies on."""

from __future__ import annotations

import ast
import hashlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.model import ServiceModel, Shape

from provenance_guard_cli.emulator import codeartifact as codeartifact_module
from provenance_guard_cli.emulator import codeartifact_model, codeartifact_names, codeartifact_seed
from provenance_guard_cli.emulator.codeartifact_seed import seed_package_version
from provenance_guard_cli.emulator.codeartifact_validation import JAVA_PATTERNS, pattern_check
from provenance_guard_cli.emulator.faults import inject_faults
from tests.unit.emulator.codeartifact_support import DOMAIN, error_of, pypi_mirror
from tests.unit.emulator.model_shapes import enum, input_members, shape_members

EMULATOR_DIR = Path(codeartifact_module.__file__).parent


@pytest.fixture(scope="module")
def service_model() -> ServiceModel:
    return botocore.session.get_session().get_service_model("codeartifact")


def test_operations_and_routes_exist_in_the_botocore_model(service_model: ServiceModel) -> None:
    routes = set(codeartifact_module.url_paths)
    for name in codeartifact_module.OPERATIONS:
        operation = service_model.operation_model(name)
        assert f"{{0}}{operation.http['requestUri']}$" in routes
        handler = re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
        assert callable(getattr(codeartifact_module.CodeArtifactResponse, handler))
    assert routes == {
        f"{{0}}{service_model.operation_model(name).http['requestUri']}$" for name in codeartifact_module.OPERATIONS
    }


def test_enums_the_emulator_relies_on_are_the_models(service_model: ServiceModel) -> None:
    assert list(codeartifact_names.FORMATS) == enum(service_model, "PackageFormat")
    assert list(codeartifact_model.RESTRICTION_TYPES) == enum(service_model, "PackageGroupOriginRestrictionType")
    assert list(codeartifact_seed.ORIGIN_TYPES) == enum(service_model, "PackageVersionOriginType")
    assert set(codeartifact_seed.SEEDABLE_STATUSES) < set(enum(service_model, "PackageVersionStatus"))
    assert set(codeartifact_names.EXTERNAL_CONNECTIONS.values()) <= set(enum(service_model, "PackageFormat"))
    documented = service_model.operation_model("AssociateExternalConnection").input_shape
    assert documented is not None
    listed = set(re.findall(r"public:[a-z-]+", documented.members["externalConnection"].documentation))
    assert listed == set(codeartifact_names.EXTERNAL_CONNECTIONS)


def test_every_model_pattern_is_checked(service_model: ServiceModel) -> None:
    patterns = {
        shape.metadata["pattern"]
        for name in service_model.shape_names
        if "pattern" in (shape := service_model.shape_for(name)).metadata
    }
    unicode_classes = {pattern for pattern in patterns if "\\p" in pattern or "\\P" in pattern}
    assert unicode_classes == set(JAVA_PATTERNS)
    for pattern in patterns - unicode_classes:
        re.compile(pattern)
    assert pattern_check(r"[^\p{C}\p{IsWhitespace}]+")("/npm/space/*")
    assert not pattern_check(r"[^\p{C}\p{IsWhitespace}]+")("/npm/a b/*")
    assert not pattern_check(r"\P{C}*")("tab\x07bell")
    assert pattern_check(r"[\P{C}\s]+")('{\n  "Version": "2012-10-17"\n}')


def test_error_classes_carry_the_models_codes_and_statuses(service_model: ServiceModel) -> None:
    for error in (
        codeartifact_model.ValidationException,
        codeartifact_model.ResourceNotFoundException,
        codeartifact_model.ConflictException,
        codeartifact_model.ServiceQuotaExceededException,
        codeartifact_model.AccessDeniedException,
    ):
        shape = service_model.shape_for(error.code)
        assert shape.metadata["exception"] is True
        assert shape.metadata["error"]["httpStatusCode"] == error.status
    assert set(shape_members(service_model, "ResourceNotFoundException")) == {"message", "resourceId", "resourceType"}


def _members_read_from_requests() -> set[str]:
    """Every constant key the emulator reads (``params[...]``/``params.get(...)``) from a request or a part of one."""
    names = {"params", "item", "restrictions"}
    found: set[str] = set()
    for path in EMULATOR_DIR.glob("codeartifact*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            target, key = None, None
            if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
                target, key = node.value, node.slice.value
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "get"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                target, key = node.func.value, node.args[0].value
            if target is not None and isinstance(key, str) and ast.unparse(target) in names:
                found.add(key)
    return found


def _all_input_members(shape: Shape, found: set[str]) -> set[str]:
    if shape.type_name == "structure":
        for name, member in shape.members.items():  # type: ignore[attr-defined]
            found.add(name)
            _all_input_members(member, found)
    elif shape.type_name == "list":
        _all_input_members(shape.member, found)  # type: ignore[attr-defined]
    return found


def test_request_members_read_exist_in_the_input_shapes(service_model: ServiceModel) -> None:
    inputs: set[str] = set()
    for name in codeartifact_module.OPERATIONS:
        shape = service_model.operation_model(name).input_shape
        assert shape is not None
        _all_input_members(shape, inputs)
    read = _members_read_from_requests()

    assert {"domain", "domainOwner", "repository", "upstreams", "externalConnection", "packageGroup"} <= read
    assert {"restrictions", "addAllowedRepositories", "repositoryName", "originRestrictionType", "publish"} <= read
    assert read - inputs == set()
    assert {"domain", "domainOwner", "repositoryPrefix", "maxResults", "nextToken"} <= input_members(
        service_model, "ListRepositoriesInDomain"
    )


def _unknown_members(shape: Any, value: Any, path: str) -> list[str]:
    """Keys in ``value`` that ``shape`` does not have (moto's serializer would silently drop them)."""
    if shape.type_name == "structure" and isinstance(value, dict):
        problems = [f"{path}.{key}" for key in value if key not in shape.members]
        for key, item in value.items():
            if key in shape.members and item is not None:
                problems += _unknown_members(shape.members[key], item, f"{path}.{key}")
        return problems
    if shape.type_name == "list" and isinstance(value, list):
        return [problem for item in value for problem in _unknown_members(shape.member, item, f"{path}[]")]
    if shape.type_name == "map" and isinstance(value, dict):
        return [problem for key, item in value.items() for problem in _unknown_members(shape.value, item, path)]
    return []


@pytest.fixture
def checked_outputs(monkeypatch: pytest.MonkeyPatch, service_model: ServiceModel) -> dict[str, list[dict[str, Any]]]:
    """Every handler's result is checked against its output shape; the results by operation."""
    seen: dict[str, list[dict[str, Any]]] = {}

    def checking(name: str, handler: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        def run(backend: Any, params: dict[str, Any]) -> dict[str, Any]:
            result = handler(backend, params)
            output = service_model.operation_model(name).output_shape
            assert _unknown_members(output, result, name) == []
            seen.setdefault(name, []).append(result)
            return result

        return run

    for name, handler in list(codeartifact_module.HANDLERS.items()):
        monkeypatch.setitem(codeartifact_module.HANDLERS, name, checking(name, handler))
    return seen


def test_every_operation_answers_in_its_output_shape(codeartifact: Any, checked_outputs: dict[str, Any]) -> None:
    pypi_mirror(codeartifact)
    policy = '{"Version": "2012-10-17", "Statement": []}'
    repo = {"domain": DOMAIN, "repository": "app"}
    codeartifact.update_repository(**repo, description="the application's packages")
    codeartifact.list_domains()
    codeartifact.describe_domain(domain=DOMAIN)
    codeartifact.list_repositories()
    codeartifact.list_repositories_in_domain(domain=DOMAIN)
    codeartifact.describe_repository(**repo)
    codeartifact.put_domain_permissions_policy(domain=DOMAIN, policyDocument=policy)
    codeartifact.get_domain_permissions_policy(domain=DOMAIN)
    codeartifact.delete_domain_permissions_policy(domain=DOMAIN)
    codeartifact.put_repository_permissions_policy(**repo, policyDocument=policy)
    codeartifact.get_repository_permissions_policy(**repo)
    codeartifact.delete_repository_permissions_policy(**repo)
    codeartifact.create_package_group(domain=DOMAIN, packageGroup="/pypi//acme~", description="internal")
    codeartifact.update_package_group_origin_configuration(
        domain=DOMAIN,
        packageGroup="/pypi//acme~",
        restrictions={"EXTERNAL_UPSTREAM": "ALLOW_SPECIFIC_REPOSITORIES"},
        addAllowedRepositories=[{"repositoryName": "pypi-store", "originRestrictionType": "EXTERNAL_UPSTREAM"}],
    )
    codeartifact.describe_package_group(domain=DOMAIN, packageGroup="/pypi//acme~")
    codeartifact.list_package_groups(domain=DOMAIN)
    codeartifact.list_sub_package_groups(domain=DOMAIN, packageGroup="/*")
    codeartifact.list_allowed_repositories_for_group(
        domain=DOMAIN, packageGroup="/pypi//acme~", originRestrictionType="EXTERNAL_UPSTREAM"
    )
    codeartifact.get_associated_package_group(domain=DOMAIN, format="pypi", package="acme-utils")
    seed_package_version(
        DOMAIN, "app", "pypi", "requests", "2.31.0", origin_type="EXTERNAL", external_connection="public:pypi"
    )
    pypi = {**repo, "format": "pypi", "package": "requests"}
    codeartifact.list_packages(**repo)
    codeartifact.describe_package(**pypi)
    codeartifact.list_package_versions(**pypi)
    codeartifact.describe_package_version(**pypi, packageVersion="2.31.0")
    codeartifact.put_package_origin_configuration(**pypi, restrictions={"publish": "BLOCK", "upstream": "ALLOW"})
    content = b"#!/bin/sh\necho hello\n"
    codeartifact.publish_package_version(
        **repo,
        format="generic",
        namespace="acme",
        package="tool",
        packageVersion="1.0.0",
        assetContent=content,
        assetName="tool.sh",
        assetSHA256=hashlib.sha256(content).hexdigest(),
    )
    codeartifact.dispose_package_versions(**pypi, versions=["2.31.0"])
    codeartifact.delete_package_versions(**pypi, versions=["2.31.0", "9.9.9"])
    codeartifact.delete_package_group(domain=DOMAIN, packageGroup="/pypi//acme~")
    codeartifact.disassociate_external_connection(
        domain=DOMAIN, repository="pypi-store", externalConnection="public:pypi"
    )
    codeartifact.delete_repository(**repo)
    codeartifact.delete_repository(domain=DOMAIN, repository="pypi-store")
    codeartifact.delete_domain(domain=DOMAIN)

    assert set(checked_outputs) == set(codeartifact_module.OPERATIONS)


def test_faults_can_be_injected_into_codeartifact(boto_session: Any, aws: None) -> None:
    client = boto_session.client("codeartifact", config=Config(retries={"total_max_attempts": 1}))
    inject_faults("codeartifact", "ListDomains", "ThrottlingException")

    with pytest.raises(ClientError) as excinfo:
        client.list_domains()

    assert error_of(excinfo) == ("ThrottlingException", 429)
    assert client.list_domains()["domains"] == []
