"""PG.ECR.3 end to end for cosign: an image pushed before its signature is FAILED, and PASSED once the
legacy `sha256-<hex>.sig` push (an `ECR Image Action` PUSH under that tag) or a cosign v3 bundle referrer
(`ECR Referrer Action`) reaches the real image_push handler through the stack's rules, with a policy that
trusts a cosign public key made here (written to a temporary file; the demo policy trusts none)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from provenance_guard_cli.backing import Backing
from provenance_guard_cli.local_registry import image_manifest, push_image
from provenance_guard_cli.sample_account import sample_event
from provenance_guard_cli.sample_containers import image_pushed
from tests.e2e.signature_support import backing_with_signatures, signature_status
from tests.unit.cosign_support import (
    dsse_bundle,
    ecdsa_key,
    key_identity,
    layer,
    public_pem,
    push_bundle,
    push_legacy,
    simple_signing,
    statement,
)

pytestmark = pytest.mark.e2e
KEY = ecdsa_key()


@pytest.fixture
def backing(emulator: Any, local_registry: str, tmp_path: Path) -> Backing:
    def trust_the_key(signatures: dict[str, Any]) -> None:
        signatures["trust_policies"].insert(0, {"name": "cosign", "scopes": ["signed/*"]})
        signatures["cosign_public_keys"] = [public_pem(KEY)]

    return backing_with_signatures(emulator.url, local_registry, tmp_path, trust_the_key)


def test_a_legacy_sig_push_turns_its_image_from_failed_to_passed(client, pusher, replayer):
    ecr = client("ecr")
    ecr.create_repository(repositoryName="signed/cosign", imageTagMutability="IMMUTABLE")
    image = push_image(ecr, pusher, "signed/cosign", image_manifest(pusher, "signed/cosign", layer=b"cosign"), "v1")
    assert signature_status(replayer.replay(image_pushed("signed/cosign", image.digest), "push")) == {
        image.digest: "FAILED"
    }

    tag = f"sha256-{image.digest[7:]}.sig"
    signature = push_legacy(pusher, "signed/cosign", image.digest, [layer(KEY, simple_signing(image.digest))])
    ecr.put_image(repositoryName="signed/cosign", imageManifest=signature.manifest.decode(), imageTag=tag,
                  imageDigest=signature.digest, imageManifestMediaType=signature.media_type)  # fmt: skip
    event = sample_event(
        "ecr-image-action-push-cosign-signature.json",
        **{"detail.repository-name": "signed/cosign", "detail.image-digest": signature.digest, "detail.image-tag": tag},
    )
    signed = replayer.replay(event, "cosign signature pushed")

    assert [(i.function, i.failed_records) for i in signed.invocations] == [("image_push", 0)]
    assert signature_status(signed) == {image.digest: "PASSED"}  # and no findings for the .sig manifest
    passed = next(f for f in signed.findings if f["Compliance"]["SecurityControlId"] == "PG.ECR.3")
    fields = passed["ProductFields"]
    assert fields["provenance-guard/Evidence/SignedBy"] == key_identity(KEY)
    assert fields["provenance-guard/Evidence/Format"] == "cosign simple-signing"


def test_a_bundle_referrer_turns_its_image_from_failed_to_passed(client, pusher, replayer):
    ecr = client("ecr")
    ecr.create_repository(repositoryName="signed/bundle", imageTagMutability="IMMUTABLE")
    image = push_image(ecr, pusher, "signed/bundle", image_manifest(pusher, "signed/bundle", layer=b"bundle"), "v1")
    assert signature_status(replayer.replay(image_pushed("signed/bundle", image.digest), "push")) == {
        image.digest: "FAILED"
    }

    push_bundle(pusher, "signed/bundle", image, dsse_bundle(KEY, statement(image.digest)))
    event = sample_event(
        "ecr-referrer-action-push-cosign-bundle.json",
        **{"detail.repository-name": "signed/bundle", "detail.image-digest": image.digest},
    )
    signed = replayer.replay(event, "cosign bundle pushed")

    assert signature_status(signed) == {image.digest: "PASSED"}
    passed = next(f for f in signed.findings if f["Compliance"]["SecurityControlId"] == "PG.ECR.3")
    assert passed["ProductFields"]["provenance-guard/Evidence/Format"] == "cosign bundle v0.3 dsse"
