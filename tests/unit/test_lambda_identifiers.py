"""lambda_identifiers.py: function names in every form the Lambda API accepts, layer, profile and image refs."""

from __future__ import annotations

import pytest

from provenance_guard.lambda_identifiers import (
    FunctionId,
    layer_owner,
    parse_function_identifier,
    parse_image_uri,
    registry_trusted,
    trusted_profile,
)

ARN = "arn:aws:lambda:us-west-2:123456789012:function:my-function"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("my-function", FunctionId("my-function")),
        ("my-function:PROD", FunctionId("my-function", "PROD")),
        ("my-function:$LATEST", FunctionId("my-function", "$LATEST")),
        ("123456789012:function:my-function", FunctionId("my-function", account="123456789012")),
        ("123456789012:function:my-function:7", FunctionId("my-function", "7", "123456789012")),
        (ARN, FunctionId("my-function", None, "123456789012", "us-west-2", "aws")),
        (f"{ARN}:live", FunctionId("my-function", "live", "123456789012", "us-west-2", "aws")),
        (
            "arn:aws-cn:lambda:cn-north-1:123456789012:function:fn_1",
            FunctionId("fn_1", None, "123456789012", "cn-north-1", "aws-cn"),
        ),
        (
            "arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:fn",
            FunctionId("fn", None, "123456789012", "us-gov-west-1", "aws-us-gov"),
        ),
    ],
)
def test_function_identifiers(value: str, expected: FunctionId) -> None:
    assert parse_function_identifier(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        "my function",
        "a:b:c:d:e",
        "arn:aws:s3:::bucket",
        "arn:aws:lambda:us-east-1:123456789012:layer:x:1",
        "x" * 65,
    ],
)
def test_what_is_not_a_function_identifier(value: str) -> None:
    with pytest.raises(ValueError, match="not a Lambda function name or ARN"):
        parse_function_identifier(value)


def test_layer_owner() -> None:
    assert layer_owner("arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3:7") == "017000801446"
    assert layer_owner("arn:aws:lambda:::awslayer:AmazonLinux1703") is None


def test_trusted_profiles_match_their_versions_at_a_path_boundary() -> None:
    profile = "arn:aws:signer:us-east-1:123456789012:/signing-profiles/release"
    trusted = (profile,)
    assert trusted_profile(f"{profile}/a1b2c3d4e5", trusted) == profile
    assert trusted_profile(f"{profile}-copy/a1b2c3d4e5", trusted) is None
    assert trusted_profile(None, trusted) is None
    assert trusted_profile(f"{profile}/a1b2c3d4e5", (f"{profile}/a1b2c3d4e5",)) == f"{profile}/a1b2c3d4e5"
    assert trusted_profile(f"{profile}/ffffffffff", (f"{profile}/a1b2c3d4e5",)) is None


def test_image_uris() -> None:
    ecr = parse_image_uri("123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app:v3")
    assert (ecr.registry, ecr.repository, ecr.tag, ecr.digest) == (
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
        "team/app",
        "v3",
        None,
    )
    assert (ecr.ecr_account, ecr.ecr_region) == ("123456789012", "eu-west-1")
    pinned = parse_image_uri("123456789012.dkr.ecr.eu-west-1.amazonaws.com/app@sha256:" + "0" * 64)
    assert (pinned.tag, pinned.digest) == (None, "sha256:" + "0" * 64)
    public = parse_image_uri("public.ecr.aws/lambda/python:3.12")
    assert (public.registry, public.repository, public.ecr_account) == ("public.ecr.aws", "lambda/python", None)
    with pytest.raises(ValueError, match="names no registry host"):
        parse_image_uri("python:3.12")


def test_trusted_registries() -> None:
    own = parse_image_uri("123456789012.dkr.ecr.eu-west-1.amazonaws.com/team-a/app:v1")
    assert registry_trusted(own, ("self",), "123456789012") == "self"
    assert registry_trusted(own, ("self",), "444455556666") is None
    host = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
    assert registry_trusted(own, (host,), "444455556666") == host
    assert registry_trusted(own, (f"{host}/team-a",), "444455556666") == f"{host}/team-a"
    assert registry_trusted(own, (f"{host}/team",), "444455556666") is None, "prefixes match whole path segments"
