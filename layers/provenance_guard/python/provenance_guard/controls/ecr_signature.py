"""Container-image signatures (CONTROLS.md §1, PG.ECR.3): the digest carries a Notation signature
that verifies under the trust policy whose scope matches the repository (first match wins).

Levels: `strict` and `permissive` fail an image without a verifying signature; `audit` records why
and passes. The evidence names the trust policy, the signature that verified (identity, signing
time, scheme, format) or why each candidate failed, and nothing that changes between evaluations of
an unchanged image. The `cryptography` work is imported here, inside the evaluation, only.
"""

from __future__ import annotations

from provenance_guard.collect.ecr_image import EcrImageSnapshot
from provenance_guard.controls.ecr_image import READ_IMAGE
from provenance_guard.controls.registry import EvaluationContext, registry
from provenance_guard.model import Reason, ResourceKind, Severity, Verdict
from provenance_guard.policy import Policy

MAX_VALUE = 1000


@registry.register(
    id="PG.ECR.3",
    title="Container image carries a signature that verifies under the policy's trust policy",
    severity=Severity.HIGH,
    resource_kind=ResourceKind.ECR_IMAGE,
    remediation_text=(
        "Sign the image digest with Notation (an organisation CA in a ca: trust store, or AWS Signer / ECR "
        "managed signing with a signingAuthority: trust store) under an identity the trust policy lists in "
        "container.signatures.trust_policies; re-push a signature whose candidate is named in the evidence."
    ),
    remediation_url="https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-signing.html",
    permissions=READ_IMAGE,
)
def signature_verifies(image: EcrImageSnapshot, policy: Policy, ctx: EvaluationContext) -> Verdict | None:
    """A signature manifest referring to this digest verifies (integrity, chain to a trusted root at
    signing time, trusted identity, not expired). Signatures and other artifacts are not judged."""
    if image.kind == "artifact":
        return None
    signatures = policy.container.signatures
    if not signatures.trust_policies:
        why = "container.signatures.trust_policies is empty: no signer is trusted yet"
        return Verdict.not_available("PG.ECR.3", "NO_TRUST_POLICY", why, {"TrustPolicy": "-"})
    trust_policy = signatures.trust_policy_for(image.repository)
    if trust_policy is None:
        why = f"no trust policy in container.signatures.trust_policies covers repository {image.repository}"
        return Verdict.failed("PG.ECR.3", (Reason("NO_TRUST_POLICY", why),), {"TrustPolicy": "-"})
    evidence = {
        "TrustPolicy": trust_policy.name[:MAX_VALUE],
        "VerificationLevel": trust_policy.verification_level,
    }
    found = image.signatures
    if found is None or found.error or image.manifest_size is None:
        why = f"the signatures cannot be read through the registry: {(found and found.error) or image.oci_error}"
        return Verdict.not_available("PG.ECR.3", "UNREADABLE", why[:MAX_VALUE], evidence)
    from provenance_guard.signatures.envelope import SignatureError
    from provenance_guard.signatures.verify import Subject, verify

    subject = Subject(image.digest, image.media_type, image.manifest_size)
    failures: list[Reason] = []
    for candidate in found.candidates:
        short = candidate.manifest_digest[:19]
        if candidate.envelope is None:
            failures.append(Reason("UNREADABLE_SIGNATURE", f"{short}: {candidate.error}"))
            continue
        try:
            verified = verify(
                candidate.envelope, candidate.envelope_type, subject, trust_policy, signatures.trust_stores, ctx.now
            )
        except SignatureError as error:
            failures.append(Reason(error.code, f"{short}: {error.description}"[:MAX_VALUE]))
            continue
        evidence.update(
            {
                "Signature": candidate.manifest_digest,
                "SignedBy": verified.identity[:MAX_VALUE],
                "TrustedIdentity": verified.trusted_as[:MAX_VALUE],
                "SigningTime": verified.signing_time,
                "SigningScheme": verified.scheme,
                "Format": f"notation {verified.format} {verified.algorithm}",
            }
        )
        return Verdict.passed("PG.ECR.3", f"signed by {verified.identity}"[:MAX_VALUE], evidence)
    evidence["Candidates"] = str(len(found.candidates)) + (f" (+{found.ignored} not judged)" if found.ignored else "")
    for i, failure in enumerate(failures[:10]):
        evidence[f"Candidate{i + 1}"] = f"{failure.code}: {failure.description}"[:MAX_VALUE]
    if not failures:
        failures.append(Reason("NOT_SIGNED", "no Notation signature refers to this digest"))
    if trust_policy.verification_level == "audit":
        return Verdict.passed("PG.ECR.3", f"audit only: {failures[0].description}"[:MAX_VALUE], evidence)
    return Verdict.failed("PG.ECR.3", tuple(failures[:10]), evidence)
