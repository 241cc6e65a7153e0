"""PG.ECR.3 (Notation JWS and COSE signatures), with real cryptography: a test CA chain and an AWS-Signer-shaped
signing authority, envelopes in Notation's format pushed to the real docker-registry on loopback, read
back by the image collector (referrers tag-schema fallback) and judged by the control."""

from __future__ import annotations

import random
import warnings
from datetime import timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from provenance_guard.model import Status
from provenance_guard.policy import Policy, PolicyError
from provenance_guard.signatures.cose import verify_cose
from provenance_guard.signatures.envelope import SignatureError
from provenance_guard_cli.local_registry import Pushed
from provenance_guard_cli.notation import descriptor as target_of
from provenance_guard_cli.notation import push_notation_signature
from tests.unit.controls.conftest import new_image
from tests.unit.signing_support import COSE, NOW, PROFILE, Issued, cose, issue, jws

SUBJECT = "x509.subject: C=US, ST=WA, O=Example Org"
SIGNER_JOB = {"com.amazonaws.signer.signingJob": "arn:aws:signer:us-east-1:123456789012:/signing-jobs/2f3c1d4e"}
"""A job the emulated AWS Signer never revoked (revocation itself: test_ecr_signature_aws.py)."""


@pytest.fixture(scope="session")
def pki() -> dict[str, Issued]:
    root = issue("Example Root CA", None, ca=True)
    intermediate = issue("Example Signing CA", root, ca=True)
    leaf = issue("release signer", intermediate, ca=False, key=ec.generate_private_key(ec.SECP256R1()))
    rsa_leaf = issue("rsa signer", intermediate, ca=False, key=rsa.generate_private_key(65537, 3072))
    expired = issue(
        "old signer", intermediate, ca=False, not_before=NOW - timedelta(days=60), not_after=NOW - timedelta(days=1)
    )
    other_root = issue("Other Root CA", None, ca=True, org="Mallory")
    other_leaf = issue("release signer", other_root, ca=False)
    stray = issue("stray", other_root, ca=False, key=ec.generate_private_key(ec.SECP256R1()))
    sa_root = issue("AWS Signer Code Signing Root CA G1 (test)", None, ca=True, org="AWS")
    sa_int = issue("AWS Signer us-east-1 Code Signing CA G1 (test)", sa_root, ca=True, org="AWS")
    # AWS Signer leaf certificates live about three days; this one expired long before the check.
    sa_leaf = issue(
        "AWS Signer",
        sa_int,
        ca=False,
        org="AWS",
        not_before=NOW - timedelta(days=20),
        not_after=NOW - timedelta(days=17),
    )
    return {
        "root": root, "int": intermediate, "leaf": leaf, "rsa_leaf": rsa_leaf, "expired": expired,
        "other_root": other_root, "other_leaf": other_leaf, "stray": stray,
        "sa_root": sa_root, "sa_int": sa_int, "sa_leaf": sa_leaf,
    }  # fmt: skip


def policy(pki: dict[str, Issued], level: str = "strict", identities: list[str] | None = None, **extra: Any) -> Policy:
    trust_policies = extra.pop("trust_policies", None) or [
        {
            "name": "release",
            "scopes": ["team/*"],
            "verification_level": level,
            "trust_stores": ["ca:acme", "signingAuthority:aws-signer"],
            "trusted_identities": identities or [SUBJECT, PROFILE],
        }
    ]
    stores = {"ca:acme": pki["root"].pem, "signingAuthority:aws-signer": pki["sa_root"].pem}
    return Policy.from_document(
        {"version": 1, "container": {"signatures": {"trust_policies": trust_policies, "trust_stores": stores}}}
    )


def chain(pki: dict[str, Issued], leaf: str = "leaf", *rest: str) -> list[Issued]:
    return [pki[leaf], *(pki[r] for r in (rest or ("int", "root")))]


def test_a_ca_signed_image_passes_with_its_evidence(ecr, pusher, judge, pki):
    image = new_image(ecr, pusher)
    push_notation_signature(pusher, "team/app", image, jws(pki["leaf"], chain(pki), target_of(image)))
    verdict = judge(image, policy(pki))
    assert verdict.status is Status.PASSED, verdict.reasons
    assert verdict.evidence["TrustPolicy"] == "release"
    assert verdict.evidence["TrustedIdentity"] == SUBJECT
    assert verdict.evidence["SigningScheme"] == "notary.x509"
    assert verdict.evidence["Format"] == "notation application/jose+json ES256"
    assert "CN=release signer" in verdict.evidence["SignedBy"]
    assert len(verdict.evidence) <= 50
    assert all(len(v) <= 1000 for v in verdict.evidence.values())
    assert judge(image, policy(pki)).evidence == verdict.evidence  # stable fingerprint


def test_rsa_pss_signatures_verify(ecr, pusher, judge, pki):
    image = new_image(ecr, pusher)
    push_notation_signature(pusher, "team/app", image, jws(pki["rsa_leaf"], chain(pki, "rsa_leaf"), target_of(image)))
    verdict = judge(image, policy(pki))
    assert verdict.status is Status.PASSED, verdict.reasons
    assert verdict.evidence["Format"].endswith("PS384")


def test_an_aws_signer_signature_passes_at_its_authentic_signing_time(ecr, pusher, judge, pki):
    image = new_image(ecr, pusher)
    envelope = jws(
        pki["sa_leaf"],
        chain(pki, "sa_leaf", "sa_int", "sa_root"),
        target_of(image),
        scheme="notary.x509.signingAuthority",
        signing_time=NOW - timedelta(days=19),
        extra={**SIGNER_JOB, "com.amazonaws.signer.signingProfileVersion": f"{PROFILE}/a1b2c3"},
    )
    push_notation_signature(pusher, "team/app", image, envelope)
    verdict = judge(image, policy(pki))
    assert verdict.status is Status.PASSED, verdict.reasons
    assert verdict.evidence["SignedBy"] == f"{PROFILE}/a1b2c3"
    assert verdict.evidence["TrustedIdentity"] == PROFILE
    assert verdict.evidence["SigningScheme"] == "notary.x509.signingAuthority"


def sa_envelope(pki: dict[str, Issued], image: Pushed, profile: str) -> bytes:
    return jws(
        pki["sa_leaf"],
        chain(pki, "sa_leaf", "sa_int", "sa_root"),
        target_of(image),
        scheme="notary.x509.signingAuthority",
        signing_time=NOW - timedelta(days=19),
        extra={**SIGNER_JOB, "com.amazonaws.signer.signingProfileVersion": profile},
    )


def test_another_accounts_signing_profile_fails(ecr, pusher, judge, pki):
    image = new_image(ecr, pusher)
    other = "arn:aws:signer:us-east-1:999999999999:/signing-profiles/release/a1b2c3"
    push_notation_signature(pusher, "team/app", image, sa_envelope(pki, image, other))
    verdict = judge(image, policy(pki))
    assert verdict.status is Status.FAILED
    assert [r.code for r in verdict.reasons] == ["UNTRUSTED_IDENTITY"]


def test_a_ca_leaf_cannot_pose_as_a_signing_authority(ecr, pusher, judge, pki):
    image = new_image(ecr, pusher)
    envelope = jws(
        pki["leaf"], chain(pki), target_of(image), scheme="notary.x509.signingAuthority",
        extra={**SIGNER_JOB, "com.amazonaws.signer.signingProfileVersion": f"{PROFILE}/a1b2c3"},
    )  # fmt: skip
    push_notation_signature(pusher, "team/app", image, envelope)
    assert [r.code for r in judge(image, policy(pki)).reasons] == ["UNTRUSTED_ROOT"]


def test_an_unsigned_image_fails(ecr, pusher, judge, pki):
    image = new_image(ecr, pusher)
    verdict = judge(image, policy(pki))
    assert verdict.status is Status.FAILED
    assert [r.code for r in verdict.reasons] == ["NOT_SIGNED"]


def bad_envelope(case: str, p: dict[str, Issued], t: dict[str, Any]) -> bytes:
    """One signature breaking one rule (`case`), for an image whose descriptor is `t`."""
    good = [p["leaf"], p["int"], p["root"]]
    if case == "alg-from-header":
        return jws(p["leaf"], good, t, alg="ES384")
    if case == "untrusted-root":
        return jws(p["other_leaf"], [p["other_leaf"], p["other_root"]], t)
    if case == "wrong-key":
        return jws(p["stray"], good, t)
    if case == "tampered-payload":
        return jws(p["leaf"], good, t, tamper_payload=True)
    if case == "another-digest":
        return jws(p["leaf"], good, {**t, "digest": "sha256:" + "0" * 64})
    if case == "another-size":
        return jws(p["leaf"], good, {**t, "size": t["size"] + 1})
    if case == "unknown-critical":
        crit = ["io.cncf.notary.signingScheme", "SomeKey"]
        return jws(p["leaf"], good, t, crit=crit, extra={"SomeKey": "x"})
    if case == "expired-leaf":
        return jws(p["expired"], [p["expired"], p["int"], p["root"]], t, signing_time=NOW - timedelta(days=5))
    if case == "signed-before-validity":
        return jws(p["leaf"], good, t, signing_time=NOW - timedelta(days=400))
    assert case == "missing-intermediate"
    return jws(p["leaf"], [p["leaf"], p["root"]], t)


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("alg-from-header", "ALGORITHM_MISMATCH"),
        ("untrusted-root", "UNTRUSTED_ROOT"),
        ("wrong-key", "BAD_SIGNATURE"),
        ("tampered-payload", "BAD_SIGNATURE"),
        ("another-digest", "WRONG_SUBJECT"),
        ("another-size", "WRONG_SUBJECT"),
        ("unknown-critical", "UNKNOWN_CRITICAL_HEADER"),
        ("expired-leaf", "CERTIFICATE_EXPIRED"),
        ("signed-before-validity", "CERTIFICATE_NOT_VALID_AT_SIGNING"),
        ("missing-intermediate", "BROKEN_CHAIN"),
    ],
)
def test_each_rule_fails_a_bad_signature(ecr, pusher, judge, pki, case, code):
    image = new_image(ecr, pusher)
    push_notation_signature(pusher, "team/app", image, bad_envelope(case, pki, target_of(image)))
    verdict = judge(image, policy(pki))
    assert verdict.status is Status.FAILED
    assert [r.code for r in verdict.reasons] == [code]
    assert verdict.evidence["Candidate1"].startswith(code)


def test_an_untrusted_subject_identity_fails(ecr, pusher, judge, pki):
    image = new_image(ecr, pusher)
    push_notation_signature(pusher, "team/app", image, jws(pki["leaf"], chain(pki), target_of(image)))
    verdict = judge(image, policy(pki, identities=["x509.subject: C=US, ST=WA, O=Someone Else"]))
    assert [r.code for r in verdict.reasons] == ["UNTRUSTED_IDENTITY"]


def test_one_good_signature_among_bad_ones_passes(ecr, pusher, judge, pki):
    image = new_image(ecr, pusher)
    push_notation_signature(
        pusher, "team/app", image, jws(pki["other_leaf"], [pki["other_leaf"], pki["other_root"]], target_of(image))
    )
    push_notation_signature(pusher, "team/app", image, jws(pki["leaf"], chain(pki), target_of(image)))
    assert judge(image, policy(pki)).status is Status.PASSED


def test_audit_records_but_passes(ecr, pusher, judge, pki):
    image = new_image(ecr, pusher)
    verdict = judge(image, policy(pki, level="audit"))
    assert verdict.status is Status.PASSED
    assert "audit only" in verdict.reasons[0].description


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("tampered-payload", "BAD_SIGNATURE"),
        ("wrong-key", "BAD_SIGNATURE"),
        ("another-digest", "WRONG_SUBJECT"),
        ("unknown-critical", "UNKNOWN_CRITICAL_HEADER"),
        ("alg-from-header", "ALGORITHM_MISMATCH"),
    ],
)
def test_audit_enforces_integrity(ecr, pusher, judge, pki, case, code):
    """Notation: every level enforces integrity; audit only logs what comes after it."""
    image = new_image(ecr, pusher)
    push_notation_signature(pusher, "team/app", image, bad_envelope(case, pki, target_of(image)))
    verdict = judge(image, policy(pki, level="audit"))
    assert verdict.status is Status.FAILED
    assert [r.code for r in verdict.reasons] == [code]


def test_audit_records_an_unparseable_signature_as_an_integrity_failure(ecr, pusher, judge, pki):
    image = new_image(ecr, pusher)
    push_notation_signature(pusher, "team/app", image, b"{not json")
    verdict = judge(image, policy(pki, level="audit"))
    assert verdict.status is Status.FAILED
    assert [r.code for r in verdict.reasons] == ["MALFORMED_ENVELOPE"]


@pytest.mark.parametrize(
    ("case", "code"), [("untrusted-root", "UNTRUSTED_ROOT"), ("missing-intermediate", "BROKEN_CHAIN")]
)
def test_audit_logs_authenticity_failures_and_passes(ecr, pusher, judge, pki, case, code):
    image = new_image(ecr, pusher)
    push_notation_signature(pusher, "team/app", image, bad_envelope(case, pki, target_of(image)))
    verdict = judge(image, policy(pki, level="audit"))
    assert verdict.status is Status.PASSED
    assert verdict.reasons[0].description.startswith("audit only: ")
    assert verdict.evidence["Candidate1"].startswith(code)
    assert judge(image, policy(pki, level="permissive")).status is Status.FAILED


def test_audit_passes_when_one_signature_is_intact_though_untrusted_beside_a_tampered_one(ecr, pusher, judge, pki):
    image = new_image(ecr, pusher)
    push_notation_signature(pusher, "team/app", image, bad_envelope("tampered-payload", pki, target_of(image)))
    push_notation_signature(pusher, "team/app", image, bad_envelope("untrusted-root", pki, target_of(image)))
    verdict = judge(image, policy(pki, level="audit"))
    assert verdict.status is Status.PASSED
    assert sorted(verdict.evidence[f"Candidate{i}"].split(":")[0] for i in (1, 2)) == [
        "BAD_SIGNATURE",
        "UNTRUSTED_ROOT",
    ]


@pytest.mark.parametrize(
    ("case", "code"),
    [("expired-signature", "SIGNATURE_EXPIRED"), ("expired-leaf", "CERTIFICATE_EXPIRED")],
)
def test_permissive_records_expiry_and_timestamp_failures_but_enforces_them_no_further(
    ecr, pusher, judge, pki, case, code
):
    image = new_image(ecr, pusher)
    if case == "expired-leaf":
        chain_ = [pki["expired"], pki["int"], pki["root"]]
        envelope = jws(pki["expired"], chain_, target_of(image), signing_time=NOW - timedelta(days=5))
    else:
        expiry = {"io.cncf.notary.expiry": (NOW - timedelta(days=1)).isoformat()}
        crit = ["io.cncf.notary.signingScheme", "io.cncf.notary.expiry"]
        envelope = jws(pki["leaf"], chain(pki), target_of(image), crit=crit, extra=expiry)
    push_notation_signature(pusher, "team/app", image, envelope)

    strict = judge(image, policy(pki))
    permissive = judge(image, policy(pki, level="permissive"))

    assert strict.status is Status.FAILED
    assert strict.reasons[0].code == code
    assert permissive.status is Status.PASSED, permissive.reasons
    assert permissive.evidence["Logged"].startswith(f"{code}: ")


def test_permissive_still_enforces_authenticity(ecr, pusher, judge, pki):
    image = new_image(ecr, pusher)
    push_notation_signature(
        pusher, "team/app", image, jws(pki["other_leaf"], [pki["other_leaf"], pki["other_root"]], target_of(image))
    )
    verdict = judge(image, policy(pki, level="permissive"))
    assert verdict.status is Status.FAILED
    assert verdict.reasons[0].code == "UNTRUSTED_ROOT"


def test_the_first_matching_trust_policy_applies(ecr, pusher, judge, pki):
    image = new_image(ecr, pusher)
    push_notation_signature(pusher, "team/app", image, jws(pki["leaf"], chain(pki), target_of(image)))
    stranger = {
        "name": "strangers",
        "scopes": ["team/app"],
        "trust_stores": ["ca:acme"],
        "trusted_identities": ["x509.subject: C=US, ST=WA, O=Nobody"],
    }
    release = {"name": "release", "scopes": ["*"], "trust_stores": ["ca:acme"], "trusted_identities": [SUBJECT]}
    verdict = judge(image, policy(pki, trust_policies=[stranger, release]))
    assert verdict.evidence["TrustPolicy"] == "strangers"
    assert verdict.status is Status.FAILED
    assert judge(image, policy(pki, trust_policies=[release, stranger])).status is Status.PASSED


def test_no_matching_trust_policy_fails(ecr, pusher, judge, pki):
    image = new_image(ecr, pusher)
    only = {"name": "other", "scopes": ["elsewhere/*"], "trust_stores": ["ca:acme"], "trusted_identities": [SUBJECT]}
    assert [r.code for r in judge(image, policy(pki, trust_policies=[only])).reasons] == ["NO_TRUST_POLICY"]


def test_the_signature_manifest_itself_is_not_judged(ecr, pusher, judge, pki):
    image = new_image(ecr, pusher)
    signature = push_notation_signature(pusher, "team/app", image, jws(pki["leaf"], chain(pki), target_of(image)))
    ecr.put_image(repositoryName="team/app", imageManifest=signature.manifest.decode(), imageDigest=signature.digest,
                  imageManifestMediaType=signature.media_type)  # fmt: skip
    assert judge(signature, policy(pki)) is None


@pytest.mark.parametrize("identity", ["*", " * ", ""])
def test_a_wildcard_identity_is_refused_at_policy_load(pki, identity):
    with pytest.raises(PolicyError) as error:
        policy(pki, identities=[identity])
    assert "container.signatures.trust_policies[0].trusted_identities[0]" in str(error.value)


def test_a_trust_store_reference_must_be_typed(pki):
    bad = {"name": "x", "trust_stores": ["acme"], "trusted_identities": [SUBJECT]}
    with pytest.raises(PolicyError, match=r"trust_policies\[0\].trust_stores\[0\]"):
        policy(pki, trust_policies=[bad])


# --- COSE envelopes (`application/cose`): the same rules, the other Notation envelope format ---


@pytest.fixture(scope="session")
def es384_leaf(pki: dict[str, Issued]) -> Issued:
    return issue("cose signer", pki["int"], ca=False, key=ec.generate_private_key(ec.SECP384R1()))


def test_a_cose_es384_signature_passes(ecr, pusher, judge, pki, es384_leaf):
    image = new_image(ecr, pusher)
    envelope = cose(es384_leaf, [es384_leaf, pki["int"], pki["root"]], target_of(image))
    push_notation_signature(pusher, "team/app", image, envelope, COSE)
    verdict = judge(image, policy(pki))
    assert verdict.status is Status.PASSED, verdict.reasons
    assert verdict.evidence["Format"] == "notation application/cose ES384"
    assert verdict.evidence["SigningScheme"] == "notary.x509"
    assert verdict.evidence["TrustedIdentity"] == SUBJECT
    assert verdict.evidence["SigningTime"] == (NOW - timedelta(hours=1)).isoformat()


def test_a_cose_rsa_pss_3072_signature_passes(ecr, pusher, judge, pki):
    image = new_image(ecr, pusher)
    push_notation_signature(
        pusher, "team/app", image, cose(pki["rsa_leaf"], chain(pki, "rsa_leaf"), target_of(image)), COSE
    )
    verdict = judge(image, policy(pki))
    assert verdict.status is Status.PASSED, verdict.reasons
    assert verdict.evidence["Format"] == "notation application/cose PS384"


def test_a_cose_signing_authority_signature_passes_at_its_authentic_signing_time(ecr, pusher, judge, pki):
    image = new_image(ecr, pusher)
    envelope = cose(
        pki["sa_leaf"],  # valid three days, expired 17 days ago
        chain(pki, "sa_leaf", "sa_int", "sa_root"),
        target_of(image),
        scheme="notary.x509.signingAuthority",
        signing_time=NOW - timedelta(days=19),
        extra={**SIGNER_JOB, "com.amazonaws.signer.signingProfileVersion": f"{PROFILE}/a1b2c3"},
    )
    push_notation_signature(pusher, "team/app", image, envelope, COSE)
    verdict = judge(image, policy(pki))
    assert verdict.status is Status.PASSED, verdict.reasons
    assert verdict.evidence["SignedBy"] == f"{PROFILE}/a1b2c3"
    assert verdict.evidence["TrustedIdentity"] == PROFILE
    assert verdict.evidence["SigningScheme"] == "notary.x509.signingAuthority"
    assert verdict.evidence["SigningTime"] == (NOW - timedelta(days=19)).isoformat()


def bad_cose(case: str, p: dict[str, Issued], leaf: Issued, t: dict[str, Any]) -> bytes:
    """One COSE envelope breaking one rule (`case`) for an image whose descriptor is `t`; `leaf` is P-384."""
    good = [leaf, p["int"], p["root"]]
    scheme = "io.cncf.notary.signingScheme"
    sa_chain = [p["sa_leaf"], p["sa_int"], p["sa_root"]]
    sa_extra = {"com.amazonaws.signer.signingProfileVersion": f"{PROFILE}/a1b2c3"}
    cases = {
        "wrong-key": lambda: cose(Issued(leaf.cert, ec.generate_private_key(ec.SECP384R1())), good, t),
        "tampered-payload": lambda: cose(leaf, good, t, tamper_payload=True),
        "unknown-critical": lambda: cose(leaf, good, t, crit=[scheme, "SomeKey"], extra={"SomeKey": "x"}),
        "critical-label": lambda: cose(leaf, good, t, crit=[scheme, 99], extra={99: "x"}),
        "scheme-not-critical": lambda: cose(
            leaf, good, t, crit=["io.cncf.notary.expiry"], extra={"io.cncf.notary.expiry": NOW}
        ),
        "alg-es256-for-p384": lambda: cose(leaf, good, t, alg=-7),
        "alg-ps384-for-p384": lambda: cose(leaf, good, t, alg=-38),
        "another-digest": lambda: cose(leaf, good, {**t, "digest": "sha256:" + "0" * 64}),
        "untrusted-root": lambda: cose(p["other_leaf"], [p["other_leaf"], p["other_root"]], t),
        "untagged": lambda: cose(leaf, good, t, tag=None),
        "wrong-tag": lambda: cose(leaf, good, t, tag=98),  # COSE_Sign (many signers), not COSE_Sign1
        "malformed-cbor": lambda: cose(leaf, good, t)[:-7],
        "no-x5chain": lambda: cose(leaf, good, t, x5chain=False),
        "chain-too-long": lambda: cose(leaf, [leaf, *[p["int"]] * 8, p["root"]], t),
        "jws-sent-as-cose": lambda: jws(leaf, good, t),
        "time-not-tag-1": lambda: cose(leaf, good, t, extra={"io.cncf.notary.signingTime": "2026-11-28T11:00:00Z"}),
        "signing-authority-time-not-critical": lambda: cose(
            p["sa_leaf"],
            sa_chain,
            t,
            scheme="notary.x509.signingAuthority",
            crit=[scheme],
            signing_time=NOW - timedelta(days=19),
            extra=sa_extra,
        ),
    }
    return cases[case]()


@pytest.mark.parametrize(
    ("case", "code", "says"),
    [
        ("wrong-key", "BAD_SIGNATURE", "does not verify"),
        ("tampered-payload", "BAD_SIGNATURE", "does not verify"),
        ("unknown-critical", "UNKNOWN_CRITICAL_HEADER", "SomeKey"),
        ("critical-label", "UNKNOWN_CRITICAL_HEADER", "99"),
        ("scheme-not-critical", "MALFORMED_ENVELOPE", "io.cncf.notary.signingScheme is not marked critical"),
        ("alg-es256-for-p384", "ALGORITHM_MISMATCH", "ES384, -35"),
        ("alg-ps384-for-p384", "ALGORITHM_MISMATCH", "header alg -38"),
        ("another-digest", "WRONG_SUBJECT", "sha256:0000"),
        ("untrusted-root", "UNTRUSTED_ROOT", "CN=Other Root CA"),
        ("untagged", "MALFORMED_ENVELOPE", "untagged"),
        ("wrong-tag", "MALFORMED_ENVELOPE", "tag 98"),
        ("malformed-cbor", "MALFORMED_ENVELOPE", "not valid CBOR"),
        ("no-x5chain", "MALFORMED_ENVELOPE", "no x5chain (label 33)"),
        ("chain-too-long", "MALFORMED_ENVELOPE", "10 certificates (1 to 8 allowed)"),
        ("jws-sent-as-cose", "MALFORMED_ENVELOPE", "not valid CBOR"),
        ("time-not-tag-1", "MALFORMED_ENVELOPE", "io.cncf.notary.signingTime"),
        ("signing-authority-time-not-critical", "MALFORMED_ENVELOPE", "authenticSigningTime"),
    ],
)
def test_each_rule_fails_a_bad_cose_signature(ecr, pusher, judge, pki, es384_leaf, case, code, says):
    image = new_image(ecr, pusher)
    push_notation_signature(pusher, "team/app", image, bad_cose(case, pki, es384_leaf, target_of(image)), COSE)
    verdict = judge(image, policy(pki))
    assert verdict.status is Status.FAILED
    assert [r.code for r in verdict.reasons] == [code]
    assert says in verdict.reasons[0].description
    assert verdict.evidence["Candidate1"].startswith(code)


def test_a_cose_x5chain_may_be_one_byte_string(pki, es384_leaf):
    target = {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + "1" * 64, "size": 1}
    envelope = verify_cose(cose(es384_leaf, [es384_leaf], target))
    assert envelope.chain == (es384_leaf.cert,)
    assert (envelope.format, envelope.algorithm, envelope.target) == ("application/cose", "ES384", target)


def test_a_damaged_cose_envelope_is_a_signature_error_never_a_crash(pki, es384_leaf):
    """Every prefix and many random byte changes of a good envelope: verified or `SignatureError`."""
    target = {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + "1" * 64, "size": 1}
    good = cose(es384_leaf, [es384_leaf, pki["int"], pki["root"]], target)
    damaged = [good[:n] for n in range(0, len(good), 3)]
    rng = random.Random(7)
    for _ in range(600):
        changed = bytearray(good)
        for _ in range(rng.randint(1, 3)):
            changed[rng.randrange(len(changed))] = rng.randrange(256)
        damaged.append(bytes(changed))
    damaged += [b"\x81" * 100_000, b"\xd2" * 50_000 + b"\x00", b"\xbf" * 1000, bytes.fromhex("c11b7fffffffffffffff")]
    outcomes = set()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # cryptography warns about some damaged serial numbers
        for data in damaged:
            try:
                verify_cose(data)
                outcomes.add("verified")
            except SignatureError as error:
                outcomes.add(error.code)
    assert {"MALFORMED_ENVELOPE", "BAD_SIGNATURE"} <= outcomes
