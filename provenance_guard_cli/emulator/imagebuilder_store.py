"""Image Builder components, recipes, infrastructure/distribution configurations and pipelines.

Each ``create_*`` takes the request's parsed parameters (member names as in the botocore model) and
returns the response members; each ``get_*`` returns the resource's API shape. Images are built by
:mod:`.imagebuilder_build`.
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass
from typing import Any

import yaml
from botocore.model import StructureShape
from moto.core.utils import get_service_model
from moto.ec2.models import ec2_backends

from . import imagebuilder_model as model
from .imagebuilder_model import (
    SERVICE,
    ImageBuilderBackend,
    InvalidParameterCombinationException,
    InvalidRequestException,
    Resource,
    already_exists,
    invalid_value,
    not_found,
    parse_arn,
    timestamp,
)

DEFAULT_TIMEOUT_MINUTES = 720
IOPS_REQUIRED = frozenset({"io1", "io2"})
_MANAGED_OWNER_NAMES = {"aws": "Amazon", "aws-marketplace": "AWSMarketplace", "third-party": "ThirdParty"}


def response(params: dict[str, Any], **members: Any) -> dict[str, Any]:
    """A Create*/Get* response: ``requestId``, the echoed ``clientToken`` and the given members."""
    return {"requestId": str(uuid.uuid4()), "clientToken": params.get("clientToken"), **members}


def echo(shape_name: str, params: dict[str, Any]) -> dict[str, Any]:
    """The request members that the resource's API shape also has, deep-copied."""
    shape = get_service_model(SERVICE).shape_for(shape_name)
    assert isinstance(shape, StructureShape)
    members = shape.members
    return {name: copy.deepcopy(value) for name, value in params.items() if name in members and value is not None}


def check_dry_run(params: dict[str, Any]) -> None:
    if params.get("dryRun"):
        raise model.DryRunOperationException("The request would have succeeded, but the dryRun parameter was set.")


def ec2_backend(account_id: str, region: str) -> Any:
    """moto's EC2 backend (typed ``Any``: the emulator sets attributes moto's annotations don't allow)."""
    return ec2_backends[account_id][region]


def platform_from_name(name: str) -> str:
    lowered = name.lower()
    if "windows" in lowered:
        return "Windows"
    if "macos" in lowered or "mac-os" in lowered:
        return "macOS"
    return "Linux"


def architecture_from_name(name: str) -> str:
    lowered = name.lower()
    return "arm64" if "arm64" in lowered or "aarch64" in lowered or "graviton" in lowered else "x86_64"


# --- components -------------------------------------------------------------------------------------


def _component_document(data: str) -> tuple[str, list[dict[str, Any]]]:
    """(type, parameters) of an AWSTOE document: TEST when its only phase is ``test``, else BUILD."""
    try:
        document = yaml.safe_load(data)
    except yaml.YAMLError as error:
        raise invalid_value("data", f"The component document is not valid YAML: {error}") from None
    phases = document.get("phases") if isinstance(document, dict) else None
    if not isinstance(phases, list) or not phases or not all(isinstance(phase, dict) for phase in phases):
        raise invalid_value("data", "The component document must contain a non-empty 'phases' list.")
    names = [phase.get("name") for phase in phases]
    component_type = "TEST" if names == ["test"] else "BUILD"
    parameters: list[dict[str, Any]] = []
    for entry in document.get("parameters") or []:
        if not isinstance(entry, dict):
            continue
        for name, declared in entry.items():
            definition = declared if isinstance(declared, dict) else {}
            detail: dict[str, Any] = {"name": str(name), "type": str(definition.get("type", "string"))}
            if definition.get("default") is not None:
                detail["defaultValue"] = [str(definition["default"])]
            if definition.get("description") is not None:
                detail["description"] = str(definition["description"])
            parameters.append(detail)
    return component_type, parameters


def create_component(backend: ImageBuilderBackend, params: dict[str, Any]) -> dict[str, Any]:
    name = params["name"]
    version = model.parse_version(params["semanticVersion"])
    data, uri = params.get("data"), params.get("uri")
    if (data is None) == (uri is None):
        raise InvalidParameterCombinationException("You must specify exactly one of 'data' or 'uri'.")
    component_type, parameters = _component_document(data) if data is not None else ("BUILD", [])
    arn = backend.arn("component", name, model.format_version(version), "1")
    if arn in backend.components:
        raise already_exists("Component", arn)
    check_dry_run(params)
    component = echo("Component", params)
    component.update(
        {
            "arn": arn,
            "version": model.format_version(version),
            "type": component_type,
            "state": {"status": "ACTIVE"},
            "parameters": parameters or None,
            "owner": backend.account_id,
            "encrypted": True,
            "dateCreated": timestamp(),
        }
    )
    resource = Resource(arn=arn, name=name, data=component, version=version, build=1, extra={"uri": uri})
    backend.components[arn] = resource
    return response(
        params,
        componentBuildVersionArn=arn,
        latestVersionReferences=model.latest_version_references(resource.versionless_arn, version),
    )


def managed_component(arn_text: str) -> dict[str, Any]:
    """An AWS-managed (or Marketplace / third-party) component, described from its ARN alone."""
    arn = parse_arn(arn_text)
    if arn is None or not arn.is_managed or arn.version is None or "x" in arn.version:
        raise not_found("Component", arn_text)
    build = arn.build or 1
    return {
        "arn": f"{arn_text.rsplit('/', 2 if arn.build else 1)[0]}/{arn.version}/{build}",
        "name": arn.name,
        "version": arn.version,
        "type": "BUILD",
        "platform": platform_from_name(arn.name),
        "state": {"status": "ACTIVE"},
        "owner": _MANAGED_OWNER_NAMES.get(arn.owner, arn.owner),
        "encrypted": True,
    }


def get_component(backend: ImageBuilderBackend, params: dict[str, Any]) -> dict[str, Any]:
    arn_text = params["componentBuildVersionArn"]
    arn = parse_arn(arn_text)
    if arn is not None and arn.is_managed:
        return response(params, component=managed_component(arn_text))
    resource = backend.find_versioned(backend.components, "Component", arn_text, "componentBuildVersionArn")
    assert resource.version is not None
    return response(
        params,
        component=copy.deepcopy(resource.data),
        latestVersionReferences=model.latest_version_references(resource.versionless_arn, resource.version),
    )


# --- image recipes ----------------------------------------------------------------------------------


@dataclass
class Parent:
    """What the recipe's parentImage tells about the image to build."""

    platform: str | None
    architecture: str
    ami_id: str | None = None


def resolve_parent(backend: ImageBuilderBackend, parent_image: str) -> Parent:
    if parent_image.startswith("ami-"):
        ec2 = ec2_backend(backend.account_id, backend.region_name)
        ami = ec2.amis.get(parent_image)
        if ami is None:
            raise invalid_value(
                "parentImage",
                f"The AMI '{parent_image}' does not exist in Region '{backend.region_name}' or you can't access it.",
            )
        platform = "Windows" if ami.platform == "windows" else "Linux"
        return Parent(platform=platform, architecture=ami.architecture or "x86_64", ami_id=ami.id)
    if parent_image.startswith("arn:"):
        arn = parse_arn(parent_image)
        if arn is None or arn.type != "image":
            raise invalid_value("parentImage", f"'{parent_image}' is not an AMI ID or an Image Builder image ARN.")
        if arn.is_managed:
            return Parent(platform=platform_from_name(arn.name), architecture=architecture_from_name(arn.name))
        image = backend.find_versioned(backend.images, "Image", parent_image, "parentImage")
        amis = image.data.get("outputResources", {}).get("amis", [])
        ami_id = next((ami["image"] for ami in amis if ami["region"] == backend.region_name), None)
        return Parent(
            platform=image.data.get("platform"),
            architecture=str(image.extra.get("architecture", "x86_64")),
            ami_id=ami_id,
        )
    # An SSM parameter (ssm:...) or a Marketplace product id: not resolved by the emulator.
    return Parent(platform=None, architecture="x86_64")


def _check_components(backend: ImageBuilderBackend, components: list[dict[str, Any]], platform: str | None) -> str:
    """Every own component must exist (wildcards: some version must match) and share one platform."""
    platforms: set[str] = set()
    for index, configuration in enumerate(components):
        parameter = f"components[{index}].componentArn"
        arn_text = configuration["componentArn"]
        arn = parse_arn(arn_text)
        if arn is None or arn.type != "component":
            raise invalid_value(parameter, f"'{arn_text}' is not a component ARN.")
        if arn.region != backend.region_name:
            raise not_found("Component", arn_text)
        if arn.is_managed:
            continue
        component = backend.find_versioned(backend.components, "Component", arn_text, parameter)
        platforms.add(str(component.data["platform"]))
    resolved = platform or (sorted(platforms)[0] if platforms else "Linux")
    mismatched = sorted(platforms - {resolved})
    if mismatched:
        raise invalid_value(
            "components", f"Components for platform(s) {mismatched} can't be used with a {resolved} parent image."
        )
    return resolved


def _check_block_device_mappings(mappings: list[dict[str, Any]]) -> None:
    for index, mapping in enumerate(mappings):
        ebs = mapping.get("ebs") or {}
        parameter = f"blockDeviceMappings[{index}].ebs"
        if ebs.get("volumeType") in IOPS_REQUIRED and not ebs.get("iops"):
            raise invalid_value(f"{parameter}.iops", f"iops is required for volume type {ebs['volumeType']}.")
        if ebs.get("kmsKeyId") and ebs.get("encrypted") is False:
            raise invalid_value(f"{parameter}.kmsKeyId", "kmsKeyId requires encrypted to be true.")
        if ebs.get("throughput") and ebs.get("volumeType") != "gp3":
            raise invalid_value(f"{parameter}.throughput", "throughput is supported only for gp3 volumes.")


def create_image_recipe(backend: ImageBuilderBackend, params: dict[str, Any]) -> dict[str, Any]:
    name = params["name"]
    semantic_version = params["semanticVersion"]
    if "x" in semantic_version:
        raise invalid_value(
            "semanticVersion", "Wildcard versions (auto-versioning) are not modelled by the emulator; use x.y.z."
        )
    version = model.parse_version(semantic_version)
    arn = backend.arn("image-recipe", name, model.format_version(version))
    if arn in backend.image_recipes:
        raise already_exists("ImageRecipe", arn)
    components = params.get("components") or []
    if not components:
        raise invalid_value("components", "An image recipe needs at least one component.")
    parent = resolve_parent(backend, params["parentImage"])
    platform = _check_components(backend, components, parent.platform)
    _check_block_device_mappings(params.get("blockDeviceMappings") or [])
    check_dry_run(params)
    recipe = echo("ImageRecipe", params)
    recipe.update(
        {
            "arn": arn,
            "type": "AMI",
            "platform": platform,
            "owner": backend.account_id,
            "version": model.format_version(version),
            "dateCreated": timestamp(),
        }
    )
    resource = Resource(
        arn=arn,
        name=name,
        data=recipe,
        version=version,
        extra={"architecture": parent.architecture, "parent_ami_id": parent.ami_id},
    )
    backend.image_recipes[arn] = resource
    return response(
        params,
        imageRecipeArn=arn,
        latestVersionReferences=model.latest_version_references(resource.versionless_arn, version),
    )


def get_image_recipe(backend: ImageBuilderBackend, params: dict[str, Any]) -> dict[str, Any]:
    resource = backend.find_versioned(backend.image_recipes, "ImageRecipe", params["imageRecipeArn"], "imageRecipeArn")
    assert resource.version is not None
    return response(
        params,
        imageRecipe=copy.deepcopy(resource.data),
        latestVersionReferences=model.latest_version_references(resource.versionless_arn, resource.version),
    )


# --- infrastructure and distribution configurations -------------------------------------------------


def create_infrastructure_configuration(backend: ImageBuilderBackend, params: dict[str, Any]) -> dict[str, Any]:
    arn = backend.arn("infrastructure-configuration", params["name"])
    if arn in backend.infrastructure_configurations:
        raise already_exists("InfrastructureConfiguration", arn)
    check_dry_run(params)
    configuration = echo("InfrastructureConfiguration", params)
    configuration.setdefault("terminateInstanceOnFailure", True)
    now = timestamp()
    configuration.update({"arn": arn, "dateCreated": now, "dateUpdated": now})
    backend.infrastructure_configurations[arn] = Resource(arn=arn, name=params["name"], data=configuration)
    return response(params, infrastructureConfigurationArn=arn)


def get_infrastructure_configuration(backend: ImageBuilderBackend, params: dict[str, Any]) -> dict[str, Any]:
    arn = params["infrastructureConfigurationArn"]
    resource = backend.find(backend.infrastructure_configurations, "InfrastructureConfiguration", arn)
    return response(params, infrastructureConfiguration=copy.deepcopy(resource.data))


def launch_permissions(configuration: dict[str, Any] | None) -> list[dict[str, str]]:
    """A distribution's ``launchPermission`` as EC2 launch permissions."""
    configuration = configuration or {}
    keys = {
        "userIds": "UserId",
        "userGroups": "Group",
        "organizationArns": "OrganizationArn",
        "organizationalUnitArns": "OrganizationalUnitArn",
    }
    return [{key: value} for member, key in keys.items() for value in configuration.get(member) or []]


def _check_distributions(backend: ImageBuilderBackend, distributions: list[dict[str, Any]]) -> None:
    if not distributions:
        raise invalid_value("distributions", "At least one distribution is required.")
    known_regions = set(ec2_backends[backend.account_id].regions)
    seen: set[str] = set()
    for index, distribution in enumerate(distributions):
        region = distribution["region"]
        if region not in known_regions:
            raise invalid_value(f"distributions[{index}].region", f"'{region}' is not a valid Region.")
        if region in seen:
            raise invalid_value("distributions", f"The Region '{region}' is listed more than once.")
        seen.add(region)
        permission = (distribution.get("amiDistributionConfiguration") or {}).get("launchPermission") or {}
        for group in permission.get("userGroups") or []:
            if group != "all":
                raise invalid_value(
                    f"distributions[{index}].amiDistributionConfiguration.launchPermission.userGroups",
                    f"'{group}' is not a valid user group; the only group is 'all'.",
                )


def create_distribution_configuration(backend: ImageBuilderBackend, params: dict[str, Any]) -> dict[str, Any]:
    arn = backend.arn("distribution-configuration", params["name"])
    if arn in backend.distribution_configurations:
        raise already_exists("DistributionConfiguration", arn)
    _check_distributions(backend, params.get("distributions") or [])
    check_dry_run(params)
    configuration = echo("DistributionConfiguration", params)
    configuration.setdefault("timeoutMinutes", DEFAULT_TIMEOUT_MINUTES)
    now = timestamp()
    configuration.update({"arn": arn, "dateCreated": now, "dateUpdated": now})
    backend.distribution_configurations[arn] = Resource(arn=arn, name=params["name"], data=configuration)
    return response(params, distributionConfigurationArn=arn)


def get_distribution_configuration(backend: ImageBuilderBackend, params: dict[str, Any]) -> dict[str, Any]:
    arn = params["distributionConfigurationArn"]
    resource = backend.find(backend.distribution_configurations, "DistributionConfiguration", arn)
    return response(params, distributionConfiguration=copy.deepcopy(resource.data))


# --- pipelines --------------------------------------------------------------------------------------


@dataclass
class BuildInputs:
    """What CreateImage / an image pipeline builds from."""

    recipe: Resource
    infrastructure: Resource
    distribution: Resource | None


def resolve_build_inputs(backend: ImageBuilderBackend, params: dict[str, Any]) -> BuildInputs:
    if params.get("containerRecipeArn"):
        raise invalid_value("containerRecipeArn", "Container recipes are not modelled by the emulator.")
    recipe_arn = params.get("imageRecipeArn")
    if not recipe_arn:
        raise InvalidRequestException("You must specify an imageRecipeArn or a containerRecipeArn.")
    recipe = backend.find_versioned(backend.image_recipes, "ImageRecipe", recipe_arn, "imageRecipeArn")
    infrastructure = backend.find(
        backend.infrastructure_configurations, "InfrastructureConfiguration", params["infrastructureConfigurationArn"]
    )
    distribution_arn = params.get("distributionConfigurationArn")
    distribution = (
        backend.find(backend.distribution_configurations, "DistributionConfiguration", distribution_arn)
        if distribution_arn
        else None
    )
    return BuildInputs(recipe=recipe, infrastructure=infrastructure, distribution=distribution)


def create_image_pipeline(backend: ImageBuilderBackend, params: dict[str, Any]) -> dict[str, Any]:
    arn = backend.arn("image-pipeline", params["name"])
    if arn in backend.image_pipelines:
        raise already_exists("ImagePipeline", arn)
    inputs = resolve_build_inputs(backend, params)
    check_dry_run(params)
    pipeline = echo("ImagePipeline", params)
    pipeline.setdefault("enhancedImageMetadataEnabled", True)
    pipeline.setdefault("imageTestsConfiguration", {"imageTestsEnabled": True, "timeoutMinutes": 720})
    pipeline.setdefault("status", "ENABLED")
    now = timestamp()
    pipeline.update({"arn": arn, "platform": inputs.recipe.data["platform"], "dateCreated": now, "dateUpdated": now})
    backend.image_pipelines[arn] = Resource(arn=arn, name=params["name"], data=pipeline)
    return response(params, imagePipelineArn=arn)


def get_image_pipeline(backend: ImageBuilderBackend, params: dict[str, Any]) -> dict[str, Any]:
    resource = backend.find(backend.image_pipelines, "ImagePipeline", params["imagePipelineArn"])
    return response(params, imagePipeline=copy.deepcopy(resource.data))
