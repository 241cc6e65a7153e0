"""collect/launch_template.py, collect/ami_usage.py, collect/lambda_image_usage.py: launch templates and the
AMI each version launches now (`resolve:ssm:` resolved by EC2); what references an AMI; which functions
run an image digest."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest

from provenance_guard.clients import ClientFactory
from provenance_guard.collect.ami import AMI, AmiCollector
from provenance_guard.collect.ami_usage import AmiReferences
from provenance_guard.collect.base import RunCache
from provenance_guard.collect.ecr_image_model import ECR_IMAGE
from provenance_guard.collect.instance import INSTANCE
from provenance_guard.collect.lambda_function import LAMBDA_FUNCTION
from provenance_guard.collect.lambda_image_usage import ImageFunctionIndex
from provenance_guard.collect.launch_template import (
    LAUNCH_TEMPLATE,
    LaunchTemplateCollector,
    LaunchTemplateSnapshot,
    launch_templates,
)
from provenance_guard.model import ResourceRef
from tests.unit.ecs_support import EcsAccount
from tests.unit.lambda_support import create_function
from tests.unit.support import ACCOUNT, REGION

PARAMETER = "/golden/al2023/latest"


def template_ref(template_id: str) -> ResourceRef:
    return ResourceRef(LAUNCH_TEMPLATE, template_id, ACCOUNT, REGION)


def collect(template_id: str) -> LaunchTemplateSnapshot | None:
    clients = ClientFactory()
    return LaunchTemplateCollector(clients, AmiCollector(clients)).collect(template_ref(template_id))


def create(ec2: Any, image_id: str, name: str = "web-asg") -> str:
    data = {"ImageId": image_id, "InstanceType": "t4g.micro"}
    template: str = ec2.create_launch_template(LaunchTemplateName=name, LaunchTemplateData=data)["LaunchTemplate"][
        "LaunchTemplateId"
    ]
    return template


def test_default_and_latest_versions_are_read_with_their_amis(ec2: Any, make_ami: Callable[..., str]) -> None:
    old, new = make_ami("golden-2026.10"), make_ami("golden-2026.11")
    template = create(ec2, old)
    ec2.create_launch_template_version(LaunchTemplateId=template, LaunchTemplateData={"ImageId": new})

    snapshot = collect(template)

    assert snapshot is not None
    assert (snapshot.default_version, snapshot.latest_version) == (1, 2)
    assert [(v.number, v.roles, v.resolved_image_id) for v in snapshot.versions] == [
        (1, ("default",), old),
        (2, ("latest",), new),
    ]
    assert [v.ami.name for v in snapshot.versions if v.ami] == ["golden-2026.10", "golden-2026.11"]
    details = snapshot.asff_details()["AwsEc2LaunchTemplate"]
    assert details == {
        "LaunchTemplateName": "web-asg",
        "Id": template,
        "DefaultVersionNumber": 1,
        "LatestVersionNumber": 2,
        "LaunchTemplateData": {"ImageId": old},
    }


def test_a_resolve_ssm_alias_is_resolved_now(ec2: Any, make_ami: Callable[..., str]) -> None:
    ssm = boto3.client("ssm", region_name=REGION)
    first, second = make_ami("golden-1"), make_ami("golden-2")
    ssm.put_parameter(Name=PARAMETER, Value=first, Type="String", DataType="aws:ec2:image")
    template = create(ec2, f"resolve:ssm:{PARAMETER}")
    ssm.put_parameter(Name=PARAMETER, Value=second, Type="String", DataType="aws:ec2:image", Overwrite=True)

    snapshot = collect(template)

    assert snapshot is not None
    (version,) = snapshot.versions
    assert (version.roles, version.parameter, version.resolved_image_id) == (("default", "latest"), PARAMETER, second)
    assert version.ami is not None
    assert version.ami.name == "golden-2"


def test_an_alias_whose_parameter_is_gone_says_why(ec2: Any, make_ami: Callable[..., str]) -> None:
    ssm = boto3.client("ssm", region_name=REGION)
    ssm.put_parameter(Name=PARAMETER, Value=make_ami(), Type="String", DataType="aws:ec2:image")
    template = create(ec2, f"resolve:ssm:{PARAMETER}")
    ssm.delete_parameter(Name=PARAMETER)

    snapshot = collect(template)

    assert snapshot is not None
    assert snapshot.versions[0].error is not None
    assert snapshot.versions[0].error.startswith("SsmInvalidParameter")


def test_a_version_without_image_and_an_ami_that_is_gone(ec2: Any, make_ami: Callable[..., str]) -> None:
    image = make_ami()
    template = ec2.create_launch_template(LaunchTemplateName="bare", LaunchTemplateData={"InstanceType": "t4g.micro"})[
        "LaunchTemplate"
    ]["LaunchTemplateId"]
    ec2.create_launch_template_version(LaunchTemplateId=template, LaunchTemplateData={"ImageId": image})
    ec2.deregister_image(ImageId=image)

    snapshot = collect(template)

    assert snapshot is not None
    assert [(v.image_id, v.ami) for v in snapshot.versions] == [(None, None), (image, None)]


def test_a_deleted_or_unknown_template_is_gone(ec2: Any, make_ami: Callable[..., str]) -> None:
    template = create(ec2, make_ami())
    ec2.delete_launch_template(LaunchTemplateId=template)
    assert collect(template) is None
    assert collect("lt-0123456789abcdef0") is None


def test_the_inventory_lists_every_template(ec2: Any, make_ami: Callable[..., str]) -> None:
    image = make_ami()
    ids = {create(ec2, image, f"t{index}") for index in range(3)}
    assert set(launch_templates(ClientFactory(), REGION)) == ids


def test_what_references_an_ami_live_instances_and_templates(ec2: Any, make_ami: Callable[..., str]) -> None:
    image, other = make_ami(), make_ami()
    running = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    gone = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    ec2.terminate_instances(InstanceIds=[gone])
    template = create(ec2, image)
    create(ec2, other, "other")

    users = AmiReferences(ClientFactory())(ResourceRef(AMI, image, ACCOUNT, REGION))

    assert users.complete
    assert set(users.refs) == {ResourceRef(INSTANCE, running, ACCOUNT, REGION), template_ref(template)}


def test_the_functions_running_an_image_digest(aws: None, iam: Any) -> None:
    account = EcsAccount()
    digest = account.image("payments", "v1")
    lam = boto3.client("lambda", region_name=REGION)
    registry = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"
    for name in ("api", "worker"):
        create_function(
            lam,
            iam,
            name,
            PackageType="Image",
            Code={"ImageUri": f"{registry}/payments:v1"},
            Runtime=None,
            Handler=None,
        )
    create_function(lam, iam, "zip-function")

    users = ImageFunctionIndex(ClientFactory(), RunCache())(
        ResourceRef(ECR_IMAGE, f"payments@{digest}", ACCOUNT, REGION)
    )

    assert users.refs == tuple(ResourceRef(LAMBDA_FUNCTION, name, ACCOUNT, REGION) for name in ("api", "worker"))


@pytest.fixture
def iam(aws: None) -> Any:
    return boto3.client("iam", region_name=REGION)
