"""Lambda CloudTrail calls -> work (CONTROLS.md §2). AWS documents `requestParameters` only for these
calls (no `responseElements`); their event names carry API versions (CreateFunction20150331)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from provenance_guard.collect.lambda_function import CODE_SIGNING_CONFIG, LAMBDA_FUNCTION
from provenance_guard.lambda_identifiers import parse_function_identifier
from provenance_guard.model import ResourceRef, partition_for_region
from provenance_guard.triggers.base import Envelope, Trigger, required
from provenance_guard.work import Action, EventError, Work

FUNCTION = "lambda_changes"
CODE_SIGNING_CONFIG_CONTROLS = frozenset({"PG.LAMBDA.1", "PG.LAMBDA.2"})
CODE_SIGNING_CONFIG_ARN = re.compile(
    r"^arn:(aws[a-z-]*):lambda:([a-z0-9-]+):(\d{12}):code-signing-config:csc-[a-z0-9]{17}$"
)


def function_call(detail: Mapping[str, Any], envelope: Envelope) -> list[Work]:
    """Create/Update/Delete of a function or of its code signing attachment: re-read the function.

    A deleted function is read too: gone, its findings are archived; re-created since (events arrive at
    least once, in no guaranteed order), it is judged instead of wrongly archived."""
    value = required(detail, "requestParameters", "functionName")
    try:
        function = parse_function_identifier(value)
    except ValueError as error:
        raise EventError(f"detail.requestParameters.functionName: {error}") from None
    account = function.account or envelope.account
    region = function.region or envelope.region
    partition = function.partition or partition_for_region(region)
    return [Work(Action.EVALUATE, ResourceRef(LAMBDA_FUNCTION, function.name, account, region, partition))]


def code_signing_config_call(detail: Mapping[str, Any], envelope: Envelope) -> list[Work]:
    """UpdateCodeSigningConfig: re-judge PG.LAMBDA.1-2 of every function that uses the configuration."""
    arn = required(detail, "requestParameters", "codeSigningConfigArn")
    match = CODE_SIGNING_CONFIG_ARN.match(arn)
    if match is None:
        raise EventError(f"detail.requestParameters.codeSigningConfigArn {arn!r} is not a code signing config ARN")
    partition, region, account = match.groups()
    ref = ResourceRef(CODE_SIGNING_CONFIG, arn, account, region, partition)
    return [Work(Action.EXPAND, ref, CODE_SIGNING_CONFIG_CONTROLS)]


def code_signing_config_deleted(detail: Mapping[str, Any], envelope: Envelope) -> list[Work]:
    """DeleteCodeSigningConfig changes no verdict: Lambda deletes a configuration only when no function
    uses it (ResourceConflictException otherwise), and it can no longer be listed. The event is
    validated and acknowledged; the sweep re-judges every function anyway."""
    required(detail, "requestParameters", "codeSigningConfigArn")
    return []


TRIGGERS = (
    Trigger(
        "LambdaFunctionCalls",
        "CloudTrail Lambda function and code-signing calls (versioned names matched by prefix)",
        FUNCTION,
        source="aws.lambda",
        versioned=True,
        calls={
            "CreateFunction": function_call,
            "UpdateFunctionCode": function_call,
            "UpdateFunctionConfiguration": function_call,
            "DeleteFunction": function_call,
            "PutFunctionCodeSigningConfig": function_call,
            "DeleteFunctionCodeSigningConfig": function_call,
            "UpdateCodeSigningConfig": code_signing_config_call,
            "DeleteCodeSigningConfig": code_signing_config_deleted,
        },
    ),
)
