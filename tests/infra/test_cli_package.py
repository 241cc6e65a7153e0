"""The command line installs on its own: the built wheels (the CLI and the layer package it imports) go
into a fresh virtualenv with nothing else, pip resolves their declared dependencies from the package
index, and `controls` and `evaluate --help` run from there (outside the checkout)."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

import pytest

from provenance_guard_cli.routes import PROJECT_ROOT

pytestmark = pytest.mark.infra


def run(*command: str | Path, cwd: Path) -> str:
    result = subprocess.run([str(c) for c in command], cwd=cwd, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"{command}: {result.stdout[-2000:]}\n{result.stderr[-4000:]}"
    return result.stdout


def test_the_built_cli_installs_into_a_fresh_virtualenv_and_runs(tmp_path: Path) -> None:
    wheels = tmp_path / "dist"
    for project in (PROJECT_ROOT, PROJECT_ROOT / "layers" / "provenance_guard"):
        run(
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            wheels,
            project,
            cwd=tmp_path,
        )
    [cli] = wheels.glob("provenance_guard-*.whl")
    env = tmp_path / "venv"
    venv.create(env, with_pip=True)
    python = env / "bin" / "python"
    run(python, "-m", "pip", "install", "--quiet", "--find-links", wheels, cli, cwd=tmp_path)

    listed = run(env / "bin" / "provenance-guard", "controls", "--framework", "cis-v8", cwd=tmp_path)
    assert "Allowlist Authorized Software" in listed
    assert "PG.ECR.3" in listed
    assert "--fail-on SEVERITY" in run(env / "bin" / "provenance-guard", "evaluate", "--help", cwd=tmp_path)
    licence = run(
        python,
        "-c",
        "import importlib.metadata as m; print(m.metadata('provenance-guard')['License-Expression'])",
        cwd=tmp_path,
    )
    assert licence.strip() == "Apache-2.0"
