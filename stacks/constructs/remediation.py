"""Remediation (CONTROLS.md §6.4): the Security Hub custom action `ProvenanceGuardFix` whose events the
remediation function's rule receives, the function's write permissions (exactly the enabled actions'
declarations), its Note/Workflow updates, and, in automatic mode, the other functions' right to queue
remediations."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Acknowledgment, Aws, CfnResource, Validations
from aws_cdk import aws_iam as iam
from constructs import Construct

from provenance_guard import settings as env
from provenance_guard.remediation.base import RemediationAction
from provenance_guard.triggers.remediation import CUSTOM_ACTION_ID
from stacks.constructs.event_pipeline import EventPipeline

UPDATE_FINDINGS = "securityhub:BatchUpdateFindings"


class Remediation(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        pipeline: EventPipeline,
        actions: Sequence[RemediationAction],
        automatic: bool,
        senders: Sequence[EventPipeline],
    ) -> None:
        super().__init__(scope, construct_id)
        # AWS::SecurityHub::ActionTarget (CloudFormation template reference) has no CDK L1 class yet, and the
        # pinned cfn-lint's resource spec predates it.
        self.action = CfnResource(
            self,
            "CustomAction",
            type="AWS::SecurityHub::ActionTarget",
            properties={
                "Id": CUSTOM_ACTION_ID,
                "Name": CUSTOM_ACTION_ID,
                "Description": "provenance-guard: remediate the selected findings (each is re-checked first)",
            },
        )
        self.action.add_metadata("cfn-lint", {"config": {"ignore_checks": ["E3006"]}})
        Validations.of(self.action).acknowledge(
            Acknowledgment(
                id="CloudFormation-Validate::F3006",
                reason=(
                    "AWS::SecurityHub::ActionTarget is documented in the CloudFormation template reference "
                    "(aws-resource-securityhub-actiontarget); the validator's bundled resource spec predates it."
                ),
            )
        )
        writes = [write for action in actions for write in action.writes]
        for write in writes:
            resources = [
                arn.format(partition=Aws.PARTITION, region=Aws.REGION, account=Aws.ACCOUNT_ID)
                for arn in write.resources
            ]
            pipeline.role.add_to_policy(iam.PolicyStatement(actions=[write.permission], resources=resources or ["*"]))
        pipeline.role.add_to_policy(
            iam.PolicyStatement(
                actions=[UPDATE_FINDINGS],
                resources=[f"arn:{Aws.PARTITION}:securityhub:{Aws.REGION}:{Aws.ACCOUNT_ID}:hub/default"],
            )
        )
        for arn in sorted({arn for write in writes for arn in write.resources}):
            shown = arn.format(partition="<AWS::Partition>", region="<AWS::Region>", account="<AWS::AccountId>")
            Validations.of(pipeline.role).acknowledge(
                Acknowledgment(
                    id=f"AwsSolutions::AwsSolutions-IAM5[Resource::{shown}]",
                    reason=(
                        "A remediation acts on whichever resource of this type an analyst selects or automatic mode "
                        "names, re-checked first; scoped to the resource type of the action's writes only."
                    ),
                )
            )
        if automatic:
            for sender in senders:
                pipeline.queue.grant_send_messages(sender.role)
                sender.function.add_environment(env.ENV_REMEDIATION_QUEUE_URL, pipeline.queue.queue_url)
