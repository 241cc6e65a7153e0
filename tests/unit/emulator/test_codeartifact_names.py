"""CodeArtifact's package group definition syntax, matching and name normalisation, as the User Guide's
"Package group definition syntax and matching behavior" and the name normalisation pages describe them."""

from __future__ import annotations

import pytest

from provenance_guard_cli.emulator.codeartifact_model import Domain
from provenance_guard_cli.emulator.codeartifact_names import (
    PatternError,
    display_name,
    parse_pattern,
    prefix_match,
    requested,
    stored_name,
    stored_namespace,
    weak_fold,
)


@pytest.mark.parametrize(
    ("pattern", "level"),
    [
        ("/*", 0),
        ("/npm/*", 1),
        ("/maven/com.anycompany~", 2),
        ("/npm/space/*", 3),
        ("/npm/space/anycompany-ui~", 4),
        ("/maven/org.apache.logging.log4j/log4j-core$", 5),
        ("/pypi//requests$", 5),
        ("/npm//*", 3),
        ("/npm//AsyncStorage$", 5),
    ],
)
def test_the_documented_pattern_forms_parse(pattern: str, level: int) -> None:
    assert parse_pattern(pattern).level == level


@pytest.mark.parametrize(
    ("pattern", "why"),
    [
        ("", "must start with '/'"),
        ("npm/*", "must start with '/'"),
        ("/npm/space/foo", "suffix"),
        ("/npm/ns/name/extra$", "not a package group definition"),
        ("/npm/space$", "not a package group definition"),
        ("/java/*", "not a package format"),
        ("/npm/space-~", "must follow a word character"),
        ("/npm/~", "empty"),
        ("/pypi/acme~", "have no namespace"),
        ("/nuget/acme/*", "have no namespace"),
        ("/maven//core$", "qualified by a namespace"),
        ("/pypi//Acme_Utils$", "normalised ('acme-utils')"),
        ("/nuget//Newtonsoft.Json$", "normalised ('newtonsoft.json')"),
        ("/npm/a*b/*", "contains"),
    ],
)
def test_patterns_outside_the_syntax_are_rejected_with_the_reason(pattern: str, why: str) -> None:
    with pytest.raises(PatternError) as excinfo:
        parse_pattern(pattern)

    assert why in str(excinfo.value)


def test_tilde_matches_a_prefix_on_a_word_boundary() -> None:
    pattern = parse_pattern("/npm/space/foo~")

    assert [pattern.match(("npm", "space", name)) for name in ("foo", "foo-bar", "food", "foot")] == [
        "STRONG",
        "STRONG",
        None,
        None,
    ]
    assert prefix_match("foo.bar", "foo")
    assert prefix_match("foo_bar", "foo")
    assert not prefix_match("fooé", "foo")  # a letter: no boundary
    assert not prefix_match("oneword", "one")
    assert not prefix_match("OneWord", "One")


def test_case_and_separator_variations_are_weak_matches() -> None:
    pattern = parse_pattern("/npm//AsyncStorage$")

    assert pattern.match(("npm", "", "AsyncStorage")) == "STRONG"
    assert pattern.match(("npm", "", "asyncstorage")) == "WEAK"
    assert pattern.match(("npm", "", "asyncStorage")) == "WEAK"
    assert pattern.match(("npm", "", "async-storage")) is None
    dashed = parse_pattern("/npm//foo-bar$")
    assert [dashed.match(("npm", "", name)) for name in ("foo.bar", "foo..bar", "foo_bar", "foobar")] == [
        "WEAK",
        "WEAK",
        "WEAK",
        None,
    ]
    assert weak_fold("com.act-on") == weak_fold("com.act.on")


def test_formats_and_namespaces_match_exactly_at_each_level() -> None:
    assert parse_pattern("/*").match(("cargo", "", "serde")) == "STRONG"
    assert parse_pattern("/npm/*").match(("pypi", "", "react")) is None
    assert parse_pattern("/npm/*").match(("npm", "", "react")) == "STRONG"
    assert parse_pattern("/npm//*").match(("npm", "space", "ui")) is None
    assert parse_pattern("/npm/space/*").match(("npm", "", "react")) is None
    assert parse_pattern("/maven/com.acme~").match(("maven", "com.acme.billing", "core")) == "STRONG"
    assert parse_pattern("/maven/com.acme~").match(("maven", "com.acmecorp", "core")) is None


def test_the_more_specific_pattern_ranks_higher_and_covers_nothing_above_it() -> None:
    chain = [
        "/*",
        "/npm/*",
        "/npm/space~",
        "/npm/space/*",
        "/npm/space/any~",
        "/npm/space/any-company~",
        "/npm/space/any-company-ui$",
    ]
    parsed = [parse_pattern(text) for text in chain]

    assert [pattern.rank for pattern in parsed] == sorted(pattern.rank for pattern in parsed)
    for index, ancestor in enumerate(parsed):
        for descendant in parsed[index + 1 :]:
            assert ancestor.covers(descendant), (ancestor.text, descendant.text)
            assert not descendant.covers(ancestor), (descendant.text, ancestor.text)
    assert parse_pattern("/npm/space~").covers(parse_pattern("/npm/space.team~"))
    assert not parse_pattern("/npm/sp~").covers(parse_pattern("/npm/space~"))  # no word boundary after "sp"
    assert not parse_pattern("/npm/space/*").covers(parse_pattern("/npm/other/ui$"))
    assert not parse_pattern("/maven/com.a~").covers(parse_pattern("/maven/com.ab/*"))
    assert not parse_pattern("/npm/*").covers(parse_pattern("/pypi//*"))


@pytest.mark.parametrize(
    ("package_format", "name", "stored"),
    [
        ("pypi", "Acme_Utils", "acme-utils"),
        ("pypi", "acme.utils", "acme-utils"),
        ("pypi", "Acme__-Utils", "acme-utils"),
        ("nuget", "Newtonsoft.JSON", "newtonsoft.json"),
        ("swift", "MyPackage", "mypackage"),
        ("npm", "AsyncStorage", "AsyncStorage"),
        ("maven", "Log4J-Core", "Log4J-Core"),
    ],
)
def test_names_are_stored_normalised_per_format(package_format: str, name: str, stored: str) -> None:
    assert stored_name(package_format, name) == stored


def test_namespaces_and_request_inputs() -> None:
    assert stored_namespace("npm", "@acme") == "acme"
    assert stored_namespace("npm", "acme") == "acme"
    assert stored_namespace("maven", "com.Acme") == "com.Acme"
    assert stored_namespace("pypi", None) == ""
    assert requested("nuget", None, "Newtonsoft.JSON") == ("nuget", "", "newtonsoft.json")
    assert requested("pypi", None, "Acme_Utils") == ("pypi", "", "Acme_Utils")  # PyPI API inputs: not normalised
    assert display_name("npm", "vue", "ui") == "@vue/ui"
    assert display_name("pypi", "", "Acme_Utils") == "Acme_Utils"


def test_arns_follow_the_service_authorization_reference() -> None:
    domain = Domain("acme", "111122223333", "us-east-1", "aws", "key")

    assert domain.domain_arn == "arn:aws:codeartifact:us-east-1:111122223333:domain/acme"
    assert domain.repository_arn("app") == "arn:aws:codeartifact:us-east-1:111122223333:repository/acme/app"
    assert (
        domain.package_group_arn("/npm/*") == "arn:aws:codeartifact:us-east-1:111122223333:package-group/acme/npm/%2a"
    )
    assert domain.package_group_arn("/nuget//alpha$").endswith(":package-group/acme/nuget//alpha%24")
    assert domain.package_group_arn("/npm/space/anycompany~").endswith(":package-group/acme/npm/space/anycompany~")
    assert domain.package_group_arn("/*").endswith(":package-group/acme/%2a")
    assert domain.package_arn("app", ("pypi", "", "acme-utils")) == (
        "arn:aws:codeartifact:us-east-1:111122223333:package/acme/app/pypi//acme-utils"
    )
    assert domain.package_arn("app", ("maven", "com.acme", "core")).endswith(":package/acme/app/maven/com.acme/core")
