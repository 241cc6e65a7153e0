"""The stack key's grants to AWS service principals: each only with the conditions its service supplies.

The key cannot name the queues, topics and log groups it protects (they reference the key: a cycle), so
each grant is bounded to this account's and Region's resources of that kind by the encryption context the
service itself binds to every data key it asks for:
- EventBridge delivering to the encrypted queues and delivery DLQs: SQS asks KMS on its behalf with the
  context `aws:sqs:arn` = the queue's ARN. No `aws:SourceArn`/`aws:SourceAccount` here: for EventBridge
  deliveries through a service to KMS those keys are not supplied (the SNS developer guide says so for
  encrypted topics); the queue policies name the rules (`aws:SourceArn`).
- CloudWatch alarm actions publishing to the encrypted alarm topic: SNS's context `aws:sns:topicArn`, and
  the alarm as `aws:SourceArn` (`stacks.constructs.notifications`).
- CloudWatch Logs encrypting the log groups: `kms:EncryptionContext:aws:logs:arn` (CloudWatch Logs user guide,
  "Encrypt log data in CloudWatch Logs using AWS KMS").
CloudTrail's grant is the trail's own (`stacks.constructs.trail`).
"""

from __future__ import annotations

from aws_cdk import Aws
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms

THIS_ACCOUNT_QUEUES = f"arn:{Aws.PARTITION}:sqs:{Aws.REGION}:{Aws.ACCOUNT_ID}:*"
THIS_ACCOUNT_LOG_GROUPS = f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:log-group:*"


def allow_service_use(key: kms.Key) -> None:
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="EventBridgeDeliversToThisAccountsQueues",
            actions=["kms:Decrypt", "kms:GenerateDataKey*"],
            principals=[iam.ServicePrincipal("events.amazonaws.com")],
            resources=["*"],
            conditions={"ArnLike": {"kms:EncryptionContext:aws:sqs:arn": THIS_ACCOUNT_QUEUES}},
        )
    )
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="CloudWatchLogsEncryptsThisAccountsLogGroups",
            actions=["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
            principals=[iam.ServicePrincipal(f"logs.{Aws.REGION}.{Aws.URL_SUFFIX}")],
            resources=["*"],
            conditions={"ArnLike": {"kms:EncryptionContext:aws:logs:arn": THIS_ACCOUNT_LOG_GROUPS}},
        )
    )
