"""Keyless Sigstore bundles against a generated Sigstore instance (Fulcio CA, Rekor key, TSA): a
GitHub-attestation-shaped v0.3 DSSE bundle verifies offline, and each rule fails once."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from provenance_guard.signatures import sigstore_root
from provenance_guard.signatures.envelope import SignatureError
from provenance_guard.signatures.keyless import identity_of, verify_bundle
from provenance_guard.signatures.provenance import parse_statement
from tests.unit.signatures.pki import key, make
from tests.unit.signatures.sigstore_support import (
    GITHUB,
    WORKFLOW,
    Instance,
    dsse_bundle,
    instance,
    message_bundle,
    statement,
)
from tests.unit.signatures.tsa_support import token, tsa_pki
from tests.unit.signing_support import NOW

SIGSTORE = instance()
ROOT = sigstore_root.parse("sigstore:test", SIGSTORE.trusted_root().encode())
DIGEST = "sha256:" + "cd" * 32
IDENTITIES = [{"issuer": GITHUB, "subject": "https://github.com/acme/*"}]
LEAF = SIGSTORE.fulcio_leaf()


def failure(raw: bytes, root=ROOT, identities=IDENTITIES, **options) -> str:
    with pytest.raises(SignatureError) as raised:
        verify_bundle(raw, root, identities, **options)
    return f"{raised.value.code}: {raised.value.description}"


def test_a_github_attestation_shaped_bundle_verifies():
    verified = verify_bundle(dsse_bundle(SIGSTORE, LEAF, statement(DIGEST)), ROOT, IDENTITIES)
    assert verified.identity.subject == WORKFLOW
    assert verified.identity.issuer == GITHUB
    assert verified.trusted_as is IDENTITIES[0]
    assert verified.signed_at == (NOW - timedelta(minutes=4)).replace(microsecond=0)
    assert verified.time_source == "rekor https://rekor.test #5"
    assert verified.claims["source_repository_uri"] == "https://github.com/acme/app"
    assert parse_statement(verified.payload).names(DIGEST)


@pytest.mark.parametrize(
    "media_type",
    ["application/vnd.dev.sigstore.bundle+json;version=0.1", "application/vnd.dev.sigstore.bundle+json;version=0.2"],
)
def test_older_bundle_media_types_with_a_certificate_chain(media_type):
    raw = dsse_bundle(SIGSTORE, LEAF, statement(DIGEST), media_type=media_type)
    assert verify_bundle(raw, ROOT, IDENTITIES).identity.subject == WORKFLOW


def test_a_message_signature_bundle_with_a_hashedrekord_entry():
    artifact = b"payload bytes"
    verified = verify_bundle(message_bundle(SIGSTORE, LEAF, artifact), ROOT, IDENTITIES, artifact=artifact)
    assert verified.payload == artifact
    assert failure(message_bundle(SIGSTORE, LEAF, artifact), artifact=b"other").startswith("WRONG_SUBJECT")
    assert failure(message_bundle(SIGSTORE, LEAF, artifact)).startswith("UNSUPPORTED_BUNDLE")


def test_the_legacy_issuer_extension_and_an_email_identity():
    leaf = SIGSTORE.fulcio_leaf("dev@acme.example", "https://accounts.google.com", legacy_issuer=True)
    assert identity_of(leaf.cert).issuer == "https://accounts.google.com"
    identities = [{"issuer": "https://accounts.google.com", "subject": "*@acme.example"}]
    assert (
        verify_bundle(dsse_bundle(SIGSTORE, leaf, statement(DIGEST)), ROOT, identities).identity.subject
        == "dev@acme.example"
    )


def test_identity_rules():
    raw = dsse_bundle(SIGSTORE, LEAF, statement(DIGEST))
    assert failure(raw, identities=[{"issuer": GITHUB, "subject": "https://github.com/other/*"}]).startswith(
        "UNTRUSTED_IDENTITY"
    )
    assert failure(raw, identities=[{"issuer": "https://gitlab.com", "subject": "*"}]).startswith("UNTRUSTED_IDENTITY")
    assert failure(raw, identities=[]).startswith("UNTRUSTED_IDENTITY")


def test_a_certificate_from_another_ca_fails():
    other_root = make("sigstore", None, ca=True, private_key=key("p384-other-root"), not_before=NOW - timedelta(days=9))
    other = make("sigstore-intermediate", other_root, ca=True, private_key=key("p384-other-int"))
    leaf = Instance(other_root, other).fulcio_leaf()
    assert failure(dsse_bundle(SIGSTORE, leaf, statement(DIGEST))).startswith("UNTRUSTED_ROOT")


def test_the_integrated_time_must_lie_within_the_certificate():
    late = dsse_bundle(SIGSTORE, LEAF, statement(DIGEST), integrated=NOW + timedelta(hours=1))
    assert failure(late).startswith("CERTIFICATE_NOT_VALID_AT_SIGNING")


def test_the_leaf_must_be_a_code_signing_certificate():
    server = SIGSTORE.fulcio_leaf(extended_key_usage=(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False))
    assert failure(dsse_bundle(SIGSTORE, server, statement(DIGEST))).startswith("BAD_SIGNING_CERTIFICATE")


def test_a_signature_by_another_key_fails():
    raw = dsse_bundle(SIGSTORE, LEAF, statement(DIGEST), signed_payload=statement("sha256:" + "00" * 32))
    assert failure(raw).startswith("BAD_SIGNATURE")


def test_each_transparency_log_rule():
    payload = statement(DIGEST)
    assert failure(dsse_bundle(SIGSTORE, LEAF, payload, entry_options={"tamper_checkpoint": True})).startswith(
        "BAD_TLOG_ENTRY"
    )
    # A proof alone proves inclusion, not a time.
    assert failure(dsse_bundle(SIGSTORE, LEAF, payload, entry_options={"promise": False})).startswith("NO_TRUSTED_TIME")
    assert verify_bundle(dsse_bundle(SIGSTORE, LEAF, payload, entry_options={"proof": False}), ROOT, IDENTITIES)
    other_log = instance()
    foreign = dsse_bundle(other_log, LEAF, payload)
    assert failure(foreign).startswith("UNTRUSTED_LOG")
    assert failure(dsse_bundle(SIGSTORE, LEAF, payload, tlog=False)).startswith("NO_TRUSTED_TIME")


def test_the_log_entry_must_record_this_signature():
    payload = statement(DIGEST)
    other = SIGSTORE.fulcio_leaf(signer_key=key("p256-other-leaf"))
    from tests.unit.signatures.sigstore_support import dsse_body

    body = dsse_body(other, payload, b"another signature")
    assert failure(dsse_bundle(SIGSTORE, LEAF, payload, body=body)).startswith("BAD_TLOG_ENTRY")


def test_a_forged_signed_entry_timestamp_fails():
    raw = json.loads(dsse_bundle(SIGSTORE, LEAF, statement(DIGEST), entry_options={"proof": False}))
    entry = raw["verificationMaterial"]["tlogEntries"][0]
    entry["integratedTime"] = str(int(entry["integratedTime"]) - 60)
    assert failure(json.dumps(raw).encode()).startswith("BAD_TLOG_ENTRY")


def test_an_rfc3161_timestamp_instead_of_rekor_as_githubs_private_instance_does():
    tsa = tsa_pki()
    root = sigstore_root.parse("sigstore:github", SIGSTORE.trusted_root(tsa=[tsa["tsa"], tsa["root"]]).encode())
    payload = statement(DIGEST)
    unsigned = json.loads(dsse_bundle(SIGSTORE, LEAF, payload, tlog=False))
    signature = base64.b64decode(unsigned["dsseEnvelope"]["signatures"][0]["sig"])
    stamp = token(tsa["tsa"], [], signature, gen_time=NOW - timedelta(minutes=3))
    unsigned["verificationMaterial"]["timestampVerificationData"] = {
        "rfc3161Timestamps": [{"signedTimestamp": base64.b64encode(stamp).decode()}]
    }
    verified = verify_bundle(json.dumps(unsigned).encode(), root, IDENTITIES)
    assert verified.time_source.startswith("timestamp CN=Test TSA")
    late = token(tsa["tsa"], [], signature, gen_time=NOW + timedelta(hours=1))
    unsigned["verificationMaterial"]["timestampVerificationData"] = {
        "rfc3161Timestamps": [{"signedTimestamp": base64.b64encode(late).decode()}]
    }
    assert failure(json.dumps(unsigned).encode(), root=root).startswith("CERTIFICATE_NOT_VALID_AT_SIGNING")


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"nope", "MALFORMED_BUNDLE"),
        (json.dumps({"mediaType": "application/vnd.dev.sigstore.bundle.v9+json"}).encode(), "UNSUPPORTED_BUNDLE"),
        (
            json.dumps(
                {
                    "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
                    "verificationMaterial": {"publicKey": {"hint": "x"}},
                    "dsseEnvelope": {},
                }
            ).encode(),
            "NOT_KEYLESS",
        ),
    ],
)
def test_malformed_bundles(raw, code):
    assert failure(raw).startswith(code)


def test_the_shipped_public_good_root_is_pinned_and_parses():
    root = sigstore_root.built_in(sigstore_root.PUBLIC_GOOD)
    assert any(log.base_url == "https://rekor.sigstore.dev" for log in root.logs)
    assert any(ca.uri == "https://fulcio.sigstore.dev" for ca in root.certificate_authorities)
    assert sigstore_root.load(sigstore_root.PUBLIC_GOOD, {}) is root
    with pytest.raises(SignatureError, match="no Sigstore trust root"):
        sigstore_root.load("sigstore:nothing", {})
    with pytest.raises(SignatureError, match="not a Sigstore trusted_root"):
        sigstore_root.load("sigstore:broken", {"sigstore:broken": "{}"})
