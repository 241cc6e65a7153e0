"""Media types and annotations of signatures and attestations stored as OCI artifacts (Notation, cosign,
Sigstore bundles), shared by the collector, the verifiers and the event parsers."""

NOTATION_SIGNATURE = "application/vnd.cncf.notary.signature"
"""The artifact type of a Notation signature manifest."""
JWS_ENVELOPE = "application/jose+json"
COSE_ENVELOPE = "application/cose"
COSIGN_SIMPLE_SIGNING = "application/vnd.dev.cosign.simplesigning.v1+json"
DSSE_ENVELOPE = "application/vnd.dsse.envelope.v1+json"
SIGSTORE_BUNDLE = "application/vnd.dev.sigstore.bundle.v0.3+json"
BUNDLE_PREDICATE_ANNOTATION = "dev.sigstore.bundle.predicateType"
COSIGN_SIGN_PREDICATE = "https://sigstore.dev/cosign/sign/v1"
