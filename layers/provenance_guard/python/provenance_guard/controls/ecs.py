"""ECS workloads (CONTROLS.md §6.1, PG.ECS.1-2): what a task definition asks to run, and what services and
standalone tasks actually run.

PG.ECS.2 judges each running digest with the ECR image controls themselves (PG.ECR.3 signature, PG.ECR.5
vulnerability scan, looked up in the registry), so a service is judged exactly as its image is. Evidence
names images and verdicts, never task counts: a service that scales keeps its finding's fingerprint.
"""

from __future__ import annotations

from collections.abc import Sequence

from provenance_guard.collect.ecr import DESCRIBE_REPOSITORIES
from provenance_guard.collect.ecr_image import READ_IMAGE
from provenance_guard.collect.ecr_image_model import ECR_IMAGE
from provenance_guard.collect.ecr_signing import READ_SIGNING
from provenance_guard.collect.ecs_model import DESCRIBE_SERVICES, DESCRIBE_TASK_DEFINITION, DESCRIBE_TASKS, LIST_TASKS
from provenance_guard.collect.ecs_running import RunningImage
from provenance_guard.collect.ecs_service import ECS_SERVICE, ECS_TASK, EcsServiceSnapshot, EcsTaskSnapshot
from provenance_guard.collect.ecs_task_definition import ECS_TASK_DEFINITION, TaskDefinitionSnapshot
from provenance_guard.controls.registry import EvaluationContext, registry
from provenance_guard.lambda_identifiers import registry_trusted
from provenance_guard.model import Reason, Severity, Status, Verdict
from provenance_guard.policy import Policy

IMAGE_CONTROLS = {"PG.ECR.3": "signature", "PG.ECR.5": "vulnerability scan"}
MAX_IMAGES_IN_EVIDENCE = 10


@registry.register(
    id="PG.ECS.1",
    title="ECS task definitions should pin images by digest or immutable tag from trusted registries",
    severity=Severity.MEDIUM,
    resource_kind=ECS_TASK_DEFINITION,
    remediation_text=(
        "Register a new revision naming each image by digest (<repo>@sha256:...) or by a tag of an ECR "
        "repository with IMMUTABLE tags (aws ecr put-image-tag-mutability), from a registry listed in "
        "container.trusted_registries; then update the services to the new revision."
    ),
    remediation_url="https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html",
    permissions=(DESCRIBE_TASK_DEFINITION, DESCRIBE_REPOSITORIES),
    related_requirements=("Security Hub CSPM ECR.2",),
    nist=("CM-2", "SI-7", "SR-3", "SR-11"),
    cis=("2.5", "16.5"),
)
def images_pinned(definition: TaskDefinitionSnapshot, policy: Policy, ctx: EvaluationContext) -> Verdict:
    """Every container image of the family's latest ACTIVE revision is named by digest, or by a tag of an
    ECR repository whose tags are immutable (IMMUTABLE, or IMMUTABLE_WITH_EXCLUSION with the tag not
    excluded), and comes from a registry in container.trusted_registries (self = this account's ECR). A
    tag of a mutable repository, or of a registry whose tags cannot be verified, can be moved to another
    image after review."""
    trusted = policy.container.trusted_registries
    evidence = {
        "Revision": f"{definition.ref.name}:{definition.revision}",
        "Images": "; ".join(f"{i.container}: {i.image}" for i in definition.images)[:1000] or "-",
        "TrustedRegistries": ", ".join(trusted) or "-",
    }
    failed: list[Reason] = []
    unavailable: list[Reason] = []
    for image in definition.images:
        where = f"container {image.container} ({image.image})"
        reference = image.reference
        if reference is None:
            failed.append(Reason("IMAGE_UNPARSABLE", f"{where}: {image.error}"))
            continue
        if registry_trusted(reference, trusted, ctx.account) is None:
            location = f"{reference.registry}/{reference.repository}"
            failed.append(Reason("UNTRUSTED_REGISTRY", f"{where}: {location} is not in container.trusted_registries"))
        tag = image.tag
        if tag is None:
            continue
        if image.mutability is not None:
            if not image.mutability.immutable(tag):
                setting = image.mutability.setting
                why = f"{where}: tag {tag} of repository {image.mutability.repository} ({setting}) can be moved"
                failed.append(Reason("MUTABLE_TAG", why))
        elif image.error is not None:
            unavailable.append(Reason("MUTABILITY_UNKNOWN", f"{where}: {image.error}"))
        else:
            why = f"{where}: named by tag {tag} in a registry whose tag mutability cannot be verified; pin a digest"
            failed.append(Reason("NOT_PINNED", why))
    if failed:
        return Verdict.failed("PG.ECS.1", tuple(failed), evidence)
    if unavailable:
        return Verdict("PG.ECS.1", Status.NOT_AVAILABLE, tuple(unavailable), evidence)
    return Verdict.passed("PG.ECS.1", "every image is pinned and from a trusted registry", evidence)


@registry.register(
    id="PG.ECS.2",
    title="ECS services and tasks should run signed, scanned images from trusted registries",
    severity=Severity.HIGH,
    resource_kind=ECS_SERVICE,
    also_judges=(ECS_TASK,),
    remediation_text=(
        "Push a signed image whose scan is within container.vulnerability_thresholds to a registry in "
        "container.trusted_registries, register a task definition revision naming it by digest and update "
        "the service (aws ecs update-service --force-new-deployment); stop standalone tasks running the old image."
    ),
    remediation_url="https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-ecs.html",
    permissions=(DESCRIBE_SERVICES, LIST_TASKS, DESCRIBE_TASKS, *READ_IMAGE, *READ_SIGNING),
    nist=("SR-3", "SR-11", "SI-7(15)", "RA-5"),
    cis=("2.5", "16.5"),
)
def running_images_trusted(
    workload: EcsServiceSnapshot | EcsTaskSnapshot, policy: Policy, ctx: EvaluationContext
) -> Verdict:
    """Every image digest the service's RUNNING tasks (or the standalone task) report comes from a registry
    in container.trusted_registries and passes PG.ECR.3 (signature) and PG.ECR.5 (vulnerability scan); a
    digest that is not reported, or no longer in ECR, fails: what runs cannot be traced."""
    images = workload.images
    evidence = {
        "Images": "; ".join(i.label for i in images)[:1000] or "-",
        "TrustedRegistries": ", ".join(policy.container.trusted_registries) or "-",
    }
    if not images:
        why = "no RUNNING task reports a container image: nothing runs to judge"
        return Verdict.not_available("PG.ECS.2", "NO_RUNNING_TASKS", why, evidence)
    failed: list[Reason] = []
    unavailable: list[Reason] = []
    severity = Severity.HIGH
    for index, image in enumerate(images):
        verdicts = _image_verdicts(image, policy, ctx)
        if index < MAX_IMAGES_IN_EVIDENCE:
            evidence[f"Image.{index + 1}"] = f"{image.label}: " + ", ".join(
                f"{c} {v.status.value}" for c, v in verdicts
            )
        for control_id, verdict in verdicts:
            prefixed = tuple(
                Reason(
                    f"{control_id}:{r.code}" if control_id != "PG.ECS.2" else r.code, f"{image.label}: {r.description}"
                )
                for r in verdict.reasons
            )
            if verdict.status is Status.FAILED:
                failed.extend(prefixed)
                if verdict.severity is not None and verdict.severity.rank > severity.rank:
                    severity = verdict.severity
            elif verdict.status is Status.NOT_AVAILABLE:
                unavailable.extend(prefixed)
    if failed:
        return Verdict.failed("PG.ECS.2", tuple(failed), evidence, severity if severity is not Severity.HIGH else None)
    if unavailable:
        return Verdict("PG.ECS.2", Status.NOT_AVAILABLE, tuple(unavailable), evidence)
    return Verdict.passed("PG.ECS.2", "every running image is from a trusted registry, signed and scanned", evidence)


def _image_verdicts(image: RunningImage, policy: Policy, ctx: EvaluationContext) -> Sequence[tuple[str, Verdict]]:
    """(control, verdict) pairs for one running image: its registry (as PG.ECS.2), then PG.ECR.3 and PG.ECR.5."""
    if image.reference is None or image.digest is None:
        why = f"the digest it runs cannot be read ({image.error}): provenance unknown"
        return [("PG.ECS.2", Verdict.failed("PG.ECS.2", (Reason("DIGEST_UNKNOWN", why),), {}))]
    verdicts: list[tuple[str, Verdict]] = []
    if registry_trusted(image.reference, policy.container.trusted_registries, ctx.account) is None:
        why = f"{image.location} is not in container.trusted_registries"
        verdicts.append(("PG.ECS.2", Verdict.failed("PG.ECS.2", (Reason("UNTRUSTED_REGISTRY", why),), {})))
    if image.ecr_ref is not None and image.snapshot is None:
        why = f"{image.error}: what runs cannot be traced to an image in ECR"
        return [*verdicts, ("PG.ECS.2", Verdict.failed("PG.ECS.2", (Reason("IMAGE_NOT_IN_ECR", why),), {}))]
    for control_id, part in IMAGE_CONTROLS.items():
        verdict = _ecr_verdict(control_id, part, image, policy, ctx)
        if verdict is not None:
            verdicts.append((control_id, verdict))
    return verdicts


def _ecr_verdict(
    control_id: str, part: str, image: RunningImage, policy: Policy, ctx: EvaluationContext
) -> Verdict | None:
    """The ECR image control's own verdict on the digest, or NOT_AVAILABLE saying why it cannot be had."""
    if control_id not in registry:
        why = f"{control_id} is not part of this provenance-guard build, so the image's {part} is not judged"
        return Verdict.not_available(control_id, "CONTROL_NOT_AVAILABLE", why, {})
    control = registry.get(control_id)
    if image.snapshot is None or control.resource_kind is not ECR_IMAGE:
        why = f"the image's {part} is not judged: {image.error or 'not an ECR image'}"
        return Verdict.not_available(control_id, "IMAGE_NOT_READABLE", why, {})
    return control.evaluate(image.snapshot, policy, ctx)
