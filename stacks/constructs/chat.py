"""Chat channels for the findings topic (policy `notifications.chat`): AWS Chatbot (Amazon Q Developer in
chat applications) Slack and Microsoft Teams channel configurations subscribed to the topic.

The functions publish each notification with a structured message whose HTTPS part is a Chatbot custom
notification (`notify.chat_message`), so a channel shows the same text as the e-mail. A channel only
posts: its role has no permissions, and its guardrail policy denies every action, so nobody can run AWS
commands from the channel through it."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_chatbot as chatbot
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from constructs import Construct

from provenance_guard.policy import SlackChannel, TeamsChannel

CHATBOT = "chatbot.amazonaws.com"


class ChatChannels(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, channels: Sequence[SlackChannel | TeamsChannel], topic: sns.ITopic
    ) -> None:
        super().__init__(scope, construct_id)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal(CHATBOT),
            description="provenance-guard chat channels: posts notifications, may call nothing",
        )
        self.guardrail = iam.ManagedPolicy(
            self,
            "Guardrail",
            description="provenance-guard chat channels: no AWS action may be run from the channel",
            statements=[iam.PolicyStatement(effect=iam.Effect.DENY, actions=["*"], resources=["*"])],
        )
        for number, channel in enumerate(channels, start=1):
            name = f"provenance-guard-{channel.platform}-{number}"
            if isinstance(channel, SlackChannel):
                chatbot.CfnSlackChannelConfiguration(
                    self,
                    f"Slack{number}",
                    configuration_name=name,
                    iam_role_arn=self.role.role_arn,
                    slack_workspace_id=channel.workspace_id,
                    slack_channel_id=channel.channel_id,
                    sns_topic_arns=[topic.topic_arn],
                    guardrail_policies=[self.guardrail.managed_policy_arn],
                    logging_level="ERROR",
                    user_role_required=False,
                )
            else:
                chatbot.CfnMicrosoftTeamsChannelConfiguration(
                    self,
                    f"Teams{number}",
                    configuration_name=name,
                    iam_role_arn=self.role.role_arn,
                    team_id=channel.team_id,
                    teams_tenant_id=channel.tenant_id,
                    teams_channel_id=channel.channel_id,
                    sns_topic_arns=[topic.topic_arn],
                    guardrail_policies=[self.guardrail.managed_policy_arn],
                    logging_level="ERROR",
                    user_role_required=False,
                )
