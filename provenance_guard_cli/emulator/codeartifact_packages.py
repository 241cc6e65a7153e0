"""CodeArtifact packages and package versions in a repository: the read and edit API.

Versions get there by PublishPackageVersion (generic packages only, as on AWS; here) or by
:func:`.codeartifact_seed.seed_package_version` for the other formats. Each handler takes the
request's parsed parameters and returns the response members.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from .codeartifact_groups import OriginBlocked, check_origin
from .codeartifact_model import (
    AccessDeniedException,
    CodeArtifactBackend,
    ConflictException,
    Domain,
    Package,
    PackageVersion,
    Repository,
    ResourceNotFoundException,
    ValidationException,
    find_domain,
    paginate,
    request_coordinates,
)
from .codeartifact_names import Coordinates


def _located(backend: CodeArtifactBackend, params: dict[str, Any]) -> tuple[Domain, Repository, Coordinates]:
    domain = find_domain(backend, params["domain"], params.get("domainOwner"))
    return domain, domain.repository(params["repository"]), request_coordinates(params)


def _package(repository: Repository, coordinates: Coordinates) -> Package:
    package = repository.packages.get(coordinates)
    if package is None:
        package_format, namespace, name = coordinates
        shown = f"{namespace}/{name}" if namespace else name
        raise ResourceNotFoundException(
            f"Package '{shown}' of format {package_format} not found in repository '{repository.name}'.",
            "package",
            name,
        )
    return package


def _version(package: Package, version: str) -> PackageVersion:
    found = package.versions.get(version)
    if found is None:
        raise ResourceNotFoundException(f"Package version '{version}' not found.", "package-version", version)
    return found


def _coordinate_members(coordinates: Coordinates) -> dict[str, str | None]:
    package_format, namespace, _ = coordinates
    return {"format": package_format, "namespace": namespace or None}


def describe_version_record(package: Package, version: PackageVersion) -> dict[str, Any]:
    described = {
        **_coordinate_members(package.coordinates),
        "packageName": package.coordinates[2],
        "displayName": version.display_name,
        "version": version.version,
        "publishedTime": version.published,
        "revision": version.revision,
        "status": version.status,
        "origin": version.origin(),
    }
    return {key: value for key, value in described.items() if value is not None}


def list_packages(backend: CodeArtifactBackend, params: dict[str, Any]) -> dict[str, Any]:
    domain = find_domain(backend, params["domain"], params.get("domainOwner"))
    repository = domain.repository(params["repository"])
    wanted = {key: params.get(key) for key in ("format", "publish", "upstream")}
    namespace_prefix, name_prefix = params.get("namespace") or "", params.get("packagePrefix") or ""
    summaries = [
        {
            **_coordinate_members(package.coordinates),
            "package": package.coordinates[2],
            "originConfiguration": package.origin_configuration(),
        }
        for coordinates, package in sorted(repository.packages.items())
        if (wanted["format"] is None or coordinates[0] == wanted["format"])
        and (wanted["publish"] is None or package.publish == wanted["publish"])
        and (wanted["upstream"] is None or package.upstream == wanted["upstream"])
        and coordinates[1].startswith(namespace_prefix)
        and coordinates[2].startswith(name_prefix)
    ]
    page, token = paginate(summaries, params)
    return {"packages": page, "nextToken": token}


def describe_package(backend: CodeArtifactBackend, params: dict[str, Any]) -> dict[str, Any]:
    _, repository, coordinates = _located(backend, params)
    package = _package(repository, coordinates)
    return {
        "package": {
            **_coordinate_members(coordinates),
            "name": coordinates[2],
            "originConfiguration": package.origin_configuration(),
        }
    }


def list_package_versions(backend: CodeArtifactBackend, params: dict[str, Any]) -> dict[str, Any]:
    _, repository, coordinates = _located(backend, params)
    package = _package(repository, coordinates)
    versions = [
        version
        for version in package.versions.values()
        if (params.get("status") is None or version.status == params["status"])
        and (params.get("originType") is None or version.origin_type == params["originType"])
    ]
    if params.get("sortBy") == "PUBLISHED_TIME":
        versions.sort(key=lambda version: version.published)
    summaries = [
        {"version": v.version, "revision": v.revision, "status": v.status, "origin": v.origin()} for v in versions
    ]
    page, token = paginate(summaries, params)
    published = [version for version in package.versions.values() if version.status == "Published"]
    latest = max(published, key=lambda version: version.published).version if published else None
    return {
        **_coordinate_members(coordinates),
        "package": coordinates[2],
        "defaultDisplayVersion": latest,
        "versions": page,
        "nextToken": token,
    }


def describe_package_version(backend: CodeArtifactBackend, params: dict[str, Any]) -> dict[str, Any]:
    _, repository, coordinates = _located(backend, params)
    package = _package(repository, coordinates)
    return {"packageVersion": describe_version_record(package, _version(package, params["packageVersion"]))}


def put_package_origin_configuration(backend: CodeArtifactBackend, params: dict[str, Any]) -> dict[str, Any]:
    """Also creates a package without versions, as AWS documents, to pre-empt its first version."""
    _, repository, coordinates = _located(backend, params)
    restrictions = params["restrictions"]
    package = repository.packages.setdefault(coordinates, Package(coordinates, "ALLOW", "ALLOW"))
    package.publish, package.upstream = restrictions["publish"], restrictions["upstream"]
    return {"originConfiguration": package.origin_configuration()}


def _each_version(
    backend: CodeArtifactBackend,
    params: dict[str, Any],
    act: Callable[[Package, PackageVersion], None],
    *,
    check_revisions: bool = False,
) -> dict[str, Any]:
    _, repository, coordinates = _located(backend, params)
    package = _package(repository, coordinates)
    succeeded: dict[str, Any] = {}
    failed: dict[str, Any] = {}
    revisions = params.get("versionRevisions") or {}
    for name in params["versions"]:
        version = package.versions.get(name)
        if version is None:
            failed[name] = {"errorCode": "NOT_FOUND", "errorMessage": f"Version '{name}' not found."}
        elif params.get("expectedStatus") and version.status != params["expectedStatus"]:
            failed[name] = {"errorCode": "MISMATCHED_STATUS", "errorMessage": f"Version '{name}' is {version.status}."}
        elif check_revisions and name in revisions and revisions[name] != version.revision:
            failed[name] = {
                "errorCode": "MISMATCHED_REVISION",
                "errorMessage": f"Version '{name}' has another revision.",
            }
        else:
            act(package, version)
            succeeded[name] = {"revision": version.revision, "status": version.status}
    return {"successfulVersions": succeeded, "failedVersions": failed}


def delete_package_versions(backend: CodeArtifactBackend, params: dict[str, Any]) -> dict[str, Any]:
    def delete(package: Package, version: PackageVersion) -> None:
        del package.versions[version.version]
        version.status = "Deleted"

    return _each_version(backend, params, delete)


def dispose_package_versions(backend: CodeArtifactBackend, params: dict[str, Any]) -> dict[str, Any]:
    def dispose(_: Package, version: PackageVersion) -> None:
        version.status, version.assets = "Disposed", []

    return _each_version(backend, params, dispose, check_revisions=True)


def publish_package_version(backend: CodeArtifactBackend, params: dict[str, Any]) -> dict[str, Any]:
    """Generic packages only; a blocked publish is AccessDeniedException (the code AWS returns for it is
    not documented)."""
    if params["format"] != "generic":
        raise ValidationException("Only generic packages can be published with PublishPackageVersion.")
    domain, repository, coordinates = _located(backend, params)
    content = params["assetContent"]
    content = content.encode() if isinstance(content, str) else bytes(content)
    if hashlib.sha256(content).hexdigest() != params["assetSHA256"]:
        raise ValidationException("assetSHA256 is not the SHA-256 hash of assetContent.")
    hashes = {name: hashlib.new(algorithm, content).hexdigest() for name, algorithm in _HASHES.items()}
    asset = {"name": params["assetName"], "size": len(content), "hashes": hashes}
    status = "Unfinished" if params.get("unfinished") else "Published"
    package = repository.packages.get(coordinates)
    existing = package.versions.get(params["packageVersion"]) if package else None
    if existing is not None and existing.status != "Unfinished":
        raise ConflictException(
            f"Package version '{existing.version}' is {existing.status}; only an Unfinished version takes more assets.",
            "package-version",
            existing.version,
        )
    if existing is None:
        try:
            check_origin(domain, coordinates, repository.name, "PUBLISH")
        except OriginBlocked as blocked:
            raise AccessDeniedException(f"Publishing is blocked by origin controls: {blocked.message}") from None
        package = repository.packages.setdefault(coordinates, Package(coordinates, "ALLOW", "BLOCK"))
        existing = PackageVersion(params["packageVersion"], status, "INTERNAL", repository.name, None, coordinates[2])
        package.versions[existing.version] = existing
    existing.status = status
    existing.assets.append(asset)
    return {
        **_coordinate_members(coordinates),
        "package": coordinates[2],
        "version": existing.version,
        "versionRevision": existing.revision,
        "status": existing.status,
        "asset": asset,
    }


_HASHES = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-512": "sha512"}
