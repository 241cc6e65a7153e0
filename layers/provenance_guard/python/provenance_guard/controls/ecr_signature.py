"""Container-image signatures (CONTROLS.md §1, PG.ECR.3): the digest carries a Notation signature
that verifies under the trust policy whose scope matches the repository (first match wins).

Levels: `strict` and `permissive` fail an image without a verifying signature; `audit` records why
and passes. The evidence names the trust policy, the signature that verified (identity, signing
time, scheme, format) or why each candidate failed, and nothing that changes between evaluations of
an unchanged image. The `cryptography` work is imported here, inside the evaluation, only.
"""

from __future__ import annotations

from collections.abc import Mapping

from provenance_guard.collect.ecr_image import EcrImageSnapshot
from provenance_guard.collect.ecr_signature import SignatureCandidate
from provenance_guard.collect.ecr_signing import READ_SIGNING, ManagedSigning, Revocation
from provenance_guard.controls.ecr_image import READ_IMAGE
from provenance_guard.controls.registry import EvaluationContext, registry
from provenance_guard.model import Reason, ResourceKind, Severity, Verdict
from provenance_guard.policy import Policy, TrustPolicy

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
    permissions=READ_IMAGE + READ_SIGNING,
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
    failures: list[Reason] = []
    verified = _first_verified(
        image, found.candidates, image.manifest_size, trust_policy, signatures.trust_stores, ctx, failures
    )
    if verified is not None:
        evidence.update(verified)
        if image.managed_signing is not None:
            evidence["ManagedSigning"] = _managed_signing_summary(image.managed_signing)[:MAX_VALUE]
        return Verdict.passed("PG.ECR.3", f"signed by {verified['SignedBy']}"[:MAX_VALUE], evidence)
    if image.managed_signing is not None:
        failures.extend(_managed_signing_reasons(image.managed_signing))
    evidence["Candidates"] = str(len(found.candidates)) + (f" (+{found.ignored} not judged)" if found.ignored else "")
    for i, failure in enumerate(failures[:10]):
        evidence[f"Candidate{i + 1}"] = f"{failure.code}: {failure.description}"[:MAX_VALUE]
    if not found.candidates:
        failures.append(Reason("NOT_SIGNED", "no Notation signature refers to this digest"))
    if trust_policy.verification_level == "audit":
        return Verdict.passed("PG.ECR.3", f"audit only: {failures[0].description}"[:MAX_VALUE], evidence)
    return Verdict.failed("PG.ECR.3", tuple(failures[:10]), evidence)


def _first_verified(
    image: EcrImageSnapshot,
    candidates: tuple[SignatureCandidate, ...],
    manifest_size: int,
    trust_policy: TrustPolicy,
    stores: Mapping[str, str],
    ctx: EvaluationContext,
    failures: list[Reason],
) -> dict[str, str] | None:
    """Evidence of the first candidate that verifies and is not revoked (as the level enforces);
    appends why each earlier candidate did not."""
    from provenance_guard.signatures.envelope import SignatureError
    from provenance_guard.signatures.verify import Subject, verify

    subject = Subject(image.digest, image.media_type, manifest_size)
    for candidate in candidates:
        short = candidate.manifest_digest[:19]
        if candidate.envelope is None:
            failures.append(Reason("UNREADABLE_SIGNATURE", f"{short}: {candidate.error}"))
            continue
        try:
            verified = verify(candidate.envelope, candidate.envelope_type, subject, trust_policy, stores, ctx.now)
        except SignatureError as error:
            failures.append(Reason(error.code, f"{short}: {error.description}"[:MAX_VALUE]))
            continue
        revocation = _revocation(verified.scheme, image.revocations.get(candidate.manifest_digest))
        if revocation.status != "not_revoked" and trust_policy.verification_level == "strict":
            code = "REVOKED" if revocation.status == "revoked" else "REVOCATION_UNKNOWN"
            failures.append(Reason(code, f"{short}: {revocation.detail}"[:MAX_VALUE]))
            continue
        return {
            "Signature": candidate.manifest_digest,
            "SignedBy": verified.identity[:MAX_VALUE],
            "TrustedIdentity": verified.trusted_as[:MAX_VALUE],
            "SigningTime": verified.signing_time,
            "SigningScheme": verified.scheme,
            "Format": f"notation {verified.format} {verified.algorithm}",
            "Revocation": _logged(revocation, trust_policy.verification_level)[:MAX_VALUE],
        }
    return None


NOT_APPLICABLE = Revocation("not_revoked", "not checked: revocation applies to AWS Signer signatures")


def _revocation(scheme: str, answer: Revocation | None) -> Revocation:
    """AWS Signer's answer for a signing-authority signature (missing means it could not be asked);
    an organisation CA's certificates carry no revocation source this verifier reads (CRL/OCSP)."""
    if scheme != "notary.x509.signingAuthority":
        return NOT_APPLICABLE
    return answer or Revocation("unknown", "the signature names no AWS Signer job to ask about")


def _logged(revocation: Revocation, level: str) -> str:
    """Evidence for a revocation result that does not fail the image (Notation: only strict enforces)."""
    if revocation.status == "not_revoked":
        return revocation.detail
    return f"{revocation.status} (logged only at verification level {level}): {revocation.detail}"


def _managed_signing_reasons(managed: ManagedSigning) -> list[Reason]:
    """Why ECR managed signing, which covers the repository, did not produce a trusted signature."""
    if managed.error:
        return [Reason("MANAGED_SIGNING_UNREADABLE", f"managed signing status: {managed.error}"[:MAX_VALUE])]
    if not managed.statuses:
        why = "a signing rule covers the repository but ECR reports no signing status for this image"
        return [Reason("MANAGED_SIGNING_MISSING", why)]
    reasons = []
    for status in managed.statuses:
        profile = status.profile_arn[:300]
        if status.status == "FAILED":
            reasons.append(
                Reason("MANAGED_SIGNING_FAILED", f"ECR managed signing with {profile} failed: {status.failure}")
            )
        elif status.status == "IN_PROGRESS":
            reasons.append(Reason("MANAGED_SIGNING_IN_PROGRESS", f"ECR managed signing with {profile} is in progress"))
        else:
            why = (
                f"ECR reports signing with {profile} {status.status}, but no signature verifies (a status is no proof)"
            )
            reasons.append(Reason("MANAGED_SIGNING_COMPLETE_UNVERIFIED", why))
    return [Reason(r.code, r.description[:MAX_VALUE]) for r in reasons]


def _managed_signing_summary(managed: ManagedSigning) -> str:
    if managed.error or not managed.statuses:
        return managed.error or "no signing status reported"
    return "; ".join(f"{s.status} {s.profile_arn}" + (f" ({s.failure})" if s.failure else "") for s in managed.statuses)
