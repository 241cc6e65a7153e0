"""The emulator as an HTTP server: moto's ThreadedMotoServer with the extensions installed.

Its request log never holds up a request (`request_log`): a process that starts the emulator need not
read its output, nor keep up with it.
"""

from __future__ import annotations

import json
import socket
import time
import urllib.request
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from moto.moto_server.threaded_moto_server import ThreadedMotoServer

from . import install, request_log
from .codeartifact_seed import SEED_PATH
from .ec2_image_scans import SCAN_RESULTS_PATH
from .ecr_scans import SCANS_PATH
from .faults import FAULTS_PATH
from .request_counts import COUNTS_PATH


class EmulatorServer:
    """Runs on 127.0.0.1; ``port=0`` picks a free port. Use as a context manager or start()/stop()."""

    def __init__(self, port: int = 0) -> None:
        self._port = port
        self._server: ThreadedMotoServer | None = None
        self._url: str | None = None

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("EmulatorServer is not running; call start() first")
        return self._url

    def start(self) -> None:
        if self._server is not None:
            return
        install()
        request_log.install()
        if self._port:
            _check_port_free(self._port)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=self._port, verbose=False)
        server.start()
        _, port = server.get_host_and_port()
        self._server = server
        self._url = f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
        self._server = None
        self._url = None

    def reset(self) -> None:
        """Forget every resource (moto's reset) and every pending fault."""
        self._request("POST", "/moto-api/reset")
        self._request("DELETE", FAULTS_PATH)

    def inject_faults(
        self,
        service: str,
        operation: str,
        error_code: str,
        count: int = 1,
        *,
        status: int | None = None,
        message: str | None = None,
    ) -> None:
        """:func:`provenance_guard_cli.emulator.faults.inject_faults`, over HTTP."""
        spec = {"service": service, "operation": operation, "error_code": error_code, "count": count}
        spec.update({key: value for key, value in (("status", status), ("message", message)) if value is not None})
        self._request("POST", FAULTS_PATH, spec)

    def request_counts(self, *, reset: bool = False) -> dict[str, int]:
        """:func:`provenance_guard_cli.emulator.request_counts.counts` over HTTP (``reset``: and zero them)."""
        found: dict[str, int] = self._request("DELETE" if reset else "GET", COUNTS_PATH)["requests"]
        return found

    def plan_scan(self, repository: str, digest: str, **plan: Any) -> None:
        """:func:`provenance_guard_cli.emulator.ecr_scans.plan_scan`, over HTTP (``vulnerabilities``,
        ``status``, ``description``, ``pushedAt`` ISO-8601, ``region``, ``account``)."""
        self._request("POST", SCANS_PATH, {"repositoryName": repository, "imageDigest": digest, **plan})

    def set_image_scan_results(
        self,
        image_id: str,
        scan_results: Mapping[str, Any] | None,
        *,
        region: str = "us-east-1",
        account: str | None = None,
    ) -> None:
        """:func:`provenance_guard_cli.emulator.ec2_image_scans.set_scan_results`, over HTTP: the AMI's
        ``ScanResults`` by their AWS member names (datetimes or ISO-8601 strings), ``None`` for never scanned."""
        results = (
            None
            if scan_results is None
            else {k: v.isoformat() if isinstance(v, datetime) else v for k, v in scan_results.items()}
        )
        spec: dict[str, Any] = {"imageId": image_id, "region": region, "scanResults": results}
        if account is not None:
            spec["account"] = account
        self._request("POST", SCAN_RESULTS_PATH, spec)

    def seed_package_version(
        self, domain: str, repository: str, package_format: str, package: str, version: str, **fields: Any
    ) -> dict[str, Any]:
        """:func:`provenance_guard_cli.emulator.codeartifact_seed.seed_package_version`, over HTTP (``namespace``,
        ``status``, ``origin`` as a PackageVersionOrigin, ``publishedTime`` ISO-8601, ``region``, ``account``).
        A rejected version raises ``urllib.error.HTTPError`` (409 when origin controls block it)."""
        spec = {"domain": domain, "repository": repository, "format": package_format, "package": package}
        seeded: dict[str, Any] = self._request("POST", SEED_PATH, {**spec, "version": version, **fields})
        return seeded

    def _request(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        data = json.dumps(payload).encode() if payload is not None else b""
        request = urllib.request.Request(
            self.url + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")

    def __enter__(self) -> EmulatorServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _check_port_free(port: int) -> None:
    """ThreadedMotoServer.start() would wait forever if its thread cannot bind; fail fast instead."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as error:
            raise OSError(error.errno, f"port {port} on 127.0.0.1 is not available: {error.strerror}") from error


def serve_forever(port: int, request_log_file: Path | None = None) -> None:
    """Run the emulator on 127.0.0.1:``port`` until interrupted (Ctrl+C); the request log goes to
    ``request_log_file`` (appended) or stderr."""
    log = request_log_file.open("a", encoding="utf-8", buffering=1) if request_log_file else None
    request_log.install(log)
    with EmulatorServer(port) as server:
        print(f"provenance-guard emulator listening on {server.url}", flush=True)
        print(f"  export AWS_ENDPOINT_URL={server.url}", flush=True)
        print("  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1")
        print(f"Fault injection: POST {server.url}{FAULTS_PATH}. Press Ctrl+C to stop.", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            print("provenance-guard emulator stopped", flush=True)
