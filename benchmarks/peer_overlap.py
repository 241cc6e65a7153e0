"""What `provenance-guard evaluate --controls <the overlapping controls>` does, for an `evaluate` that has
no `--controls` yet: the sweep's inventory of the kinds those controls judge, only those controls, the
same read-only pipeline, findings as JSON on stdout. Run by `peers.py` in its own process, like the CLI.

Usage: `python -m benchmarks.peer_overlap POLICY REGION REGISTRY_URL CONTROL...`
"""

from __future__ import annotations

import json
import sys

from provenance_guard.asff import to_asff
from provenance_guard.clients import ClientFactory
from provenance_guard.collect.kinds import inventoried
from provenance_guard.controls import registry
from provenance_guard.model import partition_for_region
from provenance_guard.service import build_service
from provenance_guard.settings import Settings
from provenance_guard.sweep import SweepScope, page_work, plan_pages
from provenance_guard.work import Work


def main(policy: str, region: str, registry_url: str, controls: list[str]) -> None:
    clients = ClientFactory()
    account = clients.client("sts", region).get_caller_identity()["Account"]
    settings = Settings(
        table_name="",
        topic_arn=None,
        policy_parameter=None,
        policy_file=policy,
        function="cli-evaluate",
        registry_url=registry_url,
    )
    service = build_service(settings, clients, read_only=True)
    judged = {control.resource_kind for control in registry if control.id in controls}
    kinds = [kind for kind in inventoried() if kind.resource in judged]
    only = frozenset(controls)
    findings = []
    for message in plan_pages(clients, None, SweepScope(account, region, partition_for_region(region)), kinds):
        work = [Work(w.action, w.resource, only, listed=w.listed) for w in page_work(message)]
        findings += [to_asff(e.finding) for e in service.pipeline.run(work).evaluated]
    json.dump(findings, sys.stdout, default=str)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:])
