"""The policy the end-to-end slices run with: the demo policy without its remediation section, so what a
slice pushes or changes is judged and nothing fixes it behind its back (the demo itself runs with it)."""

from __future__ import annotations

from typing import Any

import yaml

from provenance_guard_cli.sample_account import DEMO_POLICY


def slice_document() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(DEMO_POLICY.read_text())
    document.pop("remediation", None)
    return document
