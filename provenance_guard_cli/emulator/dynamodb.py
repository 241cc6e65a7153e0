"""DynamoDB extension to moto 5.2.5: TransactWriteItems without copying whole tables.

To roll back a failed transaction, moto deep-copies every table the transaction touches, once per
*action*: a 100-action transaction copied its table 100 times, and even once per transaction the cost
grows with the table. The service writes its finding state in transactions of up to 100 items, so a
sweep of a large account grew quadratically in CPU and, through the garbage of those copies, in memory
(the emulator was killed for lack of memory at 10,000 resources). AWS has no such cost.

This patch keeps moto's transaction logic and its rollback, but makes the rollback copy cheap: a shallow
copy of each table whose item index is copied and whose *touched* items (the keys the transaction names)
are deep-copied, once per transaction. Untouched items are shared, which is safe because a transaction
cannot change an item it does not name. Not restored on rollback (as moto's full copy did): stream
records of a cancelled transaction.
"""

from __future__ import annotations

import copy
import threading
from collections import defaultdict
from types import SimpleNamespace
from typing import Any

from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table

from .patches import original, patch_attr

_lock = threading.Lock()


def _touched_hash_keys(table: Table, transact_items: list[dict[str, Any]]) -> set[DynamoType]:
    keys: set[DynamoType] = set()
    for action in transact_items:
        _, op = next(iter(action.items()))
        if op.get("TableName") != table.name:
            continue
        attributes = op.get("Key") or op.get("Item") or {}
        if table.hash_key_attr in attributes:
            keys.add(DynamoType(attributes[table.hash_key_attr]))
    return keys


def _rollback_copy(table: Table, touched: set[DynamoType]) -> Table:
    clone = copy.copy(table)
    items: Any = defaultdict(dict)
    items.update(table.items)
    for key in touched & set(table.items):
        items[key] = copy.deepcopy(table.items[key])
    clone.items = items
    return clone


def _transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    owner = threading.get_ident()
    copies: dict[int, Any] = {}

    def rollback_copy(value: Any, memo: dict[int, Any] | None = None) -> Any:
        if threading.get_ident() != owner or not isinstance(value, Table):
            return copy.deepcopy(value, memo)
        if id(value) not in copies:
            copies[id(value)] = _rollback_copy(value, _touched_hash_keys(value, transact_items))
        return copies[id(value)]

    module: Any = dynamodb_models  # moto's module reads `copy.deepcopy` through its own `copy` global
    with _lock:
        saved = module.copy
        module.copy = SimpleNamespace(deepcopy=rollback_copy)
        try:
            original(DynamoDBBackend, "transact_write_items")(self, transact_items)
        finally:
            module.copy = saved


def install() -> None:
    patch_attr(DynamoDBBackend, "transact_write_items", _transact_write_items)
