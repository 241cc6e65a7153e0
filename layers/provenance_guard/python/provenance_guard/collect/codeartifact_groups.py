"""CodeArtifact package groups as CodeArtifact applies them: their patterns, which is the most specific, and
which packages of an internal namespace each one governs.

Pattern forms (User Guide, "Package group definition syntax and matching behavior"): `/*` every package,
`/<format>/*`, `/<format>/<namespace prefix>~`, `/<format>/<namespace>/*`, `/<format>/<namespace>/<name
prefix>~` and `/<format>/<namespace>/<name>$`; a blank namespace (`/pypi//acme~`) is the packages without
one. A `~` prefix ends at a word boundary. A package is associated with the most specific group whose
pattern matches it: more components given is more specific, an exact namespace beats a namespace prefix, and
of two prefixes of one component the longer wins. Only strong (exact) matches are considered here: a weak
match, a variation in case or punctuation of a pattern, is blocked from every origin by CodeArtifact.

Restriction modes come as ListPackageGroups reports them: `mode` as set on the group, `effectiveMode` once
INHERIT is resolved to the first ancestor that does not inherit (`inheritedFrom`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from provenance_guard.collect.codeartifact_names import (
    NamespaceSet,
    PackageCoordinates,
    fold_name,
    fold_namespace,
    glob_match,
    glob_meets_prefix,
    glob_within_prefix,
    has_wildcard,
    prefix_boundary_match,
)

RESTRICTIONS = ("PUBLISH", "EXTERNAL_UPSTREAM", "INTERNAL_UPSTREAM")
ANY, PREFIX, EXACT = "any", "prefix", "exact"


@dataclass(frozen=True)
class Component:
    """What a pattern says of one coordinate: any value, a prefix (`~`), or one exact value."""

    how: str
    value: str = ""

    def matches(self, value: str) -> bool:
        if self.how == ANY:
            return True
        if self.how == PREFIX:
            return prefix_boundary_match(value, self.value)
        return value == self.value

    def covers(self, glob: str) -> bool:
        """Every value matching `glob` matches this component."""
        if self.how == ANY:
            return True
        if self.how == PREFIX:
            return glob_within_prefix(glob, self.value)
        return not has_wildcard(glob) and glob == self.value

    def meets(self, glob: str) -> bool:
        """Some value matching `glob` matches this component."""
        if self.how == ANY:
            return True
        if self.how == PREFIX:
            return glob_meets_prefix(glob, self.value)
        return glob_match(glob, self.value)


@dataclass(frozen=True)
class GroupPattern:
    text: str
    format: str | None
    """None: `/*`, every format."""
    namespace: Component
    name: Component
    rank: tuple[int, int]
    """Specificity: of two patterns matching one package, the higher rank is associated with it."""

    def matches(self, package: PackageCoordinates) -> bool:
        if self.format is not None and package.format != self.format:
            return False
        return self.namespace.matches(package.namespace) and self.name.matches(package.name)

    def covers(self, claimed: NamespaceSet) -> bool:
        """Every package the policy entry claims matches this pattern."""
        if self.format is not None and claimed.format != self.format:
            return False
        return self.namespace.covers(claimed.namespace) and self.name.covers(claimed.name)

    def meets(self, claimed: NamespaceSet) -> bool:
        """Some package the policy entry claims matches this pattern."""
        if self.format is not None and claimed.format != self.format:
            return False
        return self.namespace.meets(claimed.namespace) and self.name.meets(claimed.name)


class PatternError(ValueError):
    """Not a package group pattern this product can read."""


def parse_pattern(text: str) -> GroupPattern:
    """The pattern of a group as ListPackageGroups returns it; `PatternError` for any other text."""
    any_component = Component(ANY)
    if text == "/*":
        return GroupPattern(text, None, any_component, any_component, (0, 0))
    if len(text) < 4 or not text.startswith("/") or text[-1] not in "*~$":
        raise PatternError(f"{text!r} is not a package group pattern")
    suffix, parts = text[-1], text[1:-1].split("/")
    if suffix == "*":
        if parts[-1] != "":
            raise PatternError(f"{text!r}: '*' follows a '/'")
        parts = parts[:-1]
    package_format = parts[0]
    if not package_format or package_format != package_format.lower():
        raise PatternError(f"{text!r} names no package format")
    shape = (suffix, len(parts))
    namespace = fold_namespace(package_format, parts[1]) if len(parts) > 1 else ""
    if shape == ("*", 1):
        return GroupPattern(text, package_format, any_component, any_component, (1, 0))
    if shape == ("~", 2) and namespace:
        return GroupPattern(text, package_format, Component(PREFIX, namespace), any_component, (2, len(namespace)))
    if shape == ("*", 2):
        return GroupPattern(text, package_format, Component(EXACT, namespace), any_component, (3, 0))
    if shape in (("~", 3), ("$", 3)) and parts[2]:
        name = fold_name(package_format, parts[2])
        if suffix == "~":
            return GroupPattern(
                text, package_format, Component(EXACT, namespace), Component(PREFIX, name), (4, len(name))
            )
        return GroupPattern(text, package_format, Component(EXACT, namespace), Component(EXACT, name), (5, 0))
    raise PatternError(f"{text!r} is not /<format>/<namespace>/<name> with a '*', '~' or '$' suffix")


@dataclass(frozen=True)
class Restriction:
    mode: str
    effective_mode: str
    inherited_from: str | None
    """The pattern of the group the effective mode is set on, when the group inherits it."""
    repositories: int | None
    """`repositoriesCount` of an ALLOW_SPECIFIC_REPOSITORIES restriction set on this group."""


@dataclass(frozen=True)
class PackageGroup:
    pattern: GroupPattern
    arn: str
    restrictions: Mapping[str, Restriction]

    @property
    def text(self) -> str:
        return self.pattern.text

    @classmethod
    def from_summary(cls, summary: Mapping[str, Any]) -> PackageGroup:
        """A ListPackageGroups entry; `PatternError` when its pattern cannot be read."""
        configured = ((summary.get("originConfiguration") or {}).get("restrictions")) or {}
        restrictions = {}
        for kind in RESTRICTIONS:
            entry = configured.get(kind) or {}
            mode = str(entry.get("mode") or "INHERIT")
            inherited = (entry.get("inheritedFrom") or {}).get("pattern")
            count = entry.get("repositoriesCount")
            restrictions[kind] = Restriction(
                mode=mode,
                effective_mode=str(entry.get("effectiveMode") or mode),
                inherited_from=str(inherited) if inherited else None,
                repositories=int(count) if count is not None else None,
            )
        return cls(parse_pattern(str(summary["pattern"])), str(summary.get("arn", "")), restrictions)


def associated_group(groups: tuple[PackageGroup, ...], package: PackageCoordinates) -> PackageGroup | None:
    """The group CodeArtifact associates the package with: the most specific strong match."""
    matching = [group for group in groups if group.pattern.matches(package)]
    return max(matching, key=lambda g: (g.pattern.rank, g.text), default=None)


def governing_groups(
    groups: tuple[PackageGroup, ...], claimed: NamespaceSet
) -> tuple[PackageGroup | None, list[PackageGroup]]:
    """(the most specific group covering every package of the policy entry, the more specific groups that
    take some of its packages away from it). Each package of the entry is associated with one of these."""
    covering = [group for group in groups if group.pattern.covers(claimed)]
    base = max(covering, key=lambda g: (g.pattern.rank, g.text), default=None)
    floor = base.pattern.rank if base is not None else (-1, 0)
    narrower = [g for g in groups if g is not base and g.pattern.rank > floor and g.pattern.meets(claimed)]
    return base, sorted(narrower, key=lambda g: (g.pattern.rank, g.text))
