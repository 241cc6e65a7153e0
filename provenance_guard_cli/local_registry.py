"""A real OCI distribution registry on loopback (Debian's `docker-registry`, run as a plain process)
and a small pusher for it, for the tests and the demo. Not shipped to Lambda.

The emulator's ECR and this registry are two halves of one emulated registry: ECR's control plane
(DescribeImages, scanning, ...) lives in moto, the OCI data path (manifests, config blobs, referrers)
here. :func:`push_image` writes both with the same bytes and digest, so they always agree.

docker-registry 2.8 has no OCI referrers API (`GET /v2/<name>/referrers/<digest>` is 404): a pushed
referrer is also listed in the referrers tag-schema index (`sha256-<hex>`), which the reader falls
back to, exactly as Notation and ORAS clients do with such registries.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from provenance_guard.oci.manifest import OCI_CONFIG, OCI_INDEX, OCI_MANIFEST, digest_of

BINARY = "docker-registry"
START_TIMEOUT_SECONDS = 15.0
LAYER_MEDIA_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip"
ACCESS_LINE = re.compile(r'"([A-Z]+ /\S*) HTTP/[0-9.]+"')
"""The request of one line of the registry's (Apache combined format) access log."""


class RegistryUnavailableError(RuntimeError):
    """docker-registry is not installed, or did not start."""


class LocalRegistry:
    """`docker-registry serve` on 127.0.0.1:<free port> with a temporary config and storage directory."""

    def __init__(self, *, access_log: bool = False) -> None:
        """With `access_log`, the registry logs every request it serves (`requests()` reads them back)."""
        self._process: subprocess.Popen[bytes] | None = None
        self._directory: Path | None = None
        self._access_log = access_log
        self.url = ""

    def start(self) -> LocalRegistry:
        binary = shutil.which(BINARY)
        if binary is None:
            raise RegistryUnavailableError(
                f"{BINARY} is not installed: run `make install` (apt-get install -y docker-registry)"
            )
        self._directory = Path(tempfile.mkdtemp(prefix="provenance-guard-registry-"))
        port = _free_port()
        config = self._directory / "config.yml"
        config.write_text(
            "version: 0.1\n"
            f"log:\n  level: error\n  accesslog:\n    disabled: {'false' if self._access_log else 'true'}\n"
            f"storage:\n  filesystem:\n    rootdirectory: {self._directory / 'data'}\n  delete:\n    enabled: true\n"
            f"http:\n  addr: 127.0.0.1:{port}\n"
        )
        log = (self._directory / "registry.log").open("wb")
        self._process = subprocess.Popen([binary, "serve", str(config)], stdout=log, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"{self.url}/v2/", timeout=1) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.05)
        output = (self._directory / "registry.log").read_text(errors="replace")[-2000:]
        self.stop()
        raise RegistryUnavailableError(f"{BINARY} did not start: {output}")

    def requests(self) -> list[str]:
        """`METHOD /path` of every request served so far, oldest first (needs `access_log`)."""
        if not self._access_log or self._directory is None:
            raise RuntimeError("start the registry with access_log=True to count its requests")
        log = (self._directory / "registry.log").read_text(errors="replace")
        return [match.group(1) for match in ACCESS_LINE.finditer(log)]

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=5)
            self._process = None
        if self._directory is not None:
            shutil.rmtree(self._directory, ignore_errors=True)
            self._directory = None

    def __enter__(self) -> LocalRegistry:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()


@dataclass(frozen=True)
class Pushed:
    digest: str
    media_type: str
    manifest: bytes
    size: int


class RegistryPusher:
    """Pushes blobs and manifests through the OCI distribution API (POST+PUT uploads, PUT manifests)."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    def blob(self, repository: str, data: bytes) -> str:
        digest = digest_of(data)
        location = self._request("POST", f"/v2/{repository}/blobs/uploads/", b"", {}).headers["Location"]
        separator = "&" if "?" in location else "?"
        target = location if location.startswith("http") else self.url + location
        self._request("PUT", f"{target}{separator}digest={digest}", data, {"Content-Type": "application/octet-stream"})
        return digest

    def manifest(self, repository: str, document: Mapping[str, Any], reference: str | None = None) -> Pushed:
        """PUT the manifest by digest (and by tag `reference` when given); returns what was stored."""
        raw = json.dumps(document, separators=(",", ":"), sort_keys=True).encode()
        media_type = str(document["mediaType"])
        digest = digest_of(raw)
        headers = {"Content-Type": media_type}
        self._request("PUT", f"/v2/{repository}/manifests/{digest}", raw, headers)
        if reference:
            self._request("PUT", f"/v2/{repository}/manifests/{reference}", raw, headers)
        return Pushed(digest, media_type, raw, len(raw))

    def get(self, path: str, accept: str) -> bytes:
        """The body at `path`; HTTPError for 4xx/5xx."""
        request = urllib.request.Request(self.url + path, headers={"Accept": accept})
        with urllib.request.urlopen(request, timeout=10) as response:
            body: bytes = response.read()
            return body

    def _request(self, method: str, path: str, data: bytes, headers: Mapping[str, str]) -> Any:
        url = path if path.startswith("http") else self.url + path
        request = urllib.request.Request(
            url, data=data if method != "GET" else None, method=method, headers=dict(headers)
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return response


def image_manifest(
    pusher: RegistryPusher,
    repository: str,
    *,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
    architecture: str = "arm64",
    layer: bytes = b"layer",
) -> dict[str, Any]:
    """An OCI image manifest with a real config blob (carrying `labels`) and one layer, blobs pushed."""
    config = json.dumps(
        {
            "architecture": architecture,
            "os": "linux",
            "config": {"Labels": dict(labels or {})},
            "rootfs": {"type": "layers", "diff_ids": [digest_of(layer)]},
        },
        sort_keys=True,
    ).encode()
    document: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": pusher.blob(repository, config), "size": len(config)},
        "layers": [{"mediaType": LAYER_MEDIA_TYPE, "digest": pusher.blob(repository, layer), "size": len(layer)}],
    }
    if annotations:
        document["annotations"] = dict(annotations)
    return document


def image_index(
    platforms: Sequence[tuple[str, Pushed]], annotations: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """An OCI image index listing pushed platform manifests (`os/architecture` each)."""
    manifests = []
    for platform, pushed in platforms:
        os_name, _, architecture = platform.partition("/")
        manifests.append(
            {
                "mediaType": pushed.media_type,
                "digest": pushed.digest,
                "size": pushed.size,
                "platform": {"os": os_name, "architecture": architecture},
            }
        )
    document: dict[str, Any] = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests}
    if annotations:
        document["annotations"] = dict(annotations)
    return document


def push_image(
    ecr: Any, pusher: RegistryPusher, repository: str, document: Mapping[str, Any], tag: str | None = None
) -> Pushed:
    """Push a manifest or index to the local registry and record the same bytes and digest in the
    emulator's ECR (`ecr:PutImage` with `imageDigest`: moto would otherwise compute a wrong digest)."""
    pushed = pusher.manifest(repository, document, tag)
    request: dict[str, Any] = {
        "repositoryName": repository,
        "imageManifest": pushed.manifest.decode(),
        "imageManifestMediaType": pushed.media_type,
        "imageDigest": pushed.digest,
    }
    if tag:
        request["imageTag"] = tag
    ecr.put_image(**request)
    return pushed


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
