"""controls/ecs.py: PG.ECS.1 judges what a task definition names (pinned, immutable, trusted registry);
PG.ECS.2 judges what services and standalone tasks run, through the ECR image controls' own verdicts."""

from __future__ import annotations

from typing import Any

import pytest

from provenance_guard.collect.ecr_image_model import ECR_IMAGE
from provenance_guard.collect.ecs_model import RunningTask, parse_container_image
from provenance_guard.collect.ecs_running import RunningImage
from provenance_guard.collect.ecs_service import ECS_SERVICE, ECS_TASK, EcsServiceSnapshot, EcsTaskSnapshot
from provenance_guard.collect.ecs_task_definition import (
    ECS_TASK_DEFINITION,
    ContainerImage,
    TagMutability,
    TaskDefinitionSnapshot,
)
from provenance_guard.controls import registry
from provenance_guard.controls.registry import Control, EvaluationContext
from provenance_guard.model import Reason, ResourceRef, Severity, Status, Verdict
from provenance_guard.policy import Policy
from tests.unit.support import ACCOUNT, REGION
from tests.unit.support import CONTEXT as CTX

OWN = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"
DIGEST = "sha256:" + "ab" * 32
DEFAULT = Policy.from_document({"version": 1})


def container(image: str, mutability: TagMutability | None = None, error: str | None = None) -> ContainerImage:
    return ContainerImage("web", image, parse_container_image(image), error=error, mutability=mutability)


def definition(*images: ContainerImage) -> TaskDefinitionSnapshot:
    ref = ResourceRef(ECS_TASK_DEFINITION, "web", ACCOUNT, REGION)
    return TaskDefinitionSnapshot(
        ref, f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/web:4", 4, "ACTIVE", images, (), {}
    )


def judge(control_id: str, snapshot: Any, policy: Policy = DEFAULT) -> Verdict:
    verdict = registry.get(control_id).evaluate(snapshot, policy, CTX)
    assert verdict is not None
    return verdict


class TestPinnedImages:
    def test_a_digest_from_own_ecr_passes(self) -> None:
        verdict = judge("PG.ECS.1", definition(container(f"{OWN}/web@{DIGEST}")))
        assert verdict.status is Status.PASSED
        assert verdict.evidence["Revision"] == "web:4"

    def test_a_tag_of_an_immutable_repository_passes(self) -> None:
        image = container(f"{OWN}/web:2026.11", TagMutability("web", "IMMUTABLE"))
        assert judge("PG.ECS.1", definition(image)).status is Status.PASSED

    def test_latest_of_a_mutable_repository_fails(self) -> None:
        verdict = judge("PG.ECS.1", definition(container(f"{OWN}/web:latest", TagMutability("web", "MUTABLE"))))
        assert verdict.status is Status.FAILED
        assert verdict.reasons == (
            Reason(
                "MUTABLE_TAG", f"container web ({OWN}/web:latest): tag latest of repository web (MUTABLE) can be moved"
            ),
        )

    def test_an_implicit_latest_is_a_tag_too(self) -> None:
        image = container(f"{OWN}/web", TagMutability("web", "MUTABLE"))
        assert "tag latest" in judge("PG.ECS.1", definition(image)).reasons[0].description

    @pytest.mark.parametrize(
        ("setting", "exclusions", "tag", "immutable"),
        [
            ("IMMUTABLE_WITH_EXCLUSION", ("latest",), "latest", False),
            ("IMMUTABLE_WITH_EXCLUSION", ("dev-*",), "v1", True),
            ("MUTABLE_WITH_EXCLUSION", ("release-*",), "release-3", True),
            ("MUTABLE_WITH_EXCLUSION", ("release-*",), "latest", False),
        ],
    )
    def test_exclusion_filters_decide_per_tag(
        self, setting: str, exclusions: tuple[str, ...], tag: str, immutable: bool
    ) -> None:
        assert TagMutability("web", setting, exclusions).immutable(tag) is immutable

    def test_a_docker_hub_tag_is_neither_pinned_nor_trusted(self) -> None:
        verdict = judge("PG.ECS.1", definition(container("nginx:1.27")))
        assert [r.code for r in verdict.reasons] == ["UNTRUSTED_REGISTRY", "NOT_PINNED"]
        assert "docker.io/library/nginx" in verdict.reasons[0].description

    def test_a_trusted_public_registry_pinned_by_digest_passes(self) -> None:
        policy = Policy.from_document({"container": {"trusted_registries": ["self", "public.ecr.aws/docker/library"]}})
        image = container(f"public.ecr.aws/docker/library/nginx@{DIGEST}")
        assert judge("PG.ECS.1", definition(image), policy).status is Status.PASSED

    def test_a_repository_that_cannot_be_read_is_not_available(self) -> None:
        verdict = judge("PG.ECS.1", definition(container(f"{OWN}/web:v1", error="repository web not found")))
        assert verdict.status is Status.NOT_AVAILABLE
        assert verdict.reasons[0].code == "MUTABILITY_UNKNOWN"


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
    """Stand-ins for PG.ECR.3 / PG.ECR.5 reading a dict snapshot {"signed": bool, "critical": int}: the
    real controls have their own tests; here only how PG.ECS.2 combines their verdicts matters."""

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


def running(
    image: str = f"{OWN}/web:v1", digest: str | None = DIGEST, snapshot: Any = None, error: str | None = None
) -> RunningImage:
    reference = parse_container_image(image)
    ecr_ref = None
    if reference.ecr_account and digest:
        ecr_ref = ResourceRef(ECR_IMAGE, f"{reference.repository}@{digest}", reference.ecr_account, REGION)
    return RunningImage(image, digest, ("web",), 2, reference, ecr_ref, snapshot, error)


def service(*images: RunningImage) -> EcsServiceSnapshot:
    ref = ResourceRef(ECS_SERVICE, "prod/web", ACCOUNT, REGION)
    return EcsServiceSnapshot(ref, ref.arn, "ACTIVE", 2, 2, "web:4", "FARGATE", 2, 2, images, {})


CLEAN = {"signed": True, "critical": 0}


@pytest.mark.usefixtures("ecr_controls")
class TestRunningImages:
    def test_a_signed_clean_image_of_own_ecr_passes(self) -> None:
        verdict = judge("PG.ECS.2", service(running(snapshot=CLEAN)))
        assert verdict.status is Status.PASSED
        assert verdict.evidence["Image.1"] == f"{OWN}/web@{DIGEST}: PG.ECR.3 PASSED, PG.ECR.5 PASSED"

    def test_a_critical_finding_fails_the_service_at_critical(self) -> None:
        verdict = judge("PG.ECS.2", service(running(snapshot={"signed": True, "critical": 1})))
        assert verdict.status is Status.FAILED
        assert verdict.severity is Severity.CRITICAL
        assert verdict.reasons == (Reason("PG.ECR.5:THRESHOLD_EXCEEDED", f"{OWN}/web@{DIGEST}: 1 CRITICAL findings"),)

    def test_an_unreported_digest_fails_provenance_unknown(self) -> None:
        verdict = judge("PG.ECS.2", service(running(digest=None, error="ECS reports no digest for it")))
        assert verdict.status is Status.FAILED
        assert verdict.reasons[0].code == "DIGEST_UNKNOWN"

    def test_a_digest_no_longer_in_ecr_fails(self) -> None:
        verdict = judge("PG.ECS.2", service(running(error="image web@sha256:... is not in ECR (deleted, or archived)")))
        assert verdict.status is Status.FAILED
        assert verdict.reasons[0].code == "IMAGE_NOT_IN_ECR"

    def test_an_untrusted_registry_fails_and_its_image_is_not_judged_further(self) -> None:
        verdict = judge("PG.ECS.2", service(running("docker.io/randomdev/app:1", error="not an ECR image")))
        assert [r.code for r in verdict.reasons] == ["UNTRUSTED_REGISTRY"]
        assert verdict.status is Status.FAILED

    def test_a_trusted_registry_outside_ecr_is_not_available(self) -> None:
        policy = Policy.from_document({"container": {"trusted_registries": ["self", "public.ecr.aws/docker/library"]}})
        image = running("public.ecr.aws/docker/library/nginx:1.27", error="not an ECR image")
        verdict = judge("PG.ECS.2", service(image), policy)
        assert verdict.status is Status.NOT_AVAILABLE
        assert [r.code for r in verdict.reasons] == ["PG.ECR.3:IMAGE_NOT_READABLE", "PG.ECR.5:IMAGE_NOT_READABLE"]

    def test_a_service_with_no_running_task_is_not_available(self) -> None:
        verdict = judge("PG.ECS.2", service())
        assert (verdict.status, verdict.reasons[0].code) == (Status.NOT_AVAILABLE, "NO_RUNNING_TASKS")

    def test_scaling_does_not_change_the_evidence(self) -> None:
        small = judge("PG.ECS.2", service(running(snapshot=CLEAN)))
        large = service(running(snapshot=CLEAN))
        large = EcsServiceSnapshot(**{**large.__dict__, "desired_count": 40, "running_count": 40, "tasks_read": 40})
        assert judge("PG.ECS.2", large).evidence == small.evidence

    def test_a_standalone_task_is_judged_by_the_same_control(self) -> None:
        task = RunningTask("arn", "prod", "abc", "family:batch", "RUNNING", "RUNNING", "td", None, None, 1, ())
        snapshot = EcsTaskSnapshot(
            ResourceRef(ECS_TASK, "prod/abc", ACCOUNT, REGION), task, (running(snapshot=CLEAN),), {}
        )
        assert judge("PG.ECS.2", snapshot).status is Status.PASSED
        assert registry.get("PG.ECS.2") in registry.for_kind(ECS_TASK)
