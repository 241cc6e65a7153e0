"""The emulator's ListSigningProfiles (moto 5.2.5 routes none), checked against botocore's signer model."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.unit.emulator.model_shapes import enum, input_members, shape_members
from tests.unit.lambda_support import LAMBDA_PLATFORM
from tests.unit.support import error_code

NOTATION_PLATFORM = "Notation-OCI-SHA384-ECDSA"


def test_the_operation_and_its_members_are_the_models(signer: Any) -> None:
    model = signer.meta.service_model
    assert input_members(model, "ListSigningProfiles") == {
        "includeCanceled", "maxResults", "nextToken", "platformId", "statuses",
    }  # fmt: skip
    assert enum(model, "SigningProfileStatus") == ["Active", "Canceled", "Revoked"]
    listed = signer.put_signing_profile(profileName="release", platformId=LAMBDA_PLATFORM)
    (profile,) = signer.list_signing_profiles()["profiles"]
    assert set(profile) <= set(shape_members(model, "SigningProfile"))
    assert (profile["arn"], profile["profileVersionArn"], profile["status"]) == (
        listed["arn"],
        listed["profileVersionArn"],
        "Active",
    )
    assert profile["platformId"] == LAMBDA_PLATFORM


def test_canceled_profiles_are_listed_only_when_asked_for(signer: Any) -> None:
    for name in ("alpha", "beta", "gamma"):
        signer.put_signing_profile(profileName=name, platformId=LAMBDA_PLATFORM)
    signer.cancel_signing_profile(profileName="beta")

    def names(**kwargs: Any) -> list[str]:
        return [p["profileName"] for p in signer.list_signing_profiles(**kwargs)["profiles"]]

    assert names() == ["alpha", "gamma"]
    assert names(includeCanceled=True) == ["alpha", "beta", "gamma"]
    assert names(statuses=["Canceled"]) == ["beta"]


def test_profiles_filter_by_platform_and_page(signer: Any) -> None:
    signer.put_signing_profile(profileName="lambda_release", platformId=LAMBDA_PLATFORM)
    signer.put_signing_profile(profileName="container_release", platformId=NOTATION_PLATFORM)
    signer.put_signing_profile(profileName="nightly", platformId=LAMBDA_PLATFORM)

    containers = signer.list_signing_profiles(platformId=NOTATION_PLATFORM)["profiles"]
    assert [p["profileName"] for p in containers] == ["container_release"]
    page = signer.list_signing_profiles(maxResults=2)
    rest = signer.list_signing_profiles(maxResults=2, nextToken=page["nextToken"])
    assert [p["profileName"] for p in page["profiles"] + rest["profiles"]] == [
        "container_release", "lambda_release", "nightly",
    ]  # fmt: skip
    assert "nextToken" not in rest


@pytest.mark.parametrize("kwargs", [{"nextToken": "forged"}, {"statuses": ["Paused"]}])
def test_bad_input_is_a_validation_exception(signer: Any, kwargs: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as raised:
        signer.list_signing_profiles(**kwargs)
    assert error_code(raised) == "ValidationException"
