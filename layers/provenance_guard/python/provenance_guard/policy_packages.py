"""The `packages` section of the policy (CONTROLS.md §6.3): CodeArtifact's upstreams, the internal
namespaces that must never come from a public registry, and who may be granted access.

An internal namespace is `<format>:<namespace or name glob>`, written as each ecosystem writes names:

- npm: `npm:@acme` (a scope), `npm:@acme/*`, `npm:@acme/ui-*` (packages of a scope), `npm:acme-*`
  (unscoped names); lower case.
- pypi: `pypi:acme-*`, project names as PEP 503 normalises them (lower case, runs of `-_.` as one `-`).
- maven: `maven:com.acme`, `maven:com.acme.*`, `maven:com.acme:core-*` (a group id, optionally
  `:<artifact id>`).
- nuget: `nuget:Acme.*`, package ids (NuGet compares them case-insensitively).
- generic: `generic:acme`, `generic:acme/tool-*` (a namespace, optionally `/<package name>`).

`*` and `?` are wildcards; a namespace of wildcards only is refused (it would claim every public package).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from provenance_guard.policy_arns import ACCOUNT_OR_ORGANIZATION
from provenance_guard.policy_fields import spec
from provenance_guard.policy_rules import (
    ACCOUNT_OR_SELF,
    NOT_ONLY_WILDCARDS,
    CheckContext,
    Choice,
    Pattern,
    Rule,
)

EXTERNAL_CONNECTIONS = (
    "public:npmjs",
    "public:nuget-org",
    "public:pypi",
    "public:maven-central",
    "public:maven-googleandroid",
    "public:maven-gradleplugins",
    "public:maven-commonsware",
    "public:maven-clojars",
    "public:ruby-gems-org",
    "public:crates-io",
)
"""CodeArtifact's external connections (botocore's `AssociateExternalConnection.externalConnection`)."""
EXTERNAL_CONNECTION = Choice(EXTERNAL_CONNECTIONS, "a CodeArtifact external connection")

_NPM_NAME = r"[a-z0-9*?~-][a-z0-9._~*?-]*"
_NPM_SCOPE = r"@[a-z0-9~-][a-z0-9._~-]*"
_PYPI_NAME = r"[a-z0-9*?]+(?:-[a-z0-9*?]+)*"
_MAVEN_GROUP = r"[A-Za-z0-9_*?-]+(?:\.[A-Za-z0-9_*?-]+)*"
_NUGET_ID = r"[A-Za-z0-9_*?][A-Za-z0-9_.*?-]*"
_GENERIC_PART = r"[^#/\s:]+"

NAMESPACE_FORMATS: dict[str, Pattern] = {
    "npm": Pattern(
        rf"^npm:(?:{_NPM_SCOPE}(?:/{_NPM_NAME})?|{NOT_ONLY_WILDCARDS}{_NPM_NAME})$",
        "an npm scope or name (npm:@acme, npm:@acme/*, npm:acme-*)",
    ),
    "pypi": Pattern(
        rf"^pypi:{NOT_ONLY_WILDCARDS}{_PYPI_NAME}$",
        "a PEP 503-normalised PyPI name (pypi:acme-*)",
    ),
    "maven": Pattern(
        rf"^maven:{NOT_ONLY_WILDCARDS}{_MAVEN_GROUP}(?::[A-Za-z0-9_.*?-]+)?$",
        "a Maven group id, optionally :<artifact id> (maven:com.acme)",
    ),
    "nuget": Pattern(rf"^nuget:{NOT_ONLY_WILDCARDS}{_NUGET_ID}$", "a NuGet package id (nuget:Acme.*)"),
    "generic": Pattern(
        rf"^generic:{NOT_ONLY_WILDCARDS}{_GENERIC_PART}(?:/{_GENERIC_PART})?$",
        "a generic namespace, optionally /<package name> (generic:acme)",
    ),
}


class InternalNamespace(Rule):
    """`<format>:<namespace or name glob>`, checked by the rule of its format."""

    def problem(self, value: str, context: CheckContext) -> str | None:
        package_format, colon, name = value.partition(":")
        rule = NAMESPACE_FORMATS.get(package_format) if colon else None
        if rule is None:
            return f"{value!r} is not <format>:<namespace or name>, the format one of {', '.join(NAMESPACE_FORMATS)}"
        if rule.matches(value):
            return None
        return f"{value!r} is not {rule.expected}" + (f": {hint}" if (hint := _hint(package_format, name)) else "")

    def schema(self, context: CheckContext) -> dict[str, Any]:
        return {"anyOf": [rule.schema(context) for rule in NAMESPACE_FORMATS.values()]}


def _hint(package_format: str, name: str) -> str | None:
    if name and not name.strip("*?"):
        return "a namespace of wildcards only would claim every public package"
    if package_format == "pypi" and (normalised := re.sub(r"[-_.]+", "-", name).lower()) != name:
        return f"PyPI names are compared PEP 503-normalised: write pypi:{normalised}"
    if package_format == "npm" and name.lower() != name:
        return "npm scopes and names are lower case"
    return None


INTERNAL_NAMESPACE = InternalNamespace()


@dataclass(frozen=True)
class PackageNamespace:
    """One `packages.internal_namespaces` entry, split as CodeArtifact names packages."""

    format: str
    namespace: str | None
    """npm scope (without `@`), Maven group id, generic namespace; None for PyPI, NuGet and unscoped npm."""
    name: str
    """A package name glob; `*` when the entry claims a whole namespace."""


def parse_namespace(entry: str) -> PackageNamespace:
    """Split a validated entry (`npm:@acme/ui-*` -> npm, acme, ui-*)."""
    package_format, _, rest = entry.partition(":")
    if package_format == "npm" and rest.startswith("@"):
        scope, _, name = rest[1:].partition("/")
        return PackageNamespace("npm", scope, name or "*")
    if package_format == "maven":
        group, _, artifact = rest.partition(":")
        return PackageNamespace("maven", group, artifact or "*")
    if package_format == "generic":
        namespace, _, name = rest.partition("/")
        return PackageNamespace("generic", namespace, name or "*")
    return PackageNamespace(package_format, None, rest)


@dataclass(frozen=True)
class PackagesPolicy:
    allowed_external_connections: tuple[str, ...] = field(
        default=("public:pypi", "public:npmjs"),
        metadata=spec(
            "public registries a CodeArtifact repository may connect to (PG.PKG.1)", rule=EXTERNAL_CONNECTION
        ),
    )
    trusted_domain_owners: tuple[str, ...] = field(
        default=("self",),
        metadata=spec(
            "accounts whose CodeArtifact domains may be upstreams: account ids or self", rule=ACCOUNT_OR_SELF
        ),
    )
    internal_namespaces: tuple[str, ...] = field(
        default=(),
        metadata=spec(
            "<format>:<namespace or name glob> your organisation publishes, never to be pulled from a public "
            "registry (PG.PKG.2, PG.PKG.3): npm:@acme, pypi:acme-*, maven:com.acme, nuget:Acme.*, generic:acme",
            rule=INTERNAL_NAMESPACE,
        ),
    )
    allowed_principals: tuple[str, ...] = field(
        default=(),
        metadata=spec(
            "accounts, organization ARNs and OU ARNs domain and repository policies may grant to (PG.PKG.4)",
            rule=ACCOUNT_OR_ORGANIZATION,
        ),
    )

    def namespaces(self) -> tuple[PackageNamespace, ...]:
        return tuple(parse_namespace(entry) for entry in self.internal_namespaces)
