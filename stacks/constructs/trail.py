"""An optional CloudTrail trail of write management events (`provenance-guard:create-trail`).

EventBridge receives "AWS API Call via CloudTrail" events only when the account has a trail; without one
the CloudTrail-based triggers (ModifyImageAttribute, RunInstances, the ECR and Lambda configuration calls)
stay silent. Accounts with an organization or account trail already don't need this one.
"""

from __future__ import annotations

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_cloudtrail as cloudtrail
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks import checkov_skips

LOG_EXPIRY = Duration.days(400)


class ManagementEventsTrail(Construct):
    """Multi-Region trail of write management events (the only kind the triggers need): KMS-encrypted log
    files with integrity validation, in a private, SSL-only, versioned bucket whose server access logs go to
    a second private bucket (granted by bucket policy, no ACLs). Not sent to CloudWatch Logs: cdk-nag's
    AwsSolutions pack does not ask for it, and EventBridge delivery does not need it."""

    def __init__(self, scope: Construct, construct_id: str, *, key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,  # server access log delivery supports SSE-S3 only
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            lifecycle_rules=[s3.LifecycleRule(expiration=LOG_EXPIRY, noncurrent_version_expiration=Duration.days(30))],
            removal_policy=RemovalPolicy.RETAIN,
        )
        checkov_skips.skip(self.access_logs.node.default_child, checkov_skips.ACCESS_LOG_BUCKET)  # type: ignore[arg-type]
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            encryption=s3.BucketEncryption.S3_MANAGED,  # log files themselves are SSE-KMS: the trail's key
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="trail-bucket/",
            lifecycle_rules=[s3.LifecycleRule(expiration=LOG_EXPIRY, noncurrent_version_expiration=Duration.days(30))],
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.trail = cloudtrail.Trail(
            self,
            "Trail",
            bucket=self.bucket,
            encryption_key=key,
            enable_file_validation=True,
            include_global_service_events=True,
            is_multi_region_trail=True,
            management_events=cloudtrail.ReadWriteType.WRITE_ONLY,
        )
        trail_arn = f"arn:{Aws.PARTITION}:cloudtrail:*:{Aws.ACCOUNT_ID}:trail/*"
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudTrailEncryptsLogFiles",
                actions=["kms:GenerateDataKey*"],
                principals=[iam.ServicePrincipal("cloudtrail.amazonaws.com")],
                resources=["*"],
                conditions={
                    "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
                    "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": trail_arn},
                },
            )
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudTrailDescribesKey",
                actions=["kms:DescribeKey"],
                principals=[iam.ServicePrincipal("cloudtrail.amazonaws.com")],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
            )
        )
