"""The AWS partitions and their Regions, and the check every event's account, Region and partition pass
before any AWS call is made for it.

The Regions are those of the vendored botocore's `data/partitions.json` (the data its endpoint resolution
uses), less the `*-global` pseudo-Regions: no list is kept by hand. A Region launched after that botocore
is not known until the layer's botocore is updated (`make lock`); the stack refuses to deploy to one
(`stacks.config`), so a deployed function never rejects its own Region's events.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache

from provenance_guard.work import EventError

ACCOUNT_ID = re.compile(r"[0-9]{12}")
"""Twelve ASCII digits (`str.isdigit` would also take other scripts' digits)."""


@cache
def partitions() -> Mapping[str, frozenset[str]]:
    """Partition id (`aws`, `aws-cn`, `aws-us-gov`, ...) -> its Regions."""
    from botocore.loaders import create_loader

    data = create_loader().load_data("partitions")
    return {
        partition["id"]: frozenset(name for name in partition.get("regions", {}) if not name.endswith("-global"))
        for partition in data["partitions"]
    }


@cache
def _partition_by_region() -> Mapping[str, str]:
    return {region: partition for partition, regions in partitions().items() for region in regions}


def partition_of(region: str) -> str | None:
    """The partition of a known Region; None for anything else."""
    return _partition_by_region().get(region)


def check_scope(
    account: object, region: object, partition: object | None = None, *, whose: str = "the event's"
) -> tuple[str, str, str]:
    """(account, region, partition) when `account` is a 12-digit account id, `region` a Region botocore
    knows and `partition` (derived from the Region when None) that Region's partition; `EventError` naming
    what is wrong otherwise (`whose` account, region or partition)."""
    if not isinstance(account, str) or not ACCOUNT_ID.fullmatch(account):
        raise EventError(f"{whose} account {_shown(account)} is not a 12-digit account id")
    if not isinstance(region, str):
        raise EventError(f"{whose} region {_shown(region)} is not a string")
    region_partition = partition_of(region)
    if region_partition is None:
        raise EventError(f"{whose} region {_shown(region)} is not a Region of any AWS partition")
    if partition is None:
        return account, region, region_partition
    if not isinstance(partition, str) or partition not in partitions():
        raise EventError(f"{whose} partition {_shown(partition)} is not an AWS partition")
    if partition != region_partition:
        raise EventError(f"{whose} region {region} is in partition {region_partition}, not {partition}")
    return account, region, partition


def _shown(value: object) -> str:
    """The value for a reason, cut short (a reason is logged; the record's body is logged beside it)."""
    shown = repr(value)
    return shown if len(shown) <= 80 else f"{shown[:77]}..."
