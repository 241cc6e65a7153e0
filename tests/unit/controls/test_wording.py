"""How findings read (issue 13): titles state the requirement, remediation follows the reason, and every
control names its NIST SP 800-53 Rev. 5 and CIS Controls v8 requirements."""

from __future__ import annotations

import pytest

from provenance_guard.controls import registry
from provenance_guard.controls.frameworks import CIS_V8, FRAMEWORKS, NIST_800_53, framework_named
from provenance_guard.controls.registry import MAX_REMEDIATION, ControlRegistry
from provenance_guard.model import Reason, Severity, Status

CONTROLS = list(registry)


@pytest.mark.parametrize("control", CONTROLS, ids=lambda c: c.id)
def test_the_title_states_the_requirement(control) -> None:
    assert " should " in control.title, control.title


@pytest.mark.parametrize("control", CONTROLS, ids=lambda c: c.id)
def test_every_control_maps_to_nist_and_cis(control) -> None:
    nist = [r for r in control.related_requirements if NIST_800_53.requirement_id(r)]
    cis = [r for r in control.related_requirements if CIS_V8.requirement_id(r)]
    assert nist, f"{control.id} names no NIST SP 800-53 Rev. 5 control"
    assert cis, f"{control.id} names no CIS Controls v8 safeguard"
    assert control.related_requirements[0] == "AWS Well-Architected SEC06-BP02"


@pytest.mark.parametrize("control", CONTROLS, ids=lambda c: c.id)
def test_remediation_texts_fit_asff(control) -> None:
    assert 0 < len(control.remediation_text) <= MAX_REMEDIATION
    assert all(0 < len(text) <= MAX_REMEDIATION for text in control.remediation_by_reason.values())


def test_remediation_is_chosen_by_the_reason() -> None:
    control = registry.get("PG.AMI.3")
    public = control.remediation_for(Status.FAILED, [Reason("PUBLIC", "the AMI is public")])
    shared = control.remediation_for(Status.FAILED, [Reason("UNEXPECTED_SHARE", "shared with account 1")])
    assert "Group=all" in public
    assert "ami.allowed_share_targets" in shared
    assert "Group=all" not in shared


def test_a_reason_without_its_own_text_gets_the_controls_default() -> None:
    control = registry.get("PG.AMI.1")
    assert control.remediation_for(Status.FAILED, [Reason("SOMETHING_NEW", "x")]) == control.remediation_text


def test_several_reasons_get_each_text_once() -> None:
    control = registry.get("PG.AMI.5")
    reasons = [Reason("TOO_OLD", "a"), Reason("NO_DEPRECATION_TIME", "b"), Reason("TOO_OLD", "c")]
    text = control.remediation_for(Status.FAILED, reasons)
    expected = " ".join(
        (control.remediation_by_reason["TOO_OLD"], control.remediation_by_reason["NO_DEPRECATION_TIME"])
    )
    assert text == expected


def test_a_composite_reason_code_falls_back_to_the_control_it_names() -> None:
    control = registry.get("PG.EC2.1")
    text = control.remediation_for(Status.FAILED, [Reason("PG.AMI.1:UNTRUSTED_OWNER", "AMI PG.AMI.1: owner x")])
    assert text == control.remediation_by_reason["PG.AMI.1"]


def test_a_passed_result_gets_the_controls_own_text() -> None:
    control = registry.get("PG.AMI.3")
    assert control.remediation_for(Status.PASSED, [Reason("PASSED", "not shared")]) == control.remediation_text


def test_an_unknown_nist_control_is_refused_at_registration() -> None:
    fresh = ControlRegistry()
    with pytest.raises(ValueError, match="CM-99"):
        fresh.register(
            id="PG.AMI.1",
            title="t",
            severity=Severity.LOW,
            resource_kind=CONTROLS[0].resource_kind,
            remediation_text="r",
            remediation_url="https://example.com",
            permissions=(),
            nist=("CM-99",),
        )


@pytest.mark.parametrize(("name", "expected"), [("NIST-800-53", NIST_800_53), ("cis", CIS_V8), ("cis-v8", CIS_V8)])
def test_frameworks_are_found_by_name_or_alias(name: str, expected) -> None:
    assert framework_named(name) is expected


def test_an_unknown_framework_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match="nist-800-53"):
        framework_named("iso-27001")


def test_every_framework_has_a_distinct_prefix() -> None:
    assert len({f.prefix for f in FRAMEWORKS}) == len(FRAMEWORKS)
