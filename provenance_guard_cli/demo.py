"""`provenance-guard demo`: the emulator, a sample account, its events replayed through the real
handlers, and what came out: the findings in Security Hub and the notifications sent."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from provenance_guard.asff import from_asff
from provenance_guard_cli.backing import ensure_backing, use_emulator_credentials
from provenance_guard_cli.output.events import event_summary
from provenance_guard_cli.output.terminal import console, findings_table, show
from provenance_guard_cli.replay import Replayer
from provenance_guard_cli.report import Row, row
from provenance_guard_cli.routes import load_template, routes_from_template
from provenance_guard_cli.sample_account import ACCOUNT, REGION, build_account


def run_demo(policy: Path, template: Path | None = None) -> int:
    from provenance_guard_cli.emulator.server import EmulatorServer
    from provenance_guard_cli.local_registry import LocalRegistry

    quiet_local_logs()

    print("provenance-guard demo: synthesizing the stack to read its event rules ...", flush=True)
    routes = routes_from_template(load_template(template, policy))
    with EmulatorServer() as server, LocalRegistry() as registry:
        print(f"emulator listening on {server.url} (account {ACCOUNT}, region {REGION})", flush=True)
        print(
            f"local OCI registry (docker-registry) on {registry.url}, started for the demo and stopped after it: "
            "it serves the images' manifests and config blobs\n",
            flush=True,
        )
        use_emulator_credentials(server.url)
        from provenance_guard_cli.emulator.signer_notation import root_pem

        backing = ensure_backing(server.url, REGION, policy, registry.url, {"signingAuthority:aws-signer": root_pem()})
        print(
            "the emulated AWS Signer's root is added to the signingAuthority:aws-signer trust store for the demo "
            "(in a real account that store holds AWS's root, pinned in the package)\n",
            flush=True,
        )

        def client(service: str) -> Any:
            import boto3

            return boto3.client(service, endpoint_url=server.url, region_name=REGION)  # type: ignore[call-overload]

        replayer = Replayer(routes, backing)
        notifications = []
        failed = 0
        for step in build_account(client, registry.url, server.plan_scan):
            if step.change is not None:
                step.change()
            result = replayer.replay(step.resolved_event(), step.label)
            print(event_summary(result) + "\n", flush=True)
            notifications.extend(result.notifications)
            failed += sum(i.failed_records for i in result.invocations)
        rows: list[Row] = []
        for page in client("securityhub").get_paginator("get_findings").paginate():
            rows.extend(row(from_asff(finding)) for finding in page["Findings"])
        screen = console()
        screen.print(f"Findings in Security Hub ({len(rows)}):\n")
        show(screen, findings_table(rows, screen.width))
        print(f"\nNotifications sent ({len(notifications)}), as subscribers receive them:\n", flush=True)
        for notification in notifications:
            # printed as sent: the body's lines (and its console link) are never cut or wrapped
            print(f"Subject: {notification['subject']}")
            print(notification["message"])
    return 1 if failed else 0


def quiet_local_logs() -> None:
    """Keep the emulator's request log and the handlers' INFO logs out of the demo's output
    (warnings and errors still show)."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
