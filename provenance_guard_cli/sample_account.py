"""The demo's sample account: compliant and non-compliant resources, made through the AWS API of
the emulator, and the events AWS would send about them (instantiated from the documented samples in
tests/fixtures/events/)."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from provenance_guard_cli.routes import PROJECT_ROOT

DEMO_POLICY = PROJECT_ROOT / "provenance_guard_cli" / "demo_policy.yaml"
"""The sample account's policy: trusts its pipeline, share target and signing profiles."""
ACCOUNT = "123456789012"
REGION = "us-east-1"
UNTRUSTED_ACCOUNT = "999988887777"
UNKNOWN_SHARE_TARGET = "444455556666"
GOLDEN_PIPELINE = "golden-al2023"
"""Matches the demo policy's ami.approved_pipelines (image-pipeline/golden-*)."""
STIG_COMPONENT = "arn:aws:imagebuilder:us-east-1:aws:component/stig-build-linux-high/2025.1.0/1"
ALLOWED_SHARE_TARGET = "111122223333"
"""Listed in the demo policy's ami.allowed_share_targets."""
FIXTURES = PROJECT_ROOT / "tests" / "fixtures" / "events"


@dataclass(frozen=True)
class Step:
    """One thing that happens in the account (`change`, made through the API), and the event AWS
    sends about it."""

    label: str
    event: dict[str, Any] | Callable[[], dict[str, Any]]
    """The event, or what builds it once the change is made (a custom action names a current finding)."""
    change: Callable[[], object] | None = None

    def resolved_event(self) -> dict[str, Any]:
        return self.event() if callable(self.event) else self.event


def sample_event(fixture: str, **changes: Any) -> dict[str, Any]:
    """A documented sample event re-addressed to the demo account; `changes` set dotted paths."""
    event: dict[str, Any] = copy.deepcopy(json.loads((FIXTURES / fixture).read_text()))
    event.update(id=str(uuid.uuid4()), account=ACCOUNT, region=REGION, time=_now())
    if isinstance(event.get("detail"), dict) and "recipientAccountId" in event["detail"]:
        event["detail"].update(recipientAccountId=ACCOUNT, awsRegion=REGION, eventTime=_now())
    for path, value in changes.items():
        target = event
        *parents, leaf = path.split(".")
        for key in parents:
            target = target[key]
        target[leaf] = value
    return event


def custom_action(securityhub: Any, image_id: str, control_id: str) -> dict[str, Any]:
    """Security Hub's custom-action event (the documented format) for the AMI's finding as it is now."""
    from provenance_guard.collect.ami import AMI
    from provenance_guard.findings import finding_id
    from provenance_guard.model import ResourceRef
    from provenance_guard.triggers.remediation import custom_action_arn

    wanted = finding_id(ResourceRef(AMI, image_id, ACCOUNT, REGION), control_id)
    findings = securityhub.get_findings(Filters={"Id": [{"Value": wanted, "Comparison": "EQUALS"}]})["Findings"]
    return sample_event(
        "securityhub-findings-custom-action.json",
        resources=[custom_action_arn("aws", REGION, ACCOUNT)],
        **{"detail.findings": findings},
    )


def ami_available(image_id: str) -> dict[str, Any]:
    return sample_event(
        "ec2-ami-state-change-available.json",
        resources=[f"arn:aws:ec2:{REGION}::image/{image_id}"],
        **{"detail.ImageId": image_id},
    )


def build_account(
    client: Callable[[str], Any],
    registry_url: str | None = None,
    plan_scan: Callable[..., None] | None = None,
) -> list[Step]:
    """Create the sample resources; return, in order, the changes made to them and the events they cause.
    The container images need a registry and the emulator's scan planner."""
    from provenance_guard_cli.sample_lambda import lambda_steps
    from provenance_guard_cli.sample_packages import package_steps

    steps = [*ami_steps(client), *lambda_steps(client), *package_steps(client)]
    if registry_url and plan_scan:
        from provenance_guard_cli.sample_compute import build_compute
        from provenance_guard_cli.sample_containers import build_containers

        steps += build_containers(client, registry_url, plan_scan)
        steps += build_compute(client, registry_url, plan_scan)
    return steps


def ami_steps(client: Callable[[str], Any]) -> list[Step]:
    """Create the sample AMIs; return, in order, the changes made to them and the events they cause."""
    ec2 = client("ec2")
    golden_image_arn = _build_golden_image(client("imagebuilder"))
    golden = client("imagebuilder").get_image(imageBuildVersionArn=golden_image_arn)["image"]["outputResources"][
        "amis"
    ][0]["image"]
    ec2.enable_image_deprecation(ImageId=golden, DeprecateAt=datetime.now(UTC) + timedelta(days=60))
    debug = _register(ec2, "debug-tools", encrypted=False, imds=None)
    community = _register(
        ec2, "community-ubuntu-mirror", encrypted=True, imds="v2.0", tags={"emulator:owner-id": UNTRUSTED_ACCOUNT}
    )
    created = (datetime.now(UTC) - timedelta(days=120)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    retired = _register(
        ec2,
        "golden-al2023-2026.07",
        encrypted=True,
        imds="v2.0",
        tags={"Hardening": "CIS-Level-1", "emulator:creation-date": created},
    )
    web = _launch(ec2, golden)
    rogue = _launch(ec2, community)
    return [
        Step(
            f"Image Builder pipeline {GOLDEN_PIPELINE} built golden AMI {golden} (STIG component, shared with an "
            "allowed account)",
            sample_event("imagebuilder-image-state-change-available.json", resources=[golden_image_arn]),
        ),
        Step(f"AMI {community} from untrusted account {UNTRUSTED_ACCOUNT} available", ami_available(community)),
        Step(f"debug AMI {debug} available: unencrypted, IMDSv1, no hardening evidence", ami_available(debug)),
        Step(f"golden AMI {retired} from 120 days ago available", ami_available(retired)),
        Step(f"instance {web} launched from the golden AMI (CloudTrail RunInstances)", run_instances(web, golden)),
        Step(
            f"instance {rogue} launched from the untrusted AMI (CloudTrail RunInstances)",
            run_instances(rogue, community),
        ),
        Step(
            f"instance {rogue} enters pending (EC2 Instance State-change Notification)",
            instance_state(rogue, "pending"),
        ),
        Step(
            f"someone makes debug AMI {debug} public (CloudTrail ModifyImageAttribute)",
            sample_event(
                "cloudtrail-ec2-modifyimageattribute-public.json", **{"detail.requestParameters.imageId": debug}
            ),
            lambda: ec2.modify_image_attribute(ImageId=debug, LaunchPermission={"Add": [{"Group": "all"}]}),
        ),
        Step(
            f"an analyst selects debug AMI {debug}'s public-AMI finding (PG.AMI.3) in Security Hub and runs the "
            "custom action ProvenanceGuardFix: re-checked, the public permission is removed, verified, the finding "
            "RESOLVED with a Note",
            lambda: custom_action(client("securityhub"), debug, "PG.AMI.3"),
        ),
        Step(
            f"golden AMI {golden} shared with unknown account {UNKNOWN_SHARE_TARGET}",
            sample_event(
                "cloudtrail-ec2-modifyimageattribute-account.json",
                **{"detail.requestParameters.imageId": golden},
                **{"detail.requestParameters.launchPermission.add.items": [{"userId": UNKNOWN_SHARE_TARGET}]},
            ),
            lambda: ec2.modify_image_attribute(
                ImageId=golden, LaunchPermission={"Add": [{"UserId": UNKNOWN_SHARE_TARGET}]}
            ),
        ),
        Step(
            f"debug AMI {debug} launch permissions reset (CloudTrail ResetImageAttribute)",
            sample_event("cloudtrail-ec2-resetimageattribute.json", **{"detail.requestParameters.imageId": debug}),
            lambda: ec2.reset_image_attribute(ImageId=debug, Attribute="launchPermission"),
        ),
        Step(
            f"instance {rogue} terminated",
            instance_state(rogue, "terminated"),
            lambda: ec2.terminate_instances(InstanceIds=[rogue]),
        ),
        Step(
            f"old golden AMI {retired} deregistered",
            sample_event(
                "ec2-ami-state-change-deregistered.json",
                resources=[f"arn:aws:ec2:{REGION}::image/{retired}"],
                **{"detail.ImageId": retired},
            ),
            lambda: ec2.deregister_image(ImageId=retired),
        ),
    ]


def _build_golden_image(imagebuilder: Any) -> str:
    """An Image Builder pipeline with a STIG hardening component builds, distributes and shares the
    golden AMI; returns the image build version ARN."""
    return build_image_with_pipeline(imagebuilder, GOLDEN_PIPELINE, [STIG_COMPONENT], [REGION])


def build_image_with_pipeline(imagebuilder: Any, name: str, components: list[str], regions: list[str]) -> str:
    """Build an image with an Image Builder pipeline named `name` from a recipe of `components`,
    distributed to `regions` and shared with the allowed account; returns the image build version ARN."""
    recipe = imagebuilder.create_image_recipe(
        name=name,
        semanticVersion="2026.11.0",
        parentImage="ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64",
        components=[{"componentArn": component} for component in components],
    )["imageRecipeArn"]
    infrastructure = imagebuilder.create_infrastructure_configuration(
        name=f"{name}-builders", instanceProfileName="EC2InstanceProfileForImageBuilder"
    )["infrastructureConfigurationArn"]
    distribution = imagebuilder.create_distribution_configuration(
        name=f"{name}-distribution",
        distributions=[
            {
                "region": region,
                "amiDistributionConfiguration": {
                    "name": f"{name}-{{{{ imagebuilder:buildDate }}}}",
                    "launchPermission": {"userIds": [ALLOWED_SHARE_TARGET]},
                },
            }
            for region in regions
        ],
    )["distributionConfigurationArn"]
    pipeline = imagebuilder.create_image_pipeline(
        name=name,
        imageRecipeArn=recipe,
        infrastructureConfigurationArn=infrastructure,
        distributionConfigurationArn=distribution,
    )["imagePipelineArn"]
    image_arn: str = imagebuilder.start_image_pipeline_execution(imagePipelineArn=pipeline)["imageBuildVersionArn"]
    return image_arn


def run_instances(instance_id: str, image_id: str) -> dict[str, Any]:
    event = sample_event("cloudtrail-ec2-runinstances.json")
    item = event["detail"]["responseElements"]["instancesSet"]["items"][0]
    item.update(instanceId=instance_id, imageId=image_id)
    event["detail"]["requestParameters"]["instancesSet"]["items"][0]["imageId"] = image_id
    return event


def instance_state(instance_id: str, state: str) -> dict[str, Any]:
    return sample_event(
        "ec2-instance-state-change-pending.json",
        resources=[f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/{instance_id}"],
        **{"detail.instance-id": instance_id, "detail.state": state},
    )


def _launch(ec2: Any, image_id: str) -> str:
    instance_id: str = ec2.run_instances(ImageId=image_id, MinCount=1, MaxCount=1, InstanceType="t4g.micro")[
        "Instances"
    ][0]["InstanceId"]
    return instance_id


def _register(ec2: Any, name: str, *, encrypted: bool, imds: str | None, tags: dict[str, str] | None = None) -> str:
    request: dict[str, Any] = {
        "Name": name,
        "Architecture": "arm64",
        "RootDeviceName": "/dev/xvda",
        "VirtualizationType": "hvm",
        "BootMode": "uefi",
        "EnaSupport": True,
        "BlockDeviceMappings": [
            {"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 8, "VolumeType": "gp3", "Encrypted": encrypted}}
        ],
    }
    if imds:
        request["ImdsSupport"] = imds
    if tags:
        request["TagSpecifications"] = [
            {"ResourceType": "image", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
        ]
    image_id: str = ec2.register_image(**request)["ImageId"]
    return image_id


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
