"""Image Builder state the emulator keeps per account and region, and the AWS rules that act on it.

Resources are kept in their API shape (``data`` is what the Get* call returns), keyed by ARN, in an
:class:`ImageBuilderBackend` that moto creates and resets like any of its own backends. See
:mod:`.imagebuilder` for what is modelled and what is not.
"""

from __future__ import annotations

import functools
import importlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from moto.core.base_backend import BackendDict, BaseBackend
from moto.core.exceptions import ServiceException
from moto.core.utils import get_service_model

from .ec2_image_model import format_millis, utc_now

SERVICE = "imagebuilder"

# What Image Builder accepts in an ARN's owner field for resources it did not create in this account.
MANAGED_OWNER = re.compile(r"^(?:aws(?:-[a-z-]+)?|third-party)$")

_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):imagebuilder:(?P<region>[^:]+):(?P<owner>[^:]+):"
    r"(?P<type>[a-z-]+)/(?P<name>[a-z0-9-_]+)"
    r"(?:/(?P<version>(?:[0-9]+|x)\.(?:[0-9]+|x)\.(?:[0-9]+|x))(?:/(?P<build>[0-9]+))?)?$"
)
_VERSION = re.compile(r"^([0-9]+)\.([0-9]+)\.([0-9]+)$")
_WILDCARD_VERSION = re.compile(r"^(?:[0-9]+|x)\.(?:[0-9]+|x)\.(?:[0-9]+|x)$")
_MAX_VERSION_NODE = 2**30 - 1

Version = tuple[int, int, int]


class ImageBuilderError(ServiceException):
    """Serialised with the imagebuilder model, so the HTTP status comes from the error shape."""


class ResourceNotFoundException(ImageBuilderError):
    code = "ResourceNotFoundException"


class InvalidParameterValueException(ImageBuilderError):
    code = "InvalidParameterValueException"


class InvalidParameterCombinationException(ImageBuilderError):
    code = "InvalidParameterCombinationException"


class InvalidRequestException(ImageBuilderError):
    code = "InvalidRequestException"


class ResourceAlreadyExistsException(ImageBuilderError):
    code = "ResourceAlreadyExistsException"


class IdempotentParameterMismatchException(ImageBuilderError):
    code = "IdempotentParameterMismatchException"


class DryRunOperationException(ImageBuilderError):
    code = "DryRunOperationException"


class InvalidPaginationTokenException(ImageBuilderError):
    code = "InvalidPaginationTokenException"


def not_found(kind: str, arn: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"The following required resource '{kind}' cannot be found: '{arn}'.")


def invalid_value(parameter: str, detail: str) -> InvalidParameterValueException:
    return InvalidParameterValueException(f"The value supplied for parameter '{parameter}' is not valid. {detail}")


def already_exists(kind: str, arn: str) -> ResourceAlreadyExistsException:
    return ResourceAlreadyExistsException(f"The following resource '{kind}' already exists: '{arn}'.")


def timestamp(value: datetime | None = None) -> str:
    """Image Builder's ``DateTime`` members are strings: ``2024-05-01T12:00:00.000Z``."""
    return format_millis(value or utc_now())


# --- request validation against the botocore model -------------------------------------------------


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:  # pragma: no cover - every imagebuilder pattern compiles today
        return None


def validate_input(operation: str, params: dict[str, Any]) -> None:
    """Required members, enums and patterns, as the service checks them (botocore checks only types and
    lengths client-side). A failure is InvalidParameterValueException naming the member's path."""
    shape = get_service_model(SERVICE).operation_model(operation).input_shape
    if shape is not None:
        for name in shape.required_members:
            if params.get(name) is None:
                raise InvalidRequestException(f"Missing required parameter '{name}'.")
        _check(shape, params, "")


def _check(shape: Any, value: Any, path: str) -> None:
    if value is None:
        return
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        for name, member in shape.members.items():
            if name in value:
                _check(member, value[name], f"{path}.{name}" if path else name)
    elif kind == "list" and isinstance(value, list):
        for index, item in enumerate(value):
            _check(shape.member, item, f"{path}[{index}]")
    elif kind == "map" and isinstance(value, dict):
        for key, item in value.items():
            _check(shape.key, key, path)
            _check(shape.value, item, f"{path}.{key}")
    elif kind == "string" and isinstance(value, str):
        enum = shape.enum
        if enum and value not in enum:
            raise invalid_value(path, f"'{path}' must be one of {list(enum)}.")
        pattern = shape.metadata.get("pattern")
        compiled = _compiled(pattern) if pattern else None
        if compiled is not None and not compiled.search(value):
            raise invalid_value(path, f"'{path}' must match pattern {pattern}")


# --- versions and ARNs ------------------------------------------------------------------------------


def parse_version(text: str, parameter: str = "semanticVersion") -> Version:
    match = _VERSION.match(text)
    if not match:
        raise invalid_value(parameter, f"{parameter} must match pattern ^[0-9]+\\.[0-9]+\\.[0-9]+$")
    major, minor, patch = (int(node) for node in match.groups())
    if max(major, minor, patch) > _MAX_VERSION_NODE:
        raise invalid_value(parameter, f"Each node of {parameter} must be at most {_MAX_VERSION_NODE}.")
    return major, minor, patch


def format_version(version: Version) -> str:
    return ".".join(str(node) for node in version)


def version_filter(pattern: str, parameter: str) -> tuple[int | None, int | None, int | None]:
    """``1.x.x`` -> (1, None, None). Once a node is ``x`` every node to its right must be too."""
    if not _WILDCARD_VERSION.match(pattern):
        raise invalid_value(parameter, f"'{pattern}' is not a valid semantic version.")
    nodes = [None if node == "x" else int(node) for node in pattern.split(".")]
    seen_wildcard = False
    for node in nodes:
        if node is None:
            seen_wildcard = True
        elif seen_wildcard:
            raise invalid_value(
                parameter, f"'{pattern}': every node to the right of the first wildcard must be a wildcard."
            )
    return nodes[0], nodes[1], nodes[2]


def version_matches(wanted: tuple[int | None, int | None, int | None], version: Version) -> bool:
    return all(node is None or node == actual for node, actual in zip(wanted, version, strict=True))


@dataclass(frozen=True)
class Arn:
    partition: str
    region: str
    owner: str
    type: str
    name: str
    version: str | None
    build: int | None

    @property
    def is_managed(self) -> bool:
        return bool(MANAGED_OWNER.match(self.owner))


def parse_arn(arn: str) -> Arn | None:
    match = _ARN.match(arn)
    if not match:
        return None
    build = match.group("build")
    return Arn(
        partition=match.group("partition"),
        region=match.group("region"),
        owner=match.group("owner"),
        type=match.group("type"),
        name=match.group("name"),
        version=match.group("version"),
        build=int(build) if build else None,
    )


def slug(name: str) -> str:
    """The name as it appears in ARNs: lowercase, spaces as dashes."""
    return name.lower().replace(" ", "-")


def latest_version_references(versionless_arn: str, version: Version) -> dict[str, str]:
    major, minor, patch = version
    return {
        "latestVersionArn": f"{versionless_arn}/x.x.x",
        "latestMajorVersionArn": f"{versionless_arn}/{major}.x.x",
        "latestMinorVersionArn": f"{versionless_arn}/{major}.{minor}.x",
        "latestPatchVersionArn": f"{versionless_arn}/{major}.{minor}.{patch}",
    }


# --- resources and the backend ----------------------------------------------------------------------


@dataclass
class Resource:
    """One Image Builder resource: ``data`` is its API shape (Component, ImageRecipe, Image, ...)."""

    arn: str
    name: str
    data: dict[str, Any]
    version: Version | None = None
    build: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def versionless_arn(self) -> str:
        return self.arn.split("/")[0] + "/" + self.arn.split("/")[1]


class ImageBuilderBackend(BaseBackend):
    """Resources of one account in one region. ``urls`` come from :mod:`.imagebuilder`."""

    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self.components: dict[str, Resource] = {}
        self.image_recipes: dict[str, Resource] = {}
        self.infrastructure_configurations: dict[str, Resource] = {}
        self.distribution_configurations: dict[str, Resource] = {}
        self.image_pipelines: dict[str, Resource] = {}
        self.images: dict[str, Resource] = {}
        self.client_tokens: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}

    @property
    def _url_module(self) -> Any:
        # moto derives the urls module from the backend's module name; ours lives elsewhere.
        return importlib.import_module(f"{__package__}.imagebuilder")

    def arn(self, resource_type: str, name: str, *version_nodes: str) -> str:
        prefix = f"arn:{self.partition}:imagebuilder:{self.region_name}:{self.account_id}:{resource_type}/{slug(name)}"
        return "/".join([prefix, *version_nodes])

    def is_own(self, arn: Arn) -> bool:
        return arn.region == self.region_name and arn.owner == self.account_id and arn.partition == self.partition

    def find_versioned(self, collection: dict[str, Resource], kind: str, arn_text: str, parameter: str) -> Resource:
        """The resource a build-version, version or wildcard ARN names: the newest match."""
        arn = parse_arn(arn_text)
        if arn is None:
            raise invalid_value(parameter, f"'{arn_text}' is not a valid {kind} ARN.")
        if arn.build is not None and arn_text in collection:
            return collection[arn_text]
        if arn.build is not None or not self.is_own(arn) or arn.version is None:
            raise not_found(kind, arn_text)
        wanted = version_filter(arn.version, parameter)
        prefix = arn_text.rsplit("/", 1)[0] + "/"
        matches = [
            resource
            for resource in collection.values()
            if resource.arn.startswith(prefix)
            and resource.version is not None
            and version_matches(wanted, resource.version)
        ]
        if not matches:
            raise not_found(kind, arn_text)
        return max(matches, key=lambda resource: (resource.version, resource.build or 0))

    def find(self, collection: dict[str, Resource], kind: str, arn_text: str) -> Resource:
        if arn_text not in collection:
            raise not_found(kind, arn_text)
        return collection[arn_text]

    def remember(self, operation: str, token: str | None, params: dict[str, Any], result: dict[str, Any]) -> None:
        if token:
            self.client_tokens[(operation, token)] = (_fingerprint(params), result)

    def replay(self, operation: str, token: str | None, params: dict[str, Any]) -> dict[str, Any] | None:
        """The earlier result of a retried request with the same clientToken (AWS idempotency)."""
        if not token or (operation, token) not in self.client_tokens:
            return None
        fingerprint, result = self.client_tokens[(operation, token)]
        if fingerprint != _fingerprint(params):
            raise IdempotentParameterMismatchException(
                f"The client token '{token}' was already used with different request parameters."
            )
        return result


def _fingerprint(params: dict[str, Any]) -> str:
    return repr(sorted((key, repr(value)) for key, value in params.items() if key != "clientToken"))


# Image Builder runs wherever EC2 does; botocore no longer lists imagebuilder's own endpoints, so moto's
# region list for "imagebuilder" would be empty. The name is only used to generate that list.
imagebuilder_backends: BackendDict[ImageBuilderBackend] = BackendDict(ImageBuilderBackend, "ec2")
