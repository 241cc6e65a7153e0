"""RFC 3161 timestamp countersignatures (a TimeStampToken: CMS SignedData over a TSTInfo), as the Notary
Project trust-store-trust-policy spec verifies them ("Validate Authentic Timestamp"):

1. the token is SignedData with one signer over eContentType id-ct-TSTInfo; its signed attributes hold
   content-type = id-ct-TSTInfo, message-digest = the digest of the TSTInfo, and signing-certificate-v2
   (RFC 5816) naming the TSA certificate's hash; the signature verifies with that certificate's key;
2. `TSTInfo.messageImprint` is the digest (SHA-256/384/512) of the bytes that were timestamped (for a
   Notation envelope, its signature value: the JWS `signature` decoded, the COSE_Sign1 signature);
3. the TSA chain (certificates in the token, plus the trusted roots) meets the timestamping profile of
   `x509_profile` (extendedKeyUsage critical and timeStamping only) at genTime, and ends at a root of
   `timestamp_authorities`;
4. the time range is genTime ± accuracy (1 s for the baseline policy 0.4.0.2023.1.1 without accuracy,
   else 0), which the caller checks lies within the signing chain's validity.

Parsed with asn1crypto (pure Python; `cryptography` has no public CMS parser): its `tsp` and `cms` modules
import in about 35 ms, pyasn1 with pyasn1-modules' rfc3161 in about 95 ms (measured with
`python -X importtime`). Imports `cryptography` and asn1crypto: load this module lazily.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from asn1crypto import cms, tsp
from asn1crypto.core import Asn1Value
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from provenance_guard.signatures import x509_profile
from provenance_guard.signatures.envelope import MAX_CHAIN, SignatureError

TST_INFO = "tst_info"
BASELINE_POLICY = "0.4.0.2023.1.1"
HASHES: Mapping[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}
MAX_TOKEN = 64 * 1024
STORE_PREFIX = "tsa:"


@dataclass(frozen=True)
class Timestamp:
    """A verified timestamp: the signature existed at some time in [lower, upper]."""

    gen_time: datetime
    lower: datetime
    upper: datetime
    authority: str
    """The TSA certificate's subject."""
    hash_algorithm: str


def load_roots(timestamp_authorities: Mapping[str, str]) -> tuple[x509.Certificate, ...]:
    """The roots of `container.signatures.timestamp_authorities` (`tsa:<name>` -> PEM certificates)."""
    roots: list[x509.Certificate] = []
    for name, pem in timestamp_authorities.items():
        if not name.startswith(STORE_PREFIX) or not name[len(STORE_PREFIX) :]:
            raise SignatureError("BAD_TRUST_STORE", f"timestamp authority {name[:100]!r} is not tsa:<name>")
        try:
            roots += x509.load_pem_x509_certificates(pem.encode())
        except ValueError:
            raise SignatureError("BAD_TRUST_STORE", f"timestamp authority {name} holds no readable PEM") from None
    return tuple(roots)


def verify_timestamp(
    token: bytes, timestamped: bytes, roots: Sequence[x509.Certificate], known: Sequence[x509.Certificate] = ()
) -> Timestamp:
    """The timestamp a token proves for `timestamped`, or `SignatureError` (BAD_TIMESTAMP: the token is
    damaged or covers other bytes; UNTRUSTED_TIMESTAMP: its chain ends at no trusted root;
    BAD_TIMESTAMP_CERTIFICATE: the TSA certificate breaks the timestamping profile). `known`: TSA
    certificates the token may leave out (a Sigstore trust root's chains)."""
    if not roots:
        raise SignatureError("UNTRUSTED_TIMESTAMP", "no timestamp_authorities are configured to trust a timestamp")
    signed_data, signer, info, info_bytes = _parse(token)
    tsa_certificate, certificates = _signer_certificate(signed_data, signer, known)
    _check_signer(signer, info_bytes, tsa_certificate)
    gen_time = info["gen_time"].native
    imprint = info["message_imprint"]
    algorithm = imprint["hash_algorithm"]["algorithm"].native
    if algorithm not in HASHES:
        raise SignatureError("BAD_TIMESTAMP", f"the timestamp's message imprint uses {algorithm}, not SHA-2")
    if imprint["hashed_message"].native != _digest(algorithm, timestamped):
        raise SignatureError("BAD_TIMESTAMP", "the timestamp is not over this signature (message imprint differs)")
    chain = _chain(tsa_certificate, certificates, roots)
    trusted = {root.fingerprint(hashes.SHA256()) for root in roots}
    if chain[-1].fingerprint(hashes.SHA256()) not in trusted:
        why = f"the timestamp's chain ends at {chain[-1].subject.rfc4514_string()[:200]}, not a timestamp authority"
        raise SignatureError("UNTRUSTED_TIMESTAMP", why)
    x509_profile.check_chain(chain, x509_profile.TIMESTAMPING, gen_time)
    accuracy = _accuracy(info)
    return Timestamp(
        gen_time=gen_time,
        lower=gen_time - accuracy,
        upper=gen_time + accuracy,
        authority=tsa_certificate.subject.rfc4514_string()[:300],
        hash_algorithm=algorithm,
    )


def within_validity(timestamp: Timestamp, chain: Sequence[x509.Certificate]) -> None:
    """The Notation rule: the whole range [lower, upper] lies within every signing certificate's validity."""
    for position, certificate in enumerate(chain):
        if (
            not certificate.not_valid_before_utc
            <= timestamp.lower
            <= timestamp.upper
            <= certificate.not_valid_after_utc
        ):
            why = (
                f"the timestamp ({timestamp.lower.isoformat()} to {timestamp.upper.isoformat()}) is outside the "
                f"validity of signing certificate {position} ({certificate.subject.rfc4514_string()[:120]})"
            )
            raise SignatureError("TIMESTAMP_OUTSIDE_VALIDITY", why)


def _parse(token: bytes) -> tuple[cms.SignedData, cms.SignerInfo, tsp.TSTInfo, bytes]:
    if len(token) > MAX_TOKEN:
        raise SignatureError("BAD_TIMESTAMP", f"the timestamp token is larger than {MAX_TOKEN} bytes")
    try:
        content_info = cms.ContentInfo.load(token, strict=True)
        if content_info["content_type"].native != "signed_data":
            raise ValueError("not SignedData")
        signed_data = content_info["content"]
        encapsulated = signed_data["encap_content_info"]
        if encapsulated["content_type"].native != TST_INFO:
            raise ValueError("not a TSTInfo")
        info = encapsulated["content"].parsed
        signers = signed_data["signer_infos"]
        if len(signers) != 1:
            raise ValueError(f"{len(signers)} signers")
        _ = info["gen_time"].native, info["message_imprint"].native, info["accuracy"].native
        return signed_data, signers[0], info, bytes(encapsulated["content"])
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise SignatureError("BAD_TIMESTAMP", f"the timestamp token cannot be parsed ({error})"[:300]) from None


def _signer_certificate(
    signed_data: cms.SignedData, signer: cms.SignerInfo, known: Sequence[x509.Certificate]
) -> tuple[x509.Certificate, list[x509.Certificate]]:
    """The TSA certificate the signer names (issuer and serial, or subject key identifier), and all the
    token's certificates."""
    certificates = []
    for choice in signed_data["certificates"] or []:
        if choice.name != "certificate":
            continue
        try:
            certificates.append(x509.load_der_x509_certificate(choice.chosen.dump()))
        except ValueError:
            raise SignatureError("BAD_TIMESTAMP", "the timestamp token holds an unreadable certificate") from None
    certificates = certificates[:MAX_CHAIN] + list(known)
    sid = signer["sid"]
    for certificate in certificates:
        if sid.name == "issuer_and_serial_number":
            wanted = sid.chosen
            if certificate.serial_number == wanted["serial_number"].native and _same_name(
                certificate.issuer, wanted["issuer"]
            ):
                return certificate, certificates
        elif _key_identifier(certificate) == sid.chosen.native:
            return certificate, certificates
    raise SignatureError("BAD_TIMESTAMP", "the timestamp token does not hold the certificate of its signer")


def _check_signer(signer: cms.SignerInfo, info_bytes: bytes, certificate: x509.Certificate) -> None:
    attributes = signer["signed_attrs"]
    if not attributes:
        raise SignatureError("BAD_TIMESTAMP", "the timestamp's signer has no signed attributes")
    found = {a["type"].native: a["values"] for a in attributes}
    digest_name = signer["digest_algorithm"]["algorithm"].native
    if digest_name not in HASHES:
        raise SignatureError("BAD_TIMESTAMP", f"the timestamp is signed with digest {digest_name}, not SHA-2")
    if "content_type" not in found or found["content_type"][0].native != TST_INFO:
        raise SignatureError("BAD_TIMESTAMP", "the timestamp's content-type attribute is not id-ct-TSTInfo")
    if "message_digest" not in found or found["message_digest"][0].native != _digest(digest_name, info_bytes):
        raise SignatureError("BAD_TIMESTAMP", "the timestamp's message-digest attribute does not match its TSTInfo")
    _check_signing_certificate(found, certificate)
    # The signature is over the DER of the attributes as a SET OF (tag 0x31), not the [0] IMPLICIT
    # form in which SignerInfo carries them (RFC 5652 §5.4).
    signed = b"\x31" + attributes.dump()[1:]
    _verify(certificate, signer["signature"].native, signed, digest_name, signer["signature_algorithm"])


def _check_signing_certificate(found: Mapping[str, Asn1Value], certificate: x509.Certificate) -> None:
    """RFC 5816 signing-certificate-v2: its first ESSCertIDv2 hashes the TSA certificate."""
    if "signing_certificate_v2" not in found:
        raise SignatureError("BAD_TIMESTAMP", "the timestamp has no signing-certificate-v2 attribute")
    first = found["signing_certificate_v2"][0]["certs"][0]
    algorithm = first["hash_algorithm"]["algorithm"].native
    if algorithm not in HASHES:
        raise SignatureError("BAD_TIMESTAMP", f"signing-certificate-v2 hashes with {algorithm}, not SHA-2")
    if first["cert_hash"].native != certificate.fingerprint(HASHES[algorithm]()):
        raise SignatureError("BAD_TIMESTAMP", "signing-certificate-v2 names another certificate than the signer's")


def _verify(
    certificate: x509.Certificate, signature: bytes, data: bytes, digest_name: str, algorithm: Asn1Value
) -> None:
    key = certificate.public_key()
    digest = HASHES[digest_name]()
    name = algorithm["algorithm"].native
    try:
        if isinstance(key, ec.EllipticCurvePublicKey) and name.endswith("ecdsa"):
            key.verify(signature, data, ec.ECDSA(digest))
        elif isinstance(key, rsa.RSAPublicKey) and name == "rsassa_pss":
            salt = algorithm["parameters"]["salt_length"].native
            key.verify(signature, data, padding.PSS(padding.MGF1(digest), salt), digest)
        elif isinstance(key, rsa.RSAPublicKey) and name in ("rsassa_pkcs1v15", f"{digest_name}_rsa"):
            key.verify(signature, data, padding.PKCS1v15(), digest)
        else:
            raise SignatureError("BAD_TIMESTAMP", f"the timestamp's signature algorithm {name} does not fit its key")
    except (InvalidSignature, ValueError, UnsupportedAlgorithm, TypeError):
        raise SignatureError("BAD_TIMESTAMP", "the timestamp's signature does not verify") from None


def _chain(
    leaf: x509.Certificate, certificates: Sequence[x509.Certificate], roots: Sequence[x509.Certificate]
) -> list[x509.Certificate]:
    """Leaf first, each next certificate one that issued the previous (name and signature), ending at a
    self-issued certificate (from the token, or a trusted root the token left out) or where none did."""
    chain = [leaf]
    pool = [*certificates, *roots]
    while chain[-1].issuer != chain[-1].subject and len(chain) < MAX_CHAIN:
        issuer = next(
            (c for c in pool if c.subject == chain[-1].issuer and c not in chain and _issued(chain[-1], c)), None
        )
        if issuer is None:
            break
        chain.append(issuer)
    return chain


def _issued(child: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        child.verify_directly_issued_by(issuer)
    except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm):
        return False
    return True


def _accuracy(info: tsp.TSTInfo) -> timedelta:
    accuracy = info["accuracy"].native
    if accuracy is None:
        return timedelta(seconds=1) if info["policy"].dotted == BASELINE_POLICY else timedelta(0)
    seconds = accuracy.get("seconds") or 0
    millis = accuracy.get("millis") or 0
    micros = accuracy.get("micros") or 0
    return timedelta(seconds=seconds, milliseconds=millis, microseconds=micros)


def _digest(name: str, data: bytes) -> bytes:
    context = hashes.Hash(HASHES[name]())
    context.update(data)
    return context.finalize()


def _key_identifier(certificate: x509.Certificate) -> bytes | None:
    try:
        return certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    except x509.ExtensionNotFound:
        return None


def _same_name(name: x509.Name, asn1_name: Asn1Value) -> bool:
    return bool(name.public_bytes() == asn1_name.dump())
