"""EC2 launch template extensions to moto 5.2.5 (patched onto ``moto.ec2.responses.launch_templates.LaunchTemplates``).

What moto lacks or gets wrong, and what this module does instead:

* ``resolve:ssm:`` image ids (:mod:`.ec2_ssm_alias`): CreateLaunchTemplate / CreateLaunchTemplateVersion
  check that the parameter exists and (own parameters) has the data type ``aws:ec2:image``
  (``SsmInvalidParameter``), and store the ``resolve:ssm:`` string in the version, as AWS does.
  DescribeLaunchTemplateVersions / CreateLaunchTemplateVersion return it as stored unless
  ``ResolveAlias`` is true: then ``ImageId`` is the AMI id the parameter holds now (moto ignored
  ResolveAlias). ``ResolveAlias`` is accepted only for one version of one named template: a third
  party reports AWS requires a single version for it (wata727/packer-plugin-amazon-ami-management
  #431); AWS's reference does not say, so the emulator enforces the narrower reading
  (``InvalidParameterCombination``), and code that works against it works on AWS either way.
* CreateLaunchTemplateVersion: ``SourceVersion`` (the new version inherits the source's parameters,
  the request's override them; moto ignored it), ``UserData`` stored like CreateLaunchTemplate's
  (moto stored the raw string, which RunInstances then rejected); ID and name together are
  ``InvalidParameterCombination``, neither is ``MissingParameter``.
* DescribeLaunchTemplateVersions: ``$Latest``/``$Default``/numbers for one template, ``$Latest``/``$Default``
  for all templates (moto's checks and messages), each version once; ``MinVersion``/``MaxVersion``;
  ``Filters`` (create-time, ebs-optimized, http-endpoint, http-tokens, iam-instance-profile, image-id,
  instance-type, is-default-version, kernel-id, license-configuration-arn, host-resource-group-arn,
  network-card-index, ram-disk-id; an unknown filter is ``InvalidParameterValue``; moto ignored
  Filters); pages of ``MaxResults`` (1..200) with ``NextToken`` (moto cut the list at 15 and gave no token).
* DescribeLaunchTemplates: ``Filters`` create-time (moto matched nothing), launch-template-name,
  ``tag:<key>``, tag-key (any other is ``InvalidParameterValue``, moto matched nothing); an unknown ID
  is ``InvalidLaunchTemplateId.NotFound`` (moto dropped it),
  an unknown name ``InvalidLaunchTemplateName.NotFoundException``; pages of ``MaxResults`` (1..200)
  with ``NextToken`` (moto: a silent cut at 15).
* DeleteLaunchTemplate returns the whole ``LaunchTemplate`` (moto: three members).

Not modelled: ``ClientToken`` idempotency, ``Operator`` / managed templates (``IncludeManagedResources``),
the ``Warning`` member, DeleteLaunchTemplateVersions of ``resolve:ssm:`` versions, the resolution of
``resolve:ssm:`` by RunInstances (moto launches such an instance with the alias as its image id).
"""

from __future__ import annotations

import base64
import binascii
import copy
import fnmatch
from collections.abc import Callable
from typing import Any

from moto.core.responses import ActionResult
from moto.ec2.exceptions import (
    EC2ClientError,
    InvalidLaunchTemplateNameNotFoundError,
    InvalidLaunchTemplateVersionNotFound,
    InvalidParameterCombination,
    MissingParameterError,
)
from moto.ec2.models.launch_templates import LaunchTemplate, LaunchTemplateVersion
from moto.ec2.responses.launch_templates import LaunchTemplates
from moto.ec2.utils import parse_user_data

from . import ec2_ssm_alias as alias
from .patches import original, patch_attr

ALL_TEMPLATES_MESSAGE = (
    "To describe the launch template data for all your launch templates, for \u2018--versions\u2019 specify "
    "\u2018$Latest\u2019, \u2018$Default\u2019, or both, and omit \u2018--launch-template-id\u2019, "
    "\u2018--launch-template-name\u2019, and version numbers."
)

Getter = Callable[[LaunchTemplate, LaunchTemplateVersion], list[Any]]


def _data(path: str) -> Getter:
    def get(template: LaunchTemplate, version: LaunchTemplateVersion) -> list[Any]:
        value: Any = version.data
        for key in path.split("."):
            value = value.get(key) if isinstance(value, dict) else None
        return [] if value is None else [value]

    return get


def _iso(moment: Any) -> str:
    return str(moment.strftime("%Y-%m-%dT%H:%M:%S.000Z"))


TEMPLATE_FILTERS = ("create-time", "launch-template-name", "tag-key")
VERSION_FILTERS: dict[str, Getter] = {
    "create-time": lambda t, v: [_iso(v.create_time)],
    "ebs-optimized": _data("EbsOptimized"),
    "http-endpoint": _data("MetadataOptions.HttpEndpoint"),
    "http-tokens": _data("MetadataOptions.HttpTokens"),
    "iam-instance-profile": lambda t, v: _data("IamInstanceProfile.Arn")(t, v) + _data("IamInstanceProfile.Name")(t, v),
    "image-id": _data("ImageId"),
    "instance-type": _data("InstanceType"),
    "is-default-version": lambda t, v: [t.is_default(v)],
    "kernel-id": _data("KernelId"),
    "license-configuration-arn": lambda t, v: [
        s.get("LicenseConfigurationArn") for s in v.data.get("LicenseSpecifications") or []
    ],
    "host-resource-group-arn": _data("Placement.HostResourceGroupArn"),
    "network-card-index": lambda t, v: [n.get("NetworkCardIndex") for n in v.data.get("NetworkInterfaces") or []],
    "ram-disk-id": _data("RamDiskId"),
}


def page(items: list[Any], max_results: Any, token: Any, low: int, high: int | None) -> tuple[list[Any], str | None]:
    """EC2-style pages: ``MaxResults`` in [low, high] (no upper bound when ``high`` is None), opaque ``NextToken``."""
    if max_results is not None and (int(max_results) < low or (high is not None and int(max_results) > high)):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise EC2ClientError("InvalidParameterValue", f"Value for parameter MaxResults must be {bounds}.")
    try:
        start = int(base64.urlsafe_b64decode(str(token).encode()).decode()) if token else 0
    except (ValueError, binascii.Error):
        raise EC2ClientError("InvalidParameterValue", f"Invalid NextToken '{token}'") from None
    if max_results is None:
        return items[start:], None
    end = start + int(max_results)
    next_token = base64.urlsafe_b64encode(str(end).encode()).decode() if end < len(items) else None
    return items[start:end], next_token


def check_image_id(self: Any, data: dict[str, Any]) -> None:
    image_id = data.get("ImageId")
    if alias.is_alias(image_id):
        alias.resolve(str(image_id), self.current_account, self.region)


def create_launch_template(self: Any) -> ActionResult:
    check_image_id(self, self._get_param("LaunchTemplateData", {}))
    result: ActionResult = original(LaunchTemplates, "create_launch_template")(self)
    return result


def create_launch_template_version(self: Any) -> ActionResult:
    template = _template(self)
    data: dict[str, Any] = self._get_param("LaunchTemplateData", {})
    check_image_id(self, data)
    if "UserData" in data:
        data["UserData"] = parse_user_data(data["UserData"])
    source = self._get_param("SourceVersion")
    if source is not None:
        data = {**copy.deepcopy(template.get_version(source).data), **data}
    self.error_on_dryrun()
    version = template.create_version(data, self._get_param("VersionDescription"))
    resolve = bool(self._get_param("ResolveAlias"))
    return ActionResult({"LaunchTemplateVersion": _version(self, template, version, resolve)})


def delete_launch_template(self: Any) -> ActionResult:
    template = _template(self)
    self.error_on_dryrun()
    self.ec2_backend.delete_launch_template(None, template.id)
    return ActionResult({"LaunchTemplate": _template_response(self, template)})


def describe_launch_templates(self: Any) -> ActionResult:
    backend = self.ec2_backend
    ids = list(self._get_param("LaunchTemplateIds", []))
    names = list(self._get_param("LaunchTemplateNames", []))
    for template_id in ids:
        backend.get_launch_template(template_id)
    if any(name not in backend.launch_template_name_to_ids for name in names):
        raise InvalidLaunchTemplateNameNotFoundError()
    wanted = ids + [backend.launch_template_name_to_ids[name] for name in names]
    filters = self._filters_from_querystring()
    for name in filters:
        if name not in TEMPLATE_FILTERS and not name.startswith("tag:"):
            raise EC2ClientError("InvalidParameterValue", f"The filter '{name}' is invalid")
    created = filters.pop("create-time", None)
    self.error_on_dryrun()
    templates = backend.describe_launch_templates(template_ids=list(dict.fromkeys(wanted)), filters=filters)
    if created:
        templates = [t for t in templates if any(fnmatch.fnmatchcase(_iso(t.create_time), p) for p in created)]
    selected, token = page(templates, self._get_param("MaxResults"), self._get_param("NextToken"), 1, 200)
    return ActionResult({"LaunchTemplates": [_template_response(self, t) for t in selected], "NextToken": token})


def describe_launch_template_versions(self: Any) -> ActionResult:
    versions = [str(v) for v in self._get_param("Versions", [])]
    named = self._get_param("LaunchTemplateName") or self._get_param("LaunchTemplateId")
    resolve = bool(self._get_param("ResolveAlias"))
    if resolve and (not named or len(versions) != 1):
        raise InvalidParameterCombination(
            "ResolveAlias needs one launch template (ID or name) and exactly one version in Versions."
        )
    pairs = _selected_versions(self, versions) if named else _latest_or_default(self, versions)
    pairs = _filtered(pairs, self._get_param("Filters", []))
    self.error_on_dryrun()
    selected, token = page(pairs, self._get_param("MaxResults"), self._get_param("NextToken"), 1, 200)
    return ActionResult(
        {"LaunchTemplateVersions": [_version(self, t, v, resolve) for t, v in selected], "NextToken": token}
    )


def _selected_versions(self: Any, versions: list[str]) -> list[tuple[LaunchTemplate, LaunchTemplateVersion]]:
    template = _template(self)
    low, high = self._get_param("MinVersion"), self._get_param("MaxVersion")
    if versions and (low is not None or high is not None):
        raise InvalidParameterCombination("Versions cannot be combined with MinVersion or MaxVersion.")
    if not versions:
        return [
            (template, v)
            for v in template.versions
            if (low is None or v.number >= int(low)) and (high is None or v.number <= int(high))
        ]
    found: list[LaunchTemplateVersion] = []
    for wanted in versions:
        if wanted.lower() not in ("$latest", "$default") and (not wanted.isdigit() or int(wanted) < 1):
            raise EC2ClientError("InvalidParameterValue", f"Invalid launch template version {wanted}.")
        if wanted.isdigit() and int(wanted) > len(template.versions):
            raise InvalidLaunchTemplateVersionNotFound(version=wanted, template_id=template.id)
        version = template.get_version(wanted)
        if version not in found:
            found.append(version)
    return [(template, v) for v in sorted(found, key=lambda v: v.number)]


def _latest_or_default(self: Any, versions: list[str]) -> list[tuple[LaunchTemplate, LaunchTemplateVersion]]:
    if not versions:
        raise EC2ClientError("MissingParameter", ALL_TEMPLATES_MESSAGE)
    if any(v not in ("$Latest", "$Default") for v in versions):
        raise EC2ClientError("InvalidParameterValue", ALL_TEMPLATES_MESSAGE)
    pairs = []
    for template in self.ec2_backend.launch_templates.values():
        chosen = {template.get_version(v).number: template.get_version(v) for v in versions}
        pairs += [(template, chosen[number]) for number in sorted(chosen)]
    return pairs


def _filtered(
    pairs: list[tuple[LaunchTemplate, LaunchTemplateVersion]], filters: list[dict[str, Any]]
) -> list[tuple[LaunchTemplate, LaunchTemplateVersion]]:
    for spec in filters:
        name = spec.get("Name")
        if name not in VERSION_FILTERS:
            raise EC2ClientError("InvalidParameterValue", f"The filter '{name}' is invalid")
        patterns = [str(value) for value in spec.get("Values") or []]
        getter = VERSION_FILTERS[name]
        pairs = [
            (t, v)
            for t, v in pairs
            if any(fnmatch.fnmatchcase(_text(value), p) for value in getter(t, v) for p in patterns)
        ]
    return pairs


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _template(self: Any) -> LaunchTemplate:
    name, template_id = self._get_param("LaunchTemplateName"), self._get_param("LaunchTemplateId")
    if name and template_id:
        raise InvalidParameterCombination(
            "Specify either the launch template ID or the launch template name, not both."
        )
    if template_id:
        found: LaunchTemplate = self.ec2_backend.get_launch_template(template_id)
        return found
    if name:
        by_name: LaunchTemplate = self.ec2_backend.get_launch_template_by_name(name)
        return by_name
    raise MissingParameterError("launch template ID or launch template name")


def _created_by(self: Any) -> str:
    return f"arn:{self.partition}:iam::{self.current_account}:root"


def _template_response(self: Any, template: LaunchTemplate) -> dict[str, Any]:
    return {
        "CreateTime": template.create_time,
        "CreatedBy": _created_by(self),
        "DefaultVersionNumber": template.default_version_number,
        "LatestVersionNumber": template.latest_version_number,
        "LaunchTemplateId": template.id,
        "LaunchTemplateName": template.name,
        "Tags": template.tags,
    }


def _version(self: Any, template: LaunchTemplate, version: LaunchTemplateVersion, resolve: bool) -> dict[str, Any]:
    data = {key: value for key, value in copy.deepcopy(version.data).items() if value is not None}
    if resolve and alias.is_alias(data.get("ImageId")):
        data["ImageId"] = alias.resolve(data["ImageId"], self.current_account, self.region)
    described = {
        "CreateTime": version.create_time,
        "CreatedBy": _created_by(self),
        "DefaultVersion": template.is_default(version),
        "LaunchTemplateData": data,
        "LaunchTemplateId": template.id,
        "LaunchTemplateName": template.name,
        "VersionDescription": version.description,
        "VersionNumber": version.number,
    }
    return {key: value for key, value in described.items() if value is not None}


def install() -> None:
    for handler in (
        create_launch_template,
        create_launch_template_version,
        delete_launch_template,
        describe_launch_templates,
        describe_launch_template_versions,
    ):
        patch_attr(LaunchTemplates, handler.__name__, handler)
