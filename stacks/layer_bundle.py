"""Assembles the Lambda layer's content: first-party `provenance_guard` + pinned third-party wheels.

Third-party packages are installed for the Lambda platform with pip's `--platform --only-binary`
(no Docker) from `requirements/layer.txt`, hash-checked, and cached under `build/` by the hash of
that file, so only the first synth after a dependency change downloads anything.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

PYTHON_VERSION = "3.14"
PLATFORMS = {"arm64": "manylinux2014_aarch64", "x86_64": "manylinux2014_x86_64"}
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")


class LayerBuildError(RuntimeError):
    """pip could not install the layer's third-party dependencies."""


def build_layer(root: Path, architecture: str = "arm64") -> Path:
    """The directory to use as the layer asset (it contains `python/`)."""
    requirements = root / "requirements" / "layer.txt"
    digest = hashlib.sha256(requirements.read_bytes() + f"{architecture}{PYTHON_VERSION}".encode()).hexdigest()[:16]
    dependencies = root / "build" / "layer-deps" / digest
    if not (dependencies / ".complete").exists():
        _install_dependencies(requirements, dependencies / "python", PLATFORMS[architecture])
        (dependencies / ".complete").touch()
    asset = root / "build" / f"layer-{architecture}"
    if asset.exists():
        shutil.rmtree(asset)
    shutil.copytree(dependencies / "python", asset / "python", ignore=IGNORE)
    package = root / "layers" / "provenance_guard" / "python" / "provenance_guard"
    shutil.copytree(package, asset / "python" / "provenance_guard", ignore=IGNORE)
    return asset


def _install_dependencies(requirements: Path, target: Path, platform: str) -> None:
    if target.exists():
        shutil.rmtree(target)
    command = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        "--require-hashes", "--no-deps", "--only-binary=:all:",
        "--platform", platform, "--python-version", PYTHON_VERSION, "--implementation", "cp",
        "--target", str(target), "-r", str(requirements),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise LayerBuildError(f"pip could not build the layer dependencies:\n{result.stderr[-4000:]}")
