"""AWS Signer specifics of a Notation signature: the GetRevocationStatus query AWS Signer's notation
plugin sends for it (job, profile version, authentic signing time, and per certificate the SHA-384 of
its TBS bytes followed by its issuer's; the root is paired with itself). Imports `cryptography`."""

from __future__ import annotations

import hashlib
import re

from provenance_guard.signatures.envelope import SIGNER_JOB, SIGNER_PROFILE_VERSION, SIGNING_AUTHORITY, Envelope
from provenance_guard.signatures.signer_query import RevocationQuery

REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")


def revocation_query(envelope: Envelope) -> RevocationQuery | None:
    """The query for an AWS Signer signature; None for other schemes or without the Signer attributes."""
    job, profile = envelope.attributes.get(SIGNER_JOB), envelope.attributes.get(SIGNER_PROFILE_VERSION)
    if envelope.scheme != SIGNING_AUTHORITY or not isinstance(job, str) or not isinstance(profile, str):
        return None
    parts = job.split(":")
    if len(parts) < 6 or parts[2] != "signer" or not REGION.match(parts[3]):
        return None  # not asked: a signature not yet trusted must not choose where the service connects
    chain = envelope.chain
    tbs = [hashlib.sha384(c.tbs_certificate_bytes).hexdigest() for c in chain]
    hashes = tuple(own + issuer for own, issuer in zip(tbs, tbs[1:] + tbs[-1:], strict=True))
    return RevocationQuery(parts[3], envelope.signing_time, profile, job, hashes)
