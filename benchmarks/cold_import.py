"""Cold import time of each handler, as Lambda would import it, against `import boto3` alone.

Each measurement is a fresh interpreter (`python -X importtime`), median of several runs, with the
function's directory and the first-party layer package on the path and the bytecode cache warm (as in a
deployed zip, which ships no .pyc: the first run in a new container also compiles; that is not measured).
Runs of `import boto3` and of the handler alternate, and the ratio is the median of each pair's ratio,
so a machine busy with other work skews both sides alike. Target: each handler at most 1.5x boto3.
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


def paired(cwd: Path) -> tuple[float, float, float]:
    """Median ms of `import boto3`, of the handler in `cwd`, and of their ratio, runs alternating."""
    import_microseconds("boto3", ROOT)  # warm the bytecode caches
    import_microseconds("handler", cwd)
    boto3, handler = [], []
    for _ in range(RUNS):
        boto3.append(import_microseconds("boto3", ROOT))
        handler.append(import_microseconds("handler", cwd))
    ratio = statistics.median(h / b for h, b in zip(handler, boto3, strict=True))
    return round(statistics.median(boto3) / 1000, 1), round(statistics.median(handler) / 1000, 1), round(ratio, 2)


def main() -> None:
    print(f"{'handler':<18} {'boto3 ms':>9} {'handler ms':>11} {'ratio':>6}   (median of {RUNS}, alternating)")
    for function in sorted(p.parent.name for p in (ROOT / "functions").glob("*/handler.py")):
        boto3, handler, ratio = paired(ROOT / "functions" / function)
        print(f"{function:<18} {boto3:>9} {handler:>11} {ratio:>6}")


if __name__ == "__main__":
    main()
