"""Container-image provenance (CONTROLS.md §1, PG.ECR.4): the base image an image records, the upstream a
pull-through cache mirrors, and the source registry of a replicated repository (declared in
`container.replicated_repositories`) must come from `container.trusted_registries`."""

from __future__ import annotations

import re
from collections.abc import Callable

from provenance_guard.collect.ecr_image import READ_IMAGE
from provenance_guard.collect.ecr_image_model import ECR_IMAGE, EcrImageSnapshot
from provenance_guard.controls.registry import EvaluationContext, registry
from provenance_guard.model import Reason, Severity, Status, Verdict
from provenance_guard.oci.manifest import BASE_NAME
from provenance_guard.policy import Policy

DOCKER_HUB_ALIASES = ("index.docker.io", "registry-1.docker.io", "registry.hub.docker.com")


@registry.register(
    id="PG.ECR.4",
    title="Container images should come from trusted registries (base image, pull-through upstream, replica source)",
    severity=Severity.MEDIUM,
    resource_kind=ECR_IMAGE,
    remediation_text=(
        "Build images FROM base images in a trusted registry and record the base (BuildKit: "
        "--annotation org.opencontainers.image.base.name=<ref>, or LABEL org.opencontainers.image.base.name); "
        "cache only trusted upstreams through pull-through cache rules; replicate only from trusted registries; "
        "or add the registry to container.trusted_registries."
    ),
    remediation_url="https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache.html",
    permissions=READ_IMAGE,
    remediation_by_reason={
        "NO_BASE_IMAGE": (
            "Record the base image when building: BuildKit's --annotation "
            "org.opencontainers.image.base.name=<ref>, or LABEL org.opencontainers.image.base.name=<ref> in "
            "the Dockerfile; then rebuild and push."
        ),
        "UNTRUSTED_BASE_IMAGE": (
            "Rebuild FROM a base image in a trusted registry. If the registry named in the reasons is "
            "trustworthy, ask the provenance-guard policy owners to add it to container.trusted_registries "
            "(the registries and path prefixes images may come from)."
        ),
        "UNTRUSTED_UPSTREAM": (
            "This pull-through cache mirrors an untrusted upstream: delete the cache rule (aws ecr "
            "delete-pull-through-cache-rule) or point it at a trusted registry; if the upstream is "
            "trustworthy, ask the provenance-guard policy owners to add it to container.trusted_registries."
        ),
        "UNTRUSTED_REPLICATION_SOURCE": (
            "Replicate only from trusted registries: change the source registry's replication rules or the "
            "source declared for this repository in container.replicated_repositories; if the source is "
            "trustworthy, ask the provenance-guard policy owners to add it to container.trusted_registries."
        ),
        "UNREADABLE": (
            "The image's manifest or configuration could not be read through the registry: check that the "
            "registry is reachable from where provenance-guard runs (for the CLI, --registry-url or "
            "PROVENANCE_GUARD_REGISTRY_URL)."
        ),
    },
    nist=("SR-3", "SR-4", "SR-11"),
    cis=("16.5",),
)
def trusted_provenance(image: EcrImageSnapshot, policy: Policy, ctx: EvaluationContext) -> Verdict | None:
    """The base image the image records (OCI annotation or config label org.opencontainers.image.base.name)
    is in container.trusted_registries; for a pull-through-cache repository, its upstream is; for a
    repository container.replicated_repositories names, the source registry is too. An image index passes
    when each of its platform images does. Signatures and other artifacts are not judged."""
    trusted = policy.container.trusted_registries
    if image.kind == "artifact":
        return None
    if image.kind == "index":
        return summarise_platforms("PG.ECR.4", image, policy, ctx, trusted_provenance)
    replication = policy.container.replication_source(image.repository)
    replicated_from = f"{replication[1].source}/{image.repository}" if replication else None
    evidence = {
        "BaseImage": image.base_image.name if image.base_image else "-",
        "BaseImageDigest": (image.base_image.digest or "-") if image.base_image else "-",
        "RecordedIn": image.base_image.recorded_in if image.base_image else "-",
        "PullThroughUpstream": image.upstream or "-",
        "ReplicatedFrom": replicated_from or "-",
        "ReplicationDeclaredIn": f"container.replicated_repositories[{replication[0]}]" if replication else "-",
        "TrustedRegistries": ", ".join(trusted),
    }
    if image.upstream:
        location = registry_location(image.upstream)
        if is_trusted(location, trusted, ctx.account):
            return Verdict.passed("PG.ECR.4", f"pull-through cache of {location}, a trusted registry", evidence)
        why = f"pull-through cache of {location}, which is not in container.trusted_registries"
        return Verdict.failed("PG.ECR.4", (Reason("UNTRUSTED_UPSTREAM", why),), evidence)
    reasons: list[Reason] = []
    replica = ""
    if replicated_from:
        if is_trusted(replicated_from, trusted, ctx.account):
            replica = f"replicated from {replicated_from}, a trusted registry; "
        else:
            why = f"replicated from {replicated_from}, which is not in container.trusted_registries"
            reasons.append(Reason("UNTRUSTED_REPLICATION_SOURCE", why))
    if image.oci_error:
        why = f"the image manifest or config cannot be read through the registry: {image.oci_error}"
        if reasons:
            return Verdict.failed("PG.ECR.4", (*reasons, Reason("UNREADABLE", why)), evidence)
        return Verdict.not_available("PG.ECR.4", "UNREADABLE", why, evidence)
    if image.base_image is None:
        why = f"the image records no base image ({BASE_NAME}): its provenance is unknown"
        return Verdict.failed("PG.ECR.4", (*reasons, Reason("NO_BASE_IMAGE", why)), evidence)
    location = registry_location(image.base_image.name)
    if not is_trusted(location, trusted, ctx.account):
        why = f"built from {image.base_image.name}: {location} is not in container.trusted_registries"
        reasons.append(Reason("UNTRUSTED_BASE_IMAGE", why))
    if reasons:
        return Verdict.failed("PG.ECR.4", tuple(reasons), evidence)
    return Verdict.passed("PG.ECR.4", f"{replica}built from {image.base_image.name}, in a trusted registry", evidence)


ImageEvaluator = Callable[[EcrImageSnapshot, Policy, EvaluationContext], "Verdict | None"]


def summarise_platforms(
    control_id: str, image: EcrImageSnapshot, policy: Policy, ctx: EvaluationContext, evaluate: ImageEvaluator
) -> Verdict:
    """An index's verdict from its platform images': FAILED if any fails, NOT_AVAILABLE if any cannot be
    judged, otherwise PASSED. Each platform image also has its own finding."""
    if image.oci_error and not image.platforms:
        why = f"the image index cannot be read through the registry: {image.oci_error}"
        return Verdict.not_available(control_id, "UNREADABLE", why, {"ImageIndex": "true"})
    lines: list[str] = []
    reasons: list[Reason] = []
    unavailable: list[Reason] = []
    severities: list[Severity] = []
    for platform, child in image.platforms:
        if child is None:
            lines.append(f"{platform}: not in the repository")
            unavailable.append(Reason("PLATFORM_MISSING", f"{platform}: its image is not in the repository"))
            continue
        verdict: Verdict | None = evaluate(child, policy, ctx)
        if verdict is None:
            continue
        lines.append(f"{platform} {child.digest[:19]}: {verdict.status.value}")
        if verdict.status is Status.FAILED:
            reasons.extend(Reason(r.code, f"{platform}: {r.description}") for r in verdict.reasons)
            if verdict.severity:
                severities.append(verdict.severity)
        elif verdict.status is Status.NOT_AVAILABLE:
            unavailable.extend(Reason(r.code, f"{platform}: {r.description}") for r in verdict.reasons)
    evidence = {"Platforms": "; ".join(lines) or "none", "ImageIndex": "true"}
    if reasons:
        return Verdict.failed(control_id, tuple(reasons), evidence, max(severities, key=lambda s: s.rank, default=None))
    if unavailable or not lines:
        first = unavailable[0] if unavailable else Reason("NO_PLATFORMS", "the index lists no platform image")
        return Verdict.not_available(control_id, first.code, first.description, evidence)
    return Verdict.passed(control_id, f"all {len(lines)} platform images pass", evidence)


def registry_location(reference: str) -> str:
    """`host/path` of an image reference, without tag or digest, with Docker Hub's implicit parts
    (`alpine:3` -> `docker.io/library/alpine`)."""
    name = reference.strip().split("@", 1)[0]
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        name = name[:colon]
    first, _, rest = name.partition("/")
    if not rest or not ("." in first or ":" in first or first == "localhost"):
        first, rest = "docker.io", name
    if first in DOCKER_HUB_ALIASES:
        first = "docker.io"
    if first == "docker.io" and "/" not in rest:
        rest = f"library/{rest}"
    return f"{first}/{rest}".lower()


def is_trusted(location: str, trusted: tuple[str, ...], account: str) -> bool:
    """`location` is, or lies under, an entry of container.trusted_registries (`self` = any Region's
    registry of this account)."""
    for entry in trusted:
        if entry == "self":
            own = rf"^{re.escape(account)}\.dkr\.ecr(-fips)?\.[a-z0-9-]+\.amazonaws\.com(\.cn)?(/|$)"
            if re.match(own, location):
                return True
            continue
        prefix = entry.rstrip("/").lower()
        host, _, path = prefix.partition("/")
        if host in DOCKER_HUB_ALIASES:
            prefix = "docker.io" + (f"/{path}" if path else "")
        if location == prefix or location.startswith(prefix + "/"):
            return True
    return False
