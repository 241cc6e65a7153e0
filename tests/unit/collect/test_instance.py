"""collect/instance.py: an instance and the AMI it was launched from, read from EC2 (moto)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from provenance_guard.clients import ClientFactory
from provenance_guard.collect.ami import AmiCollector
from provenance_guard.collect.instance import INSTANCE, InstanceCollector, live_instances
from provenance_guard.model import ResourceRef
from tests.unit.support import ACCOUNT, REGION


def instance_ref(instance_id: str) -> ResourceRef:
    return ResourceRef(INSTANCE, instance_id, ACCOUNT, REGION)


def launch(ec2: Any, image_id: str) -> str:
    instance_id: str = ec2.run_instances(ImageId=image_id, MinCount=1, MaxCount=1, InstanceType="t3.micro")[
        "Instances"
    ][0]["InstanceId"]
    return instance_id


def test_an_instance_is_read_with_the_ami_it_was_launched_from(ec2: Any, make_ami: Callable[..., str]) -> None:
    image = make_ami("golden")
    instance = launch(ec2, image)
    clients = ClientFactory()

    snapshot = InstanceCollector(clients, AmiCollector(clients)).collect(instance_ref(instance))

    assert snapshot is not None
    assert (snapshot.image_id, snapshot.instance_type, snapshot.launched_by) == (image, "t3.micro", "RunInstances")
    assert snapshot.ami is not None
    assert snapshot.ami.name == "golden"
    assert snapshot.asff_details()["AwsEc2Instance"]["ImageId"] == image


def test_an_instance_whose_ami_is_gone_has_no_ami(ec2: Any, make_ami: Callable[..., str]) -> None:
    image = make_ami()
    instance = launch(ec2, image)
    ec2.deregister_image(ImageId=image)
    clients = ClientFactory()

    snapshot = InstanceCollector(clients, AmiCollector(clients)).collect(instance_ref(instance))

    assert snapshot is not None
    assert snapshot.ami is None


def test_a_terminated_or_unknown_instance_is_gone(ec2: Any, make_ami: Callable[..., str]) -> None:
    instance = launch(ec2, make_ami())
    ec2.terminate_instances(InstanceIds=[instance])
    clients = ClientFactory()
    collector = InstanceCollector(clients, AmiCollector(clients))

    assert collector.collect(instance_ref(instance)) is None
    assert collector.collect(instance_ref("i-0123456789abcdef0")) is None


def test_the_inventory_lists_live_instances_only(ec2: Any, make_ami: Callable[..., str]) -> None:
    image = make_ami()
    running, stopped, gone = (launch(ec2, image) for _ in range(3))
    ec2.stop_instances(InstanceIds=[stopped])
    ec2.terminate_instances(InstanceIds=[gone])

    assert set(live_instances(ClientFactory(), REGION)) == {running, stopped}
