"""EC2 launch templates (PG.EC2.2): the default and latest versions, the AMI each launches now, and that
AMI's snapshot. Auto Scaling groups and fleets launch from these versions tomorrow.

A version's `ImageId` is an AMI id or a `resolve:ssm:<parameter>` alias; the alias is resolved now, by
EC2 itself (DescribeLaunchTemplateVersions with `ResolveAlias`, which takes one version of one template
per call), so the AMI judged is the one the next launch gets.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from provenance_guard.clients import ClientFactory
from provenance_guard.collect.ami import AMI, AmiCollector, AmiSnapshot
from provenance_guard.collect.base import Collection, Kind
from provenance_guard.model import ArnFormat, ResourceKind, ResourceRef

LAUNCH_TEMPLATE = ResourceKind(
    "launch-template",
    asff_type="AwsEc2LaunchTemplate",
    arn=ArnFormat("ec2", "launch-template/"),
    family="EC2",
)
"""`ResourceRef.name` is the launch template id (`lt-...`)."""
DESCRIBE_LAUNCH_TEMPLATES = "ec2:DescribeLaunchTemplates"
DESCRIBE_LAUNCH_TEMPLATE_VERSIONS = "ec2:DescribeLaunchTemplateVersions"
GET_PARAMETERS = "ssm:GetParameters"
"""EC2 reads a `resolve:ssm:` parameter as the caller (the EC2 User Guide lists ssm:GetParameters for
launching from such a template); declared so resolving the alias is not denied."""
SSM_ALIAS = "resolve:ssm:"
GONE_CODES = frozenset({"InvalidLaunchTemplateId.NotFound", "InvalidLaunchTemplateId.Malformed"})
ALIAS_ERRORS = frozenset({"SsmInvalidParameter", "InvalidParameterValue", "AccessDenied", "AccessDeniedException"})


@dataclass(frozen=True)
class TemplateVersion:
    number: int
    roles: tuple[str, ...]
    """`default`, `latest` or both."""
    image_id: str | None
    """As the version stores it: an AMI id, a `resolve:ssm:` alias, or None (the launch supplies one)."""
    resolved_image_id: str | None = None
    """The AMI the version launches now (the alias resolved)."""
    error: str | None = None
    """Why the alias could not be resolved."""
    ami: AmiSnapshot | None = None
    """None when the AMI no longer exists (or is not visible)."""

    @property
    def label(self) -> str:
        return f"version {self.number} ({' and '.join(self.roles)})"

    @property
    def parameter(self) -> str | None:
        return self.image_id.removeprefix(SSM_ALIAS) if self.image_id and self.image_id.startswith(SSM_ALIAS) else None


@dataclass(frozen=True)
class LaunchTemplateSnapshot:
    ref: ResourceRef
    name: str
    default_version: int
    latest_version: int
    versions: tuple[TemplateVersion, ...]
    tags: Mapping[str, str]

    def asff_details(self) -> dict[str, Any]:
        details: dict[str, Any] = {
            "LaunchTemplateName": self.name,
            "Id": self.ref.name,
            "DefaultVersionNumber": self.default_version,
            "LatestVersionNumber": self.latest_version,
        }
        default = next((v for v in self.versions if "default" in v.roles), None)
        image = default.resolved_image_id if default else None
        if image:
            details["LaunchTemplateData"] = {"ImageId": image}
        return {"AwsEc2LaunchTemplate": details}


class LaunchTemplateCollector:
    """Reads a template with ec2:DescribeLaunchTemplates / DescribeLaunchTemplateVersions and the AMIs
    its default and latest versions launch through the AMI collector."""

    def __init__(self, clients: ClientFactory, amis: AmiCollector) -> None:
        self._clients = clients
        self._amis = amis

    def collect(self, ref: ResourceRef) -> LaunchTemplateSnapshot | None:
        """The template's snapshot, or None once it is deleted."""
        from botocore.exceptions import ClientError

        ec2 = self._clients.client("ec2", ref.region)
        try:
            templates = ec2.describe_launch_templates(LaunchTemplateIds=[ref.name])["LaunchTemplates"]
            if not templates:
                return None
            template = templates[0]
            default, latest = int(template["DefaultVersionNumber"]), int(template["LatestVersionNumber"])
            roles = (
                {default: ("default",), latest: ("latest",)} if default != latest else {default: ("default", "latest")}
            )
            stored = ec2.describe_launch_template_versions(
                LaunchTemplateId=ref.name, Versions=[str(number) for number in sorted(roles)]
            )["LaunchTemplateVersions"]
        except ClientError as error:
            if error.response["Error"]["Code"] in GONE_CODES:
                return None
            raise
        versions = tuple(
            self._version(ec2, ref, int(entry["VersionNumber"]), roles.get(int(entry["VersionNumber"]), ()), entry)
            for entry in stored
        )
        return LaunchTemplateSnapshot(
            ref=ref,
            name=str(template.get("LaunchTemplateName", "")),
            default_version=default,
            latest_version=latest,
            versions=versions,
            tags={t["Key"]: t["Value"] for t in template.get("Tags", [])},
        )

    def _version(
        self, ec2: Any, ref: ResourceRef, number: int, roles: tuple[str, ...], entry: Mapping[str, Any]
    ) -> TemplateVersion:
        from botocore.exceptions import ClientError

        image_id = (entry.get("LaunchTemplateData") or {}).get("ImageId")
        version = TemplateVersion(number, roles, image_id)
        if not image_id:
            return version
        resolved = image_id
        if image_id.startswith(SSM_ALIAS):
            try:
                resolved = ec2.describe_launch_template_versions(
                    LaunchTemplateId=ref.name, Versions=[str(number)], ResolveAlias=True
                )["LaunchTemplateVersions"][0]["LaunchTemplateData"].get("ImageId", "")
            except ClientError as error:
                if error.response["Error"]["Code"] not in ALIAS_ERRORS:
                    raise
                why = f"{error.response['Error']['Code']}: {error.response['Error'].get('Message', '')}"
                return TemplateVersion(number, roles, image_id, error=why)
        ami = self._amis.read(ResourceRef(AMI, resolved, ref.account, ref.region, ref.partition))
        return TemplateVersion(number, roles, image_id, resolved, ami=ami)


def launch_templates(clients: ClientFactory, region: str) -> Iterator[str]:
    """The sweep's inventory: every launch template of the Region (ids)."""
    ec2: Any = clients.client("ec2", region)
    pages = ec2.get_paginator("describe_launch_templates").paginate(PaginationConfig={"PageSize": 200})
    for page in pages:
        yield from (template["LaunchTemplateId"] for template in page.get("LaunchTemplates", []))


def _collector(collection: Collection) -> LaunchTemplateCollector:
    amis = collection.collector(AMI)
    assert isinstance(amis, AmiCollector)
    return LaunchTemplateCollector(collection.clients, amis)


KINDS = (
    Kind(
        LAUNCH_TEMPLATE,
        collector=_collector,
        collector_reads=(DESCRIBE_LAUNCH_TEMPLATES, DESCRIBE_LAUNCH_TEMPLATE_VERSIONS, GET_PARAMETERS),
        inventory=launch_templates,
        inventory_reads=(DESCRIBE_LAUNCH_TEMPLATES,),
        uses=(AMI,),
    ),
)
