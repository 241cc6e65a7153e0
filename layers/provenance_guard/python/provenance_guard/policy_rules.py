"""Rules for the policy's string values: each is a regular expression that is also the JSON Schema
`pattern` (written in the common subset of Python's and ECMA-262's syntax), and a message saying what
a valid value is; ARN rules also diagnose which part of a wrong value is wrong.

One rule, two uses: `policy_fields` checks values with it, `policy_schema` publishes it. A rule that
needs more than the value (the control registry) reads it from the `CheckContext`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from fnmatch import fnmatchcase
from functools import cache
from typing import Any, NamedTuple


@dataclass(frozen=True)
class CheckContext:
    """What some checks need besides the document. Without it (a Lambda function loading the policy
    that synth already validated) control ids are checked for shape only and nothing has expired."""

    control_ids: frozenset[str] | None = None
    """The registered control ids (`provenance_guard.controls.registry`)."""
    today: date | None = None


NO_CONTEXT = CheckContext()


class Rule:
    """A check on one string value. Rules are plain classes, not dataclasses: the policy is imported at
    every cold start, and each dataclass costs its creation there."""

    __slots__ = ()

    def problem(self, value: str, context: CheckContext) -> str | None:
        """Why `value` is invalid, or None."""
        raise NotImplementedError

    def schema(self, context: CheckContext) -> dict[str, Any]:
        """The JSON Schema keywords that state this rule."""
        raise NotImplementedError


@cache
def _python_regex(pattern: str) -> re.Pattern[str]:
    # ECMA-262's `$` ends the input; Python's also matches before a final newline, so it becomes \Z.
    return re.compile(re.sub(r"(?<!\\)\$", r"\\Z", pattern))


class Pattern(Rule):
    __slots__ = ("diagnose", "expected", "pattern")

    def __init__(self, pattern: str, expected: str, diagnose: Callable[[str], str | None] | None = None) -> None:
        self.pattern = pattern
        """Anchored (^...$): JSON Schema's `pattern` is a search, as Python's `re.search` is."""
        self.expected = expected
        """What a valid value is, to finish "'x' is not ...": `a 12-digit account id`."""
        self.diagnose = diagnose
        """Says which part of an invalid value is wrong, when it can tell."""

    def matches(self, value: str) -> bool:
        return _python_regex(self.pattern).search(value) is not None

    def problem(self, value: str, context: CheckContext) -> str | None:
        if self.matches(value):
            return None
        detail = self.diagnose(value) if self.diagnose else None
        return f"{value!r} is not {self.expected}" + (f": {detail}" if detail else "")

    def schema(self, context: CheckContext) -> dict[str, Any]:
        return {"pattern": self.pattern}


class AnyOf(Rule):
    """Valid when one of `rules` is; the message names them all, and the first diagnosis found (its own
    `diagnose` first)."""

    __slots__ = ("diagnose", "rules")

    def __init__(self, rules: tuple[Pattern, ...], diagnose: Callable[[str], str | None] | None = None) -> None:
        self.rules = rules
        self.diagnose = diagnose

    def problem(self, value: str, context: CheckContext) -> str | None:
        if any(rule.matches(value) for rule in self.rules):
            return None
        expected = [rule.expected for rule in self.rules]
        diagnoses = [self.diagnose, *(rule.diagnose for rule in self.rules)]
        detail = next((d for diagnose in diagnoses if diagnose and (d := diagnose(value))), None)
        return f"{value!r} is neither {', nor '.join(expected)}" + (f": {detail}" if detail else "")

    def schema(self, context: CheckContext) -> dict[str, Any]:
        return {"anyOf": [rule.schema(context) for rule in self.rules]}


class Choice(Rule):
    """One of a fixed list of values."""

    __slots__ = ("values", "what")

    def __init__(self, values: tuple[str, ...], what: str) -> None:
        self.values = values
        self.what = what

    def problem(self, value: str, context: CheckContext) -> str | None:
        if value in self.values:
            return None
        return f"{value!r} is not {self.what} ({', '.join(self.values)})"

    def schema(self, context: CheckContext) -> dict[str, Any]:
        return {"enum": list(self.values)}


CONTROL_ID_SHAPE = r"^PG\.[A-Z][A-Z0-9]*\.[1-9][0-9]*$"
CONTROL_GLOB_SHAPE = r"^[A-Z0-9.]*[*?][A-Z0-9.*?]*$"


class ControlIds(Rule):
    """A control id (`PG.AMI.3`) or, with `globs`, a pattern of them (`PG.AMI.*`). With the registry in
    the context an id must be registered and a pattern must match one: a typo would exempt nothing."""

    __slots__ = ("globs",)

    def __init__(self, *, globs: bool = False) -> None:
        self.globs = globs

    def problem(self, value: str, context: CheckContext) -> str | None:
        is_glob = self.globs and _python_regex(CONTROL_GLOB_SHAPE).search(value) is not None
        if not is_glob and not _python_regex(CONTROL_ID_SHAPE).search(value):
            shape = "a control id (PG.<FAMILY>.<n>)" + (" or a pattern of them (PG.AMI.*)" if self.globs else "")
            return f"{value!r} is not {shape}"
        known = context.control_ids
        if known is None:
            return None
        if is_glob and not any(fnmatchcase(control, value) for control in known):
            return f"{value!r} matches no control (see `provenance-guard controls`)"
        if not is_glob and value not in known:
            return f"{value!r} is not a control of this version: {_closest(value, known)}"
        return None

    def schema(self, context: CheckContext) -> dict[str, Any]:
        exact: dict[str, Any] = (
            {"enum": sorted(context.control_ids)} if context.control_ids is not None else {"pattern": CONTROL_ID_SHAPE}
        )
        return {"anyOf": [exact, {"pattern": CONTROL_GLOB_SHAPE}]} if self.globs else exact


def _closest(value: str, known: Iterable[str]) -> str:
    family = value.rpartition(".")[0]
    same_family = sorted(c for c in known if c.rpartition(".")[0] == family)
    return f"{family} has {', '.join(same_family)}" if same_family else "see `provenance-guard controls`"


# --- accounts, aliases, e-mail -------------------------------------------------------------------

ACCOUNT_ID = Pattern(r"^[0-9]{12}$", "a 12-digit account id")
SELF = Pattern(r"^self$", "`self`")
OWNER_ALIASES = ("self", "amazon", "aws-marketplace")
OWNER_ALIAS = Pattern(r"^(?:self|amazon|aws-marketplace)$", f"one of {', '.join(OWNER_ALIASES)}")
OWNER = AnyOf((ACCOUNT_ID, OWNER_ALIAS))
ACCOUNT_OR_SELF = AnyOf((ACCOUNT_ID, SELF))
EMAIL = Pattern(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", "an e-mail address")
NON_BLANK = Pattern(r"\S", "a text (it is blank)")
NOT_ONLY_WILDCARDS = r"(?![*?]+$)"


# --- ARNs ----------------------------------------------------------------------------------------

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
            if not _python_regex(f"^(?:{part.regex})$").search(piece):
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
        ArnPart(re.escape(service), service),
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


# --- registries, repositories, signatures --------------------------------------------------------

ECR_REGISTRY_HOST = Pattern(
    r"^[0-9]{12}\.dkr\.ecr(?:-fips)?\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?$",
    "an ECR registry host (<account>.dkr.ecr.<region>.amazonaws.com)",
)
REGISTRY_PREFIX = Pattern(r"^(?!.*://)[^\s/][^\s]*$", "`self` or a registry host[/path] prefix (no scheme)")
REPOSITORY_PATTERN = Pattern(r"^[a-z0-9._/*-]+$", "a repository name pattern (lower case, * wildcards)")
TRUST_STORE_NAME = Pattern(r"^(?:ca|signingAuthority):[A-Za-z0-9_.-]+$", "ca:<name> or signingAuthority:<name>")
TSA_NAME = Pattern(r"^tsa:[A-Za-z0-9_.-]+$", "tsa:<name>")
X509_SUBJECT = Pattern(
    r"^x509\.subject: *[A-Za-z][A-Za-z0-9.]*=[^,]+(?:, *[A-Za-z][A-Za-z0-9.]*=[^,]+)*$",
    "`x509.subject: C=.., ST=.., O=..`",
)


def _wildcard_identity(value: str) -> str | None:
    if value.strip() in ("*", ""):
        return (
            "`*` (or empty) is refused: every AWS account's Signer signatures chain to the same root, "
            "so name signing-profile ARNs or `x509.subject: ...` identities"
        )
    return None


TRUSTED_IDENTITY = AnyOf((SIGNING_PROFILE, X509_SUBJECT), _wildcard_identity)


def _pem_problem(kind: str, hint: str) -> Callable[[str], str | None]:
    def diagnose(value: str) -> str | None:
        if "PRIVATE KEY" in value:
            return f"it is a private key: paste the {hint}, never the private one"
        if kind == "PUBLIC KEY" and value.count("-----BEGIN ") > 1:
            return "it must hold exactly one PEM block"
        return None

    return diagnose


_BASE64 = r"[A-Za-z0-9+/=\s]+"
PEM_PUBLIC_KEY = Pattern(
    rf"^\s*-----BEGIN PUBLIC KEY-----\s*\n{_BASE64}\n-----END PUBLIC KEY-----\s*$",
    "a PEM public key (-----BEGIN PUBLIC KEY----- ... -----END PUBLIC KEY-----, base64 between)",
    _pem_problem("PUBLIC KEY", "public key (cosign.pub)"),
)
PEM_CERTIFICATES = Pattern(
    rf"^\s*(?:-----BEGIN CERTIFICATE-----\s*\n{_BASE64}\n-----END CERTIFICATE-----\s*)+$",
    "PEM certificates (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----, one or more)",
    _pem_problem("CERTIFICATE", "root certificate"),
)
HTTPS_URL = Pattern(r"^https://[^\s/]+(?:/[^\s]*)?$", "an https:// URL")
IDENTITY_GLOB = Pattern(
    rf"^{NOT_ONLY_WILDCARDS}[^\s]+$", "a subject or a glob of one (not only wildcards, which would trust anyone)"
)
URI_GLOB = Pattern(
    rf"^{NOT_ONLY_WILDCARDS}[a-z][a-z0-9+.-]*:[^\s]+$",
    "a URI or a glob of one (<scheme>:..., not only wildcards)",
)
WATERMARK_KEY = Pattern(
    r"^[0-9]{12}:[A-Za-z0-9()\[\] ./'@_-]{3,128}$",
    "a watermark key, <12-digit account id>:<name of 3 to 128 characters>",
)
