"""CodeArtifact package groups: the root group, hierarchy, inherited origin restrictions, most specific
association and allowed repository lists."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.unit.emulator.codeartifact_support import DOMAIN, error_of, group, pypi_mirror, restrictions_of

ACCOUNT = "123456789012"
ROOT_ARN = f"arn:aws:codeartifact:us-east-1:{ACCOUNT}:package-group/{DOMAIN}/%2a"


def associated(codeartifact: Any, package_format: str, package: str, namespace: str | None = None) -> tuple[str, str]:
    request: dict[str, str] = {"domain": DOMAIN, "format": package_format, "package": package}
    if namespace is not None:
        request["namespace"] = namespace
    found = codeartifact.get_associated_package_group(**request)
    return found["packageGroup"]["pattern"], found["associationType"]


def test_every_domain_has_the_root_group_allowing_every_origin(codeartifact: Any) -> None:
    codeartifact.create_domain(domain=DOMAIN)

    groups = codeartifact.list_package_groups(domain=DOMAIN)["packageGroups"]

    assert [(g["pattern"], g["arn"]) for g in groups] == [("/*", ROOT_ARN)]
    assert "parent" not in groups[0]
    assert restrictions_of(groups[0]) == dict.fromkeys(
        ("EXTERNAL_UPSTREAM", "INTERNAL_UPSTREAM", "PUBLISH"), ("ALLOW", "ALLOW", None)
    )
    assert associated(codeartifact, "cargo", "serde") == ("/*", "STRONG")
    for call in (
        lambda: codeartifact.delete_package_group(domain=DOMAIN, packageGroup="/*"),
        lambda: codeartifact.update_package_group_origin_configuration(
            domain=DOMAIN, packageGroup="/*", restrictions={"PUBLISH": "INHERIT"}
        ),
    ):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_of(excinfo) == ("ValidationException", 400)


def test_new_groups_inherit_from_the_first_ancestor_that_does_not(codeartifact: Any) -> None:
    codeartifact.create_domain(domain=DOMAIN)
    group(codeartifact, "/npm/*", PUBLISH="BLOCK")
    group(codeartifact, "/npm/space/*", EXTERNAL_UPSTREAM="BLOCK")

    leaf = group(codeartifact, "/npm/space/ui~")

    assert leaf["parent"]["pattern"] == "/npm/space/*"
    assert leaf["arn"] == f"arn:aws:codeartifact:us-east-1:{ACCOUNT}:package-group/{DOMAIN}/npm/space/ui~"
    assert restrictions_of(leaf) == {
        "EXTERNAL_UPSTREAM": ("INHERIT", "BLOCK", "/npm/space/*"),
        "INTERNAL_UPSTREAM": ("INHERIT", "ALLOW", "/*"),
        "PUBLISH": ("INHERIT", "BLOCK", "/npm/*"),
    }
    own = group(codeartifact, "/npm/space/ui-kit$", PUBLISH="ALLOW")
    assert restrictions_of(own)["PUBLISH"] == ("ALLOW", "ALLOW", None)
    assert own["parent"]["pattern"] == "/npm/space/ui~"


def test_the_most_specific_group_is_associated(codeartifact: Any) -> None:
    codeartifact.create_domain(domain=DOMAIN)
    for pattern in ("/npm/*", "/npm/space/*", "/npm/space/anycompany~", "/maven/com.acme~", "/pypi//acme~"):
        group(codeartifact, pattern)

    assert associated(codeartifact, "npm", "react") == ("/npm/*", "STRONG")
    assert associated(codeartifact, "npm", "aui.components", "space") == ("/npm/space/*", "STRONG")
    assert associated(codeartifact, "npm", "anycompany-ui", "space") == ("/npm/space/anycompany~", "STRONG")
    assert associated(codeartifact, "npm", "anycompanyui", "space") == ("/npm/space/*", "STRONG")
    assert associated(codeartifact, "maven", "core", "com.acme.billing") == ("/maven/com.acme~", "STRONG")
    assert associated(codeartifact, "maven", "core", "com.acmecorp") == ("/*", "STRONG")
    assert associated(codeartifact, "pypi", "acme-utils") == ("/pypi//acme~", "STRONG")
    assert associated(codeartifact, "nuget", "newtonsoft.json") == ("/*", "STRONG")


def test_variations_associate_weakly_unless_a_group_matches_them_exactly(codeartifact: Any) -> None:
    codeartifact.create_domain(domain=DOMAIN)
    group(codeartifact, "/npm/*")
    group(codeartifact, "/npm//AsyncStorage$")

    assert associated(codeartifact, "npm", "AsyncStorage") == ("/npm//AsyncStorage$", "STRONG")
    assert associated(codeartifact, "npm", "asyncstorage") == ("/npm//AsyncStorage$", "WEAK")
    group(codeartifact, "/npm//asyncstorage$")
    assert associated(codeartifact, "npm", "asyncstorage") == ("/npm//asyncstorage$", "STRONG")
    assert associated(codeartifact, "npm", "asyncStorage")[1] == "WEAK"


def test_get_associated_package_group_requires_the_namespace_rules_and_a_domain(codeartifact: Any) -> None:
    codeartifact.create_domain(domain=DOMAIN)

    for request in (
        {"format": "maven", "package": "core"},
        {"format": "pypi", "package": "requests", "namespace": "python"},
        {"format": "npm", "package": "has space"},
    ):
        with pytest.raises(ClientError) as excinfo:
            codeartifact.get_associated_package_group(domain=DOMAIN, **request)
        assert error_of(excinfo) == ("ValidationException", 400)
    with pytest.raises(ClientError) as excinfo:
        codeartifact.get_associated_package_group(domain="nope", format="npm", package="react")
    assert error_of(excinfo) == ("ResourceNotFoundException", 404)


def test_deleting_a_group_reparents_its_children(codeartifact: Any) -> None:
    codeartifact.create_domain(domain=DOMAIN)
    group(codeartifact, "/npm/*", EXTERNAL_UPSTREAM="BLOCK")
    group(codeartifact, "/npm/space/*")
    group(codeartifact, "/npm/space/ui~")

    children = codeartifact.list_sub_package_groups(domain=DOMAIN, packageGroup="/npm/*")["packageGroups"]
    deleted = codeartifact.delete_package_group(domain=DOMAIN, packageGroup="/npm/*")["packageGroup"]
    leaf = codeartifact.describe_package_group(domain=DOMAIN, packageGroup="/npm/space/*")["packageGroup"]
    root_children = codeartifact.list_sub_package_groups(domain=DOMAIN, packageGroup="/*")["packageGroups"]

    assert [g["pattern"] for g in children] == ["/npm/space/*"]
    assert deleted["pattern"] == "/npm/*"
    assert leaf["parent"]["pattern"] == "/*"
    assert restrictions_of(leaf)["EXTERNAL_UPSTREAM"] == ("INHERIT", "ALLOW", "/*")
    assert [g["pattern"] for g in root_children] == ["/npm/space/*"]
    with pytest.raises(ClientError) as excinfo:
        codeartifact.describe_package_group(domain=DOMAIN, packageGroup="/npm/*")
    assert error_of(excinfo) == ("ResourceNotFoundException", 404)


def test_package_groups_are_validated_unique_and_listed_by_prefix_with_paging(codeartifact: Any) -> None:
    codeartifact.create_domain(domain=DOMAIN)
    for pattern in ("/npm/*", "/npm/space/*", "/pypi/*"):
        group(codeartifact, pattern)

    for pattern, code in (("/npm/*", "ConflictException"), ("/npm/space", "ValidationException")):
        with pytest.raises(ClientError) as excinfo:
            codeartifact.create_package_group(domain=DOMAIN, packageGroup=pattern)
        assert error_of(excinfo)[0] == code
    page = codeartifact.list_package_groups(domain=DOMAIN, prefix="/npm", maxResults=1)
    rest = codeartifact.list_package_groups(domain=DOMAIN, prefix="/npm", maxResults=1, nextToken=page["nextToken"])
    assert [g["pattern"] for g in page["packageGroups"] + rest["packageGroups"]] == ["/npm/*", "/npm/space/*"]
    assert "nextToken" not in rest
    with pytest.raises(ClientError) as excinfo:
        codeartifact.list_package_groups(domain="nope")
    assert error_of(excinfo) == ("ResourceNotFoundException", 404)
    with pytest.raises(ClientError) as excinfo:
        codeartifact.update_package_group_origin_configuration(
            domain=DOMAIN, packageGroup="/npm/*", restrictions={"PUBLISH": "DENY"}
        )
    assert error_of(excinfo) == ("ValidationException", 400)


def test_allowed_repository_lists_are_updated_and_reported(codeartifact: Any) -> None:
    pypi_mirror(codeartifact)
    codeartifact.create_package_group(domain=DOMAIN, packageGroup="/pypi//acme~")

    updated = codeartifact.update_package_group_origin_configuration(
        domain=DOMAIN,
        packageGroup="/pypi//acme~",
        restrictions={"EXTERNAL_UPSTREAM": "ALLOW_SPECIFIC_REPOSITORIES", "PUBLISH": "ALLOW"},
        addAllowedRepositories=[
            {"repositoryName": "pypi-store", "originRestrictionType": "EXTERNAL_UPSTREAM"},
            {"repositoryName": "app", "originRestrictionType": "EXTERNAL_UPSTREAM"},
        ],
        removeAllowedRepositories=[{"repositoryName": "app", "originRestrictionType": "EXTERNAL_UPSTREAM"}],
    )
    allowed = codeartifact.list_allowed_repositories_for_group(
        domain=DOMAIN, packageGroup="/pypi//acme~", originRestrictionType="EXTERNAL_UPSTREAM"
    )

    restriction = updated["packageGroup"]["originConfiguration"]["restrictions"]["EXTERNAL_UPSTREAM"]
    assert (restriction["mode"], restriction["repositoriesCount"]) == ("ALLOW_SPECIFIC_REPOSITORIES", 1)
    assert updated["allowedRepositoryUpdates"] == {
        "EXTERNAL_UPSTREAM": {"ADDED": ["pypi-store", "app"], "REMOVED": ["app"]}
    }
    assert allowed["allowedRepositories"] == ["pypi-store"]
    with pytest.raises(ClientError) as excinfo:
        codeartifact.update_package_group_origin_configuration(
            domain=DOMAIN,
            packageGroup="/pypi//acme~",
            addAllowedRepositories=[{"repositoryName": "ghost", "originRestrictionType": "PUBLISH"}],
        )
    assert error_of(excinfo) == ("ResourceNotFoundException", 404)
    codeartifact.delete_repository(domain=DOMAIN, repository="app")
    codeartifact.delete_repository(domain=DOMAIN, repository="pypi-store")
    assert (
        codeartifact.list_allowed_repositories_for_group(
            domain=DOMAIN, packageGroup="/pypi//acme~", originRestrictionType="EXTERNAL_UPSTREAM"
        )["allowedRepositories"]
        == []
    )
