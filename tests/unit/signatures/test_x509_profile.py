"""The Notary Project X.509 profile ("Certificate Requirements"): a conforming chain passes, and one real
certificate breaking each rule fails with the rule's reason."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID as EKU

from provenance_guard.signatures.envelope import SignatureError
from provenance_guard.signatures.x509_profile import CODE_SIGNING, TIMESTAMPING, check_chain
from tests.unit.signatures.pki import Cert, chain_of, key, make, resigned_with_sha1, usage
from tests.unit.signing_support import NOW

ROOT = make("Root", None, ca=True)
INTERMEDIATE = make("Intermediate", ROOT, ca=True)


def leaf(**overrides: object) -> Cert:
    return make("signer", INTERMEDIATE, ca=False, **overrides)  # type: ignore[arg-type]


def judge(*certs: Cert, profile=CODE_SIGNING) -> SignatureError | None:
    try:
        check_chain(chain_of(*certs), profile, NOW)
    except SignatureError as error:
        return error
    return None


def eku(*purposes: x509.ObjectIdentifier, critical: bool = False) -> tuple[x509.ExtendedKeyUsage, bool]:
    return x509.ExtendedKeyUsage(list(purposes)), critical


def test_a_conforming_chain_passes_with_or_without_a_code_signing_eku():
    assert judge(leaf(), INTERMEDIATE, ROOT) is None
    assert judge(leaf(extended_key_usage=eku(EKU.CODE_SIGNING)), INTERMEDIATE, ROOT) is None
    assert judge(leaf(basic_constraints=None), INTERMEDIATE, ROOT) is None
    assert (
        judge(leaf(key_usage=(usage(digital_signature=True, content_commitment=True), True)), INTERMEDIATE, ROOT)
        is None
    )


@pytest.mark.parametrize(
    ("case", "overrides", "words"),
    [
        ("no keyUsage", {"key_usage": None}, "no keyUsage"),
        ("keyUsage not critical", {"key_usage": (usage(digital_signature=True), False)}, "not critical"),
        ("no digitalSignature", {"key_usage": (usage(content_commitment=True), True)}, "lacks digitalSignature"),
        (
            "keyEncipherment",
            {"key_usage": (usage(digital_signature=True, key_encipherment=True), True)},
            "key_encipherment",
        ),
        ("keyCertSign", {"key_usage": (usage(digital_signature=True, key_cert_sign=True), True)}, "key_cert_sign"),
        ("cRLSign", {"key_usage": (usage(digital_signature=True, crl_sign=True), True)}, "crl_sign"),
        (
            "keyAgreement",
            {"key_usage": (usage(digital_signature=True, key_agreement=True, encipher_only=True), True)},
            "key_agreement, encipher_only",
        ),
        ("dataEncipherment", {"key_usage": (usage(digital_signature=True, data_encipherment=True), True)}, "data_"),
        ("cA true", {"basic_constraints": (x509.BasicConstraints(ca=True, path_length=None), True)}, "CA certificate"),
        ("anyExtendedKeyUsage", {"extended_key_usage": eku(EKU.ANY_EXTENDED_KEY_USAGE)}, "anyExtendedKeyUsage"),
        ("serverAuth", {"extended_key_usage": eku(EKU.CODE_SIGNING, EKU.SERVER_AUTH)}, "serverAuth"),
        ("clientAuth", {"extended_key_usage": eku(EKU.CLIENT_AUTH)}, "clientAuth"),
        ("emailProtection", {"extended_key_usage": eku(EKU.EMAIL_PROTECTION)}, "emailProtection"),
        ("timeStamping", {"extended_key_usage": eku(EKU.TIME_STAMPING, critical=True)}, "timeStamping"),
    ],
)
def test_each_leaf_rule(case, overrides, words):
    error = judge(leaf(**overrides), INTERMEDIATE, ROOT)
    assert error is not None, case
    assert error.code == "BAD_SIGNING_CERTIFICATE"
    assert words in error.description


def ca(cn: str, issuer: Cert | None, **overrides: object) -> Cert:
    return make(cn, issuer, ca=True, **overrides)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("case", "overrides", "words"),
    [
        ("no basicConstraints", {"basic_constraints": None}, "no critical basicConstraints"),
        (
            "basicConstraints not critical",
            {"basic_constraints": (x509.BasicConstraints(ca=True, path_length=None), False)},
            "no critical basicConstraints",
        ),
        (
            "cA false",
            {"basic_constraints": (x509.BasicConstraints(ca=False, path_length=None), True)},
            "no critical basicConstraints",
        ),
        ("no keyUsage", {"key_usage": None}, "no critical keyUsage"),
        ("keyUsage not critical", {"key_usage": (usage(key_cert_sign=True), False)}, "no critical keyUsage"),
        ("no keyCertSign", {"key_usage": (usage(crl_sign=True, digital_signature=True), True)}, "lacks keyCertSign"),
    ],
)
def test_each_ca_rule_on_the_intermediate(case, overrides, words):
    intermediate = ca("Broken Intermediate", ROOT, **overrides)
    error = judge(make("signer", intermediate, ca=False), intermediate, ROOT)
    assert error is not None, case
    assert (error.code, words in error.description) == ("BAD_CA_CERTIFICATE", True)


def test_the_ca_rules_apply_to_the_root_too():
    root = ca("Root without keyCertSign", None, key_usage=(usage(crl_sign=True), True))
    error = judge(make("signer", root, ca=False), root)
    assert error is not None
    assert error.code == "BAD_CA_CERTIFICATE"
    assert "certificate 1" in error.description


def test_path_length_is_verified_against_the_cas_below():
    root = ca("Root pathLen 0", None, basic_constraints=(x509.BasicConstraints(ca=True, path_length=0), True))
    intermediate = ca("Intermediate under pathLen 0", root)
    error = judge(make("signer", intermediate, ca=False), intermediate, root)
    assert error is not None
    assert error.code == "BAD_CA_CERTIFICATE"
    assert "pathLenConstraint" in error.description
    # pathLen 0 on the issuing CA, pathLen 1 on the root: conforming.
    root1 = ca("Root pathLen 1", None, basic_constraints=(x509.BasicConstraints(ca=True, path_length=1), True))
    issuing = ca("Issuing pathLen 0", root1, basic_constraints=(x509.BasicConstraints(ca=True, path_length=0), True))
    assert judge(make("signer", issuing, ca=False), issuing, root1) is None


def test_other_extensions_fail_open_name_constraints_and_unknown_critical_ones():
    """`cryptography.x509.verification` would refuse both; the spec says they are not evaluated."""
    constraints = x509.NameConstraints(permitted_subtrees=[x509.DNSName("example.com")], excluded_subtrees=None)
    intermediate = ca("Constrained", ROOT, extra=((constraints, True),))
    outside = x509.SubjectAlternativeName([x509.DNSName("elsewhere.org")])
    unknown = x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.99999.1"), b"\x05\x00")
    signer = make("signer", intermediate, ca=False, extra=((outside, False), (unknown, True)))
    assert judge(signer, intermediate, ROOT) is None


def test_a_root_alone_must_meet_the_leaf_rules():
    self_signed_leaf = make("self-signed signer", None, ca=False)
    assert judge(self_signed_leaf) is None
    error = judge(ROOT)
    assert error is not None
    assert error.code == "BAD_SIGNING_CERTIFICATE"


def test_the_chain_must_be_ordered_and_end_at_a_root():
    assert judge(leaf(), ROOT, INTERMEDIATE).code == "BROKEN_CHAIN"  # type: ignore[union-attr]
    assert judge(leaf(), INTERMEDIATE).code == "BROKEN_CHAIN"  # type: ignore[union-attr]
    stranger = make("signer", make("Other Root", None, ca=True, private_key=key("p521")), ca=False)
    assert judge(stranger, INTERMEDIATE, ROOT).code == "BROKEN_CHAIN"  # type: ignore[union-attr]


def test_weak_keys_and_sha1_are_refused():
    small_rsa = leaf(private_key=key("rsa-1024"))
    assert judge(small_rsa, INTERMEDIATE, ROOT).code == "WEAK_CERTIFICATE"  # type: ignore[union-attr]
    small_ec = leaf(private_key=key("p224"))
    assert judge(small_ec, INTERMEDIATE, ROOT).code == "WEAK_CERTIFICATE"  # type: ignore[union-attr]
    rsa_root = make("RSA Root", None, ca=True, private_key=key("rsa-2048"))
    sha1 = resigned_with_sha1(make("signer", rsa_root, ca=False), rsa_root)
    error = judge(sha1, rsa_root)
    assert error is not None
    assert error.code == "WEAK_CERTIFICATE"
    assert "sha1" in error.description


def test_every_certificate_is_valid_over_the_whole_range():
    expired_intermediate = ca("Old Intermediate", ROOT, not_after=NOW - timedelta(seconds=1))
    error = judge(make("signer", expired_intermediate, ca=False), expired_intermediate, ROOT)
    assert error is not None
    assert error.code == "CERTIFICATE_NOT_VALID_AT_SIGNING"
    assert "certificate 1" in error.description
    short = leaf(not_after=NOW + timedelta(seconds=5))
    chain = chain_of(short, INTERMEDIATE, ROOT)
    check_chain(chain, CODE_SIGNING, NOW, NOW + timedelta(seconds=5))
    with pytest.raises(SignatureError, match=r"from .* to "):
        check_chain(chain, CODE_SIGNING, NOW, NOW + timedelta(seconds=6))


def tsa(**overrides: object) -> Cert:
    defaults: dict[str, object] = {"extended_key_usage": eku(EKU.TIME_STAMPING, critical=True)}
    return make("TSA", INTERMEDIATE, ca=False, **{**defaults, **overrides})  # type: ignore[arg-type]


def test_the_timestamping_profile():
    assert judge(tsa(), INTERMEDIATE, ROOT, profile=TIMESTAMPING) is None
    assert (
        judge(tsa(key_usage=(usage(digital_signature=True), False)), INTERMEDIATE, ROOT, profile=TIMESTAMPING) is None
    )
    for broken in (
        tsa(extended_key_usage=None),
        tsa(extended_key_usage=eku(EKU.TIME_STAMPING)),
        tsa(extended_key_usage=eku(EKU.TIME_STAMPING, EKU.CODE_SIGNING, critical=True)),
        tsa(key_usage=None),
    ):
        error = judge(broken, INTERMEDIATE, ROOT, profile=TIMESTAMPING)
        assert error is not None
        assert error.code == "BAD_TIMESTAMP_CERTIFICATE"
    assert judge(tsa(), INTERMEDIATE, ROOT).code == "BAD_SIGNING_CERTIFICATE"  # type: ignore[union-attr]
