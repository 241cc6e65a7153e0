"""PG.ECR.3 end to end: an image pushed before its signature is FAILED, and PASSED once the signature's
`ECR Referrer Action` reaches the real image_push handler (replayed through the stack's rules), with a
policy that trusts a test CA (written to a temporary file; the demo policy trusts no CA)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from provenance_guard_cli.backing import Backing
from provenance_guard_cli.local_registry import image_manifest, push_image
from provenance_guard_cli.notation import descriptor as target_of
from provenance_guard_cli.notation import push_notation_signature
from provenance_guard_cli.sample_containers import image_pushed, signature_pushed
from tests.e2e.signature_support import backing_with_signatures, signature_status
from tests.unit.signing_support import Issued, issue, jws

pytestmark = pytest.mark.e2e
NOW = datetime.now(UTC)
VALID = {"not_before": NOW - timedelta(days=30), "not_after": NOW + timedelta(days=365)}


@pytest.fixture(scope="module")
def ca() -> tuple[Issued, Issued]:
    root = issue("E2E Root CA", None, ca=True, **VALID)
    return root, issue("e2e release signer", root, ca=False, **VALID)


@pytest.fixture
def backing(emulator: Any, local_registry: str, tmp_path: Path, ca: tuple[Issued, Issued]) -> Backing:
    def trust_the_test_ca(signatures: dict[str, Any]) -> None:
        trust_policy = {
            "name": "e2e",
            "scopes": ["signed/*"],
            "trust_stores": ["ca:e2e"],
            "trusted_identities": ["x509.subject: C=US, ST=WA, O=Example Org"],
        }
        signatures["trust_policies"].insert(0, trust_policy)
        signatures["trust_stores"] = {"ca:e2e": ca[0].pem}

    return backing_with_signatures(emulator.url, local_registry, tmp_path, trust_the_test_ca)


def test_an_image_signed_after_its_push_turns_from_failed_to_passed(client, pusher, replayer, ca):
    root, leaf = ca
    ecr = client("ecr")
    ecr.create_repository(repositoryName="signed/api", imageTagMutability="IMMUTABLE")
    image = push_image(ecr, pusher, "signed/api", image_manifest(pusher, "signed/api", layer=b"signed"), "v1")

    pushed = replayer.replay(image_pushed("signed/api", image.digest), "push")
    assert signature_status(pushed) == {image.digest: "FAILED"}

    push_notation_signature(pusher, "signed/api", image, jws(leaf, [leaf, root], target_of(image), signing_time=NOW))
    signed = replayer.replay(signature_pushed("signed/api", image.digest), "signature pushed")

    assert [(i.function, i.failed_records) for i in signed.invocations] == [("image_push", 0)]
    assert signature_status(signed) == {image.digest: "PASSED"}
    passed = next(f for f in signed.findings if f["Compliance"]["SecurityControlId"] == "PG.ECR.3")
    assert passed["ProductFields"]["provenance-guard/Evidence/TrustPolicy"] == "e2e"
    assert "CN=e2e release signer" in passed["ProductFields"]["provenance-guard/Evidence/SignedBy"]
