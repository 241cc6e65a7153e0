"""AWS Signer for container images (Notation), patched onto moto 5.2.5's ``SignerResponse``.

moto has none of this; following botocore's ``signer`` and ``signer-data`` models it adds:

* SignPayload: for an ``Active`` profile of platform ``Notation-OCI-SHA384-ECDSA`` and the payload
  format ``application/vnd.cncf.notary.payload.v1+json``, returns a real Notation JWS envelope (ES384,
  scheme ``notary.x509.signingAuthority``, ``authenticSigningTime`` now, the profile-version and job
  ARNs as critical signed attributes) whose chain is a three-day leaf → the emulator's Region CA → the
  emulator's root, as AWS Signer's is. The job is recorded, so RevokeSignature revokes it.
* RevokeSigningProfile: revokes one profile version from ``effectiveTime`` on.
* GetRevocationStatus (``signer-data``, host ``data-signer.<region>.amazonaws.com``; the ``signer``
  client's copy of the operation adds the host prefix ``data-``): ``revokedEntities`` lists the job ARN
  of a revoked job and the profile-version ARN of a profile version revoked at or before
  ``signatureTimestamp``. Certificates are never revoked here.

:func:`root_pem` is the emulator's signing-authority root. It is derived deterministically (fixed keys,
dates and deterministic ECDSA), so every process — the emulator server, the demo, the tests — agrees on
it without sharing files; put it in a ``signingAuthority:`` trust store to trust emulated signatures.
It stands in for AWS's published root, which is not in this repository. Emulator only: never trust it
in a real account.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any
from urllib.parse import parse_qs, urlsplit

from moto import backend_index
from moto.core.responses import ActionResult, EmptyResult
from moto.signer import urls as signer_urls
from moto.signer.models import SignerBackend
from moto.signer.responses import SignerResponse

from .patches import add_url_path, patch_attr
from .signer import ResourceNotFoundException, ValidationException, _body, jobs_of, record_job

NOTATION_PLATFORM = "Notation-OCI-SHA384-ECDSA"
NOTATION_PAYLOAD = "application/vnd.cncf.notary.payload.v1+json"
LEAF_LIFETIME = timedelta(days=3)
DATA_HOST = r"https?://data-signer\.(.+)\.amazonaws\.com"
"""signer-data's endpoint, which botocore's `signer` client also reaches through its `data-` host prefix."""
_EPOCH = datetime(2025, 1, 1, tzinfo=UTC)
REVOKED_FROM = "provenance_guard_revoked_from"
"""Attribute set on a moto SigningProfile: the effective time of its version's revocation."""


def root_pem() -> str:
    """The emulator's signing-authority root certificate (PEM)."""
    from cryptography.hazmat.primitives import serialization

    pem: bytes = _root()[0].public_bytes(serialization.Encoding.PEM)
    return pem.decode()


@cache
def _key(label: str) -> Any:
    import hashlib

    from cryptography.hazmat.primitives.asymmetric import ec

    secret = int.from_bytes(hashlib.sha384(f"provenance-guard emulator {label}".encode()).digest(), "big")
    return ec.derive_private_key(secret % (2**383), ec.SECP384R1())


def _name(common_name: str) -> Any:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
            x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, "WA"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "provenance-guard emulator"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _certificate(subject: str, issuer: tuple[Any, Any] | None, key: Any, *, ca: bool, serial: int,
                 not_before: datetime, not_after: datetime) -> Any:  # fmt: skip
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    usage = dict.fromkeys(
        ("content_commitment", "key_encipherment", "data_encipherment", "key_agreement", "crl_sign"), False
    )
    issuer_cert, issuer_key = issuer if issuer else (None, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer_cert.subject if issuer_cert is not None else _name(subject))
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=not ca, key_cert_sign=ca, encipher_only=False, decipher_only=False, **usage
            ),
            critical=True,
        )
    )
    return builder.sign(issuer_key, hashes.SHA384(), ecdsa_deterministic=True)


@cache
def _root() -> tuple[Any, Any]:
    key = _key("root")
    cert = _certificate("Emulated AWS Signer Root CA", None, key, ca=True, serial=1,
                        not_before=_EPOCH, not_after=_EPOCH + timedelta(days=100 * 365))  # fmt: skip
    return cert, key


@cache
def _region_ca(region: str) -> tuple[Any, Any]:
    key = _key(f"ca {region}")
    cert = _certificate(f"Emulated AWS Signer {region} Code Signing CA", _root(), key, ca=True, serial=2,
                        not_before=_EPOCH, not_after=_EPOCH + timedelta(days=50 * 365))  # fmt: skip
    return cert, key


def _leaf(region: str, now: datetime) -> tuple[Any, Any]:
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP384R1())
    serial = int(uuid.uuid4().int >> 2)
    cert = _certificate("Emulated AWS Signer", _region_ca(region), key, ca=False, serial=serial,
                        not_before=now - timedelta(minutes=5), not_after=now + LEAF_LIFETIME)  # fmt: skip
    return cert, key


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def notation_envelope(payload: bytes, region: str, profile_version_arn: str, job_arn: str, now: datetime) -> bytes:
    """A Notation JWS envelope over `payload`, signed as AWS Signer signs (scheme signingAuthority)."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    leaf, key = _leaf(region, now)
    protected = {
        "alg": "ES384",
        "cty": NOTATION_PAYLOAD,
        "crit": [
            "io.cncf.notary.signingScheme",
            "io.cncf.notary.authenticSigningTime",
            "io.cncf.notary.verificationPlugin",
            "com.amazonaws.signer.signingProfileVersion",
            "com.amazonaws.signer.signingJob",
        ],
        "io.cncf.notary.signingScheme": "notary.x509.signingAuthority",
        "io.cncf.notary.authenticSigningTime": now.replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "io.cncf.notary.verificationPlugin": "com.amazonaws.signer.notation.plugin",
        "com.amazonaws.signer.signingProfileVersion": profile_version_arn,
        "com.amazonaws.signer.signingJob": job_arn,
    }
    encoded = f"{_b64url(json.dumps(protected).encode())}.{_b64url(payload)}"
    r, s = decode_dss_signature(key.sign(encoded.encode(), ec.ECDSA(hashes.SHA384())))
    chain = [leaf, _region_ca(region)[0], _root()[0]]
    envelope = {
        "payload": encoded.split(".")[1],
        "protected": encoded.split(".")[0],
        "header": {
            "x5c": [base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode() for c in chain],
            "io.cncf.notary.signingAgent": "provenance-guard emulator",
        },
        "signature": _b64url(r.to_bytes(48, "big") + s.to_bytes(48, "big")),
    }
    return json.dumps(envelope).encode()


def sign_payload(self: Any) -> ActionResult:
    params = _body(self)
    for name in ("profileName", "payload", "payloadFormat"):
        if not params.get(name):
            raise ValidationException(f"Missing required parameter '{name}'.")
    backend: SignerBackend = self.signer_backend
    account, region = self.current_account, self.region
    if params.get("profileOwner") not in (None, account):
        raise ResourceNotFoundException(f"The signing profile {params['profileName']} does not exist.")
    profile = backend.signing_profiles.get(params["profileName"])
    if profile is None or profile.status != "Active":
        raise ResourceNotFoundException(f"The signing profile {params['profileName']} does not exist or is not active.")
    if profile.platform_id != NOTATION_PLATFORM:
        raise ValidationException(f"SignPayload needs a profile of platform {NOTATION_PLATFORM}.")
    if params["payloadFormat"] != NOTATION_PAYLOAD:
        raise ValidationException(f"payloadFormat must be {NOTATION_PAYLOAD}.")
    try:
        payload = base64.b64decode(params["payload"], validate=True)
    except ValueError:
        raise ValidationException("payload is not base64.") from None
    job = record_job(backend, str(uuid.uuid4()), profile, token=str(uuid.uuid4()))
    envelope = notation_envelope(payload, region, profile.profile_version_arn, job.arn, job.created_at)
    return ActionResult({"jobId": job.job_id, "jobOwner": account, "metadata": {}, "signature": envelope})


def revoke_signing_profile(self: Any) -> EmptyResult:
    name = self.path.rstrip("/").split("/signing-profiles/", 1)[-1].split("/", 1)[0]
    params = _body(self)
    for field in ("profileVersion", "reason", "effectiveTime"):
        if params.get(field) in (None, ""):
            raise ValidationException(f"Missing required parameter '{field}'.")
    profile = self.signer_backend.signing_profiles.get(name)
    if profile is None or profile.profile_version != params["profileVersion"]:
        version = params["profileVersion"]
        raise ResourceNotFoundException(f"The signing profile {name} version {version} does not exist.")
    setattr(profile, REVOKED_FROM, _timestamp(params["effectiveTime"]))
    profile.status = "Revoked"
    return EmptyResult()


def get_revocation_status(self: Any) -> ActionResult:
    query = parse_qs(urlsplit(self.uri).query)
    for name in ("signatureTimestamp", "platformId", "profileVersionArn", "jobArn", "certificateHashes"):
        if not query.get(name):
            raise ValidationException(f"Missing required parameter '{name}'.")
    signed_at = _timestamp(query["signatureTimestamp"][0])
    job_arn, profile_version_arn = query["jobArn"][0], query["profileVersionArn"][0]
    revoked = []
    backends = _all_backends()
    job = next((j for b in backends for j in jobs_of(b).values() if j.arn == job_arn), None)
    if job is not None and job.revocation:
        revoked.append(job_arn)
    profile = next(
        (p for b in backends for p in b.signing_profiles.values() if p.profile_version_arn == profile_version_arn), None
    )
    effective = getattr(profile, REVOKED_FROM, None)
    if effective is not None and effective <= signed_at:
        revoked.append(profile_version_arn)
    return ActionResult({"revokedEntities": revoked})


def _all_backends() -> list[SignerBackend]:
    from moto.signer.models import signer_backends

    return [backend for _, _, backend in signer_backends.iter_backends() if isinstance(backend, SignerBackend)]


def _timestamp(value: Any) -> datetime:
    if isinstance(value, int | float) or str(value).replace(".", "", 1).isdigit():
        return datetime.fromtimestamp(float(value), UTC)
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ValidationException(f"{value!r} is not a timestamp.") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def install() -> None:
    for handler in (sign_payload, revoke_signing_profile, get_revocation_status):
        patch_attr(SignerResponse, handler.__name__, handler)
    add_url_path(signer_urls.url_paths, "{0}/signing-jobs/with-payload$", SignerResponse.dispatch)
    add_url_path(signer_urls.url_paths, "{0}/signing-profiles/(?P<profile_name>[^/]+)/revoke$", SignerResponse.dispatch)
    add_url_path(signer_urls.url_paths, "{0}/revocations$", SignerResponse.dispatch)
    if DATA_HOST not in signer_urls.url_bases:
        signer_urls.url_bases.append(DATA_HOST)
    if not any(pattern.pattern == DATA_HOST for _, pattern in backend_index.backend_url_patterns):
        patterns = [*backend_index.backend_url_patterns, ("signer", re.compile(DATA_HOST))]
        patch_attr(backend_index, "backend_url_patterns", patterns)
