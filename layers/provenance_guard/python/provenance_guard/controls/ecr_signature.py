"""Container-image signatures (CONTROLS.md §1, PG.ECR.3): the digest carries a Notation signature, or a
cosign signature made with a key of `container.signatures.cosign_public_keys`, that verifies under the
trust policy whose scope matches the repository (first match wins; its level applies to both).

Levels, as Notation's: `strict` enforces everything; `permissive` enforces integrity and authenticity
and records (in `Logged` / `Revocation`) an expired signature, a `notary.x509` signing certificate
expired since signing, and a revoked or undeterminable AWS Signer revocation; `audit` enforces integrity
only (a tampered or unparseable signature, or one naming another digest, fails; an untrusted signer is
recorded and passes; an image with no signature passes). The level table is `signatures.levels`.
The evidence names the trust policy, the signature that verified (identity, signing time, scheme,
format) or why each candidate failed, and nothing that changes between evaluations of an unchanged
image. The `cryptography` work is imported here, inside the evaluation, only.
"""

from __future__ import annotations

from collections.abc import Mapping

from provenance_guard.collect.ecr_image import READ_IMAGE
from provenance_guard.collect.ecr_image_model import ECR_IMAGE, EcrImageSnapshot
from provenance_guard.collect.ecr_signature import SignatureCandidate, SignatureSet
from provenance_guard.collect.ecr_signing import READ_SIGNING, ManagedSigning, Revocation
from provenance_guard.controls.registry import EvaluationContext, registry
from provenance_guard.model import Reason, Severity, Status, Verdict
from provenance_guard.policy import Policy, TrustPolicy

MAX_VALUE = 1000


@registry.register(
    id="PG.ECR.3",
    title="Container images should carry a signature that verifies under the policy's trust policy",
    severity=Severity.HIGH,
    resource_kind=ECR_IMAGE,
    remediation_text=(
        "Sign the image digest with Notation (an organisation CA in a ca: trust store, or AWS Signer / ECR "
        "managed signing with a signingAuthority: trust store) under an identity the trust policy lists in "
        "container.signatures.trust_policies, or with cosign and a key listed in "
        "container.signatures.cosign_public_keys; re-push a signature whose candidate is named in the evidence."
    ),
    remediation_url="https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-signing.html",
    permissions=READ_IMAGE + READ_SIGNING,
    remediation_by_reason={
        "NOT_SIGNED": (
            "Sign the image digest in the pipeline that builds it, with Notation (AWS Signer, ECR managed "
            "signing or your own CA) or cosign, under an identity the matching trust policy lists, and push "
            "the signature to the repository."
        ),
        "NO_TRUST_POLICY": (
            "No trust policy covers this repository: ask the provenance-guard policy owners to add one to "
            "container.signatures.trust_policies whose scopes match it (which signers are trusted for which "
            "repositories)."
        ),
        "UNREADABLE": (
            "The signatures could not be read through the registry: check that the registry is reachable from "
            "where provenance-guard runs (for the CLI, --registry-url or PROVENANCE_GUARD_REGISTRY_URL); the "
            "image is judged again at its next push or the next sweep."
        ),
        "MANAGED_SIGNING_FAILED": (
            "ECR managed signing failed for this image: check the registry's signing configuration and the "
            "AWS Signer profile it names (aws ecr get-signing-configuration), then push again."
        ),
    },
    nist=("CM-14", "SI-7", "SI-7(15)", "SR-11"),
    cis=("2.5",),
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
    key_problems: list[Reason] = []
    verified = _first_verified(
        image, found.candidates, image.manifest_size, trust_policy, signatures.trust_stores, ctx, failures
    )
    schemes = ["notation"] * len(failures)
    if verified is None:  # then cosign's candidates, under the same trust policy
        verified, key_problems = _cosign(found, image.digest, signatures.cosign_public_keys, failures)
        schemes += ["cosign"] * (len(failures) - len(schemes))
    if verified is not None:
        evidence.update(verified)
        if image.managed_signing is not None:
            evidence["ManagedSigning"] = _managed_signing_summary(image.managed_signing)[:MAX_VALUE]
        return Verdict.passed("PG.ECR.3", f"signed by {verified['SignedBy']}"[:MAX_VALUE], evidence)
    return _unverified(image, found, trust_policy, evidence, failures, key_problems, schemes)


def _unverified(
    image: EcrImageSnapshot,
    found: SignatureSet,
    trust_policy: TrustPolicy,
    evidence: dict[str, str],
    failures: list[Reason],
    key_problems: list[Reason],
    schemes: list[str],
) -> Verdict:
    """The verdict when no candidate verified: FAILED with why each did not (under `audit`, passed when
    no signature is present or one failed only what audit logs; NOT_AVAILABLE and provisional while ECR
    managed signing is still in progress)."""
    from provenance_guard.signatures.levels import enforced

    level = trust_policy.verification_level
    logged_only = [r for r, scheme in zip(failures, schemes, strict=True) if not enforced(level, r.code, scheme)]
    judged = len(found.candidates) + len(found.cosign)
    evidence["Candidates"] = str(judged) + (f" (+{found.ignored} not judged)" if found.ignored else "")
    for i, failure in enumerate(failures[:10]):
        evidence[f"Candidate{i + 1}"] = f"{failure.code}: {failure.description}"[:MAX_VALUE]
    if image.managed_signing is not None:
        evidence["ManagedSigning"] = _managed_signing_summary(image.managed_signing)[:MAX_VALUE]
        failures[:0] = _managed_signing_reasons(image.managed_signing)
    if not found.candidates and not found.cosign:
        failures.append(Reason("NOT_SIGNED", "no Notation or cosign signature refers to this digest"))
    failures.extend(key_problems)
    if level == "audit" and (judged == 0 or logged_only):
        first = (logged_only or failures)[0]
        return Verdict.passed("PG.ECR.3", f"audit only: {first.description}"[:MAX_VALUE], evidence)
    if image.managed_signing is not None and _signing_in_progress(image.managed_signing):
        # Not FAILED (and no alert) while ECR is still signing: the image is judged again shortly.
        return Verdict("PG.ECR.3", Status.NOT_AVAILABLE, tuple(failures[:10]), evidence, provisional=True)
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
            **({"Logged": "; ".join(verified.logged)[:MAX_VALUE]} if verified.logged else {}),
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
        profiles = ", ".join(managed.rule_profiles)[:300]
        why = f"a signing rule ({profiles}) covers the repository but ECR reports no signing status for this image"
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


def _signing_in_progress(managed: ManagedSigning) -> bool:
    """ECR is still signing the image, and no signing job of it has failed."""
    statuses = {s.status for s in managed.statuses}
    return "IN_PROGRESS" in statuses and "FAILED" not in statuses


def _managed_signing_summary(managed: ManagedSigning) -> str:
    if managed.error or not managed.statuses:
        return managed.error or "no signing status reported"
    return "; ".join(f"{s.status} {s.profile_arn}" + (f" ({s.failure})" if s.failure else "") for s in managed.statuses)


def _cosign(
    found: SignatureSet, digest: str, pems: tuple[str, ...], failures: list[Reason]
) -> tuple[dict[str, str] | None, list[Reason]]:
    """The evidence of the first cosign candidate that verifies with a configured key (each failing
    candidate's reason is appended to `failures`), and a reason for each configured key that is unusable."""
    if not found.cosign and not pems:
        return None, []
    from provenance_guard.signatures.cosign import load_keys, verify_bundle, verify_simple_signing
    from provenance_guard.signatures.envelope import SignatureError

    keys, key_errors = load_keys(pems)
    for candidate in found.cosign:
        if candidate.blob is None:
            failures.append(Reason("UNREADABLE_SIGNATURE", f"{candidate.label}: {candidate.error}"[:MAX_VALUE]))
            continue
        try:
            if candidate.layout == "bundle":
                verified = verify_bundle(candidate.blob, digest, keys)
            else:
                verified = verify_simple_signing(candidate.blob, candidate.annotations, digest, keys)
        except SignatureError as error:
            failures.append(Reason(error.code, f"{candidate.label}: {error.description}"[:MAX_VALUE]))
            continue
        evidence = {
            "Signature": candidate.manifest_digest,
            "SignedBy": verified.key.identity,
            "TrustedIdentity": verified.key.policy_entry,
            "SigningScheme": "cosign",
            "Format": f"cosign {verified.layout}",
            "Algorithm": verified.key.algorithm,
        }
        if candidate.layout != "bundle":
            evidence["SignatureLayer"] = candidate.label.rpartition(" ")[2]
        if key_errors:
            evidence["UnusableCosignKeys"] = "; ".join(e.description for e in key_errors)[:MAX_VALUE]
        return evidence, []
    return None, [Reason(e.code, e.description[:MAX_VALUE]) for e in key_errors]
