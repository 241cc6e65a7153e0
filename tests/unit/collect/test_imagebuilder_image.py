"""collect/imagebuilder_image.py: an Image Builder image stands for the AMIs it distributed (the emulator's
EC2 Image Builder, whose builds register real AMIs in moto's EC2)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from provenance_guard.clients import ClientFactory
from provenance_guard.collect.ami import AMI
from provenance_guard.collect.base import Collection
from provenance_guard.collect.imagebuilder_image import IMAGE_BUILDER_IMAGE
from provenance_guard.collect.kinds import KINDS
from provenance_guard.model import ResourceRef
from provenance_guard.oci.ecr import EcrRegistries
from provenance_guard.work import Action, Work
from tests.unit.support import ACCOUNT, REGION

PARENT = f"arn:aws:imagebuilder:{REGION}:aws:image/amazon-linux-2023-x86/x.x.x"
STIG = f"arn:aws:imagebuilder:{REGION}:aws:component/stig-build-linux-high/2025.1.0/1"


@pytest.fixture
def imagebuilder(aws: None) -> Any:
    return boto3.client("imagebuilder", region_name=REGION)


def built_image(imagebuilder: Any, regions: list[str]) -> str:
    """The ARN of an image a pipeline built and distributed to `regions`."""
    recipe = imagebuilder.create_image_recipe(
        name="golden", semanticVersion="1.0.0", parentImage=PARENT, components=[{"componentArn": STIG}]
    )["imageRecipeArn"]
    infrastructure = imagebuilder.create_infrastructure_configuration(name="build", instanceProfileName="builder")[
        "infrastructureConfigurationArn"
    ]
    distribution = imagebuilder.create_distribution_configuration(
        name="dist", distributions=[{"region": region, "amiDistributionConfiguration": {}} for region in regions]
    )["distributionConfigurationArn"]
    arn: str = imagebuilder.create_image(
        imageRecipeArn=recipe,
        infrastructureConfigurationArn=infrastructure,
        distributionConfigurationArn=distribution,
    )["imageBuildVersionArn"]
    return arn


def image_ref(arn: str) -> ResourceRef:
    return ResourceRef(IMAGE_BUILDER_IMAGE, arn, ACCOUNT, REGION)


def expand(ref: ResourceRef) -> list[Work]:
    """Through the kind's registered expander, as the pipeline runs it."""
    clients = ClientFactory()
    expander = Collection(clients, EcrRegistries(clients), KINDS).expander(IMAGE_BUILDER_IMAGE)
    assert expander is not None
    return expander(ref)


def test_an_image_expands_into_the_amis_it_distributed_per_region(imagebuilder: Any) -> None:
    arn = built_image(imagebuilder, [REGION, "eu-west-1"])
    amis = imagebuilder.get_image(imageBuildVersionArn=arn)["image"]["outputResources"]["amis"]

    work = expand(image_ref(arn))

    assert {(w.action, w.resource.kind, w.resource.region, w.resource.name) for w in work} == {
        (Action.EVALUATE, AMI, ami["region"], ami["image"]) for ami in amis
    }
    assert {w.resource.region for w in work} == {REGION, "eu-west-1"}


def test_an_image_that_cannot_be_read_stands_for_nothing(imagebuilder: Any) -> None:
    missing = f"arn:aws:imagebuilder:{REGION}:{ACCOUNT}:image/nothing/1.0.0/1"
    assert expand(image_ref(missing)) == []
