"""Remediation of ECR repositories: PG.ECR.1 turns on scan on push (it helps only under BASIC scanning with
no registry rule covering the repository: a MANUAL or ENHANCED registry rule is the registry's to change);
PG.ECR.2 makes tags immutable, keeping mutable only the tags `container.allowed_mutable_tags` allows (so a
pipeline that moves `latest` keeps working). Both are reversible with the same calls."""

from __future__ import annotations

from provenance_guard.clients import ClientFactory
from provenance_guard.collect.ecr_repository import EcrRepositorySnapshot
from provenance_guard.controls.registry import EvaluationContext
from provenance_guard.model import ResourceRef, Verdict
from provenance_guard.policy import Policy
from provenance_guard.remediation.base import Change, RemediationAction, Write

PUT_IMAGE_SCANNING_CONFIGURATION = "ecr:PutImageScanningConfiguration"
PUT_IMAGE_TAG_MUTABILITY = "ecr:PutImageTagMutability"
REPOSITORY_ARNS = "arn:{partition}:ecr:{region}:{account}:repository/*"


def plan_scan_on_push(
    repo: EcrRepositorySnapshot, verdict: Verdict, policy: Policy, ctx: EvaluationContext
) -> Change | None:
    scanning = repo.registry_scanning
    if repo.scan_on_push or scanning.scan_type != "BASIC" or scanning.coverage(repo.ref.name) is not None:
        return None
    return Change(
        summary="turn on scan on push",
        before="scanOnPush off, no registry scanning rule covers it",
        after="scanOnPush on (ECR basic scanning)",
        call=(
            f"aws ecr put-image-scanning-configuration --repository-name {repo.ref.name} "
            "--image-scanning-configuration scanOnPush=true"
        ),
    )


def apply_scan_on_push(clients: ClientFactory, ref: ResourceRef, change: Change) -> None:
    clients.client("ecr", ref.region).put_image_scanning_configuration(
        repositoryName=ref.name, imageScanningConfiguration={"scanOnPush": True}
    )


def plan_immutable_tags(
    repo: EcrRepositorySnapshot, verdict: Verdict, policy: Policy, ctx: EvaluationContext
) -> Change | None:
    if repo.tag_mutability == "IMMUTABLE":
        return None
    allowed = list(policy.container.allowed_mutable_tags)
    mutability = "IMMUTABLE_WITH_EXCLUSION" if allowed else "IMMUTABLE"
    excluded = f" except {', '.join(allowed)}" if allowed else ""
    filters = " ".join(f"filter={tag},filterType=WILDCARD" for tag in allowed)
    before = repo.tag_mutability + (
        f" (excluding {', '.join(repo.mutability_exclusions)})" if repo.mutability_exclusions else ""
    )
    return Change(
        summary=f"make image tags immutable{excluded}",
        before=before,
        after=mutability + (f" (excluding {', '.join(allowed)})" if allowed else ""),
        call=(
            f"aws ecr put-image-tag-mutability --repository-name {repo.ref.name} --image-tag-mutability {mutability}"
            + (f" --image-tag-mutability-exclusion-filters {filters}" if allowed else "")
        ),
        parameters={"mutability": mutability, "exclusions": allowed},
    )


def apply_immutable_tags(clients: ClientFactory, ref: ResourceRef, change: Change) -> None:
    exclusions = [{"filter": tag, "filterType": "WILDCARD"} for tag in change.parameters["exclusions"]]
    extra = {"imageTagMutabilityExclusionFilters": exclusions} if exclusions else {}
    clients.client("ecr", ref.region).put_image_tag_mutability(
        repositoryName=ref.name, imageTagMutability=str(change.parameters["mutability"]), **extra
    )


ACTIONS = (
    RemediationAction(
        "PG.ECR.1",
        "Turn on scan on push",
        (Write(PUT_IMAGE_SCANNING_CONFIGURATION, (REPOSITORY_ARNS,)),),
        plan_scan_on_push,
        apply_scan_on_push,
    ),
    RemediationAction(
        "PG.ECR.2",
        "Make image tags immutable",
        (Write(PUT_IMAGE_TAG_MUTABILITY, (REPOSITORY_ARNS,)),),
        plan_immutable_tags,
        apply_immutable_tags,
    ),
)
