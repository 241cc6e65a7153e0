"""The `evaluate` output formats, each a writer fed page by page: `add(findings)` as pages arrive and
`close(tally)` at the end (the summary is only known then). Without `--output-dir` the one format goes to
stdout; with it, each format goes to its own file in the directory."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

from provenance_guard.asff import to_asff
from provenance_guard.findings import Finding
from provenance_guard_cli.output.formats import FORMAT_NAMES, FORMATS
from provenance_guard_cli.report import Row, Tally, row


class Writer(Protocol):
    def add(self, findings: list[Finding]) -> None: ...

    def close(self, tally: Tally) -> None: ...


FILE_TABLE_WIDTH = 200


class TableWriter:
    """Keeps a light row per finding (the table is sorted, so it is printed at the end)."""

    def __init__(self, out: IO[str], width: int | None = None) -> None:
        self._out = out
        self._width = width
        self.rows: list[Row] = []

    def add(self, findings: list[Finding]) -> None:
        self.rows.extend(row(f) for f in findings)

    def close(self, tally: Tally) -> None:
        from provenance_guard_cli.output.terminal import console, findings_table, show

        screen = console(self._out, self._width)
        show(screen, findings_table(self.rows, screen.width))
        screen.file.write(_summary_line(tally) + "\n")


class AsffWriter:
    def __init__(self, out: IO[str]) -> None:
        self._out = out
        self._first = True
        out.write("[")

    def add(self, findings: list[Finding]) -> None:
        for finding in findings:
            self._out.write(("\n" if self._first else ",\n") + json.dumps(to_asff(finding)))
            self._first = False

    def close(self, tally: Tally) -> None:
        self._out.write("]\n" if self._first else "\n]\n")


def _summary_line(tally: Tally) -> str:
    counts = ", ".join(f"{tally.by_status.get(s, 0)} {s}" for s in ("FAILED", "NOT_AVAILABLE", "PASSED"))
    extra = f", {tally.exempted} of the FAILED exempted" if tally.exempted else ""
    return f"\n{tally.total} results on {len(tally.resources)} resources: {counts}{extra}"


def make_writer(name: str, out: IO[str], tally: Tally, product_version: str, width: int | None = None) -> Writer:
    if name == "table":
        return TableWriter(out, width)
    if name == "json":
        from provenance_guard_cli.output.document import JsonWriter

        return JsonWriter(out, tally)
    if name == "csv":
        from provenance_guard_cli.output.tabular import CsvWriter

        return CsvWriter(out, tally)
    if name == "ocsf":
        from provenance_guard_cli.output.ocsf import OcsfWriter

        return OcsfWriter(out, tally, product_version)
    if name == "html":
        from provenance_guard_cli.output.html_report import HtmlWriter

        return HtmlWriter(out, tally)
    if name == "asff":
        return AsffWriter(out)
    raise ValueError(f"unknown output format {name!r}: use {', '.join(FORMAT_NAMES)}")


@dataclass
class Outputs:
    writers: list[Writer]
    paths: list[Path]

    def add(self, findings: list[Finding]) -> None:
        for writer in self.writers:
            writer.add(findings)

    def close(self, tally: Tally) -> None:
        for writer in self.writers:
            writer.close(tally)


@contextmanager
def open_outputs(
    formats: Sequence[str], output_dir: Path | None, stdout: IO[str], tally: Tally, product_version: str
) -> Iterator[Outputs]:
    """The writers for `formats`: to `stdout` (one format), or one file each in `output_dir`."""
    names = list(dict.fromkeys(formats))
    if output_dir is None and len(names) > 1:
        raise ValueError(f"{len(names)} output formats need --output-dir DIR (one file per format)")
    with ExitStack() as files:
        if output_dir is None:
            yield Outputs([make_writer(names[0], stdout, tally, product_version)], [])
            return
        output_dir.mkdir(parents=True, exist_ok=True)
        by_name = {f.name: f for f in FORMATS}
        writers, paths = [], []
        for name in names:
            if name not in by_name:
                raise ValueError(f"unknown output format {name!r}: use {', '.join(FORMAT_NAMES)}")
            path = output_dir / by_name[name].file_name
            out = files.enter_context(path.open("w", encoding="utf-8", newline=""))
            writers.append(make_writer(name, out, tally, product_version, FILE_TABLE_WIDTH))
            paths.append(path)
        yield Outputs(writers, paths)
