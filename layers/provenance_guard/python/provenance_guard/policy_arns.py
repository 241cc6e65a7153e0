"""ARN rules of the policy, part by part (partition, service, Region, account, resource), so that a
wrong ARN is told which part is wrong: `service 'imagebuildr' is not imagebuilder`, `account '12345' is
not a 12-digit account id`. Shapes follow botocore's models (Image Builder's `ImagePipelineArn` and
`ComponentVersionArn`, Organizations' `OrganizationArn` / `OrganizationalUnitArn`, Signer's profile
names and 10-character versions); patterns add `*` / `?` wildcards where the policy matches globs.
"""

from __future__ import annotations

from typing import NamedTuple

from provenance_guard.policy_rules import ACCOUNT_ID, AnyOf, Pattern, python_regex

PARTITION = r"aws(?:-[a-z]+)*"
REGION = r"[a-z]{2,}(?:-[a-z]+)+-[0-9]+"
REGION_GLOB = rf"{REGION}|[a-z0-9-]*[*?][a-z0-9*?-]*"
ACCOUNT_GLOB = r"[0-9]{12}|[0-9]*[*?][0-9*?]*"


class ArnPart(NamedTuple):
    regex: str
    expected: str


ARN_PARTS = ("partition", "service", "region", "account", "resource")


class ArnShape:
    """`arn:<partition>:<service>:<region>:<account>:<resource>`, each part a regex, so that a wrong
    ARN is told which part is wrong (`service 'imagebuildr' is not imagebuilder`)."""

    __slots__ = ("parts", "what")

    def __init__(self, what: str, *parts: ArnPart) -> None:
        self.what = what
        self.parts = tuple(zip(ARN_PARTS, parts, strict=True))

    def rule(self) -> Pattern:
        regex = "^arn:" + ":".join(f"(?:{part.regex})" for _, part in self.parts) + "$"
        return Pattern(regex, self.what, self.diagnose)

    def diagnose(self, value: str) -> str | None:
        if not value.startswith("arn:"):
            return None
        pieces = value.split(":", 5)
        if len(pieces) < 6:
            return "an ARN has six parts, arn:<partition>:<service>:<region>:<account>:<resource>"
        for (name, part), piece in zip(self.parts, pieces[1:], strict=True):
            if not python_regex(f"^(?:{part.regex})$").search(piece):
                return f"{name} {piece!r} is not {part.expected}"
        return None


def _arn(
    what: str,
    service: str,
    resource: ArnPart,
    *,
    region: ArnPart | None = None,
    account: ArnPart | None = None,
    globs: bool = False,
) -> Pattern:
    partition = ArnPart(rf"{PARTITION}|\*" if globs else PARTITION, "a partition (aws, aws-cn, aws-us-gov, ...)")
    default_region = ArnPart(REGION_GLOB, "a Region or a * pattern") if globs else ArnPart(REGION, "a Region")
    default_account = (
        ArnPart(ACCOUNT_GLOB, "a 12-digit account id or a * pattern")
        if globs
        else ArnPart("[0-9]{12}", "a 12-digit account id")
    )
    return ArnShape(
        what,
        partition,
        ArnPart(service, service),
        region or default_region,
        account or default_account,
        resource,
    ).rule()


NAME_GLOB = r"[a-z0-9_*?-]+"
IMAGE_PIPELINE = _arn(
    "an Image Builder pipeline ARN pattern",
    "imagebuilder",
    ArnPart(rf"image-pipeline/{NAME_GLOB}", "image-pipeline/<name> (lower case, * wildcards)"),
    account=ArnPart(rf"{ACCOUNT_GLOB}|aws", "a 12-digit account id, aws or a * pattern"),
    globs=True,
)
IMAGE_COMPONENT = _arn(
    "an Image Builder component ARN pattern",
    "imagebuilder",
    ArnPart(
        rf"component/{NAME_GLOB}(?:/[0-9x*?.]+(?:/[0-9*?]+)?)?",
        "component/<name>[/<version>[/<build>]] (lower case, * wildcards)",
    ),
    account=ArnPart(
        rf"{ACCOUNT_GLOB}|aws(?:-[a-z-]+)?|third-party",
        "a 12-digit account id, aws (AWS-managed), third-party or a * pattern",
    ),
    globs=True,
)
SIGNING_PROFILE = _arn(
    "a signing-profile (version) ARN",
    "signer",
    ArnPart(
        r"/signing-profiles/[A-Za-z0-9_]{2,64}(?:/[A-Za-z0-9]{10})?",
        "/signing-profiles/<name>[/<10-character version>]",
    ),
)
_NO_REGION = ArnPart("", "empty (organizations ARNs have no Region)")
ORGANIZATION = _arn(
    "an organization ARN",
    "organizations",
    ArnPart("organization/o-[a-z0-9]{10,32}", "organization/o-<10 to 32 letters or digits>"),
    region=_NO_REGION,
)
ORGANIZATIONAL_UNIT = _arn(
    "an OU ARN",
    "organizations",
    ArnPart("ou/o-[a-z0-9]{10,32}/ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}", "ou/o-<organization id>/ou-<root>-<id>"),
    region=_NO_REGION,
)
ACCOUNT_OR_ORGANIZATION = AnyOf((ACCOUNT_ID, ORGANIZATION, ORGANIZATIONAL_UNIT))
RESOURCE_GLOB = Pattern(
    r"^(?:\*|arn:(?:" + PARTITION + r"|\*):[a-z0-9*?-]*:(?:" + REGION_GLOB + r")?:(?:" + ACCOUNT_GLOB + r"|aws)?:.+)$",
    "an ARN glob (arn:<partition>:<service>:<region>:<account>:<resource>, * wildcards) or *",
    ArnShape(
        "an ARN glob",
        ArnPart(rf"{PARTITION}|\*", "a partition or *"),
        ArnPart("[a-z0-9*?-]*", "a service name"),
        ArnPart(f"(?:{REGION_GLOB})?", "a Region, a * pattern or empty"),
        ArnPart(f"(?:{ACCOUNT_GLOB}|aws)?", "a 12-digit account id, a * pattern or empty"),
        ArnPart(".+", "a resource"),
    ).diagnose,
)
