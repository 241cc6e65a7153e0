"""The emulator's request log (werkzeug's line per request), written without ever holding up a request.

werkzeug writes each line from the thread that serves the request, to stderr. When the emulator runs as
a subprocess whose stderr is a pipe its parent does not read (or reads too slowly), the pipe's buffer
fills after some 800 requests, the write blocks, the request never completes, and every later request
waits on the logging lock: the emulator stalls. Here a request only puts its line on a bounded queue,
and one writer thread writes the lines out. While the queue is full (the reader is not keeping up) a
line is counted instead of queued, and the writer says how many it skipped before its next line: a
request never waits for the log's reader. `--request-log FILE` keeps the whole log in a file instead.
"""

from __future__ import annotations

import logging
import queue
import sys
import threading
from typing import TextIO

LOGGER = "werkzeug"
CAPACITY = 10_000
"""Lines held for a slow reader (about 1 MB)."""


class RequestLog(logging.Handler):
    """A logging handler whose `emit` never blocks; it writes to `stream` (default: `sys.stderr` as it
    is now, like `logging.StreamHandler`)."""

    def __init__(self, stream: TextIO | None = None, capacity: int = CAPACITY) -> None:
        super().__init__()
        self._stream = stream or sys.stderr
        self._lines: queue.Queue[str] = queue.Queue(capacity)
        self._skipped = 0
        self._lock = threading.Lock()
        threading.Thread(target=self._write_lines, name="emulator-request-log", daemon=True).start()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:  # logging's own contract: a bad record is reported, not raised
            self.handleError(record)
            return
        try:
            self._lines.put_nowait(line)
        except queue.Full:
            with self._lock:
                self._skipped += 1

    def _write_lines(self) -> None:
        while True:
            line = self._lines.get()
            with self._lock:
                skipped, self._skipped = self._skipped, 0
            try:
                if skipped:
                    self._stream.write(f"[request log: {skipped} lines skipped, the output was not read fast enough]\n")
                self._stream.write(line + "\n")
                self._stream.flush()
            except (OSError, ValueError):  # the reader went away, or the stream was closed
                continue


def install(stream: TextIO | None = None) -> RequestLog:
    """Route werkzeug's request log through a `RequestLog` (once per process: later calls return it)."""
    logger = logging.getLogger(LOGGER)
    for handler in logger.handlers:
        if isinstance(handler, RequestLog):
            return handler
    handler = RequestLog(stream)
    logger.addHandler(handler)
    logger.propagate = False
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)  # what werkzeug sets when it installs its own handler
    return handler
