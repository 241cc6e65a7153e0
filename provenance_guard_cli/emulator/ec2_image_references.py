"""EC2 ``DescribeImageReferences`` for the emulator (moto 5.2.5 has no such operation; patched onto ``AmisResponse``).

What references an AMI, per resource type (EC2 User Guide, "Identify your resources referencing
specified AMIs"; request and response members from botocore's ec2 2016-11-15 model):

* ``ec2:Instance``: instances whose ``ImageId`` is the AMI; option ``state-name`` (pending, running,
  shutting-down, terminated, stopping, stopped) filters by state, default all states, terminated
  included, as AWS documents. ARN ``arn:aws:ec2:<region>:<account>:instance/<id>``.
* ``ec2:LaunchTemplate``: launch templates one of whose ``version-depth`` most recent versions (1..10000,
  default 10) has that literal ``ImageId``; one reference per template,
  ``arn:aws:ec2:<region>:<account>:launch-template/<id>``.
* ``ssm:Parameter``: the account's parameters of data type ``aws:ec2:image`` whose current value is the
  AMI, ``arn:aws:ssm:<region>:<account>:parameter/<name>`` (public ``/aws/service`` parameters are not
  the account's).
* ``imagebuilder:ImageRecipe``: the account's Image Builder image recipes (:mod:`.imagebuilder_store`)
  whose ``parentImage`` is the AMI id, by recipe ARN.
* ``imagebuilder:ContainerRecipe``: accepted; the emulator's Image Builder has no container recipes,
  so it never finds one.

``IncludeAllResourceTypes`` checks every type with the default options; ``ResourceTypes`` entries
override them for their type (or, alone, select the types). One of the two is required
(``MissingParameter``). ``ResourceTypeOptions`` are valid only for ``ec2:Instance`` (``state-name``) and
``ec2:LaunchTemplate`` (``version-depth``, one integer), as the model documents; anything else is
``InvalidParameterValue``. 1-10 ``ImageIds`` (``InvalidAMIID.Malformed`` for a malformed id; an AMI that
does not exist, or belongs to another account, simply has no references). Results in the order of
``ImageIds``, then resource type, then ARN; pages of ``MaxResults`` (5 or more) with ``NextToken``.

Not modelled: references from other Regions, SSM parameter labels and older versions, ``resolve:ssm:``
image ids in launch templates (AWS does not document that it follows them; the emulator does not),
the exact wording of AWS's error messages for invalid options.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from moto.core.responses import ActionResult
from moto.ec2.exceptions import EC2ClientError
from moto.ec2.responses.amis import AmisResponse
from moto.ssm.models import ssm_backends
from moto.utilities.utils import get_partition

from .ec2_launch_templates import page
from .imagebuilder_model import imagebuilder_backends
from .patches import patch_attr

RESOURCE_TYPES = (
    "ec2:Instance",
    "ec2:LaunchTemplate",
    "ssm:Parameter",
    "imagebuilder:ImageRecipe",
    "imagebuilder:ContainerRecipe",
)
INSTANCE_STATES = ("pending", "running", "shutting-down", "terminated", "stopping", "stopped")
DEFAULT_VERSION_DEPTH = 10
AMI_ID = re.compile(r"^ami-[0-9a-f]{8}([0-9a-f]{9})?$")
Options = dict[str, list[str]]
Finder = Callable[[Any, str, Options], list[str]]


def invalid(message: str) -> EC2ClientError:
    return EC2ClientError("InvalidParameterValue", message)


def describe_image_references(self: Any) -> ActionResult:
    image_ids = [str(i) for i in self._get_param("ImageIds", [])]
    if not 1 <= len(image_ids) <= 10:
        raise invalid("ImageIds must name between 1 and 10 images.")
    for image_id in image_ids:
        if not AMI_ID.match(image_id):
            raise EC2ClientError("InvalidAMIID.Malformed", f'Invalid id: "{image_id}" (expecting "ami-...")')
    selected = requested_types(bool(self._get_param("IncludeAllResourceTypes")), self._get_param("ResourceTypes", []))
    self.error_on_dryrun()
    finders: dict[str, Finder] = {
        "ec2:Instance": _instances,
        "ec2:LaunchTemplate": _launch_templates,
        "ssm:Parameter": _parameters,
        "imagebuilder:ImageRecipe": _image_recipes,
        "imagebuilder:ContainerRecipe": lambda response, image_id, options: [],
    }
    references = [
        {"ImageId": image_id, "ResourceType": resource_type, "Arn": arn}
        for image_id in dict.fromkeys(image_ids)
        for resource_type in RESOURCE_TYPES
        if resource_type in selected
        for arn in sorted(finders[resource_type](self, image_id, selected[resource_type]))
    ]
    found, token = page(references, self._get_param("MaxResults"), self._get_param("NextToken"), 5, None)
    return ActionResult({"ImageReferences": found, "NextToken": token})


def requested_types(include_all: bool, resource_types: list[dict[str, Any]]) -> dict[str, Options]:
    """Resource type -> its options (defaults where not given)."""
    if not include_all and not resource_types:
        raise EC2ClientError("MissingParameter", "Either IncludeAllResourceTypes or ResourceTypes must be specified.")
    selected: dict[str, Options] = {t: {} for t in RESOURCE_TYPES} if include_all else {}
    for entry in resource_types:
        resource_type = entry.get("ResourceType")
        if resource_type not in RESOURCE_TYPES:
            raise invalid(f"Unsupported ResourceType {resource_type!r}.")
        selected[resource_type] = _options(resource_type, entry.get("ResourceTypeOptions") or [])
    return selected


def _options(resource_type: str, options: list[dict[str, Any]]) -> Options:
    allowed = {"ec2:Instance": "state-name", "ec2:LaunchTemplate": "version-depth"}.get(resource_type)
    found: Options = {}
    for option in options:
        name, values = option.get("OptionName"), [str(v) for v in option.get("OptionValues") or []]
        if name != allowed:
            raise invalid(f"OptionName {name!r} is not valid for ResourceType {resource_type}.")
        if name == "state-name" and (not values or set(values) - set(INSTANCE_STATES)):
            raise invalid(f"state-name values must be among {', '.join(INSTANCE_STATES)}.")
        if name == "version-depth" and (
            len(values) != 1 or not values[0].isdigit() or not 1 <= int(values[0]) <= 10000
        ):
            raise invalid("version-depth takes one integer between 1 and 10000.")
        found[str(name)] = values
    return found


def _instances(self: Any, image_id: str, options: Options) -> list[str]:
    states = set(options.get("state-name") or INSTANCE_STATES)
    return [
        _ec2_arn(self, f"instance/{instance.id}")
        for instance in self.ec2_backend.all_instances()
        if instance.image_id == image_id and instance.state in states
    ]


def _launch_templates(self: Any, image_id: str, options: Options) -> list[str]:
    depth = int((options.get("version-depth") or [str(DEFAULT_VERSION_DEPTH)])[0])
    return [
        _ec2_arn(self, f"launch-template/{template.id}")
        for template in self.ec2_backend.launch_templates.values()
        if any(version.data.get("ImageId") == image_id for version in template.versions[-depth:])
    ]


def _parameters(self: Any, image_id: str, options: Options) -> list[str]:
    backend = ssm_backends[self.current_account][self.region]
    found = []
    for name, versions in backend._parameters.items():
        current = versions[-1] if versions else None
        if current is None or name.startswith("/aws/") or current.data_type != "aws:ec2:image":
            continue
        if current.value == image_id:
            found.append(
                f"arn:{get_partition(self.region)}:ssm:{self.region}:{self.current_account}:parameter/{name.lstrip('/')}"
            )
    return found


def _image_recipes(self: Any, image_id: str, options: Options) -> list[str]:
    backend = imagebuilder_backends[self.current_account][self.region]
    return [arn for arn, recipe in backend.image_recipes.items() if recipe.data.get("parentImage") == image_id]


def _ec2_arn(self: Any, resource: str) -> str:
    return f"arn:{get_partition(self.region)}:ec2:{self.region}:{self.current_account}:{resource}"


def install() -> None:
    patch_attr(AmisResponse, "describe_image_references", describe_image_references)
