"""The GetRevocationStatus query for an AWS Signer signature, as AWS Signer's notation plugin builds it."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from provenance_guard.signatures.jws import verify_jws
from provenance_guard.signatures.signer import revocation_query
from tests.unit.signing_support import NOW, issue, jws

JOB = "arn:aws:signer:eu-west-1:123456789012:/signing-jobs/5a1e"
VERSION = "arn:aws:signer:eu-west-1:123456789012:/signing-profiles/release/a1b2c3"
TARGET = {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + "a" * 64, "size": 7}


@pytest.fixture(scope="module")
def chain():
    root = issue("root", None, ca=True)
    intermediate = issue("int", root, ca=True)
    return [issue("leaf", intermediate, ca=False), intermediate, root]


def envelope(chain, job=JOB, scheme="notary.x509.signingAuthority"):
    extra = {"com.amazonaws.signer.signingJob": job, "com.amazonaws.signer.signingProfileVersion": VERSION}
    raw = jws(chain[0], chain, TARGET, scheme=scheme, signing_time=NOW - timedelta(hours=2), extra=extra)
    return verify_jws(raw)


def test_the_query_names_job_profile_time_and_paired_certificate_hashes(chain):
    query = revocation_query(envelope(chain))
    tbs = [hashlib.sha384(c.cert.tbs_certificate_bytes).hexdigest() for c in chain]
    assert query is not None
    assert (query.region, query.job_arn, query.profile_version_arn) == ("eu-west-1", JOB, VERSION)
    assert query.signing_time == NOW - timedelta(hours=2)
    assert query.certificate_hashes == (tbs[0] + tbs[1], tbs[1] + tbs[2], tbs[2] + tbs[2])
    assert all(len(h) == 192 for h in query.certificate_hashes)


@pytest.mark.parametrize(
    "job",
    [
        "arn:aws:signer:evil.example.com/x:123456789012:/signing-jobs/1",
        "arn:aws:s3:eu-west-1:123456789012:/signing-jobs/1",
        "not an arn",
    ],
)
def test_a_job_arn_that_is_not_a_signer_arn_in_a_region_is_not_asked_about(chain, job):
    assert revocation_query(envelope(chain, job)) is None


def test_an_organisation_ca_signature_has_no_signer_query(chain):
    assert revocation_query(envelope(chain, scheme="notary.x509")) is None
