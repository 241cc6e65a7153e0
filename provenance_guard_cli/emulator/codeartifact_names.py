"""CodeArtifact package coordinates: name normalisation, external connections and package group patterns.

Pure functions, no state; :mod:`.codeartifact` lists the sources each rule was verified in.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

FORMATS = ("npm", "pypi", "maven", "nuget", "generic", "ruby", "swift", "cargo")
NAMESPACE_REQUIRED = frozenset({"maven", "generic", "swift"})
"""Formats whose packages always have a namespace (Maven groupId, generic namespace, Swift scope)."""
NO_NAMESPACE = frozenset({"pypi", "nuget", "ruby", "cargo"})
"""Formats without a namespace component; npm has one only for scoped packages."""

EXTERNAL_CONNECTIONS: dict[str, str] = {
    "public:npmjs": "npm",
    "public:pypi": "pypi",
    "public:maven-central": "maven",
    "public:maven-googleandroid": "maven",
    "public:maven-gradleplugins": "maven",
    "public:maven-commonsware": "maven",
    "public:maven-clojars": "maven",
    "public:nuget-org": "nuget",
    "public:ruby-gems-org": "ruby",
    "public:crates-io": "cargo",
}
"""Every external connection AssociateExternalConnection accepts, with the package format it serves."""

Coordinates = tuple[str, str, str]
"""(format, namespace or "", name) of a package, as CodeArtifact stores it."""


class PatternError(ValueError):
    """A package group pattern that CodeArtifact's definition syntax does not allow."""


# --- names ------------------------------------------------------------------------------------------


def pep503(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def stored_name(package_format: str, name: str) -> str:
    """The name CodeArtifact stores for a package a package manager publishes or a connection ingests."""
    if package_format == "pypi":
        return pep503(name)
    if package_format in ("nuget", "swift"):
        return name.lower()
    return name


def stored_namespace(package_format: str, namespace: str | None) -> str:
    if not namespace:
        return ""
    if package_format == "npm":
        return namespace.removeprefix("@")
    if package_format == "swift":
        return namespace.lower()
    return namespace


def requested(package_format: str, namespace: str | None, name: str) -> Coordinates:
    """An API request's coordinates: NuGet and Swift inputs are normalised by the service, PyPI ones are
    not (the user guide requires the normalised name in API requests)."""
    if package_format in ("nuget", "swift"):
        return package_format, (namespace or "").lower(), name.lower()
    return package_format, namespace or "", name


def namespace_problem(package_format: str, namespace: str | None) -> str | None:
    """Why `namespace` cannot name a package of `package_format`, or None."""
    if package_format in NO_NAMESPACE and namespace:
        return f"Packages of format {package_format} do not have a namespace."
    if package_format in NAMESPACE_REQUIRED and not namespace:
        return f"A namespace is required for packages of format {package_format}."
    return None


def display_name(package_format: str, namespace: str, published_name: str) -> str:
    """npm: ``@scope/name``; other formats: the name as it was published (before normalisation)."""
    if package_format == "npm" and namespace:
        return f"@{namespace}/{published_name}"
    return published_name


# --- package group patterns -------------------------------------------------------------------------


def _is_word_character(character: str) -> bool:
    return unicodedata.category(character)[0] in "LNM"


def prefix_match(value: str, prefix: str) -> bool:
    """``prefix~``: `value` starts with `prefix` and a word boundary (a non-word character or the end)
    follows it. Words are ``[\\p{L}\\p{N}][\\p{L}\\p{N}\\p{M}]*``."""
    if not value.startswith(prefix):
        return False
    return len(value) == len(prefix) or not _is_word_character(value[len(prefix)])


def weak_fold(value: str) -> str:
    """The variation CodeArtifact's weak matching compares: case folded, runs of ``-``, ``.`` and ``_`` as
    one ``.`` (confusable characters are not folded by the emulator)."""
    return re.sub(r"[-._]+", ".", value.casefold())


@dataclass(frozen=True)
class GroupPattern:
    """A parsed package group definition.

    ``level``: 0 ``/*``, 1 ``/f/*``, 2 ``/f/ns~``, 3 ``/f/ns/*``, 4 ``/f/ns/name~``, 5 ``/f/ns/name$``.
    """

    text: str
    level: int
    package_format: str = ""
    namespace: str = ""
    name: str = ""

    @property
    def rank(self) -> tuple[int, int]:
        """Specificity: of two patterns matching one package, the higher rank is the more specific."""
        if self.level == 2:
            return 2, len(self.namespace)
        if self.level == 4:
            return 4, len(self.name)
        return self.level, 0

    def match(self, coordinates: Coordinates) -> str | None:
        """``STRONG`` (exact), ``WEAK`` (a variation: case, runs of ``-._``) or None."""
        if self._matches(coordinates, str):
            return "STRONG"
        return "WEAK" if self._matches(coordinates, weak_fold) else None

    def _matches(self, coordinates: Coordinates, fold: Callable[[str], str]) -> bool:
        package_format, namespace, name = coordinates
        if self.level == 0:
            return True
        if package_format != self.package_format:
            return False
        if self.level == 1:
            return True
        if self.level == 2:
            return prefix_match(fold(namespace), fold(self.namespace))
        if fold(namespace) != fold(self.namespace):
            return False
        if self.level == 3:
            return True
        if self.level == 4:
            return prefix_match(fold(name), fold(self.name))
        return fold(name) == fold(self.name)

    def covers(self, other: GroupPattern) -> bool:
        """Every package `other` matches also matches this pattern, and they differ: this is an ancestor."""
        if other.text == self.text or other.level < self.level:
            return False
        if self.level == 0:
            return True
        if other.package_format != self.package_format:
            return False
        if self.level == 1:
            return other.level > 1
        if self.level == 2:
            return prefix_match(other.namespace, self.namespace)
        if other.level < 4 or other.namespace != self.namespace:
            return False
        return self.level == 3 or (self.level == 4 and prefix_match(other.name, self.name))


_COMPONENT = re.compile(r"[^#/\s~*$]+")


def parse_pattern(text: str) -> GroupPattern:
    """Parse a package group definition (``/*``, ``/npm/*``, ``/maven/com.acme~``, ``/npm/space/*``,
    ``/npm/space/ui~``, ``/maven/org.apache/log4j-core$``); PatternError says what is wrong."""
    if text == "/*":
        return GroupPattern(text, 0)
    if len(text) < 3 or not text.startswith("/") or text[-1] not in "*~$":
        raise PatternError(f"'{text}' must start with '/' and end with a '*', '~' or '$' suffix.")
    body, suffix = text[1:-1], text[-1]
    if suffix == "*":
        if not body.endswith("/"):
            raise PatternError(
                f"'{text}': '*' follows a '/' (all formats, namespaces or names); use '~' after a prefix."
            )
        parts = body[:-1].split("/")
    else:
        parts = body.split("/")
    package_format = parts[0]
    if package_format not in FORMATS:
        raise PatternError(f"'{package_format}' in '{text}' is not a package format; use one of {list(FORMATS)}.")
    level = {("*", 1): 1, ("~", 2): 2, ("*", 2): 3, ("~", 3): 4, ("$", 3): 5}.get((suffix, len(parts)))
    if level is None:
        raise PatternError(f"'{text}' is not a package group definition (/format/namespace/name with a suffix).")
    namespace = parts[1] if len(parts) > 1 else ""
    if namespace or level == 2:
        _component(text, namespace, "namespace")
    name = parts[2] if level >= 4 else ""
    if level >= 4:
        _component(text, name, "name")
        _check_normalised(text, package_format, name)
    _check_namespace(text, package_format, namespace, name_given=level >= 4)
    if level in (2, 4):
        _check_word_end(text, name or namespace)
    return GroupPattern(text, level, package_format, namespace, name)


def _component(text: str, value: str, what: str) -> str:
    if not _COMPONENT.fullmatch(value):
        raise PatternError(f"'{text}': the {what} '{value}' is empty or contains '#', '~', '*', '$' or whitespace.")
    return value


def _check_namespace(text: str, package_format: str, namespace: str, *, name_given: bool) -> None:
    if package_format in NO_NAMESPACE and namespace:
        raise PatternError(
            f"'{text}': {package_format} packages have no namespace; leave it blank ('/{package_format}//...')."
        )
    if package_format in NAMESPACE_REQUIRED and name_given and not namespace:
        raise PatternError(f"'{text}': {package_format} package names are qualified by a namespace; include it.")


def _check_word_end(text: str, value: str) -> None:
    if not _is_word_character(value[-1]):
        raise PatternError(f"'{text}': '~' must follow a word character (letter, number or mark); use '*' instead.")


def _check_normalised(text: str, package_format: str, name: str) -> None:
    if package_format in ("pypi", "nuget", "swift") and stored_name(package_format, name) != name:
        normal = stored_name(package_format, name)
        raise PatternError(f"'{text}': {package_format} names in package groups must be normalised ('{normal}').")
