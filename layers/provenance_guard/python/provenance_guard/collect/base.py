"""What the pipeline needs from every collector and snapshot, whatever the resource kind."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from provenance_guard.model import ResourceRef


class Snapshot(Protocol):
    @property
    def ref(self) -> ResourceRef: ...

    @property
    def tags(self) -> Mapping[str, str]: ...

    def asff_details(self) -> Mapping[str, Any]: ...


class Collector(Protocol):
    def collect(self, ref: ResourceRef) -> Snapshot | None:
        """The resource's snapshot, or None when the resource no longer exists."""
        ...
