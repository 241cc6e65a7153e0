"""collect/codeartifact_names.py and codeartifact_groups.py: package names as CodeArtifact compares them,
internal namespaces matched per format, package group patterns and the most specific group winning."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from provenance_guard.collect.codeartifact_groups import (
    PackageGroup,
    PatternError,
    associated_group,
    governing_groups,
    parse_pattern,
)
from provenance_guard.collect.codeartifact_names import (
    NamespaceSet,
    PackageCoordinates,
    PackageVersionName,
    glob_meets_prefix,
    glob_within_prefix,
    internal_entry,
    namespace_sets,
    prefix_boundary_match,
)
from provenance_guard.policy_packages import parse_namespace
from tests.unit.codeartifact_support import DOMAIN, group
from tests.unit.support import REGION


def claimed(entry: str) -> NamespaceSet:
    return NamespaceSet.of(entry, parse_namespace(entry))


def package(package_format: str, name: str, namespace: str | None = None) -> PackageCoordinates:
    return PackageCoordinates.of(package_format, namespace, name)


def test_pypi_names_are_compared_pep503_normalised() -> None:
    assert package("pypi", "Acme_Utils") == package("pypi", "acme-utils") == package("pypi", "acme.utils")
    assert package("pypi", "Acme__Utils").name == "acme-utils"
    assert claimed("pypi:acme-*").contains(package("pypi", "Acme_Utils"))


def test_nuget_and_swift_names_are_compared_in_lower_case_npm_and_maven_as_written() -> None:
    assert package("nuget", "Acme.Core") == package("nuget", "acme.core")
    assert package("swift", "Kit", "Acme") == package("swift", "kit", "acme")
    assert package("npm", "UI", "acme") != package("npm", "ui", "acme")
    assert package("maven", "Core", "com.acme") != package("maven", "core", "com.acme")


@pytest.mark.parametrize(
    ("entry", "inside", "outside"),
    [
        (
            "pypi:acme-*",
            [package("pypi", "acme-utils"), package("pypi", "ACME.tools")],
            [package("pypi", "acmeutils"), package("npm", "acme-utils")],
        ),
        (
            "npm:@acme",
            [package("npm", "ui", "@acme"), package("npm", "core", "acme")],
            [package("npm", "ui", "acmecorp"), package("npm", "acme")],
        ),
        (
            "npm:@acme/ui-*",
            [package("npm", "ui-kit", "acme")],
            [package("npm", "core", "acme"), package("npm", "ui-kit")],
        ),
        ("npm:acme-*", [package("npm", "acme-ui")], [package("npm", "acme-ui", "acme")]),
        (
            "maven:com.acme",
            [package("maven", "core", "com.acme")],
            [package("maven", "x", "com.acme.tools"), package("maven", "x", "com.acmecorp")],
        ),
        ("maven:com.acme.*", [package("maven", "x", "com.acme.tools")], [package("maven", "core", "com.acme")]),
        ("maven:com.acme:core-*", [package("maven", "core-api", "com.acme")], [package("maven", "util", "com.acme")]),
        ("nuget:Acme.*", [package("nuget", "Acme.Core"), package("nuget", "ACME.TOOLS")], [package("nuget", "Acme")]),
        ("generic:acme/tool-*", [package("generic", "tool-x", "acme")], [package("generic", "lib", "acme")]),
    ],
)
def test_internal_namespaces_match_per_format(
    entry: str, inside: list[PackageCoordinates], outside: list[PackageCoordinates]
) -> None:
    for found in inside:
        assert claimed(entry).contains(found), found
    for found in outside:
        assert not claimed(entry).contains(found), found


def test_the_first_entry_claiming_a_package_is_named() -> None:
    entries = ("npm:@acme", "pypi:acme-*")
    sets = namespace_sets(entries, tuple(parse_namespace(e) for e in entries))
    assert internal_entry(sets, package("pypi", "Acme_Utils")) == "pypi:acme-*"
    assert internal_entry(sets, package("pypi", "requests")) is None


def test_a_package_version_name_reads_back_blank_namespace_included() -> None:
    name = PackageVersionName("acme", "app", "pypi", "", "acme-utils", "1.0.0")
    assert str(name) == "acme/app/pypi//acme-utils/1.0.0"
    assert PackageVersionName.parse(str(name)) == name
    for bad in ("acme/app/pypi/acme-utils/1.0", "acme/app/pypi//acme-utils/", "acme/app/npm/x/y/1/2"):
        assert PackageVersionName.parse(bad) is None


def test_prefixes_end_at_a_word_boundary() -> None:
    assert prefix_boundary_match("acme", "acme")
    assert prefix_boundary_match("acme-utils", "acme")
    assert prefix_boundary_match("acme.core", "acme")
    assert not prefix_boundary_match("acmecorp", "acme")
    assert not prefix_boundary_match("acm", "acme")


@pytest.mark.parametrize(
    ("glob", "prefix", "within", "meets"),
    [
        ("acme-*", "acme", True, True),
        ("acme*", "acme", False, True),
        ("acme", "acme", True, True),
        ("acme-ui-*", "acme-ui", True, True),
        ("acme-*", "acme-ui", False, True),
        ("ac*", "acme", False, True),
        ("acmecorp-*", "acme", False, False),
        ("*-acme", "acme", False, True),
        ("a?me-*", "acme", False, True),
        ("b*", "acme", False, False),
    ],
)
def test_globs_against_prefixes(glob: str, prefix: str, within: bool, meets: bool) -> None:
    assert glob_within_prefix(glob, prefix) is within
    assert glob_meets_prefix(glob, prefix) is meets


@pytest.mark.parametrize(
    ("pattern", "rank"),
    [
        ("/*", (0, 0)),
        ("/npm/*", (1, 0)),
        ("/maven/com.acme~", (2, 8)),
        ("/npm/acme/*", (3, 0)),
        ("/npm/acme/ui~", (4, 2)),
        ("/pypi//acme~", (4, 4)),
        ("/maven/org.apache.logging.log4j/log4j-core$", (5, 0)),
    ],
)
def test_the_six_pattern_forms_parse(pattern: str, rank: tuple[int, int]) -> None:
    assert parse_pattern(pattern).rank == rank


@pytest.mark.parametrize("pattern", ["", "*", "/npm", "/npm/acme", "/NPM/*", "/npm/acme*", "/npm/a/b/c$"])
def test_other_text_is_not_a_pattern(pattern: str) -> None:
    with pytest.raises(PatternError):
        parse_pattern(pattern)


def groups_of(*patterns: str, blocked: tuple[str, ...] = ()) -> tuple[PackageGroup, ...]:
    def summary(pattern: str) -> dict[str, Any]:
        mode = "BLOCK" if pattern in blocked else "ALLOW"
        restriction = {"mode": mode, "effectiveMode": mode}
        return {
            "pattern": pattern,
            "arn": f"arn:{pattern}",
            "originConfiguration": {"restrictions": {"EXTERNAL_UPSTREAM": restriction}},
        }

    return tuple(PackageGroup.from_summary(summary(p)) for p in patterns)


HIERARCHY = (
    "/*",
    "/pypi/*",
    "/pypi//acme~",
    "/pypi//acme-public$",
    "/npm/*",
    "/npm/acme~",
    "/npm/acme/*",
    "/npm/acme/ui~",
)


@pytest.mark.parametrize(
    ("found", "expected"),
    [
        (package("pypi", "Acme_Public"), "/pypi//acme-public$"),
        (package("pypi", "acme-utils"), "/pypi//acme~"),
        (package("pypi", "acmeutils"), "/pypi/*"),
        (package("npm", "ui-kit", "acme"), "/npm/acme/ui~"),
        (package("npm", "core", "acme"), "/npm/acme/*"),
        (package("npm", "core", "acme-labs"), "/npm/acme~"),
        (package("npm", "react"), "/npm/*"),
        (package("maven", "core", "com.acme"), "/*"),
    ],
)
def test_the_most_specific_matching_group_wins(found: PackageCoordinates, expected: str) -> None:
    chosen = associated_group(groups_of(*HIERARCHY), found)
    assert chosen is not None
    assert chosen.text == expected


def test_the_layer_associates_packages_as_the_emulator_does(aws: None) -> None:
    """The emulator's GetAssociatedPackageGroup follows the User Guide's matching rules (its docstring)."""
    codeartifact = boto3.client("codeartifact", region_name=REGION)
    codeartifact.create_domain(domain=DOMAIN)
    for pattern in HIERARCHY[1:]:
        group(codeartifact, pattern)
    cases = [
        ("pypi", None, "acme-public"),
        ("pypi", None, "acme-utils"),
        ("pypi", None, "acmeutils"),
        ("npm", "acme", "ui-kit"),
        ("npm", "acme", "core"),
        ("npm", "acme-labs", "x"),
        ("npm", None, "react"),
        ("maven", "com.acme", "core"),
    ]
    for package_format, namespace, name in cases:
        request = {"domain": DOMAIN, "format": package_format, "package": name}
        if namespace:
            request["namespace"] = namespace
        expected = codeartifact.get_associated_package_group(**request)["packageGroup"]["pattern"]
        chosen = associated_group(groups_of(*HIERARCHY), package(package_format, name, namespace))
        assert chosen is not None
        assert chosen.text == expected, (package_format, namespace, name)


def test_a_namespace_is_governed_by_its_most_specific_covering_group_and_the_narrower_ones() -> None:
    groups = groups_of(*HIERARCHY)
    base, narrower = governing_groups(groups, claimed("pypi:acme-*"))
    assert base is not None
    assert base.text == "/pypi//acme~"
    assert [g.text for g in narrower] == ["/pypi//acme-public$"]
    base, narrower = governing_groups(groups, claimed("npm:@acme"))
    assert base is not None
    assert base.text == "/npm/acme/*"
    assert [g.text for g in narrower] == ["/npm/acme/ui~"]
    base, narrower = governing_groups(groups, claimed("maven:com.acme"))
    assert base is not None
    assert base.text == "/*"
    assert narrower == []
