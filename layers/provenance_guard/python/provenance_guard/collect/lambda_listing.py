"""The sweep's listing of Lambda functions: each function's `ListFunctions` configuration, and which
code signing configuration it uses, from the configurations' own lists (`ListCodeSigningConfigs`, then
`ListFunctionsByCodeSigningConfig` for each), so a sweep page does not ask for every function's.

Only what the collector reads is kept (no environment variables: a page is an SQS message). When the
code signing lists cannot be read, the entries say nothing about code signing and the collector asks
per function (`GetFunctionCodeSigningConfig`), as for an event.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any

from provenance_guard.clients import ClientFactory
from provenance_guard.collect.base import jsonable
from provenance_guard.lambda_identifiers import parse_function_identifier

logger = logging.getLogger(__name__)

LIST_FUNCTIONS = "lambda:ListFunctions"
LIST_CODE_SIGNING_CONFIGS = "lambda:ListCodeSigningConfigs"
LIST_FUNCTIONS_BY_CONFIG = "lambda:ListFunctionsByCodeSigningConfig"
CONFIGURATION_KEYS = (
    "FunctionName",
    "FunctionArn",
    "Version",
    "Runtime",
    "Handler",
    "CodeSha256",
    "LastModified",
    "PackageType",
    "Architectures",
    "Layers",
    "SigningProfileVersionArn",
    "SigningJobArn",
)
CONFIGURATION = "Configuration"
CODE_SIGNING = "CodeSigning"
"""`{"ConfigArn", "Policy", "AllowedPublishers"}`, or None: the function uses no configuration."""


def listed_functions(clients: ClientFactory, region: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every function of the Region (unqualified names), with `{Configuration, CodeSigning?}`."""
    lam: Any = clients.client("lambda", region)
    signing = _code_signing_by_function(lam)
    for page in lam.get_paginator("list_functions").paginate():
        for function in page.get("Functions", []):
            name = function["FunctionName"]
            entry: dict[str, Any] = {CONFIGURATION: jsonable(function, CONFIGURATION_KEYS)}
            if signing is not None:
                entry[CODE_SIGNING] = signing.get(name)
            yield name, entry


def function_names(clients: ClientFactory, region: str) -> Iterator[str]:
    """Every function of the Region (names, unqualified)."""
    for page in clients.client("lambda", region).get_paginator("list_functions").paginate():
        yield from (function["FunctionName"] for function in page.get("Functions", []))


def _code_signing_by_function(lam: Any) -> dict[str, dict[str, Any]] | None:
    """Function name -> its configuration's entry; None when the lists cannot be read."""
    from botocore.exceptions import ClientError

    found: dict[str, dict[str, Any]] = {}
    try:
        for page in lam.get_paginator("list_code_signing_configs").paginate():
            for config in page.get("CodeSigningConfigs", []):
                entry = {
                    "ConfigArn": config["CodeSigningConfigArn"],
                    "Policy": (config.get("CodeSigningPolicies") or {}).get("UntrustedArtifactOnDeployment", "Warn"),
                    "AllowedPublishers": list(
                        (config.get("AllowedPublishers") or {}).get("SigningProfileVersionArns") or ()
                    ),
                }
                for arn in _functions_using(lam, entry["ConfigArn"]):
                    found[parse_function_identifier(arn).name] = entry
    except ClientError as error:
        logger.warning("code signing configurations cannot be listed (%s); asking per function", error)
        return None
    return found


def _functions_using(lam: Any, config_arn: str) -> Iterator[str]:
    pages = lam.get_paginator("list_functions_by_code_signing_config").paginate(CodeSigningConfigArn=config_arn)
    for page in pages:
        yield from page.get("FunctionArns", [])
