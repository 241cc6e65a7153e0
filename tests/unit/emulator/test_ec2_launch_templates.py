"""The emulator's launch templates: default and latest versions, ``resolve:ssm:`` image ids stored as given
and resolved only with ResolveAlias, SourceVersion, filters and pages (moto lacks or gets wrong these)."""

from __future__ import annotations

import base64
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError

from provenance_guard_cli.emulator import ec2_launch_templates
from tests.unit.emulator.model_shapes import assert_conforms, input_members
from tests.unit.support import ACCOUNT, REGION, error_code

GOLDEN = "/pg/golden-ami"


@pytest.fixture
def amis(ec2: Any) -> list[str]:
    return [ec2.register_image(Name=f"pg-ami-{index}")["ImageId"] for index in range(3)]


@pytest.fixture
def golden(ssm: Any, amis: list[str]) -> str:
    """``/pg/golden-ami``: version 1 the first AMI (labelled ``previous``), version 2 the second."""
    ssm.put_parameter(Name=GOLDEN, Value=amis[0], Type="String", DataType="aws:ec2:image")
    ssm.label_parameter_version(Name=GOLDEN, ParameterVersion=1, Labels=["previous"])
    ssm.put_parameter(Name=GOLDEN, Value=amis[1], Type="String", DataType="aws:ec2:image", Overwrite=True)
    return GOLDEN


def template(ec2: Any, image_id: str, name: str = "pg-lt", **data: Any) -> str:
    created = ec2.create_launch_template(LaunchTemplateName=name, LaunchTemplateData={"ImageId": image_id, **data})
    return str(created["LaunchTemplate"]["LaunchTemplateId"])


def image_of(ec2: Any, template_id: str, version: str, **kwargs: Any) -> str:
    (found,) = ec2.describe_launch_template_versions(LaunchTemplateId=template_id, Versions=[version], **kwargs)[
        "LaunchTemplateVersions"
    ]
    return str(found["LaunchTemplateData"]["ImageId"])


def test_default_and_latest_versions(ec2, amis):
    template_id = template(ec2, amis[0])
    ec2.create_launch_template_version(LaunchTemplateId=template_id, LaunchTemplateData={"ImageId": amis[1]})
    ec2.create_launch_template_version(LaunchTemplateName="pg-lt", LaunchTemplateData={"ImageId": amis[2]})

    assert (image_of(ec2, template_id, "$Default"), image_of(ec2, template_id, "$Latest")) == (amis[0], amis[2])
    modified = ec2.modify_launch_template(LaunchTemplateId=template_id, DefaultVersion="2")["LaunchTemplate"]
    assert (modified["DefaultVersionNumber"], modified["LatestVersionNumber"]) == (2, 3)
    assert image_of(ec2, template_id, "$Default") == amis[1]
    both = ec2.describe_launch_template_versions(LaunchTemplateId=template_id, Versions=["$Latest", "$Default", "3"])
    assert [(v["VersionNumber"], v["DefaultVersion"]) for v in both["LaunchTemplateVersions"]] == [
        (2, True),
        (3, False),
    ]
    everything = ec2.describe_launch_template_versions(Versions=["$Latest", "$Default"])["LaunchTemplateVersions"]
    assert [v["VersionNumber"] for v in everything] == [2, 3]
    ranged = ec2.describe_launch_template_versions(LaunchTemplateId=template_id, MinVersion="2", MaxVersion="2")
    assert [v["VersionNumber"] for v in ranged["LaunchTemplateVersions"]] == [2]
    with pytest.raises(ClientError) as raised:
        ec2.describe_launch_template_versions(LaunchTemplateId=template_id, Versions=["4"])
    assert error_code(raised) == "InvalidLaunchTemplateId.VersionNotFound"
    with pytest.raises(ClientError) as raised:
        ec2.describe_launch_template_versions(Versions=["1"])
    assert error_code(raised) == "InvalidParameterValue"


def test_a_resolve_ssm_image_id_is_stored_and_resolved_only_with_resolve_alias(ec2, ssm, amis, golden):
    template_id = template(ec2, f"resolve:ssm:{golden}")
    ec2.create_launch_template_version(
        LaunchTemplateId=template_id, LaunchTemplateData={"ImageId": f"resolve:ssm:{golden}:previous"}
    )

    assert image_of(ec2, template_id, "$Default") == f"resolve:ssm:{golden}"
    assert image_of(ec2, template_id, "$Default", ResolveAlias=True) == amis[1]
    assert image_of(ec2, template_id, "$Latest", ResolveAlias=True) == amis[0]
    ssm.put_parameter(Name=GOLDEN, Value=amis[2], Type="String", DataType="aws:ec2:image", Overwrite=True)
    assert image_of(ec2, template_id, "$Default", ResolveAlias=True) == amis[2]
    assert image_of(ec2, template_id, "$Default") == f"resolve:ssm:{golden}"


@pytest.mark.parametrize(
    "suffix",
    [
        ":1",
        "",
        f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter{GOLDEN}",
        f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter{GOLDEN}:1",
    ],
)
def test_every_documented_parameter_form_resolves(ec2, amis, golden, suffix):
    reference = suffix if suffix.startswith("arn:") else golden + suffix
    expected = amis[0] if suffix.endswith(":1") else amis[1]

    template_id = template(ec2, f"resolve:ssm:{reference}")

    assert image_of(ec2, template_id, "$Latest", ResolveAlias=True) == expected


def test_a_public_parameter_resolves(ec2, ssm):
    name = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
    public = ssm.get_parameter(Name=name)["Parameter"]["Value"]

    template_id = template(ec2, f"resolve:ssm:{name}")

    assert image_of(ec2, template_id, "$Latest", ResolveAlias=True) == public


@pytest.mark.parametrize(
    "image_id",
    [
        "resolve:ssm:/pg/none",
        "resolve:ssm:/pg/text",
        f"resolve:ssm:{GOLDEN}:7",
        f"resolve:ssm:{GOLDEN}:no-such-label",
        "resolve:ssm:arn:aws:ssm:us-east-1:123456789012:bad",
    ],
)
def test_an_unusable_parameter_is_rejected_at_creation(ec2, ssm, amis, golden, image_id):
    ssm.put_parameter(Name="/pg/text", Value=amis[0], Type="String")
    with pytest.raises(ClientError) as raised:
        template(ec2, image_id)
    assert error_code(raised) == "SsmInvalidParameter"
    template_id = template(ec2, amis[0], name="pg-fine")
    with pytest.raises(ClientError) as raised:
        ec2.create_launch_template_version(LaunchTemplateId=template_id, LaunchTemplateData={"ImageId": image_id})
    assert error_code(raised) == "SsmInvalidParameter"


def test_a_deleted_parameter_cannot_be_resolved_any_more(ec2, ssm, golden):
    template_id = template(ec2, f"resolve:ssm:{golden}")
    ssm.delete_parameter(Name=GOLDEN)

    assert image_of(ec2, template_id, "$Latest") == f"resolve:ssm:{golden}"
    with pytest.raises(ClientError) as raised:
        image_of(ec2, template_id, "$Latest", ResolveAlias=True)
    assert error_code(raised) == "SsmInvalidParameter"


@pytest.mark.parametrize(
    "request_",
    [{"Versions": ["$Latest", "$Default"]}, {"Versions": []}, {"Versions": ["$Latest"], "by_name": False}],
)
def test_resolve_alias_needs_one_version_of_one_template(ec2, amis, request_):
    template_id = template(ec2, amis[0])
    kwargs: dict[str, Any] = {"Versions": request_["Versions"], "ResolveAlias": True}
    if request_.get("by_name", True):
        kwargs["LaunchTemplateId"] = template_id
    with pytest.raises(ClientError) as raised:
        ec2.describe_launch_template_versions(**kwargs)
    assert error_code(raised) == "InvalidParameterCombination"


def test_create_version_resolves_its_response_and_inherits_from_the_source_version(ec2, amis, golden):
    user_data = base64.b64encode(b"#!/bin/sh\necho hi\n").decode()
    template_id = template(ec2, amis[0], InstanceType="t3.micro", UserData=user_data)

    created = ec2.create_launch_template_version(
        LaunchTemplateId=template_id,
        SourceVersion="1",
        LaunchTemplateData={"ImageId": f"resolve:ssm:{golden}", "UserData": user_data},
        ResolveAlias=True,
    )["LaunchTemplateVersion"]

    assert created["LaunchTemplateData"]["ImageId"] == amis[1]
    assert created["LaunchTemplateData"]["InstanceType"] == "t3.micro"
    assert (created["VersionNumber"], created["DefaultVersion"]) == (2, False)
    assert image_of(ec2, template_id, "2") == f"resolve:ssm:{golden}"
    (instance,) = ec2.run_instances(
        LaunchTemplate={"LaunchTemplateId": template_id, "Version": "1"}, MinCount=1, MaxCount=1
    )["Instances"]
    assert instance["ImageId"] == amis[0]
    for both in ({"LaunchTemplateId": template_id, "LaunchTemplateName": "pg-lt"}, {}):
        with pytest.raises(ClientError) as raised:
            ec2.create_launch_template_version(LaunchTemplateData={"ImageId": amis[0]}, **both)
        assert error_code(raised) in ("InvalidParameterCombination", "MissingParameter")


def test_version_filters(ec2, amis):
    template_id = template(ec2, amis[0], InstanceType="t3.micro", MetadataOptions={"HttpTokens": "required"})
    ec2.create_launch_template_version(LaunchTemplateId=template_id, LaunchTemplateData={"ImageId": amis[1]})

    def numbers(*filters: tuple[str, list[str]]) -> list[int]:
        found = ec2.describe_launch_template_versions(
            LaunchTemplateId=template_id, Filters=[{"Name": n, "Values": v} for n, v in filters]
        )["LaunchTemplateVersions"]
        return [v["VersionNumber"] for v in found]

    assert numbers(("image-id", [amis[1]])) == [2]
    assert numbers(("instance-type", ["t3.*"])) == [1]
    assert numbers(("is-default-version", ["true"])) == [1]
    assert numbers(("http-tokens", ["required"]), ("is-default-version", ["false"])) == []
    with pytest.raises(ClientError) as raised:
        numbers(("owner-id", [ACCOUNT]))
    assert error_code(raised) == "InvalidParameterValue"


def test_template_filters(ec2, amis):
    tags = [{"ResourceType": "launch-template", "Tags": [{"Key": "team", "Value": "web"}]}]
    ec2.create_launch_template(
        LaunchTemplateName="pg-web", LaunchTemplateData={"ImageId": amis[0]}, TagSpecifications=tags
    )
    template(ec2, amis[0], name="pg-api")
    year = ec2.describe_launch_templates()["LaunchTemplates"][0]["CreateTime"].year

    def names(*filters: tuple[str, list[str]]) -> list[str]:
        found = ec2.describe_launch_templates(Filters=[{"Name": n, "Values": v} for n, v in filters])["LaunchTemplates"]
        return [t["LaunchTemplateName"] for t in found]

    assert names(("tag:team", ["web"])) == ["pg-web"]
    assert names(("tag-key", ["team"]), ("launch-template-name", ["pg-*"])) == ["pg-web"]
    assert names(("create-time", [f"{year}-*"])) == ["pg-web", "pg-api"]
    assert names(("create-time", ["1999-*"])) == []
    with pytest.raises(ClientError) as raised:
        names(("image-id", [amis[0]]))
    assert error_code(raised) == "InvalidParameterValue"


def test_templates_and_versions_are_paged(ec2, amis):
    for index in range(5):
        template(ec2, amis[0], name=f"pg-lt-{index}")
    template_id = template(ec2, amis[0])
    for image in amis:
        ec2.create_launch_template_version(LaunchTemplateId=template_id, LaunchTemplateData={"ImageId": image})

    first = ec2.describe_launch_templates(MaxResults=4)
    second = ec2.describe_launch_templates(MaxResults=4, NextToken=first["NextToken"])
    assert (len(first["LaunchTemplates"]), len(second["LaunchTemplates"]), second.get("NextToken")) == (4, 2, None)
    paginator = ec2.get_paginator("describe_launch_template_versions")
    pages = list(paginator.paginate(LaunchTemplateId=template_id, PaginationConfig={"PageSize": 3}))
    assert [len(page["LaunchTemplateVersions"]) for page in pages] == [3, 1]
    assert len(ec2.describe_launch_template_versions(LaunchTemplateId=template_id)["LaunchTemplateVersions"]) == 4
    for bad in ({"MaxResults": 201}, {"NextToken": "%%%"}):
        with pytest.raises(ClientError) as raised:
            ec2.describe_launch_templates(**bad)
        assert error_code(raised) == "InvalidParameterValue"


def test_unknown_templates_are_errors_and_a_deleted_one_is_returned_whole(ec2, amis):
    template_id = template(ec2, amis[0])
    with pytest.raises(ClientError) as raised:
        ec2.describe_launch_templates(LaunchTemplateIds=[template_id, "lt-0123456789abcdef0"])
    assert error_code(raised) == "InvalidLaunchTemplateId.NotFound"
    with pytest.raises(ClientError) as raised:
        ec2.describe_launch_templates(LaunchTemplateNames=["pg-none"])
    assert error_code(raised) == "InvalidLaunchTemplateName.NotFoundException"
    assert [
        t["LaunchTemplateId"] for t in ec2.describe_launch_templates(LaunchTemplateNames=["pg-lt"])["LaunchTemplates"]
    ] == [template_id]

    deleted = ec2.delete_launch_template(LaunchTemplateId=template_id)["LaunchTemplate"]

    assert (deleted["LaunchTemplateName"], deleted["LatestVersionNumber"], deleted["CreatedBy"]) == (
        "pg-lt",
        1,
        f"arn:aws:iam::{ACCOUNT}:root",
    )
    assert ec2.describe_launch_templates()["LaunchTemplates"] == []


def test_launch_template_responses_conform_to_the_model(ec2, amis, golden):
    template_id = template(ec2, f"resolve:ssm:{golden}", InstanceType="t3.micro")
    model = botocore.session.get_session().get_service_model("ec2")
    backend = ec2_launch_templates

    class Caller:  # what the response builders read of the handler's `self`
        current_account, region, partition = ACCOUNT, REGION, "aws"

    from moto.ec2.models import ec2_backends

    stored = ec2_backends[ACCOUNT][REGION].launch_templates[template_id]
    assert_conforms(model.shape_for("LaunchTemplate"), backend._template_response(Caller(), stored))
    for resolve in (False, True):
        version = backend._version(Caller(), stored, stored.versions[0], resolve)
        assert_conforms(model.shape_for("LaunchTemplateVersion"), version)
    assert {"LaunchTemplateId", "Versions", "ResolveAlias", "MinVersion", "MaxVersion", "Filters"} <= input_members(
        model, "DescribeLaunchTemplateVersions"
    )
    assert {"SourceVersion", "ResolveAlias", "LaunchTemplateData"} <= input_members(
        model, "CreateLaunchTemplateVersion"
    )
    assert set(ec2_launch_templates.VERSION_FILTERS) >= {"image-id", "instance-type", "is-default-version"}
