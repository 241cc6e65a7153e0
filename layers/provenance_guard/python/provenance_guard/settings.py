"""Settings, read from the environment once, at the composition root. Nothing else reads os.environ."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

# Environment variable names, shared with the stack (stacks/ imports these).
ENV_TABLE_NAME = "PROVENANCE_GUARD_TABLE"
ENV_TOPIC_ARN = "PROVENANCE_GUARD_TOPIC_ARN"
ENV_POLICY_PARAMETER = "PROVENANCE_GUARD_POLICY_PARAMETER"
ENV_POLICY_FILE = "PROVENANCE_GUARD_POLICY_FILE"
ENV_FUNCTION = "PROVENANCE_GUARD_FUNCTION"
ENV_SECURITYHUB_RPS = "PROVENANCE_GUARD_SECURITYHUB_RPS"
ENV_POLICY_MAX_AGE = "PROVENANCE_GUARD_POLICY_MAX_AGE"
ENV_AWS_MAX_ATTEMPTS = "PROVENANCE_GUARD_AWS_MAX_ATTEMPTS"
ENV_SWEEP_QUEUE_URL = "PROVENANCE_GUARD_SWEEP_QUEUE_URL"
ENV_RECHECK_QUEUE_URL = "PROVENANCE_GUARD_RECHECK_QUEUE_URL"
ENV_REGISTRY_URL = "PROVENANCE_GUARD_REGISTRY_URL"
ENV_REMEDIATION_QUEUE_URL = "PROVENANCE_GUARD_REMEDIATION_QUEUE_URL"


class SettingsError(RuntimeError):
    """A required environment variable is missing or malformed."""


@dataclass(frozen=True)
class Settings:
    table_name: str
    topic_arn: str | None
    policy_parameter: str | None
    policy_file: str | None
    function: str
    securityhub_requests_per_second: float = 5.0
    policy_max_age_seconds: int = 300
    aws_max_attempts: int = 8
    """Attempts per AWS call (botocore standard retry mode: backoff with jitter on throttling and 5xx)."""
    sweep_queue_url: str | None = None
    """Where the sweep sends its pages; without it a sweep runs its pages in-process."""
    recheck_queue_url: str | None = None
    """The function's own queue, where provisional results are sent back delayed (see `recheck`)."""
    registry_url: str | None = None
    """Replaces ECR's registry endpoint for the OCI data path (a local registry in tests and the demo)."""
    remediation_queue_url: str | None = None
    """Where new failures of controls in `automatic` remediation mode are sent; without it they are
    remediated in-process."""
    region: str | None = None
    """The function's own Region (Lambda's AWS_REGION): events naming a Region of another partition,
    which its credentials cannot reach, are rejected (`provenance_guard.triggers.parse_event`)."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        table = env.get(ENV_TABLE_NAME)
        if not table:
            raise SettingsError(f"{ENV_TABLE_NAME} is not set")
        if not env.get(ENV_POLICY_PARAMETER) and not env.get(ENV_POLICY_FILE):
            raise SettingsError(f"set {ENV_POLICY_PARAMETER} (SSM parameter) or {ENV_POLICY_FILE} (local file)")
        try:
            rps = float(env.get(ENV_SECURITYHUB_RPS, "5"))
            max_age = int(env.get(ENV_POLICY_MAX_AGE, "300"))
            max_attempts = int(env.get(ENV_AWS_MAX_ATTEMPTS, "8"))
        except ValueError as error:
            raise SettingsError(str(error)) from None
        registry_url = env.get(ENV_REGISTRY_URL) or None
        if registry_url and not registry_url.startswith(("http://", "https://")):
            raise SettingsError(f"{ENV_REGISTRY_URL} must be an http(s) URL, got {registry_url!r}")
        if not 0 < rps < 10:
            raise SettingsError(f"{ENV_SECURITYHUB_RPS} must be between 0 and 10 (Security Hub's limit)")
        return cls(
            table_name=table,
            topic_arn=env.get(ENV_TOPIC_ARN) or None,
            policy_parameter=env.get(ENV_POLICY_PARAMETER) or None,
            policy_file=env.get(ENV_POLICY_FILE) or None,
            function=env.get(ENV_FUNCTION, "unknown"),
            securityhub_requests_per_second=rps,
            policy_max_age_seconds=max_age,
            aws_max_attempts=max_attempts,
            sweep_queue_url=env.get(ENV_SWEEP_QUEUE_URL) or None,
            recheck_queue_url=env.get(ENV_RECHECK_QUEUE_URL) or None,
            registry_url=registry_url,
            remediation_queue_url=env.get(ENV_REMEDIATION_QUEUE_URL) or None,
            region=env.get("AWS_REGION") or None,
        )
