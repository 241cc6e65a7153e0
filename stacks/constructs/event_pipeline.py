"""One event family: EventBridge rule(s) -> encrypted SQS queue (+ DLQ) -> Lambda, with alarms.

The function's role is explicit and inline: log writes to its own log group, X-Ray, and exactly the
read permissions its controls declare (`read_permissions`). The stack adds the cross-construct grants.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from provenance_guard.settings import ENV_RECHECK_QUEUE_URL, ENV_SWEEP_QUEUE_URL
from stacks.config import PROJECT_ROOT
from stacks.triggers import FunctionSpec

RUNTIME = lambda_.Runtime.PYTHON_3_14
ARCHITECTURE = lambda_.Architecture.ARM_64
MAX_RECEIVE_COUNT = 5
BATCH_SIZE = 10
MAX_CONCURRENCY = 2


class EventPipeline(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        spec: FunctionSpec,
        layer: lambda_.ILayerVersion,
        key: kms.IKey,
        environment: Mapping[str, str],
        read_permissions: Sequence[str],
        log_retention: logs.RetentionDays,
        alarm_topic: sns.ITopic,
        schedule: events.Schedule | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.spec = spec
        visibility = Duration.seconds(spec.timeout_seconds * 6)
        self.dead_letter_queue = sqs.Queue(
            self,
            "DeadLetterQueue",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=key,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        self.queue = sqs.Queue(
            self,
            "Queue",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=key,
            enforce_ssl=True,
            visibility_timeout=visibility,
            retention_period=Duration.days(4),
            dead_letter_queue=sqs.DeadLetterQueue(queue=self.dead_letter_queue, max_receive_count=MAX_RECEIVE_COUNT),
        )
        self.log_group = logs.LogGroup(self, "Logs", retention=log_retention, encryption_key=None)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"provenance-guard {spec.name}: least privilege from the control registry",
        )
        self._grant_basics(read_permissions)
        self.function = lambda_.Function(
            self,
            "Function",
            description=spec.description,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=spec.handler,
            code=lambda_.Code.from_asset(str(PROJECT_ROOT / "functions" / spec.name), exclude=["__pycache__"]),
            layers=[layer],
            role=self.role,
            timeout=Duration.seconds(spec.timeout_seconds),
            memory_size=spec.memory_mb,
            environment=dict(environment),
            tracing=lambda_.Tracing.ACTIVE,
            log_group=self.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
        )
        if spec.fans_out:
            self.function.add_environment(ENV_SWEEP_QUEUE_URL, self.queue.queue_url)
        if spec.rechecks:
            self.function.add_environment(ENV_RECHECK_QUEUE_URL, self.queue.queue_url)
        if spec.fans_out or spec.rechecks:
            self.queue.grant_send_messages(self.role)
        self.function.add_event_source(
            event_sources.SqsEventSource(
                self.queue,
                batch_size=BATCH_SIZE,
                max_batching_window=Duration.seconds(5),
                report_batch_item_failures=True,
                max_concurrency=MAX_CONCURRENCY,
            )
        )
        for rule_spec in spec.rules:
            rule = events.Rule(
                self,
                rule_spec.name,
                description=rule_spec.description,
                event_pattern=_pattern(rule_spec.pattern),
            )
            rule.add_target(targets.SqsQueue(self.queue))
        if schedule is not None:
            events.Rule(self, "Schedule", description="Scheduled sweep", schedule=schedule).add_target(
                targets.SqsQueue(self.queue)
            )
        self._alarms(alarm_topic)

    def _grant_basics(self, read_permissions: Sequence[str]) -> None:
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[self.log_group.log_group_arn],
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
                resources=["*"],
            )
        )
        if read_permissions:
            self.role.add_to_policy(iam.PolicyStatement(actions=sorted(read_permissions), resources=["*"]))

    def _alarms(self, topic: sns.ITopic) -> None:
        five_minutes = Duration.minutes(5)
        alarms = {
            "DeadLetterQueueNotEmpty": (
                "events failed repeatedly and wait in the DLQ",
                self.dead_letter_queue.metric_approximate_number_of_messages_visible(period=five_minutes),
            ),
            "FunctionErrors": ("the function raised errors", self.function.metric_errors(period=five_minutes)),
        }
        for alarm_id, (what, metric) in alarms.items():
            cloudwatch.Alarm(
                self,
                alarm_id,
                alarm_description=f"provenance-guard {self.spec.name}: {what}",
                metric=metric,
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            ).add_alarm_action(cloudwatch_actions.SnsAction(topic))


def _pattern(pattern: Mapping[str, object]) -> events.EventPattern:
    """CDK's EventPattern takes the top-level keys as properties; `detail` stays a raw mapping."""
    return events.EventPattern(
        source=list(pattern["source"]),  # type: ignore[call-overload]
        detail_type=list(pattern["detail-type"]),  # type: ignore[call-overload]
        detail=pattern.get("detail"),  # type: ignore[arg-type]
    )
