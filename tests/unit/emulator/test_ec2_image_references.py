"""The emulator's DescribeImageReferences (moto lacks it): the instances, launch templates, SSM parameters
and Image Builder recipes of the account that reference each AMI, options and pages."""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError

from provenance_guard_cli.emulator import ec2_image_references
from tests.unit.emulator.model_shapes import enum, input_members, shape_members
from tests.unit.support import ACCOUNT, REGION, error_code

STIG = f"arn:aws:imagebuilder:{REGION}:aws:component/stig-build-linux-high/2025.1.0/1"


@pytest.fixture
def amis(ec2: Any) -> list[str]:
    return [ec2.register_image(Name=f"pg-ami-{index}")["ImageId"] for index in range(2)]


def references(ec2: Any, image_ids: list[str], **kwargs: Any) -> list[tuple[str, str, str]]:
    kwargs.setdefault("IncludeAllResourceTypes", True)
    found = ec2.describe_image_references(ImageIds=image_ids, **kwargs)["ImageReferences"]
    return [(r["ImageId"], r["ResourceType"], r["Arn"]) for r in found]


def ec2_arn(resource: str) -> str:
    return f"arn:aws:ec2:{REGION}:{ACCOUNT}:{resource}"


def test_instances_in_every_state_reference_their_ami_unless_a_state_is_chosen(ec2, amis):
    running, terminated = (
        i["InstanceId"] for i in ec2.run_instances(ImageId=amis[0], MinCount=2, MaxCount=2)["Instances"]
    )
    ec2.terminate_instances(InstanceIds=[terminated])
    ec2.run_instances(ImageId=amis[1], MinCount=1, MaxCount=1)

    assert references(ec2, [amis[0]]) == sorted(
        [
            (amis[0], "ec2:Instance", ec2_arn(f"instance/{running}")),
            (amis[0], "ec2:Instance", ec2_arn(f"instance/{terminated}")),
        ]
    )
    chosen = [
        {
            "ResourceType": "ec2:Instance",
            "ResourceTypeOptions": [{"OptionName": "state-name", "OptionValues": ["running"]}],
        }
    ]
    assert references(ec2, [amis[0]], IncludeAllResourceTypes=False, ResourceTypes=chosen) == [
        (amis[0], "ec2:Instance", ec2_arn(f"instance/{running}"))
    ]


def test_launch_templates_reference_the_amis_of_their_recent_versions(ec2, amis):
    template_id = ec2.create_launch_template(LaunchTemplateName="pg-lt", LaunchTemplateData={"ImageId": amis[0]})[
        "LaunchTemplate"
    ]["LaunchTemplateId"]
    ec2.create_launch_template_version(LaunchTemplateId=template_id, LaunchTemplateData={"ImageId": amis[1]})
    ec2.create_launch_template_version(LaunchTemplateId=template_id, LaunchTemplateData={"ImageId": amis[1]})
    reference = ("ec2:LaunchTemplate", ec2_arn(f"launch-template/{template_id}"))

    assert references(ec2, amis) == [(amis[0], *reference), (amis[1], *reference)]
    shallow = [
        {
            "ResourceType": "ec2:LaunchTemplate",
            "ResourceTypeOptions": [{"OptionName": "version-depth", "OptionValues": ["2"]}],
        }
    ]
    assert references(ec2, amis, ResourceTypes=shallow) == [(amis[1], *reference)]


def test_ssm_parameters_of_the_image_data_type_reference_their_current_value(ec2, ssm, amis):
    ssm.put_parameter(Name="/pg/golden", Value=amis[0], Type="String", DataType="aws:ec2:image")
    ssm.put_parameter(Name="pg-plain", Value=amis[0], Type="String", DataType="aws:ec2:image")
    ssm.put_parameter(Name="/pg/text", Value=amis[0], Type="String")
    ssm.put_parameter(Name="/pg/moved", Value=amis[0], Type="String", DataType="aws:ec2:image")
    ssm.put_parameter(Name="/pg/moved", Value=amis[1], Type="String", DataType="aws:ec2:image", Overwrite=True)
    parameter = f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/"

    assert references(ec2, amis, IncludeAllResourceTypes=False, ResourceTypes=[{"ResourceType": "ssm:Parameter"}]) == [
        (amis[0], "ssm:Parameter", parameter + "pg-plain"),
        (amis[0], "ssm:Parameter", parameter + "pg/golden"),
        (amis[1], "ssm:Parameter", parameter + "pg/moved"),
    ]


def test_image_builder_recipes_reference_their_parent_ami(ec2, imagebuilder, amis):
    recipe = imagebuilder.create_image_recipe(
        name="pg-recipe", semanticVersion="1.0.0", parentImage=amis[0], components=[{"componentArn": STIG}]
    )["imageRecipeArn"]

    assert references(ec2, amis) == [(amis[0], "imagebuilder:ImageRecipe", recipe)]
    assert (
        references(
            ec2, amis, IncludeAllResourceTypes=False, ResourceTypes=[{"ResourceType": "imagebuilder:ContainerRecipe"}]
        )
        == []
    )


def test_references_are_paged(ec2, amis):
    instances = ec2.run_instances(ImageId=amis[0], MinCount=7, MaxCount=7)["Instances"]

    first = ec2.describe_image_references(ImageIds=[amis[0]], IncludeAllResourceTypes=True, MaxResults=5)
    second = ec2.describe_image_references(
        ImageIds=[amis[0]], IncludeAllResourceTypes=True, MaxResults=5, NextToken=first["NextToken"]
    )

    assert (len(first["ImageReferences"]), len(second["ImageReferences"]), second.get("NextToken")) == (5, 2, None)
    arns = {r["Arn"] for r in first["ImageReferences"] + second["ImageReferences"]}
    assert arns == {ec2_arn(f"instance/{i['InstanceId']}") for i in instances}
    paginator = ec2.get_paginator("describe_image_references")
    pages = list(paginator.paginate(ImageIds=[amis[0]], IncludeAllResourceTypes=True, PaginationConfig={"PageSize": 5}))
    assert sum(len(p["ImageReferences"]) for p in pages) == 7


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"ImageIds": ["ami-0123456789abcdef0"]}, "MissingParameter"),
        ({"ImageIds": ["not-an-ami"], "IncludeAllResourceTypes": True}, "InvalidAMIID.Malformed"),
        (
            {
                "ImageIds": ["ami-0123456789abcdef0"],
                "ResourceTypes": [
                    {
                        "ResourceType": "ssm:Parameter",
                        "ResourceTypeOptions": [{"OptionName": "state-name", "OptionValues": ["running"]}],
                    }
                ],
            },
            "InvalidParameterValue",
        ),
        (
            {
                "ImageIds": ["ami-0123456789abcdef0"],
                "ResourceTypes": [
                    {
                        "ResourceType": "ec2:Instance",
                        "ResourceTypeOptions": [{"OptionName": "state-name", "OptionValues": ["gone"]}],
                    }
                ],
            },
            "InvalidParameterValue",
        ),
        (
            {
                "ImageIds": ["ami-0123456789abcdef0"],
                "ResourceTypes": [
                    {
                        "ResourceType": "ec2:LaunchTemplate",
                        "ResourceTypeOptions": [{"OptionName": "version-depth", "OptionValues": ["10001"]}],
                    }
                ],
            },
            "InvalidParameterValue",
        ),
    ],
)
def test_bad_requests_are_rejected(ec2, kwargs, code):
    with pytest.raises(ClientError) as raised:
        ec2.describe_image_references(**kwargs)
    assert error_code(raised) == code


def test_an_ami_nobody_uses_or_that_does_not_exist_has_no_references(ec2, amis):
    assert references(ec2, [amis[1], "ami-0123456789abcdef0"]) == []


def test_the_operation_matches_the_botocore_model():
    model = botocore.session.get_session().get_service_model("ec2")

    assert input_members(model, "DescribeImageReferences") == {
        "ImageIds",
        "IncludeAllResourceTypes",
        "ResourceTypes",
        "NextToken",
        "DryRun",
        "MaxResults",
    }
    assert set(shape_members(model, "ImageReference")) == {"ImageId", "ResourceType", "Arn"}
    assert list(ec2_image_references.RESOURCE_TYPES) == enum(model, "ImageReferenceResourceType")
    assert enum(model, "ImageReferenceOptionName") == ["state-name", "version-depth"]
    assert set(ec2_image_references.INSTANCE_STATES) == {
        "pending",
        "running",
        "shutting-down",
        "terminated",
        "stopping",
        "stopped",
    }
