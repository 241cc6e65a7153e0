"""Delivery and its safety nets: who may send to the queues, where undeliverable events go, what the key
lets AWS services do, the log groups, and the alarms on each step (issue 13, item 8).

Navigated by wiring (rule -> target queue / DeadLetterConfig -> queue policy), never by logical-id names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from tests.infra.support import (
    ALARM,
    CUSTOM_RESOURCE_PROVIDER,
    FUNCTION,
    KEY,
    LOG_GROUP,
    QUEUE,
    StackModel,
    as_list,
    get_att,
    ref,
    referenced_ids,
)

pytestmark = pytest.mark.infra

QUEUE_POLICY = "AWS::SQS::QueuePolicy"
EVENTS = "events.amazonaws.com"


def senders_by_queue(model: StackModel) -> dict[str, set[str]]:
    """Queue -> the rules that deliver to it, as their target or their target's dead-letter queue."""
    senders: dict[str, set[str]] = {}
    for rule_id, _ in model.rules():
        for queue_id in model.rule_targets(rule_id):
            senders.setdefault(queue_id, set()).add(rule_id)
        for dlq_id in model.rule_dead_letter_queues(rule_id):
            if dlq_id:
                senders.setdefault(dlq_id, set()).add(rule_id)
    return senders


def events_statements(model: StackModel, queue_id: str) -> list[Mapping[str, Any]]:
    return [
        statement
        for policy in model.of_type(QUEUE_POLICY).values()
        if ref(queue_id) in policy["Properties"]["Queues"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement["Effect"] == "Allow" and statement.get("Principal") == {"Service": EVENTS}
    ]


def alarms(model: StackModel) -> list[Mapping[str, Any]]:
    return [alarm["Properties"] for alarm in model.of_type(ALARM).values()]


def has_alarm(model: StackModel, namespace: str, metric: str, dimension: tuple[str, Any]) -> bool:
    name, value = dimension
    return any(
        a["Namespace"] == namespace
        and a["MetricName"] == metric
        and a["Dimensions"] == [{"Name": name, "Value": value}]
        and a.get("AlarmActions")
        for a in alarms(model)
    )


# -- who may send -------------------------------------------------------------------------------------


def test_eventbridge_may_send_to_each_queue_only_for_its_own_rules(model):
    senders = senders_by_queue(model)
    assert senders
    for queue_id, rule_ids in senders.items():
        statements = events_statements(model, queue_id)
        assert len(statements) == 1, f"{queue_id}: one statement for EventBridge, got {statements}"
        (statement,) = statements
        assert as_list(statement["Action"]) == ["sqs:SendMessage"]
        assert statement["Resource"] == get_att(queue_id)
        source_arns = as_list(statement["Condition"]["ArnEquals"]["aws:SourceArn"])
        assert sorted(map(str, source_arns)) == sorted(str(get_att(rule_id)) for rule_id in rule_ids)


def test_no_queue_policy_lets_eventbridge_send_without_a_source_arn(model):
    for policy_id, policy in model.of_type(QUEUE_POLICY).items():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if statement["Effect"] == "Allow" and statement.get("Principal") == {"Service": EVENTS}:
                assert "aws:SourceArn" in statement["Condition"]["ArnEquals"], policy_id


# -- where undeliverable events go ---------------------------------------------------------------------


def test_every_rule_target_has_an_encrypted_alarmed_dead_letter_queue(model):
    key_id = model.only(KEY)
    rules = list(model.rules())
    assert any("ScheduleExpression" in props for _, props in rules), "the schedule rule is covered too"
    for rule_id, _ in rules:
        for dlq_id in model.rule_dead_letter_queues(rule_id):
            assert dlq_id is not None, f"{rule_id} has a target without a dead-letter queue"
            assert model.resources[dlq_id]["Type"] == QUEUE
            assert model.props(dlq_id)["KmsMasterKeyId"] == get_att(key_id)
            assert dlq_id not in model.rule_targets(rule_id)
            assert has_alarm(
                model, "AWS/SQS", "ApproximateNumberOfMessagesVisible", ("QueueName", get_att(dlq_id, "QueueName"))
            ), dlq_id


# -- the key -------------------------------------------------------------------------------------------

EXPECTED_CONDITIONS = {
    "events.amazonaws.com": {"kms:EncryptionContext:aws:sqs:arn"},
    "cloudwatch.amazonaws.com": {"kms:EncryptionContext:aws:sns:topicArn", "aws:SourceArn"},
    "logs": {"kms:EncryptionContext:aws:logs:arn"},
}
"""The conditions each service supplies on its KMS calls (stacks/constructs/key_policy.py says why)."""


def _service_name(principal: Any) -> str:
    """`logs.<region>.<url suffix>` is a Fn::Join in the template; the others are literal."""
    return principal if isinstance(principal, str) else "logs"


def test_the_key_grants_service_principals_only_with_conditions(model):
    statements = model.props(model.only(KEY))["KeyPolicy"]["Statement"]
    found: dict[str, set[str]] = {}
    for statement in statements:
        service = statement.get("Principal", {}).get("Service")
        if service is None:
            continue
        assert statement.get("Condition"), f"{service} is granted the key without a condition"
        keys = {key for operator in statement["Condition"].values() for key in operator}
        found[_service_name(service)] = keys
    assert found == EXPECTED_CONDITIONS


def test_the_logs_principal_is_the_regional_one(model):
    (principal,) = [
        s["Principal"]["Service"]
        for s in model.props(model.only(KEY))["KeyPolicy"]["Statement"]
        if not isinstance(s.get("Principal", {}).get("Service", ""), str)
    ]
    assert principal == {"Fn::Join": ["", ["logs.", {"Ref": "AWS::Region"}, ".", {"Ref": "AWS::URLSuffix"}]]}


# -- logs and environment ------------------------------------------------------------------------------


def test_every_log_group_is_encrypted_with_the_stack_key_and_expires(model):
    key_id = model.only(KEY)
    log_groups = model.of_type(LOG_GROUP)
    for log_group_id, log_group in log_groups.items():
        assert log_group["Properties"]["KmsKeyId"] == get_att(key_id), log_group_id
        assert isinstance(log_group["Properties"]["RetentionInDays"], int), log_group_id
    functions = model.of_type(FUNCTION)
    provider = [lid for lid in functions if lid.startswith(CUSTOM_RESOURCE_PROVIDER)]
    assert len(provider) == 1
    for function_id in functions:
        (log_group_id,) = referenced_ids(model.props(function_id)["LoggingConfig"]["LogGroup"])
        assert log_group_id in log_groups, f"{function_id} (the custom resource provider too) logs to its own group"


def test_function_environments_are_encrypted_with_the_stack_key(model):
    key_id = model.only(KEY)
    for function_id in model.function_names().values():
        assert model.props(function_id)["KmsKeyArn"] == get_att(key_id), function_id


# -- alarms --------------------------------------------------------------------------------------------


def test_every_function_has_a_throttles_alarm(model):
    for function_id in model.function_names().values():
        assert has_alarm(model, "AWS/Lambda", "Throttles", ("FunctionName", ref(function_id))), function_id


def test_every_source_queue_has_an_age_of_oldest_message_alarm(model):
    for function_id in model.function_names().values():
        queue_id = model.queue_of(function_id)
        dimension = ("QueueName", get_att(queue_id, "QueueName"))
        assert has_alarm(model, "AWS/SQS", "ApproximateAgeOfOldestMessage", dimension), queue_id
        (alarm,) = [
            a
            for a in alarms(model)
            if a["MetricName"] == "ApproximateAgeOfOldestMessage" and a["Dimensions"][0]["Value"] == dimension[1]
        ]
        assert alarm["Statistic"] == "Maximum"
        assert alarm["Threshold"] >= 3600


def test_every_rule_has_a_failed_invocations_alarm(model):
    for rule_id, _ in model.rules():
        assert has_alarm(model, "AWS/Events", "FailedInvocations", ("RuleName", ref(rule_id))), rule_id
