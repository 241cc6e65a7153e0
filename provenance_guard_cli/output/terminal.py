"""The terminal, with rich: tables that fit the terminal's width (long values wrap, the reason is never
cut), a progress bar that covers the inventory as well as the evaluation, and log lines printed above the
bar instead of through it. rich is a dependency of the command line only; the Lambda layer never imports
this module."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import IO

from rich.console import Console
from rich.logging import RichHandler
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from provenance_guard_cli.report import Row, short_resource

STATUS_STYLE = {"FAILED": "bold red", "NOT_AVAILABLE": "yellow", "PASSED": "green"}
SEVERITY_STYLE = {"CRITICAL": "bold red", "HIGH": "red", "MEDIUM": "yellow", "LOW": "cyan", "INFORMATIONAL": "dim"}


def console(file: IO[str] | None = None, width: int | None = None) -> Console:
    """A console on `file` (stdout by default): the terminal's width, or `width`; colour only on a terminal.
    `highlight=False`: ARNs and ids are shown as they are, not re-coloured by guesswork."""
    return Console(file=file, width=width, highlight=False, soft_wrap=False)


def show(screen: Console, renderable: Table) -> None:
    """Print `renderable`; to a file or a pipe without the trailing padding rich adds to fill each line."""
    if screen.is_terminal:
        screen.print(renderable)
        return
    with screen.capture() as captured:
        screen.print(renderable)
    screen.file.write("\n".join(line.rstrip() for line in captured.get().splitlines()) + "\n")


NARROW = 120
"""Below this width the resource is the first line of the reason's cell, so the reason keeps the room."""


def findings_table(rows: Sequence[Row], width: int) -> Table:
    """Failures first, most severe first; archived results last. The resource and the reason wrap (folding
    a value longer than the column, such as an ARN), so nothing is cut at any width; on a terminal narrower
    than `NARROW` columns the resource moves into the reason's cell."""
    narrow = width < NARROW
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold", expand=False)
    table.add_column("CONTROL", no_wrap=True)
    table.add_column("STATUS", min_width=6)
    table.add_column("SEVERITY", no_wrap=True)
    if not narrow:
        table.add_column("RESOURCE", overflow="fold", ratio=2, min_width=12)
    table.add_column("RESOURCE / WHY" if narrow else "WHY", overflow="fold", ratio=3, min_width=16)
    for shown in sorted(rows, key=Row.sort_key):
        status = shown.status_text
        style = "dim" if shown.exempted or not shown.active else STATUS_STYLE.get(shown.status.value, "")
        cells: list[str | Text] = [
            shown.control_id,
            Text(status.replace(" (", "\n("), style=style),
            Text(shown.severity.value, style=SEVERITY_STYLE.get(shown.severity.value, "")),
        ]
        resource = short_resource(shown.resource)
        if narrow:
            cells.append(Text(resource, style="bold") + Text("\n" + shown.why))
        else:
            cells += [resource, shown.why]
        table.add_row(*cells)
    return table


def plain_table(headers: Sequence[str], rows: Sequence[Sequence[str]], wrap: Sequence[str] = ()) -> Table:
    """A table of strings; the columns named in `wrap` share the width left and fold long values."""
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    for header in headers:
        if header in wrap:
            table.add_column(header, overflow="fold", ratio=1)
        else:
            table.add_column(header, no_wrap=True)
    for cells in rows:
        table.add_row(*cells)
    return table


class LiveProgress:
    """Resources found by the inventory and resources evaluated, as one bar whose total grows while the
    inventory is still paging (the inventory's own line shows it is not done)."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._inventory = progress.add_task("inventory", total=None)
        self._evaluated = progress.add_task("evaluated", total=0)
        self._found = 0

    def found(self, count: int) -> None:
        self._found += count
        self._progress.update(self._inventory, completed=self._found, description=f"inventory: {self._found} found")
        self._progress.update(self._evaluated, total=self._found)

    def inventory_done(self) -> None:
        done = f"inventory: {self._found} resources"
        self._progress.update(self._inventory, total=self._found, completed=self._found, description=done)

    def evaluated(self, count: int) -> None:
        self._progress.advance(self._evaluated, count)


@contextmanager
def progress_bar(err: Console, enabled: bool) -> Iterator[LiveProgress | None]:
    """A progress bar on `err` while the block runs (when `enabled`, on a terminal), with every log record
    printed above it through rich's handler; without a bar, log records still go to `err`, one a line."""
    with routed_logging(err):
        if not enabled:
            yield None
            return
        columns = (
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=err, transient=True) as progress:
            yield LiveProgress(progress)


@contextmanager
def routed_logging(err: Console) -> Iterator[None]:
    """The root logger writes through rich's handler on `err` for the block (WARNING and above, as Python's
    own last-resort handler would), so a live progress bar is redrawn below each line instead of broken."""
    root = logging.getLogger()
    handler = RichHandler(console=err, show_time=False, show_path=False, markup=False, rich_tracebacks=False)
    handler.setLevel(logging.WARNING)
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
