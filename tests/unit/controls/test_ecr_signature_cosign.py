"""PG.ECR.3 for cosign key-based signatures, with real keys: legacy `sha256-<hex>.sig` simple-signing
layers and cosign v3 Sigstore bundles (DSSE), pushed to the real docker-registry on loopback, read back by
the image collector and judged by the control under the repository's trust policy."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from provenance_guard.model import Status
from provenance_guard.policy import Policy, PolicyError
from provenance_guard.triggers import parse_event
from provenance_guard_cli.local_registry import image_manifest, push_image
from tests.unit.controls.conftest import new_image
from tests.unit.cosign_support import (
    SLSA_PREDICATE,
    dsse_bundle,
    ecdsa_key,
    key_identity,
    layer,
    public_pem,
    push_bundle,
    push_legacy,
    simple_signing,
    statement,
)
from tests.unit.ecr_support import ecr_event

OTHER_DIGEST = "sha256:" + "0" * 64


@pytest.fixture(scope="module")
def keys() -> dict[str, Any]:
    return {
        "ecdsa": ecdsa_key(),
        "rsa": rsa.generate_private_key(65537, 2048),
        "ed25519": ed25519.Ed25519PrivateKey.generate(),
        "stranger": ecdsa_key(),
    }


def policy(*pems: str, level: str = "strict") -> Policy:
    trust_policy = {"name": "release", "scopes": ["team/*"], "verification_level": level}
    signatures = {"trust_policies": [trust_policy], "cosign_public_keys": list(pems)}
    return Policy.from_document({"version": 1, "container": {"signatures": signatures}})


def codes(verdict: Any) -> list[str]:
    return [r.code for r in verdict.reasons]


# --- legacy `sha256-<hex>.sig` ---------------------------------------------------------------------------


def test_a_legacy_ecdsa_signature_passes_with_its_evidence(ecr, pusher, judge, keys):
    image = new_image(ecr, pusher)
    signature = push_legacy(pusher, "team/app", image.digest, [layer(keys["ecdsa"], simple_signing(image.digest))])
    verdict = judge(image, policy(public_pem(keys["ecdsa"])))
    assert verdict.status is Status.PASSED, verdict.reasons
    assert verdict.evidence["Signature"] == signature.digest
    assert verdict.evidence["SignedBy"] == key_identity(keys["ecdsa"])
    assert verdict.evidence["TrustedIdentity"] == "container.signatures.cosign_public_keys[0]"
    assert verdict.evidence["SigningScheme"] == "cosign"
    assert verdict.evidence["Format"] == "cosign simple-signing"
    assert verdict.evidence["Algorithm"] == "ECDSA P-256 SHA-256"
    assert verdict.evidence["TrustPolicy"] == "release"
    assert judge(image, policy(public_pem(keys["ecdsa"]))).evidence == verdict.evidence  # stable fingerprint


@pytest.mark.parametrize(("name", "algorithm"), [("rsa", "RSA-2048 PKCS#1 v1.5 SHA-256"), ("ed25519", "Ed25519")])
def test_rsa_and_ed25519_keys_verify(ecr, pusher, judge, keys, name, algorithm):
    image = new_image(ecr, pusher)
    push_legacy(pusher, "team/app", image.digest, [layer(keys[name], simple_signing(image.digest))])
    verdict = judge(image, policy(public_pem(keys["ecdsa"]), public_pem(keys[name])))
    assert verdict.status is Status.PASSED, verdict.reasons
    assert verdict.evidence["Algorithm"] == algorithm
    assert verdict.evidence["TrustedIdentity"] == "container.signatures.cosign_public_keys[1]"


def bad_layer(case: str, keys: dict[str, Any], digest: str) -> tuple[bytes, dict[str, str]]:
    key = keys["ecdsa"]
    if case == "wrong-key":
        return layer(keys["stranger"], simple_signing(digest))
    if case == "another-digest":
        return layer(key, simple_signing(OTHER_DIGEST))
    if case == "wrong-type":
        return layer(key, simple_signing(digest, kind="atomic container signature"))
    if case == "tampered-payload":
        return layer(key, simple_signing(digest, reference="evil.example/x"), signed=simple_signing(digest))
    if case == "no-signature":
        return simple_signing(digest), {}
    if case == "not-json":
        return layer(key, b"not json")
    assert case == "keyless"
    return layer(key, simple_signing(digest), **{"dev.sigstore.cosign/certificate": "-----BEGIN CERTIFICATE-----"})


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("wrong-key", "BAD_SIGNATURE"),
        ("another-digest", "WRONG_SUBJECT"),
        ("wrong-type", "WRONG_PAYLOAD_TYPE"),
        ("tampered-payload", "BAD_SIGNATURE"),
        ("no-signature", "MALFORMED_SIGNATURE"),
        ("not-json", "MALFORMED_PAYLOAD"),
        ("keyless", "KEYLESS_NOT_SUPPORTED"),
    ],
)
def test_each_rule_fails_a_bad_legacy_signature(ecr, pusher, judge, keys, case, code):
    image = new_image(ecr, pusher)
    push_legacy(pusher, "team/app", image.digest, [bad_layer(case, keys, image.digest)])
    verdict = judge(image, policy(public_pem(keys["ecdsa"])))
    assert verdict.status is Status.FAILED
    assert codes(verdict) == [code]
    assert verdict.evidence["Candidate1"].startswith(f"{code}: sha256:")
    assert "layer 1" in verdict.evidence["Candidate1"]


def test_one_good_layer_among_bad_ones_passes(ecr, pusher, judge, keys):
    image = new_image(ecr, pusher)
    layers = [layer(keys["stranger"], simple_signing(image.digest)), layer(keys["ecdsa"], simple_signing(image.digest))]
    push_legacy(pusher, "team/app", image.digest, layers)
    verdict = judge(image, policy(public_pem(keys["ecdsa"])))
    assert verdict.status is Status.PASSED
    assert verdict.evidence["SignatureLayer"] == "2"


def test_no_key_configured_fails_clearly(ecr, pusher, judge, keys):
    image = new_image(ecr, pusher)
    push_legacy(pusher, "team/app", image.digest, [layer(keys["ecdsa"], simple_signing(image.digest))])
    verdict = judge(image, policy())
    assert verdict.status is Status.FAILED
    assert codes(verdict) == ["NO_COSIGN_KEY"]
    assert "cosign_public_keys" in verdict.reasons[0].description


def test_an_unreadable_key_is_a_reason_and_does_not_hide_a_good_one(ecr, pusher, judge, keys):
    image = new_image(ecr, pusher)
    push_legacy(pusher, "team/app", image.digest, [layer(keys["ecdsa"], simple_signing(image.digest))])
    garbage = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"
    failed = judge(image, policy(garbage))
    assert codes(failed) == ["NO_COSIGN_KEY", "BAD_COSIGN_KEY"]
    assert "cosign_public_keys[0] is not a readable PEM public key" in failed.reasons[1].description
    passed = judge(image, policy(garbage, public_pem(keys["ecdsa"])))
    assert passed.status is Status.PASSED
    assert "cosign_public_keys[0]" in passed.evidence["UnusableCosignKeys"]


def test_a_configured_key_is_named_when_an_image_is_unsigned(ecr, pusher, judge):
    image = new_image(ecr, pusher)
    garbage = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"
    assert codes(judge(image, policy(garbage))) == ["NOT_SIGNED", "BAD_COSIGN_KEY"]


def test_the_legacy_signature_manifest_itself_is_not_judged(ecr, pusher, judge, keys):
    image = new_image(ecr, pusher)
    signature = push_legacy(pusher, "team/app", image.digest, [layer(keys["ecdsa"], simple_signing(image.digest))])
    ecr.put_image(repositoryName="team/app", imageManifest=signature.manifest.decode(), imageDigest=signature.digest,
                  imageManifestMediaType=signature.media_type, imageTag=f"sha256-{image.digest[7:]}.sig")  # fmt: skip
    assert judge(signature, policy(public_pem(keys["ecdsa"]))) is None


def test_a_legacy_attestation_manifest_is_not_judged_as_an_image(ecr, pusher, judge, keys):
    image = new_image(ecr, pusher)
    envelope = b'{"payloadType": "application/vnd.in-toto+json", "payload": "", "signatures": []}'
    document = image_manifest(pusher, "team/app", layer=envelope)
    document["layers"][0]["mediaType"] = "application/vnd.dsse.envelope.v1+json"
    attestation = push_image(ecr, pusher, "team/app", document, f"sha256-{image.digest[7:]}.att")
    assert judge(attestation, policy(public_pem(keys["ecdsa"]))) is None


# --- cosign v3 bundles -------------------------------------------------------------------------------------


def test_a_v3_bundle_passes(ecr, pusher, judge, keys):
    image = new_image(ecr, pusher)
    referrer = push_bundle(pusher, "team/app", image, dsse_bundle(keys["ecdsa"], statement(image.digest)))
    verdict = judge(image, policy(public_pem(keys["ecdsa"])))
    assert verdict.status is Status.PASSED, verdict.reasons
    assert verdict.evidence["Signature"] == referrer.digest
    assert verdict.evidence["Format"] == "cosign bundle v0.3 dsse"
    assert verdict.evidence["SignedBy"] == key_identity(keys["ecdsa"])
    assert "SignatureLayer" not in verdict.evidence
    assert judge(image, policy(public_pem(keys["ecdsa"]))).evidence == verdict.evidence


def test_the_referrers_index_lists_a_bundle_with_its_predicate_annotation(ecr, pusher, keys):
    """The collector orders bundles by this annotation (signatures before attestations)."""
    from provenance_guard.oci.registry import RegistryReader

    image = new_image(ecr, pusher)
    push_bundle(pusher, "team/app", image, dsse_bundle(keys["ecdsa"], statement(image.digest)))
    (listed,) = RegistryReader(pusher.url).referrers("team/app", image.digest)
    assert listed.annotations["dev.sigstore.bundle.predicateType"] == "https://sigstore.dev/cosign/sign/v1"


def test_an_ed25519_bundle_passes(ecr, pusher, judge, keys):
    image = new_image(ecr, pusher)
    push_bundle(pusher, "team/app", image, dsse_bundle(keys["ed25519"], statement(image.digest)))
    assert judge(image, policy(public_pem(keys["ed25519"]))).status is Status.PASSED


def test_an_attestation_is_not_counted_as_a_signature(ecr, pusher, judge, keys):
    image = new_image(ecr, pusher)
    attestation = dsse_bundle(keys["ecdsa"], statement(image.digest, SLSA_PREDICATE))
    push_bundle(pusher, "team/app", image, attestation, SLSA_PREDICATE)
    verdict = judge(image, policy(public_pem(keys["ecdsa"])))
    assert verdict.status is Status.FAILED
    assert codes(verdict) == ["NOT_A_SIGNATURE"]
    # labelled a signature by its (unsigned) annotation, it still is not one
    push_bundle(pusher, "team/app", image, attestation)
    assert codes(judge(image, policy(public_pem(keys["ecdsa"])))) == ["NOT_A_SIGNATURE", "NOT_A_SIGNATURE"]


def bad_bundle(case: str, keys: dict[str, Any], digest: str) -> bytes:
    key = keys["ecdsa"]
    if case == "subject-mismatch":
        return dsse_bundle(key, statement(OTHER_DIGEST))
    if case == "tampered-dsse":
        return dsse_bundle(key, statement(digest), tamper=True)
    if case == "wrong-key":
        return dsse_bundle(keys["stranger"], statement(digest))
    if case == "keyless":
        return dsse_bundle(key, statement(digest), x509CertificateChain={"certificates": [{"rawBytes": "AAAA"}]})
    assert case == "message-signature"
    return b'{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json", "messageSignature": {}}'


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("subject-mismatch", "WRONG_SUBJECT"),
        ("tampered-dsse", "BAD_SIGNATURE"),
        ("wrong-key", "BAD_SIGNATURE"),
        ("keyless", "KEYLESS_NOT_SUPPORTED"),
        ("message-signature", "UNSUPPORTED_BUNDLE"),
    ],
)
def test_each_rule_fails_a_bad_bundle(ecr, pusher, judge, keys, case, code):
    image = new_image(ecr, pusher)
    push_bundle(pusher, "team/app", image, bad_bundle(case, keys, image.digest))
    verdict = judge(image, policy(public_pem(keys["ecdsa"])))
    assert verdict.status is Status.FAILED
    assert codes(verdict) == [code]


def test_a_bundle_of_another_image_listed_here_fails(ecr, pusher, judge, keys):
    image, other = new_image(ecr, pusher), new_image(ecr, pusher)
    bundle = push_bundle(pusher, "team/app", other, dsse_bundle(keys["ecdsa"], statement(other.digest)))
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [
        {"mediaType": bundle.media_type, "digest": bundle.digest, "size": bundle.size,
         "artifactType": "application/vnd.dev.sigstore.bundle.v0.3+json"}]}  # fmt: skip
    pusher.manifest("team/app", index, f"sha256-{image.digest[7:]}")
    verdict = judge(image, policy(public_pem(keys["ecdsa"])))
    assert codes(verdict) == ["UNREADABLE_SIGNATURE"]
    assert "its subject is not this image" in verdict.reasons[0].description


# --- levels, and alongside Notation ---------------------------------------------------------------------------


def test_audit_passes_and_records_why(ecr, pusher, judge, keys):
    image = new_image(ecr, pusher)
    push_legacy(pusher, "team/app", image.digest, [layer(keys["stranger"], simple_signing(image.digest))])
    verdict = judge(image, policy(public_pem(keys["ecdsa"]), level="audit"))
    assert verdict.status is Status.PASSED
    assert verdict.reasons[0].description.startswith("audit only: sha256:")
    assert verdict.evidence["Candidate1"].startswith("BAD_SIGNATURE")
    assert judge(image, policy(public_pem(keys["ecdsa"]), level="permissive")).status is Status.FAILED


def test_audit_enforces_the_integrity_of_a_cosign_signature(ecr, pusher, judge, keys):
    """A signature that verifies with a trusted key but names another digest, or a bundle that is not
    JSON, fails under audit; one that verifies with no configured key may be intact (it carries no key of
    its own), so audit only logs it."""
    image = new_image(ecr, pusher)
    push_legacy(pusher, "team/app", image.digest, [layer(keys["ecdsa"], simple_signing("sha256:" + "0" * 64))])
    verdict = judge(image, policy(public_pem(keys["ecdsa"]), level="audit"))
    assert verdict.status is Status.FAILED
    assert codes(verdict) == ["WRONG_SUBJECT"]


def test_legacy_and_bundle_candidates_are_counted_together(ecr, pusher, judge, keys):
    image = new_image(ecr, pusher)
    push_legacy(pusher, "team/app", image.digest, [layer(keys["stranger"], simple_signing(image.digest))])
    push_bundle(pusher, "team/app", image, dsse_bundle(keys["stranger"], statement(image.digest)))
    verdict = judge(image, policy(public_pem(keys["ecdsa"])))
    assert verdict.evidence["Candidates"] == "2"
    assert codes(verdict) == ["BAD_SIGNATURE", "BAD_SIGNATURE"]


# --- policy -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ("ssh-ed25519 AAAA", "not a PEM public key"),
        ("-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----", "private key"),
        ("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----", "not a PEM public key"),
        ("-----BEGIN PUBLIC KEY-----\nAA\n-----END PUBLIC KEY-----\n" * 2, "exactly one"),
    ],
)  # fmt: skip
def test_a_cosign_key_must_look_like_a_pem_public_key(entry, problem):
    with pytest.raises(PolicyError, match=r"container\.signatures\.cosign_public_keys\[0\]") as error:
        policy(entry)
    assert problem in str(error.value)


def test_a_real_public_key_loads(keys):
    assert policy(
        public_pem(keys["rsa"]), "  " + public_pem(keys["ecdsa"]) + "\n"
    ).container.signatures.cosign_public_keys


# --- the `.sig` push event ----------------------------------------------------------------------------------


def test_a_legacy_signature_push_re_judges_its_subject(ecr, pusher, keys, make_service, local_registry):
    trust_policy = {"name": "release", "scopes": ["team/*"]}
    signatures = {"trust_policies": [trust_policy], "cosign_public_keys": [public_pem(keys["ecdsa"])]}
    service = make_service({"version": 1, "container": {"signatures": signatures}}, registry_url=local_registry)
    image = new_image(ecr, pusher)
    pushed = ecr_event("ecr-image-action-push.json", **{"repository-name": "team/app", "image-digest": image.digest})
    first = service.pipeline.run(parse_event(pushed))
    status = {(e.verdict.control_id, e.ref.name): e.verdict.status.value for e in first.evaluated}
    assert status[("PG.ECR.3", f"team/app@{image.digest}")] == "FAILED"

    tag = f"sha256-{image.digest[7:]}.sig"
    signature = push_legacy(pusher, "team/app", image.digest, [layer(keys["ecdsa"], simple_signing(image.digest))])
    ecr.put_image(repositoryName="team/app", imageManifest=signature.manifest.decode(), imageDigest=signature.digest,
                  imageManifestMediaType=signature.media_type, imageTag=tag)  # fmt: skip
    sig_pushed = ecr_event(
        "ecr-image-action-push.json",
        **{"repository-name": "team/app", "image-digest": signature.digest, "image-tag": tag},
    )
    second = service.pipeline.run(parse_event(sig_pushed))
    assert {(e.verdict.control_id, e.ref.name, e.verdict.status.value) for e in second.evaluated} == {
        ("PG.ECR.3", f"team/app@{image.digest}", "PASSED")
    }
    assert second.imported == 1  # the FAILED finding is replaced by the PASSED one
