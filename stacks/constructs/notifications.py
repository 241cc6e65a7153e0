"""Topics: findings notifications for the security team, and operational alarms."""

from __future__ import annotations

from aws_cdk import Aws
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct


class Notifications(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, key: kms.IKey, emails: tuple[str, ...]) -> None:
        super().__init__(scope, construct_id)
        self.findings_topic = sns.Topic(
            self,
            "FindingsTopic",
            display_name="provenance-guard findings",
            master_key=key,
            enforce_ssl=True,
        )
        self.alarm_topic = sns.Topic(
            self,
            "AlarmTopic",
            display_name="provenance-guard operational alarms",
            master_key=key,
            enforce_ssl=True,
        )
        this_accounts_alarms = f"arn:{Aws.PARTITION}:cloudwatch:{Aws.REGION}:{Aws.ACCOUNT_ID}:alarm:*"
        # The key cannot name the topic (the topic names the key): SNS's encryption context bounds the
        # grant to this account's topics, the source ARN to this account's alarms.
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublishToThisAccountsTopics",
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                resources=["*"],
                conditions={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:sns:topicArn": (
                            f"arn:{Aws.PARTITION}:sns:{Aws.REGION}:{Aws.ACCOUNT_ID}:*"
                        ),
                        "aws:SourceArn": this_accounts_alarms,
                    },
                },
            )
        )
        # enforce_ssl gives the topic a resource policy, which replaces SNS's default one: CloudWatch
        # alarms in this account must be allowed to publish explicitly.
        self.alarm_topic.add_to_resource_policy(
            iam.PolicyStatement(
                actions=["sns:Publish"],
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                resources=[self.alarm_topic.topic_arn],
                conditions={
                    "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
                    "ArnLike": {"aws:SourceArn": this_accounts_alarms},
                },
            )
        )
        for email in emails:
            self.findings_topic.add_subscription(subscriptions.EmailSubscription(email))
            self.alarm_topic.add_subscription(subscriptions.EmailSubscription(email))
