"""Own-CA revocation (OCSP preferred, CRL fallback) for notary.x509 chains, against real OCSP responses
and CRLs built with `cryptography` and served from a local HTTP server on loopback; an unreachable or
silent responder gives `unknown` within the budget, never a hang."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID

from provenance_guard.signatures.revocation import Checker
from tests.unit.signatures.pki import Cert, make
from tests.unit.signing_support import NOW

ROOT = make("Revocation Root", None, ca=True)
CA = make("Revocation CA", ROOT, ca=True)


class Responder:
    """OCSP and CRL answers for CA's certificates; `revoked` serials, `silent` paths that never answer."""

    def __init__(self) -> None:
        self.revoked: set[int] = set()
        self.unknown: set[int] = set()
        self.silent: set[str] = set()
        self.hits: list[str] = []

    def ocsp(self, body: bytes) -> bytes:
        request = ocsp.load_der_ocsp_request(body)
        serial = request.serial_number
        target = next(c for c in ISSUED if c.cert.serial_number == serial)
        status = ocsp.OCSPCertStatus.GOOD
        revoked_at = None
        if serial in self.revoked:
            status, revoked_at = ocsp.OCSPCertStatus.REVOKED, NOW - timedelta(days=1)
        elif serial in self.unknown:
            status = ocsp.OCSPCertStatus.UNKNOWN
        builder = ocsp.OCSPResponseBuilder().add_response(
            cert=target.cert, issuer=CA.cert, algorithm=hashes.SHA256(), cert_status=status,
            this_update=NOW - timedelta(hours=1), next_update=NOW + timedelta(hours=1),
            revocation_time=revoked_at, revocation_reason=x509.ReasonFlags.key_compromise if revoked_at else None,
        ).responder_id(ocsp.OCSPResponderEncoding.HASH, CA.cert)  # fmt: skip
        return builder.sign(CA.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)

    def crl(self) -> bytes:
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(CA.cert.subject)
            .last_update(NOW - timedelta(hours=1))
            .next_update(NOW + timedelta(hours=1))
        )
        for serial in self.revoked:
            entry = x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(NOW - timedelta(days=2))
            builder = builder.add_revoked_certificate(entry.build())
        return builder.sign(CA.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


ISSUED: list[Cert] = []


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, Responder]]:
    responder = Responder()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, body: bytes | None) -> None:
            responder.hits.append(self.path)
            if self.path in responder.silent:
                time.sleep(1.5)
                return
            if self.path == "/ocsp" and body is not None:
                data, kind = responder.ocsp(body), "application/ocsp-response"
            elif self.path == "/crl":
                data, kind = responder.crl(), "application/pkix-crl"
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._answer(None)

        def do_POST(self) -> None:
            self._answer(self.rfile.read(int(self.headers["Content-Length"])))

        def log_message(self, *_: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", responder
    httpd.shutdown()
    httpd.server_close()


def signer(base: str, *, ocsp_path: str | None = "/ocsp", crl_path: str | None = "/crl") -> Cert:
    extra: list[tuple[x509.ExtensionType, bool]] = []
    if ocsp_path:
        access = x509.AccessDescription(
            AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(base + ocsp_path)
        )
        extra.append((x509.AuthorityInformationAccess([access]), False))
    if crl_path:
        point = x509.DistributionPoint([x509.UniformResourceIdentifier(base + crl_path)], None, None, None)
        extra.append((x509.CRLDistributionPoints([point]), False))
    issued = make("revocable signer", CA, ca=False, extra=tuple(extra))
    ISSUED.append(issued)
    return issued


def chain(leaf: Cert) -> list[x509.Certificate]:
    return [leaf.cert, CA.cert, ROOT.cert]


def test_a_good_certificate_by_ocsp_and_the_answer_is_cached(server):
    base, responder = server
    leaf = signer(base)
    checker = Checker()
    assert checker.check_chain(chain(leaf), NOW).status == "not_revoked"
    hits = len(responder.hits)
    assert checker.check_chain(chain(leaf), NOW).status == "not_revoked"
    assert len(responder.hits) == hits


def test_a_revoked_certificate_by_ocsp_and_by_crl(server):
    base, responder = server
    leaf = signer(base)
    responder.revoked.add(leaf.cert.serial_number)
    result = Checker().check_chain(chain(leaf), NOW)
    assert (result.status, "OCSP" in result.detail) == ("revoked", True)
    crl_only = signer(base, ocsp_path=None)
    responder.revoked.add(crl_only.cert.serial_number)
    result = Checker().check_chain(chain(crl_only), NOW)
    assert (result.status, "CRL" in result.detail) == ("revoked", True)


def test_the_crl_is_the_fallback_when_ocsp_cannot_answer(server):
    base, responder = server
    leaf = signer(base, ocsp_path="/missing")
    assert Checker().check_chain(chain(leaf), NOW).status == "not_revoked"
    responder.revoked.add(leaf.cert.serial_number)
    assert Checker().check_chain(chain(leaf), NOW).status == "revoked"


def test_an_unknown_answer_or_an_unreachable_responder_is_unknown(server):
    base, responder = server
    leaf = signer(base, crl_path=None)
    responder.unknown.add(leaf.cert.serial_number)
    assert Checker().check_chain(chain(leaf), NOW).status == "unknown"
    refused = signer("http://127.0.0.1:9", crl_path=None)
    result = Checker().check_chain(chain(refused), NOW)
    assert result.status == "unknown"
    assert "OCSP" in result.detail


def test_a_silent_responder_is_unknown_within_the_budget(server):
    base, responder = server
    responder.silent.update({"/slow-ocsp", "/slow-crl"})
    leaf = signer(base, ocsp_path="/slow-ocsp", crl_path="/slow-crl")
    started = time.monotonic()
    result = Checker(budget=0.4).check_chain(chain(leaf), NOW)
    assert result.status == "unknown"
    assert time.monotonic() - started < 1.2


def test_a_certificate_without_revocation_information_is_not_revoked():
    leaf = make("plain signer", CA, ca=False)
    assert Checker(fetch=lambda *_: b"").check_chain(chain(leaf), NOW).status == "not_revoked"


def test_a_response_signed_by_someone_else_is_not_trusted(server):
    base, responder = server
    leaf = signer(base, crl_path=None)
    forger = make(
        "Revocation CA",
        ROOT,
        ca=True,
        private_key=__import__("tests.unit.signatures.pki", fromlist=["key"]).key("p521-forger"),
    )
    real = responder.ocsp

    def forged(body: bytes) -> bytes:
        response = ocsp.load_der_ocsp_response(real(body))
        builder = ocsp.OCSPResponseBuilder().add_response(
            cert=leaf.cert, issuer=CA.cert, algorithm=hashes.SHA256(), cert_status=ocsp.OCSPCertStatus.GOOD,
            this_update=NOW - timedelta(hours=1), next_update=NOW + timedelta(hours=1),
            revocation_time=None, revocation_reason=None,
        ).responder_id(ocsp.OCSPResponderEncoding.HASH, forger.cert)  # fmt: skip
        del response
        return builder.sign(forger.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)

    responder.ocsp = forged  # type: ignore[method-assign]
    try:
        result = Checker().check_chain(chain(leaf), NOW)
    finally:
        responder.ocsp = real  # type: ignore[method-assign]
    assert result.status == "unknown"
    assert "not signed by the issuing CA" in result.detail


def test_only_http_urls_are_fetched():
    leaf = signer("https://127.0.0.1:1", crl_path=None)
    result = Checker().check_chain(chain(leaf), NOW)
    assert result.status == "unknown"
    assert "only http://" in result.detail
