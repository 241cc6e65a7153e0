"""The demo's CodeArtifact domain: a repository mirroring PyPI through `public:pypi`, an internal namespace
(`pypi:acme-*`, the demo policy's) that a package group shields from external upstreams, and the ways it goes
wrong: an internal package name pulled from PyPI before the group existed (dependency confusion), a
repository connected to an unapproved public registry, a domain policy open to everyone. Each change is made
through the emulator's API (package versions through its seeding endpoint, as package managers would put
them there) together with the event AWS would send."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable
from typing import Any

from provenance_guard_cli.emulator.codeartifact_seed import SEED_PATH
from provenance_guard_cli.sample_account import ACCOUNT, REGION, Step, sample_event

DOMAIN = "acme"
INTERNAL_GROUP = "/pypi//acme~"
OPEN_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "Everyone", "Effect": "Allow", "Principal": "*", "Action": "codeartifact:*", "Resource": "*"}
        ],
    }
)


def cloudtrail(fixture: str, **request: Any) -> dict[str, Any]:
    """A CodeArtifact CloudTrail record (tests/fixtures/events) for the demo's domain and `request`."""
    event = sample_event(fixture, **{"detail.userIdentity.accountId": ACCOUNT})
    event["detail"]["requestParameters"].update(domain=DOMAIN, domainOwner=ACCOUNT, **request)
    return event


def version_event(repository: str, package: str, version: str) -> dict[str, Any]:
    """The documented package version event, as the domain owner receives it."""
    event = sample_event("codeartifact-package-version-state-change-domain-owner.json")
    event["resources"] = [f"arn:aws:codeartifact:{REGION}:{ACCOUNT}:package/{DOMAIN}/{repository}/pypi//{package}"]
    event["detail"].update(
        domainName=DOMAIN,
        domainOwner=ACCOUNT,
        repositoryName=repository,
        repositoryAdministrator=ACCOUNT,
        packageFormat="pypi",
        packageNamespace=None,
        packageName=package,
        packageVersion=version,
    )
    return event


class PackagesAccount:
    """Makes the demo's CodeArtifact resources through the emulator's API."""

    def __init__(self, client: Callable[[str], Any]) -> None:
        self.codeartifact = client("codeartifact")
        self.endpoint = str(self.codeartifact.meta.endpoint_url)

    def mirror(self) -> None:
        """`pypi-store` mirrors PyPI; `internal` holds published packages; `app` reads both."""
        ca = self.codeartifact
        ca.create_domain(domain=DOMAIN)
        ca.create_repository(domain=DOMAIN, repository="pypi-store", description="PyPI mirror")
        ca.associate_external_connection(domain=DOMAIN, repository="pypi-store", externalConnection="public:pypi")
        ca.create_repository(domain=DOMAIN, repository="internal", description="packages Acme publishes")
        upstreams = [{"repositoryName": "internal"}, {"repositoryName": "pypi-store"}]
        ca.create_repository(domain=DOMAIN, repository="app", upstreams=upstreams)

    def seed(self, repository: str, package: str, version: str, connection: str | None = None) -> None:
        """A version published to `repository`, or pulled through `connection` into it."""
        spec: dict[str, Any] = {"domain": DOMAIN, "repository": repository, "format": "pypi", "package": package}
        spec.update(version=version, region=REGION, account=ACCOUNT)
        if connection:
            spec["origin"] = {"originType": "EXTERNAL", "domainEntryPoint": {"externalConnectionName": connection}}
        request = urllib.request.Request(
            self.endpoint + SEED_PATH, json.dumps(spec).encode(), {"Content-Type": "application/json"}, method="POST"
        )
        with urllib.request.urlopen(request, timeout=30):
            pass

    def internal_group(self, **restrictions: str) -> None:
        if not restrictions:
            self.codeartifact.create_package_group(domain=DOMAIN, packageGroup=INTERNAL_GROUP)
            return
        self.codeartifact.update_package_group_origin_configuration(
            domain=DOMAIN, packageGroup=INTERNAL_GROUP, restrictions=restrictions
        )

    def crates_cache(self) -> None:
        self.codeartifact.create_repository(domain=DOMAIN, repository="crates-cache")
        self.codeartifact.associate_external_connection(
            domain=DOMAIN, repository="crates-cache", externalConnection="public:crates-io"
        )

    def open_domain(self) -> None:
        self.codeartifact.put_domain_permissions_policy(domain=DOMAIN, policyDocument=OPEN_POLICY)


def package_steps(client: Callable[[str], Any]) -> list[Step]:
    """The CodeArtifact part of the demo, in order."""
    account = PackagesAccount(client)
    return [
        Step(
            f"CodeArtifact domain {DOMAIN}: repository pypi-store mirrors PyPI through public:pypi, app reads it "
            "and internal (CloudTrail AssociateExternalConnection)",
            cloudtrail("cloudtrail-codeartifact-associateexternalconnection.json", repository="pypi-store"),
            account.mirror,
        ),
        Step(
            "acme-utils 1.4.0 published to repository internal (CodeArtifact Package Version State Change)",
            version_event("internal", "acme-utils", "1.4.0"),
            lambda: account.seed("internal", "acme-utils", "1.4.0"),
        ),
        Step(
            "a build asks app for acme-billing, an internal name not published yet: 9.9.9 is pulled from PyPI "
            "(dependency confusion)",
            version_event("app", "acme-billing", "9.9.9"),
            lambda: account.seed("app", "acme-billing", "9.9.9", "public:pypi"),
        ),
        Step(
            "requests 2.32.3 pulled from PyPI through the allowed public:pypi: an ordinary mirror, no finding",
            version_event("app", "requests", "2.32.3"),
            lambda: account.seed("app", "requests", "2.32.3", "public:pypi"),
        ),
        Step(
            f"package group {INTERNAL_GROUP} created for the internal namespace: it inherits ALLOW from /* "
            "(CloudTrail CreatePackageGroup)",
            cloudtrail("cloudtrail-codeartifact-createpackagegroup.json", packageGroup=INTERNAL_GROUP),
            account.internal_group,
        ),
        Step(
            f"package group {INTERNAL_GROUP} blocks EXTERNAL_UPSTREAM (CloudTrail "
            "UpdatePackageGroupOriginConfiguration): no acme-* version can come from PyPI any more",
            cloudtrail(
                "cloudtrail-codeartifact-updatepackagegrouporiginconfiguration.json",
                packageGroup=INTERNAL_GROUP,
                restrictions={"EXTERNAL_UPSTREAM": "BLOCK"},
            ),
            lambda: account.internal_group(EXTERNAL_UPSTREAM="BLOCK"),
        ),
        Step(
            "repository crates-cache connected to public:crates-io, which the policy does not allow "
            "(CloudTrail AssociateExternalConnection)",
            cloudtrail(
                "cloudtrail-codeartifact-associateexternalconnection.json",
                repository="crates-cache",
                externalConnection="public:crates-io",
            ),
            account.crates_cache,
        ),
        Step(
            f"domain {DOMAIN}'s permissions policy opened to every principal (CloudTrail PutDomainPermissionsPolicy)",
            cloudtrail("cloudtrail-codeartifact-putdomainpermissionspolicy.json", policyDocument=OPEN_POLICY),
            account.open_domain,
        ),
    ]
