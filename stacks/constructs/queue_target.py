"""An EventBridge target for a KMS-encrypted SQS queue, with a dead-letter queue, and no grant of its own.

CDK's `targets.SqsQueue` grants `events.amazonaws.com` the queue *and the queue's KMS key* without an
`aws:SourceArn` condition when the queue is KMS-encrypted (aws-cdk-lib 2.275 `aws-events-targets/lib/sqs.js`:
the condition is added only to unencrypted queues, and then goes into the key policy too). This target only
names the queue and the DLQ; the pipeline writes one queue-policy statement per queue naming exactly its
own rules (`aws:SourceArn`), and the stack grants EventBridge the key for this account's queues only
(`kms:EncryptionContext:aws:sqs:arn`).
"""

from __future__ import annotations

from collections.abc import Sequence

import jsii
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sqs as sqs
from aws_cdk.interfaces.aws_events import IRuleRef

EVENTS = "events.amazonaws.com"


@jsii.implements(events.IRuleTarget)
class EncryptedQueueTarget:
    def __init__(self, queue: sqs.IQueue, dead_letter_queue: sqs.IQueue) -> None:
        self._queue = queue
        self._dead_letter_queue = dead_letter_queue

    def bind(self, rule: IRuleRef, id: str | None = None) -> events.RuleTargetConfig:
        return events.RuleTargetConfig(
            arn=self._queue.queue_arn,
            dead_letter_config=events.CfnRule.DeadLetterConfigProperty(arn=self._dead_letter_queue.queue_arn),
            target_resource=self._queue,
        )


def allow_rules_to_send(queue: sqs.IQueue, rules: Sequence[events.IRule]) -> None:
    """Let EventBridge send to `queue` on behalf of `rules` only."""
    queue.add_to_resource_policy(
        iam.PolicyStatement(
            sid="EventBridgeRulesSend",
            actions=["sqs:SendMessage"],
            principals=[iam.ServicePrincipal(EVENTS)],
            resources=[queue.queue_arn],
            conditions={"ArnEquals": {"aws:SourceArn": [rule.rule_arn for rule in rules]}},
        )
    )
