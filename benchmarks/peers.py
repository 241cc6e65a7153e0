"""Peer benchmark: provenance-guard, Prowler and Cloud Custodian side by side on one emulated account.

Seeds `provenance-guard emulator` (its own process) with N AMIs, N ECR repositories with one image each
(manifests and configs in a docker-registry on loopback, which `evaluate` is pointed at) and N Lambda
functions (`peer_seed.py`), then runs, each in its own process:

- `provenance-guard evaluate --json` with every control, and with the overlapping controls only
  (`--controls`; for an `evaluate` without it, `peer_overlap.py` runs the same pipeline for them);
- Prowler's overlapping checks and Cloud Custodian's equivalent policies (`peer_tools.py` lists them),
  installed at pinned versions into their own virtualenvs under `build/peers/` on first use.

For each: wall time, CPU (user + system, its process and children), peak RSS, AWS requests counted at
the emulator (`request_counts`) per resource (AMIs + repositories + functions: what every tool judges;
provenance-guard also judges each image), and, per overlapping control, how many resources the peer's
verdict agrees with provenance-guard's. Not part of `make test`: `make bench-peers`, or
`python -m benchmarks.peers 500` (`--pg-only` skips the peers, e.g. for N=2,000 memory).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import yaml

from benchmarks import peer_seed, peer_tools
from benchmarks.sweep_bench import Emulator
from provenance_guard.controls import registry as controls_registry
from provenance_guard_cli.emulator.request_counts import COUNTS_PATH
from provenance_guard_cli.local_registry import LocalRegistry

ROOT = Path(__file__).resolve().parent.parent
REGION = "us-east-1"
RUNTIMES = ROOT / "layers/provenance_guard/python/provenance_guard/data/lambda_runtimes.json"
POLICY = {
    "version": 1,
    "ami": {"trusted_owners": ["self"], "max_age_days": 90, "require_deprecation_time": False},
    "container": {"trusted_registries": ["self", "public.ecr.aws/docker/library"]},
}
"""Aligned with what the peers check: no deprecation time required (neither peer asks for one)."""


@dataclass
class Run:
    tool: str
    wall: float = 0.0
    cpu: float = 0.0
    rss_mb: float = 0.0
    requests: dict[str, int] = field(default_factory=dict)
    verdicts: dict[tuple[str, str], str] = field(default_factory=dict)
    note: str = ""

    @property
    def total(self) -> int:
        return sum(self.requests.values())


def emulator_requests(url: str) -> dict[str, int]:
    """The emulator's request counts since the last call (and zero them)."""
    import urllib.request

    request = urllib.request.Request(url + COUNTS_PATH, method="DELETE")
    with urllib.request.urlopen(request, timeout=30) as response:
        counts: dict[str, int] = json.loads(response.read())["requests"]
        return counts


def measured(tool: str, command: list[str], environment: dict[str, str], url: str, log: Path) -> Run:
    emulator_requests(url)
    with log.open("wb") as output:
        start = time.perf_counter()
        process = subprocess.Popen(command, env=environment, stdout=output, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    run = Run(tool, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, emulator_requests(url))
    if process.returncode not in (0, 1, 3):  # Prowler exits 3 when a check fails; evaluate 1 with --fail-on
        run.note = f"exit {process.returncode}: {log.read_text(errors='replace')[-600:]}"
    return run


def evaluate_help() -> str:
    command = [str(ROOT / ".venv/bin/provenance-guard"), "evaluate", "--help"]
    return subprocess.run(command, capture_output=True, text=True, check=False).stdout


def run_provenance_guard(
    work: Path,
    environment: dict[str, str],
    url: str,
    registry: str,
    controls: list[str] | None,
    label: str = "",
) -> Run:
    """`evaluate` with every control (`controls` None) or only `controls` (`--controls`, or the same
    pipeline through `peer_overlap.py` when `evaluate` lacks the option)."""
    label = label or ("overlap" if controls else "all")
    policy = work / "pg-policy.yaml"
    policy.write_text(yaml.safe_dump(POLICY))
    output = work / f"pg-{label.split()[0].strip(',')}.json"
    command = [
        str(ROOT / ".venv/bin/provenance-guard"),
        "evaluate",
        "--json",
        "--policy",
        str(policy),
        "--region",
        REGION,
    ]
    help_text = evaluate_help()
    if "--registry-url" in help_text:
        command += ["--registry-url", registry]
    if controls and "--controls" in help_text:
        command += ["--controls", *controls]
    elif controls:  # what `evaluate --controls` does, through the library, until the CLI has it
        command = [str(ROOT / ".venv/bin/python"), "-m", "benchmarks.peer_overlap", str(policy), REGION, registry]
        command += controls
    wrapper = ["sh", "-c", 'exec "$@" > ' + str(output), "evaluate", *command]
    run = measured(f"provenance-guard ({label})", wrapper, environment, url, work / "pg.log")
    findings = json.loads(output.read_text() or "[]") if output.exists() and output.stat().st_size else []
    run.verdicts = peer_tools.pg_verdicts(findings)
    return run


def run_custodian(work: Path, environment: dict[str, str], url: str, universe: dict[str, list[str]]) -> Run:
    custodian = peer_tools.venv_tool(peer_tools.CUSTODIAN, "custodian")
    policy = work / "custodian.yaml"
    policy.write_text(yaml.safe_dump(peer_tools.custodian_policy(RUNTIMES, peer_tools.today())))
    out = work / "custodian-out"
    command = [str(custodian), "run", "--cache-period", "0", "-r", REGION, "-s", str(out), str(policy)]
    run = measured("Cloud Custodian 0.9.53", command, environment, url, work / "custodian.log")
    run.verdicts = peer_tools.custodian_verdicts(out, universe)
    return run


def run_prowler(work: Path, environment: dict[str, str], url: str) -> Run:
    prowler = peer_tools.venv_tool(peer_tools.PROWLER, "prowler")
    out = work / "prowler-out"
    checks = list(peer_tools.PROWLER_CHECKS)
    command = [str(prowler), "aws", "-f", REGION, "--checks", *checks, "-M", "json-ocsf", "-o", str(out), "--no-banner"]
    run = measured("Prowler 5.46.0", command, environment, url, work / "prowler.log")
    run.verdicts = peer_tools.prowler_verdicts(out)
    return run


def table(runs: list[Run], resources: int, images: int, pg: Run | None) -> str:
    controls = sorted({c for run in runs for c, _ in run.verdicts if c in peer_tools.OVERLAP})
    head = ["tool", "wall s", "CPU s", "peak RSS MB", "requests", "per resource", *controls]
    rows = [head]
    for run in runs:
        per = f"{run.total / resources:.2f}"
        if run.tool.startswith("provenance-guard"):
            per += f" ({run.total / (resources + images):.2f} with images)"
        agreed = peer_tools.agreement(pg.verdicts, run.verdicts) if pg and pg is not run else {}
        cells = [agreed.get(c, "-") if pg is not run else "ref" for c in controls]
        rows.append([run.tool, f"{run.wall:.1f}", f"{run.cpu:.1f}", f"{run.rss_mb:.0f}", str(run.total), per, *cells])
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(head))]
    lines = ["  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("size", type=int, nargs="?", default=500, help="N: AMIs, repositories and functions each")
    parser.add_argument("--pg-only", action="store_true", help="provenance-guard alone (no peers installed)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="peers-") as directory, Emulator() as url, LocalRegistry() as registry:
        work = Path(directory)
        environment = {
            **os.environ,
            "AWS_ENDPOINT_URL": url,
            "AWS_DEFAULT_REGION": REGION,
            "PROVENANCE_GUARD_REGISTRY_URL": registry.url,
            "POWERTOOLS_LOG_LEVEL": "WARNING",
        }
        started = time.perf_counter()
        universe = {
            "ami": peer_seed.seed_amis(boto3.client("ec2", region_name=REGION), args.size),
            "ecr": peer_seed.seed_repositories(boto3.client("ecr", region_name=REGION), registry.url, args.size),
            "lambda": peer_seed.seed_functions(
                boto3.client("iam", region_name=REGION), boto3.client("lambda", region_name=REGION), args.size
            ),
        }
        print(f"seeded {3 * args.size} resources and {args.size} images in {time.perf_counter() - started:.0f} s")
        pg = run_provenance_guard(work, environment, url, registry.url, None)
        runs = [pg, run_provenance_guard(work, environment, url, registry.url, peer_tools.OVERLAP)]
        if "--controls" not in evaluate_help():
            print("this evaluate has no --controls: the overlap row runs benchmarks/peer_overlap.py (same pipeline)")
        if "--registry-url" not in evaluate_help():
            print("this evaluate reads no registry URL: the 'reachable' row runs every control through peer_overlap.py")
            every = sorted(control.id for control in controls_registry)
            runs.append(run_provenance_guard(work, environment, url, registry.url, every, "all, registry reachable"))
        if not args.pg_only:
            peers: list[tuple[str, Callable[[], Run]]] = [
                ("Cloud Custodian 0.9.53", lambda: run_custodian(work, environment, url, universe)),
                ("Prowler 5.46.0", lambda: run_prowler(work, environment, url)),
            ]
            for name, peer in peers:
                try:
                    runs.append(peer())
                except (OSError, subprocess.CalledProcessError) as error:  # no network for its dependencies
                    print(f"{name} cannot be installed or run here: {error}")
        print(f"N = {args.size}: {3 * args.size} resources (AMIs, repositories, functions) + {args.size} images")
        print(table(runs, 3 * args.size, args.size, pg))
        for run in runs:
            top = ", ".join(f"{k} {v}" for k, v in sorted(run.requests.items(), key=lambda kv: -kv[1])[:8])
            print(f"{run.tool}: {top}{'  NOTE: ' + run.note if run.note else ''}")
        statuses: dict[str, int] = {}
        for verdict in pg.verdicts.values():
            statuses[verdict] = statuses.get(verdict, 0) + 1
        print(f"provenance-guard (all) verdicts: {statuses}")


if __name__ == "__main__":
    main()
