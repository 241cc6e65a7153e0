"""The synthesized template: functions, layer, queues, table, topics, key, policy parameter, alarms."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Match

from provenance_guard import settings
from provenance_guard.policy import Policy
from provenance_guard.policy_source import load_policy_file
from provenance_guard.settings import Settings
from provenance_guard.state import PARTITION_KEY, RESOURCE_INDEX, RESOURCE_KEY
from stacks.provenance_guard_stack import POLICY_PARAMETER, SSM_STANDARD_LIMIT
from stacks.triggers import FUNCTIONS, SWEEP, FunctionSpec
from tests.infra.support import (
    ALARM,
    ENV_CONSTANTS,
    ESM,
    FUNCTION,
    KEY,
    LAYER,
    LOG_GROUP,
    PARAMETER,
    QUEUE,
    TABLE,
    TOPIC,
    TOPIC_POLICY,
    as_list,
    get_att,
    ref,
    referenced_ids,
)

pytestmark = pytest.mark.infra

RUNTIME = "python3.14"
ARCHITECTURE = "arm64"
SECURITYHUB_IMPORT_TPS = 10.0
"""BatchImportFindings: 10 requests/s per account and Region (research/securityhub.md §4)."""
MIN_MAX_RECEIVE_COUNT = 5
"""AWS Lambda guide, SQS error handling: maxReceiveCount of at least 5 so throttling alone never
sends a message to the dead-letter queue."""
REQUIRED_ENVIRONMENT = {
    settings.ENV_TABLE_NAME,
    settings.ENV_TOPIC_ARN,
    settings.ENV_POLICY_PARAMETER,
    settings.ENV_FUNCTION,
    settings.ENV_SECURITYHUB_RPS,
}
RETENTION_DAYS = {
    "ONE_DAY": 1,
    "THREE_DAYS": 3,
    "FIVE_DAYS": 5,
    "ONE_WEEK": 7,
    "TWO_WEEKS": 14,
    "ONE_MONTH": 30,
    "TWO_MONTHS": 60,
    "THREE_MONTHS": 90,
    "FOUR_MONTHS": 120,
    "FIVE_MONTHS": 150,
    "SIX_MONTHS": 180,
    "ONE_YEAR": 365,
    "THIRTEEN_MONTHS": 400,
    "EIGHTEEN_MONTHS": 545,
    "TWO_YEARS": 731,
    "THREE_YEARS": 1096,
    "FIVE_YEARS": 1827,
    "SIX_YEARS": 2192,
    "SEVEN_YEARS": 2557,
    "EIGHT_YEARS": 2922,
    "NINE_YEARS": 3288,
    "TEN_YEARS": 3653,
}
"""aws_logs.RetentionDays names -> the CloudWatch Logs RetentionInDays value CDK writes."""

by_name = pytest.mark.parametrize("spec", FUNCTIONS, ids=lambda spec: spec.name)


def placeholders(variables: dict[str, Any]) -> dict[str, str]:
    """Environment values as a deployed function sees them: CloudFormation intrinsics become strings."""
    return {name: value if isinstance(value, str) else f"<{name}>" for name, value in variables.items()}


# -- functions and layer ----------------------------------------------------------------------------


def test_one_function_per_spec(template, model):
    template.resource_count_is(FUNCTION, len(FUNCTIONS) + 1)  # + CDK's provider for the initial sweep
    assert set(model.function_names()) == {spec.name for spec in FUNCTIONS}


def test_a_sweep_is_requested_after_deployment_and_after_policy_changes(template, model):
    [resource_id] = [lid for lid, r in model.resources.items() if r["Type"] == "Custom::AWS"]
    call = model.resources[resource_id]["Properties"]["Create"]
    text = json.dumps(call)
    assert "putEvents" in text
    assert "Sweep Requested" in text
    assert "initial-sweep-" in text  # the physical id carries the policy's hash: a new policy sweeps again
    assert model.resources[resource_id]["Properties"]["Update"] == call


@by_name
def test_function_runtime_handler_tracing_and_layer(template, model, spec: FunctionSpec):
    layer_id = model.only(LAYER)
    template.has_resource_properties(
        FUNCTION,
        {
            "Runtime": RUNTIME,
            "Architectures": [ARCHITECTURE],
            "Handler": "handler.lambda_handler",
            "TracingConfig": {"Mode": "Active"},
            "Layers": [ref(layer_id)],
            "Timeout": spec.timeout_seconds,
            "MemorySize": spec.memory_mb,
            "Environment": {"Variables": Match.object_like({settings.ENV_FUNCTION: spec.name})},
        },
    )


@by_name
def test_function_environment_is_what_settings_reads(model, spec: FunctionSpec):
    function_id = model.function_id(spec.name)
    variables = dict(model.environment(function_id))
    ours = {name for name in variables if name.startswith("PROVENANCE_GUARD_")}
    unknown = ours - ENV_CONSTANTS
    assert not unknown, f"not a provenance_guard.settings.ENV_* name: {unknown}"
    assert ours >= REQUIRED_ENVIRONMENT, f"missing: {REQUIRED_ENVIRONMENT - ours}"
    assert settings.ENV_POLICY_FILE not in variables, "deployed functions read the policy from SSM, not a file"

    assert variables[settings.ENV_TABLE_NAME] == ref(model.only(TABLE))
    assert variables[settings.ENV_POLICY_PARAMETER] == ref(model.only(PARAMETER))
    (topic_id,) = referenced_ids(variables[settings.ENV_TOPIC_ARN])
    assert model.resources[topic_id]["Type"] == TOPIC

    parsed = Settings.from_env(placeholders(variables))
    assert parsed.function == spec.name
    assert parsed.policy_parameter
    assert not parsed.policy_file


def test_securityhub_rate_budget_fits_the_account_limit(model):
    """Every function instance throttles itself; all of them together must stay under 10 TPS."""
    total = 0.0
    for function_id in model.function_names().values():
        rps = float(model.environment(function_id)[settings.ENV_SECURITYHUB_RPS])
        mapping = model.props(model.event_source_mapping(function_id))
        total += rps * mapping["ScalingConfig"]["MaximumConcurrency"]
    assert 0 < total <= SECURITYHUB_IMPORT_TPS


def test_layer_is_python314_arm64(template):
    template.resource_count_is(LAYER, 1)
    template.has_resource_properties(
        LAYER, {"CompatibleRuntimes": [RUNTIME], "CompatibleArchitectures": [ARCHITECTURE]}
    )


# -- queues and event source mappings ---------------------------------------------------------------


def test_every_queue_is_kms_encrypted_with_the_stack_key(model):
    key_id = model.only(KEY)
    queues = model.of_type(QUEUE)
    assert queues
    for queue_id, queue in queues.items():
        assert queue["Properties"].get("KmsMasterKeyId") == get_att(key_id), queue_id


def test_every_source_queue_redrives_to_a_dead_letter_queue(model):
    sources = {model.queue_of(function_id) for function_id in model.function_names().values()}
    dead_letter_queues = set(model.of_type(QUEUE)) - sources - model.delivery_dead_letter_queues()
    assert len(sources) == len(FUNCTIONS)
    for queue_id in sources:
        redrive = model.props(queue_id)["RedrivePolicy"]
        assert isinstance(redrive["maxReceiveCount"], int)
        assert redrive["maxReceiveCount"] >= MIN_MAX_RECEIVE_COUNT, queue_id
        dlq_id = model.dead_letter_queue_of(queue_id)
        assert dlq_id in dead_letter_queues, f"{queue_id} redrives to {dlq_id}, which is not a dead-letter queue"
        assert "RedrivePolicy" not in model.props(dlq_id)
        # a message keeps its original enqueue time in the DLQ: the DLQ must keep it longer
        assert model.props(dlq_id)["MessageRetentionPeriod"] > model.props(queue_id)["MessageRetentionPeriod"]
    assert {model.dead_letter_queue_of(q) for q in sources} == dead_letter_queues, "one DLQ per source queue"


@by_name
def test_visibility_timeout_is_at_least_six_function_timeouts(model, spec: FunctionSpec):
    """AWS Lambda guide: the source queue's visibility timeout >= 6 x the function timeout."""
    function_id = model.function_id(spec.name)
    timeout = model.props(function_id)["Timeout"]
    assert model.props(model.queue_of(function_id))["VisibilityTimeout"] >= 6 * timeout


def test_every_event_source_mapping_reports_batch_item_failures(template, model):
    template.resource_count_is(ESM, len(FUNCTIONS))
    template.all_resources_properties(ESM, {"FunctionResponseTypes": ["ReportBatchItemFailures"]})
    for function_id in model.function_names().values():
        assert model.props(model.event_source_mapping(function_id))["FunctionResponseTypes"] == [
            "ReportBatchItemFailures"
        ]


# -- state table, topics, key ---------------------------------------------------------------------


def test_findings_table_matches_the_state_store(template, model):
    key_id = model.only(KEY)
    template.resource_count_is(TABLE, 1)
    template.has_resource(
        TABLE,
        {
            "Properties": {
                "KeySchema": [{"AttributeName": PARTITION_KEY, "KeyType": "HASH"}],
                "AttributeDefinitions": Match.array_with(
                    [
                        {"AttributeName": PARTITION_KEY, "AttributeType": "S"},
                        {"AttributeName": RESOURCE_KEY, "AttributeType": "S"},
                    ]
                ),
                "GlobalSecondaryIndexes": [
                    {
                        "IndexName": RESOURCE_INDEX,
                        "KeySchema": [{"AttributeName": RESOURCE_KEY, "KeyType": "HASH"}],
                        "Projection": {"ProjectionType": "ALL"},
                    }
                ],
                "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                "SSESpecification": {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": get_att(key_id)},
                "DeletionProtectionEnabled": True,
            },
            "DeletionPolicy": "Retain",
        },
    )


def test_every_topic_is_kms_encrypted(model):
    key_id = model.only(KEY)
    topics = model.of_type(TOPIC)
    assert len(topics) == 2, "a findings topic and an alarm topic"
    for topic_id, topic in topics.items():
        assert topic["Properties"].get("KmsMasterKeyId") == get_att(key_id), topic_id


def test_kms_key_rotates(template):
    template.resource_count_is(KEY, 1)
    template.has_resource_properties(KEY, {"EnableKeyRotation": True})


def _key_service_actions(model, service: str) -> set[str]:
    statements = model.props(model.only(KEY))["KeyPolicy"]["Statement"]
    return {
        action
        for statement in statements
        if statement["Effect"] == "Allow" and statement.get("Principal") == {"Service": service}
        for action in as_list(statement["Action"])
    }


@pytest.mark.parametrize(
    "service",
    [
        "events.amazonaws.com",  # EventBridge delivering to the KMS-encrypted queues
        "cloudwatch.amazonaws.com",  # alarm actions publishing to the KMS-encrypted alarm topic
    ],
)
def test_key_policy_lets_delivering_services_encrypt(model, service):
    assert {"kms:GenerateDataKey*", "kms:Decrypt"} <= _key_service_actions(model, service)


def _alarm_topic(model) -> str:
    actions = {
        topic_id
        for alarm in model.of_type(ALARM).values()
        for action in alarm["Properties"].get("AlarmActions", [])
        for topic_id in referenced_ids(action)
    }
    assert len(actions) == 1, f"every alarm should notify the one alarm topic, found {actions}"
    return actions.pop()


def test_alarm_topic_is_not_the_findings_topic(model):
    findings_topics = {
        topic_id
        for function_id in model.function_names().values()
        for topic_id in referenced_ids(model.environment(function_id)[settings.ENV_TOPIC_ARN])
    }
    assert _alarm_topic(model) not in findings_topics


def test_alarm_topic_policy_lets_cloudwatch_alarms_publish(model):
    topic_id = _alarm_topic(model)
    allowed: list[dict[str, Any]] = [
        statement
        for policy in model.of_type(TOPIC_POLICY).values()
        if ref(topic_id) in policy["Properties"]["Topics"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement["Effect"] == "Allow"
        and statement.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}
        and "sns:Publish" in as_list(statement["Action"])
    ]
    assert allowed, "no topic policy statement allows cloudwatch.amazonaws.com to publish to the alarm topic"


# -- the policy parameter ---------------------------------------------------------------------------


def test_policy_parameter_holds_the_validated_policy_yaml(template, model, synth):
    template.resource_count_is(PARAMETER, 1)
    parameter = model.props(model.only(PARAMETER))
    assert parameter["Name"] == POLICY_PARAMETER
    assert parameter["Type"] == "String"
    value = parameter["Value"]
    assert isinstance(value, str)
    assert parameter["Tier"] == ("Standard" if len(value) <= SSM_STANDARD_LIMIT else "Advanced")
    # what a deployed function does with the parameter (provenance_guard.policy_source.ssm_policy)
    deployed = Policy.from_document(json.loads(value))
    assert deployed == load_policy_file(str(synth.config.policy_file))
    assert synth.config.policy_file.name == synth.context["provenance-guard:policy"]


# -- alarms, logs, schedule ------------------------------------------------------------------------


def test_every_dead_letter_queue_has_an_alarm(template, model):
    alarm_topic = _alarm_topic(model)
    for function_id in model.function_names().values():
        dlq_id = model.dead_letter_queue_of(model.queue_of(function_id))
        template.has_resource_properties(
            ALARM,
            {
                "Namespace": "AWS/SQS",
                "MetricName": "ApproximateNumberOfMessagesVisible",
                "Dimensions": [{"Name": "QueueName", "Value": get_att(dlq_id, "QueueName")}],
                "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                "Threshold": 1,
                "AlarmActions": [ref(alarm_topic)],
            },
        )


def test_every_function_has_an_errors_alarm(template, model):
    alarm_topic = _alarm_topic(model)
    for function_id in model.function_names().values():
        template.has_resource_properties(
            ALARM,
            {
                "Namespace": "AWS/Lambda",
                "MetricName": "Errors",
                "Dimensions": [{"Name": "FunctionName", "Value": ref(function_id)}],
                "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                "Threshold": 1,
                "AlarmActions": [ref(alarm_topic)],
            },
        )


def test_sweep_schedule_comes_from_cdk_json(model, synth):
    scheduled = {lid: props for lid, props in model.rules() if "ScheduleExpression" in props}
    assert len(scheduled) == 1
    ((rule_id, rule),) = scheduled.items()
    assert rule["ScheduleExpression"] == synth.context["provenance-guard:sweep-schedule"]
    assert rule.get("State", "ENABLED") == "ENABLED"
    assert model.rule_functions(rule_id) == {SWEEP.name}


def test_every_function_logs_to_its_own_group_with_the_configured_retention(model, synth):
    retention = synth.context["provenance-guard:log-retention"]
    assert retention in RETENTION_DAYS, f"add {retention} to RETENTION_DAYS"
    log_groups = model.of_type(LOG_GROUP)
    used = []
    for function_id in model.function_names().values():
        log_group_id = model.log_group_of(function_id)
        assert log_group_id in log_groups
        assert log_groups[log_group_id]["Properties"]["RetentionInDays"] == RETENTION_DAYS[retention]
        used.append(log_group_id)
    assert len(set(used)) == len(FUNCTIONS), "each function has its own log group"
