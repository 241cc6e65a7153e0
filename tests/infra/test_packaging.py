"""The CLI package on its own: the wheel built from pyproject.toml, installed into a fresh virtualenv.

No network: the wheel is built with the dev virtualenv's setuptools (`--no-build-isolation`) and installed
with `--no-deps`; its declared dependencies come from the dev virtualenv's site-packages through a `.pth`
line (the editable installs' finders there are not loaded: a `.pth` path is not a site directory). So the
test proves three things the locked set alone cannot: the wheel carries the code and the layer's data
files; what the installed CLI imports for `--version` and `controls` is declared (every third-party module
it loaded belongs to a declared distribution or one of their dependencies); and the locked set satisfies
every declared requirement.
"""

from __future__ import annotations

import ast
import importlib.metadata
import json
import subprocess
import sys
import sysconfig
import textwrap
import tomllib
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from tests.infra.support import PROJECT_ROOT

pytestmark = pytest.mark.infra

PYPROJECT = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
WHEEL_FLAGS = ("--quiet", "--no-deps", "--no-build-isolation")
LAYER_DATA = ("py.typed", "data/lambda_runtimes.json", "data/aws-signer-notation-root.pem")

EMULATOR_EXTRA = (
    "provenance_guard.runtime",  # the Lambda entry point (Powertools), bundled in the layer
    "provenance_guard_cli.emulator",
    "provenance_guard_cli.demo",
    "provenance_guard_cli.sample_containers",
    "provenance_guard_cli.sample_lambda",
    "provenance_guard_cli.sample_packages",
)
"""Modules that need the `emulator` extra (moto, Powertools); every other module must import with the
declared dependencies alone."""

AUDIT = textwrap.dedent(
    """
    import contextlib, importlib, importlib.metadata as md, io, json, pkgutil, sys
    import provenance_guard, provenance_guard_cli
    from provenance_guard_cli.main import main

    extra = tuple(sys.argv[1:])
    with contextlib.redirect_stdout(io.StringIO()):
        code = main(["controls", "--json"])
    for package in (provenance_guard, provenance_guard_cli):
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if not module.name.startswith(extra):
                importlib.import_module(module.name)
    files = {name: getattr(module, "__file__", None) or "" for name, module in list(sys.modules.items())}
    print(json.dumps({"code": code, "files": files, "owners": md.packages_distributions()}))
    """
)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with the wheel (and nothing else of the project) installed; its bin/ directory."""
    root = tmp_path_factory.mktemp("packaging")
    dist = root / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", *WHEEL_FLAGS, "-w", str(dist), str(PROJECT_ROOT)],
        check=True,
    )
    (wheel,) = dist.glob("provenance_guard-*.whl")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", str(wheel)],
        check=True,
    )
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    (Path(site) / "dev_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv / "bin"


def run(bin_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(bin_dir / args[0]), *args[1:]], capture_output=True, text=True, check=False, cwd=bin_dir, timeout=120
    )


def test_the_wheel_carries_the_cli_the_layer_and_its_data_files(installed):
    (wheel,) = (installed.parent.parent / "dist").glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "provenance_guard_cli/main.py" in names
    assert "provenance_guard/controls/__init__.py" in names
    for data in LAYER_DATA:
        assert f"provenance_guard/{data}" in names, data
    assert any(name.endswith("/licenses/LICENSE") for name in names)


def test_the_installed_cli_prints_its_version(installed):
    result = run(installed, "provenance-guard", "--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"provenance-guard {PYPROJECT['version']}"


def test_the_installed_cli_lists_the_controls(installed):
    result = run(installed, "provenance-guard", "controls")
    assert result.returncode == 0, result.stderr
    assert "PG.AMI.1" in result.stdout


def test_the_installed_package_imports_only_declared_dependencies(installed):
    """Every module of the wheel but the emulator extra's, imported from the fresh virtualenv."""
    result = run(installed, "python", "-c", AUDIT, *EMULATOR_EXTRA)
    assert result.returncode == 0, result.stderr
    audit = json.loads(result.stdout)
    assert audit["code"] == 0
    venv = str(installed.parent)
    for package in ("provenance_guard", "provenance_guard_cli"):
        assert audit["files"][package].startswith(venv), f"{package} came from {audit['files'][package]}"
    dev_site = sysconfig.get_paths()["purelib"]
    third_party = {name.split(".")[0] for name, path in audit["files"].items() if path.startswith(dev_site + "/")}
    used = {dist for module in third_party for dist in audit["owners"].get(module, [module])}
    assert "cryptography" in used, "the audit sees the package's third-party imports"
    undeclared = used - declared_closure() - set(OPTIONAL_OF_DECLARED)
    assert not undeclared, f"imported but not declared: {undeclared}"


OPTIONAL_OF_DECLARED = {
    "certifi": "botocore.httpsession imports it when it is installed (try/except ImportError), for its CA bundle",
}
"""Distributions a declared dependency imports only when they happen to be installed."""
LAZY_UNDECLARED = {
    "aws_cdk": "provenance_guard_cli.routes: `replay` synthesizes the stack, from a checkout only",
    "aws_lambda_powertools": "provenance_guard.policy_source: the SSM policy, read in Lambda only",
}
"""Imports inside functions of non-extra modules that the CLI's own verbs never reach on an installed package."""


def test_every_import_in_the_wheel_is_declared_or_known(installed):
    """Statically, lazy imports included: every third-party name any module imports is a declared
    distribution (or a dependency of one), the emulator extra's, or listed in LAZY_UNDECLARED."""
    (wheel,) = (installed.parent.parent / "dist").glob("*.whl")
    first_party = {"provenance_guard", "provenance_guard_cli", "stacks"}
    owners = importlib.metadata.packages_distributions()
    extra = {_normalized(Requirement(line).name) for line in PYPROJECT["optional-dependencies"]["emulator"]}
    undeclared: dict[str, str] = {}
    with zipfile.ZipFile(wheel) as archive:
        for name in archive.namelist():
            module = name.removesuffix(".py").replace("/", ".").removesuffix(".__init__")
            if not name.endswith(".py") or name.startswith("stacks/"):
                continue
            for imported in _imported_names(archive.read(name)):
                if imported in sys.stdlib_module_names or imported in first_party or imported in LAZY_UNDECLARED:
                    continue
                dists = {_normalized(d) for d in owners.get(imported, [imported])}
                allowed = declared_closure() | (extra if module.startswith(EMULATOR_EXTRA) else set())
                if not dists & allowed:
                    undeclared[f"{module}: {imported}"] = ", ".join(sorted(dists))
    assert undeclared == {}


def _imported_names(source: bytes) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_the_locked_set_satisfies_every_declared_requirement():
    for line in [*PYPROJECT["dependencies"], *PYPROJECT["optional-dependencies"]["emulator"]]:
        requirement = Requirement(line)
        installed_version = importlib.metadata.version(requirement.name)
        assert requirement.specifier.contains(installed_version, prereleases=True), (line, installed_version)


def declared_closure() -> set[str]:
    """The declared distributions and everything they require (as installed), by normalized name."""
    pending = [Requirement(line).name for line in PYPROJECT["dependencies"]]
    seen: set[str] = set()
    while pending:
        name = _normalized(pending.pop())
        if name in seen:
            continue
        seen.add(name)
        for line in importlib.metadata.requires(name) or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                pending.append(requirement.name)
    return seen


def _normalized(name: str) -> str:
    return name.lower().replace("_", "-")
