"""RFC 3161 countersignatures on Notation signatures: real TimeStampTokens from a generated TSA, verified
on their own (each rule broken once) and inside a JWS and a COSE envelope, where a timestamp within the
signing certificate's validity makes a signature whose certificate has since expired verify."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import cbor2
import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from provenance_guard.policy import TrustPolicy
from provenance_guard.signatures.envelope import SignatureError
from provenance_guard.signatures.timestamp import load_roots, verify_timestamp, within_validity
from provenance_guard.signatures.verify import Subject, open_envelope, verify
from tests.unit.signatures.pki import key, make
from tests.unit.signatures.tsa_support import token, tsa_pki
from tests.unit.signing_support import NOW, cose, jws

PKI = tsa_pki()
ROOTS = (PKI["root"].cert,)
CODE_ROOT = make("Code Root", None, ca=True, not_before=NOW - timedelta(days=3650))
CODE_CA = make("Code CA", CODE_ROOT, ca=True, not_before=NOW - timedelta(days=3650))
# Valid for 30 days, a year ago: expired now.
OLD_LEAF = make(
    "release signer", CODE_CA, ca=False, not_before=NOW - timedelta(days=400), not_after=NOW - timedelta(days=370)
)
SIGNED_AT = NOW - timedelta(days=390)
SUBJECT = Subject("sha256:" + "a" * 64, "application/vnd.oci.image.manifest.v1+json", 1234)
TARGET = {"digest": SUBJECT.digest, "mediaType": SUBJECT.media_type, "size": SUBJECT.size}
STORES = {"ca:acme": CODE_ROOT.pem}


def trust_policy(level: str = "strict") -> TrustPolicy:
    return TrustPolicy("release", ("*",), level, ("ca:acme",), ("x509.subject: C=US, ST=WA, O=Example Org",))  # type: ignore[arg-type]


def stamped_jws(**token_options: object) -> bytes:
    raw = jws(OLD_LEAF, [OLD_LEAF, CODE_CA, CODE_ROOT], TARGET, signing_time=SIGNED_AT)  # type: ignore[list-item]
    document = json.loads(raw)
    signature = base64.urlsafe_b64decode(document["signature"] + "==")
    options = {"gen_time": SIGNED_AT + timedelta(minutes=1), **token_options}
    issued = token(PKI["tsa"], [PKI["tsa"]], signature, **options)  # type: ignore[arg-type]
    document["header"]["io.cncf.notary.timestampSignature"] = base64.b64encode(issued).decode()
    return json.dumps(document).encode()


def test_a_token_verifies_with_its_range():
    issued = token(PKI["tsa"], [PKI["tsa"]], b"signature", accuracy={"seconds": 1, "millis": 500})
    stamped = verify_timestamp(issued, b"signature", ROOTS)
    assert stamped.gen_time == NOW
    assert (stamped.lower, stamped.upper) == (NOW - timedelta(seconds=1.5), NOW + timedelta(seconds=1.5))
    assert "CN=Test TSA" in stamped.authority


def test_accuracy_defaults_to_one_second_under_the_baseline_policy_only():
    baseline = token(PKI["tsa"], [PKI["tsa"]], b"s", policy="0.4.0.2023.1.1")
    assert verify_timestamp(baseline, b"s", ROOTS).upper == NOW + timedelta(seconds=1)
    assert verify_timestamp(token(PKI["tsa"], [PKI["tsa"]], b"s"), b"s", ROOTS).upper == NOW


@pytest.mark.parametrize("hash_name", ["sha384", "sha512"])
def test_other_sha2_imprints(hash_name):
    assert verify_timestamp(token(PKI["tsa"], [PKI["tsa"]], b"s", hash_name=hash_name), b"s", ROOTS)


def failure(issued: bytes, timestamped: bytes = b"s", roots=ROOTS) -> str:
    with pytest.raises(SignatureError) as raised:
        verify_timestamp(issued, timestamped, roots)
    return f"{raised.value.code}: {raised.value.description}"


def test_each_rule_of_a_token():
    tsa = PKI["tsa"]
    assert failure(token(tsa, [tsa], b"other bytes")).startswith("BAD_TIMESTAMP: the timestamp is not over")
    assert failure(token(tsa, [tsa], b"s", wrong_imprint=True)).startswith("BAD_TIMESTAMP")
    assert "message-digest" in failure(token(tsa, [tsa], b"s", tamper_info=True))
    assert "signing-certificate-v2" in failure(token(tsa, [tsa], b"s", signing_certificate_v2=False))
    assert failure(token(tsa, [], b"s")).startswith("BAD_TIMESTAMP: the timestamp token does not hold")
    assert failure(b"\x30\x03\x02\x01\x01").startswith("BAD_TIMESTAMP: the timestamp token cannot be parsed")
    assert failure(token(tsa, [tsa], b"s"), roots=()).startswith("UNTRUSTED_TIMESTAMP")
    stranger = tsa_pki(root_key=key("p521-stranger"))
    assert failure(token(tsa, [tsa], b"s"), roots=(stranger["root"].cert,)).startswith("UNTRUSTED_TIMESTAMP")


def test_a_forged_signature_on_the_token_fails():
    forger = tsa_pki(root_key=key("p521-forger"), private_key=key("p256-forger"))["tsa"]
    # The forger's key signs, but the token names (and carries) the real TSA certificate.
    forged = token(forger, [PKI["tsa"]], b"s")
    assert "signing-certificate-v2" in failure(forged) or "does not hold" in failure(forged)


def test_the_tsa_certificate_must_be_a_timestamping_certificate():
    code_signing = tsa_pki(extended_key_usage=(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), False))
    issued = token(code_signing["tsa"], [code_signing["tsa"]], b"s")
    assert failure(issued, roots=(code_signing["root"].cert,)).startswith("BAD_TIMESTAMP_CERTIFICATE")
    not_critical = tsa_pki(extended_key_usage=(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), False))
    issued = token(not_critical["tsa"], [not_critical["tsa"]], b"s")
    assert failure(issued, roots=(not_critical["root"].cert,)).startswith("BAD_TIMESTAMP_CERTIFICATE")


def test_the_range_must_lie_within_the_signing_chain():
    chain = [OLD_LEAF.cert, CODE_CA.cert, CODE_ROOT.cert]
    inside = token(PKI["tsa"], [PKI["tsa"]], b"s", gen_time=SIGNED_AT)
    within_validity(verify_timestamp(inside, b"s", ROOTS), chain)
    edge = token(PKI["tsa"], [PKI["tsa"]], b"s", gen_time=OLD_LEAF.cert.not_valid_after_utc, accuracy={"seconds": 1})
    with pytest.raises(SignatureError, match="outside the validity of signing certificate 0"):
        within_validity(verify_timestamp(edge, b"s", ROOTS), chain)


def test_load_roots_names_tsa_stores():
    assert load_roots({"tsa:acme": PKI["root"].pem}) == ROOTS
    with pytest.raises(SignatureError, match="is not tsa:<name>"):
        load_roots({"ca:acme": PKI["root"].pem})
    with pytest.raises(SignatureError, match="no readable PEM"):
        load_roots({"tsa:acme": "not pem"})


def test_a_timestamped_jws_whose_certificate_expired_verifies_under_strict():
    verified = verify(stamped_jws(), "application/jose+json", SUBJECT, trust_policy(), STORES, NOW, ROOTS)
    assert verified.timestamp is not None
    assert verified.timestamp.gen_time == SIGNED_AT + timedelta(minutes=1)
    assert verified.logged == ()


def test_without_trusted_timestamp_authorities_the_expired_certificate_fails():
    with pytest.raises(SignatureError, match="expired") as raised:
        verify(stamped_jws(), "application/jose+json", SUBJECT, trust_policy(), STORES, NOW, ())
    assert raised.value.code == "CERTIFICATE_EXPIRED"


def test_a_timestamp_after_the_certificate_expired_fails_and_is_logged_below_strict():
    late = stamped_jws(gen_time=NOW - timedelta(days=1))
    with pytest.raises(SignatureError) as raised:
        verify(late, "application/jose+json", SUBJECT, trust_policy(), STORES, NOW, ROOTS)
    assert raised.value.code == "TIMESTAMP_OUTSIDE_VALIDITY"
    verified = verify(late, "application/jose+json", SUBJECT, trust_policy("permissive"), STORES, NOW, ROOTS)
    assert verified.logged[0].startswith("TIMESTAMP_OUTSIDE_VALIDITY")


def test_a_timestamp_over_another_signature_fails():
    document = json.loads(stamped_jws())
    document["header"]["io.cncf.notary.timestampSignature"] = base64.b64encode(
        token(PKI["tsa"], [PKI["tsa"]], b"another signature", gen_time=SIGNED_AT)
    ).decode()
    with pytest.raises(SignatureError) as raised:
        verify(json.dumps(document).encode(), "application/jose+json", SUBJECT, trust_policy(), STORES, NOW, ROOTS)
    assert raised.value.code == "BAD_TIMESTAMP"


def test_a_timestamp_header_that_is_not_base64_is_a_malformed_envelope():
    document = json.loads(stamped_jws())
    document["header"]["io.cncf.notary.timestampSignature"] = "%%%"
    with pytest.raises(SignatureError) as raised:
        open_envelope(json.dumps(document).encode(), "application/jose+json")
    assert raised.value.code == "MALFORMED_ENVELOPE"


def test_a_timestamped_cose_envelope_verifies():
    raw = cose(OLD_LEAF, [OLD_LEAF, CODE_CA, CODE_ROOT], TARGET, signing_time=SIGNED_AT)  # type: ignore[list-item]
    message = cbor2.loads(raw)
    protected, unprotected, payload, signature = message.value
    issued = token(PKI["tsa"], [PKI["tsa"], PKI["root"]], signature, gen_time=SIGNED_AT)
    unprotected["io.cncf.notary.timestampSignature"] = issued
    stamped = cbor2.dumps(cbor2.CBORTag(18, [protected, unprotected, payload, signature]))
    verified = verify(stamped, "application/cose", SUBJECT, trust_policy(), STORES, NOW, ROOTS)
    assert verified.timestamp is not None
    assert verified.timestamp.gen_time == SIGNED_AT
