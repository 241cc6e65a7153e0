"""AWS Signer signing jobs for the emulator, patched onto moto 5.2.5's ``SignerResponse``.

moto 5.2.5 models signing profiles (Put/Get/Cancel, tags, platforms) but no signing job at all, and
GetSigningProfile of an unknown name is a 500. This module adds, following botocore's signer model:

* StartSigningJob: the profile (of the calling account; ``profileOwner`` of another account is not
  modelled: ResourceNotFoundException) must exist and be ``Active``, with platform
  ``AWSLambda-SHA384-ECDSA`` (the only one the emulator can sign for); ``source.s3`` names a bucket, key
  and version that must exist (AWS requires a versioned source bucket), ``destination.s3`` a bucket that
  must exist. The job completes at once (status ``Succeeded``): the signed artifact is written to
  ``<destination prefix><jobId>.zip``. A repeated ``clientRequestToken`` returns the first job.
* DescribeSigningJob: the job, with ``signatureExpiresAt`` = creation + the profile's
  ``signatureValidityPeriod``, ``signedObject``, ``profileVersion`` and, once revoked, ``revocationRecord``.
* RevokeSignature: records the revocation (``reason`` required); Lambda then refuses the artifact.
* GetSigningProfile of an unknown profile: ResourceNotFoundException (404).

The signed artifact: AWS Signer embeds the signature in the signed .zip. The emulator does the same in
its own format: the zip's comment holds ``{"provenance-guard-emulator-signature": {...}}`` with the job
ARN, the profile version ARN and a SHA-256 digest over the archive's entries (names and contents), so the
emulated Lambda can check integrity (a changed entry breaks it), mismatch, expiry and revocation
(:func:`read_signature`, :func:`signing_job`). No cryptography: this proves the plumbing, not the maths.

Not modelled: ListSigningJobs, cross-account profiles (``profileOwner``), RevokeSigningProfile and
profile revocation, signing parameters/overrides, platforms other than AWS Lambda, failed jobs.
"""

from __future__ import annotations

import hashlib
import io
import json
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult, EmptyResult
from moto.s3.models import s3_backends
from moto.signer import urls as signer_urls
from moto.signer.models import SignerBackend, signer_backends
from moto.signer.responses import SignerResponse
from moto.utilities.utils import get_partition

from .patches import add_url_path, original, patch_attr

LAMBDA_PLATFORM = "AWSLambda-SHA384-ECDSA"
SIGNATURE_KEY = "provenance-guard-emulator-signature"
_UNIT_DAYS = {"DAYS": 1, "MONTHS": 30, "YEARS": 365}


class SignerError(ServiceException):
    """Serialised with the signer model."""


class ResourceNotFoundException(SignerError):
    code = "ResourceNotFoundException"


class ValidationException(SignerError):
    code = "ValidationException"


@dataclass
class SigningJob:
    job_id: str
    arn: str
    owner: str
    profile_name: str
    profile_version: str
    profile_version_arn: str
    platform_id: str
    source: dict[str, Any]
    signed_object: dict[str, Any]
    created_at: datetime
    expires_at: datetime
    requested_by: str
    token: str
    revocation: dict[str, Any] | None = field(default=None)

    def describe(self) -> dict[str, Any]:
        described: dict[str, Any] = {
            "jobId": self.job_id,
            "source": self.source,
            "platformId": self.platform_id,
            "platformDisplayName": next(
                (p["displayName"] for p in SignerBackend.platforms if p["platformId"] == self.platform_id),
                self.platform_id,
            ),
            "profileName": self.profile_name,
            "profileVersion": self.profile_version,
            "createdAt": self.created_at,
            "completedAt": self.created_at,
            "signatureExpiresAt": self.expires_at,
            "requestedBy": self.requested_by,
            "status": "Succeeded",
            "statusReason": "Signing Succeeded",
            "signedObject": self.signed_object,
            "jobOwner": self.owner,
            "jobInvoker": self.owner,
        }
        if self.revocation:
            described["revocationRecord"] = self.revocation
        return described


@dataclass(frozen=True)
class ArtifactSignature:
    """What an emulator-signed .zip says about itself."""

    job_arn: str
    profile_version_arn: str
    intact: bool
    """False when the archive changed after signing (Lambda's integrity check fails)."""


def jobs_of(backend: SignerBackend) -> dict[str, SigningJob]:
    jobs: dict[str, SigningJob] = backend.__dict__.setdefault("_provenance_guard_jobs", {})
    return jobs


def signing_job(job_arn: str) -> SigningJob | None:
    """The job behind a signing-job ARN (``arn:<p>:signer:<region>:<account>:/signing-jobs/<id>``)."""
    parts = job_arn.split(":", 5)
    if len(parts) != 6 or not parts[5].startswith("/signing-jobs/"):
        return None
    region, account, job_id = parts[3], parts[4], parts[5].rsplit("/", 1)[-1]
    return jobs_of(signer_backends[account][region]).get(job_id)


def entries_digest(archive: bytes) -> str:
    """SHA-256 over the names and contents of a zip's entries (the comment is not an entry)."""
    digest = hashlib.sha256()
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        for info in sorted(opened.infolist(), key=lambda i: i.filename):
            digest.update(info.filename.encode() + b"\0" + hashlib.sha256(opened.read(info)).digest())
    return digest.hexdigest()


def sign_archive(archive: bytes, job_arn: str, profile_version_arn: str) -> bytes:
    signature = {"jobArn": job_arn, "profileVersionArn": profile_version_arn, "digest": entries_digest(archive)}
    buffer = io.BytesIO(archive)
    with zipfile.ZipFile(buffer, "a") as opened:
        opened.comment = json.dumps({SIGNATURE_KEY: signature}, separators=(",", ":")).encode()
    return buffer.getvalue()


def read_signature(archive: bytes) -> ArtifactSignature | None:
    """The emulator signature an archive carries, or None (unsigned, or not a zip at all)."""
    try:
        with zipfile.ZipFile(io.BytesIO(archive)) as opened:
            comment = opened.comment
        signature = json.loads(comment.decode())[SIGNATURE_KEY] if comment else None
        if not isinstance(signature, dict):
            return None
        intact = entries_digest(archive) == signature.get("digest")
        return ArtifactSignature(str(signature["jobArn"]), str(signature["profileVersionArn"]), intact)
    except (zipfile.BadZipFile, ValueError, KeyError, TypeError):
        return None


def _body(self: Any) -> dict[str, Any]:
    raw = self.body.decode() if isinstance(self.body, bytes) else self.body
    params = json.loads(raw) if raw else {}
    if not isinstance(params, dict):
        raise ValidationException("The request body must be a JSON object")
    return params


def _validity(profile: Any) -> timedelta:
    period = profile.signature_validity_period or {"value": 135, "type": "MONTHS"}
    return timedelta(days=int(period.get("value", 135)) * _UNIT_DAYS.get(str(period.get("type")), 30))


def _s3_object(account: str, region: str, bucket: str, key: str, version: str | None) -> Any:
    backend = s3_backends[account][get_partition(region)]
    if backend.buckets.get(bucket) is None:
        raise ValidationException(f"The bucket {bucket} does not exist or is not accessible.")
    found = backend.get_object(bucket, key, version_id=version)
    if found is None:
        raise ValidationException(f"The object s3://{bucket}/{key} (version {version}) does not exist.")
    return found


def start_signing_job(self: Any) -> ActionResult:
    params = _body(self)
    for name in ("source", "destination", "profileName", "clientRequestToken"):
        if not params.get(name):
            raise ValidationException(f"Missing required parameter '{name}'.")
    backend: SignerBackend = self.signer_backend
    account, region = self.current_account, self.region
    jobs = jobs_of(backend)
    for job in jobs.values():
        if job.token == params["clientRequestToken"]:
            return ActionResult({"jobId": job.job_id, "jobOwner": job.owner})
    owner = params.get("profileOwner") or account
    profile = backend.signing_profiles.get(params["profileName"]) if owner == account else None
    if profile is None or profile.status != "Active":
        raise ResourceNotFoundException(f"The signing profile {params['profileName']} does not exist or is not active.")
    if profile.platform_id != LAMBDA_PLATFORM:
        raise ValidationException(f"The emulator signs only for platform {LAMBDA_PLATFORM}.")
    source = (params["source"] or {}).get("s3") or {}
    destination = (params["destination"] or {}).get("s3") or {}
    if not all(source.get(k) for k in ("bucketName", "key", "version")) or not destination.get("bucketName"):
        raise ValidationException("source.s3 needs bucketName, key and version; destination.s3 needs bucketName.")
    content = _s3_object(account, region, source["bucketName"], source["key"], source["version"]).value
    job_id = str(uuid.uuid4())
    arn = job_arn(region, account, job_id)
    try:
        signed = sign_archive(content, arn, profile.profile_version_arn)
    except zipfile.BadZipFile:
        raise ValidationException("The source object is not a .zip archive.") from None
    target_key = f"{destination.get('prefix') or ''}{job_id}.zip"
    if s3_backends[account][get_partition(region)].buckets.get(destination["bucketName"]) is None:
        raise ValidationException(f"The bucket {destination['bucketName']} does not exist or is not accessible.")
    s3_backends[account][get_partition(region)].put_object(destination["bucketName"], target_key, signed)
    record_job(
        backend,
        job_id,
        profile,
        token=params["clientRequestToken"],
        source={"s3": dict(source)},
        signed_object={"s3": {"bucketName": destination["bucketName"], "key": target_key}},
    )
    return ActionResult({"jobId": job_id, "jobOwner": account})


def job_arn(region: str, account: str, job_id: str) -> str:
    return f"arn:{get_partition(region)}:signer:{region}:{account}:/signing-jobs/{job_id}"


def record_job(
    backend: SignerBackend,
    job_id: str,
    profile: Any,
    *,
    token: str,
    source: dict[str, Any] | None = None,
    signed_object: dict[str, Any] | None = None,
) -> SigningJob:
    """Record a completed signing job of `profile` (valid for its signatureValidityPeriod) in `backend`."""
    account, region = backend.account_id, backend.region_name
    now = datetime.now(UTC).replace(microsecond=0)
    job = SigningJob(
        job_id=job_id,
        arn=job_arn(region, account, job_id),
        owner=account,
        profile_name=profile.name,
        profile_version=profile.profile_version,
        profile_version_arn=profile.profile_version_arn,
        platform_id=profile.platform_id,
        source=source or {},
        signed_object=signed_object or {},
        created_at=now,
        expires_at=now + _validity(profile),
        requested_by=f"arn:{get_partition(region)}:iam::{account}:root",
        token=token,
    )
    jobs_of(backend)[job_id] = job
    return job


def _job(self: Any) -> SigningJob:
    job_id = self.path.rstrip("/").split("/signing-jobs/", 1)[-1].split("/", 1)[0]
    job = jobs_of(self.signer_backend).get(job_id)
    if job is None:
        raise ResourceNotFoundException(f"The signing job {job_id} does not exist.")
    return job


def describe_signing_job(self: Any) -> ActionResult:
    return ActionResult(_job(self).describe())


def revoke_signature(self: Any) -> ActionResult:
    job = _job(self)
    reason = _body(self).get("reason")
    if not reason:
        raise ValidationException("Missing required parameter 'reason'.")
    job.revocation = {
        "reason": reason,
        "revokedAt": datetime.now(UTC).replace(microsecond=0),
        "revokedBy": f"arn:{get_partition(self.region)}:iam::{self.current_account}:root",
    }
    return EmptyResult()


def get_signing_profile(self: Any) -> Any:
    name = self.path.rstrip("/").split("/")[-1]
    if name not in self.signer_backend.signing_profiles:
        raise ResourceNotFoundException(f"The signing profile {name} does not exist.")
    return original(SignerResponse, "get_signing_profile")(self)


def install() -> None:
    for handler in (start_signing_job, describe_signing_job, revoke_signature, get_signing_profile):
        patch_attr(SignerResponse, handler.__name__, handler)
    add_url_path(signer_urls.url_paths, "{0}/signing-jobs$", SignerResponse.dispatch)
    add_url_path(signer_urls.url_paths, "{0}/signing-jobs/(?P<job_id>[^/]+)$", SignerResponse.dispatch)
    add_url_path(signer_urls.url_paths, "{0}/signing-jobs/(?P<job_id>[^/]+)/revoke$", SignerResponse.dispatch)
