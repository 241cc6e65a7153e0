"""The operational alarms of one event pipeline, all notifying the alarm topic.

Errors and throttles of the function; messages in either dead-letter queue (the source queue's redrive
DLQ, and the one EventBridge delivers to when it cannot reach the queue); the age of the oldest message
in the source queue; failed invocations of each of its EventBridge rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_events as events
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

PERIOD = Duration.minutes(5)
QUEUE_AGE_THRESHOLD = Duration.hours(1)
"""Longer than the sweep needs to work through its pages and than the rechecks' longest delay (15 minutes)."""


@dataclass(frozen=True)
class PipelineParts:
    name: str
    function: lambda_.IFunction
    queue: sqs.IQueue
    dead_letter_queue: sqs.IQueue
    delivery_dead_letter_queue: sqs.IQueue
    rules: Sequence[tuple[str, events.IRule]]
    """(construct id, rule) of every rule that delivers to the queue, the schedule included."""


def add_alarms(scope: Construct, parts: PipelineParts, topic: sns.ITopic) -> None:
    alarms: dict[str, tuple[str, cloudwatch.IMetric, float]] = {
        "DeadLetterQueueNotEmpty": (
            "events failed repeatedly and wait in the DLQ",
            parts.dead_letter_queue.metric_approximate_number_of_messages_visible(period=PERIOD),
            1,
        ),
        "DeliveryDeadLetterQueueNotEmpty": (
            "EventBridge could not deliver events to the queue; they wait in the delivery DLQ",
            parts.delivery_dead_letter_queue.metric_approximate_number_of_messages_visible(period=PERIOD),
            1,
        ),
        "FunctionErrors": ("the function raised errors", parts.function.metric_errors(period=PERIOD), 1),
        "FunctionThrottles": ("the function was throttled", parts.function.metric_throttles(period=PERIOD), 1),
        "QueueAge": (
            f"an event waited more than {QUEUE_AGE_THRESHOLD.to_human_string()} in the queue",
            parts.queue.metric_approximate_age_of_oldest_message(period=PERIOD, statistic="Maximum"),
            QUEUE_AGE_THRESHOLD.to_seconds(),
        ),
    }
    for rule_id, rule in parts.rules:
        alarms[f"{rule_id}FailedInvocations"] = (
            f"EventBridge rule {rule_id} failed to invoke its target",
            cloudwatch.Metric(
                namespace="AWS/Events",
                metric_name="FailedInvocations",
                dimensions_map={"RuleName": rule.rule_name},
                statistic="Sum",
                period=PERIOD,
            ),
            1,
        )
    for alarm_id, (what, metric, threshold) in alarms.items():
        cloudwatch.Alarm(
            scope,
            alarm_id,
            alarm_description=f"provenance-guard {parts.name}: {what}",
            metric=metric,
            threshold=threshold,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        ).add_alarm_action(cloudwatch_actions.SnsAction(topic))
