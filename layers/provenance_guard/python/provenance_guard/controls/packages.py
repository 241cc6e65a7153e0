"""Application libraries from trusted registries (CONTROLS.md §6.1, PG.PKG.1-3): CodeArtifact repositories
reach only approved public registries and trusted domains, internal namespaces are shielded from external
upstreams by package groups, and internal package versions were published, never pulled from a public
registry (dependency confusion). PG.PKG.4 (resource policies) is in `packages_access`."""

from __future__ import annotations

from dataclasses import replace

from provenance_guard.collect.codeartifact import (
    DESCRIBE_DOMAIN,
    DESCRIBE_PACKAGE_VERSION,
    DESCRIBE_REPOSITORY,
    LIST_PACKAGE_GROUPS,
)
from provenance_guard.collect.codeartifact_domain import CODEARTIFACT_DOMAIN, DomainSnapshot
from provenance_guard.collect.codeartifact_groups import PackageGroup, governing_groups
from provenance_guard.collect.codeartifact_names import NamespaceSet, internal_entry, namespace_sets
from provenance_guard.collect.codeartifact_package import CODEARTIFACT_PACKAGE_VERSION, PackageVersionSnapshot
from provenance_guard.collect.codeartifact_repository import CODEARTIFACT_REPOSITORY, RepositorySnapshot
from provenance_guard.controls.registry import EvaluationContext, registry
from provenance_guard.model import Reason, Severity, Verdict
from provenance_guard.policy import Policy

UG = "https://docs.aws.amazon.com/codeartifact/latest/ug"
SUPPLY_CHAIN_NIST = ("SR-3", "SR-11")
SUPPLY_CHAIN_CIS = ("16.5",)


def trusted_owners(policy: Policy, account: str) -> set[str]:
    return {account if owner == "self" else owner for owner in policy.packages.trusted_domain_owners}


@registry.register(
    id="PG.PKG.1",
    title="CodeArtifact repositories should pull only from approved public registries and trusted domains",
    severity=Severity.HIGH,
    resource_kind=CODEARTIFACT_REPOSITORY,
    remediation_text=(
        "Remove external connections that packages.allowed_external_connections does not list (aws codeartifact "
        "disassociate-external-connection), or add the registry there if it is approved; keep upstream "
        "repositories in domains of packages.trusted_domain_owners (aws codeartifact update-repository --upstreams)."
    ),
    remediation_url=f"{UG}/external-connection.html",
    permissions=(DESCRIBE_REPOSITORY,),
    nist=("SR-3", "CM-7(5)"),
    cis=("2.6", "16.5"),
)
def approved_sources(repo: RepositorySnapshot, policy: Policy, ctx: EvaluationContext) -> Verdict:
    """Every external connection of the repository is in packages.allowed_external_connections, and its
    upstream repositories (always in the repository's own domain) are in a domain the account or an account
    of packages.trusted_domain_owners owns. A repository that cannot be described is NOT_AVAILABLE."""
    allowed = policy.packages.allowed_external_connections
    connections = [c.name for c in repo.external_connections]
    evidence = {
        "ExternalConnections": ", ".join(connections) or "none",
        "Upstreams": ", ".join(repo.upstreams) or "none",
        "DomainOwner": repo.ref.account,
        "AllowedExternalConnections": ", ".join(allowed) or "-",
    }
    if repo.error:
        why = f"the repository cannot be described ({repo.error})"
        return Verdict.not_available("PG.PKG.1", "REPOSITORY_UNREADABLE", why, evidence)
    reasons = [
        Reason("UNAPPROVED_EXTERNAL_CONNECTION", f"external connection {name} is not in allowed_external_connections")
        for name in connections
        if name not in allowed
    ]
    if repo.upstreams and repo.ref.account not in trusted_owners(policy, ctx.account):
        why = f"upstreams {', '.join(repo.upstreams)} are in a domain of {repo.ref.account}, not a trusted owner"
        reasons.append(Reason("UNTRUSTED_UPSTREAM_DOMAIN", why))
    if reasons:
        return Verdict.failed("PG.PKG.1", tuple(reasons), evidence)
    sources = [f"external connection {name}" for name in connections]
    sources += [f"upstream {name}" for name in repo.upstreams]
    why = f"it pulls only from approved sources ({', '.join(sources)})" if sources else "it has no upstream source"
    return Verdict.passed("PG.PKG.1", why, evidence)


def blocks_external(group: PackageGroup, groups: tuple[PackageGroup, ...]) -> tuple[bool, str]:
    """Whether new versions of the group's packages are blocked from every external connection, and how."""
    restriction = group.restrictions["EXTERNAL_UPSTREAM"]
    mode, source = restriction.effective_mode, restriction.inherited_from
    where = f" (inherited from {source})" if source else ""
    if mode == "ALLOW_SPECIFIC_REPOSITORIES":
        setter = next((g for g in groups if g.text == source), group) if source else group
        count = setter.restrictions["EXTERNAL_UPSTREAM"].repositories
        if count == 0:
            return True, f"{group.text}: EXTERNAL_UPSTREAM allows an empty repository list{where}"
        return False, f"{group.text}: EXTERNAL_UPSTREAM allows {count or 'some'} repositories to ingest{where}"
    return mode == "BLOCK", f"{group.text}: EXTERNAL_UPSTREAM {mode}{where}"


def _namespace_reasons(claimed: NamespaceSet, groups: tuple[PackageGroup, ...]) -> tuple[list[Reason], str]:
    base, narrower = governing_groups(groups, claimed)
    if base is None:
        return [Reason("NOT_PROTECTED", f"{claimed.entry}: no package group covers it")], "no group"
    reasons: list[Reason] = []
    blocked, how = blocks_external(base, groups)
    notes = [how]
    if not blocked:
        reasons.append(Reason("NOT_PROTECTED", f"{claimed.entry}: governed by {how}"))
    for group in narrower:
        blocked, how = blocks_external(group, groups)
        notes.append(how)
        if not blocked:
            reasons.append(Reason("PARTLY_OPEN", f"{claimed.entry}: the narrower group {how}"))
    return reasons, "; ".join(notes)


@registry.register(
    id="PG.PKG.2",
    title="CodeArtifact domains should block external upstreams for every internal namespace",
    severity=Severity.HIGH,
    resource_kind=CODEARTIFACT_DOMAIN,
    remediation_text=(
        "For each internal namespace, create a package group matching it (aws codeartifact create-package-group "
        "--package-group /pypi//acme~) and block EXTERNAL_UPSTREAM on it (aws codeartifact "
        "update-package-group-origin-configuration --restrictions EXTERNAL_UPSTREAM=BLOCK); make sure no more "
        "specific group allows it. The namespaces are packages.internal_namespaces."
    ),
    remediation_url=f"{UG}/package-group-origin-controls.html",
    permissions=(DESCRIBE_DOMAIN, LIST_PACKAGE_GROUPS),
    nist=SUPPLY_CHAIN_NIST,
    cis=SUPPLY_CHAIN_CIS,
)
def internal_namespaces_blocked(domain: DomainSnapshot, policy: Policy, ctx: EvaluationContext) -> Verdict:
    """Every namespace of packages.internal_namespaces is covered by package groups whose origin
    configuration blocks EXTERNAL_UPSTREAM: the most specific group covering the whole namespace, and every
    more specific group that takes some of its packages, as CodeArtifact associates each package with the
    most specific group matching it (INHERIT resolved to the ancestor that sets the mode)."""
    packages = policy.packages
    sets = namespace_sets(packages.internal_namespaces, packages.namespaces())
    evidence = {"PackageGroups": ", ".join(g.text for g in domain.groups) or "-"}
    if not sets:
        why = "packages.internal_namespaces is empty: there is no internal namespace to protect"
        return Verdict.not_available("PG.PKG.2", "NO_INTERNAL_NAMESPACES", why, evidence)
    if domain.groups_error:
        why = f"the package groups cannot be listed ({domain.groups_error})"
        return Verdict.not_available("PG.PKG.2", "GROUPS_UNREADABLE", why, evidence)
    reasons: list[Reason] = []
    for claimed in sets:
        found, notes = _namespace_reasons(claimed, domain.groups)
        reasons.extend(found)
        evidence[f"Namespace.{claimed.entry}"] = notes
    if reasons:
        return Verdict.failed("PG.PKG.2", tuple(reasons), evidence)
    if domain.unreadable_patterns:
        evidence["UnreadableGroups"] = ", ".join(domain.unreadable_patterns)
        why = f"groups {', '.join(domain.unreadable_patterns)} cannot be read and may open a namespace"
        return Verdict.not_available("PG.PKG.2", "GROUPS_UNREADABLE", why, evidence)
    return Verdict.passed("PG.PKG.2", f"all {len(sets)} internal namespaces block external upstreams", evidence)


@registry.register(
    id="PG.PKG.3",
    title="CodeArtifact package versions of internal namespaces should be published, never pulled from upstream",
    severity=Severity.CRITICAL,
    resource_kind=CODEARTIFACT_PACKAGE_VERSION,
    remediation_text=(
        "A version of an internal package came from a public registry (dependency confusion): dispose of it "
        "(aws codeartifact dispose-package-versions), check what installed it, and block EXTERNAL_UPSTREAM for "
        "the namespace (PG.PKG.2). Public packages should come only through packages.allowed_external_connections; "
        "declare internally published namespaces in packages.internal_namespaces."
    ),
    remediation_url=f"{UG}/dependency-substitution-attacks.html",
    permissions=(DESCRIBE_PACKAGE_VERSION,),
    nist=(
        "SR-4",
        "SR-11",
    ),
    cis=("16.5",),
)
def published_internally(version: PackageVersionSnapshot, policy: Policy, ctx: EvaluationContext) -> Verdict:
    """A version whose package is in packages.internal_namespaces entered the domain by being published to
    one of its repositories (origin INTERNAL), never from an external connection; a version of any other
    package entered through an external connection of packages.allowed_external_connections (such a pass is
    recorded only to clear an earlier failure). An unknown origin is NOT_AVAILABLE."""
    packages = policy.packages
    package = version.coordinates
    entry = internal_entry(namespace_sets(packages.internal_namespaces, packages.namespaces()), package)
    evidence = {
        "Package": package.display,
        "Version": version.version.version,
        "Status": version.status,
        "OriginType": version.origin_type or "none",
        "DomainEntryPoint": version.entry_point,
        "InternalNamespace": entry or "-",
    }
    origin = version.origin_type
    if origin not in ("INTERNAL", "EXTERNAL"):
        why = f"CodeArtifact reports origin {origin or 'none'}: where the version entered the domain is not known"
        return Verdict.not_available("PG.PKG.3", "ORIGIN_UNKNOWN", why, evidence)
    if entry is not None:
        if origin == "INTERNAL":
            return Verdict.passed("PG.PKG.3", f"published to {version.entry_point} ({entry})", evidence)
        why = (
            f"ingested from {version.entry_point} although {package.display} is in internal namespace {entry}: "
            "a public package with an internal package's name (dependency confusion)"
        )
        return Verdict.failed("PG.PKG.3", (Reason("DEPENDENCY_CONFUSION", why),), evidence)
    if origin == "INTERNAL":
        why = (
            f"published to {version.entry_point}, but {package.display} is in no packages.internal_namespaces entry, "
            "so nothing stops a public package of that name from replacing it"
        )
        return Verdict.failed("PG.PKG.3", (Reason("UNDECLARED_INTERNAL_PACKAGE", why),), evidence, Severity.MEDIUM)
    if version.entry_connection in packages.allowed_external_connections:
        passed = Verdict.passed("PG.PKG.3", f"a public package pulled through {version.entry_point}", evidence)
        return replace(passed, quiet=True)
    why = f"pulled through {version.entry_point}, which packages.allowed_external_connections does not list"
    return Verdict.failed("PG.PKG.3", (Reason("UNAPPROVED_CONNECTION", why),), evidence, Severity.HIGH)
