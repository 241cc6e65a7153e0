"""The provenance-guard stack: composes the constructs and does the cross-construct grants."""

from __future__ import annotations

import hashlib
import json

from aws_cdk import Acknowledgment, Aws, Duration, Stack, Validations
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_ssm as ssm
from aws_cdk import custom_resources as cr
from constructs import Construct

from provenance_guard import remediation
from provenance_guard import settings as env
from provenance_guard.policy_fields import to_document
from stacks import checkov_skips
from stacks.config import PROJECT_ROOT, StackConfig
from stacks.constructs.chat import ChatChannels
from stacks.constructs.event_pipeline import ARCHITECTURE, MAX_CONCURRENCY, RUNTIME, EventPipeline
from stacks.constructs.findings_store import FindingsStore
from stacks.constructs.key_policy import allow_service_use
from stacks.constructs.notifications import Notifications
from stacks.constructs.remediation import Remediation
from stacks.constructs.trail import ManagementEventsTrail
from stacks.iam_scopes import SCOPED, UNSCOPED, XRAY_WRITE, ResourceScope
from stacks.layer_bundle import build_layer
from stacks.triggers import (
    FUNCTIONS,
    SWEEP,
    FunctionSpec,
    automatic_remediations,
    enabled_remediations,
    remediation_function,
)

POLICY_PARAMETER = "/provenance-guard/policy"
SSM_STANDARD_LIMIT = 4096
SECURITYHUB_BUDGET_RPS = 8.0
"""Shared by every concurrent function instance, under Security Hub's 10 requests/s per account/Region."""


class ProvenanceGuardStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: StackConfig, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        key = kms.Key(
            self,
            "Key",
            description="provenance-guard: queues, topics and the findings table",
            enable_key_rotation=True,
        )
        allow_service_use(key)
        store = FindingsStore(self, "Findings", key=key)
        notifications = Notifications(self, "Notifications", key=key, emails=config.policy.notifications.emails)
        policy_parameter = self._policy_parameter(config)
        layer = lambda_.LayerVersion(
            self,
            "Layer",
            code=lambda_.Code.from_asset(str(build_layer(PROJECT_ROOT))),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description="provenance-guard shared code and pinned runtime dependencies",
        )
        table_logical_id = self.resolve(self.get_logical_id(store.table.node.default_child))  # type: ignore[arg-type]
        remediation_spec = remediation_function(config.policy)
        remediation_actions = [remediation.ACTIONS[c] for c in sorted(enabled_remediations(config.policy))]
        specs = (*FUNCTIONS, remediation_spec) if remediation_spec else FUNCTIONS
        rps = SECURITYHUB_BUDGET_RPS / (MAX_CONCURRENCY * len(specs))
        self.pipelines: dict[str, EventPipeline] = {}
        for spec in specs:
            pipeline = EventPipeline(
                self,
                _construct_id(spec),
                spec=spec,
                layer=layer,
                key=key,
                environment={
                    env.ENV_TABLE_NAME: store.table.table_name,
                    env.ENV_TOPIC_ARN: notifications.findings_topic.topic_arn,
                    env.ENV_POLICY_PARAMETER: policy_parameter.parameter_name,
                    env.ENV_FUNCTION: spec.name,
                    env.ENV_SECURITYHUB_RPS: f"{rps:.3f}",
                    "POWERTOOLS_SERVICE_NAME": "provenance-guard",
                    "POWERTOOLS_METRICS_NAMESPACE": "ProvenanceGuard",
                },
                read_permissions=read_permissions(spec),
                log_retention=logs.RetentionDays[config.log_retention],
                alarm_topic=notifications.alarm_topic,
                schedule=events.Schedule.expression(config.sweep_schedule) if spec.scheduled else None,
            )
            store.table.grant_read_write_data(pipeline.role)
            notifications.findings_topic.grant_publish(pipeline.role)
            policy_parameter.grant_read(pipeline.role)
            pipeline.role.add_to_policy(
                iam.PolicyStatement(
                    actions=["securityhub:BatchImportFindings"],
                    resources=[
                        f"arn:{Aws.PARTITION}:securityhub:{Aws.REGION}:{Aws.ACCOUNT_ID}:product/{Aws.ACCOUNT_ID}/default"
                    ],
                )
            )
            writes = remediation_actions if spec is remediation_spec else []
            self._acknowledge(
                pipeline, table_logical_id, [w.permission for a in writes for w in a.writes if not w.resources]
            )
            self.pipelines[spec.name] = pipeline
        self.remediation = None
        if remediation_spec is not None:
            self.remediation = Remediation(
                self,
                "RemediationAccess",
                pipeline=self.pipelines[remediation_spec.name],
                actions=remediation_actions,
                automatic=bool(automatic_remediations(config.policy)),
                senders=[self.pipelines[spec.name] for spec in FUNCTIONS],
            )
        self.chat = None
        if config.policy.notifications.chat:
            self.chat = ChatChannels(
                self, "ChatChannels", channels=config.policy.notifications.chat, topic=notifications.findings_topic
            )
        self.trail = None
        if config.create_trail:
            self.trail = ManagementEventsTrail(self, "ManagementEventsTrail", key=key)
        self._initial_sweep(
            policy_version=hashlib.sha256(policy_parameter_document(config).encode()).hexdigest()[:16],
            logs_group=logs.LogGroup(
                self, "InitialSweepLogs", retention=logs.RetentionDays[config.log_retention], encryption_key=key
            ),
        )

    def _initial_sweep(self, policy_version: str, logs_group: logs.ILogGroup) -> None:
        """Sweep once after each deployment that creates the stack or changes the policy, so existing
        resources get findings on day one (the "Sweep Requested" rule routes the event)."""
        request = cr.AwsSdkCall(
            service="EventBridge",
            action="putEvents",
            parameters={
                "Entries": [
                    {
                        "Source": "provenance-guard",
                        "DetailType": "Sweep Requested",
                        "Detail": json.dumps({"reason": "deployment"}),
                    }
                ]
            },
            # A new physical id per policy version: CloudFormation calls on_update when the policy changes.
            physical_resource_id=cr.PhysicalResourceId.of(f"initial-sweep-{policy_version}"),
        )
        sweep = cr.AwsCustomResource(
            self,
            "InitialSweep",
            on_create=request,
            on_update=request,
            log_group=logs_group,
            policy=cr.AwsCustomResourcePolicy.from_statements(
                [
                    iam.PolicyStatement(
                        actions=["events:PutEvents"],
                        resources=[f"arn:{Aws.PARTITION}:events:{Aws.REGION}:{Aws.ACCOUNT_ID}:event-bus/default"],
                    )
                ]
            ),
            install_latest_aws_sdk=False,
        )
        sweep.node.add_dependency(self.pipelines[SWEEP.name])
        # CDK names the provider's singleton function "AWS" + its UUID without dashes.
        provider = self.node.find_child("AWS" + cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace("-", ""))
        checkov_skips.skip(provider.node.default_child, checkov_skips.CUSTOM_RESOURCE_PROVIDER)  # type: ignore[arg-type]
        Validations.of(provider).acknowledge(
            Acknowledgment(
                id=(
                    "AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                    "AWSLambdaBasicExecutionRole]"
                ),
                reason=(
                    "CDK's AwsCustomResource provider (it runs once per deployment to start the first sweep) "
                    "writes its own logs through the AWS managed basic execution policy; its only other "
                    "permission is events:PutEvents on the default bus."
                ),
            )
        )

    def _policy_parameter(self, config: StackConfig) -> ssm.StringParameter:
        document = policy_parameter_document(config)
        return ssm.StringParameter(
            self,
            "Policy",
            parameter_name=POLICY_PARAMETER,
            description=f"provenance-guard policy, validated at synth from {config.policy_file.name}",
            string_value=document,
            tier=ssm.ParameterTier.ADVANCED if len(document) > SSM_STANDARD_LIMIT else ssm.ParameterTier.STANDARD,
        )

    def _acknowledge(self, pipeline: EventPipeline, table_logical_id: str, unscoped_writes: list[str]) -> None:
        """`unscoped_writes`: the remediation function's writes that take no resource type."""
        unscoped = sorted({*(set(UNSCOPED) & {*pipeline.spec.read_permissions, *XRAY_WRITE}), *unscoped_writes})
        reasons = {
            "AwsSolutions::AwsSolutions-IAM5[Resource::*]": (
                "Only actions for which the Service Authorization Reference lists no resource type are granted "
                f"on * ({', '.join(unscoped)}); every action is listed explicitly, no action wildcards."
            ),
            **{
                f"AwsSolutions::AwsSolutions-IAM5[Resource::{scope.nag_form()}]": _scope_reason(scope)
                for scope in _scopes_of(pipeline.spec.read_permissions)
            },
            "AwsSolutions::AwsSolutions-IAM5[Action::kms:GenerateDataKey*]": (
                "CDK's grant for publishing to the KMS-encrypted topic; scoped to the service's own key."
            ),
            "AwsSolutions::AwsSolutions-IAM5[Action::kms:ReEncrypt*]": (
                "CDK's grant for the KMS-encrypted findings table; scoped to the service's own key."
            ),
            f"AwsSolutions::AwsSolutions-IAM5[Resource::<{table_logical_id}.Arn>/index/*]": (
                "The state store queries its own table's ByResource index; CDK grants index access as index/*."
            ),
        }
        for ack_id, reason in reasons.items():
            Validations.of(pipeline.role).acknowledge(Acknowledgment(id=ack_id, reason=reason))


def _scopes_of(actions: list[str]) -> set[ResourceScope]:
    return {scope for action in actions for scope in SCOPED.get(action, ())}


def _scope_reason(scope: ResourceScope) -> str:
    where = "any Region" if scope.region != "this" else "this Region"
    whose = "any account" if scope.account != "this" else "this account"
    return (
        f"Reads scoped to the SAR resource type {scope.resource_type!r} in {where} and {whose} "
        "(stacks/iam_scopes.py; docs/decisions/iam-resource-scoping.md): the name is what the event or "
        "the inventory supplies at run time."
    )


def policy_parameter_document(config: StackConfig) -> str:
    """The validated policy as the JSON the functions read from SSM."""
    return json.dumps(to_document(config.policy), separators=(",", ":"), sort_keys=True)


def read_permissions(spec: FunctionSpec) -> list[str]:
    """What the function may read: what the collectors, expanders and inventories it runs declare."""
    return spec.read_permissions


def _construct_id(spec: FunctionSpec) -> str:
    return "".join(part.capitalize() for part in spec.name.split("_"))


__all__ = ["Duration", "ProvenanceGuardStack", "read_permissions"]
