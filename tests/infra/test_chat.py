"""Chat channels (policy `notifications.chat`): AWS Chatbot Slack and Microsoft Teams configurations on the
findings topic, with a role that may do nothing and a guardrail that denies everything."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.infra.support import TOPIC, StackModel, as_list, ref, referenced_ids
from tests.infra.test_remediation_stack import synthesize

pytestmark = pytest.mark.infra

SLACK = "AWS::Chatbot::SlackChannelConfiguration"
TEAMS = "AWS::Chatbot::MicrosoftTeamsChannelConfiguration"
POLICY = """version: 1
notifications:
  chat:
    - {platform: slack, workspace_id: T07EA123LEP, channel_id: C07EZ1ABC23}
    - platform: teams
      tenant_id: 3f1c7a6e-2b8d-4c5e-9f10-7a2b3c4d5e6f
      team_id: 8e2d4c6a-1b3f-4d5e-8a9b-0c1d2e3f4a5b
      channel_id: "19%3ab6ef35dc342d4f8a8a6f5d4a6a5f8b1c%40thread.tacv2"
"""


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> StackModel:
    return synthesize(tmp_path_factory.mktemp("chat"), POLICY)


def findings_topic(model: StackModel) -> str:
    (topic,) = [t for t, r in model.of_type(TOPIC).items() if "findings" in r["Properties"]["DisplayName"]]
    return topic


def test_each_channel_subscribes_to_the_findings_topic(model: StackModel) -> None:
    (slack,) = model.of_type(SLACK).values()
    (teams,) = model.of_type(TEAMS).values()
    assert slack["Properties"]["SlackWorkspaceId"] == "T07EA123LEP"
    assert slack["Properties"]["SlackChannelId"] == "C07EZ1ABC23"
    assert teams["Properties"]["TeamsChannelId"] == "19%3ab6ef35dc342d4f8a8a6f5d4a6a5f8b1c%40thread.tacv2"
    for channel in (slack, teams):
        assert channel["Properties"]["SnsTopicArns"] == [ref(findings_topic(model))]


def test_nothing_can_be_run_from_a_channel(model: StackModel) -> None:
    (slack,) = model.of_type(SLACK).values()
    (guardrail_id,) = referenced_ids(slack["Properties"]["GuardrailPolicies"])
    statements = model.props(guardrail_id)["PolicyDocument"]["Statement"]
    assert statements == [{"Action": "*", "Effect": "Deny", "Resource": "*"}]
    (role_id,) = referenced_ids(slack["Properties"]["IamRoleArn"])
    assert model.identity_statements(role_id) == []
    principal = model.props(role_id)["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
    assert as_list(principal["Service"]) == ["chatbot.amazonaws.com"]


def test_no_channel_no_chatbot(tmp_path: Path) -> None:
    model = synthesize(tmp_path, "version: 1\n")
    assert model.of_type(SLACK) == {}
    assert model.of_type(TEAMS) == {}
