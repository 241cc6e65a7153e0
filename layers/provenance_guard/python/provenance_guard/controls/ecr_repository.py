"""ECR repository hygiene (CONTROLS.md §1, PG.ECR.1-2): an `EcrRepositorySnapshot` and the policy in, a verdict out."""

from __future__ import annotations

from provenance_guard.collect.ecr import DESCRIBE_REPOSITORIES, GET_REGISTRY_SCANNING, LIST_TAGS
from provenance_guard.collect.ecr_filters import wildcard_match
from provenance_guard.collect.ecr_repository import ECR_REPOSITORY, EcrRepositorySnapshot
from provenance_guard.controls.registry import EvaluationContext, registry
from provenance_guard.model import Reason, Severity, Verdict
from provenance_guard.policy import Policy

READ_REPOSITORY = (DESCRIBE_REPOSITORIES, LIST_TAGS)


@registry.register(
    id="PG.ECR.1",
    title="ECR repositories should be covered by scan on push or continuous scanning",
    severity=Severity.MEDIUM,
    resource_kind=ECR_REPOSITORY,
    remediation_text=(
        "Add a registry scanning rule whose filter matches the repository: aws ecr "
        "put-registry-scanning-configuration --scan-type ENHANCED --rules "
        '\'[{"scanFrequency":"CONTINUOUS_SCAN","repositoryFilters":[{"filter":"*","filterType":"WILDCARD"}]}]\' '
        "(or BASIC with SCAN_ON_PUSH). MANUAL frequency does not scan new images."
    ),
    remediation_url="https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-scanning.html",
    permissions=(*READ_REPOSITORY, GET_REGISTRY_SCANNING),
    related_requirements=("Security Hub CSPM ECR.1",),
    remediation_by_reason={
        "MANUAL_ONLY": (
            "The registry scanning rule that matches this repository scans only on request: change its "
            "frequency to SCAN_ON_PUSH or CONTINUOUS_SCAN (aws ecr put-registry-scanning-configuration)."
        ),
    },
    nist=("RA-5",),
    cis=("7.5",),
)
def scanning_enabled(repo: EcrRepositorySnapshot, policy: Policy, ctx: EvaluationContext) -> Verdict:
    """A registry scanning rule (BASIC or ENHANCED, WILDCARD filters) with SCAN_ON_PUSH or
    CONTINUOUS_SCAN frequency covers the repository, or, under BASIC scanning, the repository's own
    scanOnPush is on. MANUAL frequency does not count; a repository covered at registry level passes
    whatever its own (deprecated) scanOnPush says."""
    scanning = repo.registry_scanning
    covered = scanning.coverage(repo.ref.name)
    evidence = {
        "RegistryScanType": scanning.scan_type,
        "RegistryRule": f"{covered[0]} (filter {covered[1]})" if covered else "none matches",
        "RepositoryScanOnPush": str(repo.scan_on_push).lower(),
    }
    if covered and covered[0] != "MANUAL":
        why = f"registry {scanning.scan_type} rule {covered[0]} covers it (filter {covered[1]})"
        return Verdict.passed("PG.ECR.1", why, evidence)
    if scanning.scan_type == "BASIC" and repo.scan_on_push:
        return Verdict.passed("PG.ECR.1", "the repository scans on push (BASIC scanning)", evidence)
    if covered:
        reason = Reason("MANUAL_ONLY", f"the only registry rule matching it is MANUAL (filter {covered[1]})")
    elif scanning.scan_type == "ENHANCED" and repo.scan_on_push:
        reason = Reason(
            "NOT_COVERED",
            "no ENHANCED registry rule matches it; its own scanOnPush is ignored under ENHANCED scanning",
        )
    else:
        reason = Reason("NOT_COVERED", f"no {scanning.scan_type} registry rule matches it and scanOnPush is off")
    return Verdict.failed("PG.ECR.1", (reason,), evidence)


@registry.register(
    id="PG.ECR.2",
    title="ECR repositories should have immutable image tags",
    severity=Severity.MEDIUM,
    resource_kind=ECR_REPOSITORY,
    remediation_text=(
        "Make tags immutable so a tag always names the image that was reviewed and scanned: aws ecr "
        "put-image-tag-mutability --repository-name <name> --image-tag-mutability IMMUTABLE (or "
        "IMMUTABLE_WITH_EXCLUSION excluding only tags listed in container.allowed_mutable_tags)."
    ),
    remediation_url="https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-tag-mutability.html",
    permissions=READ_REPOSITORY,
    related_requirements=("Security Hub CSPM ECR.2",),
    remediation_by_reason={
        "MUTABLE_EXCLUSION": (
            "Narrow the repository's mutability exclusion filters to the tags container.allowed_mutable_tags "
            "lists (the tags a repository may leave mutable, such as latest); if another tag must stay "
            "mutable, ask the provenance-guard policy owners to add it there."
        ),
    },
    nist=("CM-2", "SI-7"),
    cis=("4.1",),
)
def immutable_tags(repo: EcrRepositorySnapshot, policy: Policy, ctx: EvaluationContext) -> Verdict:
    """Tag mutability is IMMUTABLE, or IMMUTABLE_WITH_EXCLUSION where every exclusion filter is covered
    by a pattern of container.allowed_mutable_tags."""
    allowed = policy.container.allowed_mutable_tags
    evidence = {
        "ImageTagMutability": repo.tag_mutability,
        "MutabilityExclusions": ", ".join(repo.mutability_exclusions) or "-",
        "AllowedMutableTags": ", ".join(allowed) or "-",
    }
    if repo.tag_mutability == "IMMUTABLE":
        return Verdict.passed("PG.ECR.2", "image tags are immutable", evidence)
    if repo.tag_mutability == "IMMUTABLE_WITH_EXCLUSION":
        broad = [f for f in repo.mutability_exclusions if not any(wildcard_match(p, f) for p in allowed)]
        if not broad:
            excluded = ", ".join(repo.mutability_exclusions)
            return Verdict.passed("PG.ECR.2", f"image tags are immutable except allowed tags ({excluded})", evidence)
        reasons = tuple(
            Reason(
                "MUTABLE_EXCLUSION", f"tags matching {f} stay mutable; container.allowed_mutable_tags does not allow it"
            )
            for f in broad
        )
        return Verdict.failed("PG.ECR.2", reasons, evidence)
    why = f"image tag mutability is {repo.tag_mutability}: a pushed tag can be moved to another image"
    return Verdict.failed("PG.ECR.2", (Reason("MUTABLE_TAGS", why),), evidence)
