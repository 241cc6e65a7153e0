"""CodeArtifact resource policies (CONTROLS.md §6.1, PG.PKG.4): a domain's or repository's permissions policy
grants nothing to `*` or to accounts outside the account, its organization and `packages.allowed_principals`
(the policy is read by `controls.packages_grants`)."""

from __future__ import annotations

from typing import Protocol

from provenance_guard.collect.codeartifact import (
    DESCRIBE_DOMAIN,
    DESCRIBE_ORGANIZATION,
    DESCRIBE_REPOSITORY,
    GET_DOMAIN_POLICY,
    GET_REPOSITORY_POLICY,
    Organization,
    PolicyReading,
)
from provenance_guard.collect.codeartifact_domain import CODEARTIFACT_DOMAIN
from provenance_guard.collect.codeartifact_repository import CODEARTIFACT_REPOSITORY
from provenance_guard.controls.packages_grants import PolicyDocumentError, Trust, grants
from provenance_guard.controls.registry import EvaluationContext, registry
from provenance_guard.model import Reason, ResourceRef, Severity, Verdict
from provenance_guard.policy import Policy


class WithResourcePolicy(Protocol):
    """A domain or repository snapshot."""

    @property
    def ref(self) -> ResourceRef: ...

    @property
    def label(self) -> str: ...

    @property
    def policy(self) -> PolicyReading: ...

    @property
    def organization(self) -> Organization: ...


@registry.register(
    id="PG.PKG.4",
    title="CodeArtifact domain and repository policies should grant nothing to everyone or to unknown accounts",
    severity=Severity.HIGH,
    resource_kind=CODEARTIFACT_DOMAIN,
    also_judges=(CODEARTIFACT_REPOSITORY,),
    remediation_text=(
        "Narrow each Allow statement of the resource policy to the account, its organization (an "
        "aws:PrincipalOrgID condition) or principals in packages.allowed_principals: replace Principal '*' and "
        "NotPrincipal, and add a condition to service principals (aws codeartifact put-domain-permissions-policy "
        "or put-repository-permissions-policy); if an account is trusted, add it to packages.allowed_principals."
    ),
    remediation_url="https://docs.aws.amazon.com/codeartifact/latest/ug/repo-policies.html",
    permissions=(DESCRIBE_DOMAIN, GET_DOMAIN_POLICY, DESCRIBE_REPOSITORY, GET_REPOSITORY_POLICY, DESCRIBE_ORGANIZATION),
    nist=(
        "AC-3",
        "AC-6",
    ),
    cis=("3.3",),
)
def policy_grants_only_trusted(resource: WithResourcePolicy, policy: Policy, ctx: EvaluationContext) -> Verdict:
    """Every principal an Allow statement of the domain's or repository's permissions policy names is the
    account, an account of packages.allowed_principals, or narrowed by a condition (aws:PrincipalOrgID,
    aws:PrincipalOrgPaths, aws:PrincipalAccount, aws:PrincipalArn; aws:Source* for service principals) to
    the account, its organization and the organizations, OUs and accounts of packages.allowed_principals.
    NotPrincipal with Allow fails; Deny statements are not credited. Open to every account is CRITICAL."""
    reading = resource.policy
    evidence = {"Organization": resource.organization.note, "ResourcePolicy": "none"}
    if reading.error:
        evidence["ResourcePolicy"] = "unreadable"
        why = f"the {resource.label}'s permissions policy cannot be read ({reading.error})"
        return Verdict.not_available("PG.PKG.4", "POLICY_UNREADABLE", why, evidence)
    if reading.document is None:
        why = f"the {resource.label} has no resource policy: only the account's own IAM policies grant access"
        return Verdict.passed("PG.PKG.4", why, evidence)
    evidence["ResourcePolicy"] = "present"
    trust = Trust.of(resource.ref.account, resource.organization.id, policy.packages.allowed_principals)
    try:
        found = grants(reading.document, trust)
    except PolicyDocumentError as error:
        return Verdict.not_available("PG.PKG.4", "POLICY_UNPARSABLE", f"the policy cannot be read: {error}", evidence)
    evidence["Grants"] = "; ".join(f"{g.statement} {g.principal}: {g.why}" for g in found)[:1024] or "none"
    untrusted = [g for g in found if not g.trusted]
    if untrusted:
        reasons = tuple(
            Reason("UNTRUSTED_GRANT", f"statement {g.statement} grants to {g.principal}: {g.why}") for g in untrusted
        )
        public = any(g.principal in ("AWS:*", "NotPrincipal") for g in untrusted)
        return Verdict.failed("PG.PKG.4", reasons, evidence, Severity.CRITICAL if public else None)
    why = f"its {len(found)} grant(s) name only the account, its organization or allowed principals"
    return Verdict.passed("PG.PKG.4", why, evidence)
