"""The emulator's Lambda code signing configurations and their attachment to functions."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.unit.lambda_support import code_signing_config, create_function
from tests.unit.support import error_code

PROFILE_VERSION = "arn:aws:signer:us-east-1:123456789012:/signing-profiles/release/abcdef0123"
OTHER_VERSION = "arn:aws:signer:us-east-1:123456789012:/signing-profiles/nightly/0123abcdef"
UNKNOWN = "arn:aws:lambda:us-east-1:123456789012:code-signing-config:csc-0123456789abcdefg"


def test_create_get_and_list(lam: Any) -> None:
    created = lam.create_code_signing_config(
        Description="release", AllowedPublishers={"SigningProfileVersionArns": [PROFILE_VERSION]}
    )["CodeSigningConfig"]
    arn = created["CodeSigningConfigArn"]

    assert arn == f"arn:aws:lambda:us-east-1:123456789012:code-signing-config:{created['CodeSigningConfigId']}"
    assert len(created["CodeSigningConfigId"]) == len("csc-") + 17
    assert created["CodeSigningPolicies"] == {"UntrustedArtifactOnDeployment": "Warn"}, "Warn is the default"
    assert lam.get_code_signing_config(CodeSigningConfigArn=arn)["CodeSigningConfig"] == created
    assert [c["CodeSigningConfigArn"] for c in lam.list_code_signing_configs()["CodeSigningConfigs"]] == [arn]


def test_update_changes_only_what_is_given(lam: Any) -> None:
    arn = code_signing_config(lam, PROFILE_VERSION, policy="Warn")
    updated = lam.update_code_signing_config(
        CodeSigningConfigArn=arn, CodeSigningPolicies={"UntrustedArtifactOnDeployment": "Enforce"}
    )["CodeSigningConfig"]
    assert updated["CodeSigningPolicies"]["UntrustedArtifactOnDeployment"] == "Enforce"
    assert updated["AllowedPublishers"]["SigningProfileVersionArns"] == [PROFILE_VERSION]

    lam.update_code_signing_config(
        CodeSigningConfigArn=arn, AllowedPublishers={"SigningProfileVersionArns": [OTHER_VERSION]}
    )
    config = lam.get_code_signing_config(CodeSigningConfigArn=arn)["CodeSigningConfig"]
    assert config["AllowedPublishers"]["SigningProfileVersionArns"] == [OTHER_VERSION]
    assert config["CodeSigningPolicies"]["UntrustedArtifactOnDeployment"] == "Enforce"


@pytest.mark.parametrize(
    "request_",
    [
        pytest.param(
            {"AllowedPublishers": {"SigningProfileVersionArns": ["arn:aws:iam::123456789012:role/x"]}},
            id="not-a-profile",
        ),
        pytest.param(
            {
                "AllowedPublishers": {"SigningProfileVersionArns": [PROFILE_VERSION]},
                "CodeSigningPolicies": {"UntrustedArtifactOnDeployment": "Block"},
            },
            id="unknown-policy",
        ),
    ],
)
def test_invalid_configurations_are_refused(lam: Any, request_: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as raised:
        lam.create_code_signing_config(**request_)
    assert error_code(raised) == "InvalidParameterValueException"


def test_unknown_configurations_are_not_found(lam: Any) -> None:
    for call in (
        lam.get_code_signing_config,
        lam.delete_code_signing_config,
        lam.list_functions_by_code_signing_config,
    ):
        with pytest.raises(ClientError) as raised:
            call(CodeSigningConfigArn=UNKNOWN)
        assert error_code(raised) == "ResourceNotFoundException"
        assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_attach_list_detach_and_delete(lam: Any, iam: Any) -> None:
    arn = code_signing_config(lam, PROFILE_VERSION, policy="Warn")
    create_function(lam, iam, "billing")
    create_function(lam, iam, "reports", CodeSigningConfigArn=arn)

    attached = lam.put_function_code_signing_config(FunctionName="billing", CodeSigningConfigArn=arn)
    assert attached["CodeSigningConfigArn"] == arn
    assert lam.get_function_code_signing_config(FunctionName="billing")["CodeSigningConfigArn"] == arn
    assert lam.list_functions_by_code_signing_config(CodeSigningConfigArn=arn)["FunctionArns"] == [
        "arn:aws:lambda:us-east-1:123456789012:function:billing",
        "arn:aws:lambda:us-east-1:123456789012:function:reports",
    ]
    with pytest.raises(ClientError) as in_use:
        lam.delete_code_signing_config(CodeSigningConfigArn=arn)
    assert error_code(in_use) == "ResourceConflictException"

    for name in ("billing", "arn:aws:lambda:us-east-1:123456789012:function:reports"):
        lam.delete_function_code_signing_config(FunctionName=name)
    assert lam.get_function_code_signing_config(FunctionName="billing").get("CodeSigningConfigArn") is None
    assert lam.list_functions_by_code_signing_config(CodeSigningConfigArn=arn)["FunctionArns"] == []
    lam.delete_code_signing_config(CodeSigningConfigArn=arn)
    assert lam.list_code_signing_configs()["CodeSigningConfigs"] == []


def test_listing_functions_pages(lam: Any, iam: Any) -> None:
    arn = code_signing_config(lam, PROFILE_VERSION, policy="Warn")
    for index in range(3):
        create_function(lam, iam, f"fn-{index}", CodeSigningConfigArn=arn)
    first = lam.list_functions_by_code_signing_config(CodeSigningConfigArn=arn, MaxItems=2)
    rest = lam.list_functions_by_code_signing_config(CodeSigningConfigArn=arn, Marker=first["NextMarker"])
    assert len(first["FunctionArns"]) == 2
    assert len(rest["FunctionArns"]) == 1
    assert "NextMarker" not in rest
    paged = lam.get_paginator("list_functions_by_code_signing_config").paginate(
        CodeSigningConfigArn=arn, PaginationConfig={"PageSize": 1}
    )
    assert sum(len(page["FunctionArns"]) for page in paged) == 3


def test_an_unknown_configuration_cannot_be_attached(lam: Any, iam: Any) -> None:
    create_function(lam, iam, "billing")
    with pytest.raises(ClientError) as attach:
        lam.put_function_code_signing_config(FunctionName="billing", CodeSigningConfigArn=UNKNOWN)
    with pytest.raises(ClientError) as create:
        create_function(lam, iam, "reports", CodeSigningConfigArn=UNKNOWN)
    assert error_code(attach) == error_code(create) == "CodeSigningConfigNotFoundException"


def test_attaching_to_an_unknown_function_is_not_found(lam: Any) -> None:
    arn = code_signing_config(lam, PROFILE_VERSION)
    with pytest.raises(ClientError) as raised:
        lam.put_function_code_signing_config(FunctionName="missing", CodeSigningConfigArn=arn)
    assert error_code(raised) == "ResourceNotFoundException"
