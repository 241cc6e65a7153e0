"""Benchmark: CPU per verification of each scheme the signature library verifies (goal < 50 ms each),
with real material from the test Sigstore instance, test TSA and test CA (`tests/unit/signatures`):

* Notation JWS with the X.509 profile (chain of three);
* Notation JWS countersigned by an RFC 3161 timestamp (token, TSA chain, range), certificate expired;
* keyless Sigstore DSSE bundle v0.3 (Fulcio chain, identity, Rekor SET and inclusion proof);
* SLSA provenance parse and trusted-builder match;
* own-CA revocation answered from the cache (the network round trip is the responder's, not CPU).

Run from the repository root: `python -m benchmarks.signature_library_bench` (`make bench` does).
"""

from __future__ import annotations

import base64
import json
import statistics
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

TARGET_MS = 50.0
RUNS = 30


def measure(work: Callable[[], Any]) -> tuple[float, float]:
    times = []
    for _ in range(RUNS + 1):
        start = time.process_time()
        work()
        times.append((time.process_time() - start) * 1000)
    return times[0], statistics.median(times[1:])


def cases() -> dict[str, Callable[[], Any]]:
    from provenance_guard.policy import TrustPolicy
    from provenance_guard.signatures import sigstore_root
    from provenance_guard.signatures.keyless import verify_bundle
    from provenance_guard.signatures.provenance import parse_statement, provenance_of, trusted_builder
    from provenance_guard.signatures.revocation import Checker
    from provenance_guard.signatures.verify import Subject, open_envelope, verify
    from tests.unit.signatures.pki import make
    from tests.unit.signatures.sigstore_support import GITHUB, dsse_bundle, instance, statement
    from tests.unit.signatures.tsa_support import token, tsa_pki
    from tests.unit.signing_support import NOW, jws

    subject = Subject("sha256:" + "a" * 64, "application/vnd.oci.image.manifest.v1+json", 1234)
    target = {"digest": subject.digest, "mediaType": subject.media_type, "size": subject.size}
    root = make("Bench Root", None, ca=True, not_before=NOW - timedelta(days=3650))
    ca = make("Bench CA", root, ca=True, not_before=NOW - timedelta(days=3650))
    leaf = make("bench signer", ca, ca=False)
    old = make("old signer", ca, ca=False, not_before=NOW - timedelta(days=400), not_after=NOW - timedelta(days=370))
    policy = TrustPolicy("bench", ("*",), "strict", ("ca:bench",), ("x509.subject: C=US, ST=WA, O=Example Org",))
    stores = {"ca:bench": root.pem}
    plain = jws(leaf, [leaf, ca, root], target)  # type: ignore[arg-type, list-item]

    signed_at = NOW - timedelta(days=390)
    stamped_doc = json.loads(jws(old, [old, ca, root], target, signing_time=signed_at))  # type: ignore[arg-type, list-item]
    tsa = tsa_pki()
    signature = base64.urlsafe_b64decode(stamped_doc["signature"] + "==")
    stamp = token(tsa["tsa"], [tsa["tsa"]], signature, gen_time=signed_at)
    stamped_doc["header"]["io.cncf.notary.timestampSignature"] = base64.b64encode(stamp).decode()
    stamped = json.dumps(stamped_doc).encode()

    sigstore = instance()
    trust_root = sigstore_root.parse("sigstore:bench", sigstore.trusted_root().encode())
    bundle = dsse_bundle(sigstore, sigstore.fulcio_leaf(), statement(subject.digest))
    identities = [{"issuer": GITHUB, "subject": "https://github.com/acme/*"}]
    rules = [
        {"builder_id": "https://github.com/actions/runner/*", "source_repositories": ["https://github.com/acme/*"]}
    ]
    provenance_body = json.dumps(
        {
            "_type": "https://in-toto.io/Statement/v1",
            "subject": [{"name": "app", "digest": {"sha256": "a" * 64}}],
            "predicateType": "https://slsa.dev/provenance/v1",
            "predicate": {
                "buildDefinition": {"externalParameters": {"workflow": {"repository": "https://github.com/acme/app"}}},
                "runDetails": {"builder": {"id": "https://github.com/actions/runner/github-hosted"}},
            },
        }
    ).encode()
    checker = Checker(fetch=lambda *_: b"")
    chain = [leaf.cert, ca.cert, root.cert]

    def notation() -> None:
        open_envelope.cache_clear()
        verify(plain, "application/jose+json", subject, policy, stores, NOW)

    def timestamped() -> None:
        open_envelope.cache_clear()
        verify(stamped, "application/jose+json", subject, policy, stores, NOW, (tsa["root"].cert,))

    return {
        "Notation JWS + X.509 profile": notation,
        "Notation JWS + RFC 3161 timestamp": timestamped,
        "keyless Sigstore bundle v0.3 (DSSE)": lambda: verify_bundle(bundle, trust_root, identities),
        "SLSA provenance parse + match": lambda: trusted_builder(
            provenance_of(parse_statement(provenance_body)), rules
        ),
        "own-CA revocation (cached)": lambda: checker.check_chain(chain, NOW),
    }


def main() -> int:
    ok = True
    print(f"Signature library, CPU per verification (first run, then median of {RUNS}); target {TARGET_MS:.0f} ms:")
    for name, work in cases().items():
        first, warm = measure(work)
        ok = ok and warm < TARGET_MS
        print(f"  {name:<40} first {first:6.1f} ms   median {warm:6.2f} ms   {'met' if warm < TARGET_MS else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
