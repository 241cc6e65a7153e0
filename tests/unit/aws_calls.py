"""Records every AWS call the unit tests make, attributed to the collector, expander or inventory that made
it, so a test can check each call against the permissions of every function that runs that component.

The recorder wraps botocore's `BaseClient._make_api_call` (the call still goes to moto). A call is
attributed by the call stack: the outermost frame that runs a registered kind's collector (`collect`),
expander, inventory or usage finder ("in use by", blast radius) names the component; calls outside any
component (fixtures, Security Hub imports, the state table) are not attributed. IAM action = the service's
signing name + the operation name (`signer-data` GetRevocationStatus is `signer:GetRevocationStatus`).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import CodeType
from typing import Any

from provenance_guard.clients import ClientFactory
from provenance_guard.collect.base import Collection
from provenance_guard.collect.kinds import KINDS
from provenance_guard.collect.kinds import USAGE as USAGE_FINDERS
from provenance_guard.model import ResourceKind
from provenance_guard.oci.ecr import EcrRegistries

COLLECTOR, EXPANDER, INVENTORY, USAGE = "collector", "expander", "inventory", "usage"
LOG_FILE = Path(__file__).resolve().parents[2] / "build" / "recorded-aws-calls.json"
"""Written at the end of a whole unit-tier run; the infrastructure tier compares it with the template."""

Component = tuple[str, ResourceKind]


def _code_of(callable_: Any) -> CodeType | None:
    function = callable_ if hasattr(callable_, "__code__") else type(callable_).__call__
    function = getattr(function, "__func__", function)
    code = getattr(function, "__code__", None)
    return code if isinstance(code, CodeType) else None


def component_codes() -> dict[CodeType, Component]:
    """The code object of every registered collector's `collect`, expander, inventory and usage finder."""
    collection = Collection(ClientFactory(), EcrRegistries(ClientFactory()), KINDS)
    codes: dict[CodeType, Component] = {}
    for kind, descriptor in KINDS.items():
        collector = collection.collector(kind)
        if collector is not None:
            codes[type(collector).collect.__code__] = (COLLECTOR, kind)
        expander = collection.expander(kind)
        if expander is not None and (code := _code_of(expander)) is not None:
            codes[code] = (EXPANDER, kind)
        for inventory in (descriptor.inventory, descriptor.policy_inventory, descriptor.listing):
            if inventory is not None and (code := _code_of(inventory)) is not None:
                codes[code] = (INVENTORY, kind)
    for usage in USAGE_FINDERS:
        if (code := _code_of(usage.finder(collection))) is not None:
            codes[code] = (USAGE, usage.artifact)
    return codes


@dataclass
class CallRecorder:
    codes: dict[CodeType, Component]
    calls: dict[Component, set[str]] = field(default_factory=dict)

    def record(self, action: str) -> None:
        component = self._component()
        if component is not None:
            self.calls.setdefault(component, set()).add(action)

    def _component(self) -> Component | None:
        frame = sys._getframe(2)
        outermost = None
        while frame is not None:
            component = self.codes.get(frame.f_code)
            if component is not None:
                outermost = component
            frame = frame.f_back  # type: ignore[assignment]
        return outermost

    def as_json(self) -> dict[str, dict[str, list[str]]]:
        document: dict[str, dict[str, list[str]]] = {}
        for (role, kind), actions in sorted(self.calls.items(), key=lambda item: (item[0][0], item[0][1].value)):
            document.setdefault(role, {})[kind.value] = sorted(actions)
        return document

    def write(self, path: Path = LOG_FILE) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.as_json(), indent=1) + "\n")


@contextmanager
def recording() -> Iterator[CallRecorder]:
    """Record every botocore call made inside the block."""
    from botocore.client import BaseClient

    recorder = CallRecorder(component_codes())
    original: Callable[..., Any] = BaseClient._make_api_call

    def make_api_call(client: Any, operation_name: str, api_params: Any) -> Any:
        recorder.record(f"{client.meta.service_model.signing_name}:{operation_name}")
        return original(client, operation_name, api_params)

    BaseClient._make_api_call = make_api_call  # type: ignore[method-assign]
    try:
        yield recorder
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]
