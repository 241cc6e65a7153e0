"""Revocation of `notary.x509` chains (an organisation's own CA), as the Notary Project trust-store-trust-
policy spec's "Certificate Revocation Evaluation" says: for each certificate but the root, OCSP (the
authority-information-access OCSP URLs) is preferred, CRLs (the CRL distribution points) are the
fallback; a certificate naming neither is not revoked; a revoked certificate, or one whose status cannot
be determined (no answer within the timeout, a response that does not verify, `unknown`), is reported,
and the caller enforces or logs it as the verification level says (`REVOKED` / `REVOCATION_UNKNOWN`).

Only http:// URLs are fetched, each with a timeout (OCSP 2 s, CRL 5 s, the spec's defaults) and the
whole chain within `budget` seconds, so an unreachable responder never hangs a batch. Answers are
cached in process until their nextUpdate (at most `MAX_CACHE_SECONDS`). Delta CRLs and indirect CRLs
are not read. A responder's answer counts when the issuing CA signed it, or a delegated responder
certificate the CA issued with the OCSPSigning purpose. Imports `cryptography`: load this module lazily.
"""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID

OCSP_TIMEOUT = 2.0
CRL_TIMEOUT = 5.0
MAX_RESPONSE = 4 * 1024 * 1024
MAX_CACHE_SECONDS = 3600
Status = Literal["not_revoked", "revoked", "unknown"]
Fetch = Callable[[str, bytes | None, float], bytes]
"""(url, POST body or None for GET, timeout seconds) -> response body; raises OSError on failure."""


@dataclass(frozen=True)
class RevocationResult:
    status: Status
    detail: str


class Checker:
    """Revocation answers with an in-process cache (one per Lambda container)."""

    def __init__(self, fetch: Fetch | None = None, budget: float = 8.0) -> None:
        self._fetch = fetch or http_fetch
        self._budget = budget
        self._cache: dict[tuple[str, int], tuple[float, RevocationResult]] = {}

    def check_chain(self, chain: Sequence[x509.Certificate], now: datetime) -> RevocationResult:
        """The chain's status: revoked if any certificate is, unknown if any cannot be determined."""
        deadline = time.monotonic() + self._budget
        unknown: list[str] = []
        for position in range(len(chain) - 1):
            result = self._check(chain[position], chain[position + 1], now, deadline, position)
            if result.status == "revoked":
                return result
            if result.status == "unknown":
                unknown.append(result.detail)
        if unknown:
            return RevocationResult("unknown", "; ".join(unknown)[:1000])
        return RevocationResult("not_revoked", "no certificate of the chain is revoked (OCSP / CRL)")

    def _check(
        self, certificate: x509.Certificate, issuer: x509.Certificate, now: datetime, deadline: float, position: int
    ) -> RevocationResult:
        key = (certificate.fingerprint(hashes.SHA256()).hex(), position)
        cached = self._cache.get(key)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        ocsp_urls, crl_urls = _urls(certificate)
        if not ocsp_urls and not crl_urls:
            return RevocationResult("not_revoked", f"certificate {position} names no OCSP responder or CRL")
        problems: list[str] = []
        for url in ocsp_urls:
            outcome = self._ocsp(url, certificate, issuer, now, deadline, position)
            if isinstance(outcome, str):
                problems.append(outcome)
                continue
            return self._remember(key, outcome)
        for url in crl_urls:
            outcome = self._crl(url, certificate, issuer, now, deadline, position)
            if isinstance(outcome, str):
                problems.append(outcome)
                continue
            return self._remember(key, outcome)
        return RevocationResult("unknown", f"certificate {position}: " + "; ".join(problems)[:600])

    def _remember(self, key: tuple[str, int], outcome: tuple[RevocationResult, float]) -> RevocationResult:
        result, seconds = outcome
        self._cache[key] = (time.monotonic() + min(max(seconds, 0), MAX_CACHE_SECONDS), result)
        return result

    def _ocsp(
        self, url: str, certificate: x509.Certificate, issuer: x509.Certificate, now: datetime, deadline: float, at: int
    ) -> tuple[RevocationResult, float] | str:
        request = ocsp.OCSPRequestBuilder().add_certificate(certificate, issuer, hashes.SHA256()).build()
        try:
            raw = self._get(url, request.public_bytes(serialization.Encoding.DER), OCSP_TIMEOUT, deadline)
            response = ocsp.load_der_ocsp_response(raw)
        except (OSError, ValueError) as error:
            return f"OCSP {url[:200]}: {type(error).__name__}: {error}"[:300]
        if response.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
            return f"OCSP {url[:200]}: {response.response_status.name}"
        if response.serial_number != certificate.serial_number:
            return f"OCSP {url[:200]}: the response is for another certificate"
        if not _responder_trusted(response, issuer):
            return f"OCSP {url[:200]}: the response is not signed by the issuing CA or its delegated responder"
        next_update = response.next_update_utc
        if next_update is not None and now > next_update:
            return f"OCSP {url[:200]}: the response expired at {next_update.isoformat()}"
        seconds = (next_update - now).total_seconds() if next_update else 0.0
        if response.certificate_status == ocsp.OCSPCertStatus.REVOKED:
            revoked = response.revocation_time_utc
            when = revoked.isoformat() if revoked else "an unknown time"
            return RevocationResult("revoked", f"certificate {at} was revoked at {when} (OCSP {url[:200]})"), seconds
        if response.certificate_status == ocsp.OCSPCertStatus.UNKNOWN:
            return f"OCSP {url[:200]}: the responder does not know certificate {at}"
        return RevocationResult("not_revoked", f"certificate {at} is good (OCSP)"), seconds

    def _crl(
        self, url: str, certificate: x509.Certificate, issuer: x509.Certificate, now: datetime, deadline: float, at: int
    ) -> tuple[RevocationResult, float] | str:
        try:
            crl = x509.load_der_x509_crl(self._get(url, None, CRL_TIMEOUT, deadline))
        except (OSError, ValueError) as error:
            return f"CRL {url[:200]}: {type(error).__name__}: {error}"[:300]
        if crl.issuer != issuer.subject or not crl.is_signature_valid(issuer.public_key()):  # type: ignore[arg-type]
            return f"CRL {url[:200]}: not signed by the issuing CA"
        next_update = crl.next_update_utc
        entry = crl.get_revoked_certificate_by_serial_number(certificate.serial_number)
        if entry is not None:
            revoked = RevocationResult(
                "revoked", f"certificate {at} was revoked at {entry.revocation_date_utc.isoformat()} (CRL {url[:200]})"
            )
            return revoked, 0.0 if next_update is None else (next_update - now).total_seconds()
        if next_update is not None and now > next_update:
            return f"CRL {url[:200]}: expired at {next_update.isoformat()}"
        seconds = (next_update - now).total_seconds() if next_update else 0.0
        return RevocationResult("not_revoked", f"certificate {at} is not on the CRL"), seconds

    def _get(self, url: str, body: bytes | None, timeout: float, deadline: float) -> bytes:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the revocation budget is spent")
        return self._fetch(url, body, min(timeout, left))


def http_fetch(url: str, body: bytes | None, timeout: float) -> bytes:
    """GET (CRL) or POST `application/ocsp-request` (OCSP) over plain HTTP, as both protocols are served."""
    if not url.startswith("http://"):
        raise OSError(f"only http:// revocation URLs are fetched, not {url[:100]}")
    headers = {"Content-Type": "application/ocsp-request"} if body is not None else {}
    request = urllib.request.Request(url, data=body, headers=headers, method="POST" if body is not None else "GET")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        data: bytes = response.read(MAX_RESPONSE + 1)
    if len(data) > MAX_RESPONSE:
        raise OSError(f"the response from {url[:100]} is larger than {MAX_RESPONSE} bytes")
    return data


def _urls(certificate: x509.Certificate) -> tuple[list[str], list[str]]:
    ocsp_urls: list[str] = []
    crl_urls: list[str] = []
    try:
        access = certificate.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
        ocsp_urls = [
            d.access_location.value
            for d in access
            if d.access_method == AuthorityInformationAccessOID.OCSP
            and isinstance(d.access_location, x509.UniformResourceIdentifier)
        ]
    except x509.ExtensionNotFound:
        pass
    try:
        points = certificate.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
        crl_urls = [
            name.value
            for point in points
            for name in point.full_name or []
            if isinstance(name, x509.UniformResourceIdentifier)
        ]
    except x509.ExtensionNotFound:
        pass
    return ocsp_urls, crl_urls


def _responder_trusted(response: ocsp.OCSPResponse, issuer: x509.Certificate) -> bool:
    """Signed by the issuing CA, or by a responder certificate it issued for OCSPSigning."""
    delegated = [c for c in response.certificates if c.issuer == issuer.subject and _delegated(c, issuer)]
    return any(_signed_by(response, signer) for signer in [issuer, *delegated])


def _signed_by(response: ocsp.OCSPResponse, signer: x509.Certificate) -> bool:
    key = signer.public_key()
    algorithm = response.signature_hash_algorithm
    try:
        if isinstance(key, ec.EllipticCurvePublicKey) and algorithm is not None:
            key.verify(response.signature, response.tbs_response_bytes, ec.ECDSA(algorithm))
        elif isinstance(key, rsa.RSAPublicKey) and algorithm is not None:
            key.verify(response.signature, response.tbs_response_bytes, padding.PKCS1v15(), algorithm)
        else:
            return False
    except (InvalidSignature, ValueError, UnsupportedAlgorithm):
        return False
    return True


def _delegated(responder: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        responder.verify_directly_issued_by(issuer)
        purposes = responder.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except (InvalidSignature, ValueError, TypeError, x509.ExtensionNotFound):
        return False
    return ExtendedKeyUsageOID.OCSP_SIGNING in purposes
