"""The sweep end to end: an on-demand "Sweep Requested" event through the stack's rule to the sweep
function, which inventories the account and reconciles (runs its pages in-process: no queue locally)."""

from __future__ import annotations

from typing import Any

import pytest

from provenance_guard_cli.sample_account import ACCOUNT, REGION, ami_available

pytestmark = pytest.mark.e2e

SWEEP_REQUESTED = {
    "version": "0",
    "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": "Sweep Requested",
    "source": "provenance-guard",
    "account": ACCOUNT,
    "time": "2026-11-28T12:00:00Z",
    "region": REGION,
    "resources": [],
    "detail": {},
}


def states(findings: list[dict[str, Any]]) -> dict[tuple[str, str], str]:
    return {
        (f["Resources"][0]["Id"].rsplit("/", 1)[-1], f["Compliance"]["SecurityControlId"]): f["RecordState"]
        for f in findings
    }


def test_sweep_finds_new_resources_skips_unchanged_ones_and_archives_vanished_ones(client, replayer):
    ec2 = client("ec2")
    known = ec2.register_image(Name="known-image", ImdsSupport="v2.0")["ImageId"]
    vanishing = ec2.register_image(Name="vanishing-image", ImdsSupport="v2.0")["ImageId"]
    replayer.replay(ami_available(known), "known")
    replayer.replay(ami_available(vanishing), "vanishing")
    ec2.deregister_image(ImageId=vanishing)  # ... and the deregistered event is lost
    unseen = ec2.register_image(Name="unseen-image", ImdsSupport="v2.0")["ImageId"]  # its event was lost too
    instance = ec2.run_instances(ImageId=known, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]

    result = replayer.replay(SWEEP_REQUESTED, "sweep")

    assert [(i.function, i.failed_records) for i in result.invocations] == [("sweep", 0)]
    changed = states(result.findings)
    assert {state for (name, _), state in changed.items() if name == vanishing} == {"ARCHIVED"}
    assert {state for (name, _), state in changed.items() if name == unseen} == {"ACTIVE"}
    assert changed[(instance, "PG.EC2.1")] == "ACTIVE"
    assert not any(name == known for name, _ in changed)  # unchanged: not re-imported

    again = replayer.replay(SWEEP_REQUESTED, "second sweep, nothing changed")
    assert again.findings == []

    ec2.modify_image_attribute(ImageId=known, LaunchPermission={"Add": [{"Group": "all"}]})  # event lost
    changed_sweep = replayer.replay(SWEEP_REQUESTED, "third sweep, one AMI made public")
    assert [(f["Compliance"]["SecurityControlId"], f["Compliance"]["Status"]) for f in changed_sweep.findings] == [
        ("PG.AMI.3", "FAILED")
    ]
    assert changed_sweep.findings[0]["Resources"][0]["Id"].endswith(known)
