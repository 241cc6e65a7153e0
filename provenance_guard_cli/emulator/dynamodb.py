"""DynamoDB extension to moto 5.2.5: TransactWriteItems that copies each table once.

moto keeps a copy of every table a transaction touches, to roll back if an action fails. It makes that
copy once per *action* (a 100-action transaction deep-copies its table 100 times), so the service's
state writes (up to 100 findings per transaction) grew quadratically in CPU and, through the garbage
those copies leave, in memory: about 2 GB after 1,500 findings. AWS has no such cost. This patch keeps
moto's semantics (including the rollback) and makes the copy once per table per transaction.
"""

from __future__ import annotations

import copy
import threading
from types import SimpleNamespace
from typing import Any

from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend

from .patches import original, patch_attr

_lock = threading.Lock()


def _transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    copies: dict[int, Any] = {}
    owner = threading.get_ident()

    def deepcopy_once(value: Any, memo: dict[int, Any] | None = None) -> Any:
        if threading.get_ident() != owner:  # another thread's copy: untouched
            return copy.deepcopy(value, memo)
        if id(value) not in copies:
            copies[id(value)] = copy.deepcopy(value, memo)
        return copies[id(value)]

    module: Any = dynamodb_models  # moto's module reads `copy.deepcopy` through its own `copy` global
    with _lock:
        saved = module.copy
        module.copy = SimpleNamespace(deepcopy=deepcopy_once)
        try:
            original(DynamoDBBackend, "transact_write_items")(self, transact_items)
        finally:
            module.copy = saved


def install() -> None:
    patch_attr(DynamoDBBackend, "transact_write_items", _transact_write_items)
