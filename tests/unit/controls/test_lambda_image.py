"""controls/lambda_image.py: PG.LAMBDA.6 judges container-image functions by registry and by the ECR image
controls' verdicts on the resolved digest (PG.ECR.3, PG.ECR.5), NOT_AVAILABLE while those do not exist."""

from __future__ import annotations

from typing import Any

import pytest

from provenance_guard.collect.ecr_image_model import ECR_IMAGE
from provenance_guard.collect.lambda_model import ImageEvidence
from provenance_guard.controls import registry
from provenance_guard.controls.registry import Control, EvaluationContext
from provenance_guard.lambda_identifiers import parse_image_uri
from provenance_guard.model import Reason, ResourceRef, Severity, Status, Verdict
from provenance_guard.policy import Policy
from tests.unit.lambda_support import function_snapshot, function_version, lambda_policy
from tests.unit.support import ACCOUNT, REGION
from tests.unit.support import CONTEXT as CTX

DIGEST = "sha256:" + "ab" * 32
OWN = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/payments"
FOREIGN = f"444455556666.dkr.ecr.{REGION}.amazonaws.com/payments"


def image(repository: str = OWN, snapshot: Any = None, error: str | None = None) -> ImageEvidence:
    resolved = f"{repository}@{DIGEST}"
    reference = parse_image_uri(resolved)
    ecr_ref = ResourceRef(ECR_IMAGE, f"{reference.repository}@{DIGEST}", reference.ecr_account or "", REGION)
    return ImageEvidence(f"{repository}:v3", resolved, reference, ecr_ref, snapshot=snapshot, error=error)


def image_function(*images: ImageEvidence, aliases: tuple[str, ...] = ()) -> Any:
    versions = [
        function_version(
            "$LATEST" if index == 0 else str(index), runtime=None, image=item, aliases=aliases if index else ()
        )
        for index, item in enumerate(images or (image(),))
    ]
    return function_snapshot(*versions, package_type="Image", code_signing=None)


def judge(snapshot: Any, policy: Policy | None = None) -> Verdict:
    verdict = registry.get("PG.LAMBDA.6").evaluate(snapshot, policy or lambda_policy(), CTX)
    assert verdict is not None
    return verdict


@pytest.fixture
def without_ecr_controls(monkeypatch: pytest.MonkeyPatch) -> None:
    """The registry as it is until the ECR image controls are built."""
    for control_id in ("PG.ECR.3", "PG.ECR.5"):
        monkeypatch.delitem(registry._controls, control_id, raising=False)


def _ecr_control(control_id: str, evaluate: Any) -> Control[Any]:
    return Control(
        id=control_id,
        title=control_id,
        description=control_id,
        severity=Severity.HIGH,
        resource_kind=ECR_IMAGE,
        remediation_text="r",
        remediation_url="https://docs.aws.amazon.com/",
        related_requirements=(),
        permissions=("ecr:DescribeImages",),
        evaluate=evaluate,
    )


@pytest.fixture
def ecr_controls(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stand-ins for PG.ECR.3 / PG.ECR.5 that read a dict snapshot: {"signed": bool, "critical": int}."""

    def signature(snapshot: Any, policy: Policy, ctx: EvaluationContext) -> Verdict:
        if snapshot["signed"]:
            return Verdict.passed("PG.ECR.3", "signed by a trusted identity", {})
        return Verdict.failed("PG.ECR.3", (Reason("NO_SIGNATURE", "the digest carries no signature"),), {})

    def scan(snapshot: Any, policy: Policy, ctx: EvaluationContext) -> Verdict:
        if snapshot["critical"]:
            reason = Reason("THRESHOLD_EXCEEDED", f"{snapshot['critical']} CRITICAL findings")
            return Verdict.failed("PG.ECR.5", (reason,), {}, Severity.CRITICAL)
        return Verdict.passed("PG.ECR.5", "within thresholds", {})

    monkeypatch.setitem(registry._controls, "PG.ECR.3", _ecr_control("PG.ECR.3", signature))
    monkeypatch.setitem(registry._controls, "PG.ECR.5", _ecr_control("PG.ECR.5", scan))


def test_zip_functions_are_not_judged() -> None:
    assert registry.get("PG.LAMBDA.6").evaluate(function_snapshot(), lambda_policy(), CTX) is None


@pytest.mark.usefixtures("without_ecr_controls")
def test_until_the_ecr_controls_exist_the_registry_is_judged_and_the_rest_is_not_available() -> None:
    verdict = judge(image_function())
    assert verdict.status is Status.NOT_AVAILABLE
    assert [r.code for r in verdict.reasons] == ["PG.ECR.3:CONTROL_NOT_AVAILABLE", "PG.ECR.5:CONTROL_NOT_AVAILABLE"]
    assert "signature is not judged" in verdict.reasons[0].description
    assert verdict.evidence[r"Registry.$LATEST"] == f"{OWN}: trusted (self)"


@pytest.mark.usefixtures("without_ecr_controls")
def test_an_untrusted_registry_fails_even_without_the_ecr_controls() -> None:
    verdict = judge(image_function(image(FOREIGN)))
    assert verdict.status is Status.FAILED
    assert verdict.reasons[0] == Reason("UNTRUSTED_REGISTRY", f"$LATEST: image from {FOREIGN}, not a trusted registry")


def test_a_registry_prefix_in_the_policy_is_trusted(ecr_controls: None) -> None:
    policy = Policy.from_document(
        {"container": {"trusted_registries": ["444455556666.dkr.ecr.us-east-1.amazonaws.com/payments"]}}
    )
    verdict = judge(image_function(image(FOREIGN, {"signed": True, "critical": 0})), policy)
    assert verdict.status is Status.PASSED


def test_a_signed_clean_image_from_a_trusted_registry_passes(ecr_controls: None) -> None:
    verdict = judge(image_function(image(snapshot={"signed": True, "critical": 0})))
    assert verdict.status is Status.PASSED
    assert (verdict.evidence["PG.ECR.3.$LATEST"], verdict.evidence["PG.ECR.5.$LATEST"]) == ("PASSED", "PASSED")


def test_the_ecr_verdicts_of_each_served_version_are_read(ecr_controls: None) -> None:
    good, bad = image(snapshot={"signed": True, "critical": 0}), image(snapshot={"signed": False, "critical": 2})
    verdict = judge(image_function(good, bad, aliases=("live",)))
    assert verdict.status is Status.FAILED
    assert verdict.severity is Severity.CRITICAL, "the worst ECR severity carries over"
    assert [r.code for r in verdict.reasons] == ["PG.ECR.3:NO_SIGNATURE", "PG.ECR.5:THRESHOLD_EXCEEDED"]
    assert verdict.reasons[0].description == "version 1 (alias live): the digest carries no signature"


def test_an_image_the_ecr_collector_cannot_read_is_not_available(ecr_controls: None) -> None:
    verdict = judge(image_function(image(error="no ECR image collector is installed")))
    assert verdict.status is Status.NOT_AVAILABLE
    assert "no ECR image collector is installed" in verdict.reasons[0].description


def test_an_image_that_cannot_be_identified_is_not_available() -> None:
    unknown = ImageEvidence("not-a-uri", None, None, None, error="'not-a-uri' names no registry host")
    verdict = judge(image_function(unknown))
    assert verdict.status is Status.NOT_AVAILABLE
    assert verdict.reasons[0].code == "IMAGE_UNKNOWN"
