"""The emulator's TransactWriteItems: no whole-table copies, and rollback still works."""

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


def test_a_transaction_of_100_puts_does_not_copy_the_table(table, monkeypatch):
    copied: list[str] = []
    real = copy.deepcopy

    def counting(value: Any, memo: Any = None) -> Any:
        if isinstance(value, Table):
            copied.append(value.name)
        return real(value, memo)

    monkeypatch.setattr(copy, "deepcopy", counting)
    table.transact_write_items(TransactItems=[put(f"key-{i}", "v") for i in range(100)])
    for i in range(100, 300):
        table.put_item(TableName="t", Item={"k": {"S": f"key-{i}"}, "v": {"S": "v"}})
    table.transact_write_items(TransactItems=[put(f"key-{i}", "w") for i in range(100)])
    assert copied == []
    assert table.scan(TableName="t")["Count"] == 300


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


def test_rollback_restores_an_item_the_transaction_had_already_updated(table):
    table.put_item(TableName="t", Item={"k": {"S": "a"}, "v": {"S": "before"}})
    table.put_item(TableName="t", Item={"k": {"S": "taken"}, "v": {"S": "old"}})
    update = {
        "Update": {
            "TableName": "t",
            "Key": {"k": {"S": "a"}},
            "UpdateExpression": "SET v = :v",
            "ExpressionAttributeValues": {":v": {"S": "after"}},
        }
    }
    with pytest.raises(ClientError):
        table.transact_write_items(TransactItems=[update, put("taken", "new", condition="attribute_not_exists(k)")])
    assert table.get_item(TableName="t", Key={"k": {"S": "a"}})["Item"]["v"]["S"] == "before"
