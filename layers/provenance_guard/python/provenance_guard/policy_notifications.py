"""The `notifications` section of the policy: who hears about new failures, by e-mail and in chat.

Chat channels are AWS Chatbot's (Amazon Q Developer in chat applications) configurations, with the ids
its CloudFormation resources take: `AWS::Chatbot::SlackChannelConfiguration` (`SlackWorkspaceId`,
`SlackChannelId`) and `AWS::Chatbot::MicrosoftTeamsChannelConfiguration` (`TeamsTenantId`, `TeamId`,
`TeamsChannelId`), each checked with the pattern botocore's chatbot model gives it. The workspace or
team must first be authorised once in the Chatbot console, which is where the ids are copied from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from provenance_guard.model import Severity
from provenance_guard.policy_fields import spec
from provenance_guard.policy_rules import EMAIL, Pattern

UUID = r"^[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}$"
SLACK_WORKSPACE_ID = Pattern(r"^[0-9A-Z]{1,255}$", "a Slack workspace id (upper-case letters and digits, T07EA123LEP)")
SLACK_CHANNEL_ID = Pattern(r"^[A-Za-z0-9]{1,255}$", "a Slack channel id (letters and digits, C07EZ1ABC23)")
TEAMS_TENANT_ID = Pattern(UUID, "a Microsoft Entra tenant id (a UUID)")
TEAMS_TEAM_ID = Pattern(UUID, "a Microsoft Teams team id (a UUID)")
TEAMS_CHANNEL_ID = Pattern(
    r"^[a-zA-Z0-9_=+/.,-]*%3[aA][a-zA-Z0-9_=+/.,-]*%40[a-zA-Z0-9_=+/.,-]*$",
    "a Microsoft Teams channel id, URL-encoded as in the channel's link (19%3a...%40thread.tacv2)",
)


@dataclass(frozen=True)
class SlackChannel:
    platform: Literal["slack"] = field(metadata=spec("slack"))
    workspace_id: str = field(metadata=spec("SlackWorkspaceId, from the Chatbot console", rule=SLACK_WORKSPACE_ID))
    channel_id: str = field(metadata=spec("SlackChannelId, the end of the channel's link", rule=SLACK_CHANNEL_ID))


@dataclass(frozen=True)
class TeamsChannel:
    platform: Literal["teams"] = field(metadata=spec("teams"))
    tenant_id: str = field(metadata=spec("TeamsTenantId, from the Chatbot console", rule=TEAMS_TENANT_ID))
    team_id: str = field(metadata=spec("TeamId, from the Chatbot console", rule=TEAMS_TEAM_ID))
    channel_id: str = field(
        metadata=spec("TeamsChannelId, from the channel's link (URL-encoded)", rule=TEAMS_CHANNEL_ID)
    )


ChatChannel = SlackChannel | TeamsChannel


@dataclass(frozen=True)
class Notifications:
    min_severity: Severity = field(
        default=Severity.HIGH, metadata=spec("notify on new failures at or above this severity")
    )
    emails: tuple[str, ...] = field(
        default=(), metadata=spec("subscribed to the findings and alarm topics at deploy", rule=EMAIL)
    )
    chat: tuple[ChatChannel, ...] = field(
        default=(), metadata=spec("Slack or Microsoft Teams channels, through AWS Chatbot")
    )

    @property
    def has_recipients(self) -> bool:
        return bool(self.emails or self.chat)
