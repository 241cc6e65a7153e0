"""A test RFC 3161 timestamp authority: TimeStampTokens (CMS SignedData over a TSTInfo) built with
asn1crypto and signed with `cryptography`, each field chosen by the test."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID

from tests.unit.signatures.pki import Cert, make, usage
from tests.unit.signing_support import NOW

TSA_EKU = (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), True)


def tsa_pki(root_key: Any = None, **leaf: Any) -> dict[str, Cert]:
    root = make("Test TSA Root", None, ca=True, private_key=root_key, not_before=NOW - timedelta(days=3650))
    signer = make(
        "Test TSA",
        root,
        ca=False,
        not_before=NOW - timedelta(days=3000),
        extended_key_usage=leaf.pop("extended_key_usage", TSA_EKU),
        key_usage=leaf.pop("key_usage", (usage(digital_signature=True), True)),
        **leaf,
    )
    return {"root": root, "tsa": signer}


def token(
    tsa: Cert,
    chain: list[Cert],
    timestamped: bytes,
    *,
    gen_time: datetime = NOW,
    hash_name: str = "sha256",
    accuracy: dict[str, int] | None = None,
    policy: str = "1.3.6.1.4.1.99999.7.1",
    signing_certificate_v2: bool = True,
    wrong_imprint: bool = False,
    tamper_info: bool = False,
) -> bytes:
    """A DER TimeStampToken by `tsa` over `timestamped`, carrying `chain` (TSA certificate first)."""
    imprint = hashlib.new(hash_name, timestamped).digest()
    if wrong_imprint:
        imprint = hashlib.new(hash_name, b"something else").digest()
    fields: dict[str, Any] = {
        "version": "v1",
        "policy": policy,
        "message_imprint": {"hash_algorithm": {"algorithm": hash_name}, "hashed_message": imprint},
        "serial_number": 4711,
        "gen_time": gen_time,
    }
    if accuracy is not None:
        fields["accuracy"] = accuracy
    info_der = tsp.TSTInfo(fields).dump()
    attributes = [
        {"type": "content_type", "values": ["tst_info"]},
        {"type": "message_digest", "values": [hashlib.sha256(info_der).digest()]},
    ]
    if signing_certificate_v2:
        cert_id = {"hash_algorithm": {"algorithm": "sha256"}, "cert_hash": hashlib.sha256(tsa.der).digest()}
        attributes.append({"type": "signing_certificate_v2", "values": [{"certs": [cert_id]}]})
    signed_attributes = cms.CMSAttributes(attributes)
    signature = tsa.key.sign(signed_attributes.dump(), ec.ECDSA(hashes.SHA256()))
    if tamper_info:
        fields["serial_number"] = 4712
        info_der = tsp.TSTInfo(fields).dump()
    asn1_tsa = asn1_x509.Certificate.load(tsa.der)
    signer = cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                {
                    "issuer_and_serial_number": {
                        "issuer": asn1_tsa.issuer,
                        "serial_number": asn1_tsa.serial_number,
                    }
                }
            ),
            "digest_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
            "signed_attrs": signed_attributes,
            "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"}),
            "signature": signature,
        }
    )
    signed_data = cms.SignedData(
        {
            "version": "v3",
            "digest_algorithms": [algos.DigestAlgorithm({"algorithm": "sha256"})],
            "encap_content_info": {"content_type": "tst_info", "content": core.ParsableOctetString(info_der)},
            "certificates": [asn1_x509.Certificate.load(c.der) for c in chain],
            "signer_infos": [signer],
        }
    )
    return bytes(cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump())
