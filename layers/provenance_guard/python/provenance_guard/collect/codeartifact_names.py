"""CodeArtifact package coordinates as CodeArtifact compares them, and the policy's internal namespaces
(`packages.internal_namespaces`) matched against them.

A package is (format, namespace, name); the namespace is the npm scope without `@`, the Maven group id, the
generic or Swift namespace, and empty for PyPI, NuGet, Ruby, Cargo and unscoped npm packages. CodeArtifact
stores PyPI names PEP 503-normalised (lower case, runs of `-_.` as one `-`) and NuGet and Swift names in
lower case, and matches package groups against those stored names (User Guide, "Python package name
normalization", "NuGet package name, version, and asset name normalization", "Package group definition
and normalization"); every comparison here folds both sides the same way, so `Acme_Utils` and
`acme-utils` are one PyPI name.

A policy entry's namespace and name are globs (`*` any run of characters, `?` one character, nothing else
special), matched against the whole folded value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from provenance_guard.policy import PackageNamespace

WILDCARDS = "*?"


def pep503(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def fold_name(package_format: str, name: str) -> str:
    """A package name as CodeArtifact stores and compares it."""
    if package_format == "pypi":
        return pep503(name)
    if package_format in ("nuget", "swift"):
        return name.lower()
    return name


def fold_namespace(package_format: str, namespace: str | None) -> str:
    if not namespace:
        return ""
    if package_format == "npm":
        return namespace.removeprefix("@")
    if package_format == "swift":
        return namespace.lower()
    return namespace


@dataclass(frozen=True)
class PackageCoordinates:
    """A package as CodeArtifact stores it: folded name, namespace "" when it has none."""

    format: str
    namespace: str
    name: str

    @classmethod
    def of(cls, package_format: str, namespace: str | None, name: str) -> PackageCoordinates:
        return cls(package_format, fold_namespace(package_format, namespace), fold_name(package_format, name))

    @property
    def display(self) -> str:
        """`npm:@acme/ui`, `pypi:acme-utils`, `maven:com.acme:core`: how the policy writes packages."""
        if not self.namespace:
            return f"{self.format}:{self.name}"
        if self.format == "npm":
            return f"{self.format}:@{self.namespace}/{self.name}"
        separator = ":" if self.format == "maven" else "/"
        return f"{self.format}:{self.namespace}{separator}{self.name}"


@lru_cache(maxsize=1024)
def _glob_regex(glob: str) -> re.Pattern[str]:
    parts = ("." if c == "?" else ".*" if c == "*" else re.escape(c) for c in glob)
    return re.compile("".join(parts), re.DOTALL)


def glob_match(glob: str, value: str) -> bool:
    """`value` as a whole matches `glob` (`*`: any run of characters, `?`: one character)."""
    return _glob_regex(glob).fullmatch(value) is not None


def literal_prefix(glob: str) -> str:
    """The characters of `glob` before its first wildcard (all of it when it has none)."""
    cut = next((i for i, c in enumerate(glob) if c in WILDCARDS), len(glob))
    return glob[:cut]


def has_wildcard(glob: str) -> bool:
    return any(c in WILDCARDS for c in glob)


@dataclass(frozen=True)
class NamespaceSet:
    """The packages one `packages.internal_namespaces` entry claims: a format, and globs over the folded
    namespace ("" for packages without one) and name."""

    entry: str
    format: str
    namespace: str
    name: str

    @classmethod
    def of(cls, entry: str, namespace: PackageNamespace) -> NamespaceSet:
        package_format = namespace.format
        return cls(
            entry,
            package_format,
            fold_namespace(package_format, namespace.namespace),
            fold_name(package_format, namespace.name),
        )

    def contains(self, package: PackageCoordinates) -> bool:
        return (
            package.format == self.format
            and glob_match(self.namespace, package.namespace)
            and glob_match(self.name, package.name)
        )


def namespace_sets(entries: tuple[str, ...], namespaces: tuple[PackageNamespace, ...]) -> tuple[NamespaceSet, ...]:
    """One `NamespaceSet` per policy entry (`PackagesPolicy.internal_namespaces` and its `namespaces()`)."""
    return tuple(NamespaceSet.of(entry, parsed) for entry, parsed in zip(entries, namespaces, strict=True))


def internal_entry(sets: tuple[NamespaceSet, ...], package: PackageCoordinates) -> str | None:
    """The first policy entry that claims `package`, or None for a public package."""
    return next((s.entry for s in sets if s.contains(package)), None)


@dataclass(frozen=True)
class PackageVersionName:
    """`ResourceRef.name` of a package version: `<domain>/<repository>/<format>/<namespace>/<package>/<version>`
    (the namespace empty when the package has none). No part contains `/` (botocore's patterns
    `[^#/\\s]+` for namespaces, names and versions; domain and repository names have none either)."""

    domain: str
    repository: str
    format: str
    namespace: str
    package: str
    version: str

    def __str__(self) -> str:
        return "/".join((self.domain, self.repository, self.format, self.namespace, self.package, self.version))

    @property
    def coordinates(self) -> PackageCoordinates:
        return PackageCoordinates.of(self.format, self.namespace, self.package)

    @classmethod
    def parse(cls, name: str) -> PackageVersionName | None:
        parts = name.split("/")
        if len(parts) != 6 or not all(parts[i] for i in (0, 1, 2, 4, 5)):
            return None
        domain, repository, package_format, namespace, package, version = parts
        return cls(domain, repository, package_format, namespace, package, version)


def word_character(character: str) -> bool:
    """A letter, number or mark: what a package group prefix (`~`) must not be followed by."""
    import unicodedata

    return unicodedata.category(character)[0] in "LNM"


def prefix_boundary_match(value: str, prefix: str) -> bool:
    """`value` starts with `prefix` at a word boundary: the end, or a character that is not a word character
    (`acme~` matches `acme`, `acme-utils`, `acme.core`, not `acmecorp`)."""
    return value.startswith(prefix) and (len(value) == len(prefix) or not word_character(value[len(prefix)]))


def _states_after(glob: str, text: str) -> Iterator[int]:
    """The positions in `glob` reachable after it consumed `text` (a `*` may consume any run)."""
    states = _closure(glob, {0})
    for character in text:
        following = set()
        for state in states:
            if state < len(glob):
                token = glob[state]
                if token == "*":
                    following.add(state)
                elif token == "?" or token == character:
                    following.add(state + 1)
        states = _closure(glob, following)
        if not states:
            return
    yield from states


def _closure(glob: str, states: set[int]) -> set[int]:
    """Positions after skipping any `*` (a `*` may consume nothing)."""
    pending, seen = list(states), set(states)
    while pending:
        state = pending.pop()
        if state < len(glob) and glob[state] == "*" and state + 1 not in seen:
            seen.add(state + 1)
            pending.append(state + 1)
    return seen


def glob_meets_prefix(glob: str, prefix: str) -> bool:
    """Some value both matches `glob` and `prefix~` (starts with `prefix` at a word boundary)."""
    for state in _states_after(glob, prefix):
        rest = glob[state:]
        if not rest.strip("*"):
            return True  # the value can end right after the prefix
        token = rest[0]
        if token in WILDCARDS or not word_character(token):
            return True  # the next character can be a non-word character
    return False


def glob_within_prefix(glob: str, prefix: str) -> bool:
    """Every value matching `glob` starts with `prefix` at a word boundary."""
    if not has_wildcard(glob):
        return prefix_boundary_match(glob, prefix)
    literal = literal_prefix(glob)
    return len(literal) > len(prefix) and literal.startswith(prefix) and not word_character(literal[len(prefix)])
