"""Image builds: CreateImage and StartImagePipelineExecution complete at once, registering real AMIs.

For each distribution Region (the build Region when there is no distribution configuration) an AMI is
registered in moto's EC2 backend of that Region through the emulator's EC2 extensions, so
DescribeImages shows what an Image Builder AMI shows: ``ImdsSupport`` ``v2.0``, ENA, an ``ebs`` root
device whose snapshots are real (encrypted unless the recipe's mapping says ``encrypted: false``;
with the distribution's ``kmsKeyId`` when it has one), an ISO ``CreationDate``, the tags
``Ec2ImageBuilderArn`` (the image build version ARN) and ``CreatedBy`` = ``EC2 Image Builder`` after
the recipe's and the distribution's ``amiTags``, and the distribution's launch permissions.
"""

from __future__ import annotations

import copy
import re
from datetime import datetime
from typing import Any

from . import ec2_image_model as ec2_model
from . import imagebuilder_model as model
from .imagebuilder_model import ImageBuilderBackend, Resource, timestamp
from .imagebuilder_store import BuildInputs, ec2_backend, launch_permissions, response

CREATED_BY_TAG = "CreatedBy"
CREATED_BY_VALUE = "EC2 Image Builder"
IMAGE_ARN_TAG = "Ec2ImageBuilderArn"
DEFAULT_ROOT_SIZE = {"Windows": 30}
_PLACEHOLDER = re.compile(r"\{\{\s*imagebuilder:(\w+)\s*\}\}")


def build_date(when: datetime) -> str:
    """``{{ imagebuilder:buildDate }}``: an ISO time with dashes for colons (AMI names allow no ``:``)."""
    return when.strftime("%Y-%m-%dT%H-%M-%S.") + f"{when.microsecond // 1000:03d}Z"


def render_ami_name(template: str, when: datetime, build: int) -> str:
    values = {"buildDate": build_date(when), "buildVersion": str(build)}
    return _PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), template)


def create_image(backend: ImageBuilderBackend, params: dict[str, Any], inputs: BuildInputs) -> dict[str, Any]:
    image = build_image(backend, inputs, params, pipeline=None, tags=params.get("tags"))
    assert image.version is not None
    return response(
        params,
        imageBuildVersionArn=image.arn,
        latestVersionReferences=model.latest_version_references(image.versionless_arn, image.version),
    )


def start_image_pipeline_execution(
    backend: ImageBuilderBackend, params: dict[str, Any], pipeline: Resource, inputs: BuildInputs
) -> dict[str, Any]:
    tags = {**(pipeline.data.get("imageTags") or {}), **(params.get("tags") or {})}
    image = build_image(backend, inputs, pipeline.data, pipeline=pipeline, tags=tags or None)
    pipeline.data["dateLastRun"] = image.data["dateCreated"]
    pipeline.data["lastRunStatus"] = image.data["state"]["status"]
    return response(params, imageBuildVersionArn=image.arn)


def build_image(
    backend: ImageBuilderBackend,
    inputs: BuildInputs,
    settings: dict[str, Any],
    *,
    pipeline: Resource | None,
    tags: dict[str, str] | None,
) -> Resource:
    """Build ``inputs`` now. ``settings`` (the CreateImage request or the pipeline) gives the image's
    tests/scanning/workflow settings, which are recorded, not acted on."""
    recipe = inputs.recipe
    assert recipe.version is not None
    version_text = model.format_version(recipe.version)
    prefix = backend.arn("image", recipe.name, version_text) + "/"
    build = 1 + max((image.build or 0 for image in backend.images.values() if image.arn.startswith(prefix)), default=0)
    arn = f"{prefix}{build}"
    now = ec2_model.utc_now()
    amis, failure = _distribute(backend, arn, inputs, now, build)
    state: dict[str, Any] = {"status": "FAILED", "reason": failure} if failure else {"status": "AVAILABLE"}
    image: dict[str, Any] = {
        "arn": arn,
        "type": "AMI",
        "name": recipe.name,
        "version": f"{version_text}/{build}",
        "platform": recipe.data["platform"],
        "enhancedImageMetadataEnabled": settings.get("enhancedImageMetadataEnabled", True),
        "state": state,
        "imageRecipe": copy.deepcopy(recipe.data),
        "infrastructureConfiguration": copy.deepcopy(inputs.infrastructure.data),
        "imageTestsConfiguration": copy.deepcopy(
            settings.get("imageTestsConfiguration") or {"imageTestsEnabled": True, "timeoutMinutes": 720}
        ),
        "dateCreated": timestamp(now),
        "outputResources": {"amis": amis},
        "tags": tags,
        "buildType": "USER_INITIATED",
        "imageSource": "CUSTOM",
    }
    if inputs.distribution is not None:
        image["distributionConfiguration"] = copy.deepcopy(inputs.distribution.data)
    if pipeline is not None:
        image["sourcePipelineArn"] = pipeline.arn
        image["sourcePipelineName"] = pipeline.name
    for member in ("imageScanningConfiguration", "executionRole", "workflows", "loggingConfiguration"):
        if settings.get(member) is not None:
            image[member] = copy.deepcopy(settings[member])
    resource = Resource(
        arn=arn,
        name=recipe.name,
        data=image,
        version=recipe.version,
        build=build,
        extra={"architecture": recipe.extra.get("architecture", "x86_64")},
    )
    backend.images[arn] = resource
    return resource


def _distribute(
    backend: ImageBuilderBackend, image_arn: str, inputs: BuildInputs, when: datetime, build: int
) -> tuple[list[dict[str, Any]], str | None]:
    """Register one AMI per distribution Region; a taken AMI name fails the whole build, as on AWS."""
    recipe = inputs.recipe
    distributions: list[dict[str, Any]] = (
        inputs.distribution.data["distributions"] if inputs.distribution else [{"region": backend.region_name}]
    )
    plans: list[tuple[str, dict[str, Any], str]] = []
    for distribution in distributions:
        region = distribution["region"]
        configuration = distribution.get("amiDistributionConfiguration") or {}
        template = configuration.get("name") or f"{recipe.name} {{{{ imagebuilder:buildDate }}}}"
        name = render_ami_name(template, when, build)
        ec2 = ec2_backend(backend.account_id, region)
        if any(ami.name == name and ami.owner_id == backend.account_id for ami in ec2.amis.values()):
            return [], f"AMI name '{name}' is already in use in Region {region}."
        plans.append((region, configuration, name))
    amis: list[dict[str, Any]] = []
    for region, configuration, name in plans:
        description = configuration.get("description") or recipe.data.get("description")
        tags = {
            **(recipe.data.get("amiTags") or {}),
            **(configuration.get("amiTags") or {}),
            IMAGE_ARN_TAG: image_arn,
            CREATED_BY_TAG: CREATED_BY_VALUE,
        }
        ami = _register_ami(backend, region, recipe, name, description, configuration.get("kmsKeyId"), tags)
        ec2_model.modify_launch_permissions(ami, launch_permissions(configuration.get("launchPermission")), [])
        entry = {"region": region, "image": ami.id, "name": name, "state": {"status": "AVAILABLE"}}
        if description:
            entry["description"] = description
        entry["accountId"] = backend.account_id
        amis.append(entry)
    return amis, None


def _parent_ami(backend: ImageBuilderBackend, recipe: Resource) -> Any:
    ami_id = recipe.extra.get("parent_ami_id")
    if not ami_id:
        return None
    return ec2_backend(backend.account_id, backend.region_name).amis.get(ami_id)


def _register_ami(
    backend: ImageBuilderBackend,
    region: str,
    recipe: Resource,
    name: str,
    description: str | None,
    kms_key_id: str | None,
    tags: dict[str, str],
) -> Any:
    ec2 = ec2_backend(backend.account_id, region)
    parent = _parent_ami(backend, recipe)
    platform = str(recipe.data["platform"])
    root_device = (parent.root_device_name if parent is not None else None) or (
        "/dev/sda1" if platform == "Windows" else "/dev/xvda"
    )
    ami = ec2.register_image(name, description)
    ec2.snapshots.pop(ami.ebs_snapshot.id, None)
    mappings = _block_device_mappings(ec2, ami.id, region, recipe, parent, root_device, kms_key_id)
    ami.root_device_name = root_device
    ami.root_device_type = "ebs"
    ami.architecture = str(recipe.extra.get("architecture") or "x86_64")
    ami.virtualization_type = "hvm"
    ami.hypervisor = "xen"
    ami.platform = "windows" if platform == "Windows" else None
    ami.boot_mode = parent.boot_mode if parent is not None else None
    image_extras = ec2_model.extras(ami)
    image_extras.block_device_mappings = mappings
    image_extras.imds_support = "v2.0"
    image_extras.ena_support = True
    ami.add_tags(tags)
    return ami


def _block_device_mappings(
    ec2: Any,
    ami_id: str,
    region: str,
    recipe: Resource,
    parent: Any,
    root_device: str,
    kms_key_id: str | None,
) -> list[dict[str, Any]]:
    """The parent's mappings (or a default root volume) overlaid by the recipe's, each EBS volume
    backed by a real snapshot in ``ec2``."""
    platform = str(recipe.data["platform"])
    # device -> (EC2-form mapping inherited from the parent, the recipe's ``ebs`` for that device)
    devices: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    for mapping in parent.block_device_mappings if parent is not None else []:
        devices[mapping["DeviceName"]] = (copy.deepcopy(mapping), {})
    if not devices:
        root = {"DeviceName": root_device, "Ebs": {"VolumeSize": DEFAULT_ROOT_SIZE.get(platform, 8)}}
        devices[root_device] = (root, {})
    for requested in recipe.data.get("blockDeviceMappings") or []:
        device = requested.get("deviceName")
        if not device:
            continue
        if requested.get("noDevice") is not None:
            devices.pop(device, None)
        elif requested.get("virtualName"):
            devices[device] = ({"DeviceName": device, "VirtualName": requested["virtualName"]}, {})
        elif requested.get("ebs") is not None:
            inherited = devices.get(device, ({"DeviceName": device, "Ebs": {}}, {}))[0]
            devices[device] = ({"DeviceName": device, "Ebs": inherited.get("Ebs") or {}}, requested["ebs"])
    requests: list[dict[str, Any]] = []
    for device, (inherited, recipe_ebs) in devices.items():
        if "Ebs" not in inherited:
            requests.append(inherited)
            continue
        ebs = _snapshot_volume(ec2, ami_id, region, inherited["Ebs"], recipe_ebs, kms_key_id)
        requests.append({"DeviceName": device, "Ebs": ebs})
    built: list[dict[str, Any]] = ec2_model.build_block_device_mappings(ec2, requests)
    return built


def _snapshot_volume(
    ec2: Any,
    ami_id: str,
    region: str,
    inherited: dict[str, Any],
    requested: dict[str, Any],
    kms_key_id: str | None,
) -> dict[str, Any]:
    """An EBS mapping request for ``build_block_device_mappings``, its snapshot created in ``ec2``.
    Encrypted unless the recipe says ``encrypted: false``; the distribution's key wins over all."""
    volume_type = requested.get("volumeType") or inherited.get("VolumeType") or "gp3"
    size = int(requested.get("volumeSize") or inherited.get("VolumeSize") or 8)
    encrypted = bool(kms_key_id) or requested.get("encrypted") is not False
    key = (kms_key_id or requested.get("kmsKeyId") or inherited.get("KmsKeyId")) if encrypted else None
    iops = (requested.get("iops") or inherited.get("Iops")) if volume_type in ("io1", "io2", "gp3") else None
    throughput = (requested.get("throughput") or inherited.get("Throughput")) if volume_type == "gp3" else None
    volume = ec2.create_volume(
        size=size,
        zone_name=f"{region}a",
        encrypted=encrypted,
        kms_key_id=key,
        volume_type=volume_type,
        iops=iops,
        throughput=throughput,
    )
    snapshot = ec2.create_snapshot(volume.id, f"Created by EC2 Image Builder for {ami_id}", from_ami=ami_id)
    ec2.delete_volume(volume.id)
    delete_on_termination = requested.get("deleteOnTermination")
    request: dict[str, Any] = {
        "SnapshotId": snapshot.id,
        "VolumeSize": size,
        "VolumeType": volume_type,
        "DeleteOnTermination": True if delete_on_termination is None else bool(delete_on_termination),
    }
    if iops:
        request["Iops"] = iops
    if throughput:
        request["Throughput"] = throughput
    return request
