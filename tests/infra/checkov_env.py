"""checkov's own virtualenv, made on demand from `requirements/checkov.txt` (hash-pinned).

checkov 3.3 cannot share the dev virtualenv: it pins boto3==1.35.49 and packaging<24 (the dev set has boto3
1.44 for moto 5.2, and pytest 9 needs packaging>=24; `uv pip compile` finds no solution). So it lives in
`build/checkov/`, rebuilt whenever the requirements file changes (a stamp holds the file's digest). The first
run installs ~100 packages from PyPI (about a minute); later runs reuse it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.infra.support import PROJECT_ROOT

REQUIREMENTS = PROJECT_ROOT / "requirements" / "checkov.txt"
VENV = PROJECT_ROOT / "build" / "checkov"
STAMP = VENV / ".requirements-sha256"
PIP_FLAGS = ("--require-hashes", "--no-deps", "-r", str(REQUIREMENTS))
CHECKOV_FLAGS = ("--framework", "cloudformation", "--output", "json", "--compact", "--skip-download")
"""--skip-download: no call to the vendor's platform (guidelines, severities); the checks are all local."""


def checkov_executable() -> Path:
    """The checkov of `build/checkov/`, installing it first when missing or out of date."""
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    checkov = VENV / "bin" / "checkov"
    if checkov.exists() and STAMP.exists() and STAMP.read_text() == digest:
        return checkov
    # Built in place (a venv's scripts name their interpreter by absolute path); the stamp is written last,
    # so an interrupted install is rebuilt next time.
    shutil.rmtree(VENV, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run(
        [str(VENV / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *PIP_FLAGS],
        check=True,
    )
    STAMP.write_text(digest)
    return checkov


def run_checkov(template: Path) -> dict[str, Any]:
    """checkov's CloudFormation checks on one template: its JSON report (summary, results)."""
    completed = subprocess.run(
        [str(checkov_executable()), "--file", str(template), *CHECKOV_FLAGS],
        capture_output=True,
        text=True,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE"},
        check=False,
    )
    if completed.returncode not in (0, 1):  # 1: some check failed
        raise RuntimeError(f"checkov exited {completed.returncode}: {completed.stderr[-2000:]}")
    report = json.loads(completed.stdout)
    if isinstance(report, list):  # one entry per framework
        (report,) = [r for r in report if r.get("check_type") == "cloudformation"]
    assert isinstance(report, dict), report
    return report
