"""The names of the `evaluate` output formats and the file each is written to with `--output-dir`
(no imports: the argument parser reads them)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Format:
    name: str
    file_name: str
    description: str


FORMATS = (
    Format("table", "findings.txt", "a table for people (the terminal's width; 200 columns in a file)"),
    Format("json", "findings.json", "one JSON document with a summary (docs/schemas/evaluate-output.schema.json)"),
    Format("csv", "findings.csv", "one row per finding"),
    Format("ocsf", "findings.ocsf.json", "OCSF 1.8.0 Compliance Finding events (class_uid 2003)"),
    Format("html", "findings.html", "one self-contained page to open in a browser"),
    Format("asff", "findings.asff.json", "the findings as Security Hub receives them (BatchImportFindings)"),
)
FORMAT_NAMES = tuple(f.name for f in FORMATS)
