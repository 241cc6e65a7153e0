"""The emulator's TransactWriteItems: the table is copied once per transaction, rollback still works."""

from __future__ import annotations

import copy
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.models import Table

from provenance_guard_cli.emulator import install


@pytest.fixture
def table() -> Any:
    install()
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName="t",
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        )
        yield client


def put(key: str, value: str, condition: str | None = None) -> dict[str, Any]:
    action: dict[str, Any] = {"TableName": "t", "Item": {"k": {"S": key}, "v": {"S": value}}}
    if condition:
        action["ConditionExpression"] = condition
    return {"Put": action}


def test_a_transaction_of_100_puts_copies_the_table_once(table, monkeypatch):
    copied: list[str] = []
    real = copy.deepcopy

    def counting(value: Any, memo: Any = None) -> Any:
        if isinstance(value, Table):
            copied.append(value.name)
        return real(value, memo)

    monkeypatch.setattr(copy, "deepcopy", counting)
    table.transact_write_items(TransactItems=[put(f"key-{i}", "v") for i in range(100)])
    assert copied == ["t"]
    assert table.scan(TableName="t")["Count"] == 100


def test_a_failed_condition_still_rolls_the_whole_transaction_back(table):
    table.put_item(TableName="t", Item={"k": {"S": "taken"}, "v": {"S": "old"}})
    with pytest.raises(ClientError) as raised:
        table.transact_write_items(
            TransactItems=[put("new", "v"), put("taken", "new", condition="attribute_not_exists(k)")]
        )
    assert raised.value.response["Error"]["Code"] == "TransactionCanceledException"
    keys = {item["k"]["S"] for item in table.scan(TableName="t")["Items"]}
    assert keys == {"taken"}
    assert table.get_item(TableName="t", Key={"k": {"S": "taken"}})["Item"]["v"]["S"] == "old"
