"""The emulator's request log never holds up a request, whoever reads (or does not read) its output."""

from __future__ import annotations

import logging
import os
import select
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from provenance_guard_cli.emulator.faults import FAULTS_PATH
from provenance_guard_cli.emulator.request_log import RequestLog

PIPE_BUFFER_LINES = 800
"""About what a Linux pipe (64 KB) holds of werkzeug's request lines (~80 bytes each)."""


def record(message: str) -> logging.LogRecord:
    return logging.LogRecord("werkzeug", logging.INFO, __file__, 1, message, None, None)


def test_a_reader_that_never_reads_holds_up_no_line_and_learns_how_many_were_skipped() -> None:
    read_end, write_end = os.pipe()
    stream = os.fdopen(write_end, "w", encoding="utf-8")
    handler = RequestLog(stream, capacity=10)
    lines = 5 * PIPE_BUFFER_LINES

    started = time.monotonic()
    for number in range(lines):
        handler.emit(record(f'127.0.0.1 - - "GET /moto-api/ HTTP/1.1" 200 - request {number:05d}'))
    assert time.monotonic() - started < 5  # a blocking write would never return

    written = _read_until(read_end, b"lines skipped")
    skipped = int(written.split(b"[request log: ")[1].split(b" ")[0])
    assert skipped > 0
    assert written.count(b"request ") + skipped <= lines
    os.close(read_end)


@contextmanager
def emulator_process(*arguments: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`provenance-guard emulator` as a tool starts it: its own process, stdout and stderr pipes that the
    test never reads."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "provenance_guard_cli.main", "emulator", "--port", str(port), *arguments]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(url + FAULTS_PATH, timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"the emulator did not start on {url}")
        yield url, process
    finally:
        process.terminate()
        process.communicate(timeout=30)


@pytest.mark.timeout(180)
def test_the_emulator_serves_on_when_its_output_is_never_read() -> None:
    requests = 3 * PIPE_BUFFER_LINES  # werkzeug writing to the pipe itself stalled after ~860 (issue 20)
    with emulator_process() as (url, _):
        for _ in range(requests):
            with urllib.request.urlopen(url + FAULTS_PATH, timeout=10) as response:
                assert response.status == 200


@pytest.mark.timeout(120)
def test_the_request_log_can_go_to_a_file(tmp_path: Path) -> None:
    log = tmp_path / "requests.log"
    with emulator_process("--request-log", str(log)) as (url, _):
        for _ in range(5):
            urllib.request.urlopen(url + FAULTS_PATH, timeout=10).read()
        deadline = time.monotonic() + 10
        while log.read_text().count(FAULTS_PATH) < 6 and time.monotonic() < deadline:  # the writer is a thread
            time.sleep(0.05)
    assert log.read_text().count(f"GET {FAULTS_PATH} HTTP/1.1") >= 6  # the start-up probe and the five


def _read_until(fd: int, marker: bytes, seconds: float = 10) -> bytes:
    """What the pipe's writer wrote until `marker` appears (it can only appear once the pipe is read)."""
    data = b""
    deadline = time.monotonic() + seconds
    while marker not in data and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            data += os.read(fd, 65536)
    assert marker in data, data[-500:]
    return data
