"""controls/ami.py: PG.AMI.1 (trusted owner / approved pipeline) and PG.AMI.3 (sharing), judged purely."""

from __future__ import annotations

from typing import Any

import pytest

from provenance_guard.controls import registry
from provenance_guard.model import Severity, Status, Verdict
from provenance_guard.policy import Policy
from tests.unit.support import ACCOUNT, OTHER_ACCOUNT, ami_ref, ami_snapshot, permissions
from tests.unit.support import CONTEXT as CTX

ORG = "arn:aws:organizations::111122223333:organization/o-a1b2c3d4e5"
OU = "arn:aws:organizations::111122223333:ou/o-a1b2c3d4e5/ou-ab12-cdef3456"
OTHER_ORG_OU = "arn:aws:organizations::999988887777:ou/o-zzzzzzzzzz/ou-zz99-zzzzzzzz"
DEFAULT = Policy()
PIPELINE = "arn:aws:imagebuilder:us-east-1:111122223333:image-pipeline/golden-al2023"


def policy(**ami: Any) -> Policy:
    return Policy.from_document({"ami": ami})


def trusted_owner(policy: Policy = DEFAULT, **snapshot: Any) -> Verdict:
    verdict = registry.get("PG.AMI.1").evaluate(ami_snapshot(**snapshot), policy, CTX)
    assert verdict is not None
    assert verdict.control_id == "PG.AMI.1"
    return verdict


def sharing(policy: Policy = DEFAULT, **snapshot: Any) -> Verdict:
    verdict = registry.get("PG.AMI.3").evaluate(ami_snapshot(**snapshot), policy, CTX)
    assert verdict is not None
    assert verdict.control_id == "PG.AMI.3"
    return verdict


# --- PG.AMI.1 -------------------------------------------------------------------------------------


def test_ami1_self_owned_passes_with_the_default_policy() -> None:
    verdict = trusted_owner()
    assert verdict.status is Status.PASSED
    assert verdict.reasons[0].description == f"owner {ACCOUNT} is a trusted account"
    assert verdict.evidence["OwnerId"] == ACCOUNT
    assert verdict.evidence["TrustedOwners"] == "self, amazon"


def test_ami1_self_owned_fails_when_self_is_not_trusted() -> None:
    verdict = trusted_owner(policy(trusted_owners=["amazon"]))
    assert verdict.status is Status.FAILED
    assert verdict.reasons[0].code == "UNTRUSTED_OWNER"


def test_ami1_trusted_account_id_passes() -> None:
    verdict = trusted_owner(policy(trusted_owners=[OTHER_ACCOUNT]), owner_id=OTHER_ACCOUNT)
    assert verdict.status is Status.PASSED


def test_ami1_amazon_alias_passes() -> None:
    verdict = trusted_owner(owner_id="137112412989", owner_alias="amazon")
    assert verdict.status is Status.PASSED
    assert verdict.reasons[0].description == "owner alias amazon is trusted"
    assert verdict.evidence["OwnerAlias"] == "amazon"


@pytest.mark.parametrize(
    ("trusted", "status"), [(["self", "amazon"], Status.FAILED), (["aws-marketplace"], Status.PASSED)]
)
def test_ami1_marketplace_alias_is_trusted_only_when_listed(trusted: list[str], status: Status) -> None:
    verdict = trusted_owner(policy(trusted_owners=trusted), owner_id="679593333241", owner_alias="aws-marketplace")
    assert verdict.status is status


def test_ami1_untrusted_owner_fails_with_the_default_severity() -> None:
    verdict = trusted_owner(owner_id=OTHER_ACCOUNT)
    assert verdict.status is Status.FAILED
    assert verdict.severity is None  # the control's HIGH applies
    assert registry.get("PG.AMI.1").severity is Severity.HIGH
    (reason,) = verdict.reasons
    assert reason.code == "UNTRUSTED_OWNER"
    assert reason.description == (
        f"owner {OTHER_ACCOUNT} is not in ami.trusted_owners and no approved pipeline built it"
    )
    assert verdict.evidence["ImageBuilderPipeline"] == "-"


def test_ami1_an_alias_of_an_untrusted_owner_is_named() -> None:
    verdict = trusted_owner(policy(trusted_owners=["self"]), owner_id="137112412989", owner_alias="amazon")
    assert verdict.status is Status.FAILED
    assert "owner 137112412989 (amazon)" in verdict.reasons[0].description


@pytest.mark.parametrize(
    "pattern",
    [
        PIPELINE,
        "arn:aws:imagebuilder:*:111122223333:image-pipeline/golden-*",
        "arn:aws:imagebuilder:us-east-1:111122223333:image-pipeline/*",
    ],
)
def test_ami1_approved_pipeline_passes_an_untrusted_owner(pattern: str) -> None:
    verdict = trusted_owner(policy(approved_pipelines=[pattern]), owner_id=OTHER_ACCOUNT, source_pipeline_arn=PIPELINE)
    assert verdict.status is Status.PASSED
    assert verdict.reasons[0].description == f"built by approved pipeline {PIPELINE}"
    assert verdict.evidence["ImageBuilderPipeline"] == PIPELINE


@pytest.mark.parametrize(
    "pattern",
    [
        "arn:aws:imagebuilder:*:111122223333:image-pipeline/silver-*",
        "arn:aws:imagebuilder:*:210987654321:image-pipeline/*",
    ],
)
def test_ami1_unapproved_pipeline_fails(pattern: str) -> None:
    verdict = trusted_owner(policy(approved_pipelines=[pattern]), owner_id=OTHER_ACCOUNT, source_pipeline_arn=PIPELINE)
    assert verdict.status is Status.FAILED
    assert verdict.reasons[0].description.endswith(f"and pipeline {PIPELINE} is not approved")


def test_ami1_self_is_the_evaluating_account_not_the_resource_account() -> None:
    snapshot = ami_snapshot(ref=ami_ref(account=OTHER_ACCOUNT), owner_id=OTHER_ACCOUNT)
    verdict = registry.get("PG.AMI.1").evaluate(snapshot, Policy(), CTX)
    assert verdict is not None
    assert verdict.status is Status.FAILED


# --- PG.AMI.3 -------------------------------------------------------------------------------------


def test_ami3_unshared_private_ami_passes() -> None:
    verdict = sharing()
    assert verdict.status is Status.PASSED
    assert verdict.reasons[0].description == "not shared"
    assert verdict.evidence == {"Public": "false", "LaunchPermissions": "none", "AllowedShareTargets": "-"}


def test_ami3_public_flag_is_critical() -> None:
    verdict = sharing(public=True)
    assert verdict.status is Status.FAILED
    assert verdict.severity is Severity.CRITICAL
    assert [r.code for r in verdict.reasons] == ["PUBLIC"]
    assert verdict.evidence["Public"] == "true"


def test_ami3_launch_permission_for_group_all_is_critical() -> None:
    verdict = sharing(public=False, launch_permissions=permissions(("group", "all")))
    assert verdict.status is Status.FAILED
    assert verdict.severity is Severity.CRITICAL
    assert verdict.evidence["LaunchPermissions"] == "group:all"


def test_ami3_public_is_detected_even_without_reading_launch_permissions() -> None:
    verdict = sharing(public=True, owner_id=OTHER_ACCOUNT, launch_permissions=None)
    assert (verdict.status, verdict.severity) == (Status.FAILED, Severity.CRITICAL)


def test_ami3_shared_with_an_allowed_account_passes() -> None:
    verdict = sharing(
        policy(allowed_share_targets=[OTHER_ACCOUNT]),
        launch_permissions=permissions(("account", OTHER_ACCOUNT)),
    )
    assert verdict.status is Status.PASSED
    assert verdict.reasons[0].description == "shared only with allowed targets (1)"


def test_ami3_shared_with_an_unknown_account_fails_with_the_default_severity() -> None:
    verdict = sharing(
        policy(allowed_share_targets=[OTHER_ACCOUNT]),
        launch_permissions=permissions(("account", OTHER_ACCOUNT), ("account", "210987654321")),
    )
    assert verdict.status is Status.FAILED
    assert verdict.severity is None
    assert [(r.code, r.description) for r in verdict.reasons] == [
        ("UNEXPECTED_SHARE", "shared with account 210987654321, which is not an allowed target")
    ]
    assert verdict.evidence["LaunchPermissions"] == f"account:{OTHER_ACCOUNT}, account:210987654321"


def test_ami3_shared_with_an_allowed_ou_passes() -> None:
    verdict = sharing(policy(allowed_share_targets=[OU]), launch_permissions=permissions(("ou", OU)))
    assert verdict.status is Status.PASSED


def test_ami3_an_ou_inside_an_allowed_organization_passes() -> None:
    verdict = sharing(policy(allowed_share_targets=[ORG]), launch_permissions=permissions(("ou", OU)))
    assert verdict.status is Status.PASSED


def test_ami3_an_ou_of_another_organization_fails() -> None:
    verdict = sharing(policy(allowed_share_targets=[ORG]), launch_permissions=permissions(("ou", OTHER_ORG_OU)))
    assert verdict.status is Status.FAILED
    assert verdict.reasons[0].description == f"shared with ou {OTHER_ORG_OU}, which is not an allowed target"


def test_ami3_an_allowed_ou_does_not_allow_its_whole_organization() -> None:
    verdict = sharing(policy(allowed_share_targets=[OU]), launch_permissions=permissions(("organization", ORG)))
    assert verdict.status is Status.FAILED


def test_ami3_shared_with_an_allowed_organization_passes() -> None:
    verdict = sharing(policy(allowed_share_targets=[ORG]), launch_permissions=permissions(("organization", ORG)))
    assert verdict.status is Status.PASSED


def test_ami3_every_unexpected_target_is_a_reason() -> None:
    verdict = sharing(launch_permissions=permissions(("account", OTHER_ACCOUNT), ("organization", ORG), ("ou", OU)))
    assert verdict.status is Status.FAILED
    assert [r.code for r in verdict.reasons] == ["UNEXPECTED_SHARE"] * 3


def test_ami3_not_owned_is_not_available() -> None:
    verdict = sharing(owner_id=OTHER_ACCOUNT, launch_permissions=None)
    assert verdict.status is Status.NOT_AVAILABLE
    (reason,) = verdict.reasons
    assert reason.code == "NOT_OWNER"
    assert OTHER_ACCOUNT in reason.description
    assert verdict.evidence["LaunchPermissions"] == "not readable"
