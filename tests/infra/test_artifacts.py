"""The deployable artifacts: the staged layer and function assets the template points at.

Assets are found through the cloud assembly (template S3Key -> <stack>.assets.json -> staged dir in
the session's outdir), so these tests check exactly what `cdk deploy` would upload.

The import check runs each handler in a fresh interpreter laid out as Lambda does (function code
in the task root, the layer's python/ on the path). Only what the Lambda Python runtime itself
provides (boto3 and its dependencies) may come from this machine's site-packages; anything else must
be in the layer, so a dependency missing from requirements/layer.txt fails here rather than in AWS.

On wrapt: the layer's wrapt is built for aarch64 / CPython 3.14, so its C extension
(`_wrappers.cpython-314-aarch64-linux-gnu.so`) cannot load on this x86_64 CPython 3.11. wrapt then
falls back to its pure-Python implementation, so the import still exercises the layer's
wrapt -> aws_xray_sdk -> Powertools Tracer chain (Tracer is enabled by LAMBDA_TASK_ROOT, as in AWS;
the handler builds it on its first invocation, so the probe builds it as that invocation would).
The check therefore imports the full runtime; it does not need restricting.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from stacks.triggers import FUNCTIONS, FunctionSpec
from tests.infra.support import LAYER, Synth

pytestmark = pytest.mark.infra

FORBIDDEN_IN_LAYER = {"provenance_guard_cli", "moto", "yaml", "_yaml", "stacks", "tests"}
"""Dev and CLI code stays out."""
LAMBDA_RUNTIME_PACKAGES = ["boto3", "botocore", "s3transfer", "jmespath", "urllib3", "dateutil", "six"]
"""What the Lambda Python runtime ships besides the standard library (the AWS SDK and its deps)."""
LAYER_MODULES = ["provenance_guard", "aws_lambda_powertools", "aws_xray_sdk", "wrapt"]

PROBE = """
import importlib, importlib.abc, importlib.machinery, json, pkgutil, sys

RUNTIME = set(json.loads(sys.argv[1]))
SITE = [p for p in sys.path if p.rstrip("/").endswith("site-packages")]


class OnlyTheLambdaRuntime(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if path is not None or name in RUNTIME:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name)
        if spec is not None and spec.origin and any(spec.origin.startswith(s) for s in SITE):
            raise ImportError(f"{name} is neither in the layer nor in the Lambda runtime ({spec.origin})")
        return None


sys.meta_path.insert(0, OnlyTheLambdaRuntime())
import handler
import provenance_guard.runtime
import provenance_guard
import provenance_guard.tracing

provenance_guard.tracing.tracer()  # what the first traced invocation builds (the X-Ray SDK, wrapt)

import platform

for module in pkgutil.walk_packages(provenance_guard.__path__, "provenance_guard."):
    try:
        importlib.import_module(module.name)
    except ImportError as error:
        # The layer is built for arm64: its native code (cryptography's Rust extension, used only by
        # the signature verifier) cannot load on another machine. Everything else must import.
        native = "_rust.abi3.so" in str(error) or "_cffi_backend" in str(error)
        if not (native and module.name.startswith("provenance_guard.signatures.") and platform.machine() != "aarch64"):
            raise
assert callable(handler.lambda_handler)
print(json.dumps({name: getattr(sys.modules.get(name), "__file__", None) for name in json.loads(sys.argv[2])}))
"""


def staged_asset(synth: Synth, s3_key: str) -> Path:
    manifest = json.loads((synth.outdir / f"{synth.stack.artifact_id}.assets.json").read_text())
    asset = manifest["files"][s3_key.removesuffix(".zip")]
    assert asset["source"]["packaging"] == "zip"
    path = synth.outdir / str(asset["source"]["path"])
    assert path.is_dir(), path
    return path


@pytest.fixture(scope="module")
def layer_dir(synth, model) -> Path:
    return staged_asset(synth, model.props(model.only(LAYER))["Content"]["S3Key"])


def function_dir(synth, model, spec: FunctionSpec) -> Path:
    return staged_asset(synth, model.props(model.function_id(spec.name))["Code"]["S3Key"])


def test_layer_has_the_package_and_its_runtime_dependencies(layer_dir):
    top = {p.name.removesuffix(".py") for p in (layer_dir / "python").iterdir()}
    assert {"provenance_guard", "aws_lambda_powertools", "aws_xray_sdk", "wrapt"} <= top
    assert (layer_dir / "python" / "provenance_guard" / "runtime.py").is_file()
    assert top & FORBIDDEN_IN_LAYER == set()
    assert {p.name for p in layer_dir.iterdir()} == {"python"}, "Lambda only reads python/ from a layer"


def test_layer_vendors_the_aws_sdk_the_tests_run_against(layer_dir):
    """The runtime's bundled boto3 predates ECR managed signing; the layer's copy wins on sys.path."""
    import boto3
    import botocore

    shipped = {p.name for p in (layer_dir / "python").glob("*.dist-info")}
    assert f"boto3-{boto3.__version__}.dist-info" in shipped
    assert f"botocore-{botocore.__version__}.dist-info" in shipped


def test_layer_has_cryptography_for_the_functions_architecture(layer_dir):
    (rust,) = (layer_dir / "python" / "cryptography" / "hazmat" / "bindings").glob("_rust*.so")
    assert rust.name == "_rust.abi3.so"
    assert rust.read_bytes()[18:20] == (183).to_bytes(2, "little"), "not an aarch64 (EM_AARCH64) shared object"


def test_layer_has_no_bytecode_caches(layer_dir):
    """Stale __pycache__ would make the asset hash depend on who last ran the code."""
    assert [str(p) for p in layer_dir.rglob("__pycache__")] == []


@pytest.mark.parametrize("spec", FUNCTIONS, ids=lambda spec: spec.name)
def test_function_asset_is_just_its_handler(synth, model, spec: FunctionSpec):
    directory = function_dir(synth, model, spec)
    assert (directory / "handler.py").is_file()
    assert not (directory / "provenance_guard").exists(), "the layer's copy must be the only one"
    assert [str(p) for p in directory.rglob("__pycache__")] == []


def test_every_function_has_a_distinct_asset(synth, model):
    keys = [model.props(lid)["Code"]["S3Key"] for lid in model.function_names().values()]
    assert len(set(keys)) == len(FUNCTIONS)


@pytest.mark.parametrize("spec", FUNCTIONS, ids=lambda spec: spec.name)
def test_handler_imports_in_the_lambda_layout(synth, model, layer_dir, spec: FunctionSpec):
    directory = function_dir(synth, model, spec)
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": f"{directory}{os.pathsep}{layer_dir / 'python'}",
        "PYTHONDONTWRITEBYTECODE": "1",
        "LAMBDA_TASK_ROOT": str(directory),
        "AWS_LAMBDA_FUNCTION_NAME": spec.name,
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(LAMBDA_RUNTIME_PACKAGES), json.dumps(["handler", *LAYER_MODULES])],
        cwd=directory,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    origins = json.loads(result.stdout.strip().splitlines()[-1])
    assert Path(origins["handler"]).parent == directory
    for module in LAYER_MODULES:
        assert origins[module], (module, origins)
        assert Path(origins[module]).is_relative_to(layer_dir / "python"), (module, origins)
