"""Verifies one signature envelope against one trust policy, in Notation's order: integrity (the
envelope's signature, and its target equals the image), authenticity (chain to a trusted root at
signing time, trusted identity), expiry, authentic timestamp (an RFC 3161 countersignature from a
`timestamp_authorities` root whose range lies within the chain's validity, else the chain valid now),
whatever the envelope format (JWS or COSE); each failure enforced or logged as `levels` says. Imports
`cryptography` and `cbor2`: the PG.ECR.3 control imports this module inside its evaluation, so other
handlers never load them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from cryptography import x509

from provenance_guard.policy import TrustPolicy
from provenance_guard.signatures import cose, jws, levels, timestamp, trust
from provenance_guard.signatures.envelope import Envelope, SignatureError

PARSERS: Mapping[str, Callable[[bytes], Envelope]] = {
    jws.MEDIA_TYPE: jws.verify_jws,
    cose.MEDIA_TYPE: cose.verify_cose,
}
"""Envelope media type (the signature manifest's layer) -> the parser verifying its signature."""


@lru_cache(maxsize=256)  # an index's platforms x candidates; envelopes are a few KB
def open_envelope(envelope_bytes: bytes, envelope_type: str) -> Envelope:
    """The envelope, once its own signature verifies with its leaf key (integrity, not trust). Cached:
    the collector opens AWS Signer envelopes to ask about revocation, the control again to judge them."""
    parser = PARSERS.get(envelope_type)
    if parser is None:
        raise SignatureError("UNSUPPORTED_ENVELOPE", f"{envelope_type[:100]} envelopes are not verified (JWS, COSE)")
    return parser(envelope_bytes)


@dataclass(frozen=True)
class Subject:
    """The image descriptor a signature must name: digest, media type and size of its manifest."""

    digest: str
    media_type: str
    size: int


@dataclass(frozen=True)
class Verified:
    identity: str
    trusted_as: str
    signing_time: str
    scheme: str
    algorithm: str
    format: str
    """The envelope media type, `application/jose+json` or `application/cose`."""
    logged: tuple[str, ...] = ()
    """Expiry and authentic-timestamp failures below `strict`, which Notation records but does not enforce."""
    timestamp: timestamp.Timestamp | None = None
    """The RFC 3161 timestamp that proved the signing time, when one did."""


def verify(
    envelope_bytes: bytes,
    envelope_type: str,
    subject: Subject,
    policy: TrustPolicy,
    stores: Mapping[str, str],
    now: datetime,
    timestamp_roots: Sequence[x509.Certificate] = (),
) -> Verified:
    """The verified signer, or `SignatureError` naming the first rule the signature breaks that the
    policy's level enforces. `timestamp_roots`: the roots of `timestamp_authorities` (`timestamp.load_roots`)."""
    envelope = open_envelope(envelope_bytes, envelope_type)
    target = envelope.target
    named = (target.get("digest"), target.get("mediaType"), target.get("size"))
    if named != (subject.digest, subject.media_type, subject.size):
        why = f"the signature is for {str(named[0])[:80]} ({named[1]}, {named[2]} bytes), not this image"
        raise SignatureError("WRONG_SUBJECT", why)
    trust.validate_chain(envelope, trust.roots(policy.trust_stores, stores, envelope.scheme))
    matched = trust.trusted_identity(envelope, policy.trusted_identities)
    if matched is None:
        raise SignatureError("UNTRUSTED_IDENTITY", f"signer {trust.identity(envelope)[:300]} is not a trusted identity")
    stamped, timestamp_problem = _authentic_timestamp(envelope, timestamp_roots, now)
    logged = []
    for problem in (_expired(envelope, now), timestamp_problem):
        if problem is None:
            continue
        if levels.enforced(policy.verification_level, problem.code):
            raise problem
        logged.append(f"{problem.code}: {problem.description}")
    return Verified(
        identity=trust.identity(envelope),
        trusted_as=matched,
        signing_time=envelope.signing_time.isoformat(),
        scheme=envelope.scheme,
        algorithm=envelope.algorithm,
        format=envelope.format,
        logged=tuple(logged),
        timestamp=stamped,
    )


def _expired(envelope: Envelope, now: datetime) -> SignatureError | None:
    expiry = envelope.expiry
    if expiry is not None and now > expiry:
        return SignatureError("SIGNATURE_EXPIRED", f"the signature expired on {expiry.date().isoformat()}")
    return None


def _authentic_timestamp(
    envelope: Envelope, roots: Sequence[x509.Certificate], now: datetime
) -> tuple[timestamp.Timestamp | None, SignatureError | None]:
    """Notation's "Validate Authentic Timestamp" for `notary.x509`: with a countersignature and trusted
    timestamp authorities, the token must verify and its range lie within the chain's validity (so an
    expired certificate still verifies); without either, the chain must be valid now."""
    if envelope.scheme != "notary.x509":
        return None, None  # a signing authority's chain was validated at its authentic signing time
    if envelope.timestamp_token is None or not roots:
        return None, trust.expired_leaf(envelope, now)
    try:
        stamped = timestamp.verify_timestamp(envelope.timestamp_token, envelope.signature, roots)
        timestamp.within_validity(stamped, envelope.chain)
    except SignatureError as error:
        return None, error
    return stamped, None
