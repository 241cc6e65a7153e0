"""Least privilege: each function's role holds the wiring CDK grants plus exactly its registry reads.

The wiring statements are recognised by both their actions and the one resource they may name (the
function's own queue, log group; the stack's key, table, findings topic, policy parameter; the
Security Hub default product ARN). Whatever is not recognised counts as the function's reads, which
must equal `read_permissions(spec)` - so a widened grant shows up as an unexpected read.

The reads are scoped by `stacks/iam_scopes.py`, whose table is taken from the AWS Service Authorization
Reference (https://docs.aws.amazon.com/service-authorization/latest/reference/, one page per service,
`SAR_PAGES`): an action whose Actions-table row names a resource type is granted on that type's ARN
format only; only an action whose row names none is granted on *.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pytest

from stacks.iam_scopes import ANY, SAR_PAGES, SCOPED, THIS, UNSCOPED
from stacks.provenance_guard_stack import read_permissions
from stacks.triggers import FUNCTIONS, FunctionSpec
from tests.infra.support import (
    KEY,
    PARAMETER,
    POLICY,
    ROLE,
    TABLE,
    StackModel,
    as_list,
    get_att,
    ref,
    referenced_ids,
)

pytestmark = pytest.mark.infra

SQS_SEND = {"sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"}
"""The sweep sends its pages to its own queue (FunctionSpec.fans_out); image_push its rechecks
(FunctionSpec.rechecks)."""
SQS_CONSUME = {
    "sqs:ReceiveMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:GetQueueUrl",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
}
KMS_USE = {"kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"}
DYNAMODB_DATA = {
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:GetItem",
    "dynamodb:Scan",
    "dynamodb:ConditionCheckItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
}
"""What CDK's `Table.grant_read_write_data` writes (it includes the stream reads)."""
SSM_READ = {"ssm:DescribeParameters", "ssm:GetParameters", "ssm:GetParameter", "ssm:GetParameterHistory"}
LOGS_WRITE = {"logs:CreateLogStream", "logs:PutLogEvents"}
XRAY_WRITE = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
IMPORT_FINDINGS = "securityhub:BatchImportFindings"
DEFAULT_PRODUCT_ARN = {
    "Fn::Join": [
        "",
        [
            "arn:",
            {"Ref": "AWS::Partition"},
            ":securityhub:",
            {"Ref": "AWS::Region"},
            ":",
            {"Ref": "AWS::AccountId"},
            ":product/",
            {"Ref": "AWS::AccountId"},
            "/default",
        ],
    ]
}
"""arn:<partition>:securityhub:<region>:<account>:product/<account>/default (securityhub.md §2)."""
WIRING = ("sqs-consume", "kms", "dynamodb", "sns-publish", "ssm-read", "logs", "xray", "securityhub")
SERVICE_WILDCARD = re.compile(r"^[a-z0-9-]+:\*$")

by_name = pytest.mark.parametrize("spec", FUNCTIONS, ids=lambda spec: spec.name)


def actions(statement: Mapping[str, Any]) -> set[str]:
    return set(as_list(statement["Action"]))


def classify(statement: Mapping[str, Any], wiring: Mapping[str, str]) -> str:
    """The wiring category of a statement, or "read" when it is none of them."""
    acts, resource = actions(statement), statement["Resource"]
    if acts <= SQS_CONSUME and resource == get_att(wiring["queue"]):
        return "sqs-consume"
    if acts <= SQS_SEND and resource == get_att(wiring["queue"]):
        return "sqs-send-own-queue"
    if acts <= KMS_USE and resource == get_att(wiring["key"]):
        return "kms"
    if acts <= DYNAMODB_DATA and referenced_ids(resource) == {wiring["table"]}:
        return "dynamodb"
    if acts == {"sns:Publish"} and resource == ref(wiring["topic"]):
        return "sns-publish"
    if acts <= SSM_READ and referenced_ids(resource) == {wiring["parameter"]}:
        return "ssm-read"
    if acts == LOGS_WRITE and resource == get_att(wiring["log_group"]):
        return "logs"
    if acts == XRAY_WRITE and resource == "*":
        return "xray"
    if acts == {IMPORT_FINDINGS} and resource == DEFAULT_PRODUCT_ARN:
        return "securityhub"
    return "read"


def wiring_of(model: StackModel, spec: FunctionSpec) -> dict[str, str]:
    function_id = model.function_id(spec.name)
    (topic_id,) = referenced_ids(model.environment(function_id)["PROVENANCE_GUARD_TOPIC_ARN"])
    return {
        "queue": model.queue_of(function_id),
        "log_group": model.log_group_of(function_id),
        "key": model.only(KEY),
        "table": model.only(TABLE),
        "parameter": model.only(PARAMETER),
        "topic": topic_id,
    }


def statements_of(model: StackModel, spec: FunctionSpec) -> list[Mapping[str, Any]]:
    return model.identity_statements(model.role_of(model.function_id(spec.name)))


@by_name
def test_role_reads_exactly_what_the_registry_declares(model, spec: FunctionSpec):
    wiring = wiring_of(model, spec)
    reads = set()
    for statement in statements_of(model, spec):
        assert statement["Effect"] == "Allow"
        if classify(statement, wiring) == "read":
            reads |= actions(statement)
    assert reads == set(read_permissions(spec))


@by_name
def test_role_has_the_wiring_the_function_needs(model, spec: FunctionSpec):
    wiring = wiring_of(model, spec)
    found = {classify(statement, wiring) for statement in statements_of(model, spec)}
    assert set(WIRING) <= found, f"missing: {set(WIRING) - found}"


@by_name
def test_security_hub_import_is_scoped_to_the_default_product(model, spec: FunctionSpec):
    securityhub = [
        statement
        for statement in statements_of(model, spec)
        if any(action.startswith("securityhub:") for action in actions(statement))
    ]
    assert securityhub == [{"Action": IMPORT_FINDINGS, "Effect": "Allow", "Resource": DEFAULT_PRODUCT_ARN}]


def test_no_identity_statement_grants_a_whole_service(model):
    documents = [r["Properties"]["PolicyDocument"] for r in model.of_type(POLICY).values()]
    documents += [
        p["PolicyDocument"] for r in model.of_type(ROLE).values() for p in r["Properties"].get("Policies", [])
    ]
    assert documents
    for document in documents:
        for statement in document["Statement"]:
            for action in actions(statement):
                assert action != "*", statement
                assert not SERVICE_WILDCARD.match(action), statement


def test_each_function_has_its_own_role_with_no_managed_policies(model):
    roles = [model.role_of(function_id) for function_id in model.function_names().values()]
    assert len(set(roles)) == len(FUNCTIONS)
    for role_id in roles:
        role = model.props(role_id)
        assert "ManagedPolicyArns" not in role, f"{role_id}: use the explicit inline grants, not managed policies"
        assert role["AssumeRolePolicyDocument"]["Statement"] == [
            {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}
        ]
    for policy_id, policy in model.of_type(POLICY).items():
        if policy_id.startswith("InitialSweep"):  # the custom resource's own policy: events:PutEvents only
            assert policy["Properties"]["PolicyDocument"]["Statement"][0]["Action"] == "events:PutEvents"
            continue
        attached = policy["Properties"].get("Roles", [])
        assert len(attached) == 1, policy_id
        assert referenced_ids(attached) <= set(roles), policy_id


@by_name
def test_only_a_function_that_fans_out_or_rechecks_may_send_to_its_own_queue(model, spec: FunctionSpec):
    wiring = wiring_of(model, spec)
    sends = [s for s in statements_of(model, spec) if classify(s, wiring) == "sqs-send-own-queue"]
    assert bool(sends) is (spec.fans_out or spec.rechecks)
    variables = model.environment(model.function_id(spec.name))
    assert ("PROVENANCE_GUARD_SWEEP_QUEUE_URL" in variables) is spec.fans_out
    assert ("PROVENANCE_GUARD_RECHECK_QUEUE_URL" in variables) is spec.rechecks
    if spec.rechecks:
        assert variables["PROVENANCE_GUARD_RECHECK_QUEUE_URL"] == ref(wiring["queue"])


# -- resource scoping (stacks/iam_scopes.py, from the Service Authorization Reference) -------------------


def _resolved(synth, scopes) -> list[Any]:
    return [synth.stack.resolve(scope.rendered()) for scope in scopes]


def read_statements(model: StackModel, spec: FunctionSpec) -> list[Mapping[str, Any]]:
    wiring = wiring_of(model, spec)
    return [s for s in statements_of(model, spec) if classify(s, wiring) == "read"]


@by_name
def test_every_declared_read_is_decided_once(spec: FunctionSpec):
    """A new read cannot reach the template without being looked up in the SAR: it is scoped or, with the
    reason that the SAR lists no resource type for it, granted on *."""
    for action in spec.read_permissions:
        assert (action in SCOPED) != (action in UNSCOPED), f"{action}: decide it in stacks/iam_scopes.py"


@by_name
def test_every_action_with_a_resource_type_is_scoped_to_it(synth, model, spec: FunctionSpec):
    """Each read the SAR gives a resource type is granted on exactly the table's ARN patterns of that type,
    never on *; only the actions the SAR lists without a resource type share the one * statement."""
    on_star: set[str] = set()
    for statement in read_statements(model, spec):
        resources = as_list(statement["Resource"])
        if resources == ["*"]:
            on_star |= actions(statement)
            continue
        for action in actions(statement):
            assert action in SCOPED, f"{action} is scoped but not in the table"
            assert resources == _resolved(synth, SCOPED[action]), action
    assert on_star == {action for action in spec.read_permissions if action in UNSCOPED}
    stars = [s for s in read_statements(model, spec) if as_list(s["Resource"]) == ["*"]]
    assert len(stars) <= 1, "one * statement for the reads that need it"


def test_every_table_entry_names_its_own_services_resources():
    for action, scopes in SCOPED.items():
        service = action.split(":", 1)[0]
        assert service in SAR_PAGES, f"{action}: cite its SAR page in SAR_PAGES"
        for scope in scopes:
            assert scope.arn.startswith(f"arn:${{Partition}}:{service}:"), (action, scope.arn)
            assert scope.arn.endswith("*"), f"{action}: the name comes at run time"
            assert scope.region in (THIS, ANY)
            assert scope.account in (THIS, ANY)
    for action, reason in UNSCOPED.items():
        assert action.split(":", 1)[0] in SAR_PAGES, action
        assert "no resource type" in reason, action


def test_the_named_actions_of_issue_13_are_scoped():
    """The reads the issue found on * although the SAR gives them a resource type."""
    named = {
        "ecr:BatchGetImage": "repository",
        "ecr:DescribeImages": "repository",
        "ecr:DescribeRepositories": "repository",
        "ecr:GetDownloadUrlForLayer": "repository",
        "ecr:ListTagsForResource": "repository",
        "ecr:DescribeImageScanFindings": "repository",
        "lambda:GetFunction": "function",
        "lambda:ListAliases": "function",
        "lambda:GetFunctionCodeSigningConfig": "function",
        "lambda:GetCodeSigningConfig": "code signing config",
        "lambda:ListFunctionsByCodeSigningConfig": "code signing config",
        "imagebuilder:GetImage": "image",
    }
    for action, resource_type in named.items():
        assert [scope.resource_type for scope in SCOPED[action]] == [resource_type], action


def test_cross_account_reads_are_the_ones_the_decision_names():
    """docs/decisions/iam-resource-scoping.md: images in another account's registry (Lambda container images),
    Image Builder images by their ARN, the revocation status of any publisher's signature, and the SSM
    parameters a launch template resolves (AWS's public ones carry no account)."""
    cross_account = {action for action, scopes in SCOPED.items() if any(s.account == ANY for s in scopes)}
    assert cross_account == {
        "ecr:BatchGetImage",
        "ecr:DescribeImages",
        "ecr:DescribeImageScanFindings",
        "ecr:DescribeImageSigningStatus",
        "ecr:GetDownloadUrlForLayer",
        "ecr:ListTagsForResource",
        "imagebuilder:GetImage",
        "signer:GetRevocationStatus",
        "ssm:GetParameters",
    }
