"""PG.ECR.3 with AWS in the loop: images signed by the emulated AWS Signer (`signer:SignPayload`, a real
ES384 Notation JWS chained to the emulator's signing-authority root), AWS Signer revocation through
`signer-data:GetRevocationStatus` under strict / permissive / audit, and ECR managed signing statuses,
which are reported but never trusted without a signature that verifies."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from provenance_guard.controls.ecr_signature import signature_verifies
from provenance_guard.controls.registry import EvaluationContext
from provenance_guard.model import Status
from provenance_guard.policy import Policy
from provenance_guard_cli.emulator.signer_notation import root_pem
from provenance_guard_cli.local_registry import Pushed, RegistryPusher
from provenance_guard_cli.notation import aws_signer_envelope, push_notation_signature
from tests.unit.controls.conftest import new_image
from tests.unit.ecr_support import image_ref
from tests.unit.support import ACCOUNT, REGION

PLATFORM = "Notation-OCI-SHA384-ECDSA"


def policy(level: str = "strict", identities: list[str] | None = None) -> Policy:
    profile = f"arn:aws:signer:{REGION}:{ACCOUNT}:/signing-profiles/release"
    trust_policy = {
        "name": "release",
        "scopes": ["*"],
        "verification_level": level,
        "trust_stores": ["signingAuthority:emulated"],
        "trusted_identities": identities or [profile],
    }
    signatures = {"trust_policies": [trust_policy], "trust_stores": {"signingAuthority:emulated": root_pem()}}
    return Policy.from_document({"version": 1, "container": {"signatures": signatures}})


@pytest.fixture
def signer(aws: None) -> Any:
    client = boto3.client("signer", region_name=REGION)
    client.put_signing_profile(profileName="release", platformId=PLATFORM)
    return client


def _now() -> datetime:
    return datetime.now(UTC)


def signed_image(ecr: Any, pusher: RegistryPusher, signer: Any) -> tuple[Pushed, str]:
    """An image signed by the emulated AWS Signer, and the id of the signing job the envelope names."""
    image = new_image(ecr, pusher)
    envelope = aws_signer_envelope(signer, "release", image)
    push_notation_signature(pusher, "team/app", image, envelope)
    encoded = json.loads(envelope)["protected"]
    protected = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    return image, str(protected["com.amazonaws.signer.signingJob"]).rsplit("/", 1)[-1]


def test_an_aws_signer_signature_passes_when_not_revoked(ecr, pusher, signer, judge):
    image, _ = signed_image(ecr, pusher, signer)
    verdict = judge(image, policy())
    assert verdict.status is Status.PASSED, verdict.reasons
    assert verdict.evidence["SigningScheme"] == "notary.x509.signingAuthority"
    assert verdict.evidence["Format"] == "notation application/jose+json ES384"
    assert verdict.evidence["Revocation"] == "not revoked (AWS Signer)"
    assert verdict.evidence["SignedBy"].startswith(f"arn:aws:signer:{REGION}:{ACCOUNT}:/signing-profiles/release/")


def test_a_revoked_signing_job_fails_under_strict(ecr, pusher, signer, judge):
    image, job_id = signed_image(ecr, pusher, signer)
    signer.revoke_signature(jobId=job_id, reason="key compromise drill")
    verdict = judge(image, policy())
    assert verdict.status is Status.FAILED
    assert [r.code for r in verdict.reasons] == ["REVOKED"]
    assert job_id in verdict.reasons[0].description


def test_a_revoked_signing_job_is_logged_under_permissive_and_audit(ecr, pusher, signer, judge):
    image, job_id = signed_image(ecr, pusher, signer)
    signer.revoke_signature(jobId=job_id, reason="drill")
    for level in ("permissive", "audit"):
        verdict = judge(image, policy(level))
        assert verdict.status is Status.PASSED
        assert verdict.evidence["Revocation"].startswith(f"revoked (logged only at verification level {level})")


@pytest.mark.parametrize(("effective", "status"), [(-1, Status.FAILED), (1, Status.PASSED)])
def test_a_profile_revocation_counts_from_its_effective_time(ecr, pusher, signer, judge, effective, status):
    image, _ = signed_image(ecr, pusher, signer)
    version = signer.get_signing_profile(profileName="release")["profileVersion"]
    when = _now() + timedelta(days=effective)
    signer.revoke_signing_profile(profileName="release", profileVersion=version, reason="rotated", effectiveTime=when)
    verdict = judge(image, policy())
    assert verdict.status is status
    if status is Status.FAILED:
        assert verdict.reasons[0].code == "REVOKED"
        assert f"/signing-profiles/release/{version}" in verdict.reasons[0].description


def test_revocation_service_unavailable_fails_strict_and_is_logged_by_permissive(
    ecr, pusher, signer, collector, emulator_faults
):
    image, _ = signed_image(ecr, pusher, signer)
    emulator_faults("signer", "GetRevocationStatus", "ServiceUnavailableException", count=2)
    snapshot = collector.collect(image_ref("team/app", image.digest))
    assert snapshot is not None
    context = EvaluationContext(ACCOUNT, REGION, "aws", _now())

    strict = signature_verifies(snapshot, policy("strict"), context)
    permissive = signature_verifies(snapshot, policy("permissive"), context)

    assert strict.status is Status.FAILED
    assert [r.code for r in strict.reasons] == ["REVOCATION_UNKNOWN"]
    assert permissive.status is Status.PASSED
    assert permissive.evidence["Revocation"].startswith("unknown (logged only at verification level permissive)")


def test_revocation_answers_are_cached_briefly_and_failures_are_not(ecr, pusher, signer, collector, emulator_faults):
    image, _ = signed_image(ecr, pusher, signer)
    ref = image_ref("team/app", image.digest)
    emulator_faults("signer", "GetRevocationStatus", "ServiceUnavailableException", count=2)
    first = collector.collect(ref)
    second = collector.collect(ref)  # not cached: asks again, now answered
    emulator_faults("signer", "GetRevocationStatus", "ServiceUnavailableException", count=2)
    third = collector.collect(ref)  # cached: the outage is not noticed
    assert first is not None
    assert second is not None
    assert third is not None
    assert [s.revocations[next(iter(s.revocations))].status for s in (first, second, third)] == [
        "unknown",
        "not_revoked",
        "not_revoked",
    ]


def test_another_accounts_profile_is_refused_even_when_aws_signed_it(ecr, pusher, signer, judge):
    image, _ = signed_image(ecr, pusher, signer)
    other = "arn:aws:signer:us-east-1:210987654321:/signing-profiles/release"
    verdict = judge(image, policy(identities=[other]))
    assert verdict.status is Status.FAILED
    assert verdict.reasons[0].code == "UNTRUSTED_IDENTITY"


def managed_signing(ecr: Any, profile_arn: str, repository_filter: str = "team/*") -> None:
    rule = {
        "signingProfileArn": profile_arn,
        "repositoryFilters": [{"filter": repository_filter, "filterType": "WILDCARD_MATCH"}],
    }
    ecr.put_signing_configuration(signingConfiguration={"rules": [rule]})


def profile_arn(signer: Any) -> str:
    return str(signer.get_signing_profile(profileName="release")["arn"])


def test_a_complete_managed_signing_status_is_not_trusted_without_a_signature(ecr, pusher, signer, judge):
    managed_signing(ecr, profile_arn(signer))
    image = new_image(ecr, pusher)
    verdict = judge(image, policy())
    assert verdict.status is Status.FAILED
    codes = [r.code for r in verdict.reasons]
    assert codes == ["MANAGED_SIGNING_COMPLETE_UNVERIFIED", "NOT_SIGNED"]


def test_a_managed_signed_image_with_its_signature_passes_and_names_the_status(ecr, pusher, signer, judge):
    managed_signing(ecr, profile_arn(signer))
    image = new_image(ecr, pusher)
    push_notation_signature(pusher, "team/app", image, aws_signer_envelope(signer, "release", image))
    verdict = judge(image, policy())
    assert verdict.status is Status.PASSED, verdict.reasons
    assert verdict.evidence["ManagedSigning"] == f"COMPLETE {profile_arn(signer)}"


def test_failed_managed_signing_is_reported(ecr, pusher, signer, judge):
    managed_signing(ecr, profile_arn(signer))
    signer.cancel_signing_profile(profileName="release")
    image = new_image(ecr, pusher)
    verdict = judge(image, policy())
    assert verdict.status is Status.FAILED
    assert verdict.reasons[0].code == "MANAGED_SIGNING_FAILED"
    assert "SigningProfileNotActive" in verdict.reasons[0].description


def test_an_image_pushed_before_the_signing_rule_has_no_status(ecr, pusher, signer, judge):
    image = new_image(ecr, pusher)
    managed_signing(ecr, profile_arn(signer))
    verdict = judge(image, policy())
    assert [r.code for r in verdict.reasons] == ["MANAGED_SIGNING_MISSING", "NOT_SIGNED"]


def test_a_repository_no_signing_rule_covers_has_no_managed_signing_evidence(ecr, pusher, signer, judge):
    managed_signing(ecr, profile_arn(signer), repository_filter="other/*")
    image, _ = signed_image(ecr, pusher, signer)
    verdict = judge(image, policy())
    assert verdict.status is Status.PASSED
    assert "ManagedSigning" not in verdict.evidence


@pytest.mark.parametrize(
    ("store", "subject", "fingerprint"),
    [
        (
            "signingAuthority:aws-signer",
            "AWS Signer Code Signing Root CA G1",
            "90a87d0543c3f094dbff9589b6649affe2f3d6e0f308799be2258461c686473f",
        ),
        (
            "signingAuthority:aws-us-gov-signer",
            "AWS Signer Code Signing GovCloud (US) Root CA G1",
            "673653ab76f41a10546cdeb4107ecd6df2c15c2c9a0d32ed97d271b4436fc3e8",
        ),
    ],
)
def test_the_aws_signer_roots_ship_pinned(store, subject, fingerprint):
    from cryptography import x509

    from provenance_guard.signatures import trust
    from provenance_guard.signatures.envelope import SignatureError

    assert trust.roots([store], {}, "notary.x509.signingAuthority") == {bytes.fromhex(fingerprint)}
    shipped = x509.load_pem_x509_certificate((trust.DATA / trust.BUILT_IN_STORES[store][0]).read_bytes())
    assert shipped.subject.rfc4514_string() == f"CN={subject},ST=WA,OU=Cryptography,O=AWS,C=US"
    with pytest.raises(SignatureError) as as_ca:  # an AWS root never serves as an organisation CA
        trust.roots([store.replace("signingAuthority", "ca")], {}, "notary.x509")
    assert as_ca.value.code == "NO_TRUST_STORE"


def test_a_shipped_root_that_does_not_match_its_pin_is_refused(tmp_path, monkeypatch):
    from provenance_guard.signatures import trust
    from provenance_guard.signatures.envelope import SignatureError

    (tmp_path / "aws-signer-notation-root.pem").write_text(root_pem())
    monkeypatch.setattr(trust, "DATA", tmp_path)
    trust.built_in_store.cache_clear()
    try:
        with pytest.raises(SignatureError, match="not the pinned AWS Signer root"):
            trust.roots(["signingAuthority:aws-signer"], {}, "notary.x509.signingAuthority")
    finally:
        trust.built_in_store.cache_clear()


def test_a_look_alike_aws_signer_root_is_not_the_pinned_one(ecr, pusher, signer, judge):
    """The emulated Signer's chain ends at a root AWS never issued: the built-in store refuses it."""
    image, _ = signed_image(ecr, pusher, signer)
    trust_policy = {
        "name": "release",
        "trust_stores": ["signingAuthority:aws-signer"],
        "trusted_identities": [f"arn:aws:signer:{REGION}:{ACCOUNT}:/signing-profiles/release"],
    }
    the_policy = Policy.from_document({"version": 1, "container": {"signatures": {"trust_policies": [trust_policy]}}})
    verdict = judge(image, the_policy)
    assert verdict.status is Status.FAILED
    assert verdict.reasons[0].code == "UNTRUSTED_ROOT"


def test_an_unreadable_signing_configuration_is_reported_not_fatal(ecr, pusher, signer, judge, emulator_faults):
    """A partition without managed signing, or an SCP denying the call, must not stop the evaluation."""
    image, _ = signed_image(ecr, pusher, signer)
    unsigned = new_image(ecr, pusher)
    emulator_faults("ecr", "GetSigningConfiguration", "AccessDeniedException", count=2)
    signed_verdict = judge(image, policy())
    unsigned_verdict = judge(unsigned, policy())
    assert signed_verdict.status is Status.PASSED
    assert signed_verdict.evidence["ManagedSigning"].startswith("GetSigningConfiguration: AccessDeniedException")
    assert [r.code for r in unsigned_verdict.reasons] == ["MANAGED_SIGNING_UNREADABLE", "NOT_SIGNED"]


def test_managed_signing_in_progress_is_provisional_not_failed(ecr, pusher, signer, judge, slow_signing):
    managed_signing(ecr, profile_arn(signer))
    image = new_image(ecr, pusher)
    verdict = judge(image, policy())
    assert verdict.status is Status.NOT_AVAILABLE
    assert verdict.provisional
    assert [r.code for r in verdict.reasons] == ["MANAGED_SIGNING_IN_PROGRESS", "NOT_SIGNED"]
    assert verdict.evidence["ManagedSigning"] == f"IN_PROGRESS {profile_arn(signer)}"


def test_a_failed_job_beside_one_in_progress_fails_at_once(ecr, pusher, signer, judge, slow_signing):
    signer.put_signing_profile(profileName="nightly", platformId=PLATFORM)
    nightly = str(signer.get_signing_profile(profileName="nightly")["arn"])
    rules = [
        {"signingProfileArn": arn, "repositoryFilters": [{"filter": "team/*", "filterType": "WILDCARD_MATCH"}]}
        for arn in (profile_arn(signer), nightly)
    ]
    ecr.put_signing_configuration(signingConfiguration={"rules": rules})
    signer.cancel_signing_profile(profileName="nightly")
    verdict = judge(new_image(ecr, pusher), policy())
    assert verdict.status is Status.FAILED
    assert not verdict.provisional
