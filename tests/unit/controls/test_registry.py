"""controls/registry.py: invariants every registered control must keep (the stack derives IAM from them)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from provenance_guard.collect.ami import AMI
from provenance_guard.collect.codeartifact_domain import CODEARTIFACT_DOMAIN
from provenance_guard.collect.codeartifact_package import CODEARTIFACT_PACKAGE_VERSION
from provenance_guard.collect.codeartifact_repository import CODEARTIFACT_REPOSITORY
from provenance_guard.collect.ecr_image_model import ECR_IMAGE
from provenance_guard.collect.ecr_repository import ECR_REPOSITORY
from provenance_guard.collect.ecs_service import ECS_SERVICE
from provenance_guard.collect.ecs_task_definition import ECS_TASK_DEFINITION
from provenance_guard.collect.instance import INSTANCE
from provenance_guard.collect.lambda_function import LAMBDA_FUNCTION
from provenance_guard.collect.launch_template import LAUNCH_TEMPLATE
from provenance_guard.controls import registry
from provenance_guard.controls.registry import (
    WELL_ARCHITECTED,
    Control,
    ControlRegistry,
    DuplicateControlError,
)
from provenance_guard.model import Severity, Verdict

CONTROLS = list(registry)
PERMISSION = re.compile(r"^[a-z0-9-]+:[A-Z][A-Za-z0-9]+$")

# CONTROLS.md §1: default severity and judged resource of every control the product promises.
# ("highest exceeded severity" for PG.ECR.5 is a per-finding override; its default is not fixed here.)
CONTROLS_MD = {
    "PG.AMI.1": (Severity.HIGH, AMI),
    "PG.AMI.2": (Severity.MEDIUM, AMI),
    "PG.AMI.3": (Severity.HIGH, AMI),
    "PG.AMI.4": (Severity.MEDIUM, AMI),
    "PG.AMI.5": (Severity.MEDIUM, AMI),
    "PG.AMI.6": (Severity.MEDIUM, AMI),
    "PG.EC2.1": (Severity.HIGH, INSTANCE),
    "PG.EC2.2": (Severity.HIGH, LAUNCH_TEMPLATE),
    "PG.ECR.1": (Severity.MEDIUM, ECR_REPOSITORY),
    "PG.ECR.2": (Severity.MEDIUM, ECR_REPOSITORY),
    "PG.ECR.3": (Severity.HIGH, ECR_IMAGE),
    "PG.ECR.4": (Severity.MEDIUM, ECR_IMAGE),
    "PG.ECR.5": (None, ECR_IMAGE),
    "PG.ECR.6": (Severity.MEDIUM, ECR_IMAGE),
    "PG.ECS.1": (Severity.MEDIUM, ECS_TASK_DEFINITION),
    "PG.ECS.2": (Severity.HIGH, ECS_SERVICE),
    "PG.LAMBDA.1": (Severity.HIGH, LAMBDA_FUNCTION),
    "PG.LAMBDA.2": (Severity.HIGH, LAMBDA_FUNCTION),
    "PG.LAMBDA.3": (Severity.HIGH, LAMBDA_FUNCTION),
    "PG.LAMBDA.4": (Severity.HIGH, LAMBDA_FUNCTION),
    "PG.LAMBDA.5": (Severity.MEDIUM, LAMBDA_FUNCTION),
    "PG.LAMBDA.6": (Severity.HIGH, LAMBDA_FUNCTION),
    "PG.PKG.1": (Severity.HIGH, CODEARTIFACT_REPOSITORY),
    "PG.PKG.2": (Severity.HIGH, CODEARTIFACT_DOMAIN),
    "PG.PKG.3": (Severity.CRITICAL, CODEARTIFACT_PACKAGE_VERSION),
    "PG.PKG.4": (Severity.HIGH, CODEARTIFACT_DOMAIN),  # and CODEARTIFACT_REPOSITORY (also_judges)
}


def by_id(control: Control[Any]) -> str:
    return control.id


def test_the_registry_holds_the_ami_controls() -> None:
    assert {"PG.AMI.1", "PG.AMI.3"} <= {c.id for c in registry}
    assert len(registry) == len(CONTROLS) >= 2


def test_ids_are_unique() -> None:
    ids = [c.id for c in CONTROLS]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("control", CONTROLS, ids=by_id)
class TestEveryControl:
    def test_id_has_the_documented_form_and_is_in_controls_md(self, control: Control[Any]) -> None:
        assert re.fullmatch(r"PG\.[A-Z][A-Z0-9]*\.[1-9][0-9]*", control.id)
        assert control.id.split(".")[1] == control.resource_kind.family
        assert control.id in CONTROLS_MD, "CONTROLS.md §1 promises no such control"

    def test_severity_and_resource_match_controls_md(self, control: Control[Any]) -> None:
        severity, kind = CONTROLS_MD[control.id]
        assert control.resource_kind is kind
        if severity is not None:
            assert control.severity is severity

    def test_remediation_has_text_and_an_aws_documentation_url(self, control: Control[Any]) -> None:
        assert control.remediation_url.startswith("https://docs.aws.amazon.com/")
        assert " " not in control.remediation_url
        assert 0 < len(control.remediation_text) <= 512, "findings truncate the text at 512"

    def test_permissions_are_declared_as_service_actions(self, control: Control[Any]) -> None:
        assert control.permissions
        for permission in control.permissions:
            assert PERMISSION.match(permission), permission
        assert len(set(control.permissions)) == len(control.permissions)

    def test_related_requirements_name_the_well_architected_practice(self, control: Control[Any]) -> None:
        assert "AWS Well-Architected SEC06-BP02" in control.related_requirements
        assert control.related_requirements[0] == WELL_ARCHITECTED
        assert len(control.related_requirements) <= 32  # ASFF Compliance.RelatedRequirements

    def test_description_is_the_evaluators_docstring(self, control: Control[Any]) -> None:
        assert control.evaluate.__doc__
        assert control.description == " ".join(control.evaluate.__doc__.split())
        assert "\n" not in control.description
        assert len(control.description) <= 900, "leave room in ASFF Description (1024) for the reasons"

    def test_title_fits_the_finding_title(self, control: Control[Any]) -> None:
        assert control.title
        assert len(f"{control.id} {control.title}") <= 256


def test_permissions_union_by_kind() -> None:
    ami = registry.permissions(frozenset({AMI}))
    assert {"ec2:DescribeImages", "ec2:DescribeImageAttribute"} <= set(ami)
    assert ami == sorted({p for c in registry.for_kind(AMI) for p in c.permissions})
    assert registry.permissions(frozenset({LAMBDA_FUNCTION})) == sorted(
        {p for c in registry.for_kind(LAMBDA_FUNCTION) for p in c.permissions}
    )
    assert set(ami) <= set(registry.permissions())
    assert registry.permissions() == sorted(set(registry.permissions()))


def test_for_kind_lists_only_controls_of_that_kind_in_order() -> None:
    ami_ids = [c.id for c in registry.for_kind(AMI)]
    assert ami_ids.index("PG.AMI.1") < ami_ids.index("PG.AMI.3")
    assert all(registry.get(i).resource_kind is AMI for i in ami_ids)


def test_a_control_may_judge_several_kinds_of_its_family() -> None:
    access = registry.get("PG.PKG.4")
    assert access.kinds == (CODEARTIFACT_DOMAIN, CODEARTIFACT_REPOSITORY)
    assert access in registry.for_kind(CODEARTIFACT_REPOSITORY)
    assert "codeartifact:GetRepositoryPermissionsPolicy" in registry.permissions(frozenset({CODEARTIFACT_REPOSITORY}))


def test_a_further_kind_of_another_family_is_refused() -> None:
    with pytest.raises(ValueError, match=r"PG\.<FAMILY>\.<n>"):
        ControlRegistry().register(
            id="PG.PKG.9",
            title="t",
            severity=Severity.LOW,
            resource_kind=CODEARTIFACT_DOMAIN,
            also_judges=(AMI,),
            remediation_text="r",
            remediation_url="https://docs.aws.amazon.com/",
            permissions=("codeartifact:DescribeDomain",),
        )(lambda snapshot, policy, ctx: None)


def test_lookup() -> None:
    assert registry.get("PG.AMI.1").id == "PG.AMI.1"
    assert "PG.AMI.1" in registry
    assert "PG.NOPE.1" not in registry
    with pytest.raises(KeyError):
        registry.get("PG.NOPE.1")


def _evaluate(snapshot: object, policy: object, ctx: object) -> Verdict | None:
    """Judges nothing."""
    return None


def _register(target: ControlRegistry, control_id: str) -> None:
    target.register(
        id=control_id,
        title="t",
        severity=Severity.LOW,
        resource_kind=AMI,
        remediation_text="r",
        remediation_url="https://docs.aws.amazon.com/",
        permissions=("ec2:DescribeImages",),
        related_requirements=("EC2.8",),
    )(_evaluate)


def test_duplicate_registration_raises() -> None:
    fresh = ControlRegistry()
    _register(fresh, "PG.AMI.99")
    with pytest.raises(DuplicateControlError, match=r"PG\.AMI\.99 is registered twice"):
        _register(fresh, "PG.AMI.99")
    assert len(fresh) == 1


def test_registering_an_existing_id_in_the_global_registry_raises_and_changes_nothing() -> None:
    before = registry.get("PG.AMI.1")
    with pytest.raises(DuplicateControlError):
        _register(registry, "PG.AMI.1")
    assert registry.get("PG.AMI.1") is before


@pytest.mark.parametrize("bad_id", ["PG.AMI.0", "PG.S3.1", "pg.ami.1", "PG.AMI", "AMI.1", "PG.AMI.1a"])
def test_malformed_ids_are_refused(bad_id: str) -> None:
    fresh = ControlRegistry()
    with pytest.raises(ValueError, match=r"PG\.<FAMILY>\.<n>"):
        _register(fresh, bad_id)
    assert bad_id not in fresh


def test_registration_builds_the_control_from_the_decorated_function() -> None:
    fresh = ControlRegistry()
    _register(fresh, "PG.AMI.42")
    control = fresh.get("PG.AMI.42")
    assert control.description == "Judges nothing."
    assert control.related_requirements == (WELL_ARCHITECTED, "EC2.8")
    assert control.evaluate is _evaluate


def test_a_service_control_may_also_judge_standalone_tasks() -> None:
    from provenance_guard.collect.ecs_service import ECS_TASK

    fresh = ControlRegistry()
    fresh.register(
        id="PG.ECS.9",
        title="t",
        severity=Severity.HIGH,
        resource_kind=ECS_SERVICE,
        also_judges=(ECS_TASK,),
        remediation_text="r",
        remediation_url="https://docs.aws.amazon.com/",
        permissions=("ecs:DescribeTasks",),
    )(_evaluate)
    assert [c.id for c in fresh.for_kind(ECS_TASK)] == [c.id for c in fresh.for_kind(ECS_SERVICE)] == ["PG.ECS.9"]
    assert fresh.permissions(frozenset({ECS_TASK})) == ["ecs:DescribeTasks"]
    with pytest.raises(ValueError, match="FAMILY"):
        fresh.register(
            id="PG.ECS.10",
            title="t",
            severity=Severity.HIGH,
            resource_kind=ECS_SERVICE,
            also_judges=(AMI,),
            remediation_text="r",
            remediation_url="https://docs.aws.amazon.com/",
            permissions=("ecs:DescribeTasks",),
        )(_evaluate)
