"""Lambda, Signer and ECR identifiers: function names in every form the API accepts, layer, signing-profile
and image references. Pure string handling, shared by event parsing, collectors and controls."""

from __future__ import annotations

import re
from dataclasses import dataclass

_REGION = r"(?:eusc-)?[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d"
_FUNCTION = re.compile(
    # botocore's NamespacedFunctionName: name, name:qualifier, partial and full ARNs, with or without qualifier
    rf"^(?:arn:(?P<partition>aws[a-zA-Z-]*):lambda:)?(?:(?P<region>{_REGION}):)?(?:(?P<account>\d{{12}}):)?"
    r"(?:function:)?(?P<name>[a-zA-Z0-9_-]{1,64})(?::(?P<qualifier>\$LATEST|[a-zA-Z0-9_-]{1,128}))?$"
)
_ECR_HOST = re.compile(rf"^(?P<account>\d{{12}})\.dkr\.ecr(?:-fips)?\.(?P<region>{_REGION})\.amazonaws\.com(?:\.cn)?$")
LATEST = "$LATEST"


@dataclass(frozen=True)
class FunctionId:
    """A function reference as a caller wrote it; `account` / `region` / `partition` only when it said."""

    name: str
    qualifier: str | None = None
    account: str | None = None
    region: str | None = None
    partition: str | None = None


def parse_function_identifier(value: str) -> FunctionId:
    """`my-fn`, `my-fn:PROD`, `123456789012:function:my-fn:3` or `arn:aws:lambda:<r>:<a>:function:my-fn[:q]`.

    Raises ValueError for anything else."""
    match = _FUNCTION.match(value.strip())
    if match is None or (value.startswith("arn:") and not match.group("partition")):
        raise ValueError(f"{value!r} is not a Lambda function name or ARN")
    return FunctionId(
        name=match.group("name"),
        qualifier=match.group("qualifier"),
        account=match.group("account"),
        region=match.group("region"),
        partition=match.group("partition"),
    )


def layer_owner(layer_version_arn: str) -> str | None:
    """The account that published a layer version (`arn:<p>:lambda:<r>:<account>:layer:<name>:<v>`);
    None for AWS-provided `awslayer` ARNs, which name no account."""
    parts = layer_version_arn.split(":")
    if len(parts) >= 8 and parts[5] == "layer" and re.fullmatch(r"\d{12}", parts[4]):
        return parts[4]
    return None


def trusted_profile(profile_version_arn: str | None, trusted: tuple[str, ...]) -> str | None:
    """The entry of `trusted` that a signing-profile *version* ARN belongs to, or None.

    A profile ARN (`.../signing-profiles/<name>`) trusts each of its versions (`.../<name>/<version>`);
    a version ARN in the policy trusts exactly that version."""
    if not profile_version_arn:
        return None
    for entry in trusted:
        entry = entry.rstrip("/")
        if profile_version_arn == entry or profile_version_arn.startswith(entry + "/"):
            return entry
    return None


@dataclass(frozen=True)
class ImageReference:
    """A container image URI split into registry host, repository and tag or digest."""

    registry: str
    repository: str
    tag: str | None
    digest: str | None

    @property
    def ecr_account(self) -> str | None:
        match = _ECR_HOST.match(self.registry)
        return match.group("account") if match else None

    @property
    def ecr_region(self) -> str | None:
        match = _ECR_HOST.match(self.registry)
        return match.group("region") if match else None


def parse_image_uri(uri: str) -> ImageReference:
    """`<registry>/<repository>[:<tag>][@sha256:<hex>]`; raises ValueError without a registry host."""
    rest, _, digest = uri.partition("@")
    registry, slash, path = rest.partition("/")
    if not slash or not path or "." not in registry:
        raise ValueError(f"{uri!r} names no registry host")
    repository, colon, tag = path.rpartition(":") if ":" in path.rsplit("/", 1)[-1] else (path, "", "")
    return ImageReference(registry, repository, tag if colon else None, digest or None)


def registry_trusted(image: ImageReference, trusted: tuple[str, ...], account: str) -> str | None:
    """The `container.trusted_registries` entry that admits the image, or None.

    `self` is this account's ECR in any Region; an entry is a registry host, or a host/path prefix that
    matches at a path boundary (`111122223333.dkr.ecr.us-east-1.amazonaws.com/team-a`)."""
    location = f"{image.registry}/{image.repository}"
    for entry in trusted:
        if entry == "self":
            if image.ecr_account == account:
                return entry
            continue
        entry = entry.rstrip("/")
        if location == entry or location.startswith(entry + "/"):
            return entry
    return None
