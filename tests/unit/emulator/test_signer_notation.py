"""The emulated AWS Signer for container images: SignPayload's Notation envelope, RevokeSigningProfile and
GetRevocationStatus (through both `signer-data` and the `signer` client), and ECR managed signing."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography import x509

from provenance_guard.signatures.jws import verify_jws
from provenance_guard_cli.emulator.signer_notation import root_pem
from tests.unit.emulator.model_shapes import enum, input_members, shape_members

PLATFORM = "Notation-OCI-SHA384-ECDSA"
PAYLOAD = json.dumps({"targetArtifact": {"mediaType": "x", "digest": "sha256:" + "a" * 64, "size": 1}}).encode()


@pytest.fixture
def signer_data(aws: None, boto_session: Any) -> Any:
    return boto_session.client("signer-data")


def profile(signer: Any, name: str = "release", platform: str = PLATFORM) -> dict[str, Any]:
    response: dict[str, Any] = signer.put_signing_profile(profileName=name, platformId=platform)
    return response


def sign(signer: Any, name: str = "release") -> tuple[dict[str, Any], dict[str, Any]]:
    response = signer.sign_payload(
        profileName=name, payload=PAYLOAD, payloadFormat="application/vnd.cncf.notary.payload.v1+json"
    )
    protected = json.loads(base64.urlsafe_b64decode(json.loads(response["signature"])["protected"] + "=="))
    return response, protected


def status(client: Any, version_arn: str, job_arn: str, at: datetime | None = None) -> list[str]:
    revoked: list[str] = client.get_revocation_status(
        signatureTimestamp=at or datetime.now(UTC),
        platformId=PLATFORM,
        profileVersionArn=version_arn,
        jobArn=job_arn,
        certificateHashes=["00" * 96],
    )["revokedEntities"]
    return revoked


def test_sign_payload_returns_a_notation_envelope_as_aws_signer_does(signer):
    created = profile(signer)
    response, protected = sign(signer)
    envelope = verify_jws(response["signature"])

    assert envelope.target == json.loads(PAYLOAD)["targetArtifact"]
    assert envelope.scheme == "notary.x509.signingAuthority"
    assert envelope.algorithm == "ES384"
    assert protected["com.amazonaws.signer.signingProfileVersion"] == created["profileVersionArn"]
    assert protected["com.amazonaws.signer.signingJob"].endswith("/signing-jobs/" + response["jobId"])
    assert set(protected["crit"]) >= {"io.cncf.notary.signingScheme", "io.cncf.notary.authenticSigningTime"}
    leaf, *_, root = envelope.chain
    assert leaf.not_valid_after_utc - leaf.not_valid_before_utc <= timedelta(days=3, minutes=5)
    assert root == x509.load_pem_x509_certificate(root_pem().encode())
    assert {"jobId", "jobOwner", "metadata", "signature"} >= set(response) - {"ResponseMetadata"}


def test_the_emulator_root_is_the_same_in_every_process():
    import subprocess
    import sys

    code = "from provenance_guard_cli.emulator.signer_notation import root_pem; print(root_pem(), end='')"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == root_pem()


def test_sign_payload_needs_an_active_notation_profile_and_the_notation_payload(signer):
    profile(signer, "lambda", "AWSLambda-SHA384-ECDSA")
    with pytest.raises(ClientError, match="platform"):
        sign(signer, "lambda")
    with pytest.raises(ClientError) as missing:
        sign(signer, "nobody")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
    profile(signer)
    with pytest.raises(ClientError, match="payloadFormat"):
        signer.sign_payload(profileName="release", payload=PAYLOAD, payloadFormat="text/plain")


def test_revocation_status_names_a_revoked_job_and_a_profile_revoked_in_time(signer, signer_data):
    version_arn = profile(signer)["profileVersionArn"]
    response, protected = sign(signer)
    job_arn = protected["com.amazonaws.signer.signingJob"]
    assert status(signer_data, version_arn, job_arn) == []

    signer.revoke_signature(jobId=response["jobId"], reason="drill")
    assert status(signer_data, version_arn, job_arn) == [job_arn]

    version = version_arn.rsplit("/", 1)[1]
    cutoff = datetime.now(UTC) - timedelta(hours=1)
    signer.revoke_signing_profile(profileName="release", profileVersion=version, reason="x", effectiveTime=cutoff)
    assert status(signer_data, version_arn, job_arn) == [job_arn, version_arn]
    assert status(signer_data, version_arn, job_arn, cutoff - timedelta(hours=1)) == [job_arn]
    assert signer.get_signing_profile(profileName="release")["status"] == "Revoked"


def test_revoking_an_unknown_profile_version_is_not_found(signer):
    profile(signer)
    with pytest.raises(ClientError) as error:
        signer.revoke_signing_profile(
            profileName="release", profileVersion="0000000000", reason="x", effectiveTime=datetime.now(UTC)
        )
    assert error.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_the_operations_follow_botocore_models(signer, signer_data):
    assert input_members(signer_data.meta.service_model, "GetRevocationStatus") == {
        "signatureTimestamp", "platformId", "profileVersionArn", "jobArn", "certificateHashes",
    }  # fmt: skip
    assert input_members(signer.meta.service_model, "RevokeSigningProfile") == {
        "profileName", "profileVersion", "reason", "effectiveTime",
    }  # fmt: skip
    assert set(shape_members(signer.meta.service_model, "SignPayloadResponse")) == {
        "jobId", "jobOwner", "metadata", "signature",
    }  # fmt: skip


def image(ecr: Any, repository: str, seed: str) -> str:
    config = {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + seed * 64, "size": 2}
    body = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "config": config, "layers": []})  # fmt: skip
    import hashlib

    digest = "sha256:" + hashlib.sha256(body.encode()).hexdigest()
    ecr.put_image(repositoryName=repository, imageManifest=body, imageDigest=digest)
    return digest


def test_managed_signing_records_a_status_per_matching_rule_at_push(ecr, signer):
    arn = profile(signer)["arn"]
    ecr.create_repository(repositoryName="team/app")
    ecr.create_repository(repositoryName="other/app")
    before = image(ecr, "team/app", "a")
    rule = {"signingProfileArn": arn, "repositoryFilters": [{"filter": "team/*", "filterType": "WILDCARD_MATCH"}]}
    ecr.put_signing_configuration(signingConfiguration={"rules": [rule]})
    assert ecr.get_signing_configuration()["signingConfiguration"] == {"rules": [rule]}

    signed = image(ecr, "team/app", "b")
    other = image(ecr, "other/app", "c")

    def statuses(repository: str, digest: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = ecr.describe_image_signing_status(
            repositoryName=repository, imageId={"imageDigest": digest}
        )["signingStatuses"]
        return found

    assert statuses("team/app", signed) == [{"signingProfileArn": arn, "status": "COMPLETE"}]
    assert statuses("team/app", before) == []
    assert statuses("other/app", other) == []

    signer.cancel_signing_profile(profileName="release")
    failed = statuses("team/app", image(ecr, "team/app", "d"))
    assert failed[0]["status"] == "FAILED"
    assert failed[0]["failureCode"] == "SigningProfileNotActive"
    assert set(failed[0]) <= set(shape_members(ecr.meta.service_model, "ImageSigningStatus"))
    assert "FAILED" in enum(ecr.meta.service_model, "SigningStatus")


def test_without_a_signing_configuration_get_and_delete_are_not_found(ecr):
    for call in (ecr.get_signing_configuration, ecr.delete_signing_configuration):
        with pytest.raises(ClientError) as error:
            call()
        assert error.value.response["Error"]["Code"] == "SigningConfigurationNotFoundException"


def test_a_signing_configuration_is_validated_and_can_be_deleted(ecr):
    with pytest.raises(ClientError):
        ecr.put_signing_configuration(signingConfiguration={"rules": []})
    rule = {"signingProfileArn": "arn:aws:signer:us-east-1:123456789012:/signing-profiles/x"}
    ecr.put_signing_configuration(signingConfiguration={"rules": [rule]})
    assert ecr.delete_signing_configuration()["signingConfiguration"] == {"rules": [rule]}
    with pytest.raises(ClientError):
        ecr.get_signing_configuration()
