"""The security team's policy (CONTROLS.md §4): `policy.yaml` -> a validated, typed `Policy`.

Validation is strict: an unknown key or a value of the wrong type is a `PolicyError` naming the
field by its path (`ami.max_age_days`, `exemptions[2].expires`). The layer never parses YAML: the
stack stores the validated document as JSON, so `Policy.from_document` takes plain mappings.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from fnmatch import fnmatchcase
from typing import Literal

from provenance_guard.model import Severity
from provenance_guard.policy_fields import PolicyError, build

__all__ = ["Policy", "PolicyError"]

ACCOUNT_ID = re.compile(r"^\d{12}$")
ORG_OR_OU_ARN = re.compile(
    r"^arn:aws[a-z-]*:organizations::\d{12}:(organization|ou)/o-[a-z0-9]{10,32}(/ou-[a-z0-9-]+)?$"
)
OWNER_ALIASES = ("self", "amazon", "aws-marketplace")


@dataclass(frozen=True)
class Hardening:
    required_components: tuple[str, ...] = ()
    required_tags: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class AmiPolicy:
    trusted_owners: tuple[str, ...] = ("self", "amazon")
    approved_pipelines: tuple[str, ...] = ()
    hardening: Hardening = field(default_factory=Hardening)
    allowed_share_targets: tuple[str, ...] = ()
    max_age_days: int = 90
    require_deprecation_time: bool = True
    require_encrypted_snapshots: bool = True
    require_imdsv2: bool = True

    def __post_init__(self) -> None:
        for i, owner in enumerate(self.trusted_owners):
            if owner not in OWNER_ALIASES and not ACCOUNT_ID.match(owner):
                raise PolicyError(
                    f"ami.trusted_owners[{i}]",
                    f"{owner!r} is neither a 12-digit account id nor one of {OWNER_ALIASES}",
                )
        for i, target in enumerate(self.allowed_share_targets):
            if not ACCOUNT_ID.match(target) and not ORG_OR_OU_ARN.match(target):
                raise PolicyError(
                    f"ami.allowed_share_targets[{i}]",
                    f"{target!r} is neither a 12-digit account id nor an organization / OU ARN",
                )
        _positive("ami.max_age_days", self.max_age_days)


@dataclass(frozen=True)
class TrustPolicy:
    """Notation-style trust policy (PG.ECR.3): the first whose `scopes` (repository patterns) match applies."""

    name: str
    scopes: tuple[str, ...] = ("*",)
    verification_level: Literal["strict", "permissive", "audit"] = "strict"
    trust_stores: tuple[str, ...] = ()
    """`ca:<name>` (an organisation's CA, scheme notary.x509) or `signingAuthority:<name>` (AWS Signer)."""
    trusted_identities: tuple[str, ...] = ()
    """`x509.subject: C=..., ST=..., O=...` for a CA; signing-profile (version) ARNs for AWS Signer."""


TRUST_STORE_TYPES = ("ca", "signingAuthority")


@dataclass(frozen=True)
class Signatures:
    trust_policies: tuple[TrustPolicy, ...] = ()
    cosign_public_keys: tuple[str, ...] = ()
    """PEM public keys (`cosign.pub`) trusted for cosign signatures under every trust policy's level. Only
    their shape is checked here (no `cryptography` at policy load); an unreadable key is a reason at evaluation."""
    trust_stores: Mapping[str, str] = field(default_factory=dict)
    """Named trust stores: `<type>:<name>` -> PEM root certificate(s). `signingAuthority:aws-signer` is
    built in (AWS Signer's commercial root, pinned by fingerprint); certificates given under that name
    are added to it (e.g. the GovCloud root)."""

    def __post_init__(self) -> None:
        where = "container.signatures"
        for i, trust_policy in enumerate(self.trust_policies):
            for j, entry in enumerate(trust_policy.trusted_identities):
                if entry.strip() in ("*", ""):
                    raise PolicyError(
                        f"{where}.trust_policies[{i}].trusted_identities[{j}]",
                        "`*` (or empty) is refused: every AWS account's Signer signatures chain to the same root, "
                        "so name signing-profile ARNs or `x509.subject: ...` identities",
                    )
            for j, store in enumerate(trust_policy.trust_stores):
                if store.partition(":")[0] not in TRUST_STORE_TYPES or not store.partition(":")[2]:
                    raise PolicyError(
                        f"{where}.trust_policies[{i}].trust_stores[{j}]",
                        f"{store!r} is not ca:<name> or signingAuthority:<name>",
                    )
        for name in self.trust_stores:
            if name.partition(":")[0] not in TRUST_STORE_TYPES or not name.partition(":")[2]:
                raise PolicyError(
                    f"{where}.trust_stores.{name}", "a store is named ca:<name> or signingAuthority:<name>"
                )

        for i, pem in enumerate(self.cosign_public_keys):
            problem = _pem_public_key_problem(pem)
            if problem:
                raise PolicyError(f"{where}.cosign_public_keys[{i}]", problem)

    def trust_policy_for(self, repository: str) -> TrustPolicy | None:
        """The first trust policy one of whose scopes (fnmatch patterns on the repository name) matches."""
        return next((p for p in self.trust_policies if any(fnmatchcase(repository, s) for s in p.scopes)), None)


ECR_REGISTRY_HOST = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr(-fips)?\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?$"
)
REPOSITORY_PATTERN = re.compile(r"^[a-z0-9._/*-]+$")


@dataclass(frozen=True)
class ReplicatedRepositories:
    """Repositories of this registry that ECR replication fills from another registry (PG.ECR.4). ECR
    records replication only in the source registry, so the destination's policy says where they come
    from; a replica keeps its repository name, so the source repository is `<source>/<same name>`."""

    repositories: tuple[str, ...]
    """fnmatch patterns on the repository name (`prod/*`); the first entry whose pattern matches applies."""
    source: str
    """The source registry's host, `<account>.dkr.ecr.<region>.amazonaws.com`."""

    def __post_init__(self) -> None:
        if not self.repositories:
            raise PolicyError("repositories", "name at least one repository pattern")
        for i, pattern in enumerate(self.repositories):
            if not REPOSITORY_PATTERN.match(pattern):
                raise PolicyError(f"repositories[{i}]", f"{pattern!r} is not a repository name pattern")
        if not ECR_REGISTRY_HOST.match(self.source):
            raise PolicyError(
                "source", f"{self.source!r} is not an ECR registry host (<account>.dkr.ecr.<region>.amazonaws.com)"
            )

    def covers(self, repository: str) -> bool:
        return any(fnmatchcase(repository, pattern) for pattern in self.repositories)


@dataclass(frozen=True)
class ContainerPolicy:
    trusted_registries: tuple[str, ...] = ("self",)
    max_age_days: int = 180
    vulnerability_thresholds: Mapping[Severity, int] = field(
        default_factory=lambda: {Severity.CRITICAL: 0, Severity.HIGH: 0}
    )
    signatures: Signatures = field(default_factory=Signatures)
    allowed_mutable_tags: tuple[str, ...] = ("latest",)
    """Tags (WILDCARD patterns) an IMMUTABLE_WITH_EXCLUSION repository may exclude (PG.ECR.2)."""
    replicated_repositories: tuple[ReplicatedRepositories, ...] = ()
    """Where replicated repositories come from (PG.ECR.4 judges the source registry too)."""

    def __post_init__(self) -> None:
        _positive("container.max_age_days", self.max_age_days)
        for i, entry in enumerate(self.trusted_registries):
            if not entry or entry != entry.strip() or "://" in entry:
                raise PolicyError(
                    f"container.trusted_registries[{i}]", f"{entry!r} is not `self` or a registry host[/path] prefix"
                )
        for severity, limit in self.vulnerability_thresholds.items():
            if limit < 0:
                raise PolicyError(f"container.vulnerability_thresholds.{severity.value}", "must be >= 0")

    def replication_source(self, repository: str) -> tuple[int, ReplicatedRepositories] | None:
        """(index, entry) of the first `replicated_repositories` entry covering `repository`, or None."""
        return next(((i, e) for i, e in enumerate(self.replicated_repositories) if e.covers(repository)), None)


@dataclass(frozen=True)
class LambdaPolicy:
    trusted_signing_profiles: tuple[str, ...] = ()
    trusted_layer_accounts: tuple[str, ...] = ("self",)
    require_signed_layers: bool = False
    runtime_deprecation_warning_days: int = 60

    def __post_init__(self) -> None:
        for i, account in enumerate(self.trusted_layer_accounts):
            if account != "self" and not ACCOUNT_ID.match(account):
                raise PolicyError(
                    f"lambda.trusted_layer_accounts[{i}]", f"{account!r} is neither a 12-digit account id nor 'self'"
                )
        if self.runtime_deprecation_warning_days < 0:
            raise PolicyError("lambda.runtime_deprecation_warning_days", "must be 0 or more days")


@dataclass(frozen=True)
class Exemption:
    """Marks matching FAILED results as exempted (still visible, with reason and expiry)."""

    reason: str
    expires: date
    controls: tuple[str, ...] = ("*",)
    resources: tuple[str, ...] = ()
    tags: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Notifications:
    min_severity: Severity = Severity.HIGH
    emails: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for i, email in enumerate(self.emails):
            if not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", email):
                raise PolicyError(f"notifications.emails[{i}]", f"{email!r} is not an e-mail address")


@dataclass(frozen=True)
class Policy:
    """The whole policy. Every section has the defaults CONTROLS.md §4 shows."""

    version: Literal[1] = 1
    ami: AmiPolicy = field(default_factory=AmiPolicy)
    container: ContainerPolicy = field(default_factory=ContainerPolicy)
    lambda_: LambdaPolicy = field(default_factory=LambdaPolicy)
    exemptions: tuple[Exemption, ...] = ()
    notifications: Notifications = field(default_factory=Notifications)

    @classmethod
    def from_document(cls, document: object) -> Policy:
        """Validate a parsed policy document (the YAML file's mapping). Raises `PolicyError`."""
        return build(cls, document, "")


def _positive(path: str, value: int) -> None:
    if value <= 0:
        raise PolicyError(path, f"must be a positive number of days, got {value}")


PEM_PUBLIC_KEY = re.compile(r"^-----BEGIN PUBLIC KEY-----\s*\n[A-Za-z0-9+/=\s]+\n-----END PUBLIC KEY-----$")


def _pem_public_key_problem(pem: str) -> str | None:
    """Why `pem` does not look like one PEM public key (`-----BEGIN PUBLIC KEY-----`), or None."""
    text = pem.strip()
    if "PRIVATE KEY" in text:
        return "is a private key: paste the public key (cosign.pub), never the private one"
    if text.count("-----BEGIN ") > 1:
        return "must hold exactly one PEM block, -----BEGIN PUBLIC KEY----- ... -----END PUBLIC KEY-----"
    if not PEM_PUBLIC_KEY.match(text):
        return "is not a PEM public key (-----BEGIN PUBLIC KEY----- ... -----END PUBLIC KEY-----, base64 between)"
    return None
