"""The `container` section of the policy (CONTROLS.md §4, §6.3): registries, signatures, provenance."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Literal

from provenance_guard.model import Severity
from provenance_guard.policy_arns import SIGNING_PROFILE
from provenance_guard.policy_fields import Issue, spec
from provenance_guard.policy_rules import NOT_ONLY_WILDCARDS, AnyOf, CheckContext, Pattern

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


@dataclass(frozen=True)
class TrustPolicy:
    """Notation-style trust policy (PG.ECR.3): the first whose `scopes` (repository patterns) match applies."""

    name: str = field(metadata=spec("names the trust policy in findings"))
    scopes: tuple[str, ...] = field(default=("*",), metadata=spec("repository name patterns (* wildcards)"))
    verification_level: Literal["strict", "permissive", "audit"] = field(
        default="strict", metadata=spec("strict fails, permissive fails all but revocation, audit records")
    )
    trust_stores: tuple[str, ...] = field(
        default=(),
        metadata=spec(
            "`ca:<name>` (an organisation's CA, scheme notary.x509) or `signingAuthority:<name>` (AWS Signer)",
            rule=TRUST_STORE_NAME,
        ),
    )
    trusted_identities: tuple[str, ...] = field(
        default=(),
        metadata=spec(
            "signing-profile (version) ARNs for AWS Signer; `x509.subject: C=..., ST=..., O=...` for a CA",
            rule=TRUSTED_IDENTITY,
        ),
    )


@dataclass(frozen=True)
class KeylessIdentity:
    """A Sigstore keyless signer: the OIDC issuer of its certificate and a glob of its subject."""

    issuer: str = field(
        metadata=spec("the OIDC issuer, e.g. https://token.actions.githubusercontent.com", rule=HTTPS_URL)
    )
    subject: str = field(
        metadata=spec(
            "the certificate's subject (a workflow URI or an e-mail address), * wildcards", rule=IDENTITY_GLOB
        )
    )


@dataclass(frozen=True)
class Signatures:
    trust_policies: tuple[TrustPolicy, ...] = ()
    cosign_public_keys: tuple[str, ...] = field(
        default=(),
        metadata=spec(
            "PEM public keys (cosign.pub) trusted for cosign signatures under every trust policy's level",
            rule=PEM_PUBLIC_KEY,
        ),
    )
    """Only their shape is checked here (no `cryptography` at policy load); an unreadable key is a reason
    at evaluation."""
    trust_stores: Mapping[str, str] = field(
        default_factory=dict,
        metadata=spec(
            "`<type>:<name>` -> PEM root certificate(s); signingAuthority:aws-signer is built in (pinned), "
            "certificates given under that name are added to it",
            keys=TRUST_STORE_NAME,
            rule=PEM_CERTIFICATES,
        ),
    )
    keyless_identities: tuple[KeylessIdentity, ...] = field(
        default=(), metadata=spec("Sigstore keyless signers whose signatures and attestations are trusted")
    )
    timestamp_authorities: Mapping[str, str] = field(
        default_factory=dict,
        metadata=spec(
            "`tsa:<name>` -> PEM root certificate(s) of RFC 3161 timestamp authorities for countersignatures",
            keys=TSA_NAME,
            rule=PEM_CERTIFICATES,
        ),
    )

    def trust_policy_for(self, repository: str) -> TrustPolicy | None:
        """The first trust policy one of whose scopes (fnmatch patterns on the repository name) matches."""
        return next((p for p in self.trust_policies if any(fnmatchcase(repository, s) for s in p.scopes)), None)

    def policy_issues(self, context: CheckContext) -> Iterator[Issue]:
        seen: set[str] = set()
        for i, trust_policy in enumerate(self.trust_policies):
            if trust_policy.name in seen:
                yield Issue(f"trust_policies[{i}].name", f"{trust_policy.name!r} names two trust policies")
            seen.add(trust_policy.name)


@dataclass(frozen=True)
class TrustedBuilder:
    """A build platform whose SLSA provenance is trusted, for these source repositories (PG.ECR.7)."""

    builder_id: str = field(metadata=spec("the provenance's builder.id (a URI), * wildcards", rule=URI_GLOB))
    source_repositories: tuple[str, ...] = field(
        metadata=spec("source repository URIs the builder may build from, * wildcards", rule=URI_GLOB, min_items=1)
    )


@dataclass(frozen=True)
class Provenance:
    trusted_builders: tuple[TrustedBuilder, ...] = field(
        default=(), metadata=spec("builders (and their source repositories) whose provenance is trusted")
    )


@dataclass(frozen=True)
class ReplicatedRepositories:
    """Repositories of this registry that ECR replication fills from another registry (PG.ECR.4). ECR
    records replication only in the source registry, so the destination's policy says where they come
    from; a replica keeps its repository name, so the source repository is `<source>/<same name>`."""

    repositories: tuple[str, ...] = field(
        metadata=spec(
            "repository name patterns (prod/*); the first entry whose pattern matches applies",
            rule=REPOSITORY_PATTERN,
            min_items=1,
        )
    )
    source: str = field(
        metadata=spec("the source registry's host, <account>.dkr.ecr.<region>.amazonaws.com", rule=ECR_REGISTRY_HOST)
    )

    def covers(self, repository: str) -> bool:
        return any(fnmatchcase(repository, pattern) for pattern in self.repositories)


@dataclass(frozen=True)
class ContainerPolicy:
    trusted_registries: tuple[str, ...] = field(
        default=("self",),
        metadata=spec(
            "registry hosts or host/path prefixes images and base images may come from; self = this account's ECR",
            rule=REGISTRY_PREFIX,
        ),
    )
    max_age_days: int = field(default=180, metadata=spec("oldest image push allowed", minimum=1, unit="days"))
    vulnerability_thresholds: Mapping[Severity, int] = field(
        default_factory=lambda: {Severity.CRITICAL: 0, Severity.HIGH: 0},
        metadata=spec("severity -> most findings of it an image may have", minimum=0),
    )
    signatures: Signatures = field(default_factory=Signatures)
    allowed_mutable_tags: tuple[str, ...] = field(
        default=("latest",),
        metadata=spec("tags (wildcard patterns) an IMMUTABLE_WITH_EXCLUSION repository may leave mutable"),
    )
    replicated_repositories: tuple[ReplicatedRepositories, ...] = field(
        default=(), metadata=spec("where replicated repositories come from (PG.ECR.4 judges the source too)")
    )
    provenance: Provenance = field(default_factory=Provenance)

    def replication_source(self, repository: str) -> tuple[int, ReplicatedRepositories] | None:
        """(index, entry) of the first `replicated_repositories` entry covering `repository`, or None."""
        return next(((i, e) for i, e in enumerate(self.replicated_repositories) if e.covers(repository)), None)
