"""What AWS says about an image's signatures, for PG.ECR.3: ECR managed signing (the registry's signing
rules and the image's signing status) and AWS Signer revocation of a Notation signature.

Neither is trusted on its own: a COMPLETE managed-signing status still needs a signature that verifies,
and a revocation answer matters only for a signature that verified. Both are read here because all AWS
reads live in `collect/`; the control decides what they mean under the trust policy's level.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from provenance_guard.clients import ClientFactory
from provenance_guard.collect.ecr_filters import wildcard_match
from provenance_guard.signatures.signer_query import RevocationQuery

logger = logging.getLogger(__name__)

GET_SIGNING_CONFIGURATION = "ecr:GetSigningConfiguration"
DESCRIBE_IMAGE_SIGNING_STATUS = "ecr:DescribeImageSigningStatus"
GET_REVOCATION_STATUS = "signer:GetRevocationStatus"
READ_SIGNING = (GET_SIGNING_CONFIGURATION, DESCRIBE_IMAGE_SIGNING_STATUS, GET_REVOCATION_STATUS)
NOT_CONFIGURED_CODES = frozenset({"SigningConfigurationNotFoundException"})
NOTATION_PLATFORM = "Notation-OCI-SHA384-ECDSA"
REVOCATION_CACHE_SECONDS = 300.0
REVOCATION_CACHE_ENTRIES = 1024


@dataclass(frozen=True)
class SigningStatus:
    profile_arn: str
    status: str
    """IN_PROGRESS, COMPLETE or FAILED."""
    failure: str = ""


@dataclass(frozen=True)
class ManagedSigning:
    """The registry signs this repository's images on push (a signing rule covers it)."""

    rule_profiles: tuple[str, ...]
    """Signing-profile ARNs of the rules that cover the repository."""
    statuses: tuple[SigningStatus, ...] = ()
    error: str | None = None
    """Why the image's signing status could not be read."""


@dataclass(frozen=True)
class SigningRule:
    profile_arn: str
    filters: tuple[str, ...]
    """WILDCARD_MATCH repository filters; none means every repository."""

    def covers(self, repository: str) -> bool:
        return not self.filters or any(wildcard_match(f, repository) for f in self.filters)


@dataclass(frozen=True)
class SigningConfiguration:
    """The registry's managed-signing rules, or why they could not be read (e.g. a partition without
    managed signing, or an SCP denying the call): then nothing is claimed about managed signing."""

    rules: tuple[SigningRule, ...] = ()
    error: str | None = None


def signing_configuration(clients: ClientFactory, region: str) -> SigningConfiguration:
    """`GetSigningConfiguration`; no rules when the registry has none."""
    from botocore.exceptions import ClientError

    try:
        configuration = clients.client("ecr", region).get_signing_configuration()
    except ClientError as error:
        code = error.response["Error"]["Code"]
        if code in NOT_CONFIGURED_CODES:
            return SigningConfiguration()
        logger.warning("cannot read the registry's signing configuration in %s: %s", region, error)
        return SigningConfiguration(error=f"GetSigningConfiguration: {code}: {error}"[:300])
    rules = tuple(
        SigningRule(
            str(rule["signingProfileArn"]),
            tuple(
                str(f["filter"]) for f in rule.get("repositoryFilters") or [] if f.get("filterType") == "WILDCARD_MATCH"
            ),
        )
        for rule in configuration.get("signingConfiguration", {}).get("rules", [])
    )
    return SigningConfiguration(rules)


def managed_signing(
    clients: ClientFactory, region: str, configuration: SigningConfiguration, repository: str, digest: str
) -> ManagedSigning | None:
    """The managed signing of `repository@digest`, or None when no signing rule covers the repository."""
    from botocore.exceptions import ClientError

    if configuration.error:
        return ManagedSigning((), error=configuration.error)
    profiles = tuple(rule.profile_arn for rule in configuration.rules if rule.covers(repository))
    if not profiles:
        return None
    try:
        response = clients.client("ecr", region).describe_image_signing_status(
            repositoryName=repository, imageId={"imageDigest": digest}
        )
    except ClientError as error:
        return ManagedSigning(profiles, error=f"{error.response['Error']['Code']}: {error}"[:300])
    statuses = tuple(
        SigningStatus(
            str(s.get("signingProfileArn", "")),
            str(s.get("status", "")),
            " ".join(str(s[k]) for k in ("failureCode", "failureReason") if s.get(k)),
        )
        for s in response.get("signingStatuses", [])
    )
    return ManagedSigning(profiles, statuses)


@dataclass(frozen=True)
class Revocation:
    status: Literal["not_revoked", "revoked", "unknown"]
    detail: str = ""


class RevocationChecker:
    """GetRevocationStatus through `signer-data` (the data-plane endpoint, reachable through PrivateLink),
    with definitive answers cached for a few minutes per warm Lambda container."""

    def __init__(self, clients: ClientFactory, clock: Callable[[], float] = time.monotonic) -> None:
        self._clients = clients
        self._clock = clock
        self._lock = threading.Lock()
        self._cache: dict[RevocationQuery, tuple[float, Revocation]] = {}

    def status(self, query: RevocationQuery) -> Revocation:
        with self._lock:
            cached = self._cache.get(query)
            if cached and cached[0] > self._clock():
                return cached[1]
        answer = self._ask(query)
        if answer.status != "unknown":
            with self._lock:
                if len(self._cache) >= REVOCATION_CACHE_ENTRIES:
                    self._cache.clear()
                self._cache[query] = (self._clock() + REVOCATION_CACHE_SECONDS, answer)
        return answer

    def _ask(self, query: RevocationQuery) -> Revocation:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            response = self._clients.client("signer-data", query.region).get_revocation_status(
                signatureTimestamp=query.signing_time,
                platformId=NOTATION_PLATFORM,
                profileVersionArn=query.profile_version_arn,
                jobArn=query.job_arn,
                certificateHashes=list(query.certificate_hashes),
            )
        except (ClientError, BotoCoreError) as error:
            logger.warning("revocation status of %s cannot be determined: %s", query.job_arn, error)
            return Revocation("unknown", f"AWS Signer revocation status cannot be determined: {error}"[:300])
        revoked = [str(e) for e in response.get("revokedEntities", [])]
        if revoked:
            return Revocation("revoked", "revoked by AWS Signer: " + ", ".join(sorted(revoked))[:280])
        return Revocation("not_revoked", "not revoked (AWS Signer)")
