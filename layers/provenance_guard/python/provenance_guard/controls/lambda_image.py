"""Container-image Lambda functions (CONTROLS.md §1, PG.LAMBDA.6): Lambda code signing does not apply to
images, so the image's own provenance is all there is: a trusted registry, and the ECR image controls'
verdicts on the digest Lambda resolved (PG.ECR.3 signature, PG.ECR.5 vulnerability scan)."""

from __future__ import annotations

from provenance_guard.collect.ecr_image_model import ECR_IMAGE
from provenance_guard.collect.lambda_function import LAMBDA_FUNCTION, READ_FUNCTION
from provenance_guard.collect.lambda_model import FunctionVersion, ImageEvidence, LambdaFunctionSnapshot
from provenance_guard.controls.registry import EvaluationContext, registry
from provenance_guard.lambda_identifiers import registry_trusted
from provenance_guard.model import Reason, Severity, Status, Verdict
from provenance_guard.policy import Policy

ECR_IMAGE_CONTROLS = {"PG.ECR.3": "signature", "PG.ECR.5": "vulnerability scan"}
"""Looked up in the registry when the function is judged: until they are registered, that part of
PG.LAMBDA.6 is NOT_AVAILABLE with the reason."""


@registry.register(
    id="PG.LAMBDA.6",
    title="Container-image Lambda functions should run a trusted, signed and scanned image",
    severity=Severity.HIGH,
    resource_kind=LAMBDA_FUNCTION,
    remediation_text=(
        "Build the image from a trusted base, push it to a registry in container.trusted_registries, sign it and "
        "fix the vulnerabilities above the policy's thresholds, then update the function to the new digest "
        "(aws lambda update-function-code --image-uri <repo>@sha256:...), publish a version and move the aliases."
    ),
    remediation_url="https://docs.aws.amazon.com/lambda/latest/dg/images-create.html",
    permissions=READ_FUNCTION,
    remediation_by_reason={
        "UNTRUSTED_REGISTRY": (
            "Push the image to a trusted registry (this account's ECR) and update the function to it; if the "
            "registry is trustworthy, ask the provenance-guard policy owners to add it to "
            "container.trusted_registries."
        ),
        "PG.ECR.3": (
            "Sign the image digest the function runs (the image's PG.ECR.3 finding says why it does not "
            "verify), or update the function to a signed digest, then publish a version and move the aliases."
        ),
        "PG.ECR.5": (
            "Rebuild the image with its vulnerabilities fixed (see the image's PG.ECR.5 finding) and update "
            "the function to the new digest (aws lambda update-function-code --image-uri <repo>@sha256:...), "
            "then publish a version and move the aliases."
        ),
    },
    nist=("SR-3", "SR-11", "SI-7(15)", "RA-5"),
    cis=("2.5", "16.5"),
)
def image_provenance(fn: LambdaFunctionSnapshot, policy: Policy, ctx: EvaluationContext) -> Verdict | None:
    """The image of $LATEST and of every version an alias points to comes from a registry in
    container.trusted_registries (self = this account's ECR) and its resolved digest passes PG.ECR.3
    (signature) and PG.ECR.5 (vulnerability scan). Not judged for .zip functions."""
    if not fn.is_image:
        return None
    evidence = {
        "Images": "; ".join(f"{v.label}: {_image_text(v.image)}" for v in fn.versions),
        "TrustedRegistries": ", ".join(policy.container.trusted_registries) or "-",
    }
    failed: list[Reason] = []
    unavailable: list[Reason] = []
    severity = Severity.HIGH
    for version in fn.versions:
        image = version.image
        if image is None or image.reference is None:
            why = f"{version.label}: the image cannot be identified ({image.error if image else 'no image URI'})"
            unavailable.append(Reason("IMAGE_UNKNOWN", why))
            continue
        location = f"{image.reference.registry}/{image.reference.repository}"
        trusted_by = registry_trusted(image.reference, policy.container.trusted_registries, ctx.account)
        evidence[f"Registry.{version.version}"] = (
            f"{location}: {'trusted (' + trusted_by + ')' if trusted_by else 'untrusted'}"
        )
        if trusted_by is None:
            failed.append(
                Reason("UNTRUSTED_REGISTRY", f"{version.label}: image from {location}, not a trusted registry")
            )
        for control_id, part in ECR_IMAGE_CONTROLS.items():
            verdict = _ecr_verdict(control_id, part, version, image, policy, ctx)
            if verdict is None:
                continue
            evidence[f"{control_id}.{version.version}"] = verdict.status.value
            prefixed = tuple(
                Reason(f"{control_id}:{r.code}", f"{version.label}: {r.description}") for r in verdict.reasons
            )
            if verdict.status is Status.FAILED:
                failed.extend(prefixed)
                if verdict.severity is not None and verdict.severity.rank > severity.rank:
                    severity = verdict.severity
            elif verdict.status is Status.NOT_AVAILABLE:
                unavailable.extend(prefixed)
    if failed:
        return Verdict.failed(
            "PG.LAMBDA.6", tuple(failed), evidence, severity if severity is not Severity.HIGH else None
        )
    if unavailable:
        return Verdict("PG.LAMBDA.6", Status.NOT_AVAILABLE, tuple(unavailable), evidence)
    return Verdict.passed("PG.LAMBDA.6", "every judged image is from a trusted registry, signed and scanned", evidence)


def _ecr_verdict(
    control_id: str, part: str, version: FunctionVersion, image: ImageEvidence, policy: Policy, ctx: EvaluationContext
) -> Verdict | None:
    """The ECR control's verdict on the version's image, or NOT_AVAILABLE saying why it cannot be had."""
    if control_id not in registry:
        why = f"{control_id} is not part of this provenance-guard build yet, so the image's {part} is not judged"
        return Verdict.not_available(control_id, "CONTROL_NOT_AVAILABLE", why, {})
    control = registry.get(control_id)
    if image.snapshot is None or control.resource_kind is not ECR_IMAGE:
        target = image.ecr_ref.name if image.ecr_ref else image.uri
        why = f"{control_id} cannot judge the {part} of image {target}: {image.error or 'not an ECR image'}"
        return Verdict.not_available(control_id, "IMAGE_NOT_READABLE", why, {})
    return control.evaluate(image.snapshot, policy, ctx)


def _image_text(image: ImageEvidence | None) -> str:
    if image is None:
        return "no image"
    return image.resolved_uri or image.uri
