"""Cold import time of each handler, as Lambda would import it, against `import boto3` alone.

Each measurement is a fresh interpreter (`python -X importtime`), median of several runs, with the
function's directory and the first-party layer package on the path and the bytecode cache warm (as in a
deployed zip, which ships no .pyc: the first run in a new container also compiles; that is not measured).
Run: `make bench` (or `python benchmarks/cold_import.py`).
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 7
TOTAL = re.compile(r"import time:\s+\d+ \|\s+(\d+) \| (\S+)$")


def import_microseconds(module: str, cwd: Path) -> int:
    environment = {**os.environ, "POWERTOOLS_TRACE_DISABLED": "false", "AWS_DEFAULT_REGION": "us-east-1"}
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    totals = [
        int(m.group(1)) for line in result.stderr.splitlines() if (m := TOTAL.search(line)) and m.group(2) == module
    ]
    return totals[-1]


def median_ms(module: str, cwd: Path) -> float:
    import_microseconds(module, cwd)  # warm the bytecode cache
    return round(statistics.median(import_microseconds(module, cwd) for _ in range(RUNS)) / 1000, 1)


def main() -> None:
    print(f"{'import':<28} median of {RUNS} (ms)")
    print(f"{'boto3':<28} {median_ms('boto3', ROOT)}")
    for function in sorted(p.parent.name for p in (ROOT / "functions").glob("*/handler.py")):
        print(f"{'handler (' + function + ')':<28} {median_ms('handler', ROOT / 'functions' / function)}")


if __name__ == "__main__":
    main()
