"""The OCI registry reader against a real docker-registry on loopback, and its bounds (size caps,
digest checks, retries, redirects, referrers API) against scripted HTTP answers."""

from __future__ import annotations

import email.message
import io
import json
import logging
import socket
from typing import Any

import pytest

from provenance_guard.oci import transport
from provenance_guard.oci.ecr import OVERRIDE_HINT
from provenance_guard.oci.manifest import OCI_INDEX, OCI_MANIFEST, digest_of
from provenance_guard.oci.registry import (
    UNREACHABLE_SECONDS,
    NotFoundError,
    RegistryError,
    RegistryReader,
    RegistryUnreachableError,
)
from provenance_guard.oci.transport import CannotConnectError, TransportError, open_pooled
from provenance_guard_cli.local_registry import RegistryPusher, image_index, image_manifest

SIGNATURE_TYPE = "application/vnd.cncf.notary.signature"
BASE = {"org.opencontainers.image.base.name": "public.ecr.aws/docker/library/alpine:3.20"}


def test_reads_a_manifest_by_digest_and_by_tag(local_registry, pusher):
    pushed = pusher.manifest("reader/app", image_manifest(pusher, "reader/app", labels=BASE), "v1")
    reader = RegistryReader(local_registry)

    by_digest = reader.manifest("reader/app", pushed.digest)
    by_tag = reader.manifest("reader/app", "v1")

    assert by_digest.raw == pushed.manifest
    assert by_tag.digest == pushed.digest
    assert by_digest.media_type == OCI_MANIFEST
    assert not by_digest.is_index
    assert by_digest.config is not None


def test_reads_and_verifies_a_blob(local_registry, pusher):
    data = b'{"config": {}}'
    digest = pusher.blob("reader/blobs", data)
    reader = RegistryReader(local_registry)

    assert reader.blob("reader/blobs", digest, max_bytes=1024) == data
    with pytest.raises(RegistryError, match="exceeds the 4-byte limit"):
        reader.blob("reader/blobs", digest, max_bytes=4)


def test_an_index_lists_its_platforms(local_registry, pusher):
    arm = pusher.manifest("reader/multi", image_manifest(pusher, "reader/multi", architecture="arm64"))
    amd = pusher.manifest("reader/multi", image_manifest(pusher, "reader/multi", architecture="amd64", layer=b"x"))
    index = pusher.manifest("reader/multi", image_index([("linux/arm64", arm), ("linux/amd64", amd)]), "latest")

    manifest = RegistryReader(local_registry).manifest("reader/multi", index.digest)

    assert manifest.is_index
    assert [(d.platform, d.digest) for d in manifest.manifests] == [
        ("linux/arm64", arm.digest),
        ("linux/amd64", amd.digest),
    ]


def test_a_missing_manifest_is_not_found(local_registry):
    with pytest.raises(NotFoundError):
        RegistryReader(local_registry).manifest("reader/app", "sha256:" + "0" * 64)


def test_referrers_fall_back_to_the_tag_schema(local_registry, pusher):
    """docker-registry 2.8 answers 404 to the referrers API; the `sha256-<hex>` index lists them."""
    subject = pusher.manifest("reader/signed", image_manifest(pusher, "reader/signed"))
    signature = pusher.manifest("reader/signed", referrer(pusher, subject, SIGNATURE_TYPE))
    sbom = pusher.manifest("reader/signed", referrer(pusher, subject, "text/sbom+json"))
    tag = subject.digest.replace(":", "-")
    index = {
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [
            {
                "mediaType": OCI_MANIFEST,
                "digest": signature.digest,
                "size": signature.size,
                "artifactType": SIGNATURE_TYPE,
            },
            {"mediaType": OCI_MANIFEST, "digest": sbom.digest, "size": sbom.size, "artifactType": "text/sbom+json"},
        ],
    }
    pusher.manifest("reader/signed", index, tag)
    reader = RegistryReader(local_registry)

    assert [d.digest for d in reader.referrers("reader/signed", subject.digest, SIGNATURE_TYPE)] == [signature.digest]
    assert len(reader.referrers("reader/signed", subject.digest)) == 2
    unsigned = pusher.manifest("reader/signed", image_manifest(pusher, "reader/signed", layer=b"other"))
    assert reader.referrers("reader/signed", unsigned.digest) == []


def referrer(pusher: RegistryPusher, subject: Any, artifact_type: str) -> dict[str, Any]:
    empty = pusher.blob("reader/signed", b"{}")
    body = f'{{"artifact": "{artifact_type}"}}'.encode()
    return {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": artifact_type,
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": empty, "size": 2},
        "layers": [
            {"mediaType": "application/octet-stream", "digest": pusher.blob("reader/signed", body), "size": len(body)}
        ],
        "subject": {"mediaType": OCI_MANIFEST, "digest": subject.digest, "size": subject.size},
    }


class Scripted:
    """An opener answering from a script of (status, headers, body) per request, recording requests (as
    `oci.transport.open_pooled` does: every status is a response)."""

    def __init__(self, *answers: tuple[int, dict[str, str], bytes]) -> None:
        self.answers = list(answers)
        self.requests: list[Any] = []

    def __call__(self, request: Any, timeout: float) -> Any:
        self.requests.append(request)
        status, headers, body = self.answers.pop(0)
        message = email.message.Message()
        for key, value in headers.items():
            message[key] = value
        response = io.BytesIO(body)
        response.status = status  # type: ignore[attr-defined]
        response.headers = message  # type: ignore[attr-defined]
        return response


def manifest_bytes() -> bytes:
    return json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": None, "layers": []}).encode()


def test_content_that_does_not_hash_to_its_digest_is_rejected():
    body = manifest_bytes()
    opener = Scripted((200, {}, body + b" "))
    with pytest.raises(RegistryError, match="hashes to"):
        RegistryReader("https://r.example", opener=opener).manifest("app", digest_of(body))


@pytest.mark.parametrize(
    "bad",
    [
        {"manifests": [{"mediaType": OCI_MANIFEST, "digest": "not-a-digest", "size": 1}]},
        {"layers": [{"mediaType": "x", "digest": "sha256:" + "a" * 64, "size": -1}]},
        {"subject": {"mediaType": OCI_MANIFEST, "digest": "no digest", "size": 1}},
    ],
)
def test_a_manifest_with_a_malformed_descriptor_is_a_registry_error(bad):
    """Descriptors are checked when the manifest is read, not later where a caller may not expect it."""
    document = {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": None, "layers": [], **bad}
    if "manifests" in bad:
        document["mediaType"] = "application/vnd.oci.image.index.v1+json"
    body = json.dumps(document).encode()
    opener = Scripted((200, {}, body))
    with pytest.raises(RegistryError, match="descriptor"):
        RegistryReader("https://r.example", opener=opener).manifest("app", digest_of(body))


def test_a_tag_needs_the_served_digest():
    opener = Scripted((200, {}, manifest_bytes()))
    with pytest.raises(RegistryError, match="Docker-Content-Digest"):
        RegistryReader("https://r.example", opener=opener).manifest("app", "latest")


def test_throttling_and_server_errors_are_retried_with_backoff():
    body = manifest_bytes()
    sleeps: list[float] = []
    opener = Scripted((429, {"Retry-After": "2"}, b""), (503, {}, b""), (200, {}, body))
    reader = RegistryReader("https://r.example", opener=opener, sleep=sleeps.append)

    assert reader.manifest("app", digest_of(body)).raw == body
    assert sleeps[0] == 2.0
    assert 0 <= sleeps[1] <= 0.4


def test_retries_are_bounded():
    opener = Scripted(*[(500, {}, b"")] * 4)
    reader = RegistryReader("https://r.example", opener=opener, sleep=lambda _: None)
    with pytest.raises(RegistryError, match="HTTP 500 after 4 attempts"):
        reader.manifest("app", "sha256:" + "a" * 64)
    assert len(opener.requests) == 4


def test_client_errors_are_not_retried():
    opener = Scripted((403, {}, b"denied"))
    with pytest.raises(RegistryError, match="HTTP 403"):
        RegistryReader("https://r.example", opener=opener).manifest("app", "sha256:" + "a" * 64)


def test_a_declared_size_over_the_cap_is_refused_before_reading():
    opener = Scripted((200, {"Content-Length": str(50 * 1024 * 1024)}, b""))
    with pytest.raises(RegistryError, match="exceeds"):
        RegistryReader("https://r.example", opener=opener).manifest("app", "sha256:" + "a" * 64)


def test_redirects_to_another_host_drop_the_credentials():
    data = b"blob"
    opener = Scripted((307, {"Location": "https://bucket.s3.example/blob?X-Amz-Signature=1"}, b""), (200, {}, data))
    reader = RegistryReader(
        "https://123456789012.dkr.ecr.us-east-1.amazonaws.com", lambda: "Basic dG9rZW4=", opener=opener
    )

    assert reader.blob("app", digest_of(data), 100) == data
    first, second = opener.requests
    assert first.get_header("Authorization") == "Basic dG9rZW4="
    assert second.full_url.startswith("https://bucket.s3.example/")
    assert second.get_header("Authorization") is None


def test_the_referrers_api_is_used_and_paged_when_the_registry_has_it():
    def page(digest: str, artifact_type: str) -> bytes:
        entry = {"mediaType": OCI_MANIFEST, "digest": digest, "size": 1, "artifactType": artifact_type}
        return json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [entry]}).encode()

    subject = "sha256:" + "c" * 64
    opener = Scripted(
        (
            200,
            {"Link": f'</v2/app/referrers/{subject}?n=1&last=x>; rel="next"'},
            page("sha256:" + "1" * 64, SIGNATURE_TYPE),
        ),
        (200, {}, page("sha256:" + "2" * 64, "application/spdx+json")),
    )
    found = RegistryReader("https://r.example", opener=opener).referrers("app", subject)

    assert [d.digest for d in found] == ["sha256:" + "1" * 64, "sha256:" + "2" * 64]
    assert opener.requests[1].full_url == f"https://r.example/v2/app/referrers/{subject}?n=1&last=x"


class CountingOpener:
    """The real pooled transport, counting the connection attempts it is asked to make."""

    def __init__(self) -> None:
        self.attempts = 0

    def __call__(self, request: Any, timeout: float) -> Any:
        self.attempts += 1
        return open_pooled(request, timeout)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port  # nothing listens there now: connections are refused


def test_a_refused_registry_is_tried_once_then_fails_fast_with_one_line(caplog):
    opener, sleeps = CountingOpener(), list[float]()  # nothing may sleep
    url = f"http://127.0.0.1:{closed_port()}"
    reader = RegistryReader(url, opener=opener, sleep=sleeps.append, unreachable_hint=OVERRIDE_HINT)

    with caplog.at_level(logging.INFO, logger="provenance_guard.oci.registry"):
        errors = []
        for index in range(20):
            with pytest.raises(RegistryUnreachableError) as raised:
                reader.manifest(f"app-{index}", "sha256:" + "a" * 64)
            errors.append(str(raised.value))

    assert opener.attempts == 1  # not 4 attempts per image, and not one per image
    assert sleeps == []
    assert all("is unreachable" in e and "Connection refused" in e for e in errors)
    [line] = [r.getMessage() for r in caplog.records]
    assert "PROVENANCE_GUARD_REGISTRY_URL" in line
    assert "--registry-url" in line


def test_a_name_that_does_not_resolve_is_not_retried():
    """A DNS failure (`Name or service not known`) is not a throttle: no backoff, one attempt."""

    class Unresolvable:
        calls = 0

        def __call__(self, request: Any, timeout: float) -> Any:
            self.calls += 1
            raise CannotConnectError("Failed to resolve 'r.example' ([Errno -2] Name or service not known)")

    opener, sleeps = Unresolvable(), list[float]()
    reader = RegistryReader("https://r.example", opener=opener, sleep=sleeps.append)
    for _ in range(3):
        with pytest.raises(RegistryUnreachableError, match="Name or service not known"):
            reader.blob("app", "sha256:" + "a" * 64, 10)
    assert (opener.calls, sleeps) == (1, [])


def test_an_unreachable_registry_is_tried_again_after_a_while(local_registry, pusher):
    pushed = pusher.manifest("reader/later", image_manifest(pusher, "reader/later"))
    now = [0.0]

    def flaky(request: Any, timeout: float) -> Any:
        if now[0] < 1:
            raise CannotConnectError("[Errno 111] Connection refused")
        return open_pooled(request, timeout)

    reader = RegistryReader(local_registry, opener=flaky, clock=lambda: now[0])
    with pytest.raises(RegistryUnreachableError):
        reader.manifest("reader/later", pushed.digest)
    now[0] = 10.0
    with pytest.raises(RegistryUnreachableError):  # still within UNREACHABLE_SECONDS: no attempt
        reader.manifest("reader/later", pushed.digest)
    now[0] = UNREACHABLE_SECONDS + 1
    assert reader.manifest("reader/later", pushed.digest).digest == pushed.digest


def test_timeouts_and_dropped_connections_keep_their_backoff():
    body = manifest_bytes()
    sleeps: list[float] = []
    answers: list[Any] = [TransportError("read timed out"), TransportError("connection reset"), (200, {}, body)]
    scripted = Scripted(answers[2])

    def opener(request: Any, timeout: float) -> Any:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return scripted(request, timeout)

    reader = RegistryReader("https://r.example", opener=opener, sleep=sleeps.append)
    assert reader.manifest("app", digest_of(body)).raw == body
    assert len(sleeps) == 2


def test_requests_to_one_registry_share_one_kept_alive_connection(local_registry, pusher):
    pushed = [pusher.manifest("reader/pool", image_manifest(pusher, "reader/pool", layer=bytes([i]))) for i in range(5)]
    reader = RegistryReader(local_registry)
    pool = transport._pool_manager().connection_from_url(local_registry)
    before = pool.num_connections

    for item in pushed:
        reader.manifest("reader/pool", item.digest)
    with pytest.raises(NotFoundError):  # an error answer keeps the connection too
        reader.manifest("reader/pool", "sha256:" + "0" * 64)
    for item in pushed:
        reader.manifest("reader/pool", item.digest)

    assert pool.num_connections - before <= 1
    assert transport._pool_manager() is transport._pool_manager()  # one SSL context, made once per process
