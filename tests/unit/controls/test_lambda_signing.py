"""controls/lambda_signing.py: PG.LAMBDA.1-3 (code signing config enforced, trusted publishers, signed code)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from provenance_guard.collect.lambda_model import CodeSigning, SigningJobStatus
from provenance_guard.controls import registry
from provenance_guard.model import Status, Verdict
from tests.unit.lambda_support import (
    CONFIG_ARN,
    JOB_ARN,
    PROFILE_ARN,
    PROFILE_VERSION_ARN,
    function_snapshot,
    function_version,
    lambda_policy,
)
from tests.unit.support import ACCOUNT, REGION, T0
from tests.unit.support import CONTEXT as CTX

NIGHTLY = f"arn:aws:signer:{REGION}:{ACCOUNT}:/signing-profiles/nightly/9f8e7d6c5b"
VENDOR = f"arn:aws:signer:{REGION}:444455556666:/signing-profiles/vendor/0a0b0c0d0e"


def judge(control_id: str, snapshot: Any, policy: Any = None) -> Verdict | None:
    return registry.get(control_id).evaluate(snapshot, policy or lambda_policy(), CTX)


def codes(verdict: Verdict | None) -> list[str]:
    assert verdict is not None
    return [reason.code for reason in verdict.reasons]


# --- PG.LAMBDA.1 ---------------------------------------------------------------------------------------


def test_an_enforcing_config_passes() -> None:
    verdict = judge("PG.LAMBDA.1", function_snapshot())
    assert verdict is not None
    assert verdict.status is Status.PASSED
    assert verdict.evidence == {"CodeSigningConfigArn": CONFIG_ARN, "UntrustedArtifactOnDeployment": "Enforce"}


def test_no_config_fails() -> None:
    verdict = judge("PG.LAMBDA.1", function_snapshot(code_signing=None))
    assert verdict is not None
    assert verdict.status is Status.FAILED
    assert codes(verdict) == ["NO_CODE_SIGNING_CONFIG"]


def test_a_warn_config_fails() -> None:
    verdict = judge(
        "PG.LAMBDA.1", function_snapshot(code_signing=CodeSigning(CONFIG_ARN, "Warn", (PROFILE_VERSION_ARN,)))
    )
    assert verdict is not None
    assert verdict.status is Status.FAILED
    assert codes(verdict) == ["NOT_ENFORCED"]
    assert "Warn" in verdict.reasons[0].description


def test_an_unreadable_config_is_not_available() -> None:
    unreadable = CodeSigning(CONFIG_ARN, None, (), "AccessDeniedException: not authorized")
    for control_id in ("PG.LAMBDA.1", "PG.LAMBDA.2"):
        verdict = judge(control_id, function_snapshot(code_signing=unreadable))
        assert verdict is not None
        assert verdict.status is Status.NOT_AVAILABLE
        assert "AccessDeniedException" in verdict.reasons[0].description


@pytest.mark.parametrize("control_id", ["PG.LAMBDA.1", "PG.LAMBDA.2", "PG.LAMBDA.3"])
def test_signing_controls_do_not_judge_container_images(control_id: str) -> None:
    assert judge(control_id, function_snapshot(package_type="Image", code_signing=None)) is None


# --- PG.LAMBDA.2 ---------------------------------------------------------------------------------------


def test_publishers_that_are_versions_of_trusted_profiles_pass() -> None:
    verdict = judge("PG.LAMBDA.2", function_snapshot())
    assert verdict is not None
    assert verdict.status is Status.PASSED


def test_a_trusted_version_arn_trusts_only_that_version() -> None:
    config = CodeSigning(CONFIG_ARN, "Enforce", (PROFILE_VERSION_ARN, f"{PROFILE_ARN}/ffffffffff"))
    verdict = judge(
        "PG.LAMBDA.2",
        function_snapshot(code_signing=config),
        lambda_policy(trusted_signing_profiles=[PROFILE_VERSION_ARN]),
    )
    assert verdict is not None
    assert verdict.status is Status.FAILED
    assert verdict.reasons[0].description == (
        f"allowed publisher {PROFILE_ARN}/ffffffffff is not in lambda.trusted_signing_profiles"
    )


def test_every_untrusted_publisher_is_named() -> None:
    config = CodeSigning(CONFIG_ARN, "Enforce", (PROFILE_VERSION_ARN, NIGHTLY, VENDOR))
    verdict = judge("PG.LAMBDA.2", function_snapshot(code_signing=config))
    assert verdict is not None
    assert verdict.status is Status.FAILED
    assert codes(verdict) == ["UNTRUSTED_PUBLISHER", "UNTRUSTED_PUBLISHER"]
    assert [NIGHTLY in verdict.reasons[0].description, VENDOR in verdict.reasons[1].description] == [True, True]


def test_a_profile_whose_name_extends_a_trusted_one_is_not_trusted() -> None:
    config = CodeSigning(CONFIG_ARN, "Enforce", (f"{PROFILE_ARN}-copy/0123456789",))
    verdict = judge("PG.LAMBDA.2", function_snapshot(code_signing=config))
    assert verdict is not None
    assert verdict.status is Status.FAILED


def test_an_empty_trust_list_trusts_no_publisher() -> None:
    verdict = judge("PG.LAMBDA.2", function_snapshot(), lambda_policy(trusted_signing_profiles=[]))
    assert verdict is not None
    assert verdict.status is Status.FAILED
    assert verdict.evidence["TrustedSigningProfiles"] == "-"


def test_no_config_leaves_publishers_not_available() -> None:
    verdict = judge("PG.LAMBDA.2", function_snapshot(code_signing=None))
    assert verdict is not None
    assert verdict.status is Status.NOT_AVAILABLE
    assert codes(verdict) == ["NO_CODE_SIGNING_CONFIG"]


# --- PG.LAMBDA.3 ---------------------------------------------------------------------------------------


def test_code_signed_by_a_trusted_profile_passes_for_every_judged_version() -> None:
    snapshot = function_snapshot(function_version(), function_version("3", aliases=("live",)))
    verdict = judge("PG.LAMBDA.3", snapshot)
    assert verdict is not None
    assert verdict.status is Status.PASSED
    assert verdict.evidence["JudgedVersions"] == "$LATEST; version 3 (alias live)"
    assert verdict.evidence["Signature.3"] == f"{PROFILE_VERSION_ARN} (job {JOB_ARN})"


def test_code_deployed_before_the_config_was_attached_fails() -> None:
    """A config attached after deployment does not re-validate old code: this control catches it."""
    legacy = function_version(
        "2", aliases=("live",), signing_profile_version_arn=None, signing_job_arn=None, signing_job=None
    )
    verdict = judge("PG.LAMBDA.3", function_snapshot(function_version(), legacy))
    assert verdict is not None
    assert verdict.status is Status.FAILED
    assert codes(verdict) == ["UNSIGNED_CODE"]
    assert verdict.reasons[0].description.startswith("version 2 (alias live): ")
    assert verdict.evidence["Signature.2"] == "unsigned"
    assert judge("PG.LAMBDA.1", function_snapshot(function_version(), legacy)).status is Status.PASSED  # type: ignore[union-attr]


def test_code_signed_by_an_untrusted_profile_fails_naming_the_version() -> None:
    verdict = judge("PG.LAMBDA.3", function_snapshot(function_version(signing_profile_version_arn=NIGHTLY)))
    assert verdict is not None
    assert verdict.status is Status.FAILED
    assert verdict.reasons[0].description == f"$LATEST: signed by {NIGHTLY}, not in lambda.trusted_signing_profiles"


def test_a_revoked_signature_fails() -> None:
    job = SigningJobStatus(JOB_ARN, revoked_at=T0 - timedelta(days=1), revoked_reason="key compromised")
    verdict = judge("PG.LAMBDA.3", function_snapshot(function_version(signing_job=job)))
    assert verdict is not None
    assert codes(verdict) == ["SIGNATURE_REVOKED"]
    assert "2025-01-14" in verdict.reasons[0].description


def test_an_expired_signature_fails_and_one_still_valid_passes() -> None:
    expired = function_version(signing_job=SigningJobStatus(JOB_ARN, expires_at=T0 - timedelta(seconds=1)))
    valid = function_version(signing_job=SigningJobStatus(JOB_ARN, expires_at=T0 + timedelta(days=1)))
    assert codes(judge("PG.LAMBDA.3", function_snapshot(expired))) == ["SIGNATURE_EXPIRED"]
    assert judge("PG.LAMBDA.3", function_snapshot(valid)).status is Status.PASSED  # type: ignore[union-attr]


def test_an_unreadable_job_does_not_fail_a_trusted_signature_but_is_shown() -> None:
    job = SigningJobStatus(JOB_ARN, error="the job belongs to account 444455556666; only its owner can read it")
    verdict = judge("PG.LAMBDA.3", function_snapshot(function_version(signing_job=job)))
    assert verdict is not None
    assert verdict.status is Status.PASSED
    assert "job not readable" in verdict.evidence["Signature.$LATEST"]


def test_evidence_is_stable_from_day_to_day() -> None:
    snapshot = function_snapshot(
        function_version(signing_job=replace(SigningJobStatus(JOB_ARN), expires_at=T0 + timedelta(days=900)))
    )
    first = registry.get("PG.LAMBDA.3").evaluate(snapshot, lambda_policy(), CTX)
    later = registry.get("PG.LAMBDA.3").evaluate(snapshot, lambda_policy(), replace(CTX, now=T0 + timedelta(days=1)))
    assert first == later
