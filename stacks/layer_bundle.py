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
import tempfile
import time
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
    if not dependencies.exists():
        _install_dependencies(requirements, dependencies, PLATFORMS[architecture])
    # Assembled in a fresh directory per synth, so concurrent synths never see a half-built layer;
    # CDK hashes the content, so the directory's name does not matter.
    assets = root / "build" / "layer-assets"
    assets.mkdir(parents=True, exist_ok=True)
    asset = Path(tempfile.mkdtemp(prefix=f"{architecture}-", dir=assets))
    shutil.copytree(dependencies / "python", asset / "python", ignore=IGNORE)
    package = root / "layers" / "provenance_guard" / "python" / "provenance_guard"
    shutil.copytree(package, asset / "python" / "provenance_guard", ignore=IGNORE)
    _remove_stale(assets, keep=asset)
    return asset


def _remove_stale(assets: Path, keep: Path, max_age_seconds: float = 3600) -> None:
    """Drop layer directories of earlier synths (an hour old: no synth still reads them)."""
    now = time.time()
    for old in assets.iterdir():
        if old != keep and now - old.stat().st_mtime > max_age_seconds:
            shutil.rmtree(old, ignore_errors=True)


def _install_dependencies(requirements: Path, destination: Path, platform: str) -> None:
    """Install into a scratch directory, then rename it into place: a reader never sees half of it."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="installing-", dir=destination.parent))
    target = scratch / "python"
    command = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        "--require-hashes", "--no-deps", "--only-binary=:all:",
        "--platform", platform, "--python-version", PYTHON_VERSION, "--implementation", "cp",
        "--target", str(target), "-r", str(requirements),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        shutil.rmtree(scratch, ignore_errors=True)
        raise LayerBuildError(f"pip could not build the layer dependencies:\n{result.stderr[-4000:]}")
    try:
        scratch.rename(destination)
    except OSError:  # another synth finished the same install first
        shutil.rmtree(scratch, ignore_errors=True)
