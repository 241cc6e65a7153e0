"""Certificates for the signature-library tests, each extension chosen by the test: a code-signing chain
that meets the Notary Project profile by default, and keyword arguments that break one rule at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from tests.unit.signing_support import NOW

KEEP = object()
"""Default for an extension argument: the profile-conforming value."""
_KEYS: dict[str, Any] = {}


def key(name: str = "p256") -> Any:
    """A cached private key per name (key generation dominates test time otherwise)."""
    if name not in _KEYS:
        if name.startswith("rsa"):
            _KEYS[name] = rsa.generate_private_key(65537, int(name.partition("-")[2] or 2048))
        else:
            curve = {"p256": ec.SECP256R1(), "p384": ec.SECP384R1(), "p521": ec.SECP521R1(), "p224": ec.SECP224R1()}
            _KEYS[name] = ec.generate_private_key(curve[name.partition("-")[0]])
    return _KEYS[name]


@dataclass
class Cert:
    cert: x509.Certificate
    key: Any

    @property
    def pem(self) -> str:
        return self.cert.public_bytes(serialization.Encoding.PEM).decode()

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)


def usage(**bits: bool) -> x509.KeyUsage:
    names = (
        "digital_signature",
        "content_commitment",
        "key_encipherment",
        "data_encipherment",
        "key_agreement",
        "key_cert_sign",
        "crl_sign",
        "encipher_only",
        "decipher_only",
    )
    return x509.KeyUsage(**{n: bits.get(n, False) for n in names})


def make(
    cn: str,
    issuer: Cert | None,
    *,
    ca: bool,
    private_key: Any = None,
    not_before: datetime = NOW - timedelta(days=30),
    not_after: datetime = NOW + timedelta(days=365),
    basic_constraints: Any = KEEP,
    key_usage: Any = KEEP,
    extended_key_usage: Any = None,
    extra: tuple[tuple[x509.ExtensionType, bool], ...] = (),
    org: str = "Example Org",
) -> Cert:
    """A certificate; `basic_constraints` / `key_usage` are (value, critical) pairs, None to omit them."""
    private_key = private_key or key("p384" if ca else "p256")
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
            x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, "WA"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject if issuer else subject)
        .public_key(private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
    )
    if basic_constraints is KEEP:
        basic_constraints = (x509.BasicConstraints(ca=ca, path_length=None), True)
    if key_usage is KEEP:
        key_usage = (usage(key_cert_sign=True, crl_sign=True) if ca else usage(digital_signature=True), True)
    for extension in (basic_constraints, key_usage, extended_key_usage, *extra):
        if extension is not None:
            builder = builder.add_extension(extension[0], critical=extension[1])
    signer = issuer.key if issuer else private_key
    return Cert(builder.sign(signer, hashes.SHA256()), private_key)


def resigned_with_sha1(certificate: Cert, issuer: Cert) -> Cert:
    """`certificate` signed again by `issuer` (an RSA key) with SHA-1, which `cryptography` refuses to
    produce: the TBS is rebuilt with asn1crypto, naming sha1WithRSAEncryption."""
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives.asymmetric import padding

    parsed = asn1_x509.Certificate.load(certificate.der)
    tbs = parsed["tbs_certificate"]
    tbs["signature"] = asn1_x509.SignedDigestAlgorithm({"algorithm": "sha1_rsa"})
    tbs_der = tbs.dump(force=True)
    signature = issuer.key.sign(tbs_der, padding.PKCS1v15(), hashes.SHA1())
    rebuilt = asn1_x509.Certificate(
        {"tbs_certificate": tbs, "signature_algorithm": {"algorithm": "sha1_rsa"}, "signature_value": signature}
    )
    return Cert(x509.load_der_x509_certificate(rebuilt.dump(force=True)), certificate.key)


def chain_of(*certs: Cert) -> list[x509.Certificate]:
    return [c.cert for c in certs]
