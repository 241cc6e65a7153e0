"""CodeArtifact domains, repositories (upstreams, external connections) and resource policies."""

from __future__ import annotations

import json
from typing import Any

import moto
import pytest
from botocore.exceptions import ClientError

from provenance_guard_cli.emulator.codeartifact_model import codeartifact_backends
from tests.unit.emulator.codeartifact_support import DOMAIN, error_of, pypi_mirror, resource_type_of

ACCOUNT = "123456789012"
OTHER_ACCOUNT = "444455556666"
REGION = "us-east-1"
POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "codeartifact:ReadFromRepository", "Resource": "*"}
        ],
    }
)


def test_create_domain_describes_it_and_lists_it_with_paging(codeartifact: Any) -> None:
    created = codeartifact.create_domain(domain=DOMAIN, tags=[{"key": "team", "value": "platform"}])["domain"]
    for name in ("beta", "gamma"):
        codeartifact.create_domain(domain=name, encryptionKey="alias/pg-key")

    assert (created["name"], created["owner"], created["status"]) == (DOMAIN, ACCOUNT, "Active")
    assert created["arn"] == f"arn:aws:codeartifact:{REGION}:{ACCOUNT}:domain/{DOMAIN}"
    assert created["encryptionKey"].startswith(f"arn:aws:kms:{REGION}:{ACCOUNT}:key/")
    assert (created["repositoryCount"], created["assetSizeBytes"]) == (0, 0)
    assert codeartifact.describe_domain(domain="beta")["domain"]["encryptionKey"].endswith(":alias/pg-key")
    first = codeartifact.list_domains(maxResults=2)
    rest = codeartifact.list_domains(maxResults=2, nextToken=first["nextToken"])
    assert [d["name"] for d in first["domains"]] == [DOMAIN, "beta"]
    assert [d["name"] for d in rest["domains"]] == ["gamma"]
    assert "nextToken" not in rest
    assert set(first["domains"][0]) == {"name", "owner", "arn", "status", "createdTime", "encryptionKey"}


def test_domain_names_follow_the_model_pattern_and_are_unique(codeartifact: Any) -> None:
    codeartifact.create_domain(domain=DOMAIN)

    for bad in ("Acme", "my_domain", "-acme", "acme-"):
        with pytest.raises(ClientError) as excinfo:
            codeartifact.create_domain(domain=bad)
        assert error_of(excinfo) == ("ValidationException", 400)
        assert "regular expression pattern" in excinfo.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as excinfo:
        codeartifact.create_domain(domain=DOMAIN)
    assert error_of(excinfo) == ("ConflictException", 409)
    with pytest.raises(ClientError) as excinfo:
        codeartifact.list_domains(nextToken="not-a-token")
    assert error_of(excinfo) == ("ValidationException", 400)


@pytest.mark.parametrize(
    ("call", "resource_type"),
    [
        (lambda ca: ca.describe_domain(domain="nope"), "domain"),
        (lambda ca: ca.delete_domain(domain="nope"), "domain"),
        (lambda ca: ca.create_repository(domain="nope", repository="app"), "domain"),
        (lambda ca: ca.describe_repository(domain=DOMAIN, repository="nope"), "repository"),
        (lambda ca: ca.delete_repository(domain=DOMAIN, repository="nope"), "repository"),
        (lambda ca: ca.list_repositories_in_domain(domain="nope"), "domain"),
        (
            lambda ca: ca.associate_external_connection(
                domain=DOMAIN, repository="nope", externalConnection="public:pypi"
            ),
            "repository",
        ),
        (lambda ca: ca.get_repository_permissions_policy(domain=DOMAIN, repository="nope"), "repository"),
        (
            lambda ca: ca.create_repository(domain=DOMAIN, repository="app", upstreams=[{"repositoryName": "nope"}]),
            "repository",
        ),
        (lambda ca: ca.describe_domain(domain=DOMAIN, domainOwner=OTHER_ACCOUNT), "domain"),
    ],
)
def test_unknown_domains_and_repositories_are_resource_not_found(
    codeartifact: Any, call: Any, resource_type: str
) -> None:
    codeartifact.create_domain(domain=DOMAIN)

    with pytest.raises(ClientError) as excinfo:
        call(codeartifact)

    assert error_of(excinfo) == ("ResourceNotFoundException", 404)
    assert resource_type_of(excinfo) == resource_type


def test_repository_description_has_upstreams_in_order_and_external_connections(codeartifact: Any) -> None:
    pypi_mirror(codeartifact)
    codeartifact.create_repository(domain=DOMAIN, repository="shared", description="internal libraries")
    codeartifact.update_repository(
        domain=DOMAIN,
        repository="app",
        upstreams=[{"repositoryName": "shared"}, {"repositoryName": "pypi-store"}],
    )

    app = codeartifact.describe_repository(domain=DOMAIN, repository="app")["repository"]
    store = codeartifact.describe_repository(domain=DOMAIN, repository="pypi-store")["repository"]

    assert app["arn"] == f"arn:aws:codeartifact:{REGION}:{ACCOUNT}:repository/{DOMAIN}/app"
    assert (app["domainName"], app["domainOwner"], app["administratorAccount"]) == (DOMAIN, ACCOUNT, ACCOUNT)
    assert [u["repositoryName"] for u in app["upstreams"]] == ["shared", "pypi-store"]
    assert app["externalConnections"] == []
    assert store["externalConnections"] == [
        {"externalConnectionName": "public:pypi", "packageFormat": "pypi", "status": "Available"}
    ]
    assert codeartifact.describe_domain(domain=DOMAIN)["domain"]["repositoryCount"] == 3


@pytest.mark.parametrize(
    ("connection", "package_format"),
    [
        ("public:npmjs", "npm"),
        ("public:pypi", "pypi"),
        ("public:maven-central", "maven"),
        ("public:maven-googleandroid", "maven"),
        ("public:maven-gradleplugins", "maven"),
        ("public:maven-commonsware", "maven"),
        ("public:maven-clojars", "maven"),
        ("public:nuget-org", "nuget"),
        ("public:ruby-gems-org", "ruby"),
        ("public:crates-io", "cargo"),
    ],
)
def test_external_connections_report_their_package_format(
    codeartifact: Any, connection: str, package_format: str
) -> None:
    codeartifact.create_domain(domain=DOMAIN)
    codeartifact.create_repository(domain=DOMAIN, repository="store")

    repository = codeartifact.associate_external_connection(
        domain=DOMAIN, repository="store", externalConnection=connection
    )["repository"]

    assert repository["externalConnections"] == [
        {"externalConnectionName": connection, "packageFormat": package_format, "status": "Available"}
    ]


def test_a_repository_has_at_most_one_external_connection_and_not_with_upstreams(codeartifact: Any) -> None:
    pypi_mirror(codeartifact)
    store = {"domain": DOMAIN, "repository": "pypi-store"}

    rejected = [
        lambda: codeartifact.associate_external_connection(**store, externalConnection="public:npmjs"),
        lambda: codeartifact.associate_external_connection(**store, externalConnection="public:pypi"),
        lambda: codeartifact.associate_external_connection(**store, externalConnection="public:left-pad"),
        lambda: codeartifact.associate_external_connection(
            domain=DOMAIN, repository="app", externalConnection="public:npmjs"
        ),
        lambda: codeartifact.update_repository(**store, upstreams=[{"repositoryName": "app"}]),
    ]
    for call in rejected:
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_of(excinfo) == ("ValidationException", 400)

    with pytest.raises(ClientError) as excinfo:
        codeartifact.disassociate_external_connection(**store, externalConnection="public:npmjs")
    assert error_of(excinfo) == ("ResourceNotFoundException", 404)
    removed = codeartifact.disassociate_external_connection(**store, externalConnection="public:pypi")
    assert removed["repository"]["externalConnections"] == []
    codeartifact.associate_external_connection(**store, externalConnection="public:npmjs")


def test_upstreams_are_checked_for_duplicates_cycles_self_and_quota(codeartifact: Any) -> None:
    codeartifact.create_domain(domain=DOMAIN)
    for name in ("ra", "rb", "rc", *(f"u{i:02}" for i in range(11))):
        codeartifact.create_repository(domain=DOMAIN, repository=name)
    codeartifact.update_repository(domain=DOMAIN, repository="ra", upstreams=[{"repositoryName": "rb"}])
    codeartifact.update_repository(domain=DOMAIN, repository="rb", upstreams=[{"repositoryName": "rc"}])

    for upstreams, code in (
        ([{"repositoryName": "ra"}], "ValidationException"),
        ([{"repositoryName": "rb"}, {"repositoryName": "rb"}], "ValidationException"),
        ([{"repositoryName": f"u{i:02}"} for i in range(11)], "ServiceQuotaExceededException"),
    ):
        with pytest.raises(ClientError) as excinfo:
            codeartifact.update_repository(domain=DOMAIN, repository="rc", upstreams=upstreams)
        assert error_of(excinfo)[0] == code
    with pytest.raises(ClientError) as excinfo:
        codeartifact.update_repository(domain=DOMAIN, repository="rc", upstreams=[{"repositoryName": "rc"}])
    assert error_of(excinfo) == ("ValidationException", 400)
    assert codeartifact.describe_repository(domain=DOMAIN, repository="rc")["repository"]["upstreams"] == []
    ten = codeartifact.update_repository(
        domain=DOMAIN, repository="rc", upstreams=[{"repositoryName": f"u{i:02}"} for i in range(10)]
    )
    assert len(ten["repository"]["upstreams"]) == 10


def test_deleting_an_upstream_unlinks_it_and_a_domain_with_repositories_cannot_go(codeartifact: Any) -> None:
    pypi_mirror(codeartifact)

    with pytest.raises(ClientError) as excinfo:
        codeartifact.delete_domain(domain=DOMAIN)
    assert error_of(excinfo) == ("ConflictException", 409)
    deleted = codeartifact.delete_repository(domain=DOMAIN, repository="pypi-store")["repository"]
    assert deleted["name"] == "pypi-store"
    assert codeartifact.describe_repository(domain=DOMAIN, repository="app")["repository"]["upstreams"] == []
    codeartifact.delete_repository(domain=DOMAIN, repository="app")
    assert codeartifact.delete_domain(domain=DOMAIN)["domain"]["status"] == "Deleted"
    assert codeartifact.list_domains()["domains"] == []


def test_repositories_list_with_prefix_administrator_and_paging(codeartifact: Any) -> None:
    codeartifact.create_domain(domain=DOMAIN)
    for name in ("app-api", "app-web", "shared"):
        codeartifact.create_repository(domain=DOMAIN, repository=name, description=f"{name} packages")

    page = codeartifact.list_repositories_in_domain(domain=DOMAIN, repositoryPrefix="app", maxResults=1)
    rest = codeartifact.list_repositories_in_domain(
        domain=DOMAIN, repositoryPrefix="app", maxResults=1, nextToken=page["nextToken"]
    )
    mine = codeartifact.list_repositories(repositoryPrefix="sh")["repositories"]

    assert [r["name"] for r in page["repositories"] + rest["repositories"]] == ["app-api", "app-web"]
    assert "nextToken" not in rest
    assert [(r["name"], r["description"], r["domainName"]) for r in mine] == [("shared", "shared packages", DOMAIN)]
    assert set(mine[0]) == {
        "name",
        "administratorAccount",
        "domainName",
        "domainOwner",
        "arn",
        "description",
        "createdTime",
    }
    assert (
        codeartifact.list_repositories_in_domain(domain=DOMAIN, administratorAccount=OTHER_ACCOUNT)["repositories"]
        == []
    )


def test_repositories_of_another_account_live_in_the_owners_domain(
    codeartifact: Any, boto_session: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    codeartifact.create_domain(domain=DOMAIN)
    monkeypatch.setenv("MOTO_ACCOUNT_ID", OTHER_ACCOUNT)
    other = boto_session.client("codeartifact")

    created = other.create_repository(domain=DOMAIN, domainOwner=ACCOUNT, repository="team")["repository"]
    theirs = other.list_repositories()["repositories"]
    monkeypatch.delenv("MOTO_ACCOUNT_ID")

    assert (created["administratorAccount"], created["domainOwner"]) == (OTHER_ACCOUNT, ACCOUNT)
    assert created["arn"] == f"arn:aws:codeartifact:{REGION}:{ACCOUNT}:repository/{DOMAIN}/team"
    assert [r["name"] for r in theirs] == ["team"]
    assert codeartifact.list_repositories()["repositories"] == []
    in_domain = codeartifact.list_repositories_in_domain(domain=DOMAIN, administratorAccount=OTHER_ACCOUNT)
    assert [r["name"] for r in in_domain["repositories"]] == ["team"]


@pytest.mark.parametrize("scope", ["domain", "repository"])
def test_permissions_policies_are_put_read_revised_and_deleted(codeartifact: Any, scope: str) -> None:
    pypi_mirror(codeartifact)
    target: dict[str, str] = {"domain": DOMAIN} if scope == "domain" else {"domain": DOMAIN, "repository": "app"}
    put = getattr(codeartifact, f"put_{scope}_permissions_policy")
    get = getattr(codeartifact, f"get_{scope}_permissions_policy")
    delete = getattr(codeartifact, f"delete_{scope}_permissions_policy")
    arn = (
        codeartifact.describe_domain(domain=DOMAIN)["domain"]["arn"]
        if scope == "domain"
        else (codeartifact.describe_repository(domain=DOMAIN, repository="app")["repository"]["arn"])
    )

    with pytest.raises(ClientError) as excinfo:
        get(**target)
    assert error_of(excinfo) == ("ResourceNotFoundException", 404)
    first = put(**target, policyDocument=POLICY)["policy"]
    assert (first["resourceArn"], first["document"]) == (arn, POLICY)
    assert get(**target)["policy"] == first
    with pytest.raises(ClientError) as excinfo:
        put(**target, policyDocument=POLICY, policyRevision="stale")
    assert error_of(excinfo) == ("ConflictException", 409)
    second = put(**target, policyDocument=POLICY, policyRevision=first["revision"])["policy"]
    assert second["revision"] != first["revision"]
    for document in ("not json", '["a list"]', '{"Version": "2012-10-17"}'):
        with pytest.raises(ClientError) as excinfo:
            put(**target, policyDocument=document)
        assert error_of(excinfo) == ("ValidationException", 400)
    with pytest.raises(ClientError) as excinfo:
        delete(**target, policyRevision=first["revision"])
    assert error_of(excinfo) == ("ConflictException", 409)
    assert delete(**target)["policy"]["revision"] == second["revision"]
    with pytest.raises(ClientError) as excinfo:
        delete(**target)
    assert error_of(excinfo) == ("ResourceNotFoundException", 404)


def test_moto_reset_forgets_every_domain(boto_session: Any) -> None:
    with moto.mock_aws():
        boto_session.client("codeartifact").create_domain(domain=DOMAIN)
        assert DOMAIN in codeartifact_backends[ACCOUNT][REGION].domains

    with moto.mock_aws():
        assert boto_session.client("codeartifact").list_domains()["domains"] == []
