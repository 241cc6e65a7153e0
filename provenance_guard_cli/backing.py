"""The resources the stack would create, made in an emulator so the real handlers can run there."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from provenance_guard import settings as env
from provenance_guard.policy_fields import to_document
from provenance_guard.policy_source import load_policy_file
from provenance_guard.state import PARTITION_KEY, RESOURCE_INDEX, RESOURCE_KEY

TABLE_NAME = "provenance-guard-findings"
TOPIC_NAME = "provenance-guard-findings"
CAPTURE_QUEUE = "provenance-guard-notifications-capture"
POLICY_PARAMETER = "/provenance-guard/policy"


@dataclass(frozen=True)
class Backing:
    """Names of the backing resources, and the environment a handler needs to use them."""

    endpoint_url: str
    region: str
    topic_arn: str
    capture_queue_url: str
    registry_url: str | None = None
    """The registry serving the OCI data path (PROVENANCE_GUARD_REGISTRY_URL); None: ECR's own."""

    def own_queue_url(self, function: str) -> str:
        """The function's own queue (created on first use), where it sends work back to itself: rechecks."""
        import boto3

        sqs = boto3.client("sqs", endpoint_url=self.endpoint_url, region_name=self.region)
        url: str = sqs.create_queue(QueueName=f"provenance-guard-{function.replace('_', '-')}-own")["QueueUrl"]
        return url

    def environment(self, function: str) -> dict[str, str]:
        registry = {env.ENV_REGISTRY_URL: self.registry_url} if self.registry_url else {}
        return registry | {
            env.ENV_RECHECK_QUEUE_URL: self.own_queue_url(function),
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_DEFAULT_REGION": self.region,
            env.ENV_TABLE_NAME: TABLE_NAME,
            env.ENV_TOPIC_ARN: self.topic_arn,
            env.ENV_POLICY_PARAMETER: POLICY_PARAMETER,
            env.ENV_FUNCTION: function,
            env.ENV_SECURITYHUB_RPS: "9",
            "POWERTOOLS_SERVICE_NAME": "provenance-guard",
            "POWERTOOLS_METRICS_NAMESPACE": "ProvenanceGuard",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_METRICS_DISABLED": "true",
        }


EMULATOR_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


def use_emulator_credentials(endpoint_url: str) -> None:
    """An emulator on loopback accepts any credentials: use fake ones, never the user's real ones."""
    import os
    from urllib.parse import urlparse

    if urlparse(endpoint_url).hostname not in ("127.0.0.1", "localhost", "::1"):
        return
    os.environ.pop("AWS_PROFILE", None)
    os.environ.update(EMULATOR_CREDENTIALS)


def ensure_backing(
    endpoint_url: str,
    region: str,
    policy_file: Path,
    registry_url: str | None = None,
    extra_trust_stores: Mapping[str, str] | None = None,
) -> Backing:
    """Create (or reuse) the table, topic, capture queue, policy parameter; enable Security Hub.

    `extra_trust_stores` (name -> PEM) are added to the policy's signature trust stores, e.g. the
    emulated AWS Signer's root for the demo."""
    import boto3

    def client(service: str) -> Any:
        return boto3.client(service, endpoint_url=endpoint_url, region_name=region)  # type: ignore[call-overload]

    ensure_table(client("dynamodb"))
    document = to_document(load_policy_file(str(policy_file)))
    if extra_trust_stores:
        signatures = document.setdefault("container", {}).setdefault("signatures", {})
        stores = signatures.setdefault("trust_stores", {})
        for name, pem in extra_trust_stores.items():
            stores[name] = f"{stores[name]}\n{pem}" if name in stores else pem
    client("ssm").put_parameter(Name=POLICY_PARAMETER, Value=json.dumps(document), Type="String", Overwrite=True)
    securityhub = client("securityhub")
    with contextlib.suppress(securityhub.exceptions.ResourceConflictException):
        securityhub.enable_security_hub(EnableDefaultStandards=False)
    sns, sqs = client("sns"), client("sqs")
    topic_arn = sns.create_topic(Name=TOPIC_NAME)["TopicArn"]
    queue_url = sqs.create_queue(QueueName=CAPTURE_QUEUE)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    return Backing(endpoint_url, region, topic_arn, queue_url, registry_url)


def ensure_table(dynamodb: Any) -> None:
    if TABLE_NAME in dynamodb.list_tables()["TableNames"]:
        return
    dynamodb.create_table(
        TableName=TABLE_NAME,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": PARTITION_KEY, "AttributeType": "S"},
            {"AttributeName": RESOURCE_KEY, "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": PARTITION_KEY, "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": RESOURCE_INDEX,
                "KeySchema": [{"AttributeName": RESOURCE_KEY, "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
