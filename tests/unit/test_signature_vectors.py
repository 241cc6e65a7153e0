"""Cross-implementation check: envelopes written by notation-go (the Notary Project's reference
implementation), COSE and JWS, verify with provenance-guard's verifier (tests/fixtures/signatures/SOURCES.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from provenance_guard.policy import TrustPolicy
from provenance_guard.signatures.envelope import SignatureError
from provenance_guard.signatures.verify import Subject, verify

VECTORS = Path(__file__).resolve().parents[1] / "fixtures" / "signatures" / "notation-go"
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
SUBJECT = Subject(
    "sha256:19dbd2e48e921426ee8ace4dc892edfb2ecdc1d1a72d5416c83670c30acecef0",
    "application/vnd.oci.image.manifest.v1+json",
    481,
)
ENVELOPES = [("cose_signature.sig", "application/cose"), ("jws_signature.sig", "application/jose+json")]
SIGNED_AT = {
    "cose_signature.sig": datetime(2023, 3, 14, 4, 45, 22, tzinfo=UTC),  # a CBOR tag-1 epoch time
    "jws_signature.sig": datetime(2023, 3, 14, 8, 10, 2, tzinfo=UTC),  # written as 2023-03-14T16:10:02+08:00
}


def trust_policy(identity: str = "x509.subject: C=US, ST=WA, O=Notary") -> TrustPolicy:
    return TrustPolicy(name="notation-go", trust_stores=("ca:notary",), trusted_identities=(identity,))


STORES = {"ca:notary": (VECTORS / "alpine.pem").read_text()}


@pytest.mark.parametrize(("name", "media_type"), ENVELOPES)
def test_notation_go_envelopes_verify(name, media_type):
    verified = verify((VECTORS / name).read_bytes(), media_type, SUBJECT, trust_policy(), STORES, NOW)
    assert (verified.format, verified.algorithm, verified.scheme) == (media_type, "PS256", "notary.x509")
    assert verified.identity == "CN=alpine,O=Notary,L=Seattle,ST=WA,C=US"
    assert datetime.fromisoformat(verified.signing_time) == SIGNED_AT[name]


@pytest.mark.parametrize(("name", "media_type"), ENVELOPES)
def test_notation_go_envelopes_fail_for_another_image_or_signer(name, media_type):
    envelope = (VECTORS / name).read_bytes()
    other = Subject("sha256:" + "0" * 64, SUBJECT.media_type, SUBJECT.size)
    with pytest.raises(SignatureError) as error:
        verify(envelope, media_type, other, trust_policy(), STORES, NOW)
    assert error.value.code == "WRONG_SUBJECT"
    with pytest.raises(SignatureError) as error:
        verify(envelope, media_type, SUBJECT, trust_policy("x509.subject: O=Someone Else"), STORES, NOW)
    assert error.value.code == "UNTRUSTED_IDENTITY"


def test_a_notation_go_cose_envelope_with_one_changed_signature_byte_fails():
    envelope = bytearray((VECTORS / "cose_signature.sig").read_bytes())
    envelope[-1] ^= 1  # the last byte of the RSA-PSS signature
    with pytest.raises(SignatureError) as error:
        verify(bytes(envelope), "application/cose", SUBJECT, trust_policy(), STORES, NOW)
    assert error.value.code == "BAD_SIGNATURE"
