"""One event family: EventBridge rule(s) -> encrypted SQS queue (+ DLQ) -> Lambda, with alarms.

The function's role is explicit and inline: log writes to its own log group, X-Ray, and exactly the
read permissions its controls declare (`read_permissions`), each scoped to the resource types the Service
Authorization Reference allows (`stacks.iam_scopes`). The stack adds the cross-construct grants.

EventBridge delivers to the queue on behalf of this pipeline's rules only (`aws:SourceArn`); what it cannot
deliver goes to the pipeline's delivery dead-letter queue. Logs and environment are encrypted with the
stack's key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Acknowledgment, Duration, Validations
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from provenance_guard.settings import ENV_RECHECK_QUEUE_URL, ENV_SWEEP_QUEUE_URL
from stacks import checkov_skips
from stacks.config import PROJECT_ROOT
from stacks.constructs.pipeline_alarms import PipelineParts, add_alarms
from stacks.constructs.queue_target import EncryptedQueueTarget, allow_rules_to_send
from stacks.iam_scopes import XRAY_WRITE, read_grants
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
        self.dead_letter_queue = _dead_letter_queue(self, "DeadLetterQueue", key)
        self.delivery_dead_letter_queue = _dead_letter_queue(self, "DeliveryDeadLetterQueue", key)
        Validations.of(self.delivery_dead_letter_queue).acknowledge(
            Acknowledgment(
                id="AwsSolutions::AwsSolutions-SQS3",
                reason=(
                    "It is the dead-letter queue of this pipeline's EventBridge rule targets (DeadLetterConfig "
                    "on each rule target, which cdk-nag does not follow), not a source queue; it is alarmed."
                ),
            )
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
        self.log_group = logs.LogGroup(self, "Logs", retention=log_retention, encryption_key=key)
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
            environment_encryption=key,
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
        checkov_skips.skip(self.function.node.default_child, checkov_skips.SQS_TRIGGERED_FUNCTION)  # type: ignore[arg-type]
        target = EncryptedQueueTarget(self.queue, self.delivery_dead_letter_queue)
        self.rules: list[tuple[str, events.Rule]] = [
            (
                rule_spec.name,
                events.Rule(
                    self,
                    rule_spec.name,
                    description=rule_spec.description,
                    event_pattern=_pattern(rule_spec.pattern),
                    targets=[target],
                ),
            )
            for rule_spec in spec.rules
        ]
        if schedule is not None:
            rule = events.Rule(self, "Schedule", description="Scheduled sweep", schedule=schedule, targets=[target])
            self.rules.append(("Schedule", rule))
        rules = [rule for _, rule in self.rules]
        allow_rules_to_send(self.queue, rules)
        allow_rules_to_send(self.delivery_dead_letter_queue, rules)
        add_alarms(
            self,
            PipelineParts(
                spec.name,
                self.function,
                self.queue,
                self.dead_letter_queue,
                self.delivery_dead_letter_queue,
                rules=self.rules,
            ),
            alarm_topic,
        )

    def _grant_basics(self, read_permissions: Sequence[str]) -> None:
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[self.log_group.log_group_arn],
            )
        )
        self.role.add_to_policy(iam.PolicyStatement(actions=list(XRAY_WRITE), resources=["*"]))
        for grant in read_grants(read_permissions):
            resources = [scope.rendered() for scope in grant.resources] or ["*"]
            self.role.add_to_policy(iam.PolicyStatement(actions=list(grant.actions), resources=resources))


def _dead_letter_queue(scope: Construct, construct_id: str, key: kms.IKey) -> sqs.Queue:
    return sqs.Queue(
        scope,
        construct_id,
        encryption=sqs.QueueEncryption.KMS,
        encryption_master_key=key,
        enforce_ssl=True,
        retention_period=Duration.days(14),
    )


def _pattern(pattern: Mapping[str, object]) -> events.EventPattern:
    """CDK's EventPattern takes the top-level keys as properties; `detail` stays a raw mapping."""
    return events.EventPattern(
        source=list(pattern["source"]),  # type: ignore[call-overload]
        detail_type=list(pattern["detail-type"]),  # type: ignore[call-overload]
        detail=pattern.get("detail"),  # type: ignore[arg-type]
    )
