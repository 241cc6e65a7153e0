"""CodeArtifact package groups: hierarchy, inherited origin restrictions and the origin decision.

The hierarchy is not stored: a group's parent is the most specific other group whose pattern covers
it, so deleting a group re-parents its children, as AWS documents. Each ``*`` handler takes the
request's parsed parameters and returns the response members.
"""

from __future__ import annotations

import functools
from typing import Any

from .codeartifact_model import (
    RESTRICTION_TYPES,
    ROOT_PATTERN,
    CodeArtifactBackend,
    CodeArtifactError,
    ConflictException,
    Domain,
    PackageGroup,
    ValidationException,
    find_domain,
    paginate,
    request_coordinates,
)
from .codeartifact_names import Coordinates, GroupPattern, PatternError, parse_pattern


class OriginBlocked(CodeArtifactError):
    """A package version may not enter a repository this way (the emulator's control endpoint only)."""

    code = "OriginBlocked"
    status = 409


def add_root_group(domain: Domain) -> None:
    """Every domain has ``/*``, allowing every origin, from its creation."""
    root = PackageGroup(ROOT_PATTERN, domain.package_group_arn(ROOT_PATTERN))
    root.modes = dict.fromkeys(RESTRICTION_TYPES, "ALLOW")
    domain.groups[ROOT_PATTERN] = root


def parsed(pattern: str) -> GroupPattern:
    try:
        return parse_pattern(pattern)
    except PatternError as error:
        raise ValidationException(str(error)) from None


@functools.lru_cache(maxsize=4096)
def _stored(pattern: str) -> GroupPattern:
    """The parsed pattern of a group that exists (its pattern was valid when it was created)."""
    return parse_pattern(pattern)


def parent(domain: Domain, group: PackageGroup) -> PackageGroup | None:
    own = _stored(group.pattern)
    ancestors = [(_stored(other.pattern), other) for other in domain.groups.values()]
    covering = [(pattern.rank, other) for pattern, other in ancestors if pattern.covers(own)]
    return max(covering, key=lambda item: item[0])[1] if covering else None


def effective(domain: Domain, group: PackageGroup, restriction: str) -> tuple[str, PackageGroup]:
    """(mode, the group it is set on): INHERIT resolves to the first ancestor that does not inherit."""
    current: PackageGroup | None = group
    while current is not None:
        if current.modes[restriction] != "INHERIT":
            return current.modes[restriction], current
        current = parent(domain, current)
    raise AssertionError("the root package group never inherits")  # pragma: no cover


def associated(domain: Domain, coordinates: Coordinates) -> tuple[PackageGroup, str]:
    """The most specific group matching the package (strong matches win ties) and the association type."""
    best: tuple[tuple[int, int], bool, str] | None = None
    chosen: tuple[PackageGroup, str] | None = None
    for group in domain.groups.values():
        pattern = _stored(group.pattern)
        association = pattern.match(coordinates)
        if association is None:
            continue
        key = (pattern.rank, association == "STRONG", group.pattern)
        if best is None or key > best:
            best, chosen = key, (group, association)
    assert chosen is not None, "the root package group matches every package"
    return chosen


def check_origin(domain: Domain, coordinates: Coordinates, repository: str, restriction: str) -> None:
    """Raise OriginBlocked unless the package's group lets versions enter `repository` this way
    (``PUBLISH``, ``EXTERNAL_UPSTREAM``, ``INTERNAL_UPSTREAM``); then the package's own configuration."""
    group, association = associated(domain, coordinates)
    if association == "WEAK":
        raise OriginBlocked(
            f"The package is a variation (weak match) of package group '{group.pattern}', so CodeArtifact blocks "
            "every new version of it."
        )
    mode, source = effective(domain, group, restriction)
    if mode == "BLOCK" or (mode == "ALLOW_SPECIFIC_REPOSITORIES" and repository not in source.allowed[restriction]):
        inherited = f" (inherited from '{source.pattern}')" if source is not group else ""
        raise OriginBlocked(
            f"{restriction} is {mode} for package group '{group.pattern}'{inherited}; repository '{repository}' "
            "may not take new versions this way."
        )
    package = domain.repositories[repository].packages.get(coordinates)
    setting = "publish" if restriction == "PUBLISH" else "upstream"
    if package is not None and getattr(package, setting) == "BLOCK":
        raise OriginBlocked(f"The package's own origin configuration in '{repository}' has {setting}=BLOCK.")


def _reference(group: PackageGroup) -> dict[str, str]:
    return {"arn": group.arn, "pattern": group.pattern}


def describe(domain: Domain, group: PackageGroup) -> dict[str, Any]:
    restrictions: dict[str, Any] = {}
    for kind in RESTRICTION_TYPES:
        mode = group.modes[kind]
        effective_mode, source = effective(domain, group, kind)
        restriction: dict[str, Any] = {"mode": mode, "effectiveMode": effective_mode}
        if source is not group:
            restriction["inheritedFrom"] = _reference(source)
        if mode == "ALLOW_SPECIFIC_REPOSITORIES":
            restriction["repositoriesCount"] = len(group.allowed[kind])
        restrictions[kind] = restriction
    description: dict[str, Any] = {
        "arn": group.arn,
        "pattern": group.pattern,
        "domainName": domain.name,
        "domainOwner": domain.owner,
        "createdTime": group.created,
        "contactInfo": group.contact_info,
        "description": group.description,
        "originConfiguration": {"restrictions": restrictions},
    }
    above = parent(domain, group)
    if above is not None:
        description["parent"] = _reference(above)
    return description


def _domain(backend: CodeArtifactBackend, params: dict[str, Any]) -> Domain:
    return find_domain(backend, params["domain"], params.get("domainOwner"))


def create_package_group(backend: CodeArtifactBackend, params: dict[str, Any]) -> dict[str, Any]:
    domain = _domain(backend, params)
    pattern = params["packageGroup"]
    parsed(pattern)
    if pattern in domain.groups:
        raise ConflictException(f"Package group '{pattern}' already exists in domain '{domain.name}'.")
    group = PackageGroup(
        pattern,
        domain.package_group_arn(pattern),
        contact_info=params.get("contactInfo"),
        description=params.get("description"),
        tags=list(params.get("tags") or []),
    )
    domain.groups[pattern] = group
    return {"packageGroup": describe(domain, group)}


def describe_package_group(backend: CodeArtifactBackend, params: dict[str, Any]) -> dict[str, Any]:
    domain = _domain(backend, params)
    return {"packageGroup": describe(domain, domain.group(params["packageGroup"]))}


def _sorted_groups(domain: Domain) -> list[PackageGroup]:
    return sorted(domain.groups.values(), key=lambda group: group.pattern)


def list_package_groups(backend: CodeArtifactBackend, params: dict[str, Any]) -> dict[str, Any]:
    domain = _domain(backend, params)
    prefix = params.get("prefix") or ""
    groups = [describe(domain, group) for group in _sorted_groups(domain) if group.pattern.startswith(prefix)]
    page, token = paginate(groups, params)
    return {"packageGroups": page, "nextToken": token}


def list_sub_package_groups(backend: CodeArtifactBackend, params: dict[str, Any]) -> dict[str, Any]:
    domain = _domain(backend, params)
    group = domain.group(params["packageGroup"])
    children = [describe(domain, child) for child in _sorted_groups(domain) if parent(domain, child) is group]
    page, token = paginate(children, params)
    return {"packageGroups": page, "nextToken": token}


def update_package_group_origin_configuration(backend: CodeArtifactBackend, params: dict[str, Any]) -> dict[str, Any]:
    domain = _domain(backend, params)
    group = domain.group(params["packageGroup"])
    restrictions = dict(params.get("restrictions") or {})
    if group.pattern == ROOT_PATTERN and "INHERIT" in restrictions.values():
        raise ValidationException("The root package group '/*' has no parent to inherit from.")
    changes = [("ADDED", item) for item in params.get("addAllowedRepositories") or []]
    changes += [("REMOVED", item) for item in params.get("removeAllowedRepositories") or []]
    for _, item in changes:
        if not item.get("repositoryName") or not item.get("originRestrictionType"):
            raise ValidationException("Each allowed repository needs a repositoryName and an originRestrictionType.")
        domain.repository(item["repositoryName"])
    group.modes.update(restrictions)
    updates: dict[str, dict[str, list[str]]] = {}
    for change, item in changes:
        kind, name = item["originRestrictionType"], item["repositoryName"]
        allowed = group.allowed[kind]
        if change == "ADDED" and name not in allowed:
            allowed.append(name)
        elif change == "REMOVED" and name in allowed:
            allowed.remove(name)
        updates.setdefault(kind, {}).setdefault(change, []).append(name)
    return {"packageGroup": describe(domain, group), "allowedRepositoryUpdates": updates}


def list_allowed_repositories_for_group(backend: CodeArtifactBackend, params: dict[str, Any]) -> dict[str, Any]:
    domain = _domain(backend, params)
    group = domain.group(params["packageGroup"])
    page, token = paginate(sorted(group.allowed[params["originRestrictionType"]]), params)
    return {"allowedRepositories": page, "nextToken": token}


def delete_package_group(backend: CodeArtifactBackend, params: dict[str, Any]) -> dict[str, Any]:
    domain = _domain(backend, params)
    group = domain.group(params["packageGroup"])
    if group.pattern == ROOT_PATTERN:
        raise ValidationException("The root package group '/*' cannot be deleted.")
    description = describe(domain, group)
    del domain.groups[group.pattern]
    return {"packageGroup": description}


def get_associated_package_group(backend: CodeArtifactBackend, params: dict[str, Any]) -> dict[str, Any]:
    domain = _domain(backend, params)
    coordinates = request_coordinates(params, normalise=False)
    group, association = associated(domain, coordinates)
    return {"packageGroup": describe(domain, group), "associationType": association}


def forget_repository(domain: Domain, repository: str) -> None:
    """A deleted repository leaves every allowed repository list."""
    for group in domain.groups.values():
        for allowed in group.allowed.values():
            if repository in allowed:
                allowed.remove(repository)
