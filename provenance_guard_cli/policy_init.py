"""`provenance-guard policy init`: a commented starting policy for the account of the credentials, written
from what the account uses. Read-only: every call below is a Describe/List/Get, and a call the
credentials may not make is named in the output instead of failing the command.

What the account's own resources say goes in as policy (its Image Builder pipelines, its AWS Signer
profiles, the hardening components its recipes use); what belongs to someone else (the owners of AMIs
its instances run, layers and images of other accounts, allowed publishers of other accounts, its
organization as a share target, pull-through upstreams) is written as commented candidates to review:
a starting policy never trusts a third party because the account happens to use it.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from provenance_guard.lambda_identifiers import parse_image_uri

LAMBDA_PLATFORM = "AWSLambda-SHA384-ECDSA"
NOTATION_PLATFORM = "Notation-OCI-SHA384-ECDSA"
HARDENING_WORDS = ("stig", "cis", "harden")
CANNOT_RUN = 2


@dataclass
class Discovery:
    """What `policy init` read in one account and Region."""

    account: str
    partition: str
    region: str
    instance_owners: Counter[str] = field(default_factory=Counter)
    """AMI owner (account id, or alias such as amazon) -> instances launched from its AMIs."""
    example_images: dict[str, str] = field(default_factory=dict)
    """owner -> one of its AMIs an instance runs."""
    own_images: int = 0
    pipelines: list[str] = field(default_factory=list)
    hardening_components: set[str] = field(default_factory=set)
    """Component ARN patterns (`.../component/<name>/*`) of hardening components the pipelines' recipes use."""
    repositories: int = 0
    pull_through_upstreams: set[str] = field(default_factory=set)
    foreign_image_registries: Counter[str] = field(default_factory=Counter)
    """Registry hosts of Lambda container images outside this account's ECR -> functions."""
    lambda_profiles: list[str] = field(default_factory=list)
    container_profiles: list[str] = field(default_factory=list)
    publisher_profiles: set[str] = field(default_factory=set)
    """Signing-profile ARNs that code signing configs allow, of other accounts or not active here."""
    layer_accounts: Counter[str] = field(default_factory=Counter)
    example_layers: dict[str, str] = field(default_factory=dict)
    organization_arn: str | None = None
    unreadable: list[str] = field(default_factory=list)
    """`service:Operation (ErrorCode)` of each call the credentials could not make."""


def discover(session: Any) -> Discovery:
    """Read the account of `session` (a boto3 Session with a Region)."""
    identity = session.client("sts").get_caller_identity()
    found = Discovery(identity["Account"], identity["Arn"].split(":")[1], session.region_name)
    reader = _Reader(session, found)
    reader.amis()
    reader.pipelines()
    reader.registries()
    reader.signing_profiles()
    reader.functions()
    reader.organization()
    return found


class _Reader:
    def __init__(self, session: Any, found: Discovery) -> None:
        self.session = session
        self.found = found

    def _call(self, operation: str, call: Callable[[], Any], default: Any) -> Any:
        try:
            return call()
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "Error")
            if code != "AWSOrganizationsNotInUseException":
                self.found.unreadable.append(f"{operation} ({code})")
            return default

    def _pages(self, service: str, operation: str, key: str, **kwargs: Any) -> list[Any]:
        client = self.session.client(service)
        name = "".join(part.capitalize() for part in operation.split("_"))

        def read() -> list[Any]:
            return [item for page in client.get_paginator(operation).paginate(**kwargs) for item in page[key]]

        items: list[Any] = self._call(f"{service}:{name}", read, [])
        return items

    def amis(self) -> None:
        live = [{"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]}]
        reservations = self._pages("ec2", "describe_instances", "Reservations", Filters=live)
        instances = [instance for reservation in reservations for instance in reservation["Instances"]]
        running = Counter(i["ImageId"] for i in instances)
        ec2 = self.session.client("ec2")
        images = self._call(
            "ec2:DescribeImages",
            lambda: ec2.describe_images(ImageIds=sorted(running))["Images"] if running else [],
            [],
        )
        for image in images:
            owner = image.get("ImageOwnerAlias") or image["OwnerId"]
            owner = "self" if owner == self.found.account else owner
            self.found.instance_owners[owner] += running[image["ImageId"]]
            self.found.example_images.setdefault(owner, image["ImageId"])
        own = self._call("ec2:DescribeImages", lambda: ec2.describe_images(Owners=["self"])["Images"], [])
        self.found.own_images = len(own)

    def pipelines(self) -> None:
        imagebuilder = self.session.client("imagebuilder")
        for pipeline in self._pages("imagebuilder", "list_image_pipelines", "imagePipelineList"):
            self.found.pipelines.append(pipeline["arn"])
            recipe_arn = pipeline.get("imageRecipeArn")
            if not recipe_arn:
                continue
            read_recipe = partial(imagebuilder.get_image_recipe, imageRecipeArn=recipe_arn)
            recipe = self._call("imagebuilder:GetImageRecipe", read_recipe, {})
            for component in recipe.get("imageRecipe", {}).get("components", []):
                pattern = _component_pattern(component["componentArn"])
                if any(word in pattern.rsplit("/", 2)[-2] for word in HARDENING_WORDS):
                    self.found.hardening_components.add(pattern)

    def registries(self) -> None:
        self.found.repositories = len(self._pages("ecr", "describe_repositories", "repositories"))
        rules = self._pages("ecr", "describe_pull_through_cache_rules", "pullThroughCacheRules")
        self.found.pull_through_upstreams = {rule["upstreamRegistryUrl"] for rule in rules}

    def signing_profiles(self) -> None:
        for profile in self._pages("signer", "list_signing_profiles", "profiles", statuses=["Active"]):
            if profile.get("platformId") == LAMBDA_PLATFORM:
                self.found.lambda_profiles.append(profile["arn"])
            elif profile.get("platformId") == NOTATION_PLATFORM:
                self.found.container_profiles.append(profile["arn"])
        configs = self._pages("lambda", "list_code_signing_configs", "CodeSigningConfigs")
        for config in configs:
            for version_arn in config.get("AllowedPublishers", {}).get("SigningProfileVersionArns", []):
                profile = version_arn.rsplit("/", 1)[0]
                if profile not in self.found.lambda_profiles:
                    self.found.publisher_profiles.add(profile)

    def functions(self) -> None:
        for function in self._pages("lambda", "list_functions", "Functions"):
            for layer in function.get("Layers", []):
                account = layer["Arn"].split(":")[4]
                if account != self.found.account:
                    self.found.layer_accounts[account] += 1
                    self.found.example_layers.setdefault(account, layer["Arn"])
            if function.get("PackageType") == "Image":
                self._image_function(function)

    def _image_function(self, function: dict[str, Any]) -> None:
        lam = self.session.client("lambda")
        code = self._call(
            "lambda:GetFunction", lambda: lam.get_function(FunctionName=function["FunctionArn"]).get("Code", {}), {}
        )
        uri = code.get("ImageUri")
        if not uri:
            return
        try:
            reference = parse_image_uri(uri)
        except ValueError:
            return
        if reference.ecr_account != self.found.account:
            self.found.foreign_image_registries[reference.registry] += 1

    def organization(self) -> None:
        organizations = self.session.client("organizations")
        described = self._call("organizations:DescribeOrganization", organizations.describe_organization, {})
        self.found.organization_arn = described.get("Organization", {}).get("Arn")


def _component_pattern(component_arn: str) -> str:
    """`arn:aws:imagebuilder:us-east-1:aws:component/stig-build-linux-high/2025.1.0/1` ->
    `arn:aws:imagebuilder:*:aws:component/stig-build-linux-high/*` (any Region, any version)."""
    arn, _, resource = component_arn.partition(":component/")
    parts = arn.split(":")
    parts[3] = "*"
    return f"{':'.join(parts)}:component/{resource.split('/', 1)[0]}/*"


def init_policy(output: str | None, *, force: bool, region: str | None, profile: str | None) -> int:
    """The verb: discover, render, check the result, then print it or write `output`."""
    import boto3
    import yaml

    from provenance_guard.controls import full_context
    from provenance_guard.policy import check_document
    from provenance_guard_cli.policy_template import render_policy

    if output and Path(output).exists() and not force:
        print(f"provenance-guard policy init: {output} exists; pass --force to overwrite it", file=sys.stderr)
        return CANNOT_RUN
    session = boto3.Session(profile_name=profile, region_name=region)
    if not session.region_name:
        print("provenance-guard policy init: no region: pass --region or configure one", file=sys.stderr)
        return CANNOT_RUN
    found = discover(session)
    text = render_policy(found, datetime.now(UTC).date())
    _, problems = check_document(yaml.safe_load(text), full_context())
    if problems.errors:  # the template's own fault, never the account's
        raise RuntimeError(f"policy init wrote an invalid policy: {problems.errors[0]}")
    if output:
        Path(output).write_text(text)
        print(f"{output}: a starting policy for account {found.account} ({found.region}); review the REVIEW and "
              f"FILL IN comments, then `provenance-guard policy validate {output}`", file=sys.stderr)  # fmt: skip
    else:
        sys.stdout.write(text)
    for line in _unreadable(found):
        print(line, file=sys.stderr)
    return 0


def _unreadable(found: Discovery) -> Iterator[str]:
    for call in found.unreadable:
        yield f"provenance-guard policy init: could not read {call}; its part of the policy is left to you"
