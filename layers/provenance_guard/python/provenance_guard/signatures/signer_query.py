"""What AWS Signer's notation plugin asks GetRevocationStatus about one signature (crypto-free: the
collector sends it, `signatures.signer` builds it from a verified envelope)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class RevocationQuery:
    """What AWS Signer's notation plugin sends to GetRevocationStatus for one signature."""

    region: str
    signing_time: datetime
    profile_version_arn: str
    job_arn: str
    certificate_hashes: tuple[str, ...]
